package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/counters"
	"github.com/gatehouse-dev/gatehouse/internal/counters/redis"
)

// TestCountersFailurePolicy puts a TCP proxy between the Redis counters
// and the machine's Redis, cuts it in the middle of the load and brings it
// back: a stage under the default policy (closed) refuses with 503
// COUNTERS_UNAVAILABLE, one tagged gatehouse:countersFailure=local keeps
// admitting within the quota counted on this node alone (marked in the
// access log and counted in the metric), and once the proxy is back both
// count in Redis again.
func TestCountersFailurePolicy(t *testing.T) {
	rdb, redisAddr := needTestRedis(t)
	px := newCutProxy(t, redisAddr)
	prefix := newTestPrefix(t, rdb)

	ctx := context.Background()
	env := newGWEnv(t, gwOptions{counters: counters.NewLocal()}) // replaced below, once the store exists
	// Every Take a round trip (lease of 1), so the cut is seen at once.
	b, err := redis.Open(ctx, "redis://"+px.addr()+"/0?max_retries=-1", redis.Options{Options: counters.Options{Store: env.db, Prefix: prefix}, LeaseMax: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	env.g.counters = b

	key := &apigw.Method{APIKeyRequired: true, Integration: mockOK()}
	env.addAPI(apiDef{id: "closed0001", methods: map[string]*apigw.Method{"GET /a": key}}) // no tag: closed
	env.addAPI(apiDef{id: "local00001", methods: map[string]*apigw.Method{"GET /a": key},
		stageTags: map[string]string{apigw.TagCountersFailure: apigw.CountersFailureLocal}})
	const limit = 5
	quota := &apigw.Quota{Limit: limit, Period: apigw.PeriodDay}
	env.addPlan(&apigw.UsagePlan{ID: "pclosed", Name: "c", APIStages: []apigw.APIStage{{APIID: "closed0001", Stage: "api"}}, Quota: quota,
		Throttle: &apigw.Throttle{RateLimit: 1000, BurstLimit: 1000}})
	env.addPlan(&apigw.UsagePlan{ID: "plocal", Name: "l", APIStages: []apigw.APIStage{{APIID: "local00001", Stage: "api"}}, Quota: quota,
		Throttle: &apigw.Throttle{RateLimit: 1000, BurstLimit: 1000}})
	closedKey := env.addKey("kclosed", true, "pclosed")
	localKey := env.addKey("klocal", true, "plocal")

	get := func(apiID, k string) reply {
		t.Helper()
		req, _ := http.NewRequest("GET", env.url(apiID, "/a"), nil)
		req.Header.Set("x-api-key", k)
		return env.do(req)
	}
	want := func(phase string, r reply, status int, reason Reason, fallback bool) {
		t.Helper()
		_, fb := r.line["countersFallback"]
		if r.status != status || r.reason() != string(reason) || fb != fallback {
			t.Errorf("%s: status %d, reason %s, countersFallback %v; want %d, %s, %v (line %v)", phase, r.status, r.reason(), fb, status, reason, fallback, r.line)
		}
	}

	// Redis up: both stages count there.
	for range 2 {
		want("before the cut, closed", get("closed0001", closedKey), 200, ReasonOK, false)
		want("before the cut, local", get("local00001", localKey), 200, ReasonOK, false)
	}
	before := b.Stats().RoundTrips

	px.cut()
	want("cut, closed", get("closed0001", closedKey), 503, ReasonCountersUnavailable, false)

	// Under load: concurrent callers on the local stage get exactly the
	// quota counted on this node alone (limit), the rest QUOTA_EXCEEDED.
	const callers = 3 * limit
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		counts = map[int]int{}
	)
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("GET", env.url("local00001", "/a"), nil)
			req.Header.Set("x-api-key", localKey)
			resp, err := env.srv.Client().Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			mu.Lock()
			counts[resp.StatusCode]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if counts[200] != limit || counts[429] != callers-limit {
		t.Errorf("cut, local stage under load: %v; want %d × 200 and %d × 429", counts, limit, callers-limit)
	}
	want("cut, local, spent", get("local00001", localKey), 429, ReasonQuotaExceeded, true)
	if n := env.fallbackTotal("local00001", "quota"); n != callers+1 {
		t.Errorf("counters_fallback_total{op=quota} = %v, want %d", n, callers+1)
	}
	if n := env.fallbackTotal("closed0001", "quota") + env.fallbackTotal("closed0001", "throttle"); n != 0 {
		t.Errorf("the closed stage fell back %v times, want 0", n)
	}

	// Back: Redis counts again (2 of 5 used there for each key), and
	// nothing falls back.
	px.restore()
	want("restored, closed", get("closed0001", closedKey), 200, ReasonOK, false)
	want("restored, local", get("local00001", localKey), 200, ReasonOK, false)
	if after := b.Stats().RoundTrips; after <= before {
		t.Errorf("Redis round trips %d after the proxy came back, %d before the cut: Redis was not used again", after, before)
	}
	res, err := b.Peek(ctx, "plocal", "klocal", *quota, env.now)
	if err != nil || res.Used < 3 {
		t.Errorf("Redis's quota count for klocal after the outage: %+v, %v; want at least 3 used (2 before, 1 after)", res, err)
	}
}

// fallbackTotal reads gatehouse_gateway_counters_fallback_total.
func (env *gwEnv) fallbackTotal(apiID, op string) float64 {
	env.t.Helper()
	mfs, err := env.reg.Gather()
	if err != nil {
		env.t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "gatehouse_gateway_counters_fallback_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["api"] == apiID && labels["op"] == op {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// needTestRedis returns a client of the test Redis (GATEHOUSE_TEST_REDIS,
// else the machine's) and its address, or skips when none answers —
// except under CI=true, where that fails (as counters/redis's tests do).
func needTestRedis(t *testing.T) (*goredis.Client, string) {
	t.Helper()
	url := os.Getenv("GATEHOUSE_TEST_REDIS")
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	opt, err := goredis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := goredis.NewClient(opt)
	t.Cleanup(func() { c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Redis at %s does not answer (CI needs it; .ci/run starts it): %v", url, err)
		}
		t.Skipf("no Redis at %s (%v): start one or set GATEHOUSE_TEST_REDIS; CI=true fails instead", url, err)
	}
	return c, opt.Addr
}

// newTestPrefix returns a fresh key prefix whose keys are deleted when t
// ends (as counters/redis's tests do).
func newTestPrefix(t *testing.T, c *goredis.Client) string {
	t.Helper()
	var b [8]byte
	rand.Read(b[:])
	prefix := "gatehouse-test:" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		keys, err := c.Keys(ctx, prefix+"*").Result()
		if err != nil {
			t.Errorf("list test keys: %v", err)
			return
		}
		if len(keys) > 0 {
			if err := c.Del(ctx, keys...).Err(); err != nil {
				t.Errorf("delete test keys: %v", err)
			}
		}
	})
	return prefix
}

// cutProxy forwards TCP connections to a target. cut closes every open
// connection and refuses new ones (accepted and closed at once) until
// restore; the listener stays, so the address does not change.
type cutProxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	down  bool
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.cut()
		p.wg.Wait()
	})
	return p
}

func (p *cutProxy) addr() string { return p.ln.Addr().String() }

func (p *cutProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) && !strings.Contains(err.Error(), "closed") {
				panic(err)
			}
			return
		}
		p.mu.Lock()
		if p.down {
			p.mu.Unlock()
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns[c], p.conns[up] = struct{}{}, struct{}{}
		p.wg.Add(2)
		p.mu.Unlock()
		pipe := func(dst, src net.Conn) {
			defer p.wg.Done()
			io.Copy(dst, src)
			dst.Close()
			src.Close()
		}
		go pipe(up, c)
		go pipe(c, up)
	}
}

// cut closes every forwarded connection and refuses new ones.
func (p *cutProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

// restore forwards new connections again.
func (p *cutProxy) restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
}
