package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// recv returns the next change from ch.
func recv(t *testing.T, ch <-chan store.Change) store.Change {
	t.Helper()
	select {
	case c, ok := <-ch:
		if !ok {
			t.Fatal("change feed closed")
		}
		return c
	case <-time.After(feedTimeout):
		t.Fatalf("no change within %v", feedTimeout)
	}
	panic("unreachable")
}

// recvN returns the next n changes from ch.
func recvN(t *testing.T, ch <-chan store.Change, n int) []store.Change {
	t.Helper()
	out := make([]store.Change, 0, n)
	for range n {
		out = append(out, recv(t, ch))
	}
	return out
}

// subscribe subscribes, flattens the commits into single changes, and
// cancels the subscription at cleanup.
func subscribe(t *testing.T, s store.Store) <-chan store.Change {
	ch, cancel := s.Subscribe()
	t.Cleanup(cancel)
	return flatten(ch)
}

// flatten forwards every change of every commit; it closes its channel
// when the subscription's closes.
func flatten(in <-chan []store.Change) <-chan store.Change {
	out := make(chan store.Change, 4096)
	go func() {
		defer close(out)
		for commit := range in {
			for _, c := range commit {
				out <- c
			}
		}
	}()
	return out
}

// sameChanges fails the test unless got holds exactly the changes of want,
// in any order, ignoring revisions.
func sameChanges(t *testing.T, what string, want, got []store.Change) {
	t.Helper()
	norm := func(cs []store.Change) []store.Change {
		out := make([]store.Change, len(cs))
		for i, c := range cs {
			c.Revision = 0
			out[i] = c
		}
		slices.SortFunc(out, func(a, b store.Change) int {
			return cmpString(fmt.Sprint(a), fmt.Sprint(b))
		})
		return out
	}
	diff(t, what, norm(want), norm(got))
}

// changesOf commits fn and returns the changes it published.
func changesOf(t *testing.T, s store.Store, fn func(context.Context, store.Tx) error) []store.Change {
	t.Helper()
	ch := subscribe(t, s)
	update(t, s, fn)
	// Commit a marker to know where fn's changes end.
	marker := store.Change{Kind: store.KindAPIKey, Op: store.OpPut, ID: "end-marker"}
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.CreateAPIKey(ctx, SampleAPIKey(marker.ID))
	})
	var out []store.Change
	for {
		c := recv(t, ch)
		if c.Kind == store.KindResync {
			t.Fatal("unexpected resync")
		}
		if x := c; x.Revision != 0 {
			x.Revision = 0
			if x == marker {
				return out
			}
		}
		out = append(out, c)
	}
}

func testRevision(t *testing.T, s store.Store) {
	steps := []struct {
		name string
		fn   func(context.Context, store.Tx) error
		want int64
	}{
		{"one write", createAPI("a1"), 1},
		{"several writes", func(ctx context.Context, tx store.Tx) error {
			return errors.Join(
				tx.CreateUsagePlan(ctx, SampleUsagePlan("p1")),
				tx.CreateAPIKey(ctx, SampleAPIKey("k1")),
				tx.AddUsagePlanKey(ctx, "p1", "k1"),
				tx.UpdateAPI(ctx, SampleAPI("a1")))
		}, 2},
		{"usage only", func(ctx context.Context, tx store.Tx) error {
			return errors.Join(
				tx.AddUsage(ctx, []store.UsageRecord{{PlanID: "p1", KeyID: "k1", Day: day(1), Count: 3}}),
				tx.SetQuotaAdjustment(ctx, store.QuotaAdjustment{PlanID: "p1", KeyID: "k1", PeriodStart: day(1), Delta: 2}))
		}, 2},
		{"read only", func(ctx context.Context, tx store.Tx) error {
			_, err := tx.GetAPI(ctx, "a1")
			return err
		}, 2},
		{"nothing", func(context.Context, store.Tx) error { return nil }, 2},
		{"delete", func(ctx context.Context, tx store.Tx) error { return tx.DeleteAPIKey(ctx, "k1") }, 3},
	}
	if rev := revision(t, s); rev != 0 {
		t.Fatalf("revision of an empty store = %d, want 0", rev)
	}
	for _, st := range steps {
		update(t, s, st.fn)
		if rev := revision(t, s); rev != st.want {
			t.Fatalf("after %s: revision = %d, want %d", st.name, rev, st.want)
		}
	}
	err := updateErr(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteAPI(ctx, "nope") })
	wantErr(t, "failed update", err, store.ErrNotFound)
	if rev := revision(t, s); rev != 3 {
		t.Fatalf("after a failed update: revision = %d, want 3", rev)
	}
}

