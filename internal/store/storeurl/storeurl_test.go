package storeurl

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/internal/store/postgres/pgtest"
)

func TestParse(t *testing.T) {
	tests := []struct {
		raw     string
		want    Location
		wantErr string // substring of the error
		secret  string // must not appear in the error
	}{
		{raw: "sqlite://./gatehouse-data/gatehouse.db", want: Location{Scheme: "sqlite", Path: "./gatehouse-data/gatehouse.db"}},
		{raw: "sqlite:///var/lib/gatehouse/g.db", want: Location{Scheme: "sqlite", Path: "/var/lib/gatehouse/g.db"}},
		{raw: "sqlite://g.db", want: Location{Scheme: "sqlite", Path: "g.db"}},
		{raw: "SQLite://dir with space/g.db", want: Location{Scheme: "sqlite", Path: "dir with space/g.db"}},
		{raw: "sqlite://", wantErr: "needs the database file's path"},
		{raw: "sqlite://./data/", wantErr: "not a directory"},
		{raw: "sqlite://g.db?_pragma=foreign_keys(0)", wantErr: "query parameters and fragments ('?', '#') are not supported"},
		{raw: "sqlite://g.db#x", wantErr: "are not supported"},
		{raw: "sqlite://g\x00.db", wantErr: "NUL byte"},
		{raw: "sqlite:g.db", wantErr: "the form SCHEME://…; supported: sqlite://"},
		{raw: "/var/lib/g.db", wantErr: `"/var/lib/g.db": a store URL has the form SCHEME://…; supported: sqlite://`},
		{raw: "", wantErr: "a store URL has the form"},
		{raw: "postgres://gh:hunter2@db.internal:5432/gatehouse", want: pg("postgres://gh:xxxxx@db.internal:5432/gatehouse", "postgres://gh:hunter2@db.internal:5432/gatehouse")},
		{raw: "postgresql://gh@127.0.0.1/gatehouse?sslmode=disable&pool_max_conns=8", want: pg("postgresql://gh@127.0.0.1/gatehouse?sslmode=disable&pool_max_conns=8", "postgresql://gh@127.0.0.1/gatehouse?sslmode=disable&pool_max_conns=8")},
		{raw: "postgres://db/g?password=hunter2&sslmode=require", want: pg("postgres://db/g?password=xxxxx&sslmode=require", "postgres://db/g?password=hunter2&sslmode=require")},
		{raw: "postgres://", wantErr: "postgres:// needs a server"},
		{raw: "postgres://gh:hunt er2@db/x", wantErr: `"postgres://…": not a valid URL`, secret: "hunt er2"},
		{raw: "postgres://gh:hunter2@db:port/x", wantErr: `"postgres://…": not a valid URL`, secret: "hunter2"},
		{raw: "postgres://gh:hunter2@db/x?pool_max_conns=lots", wantErr: `"postgres://gh:xxxxx@db/x?pool_max_conns=lots": bad connection URL: cannot parse pool_max_conns`, secret: "hunter2"},
		{raw: "postgres://gh:hunter2@db/x?sslmode=sometimes", wantErr: `bad connection URL: failed to configure TLS (sslmode is invalid)`, secret: "hunter2"},
		{raw: "redis://:s3cret@localhost", wantErr: `scheme "redis" is not supported; supported: sqlite://, postgres://`, secret: "s3cret"},
		{raw: "mysql:gh:pw@db", wantErr: `"…": a store URL has the form`, secret: "pw@db"},
		{raw: "a:pw@h://x", wantErr: `"…": a store URL has the form`, secret: "pw"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			got, err := Parse(tt.raw)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse(%q) = %+v, %v; want an error containing %q", tt.raw, got, err, tt.wantErr)
				}
				if tt.secret != "" && strings.Contains(err.Error(), tt.secret) {
					t.Fatalf("Parse(%q) error %q shows the password", tt.raw, err)
				}
				return
			}
			if err != nil || !sameLocation(got, tt.want) {
				t.Fatalf("Parse(%q) = %+v (%s), %v; want %+v (%s)", tt.raw, got, conn(got), err, tt.want, conn(tt.want))
			}
			if strings.Contains(got.String(), "hunter2") || strings.Contains(fmt.Sprintf("%+v %#v", got, got), "hunter2") {
				t.Fatalf("Parse(%q): printing the location shows the password: %s / %+v", tt.raw, got, got)
			}
		})
	}
}

// pg is the Location of a postgres URL: server, its display, and conn, as given.
func pg(server, conn string) Location {
	return Location{Scheme: "postgres", Server: server, conn: &conn}
}

// conn is l's connection URL, or "".
func conn(l Location) string {
	if l.conn == nil {
		return ""
	}
	return *l.conn
}

