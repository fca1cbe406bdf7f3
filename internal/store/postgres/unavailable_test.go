package postgres

import (
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// TestUnavailableClassifiesConnectionFailures: errors that say PostgreSQL
// could not be reached become a store.UnavailableError naming the
// database; every other error (and nil) comes back as it is.
func TestUnavailableClassifiesConnectionFailures(t *testing.T) {
	db := &DB{name: "PostgreSQL at 127.0.0.1:5432/x"}
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"connection refused", fmt.Errorf("postgres: begin read: %w", refused), true},
		{"lost mid-statement", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{"EOF", io.EOF, true},
		{"closed connection", net.ErrClosed, true},
		{"connection failure SQLSTATE", &pgconn.PgError{Code: "08006"}, true},
		{"admin shutdown", &pgconn.PgError{Code: "57P01"}, true},
		{"too many connections", &pgconn.PgError{Code: "53300"}, true},
		{"unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"not found", fmt.Errorf("api key k: %w", store.ErrNotFound), false},
		{"other", errors.New("boom"), false},
	} {
		got := db.unavailable(tc.err)
		var ue *store.UnavailableError
		is := errors.As(got, &ue)
		if is != tc.want {
			t.Errorf("%s: unavailable(%v) = %v, UnavailableError %v, want %v", tc.name, tc.err, got, is, tc.want)
			continue
		}
		if !is {
			if got != tc.err {
				t.Errorf("%s: %v came back as %v", tc.name, tc.err, got)
			}
			continue
		}
		if ue.Store != db.name || !errors.Is(got, tc.err) {
			t.Errorf("%s: %v (store %q), want %q wrapping the cause", tc.name, got, ue.Store, db.name)
		}
		if again := db.unavailable(got); again != got {
			t.Errorf("%s: wrapped twice: %v", tc.name, again)
		}
	}
}
