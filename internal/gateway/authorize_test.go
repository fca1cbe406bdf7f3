package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/counters"
	"github.com/gatehouse-dev/gatehouse/internal/lambda"
)

// httpInvoker calls plain-HTTP functions (the Gatehouse extension: an
// http:// authorizerUri receives the event by POST): a 2xx answer is the
// payload, any other a function error whose payload is the answer, as
// package lambda's client treats them. Other URIs are ErrBadURI.
func httpInvoker(client *http.Client) lambda.Invoker {
	return lambda.InvokerFunc(func(ctx context.Context, uri string, payload []byte) (lambda.Result, error) {
		if !strings.HasPrefix(uri, "http://") {
			return lambda.Result{}, fmt.Errorf("%w: %s", lambda.ErrBadURI, uri)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, uri, bytes.NewReader(payload))
		if err != nil {
			return lambda.Result{}, fmt.Errorf("%w: %v", lambda.ErrInvoke, err)
		}
		resp, err := client.Do(req)
		if err != nil {
			if ctx.Err() == context.DeadlineExceeded {
				return lambda.Result{}, fmt.Errorf("%w: %v", lambda.ErrTimeout, err)
			}
			return lambda.Result{}, fmt.Errorf("%w: %v", lambda.ErrInvoke, err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if err != nil {
			return lambda.Result{}, fmt.Errorf("%w: %v", lambda.ErrInvoke, err)
		}
		if resp.StatusCode/100 == 2 {
			return lambda.Result{Payload: body}, nil
		}
		return lambda.Result{Payload: body, FunctionError: "Unhandled"}, nil
	})
}

// fnServer is a plain-HTTP authorizer function the test controls: each
// path answers one way, and every call is counted by path.
type fnServer struct {
	t       *testing.T
	srv     *httptest.Server
	mu      sync.Mutex
	calls   map[string]int
	last    map[string]map[string]any // the last event by path
	release chan struct{}             // /block answers once it is closed
}

func allowPolicy(resource string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"` + resource + `"}]}`
}

func newFnServer(t *testing.T) *fnServer {
	f := &fnServer{t: t, calls: map[string]int{}, last: map[string]map[string]any{}, release: make(chan struct{})}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev map[string]any
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		f.mu.Lock()
		f.calls[r.URL.Path]++
		f.last[r.URL.Path] = ev
		f.mu.Unlock()
		arn, _ := ev["methodArn"].(string)
		reply := func(v string) { io.WriteString(w, v) }
		switch r.URL.Path {
		case "/allow", "/block":
			if r.URL.Path == "/block" {
				<-f.release
			}
			reply(`{"principalId":"user-1","policyDocument":` + allowPolicy("*") + `,"context":{"tier":"gold","n":3,"ok":true}}`)
		case "/scoped": // AWS's blueprint: allow the methodArn of this request only
			reply(`{"principalId":"user-1","policyDocument":` + allowPolicy(arn) + `}`)
		case "/elsewhere":
			reply(`{"principalId":"user-1","policyDocument":` + allowPolicy("arn:aws:execute-api:*:*:other00001/*") + `}`)
		case "/deny":
			reply(`{"principalId":"user-1","policyDocument":{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"execute-api:Invoke","Resource":"*"}}}`)
		case "/unauthorized":
			w.WriteHeader(401)
			reply(`{"errorMessage":"Unauthorized","errorType":"Error"}`)
		case "/error":
			w.WriteHeader(500)
			reply(`{"errorMessage":"database down","errorType":"Error"}`)
		case "/noprincipal":
			reply(`{"policyDocument":` + allowPolicy("*") + `}`)
		case "/nested":
			reply(`{"principalId":"u","policyDocument":` + allowPolicy("*") + `,"context":{"groups":["a","b"]}}`)
		case "/slow":
			<-r.Context().Done()
		case "/key": // usageIdentifierKey: the query string's apiKey
			q, _ := ev["queryStringParameters"].(map[string]any)
			k, _ := q["apiKey"].(string)
			b, _ := json.Marshal(k)
			reply(`{"principalId":"user-1","policyDocument":` + allowPolicy("*") + `,"usageIdentifierKey":` + string(b) + `}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(func() {
		select {
		case <-f.release:
		default:
			close(f.release)
		}
		f.srv.Close()
	})
	return f
}

func (f *fnServer) uri(path string) string { return f.srv.URL + path }

func (f *fnServer) count(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[path]
}

func (f *fnServer) lastEvent(path string) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last[path]
}

func ttl(n int) *int { return &n }

