package server

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/datadir"
)

// TestOneNodePerDirectory: New refuses a data directory, or a database
// file's directory, that another node holds, and releases both on Close.
// (test/e2e and package datadir check the same across processes.)
func TestOneNodePerDirectory(t *testing.T) {
	ctx := context.Background()
	newNode := func(cfg Config) (*Server, error) {
		cfg.AdminListen, cfg.Listen = "127.0.0.1:0", "127.0.0.1:0"
		return New(ctx, cfg)
	}
	dir := t.TempDir()
	first, err := newNode(Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	_, err = newNode(Config{DataDir: dir})
	var le *datadir.LockedError
	if !errors.As(err, &le) || le.PID != os.Getpid() {
		t.Fatalf("second node on %s: %v; want a *datadir.LockedError naming pid %d", dir, err, os.Getpid())
	}

	// Another data directory but the first node's database file.
	db := "sqlite://" + filepath.Join(dir, DatabaseFile)
	_, err = newNode(Config{DataDir: t.TempDir(), Store: db})
	if !errors.As(err, &le) || !strings.HasPrefix(err.Error(), "store "+db+": data directory "+dir+" is in use") {
		t.Fatalf("a node on another data dir with the first one's database: %v; want a refusal naming the store", err)
	}

	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	// Once closed, the directory is free; a database file in another
	// directory locks that directory too; and the same directory spelled
	// two ways is one lock, not a conflict with itself.
	other := t.TempDir()
	t.Chdir(filepath.Dir(dir))
	second, err := newNode(Config{DataDir: dir, Store: "sqlite://" + filepath.Join(other, "g.db")})
	if err != nil {
		t.Fatalf("after Close: %v", err)
	}
	if _, err := datadir.Acquire(other); !errors.As(err, &le) {
		t.Errorf("the database's directory %s is not locked: %v", other, err)
	}
	second.Close()
	third, err := newNode(Config{DataDir: filepath.Base(dir), Store: "sqlite://" + filepath.Join(dir, "g.db")})
	if err != nil {
		t.Fatalf("data dir %q with the database in %s: %v", filepath.Base(dir), dir, err)
	}
	third.Close()
}
