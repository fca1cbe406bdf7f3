package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// The cluster feed: every committed configuration change is in the
// changes table under its revision, and each commit NOTIFYs notifyChannel
// with its revision (delivered when, and only if, it commits). Each DB
// follows the database on a connection of its own, outside the pool: it
// LISTENs, and on a notification or every catchUpEvery reads the changes
// after the last revision it has published and publishes them, one batch
// per revision, exactly as its own commits are published. Its own commits
// are published by commit, under commitMu, which also keeps the two in
// revision order (see DB.lastRev).
const (
	// notifyChannel is the LISTEN/NOTIFY channel; channels are per
	// database, so nodes on other databases do not hear each other.
	notifyChannel = "gatehouse_changes"
	// catchUpEvery bounds what a lost notification costs: the follower
	// reads the change log at least this often.
	catchUpEvery = time.Second
	// feedQueryTimeout bounds one catch-up read (and so the time a dead
	// connection that TCP has not noticed goes unnoticed).
	feedQueryTimeout = 5 * time.Second
	// Reconnection backoff: a random wait up to feedRetryMin·2ⁿ, at most
	// feedRetryMax, reset once a connection has been up for a catch-up.
	feedRetryMin = 50 * time.Millisecond
	feedRetryMax = 5 * time.Second
)

// startFollow starts following the other nodes' changes; Close stops it.
func (db *DB) startFollow(ctx context.Context) {
	starting := errFeedStarting
	db.feedErr.Store(&starting)
	fctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	db.stopFollow, db.followDone = stop, make(chan struct{})
	go db.follow(fctx)
}

// follow keeps a LISTEN connection to the database until ctx ends,
// reconnecting with backoff when it drops. While it is down the node
// serves the state it last published.
func (db *DB) follow(ctx context.Context) {
	defer close(db.followDone)
	failures := 0
	for {
		err := db.listen(ctx, func() { failures = 0 })
		if ctx.Err() != nil {
			return
		}
		db.feedErr.Store(&err)
		if failures == 0 {
			db.log.Warn("postgres: change feed connection lost; serving the last state, reconnecting", "error", err)
		}
		failures++
		wait := min(feedRetryMax, feedRetryMin<<min(failures-1, 16))
		timer := time.NewTimer(rand.N(wait) + 1)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
	}
}

// listen connects, LISTENs and catches up, then waits for notifications,
// catching up on each and at least every catchUpEvery, until the
// connection fails or ctx ends. up is called after each successful
// catch-up.
func (db *DB) listen(ctx context.Context, up func()) error {
	cctx, cancel := context.WithTimeout(ctx, feedQueryTimeout)
	c, err := pgx.ConnectConfig(cctx, db.connCfg.Copy())
	cancel()
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), feedQueryTimeout)
		defer cancel()
		c.Close(cctx)
	}()
	// LISTEN before the first catch-up, so that a commit between the two
	// is either read or notified.
	if _, err := c.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	db.listenPID.Store(c.PgConn().PID())
	for {
		if err := db.catchUp(ctx, c); err != nil {
			return err
		}
		db.feedErr.Store(nil)
		up()
		next := time.Now().Add(db.catchUpInterval)
		for {
			wctx, cancel := context.WithDeadline(ctx, next)
			n, err := c.WaitForNotification(wctx)
			cancel()
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err != nil {
				if c.IsClosed() {
					return fmt.Errorf("wait for notification: %w", err)
				}
				break // the periodic catch-up
			}
			// A notification of a revision already published (this
			// node's own commits) needs no read.
			if rev, perr := strconv.ParseInt(n.Payload, 10, 64); perr != nil || rev > db.lastRev.Load() {
				break
			}
		}
	}
}

// querier is what catch-up reads the change log through: the follower's
// connection or the pool.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// catchUp reads the changes committed after the last published revision
// and publishes them.
func (db *DB) catchUp(ctx context.Context, q querier) error {
	ctx, cancel := context.WithTimeout(ctx, feedQueryTimeout)
	defer cancel()
	// Read outside commitMu (local commits need not wait for it); the
	// revisions published meanwhile are skipped by publishLogged.
	commits, err := readLog(ctx, q, db.lastRev.Load(), 0)
	if err != nil {
		return err
	}
	db.commitMu.Lock()
	defer db.commitMu.Unlock()
	db.publishLogged(commits)
	return nil
}

// readGap reads, inside the transaction that took revision rev, the
// revisions other nodes committed since the last one this node published.
// The transaction sees them all: under SERIALIZABLE its bump of the meta
// row would have failed had revision rev-1 committed after its snapshot.
// Reading them here, not after COMMIT, needs no second connection while
// commitMu is held.
func (db *DB) readGap(ctx context.Context, q *conn, rev int64) ([]loggedCommit, error) {
	last := db.lastRev.Load()
	if rev <= last+1 {
		return nil, nil
	}
	commits, err := readLog(ctx, q.tx, last, rev)
	return commits, q.note(err)
}