// custom is a method behind authorizer id, answering MOCK 200 {"ok":true}.
func custom(id string) *apigw.Method {
	return &apigw.Method{AuthorizationType: apigw.AuthCustom, AuthorizerID: id, Integration: mockOK()}
}

// requestAuthorizer is a REQUEST authorizer reading the X-Token header.
func requestAuthorizer(id, uri string, ttlSeconds *int) *apigw.Authorizer {
	return &apigw.Authorizer{ID: id, Name: id, Type: apigw.AuthorizerRequest, AuthorizerURI: uri,
		IdentitySource: "method.request.header.X-Token", AuthorizerResultTTLInSeconds: ttlSeconds}
}

const (
	bodyUnauthorized = `{"message":"Unauthorized"}`
	bodyExplicitDeny = `{"Message":"User is not authorized to access this resource with an explicit deny"}`
	bodyNotAllowed   = `{"Message":"User is not authorized to access this resource"}`
	bodyNull         = `{"message":null}`
)

// TestAuthorizerOutcomes: every outcome of a custom authorizer, as AWS
// answers it, with its own reason code, and whether the function was
// invoked.
func TestAuthorizerOutcomes(t *testing.T) {
	fn := newFnServer(t)
	env := newGWEnv(t, gwOptions{functions: httpInvoker(fn.srv.Client())})
	env.g.authTimeout = 200 * time.Millisecond
	auths := map[string]*apigw.Authorizer{
		"tok": {ID: "tok", Name: "tok", Type: apigw.AuthorizerToken, AuthorizerURI: fn.uri("/allow"), IdentitySource: "method.request.header.Authorization",
			IdentityValidationExpression: "Bearer [a-z0-9]+", AuthorizerResultTTLInSeconds: ttl(0)},
		"cog": {ID: "cog", Name: "cog", Type: apigw.AuthorizerCognito, ProviderARNs: []string{"arn:aws:cognito-idp:us-east-1:000000000000:userpool/x"}},
		"bad": requestAuthorizer("bad", "ftp://nowhere/fn", ttl(0)),
	}
	methods := map[string]*apigw.Method{
		"GET /tok":     custom("tok"),
		"GET /cognito": {AuthorizationType: apigw.AuthCognito, AuthorizerID: "cog", Integration: mockOK()},
		"GET /bad":     custom("bad"),
		"GET /gone":    custom("nosuch"),
	}
	for _, p := range []string{"allow", "deny", "elsewhere", "unauthorized", "error", "slow", "noprincipal", "nested"} {
		auths[p] = requestAuthorizer(p, fn.uri("/"+p), ttl(0))
		methods["GET /"+p] = custom(p)
	}
	env.addAPI(apiDef{id: "authz00002", methods: methods, authorizers: auths})

	tests := []struct {
		name, path string
		hdr        []string
		status     int
		body       string
		errType    string
		reason     Reason
		invoked    string // the function path that must have been called once, "" for none
	}{
		{"allowed", "/allow", []string{"X-Token", "t1"}, 200, `{"ok":true}`, "", ReasonOK, "/allow"},
		{"TOKEN allowed", "/tok", []string{"Authorization", "Bearer abc"}, 200, `{"ok":true}`, "", ReasonOK, "/allow"},
		{"identity missing", "/allow", nil, 401, bodyUnauthorized, "UnauthorizedException", ReasonAuthorizerIdentityMissing, ""},
		{"TOKEN missing", "/tok", nil, 401, bodyUnauthorized, "UnauthorizedException", ReasonAuthorizerIdentityMissing, ""},
		{"TOKEN empty", "/tok", []string{"Authorization", ""}, 401, bodyUnauthorized, "UnauthorizedException", ReasonAuthorizerIdentityMissing, ""},
		{"TOKEN fails the validation expression", "/tok", []string{"Authorization", "Basic abc"}, 401, bodyUnauthorized, "UnauthorizedException", ReasonAuthorizerIdentityInvalid, ""},
		{"explicit deny", "/deny", []string{"X-Token", "t1"}, 403, bodyExplicitDeny, "AccessDeniedException", ReasonAuthorizerDenied, "/deny"},
		{"no matching allow", "/elsewhere", []string{"X-Token", "t1"}, 403, bodyNotAllowed, "AccessDeniedException", ReasonAuthorizerNotAllowed, "/elsewhere"},
		{"function says Unauthorized", "/unauthorized", []string{"X-Token", "t1"}, 401, bodyUnauthorized, "UnauthorizedException", ReasonAuthorizerUnauthorized, "/unauthorized"},
		{"function error", "/error", []string{"X-Token", "t1"}, 500, bodyNull, "AuthorizerConfigurationException", ReasonAuthorizerError, "/error"},
		{"function timeout", "/slow", []string{"X-Token", "t1"}, 500, bodyNull, "AuthorizerConfigurationException", ReasonAuthorizerTimeout, "/slow"},
		{"no principalId", "/noprincipal", []string{"X-Token", "t1"}, 500, bodyNull, "AuthorizerConfigurationException", ReasonAuthorizerReplyInvalid, "/noprincipal"},
		{"list in context", "/nested", []string{"X-Token", "t1"}, 500, bodyNull, "AuthorizerConfigurationException", ReasonAuthorizerReplyInvalid, "/nested"},
		{"function cannot be invoked", "/bad", []string{"X-Token", "t1"}, 500, bodyNull, "AuthorizerConfigurationException", ReasonAuthorizerUnavailable, ""},
		{"authorizer not in the deployment", "/gone", []string{"X-Token", "t1"}, 500, bodyNull, "AuthorizerConfigurationException", ReasonAuthorizerUnavailable, ""},
		{"Cognito", "/cognito", []string{"Authorization", "x"}, 500, bodyNull, "AuthorizerFailureException", ReasonAuthorizerUnsupported, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := map[string]int{}
			for _, p := range []string{"/allow", "/deny", "/elsewhere", "/unauthorized", "/error", "/slow", "/noprincipal", "/nested"} {
				before[p] = fn.count(p)
			}
			r := env.do(newReq(t, "GET", env.url("authz00002", tt.path), nil, tt.hdr...))
			if r.status != tt.status || r.body != tt.body || r.header.Get("X-Amzn-Errortype") != tt.errType || r.reason() != string(tt.reason) {
				t.Fatalf("got %d %s (%s) reason %s (%v), want %d %s (%s) reason %s", r.status, r.body, r.header.Get("X-Amzn-Errortype"), r.reason(), r.line["detail"], tt.status, tt.body, tt.errType, tt.reason)
			}
			for p, n := range before {
				want := n
				if p == tt.invoked {
					want++
				}
				if got := fn.count(p); got != want {
					t.Errorf("function %s called %d times, want %d", p, got-n, want-n)
				}
			}
			if env.requestsTotal(string(tt.reason)) == 0 {
				t.Errorf("no metric counted reason %s", tt.reason)
			}
		})
	}
	// The TOKEN event AWS sends.
	ev := fn.lastEvent("/allow")
	if ev == nil {
		t.Fatal("no event")
	}
	// The last /allow call was the TOKEN one.
	want := map[string]any{"type": "TOKEN", "authorizationToken": "Bearer abc", "methodArn": "arn:aws:execute-api:us-east-1:123456789012:authz00002/api/GET/tok"}
	if fmt.Sprint(ev) != fmt.Sprint(want) {
		t.Errorf("TOKEN event %v, want %v", ev, want)
	}
}

