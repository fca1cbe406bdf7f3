package counters

import (
	"context"
	"math"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// Throttler enforces token buckets, as API Gateway's throttles do.
//
// A bucket is identified by a BucketKey and holds at most BurstLimit
// tokens; it refills at RateLimit tokens per second and starts full. Each
// admitted request takes one token.
//
// Implementations must be safe for concurrent use.
type Throttler interface {
	// Allow takes one token from the bucket k under limit t at time now.
	//
	// When the bucket is empty it returns ok=false and retryAfter, the time
	// from now until a token will be available (Never when none ever will).
	// When ok is true retryAfter is 0.
	//
	// t is the limit in force now: a changed limit (an edited plan or stage)
	// takes effect on this call, and the bucket keeps its level, capped at
	// the new burst. A negative BurstLimit or RateLimit, or an infinite
	// RateLimit, means "no limit": Allow admits and keeps no state. A
	// BurstLimit of 0 admits nothing (AWS: burst 0 throttles every request);
	// a RateLimit of 0 admits BurstLimit requests and then none. Rates are
	// honoured to 1e-9 tokens per second.
	//
	// now must be the request's time; an implementation backed by a shared
	// server may use the server's clock instead. err is non-nil only when
	// the counts could not be reached (never for Local); ok is then false.
	Allow(ctx context.Context, k BucketKey, t apigw.Throttle, now time.Time) (ok bool, retryAfter time.Duration, err error)

	// Refund puts back the token a successful Allow(k, t, now) took, when a
	// later check refused the request: a request that is not served must
	// not use up the caller's limit (a key throttled by the account limit
	// keeps its plan tokens). The bucket never rises above full, and a
	// refund under a limit other than t's is ignored (the level was
	// already carried over to the new limit).
	Refund(ctx context.Context, k BucketKey, t apigw.Throttle, now time.Time) error

	// PeekThrottle reports what Allow(k, t, now) would answer, without
	// taking a token and without creating or changing any state (dry-run
	// diagnostics use it). It follows Allow's rules for t, a changed limit
	// included: the answer is Allow's as if the limit had been changed.
	// err is as for Allow. (It is not called Peek because Quotas has a
	// Peek, and one type implements both interfaces.)
	PeekThrottle(ctx context.Context, k BucketKey, t apigw.Throttle, now time.Time) (ok bool, retryAfter time.Duration, err error)
}

// Never is the retryAfter of a bucket that will never have a token again
// (burst 0, or rate 0 and spent).
const Never = time.Duration(math.MaxInt64)

// Scope says which of AWS's throttling levels a bucket enforces.
type Scope uint8

// Bucket scopes. The fields of BucketKey each scope uses are listed.
const (
	// ScopePlanKey is the usage plan's per-client limit, shared by all
	// methods and stages of the plan: PlanID, KeyID.
	ScopePlanKey Scope = iota + 1
	// ScopePlanKeyMethod is a usage plan's per-client, per-method limit
	// (apiStages[].throttle["/path/METHOD"]): PlanID, KeyID, Method.
	ScopePlanKeyMethod
	// ScopeStageMethod is a stage's per-method limit (methodSettings),
	// shared by all clients: Method.
	ScopeStageMethod
	// ScopeAccount is the account-level limit: no fields (AccountBucket).
	// Its Throttle is the account's total limit (AWS: 10,000 requests/s,
	// burst 5,000), which one caller can use whole; how an implementation
	// spreads it to avoid contention is its own business, but over any
	// window of length d it admits at most burst + rate·d requests.
	ScopeAccount
)

// BucketKey identifies one token bucket. It is comparable and cheap to
// copy; build it with the constructors below so that unused fields stay
// empty.
type BucketKey struct {
	Scope  Scope
	PlanID string
	KeyID  string
	// Method identifies a method of a deployed stage, as built by MethodID.
	Method string
}

// PlanKeyBucket is the key of a usage plan's per-client bucket.
func PlanKeyBucket(planID, keyID string) BucketKey {
	return BucketKey{Scope: ScopePlanKey, PlanID: planID, KeyID: keyID}
}

// PlanKeyMethodBucket is the key of a usage plan's per-client bucket for
// one method; method comes from MethodID.
func PlanKeyMethodBucket(planID, keyID, method string) BucketKey {
	return BucketKey{Scope: ScopePlanKeyMethod, PlanID: planID, KeyID: keyID, Method: method}
}

// StageMethodBucket is the key of a stage's bucket for one method, shared
// by all clients; method comes from MethodID.
func StageMethodBucket(method string) BucketKey {
	return BucketKey{Scope: ScopeStageMethod, Method: method}
}

// AccountBucket is the key of the account-level bucket; pass it the
// account's total limit (see ScopeAccount). A BucketKey of ScopeAccount
// with any field set is an ordinary bucket, not the account's.
func AccountBucket() BucketKey { return BucketKey{Scope: ScopeAccount} }

// MethodID names a method of a stage for bucket keys:
// "{apiID}/{stage}{methodKey}", where methodKey is AWS's throttle key
// "{resourcePath}/{HTTP_METHOD}" (root: "//GET"). API ids and stage names
// contain no '/', so the id is unambiguous. It allocates: build it once
// per method when compiling routes, not per request.
func MethodID(apiID, stage, methodKey string) string {
	return apigw.StageRef(apiID, stage) + methodKey
}

// Quotas enforces usage-plan quotas: a number of requests per (plan, key)
// per calendar period in UTC, across all stages of the plan. The period containing now is q.PeriodStart(now) to q.PeriodEnd(now).
//
// The remaining count of a period is q.Limit + adjustment − used, where the
// adjustment is the one set for that period (UpdateUsage), 0 if none.
//
// q must be valid (q.Validate() == nil). err is non-nil only when the counts
// could not be reached (never for Local). Implementations must be safe for
// concurrent use.
type Quotas interface {
	// Take consumes one request of the period containing now if the
	// remaining count is positive. The result's Remaining is the count
	// left after this call.
	Take(ctx context.Context, planID, keyID string, q apigw.Quota, now time.Time) (QuotaResult, error)
	// Peek reports the period containing now without consuming anything;
	// Allowed says whether a Take would succeed.
	Peek(ctx context.Context, planID, keyID string, q apigw.Quota, now time.Time) (QuotaResult, error)
	// SetRemaining sets the adjustment of the period containing now so that
	// remaining requests are left (UpdateUsage "replace /remaining"), and
	// returns that adjustment for the caller to persist.
	SetRemaining(ctx context.Context, planID, keyID string, q apigw.Quota, remaining int64, now time.Time) (store.QuotaAdjustment, error)
	// Adjust installs a persisted adjustment (one made here or elsewhere).
	// It replaces the key's previous adjustment; it counts only while the
	// period starting at a.PeriodStart is current.
	Adjust(ctx context.Context, a store.QuotaAdjustment) error
}

// QuotaResult is the state of one key's quota period.
type QuotaResult struct {
	// Allowed: Take consumed a request; for Peek, a Take would.
	Allowed bool
	// Used is the number of requests counted in the period.
	Used int64
	// Remaining is limit + adjustment − used, never below 0.
	Remaining int64
	// ResetAt is the end of the period (UTC), when the count starts over.
	ResetAt time.Time
}

// Usage counts admitted requests per (plan, key, UTC day) for GetUsage.
// Implementations must be safe for concurrent use.
type Usage interface {
	// Record counts one request of keyID in planID on now's UTC day. err is
	// non-nil only when the counts could not be reached (never for Local).
	Record(ctx context.Context, planID, keyID string, now time.Time) error
}
