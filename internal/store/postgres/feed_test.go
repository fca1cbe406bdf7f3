package postgres

import (
	"context"
	"errors"
	"fmt"
	neturl "net/url"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/internal/store/postgres/pgtest"
	"github.com/gatehouse-dev/gatehouse/internal/store/storetest"
)

// feedWithin is the promise: a change committed on one node reaches the
// other nodes' subscribers within a second.
const feedWithin = time.Second

// subscribe subscribes to db's feed until the test ends.
func subscribe(t *testing.T, db *DB) <-chan []store.Change {
	t.Helper()
	ch, cancel := db.Subscribe()
	t.Cleanup(cancel)
	return ch
}

// next receives one commit from ch, failing the test when none arrives
// within d.
func next(t *testing.T, ch <-chan []store.Change, d time.Duration, what string) []store.Change {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case c := <-ch:
		return c
	case <-timer.C:
		t.Fatalf("%s: no commit within %v", what, d)
		return nil
	}
}

// following waits until db's feed has connected and caught up.
func following(t *testing.T, db *DB) {
	t.Helper()
	waitFor(t, "the change feed to connect", func() bool { return db.FeedErr() == nil })
}

// createPair commits an API and a usage plan named after i in one Update.
func createPair(ctx context.Context, db *DB, i int) error {
	return db.Update(ctx, func(tx store.Tx) error {
		return errors.Join(
			tx.CreateAPI(ctx, storetest.SampleAPI(fmt.Sprint("a", i))),
			tx.CreateUsagePlan(ctx, &apigw.UsagePlan{ID: fmt.Sprint("p", i)}))
	})
}

// wantPair checks that c is exactly createPair(i)'s commit at revision rev.
func wantPair(t *testing.T, c []store.Change, rev int64, i int) {
	t.Helper()
	want := []store.Change{
		{Revision: rev, Kind: store.KindAPI, Op: store.OpPut, ID: fmt.Sprint("a", i)},
		{Revision: rev, Kind: store.KindUsagePlan, Op: store.OpPut, ID: fmt.Sprint("p", i)},
	}
	if fmt.Sprint(c) != fmt.Sprint(want) {
		t.Fatalf("commit %d: got %v, want %v", rev, c, want)
	}
}

// TestFeedAcrossNodes: a write through A reaches B's subscribers and B's
// listeners within a second, as one whole batch with A's revision; A's
// own subscribers get it once.
func TestFeedAcrossNodes(t *testing.T) {
	url := pgtest.Database(t)
	a, b := openAt(t, url), openAt(t, url)
	following(t, b)
	ctx := t.Context()
	atA, atB := subscribe(t, a), subscribe(t, b)
	heard := make(chan []store.Change, 8)
	b.Listen(func(c []store.Change) { heard <- c })

	if err := createPair(ctx, a, 1); err != nil {
		t.Fatal(err)
	}
	wantPair(t, next(t, atB, feedWithin, "B's subscriber"), 1, 1)
	wantPair(t, next(t, heard, feedWithin, "B's listener"), 1, 1)
	wantPair(t, next(t, atA, feedWithin, "A's subscriber"), 1, 1)

	// A key deleted through B reaches A.
	if err := b.Update(ctx, func(tx store.Tx) error { return tx.DeleteUsagePlan(ctx, "p1") }); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprint([]store.Change{{Revision: 2, Kind: store.KindUsagePlan, Op: store.OpDelete, ID: "p1"}})
	if got := next(t, atA, feedWithin, "A's subscriber"); fmt.Sprint(got) != want {
		t.Fatalf("A got %v, want %v", got, want)
	}
	select {
	case c := <-atA:
		t.Fatalf("A's subscriber got a second batch %v", c)
	default:
	}
}

// TestFeedNotify: with the periodic catch-up out of the way, the
// notification alone brings a write through A to B.
func TestFeedNotify(t *testing.T) {
	url := pgtest.Database(t)
	a, b := openAt(t, url), openAt(t, url)
	b.stopFollow()
	<-b.followDone
	b.catchUpInterval = time.Hour
	b.startFollow(t.Context())
	following(t, b)
	atB := subscribe(t, b)
	for i := range 3 {
		if err := createPair(t.Context(), a, i); err != nil {
			t.Fatal(err)
		}
		wantPair(t, next(t, atB, feedWithin, "B, by notification"), int64(i+1), i)
	}
}

