package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/gatehouse-dev/gatehouse/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// changeLogSize is how many rows the changes table keeps.
const changeLogSize = 10000

// migrationLock is the advisory lock key held while migrating: the bytes
// of "gatehous". Advisory locks are per database, so it only orders nodes
// that share one.
const migrationLock int64 = 0x676174656_86f7573

// Retries of an Update that PostgreSQL aborted (serialization failure,
// deadlock): at most maxAttempts runs, waiting a random time up to
// retryBase·2ⁿ (at most retryMax) between them.
const (
	maxAttempts = 50
	retryBase   = 2 * time.Millisecond
	retryMax    = 100 * time.Millisecond
)

// DB is a store.Store backed by a PostgreSQL database.
//
// Updates run concurrently, each on its own connection of the pool, in
// SERIALIZABLE transactions (see the package comment: fn may run more than
// once). An Update must not start another Update from inside its fn when
// the pool has a single connection; a View may run alongside Updates, and
// an Update may be started from inside a View's fn: the View keeps seeing
// its snapshot.
type DB struct {
	store.Feed

	pool *pgxpool.Pool

	// commitMu keeps publication in commit order within this process: it
	// is held from COMMIT until the changes are published. (Configuration
	// commits are ordered in the database by the meta row, which each of
	// them updates and holds locked until it commits.)
	commitMu sync.Mutex
	// lastRev is the last revision published to subscribers (this node's
	// commits and, through the feed, other nodes'). It is written under
	// commitMu only, so publication is in revision order: a local commit
	// first publishes the revisions other nodes committed before it.
	lastRev atomic.Int64

	logSize int // rows the changes table keeps (whole commits)

	// The cluster feed (feed.go).
	connCfg         *pgx.ConnConfig
	catchUpInterval time.Duration // the periodic catch-up's interval (catchUpEvery)
	log             *slog.Logger
	stopFollow      context.CancelFunc
	followDone      chan struct{}
	listenPID       atomic.Uint32                                      // backend pid of the LISTEN connection (tests)
	feedErr         atomic.Pointer[error]                              // see FeedErr
	feedObserver    atomic.Pointer[func(rev int64, lag time.Duration)] // see ObserveFeed
	name            string                                             // for UnavailableError: host, port and database
}

// Interface guard.
var _ store.Store = (*DB)(nil)

// ParseURL checks a connection URL (postgres:// or postgresql://, with
// pgx's parameters, such as pool_max_conns). Its error never shows the
// password.
func ParseURL(url string) error {
	_, err := parseConfig(url)
	return err
}

// parseConfig is pgxpool.ParseConfig with errors that do not quote the
// URL: pgx masks the password there only on a best-effort basis.
func parseConfig(url string) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		msg := err.Error()
		if _, reason, ok := strings.Cut(msg, "`: "); ok && strings.HasPrefix(msg, "cannot parse `") {
			msg = reason
		}
		return nil, fmt.Errorf("bad connection URL: %s", msg)
	}
	return cfg, nil
}

// Open connects to the database at url (a postgres:// URL; see ParseURL)
// and applies any pending migrations, under an advisory lock so that
// several nodes may open a fresh database at once. Its errors show the URL
// only with the password masked.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := parseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	db := &DB{pool: pool, logSize: changeLogSize, connCfg: cfg.ConnConfig, catchUpInterval: catchUpEvery,
		log: slog.Default(), name: fmt.Sprintf("PostgreSQL at %s:%d/%s", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database)}
	rev, err := db.Revision(ctx)
	if err != nil {
		pool.Close()
		return nil, err
	}
	db.lastRev.Store(rev)
	db.startFollow(ctx)
	return db, nil
}

// migrate applies the embedded migrations that the database has not seen
// yet, holding the migration lock.
func migrate(ctx context.Context, pool *pgxpool.Pool) (err error) {
	c, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer c.Release()
	if _, err := c.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLock); err != nil {
		return fmt.Errorf("migrate: take the migration lock: %w", err)
	}
	defer func() {
		// A session lock outlives a failed unlock: close the connection,
		// which releases it, rather than give it back to the pool.
		if _, uerr := c.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLock); uerr != nil {
			c.Conn().Close(context.WithoutCancel(ctx))
		}
	}()

	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// Close stops following other nodes' changes and closes the connection
// pool. Subscriptions stay open until their cancel functions are called.
func (db *DB) Close() error {
	db.stopFollow()
	<-db.followDone
	db.pool.Close()
	return nil
}

// View implements store.Store.
func (db *DB) View(ctx context.Context, fn func(store.Reader) error) error {
	t, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return db.unavailable(fmt.Errorf("postgres: begin read: %w", err))
	}
	defer t.Rollback(context.WithoutCancel(ctx))
	return db.unavailable(fn(reader{&conn{tx: t}}))
}

// Update implements store.Store. fn may run more than once (see DB).
func (db *DB) Update(ctx context.Context, fn func(store.Tx) error) error {
	return db.unavailable(db.retry(ctx, "update", func(q *conn) ([]store.Change, error) {
		wt := &tx{reader: reader{q}}
		if err := fn(wt); err != nil {
			return nil, err
		}
		return wt.changes, nil
	}))
}

