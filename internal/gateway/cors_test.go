package gateway

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
)

// enableCORSOptions is an OPTIONS method as the AWS console's "Enable
// CORS" sets it up (a MOCK whose 200 integration response sets the three
// headers), here also requiring a key, as Chalice does when every route of
// an app requires one: a preflight must pass anyway.
func enableCORSOptions(origin string, keyRequired bool) *apigw.Method {
	return &apigw.Method{APIKeyRequired: keyRequired, Integration: &apigw.Integration{Type: apigw.IntegrationMock,
		RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`},
		IntegrationResponses: map[string]*apigw.IntegrationResponse{"200": {StatusCode: "200", ResponseParameters: map[string]string{
			"method.response.header.Access-Control-Allow-Headers": "'Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token'",
			"method.response.header.Access-Control-Allow-Methods": "'GET,OPTIONS'",
			"method.response.header.Access-Control-Allow-Origin":  origin,
		}}}}}
}

// mockCORS is mockOK whose success answer sets Access-Control-Allow-Origin,
// as the console's "Enable CORS" adds to the method's integration response.
func mockCORS(origin string) *apigw.Integration {
	in := mockOK()
	in.IntegrationResponses["200"].ResponseParameters = map[string]string{"method.response.header.Access-Control-Allow-Origin": "'" + origin + "'"}
	return in
}

const (
	pageOrigin  = "https://app.example.com"
	otherOrigin = "https://evil.example.net"
)

// corsEnv holds the APIs of the CORS tests:
//   - awsway0001: CORS the AWS way (OPTIONS MOCK setting the header) on
//     every resource but /nocors, no gateway response customised;
//   - custom0001: the same, with INVALID_API_KEY customised (its own
//     Access-Control-Allow-Origin and another header);
//   - tagged0001: gatehouse:corsAllowOrigins=pageOrigin, no OPTIONS method;
//   - plain00001: neither.
func newCORSEnv(t *testing.T) (env *gwEnv, keyValue, quotaKey string, upstream *httptest.Server) {
	upstream = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/own" {
			w.Header().Set("Access-Control-Allow-Origin", "https://upstream.example")
		}
		io.WriteString(w, `{"up":true}`)
	}))
	t.Cleanup(upstream.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String()
	ln.Close()

	fn := newFnServer(t)
	env = newGWEnv(t, gwOptions{functions: httpInvoker(fn.srv.Client())})
	key := &apigw.Method{APIKeyRequired: true, Integration: mockCORS("*")}
	env.addAPI(apiDef{id: "awsway0001",
		authorizers: map[string]*apigw.Authorizer{"az": requestAuthorizer("az", fn.uri("/allow"), ttl(0))},
		methods: map[string]*apigw.Method{
			"GET /pets":        key,
			"OPTIONS /pets":    enableCORSOptions("'*'", true),
			"GET /limited":     key,
			"OPTIONS /limited": enableCORSOptions("'*'", false),
			"GET /quota":       key,
			"OPTIONS /quota":   enableCORSOptions("'*'", false),
			"GET /down":        {Integration: httpProxyTo(refused + "/x")},
			"OPTIONS /down":    enableCORSOptions("'"+pageOrigin+"'", false),
			"GET /authz":       custom("az"),
			"OPTIONS /authz":   enableCORSOptions("'*'", false),
			"GET /nocors":      key,
		}})
	env.addAPI(apiDef{id: "custom0001",
		methods: map[string]*apigw.Method{"GET /pets": key, "OPTIONS /pets": enableCORSOptions("'*'", false)},
		responses: map[string]*apigw.GatewayResponse{"INVALID_API_KEY": {Type: "INVALID_API_KEY", StatusCode: "403",
			ResponseParameters: map[string]string{"gatewayresponse.header.Access-Control-Allow-Origin": "'https://custom.example'", "gatewayresponse.header.X-Custom": "'yes'"}}}})
	env.addAPI(apiDef{id: "tagged0001",
		methods: map[string]*apigw.Method{
			"GET /pets":     {APIKeyRequired: true, Integration: mockOK()},
			"POST /pets":    {APIKeyRequired: true, Integration: mockOK()},
			"GET /up":       {Integration: httpProxyTo(upstream.URL + "/up")},
			"GET /own":      {Integration: httpProxyTo(upstream.URL + "/own")},
			"ANY /any":      {APIKeyRequired: true, Integration: httpProxyTo(upstream.URL + "/any")},
			"OPTIONS /mine": enableCORSOptions("'*'", false),
		}})
	env.tagAPI("tagged0001", map[string]string{apigw.TagCORSAllowOrigins: pageOrigin + ", http://localhost:3000"})
	env.addAPI(apiDef{id: "plain00001", methods: map[string]*apigw.Method{"GET /pets": {APIKeyRequired: true, Integration: mockOK()}}})

	var stages []apigw.APIStage
	for _, id := range []string{"awsway0001", "custom0001", "tagged0001", "plain00001"} {
		stages = append(stages, apigw.APIStage{APIID: id, Stage: "api"})
	}
	stages[0].Throttle = map[string]apigw.Throttle{"/limited/GET": {RateLimit: 0.001, BurstLimit: 1}}
	env.addPlan(&apigw.UsagePlan{ID: "plan01", Name: "p", APIStages: stages})
	env.addPlan(&apigw.UsagePlan{ID: "plan02", Name: "q", APIStages: stages[:1], Quota: &apigw.Quota{Limit: 1, Period: apigw.PeriodDay}})
	return env, env.addKey("k-cors0001", true, "plan01"), env.addKey("k-quota001", true, "plan02"), upstream
}

// TestCORSHeadersOnRefusals: every answer the gateway generates for a
// resource whose OPTIONS method enables CORS carries its
// Access-Control-Allow-Origin and exposes the headers a page needs; a
// customised gateway response keeps its own; a resource without CORS, and
// an API with neither way, get none.
func TestCORSHeadersOnRefusals(t *testing.T) {
	env, value, quotaKey, _ := newCORSEnv(t)
	get := func(api, path string, hdr ...string) func() *http.Request {
		return func() *http.Request {
			return newReq(t, "GET", env.url(api, path), nil, append([]string{"Origin", pageOrigin}, hdr...)...)
		}
	}
	tests := []struct {
		name   string
		req    func() *http.Request
		repeat int // send it this many times first
		status int
		reason Reason
		acao   string // "" : none
		other  map[string]string
	}{
		{"key missing", get("awsway0001", "/pets"), 0, 403, ReasonKeyMissing, "*", nil},
		{"unknown key", get("awsway0001", "/pets", "x-api-key", "nope-nope-nope-nope-nope"), 0, 403, ReasonKeyNotFound, "*", nil},
		{"with a key: the method's own answer", get("awsway0001", "/pets", "x-api-key", value), 0, 200, ReasonOK, "*", nil},
		{"no such method on the resource", func() *http.Request {
			return newReq(t, "DELETE", env.url("awsway0001", "/pets"), nil, "Origin", pageOrigin)
		}, 0, 403, ReasonNoMethod, "*", nil},
		{"throttled", get("awsway0001", "/limited", "x-api-key", value), 1, 429, ReasonThrottledPlanMethod, "*", map[string]string{"Retry-After": "1000"}},
		{"over quota", get("awsway0001", "/quota", "x-api-key", quotaKey), 1, 429, ReasonQuotaExceeded, "*", nil},
		{"upstream down (5xx), the resource's own origin", get("awsway0001", "/down"), 0, 502, ReasonIntegrationFailure, pageOrigin, nil},
		{"authorizer refusal", get("awsway0001", "/authz"), 0, 401, ReasonAuthorizerIdentityMissing, "*", nil},
		{"a resource without CORS", get("awsway0001", "/nocors"), 0, 403, ReasonKeyMissing, "", nil},
		{"customised response keeps its headers", get("custom0001", "/pets"), 0, 403, ReasonKeyMissing, "https://custom.example", map[string]string{"X-Custom": "yes"}},
		{"customisation not for this type: CORS from the resource", get("custom0001", "/pets", "x-api-key", "nope-nope-nope-nope-nope"), 0, 403, ReasonKeyNotFound, "https://custom.example", nil},
		{"API with neither", get("plain00001", "/pets"), 0, 403, ReasonKeyMissing, "", nil},
		{"unknown route: no resource", get("awsway0001", "/nothing"), 0, 403, ReasonUnknownRoute, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range tt.repeat {
				env.do(tt.req())
			}
			r := env.do(tt.req())
			if r.status != tt.status || r.reason() != string(tt.reason) {
				t.Fatalf("%d %s (%v), want %d %s", r.status, r.reason(), r.line["detail"], tt.status, tt.reason)
			}
			if got := r.header.Get("Access-Control-Allow-Origin"); got != tt.acao {
				t.Errorf("Access-Control-Allow-Origin %q, want %q", got, tt.acao)
			}
			expose := r.header.Get("Access-Control-Expose-Headers")
			switch {
			case tt.acao != "" && tt.reason != ReasonOK && !strings.Contains(tt.name, "customised"):
				for _, h := range []string{"x-amzn-RequestId", "x-amzn-ErrorType", "Retry-After", "RateLimit", "RateLimit-Policy"} {
					if !strings.Contains(expose, h) {
						t.Errorf("Access-Control-Expose-Headers %q does not list %s", expose, h)
					}
				}
			case tt.acao == "" && expose != "":
				t.Errorf("Access-Control-Expose-Headers %q without CORS", expose)
			}
			for k, v := range tt.other {
				if got := r.header.Get(k); got != v {
					t.Errorf("%s %q, want %q", k, got, v)
				}
			}
			if r.line["origin"] != pageOrigin {
				t.Errorf("access log origin %v, want %s", r.line["origin"], pageOrigin)
			}
			// The access log says when the browser will not show a refusal.
			detail, _ := r.line["detail"].(string)
			hidden := strings.Contains(detail, "the browser will not show it")
			if tt.reason != ReasonOK && hidden != (tt.acao == "") {
				t.Errorf("detail %q: says hidden %v, want %v", detail, hidden, tt.acao == "")
			}
		})
	}
}

// TestCORSPreflight: a preflight never needs a key or an authorizer; with
// gatehouse:corsAllowOrigins Gatehouse answers it itself for a listed
// origin, and for no other.
func TestCORSPreflight(t *testing.T) {
	env, value, _, _ := newCORSEnv(t)
	preflight := func(api, path, origin, method string) *http.Request {
		return newReq(t, "OPTIONS", env.url(api, path), nil, "Origin", origin, "Access-Control-Request-Method", method, "Access-Control-Request-Headers", "x-api-key,content-type")
	}
	tests := []struct {
		name   string
		req    *http.Request
		status int
		reason Reason
		want   map[string]string // headers; "" : absent
	}{
		{"AWS way: the OPTIONS MOCK answers, its key requirement skipped", preflight("awsway0001", "/pets", pageOrigin, "GET"), 200, ReasonOK,
			map[string]string{"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET,OPTIONS"}},
		{"AWS way: the authorizer is skipped", preflight("awsway0001", "/authz", pageOrigin, "GET"), 200, ReasonOK,
			map[string]string{"Access-Control-Allow-Origin": "*"}},
		{"OPTIONS without the preflight headers needs the key", newReq(t, "OPTIONS", env.url("awsway0001", "/pets"), nil, "Origin", pageOrigin), 403, ReasonKeyMissing,
			map[string]string{"Access-Control-Allow-Origin": "*"}},
		{"tag: Gatehouse answers for a listed origin", preflight("tagged0001", "/pets", pageOrigin, "POST"), 204, ReasonOK,
			map[string]string{"Access-Control-Allow-Origin": pageOrigin, "Access-Control-Allow-Methods": "GET,POST,OPTIONS",
				"Access-Control-Allow-Headers": "x-api-key,content-type", "Access-Control-Max-Age": "600", "Vary": "Origin, Access-Control-Request-Headers"}},
		{"tag: ANY is not an OPTIONS method", preflight("tagged0001", "/any", "http://localhost:3000", "PUT"), 204, ReasonOK,
			map[string]string{"Access-Control-Allow-Origin": "http://localhost:3000", "Access-Control-Allow-Methods": allMethodsForANY}},
		{"tag: the resource's own OPTIONS method answers, with the tag's headers added", preflight("tagged0001", "/mine", pageOrigin, "GET"), 200, ReasonOK,
			map[string]string{"Access-Control-Allow-Origin": "*"}},
		{"tag: an origin not listed gets nothing", preflight("tagged0001", "/pets", otherOrigin, "GET"), 403, ReasonNoMethod,
			map[string]string{"Access-Control-Allow-Origin": "", "Access-Control-Allow-Methods": "", "Access-Control-Expose-Headers": ""}},
		{"neither: no preflight answer", preflight("plain00001", "/pets", pageOrigin, "GET"), 403, ReasonNoMethod,
			map[string]string{"Access-Control-Allow-Origin": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := env.do(tt.req)
			if r.status != tt.status || r.reason() != string(tt.reason) {
				t.Fatalf("%d %s (%v), want %d %s", r.status, r.reason(), r.line["detail"], tt.status, tt.reason)
			}
			for k, v := range tt.want {
				if got := r.header.Get(k); got != v {
					t.Errorf("%s %q, want %q", k, got, v)
				}
			}
			if _, ok := r.line["apiKeyId"]; !ok || r.line["apiKeyId"] != "" && tt.reason == ReasonOK {
				t.Errorf("a preflight used key %v", r.line["apiKeyId"])
			}
		})
	}

	// The tag's headers go on integration answers too (MOCK and
	// HTTP_PROXY), the upstream's own header winning; a listed origin only.
	for _, tt := range []struct {
		name, path, origin, acao string
		hdr                      []string
	}{
		{"MOCK", "/pets", pageOrigin, pageOrigin, []string{"x-api-key", value}},
		{"HTTP_PROXY", "/up", pageOrigin, pageOrigin, nil},
		{"HTTP_PROXY setting its own", "/own", pageOrigin, "https://upstream.example", nil},
		{"origin not listed", "/up", otherOrigin, "", nil},
		{"refusal for a listed origin", "/pets", "http://localhost:3000", "http://localhost:3000", nil},
	} {
		t.Run("answer/"+tt.name, func(t *testing.T) {
			r := env.do(newReq(t, "GET", env.url("tagged0001", tt.path), nil, append([]string{"Origin", tt.origin}, tt.hdr...)...))
			if got := r.header.Get("Access-Control-Allow-Origin"); got != tt.acao {
				t.Errorf("%d: Access-Control-Allow-Origin %q, want %q", r.status, got, tt.acao)
			}
			if tt.acao == tt.origin && !strings.Contains(r.header.Get("Vary"), "Origin") {
				t.Errorf("Vary %q, want Origin", r.header.Get("Vary"))
			}
		})
	}
}

// TestCORSLogDetail: a refusal the browser will not show says so in the
// access log, with the fix; a same-origin request does not.
func TestCORSLogDetail(t *testing.T) {
	env, _, _, _ := newCORSEnv(t)
	r := env.do(newReq(t, "GET", env.url("plain00001", "/pets"), nil, "Origin", pageOrigin))
	detail, _ := r.line["detail"].(string)
	for _, w := range []string{"origin \"" + pageOrigin + "\"", "the browser will not show it", "TypeError: Failed to fetch", "status 403",
		"enable CORS on resource /pets", "tag API plain00001 gatehouse:corsAllowOrigins"} {
		if !strings.Contains(detail, w) {
			t.Errorf("detail %q lacks %q", detail, w)
		}
	}
	r = env.do(newReq(t, "GET", env.url("tagged0001", "/pets"), nil, "Origin", otherOrigin))
	if detail, _ := r.line["detail"].(string); !strings.Contains(detail, "add the origin to API tagged0001's gatehouse:corsAllowOrigins tag") {
		t.Errorf("detail %q", detail)
	}
	host := strings.TrimPrefix(env.srv.URL, "http://")
	r = env.do(newReq(t, "GET", env.url("plain00001", "/pets"), nil, "Origin", "http://"+host))
	if detail, _ := r.line["detail"].(string); strings.Contains(detail, "browser") {
		t.Errorf("same-origin detail %q", detail)
	}
	long := "https://" + strings.Repeat("a", 1000) + ".example"
	r = env.do(newReq(t, "GET", env.url("plain00001", "/pets"), nil, "Origin", long))
	if o, _ := r.line["origin"].(string); len(o) != maxLoggedOrigin {
		t.Errorf("logged origin of %d bytes, want %d", len(o), maxLoggedOrigin)
	}
	r = env.do(newReq(t, "GET", env.url("plain00001", "/pets"), nil))
	if _, ok := r.line["origin"]; ok {
		t.Errorf("origin logged for a request without one: %v", r.line)
	}
}

// TestCORSExplainShowsSkip: Explain runs the same steps, and shows which a
// preflight skips and why.
func TestCORSExplainShowsSkip(t *testing.T) {
	env, _, _, _ := newCORSEnv(t)
	ctx := context.Background()
	tests := []struct {
		name     string
		api      string
		verdicts string
	}{
		{"AWS way", "awsway0001", "route:PASS body:PASS cors:PASS policy:PASS authorizer:SKIPPED keysource:SKIPPED key:SKIPPED plan:SKIPPED integration:PASS validate:PASS throttle:PASS quota:PASS"},
		{"tag", "tagged0001", "route:PASS body:PASS cors:PASS policy:PASS authorizer:SKIPPED keysource:SKIPPED key:SKIPPED plan:SKIPPED integration:SKIPPED validate:PASS throttle:PASS quota:PASS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := env.g.Explain(ctx, ExplainRequest{Request: newReq(t, "OPTIONS", env.url(tt.api, "/pets"), nil, "Origin", pageOrigin, "Access-Control-Request-Method", "GET")})
			if tr.Decision != nil {
				t.Fatalf("refused: %+v", tr.Decision)
			}
			var verdicts []string
			for _, s := range tr.Steps {
				verdicts = append(verdicts, s.Name+":"+string(s.Verdict))
				if s.Verdict == VerdictSkipped && !strings.HasPrefix(s.Detail, "skipped: CORS preflight") {
					t.Errorf("step %s: detail %q", s.Name, s.Detail)
				}
				if s.Name == "cors" && !strings.Contains(s.Detail, "CORS preflight from \""+pageOrigin+"\"") {
					t.Errorf("cors step: %q", s.Detail)
				}
			}
			if got := strings.Join(verdicts, " "); got != tt.verdicts {
				t.Errorf("verdicts\n %s\nwant\n %s", got, tt.verdicts)
			}
		})
	}
	// Not a preflight: the cors step names the CORS set-up.
	tr := env.g.Explain(ctx, ExplainRequest{Request: newReq(t, "GET", env.url("awsway0001", "/pets"), nil, "Origin", pageOrigin)})
	if s := tr.Steps[2]; s.Name != "cors" || !strings.Contains(s.Detail, `resource /pets has CORS (its OPTIONS method sets Access-Control-Allow-Origin "*")`) {
		t.Errorf("cors step %+v", s)
	}
	tr = env.g.Explain(ctx, ExplainRequest{Request: newReq(t, "GET", env.url("tagged0001", "/pets"), nil, "Origin", otherOrigin)})
	if s := tr.Steps[2]; !strings.Contains(s.Detail, `origin "`+otherOrigin+`" is not in API tagged0001's gatehouse:corsAllowOrigins`) {
		t.Errorf("cors step %+v", s)
	}
}

// TestCORSAllocs: CORS costs a request that sends no Origin nothing.
func TestCORSAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's instrumentation allocates")
	}
	env, value, _, _ := newCORSEnv(t)
	for _, api := range []string{"awsway0001", "tagged0001"} {
		req := newReq(t, "GET", env.url(api, "/pets"), nil, "x-api-key", value)
		rq := &request{}
		ctx := context.Background()
		n := testing.AllocsPerRun(100, func() {
			rq.reset(env.g, nil, req)
			rq.dryRun = true // peek, so that the run leaves the counters be
			if d := env.g.run(ctx, rq); d != nil {
				t.Fatalf("refused: %+v", d)
			}
		})
		if n != 0 {
			t.Errorf("%s: %v allocations per decision, want 0", api, n)
		}
	}
}
