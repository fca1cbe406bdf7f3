package redis

import (
	"context"
	"fmt"
	"hash/maphash"
	"strconv"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/counters"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// A (plan, key)'s quota lives in two Redis hashes sharing a slot: one per
// period window, "q{plan|key}:w:PERIOD:OFFSET:START" with field t (the
// requests leased out: admitted, or held unused by a node) and r (the
// store revision of the quota change that last recounted t; 0: seeded
// where Redis had none; absent: made by leases alone), and
// "q{plan|key}:adj" with the adjustment (s: the period start it belongs
// to, Unix ns; d: the delta).

// leaseScript: KEYS window, adjustment, reclaim marker; ARGV limit,
// start, back (unused lease given back first), ttl ms, op ("take",
// "peek", "return"), lease max, lease divisor, the revision of the count
// the lease given back was taken from, the reclaim marker's ttl ms. It
// returns {leased, t, adjustment, revision} (revision: the count's r, -1
// for none). A lease is given back only to the count it was taken from: a
// count recounted since (seedScript) never held it. A take that finds
// less than a full lease (lease max) left, or nothing, sets the key's
// reclaim marker: the nodes keeping leases of the key across flushes give
// them back at their next flush (returnLeases).
var leaseScript = goredis.NewScript(`
local limit, start, back = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
local ttl, op = ARGV[4], ARGV[5]
local lmax, ldiv = tonumber(ARGV[6]), tonumber(ARGV[7])
local w = redis.call('HMGET', KEYS[1], 't', 'r')
local t, r = tonumber(w[1] or '0'), tonumber(w[2] or '-1')
if r ~= tonumber(ARGV[8]) then back = 0 end
if back > 0 then t = math.max(0, t - back) end
local adj = 0
local a = redis.call('HMGET', KEYS[2], 's', 'd')
if a[1] == start then adj = tonumber(a[2]) end
local n = 0
if op == 'take' then
  local avail = limit + adj - t
  if avail > 0 then
    n = math.min(lmax, math.max(1, math.floor(avail / ldiv)))
    t = t + n
  end
  if n < lmax then
    redis.call('SET', KEYS[3], '1', 'PX', ARGV[9])
  end
end
if op ~= 'peek' and (back > 0 or n > 0) then
  redis.call('HSET', KEYS[1], 't', string.format('%.0f', t))
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return {n, t, adj, r}
`)

// setRemainingScript: KEYS window, adjustment; ARGV limit, start, back,
// ttl ms, remaining, adjustment ttl ms, the revision of the count the
// lease given back was taken from. It gives back the unused lease (as
// leaseScript does), sets the adjustment so that remaining are left, and
// returns {t, adj}.
var setRemainingScript = goredis.NewScript(`
local limit, start, back = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
local w = redis.call('HMGET', KEYS[1], 't', 'r')
local t = tonumber(w[1] or '0')
if tonumber(w[2] or '-1') ~= tonumber(ARGV[7]) then back = 0 end
t = math.max(0, t - back)
local adj = tonumber(ARGV[5]) - limit + t
redis.call('HSET', KEYS[1], 't', string.format('%.0f', t))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('HSET', KEYS[2], 's', start, 'd', string.format('%.0f', adj))
redis.call('PEXPIRE', KEYS[2], ARGV[6])
return {t, adj}
`)

// seedScript: KEYS window, adjustment; ARGV used, mode, ttl ms, has
// adjustment (1/0), start, delta, adjustment ttl ms, revision. It sets a
// window's count t to used, and its revision r: in mode "nx" only where
// Redis has no count (r 0); in mode "cas" also where the count's
// revision is lower than this one's (a count made by leases alone has
// none: lower than any), so that of the nodes applying one quota change
// exactly one recount wins and the later ones leave the count, and the
// leases taken from it since, alone. The adjustment is set with the
// count, or where Redis has none. It returns 1 when it set the count.
var seedScript = goredis.NewScript(`
local set = redis.call('EXISTS', KEYS[1]) == 0
local rev = tonumber(ARGV[8])
if not set and ARGV[2] == 'cas' then
  local r = redis.call('HGET', KEYS[1], 'r')
  set = (not r) or tonumber(r) < rev
end
if set then
  redis.call('HSET', KEYS[1], 't', ARGV[1], 'r', ARGV[8])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
if ARGV[4] == '1' and (set or redis.call('EXISTS', KEYS[2]) == 0) then
  redis.call('HSET', KEYS[2], 's', ARGV[5], 'd', ARGV[6])
  redis.call('PEXPIRE', KEYS[2], ARGV[7])
end
if set then return 1 end
return 0
`)

const (
	// windowGrace is how long a window's count outlives its period.
	windowGrace = 24 * time.Hour
	// adjustmentTTL is how long an adjustment is kept after it was set:
	// longer than any period, one starting in the future included.
	adjustmentTTL = 70 * 24 * time.Hour
)

type quotaID struct{ plan, key string }

// quotaEntry is this node's lease of one (plan, key). Its mutex is held
// across the Redis call that refills it, so the requests of one key wait
// for one refill; other keys are not held up.
type quotaEntry struct {
	mu     sync.Mutex
	period string
	offset int
	start  int64 // window [start, end), Unix ns; end == 0: none
	end    int64
	t      int64 // Redis's count at the last call
	rev    int64 // the revision of that count (its r; -1: none)
	adj    int64 // the window's adjustment at the last call
	avail  int64 // unused lease
	// spent: Redis had nothing left to lease at t; Takes are refused here
	// without a round trip until the next Flush (which forgets it), an
	// Adjust, or a higher limit.
	spent bool
	// dead: the entry left the table; whoever locks it gets it anew.
	dead bool
	// keep: the last lease taken was a full one (LeaseMax: Redis had at
	// least LeaseMax × LeaseDivisor left), so its unused part is kept
	// across flushes until it matters (returnLeases).
	keep bool
	// used: the time of the last Take, Unix ns (idle leases go back).
	used int64
}

const quotaShards = 64

type quotaTable struct {
	seed   maphash.Seed
	shards [quotaShards]struct {
		mu sync.Mutex
		m  map[quotaID]*quotaEntry
	}
}

// lock returns the entry of (planID, keyID), locked: one in the table.
func (qt *quotaTable) lock(planID, keyID string) *quotaEntry {
	for {
		e := qt.get(planID, keyID)
		e.mu.Lock()
		if !e.dead {
			return e
		}
		e.mu.Unlock()
	}
}

func (qt *quotaTable) get(planID, keyID string) *quotaEntry {
	h := maphash.String(qt.seed, planID) ^ maphash.String(qt.seed, keyID)*0x9E3779B97F4A7C15
	s := &qt.shards[h%quotaShards]
	s.mu.Lock()
	defer s.mu.Unlock()
	id := quotaID{planID, keyID}
	e := s.m[id]
	if e == nil {
		if s.m == nil {
			s.m = map[quotaID]*quotaEntry{}
		}
		e = &quotaEntry{}
		s.m[id] = e
	}
	return e
}

// each calls fn for every entry, with neither the shard nor the entry
// locked; fn returning true removes it (when it is still there): fn must
// then have marked it dead under its lock.
func (qt *quotaTable) each(fn func(id quotaID, e *quotaEntry) (remove bool)) {
	for i := range qt.shards {
		s := &qt.shards[i]
		s.mu.Lock()
		ids := make([]quotaID, 0, len(s.m))
		es := make([]*quotaEntry, 0, len(s.m))
		for id, e := range s.m {
			ids = append(ids, id)
			es = append(es, e)
		}
		s.mu.Unlock()
		for j, e := range es {
			if fn(ids[j], e) {
				s.mu.Lock()
				if s.m[ids[j]] == e {
					delete(s.m, ids[j])
				}
				s.mu.Unlock()
			}
		}
	}
}

// window is the period of q that counts a request at now: the entry's
// window when it is of q's shape and now is before its end (a request
// stamped before a rollover counts in the current period), else the
// period containing now.
func (e *quotaEntry) window(q apigw.Quota, now time.Time) (start, end int64, same bool) {
	ns := now.UnixNano()
	if e.end != 0 && e.period == q.Period && e.offset == q.Offset && ns < e.end {
		return e.start, e.end, true
	}
	return q.PeriodStart(now).UnixNano(), q.PeriodEnd(now).UnixNano(), false
}

func (b *Backend) windowKey(planID, keyID, period string, offset int, start int64) string {
	return b.prefix + "q{" + esc(planID) + "|" + esc(keyID) + "}:w:" + period + ":" + strconv.Itoa(offset) + ":" + strconv.FormatInt(start, 10)
}

func (b *Backend) adjKey(planID, keyID string) string {
	return b.prefix + "q{" + esc(planID) + "|" + esc(keyID) + "}:adj"
}

// reclaimKey is the (plan, key)'s reclaim marker: set by a lease take
// that found the quota short, it asks the nodes keeping leases of the key
// to give them back at their next flush.
func (b *Backend) reclaimKey(planID, keyID string) string {
	return b.prefix + "q{" + esc(planID) + "|" + esc(keyID) + "}:reclaim"
}

// reclaimTTL is how long a reclaim marker lives: two flush intervals (at
// least two seconds), so that every node flushes once while it is there.
func (b *Backend) reclaimTTL() int64 {
	return max(2*b.o.FlushInterval, 2*counters.DefaultFlushInterval).Milliseconds()
}

func ttlMs(end int64, now time.Time) int64 {
	return max(0, (end-now.UnixNano())/int64(time.Millisecond)) + windowGrace.Milliseconds()
}

// lease runs leaseScript for e's window (e.mu held) and takes in the
// answer. back is what e gives back.
func (b *Backend) lease(ctx context.Context, planID, keyID string, e *quotaEntry, q apigw.Quota, op string, now time.Time) (int64, error) {
	back := e.avail
	res, err := leaseScript.Run(ctx, b.rdb,
		[]string{b.windowKey(planID, keyID, e.period, e.offset, e.start), b.adjKey(planID, keyID), b.reclaimKey(planID, keyID)},
		q.Limit, e.start, back, ttlMs(e.end, now), op, b.leaseMax, b.leaseDivisor, e.rev, b.reclaimTTL()).Int64Slice()
	if op == "take" {
		b.trip(opLeaseTake)
	} else {
		b.trip(opLeaseReturn)
	}
	if err != nil {
		if back > 0 {
			// Whether the lease went back is unknown: count it as
			// returned, so that it is never spent twice.
			e.t -= back
			e.avail = 0
		}
		return 0, fmt.Errorf("counters/redis: quota of key %s in usage plan %s: %w", keyID, planID, err)
	}
	if len(res) != 4 {
		return 0, fmt.Errorf("counters/redis: quota script returned %d values, want 4", len(res))
	}
	e.avail -= back
	e.t, e.adj, e.rev = res[1], res[2], res[3]
	if op == "take" {
		b.metrics.leases.Add(1)
	}
	return res[0], nil
}

func (e *quotaEntry) result(q apigw.Quota, allowed bool) counters.QuotaResult {
	used := e.t - e.avail
	return counters.QuotaResult{
		Allowed:   allowed,
		Used:      used,
		Remaining: max(0, int64(q.Limit)+e.adj-used),
		ResetAt:   time.Unix(0, e.end).UTC(),
	}
}

// moveTo gives back e's unused lease of its old window (e.mu held) and
// makes [start, end) of q its window.
func (b *Backend) moveTo(ctx context.Context, planID, keyID string, e *quotaEntry, q apigw.Quota, start, end int64, now time.Time) error {
	var err error
	if e.avail > 0 && e.end != 0 {
		_, err = b.lease(ctx, planID, keyID, e, q, "return", now)
	}
	e.period, e.offset, e.start, e.end = q.Period, q.Offset, start, end
	e.t, e.adj, e.avail, e.spent, e.keep = 0, 0, 0, false, false
	return err
}

// counted returns the quota that this node counts plan planID's requests
// under: q's limit, with the period and offset its counters have applied
// (recounted) last. A data plane that sees a plan's new period before
// Apply has recounted it keeps counting in the old period's window
// meanwhile: a lease of the new window taken before its recount would be
// missing from it.
func (b *Backend) counted(planID string, q apigw.Quota) apigw.Quota {
	if m := b.applied.Load(); m != nil {
		if a, ok := (*m)[planID]; ok {
			q.Period, q.Offset = a.Period, a.Offset
		}
	}
	return q
}

// Take implements counters.Quotas: from this node's lease when it has
// one for the current window and the limit in force allows, else from
// Redis with a new lease (the unused one given back first).
func (b *Backend) Take(ctx context.Context, planID, keyID string, q apigw.Quota, now time.Time) (counters.QuotaResult, error) {
	q = b.counted(planID, q)
	e := b.quotas.lock(planID, keyID)
	defer e.mu.Unlock()
	e.used = now.UnixNano()
	start, end, same := e.window(q, now)
	if same && e.avail > 0 && e.t-e.avail+1 <= int64(q.Limit)+e.adj {
		e.avail--
		b.metrics.localTakes.Add(1)
		return e.result(q, true), nil
	}
	if same && e.avail == 0 && e.spent && e.t >= int64(q.Limit)+e.adj {
		b.metrics.localTakes.Add(1)
		return e.result(q, false), nil
	}
	if !same {
		if err := b.moveTo(ctx, planID, keyID, e, q, start, end, now); err != nil {
			return counters.QuotaResult{}, err
		}
	}
	n, err := b.lease(ctx, planID, keyID, e, q, "take", now)
	if err != nil {
		return counters.QuotaResult{}, err
	}
	e.keep = n >= b.leaseMax
	if n == 0 {
		e.spent = true
		return e.result(q, false), nil
	}
	e.spent = false
	e.avail = n - 1
	return e.result(q, true), nil
}

// Peek implements counters.Quotas: Redis's count less this node's unused
// lease.
func (b *Backend) Peek(ctx context.Context, planID, keyID string, q apigw.Quota, now time.Time) (counters.QuotaResult, error) {
	q = b.counted(planID, q)
	e := b.quotas.lock(planID, keyID)
	defer e.mu.Unlock()
	start, end, same := e.window(q, now)
	v := quotaEntry{period: q.Period, offset: q.Offset, start: start, end: end}
	if same {
		v.avail = e.avail
	}
	res, err := leaseScript.Run(ctx, b.rdb,
		[]string{b.windowKey(planID, keyID, q.Period, q.Offset, start), b.adjKey(planID, keyID), b.reclaimKey(planID, keyID)},
		q.Limit, start, 0, ttlMs(end, now), "peek", b.leaseMax, b.leaseDivisor, -1, b.reclaimTTL()).Int64Slice()
	b.trip(opQuotaPeek)
	if err != nil {
		return counters.QuotaResult{}, fmt.Errorf("counters/redis: quota of key %s in usage plan %s: %w", keyID, planID, err)
	}
	if len(res) != 4 {
		return counters.QuotaResult{}, fmt.Errorf("counters/redis: quota script returned %d values, want 4", len(res))
	}
	v.t, v.adj = res[1], res[2]
	r := v.result(q, false)
	r.Allowed = r.Remaining > 0
	return r, nil
}

// SetRemaining implements counters.Quotas. This node's unused lease goes
// back first; other nodes' unused leases count as used.
func (b *Backend) SetRemaining(ctx context.Context, planID, keyID string, q apigw.Quota, remaining int64, now time.Time) (store.QuotaAdjustment, error) {
	q = b.counted(planID, q)
	e := b.quotas.lock(planID, keyID)
	defer e.mu.Unlock()
	start, end, same := e.window(q, now)
	if !same {
		if err := b.moveTo(ctx, planID, keyID, e, q, start, end, now); err != nil {
			return store.QuotaAdjustment{}, err
		}
	}
	back := e.avail
	res, err := setRemainingScript.Run(ctx, b.rdb,
		[]string{b.windowKey(planID, keyID, e.period, e.offset, e.start), b.adjKey(planID, keyID)},
		q.Limit, e.start, back, ttlMs(e.end, now), remaining, adjustmentTTL.Milliseconds(), e.rev).Int64Slice()
	b.trip(opQuotaSet)
	if back > 0 {
		e.t, e.avail = e.t-back, 0
	}
	if err != nil {
		return store.QuotaAdjustment{}, fmt.Errorf("counters/redis: set remaining of key %s in usage plan %s: %w", keyID, planID, err)
	}
	if len(res) != 2 {
		return store.QuotaAdjustment{}, fmt.Errorf("counters/redis: set-remaining script returned %d values, want 2", len(res))
	}
	e.t, e.adj, e.spent = res[0], res[1], false
	return store.QuotaAdjustment{PlanID: planID, KeyID: keyID, PeriodStart: time.Unix(0, e.start).UTC(), Delta: e.adj}, nil
}

// Adjust implements counters.Quotas: the adjustment goes to Redis, for
// every node.
func (b *Backend) Adjust(ctx context.Context, a store.QuotaAdjustment) error {
	start := a.PeriodStart.UnixNano()
	k := b.adjKey(a.PlanID, a.KeyID)
	_, err := b.rdb.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		p.HSet(ctx, k, "s", strconv.FormatInt(start, 10), "d", strconv.FormatInt(a.Delta, 10))
		p.PExpire(ctx, k, adjustmentTTL)
		return nil
	})
	b.trip(opQuotaAdjust)
	if err != nil {
		return fmt.Errorf("counters/redis: adjust quota of key %s in usage plan %s: %w", a.KeyID, a.PlanID, err)
	}
	e := b.quotas.lock(a.PlanID, a.KeyID)
	e.spent = false
	if e.start == start {
		e.adj = a.Delta
	} else {
		e.adj = 0
	}
	e.mu.Unlock()
	return nil
}

