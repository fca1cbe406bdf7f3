package redis

import (
	"context"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/counters"
)

// The GCRA of counters.Local, in integers: with r = round(RateLimit·1e9)
// (1e-9 tokens per second) one token takes T = 1e18/r ns = tq + tr/r, and
// the tolerance is (burst−1)·T = lq + lr/r. See counters/throttle.go.
const (
	nanosPerToken = 1e18
	maxTolerance  = 1 << 62
	// maxExactRate is the largest r whose fractions the script keeps
	// exactly (Lua numbers are doubles, exact to 2^53); above it the
	// emission interval is rounded down to a whole ns.
	maxExactRate = 1e15
)

type limit struct {
	r, burst int64
	tq, tr   int64
	lq, lr   int64
}

// newLimit is counters' GCRA of t (one computation for both engines),
// with the emission interval rounded down to a whole ns above
// maxExactRate, where the script's doubles could not keep its fractions.
func newLimit(t apigw.Throttle) limit {
	g := counters.GCRAOf(t)
	l := limit{r: g.R, burst: g.Burst, tq: g.TQ, tr: g.TR, lq: g.LQ, lr: g.LR}
	if l.r > maxExactRate && l.burst > 0 {
		l.tq, l.tr, l.lr = nanosPerToken/l.r, 0, 0
		hi, lo := bits.Mul64(uint64(l.burst-1), uint64(l.tq))
		if hi != 0 || lo >= maxTolerance {
			l.lq = maxTolerance
		} else {
			l.lq = int64(lo)
		}
	}
	return l
}

func unlimited(t apigw.Throttle) bool { return counters.Unlimited(t) }

// limitID names a Throttle by its bits: a bucket is re-limited when it
// changes.
func limitID(t apigw.Throttle) string {
	return strconv.Itoa(t.BurstLimit) + ":" + strconv.FormatUint(math.Float64bits(t.RateLimit), 16)
}

