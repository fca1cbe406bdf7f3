package counters

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// periodCode is a quota period name as a small number, so that quota
// entries hold no string.
type periodCode uint8

const (
	periodNone periodCode = iota // no window yet
	periodDay
	periodWeek
	periodMonth
	periodOther // a name apigw does not define; never matches itself
)

func periodOf(name string) periodCode {
	switch name {
	case apigw.PeriodDay:
		return periodDay
	case apigw.PeriodWeek:
		return periodWeek
	case apigw.PeriodMonth:
		return periodMonth
	}
	return periodOther
}

// planNumbers gives each usage plan id a number, so that quota entries
// can say which plan they belong to (LoadQuotas resets one plan's) without
// holding its id. A deployment has few plans, so the map is copied on
// write, under mu, and read without a lock: entries are created on the
// request path, with their shard's mutex held. Numbers are never reused:
// a deleted plan's is a few bytes.
type planNumbers struct {
	mu  sync.Mutex
	ids atomic.Pointer[map[string]uint32] // never modified once stored
}

// number returns the number of planID, numbering it when new. Numbers
// start at 1.
func (p *planNumbers) number(planID string) uint32 {
	if ids := p.ids.Load(); ids != nil {
		if n, ok := (*ids)[planID]; ok {
			return n
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var old map[string]uint32
	if ids := p.ids.Load(); ids != nil {
		old = *ids
	}
	if n, ok := old[planID]; ok {
		return n
	}
	ids := make(map[string]uint32, len(old)+1)
	maps.Copy(ids, old)
	n := uint32(len(old) + 1)
	ids[planID] = n
	p.ids.Store(&ids)
	return n
}

// quotaEntry is the quota state of one (plan, key); its shard's mutex
// guards it. The window is cached as Unix ns so that a request inside the
// current period costs no calendar arithmetic. It holds no pointer (see
// idTable) and takes 48 bytes.
type quotaEntry struct {
	plan   uint32     // planNumbers' number of the entry's plan
	offset int16      // quota shape the window was computed for: q.Offset,
	period periodCode // and q.Period

	hasAdj     bool
	start, end int64 // current period [start, end), Unix ns; end == 0: none yet
	used       int64 // requests counted in the current period

	adjStart int64 // period the adjustment belongs to, Unix ns
	adj      int64
}

// window moves e to the period of q that contains now, starting the count
// over when that is a later period than e's.
func (e *quotaEntry) window(q apigw.Quota, now time.Time) {
	ns := now.UnixNano()
	period := periodOf(q.Period)
	same := e.end != 0 && e.period == period && period != periodOther && int(e.offset) == q.Offset
	if same && ns < e.end {
		// Inside the period, or a request stamped just before a rollover
		// another request already made: count it in the current period.
		return
	}
	start, end := periodBounds(q, now)
	// When the quota's shape changed and everything counted so far falls
	// in the new period, the count carries over. Otherwise the new period
	// starts at 0: it is a later period, or one whose count is unknown here
	// (LoadQuotas restores that from the store).
	if same || e.start < start || e.start >= end {
		e.used = 0
	}
	e.period, e.offset, e.start, e.end = period, int16(q.Offset), start, end
}

// periodWindow is one quota period of one quota shape, in Unix ns.
type periodWindow struct {
	period     string
	offset     int
	start, end int64
}

// periodCache remembers recent quota periods: with many keys, most
// requests start a key's window (its first request of the period), and
// the calendar arithmetic of PeriodStart and PeriodEnd would run for each.
// Periods tile time, so a cached window that holds now for the same
// period and offset is the answer.
var periodCache [8]atomic.Pointer[periodWindow]

// periodBounds returns the period of q that contains now, as Unix ns.
func periodBounds(q apigw.Quota, now time.Time) (start, end int64) {
	ns := now.UnixNano()
	slot := &periodCache[(len(q.Period)*7+q.Offset)&(len(periodCache)-1)]
	if w := slot.Load(); w != nil && w.period == q.Period && w.offset == q.Offset && w.start <= ns && ns < w.end {
		return w.start, w.end
	}
	ps := q.PeriodStart(now)
	w := &periodWindow{period: q.Period, offset: q.Offset, start: ps.UnixNano(), end: q.PeriodEnd(now).UnixNano()}
	slot.Store(w)
	return w.start, w.end
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
func (l *Local) entry(planID, keyID string) (*idShard[quotaEntry], *quotaEntry) {
	id := l.quotaID(planID, keyID)
	s := l.quotas.shard(id)
	s.mu.Lock()
	e, created := s.get(id)
	if created {
		e.plan = l.plans.number(planID)
	}
	return s, e
}

// quotaID is the entryID of the quota entry of (planID, keyID).
func (l *Local) quotaID(planID, keyID string) entryID {
	return l.id(0, planID, keyID, "")
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

	// The entries hold no key id: match the loaded keys to them by
	// entryID, in one pass over the table, so that no entry of a loaded
	// key is ever seen reset to 0 meanwhile.
	type loaded struct {
		used     int64
		adj      int64
		hasAdj   bool
		assigned bool // the entry existed and was set
		keyID    string
	}
	byID := make(map[entryID]*loaded, max(len(used), len(adjs)))
	of := func(keyID string) *loaded {
		id := l.quotaID(planID, keyID)
		v := byID[id]
		if v == nil {
			v = &loaded{keyID: keyID}
			byID[id] = v
		}
		return v
	}
	for keyID, n := range used {
		of(keyID).used = n
	}
	for keyID, d := range adjs {
		v := of(keyID)
		v.hasAdj, v.adj = true, d
	}

	startNs, endNs := start.UnixNano(), end.UnixNano()
	period, offset := periodOf(q.Period), int16(q.Offset)
	set := func(e *quotaEntry, v *loaded) {
		e.period, e.offset, e.start, e.end = period, offset, startNs, endNs
		e.used, e.hasAdj, e.adjStart, e.adj = 0, false, 0, 0
		if v == nil {
			return
		}
		e.used = v.used
		if v.hasAdj {
			e.hasAdj, e.adjStart, e.adj = true, startNs, v.adj
		}
	}
	// Set the plan's existing entries (those of keys with neither usage
	// nor an adjustment start over at 0), then create the missing ones.
	plan := l.plans.number(planID)
	l.quotas.each(func(id entryID, e *quotaEntry) bool {
		if e.plan == plan {
			v := byID[id]
			set(e, v)
			if v != nil {
				v.assigned = true
			}
		}
		return false
	})
	for _, v := range byID {
		if v.assigned {
			continue
		}
		s, e := l.entry(planID, v.keyID)
		set(e, v)
		s.mu.Unlock()
	}
	return nil
}