// leaseIdle is how long a kept lease may go unused before its node gives
// it back.
const leaseIdle = 30 * time.Second

// returnLeases gives back unused leases and forgets the entries of ended
// windows. With all (shutdown) every unused lease goes back. Otherwise
// (a periodic flush) a lease goes back when it was not a full one (Redis
// had less than LeaseMax × LeaseDivisor left when it was taken), when its
// window has ended, when it has not been used for leaseIdle, or when
// another node's take found the key's quota short (its reclaim marker,
// read for all the kept leases in one pipelined round trip); the other
// kept leases stay, so a steady key costs no lease per flush.
func (b *Backend) returnLeases(ctx context.Context, now time.Time, all bool) error {
	var firstErr error // one is enough: with Redis down, every key fails alike
	note := func(err error) {
		if err != nil && firstErr == nil {
			firstErr = err
		}
	}
	ns := now.UnixNano()
	var kept []quotaID
	b.quotas.each(func(id quotaID, e *quotaEntry) bool {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.spent = false
		if e.avail > 0 && e.end != 0 {
			if !all && e.keep && e.end > ns && ns-e.used < int64(leaseIdle) {
				kept = append(kept, id)
				return false
			}
			q := apigw.Quota{Period: e.period, Offset: e.offset}
			_, err := b.lease(ctx, id.plan, id.key, e, q, "return", now)
			note(err)
		}
		e.dead = e.avail == 0 && e.end != 0 && e.end <= ns
		return e.dead
	})
	if len(kept) == 0 || firstErr != nil {
		return firstErr
	}
	cmds := make([]*goredis.IntCmd, len(kept))
	_, err := b.rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for i, id := range kept {
			cmds[i] = p.Exists(ctx, b.reclaimKey(id.plan, id.key))
		}
		return nil
	})
	b.trip(opQuotaReclaim)
	if err != nil {
		return fmt.Errorf("counters/redis: read reclaim markers: %w", err)
	}
	for i, id := range kept {
		if cmds[i].Val() == 0 {
			continue
		}
		e := b.quotas.lock(id.plan, id.key)
		if e.avail > 0 && e.end != 0 {
			q := apigw.Quota{Period: e.period, Offset: e.offset}
			_, err := b.lease(ctx, id.plan, id.key, e, q, "return", now)
			note(err)
		}
		e.mu.Unlock()
	}
	return firstErr
}

