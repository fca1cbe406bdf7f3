package redis_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/counters"
	"github.com/gatehouse-dev/gatehouse/internal/counters/redis"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// errDied stands for a node killed at a stage of its usage flush.
var errDied = errors.New("node killed (test)")

// foldCluster is nodes on one Redis prefix and one store, with one fake
// clock.
type foldCluster struct {
	t      *testing.T
	c      *goredis.Client
	prefix string
	st     store.Store
	now    atomic.Int64 // ns
}

func newFoldCluster(t *testing.T) *foldCluster {
	c := needRedis(t)
	fc := &foldCluster{t: t, c: c, prefix: newPrefix(t, c), st: newStore(t)}
	fc.now.Store(t0.UnixNano())
	ctx := context.Background()
	if err := fc.st.Update(ctx, func(tx store.Tx) error {
		return tx.CreateUsagePlan(ctx, &apigw.UsagePlan{ID: "plan", Name: "plan"})
	}); err != nil {
		t.Fatal(err)
	}
	return fc
}

func (fc *foldCluster) node() counters.Backend {
	fc.t.Helper()
	b, err := counters.Open(context.Background(), testURL(), counters.Options{
		Store: fc.st, Prefix: fc.prefix, Now: func() time.Time { return time.Unix(0, fc.now.Load()).UTC() }})
	if err != nil {
		fc.t.Fatal(err)
	}
	fc.t.Cleanup(func() { b.Close() })
	return b
}

func (fc *foldCluster) advance(d time.Duration) { fc.now.Add(int64(d)) }

// record counts n requests of key k on b.
func (fc *foldCluster) record(b counters.Backend, k string, n int) {
	fc.t.Helper()
	for range n {
		if err := b.Record(context.Background(), "plan", k, t0); err != nil {
			fc.t.Fatal(err)
		}
	}
}

// stored is the store's usage by key.
func (fc *foldCluster) stored() map[string]int64 {
	fc.t.Helper()
	got := map[string]int64{}
	err := fc.st.View(context.Background(), func(r store.Reader) error {
		us, err := r.ListUsage(context.Background(), "plan", "", t0.Add(-48*time.Hour), t0.Add(48*time.Hour))
		for _, u := range us {
			got[u.KeyID] += u.Count
		}
		return err
	})
	if err != nil {
		fc.t.Fatal(err)
	}
	return got
}

// leftInRedis is the number of usage keys (shards, folds, fold indexes)
// left under the prefix.
func (fc *foldCluster) leftInRedis() int {
	fc.t.Helper()
	keys, err := fc.c.Keys(context.Background(), fc.prefix+"u{*").Result()
	if err != nil {
		fc.t.Fatal(err)
	}
	return len(keys)
}

func (fc *foldCluster) want(step string, want map[string]int64) {
	fc.t.Helper()
	if got := fc.stored(); fmt.Sprint(got) != fmt.Sprint(want) {
		fc.t.Fatalf("%s: store's usage = %v, want %v", step, got, want)
	}
}

// A node killed between moving its usage folds out of the shards and
// writing them to the store loses nothing: another node's flush writes
// them once they are FoldStale old (not before: their node may still be
// writing them), and a fold written but not deleted when its node died
// is taken up again and counts once.
func TestUsageFoldSurvivesNodeDeath(t *testing.T) {
	ctx := context.Background()
	for _, stage := range []string{"taken", "written"} {
		t.Run("died after "+stage, func(t *testing.T) {
			fc := newFoldCluster(t)
			a, b := fc.node(), fc.node()
			fc.record(a, "k1", 40)
			fc.record(a, "k2", 7)
			died := 0
			redis.SetFoldHook(a, func(s string) error {
				if s == stage {
					died++
					return errDied
				}
				return nil
			})
			if err := a.Flush(ctx); !errors.Is(err, errDied) {
				t.Fatalf("node a's Flush = %v, want it killed", err)
			}
			if died != 1 {
				t.Fatalf("hook at %q ran %d times, want 1", stage, died)
			}
			// a is dead: b goes on counting.
			fc.record(b, "k1", 5)
			fc.record(b, "k3", 2)
			wantA := map[string]int64{"k1": 40, "k2": 7}
			if stage == "taken" {
				wantA = map[string]int64{}
			}
			fc.want("after a died", wantA)

			// Before a's folds are FoldStale old, b writes only its own counts.
			fc.advance(redis.FoldStale(b) - time.Millisecond)
			if err := b.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			if stage == "taken" {
				fc.want("b's flush before a's folds are stale", map[string]int64{"k1": 5, "k3": 2})
			} else {
				fc.want("b's flush before a's folds are stale", map[string]int64{"k1": 45, "k2": 7, "k3": 2})
			}
			if n := fc.leftInRedis(); n == 0 {
				t.Fatal("a's folds are gone from Redis before any node wrote or found them written")
			}

			// Then b takes them up: everything counted is in the store, once.
			fc.advance(time.Millisecond)
			for i := range 2 {
				if err := b.Flush(ctx); err != nil {
					t.Fatalf("flush %d: %v", i, err)
				}
				fc.want("b's flush after a's folds are stale", map[string]int64{"k1": 45, "k2": 7, "k3": 2})
			}
			if n := fc.leftInRedis(); n != 0 {
				t.Errorf("%d usage keys left in Redis after every fold was written, want 0", n)
			}
		})
	}
}

// A fold the store refuses stays in Redis and is written by the node's
// next flush; meanwhile the node moves no new fold of that shard (the
// counts wait in the shard) and another node leaves it alone until it is
// FoldStale old.
func TestUsageFoldStoreRefusesThenWrites(t *testing.T) {
	ctx := context.Background()
	fc := newFoldCluster(t)
	a, b := fc.node(), fc.node()
	fc.record(a, "k1", 10)
	refuse := true
	redis.SetFoldHook(a, func(s string) error {
		if s == "taken" && refuse {
			return errors.New("store down (test)")
		}
		return nil
	})
	for i := range 3 {
		if err := a.Flush(ctx); err == nil {
			t.Fatalf("flush %d with the store down succeeded", i)
		}
		fc.record(a, "k1", 1)
		fc.advance(time.Second)
	}
	if err := b.Flush(ctx); err != nil { // a's fold is 3 s old: not b's to write
		t.Fatal(err)
	}
	fc.want("b's flush while a's fold is fresh", map[string]int64{"k1": 3})
	refuse = false
	if err := a.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	fc.want("a's flush once the store is back", map[string]int64{"k1": 13})
	if n := fc.leftInRedis(); n != 0 {
		t.Errorf("%d usage keys left in Redis after every fold was written, want 0", n)
	}
}