// Reset implements store.Store.
func (db *DB) Reset(ctx context.Context) error {
	return db.unavailable(db.retry(ctx, "reset", func(q *conn) ([]store.Change, error) {
		for _, table := range []string{
			"usage_plan_keys", "usage", "quota_adjustments", "usage_plans", "api_keys", "client_certificates",
			"stages", "deployments", "apis", "domain_names", "changes",
		} {
			// DELETE, not TRUNCATE: TRUNCATE would wait for every open
			// View and is not MVCC-safe for those that start after it.
			if _, err := q.exec(ctx, "DELETE FROM "+table); err != nil {
				return nil, fmt.Errorf("postgres: reset: delete %s: %w", table, err)
			}
		}
		return []store.Change{{Kind: store.KindResync}}, nil
	}))
}

// retry runs one write transaction (run, then commit), again while
// PostgreSQL aborts it as a serialization failure or deadlock.
func (db *DB) retry(ctx context.Context, what string, run func(*conn) ([]store.Change, error)) error {
	for attempt := 1; ; attempt++ {
		again, err := db.write(ctx, run)
		if !again || attempt == maxAttempts {
			if again {
				return fmt.Errorf("postgres: %s: aborted %d times by concurrent writes: %w", what, attempt, err)
			}
			return err
		}
		wait := min(retryMax, retryBase<<min(attempt-1, 16))
		timer := time.NewTimer(rand.N(wait) + 1)
		select {
		case <-ctx.Done():
			timer.Stop()
			return fmt.Errorf("postgres: %s: %w (after %v)", what, ctx.Err(), err)
		case <-timer.C:
		}
	}
}

// write runs one attempt of a write transaction. again reports that
// PostgreSQL aborted it in a way a new attempt may not meet.
func (db *DB) write(ctx context.Context, run func(*conn) ([]store.Change, error)) (again bool, err error) {
	t, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable})
	if err != nil {
		return false, fmt.Errorf("postgres: begin write: %w", err)
	}
	defer t.Rollback(context.WithoutCancel(ctx))
	q := &conn{tx: t}
	changes, err := run(q)
	if err == nil {
		err = db.commit(ctx, q, changes)
	}
	return err != nil && q.aborted, err
}

// commit bumps the revision when there are changes, logs them, commits
// and publishes the changes.
func (db *DB) commit(ctx context.Context, q *conn, changes []store.Change) error {
	var gap []loggedCommit
	if len(changes) > 0 {
		var rev int64
		if err := q.row(ctx, "UPDATE meta SET revision = revision + 1 WHERE id = 1 RETURNING revision", nil, &rev); err != nil {
			return fmt.Errorf("postgres: bump revision: %w", err)
		}
		for i := range changes {
			changes[i].Revision = rev
		}
		var err error
		if gap, err = db.readGap(ctx, q, rev); err != nil { // before this commit's trim
			return fmt.Errorf("postgres: %w", err)
		}
		if err := db.logChanges(ctx, q, changes); err != nil {
			return fmt.Errorf("postgres: log changes: %w", err)
		}
		// Delivered to the other nodes' followers when this commits.
		if _, err := q.exec(ctx, "SELECT pg_notify($1, $2)", notifyChannel, strconv.FormatInt(rev, 10)); err != nil {
			return fmt.Errorf("postgres: notify: %w", err)
		}
	}
	db.commitMu.Lock()
	defer db.commitMu.Unlock()
	if err := q.note(q.tx.Commit(ctx)); err != nil {
		return fmt.Errorf("postgres: commit: %w", err)
	}
	if len(changes) > 0 {
		db.fillGap(gap, changes[0].Revision)
		db.publishRev(changes)
	}
	return nil
}

// logChanges appends changes to the change log in one statement, and
// trims the log to at most its last logSize rows, whole commits only (a
// follower must never read half a revision). A commit of more changes
// than the log holds is logged as one KindResync change: a follower that
// reads it reloads everything.
func (db *DB) logChanges(ctx context.Context, q *conn, changes []store.Change) error {
	if len(changes) > db.logSize {
		changes = []store.Change{{Revision: changes[0].Revision, Kind: store.KindResync}}
	}
	n := len(changes)
	kinds, ops, apis, ids, keys := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	for i, c := range changes {
		kinds[i], ops[i], apis[i], ids[i], keys[i] = string(c.Kind), string(c.Op), c.APIID, c.ID, c.KeyID
	}
	if _, err := q.exec(ctx,
		`INSERT INTO changes (revision, kind, op, api_id, id, key_id, at)
		SELECT $1, *, clock_timestamp() FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[])`,
		changes[0].Revision, kinds, ops, apis, ids, keys); err != nil {
		return err
	}
	// The revision of the newest row that falls outside the window, and
	// every row of it and before. (seq has gaps where attempts rolled
	// back, so the log may keep fewer rows; never more.)
	_, err := q.exec(ctx, `DELETE FROM changes WHERE revision <= (
		SELECT revision FROM changes WHERE seq <= (SELECT max(seq) FROM changes) - $1
		ORDER BY seq DESC LIMIT 1)`, db.logSize)
	return err
}

// Revision implements store.Store.
func (db *DB) Revision(ctx context.Context) (int64, error) {
	var rev int64
	if err := db.pool.QueryRow(ctx, "SELECT revision FROM meta WHERE id = 1").Scan(&rev); err != nil {
		return 0, db.unavailable(fmt.Errorf("postgres: revision: %w", err))
	}
	return rev, nil
}

// errUnstorable: a string argument PostgreSQL text cannot hold.
var errUnstorable = errors.New("the value holds a NUL byte or invalid UTF-8, which PostgreSQL text cannot hold")
