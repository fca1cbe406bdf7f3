package storeurl

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/store"
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
		{raw: "postgres://gh:hunter2@db.internal:5432/gatehouse", wantErr: `"postgres://gh:xxxxx@db.internal:5432/gatehouse": scheme "postgres" is not supported; supported: sqlite://`, secret: "hunter2"},
		{raw: "postgres://gh:hunt er2@db/x", wantErr: `"postgres://…": scheme "postgres" is not supported`, secret: "hunt er2"},
		{raw: "redis://:s3cret@localhost", wantErr: `scheme "redis" is not supported`, secret: "s3cret"},
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
			if err != nil || got != tt.want {
				t.Fatalf("Parse(%q) = %+v, %v; want %+v", tt.raw, got, err, tt.want)
			}
		})
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
		if l.Scheme != "sqlite" || l.Path == "" || strings.ContainsAny(l.Path, "?#\x00") {
			t.Fatalf("Parse(%q) = %+v", raw, l)
		}
	})
}

// unmaskedPassword returns the first password, in the URLs that msg
// quotes (scheme://user:password@host), that is not url.Redacted's "xxxxx".
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
		authority, _, _ := strings.Cut(after, "/")
		if at := strings.LastIndexByte(authority, '@'); at >= 0 {
			if _, pw, ok := strings.Cut(authority[:at], ":"); ok && pw != "xxxxx" {
				return pw
			}
		}
	}
	return ""
}