// TestAuthorizerRequestEvent: the REQUEST event carries the request's
// headers, query string, path parameters, stage variables and context.
func TestAuthorizerRequestEvent(t *testing.T) {
	fn := newFnServer(t)
	env := newGWEnv(t, gwOptions{functions: httpInvoker(fn.srv.Client())})
	env.addAPI(apiDef{id: "authz00003", methods: map[string]*apigw.Method{"GET /pets/{id}": custom("req")},
		authorizers: map[string]*apigw.Authorizer{"req": {ID: "req", Name: "req", Type: apigw.AuthorizerRequest, AuthorizerURI: fn.uri("/allow"),
			IdentitySource: "method.request.header.X-Token, method.request.querystring.q, stageVariables.env, context.httpMethod"}},
		stageVars: map[string]string{"env": "prod"}})
	r := env.do(newReq(t, "GET", env.url("authz00003", "/pets/7")+"?q=1&q=2", nil, "X-Token", "t1", "x-api-key", "k-1234"))
	if r.status != 200 {
		t.Fatalf("%d %s (%v)", r.status, r.body, r.line["detail"])
	}
	ev := fn.lastEvent("/allow")
	b, _ := json.Marshal(ev)
	for _, want := range []string{
		`"type":"REQUEST"`,
		`"methodArn":"arn:aws:execute-api:us-east-1:123456789012:authz00003/api/GET/pets/7"`,
		`"resource":"/pets/{id}"`, `"path":"/pets/7"`, `"httpMethod":"GET"`,
		`"X-Token":"t1"`, `"X-Token":["t1"]`,
		`"queryStringParameters":{"q":"2"}`, `"multiValueQueryStringParameters":{"q":["1","2"]}`,
		`"pathParameters":{"id":"7"}`, `"stageVariables":{"env":"prod"}`,
		`"apiId":"authz00003"`, `"stage":"api"`, `"resourcePath":"/pets/{id}"`, `"apiKey":"k-1234"`, `"sourceIp":"127.0.0.1"`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("event lacks %s:\n%s", want, b)
		}
	}
	// A missing stage variable is a missing identity source.
	env2 := newGWEnv(t, gwOptions{functions: httpInvoker(fn.srv.Client())})
	env2.addAPI(apiDef{id: "authz00004", methods: map[string]*apigw.Method{"GET /a": custom("req")},
		authorizers: map[string]*apigw.Authorizer{"req": {ID: "req", Name: "req", Type: apigw.AuthorizerRequest, AuthorizerURI: fn.uri("/allow"), IdentitySource: "stageVariables.env"}}})
	if r := env2.do(newReq(t, "GET", env2.url("authz00004", "/a"), nil)); r.status != 401 || r.reason() != string(ReasonAuthorizerIdentityMissing) {
		t.Fatalf("%d %s", r.status, r.reason())
	}
}

