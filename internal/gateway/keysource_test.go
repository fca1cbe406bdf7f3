package gateway

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// tagAPI replaces an API's tags in the store and reloads the state.
func (env *gwEnv) tagAPI(apiID string, tags map[string]string) {
	env.t.Helper()
	ctx := context.Background()
	err := env.db.Update(ctx, func(tx store.Tx) error {
		a, err := tx.GetAPI(ctx, apiID)
		if err != nil {
			return err
		}
		a.Tags = tags
		return tx.UpdateAPI(ctx, a)
	})
	if err != nil {
		env.t.Fatal(err)
	}
	env.reload()
}

// keySourceTags are the tags of the test API that takes keys everywhere.
var keySourceTags = map[string]string{
	apigw.TagAPIKeyHeader: "x-key, x-client-key",
	apigw.TagAPIKeyQuery:  "apiKey",
	apigw.TagAPIKeyBearer: "true",
}

// TestKeySources: each source, the order when several are present, Bearer
// against a method's authorizer, and the diagnoses with and without the
// tag that would accept the key. Explain decides the same, and no access
// log line holds a key value.
func TestKeySources(t *testing.T) {
	fn := newFnServer(t)
	env := newGWEnv(t, gwOptions{functions: httpInvoker(fn.srv.Client())})
	key := &apigw.Method{APIKeyRequired: true, Integration: mockOK()}
	// A TOKEN authorizer reads Authorization: Bearer is not a key there. A
	// REQUEST authorizer reading another header leaves Bearer to the key.
	token := &apigw.Method{APIKeyRequired: true, AuthorizationType: apigw.AuthCustom, AuthorizerID: "tok001", Integration: mockOK()}
	request := &apigw.Method{APIKeyRequired: true, AuthorizationType: apigw.AuthCustom, AuthorizerID: "req001", Integration: mockOK()}
	ttl := 0
	env.addAPI(apiDef{id: "ksall00001", methods: map[string]*apigw.Method{"GET /k": key, "GET /authz": token, "GET /authzreq": request},
		authorizers: map[string]*apigw.Authorizer{
			"tok001": {ID: "tok001", Name: "tok", Type: apigw.AuthorizerToken, AuthorizerURI: fn.uri("/allow"), IdentitySource: "method.request.header.Authorization", AuthorizerResultTTLInSeconds: &ttl},
			"req001": {ID: "req001", Name: "req", Type: apigw.AuthorizerRequest, AuthorizerURI: fn.uri("/allow"), IdentitySource: "method.request.header.X-Session", AuthorizerResultTTLInSeconds: &ttl},
		}})
	env.tagAPI("ksall00001", keySourceTags)
	env.addAPI(apiDef{id: "plain00001", methods: map[string]*apigw.Method{"GET /k": key}})
	env.addAPI(apiDef{id: "apikeyhdr1", methods: map[string]*apigw.Method{"GET /k": key}})
	env.tagAPI("apikeyhdr1", map[string]string{apigw.TagAPIKeyHeader: "Api-Key"})
	env.addPlan(&apigw.UsagePlan{ID: "plan01", Name: "p", APIStages: []apigw.APIStage{
		{APIID: "ksall00001", Stage: "api"}, {APIID: "plain00001", Stage: "api"}, {APIID: "apikeyhdr1", Stage: "api"}}})
	good := env.addKey("k-good0001", true, "plan01")
	other := env.addKey("k-other001", true, "plan01")
	bad := "not-a-key-0123456789-zzzz"

	tests := []struct {
		name      string
		api, path string
		query     string
		hdr       []string
		reason    Reason
		source    string // the access log's keySource ("" : none)
		keyID     string // the key that was found ("" : none)
		detail    string // a part of the refusal's detail
	}{
		// Each source alone.
		{name: "x-api-key", api: "ksall00001", path: "/k", hdr: []string{"x-api-key", good}, reason: ReasonOK, source: "header", keyID: "k-good0001"},
		{name: "custom header", api: "ksall00001", path: "/k", hdr: []string{"x-key", good}, reason: ReasonOK, source: "custom-header", keyID: "k-good0001"},
		{name: "second custom header", api: "ksall00001", path: "/k", hdr: []string{"X-CLIENT-KEY", good}, reason: ReasonOK, source: "custom-header", keyID: "k-good0001"},
		{name: "bearer", api: "ksall00001", path: "/k", hdr: []string{"Authorization", "Bearer " + good}, reason: ReasonOK, source: "bearer", keyID: "k-good0001"},
		{name: "bearer, scheme in lower case", api: "ksall00001", path: "/k", hdr: []string{"Authorization", "bearer  " + good}, reason: ReasonOK, source: "bearer", keyID: "k-good0001"},
		{name: "query", api: "ksall00001", path: "/k", query: "a=1&apiKey=" + url.QueryEscape(good), reason: ReasonOK, source: "query", keyID: "k-good0001"},
		// The first source present wins: x-api-key, custom headers, Bearer, query.
		{name: "x-api-key before custom header", api: "ksall00001", path: "/k", hdr: []string{"x-api-key", good, "x-key", other}, reason: ReasonOK, source: "header", keyID: "k-good0001"},
		{name: "custom headers in the tag's order", api: "ksall00001", path: "/k", hdr: []string{"x-client-key", other, "x-key", good}, reason: ReasonOK, source: "custom-header", keyID: "k-good0001"},
		{name: "custom header before bearer", api: "ksall00001", path: "/k", hdr: []string{"x-key", good, "Authorization", "Bearer " + other}, reason: ReasonOK, source: "custom-header", keyID: "k-good0001"},
		{name: "bearer before query", api: "ksall00001", path: "/k", query: "apiKey=" + other, hdr: []string{"Authorization", "Bearer " + good}, reason: ReasonOK, source: "bearer", keyID: "k-good0001"},
		{name: "first present wins even when unknown", api: "ksall00001", path: "/k", hdr: []string{"x-api-key", bad, "x-key", good}, reason: ReasonKeyNotFound, source: "header"},
		{name: "an empty x-api-key is absent", api: "ksall00001", path: "/k", hdr: []string{"x-api-key", "", "x-key", good}, reason: ReasonOK, source: "custom-header", keyID: "k-good0001"},
		{name: "Basic is not Bearer", api: "ksall00001", path: "/k", hdr: []string{"Authorization", "Basic " + good}, reason: ReasonKeyMissing},
		// A method whose authorizer reads Authorization keeps it.
		{name: "bearer skipped for an authorizer", api: "ksall00001", path: "/authz", hdr: []string{"Authorization", "Bearer " + good}, reason: ReasonKeyMissing, detail: "its authorizer reads the Authorization header"},
		{name: "query after a skipped bearer", api: "ksall00001", path: "/authz", query: "apiKey=" + good, hdr: []string{"Authorization", "Bearer " + other}, reason: ReasonOK, source: "query", keyID: "k-good0001"},
		{name: "bearer read beside a REQUEST authorizer on another header", api: "ksall00001", path: "/authzreq", hdr: []string{"X-Session", "s1", "Authorization", "Bearer " + good}, reason: ReasonOK, source: "bearer", keyID: "k-good0001"},
		// Diagnoses without the tag name the tag to set.
		{name: "other header, untagged", api: "plain00001", path: "/k", hdr: []string{"api-key", good}, reason: ReasonKeyOtherHeader, detail: `sent it in "api-key": to accept it there, tag the RestApi gatehouse:apiKeyHeader=api-key`},
		{name: "bearer, untagged", api: "plain00001", path: "/k", hdr: []string{"Authorization", "Bearer " + good}, reason: ReasonKeyOtherHeader, detail: "tag the RestApi gatehouse:apiKeyBearer=true"},
		{name: "query, untagged", api: "plain00001", path: "/k", query: "apiKey=" + good, reason: ReasonKeyInQuery, detail: `parameter "apiKey", which this API does not accept: to accept it there, tag the RestApi gatehouse:apiKeyQuery=apiKey`},
		{name: "query api_key, untagged", api: "plain00001", path: "/k", query: "api_key=" + good, reason: ReasonKeyInQuery, detail: "gatehouse:apiKeyQuery=api_key"},
		{name: "nothing, untagged", api: "plain00001", path: "/k", reason: ReasonKeyMissing, detail: "the method requires an API key and the request has no x-api-key header"},
		// With tags: a source the API accepts is no mistake; others name the tag.
		{name: "accepted other-looking header", api: "apikeyhdr1", path: "/k", hdr: []string{"api-key", good}, reason: ReasonOK, source: "custom-header", keyID: "k-good0001"},
		{name: "other header, tagged", api: "ksall00001", path: "/k", hdr: []string{"api-key", good}, reason: ReasonKeyOtherHeader, detail: "add api-key to the RestApi's tag gatehouse:apiKeyHeader (now x-key,x-client-key)"},
		{name: "query name in another case", api: "ksall00001", path: "/k", query: "apikey=" + good, reason: ReasonKeyInQuery, detail: "parameter names are case-sensitive"},
		{name: "another query name, tagged", api: "ksall00001", path: "/k", query: "api_key=" + good, reason: ReasonKeyInQuery, detail: `the API's tag gatehouse:apiKeyQuery names "apiKey"`},
		{name: "accepted parameter sent empty", api: "ksall00001", path: "/k", query: "apiKey=", reason: ReasonKeyMissing, detail: `the x-api-key header, the x-key header, the x-client-key header, an Authorization: Bearer header or the query string parameter "apiKey"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := env.url(tt.api, tt.path)
			if tt.query != "" {
				u += "?" + tt.query
			}
			req := func() *http.Request {
				r := newReq(t, "GET", u, nil)
				for i := 0; i+1 < len(tt.hdr); i += 2 {
					r.Header.Add(tt.hdr[i], tt.hdr[i+1])
				}
				return r
			}
			r := env.do(req())
			if r.reason() != string(tt.reason) {
				t.Fatalf("reason %s (%v), want %s", r.reason(), r.line["detail"], tt.reason)
			}
			if got, _ := r.line["keySource"].(string); got != tt.source {
				t.Errorf("keySource %q, want %q", got, tt.source)
			}
			if got, _ := r.line["apiKeyId"].(string); got != tt.keyID {
				t.Errorf("apiKeyId %q, want %q", got, tt.keyID)
			}
			if d, _ := r.line["detail"].(string); !strings.Contains(d, tt.detail) {
				t.Errorf("detail %q, want it to contain %q", d, tt.detail)
			}
			if dep, _ := r.line["deprecated"].(string); (tt.source == "query") != (dep == string(ReasonKeyInQuery)) {
				t.Errorf("deprecated %q for key source %q", dep, tt.source)
			}
			tr := env.g.Explain(context.Background(), ExplainRequest{Request: req(), Now: env.now})
			got := ReasonOK
			if tr.Decision != nil {
				got = tr.Decision.Reason
			}
			if got != tt.reason {
				t.Fatalf("Explain decided %s, the served path %s", got, tt.reason)
			}
		})
	}
	for _, v := range []string{good, other, bad} {
		if strings.Contains(string(env.access.Bytes()), v) || strings.Contains(string(env.access.Bytes()), url.QueryEscape(v)) {
			t.Fatalf("a key value is in the access log:\n%s", env.access.Bytes())
		}
	}
}

// TestKeySourceExplainDetail: the trace says where the key came from, and
// that a query-string key is deprecated.
func TestKeySourceExplainDetail(t *testing.T) {
	env := newGWEnv(t, gwOptions{})
	env.addAPI(apiDef{id: "ksall00001", methods: map[string]*apigw.Method{"GET /k": {APIKeyRequired: true, Integration: mockOK()}}})
	env.tagAPI("ksall00001", keySourceTags)
	env.addPlan(&apigw.UsagePlan{ID: "plan01", Name: "p", APIStages: []apigw.APIStage{{APIID: "ksall00001", Stage: "api"}}})
	good := env.addKey("k-good0001", true, "plan01")
	tests := []struct {
		query, hdr, val string
		want            string
	}{
		{"", "x-api-key", good, "the request sends one in the x-api-key header"},
		{"", "X-Client-Key", good, `the request sends one in the x-client-key header (gatehouse:apiKeyHeader)`},
		{"", "Authorization", "Bearer " + good, "as Authorization: Bearer (gatehouse:apiKeyBearer)"},
		{"apiKey=" + good, "", "", `in the query string parameter "apiKey" (gatehouse:apiKeyQuery; deprecated`},
	}
	for _, tt := range tests {
		r := newReq(t, "GET", env.url("ksall00001", "/k")+"?"+tt.query, nil)
		if tt.hdr != "" {
			r.Header.Set(tt.hdr, tt.val)
		}
		tr := env.g.Explain(context.Background(), ExplainRequest{Request: r})
		if tr.Decision != nil {
			t.Fatalf("refused: %s %s", tr.Decision.Reason, tr.Decision.Detail)
		}
		var d string
		for _, s := range tr.Steps {
			if s.Name == "keysource" {
				d = s.Detail
			}
		}
		if !strings.Contains(d, tt.want) || strings.Contains(d, good) {
			t.Errorf("keysource detail %q, want it to contain %q and no key", d, tt.want)
		}
	}
}

// TestKeyNeverReachesUpstream: whichever source the key came from, the
// upstream sees it in no header and not in the query; the request's other
// headers and parameters arrive unchanged, and an Authorization header
// that did not carry the key is the upstream's.
func TestKeyNeverReachesUpstream(t *testing.T) {
	type seen struct {
		header http.Header
		query  string
	}
	var (
		mu  sync.Mutex
		got []seen
	)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, seen{r.Header.Clone(), r.URL.RawQuery})
		mu.Unlock()
		w.Write([]byte("ok"))
	}))
	t.Cleanup(up.Close)
	env := newGWEnv(t, gwOptions{})
	env.addAPI(apiDef{id: "ksall00001", methods: map[string]*apigw.Method{
		"GET /up":   {APIKeyRequired: true, Integration: httpProxyTo(up.URL + "/up")},
		"GET /open": {Integration: httpProxyTo(up.URL + "/open?fixed=1")},
	}})
	env.tagAPI("ksall00001", keySourceTags)
	env.addPlan(&apigw.UsagePlan{ID: "plan01", Name: "p", APIStages: []apigw.APIStage{{APIID: "ksall00001", Stage: "api"}}})
	good := env.addKey("k-good0001", true, "plan01")
	other := env.addKey("k-other001", true, "plan01")

	tests := []struct {
		name      string
		path      string
		query     string
		hdr       []string
		wantQuery string
		wantAuth  string // the Authorization the upstream gets ("" : none)
	}{
		{name: "x-api-key", path: "/up", query: "a=1", hdr: []string{"x-api-key", good}, wantQuery: "a=1"},
		{name: "custom header", path: "/up", query: "a=1", hdr: []string{"x-key", good}, wantQuery: "a=1"},
		{name: "bearer", path: "/up", query: "a=1", hdr: []string{"Authorization", "Bearer " + good}, wantQuery: "a=1"},
		{name: "query", path: "/up", query: "a=1&apiKey=" + good + "&b=%2F&apiKey=" + other, wantQuery: "a=1&b=%2F"},
		{name: "query, escaped name", path: "/up", query: "api%4Bey=" + good + "&b=2", wantQuery: "b=2"},
		// The key sources the request did not use are removed too, but an
		// Authorization that carried no key is the upstream's.
		{name: "x-api-key with every other source", path: "/up", query: "apiKey=" + other + "&a=1",
			hdr: []string{"x-api-key", good, "x-key", other, "x-client-key", other}, wantQuery: "a=1"},
		{name: "authorization not used as the key", path: "/up", hdr: []string{"x-api-key", good, "Authorization", "Bearer upstream-token"}, wantAuth: "Bearer upstream-token"},
		{name: "method without a key", path: "/open", query: "apiKey=" + good + "&a=1", hdr: []string{"x-key", good}, wantQuery: "fixed=1&a=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			got = nil
			mu.Unlock()
			r := newReq(t, "GET", env.url("ksall00001", tt.path)+"?"+tt.query, nil)
			for i := 0; i+1 < len(tt.hdr); i += 2 {
				r.Header.Add(tt.hdr[i], tt.hdr[i+1])
			}
			r.Header.Set("X-Other", "kept")
			if a := env.do(r); a.status != 200 || a.body != "ok" {
				t.Fatalf("answer %d %s (%s %v)", a.status, a.body, a.reason(), a.line["detail"])
			}
			mu.Lock()
			defer mu.Unlock()
			if len(got) != 1 {
				t.Fatalf("the upstream got %d requests", len(got))
			}
			s := got[0]
			if s.query != tt.wantQuery {
				t.Errorf("upstream query %q, want %q", s.query, tt.wantQuery)
			}
			for name, vs := range s.header {
				for _, v := range vs {
					if strings.Contains(v, good) || strings.Contains(v, other) {
						t.Errorf("the upstream got the key in %s: %q", name, v)
					}
				}
			}
			for _, name := range []string{"X-Api-Key", "X-Key", "X-Client-Key"} {
				if _, ok := s.header[name]; ok {
					t.Errorf("the upstream got a %s header", name)
				}
			}
			if a := s.header.Get("Authorization"); a != tt.wantAuth {
				t.Errorf("upstream Authorization %q, want %q", a, tt.wantAuth)
			}
			if s.header.Get("X-Other") != "kept" {
				t.Errorf("the upstream lost X-Other: %v", s.header)
			}
		})
	}
}

// TestKeySourceMetrics: admitted requests count by key source; refused
// ones do not; a query-string key counts under its id.
func TestKeySourceMetrics(t *testing.T) {
	env := newGWEnv(t, gwOptions{})
	env.addAPI(apiDef{id: "ksall00001", methods: map[string]*apigw.Method{"GET /k": {APIKeyRequired: true, Integration: mockOK()}}})
	env.tagAPI("ksall00001", keySourceTags)
	env.addPlan(&apigw.UsagePlan{ID: "plan01", Name: "p", APIStages: []apigw.APIStage{{APIID: "ksall00001", Stage: "api"}}})
	good := env.addKey("k-good0001", true, "plan01")
	off := env.addKey("k-off00001", false, "plan01")
	call := func(query string, hdr ...string) {
		env.do(newReq(t, "GET", env.url("ksall00001", "/k")+"?"+query, nil, hdr...))
	}
	for range 3 {
		call("apiKey=" + good)
	}
	call("apiKey=" + off) // refused: KEY_DISABLED
	call("", "x-api-key", good)
	call("", "x-key", good)
	call("", "x-key", good)
	want := map[string]float64{"query": 3, "header": 1, "custom-header": 2}
	for src, n := range want {
		if got := counterValue(t, env.reg, "gatehouse_api_key_source_total", map[string]string{"api": "ksall00001", "stage": "api", "source": src}); got != n {
			t.Errorf("gatehouse_api_key_source_total{source=%q} = %v, want %v", src, got, n)
		}
	}
	if got := counterValue(t, env.reg, "gatehouse_api_key_query_use_total", map[string]string{"key_id": "k-good0001"}); got != 3 {
		t.Errorf("gatehouse_api_key_query_use_total{key_id=k-good0001} = %v, want 3", got)
	}
	if got := counterValue(t, env.reg, "gatehouse_api_key_query_use_total", map[string]string{"key_id": "k-off00001"}); got != 0 {
		t.Errorf("a refused request counted: %v", got)
	}
}

// TestQueryUseIsBounded: past maxQueryUseKeys keys, uses count under
// "_other", so a million keys cannot make a million series.
func TestQueryUseIsBounded(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range maxQueryUseKeys + 50 {
				m.queryUse.inc("k" + strconv.Itoa(i))
			}
		}()
	}
	wg.Wait()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	series, total := 0, 0.0
	for _, mf := range mfs {
		if mf.GetName() == "gatehouse_api_key_query_use_total" {
			series = len(mf.GetMetric())
			for _, mm := range mf.GetMetric() {
				total += mm.GetCounter().GetValue()
			}
		}
	}
	if series != maxQueryUseKeys+1 {
		t.Errorf("%d series, want %d (the keys and _other)", series, maxQueryUseKeys+1)
	}
	if want := float64(4 * (maxQueryUseKeys + 50)); total != want {
		t.Errorf("%v uses counted, want %v", total, want)
	}
	if got := counterValue(t, reg, "gatehouse_api_key_query_use_total", map[string]string{"key_id": queryUseOther}); got != 4*50 {
		t.Errorf("_other = %v, want %d", got, 4*50)
	}
}

// counterValue reads a counter's value by name and labels (0 when absent).
func counterValue(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for k, v := range labels {
				if !hasLabel(m, k, v) {
					continue next
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

func hasLabel(m *dto.Metric, name, value string) bool {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue() == value
		}
	}
	return false
}

// TestKeySourceAllocs: taking the key from x-api-key or a custom header
// costs no allocation beyond the x-api-key path's (BenchmarkPipelineDecision's
// budget), also on an API tagged with every source.
func TestKeySourceAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's instrumentation allocates")
	}
	env := newGWEnv(t, gwOptions{})
	env.addAPI(apiDef{id: "plain00001", methods: map[string]*apigw.Method{"POST /doit": {APIKeyRequired: true, Integration: mockOK()}}})
	env.addAPI(apiDef{id: "ksall00001", methods: map[string]*apigw.Method{"POST /doit": {APIKeyRequired: true, Integration: mockOK()}}})
	env.tagAPI("ksall00001", keySourceTags)
	env.addPlan(&apigw.UsagePlan{ID: "plan01", Name: "p", APIStages: []apigw.APIStage{{APIID: "plain00001", Stage: "api"}, {APIID: "ksall00001", Stage: "api"}}})
	good := env.addKey("k-good0001", true, "plan01")
	allocs := func(apiID, hdr, val string) float64 {
		r := httptest.NewRequest("POST", "/restapis/"+apiID+"/api/_user_request_/doit", nil)
		r.Header.Set(hdr, val)
		rq := new(request)
		ctx := context.Background()
		return testing.AllocsPerRun(200, func() {
			keyBuf := rq.keyBuf[:0]
			*rq = request{r: r, keyBuf: keyBuf, now: env.now}
			if d := env.g.decide(ctx, rq); d != nil {
				t.Fatalf("refused: %s %s", d.Reason, d.Detail)
			}
		})
	}
	base := allocs("plain00001", "x-api-key", good)
	for _, c := range []struct{ api, hdr, val string }{
		{"ksall00001", "x-api-key", good},
		{"ksall00001", "x-client-key", good},
		{"ksall00001", "Authorization", "Bearer " + good},
	} {
		if n := allocs(c.api, c.hdr, c.val); n > base {
			t.Errorf("%s on %s: %v allocations, x-api-key on an untagged API: %v", c.hdr, c.api, n, base)
		}
	}
}
