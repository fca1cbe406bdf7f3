package counters

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

type quotaKey struct{ planID, keyID string }

// quotaEntry is the quota state of one (plan, key); its shard's mutex
// guards it. The window is cached as Unix ns so that a request inside the
// current period costs no calendar arithmetic.
type quotaEntry struct {
	period     string // quota shape the window was computed for
	offset     int
	start, end int64 // current period [start, end), Unix ns; end == 0: none yet
	used       int64 // requests counted in the current period

	hasAdj   bool
	adjStart int64 // period the adjustment belongs to, Unix ns
	adj      int64
}

// window moves e to the period of q that contains now, starting the count
// over when that is a later period than e's.
func (e *quotaEntry) window(q apigw.Quota, now time.Time) {
	ns := now.UnixNano()
	same := e.end != 0 && e.period == q.Period && e.offset == q.Offset
	if same && ns < e.end {
		// Inside the period, or a request stamped just before a rollover
		// another request already made: count it in the current period.
		return
	}
	start, end := q.PeriodStart(now).UnixNano(), q.PeriodEnd(now).UnixNano()
	// When the quota's shape changed and everything counted so far falls
	// in the new period, the count carries over. Otherwise the new period
	// starts at 0: it is a later period, or one whose count is unknown here
	// (LoadQuotas restores that from the store).
	if same || e.start < start || e.start >= end {
		e.used = 0
	}
	e.period, e.offset, e.start, e.end = q.Period, q.Offset, start, end
}

// remaining is limit + adjustment − used for e's current period.
func (e *quotaEntry) remaining(q apigw.Quota) int64 {
	r := int64(q.Limit) - e.used
	if e.hasAdj && e.adjStart == e.start {
		r += e.adj
	}
	return r
}

func (e *quotaEntry) result(q apigw.Quota, allowed bool) QuotaResult {
	return QuotaResult{
		Allowed:   allowed,
		Used:      e.used,
		Remaining: max(0, e.remaining(q)),
		ResetAt:   time.Unix(0, e.end).UTC(),
	}
}

// entry returns the entry of (planID, keyID) with its shard locked; the
// caller unlocks.
func (l *Local) entry(planID, keyID string) (*shard[quotaKey, quotaEntry], *quotaEntry) {
	h := hashStrings(l.seed, 0, planID, keyID, "")
	s := l.quotas.shard(h)
	s.mu.Lock()
	e, _ := s.get(h, quotaKey{planID, keyID})
	return s, e
}

// Take implements Quotas.
func (l *Local) Take(_ context.Context, planID, keyID string, q apigw.Quota, now time.Time) (QuotaResult, error) {
	s, e := l.entry(planID, keyID)
	e.window(q, now)
	ok := e.remaining(q) > 0
	if ok {
		e.used++
	}
	r := e.result(q, ok)
	s.mu.Unlock()
	return r, nil
}

// Peek implements Quotas.
func (l *Local) Peek(_ context.Context, planID, keyID string, q apigw.Quota, now time.Time) (QuotaResult, error) {
	s, e := l.entry(planID, keyID)
	e.window(q, now)
	r := e.result(q, e.remaining(q) > 0)
	s.mu.Unlock()
	return r, nil
}

// SetRemaining implements Quotas.
func (l *Local) SetRemaining(_ context.Context, planID, keyID string, q apigw.Quota, remaining int64, now time.Time) (store.QuotaAdjustment, error) {
	s, e := l.entry(planID, keyID)
	e.window(q, now)
	e.hasAdj, e.adjStart, e.adj = true, e.start, remaining-int64(q.Limit)+e.used
	a := store.QuotaAdjustment{PlanID: planID, KeyID: keyID, PeriodStart: time.Unix(0, e.start).UTC(), Delta: e.adj}
	s.mu.Unlock()
	return a, nil
}

// Adjust implements Quotas.
func (l *Local) Adjust(_ context.Context, a store.QuotaAdjustment) error {
	s, e := l.entry(a.PlanID, a.KeyID)
	e.hasAdj, e.adjStart, e.adj = true, a.PeriodStart.UnixNano(), a.Delta
	s.mu.Unlock()
	return nil
}

// LoadQuotas sets the quota state of every key of plans (those with a
// quota) for the period containing now from st: the count is the period's
// daily usage in the store plus the usage recorded here and not yet
// flushed, and the adjustment is the one stored for that period.
//
// Call it once before serving, so that quotas hold exactly across a
// restart, and again for a plan whose quota period or offset changed.
// Requests counted for those plans while it runs may be lost from the
// count. It replaces the state of those plans' keys, and drops the counts
// of keys that have no usage in the period.
func (l *Local) LoadQuotas(ctx context.Context, st store.Store, plans []*apigw.UsagePlan, now time.Time) error {
	l.flushMu.Lock()
	defer l.flushMu.Unlock()
	for _, p := range plans {
		if p.Quota == nil {
			continue
		}
		if err := l.loadPlan(ctx, st, p.ID, *p.Quota, now); err != nil {
			return err
		}
	}
	return nil
}

// loadPlan loads one plan; l.flushMu must be held.
func (l *Local) loadPlan(ctx context.Context, st store.Store, planID string, q apigw.Quota, now time.Time) error {
	start, end := q.PeriodStart(now), q.PeriodEnd(now)
	used := make(map[string]int64)
	adjs := make(map[string]int64)
	err := st.View(ctx, func(r store.Reader) error {
		recs, err := r.ListUsage(ctx, planID, "", start, now)
		if err != nil {
			return err
		}
		for _, u := range recs {
			used[u.KeyID] += u.Count
		}
		as, err := r.ListQuotaAdjustments(ctx, planID, "")
		if err != nil {
			return err
		}
		for _, a := range as {
			if a.PeriodStart.Equal(start) {
				adjs[a.KeyID] = a.Delta
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("counters: load quota state of usage plan %s: %w", planID, err)
	}
	for k, n := range l.pending(planID, dayOf(start.UnixNano())) {
		used[k] += n
	}

	startNs, endNs := start.UnixNano(), end.UnixNano()
	set := func(e *quotaEntry, keyID string) {
		e.period, e.offset, e.start, e.end, e.used = q.Period, q.Offset, startNs, endNs, used[keyID]
		e.hasAdj, e.adjStart, e.adj = false, 0, 0
		if d, ok := adjs[keyID]; ok {
			e.hasAdj, e.adjStart, e.adj = true, startNs, d
		}
	}
	// Reset the plan's existing entries, then create the missing ones.
	l.quotas.each(func(k quotaKey, e *quotaEntry) bool {
		if k.planID == planID {
			set(e, k.keyID)
		}
		return false
	})
	for keyID := range used {
		s, e := l.entry(planID, keyID)
		set(e, keyID)
		s.mu.Unlock()
	}
	for keyID := range adjs {
		s, e := l.entry(planID, keyID)
		set(e, keyID)
		s.mu.Unlock()
	}
	return nil
}
