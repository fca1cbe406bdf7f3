package gateway

import (
	"context"
	"math"
	"strconv"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/counters"
)

// RateLimit headers (stage tag gatehouse:rateLimitHeaders=true).
//
// The fields follow draft-ietf-httpapi-ratelimit-headers-12 (20 November
// 2026; the structured-field syntax is unchanged since -08): §3
// "RateLimit-Policy" is a List of quota policy Items, each a String naming
// the policy with the parameters q (the quota, an Integer) and w (the
// window in seconds); §4 "RateLimit" is a List of service limit Items, each
// naming a policy with r (the remaining quota units) and t (seconds until
// the quota resets):
//
//	RateLimit-Policy: "burst";q=10;w=5, "quota";q=1000;w=86400
//	RateLimit: "burst";r=9;t=1, "quota";r=998;t=30214
//
// Gatehouse sends at most two policies, named so that they reveal no id:
//
//   - "burst": the token bucket that limits the caller, the most specific
//     that applies (the usage plan's per-method or per-key limit, else the
//     stage's method limit, else the account's), or the one that refused
//     the request. q is the burst, w the seconds to refill a whole burst at
//     the rate; r is the whole tokens left after this request, t the
//     seconds until the bucket is full again. A bucket that never refills
//     (rate 0) has no w and no t.
//   - "quota": the usage plan's quota. q is the limit, w the length of the
//     current period in seconds (day, week or this month); r is the
//     requests left in the period after this one, t the seconds until it
//     resets.
//
// A policy appears once the pipeline has reached its check: a refusal
// before the throttle step (no key, unknown key, no plan…) knows no limit
// of the caller's and carries no RateLimit fields; a throttled request
// carries "burst" (r=0) but not "quota", which was not reached. A 429 also
// keeps its Retry-After.
const (
	hdrRateLimitPolicy = "Ratelimit-Policy"
	hdrRateLimit       = "Ratelimit"
)

// rateLimitState is what the throttle step saw, for the RateLimit fields.
type rateLimitState struct {
	have bool
	t    apigw.Throttle
	lvl  counters.Level
}

// allowLevel is allow's draw for a stage with RateLimit headers: Allow with
// the bucket's level, noted for the headers. The most specific bucket is
// checked first and kept, unless a later one refuses. The later buckets
// (the account's, split into shards, is the costly one to read) take a
// plain Allow: a refusal's level follows from its retryAfter.
func (g *Gateway) allowLevel(ctx context.Context, rq *request, k counters.BucketKey, t apigw.Throttle) (bool, time.Duration, error) {
	if rq.rl.have {
		ok, retry, err := g.counters.Allow(ctx, k, t, rq.now)
		if err == nil && !ok {
			rq.rl = rateLimitState{have: true, t: t, lvl: refusedLevel(t, retry)}
		}
		return ok, retry, err
	}
	ok, retry, lvl, err := g.levels.AllowLevel(ctx, k, t, rq.now)
	if err == nil && !lvl.Unlimited {
		rq.rl = rateLimitState{have: true, t: t, lvl: lvl}
	}
	return ok, retry, err
}

// refusedLevel is the level of a bucket that just refused with retry: no
// whole token, and full once the next token has come (retry) and burst−1
// more after it at the rate.
func refusedLevel(t apigw.Throttle, retry time.Duration) counters.Level {
	if retry == counters.Never || !(t.RateLimit > 0) {
		return counters.Level{FullIn: counters.Never}
	}
	rest := float64(t.BurstLimit-1) / t.RateLimit * float64(time.Second)
	if rest >= float64(counters.Never-retry) {
		return counters.Level{FullIn: counters.Never}
	}
	return counters.Level{FullIn: retry + time.Duration(math.Ceil(rest))}
}

// writeRateLimit sets the RateLimit-Policy and RateLimit fields from what
// the pipeline saw. It is called only for a stage that asked for them.
func writeRateLimit(rq *request) {
	var pol, cur []byte
	if rl := &rq.rl; rl.have {
		pol = append(pol, `"burst";q=`...)
		pol = strconv.AppendInt(pol, int64(rl.t.BurstLimit), 10)
		if rl.t.RateLimit > 0 {
			pol = append(pol, ";w="...)
			pol = strconv.AppendInt(pol, ceilSeconds(float64(rl.t.BurstLimit)/rl.t.RateLimit), 10)
		}
		cur = append(cur, `"burst";r=`...)
		cur = strconv.AppendInt(cur, rl.lvl.Remaining, 10)
		if rl.lvl.FullIn != counters.Never {
			cur = append(cur, ";t="...)
			cur = strconv.AppendInt(cur, ceilDuration(rl.lvl.FullIn), 10)
		}
	}
	if p := rq.plan; p != nil && p.Quota != nil && !rq.quota.ResetAt.IsZero() {
		q := *p.Quota
		if len(pol) > 0 {
			pol = append(pol, ", "...)
			cur = append(cur, ", "...)
		}
		pol = append(pol, `"quota";q=`...)
		pol = strconv.AppendInt(pol, int64(q.Limit), 10)
		pol = append(pol, ";w="...)
		pol = strconv.AppendInt(pol, ceilDuration(q.PeriodEnd(rq.now).Sub(q.PeriodStart(rq.now))), 10)
		cur = append(cur, `"quota";r=`...)
		cur = strconv.AppendInt(cur, rq.quota.Remaining, 10)
		cur = append(cur, ";t="...)
		cur = strconv.AppendInt(cur, ceilDuration(rq.quota.ResetAt.Sub(rq.now)), 10)
	}
	if len(pol) == 0 {
		return
	}
	h := rq.w.Header()
	h[hdrRateLimitPolicy] = []string{string(pol)}
	h[hdrRateLimit] = []string{string(cur)}
}

// ceilDuration is d in whole seconds, rounded up, never negative.
func ceilDuration(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}

// ceilSeconds is s rounded up to whole seconds, capped for the field (an
// sf-integer has at most 15 digits).
func ceilSeconds(s float64) int64 {
	const maxInt = 999_999_999_999_999
	if !(s < maxInt) {
		return maxInt
	}
	return int64(math.Ceil(s))
}
