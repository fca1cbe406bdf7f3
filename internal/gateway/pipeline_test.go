package gateway

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/counters"
	"github.com/gatehouse-dev/gatehouse/internal/gateway/proxy"
	"github.com/gatehouse-dev/gatehouse/internal/lambda"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// unreachableCounters stands for a counters engine that cannot be reached
// (a Redis node down): every counting call fails, as counters.Throttler
// and counters.Quotas document for that case. Usage recording is local
// (it only queues). There is no engine that can fail yet; this is its
// failure, not a stand-in for a working one.
type unreachableCounters struct{ *counters.Local }

var errUnreachable = errors.New("dial tcp 10.0.0.1:6379: connect: connection refused")

func (unreachableCounters) Allow(context.Context, counters.BucketKey, apigw.Throttle, time.Time) (bool, time.Duration, error) {
	return false, 0, errUnreachable
}

func (unreachableCounters) PeekThrottle(context.Context, counters.BucketKey, apigw.Throttle, time.Time) (bool, time.Duration, error) {
	return false, 0, errUnreachable
}

func (unreachableCounters) Take(context.Context, string, string, apigw.Quota, time.Time) (counters.QuotaResult, error) {
	return counters.QuotaResult{}, errUnreachable
}

func (unreachableCounters) Peek(context.Context, string, string, apigw.Quota, time.Time) (counters.QuotaResult, error) {
	return counters.QuotaResult{}, errUnreachable
}

// reasonCase is one row of TestPipelineReasons.
type reasonCase struct {
	name   string
	env    *gwEnv
	req    func() *http.Request // nil when send does it all
	send   func() reply         // nil: env.do(req())
	status int                  // 0: no answer reaches the caller
	body   string               // "" : not checked
	reason Reason
	// explain: Explain decides the same from req (the refusal is the
	// pipeline's, not the integration's).
	explain bool
}

