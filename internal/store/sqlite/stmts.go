package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// maxCachedStmts bounds a pool's statement cache. The package issues a few
// dozen distinct query texts; the bound only guards against a text that
// would ever be built from data.
const maxCachedStmts = 256

// stmtCache keeps one prepared statement per distinct query text for a
// connection pool, so that SQLite parses a query once per connection
// rather than on every call (parsing dominated bulk writes such as key
// imports).
//
// A pool statement cannot be prepared from inside a transaction: preparing
// takes a connection of the pool, and the writer pool has only the one the
// transaction holds. So a query first seen in a transaction is prepared on
// that transaction alone and noted as pending; the pending queries are
// prepared for the pool before the next transaction begins, while the
// goroutine holds no connection.
type stmtCache struct {
	db *sql.DB

	mu      sync.Mutex
	stmts   map[string]*sql.Stmt
	pending map[string]bool
	closed  bool
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, stmts: map[string]*sql.Stmt{}, pending: map[string]bool{}}
}

// lookup returns the pool statement of query, or nil after noting query as
// pending.
func (c *stmtCache) lookup(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.stmts[query]; st != nil {
		return st
	}
	if !c.closed && len(c.stmts)+len(c.pending) < maxCachedStmts {
		c.pending[query] = true
	}
	return nil
}

// preparePending prepares the pending queries for the pool. The caller
// must hold no connection of the pool. A query that fails to prepare is
// dropped: it is noted again when next used, and its transaction then
// reports the error where it happens.
func (c *stmtCache) preparePending(ctx context.Context) {
	c.mu.Lock()
	if len(c.pending) == 0 {
		c.mu.Unlock()
		return
	}
	queries := make([]string, 0, len(c.pending))
	for q := range c.pending {
		queries = append(queries, q)
	}
	clear(c.pending)
	c.mu.Unlock()

	for _, q := range queries {
		st, err := c.db.PrepareContext(ctx, q)
		if err != nil {
			continue
		}
		c.mu.Lock()
		if c.closed || c.stmts[q] != nil {
			c.mu.Unlock()
			st.Close()
			continue
		}
		c.stmts[q] = st
		c.mu.Unlock()
	}
}

// close closes the pool statements; later lookups find none.
func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	var errs []error
	for q, st := range c.stmts {
		errs = append(errs, st.Close())
		delete(c.stmts, q)
	}
	clear(c.pending)
	return errors.Join(errs...)
}

// sqlTx is a transaction that runs every query as a prepared statement:
// the pool's statement where there is one (database/sql reuses it on the
// transaction's connection once it has been prepared there), else one
// prepared on the transaction. Each query text is resolved once per
// transaction.
//
// A statement is shared by all calls with the same text, so a query must
// not run again while rows it returned are still open, and the methods of
// one transaction must not be called concurrently; the store's methods
// read their rows to the end before returning.
type sqlTx struct {
	tx    *sql.Tx
	cache *stmtCache
	stmts map[string]*sql.Stmt
}

func newSQLTx(tx *sql.Tx, cache *stmtCache) *sqlTx {
	return &sqlTx{tx: tx, cache: cache, stmts: map[string]*sql.Stmt{}}
}

// stmt returns the transaction's statement of query.
func (t *sqlTx) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st := t.stmts[query]; st != nil {
		return st, nil
	}
	var st *sql.Stmt
	if ps := t.cache.lookup(query); ps != nil {
		st = t.tx.StmtContext(ctx, ps)
	} else {
		var err error
		if st, err = t.tx.PrepareContext(ctx, query); err != nil {
			return nil, err
		}
	}
	t.stmts[query] = st
	return st, nil
}

// QueryContext is sql.Tx's. A query that cannot be prepared runs
// unprepared, which reports its error the usual way.
func (t *sqlTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := t.stmt(ctx, query)
	if err != nil {
		return t.tx.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

// QueryRowContext is sql.Tx's, prepared as QueryContext is.
func (t *sqlTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := t.stmt(ctx, query)
	if err != nil {
		return t.tx.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// ExecContext is sql.Tx's, prepared as QueryContext is.
func (t *sqlTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := t.stmt(ctx, query)
	if err != nil {
		return t.tx.ExecContext(ctx, query, args...)
	}
	return st.ExecContext(ctx, args...)
}
