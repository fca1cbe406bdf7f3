package counters

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/store"
)

const nsPerDay = int64(24 * time.Hour)

// dayOf is the UTC day number (days since 1970-01-01) of a Unix ns time.
// Unix time has no leap seconds, so every UTC day is nsPerDay long.
func dayOf(ns int64) int64 {
	d := ns / nsPerDay
	if ns%nsPerDay < 0 {
		d--
	}
	return d
}

type usageKey struct {
	planID, keyID string
	day           int64 // UTC day number, see dayOf
}

type usageCount struct {
	n int64 // requests not yet flushed
}

func (l *Local) usageHash(k usageKey) uint64 {
	return hashStrings(l.seed, 0, k.planID, k.keyID, "") ^ uint64(k.day)*0x9E3779B97F4A7C15
}

// Record implements Usage. The count stays in memory until a Flush
// commits it.
func (l *Local) Record(_ context.Context, planID, keyID string, now time.Time) error {
	k := usageKey{planID, keyID, dayOf(now.UnixNano())}
	h := l.usageHash(k)
	s := l.usage.shard(h)
	s.mu.Lock()
	c, _ := s.get(h, k)
	c.n++
	s.mu.Unlock()
	return nil
}

// pending sums, per key, the unflushed usage of planID from UTC day
// fromDay on.
func (l *Local) pending(planID string, fromDay int64) map[string]int64 {
	out := make(map[string]int64)
	l.usage.each(func(k usageKey, c *usageCount) bool {
		if k.planID == planID && k.day >= fromDay && c.n != 0 {
			out[k.keyID] += c.n
		}
		return false
	})
	return out
}

// Flush writes the usage recorded since the last successful Flush to st,
// in one transaction (store.Tx.AddUsage), and forgets it only once that
// has committed: when Flush fails, the counts go back to be written by the
// next Flush, and nothing is lost. Counts recorded while Flush runs are
// kept for the next one. Flushes are serialised.
//
// Each shard's map is swapped for an empty one under its lock and read
// afterwards, so a flush neither holds a shard while it walks it nor
// deletes entries one by one: with a million keys most entries are of
// keys called once, and walking and pruning them in place cost a flush
// tens of milliseconds.
func (l *Local) Flush(ctx context.Context, st store.Store) error {
	l.flushMu.Lock()
	defer l.flushMu.Unlock()
	var taken [shardCount]map[uint64]*node[usageKey, usageCount]
	for i := range l.usage.shards {
		s := &l.usage.shards[i]
		s.mu.Lock()
		if len(s.m) > 0 {
			taken[i] = s.m
			s.m = make(map[uint64]*node[usageKey, usageCount], len(taken[i]))
		}
		s.mu.Unlock()
	}
	var recs []store.UsageRecord
	for _, m := range taken {
		for _, head := range m {
			for n := head; n != nil; n = n.next {
				if n.val.n != 0 {
					recs = append(recs, store.UsageRecord{
						PlanID: n.key.planID, KeyID: n.key.keyID, Count: n.val.n,
						Day: time.Unix(n.key.day*(nsPerDay/1e9), 0).UTC(),
					})
				}
			}
		}
	}
	if len(recs) == 0 {
		return nil
	}
	err := st.Update(ctx, func(tx store.Tx) error { return tx.AddUsage(ctx, recs) })
	if err != nil {
		for _, u := range recs {
			k := usageKey{u.PlanID, u.KeyID, dayOf(u.Day.UnixNano())}
			h := l.usageHash(k)
			s := l.usage.shard(h)
			s.mu.Lock()
			c, _ := s.get(h, k)
			c.n += u.Count
			s.mu.Unlock()
		}
		return fmt.Errorf("counters: flush usage (%d records): %w", len(recs), err)
	}
	return nil
}