func sameLocation(a, b Location) bool {
	return a.Scheme == b.Scheme && a.Path == b.Path && a.Server == b.Server && conn(a) == conn(b)
}

// TestOpenPostgres opens a fresh PostgreSQL database through its URL,
// writes, and finds the write again through a second open: the URL named
// the database.
func TestOpenPostgres(t *testing.T) {
	u := pgtest.Database(t)
	ctx := context.Background()
	for i, want := range []string{"", "v"} {
		l, err := Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		if l.Scheme != "postgres" || l.Path != "" {
			t.Fatalf("Parse(%s) = %+v", u, l)
		}
		st, err := Open(ctx, l)
		if err != nil {
			t.Fatalf("Open(%s): %v", l, err)
		}
		var got string
		err = st.View(ctx, func(r store.Reader) (err error) {
			got, err = r.GetSetting(ctx, "k")
			return err
		})
		if i == 0 && !errors.Is(err, store.ErrNotFound) || i == 1 && (err != nil || got != want) {
			t.Fatalf("open %d: GetSetting = %q, %v; want %q", i, got, err, want)
		}
		if err := st.Update(ctx, func(tx store.Tx) error { return tx.PutSetting(ctx, "k", "v") }); err != nil {
			t.Fatal(err)
		}
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
	}
	// A Location not made by Parse has no URL to open.
	if _, err := Open(ctx, Location{Scheme: "postgres", Server: "postgres://x"}); err == nil {
		t.Fatal("Open of a postgres Location without a URL succeeded")
	}
}

// TestOpenSQLite opens a real database through its URL, writes, and
// finds the write in the file named by the URL.
func TestOpenSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub dir", "g.db")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i, want := range []string{"", "v"} {
		l, err := Parse(SQLite(path))
		if err != nil {
			t.Fatal(err)
		}
		st, err := Open(ctx, l)
		if err != nil {
			t.Fatalf("Open(%s): %v", l, err)
		}
		var got string
		err = st.View(ctx, func(r store.Reader) (err error) {
			got, err = r.GetSetting(ctx, "k")
			return err
		})
		if i == 0 && err == nil || i == 1 && (err != nil || got != want) {
			t.Fatalf("open %d: GetSetting = %q, %v; want %q", i, got, err, want)
		}
		if err := st.Update(ctx, func(tx store.Tx) error { return tx.PutSetting(ctx, "k", "v") }); err != nil {
			t.Fatal(err)
		}
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the database file named by the URL: %v", err)
	}
}

// FuzzParse: Parse never panics, accepts only supported schemes, and a
// URL with user information appears in its errors only with the password
// masked.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, raw string) {
		l, err := Parse(raw)
		if err != nil {
			if leaked := unmaskedPassword(err.Error()); leaked != "" {
				t.Fatalf("Parse(%q) error %q shows the password %q", raw, err, leaked)
			}
			return
		}
		switch l.Scheme {
		case "sqlite":
			if l.Path == "" || strings.ContainsAny(l.Path, "?#\x00") || l.Server != "" {
				t.Fatalf("Parse(%q) = %+v", raw, l)
			}
		case "postgres":
			if l.Path != "" || l.Server == "" || conn(l) != raw {
				t.Fatalf("Parse(%q) = %+v", raw, l)
			}
			if leaked := unmaskedPassword(strconv.Quote(l.String())); leaked != "" {
				t.Fatalf("Parse(%q).String() = %q shows the password %q", raw, l, leaked)
			}
		default:
			t.Fatalf("Parse(%q) = %+v: scheme not supported", raw, l)
		}
	})
}

// unmaskedPassword returns the first password, in the URLs that msg
// quotes (scheme://user:password@host, or a password or sslpassword query
// parameter), that is not the mask "xxxxx".
func unmaskedPassword(msg string) string {
	for i := strings.IndexByte(msg, '"'); i >= 0; i = strings.IndexByte(msg, '"') {
		q, err := strconv.QuotedPrefix(msg[i:])
		if err != nil {
			return ""
		}
		msg = msg[i+len(q):]
		u, _ := strconv.Unquote(q)
		_, after, ok := strings.Cut(u, "://")
		if !ok {
			continue
		}
		if _, query, ok := strings.Cut(after, "?"); ok {
			for _, kv := range strings.Split(query, "&") {
				name, pw, _ := strings.Cut(kv, "=")
				if (name == "password" || name == "sslpassword") && pw != "xxxxx" {
					return pw
				}
			}
		}
		authority, _, _ := strings.Cut(after, "/")
		if at := strings.LastIndexByte(authority, '@'); at >= 0 {
			if _, pw, ok := strings.Cut(authority[:at], ":"); ok && pw != "xxxxx" {
				return pw
			}
		}
	}
	return ""
}