// TestPipelineReasons produces every reason code through the served path
// on loopback, and checks that Explain (the dry run) reaches the same
// refusal, with the same answer, for every one the pipeline decides. A
// reason code without a row fails the test.
func TestPipelineReasons(t *testing.T) {
	const maxBody = 1024
	// Upstreams: one that reads the body and answers, one that hangs, one
	// that answers too much, one that nobody listens on.
	reading := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		io.WriteString(w, `{"up":true}`)
	}))
	t.Cleanup(reading.Close)
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case entered <- struct{}{}:
		default:
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); hanging.Close() })
	big := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, strings.Repeat("z", 8192))
	}))
	t.Cleanup(big.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String()
	ln.Close()

	fn := newFnServer(t)
	env := newGWEnv(t, gwOptions{maxBody: maxBody, proxy: proxy.Options{MaxResponseBytes: 4096}, functions: httpInvoker(fn.srv.Client())})
	env.g.authTimeout = 100 * time.Millisecond
	key := &apigw.Method{APIKeyRequired: true, Integration: mockOK()}
	open := &apigw.Method{Integration: mockOK()}
	env.addAPI(apiDef{id: "main000001",
		methods: map[string]*apigw.Method{
			"GET /open":      open,
			"POST /doit":     key,
			"GET /limited":   key,
			"GET /stagecap":  open,
			"GET /nomock":    {Integration: &apigw.Integration{Type: apigw.IntegrationMock, RequestTemplates: map[string]string{"application/json": `{}`}}},
			"GET /nointeg":   {},
			"GET /aws":       {Integration: &apigw.Integration{Type: apigw.IntegrationAWS, URI: "arn:aws:apigateway:us-east-1:lambda:path/x"}},
			"GET /baduri":    {Integration: httpProxyTo("http://127.0.0.1/${stageVariables.nope}")},
			"GET /down":      {Integration: httpProxyTo(refused + "/x")},
			"GET /slow":      {Integration: &apigw.Integration{Type: apigw.IntegrationHTTPProxy, HTTPMethod: "ANY", URI: hanging.URL + "/slow", TimeoutInMillis: 100}},
			"GET /gone":      {Integration: httpProxyTo(hanging.URL + "/gone")},
			"GET /big":       {Integration: httpProxyTo(big.URL + "/big")},
			"POST /up":       {Integration: httpProxyTo(reading.URL + "/up")},
			"GET /up/sized":  {Integration: httpProxyTo(reading.URL + "/up")},
			"GET /quota":     key,
			"GET /throttled": key,
			"POST /never": {Integration: &apigw.Integration{Type: apigw.IntegrationHTTP, HTTPMethod: "POST", URI: reading.URL + "/never", PassthroughBehavior: "NEVER",
				RequestTemplates: map[string]string{"application/json": `{}`}}},
			"GET /unmapped": {Integration: &apigw.Integration{Type: apigw.IntegrationHTTP, HTTPMethod: "GET", URI: reading.URL + "/unmapped",
				IntegrationResponses: map[string]*apigw.IntegrationResponse{"400": {StatusCode: "400", SelectionPattern: "4\\d{2}"}}}},
		},
		liveOnly:       map[string]*apigw.Method{"DELETE /doit": key},
		methodSettings: map[string]*apigw.MethodSetting{"~1stagecap/GET": {ThrottlingBurstLimit: 0, ThrottlingRateLimit: 0}},
	})
	env.addAPI(apiDef{id: "valid00001",
		methods: map[string]*apigw.Method{"POST /v": {RequestValidatorID: "rv1", Integration: httpProxyTo(reading.URL + "/v"),
			RequestParameters: map[string]bool{"method.request.header.x-h": true, "method.request.querystring.q": true},
			RequestModels:     map[string]string{"application/json": "Thing"}}},
		models:     map[string]*apigw.Model{"m1": {ID: "m1", Name: "Thing", ContentType: "application/json", Schema: `{"type":"object","required":["a"]}`}},
		validators: map[string]*apigw.RequestValidator{"rv1": {ID: "rv1", Name: "all", ValidateRequestBody: true, ValidateRequestParameters: true}},
	})
	env.addAPI(apiDef{id: "disabled01", disabled: true, methods: map[string]*apigw.Method{"GET /open": open}})
	// A custom domain maps base path v1 to the disabled API's stage: it
	// answers there (disableExecuteApiEndpoint refuses id-based URLs only).
	if err := env.db.Update(context.Background(), func(tx store.Tx) error {
		return tx.CreateDomainName(context.Background(), &apigw.DomainName{Name: "api.example.com",
			Mappings: []apigw.BasePathMapping{{BasePath: "v1", RestAPIID: "disabled01", Stage: "api"}}})
	}); err != nil {
		t.Fatal(err)
	}
	env.reload()
	env.addAPI(apiDef{id: "broken0001", noDeployment: true, methods: map[string]*apigw.Method{"GET /open": open}})
	keyedCustom := func(id string) *apigw.Method {
		m := custom(id)
		m.APIKeyRequired = true
		return m
	}
	env.addAPI(apiDef{id: "authz00001", keySource: apigw.KeySourceAuthorizer,
		methods: map[string]*apigw.Method{"GET /a": key, "GET /tok": custom("tok"), "GET /nokey": keyedCustom("allow"), "GET /badkey": keyedCustom("key"),
			"GET /deny": custom("deny"), "GET /elsewhere": custom("elsewhere"), "GET /unauthorized": custom("unauthorized"), "GET /error": custom("error"),
			"GET /slow": custom("slow"), "GET /noprincipal": custom("noprincipal"), "GET /bad": custom("bad"),
			"GET /cognito": {AuthorizationType: apigw.AuthCognito, AuthorizerID: "cog", Integration: mockOK()}},
		authorizers: map[string]*apigw.Authorizer{
			"tok":   {ID: "tok", Name: "tok", Type: apigw.AuthorizerToken, AuthorizerURI: fn.uri("/allow"), IdentityValidationExpression: "Bearer .+"},
			"key":   {ID: "key", Name: "key", Type: apigw.AuthorizerRequest, AuthorizerURI: fn.uri("/key"), IdentitySource: "method.request.querystring.apiKey"},
			"cog":   {ID: "cog", Name: "cog", Type: apigw.AuthorizerCognito},
			"bad":   requestAuthorizer("bad", "ftp://nowhere/fn", nil),
			"allow": requestAuthorizer("allow", fn.uri("/allow"), nil), "deny": requestAuthorizer("deny", fn.uri("/deny"), nil),
			"elsewhere": requestAuthorizer("elsewhere", fn.uri("/elsewhere"), nil), "unauthorized": requestAuthorizer("unauthorized", fn.uri("/unauthorized"), nil),
			"error": requestAuthorizer("error", fn.uri("/error"), nil), "slow": requestAuthorizer("slow", fn.uri("/slow"), nil),
			"noprincipal": requestAuthorizer("noprincipal", fn.uri("/noprincipal"), nil),
		}})
	env.addAPI(apiDef{id: "policy0001", methods: map[string]*apigw.Method{"GET /open": open, "GET /secret": open, "GET /other": open},
		policy: `{"Version":"2012-10-17","Statement":[` +
			`{"Sid":"local","Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*/GET/open","Condition":{"IpAddress":{"aws:SourceIp":["127.0.0.0/8","::1"]}}},` +
			`{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"execute-api:*","Resource":"arn:aws:execute-api:*:*:policy0001/api/GET/secret"},` +
			`{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/api/GET/secret"}]}`})
	env.addAPI(apiDef{id: "policy0002", methods: map[string]*apigw.Method{"GET /open": open},
		policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"*","Condition":{"NumericEquals":{"aws:EpochTime":"1"}}}]}`})
	onMain := []apigw.APIStage{{APIID: "main000001", Stage: "api"}}
	env.addPlan(&apigw.UsagePlan{ID: "free01", Name: "free", APIStages: onMain})
	env.addPlan(&apigw.UsagePlan{ID: "capped", Name: "capped", APIStages: onMain, Throttle: &apigw.Throttle{}})
	env.addPlan(&apigw.UsagePlan{ID: "method", Name: "method", APIStages: []apigw.APIStage{{APIID: "main000001", Stage: "api",
		Throttle: map[string]apigw.Throttle{"/limited/GET": {}}}}})
	env.addPlan(&apigw.UsagePlan{ID: "quota1", Name: "quota", APIStages: onMain, Quota: &apigw.Quota{Limit: 1, Period: apigw.PeriodDay}})
	env.addPlan(&apigw.UsagePlan{ID: "elsewh", Name: "elsewhere", APIStages: []apigw.APIStage{{APIID: "other00001", Stage: "api"}}})
	okKey := env.addKey("k-ok000001", true, "free01")
	offKey := env.addKey("k-off00001", false, "free01")
	noPlanKey := env.addKey("k-noplan01", true)
	elsewhereKey := env.addKey("k-elsewh01", true, "elsewh")
	cappedKey := env.addKey("k-capped01", true, "capped")
	methodKey := env.addKey("k-method01", true, "method")
	quotaKey := env.addKey("k-quota001", true, "quota1")

	acct := newGWEnv(t, gwOptions{account: apigw.Throttle{RateLimit: 0.001, BurstLimit: 1}})
	acct.addAPI(apiDef{id: "acct000001", methods: map[string]*apigw.Method{"GET /open": open}})
	down := newGWEnv(t, gwOptions{counters: unreachableCounters{counters.NewLocal()}})
	down.addAPI(apiDef{id: "down000001", methods: map[string]*apigw.Method{"POST /doit": key}})
	down.addPlan(&apigw.UsagePlan{ID: "free01", Name: "free", APIStages: []apigw.APIStage{{APIID: "down000001", Stage: "api"}}, Quota: &apigw.Quota{Limit: 5, Period: apigw.PeriodDay}})
	downKey := down.addKey("k-down0001", true, "free01")

	// Functions: a fake Invoke API that answers by function name, and a
	// node without a Lambda endpoint.
	fnEnv := newGWEnv(t, gwOptions{functions: fakeFunctions(t)})
	fnURI := func(name string) string {
		return "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/" + name + "/invocations"
	}
	fnMethod := func(name string, timeoutMs int) *apigw.Method {
		return &apigw.Method{Integration: &apigw.Integration{Type: apigw.IntegrationAWSProxy, HTTPMethod: "POST", URI: fnURI(name), TimeoutInMillis: timeoutMs}}
	}
	fnEnv.addAPI(apiDef{id: "func000001", methods: map[string]*apigw.Method{
		"GET /ok":        fnMethod("${stageVariables.okfn}", 0),
		"GET /fails":     fnMethod("fails", 0),
		"GET /malformed": fnMethod("malformed", 0),
		"GET /hangs":     fnMethod("hangs", 100),
		"GET /big":       fnMethod("big", 0),
		"GET /missing":   fnMethod("missing", 0),
		"GET /denied":    fnMethod("denied", 0),
		"GET /baduri":    {Integration: &apigw.Integration{Type: apigw.IntegrationAWSProxy, HTTPMethod: "POST", URI: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/no/such/thing/invocations"}},
	}, stageVars: map[string]string{"okfn": "ok"}})
	noFn := newGWEnv(t, gwOptions{})
	noFn.addAPI(apiDef{id: "nofn000001", methods: map[string]*apigw.Method{"GET /fn": fnMethod("ok", 0)}})

	get := func(e *gwEnv, apiID, path string, hdr ...string) func() *http.Request {
		return func() *http.Request {
			return newReq(t, "GET", e.url(apiID, path), nil, hdr...)
		}
	}
	method := func(verb string, e *gwEnv, apiID, path string, hdr ...string) func() *http.Request {
		return func() *http.Request { return newReq(t, verb, e.url(apiID, path), nil, hdr...) }
	}
	raw := func(verb, url string, hdr ...string) func() *http.Request {
		return func() *http.Request { return newReq(t, verb, url, nil, hdr...) }
	}
	onHost := func(host, path string) func() *http.Request {
		return func() *http.Request {
			r := newReq(t, "GET", env.srv.URL+path, nil)
			r.Host = host
			return r
		}
	}
	twice := func(e *gwEnv, req func() *http.Request) func() reply {
		return func() reply {
			if r := e.do(req()); r.reason() != string(ReasonOK) {
				t.Fatalf("first request: %d %s (%s)", r.status, r.body, r.reason())
			}
			return e.do(req())
		}
	}
	const (
		forbidden    = `{"message":"Forbidden"}`
		missingToken = `{"message":"Missing Authentication Token"}`
		internal     = `{"message":"Internal server error"}`
		tooMany      = `{"message":"Too Many Requests"}`
	)
	mainPath := "/restapis/main000001/api/_user_request_"
	tests := []reasonCase{
		{name: "admitted", env: env, req: method("POST", env, "main000001", "/doit", "x-api-key", okKey), status: 200, body: `{"ok":true}`, reason: ReasonOK, explain: true},
		{name: "no API in the URL", env: env, req: raw("GET", env.srv.URL+"/api/open"), status: 403, body: forbidden, reason: ReasonNoAPI, explain: true},
		{name: "unknown API", env: env, req: get(env, "nosuchapi0", "/open"), status: 403, body: forbidden, reason: ReasonUnknownAPI, explain: true},
		{name: "header names another API", env: env, req: get(env, "main000001", "/open", "x-apigw-api-id", "authz00001"), status: 403, body: forbidden, reason: ReasonAPIHeaderMismatch, explain: true},
		{name: "execute-api endpoint disabled", env: env, req: get(env, "disabled01", "/open"), status: 403, body: forbidden, reason: ReasonExecuteAPIDisabled, explain: true},
		{name: "custom domain base path", env: env, req: onHost("api.example.com", "/v1/open"), reason: ReasonOK, explain: true},
		{name: "custom domain, no base path matches", env: env, req: onHost("api.example.com", "/v2/open"), status: 403, body: forbidden, reason: ReasonNoBasePathMapping, explain: true},
		{name: "no stage in the URL", env: env, req: raw("GET", env.srv.URL+"/restapis/main000001/"), status: 403, body: forbidden, reason: ReasonNoStage, explain: true},
		{name: "unknown stage", env: env, req: raw("GET", env.srv.URL+"/restapis/main000001/API/_user_request_/open"), status: 403, body: forbidden, reason: ReasonUnknownStage, explain: true},
		{name: "stage deployment missing", env: env, req: get(env, "broken0001", "/open"), status: 500, body: internal, reason: ReasonStageBroken, explain: true},
		{name: "unknown route", env: env, req: get(env, "main000001", "/nothing/here"), status: 403, body: missingToken, reason: ReasonUnknownRoute, explain: true},
		{name: "unknown method", env: env, req: method("PUT", env, "main000001", "/doit"), status: 403, body: missingToken, reason: ReasonNoMethod, explain: true},
		{name: "method not deployed", env: env, req: method("DELETE", env, "main000001", "/doit"), status: 403, body: missingToken, reason: ReasonNotDeployed, explain: true},
		{name: "dot segment in the path", env: env, req: raw("GET", env.srv.URL+mainPath+"/nothing/%2e%2e/open"), status: 400, body: `{"message":"Invalid request path"}`, reason: ReasonPathDotSegment, explain: true},
		{name: "Content-Length over the limit", env: env, req: func() *http.Request {
			return newReq(t, "POST", env.url("main000001", "/up"), bytes.NewReader(make([]byte, maxBody+1)))
		}, status: 413, body: `{"message":"Request Too Long"}`, reason: ReasonRequestTooLarge, explain: true},
		{name: "chunked body over the limit", env: env, send: func() reply {
			return env.do(newReq(t, "POST", env.url("main000001", "/up"), io.MultiReader(bytes.NewReader(make([]byte, maxBody+1)))))
		}, status: 413, body: `{"message":"Request Too Long"}`, reason: ReasonRequestTooLarge},
		{name: "required parameters missing", env: env, req: func() *http.Request {
			return newReq(t, "POST", env.url("valid00001", "/v"), strings.NewReader(`{"a":1}`))
		}, status: 400, body: `{"message":"Missing required request parameters: [x-h, q]"}`, reason: ReasonParametersMissing, explain: true},
		{name: "body does not match the model", env: env, req: func() *http.Request {
			r := newReq(t, "POST", env.url("valid00001", "/v")+"?q=1", strings.NewReader(`{"b":1}`))
			r.Header.Set("x-h", "1")
			return r
		}, status: 400, body: `{"message":"Invalid request body"}`, reason: ReasonBodyInvalidForModel},
		{name: "malformed chunk", env: env, send: func() reply {
			return env.raw("POST " + mainPath + "/up HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n")
		}, status: 400, body: `{"message":"Bad Request"}`, reason: ReasonBodyInvalid},
		{name: "caller gone", env: env, send: func() reply {
			ctx, cancel := context.WithCancel(context.Background())
			req := newReq(t, "GET", env.url("main000001", "/gone"), nil).WithContext(ctx)
			go func() { <-entered; cancel() }()
			if _, err := env.srv.Client().Do(req); err == nil {
				t.Fatal("the cancelled request got an answer")
			}
			line := env.waitAccess(func(m map[string]any) bool { return m["path"] == mainPath+"/gone" })
			return reply{line: line}
		}, reason: ReasonClientGone},
		{name: "key source authorizer", env: env, req: get(env, "authz00001", "/a", "x-api-key", okKey), status: 403, body: forbidden, reason: ReasonKeySourceAuthorizer, explain: true},
		{name: "authorizer identity missing", env: env, req: get(env, "authz00001", "/tok"), status: 401, body: `{"message":"Unauthorized"}`, reason: ReasonAuthorizerIdentityMissing, explain: true},
		{name: "authorizer identity invalid", env: env, req: get(env, "authz00001", "/tok", "Authorization", "Basic x"), status: 401, body: `{"message":"Unauthorized"}`, reason: ReasonAuthorizerIdentityInvalid, explain: true},
		{name: "authorizer says Unauthorized", env: env, req: get(env, "authz00001", "/unauthorized", "X-Token", "t"), status: 401, body: `{"message":"Unauthorized"}`, reason: ReasonAuthorizerUnauthorized},
		{name: "resource policy denies", env: env, req: get(env, "policy0001", "/secret"), status: 403, body: `{"Message":"User: anonymous is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:` + env.g.region + `:` + env.g.accountID + `:policy0001/api/GET/secret with an explicit deny"}`, reason: ReasonResourcePolicyDenied, explain: true},
		{name: "resource policy does not allow", env: env, req: get(env, "policy0001", "/other"), status: 403, body: `{"Message":"User: anonymous is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:` + env.g.region + `:` + env.g.accountID + `:policy0001/api/GET/other"}`, reason: ReasonResourcePolicyNotAllowed, explain: true},
		{name: "resource policy cannot be evaluated", env: env, req: get(env, "policy0002", "/open"), status: 403, body: `{"Message":"User is not authorized to access this resource"}`, reason: ReasonResourcePolicyInvalid, explain: true},
		{name: "authorizer denies", env: env, req: get(env, "authz00001", "/deny", "X-Token", "t"), status: 403, body: `{"Message":"User is not authorized to access this resource with an explicit deny"}`, reason: ReasonAuthorizerDenied, explain: true},
		{name: "authorizer allows elsewhere", env: env, req: get(env, "authz00001", "/elsewhere", "X-Token", "t"), status: 403, body: `{"Message":"User is not authorized to access this resource"}`, reason: ReasonAuthorizerNotAllowed, explain: true},
		{name: "authorizer error", env: env, req: get(env, "authz00001", "/error", "X-Token", "t"), status: 500, body: `{"message":null}`, reason: ReasonAuthorizerError},
		{name: "authorizer timeout", env: env, req: get(env, "authz00001", "/slow", "X-Token", "t"), status: 500, body: `{"message":null}`, reason: ReasonAuthorizerTimeout},
		{name: "authorizer reply invalid", env: env, req: get(env, "authz00001", "/noprincipal", "X-Token", "t"), status: 500, body: `{"message":null}`, reason: ReasonAuthorizerReplyInvalid},
		{name: "authorizer unavailable", env: env, req: get(env, "authz00001", "/bad", "X-Token", "t"), status: 500, body: `{"message":null}`, reason: ReasonAuthorizerUnavailable},
		{name: "authorizer unsupported", env: env, req: get(env, "authz00001", "/cognito", "Authorization", "t"), status: 500, body: `{"message":null}`, reason: ReasonAuthorizerUnsupported, explain: true},
		{name: "key from authorizer missing", env: env, req: get(env, "authz00001", "/nokey", "X-Token", "t"), status: 403, body: forbidden, reason: ReasonKeyFromAuthorizerMissing, explain: true},
		{name: "key from authorizer not found", env: env, req: raw("GET", env.url("authz00001", "/badkey")+"?apiKey=zzzzzzzzzzzzzzzzzzzzzzzzzz"), status: 403, body: forbidden, reason: ReasonKeyFromAuthorizerNotFound, explain: true},
		{name: "key missing", env: env, req: method("POST", env, "main000001", "/doit"), status: 403, body: forbidden, reason: ReasonKeyMissing, explain: true},
		{name: "key in another header", env: env, req: method("POST", env, "main000001", "/doit", "api-key", okKey), status: 403, body: forbidden, reason: ReasonKeyOtherHeader, explain: true},
		{name: "key in the query string", env: env, req: raw("POST", env.url("main000001", "/doit")+"?api_key="+okKey), status: 403, body: forbidden, reason: ReasonKeyInQuery, explain: true},
		{name: "key not found", env: env, req: method("POST", env, "main000001", "/doit", "x-api-key", strings.Repeat("z", 40)), status: 403, body: forbidden, reason: ReasonKeyNotFound, explain: true},
		{name: "key disabled", env: env, req: method("POST", env, "main000001", "/doit", "x-api-key", offKey), status: 403, body: forbidden, reason: ReasonKeyDisabled, explain: true},
		{name: "key in no plan", env: env, req: method("POST", env, "main000001", "/doit", "x-api-key", noPlanKey), status: 403, body: forbidden, reason: ReasonKeyNoPlan, explain: true},
		{name: "key's plans not on the stage", env: env, req: method("POST", env, "main000001", "/doit", "x-api-key", elsewhereKey), status: 403, body: forbidden, reason: ReasonKeyPlanNotOnStage, explain: true},
		{name: "integration missing", env: env, req: get(env, "main000001", "/nointeg"), status: 500, body: internal, reason: ReasonIntegrationMissing, explain: true},
		{name: "integration unsupported", env: env, req: get(env, "main000001", "/aws"), status: 500, body: internal, reason: ReasonIntegrationUnsupported, explain: true},
		{name: "integration uri invalid", env: env, req: get(env, "main000001", "/baduri"), status: 500, body: internal, reason: ReasonIntegrationURI, explain: true},
		{name: "content type refused (passthroughBehavior NEVER)", env: env, req: method("POST", env, "main000001", "/never", "Content-Type", "text/plain"), status: 415, body: `{"message":"Unsupported Media Type"}`, reason: ReasonUnsupportedMediaType, explain: true},
		{name: "no integration response for the upstream's status", env: env, req: get(env, "main000001", "/unmapped"), status: 500, body: internal, reason: ReasonNoIntegrationResponse},
		{name: "MOCK without a matching response", env: env, req: get(env, "main000001", "/nomock"), status: 500, body: internal, reason: ReasonMockNoResponse, explain: true},
		{name: "plan per-method throttle", env: env, req: get(env, "main000001", "/limited", "x-api-key", methodKey), status: 429, body: tooMany, reason: ReasonThrottledPlanMethod, explain: true},
		{name: "plan throttle", env: env, req: get(env, "main000001", "/throttled", "x-api-key", cappedKey), status: 429, body: tooMany, reason: ReasonThrottledPlan, explain: true},
		{name: "stage method throttle", env: env, req: get(env, "main000001", "/stagecap"), status: 429, body: tooMany, reason: ReasonThrottledStageMethod, explain: true},
		{name: "account throttle", env: acct, req: get(acct, "acct000001", "/open"), send: twice(acct, get(acct, "acct000001", "/open")), status: 429, body: tooMany, reason: ReasonThrottledAccount, explain: true},
		{name: "quota exceeded", env: env, req: get(env, "main000001", "/quota", "x-api-key", quotaKey), send: twice(env, get(env, "main000001", "/quota", "x-api-key", quotaKey)), status: 429, body: `{"message":"Limit Exceeded"}`, reason: ReasonQuotaExceeded, explain: true},
		{name: "counters unavailable", env: down, req: method("POST", down, "down000001", "/doit", "x-api-key", downKey), status: 503, body: `{"message":"Service Unavailable"}`, reason: ReasonCountersUnavailable, explain: true},
		{name: "upstream refused", env: env, req: get(env, "main000001", "/down"), status: 502, body: internal, reason: ReasonIntegrationFailure},
		{name: "upstream hangs", env: env, req: get(env, "main000001", "/slow"), status: 504, body: `{"message":"Endpoint request timed out"}`, reason: ReasonIntegrationTimeout},
		{name: "upstream answers too much", env: env, req: get(env, "main000001", "/big"), reason: ReasonIntegrationTooLarge},
		{name: "function answers", env: fnEnv, req: get(fnEnv, "func000001", "/ok"), status: 201, body: `fine`, reason: ReasonOK, explain: true},
		{name: "function uri invalid", env: fnEnv, req: get(fnEnv, "func000001", "/baduri"), status: 500, body: internal, reason: ReasonIntegrationURI, explain: true},
		{name: "no Lambda endpoint", env: noFn, req: get(noFn, "nofn000001", "/fn"), status: 500, body: internal, reason: ReasonFunctionNoEndpoint, explain: true},
		{name: "function error", env: fnEnv, req: get(fnEnv, "func000001", "/fails"), status: 502, body: internal, reason: ReasonFunctionError},
		{name: "function answer malformed", env: fnEnv, req: get(fnEnv, "func000001", "/malformed"), status: 502, body: internal, reason: ReasonFunctionMalformed},
		{name: "function hangs", env: fnEnv, req: get(fnEnv, "func000001", "/hangs"), status: 504, body: `{"message":"Endpoint request timed out"}`, reason: ReasonFunctionTimeout},
		{name: "function answers too much", env: fnEnv, req: get(fnEnv, "func000001", "/big"), status: 502, body: internal, reason: ReasonFunctionTooLarge},
		{name: "function not found", env: fnEnv, req: get(fnEnv, "func000001", "/missing"), status: 502, body: internal, reason: ReasonFunctionInvokeFailed},
		{name: "function invoke denied", env: fnEnv, req: get(fnEnv, "func000001", "/denied"), status: 500, body: internal, reason: ReasonFunctionInvokeForbidden},
	}

	covered := map[Reason]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r reply
			if tt.send != nil {
				r = tt.send()
			} else {
				r = tt.env.do(tt.req())
			}
			if r.reason() != string(tt.reason) {
				t.Fatalf("reason %q (detail %v), want %s", r.reason(), r.line["detail"], tt.reason)
			}
			if tt.reason != ReasonOK && r.line["detail"] == "" {
				t.Fatal("refused without a detail")
			}
			if tt.status != 0 && (r.status != tt.status || (tt.body != "" && r.body != tt.body)) {
				t.Fatalf("answer %d %.80s, want %d %s", r.status, r.body, tt.status, tt.body)
			}
			if !tt.explain {
				return
			}
			tr := tt.env.g.Explain(context.Background(), ExplainRequest{Request: tt.req(), Now: tt.env.now})
			got := ReasonOK
			if tr.Decision != nil {
				got = tr.Decision.Reason
			}
			if got != tt.reason {
				t.Fatalf("Explain decided %s, the served path %s", got, tt.reason)
			}
			if tr.Decision != nil && (tr.Status != r.status || tr.ErrorType != r.header.Get("X-Amzn-Errortype")) {
				t.Fatalf("Explain says the caller gets %d %s, the caller got %d %s", tr.Status, tr.ErrorType, r.status, r.header.Get("X-Amzn-Errortype"))
			}
		})
		covered[tt.reason] = true
	}
	for r, name := range declaredReasons(t) {
		if !covered[r] {
			t.Errorf("no row produces reason %s (%s)", r, name)
		}
	}
}

// fakeFunctions is an Invoke API on loopback whose functions behave as
// their names say, behind a real lambda.Client (answers capped at 4 KiB).
func fakeFunctions(t *testing.T) *lambda.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/2015-03-31/functions/"), "/invocations")
		switch name {
		case "ok":
			io.WriteString(w, `{"statusCode":201,"body":"fine"}`)
		case "fails":
			w.Header().Set("X-Amz-Function-Error", "Unhandled")
			io.WriteString(w, `{"errorMessage":"db down","errorType":"Error"}`)
		case "malformed":
			io.WriteString(w, `{"statusCode":"abc"}`)
		case "hangs":
			<-r.Context().Done()
		case "big":
			io.WriteString(w, `{"body":"`+strings.Repeat("b", 8192)+`"}`)
		case "denied":
			w.WriteHeader(403)
			io.WriteString(w, `{"Type":"User","Message":"not authorized to perform lambda:InvokeFunction"}`)
		default:
			w.Header().Set("X-Amzn-ErrorType", "ResourceNotFoundException")
			w.WriteHeader(404)
			io.WriteString(w, `{"Type":"User","Message":"Function not found: `+name+`"}`)
		}
	}))
	t.Cleanup(srv.Close)
	c, err := lambda.New(lambda.Options{Endpoint: srv.URL, MaxResponseBytes: 4096})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// newReq builds a request with header name/value pairs.
func newReq(t *testing.T, method, url string, body io.Reader, hdr ...string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return req
}