// fillGap, called under commitMu before publishing a local commit of
// revision rev, publishes the other nodes' revisions before it (read by
// readGap; those published meanwhile are skipped), so that subscribers see
// every revision in order. When the log no longer holds them all they get
// a KindResync instead.
func (db *DB) fillGap(gap []loggedCommit, rev int64) {
	db.publishLogged(gap)
	if db.lastRev.Load() < rev-1 {
		db.log.Warn("postgres: the change log no longer holds revisions this node missed; subscribers resync",
			"from", db.lastRev.Load()+1, "to", rev-1)
		db.publishRev([]store.Change{{Revision: rev - 1, Kind: store.KindResync}})
	}
}

// loggedCommit is one revision read from the change log, with when it
// was logged (just before its COMMIT).
type loggedCommit struct {
	changes []store.Change
	at      time.Time
}

// readLog returns the logged commits with after < revision (and revision
// < before, unless before is 0), one per revision, in order. One
// statement: a commit is read whole or not at all.
func readLog(ctx context.Context, q querier, after, before int64) ([]loggedCommit, error) {
	sql := "SELECT revision, kind, op, api_id, id, key_id, at FROM changes WHERE revision > $1"
	args := []any{after}
	if before > 0 {
		sql += " AND revision < $2"
		args = append(args, before)
	}
	rows, err := q.Query(ctx, sql+" ORDER BY seq", args...)
	if err != nil {
		return nil, fmt.Errorf("read the change log: %w", err)
	}
	defer rows.Close()
	var commits []loggedCommit
	for rows.Next() {
		var c store.Change
		var kind, op string
		var at time.Time
		if err := rows.Scan(&c.Revision, &kind, &op, &c.APIID, &c.ID, &c.KeyID, &at); err != nil {
			return nil, fmt.Errorf("read the change log: %w", err)
		}
		c.Kind, c.Op = store.Kind(kind), store.Op(op)
		if n := len(commits); n > 0 && commits[n-1].changes[0].Revision == c.Revision {
			commits[n-1].changes = append(commits[n-1].changes, c)
		} else {
			commits = append(commits, loggedCommit{changes: []store.Change{c}, at: at})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the change log: %w", err)
	}
	return commits, nil
}

// publishLogged publishes, under commitMu, the commits read from the log
// that are after the last published revision. A revision missing from the
// log (trimmed before this node read it) makes subscribers resync once,
// at the last revision read, instead.
func (db *DB) publishLogged(commits []loggedCommit) {
	for i, c := range commits {
		rev := c.changes[0].Revision
		last := db.lastRev.Load()
		switch {
		case rev <= last:
			continue
		case rev > last+1:
			end := commits[len(commits)-1].changes[0].Revision
			db.log.Warn("postgres: the change log no longer holds revisions this node missed; subscribers resync",
				"from", last+1, "to", rev-1)
			db.publishRev([]store.Change{{Revision: end, Kind: store.KindResync}})
			db.observe(end, commits[len(commits)-1].at)
			return
		}
		db.publishRev(commits[i].changes)
		db.observe(rev, c.at)
	}
}

// ObserveFeed sets f to be called with each revision another node
// committed, once this node has published it, and how long after it was
// logged (just before its COMMIT) that was: the feed's lag, for
// /metrics. The lag compares this machine's clock with the database's.
func (db *DB) ObserveFeed(f func(rev int64, lag time.Duration)) {
	db.feedObserver.Store(&f)
}

// PublishedRevision is the last revision this node has published (its
// own commits and other nodes'), for /metrics: nodes whose values differ
// for longer than a catch-up are behind.
func (db *DB) PublishedRevision() int64 { return db.lastRev.Load() }

func (db *DB) observe(rev int64, at time.Time) {
	if f := db.feedObserver.Load(); f != nil && *f != nil {
		(*f)(rev, time.Since(at))
	}
}

// publishRev publishes one commit and records its revision as published.
// Callers hold commitMu.
func (db *DB) publishRev(changes []store.Change) {
	db.Publish(changes)
	db.lastRev.Store(changes[len(changes)-1].Revision)
}

// FeedErr reports whether this node follows the other nodes' changes: nil
// while its LISTEN connection is up, else why not (the node then serves
// the state it last published).
func (db *DB) FeedErr() error {
	if p := db.feedErr.Load(); p != nil && *p != nil {
		return fmt.Errorf("postgres: change feed: %w", *p)
	}
	return nil
}

// errFeedStarting is FeedErr's answer before the first catch-up.
var errFeedStarting = errors.New("not connected yet")