func testSubscribe(t *testing.T, s store.Store) {
	raw, cancel := s.Subscribe()
	ch := flatten(raw)
	other := subscribe(t, s)
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		return errors.Join(
			tx.CreateAPI(ctx, SampleAPI("a1")),
			tx.CreateDeployment(ctx, SampleDeployment("a1", "d1")),
			tx.CreateStage(ctx, SampleStage("a1", "prod", "d1")),
			tx.CreateAPIKey(ctx, SampleAPIKey("k1")),
			tx.CreateUsagePlan(ctx, SampleUsagePlan("p1")),
			tx.AddUsagePlanKey(ctx, "p1", "k1"),
			tx.AddUsage(ctx, []store.UsageRecord{{PlanID: "p1", KeyID: "k1", Day: day(1), Count: 3}}))
	})
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		return errors.Join(
			tx.UpdateStage(ctx, SampleStage("a1", "prod", "d1")),
			tx.RemoveUsagePlanKey(ctx, "p1", "k1"),
			tx.DeleteDeployment(ctx, "a1", "d1"))
	})
	want := []store.Change{
		{Revision: 1, Kind: store.KindAPI, Op: store.OpPut, ID: "a1"},
		{Revision: 1, Kind: store.KindDeployment, Op: store.OpPut, APIID: "a1", ID: "d1"},
		{Revision: 1, Kind: store.KindStage, Op: store.OpPut, APIID: "a1", ID: "prod"},
		{Revision: 1, Kind: store.KindAPIKey, Op: store.OpPut, ID: "k1"},
		{Revision: 1, Kind: store.KindUsagePlan, Op: store.OpPut, ID: "p1"},
		{Revision: 1, Kind: store.KindUsagePlanKey, Op: store.OpPut, ID: "p1", KeyID: "k1"},
		{Revision: 2, Kind: store.KindStage, Op: store.OpPut, APIID: "a1", ID: "prod"},
		{Revision: 2, Kind: store.KindUsagePlanKey, Op: store.OpDelete, ID: "p1", KeyID: "k1"},
		{Revision: 2, Kind: store.KindDeployment, Op: store.OpDelete, APIID: "a1", ID: "d1"},
	}
	diff(t, "changes", want, recvN(t, ch, len(want)))
	diff(t, "changes of a second subscriber", want, recvN(t, other, len(want)))

	cancel()
	cancel() // idempotent
	select {
	case c, ok := <-ch:
		if ok {
			t.Fatalf("received %+v after cancel", c)
		}
	case <-time.After(feedTimeout):
		t.Fatal("channel not closed by cancel")
	}
	// Writes after cancel do not panic and still reach other subscribers.
	update(t, s, createAPI("a2"))
	diff(t, "after cancel", store.Change{Revision: 3, Kind: store.KindAPI, Op: store.OpPut, ID: "a2"}, recv(t, other))
}

func testSlowSubscriber(t *testing.T, s store.Store) {
	const n = 2048 // commits: twice store.Feed's buffer
	ch, cancel := s.Subscribe()
	t.Cleanup(cancel)
	for i := range n {
		update(t, s, func(ctx context.Context, tx store.Tx) error {
			return tx.CreateUsagePlan(ctx, SampleUsagePlan(fmt.Sprint("p", i)))
		})
	}
	// Update has returned, so whatever was delivered is in the buffer.
	got := 0
drain:
	for {
		select {
		case commit := <-ch:
			if commit[0].Kind == store.KindResync {
				break drain
			}
			got++
		default:
			break drain
		}
	}
	if got >= n {
		t.Fatalf("subscriber received all %d commits; the test needs a bigger n", got)
	}
	update(t, s, createAPI("a1"))
	commit := recvCommit(t, ch)
	if len(commit) != 1 || commit[0].Kind != store.KindResync || commit[0].Revision < 1 {
		t.Fatalf("after falling behind got %+v, want a resync", commit)
	}
	// Once resynced, the subscriber receives whole commits again.
	update(t, s, createAPI("a2"))
	for {
		commit := recvCommit(t, ch)
		if c := commit[0]; c.Kind == store.KindAPI && c.ID == "a2" {
			diff(t, "commit after resync", []store.Change{{Revision: n + 2, Kind: store.KindAPI, Op: store.OpPut, ID: "a2"}}, commit)
			break
		}
	}
}

// recvCommit returns the next commit from ch.
func recvCommit(t *testing.T, ch <-chan []store.Change) []store.Change {
	t.Helper()
	select {
	case c, ok := <-ch:
		if !ok {
			t.Fatal("change feed closed")
		}
		return c
	case <-time.After(feedTimeout):
		t.Fatalf("no commit within %v", feedTimeout)
	}
	panic("unreachable")
}
