package gateway

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
)

// TestRateLimitHeaders follows the RateLimit fields through a sequence of
// requests on a stage tagged gatehouse:rateLimitHeaders=true, on the
// gateway's fake clock: the burst's tokens going down and refilling, the
// quota going down to its refusal, 429s keeping Retry-After, and no field
// where no limit of the caller's is known or the stage did not ask.
func TestRateLimitHeaders(t *testing.T) {
	env := newGWEnv(t, gwOptions{account: apigw.Throttle{RateLimit: -1, BurstLimit: -1}})
	keyed := &apigw.Method{APIKeyRequired: true, Integration: mockOK()}
	env.addAPI(apiDef{id: "ratelim001", methods: map[string]*apigw.Method{"GET /pets": keyed},
		stageTags: map[string]string{apigw.TagRateLimitHeaders: "true"}})
	env.addAPI(apiDef{id: "plainapi01", methods: map[string]*apigw.Method{"GET /pets": keyed}})
	env.addPlan(&apigw.UsagePlan{ID: "plan01", Name: "p",
		APIStages: []apigw.APIStage{{APIID: "ratelim001", Stage: "api"}, {APIID: "plainapi01", Stage: "api"}},
		Throttle:  &apigw.Throttle{RateLimit: 1, BurstLimit: 3},
		Quota:     &apigw.Quota{Limit: 6, Period: apigw.PeriodDay}})
	key := env.addKey("key001", true, "plan01")
	start := env.now // 12:00 UTC: the day's quota resets in 43,200 s

	const policy = `"burst";q=3;w=3, "quota";q=6;w=86400`
	steps := []struct {
		name       string
		at         time.Duration
		api        string
		noKey      bool
		status     int
		policy     string // "" : no RateLimit-Policy
		limit      string
		retryAfter string
	}{
		{"first request: a token spent", 0, "ratelim001", false, 200, policy, `"burst";r=2;t=1, "quota";r=5;t=43200`, ""},
		{"second", 0, "ratelim001", false, 200, policy, `"burst";r=1;t=2, "quota";r=4;t=43200`, ""},
		{"third empties the burst", 0, "ratelim001", false, 200, policy, `"burst";r=0;t=3, "quota";r=3;t=43200`, ""},
		{"throttled: burst only (quota not reached), Retry-After kept", 0, "ratelim001", false, 429, `"burst";q=3;w=3`, `"burst";r=0;t=3`, "1"},
		{"a token refilled after 1 s, spent at once", time.Second, "ratelim001", false, 200, policy, `"burst";r=0;t=3, "quota";r=2;t=43199`, ""},
		{"half a token is no token", 1500 * time.Millisecond, "ratelim001", false, 429, `"burst";q=3;w=3`, `"burst";r=0;t=3`, "1"},
		{"full again after 10 s", 10 * time.Second, "ratelim001", false, 200, policy, `"burst";r=2;t=1, "quota";r=1;t=43190`, ""},
		{"last request of the quota", 20 * time.Second, "ratelim001", false, 200, policy, `"burst";r=2;t=1, "quota";r=0;t=43180`, ""},
		{"over quota", 30 * time.Second, "ratelim001", false, 429, policy, `"burst";r=2;t=1, "quota";r=0;t=43170`, "43170"},
		{"no key: no limit of the caller's is known", 30 * time.Second, "ratelim001", true, 403, "", "", ""},
		{"a stage without the tag sends none", 30 * time.Second, "plainapi01", false, 429, "", "", "43170"},
		{"the next day: the quota starts over", 12 * time.Hour, "ratelim001", false, 200, policy, `"burst";r=2;t=1, "quota";r=5;t=86400`, ""},
	}
	for _, st := range steps {
		env.now = start.Add(st.at)
		req, _ := http.NewRequest("GET", env.url(st.api, "/pets"), nil)
		if !st.noKey {
			req.Header.Set("x-api-key", key)
		}
		r := env.do(req)
		if r.status != st.status {
			t.Fatalf("%s: status %d (%s), want %d", st.name, r.status, r.reason(), st.status)
		}
		if got := r.header.Values("RateLimit-Policy"); !equalOne(got, st.policy) {
			t.Errorf("%s: RateLimit-Policy %q, want %q", st.name, got, st.policy)
		}
		if got := r.header.Values("RateLimit"); !equalOne(got, st.limit) {
			t.Errorf("%s: RateLimit %q, want %q", st.name, got, st.limit)
		}
		if got := r.header.Get("Retry-After"); got != st.retryAfter {
			t.Errorf("%s: Retry-After %q, want %q", st.name, got, st.retryAfter)
		}
	}
}

// equalOne: vs is exactly [want], or empty when want is "".
func equalOne(vs []string, want string) bool {
	if want == "" {
		return len(vs) == 0
	}
	return len(vs) == 1 && vs[0] == want
}