// TestFeedOrder: nodes writing at once; every node's subscriber sees every
// revision exactly once, whole, in order (a node's own commit is published
// only after the other nodes' earlier ones).
func TestFeedOrder(t *testing.T) {
	url := pgtest.Database(t)
	nodes := []*DB{openAt(t, url), openAt(t, url), openAt(t, url)}
	subs := make([]<-chan []store.Change, len(nodes))
	for i, n := range nodes {
		following(t, n)
		subs[i] = subscribe(t, n)
	}
	const perNode = 20
	ctx := t.Context()
	var wg sync.WaitGroup
	errs := make(chan error, len(nodes))
	for i, n := range nodes {
		wg.Go(func() {
			for j := range perNode {
				if err := createPair(ctx, n, i*perNode+j); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for i, ch := range subs {
		for rev := int64(1); rev <= perNode*int64(len(nodes)); rev++ {
			c := next(t, ch, feedWithin, fmt.Sprint("node ", i))
			if len(c) != 2 || c[0].Revision != rev || c[1].Revision != rev || c[0].Kind != store.KindAPI ||
				c[0].ID != "a"+c[1].ID[1:] {
				t.Fatalf("node %d: commit %d: got %v", i, rev, c)
			}
		}
	}
}

// TestFeedReconnect: when B's LISTEN connection is killed, B reconnects
// with backoff and catches up by revision; no change is lost.
func TestFeedReconnect(t *testing.T) {
	url := pgtest.Database(t)
	a, b := openAt(t, url), openAt(t, url)
	following(t, b)
	atB := subscribe(t, b)
	ctx := t.Context()
	pid := b.listenPID.Load()
	var killed bool
	if err := raw(t, url).QueryRow(ctx, "SELECT pg_terminate_backend($1)", int32(pid)).Scan(&killed); err != nil || !killed {
		t.Fatalf("pg_terminate_backend(%d) = %v, %v", pid, killed, err)
	}
	for i := range 5 {
		if err := createPair(ctx, a, i); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 5 {
		wantPair(t, next(t, atB, feedWithin, "B after reconnecting"), int64(i+1), i)
	}
	if now := b.listenPID.Load(); now == pid {
		t.Fatalf("B's LISTEN connection is still backend %d", pid)
	}
}

// TestFeedCatchUp: a change committed without a notification (as if the
// notification were lost) reaches B by the periodic catch-up.
func TestFeedCatchUp(t *testing.T) {
	url := pgtest.Database(t)
	b := openAt(t, url)
	following(t, b)
	atB := subscribe(t, b)
	ctx := t.Context()
	if _, err := raw(t, url).Exec(ctx, `BEGIN;
		UPDATE meta SET revision = revision + 1;
		INSERT INTO changes (revision, kind, op, api_id, id, key_id) VALUES (1, 'apikey', 'delete', '', 'k1', '');
		COMMIT`); err != nil {
		t.Fatal(err)
	}
	// At most one catch-up interval plus the read.
	got := next(t, atB, catchUpEvery+feedQueryTimeout/5, "B without a notification")
	want := fmt.Sprint([]store.Change{{Revision: 1, Kind: store.KindAPIKey, Op: store.OpDelete, ID: "k1"}})
	if fmt.Sprint(got) != want {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// TestFeedWindowOverrun: when the change log no longer holds revisions a
// node missed, its subscribers get one KindResync at the last revision,
// then the feed goes on normally.
func TestFeedWindowOverrun(t *testing.T) {
	url := pgtest.Database(t)
	a, b := openAt(t, url), openAt(t, url)
	a.logSize = 2
	following(t, b)
	atB := subscribe(t, b)
	ctx := t.Context()
	// B stops following (as if disconnected) while A commits more than
	// the log keeps.
	b.stopFollow()
	<-b.followDone
	for i := range 3 {
		if err := createPair(ctx, a, i); err != nil {
			t.Fatal(err)
		}
	}
	b.startFollow(ctx)
	want := fmt.Sprint([]store.Change{{Revision: 3, Kind: store.KindResync}})
	if got := next(t, atB, feedWithin, "B after the overrun"); fmt.Sprint(got) != want {
		t.Fatalf("got %v, want %v", got, want)
	}
	if err := createPair(ctx, a, 3); err != nil {
		t.Fatal(err)
	}
	wantPair(t, next(t, atB, feedWithin, "B after the resync"), 4, 3)
}

// TestFeedLocalCommitAfterRemote: a node that has not yet heard of another
// node's commit publishes it before its own later one, with a small pool
// (the committing transaction reads the gap itself; Open needs two
// connections, one holding the migration lock).
func TestFeedLocalCommitAfterRemote(t *testing.T) {
	url := pgtest.Database(t)
	u, err := neturl.Parse(url)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("pool_max_conns", "2")
	u.RawQuery = q.Encode()
	a, b := openAt(t, url), openAt(t, u.String())
	following(t, b)
	atB := subscribe(t, b)
	ctx := t.Context()
	b.stopFollow()
	<-b.followDone
	t.Cleanup(func() { b.startFollow(context.Background()) }) // for Close
	if err := createPair(ctx, a, 1); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	if err := createPair(ctx, b, 2); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(began); d > feedWithin {
		t.Fatalf("B's Update took %v", d)
	}
	wantPair(t, next(t, atB, feedWithin, "A's commit at B"), 1, 1)
	wantPair(t, next(t, atB, feedWithin, "B's commit at B"), 2, 2)
}
