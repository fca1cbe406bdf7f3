package cli

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/store/postgres/pgtest"
)

// TestServeStoreURL: --store, else $GATEHOUSE_STORE, else the SQLite file
// in --data-dir, is where the node keeps its state; an unsupported scheme
// is refused naming the supported ones, without showing the password.
func TestServeStoreURL(t *testing.T) {
	t.Run("default", func(t *testing.T) {
		t.Setenv("GATEHOUSE_STORE", "")
		dir := t.TempDir()
		s := startServe(t, "--data-dir", dir)
		want := "sqlite://" + filepath.Join(dir, "gatehouse.db")
		if s.Store != want {
			t.Errorf("store = %q, want %q", s.Store, want)
		}
		s.stop()
		if _, err := os.Stat(filepath.Join(dir, "gatehouse.db")); err != nil {
			t.Errorf("database in the data dir: %v", err)
		}
	})
	for _, tt := range []struct {
		name      string
		env, flag string
	}{
		{name: "env", env: "sqlite://" + filepath.Join(t.TempDir(), "from-env.db")},
		{name: "flag over env", env: "sqlite:///nonexistent-dir/ignored.db", flag: "sqlite://" + filepath.Join(t.TempDir(), "from-flag.db")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("GATEHOUSE_STORE", tt.env)
			dir := t.TempDir()
			want := tt.env
			args := []string{"--data-dir", dir}
			if tt.flag != "" {
				want = tt.flag
				args = append(args, "--store", tt.flag)
			}
			s := startServe(t, args...)
			if s.Store != want {
				t.Errorf("store = %q, want %q", s.Store, want)
			}
			s.stop()
			if _, err := os.Stat(strings.TrimPrefix(want, "sqlite://")); err != nil {
				t.Errorf("database named by the URL: %v", err)
			}
			if _, err := os.Stat(filepath.Join(dir, "gatehouse.db")); err == nil {
				t.Errorf("a database was created in the data dir too")
			}
		})
	}
	t.Run("postgres", func(t *testing.T) {
		url := pgtest.Database(t)
		t.Setenv("GATEHOUSE_STORE", url)
		dir := t.TempDir()
		s := startServe(t, "--data-dir", dir)
		if s.Store != url {
			t.Errorf("store = %q, want %q", s.Store, url)
		}
		s.stop()
		if _, err := os.Stat(filepath.Join(dir, "gatehouse.db")); err == nil {
			t.Errorf("a SQLite database was created in the data dir")
		}
	})
	t.Run("unsupported scheme", func(t *testing.T) {
		t.Setenv("GATEHOUSE_STORE", "")
		var errOut bytes.Buffer
		code := run(context.Background(), []string{"serve", "--data-dir", t.TempDir(), "--store", "mysql://gh:hunter2@db:3306/gh"}, io.Discard, &errOut)
		msg := errOut.String()
		if code == 0 || !strings.Contains(msg, `--store "mysql://gh:xxxxx@db:3306/gh": scheme "mysql" is not supported; supported: sqlite://, postgres://`) {
			t.Fatalf("exit %d, stderr %q; want a refusal naming the supported schemes", code, msg)
		}
		if strings.Contains(msg, "hunter2") {
			t.Fatalf("the refusal shows the password: %q", msg)
		}
	})
}
