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

	// ws and rs are w's and r's prepared statements.
	ws, rs *stmtCache

	// commitMu keeps publication in commit order: it is held from COMMIT
	// until the changes are published.
	commitMu sync.Mutex

	logSize int // rows the changes table keeps

	// The usage journal is folded into the usage table when it holds
	// foldRecords records or its oldest batch is foldAge old (journal.go).
	foldRecords int64
	foldAge     time.Duration
	now         func() time.Time
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
	// another process's lock. The writer's page cache is 128 MiB rather
	// than SQLite's 2 MiB: writes to the random-key indexes (key ids,
	// lookup hashes) touch pages all over them, and with a small cache a
	// bulk import re-read them and spilled them to the WAL mid-transaction
	// (the cache holds only pages in use; it stays small for small stores).
	w, err := sql.Open("sqlite", name+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)"+
		"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=cache_size(-131072)&_txlock=immediate")
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
	return &DB{w: w, r: r, ws: newStmtCache(w), rs: newStmtCache(r), logSize: changeLogSize,
		foldRecords: defaultFoldRecords, foldAge: defaultFoldAge, now: time.Now}, nil
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

// Close folds the usage journal (so that the next start reads a short
// one), then closes both connection pools and their prepared statements.
// Subscriptions stay open until their cancel functions are called.
func (db *DB) Close() error {
	fold := db.Update(context.Background(), func(t store.Tx) error { return t.(*tx).foldUsage(context.Background(), nil) })
	return errors.Join(fold, db.rs.close(), db.ws.close(), db.r.Close(), db.w.Close())
}

// View implements store.Store.
func (db *DB) View(ctx context.Context, fn func(store.Reader) error) error {
	db.rs.preparePending(ctx)
	t, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("sqlite: begin read: %w", err)
	}
	defer t.Rollback()
	return fn(reader{newSQLTx(t, db.rs)})
}

// Update implements store.Store.
func (db *DB) Update(ctx context.Context, fn func(store.Tx) error) error {
	db.ws.preparePending(ctx)
	t, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin write: %w", err)
	}
	defer t.Rollback()
	q := newSQLTx(t, db.ws)
	wt := &tx{reader: reader{q}, db: db}
	if err := fn(wt); err != nil {
		return err
	}
	return db.commit(ctx, q, wt.changes)
}

// Reset implements store.Store.
func (db *DB) Reset(ctx context.Context) error {
	t, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: reset: %w", err)
	}
	defer t.Rollback()
	for _, table := range []string{
		"usage_plan_keys", "usage", "usage_journal", "quota_adjustments", "usage_plans", "api_keys", "client_certificates",
		"stages", "deployments", "apis", "domain_names", "changes",
	} {
		if _, err := t.ExecContext(ctx, "DELETE FROM "+table); err != nil {
			return fmt.Errorf("sqlite: reset: delete %s: %w", table, err)
		}
	}
	return db.commit(ctx, newSQLTx(t, db.ws), []store.Change{{Kind: store.KindResync}})
}

// commit bumps the revision when there are changes, logs them, commits t
// and publishes the changes.
func (db *DB) commit(ctx context.Context, t *sqlTx, changes []store.Change) error {
	if len(changes) > 0 {
		var rev int64
		err := t.QueryRowContext(ctx, "UPDATE meta SET revision = revision + 1 WHERE id = 1 RETURNING revision").Scan(&rev)
		if err != nil {
			return fmt.Errorf("sqlite: bump revision: %w", err)
		}
		for i := range changes {
			changes[i].Revision = rev
		}
		if err := db.logChanges(ctx, t, changes); err != nil {
			return fmt.Errorf("sqlite: log changes: %w", err)
		}
		_, err = t.ExecContext(ctx, "DELETE FROM changes WHERE seq <= (SELECT max(seq) FROM changes) - ?", db.logSize)
		if err != nil {
			return fmt.Errorf("sqlite: trim change log: %w", err)
		}
	}
	db.commitMu.Lock()
	defer db.commitMu.Unlock()
	if err := t.tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	db.Publish(changes)
	return nil
}

// changeBatch is how many changes one INSERT of logChanges writes.
const changeBatch = 128

// insertChange inserts one change; insertChanges inserts changeBatch.
var (
	insertChange  = "INSERT INTO changes (revision, kind, op, api_id, id, key_id, at) VALUES (?, ?, ?, ?, ?, ?, ?)"
	insertChanges = insertChange + strings.Repeat(", (?, ?, ?, ?, ?, ?, ?)", changeBatch-1)
)

// logChanges appends changes to the change log. A bulk import logs two
// changes per key, so they go changeBatch to a statement; and changes that
// the trim after them would delete at once are not written at all.
func (db *DB) logChanges(ctx context.Context, t *sqlTx, changes []store.Change) error {
	if len(changes) > db.logSize {
		changes = changes[len(changes)-db.logSize:]
	}
	at := time.Now().UnixMilli()
	args := make([]any, 0, 7*changeBatch)
	for len(changes) > 0 {
		n, query := changeBatch, insertChanges
		if len(changes) < changeBatch {
			n, query = 1, insertChange
		}
		args = args[:0]
		for _, c := range changes[:n] {
			args = append(args, c.Revision, string(c.Kind), string(c.Op), c.APIID, c.ID, c.KeyID, at)
		}
		if _, err := t.ExecContext(ctx, query, args...); err != nil {
			return err
		}
		changes = changes[n:]
	}
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