// TestRateLimitHeadersStageThrottle: without a plan limit the stage's
// method throttle is the burst policy, and the quota policy is absent
// when the plan has no quota.
func TestRateLimitHeadersStageThrottle(t *testing.T) {
	env := newGWEnv(t, gwOptions{account: apigw.Throttle{RateLimit: -1, BurstLimit: -1}})
	env.addAPI(apiDef{id: "ratelim002", methods: map[string]*apigw.Method{"GET /pets": {Integration: mockOK()}},
		stageTags:      map[string]string{apigw.TagRateLimitHeaders: "true"},
		methodSettings: map[string]*apigw.MethodSetting{"*/*": {ThrottlingRateLimit: 0.5, ThrottlingBurstLimit: 2}}})
	for i, want := range []string{`"burst";r=1;t=2`, `"burst";r=0;t=4`} {
		r := env.do(mustRequest(t, "GET", env.url("ratelim002", "/pets")))
		if got := r.header.Get("RateLimit"); r.status != 200 || got != want {
			t.Errorf("request %d: %d, RateLimit %q; want 200, %q", i, r.status, got, want)
		}
		if got := r.header.Get("RateLimit-Policy"); got != `"burst";q=2;w=4` {
			t.Errorf("request %d: RateLimit-Policy %q", i, got)
		}
	}
}

func mustRequest(t *testing.T, method, url string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestServeHTTPAllocsWithoutRateLimitTag: the served path of a stage
// without the tag allocates exactly what it did before RateLimit headers
// existed (measured on the commit before them: 3 per MOCK request, with
// an access log and metrics off), and a tagged stage's extra cost stays
// with the tagged stage.
func TestServeHTTPAllocsWithoutRateLimitTag(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's instrumentation allocates")
	}
	env := newBenchEnv(t, 10)
	r := httptest.NewRequest("POST", "/restapis/"+env.apiID+"/api/_user_request_/doit", nil)
	r.Header.Set("x-api-key", env.values[3])
	w := &nullWriter{h: http.Header{}}
	allocs := testing.AllocsPerRun(200, func() {
		clear(w.h)
		env.g.ServeHTTP(w, r)
		if w.status != 200 {
			t.Fatalf("status %d", w.status)
		}
	})
	if len(w.h["Ratelimit"]) != 0 {
		t.Fatalf("RateLimit sent on a stage without the tag: %q", w.h["Ratelimit"])
	}
	if allocs != serveHTTPMockAllocs {
		t.Fatalf("ServeHTTP allocates %v times per MOCK request on an untagged stage, want %v as before RateLimit headers", allocs, serveHTTPMockAllocs)
	}
}

// serveHTTPMockAllocs is ServeHTTP's allocation count for the bench API's
// MOCK request, without access log or metrics (see above).
const serveHTTPMockAllocs = 3

// TestRateLimitHeadersLaterBucketRefuses: when a less specific bucket (here
// the account's) refuses after the plan's passed, the fields describe the
// refusing bucket, its level worked out from its retryAfter.
func TestRateLimitHeadersLaterBucketRefuses(t *testing.T) {
	env := newGWEnv(t, gwOptions{account: apigw.Throttle{RateLimit: 1, BurstLimit: 2}})
	env.addAPI(apiDef{id: "ratelim003", methods: map[string]*apigw.Method{"GET /pets": {APIKeyRequired: true, Integration: mockOK()}},
		stageTags: map[string]string{apigw.TagRateLimitHeaders: "true"}})
	env.addPlan(&apigw.UsagePlan{ID: "plan01", Name: "p", APIStages: []apigw.APIStage{{APIID: "ratelim003", Stage: "api"}},
		Throttle: &apigw.Throttle{RateLimit: 100, BurstLimit: 100}})
	key := env.addKey("key001", true, "plan01")
	want := []struct {
		status       int
		policy, left string
	}{
		{200, `"burst";q=100;w=1`, `"burst";r=99;t=1`},
		{200, `"burst";q=100;w=1`, `"burst";r=99;t=1`}, // the plan's bucket refilled 10 ms' worth: 99 whole
		// The account's: split over 2 shards of burst 1 at 0.5/s, its next
		// token comes in 1.98 s, and retryAfter + (burst−1)/rate errs on
		// the late side for a split bucket (each shard is full in 1.99 s).
		{429, `"burst";q=2;w=2`, `"burst";r=0;t=3`},
	}
	for i, w := range want {
		req := mustRequest(t, "GET", env.url("ratelim003", "/pets"))
		req.Header.Set("x-api-key", key)
		r := env.do(req)
		if r.status != w.status || r.header.Get("RateLimit-Policy") != w.policy || r.header.Get("RateLimit") != w.left {
			t.Errorf("request %d: %d %s, %q, %q; want %d, %q, %q", i, r.status, r.reason(), r.header.Get("RateLimit-Policy"), r.header.Get("RateLimit"), w.status, w.policy, w.left)
		}
		env.now = env.now.Add(10 * time.Millisecond)
	}
}
