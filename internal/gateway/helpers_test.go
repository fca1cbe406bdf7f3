package gateway

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/counters"
	"github.com/gatehouse-dev/gatehouse/internal/gateway/proxy"
	"github.com/gatehouse-dev/gatehouse/internal/gateway/state"
	"github.com/gatehouse-dev/gatehouse/internal/lambda"
	"github.com/gatehouse-dev/gatehouse/internal/secret"
	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlite"
	"github.com/prometheus/client_golang/prometheus"
)

// gwEnv is a Gateway over real parts (SQLite store, state index, local
// counters, the proxy) served on loopback by a real HTTP server.
type gwEnv struct {
	t      *testing.T
	db     *sqlite.DB
	keys   *secret.Keys
	state  *state.State
	g      *Gateway
	srv    *httptest.Server
	access *syncBuffer
	reg    *prometheus.Registry
	now    time.Time
}

type gwOptions struct {
	maxBody  int64
	account  apigw.Throttle // zero: AWS's default
	counters Counters       // nil: counters.NewLocal()
	proxy    proxy.Options
	// functions invokes authorizers and AWS_PROXY functions (nil: no endpoint).
	functions lambda.Invoker
	// canaryRoll fixes the canary draws (nil: random).
	canaryRoll func() float64
}

func newGWEnv(t *testing.T, o gwOptions) *gwEnv {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	keys, err := secret.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	env := &gwEnv{t: t, db: db, keys: keys, access: &syncBuffer{}, reg: prometheus.NewRegistry(),
		now: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
	env.state = state.New(db, slog.New(slog.DiscardHandler))
	c := o.counters
	if c == nil {
		c = counters.NewLocal()
	}
	p := proxy.New(o.proxy)
	t.Cleanup(p.Close)
	env.g = New(Options{State: env.state, Keys: keys, Counters: c, Proxy: p, AccessLog: env.access,
		Metrics: NewMetrics(env.reg), MaxBodyBytes: o.maxBody, AccountThrottle: o.account, Now: func() time.Time { return env.now },
		Functions: o.functions, AccountID: "123456789012", CanaryRoll: o.canaryRoll})
	env.srv = httptest.NewServer(env.g)
	t.Cleanup(env.srv.Close)
	return env
}

// apiDef describes one API with a stage "api" serving a deployment of it.
type apiDef struct {
	id string
	// methods by "METHOD /path"; parents are created as needed.
	methods   map[string]*apigw.Method
	disabled  bool // disableExecuteApiEndpoint
	keySource string
	responses map[string]*apigw.GatewayResponse
	stageTags map[string]string
	dataTrace bool // the stage's */* dataTraceEnabled
	// methodSettings are the stage's, as stored ("*/*", "~1path/GET").
	methodSettings map[string]*apigw.MethodSetting
	// noDeployment makes the stage point at a deployment that does not exist.
	noDeployment bool
	// liveOnly methods are in the API but not in its deployment.
	liveOnly map[string]*apigw.Method
	// authorizers are the API's (and its deployment's) authorizers by id.
	authorizers map[string]*apigw.Authorizer
	// binary is the deployment's binaryMediaTypes; stageVars the stage's variables.
	binary    []string
	stageVars map[string]string
	// models and validators are the API's (and its deployment's).
	models     map[string]*apigw.Model
	validators map[string]*apigw.RequestValidator
	// policy is the API's (and its deployment's) resource policy, stored
	// as given (unchecked, as a policy written before the check was).
	policy string
}

// addAPI stores an API with its deployment and stage "api", and reloads the state.
func (env *gwEnv) addAPI(d apiDef) {
	env.t.Helper()
	ctx := context.Background()
	build := func(methods map[string]*apigw.Method) map[string]*apigw.Resource {
		root := &apigw.Resource{ID: "root000000", Methods: map[string]*apigw.Method{}}
		res := map[string]*apigw.Resource{root.ID: root}
		byPath := map[string]*apigw.Resource{"/": root}
		var ensure func(path string) *apigw.Resource
		ensure = func(path string) *apigw.Resource {
			if r := byPath[path]; r != nil {
				return r
			}
			i := strings.LastIndex(path, "/")
			parent := path[:i]
			if parent == "" {
				parent = "/"
			}
			p := ensure(parent)
			r := &apigw.Resource{ID: fmt.Sprintf("r%05d", len(res)), ParentID: p.ID, PathPart: path[i+1:], Methods: map[string]*apigw.Method{}}
			res[r.ID], byPath[path] = r, r
			return r
		}
		for _, k := range slices.Sorted(func(yield func(string) bool) {
			for k := range methods {
				if !yield(k) {
					return
				}
			}
		}) {
			verb, path, _ := strings.Cut(k, " ")
			m := *methods[k]
			m.HTTPMethod = verb
			if m.AuthorizationType == "" {
				m.AuthorizationType = apigw.AuthNone
			}
			ensure(path).Methods[verb] = &m
		}
		return res
	}
	ks := d.keySource
	if ks == "" {
		ks = apigw.KeySourceHeader
	}
	deployed := build(d.methods)
	live := deployed
	if len(d.liveOnly) > 0 {
		all := map[string]*apigw.Method{}
		for k, v := range d.methods {
			all[k] = v
		}
		for k, v := range d.liveOnly {
			all[k] = v
		}
		live = build(all)
	}
	api := &apigw.RestAPI{ID: d.id, Name: d.id, APIKeySource: ks, RootResourceID: "root000000", Resources: live,
		DisableExecuteAPIEndpoint: d.disabled, GatewayResponses: d.responses, Authorizers: d.authorizers,
		Models: d.models, RequestValidators: d.validators, Policy: d.policy}
	dep := &apigw.Deployment{ID: "dep001", APIID: d.id, Snapshot: apigw.Snapshot{APIKeySource: ks, RootResourceID: "root000000", Resources: deployed, Authorizers: d.authorizers, BinaryMediaTypes: d.binary,
		Models: d.models, RequestValidators: d.validators, Policy: d.policy}}
	err := env.db.Update(ctx, func(tx store.Tx) error {
		if err := tx.CreateAPI(ctx, api); err != nil {
			return err
		}
		depID := dep.ID
		if d.noDeployment {
			depID = "gone01"
		} else if err := tx.CreateDeployment(ctx, dep); err != nil {
			return err
		}
		st := &apigw.Stage{APIID: d.id, Name: "api", DeploymentID: depID, Tags: d.stageTags, Variables: d.stageVars}
		st.MethodSettings = d.methodSettings
		if d.dataTrace {
			st.MethodSettings = map[string]*apigw.MethodSetting{"*/*": {DataTraceEnabled: true, ThrottlingBurstLimit: -1, ThrottlingRateLimit: -1}}
		}
		return tx.CreateStage(ctx, st)
	})
	if err != nil {
		env.t.Fatal(err)
	}
	env.reload()
}

// addKey stores an enabled or disabled key, in the given plans, and
// returns its value.
func (env *gwEnv) addKey(id string, enabled bool, planIDs ...string) string {
	env.t.Helper()
	ctx := context.Background()
	v := "value-of-" + id + "-0123456789abcdefghij"
	err := env.db.Update(ctx, func(tx store.Tx) error {
		if err := tx.CreateAPIKey(ctx, &apigw.APIKey{ID: id, Enabled: enabled, LookupHash: env.keys.LookupHash(v), Last4: v[len(v)-4:]}); err != nil {
			return err
		}
		for _, p := range planIDs {
			if err := tx.AddUsagePlanKey(ctx, p, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		env.t.Fatal(err)
	}
	env.reload()
	return v
}

func (env *gwEnv) addPlan(p *apigw.UsagePlan) {
	env.t.Helper()
	ctx := context.Background()
	if err := env.db.Update(ctx, func(tx store.Tx) error { return tx.CreateUsagePlan(ctx, p) }); err != nil {
		env.t.Fatal(err)
	}
	env.reload()
}

func (env *gwEnv) reload() {
	env.t.Helper()
	if err := env.state.Load(context.Background()); err != nil {
		env.t.Fatal(err)
	}
}

// url is the invoke URL of path on stage "api" of an API.
func (env *gwEnv) url(apiID, path string) string {
	return env.srv.URL + "/restapis/" + apiID + "/api/_user_request_" + path
}

// reply is one response as a caller saw it, with the access log line of
// the request.
type reply struct {
	status int
	header http.Header
	body   string
	err    error // reading the body failed (an aborted response)
	line   map[string]any
}

func (r reply) reason() string { s, _ := r.line["reason"].(string); return s }

// do sends a request and collects the reply and its access log line.
func (env *gwEnv) do(req *http.Request) reply {
	env.t.Helper()
	resp, err := env.srv.Client().Do(req)
	if err != nil {
		env.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, rerr := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, body: string(b), err: rerr}
	r.line = env.accessLine(resp.Header.Get("X-Amzn-Requestid"))
	return r
}

// raw sends text over a new TCP connection and reads one response.
func (env *gwEnv) raw(text string) reply {
	env.t.Helper()
	conn, err := net.Dial("tcp", env.srv.Listener.Addr().String())
	if err != nil {
		env.t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, text); err != nil {
		env.t.Fatal(err)
	}
	return env.readReply(conn)
}

// readReply reads one response from conn.
func (env *gwEnv) readReply(conn net.Conn) reply {
	env.t.Helper()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		env.t.Fatalf("reading the response: %v", err)
	}
	defer resp.Body.Close()
	b, rerr := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, body: string(b), err: rerr}
	r.line = env.accessLine(resp.Header.Get("X-Amzn-Requestid"))
	return r
}

// accessLine returns the access log line of a request. The gateway writes
// it before the response is complete, so it is there once the caller has
// read the response (or seen it cut off).
func (env *gwEnv) accessLine(requestID string) map[string]any {
	env.t.Helper()
	for _, line := range bytes.Split(env.access.Bytes(), []byte("\n")) {
		var m map[string]any
		if json.Unmarshal(line, &m) == nil && m["requestId"] == requestID {
			return m
		}
	}
	env.t.Fatalf("no access log line for request %q in:\n%s", requestID, env.access.Bytes())
	return nil
}

// requestsTotal reads gatehouse_gateway_requests_total for a reason.
func (env *gwEnv) requestsTotal(reason string) float64 {
	env.t.Helper()
	mfs, err := env.reg.Gather()
	if err != nil {
		env.t.Fatal(err)
	}
	total := 0.0
	for _, mf := range mfs {
		if mf.GetName() != "gatehouse_gateway_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "reason" && l.GetValue() == reason {
					total += m.GetCounter().GetValue()
				}
			}
		}
	}
	return total
}