// recount sets the count of the current window of every key of plan p
// from the store's usage and the usage pending in Redis, and the
// adjustment from the store, in seedScript's mode: "nx" (Load, a plan new
// to this node: only where Redis has none, as Redis may have lost its
// data) or "cas" with the revision of the change that moved the plan's
// period or offset (the first node to apply it wins; see seedScript).
// In mode "cas" this node's entries of the plan's new window (stale ones,
// from an earlier time the plan had this shape) are dropped first.
func (b *Backend) recount(ctx context.Context, p *apigw.UsagePlan, now time.Time, mode string, rev int64) error {
	q := *p.Quota
	start, end := q.PeriodStart(now), q.PeriodEnd(now)
	used := map[string]int64{}
	adjs := map[string]int64{}
	err := b.st.View(ctx, func(r store.Reader) error {
		recs, err := r.ListUsage(ctx, p.ID, "", start, now)
		if err != nil {
			return err
		}
		for _, u := range recs {
			used[u.KeyID] += u.Count
		}
		as, err := r.ListQuotaAdjustments(ctx, p.ID, "")
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
		return fmt.Errorf("counters/redis: recount usage plan %s: %w", p.ID, err)
	}
	fromDay := dayOf(start.UnixNano())
	if err := b.pendingUsage(ctx, func(planID, keyID string, day, n int64) {
		if planID == p.ID && day >= fromDay {
			used[keyID] += n
		}
	}); err != nil {
		return fmt.Errorf("counters/redis: recount usage plan %s: %w", p.ID, err)
	}
	startNs, endNs := start.UnixNano(), end.UnixNano()
	if mode == "cas" {
		b.quotas.each(func(id quotaID, e *quotaEntry) bool {
			if id.plan == p.ID {
				e.mu.Lock()
				if e.period == q.Period && e.offset == q.Offset && e.start == startNs {
					e.period, e.offset, e.start, e.end, e.t, e.adj, e.avail, e.spent, e.keep = "", 0, 0, 0, 0, 0, 0, false, false
				}
				e.mu.Unlock()
			}
			return false
		})
	}
	keys := map[string]bool{}
	for k := range used {
		keys[k] = true
	}
	for k := range adjs {
		keys[k] = true
	}
	for k := range keys {
		d, has := adjs[k]
		hasAdj := "0"
		if has {
			hasAdj = "1"
		}
		err := seedScript.Run(ctx, b.rdb,
			[]string{b.windowKey(p.ID, k, q.Period, q.Offset, startNs), b.adjKey(p.ID, k)},
			used[k], mode, ttlMs(endNs, now), hasAdj, startNs, d, adjustmentTTL.Milliseconds(), rev).Err()
		b.trip(opQuotaSeed)
		if err != nil {
			return fmt.Errorf("counters/redis: recount usage plan %s: %w", p.ID, err)
		}
	}
	return nil
}
