package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/pressly/goose/v3"
	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/gatehouse-dev/gatehouse/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// changeLogSize is how many rows the changes table keeps.
const changeLogSize = 10000

// DB is a store.Store backed by one SQLite database file.
//
// Updates run one at a time on a single writer connection (BEGIN
// IMMEDIATE), so an Update must not start another Update from inside its
// fn: it would wait for itself. A View may run alongside Updates, and an
// Update may be started from inside a View's fn; the View keeps seeing its
// snapshot.
type DB struct {
	store.Feed

	w *sql.DB // the single writer connection
	r *sql.DB // read-only pool

	// commitMu keeps publication in commit order: it is held from COMMIT
	// until the changes are published.
	commitMu sync.Mutex

	logSize int // rows the changes table keeps
}

// Interface guard.
var _ store.Store = (*DB)(nil)

// Open opens the database file at path, creating it with mode 0600 when it
// does not exist (an existing file keeps its mode; SQLite gives the -wal
// and -shm files the same), and applies any pending migrations.
func Open(ctx context.Context, path string) (*DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}

	// A "file:" URI, so that '?', '#' and '%' in the path are escaped
	// rather than taken for the start of the parameters.
	name := "file:" + strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(filepath.ToSlash(abs))
	// busy_timeout comes first so that switching to WAL already waits for
	// another process's lock.
	w, err := sql.Open("sqlite", name+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)"+
		"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)
	if err := migrate(ctx, w); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}

	r, err := sql.Open("sqlite", name+"?_pragma=busy_timeout(5000)&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	r.SetMaxOpenConns(max(4, runtime.GOMAXPROCS(0)))
	if err := r.PingContext(ctx); err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return &DB{w: w, r: r, logSize: changeLogSize}, nil
}

// migrate applies the embedded migrations that db has not seen yet.
func migrate(ctx context.Context, db *sql.DB) error {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// Close closes both connection pools. Subscriptions stay open until their
// cancel functions are called.
func (db *DB) Close() error {
	return errors.Join(db.r.Close(), db.w.Close())
}

// View implements store.Store.
func (db *DB) View(ctx context.Context, fn func(store.Reader) error) error {
	t, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("sqlite: begin read: %w", err)
	}
	defer t.Rollback()
	return fn(reader{t})
}

// Update implements store.Store.
func (db *DB) Update(ctx context.Context, fn func(store.Tx) error) error {
	t, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin write: %w", err)
	}
	defer t.Rollback()
	wt := &tx{reader: reader{t}}
	if err := fn(wt); err != nil {
		return err
	}
	return db.commit(ctx, t, wt.changes)
}

// Reset implements store.Store.
func (db *DB) Reset(ctx context.Context) error {
	t, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: reset: %w", err)
	}
	defer t.Rollback()
	for _, table := range []string{
		"usage_plan_keys", "usage", "quota_adjustments", "usage_plans", "api_keys",
		"stages", "deployments", "apis", "changes",
	} {
		if _, err := t.ExecContext(ctx, "DELETE FROM "+table); err != nil {
			return fmt.Errorf("sqlite: reset: delete %s: %w", table, err)
		}
	}
	return db.commit(ctx, t, []store.Change{{Kind: store.KindResync}})
}

// commit bumps the revision when there are changes, logs them, commits t
// and publishes the changes.
func (db *DB) commit(ctx context.Context, t *sql.Tx, changes []store.Change) error {
	if len(changes) > 0 {
		var rev int64
		err := t.QueryRowContext(ctx, "UPDATE meta SET revision = revision + 1 WHERE id = 1 RETURNING revision").Scan(&rev)
		if err != nil {
			return fmt.Errorf("sqlite: bump revision: %w", err)
		}
		at := time.Now().UnixMilli()
		for i := range changes {
			c := &changes[i]
			c.Revision = rev
			_, err := t.ExecContext(ctx,
				"INSERT INTO changes (revision, kind, op, api_id, id, key_id, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
				rev, string(c.Kind), string(c.Op), c.APIID, c.ID, c.KeyID, at)
			if err != nil {
				return fmt.Errorf("sqlite: log change: %w", err)
			}
		}
		_, err = t.ExecContext(ctx, "DELETE FROM changes WHERE seq <= (SELECT max(seq) FROM changes) - ?", db.logSize)
		if err != nil {
			return fmt.Errorf("sqlite: trim change log: %w", err)
		}
	}
	db.commitMu.Lock()
	defer db.commitMu.Unlock()
	if err := t.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	db.Publish(changes)
	return nil
}

// Revision implements store.Store.
func (db *DB) Revision(ctx context.Context) (int64, error) {
	var rev int64
	if err := db.r.QueryRowContext(ctx, "SELECT revision FROM meta WHERE id = 1").Scan(&rev); err != nil {
		return 0, fmt.Errorf("sqlite: revision: %w", err)
	}
	return rev, nil
}

// isUnique reports whether err is a UNIQUE or PRIMARY KEY violation.
func isUnique(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

// isForeignKey reports whether err is a FOREIGN KEY violation.
func isForeignKey(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}