// waitAccess waits (up to 10 s) for an access log line that match
// accepts, for requests whose caller saw no answer to read its id from.
func (env *gwEnv) waitAccess(match func(map[string]any) bool) map[string]any {
	env.t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		written := env.access.written()
		for _, line := range bytes.Split(env.access.Bytes(), []byte("\n")) {
			var m map[string]any
			if json.Unmarshal(line, &m) == nil && match(m) {
				return m
			}
		}
		select {
		case <-written:
		case <-timeout:
			env.t.Fatalf("no matching access log line in:\n%s", env.access.Bytes())
		}
	}
}

// syncBuffer is an io.Writer safe for concurrent use, which tells waiters
// when it is written to.
type syncBuffer struct {
	mu     sync.Mutex
	b      bytes.Buffer
	notify chan struct{} // closed and replaced on each Write
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.notify != nil {
		close(s.notify)
		s.notify = nil
	}
	return s.b.Write(p)
}

// written returns a channel closed at the next Write.
func (s *syncBuffer) written() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.notify == nil {
		s.notify = make(chan struct{})
	}
	return s.notify
}

func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.b.Bytes())
}

// mockOK is a MOCK integration answering 200 {"ok":true}.
func mockOK() *apigw.Integration {
	return &apigw.Integration{Type: apigw.IntegrationMock,
		RequestTemplates:     map[string]string{"application/json": `{"statusCode": 200}`},
		IntegrationResponses: map[string]*apigw.IntegrationResponse{"200": {StatusCode: "200", ResponseTemplates: map[string]string{"application/json": `{"ok":true}`}}}}
}

// httpProxyTo is an HTTP_PROXY integration to uri.
func httpProxyTo(uri string) *apigw.Integration {
	return &apigw.Integration{Type: apigw.IntegrationHTTPProxy, HTTPMethod: "ANY", URI: uri}
}