// TestAuthorizerCache: a result is reused for its TTL under the gateway's
// clock, re-evaluated against each request's method ARN (a policy scoped
// to one path answers 403 elsewhere, and the detail says why); Deny is
// cached, Unauthorized is not; a flush empties the stage's entries.
func TestAuthorizerCache(t *testing.T) {
	fn := newFnServer(t)
	env := newGWEnv(t, gwOptions{functions: httpInvoker(fn.srv.Client())})
	env.addAPI(apiDef{id: "cache00001", methods: map[string]*apigw.Method{
		"GET /a": custom("scoped"), "GET /b": custom("scoped"), "GET /d": custom("deny"), "GET /u": custom("unauth"), "GET /all": custom("allow"),
	}, authorizers: map[string]*apigw.Authorizer{
		"scoped": requestAuthorizer("scoped", fn.uri("/scoped"), ttl(60)),
		"deny":   requestAuthorizer("deny", fn.uri("/deny"), ttl(60)),
		"unauth": requestAuthorizer("unauth", fn.uri("/unauthorized"), ttl(60)),
		"allow":  requestAuthorizer("allow", fn.uri("/allow"), nil), // default TTL 300 s
	}})
	get := func(path, token string) reply {
		return env.do(newReq(t, "GET", env.url("cache00001", path), nil, "X-Token", token))
	}
	expect := func(r reply, status int, reason Reason, calls int, fnPath string) {
		t.Helper()
		if r.status != status || r.reason() != string(reason) {
			t.Fatalf("%d %s (%s: %v), want %d %s", r.status, r.body, r.reason(), r.line["detail"], status, reason)
		}
		if n := fn.count(fnPath); n != calls {
			t.Fatalf("function %s called %d times, want %d", fnPath, n, calls)
		}
	}
	expect(get("/a", "alice"), 200, ReasonOK, 1, "/scoped")
	expect(get("/a", "alice"), 200, ReasonOK, 1, "/scoped") // hit
	r := get("/b", "alice")                                 // the cached policy allows GET /a only
	expect(r, 403, ReasonAuthorizerNotAllowed, 1, "/scoped")
	if r.body != bodyNotAllowed || !strings.Contains(r.line["detail"].(string), "cached") {
		t.Fatalf("cached scoped policy: %s, detail %v", r.body, r.line["detail"])
	}
	expect(get("/b", "bob"), 200, ReasonOK, 2, "/scoped") // another identity: its own entry

	env.now = env.now.Add(59 * time.Second)
	expect(get("/a", "alice"), 200, ReasonOK, 2, "/scoped")
	env.now = env.now.Add(time.Second) // the TTL is over
	expect(get("/b", "alice"), 200, ReasonOK, 3, "/scoped")
	expect(get("/a", "alice"), 403, ReasonAuthorizerNotAllowed, 3, "/scoped") // now scoped to /b

	expect(get("/d", "carol"), 403, ReasonAuthorizerDenied, 1, "/deny")
	expect(get("/d", "carol"), 403, ReasonAuthorizerDenied, 1, "/deny") // Deny is cached
	expect(get("/u", "dave"), 401, ReasonAuthorizerUnauthorized, 1, "/unauthorized")
	expect(get("/u", "dave"), 401, ReasonAuthorizerUnauthorized, 2, "/unauthorized") // 401 is not

	expect(get("/all", "erin"), 200, ReasonOK, 1, "/allow")
	env.now = env.now.Add(299 * time.Second)
	expect(get("/all", "erin"), 200, ReasonOK, 1, "/allow")
	env.g.FlushStageAuthorizersCache("other00001", "api")
	expect(get("/all", "erin"), 200, ReasonOK, 1, "/allow")
	env.g.FlushStageAuthorizersCache("cache00001", "api")
	if n := env.g.authCache.len(); n != 0 {
		t.Fatalf("%d entries after the flush", n)
	}
	expect(get("/all", "erin"), 200, ReasonOK, 2, "/allow")
}