// bucketScript runs one check of one bucket: mode "a" (Allow), "p"
// (PeekThrottle: nothing written) or "r" (Refund). Times are (s, ns)
// pairs, added and compared exactly; see counters/throttle.go for the
// algorithm it mirrors step by step. It returns {ok, wait_s, wait_ns
// (wait_s −1: never), tat_s, tat_ns, frac, spent}.
var bucketScript = goredis.NewScript(`
local E9 = 1000000000
local mode = ARGV[1]
local now_s, now_n = tonumber(ARGV[2]), tonumber(ARGV[3])
local lk = ARGV[4]
local r, burst = tonumber(ARGV[5]), tonumber(ARGV[6])
local tq_s, tq_n, tr = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
local lq_s, lq_n, lr = tonumber(ARGV[10]), tonumber(ARGV[11]), tonumber(ARGV[12])
local grace, keep0 = tonumber(ARGV[13]), ARGV[14]
local function f(x) return string.format('%.0f', x) end

local st = redis.call('HMGET', KEYS[1], 'l', 'ts', 'tn', 'f', 'sp', 'r', 'b')
local exists = st[1] ~= false
local ts, tn, fr, sp = now_s, now_n, 0, 0
if exists then ts, tn, fr, sp = tonumber(st[2]), tonumber(st[3]), tonumber(st[4]), tonumber(st[5]) end

local function fullAt(rr, ts, tn, fr, sp)
  if rr == 0 then return sp == 0 end
  return ts < now_s or (ts == now_s and (tn < now_n or (tn == now_n and fr == 0)))
end

local write = false
if exists and st[1] ~= lk then
  if mode == 'r' then return {0, 0, 0, ts, tn, fr, sp} end
  local orr, ob = tonumber(st[6]), tonumber(st[7])
  local debt
  if orr == 0 then debt = sp
  elseif fullAt(orr, ts, tn, fr, sp) then debt = 0
  else debt = (((ts - now_s) * E9 + (tn - now_n)) + fr / orr) * orr / 1e18 end
  debt = math.max(0, debt + burst - ob)
  ts, tn, fr, sp = now_s, now_n, 0, 0
  if r == 0 then
    sp = math.ceil(debt)
  else
    local d = math.min(math.ceil(debt * 1e18 / r), 4611686018427387904)
    local rem = math.fmod(d, E9)
    ts = now_s + math.floor((d - rem) / E9 + 0.5)
    tn = now_n + rem
    if tn >= E9 then tn = tn - E9; ts = ts + 1 end
  end
  write = true
end

local ok, ws, wn = 0, 0, 0
if mode == 'r' then
  if not exists or fullAt(r, ts, tn, fr, sp) then return {0, 0, 0, ts, tn, fr, sp} end
  if r == 0 then
    sp = sp - 1
  else
    ts = ts - tq_s; tn = tn - tq_n
    if tn < 0 then tn = tn + E9; ts = ts - 1 end
    fr = fr - tr
    if fr < 0 then fr = fr + r; tn = tn - 1; if tn < 0 then tn = tn + E9; ts = ts - 1 end end
    if fullAt(r, ts, tn, fr, sp) then ts, tn, fr = now_s, now_n, 0 end
  end
  write = true
elseif r == 0 then
  if sp < burst then sp = sp + 1; ok = 1; write = true else ws = -1 end
else
  if fullAt(r, ts, tn, fr, sp) then ts, tn, fr = now_s, now_n, 0 end
  local ds, dn = ts - now_s, tn - now_n
  if dn < 0 then dn = dn + E9; ds = ds - 1 end
  if ds < lq_s or (ds == lq_s and (dn < lq_n or (dn == lq_n and fr <= lr))) then
    ts = ts + tq_s; tn = tn + tq_n
    if tn >= E9 then tn = tn - E9; ts = ts + 1 end
    fr = fr + tr
    if fr >= r then fr = fr - r; tn = tn + 1; if tn >= E9 then tn = tn - E9; ts = ts + 1 end end
    ok = 1; write = true
  else
    ws, wn = ds - lq_s, dn - lq_n
    if wn < 0 then wn = wn + E9; ws = ws - 1 end
    local fx = fr - lr
    if fx < 0 then fx = fx + r; wn = wn - 1; if wn < 0 then wn = wn + E9; ws = ws - 1 end end
    if fx > 0 then wn = wn + 1; if wn >= E9 then wn = wn - E9; ws = ws + 1 end end
  end
end

if write and mode ~= 'p' then
  redis.call('HSET', KEYS[1], 'l', lk, 'ts', f(ts), 'tn', f(tn), 'f', f(fr), 'sp', f(sp), 'r', f(r), 'b', f(burst))
  if r == 0 then
    redis.call('PEXPIRE', KEYS[1], keep0)
  else
    local ms = (ts - now_s) * 1000 + math.ceil((tn - now_n) / 1e6)
    redis.call('PEXPIRE', KEYS[1], f(math.max(0, ms) + grace))
  end
end
return {ok, ws, wn, ts, tn, fr, sp}
`)

const (
	// bucketGrace is how long a bucket's key outlives the moment it is
	// full again.
	bucketGrace = time.Minute
	// rateZeroKeep is how long a rate-0 bucket (one that never refills)
	// is kept after its last use.
	rateZeroKeep = 7 * 24 * time.Hour
)

// bucketState is what bucketScript returns.
type bucketState struct {
	ok         bool
	retryAfter time.Duration
	tat        int64 // Unix ns
	frac       int64
	spent      int64
}

func (b *Backend) bucketKey(k counters.BucketKey) string {
	if k == counters.AccountBucket() {
		return b.prefix + "t{account}"
	}
	return b.prefix + "t{" + strconv.Itoa(int(k.Scope)) + "|" + esc(k.PlanID) + "|" + esc(k.KeyID) + "|" + esc(k.Method) + "}"
}