// TestAuthorizerConcurrentMissesInvokeOnce: N requests with one identity
// and no cached result invoke the function once, and all get its answer.
func TestAuthorizerConcurrentMissesInvokeOnce(t *testing.T) {
	const n = 8
	fn := newFnServer(t)
	env := newGWEnv(t, gwOptions{functions: httpInvoker(fn.srv.Client())})
	env.addAPI(apiDef{id: "flight0001", methods: map[string]*apigw.Method{"GET /a": custom("blk")},
		authorizers: map[string]*apigw.Authorizer{"blk": requestAuthorizer("blk", fn.uri("/block"), ttl(300))}})
	joined := make(chan struct{}, n)
	env.g.authCache.joined = func() { joined <- struct{}{} }
	statuses := make(chan int, n)
	for range n {
		go func() {
			resp, err := env.srv.Client().Do(newReq(t, "GET", env.url("flight0001", "/a"), nil, "X-Token", "same"))
			if err != nil {
				statuses <- -1
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
		}()
	}
	for range n { // every caller waits on the one invocation, which is blocked
		<-joined
	}
	close(fn.release)
	for range n {
		if s := <-statuses; s != 200 {
			t.Fatalf("a caller got %d", s)
		}
	}
	if c := fn.count("/block"); c != 1 {
		t.Fatalf("the function was invoked %d times for %d concurrent callers, want once", c, n)
	}
}

// TestAuthorizerContextReachesIntegration: principalId and context values
// reach an HTTP_PROXY upstream through integration request parameters.
func TestAuthorizerContextReachesIntegration(t *testing.T) {
	fn := newFnServer(t)
	got := make(chan http.Header, 1)
	gotQuery := make(chan string, 1)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Clone()
		gotQuery <- r.URL.RawQuery
		io.WriteString(w, "{}")
	}))
	t.Cleanup(up.Close)
	env := newGWEnv(t, gwOptions{functions: httpInvoker(fn.srv.Client())})
	in := httpProxyTo(up.URL + "/x")
	in.RequestParameters = map[string]string{
		"integration.request.header.X-User":    "context.authorizer.principalId",
		"integration.request.header.X-Tier":    "context.authorizer.tier",
		"integration.request.header.X-N":       "context.authorizer.n",
		"integration.request.header.X-Ok":      "context.authorizer.ok",
		"integration.request.header.X-Absent":  "context.authorizer.nothing",
		"integration.request.header.X-Static":  "'fixed'",
		"integration.request.header.X-Caller":  "method.request.header.X-Token",
		"integration.request.querystring.user": "context.authorizer.principalId",
		"integration.request.querystring.tier": "context.authorizer.tier",
		"integration.request.querystring.none": "context.authorizer.nothing",
	}
	env.addAPI(apiDef{id: "ctx0000001", methods: map[string]*apigw.Method{"GET /x": {AuthorizationType: apigw.AuthCustom, AuthorizerID: "allow", Integration: in}},
		authorizers: map[string]*apigw.Authorizer{"allow": requestAuthorizer("allow", fn.uri("/allow"), nil)}})
	r := env.do(newReq(t, "GET", env.url("ctx0000001", "/x")+"?a=1", nil, "X-Token", "tok-1"))
	if r.status != 200 {
		t.Fatalf("%d %s (%v)", r.status, r.body, r.line["detail"])
	}
	h := <-got
	for name, want := range map[string]string{"X-User": "user-1", "X-Tier": "gold", "X-N": "3", "X-Ok": "true", "X-Static": "fixed", "X-Caller": "tok-1", "X-Absent": ""} {
		if v := h.Get(name); v != want {
			t.Errorf("upstream header %s = %q, want %q", name, v, want)
		}
	}
	q, err := url.ParseQuery(<-gotQuery)
	if err != nil || q.Get("user") != "user-1" || q.Get("tier") != "gold" || q.Has("none") || q.Get("a") != "1" {
		t.Errorf("upstream query %v (%v): want a=1, user=user-1, tier=gold and no none", q, err)
	}
}

// TestAuthorizerSuppliesKey is the query-string user report: a REQUEST
// authorizer reads ?apiKey= and returns it as usageIdentifierKey; with
// apiKeySource AUTHORIZER the key is checked, throttled, counted against
// its plan's quota and its usage recorded, as a header key would be.
func TestAuthorizerSuppliesKey(t *testing.T) {
	fn := newFnServer(t)
	local := counters.NewLocal()
	env := newGWEnv(t, gwOptions{functions: httpInvoker(fn.srv.Client()), counters: local})
	keyed := func(id string) *apigw.Method {
		m := custom(id)
		m.APIKeyRequired = true
		return m
	}
	env.addAPI(apiDef{id: "report0001", keySource: apigw.KeySourceAuthorizer,
		methods: map[string]*apigw.Method{"GET /x": keyed("qs"), "GET /nokey": keyed("plain"), "GET /open": {APIKeyRequired: true, Integration: mockOK()}},
		authorizers: map[string]*apigw.Authorizer{
			"qs":    {ID: "qs", Name: "qs", Type: apigw.AuthorizerRequest, AuthorizerURI: fn.uri("/key"), IdentitySource: "method.request.querystring.apiKey"},
			"plain": requestAuthorizer("plain", fn.uri("/allow"), nil),
		}})
	env.addPlan(&apigw.UsagePlan{ID: "plan01", Name: "p", APIStages: []apigw.APIStage{{APIID: "report0001", Stage: "api"}}, Quota: &apigw.Quota{Limit: 2, Period: apigw.PeriodDay}})
	value := env.addKey("k-report01", true, "plan01")
	get := func(path string, hdr ...string) reply {
		return env.do(newReq(t, "GET", env.url("report0001", "")+path, nil, hdr...))
	}
	forbidden := `{"message":"Forbidden"}`
	for i, want := range []struct {
		path   string
		hdr    []string
		status int
		body   string
		reason Reason
	}{
		{"/x?apiKey=" + value, nil, 200, `{"ok":true}`, ReasonOK},
		{"/x?apiKey=" + value, nil, 200, `{"ok":true}`, ReasonOK},
		{"/x?apiKey=" + value, nil, 429, `{"message":"Limit Exceeded"}`, ReasonQuotaExceeded},
		{"/x?apiKey=not-a-key-0123456789", nil, 403, forbidden, ReasonKeyFromAuthorizerNotFound},
		{"/x", nil, 401, bodyUnauthorized, ReasonAuthorizerIdentityMissing},
		{"/nokey", []string{"X-Token", "t"}, 403, forbidden, ReasonKeyFromAuthorizerMissing},
		{"/open", []string{"x-api-key", value}, 403, forbidden, ReasonKeySourceAuthorizer},
	} {
		r := get(want.path, want.hdr...)
		if r.status != want.status || r.body != want.body || r.reason() != string(want.reason) {
			t.Fatalf("request %d %s: %d %s %s (%v), want %d %s %s", i, strings.Replace(want.path, value, "KEY", 1), r.status, r.body, r.reason(), r.line["detail"], want.status, want.body, want.reason)
		}
		if d, _ := r.line["detail"].(string); strings.Contains(d, value) || strings.Contains(fmt.Sprint(r.line), value) {
			t.Fatalf("the access log line holds the key value: %v", r.line)
		}
		if want.reason == ReasonOK && r.line["keyId"] != nil && r.line["keyId"] != "k-report01" {
			t.Fatalf("access log names key %v", r.line["keyId"])
		}
	}
	// The result was cached: one invocation for the three requests with the key.
	if c := fn.count("/key"); c != 2 {
		t.Fatalf("the function was invoked %d times, want 2 (one per identity)", c)
	}
	if err := local.Flush(context.Background(), env.db); err != nil {
		t.Fatal(err)
	}
	if u := usage(t, env); u != 2 {
		t.Fatalf("usage %d, want 2 (the two admitted requests)", u)
	}

	// Explain: with the result cached it decides as the served path
	// (the quota is spent); for a new identity it would invoke.
	ctx := context.Background()
	tr := env.g.Explain(ctx, ExplainRequest{Request: newReq(t, "GET", env.url("report0001", "/x")+"?apiKey="+value, nil)})
	if tr.Decision == nil || tr.Decision.Reason != ReasonQuotaExceeded || tr.KeyID != "k-report01" {
		t.Fatalf("Explain with a cached result: %+v", tr)
	}
	calls := fn.count("/key")
	tr = env.g.Explain(ctx, ExplainRequest{Request: newReq(t, "GET", env.url("report0001", "/x")+"?apiKey=other", nil)})
	if tr.Decision != nil || fn.count("/key") != calls {
		t.Fatalf("Explain for a new identity: decision %+v, %d invocations", tr.Decision, fn.count("/key")-calls)
	}
	if s := tr.Steps[4]; s.Name != "authorizer" || !strings.Contains(s.Detail, "would invoke authorizer qs") {
		t.Fatalf("authorizer step %+v", s)
	}
	if s := tr.Steps[5]; !strings.Contains(s.Detail, "would come from the authorizer") {
		t.Fatalf("keysource step %+v", s)
	}
}