func (b *Backend) runBucket(ctx context.Context, mode string, k counters.BucketKey, t apigw.Throttle, l *limit, now time.Time) (bucketState, error) {
	ns := now.UnixNano()
	nowS, nowN := floorDiv(ns)
	tqS, tqN := floorDiv(l.tq)
	lqS, lqN := floorDiv(l.lq)
	res, err := bucketScript.Run(ctx, b.rdb, []string{b.bucketKey(k)},
		mode, nowS, nowN, limitID(t), l.r, l.burst, tqS, tqN, l.tr, lqS, lqN, l.lr,
		bucketGrace.Milliseconds(), rateZeroKeep.Milliseconds()).Int64Slice()
	b.trip(opThrottle)
	if err != nil {
		return bucketState{}, fmt.Errorf("counters/redis: throttle bucket: %w", err)
	}
	if len(res) != 7 {
		return bucketState{}, fmt.Errorf("counters/redis: throttle bucket: script returned %d values, want 7", len(res))
	}
	st := bucketState{ok: res[0] == 1, tat: res[3]*1e9 + res[4], frac: res[5], spent: res[6]}
	switch {
	case st.ok:
	case res[1] < 0:
		st.retryAfter = counters.Never
	default:
		st.retryAfter = time.Duration(res[1]*1e9 + res[2])
	}
	return st, nil
}

// floorDiv splits Unix ns into seconds and ns in [0, 1e9).
func floorDiv(ns int64) (s, n int64) {
	s, n = ns/1e9, ns%1e9
	if n < 0 {
		s--
		n += 1e9
	}
	return s, n
}

// Allow implements counters.Throttler.
func (b *Backend) Allow(ctx context.Context, k counters.BucketKey, t apigw.Throttle, now time.Time) (bool, time.Duration, error) {
	if unlimited(t) {
		return true, 0, nil
	}
	if t.BurstLimit == 0 {
		return false, counters.Never, nil
	}
	l := newLimit(t)
	st, err := b.runBucket(ctx, "a", k, t, &l, now)
	if err != nil {
		return false, 0, err
	}
	return st.ok, st.retryAfter, nil
}

// Refund implements counters.Throttler.
func (b *Backend) Refund(ctx context.Context, k counters.BucketKey, t apigw.Throttle, now time.Time) error {
	if unlimited(t) || t.BurstLimit == 0 {
		return nil
	}
	l := newLimit(t)
	_, err := b.runBucket(ctx, "r", k, t, &l, now)
	return err
}

// PeekThrottle implements counters.Throttler.
func (b *Backend) PeekThrottle(ctx context.Context, k counters.BucketKey, t apigw.Throttle, now time.Time) (bool, time.Duration, error) {
	if unlimited(t) {
		return true, 0, nil
	}
	if t.BurstLimit == 0 {
		return false, counters.Never, nil
	}
	l := newLimit(t)
	st, err := b.runBucket(ctx, "p", k, t, &l, now)
	if err != nil {
		return false, 0, err
	}
	return st.ok, st.retryAfter, nil
}

var _ counters.LevelThrottler = (*Backend)(nil)

// AllowLevel implements counters.LevelThrottler: the level comes back
// from the same script call as the take.
func (b *Backend) AllowLevel(ctx context.Context, k counters.BucketKey, t apigw.Throttle, now time.Time) (bool, time.Duration, counters.Level, error) {
	if unlimited(t) {
		return true, 0, counters.Level{Unlimited: true}, nil
	}
	if t.BurstLimit == 0 {
		return false, counters.Never, counters.Level{FullIn: counters.Never}, nil
	}
	l := newLimit(t)
	st, err := b.runBucket(ctx, "a", k, t, &l, now)
	if err != nil {
		return false, 0, counters.Level{}, err
	}
	return st.ok, st.retryAfter, st.level(&l, now.UnixNano()), nil
}

// level is counters.Local's bucket level, from the state the script
// returned.
func (st *bucketState) level(l *limit, now int64) counters.Level {
	var debt float64
	full := st.tat < now || (st.tat == now && st.frac == 0)
	switch {
	case l.r == 0:
		debt = float64(st.spent)
	case full:
	default:
		debt = (float64(st.tat-now) + float64(st.frac)/float64(l.r)) * float64(l.r) / nanosPerToken
	}
	held := float64(l.burst) - debt
	lvl := counters.Level{Remaining: max(0, int64(held+1e-9))}
	switch {
	case debt == 0:
	case l.r == 0:
		lvl.FullIn = counters.Never
	default:
		lvl.FullIn = time.Duration(st.tat - now)
		if st.frac > 0 {
			lvl.FullIn++
		}
	}
	return lvl
}