// TestAccessDeniedCustomised: a customised ACCESS_DENIED replaces AWS's
// {"Message":…} body with its template.
func TestAccessDeniedCustomised(t *testing.T) {
	fn := newFnServer(t)
	env := newGWEnv(t, gwOptions{functions: httpInvoker(fn.srv.Client())})
	env.addAPI(apiDef{id: "custom0001", methods: map[string]*apigw.Method{"GET /d": custom("deny")},
		authorizers: map[string]*apigw.Authorizer{"deny": requestAuthorizer("deny", fn.uri("/deny"), nil)},
		responses: map[string]*apigw.GatewayResponse{"ACCESS_DENIED": {Type: "ACCESS_DENIED", StatusCode: "403",
			ResponseTemplates: map[string]string{"application/json": `{"error":$context.error.messageString,"who":"$context.authorizer.principalId"}`}}}})
	r := env.do(newReq(t, "GET", env.url("custom0001", "/d"), nil, "X-Token", "t"))
	if r.status != 403 || r.body != `{"error":"User is not authorized to access this resource with an explicit deny","who":""}` {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

var logLine = regexp.MustCompile(`^[A-Z][a-z]{2} [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4} : `)

// TestInvokeAuthorizer: test-invoke builds the event from the simulated
// request (stage test-invoke-stage), invokes without the cache, and
// reports status, principal, policy, context and an AWS-format log that
// never shows the identity.
func TestInvokeAuthorizer(t *testing.T) {
	fn := newFnServer(t)
	env := newGWEnv(t, gwOptions{functions: httpInvoker(fn.srv.Client())})
	ctx := context.Background()
	a := requestAuthorizer("t1", fn.uri("/allow"), nil)
	res, err := env.g.TestInvokeAuthorizer(ctx, "api0000001", a, apigw.AuthorizerTest{Headers: map[string]string{"X-Token": "secret-token-9876"}, PathWithQueryString: "/pets/1?x=1"})
	if err != nil {
		t.Fatal(err)
	}
	if res.ClientStatus != 200 || res.PrincipalID != "user-1" || !strings.Contains(res.Policy, `"Effect":"Allow"`) ||
		fmt.Sprint(res.Authorization) != "map[n:[3] ok:[true] tier:[gold]]" {
		t.Fatalf("%+v", res)
	}
	lines := strings.Split(strings.TrimSuffix(res.Log, "\n"), "\n")
	if !strings.HasPrefix(lines[0], "Execution log for request ") || len(lines) < 5 {
		t.Fatalf("log:\n%s", res.Log)
	}
	for _, l := range lines[1:] {
		if !logLine.MatchString(l) {
			t.Errorf("log line %q is not in AWS's format", l)
		}
	}
	if strings.Contains(res.Log, "secret-token") || !strings.Contains(res.Log, "Incoming identity: **********9876") ||
		!strings.Contains(res.Log, "Using valid authorizer policy for principal: user-1") {
		t.Fatalf("log:\n%s", res.Log)
	}
	ev := fn.lastEvent("/allow")
	if ev["methodArn"] != "arn:aws:execute-api:us-east-1:123456789012:api0000001/test-invoke-stage/GET/pets/1" {
		t.Fatalf("methodArn %v", ev["methodArn"])
	}
	calls := fn.count("/allow")
	// The cache is not used: a second test invocation invokes again.
	if _, err := env.g.TestInvokeAuthorizer(ctx, "api0000001", a, apigw.AuthorizerTest{Headers: map[string]string{"X-Token": "secret-token-9876"}}); err != nil || fn.count("/allow") != calls+1 {
		t.Fatalf("second test invocation: %v, %d calls", err, fn.count("/allow")-calls)
	}
	for _, tt := range []struct {
		a      *apigw.Authorizer
		in     apigw.AuthorizerTest
		status int
		log    string
	}{
		{a, apigw.AuthorizerTest{}, 401, "identity source method.request.header.X-Token is missing"},
		{requestAuthorizer("t2", fn.uri("/unauthorized"), nil), apigw.AuthorizerTest{MultiValueHeaders: map[string][]string{"x-token": {"a"}}}, 401, "answered Unauthorized"},
		{requestAuthorizer("t3", fn.uri("/error"), nil), apigw.AuthorizerTest{Headers: map[string]string{"X-Token": "a"}}, 500, "database down"},
		{&apigw.Authorizer{ID: "t4", Type: apigw.AuthorizerToken, IdentityValidationExpression: "x+", AuthorizerURI: fn.uri("/allow")}, apigw.AuthorizerTest{Headers: map[string]string{"Authorization": "y"}}, 401, "does not match identityValidationExpression"},
	} {
		calls := fn.count("/allow")
		res, err := env.g.TestInvokeAuthorizer(ctx, "api0000001", tt.a, tt.in)
		if err != nil || res.ClientStatus != tt.status || !strings.Contains(res.Log, tt.log) {
			t.Errorf("%s: %v %d, log:\n%s", tt.a.ID, err, res.ClientStatus, res.Log)
		}
		if tt.status == 401 && fn.count("/allow") != calls {
			t.Errorf("%s: invoked the function", tt.a.ID)
		}
	}
}

// TestAuthCacheBound: a shard never holds more than its share of the
// bound, evicts an expired entry before a live one, the whole cache stays
// within the bound rounded up to whole shards, and keys do not run into
// each other.
func TestAuthCacheBound(t *testing.T) {
	c := newAuthCache(3 * authShards) // 3 entries a shard
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	res := &authResult{}
	k := func(vs ...string) string { return string(c.appendKey(nil, "a/s", "d1", "au", vs)) }
	// Five identities that land in one shard.
	var same []string
	for i := 0; len(same) < 5; i++ {
		v := fmt.Sprint("id-", i)
		if c.shard([]byte(k(v))) == c.shard([]byte(k("id-0"))) {
			same = append(same, v)
		}
	}
	c.put(k(same[0]), res, t0.Add(time.Second), t0)
	c.put(k(same[1]), res, t0.Add(time.Hour), t0)
	c.put(k(same[2]), res, t0.Add(time.Hour), t0)
	later := t0.Add(time.Minute)
	c.put(k(same[3]), res, later.Add(time.Hour), later) // full: the expired one goes
	if c.len() != 3 {
		t.Fatalf("%d entries, want 3", c.len())
	}
	for _, v := range same[1:4] {
		if _, _, ok := c.get([]byte(k(v)), later); !ok {
			t.Fatalf("live entry %s was evicted", v)
		}
	}
	c.put(k(same[4]), res, later.Add(time.Hour), later) // full of live entries: one goes
	if c.len() != 3 {
		t.Fatalf("%d entries, want 3", c.len())
	}
	for i := range 10 * authShards * 3 {
		c.put(k(fmt.Sprint("many-", i)), res, later.Add(time.Hour), later)
	}
	if n := c.len(); n > 3*authShards {
		t.Fatalf("%d entries, over the bound of %d", n, 3*authShards)
	}
	if k("a", "b") == k("a\x00b") || k("ab", "c") == k("a", "bc") {
		t.Fatal("distinct identity values share a cache key")
	}
}

// TestAuthCacheHitAllocs: a cache hit (key built in the request's buffer,
// looked up, the policy evaluated) allocates only the method ARN.
func TestAuthCacheHitAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's instrumentation allocates")
	}
	env := newBenchEnv(t, 10)
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	r := httptest.NewRequest("POST", "/restapis/"+env.apiID+"/api/_user_request_/authz", nil)
	r.Header.Set("x-api-key", env.values[3])
	ctx := context.Background()
	if d := env.g.decide(ctx, &request{r: r, now: now}); d != nil {
		t.Fatalf("refused: %s %s", d.Reason, d.Detail)
	}
	rq := new(request)
	allocs := testing.AllocsPerRun(200, func() {
		keyBuf, authKey := rq.keyBuf[:0], rq.authKey[:0]
		*rq = request{r: r, keyBuf: keyBuf, authKey: authKey, now: now}
		if d := env.g.decide(ctx, rq); d != nil {
			t.Fatalf("refused: %s %s", d.Reason, d.Detail)
		}
	})
	if allocs > 1 {
		t.Fatalf("a request through a cached authorizer allocates %v times; the budget is 1 (the method ARN)", allocs)
	}
}
