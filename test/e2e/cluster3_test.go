package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	goredis "github.com/redis/go-redis/v9"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/apitest"
	"github.com/gatehouse-dev/gatehouse/internal/server"
	"github.com/gatehouse-dev/gatehouse/internal/store/postgres/pgtest"
)

// sharedRedis is the machine's Redis, which the cluster test shares with
// other tests under a prefix of its own: GATEHOUSE_TEST_REDIS, else
// 127.0.0.1:6379.
func sharedRedis() string {
	if u := os.Getenv("GATEHOUSE_TEST_REDIS"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// redisPrefix checks that url answers (skipping the test, or failing it
// under CI=true, when it does not) and returns a fresh key prefix whose
// keys are deleted when t ends.
func redisPrefix(t *testing.T, url string) string {
	t.Helper()
	opt, err := goredis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := goredis.NewClient(opt)
	if err := c.Ping(context.Background()).Err(); err != nil {
		c.Close()
		if os.Getenv("CI") == "true" {
			t.Fatalf("Redis at %s does not answer (CI needs it): %v", url, err)
		}
		t.Skipf("no Redis at %s (%v): start one or set GATEHOUSE_TEST_REDIS; CI=true fails instead", url, err)
	}
	var b [8]byte
	rand.Read(b[:])
	prefix := "gatehouse-test-e2e:" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() {
		defer c.Close()
		ctx := context.Background()
		iter := c.Scan(ctx, 0, prefix+"*", 500).Iterator()
		var keys []string
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		if len(keys) > 0 {
			c.Del(ctx, keys...)
		}
	})
	return prefix
}

// joinDir returns a new data directory holding copies of from's server
// secret and admin credentials: a node started on it joins from's cluster.
func joinDir(t *testing.T, from string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{server.SecretFile, server.CredentialsFile} {
		b, err := os.ReadFile(filepath.Join(from, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// stageARN is a stage's ARN, for TagResource.
func stageARN(apiID, stage string) *string {
	return aws.String("arn:aws:apigateway:us-east-1::/restapis/" + apiID + "/stages/" + stage)
}

// hit is one data plane call of a hammering client.
type hit struct {
	sent, got time.Time
	status    int // 0: no answer
	reason    string
}

// hammer calls url with the key until stop returns true, one call at a
// time on one connection, and returns every call.
func hammer(url, key string, stop func() bool, onOK func()) []hit {
	tr := &http.Transport{MaxIdleConnsPerHost: 1}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	var hits []hit
	for !stop() {
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("x-api-key", key)
		h := hit{sent: time.Now()}
		resp, err := c.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			h.status, h.reason = resp.StatusCode, resp.Header.Get("X-Gatehouse-Reason")
			if h.status == 200 && onOK != nil {
				onOK()
			}
		}
		h.got = time.Now()
		hits = append(hits, h)
	}
	return hits
}

// countStatus counts hits by status.
func countStatus(hits []hit) map[int]int {
	m := map[int]int{}
	for _, h := range hits {
		m[h.status]++
	}
	return m
}

// usageOf returns the key's [used, remaining] for today through env.
func usageOf(t *testing.T, env *apitest.Env, planID, keyID string) (used, remaining int64) {
	t.Helper()
	day := time.Now().UTC().Format(time.DateOnly)
	u, err := env.Client.GetUsage(context.Background(), &apigateway.GetUsageInput{UsagePlanId: &planID, KeyId: &keyID, StartDate: &day, EndDate: &day})
	if err != nil {
		t.Fatalf("GetUsage: %v", err)
	}
	s := u.Items[keyID]
	if len(s) != 1 || len(s[0]) != 2 {
		t.Fatalf("GetUsage: items %v, want one [used, remaining] day for key %s", u.Items, keyID)
	}
	return s[0][0], s[0][1]
}

// TestThreeProcessCluster: three real `gatehouse serve` processes on
// loopback, one PostgreSQL database and one Redis (a prefix of its own),
// sharing the server secret (B: a copy in its data directory; C: A's file,
// named by --secret-file) and admin credentials (copies).
func TestThreeProcessCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("three gatehouse processes on PostgreSQL and Redis: not under -short")
	}
	db := pgtest.Database(t)
	prefix := redisPrefix(t, sharedRedis())
	bin := buildGatehouse(t)
	flags := []string{"--store", db, "--counters", sharedRedis(), "--counters-prefix", prefix}
	dirA := t.TempDir()
	na := startNode(t, bin, dirA, flags...)
	nb := startNode(t, bin, joinDir(t, dirA), flags...)
	// C names A's secret file with --secret-file and has a copy of the
	// admin credentials only.
	dirC := t.TempDir()
	creds, err := os.ReadFile(filepath.Join(dirA, server.CredentialsFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dirC, server.CredentialsFile), creds, 0o600); err != nil {
		t.Fatal(err)
	}
	nc := startNode(t, bin, dirC, append([]string{"--secret-file", filepath.Join(dirA, server.SecretFile)}, flags...)...)
	if _, err := os.Stat(filepath.Join(dirC, server.SecretFile)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("node C with --secret-file wrote a secret into its data directory: %v", err)
	}
	nodes := []*gatehouseNode{na, nb, nc}
	a, b := na.env(t), nb.env(t)
	ctx := context.Background()

	// newAPI builds an API whose GET /pets needs a key, deployed on "api"
	// with the reason header on, through node A.
	newAPI := func(t *testing.T, name string) *fixture {
		f := newFixture(t, a, name)
		f.mock("GET", "/pets", true, 200, `{"pets":[]}`)
		f.deploy("api")
		if _, err := f.c.TagResource(ctx, &apigateway.TagResourceInput{ResourceArn: stageARN(f.apiID, "api"), Tags: map[string]string{apigw.TagReasonHeader: "true"}}); err != nil {
			t.Fatal(err)
		}
		return f
	}
	urlOn := func(n *gatehouseNode, f *fixture) string {
		return n.dataURL + "/restapis/" + f.apiID + "/api/_user_request_/pets"
	}
	status := func(n *gatehouseNode, f *fixture, key string) int {
		hits := hammer(urlOn(n, f), key, onceOnly(), nil)
		return hits[0].status
	}
	// ready waits until the key answers 200 on every node (each wait
	// spends one call of its limits).
	ready := func(t *testing.T, f *fixture, key string) {
		for _, n := range nodes {
			select {
			case <-n.exited:
				continue
			default:
			}
			within(t, time.Now(), 2*time.Second, func() bool { return status(n, f, key) == 200 })
		}
	}

	t.Run("propagation", func(t *testing.T) {
		f := newAPI(t, "Propagation")
		plan := f.plan("api", nil, nil)
		keyID, value := f.key("client", true)
		if _, err := a.Client.CreateUsagePlanKey(ctx, &apigateway.CreateUsagePlanKeyInput{UsagePlanId: &plan, KeyId: &keyID, KeyType: aws.String("API_KEY")}); err != nil {
			t.Fatal(err)
		}
		added := time.Now()
		took := within(t, added, time.Second, func() bool { return status(nc, f, value) == 200 })
		t.Logf("a key added through node A answered 200 on node C after %v", took)

		if _, err := b.Client.UpdateApiKey(ctx, &apigateway.UpdateApiKeyInput{ApiKey: &keyID,
			PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/enabled"), Value: aws.String("false")}}}); err != nil {
			t.Fatal(err)
		}
		disabled := time.Now()
		for _, n := range []*gatehouseNode{nc, na} {
			took := within(t, disabled, time.Second, func() bool { return status(n, f, value) == 403 })
			t.Logf("a key disabled through node B was refused on %s after %v", n.dataURL, took)
		}
		if h := hammer(urlOn(nc, f), value, onceOnly(), nil)[0]; h.status != 403 || h.reason != "KEY_DISABLED" {
			t.Fatalf("disabled key on node C: %d %s, want 403 KEY_DISABLED", h.status, h.reason)
		}

		// /metrics: node C applied other nodes' commits (the feed's lag
		// histogram counted them) and every node is at one revision.
		if n := metric(t, nc, "gatehouse_store_feed_lag_seconds_count"); n < 2 {
			t.Fatalf("node C's feed lag histogram counted %v commits of other nodes, want at least 2", n)
		}
		t.Logf("node C's feed lag: %.0f commits, %.6f s in all", metric(t, nc, "gatehouse_store_feed_lag_seconds_count"), metric(t, nc, "gatehouse_store_feed_lag_seconds_sum"))
		within(t, time.Now(), time.Second, func() bool {
			r := metric(t, na, "gatehouse_store_feed_revision")
			return r > 0 && metric(t, nb, "gatehouse_store_feed_revision") == r && metric(t, nc, "gatehouse_store_feed_revision") == r
		})
	})

	t.Run("quota 300 per day across three nodes", func(t *testing.T) {
		const limit = 300
		var before [3]map[string]float64
		for i, n := range nodes {
			before[i] = counterMetrics(t, n)
		}
		f := newAPI(t, "Quota")
		keyID, value := f.key("client", true)
		plan := f.plan("api", nil, &types.QuotaSettings{Limit: limit, Period: types.QuotaPeriodTypeDay}, keyID)
		var ok atomic.Int64
		var reached atomic.Int64 // unix ns when the limit was reached
		// Every client calls until the limit has been reached for 1.5 s
		// (a lease another node holds comes back within one flush
		// interval, 1 s), or for 20 s.
		deadline := time.Now().Add(20 * time.Second)
		stop := func() bool {
			if r := reached.Load(); r != 0 && time.Since(time.Unix(0, r)) > 1500*time.Millisecond {
				return true
			}
			return time.Now().After(deadline)
		}
		onOK := func() {
			if ok.Add(1) == limit {
				reached.Store(time.Now().UnixNano())
			}
		}
		all := hammerAll(nodes, func(n *gatehouseNode) string { return urlOn(n, f) }, value, stop, onOK)
		got := 0
		for i, hits := range all {
			c := countStatus(hits)
			t.Logf("node %c: %v", 'A'+i, c)
			got += c[200]
			for s := range c {
				if s != 200 && s != 429 && s != 403 {
					t.Errorf("node %c answered %d", 'A'+i, s)
				}
			}
		}
		if got != limit {
			t.Fatalf("%d calls admitted across three nodes on a quota of %d", got, limit)
		}
		used, remaining := usageOf(t, b, plan, keyID)
		if used != limit || remaining != 0 {
			t.Fatalf("GetUsage through node B: used %d remaining %d, want %d and 0", used, remaining, limit)
		}

		// /metrics: each node took leases (round trips) and admitted
		// from them without one; every admitted call was a usage record.
		moved := map[string]float64{}
		for i, n := range nodes {
			after := counterMetrics(t, n)
			for k, v := range after {
				moved[k] += v - before[i][k]
			}
		}
		t.Logf("the three nodes' counter metrics moved by %v over %d admitted calls", moved, limit)
		if moved[`round_trips{op="lease_take"}`] != moved["lease_refills"] || moved["lease_refills"] < 1 {
			t.Errorf("lease refills %v, lease_take round trips %v: want equal and at least 1", moved["lease_refills"], moved[`round_trips{op="lease_take"}`])
		}
		if moved["lease_local_takes"] < 1 || moved[`round_trips{op="usage_record"}`] != limit {
			t.Errorf("local takes %v, usage_record round trips %v (want at least 1 and %d)", moved["lease_local_takes"], moved[`round_trips{op="usage_record"}`], limit)
		}
	})

	t.Run("throttle 50/s burst 25 across three nodes", func(t *testing.T) {
		const rate, burst = 50.0, 25
		const window = 5 * time.Second
		f := newAPI(t, "Throttle")
		keyID, value := f.key("client", true)
		f.plan("api", &types.ThrottleSettings{RateLimit: rate, BurstLimit: burst}, nil, keyID)
		ready(t, f, value)
		// ready spent at most a few tokens: the bucket is full again
		// burst/rate after the last of them (a full bucket is the
		// measurement's starting point, not a synchronisation).
		time.Sleep(time.Duration(float64(burst)/rate*float64(time.Second)) + 200*time.Millisecond)
		start := time.Now()
		stop := func() bool { return time.Since(start) >= window }
		all := hammerAll(nodes, func(n *gatehouseNode) string { return urlOn(n, f) }, value, stop, nil)
		var firstSent, lastSent, firstGot, lastGot time.Time
		admitted := 0
		for i, hits := range all {
			c := countStatus(hits)
			t.Logf("node %c: %v", 'A'+i, c)
			admitted += c[200]
			for _, h := range hits {
				if h.status != 200 && !(h.status == 429 && h.reason == "THROTTLED_PLAN") {
					t.Fatalf("node %c answered %d %s", 'A'+i, h.status, h.reason)
				}
				if firstSent.IsZero() || h.sent.Before(firstSent) {
					firstSent = h.sent
				}
				if firstGot.IsZero() || h.got.Before(firstGot) {
					firstGot = h.got
				}
				lastSent = maxTime(lastSent, h.sent)
				lastGot = maxTime(lastGot, h.got)
			}
		}
		// The nodes decided every call between its sending and its
		// answer: the bucket was asked over at most lastGot-firstSent
		// and at least lastSent-firstGot.
		long, short := lastGot.Sub(firstSent).Seconds(), lastSent.Sub(firstGot).Seconds()
		expect := burst + rate*long
		lo, hi := 0.98*expect, 1.02*expect
		t.Logf("admitted %d in %.3f s (at least %.3f s): rate×t+burst = %.1f (%.1f with the short window), ±2 %% = [%.1f, %.1f]",
			admitted, long, short, expect, burst+rate*short, lo, hi)
		if float64(admitted) < lo || float64(admitted) > hi {
			t.Fatalf("admitted %d, want within ±2 %% of %.1f", admitted, expect)
		}
	})

	t.Run("kill -9 of a node mid-load loses no usage", func(t *testing.T) {
		f := newAPI(t, "Kill")
		keyID, value := f.key("client", true)
		plan := f.plan("api", nil, &types.QuotaSettings{Limit: 1_000_000, Period: types.QuotaPeriodTypeDay}, keyID)
		var ok atomic.Int64
		start := time.Now()
		var killed atomic.Bool
		stopAfter := func(d time.Duration) func() bool { return func() bool { return time.Since(start) >= d } }
		var wg sync.WaitGroup
		all := make([][]hit, 3)
		for i, n := range nodes {
			stop := stopAfter(2 * time.Second)
			if i == 2 {
				stop = func() bool { return killed.Load() }
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				all[i] = hammer(urlOn(n, f), value, stop, func() { ok.Add(1) })
			}()
		}
		// C is killed a second into the load, with A and B still calling.
		for time.Since(start) < time.Second || ok.Load() < 100 {
			if time.Since(start) > 10*time.Second {
				t.Fatalf("only %d calls answered in 10 s", ok.Load())
			}
			time.Sleep(10 * time.Millisecond)
		}
		killAt := nc.kill(t)
		killed.Store(true)
		wg.Wait()
		seen, unanswered := 0, 0
		for i, hits := range all {
			c := countStatus(hits)
			t.Logf("node %c: %v", 'A'+i, c)
			seen += c[200]
			for _, h := range hits {
				if h.status == 0 && h.sent.Before(killAt) {
					unanswered++ // in flight when the node died
				}
			}
		}
		// The usage fold C was writing when it died is written by A's or
		// B's flush once it is 5 s old (GetUsage flushes first).
		used, _ := usageOf(t, a, plan, keyID)
		for deadline := time.Now().Add(20 * time.Second); used < int64(seen) && time.Now().Before(deadline); {
			time.Sleep(200 * time.Millisecond)
			used, _ = usageOf(t, a, plan, keyID)
		}
		t.Logf("clients saw %d successes (%d calls unanswered by the killed node); GetUsage through node A: %d (%.1f s after the kill)",
			seen, unanswered, used, time.Since(killAt).Seconds())
		// A call the killed node admitted (and counted) may have lost its
		// answer: at most the one unanswered call of C's client.
		if used < int64(seen) || used > int64(seen+unanswered) {
			t.Fatalf("GetUsage %d, clients saw %d successes (+%d unanswered)", used, seen, unanswered)
		}
	})
}

// scrape returns the node's /metrics text.
func scrape(t *testing.T, n *gatehouseNode) string {
	t.Helper()
	code, body := getURL(t, n.adminURL+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d %s", code, body)
	}
	return body
}

// metric returns the value of the sample named exactly name (with its
// labels, if any) on the node's /metrics, or fails.
func metric(t *testing.T, n *gatehouseNode, name string) float64 {
	t.Helper()
	for _, line := range strings.Split(scrape(t, n), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("/metrics %s: %v", line, err)
			}
			return f
		}
	}
	t.Fatalf("no %s on /metrics", name)
	return 0
}

// counterMetrics returns the node's gatehouse_counters_* samples, named
// without that prefix and the _total suffix.
func counterMetrics(t *testing.T, n *gatehouseNode) map[string]float64 {
	t.Helper()
	m := map[string]float64{}
	for _, line := range strings.Split(scrape(t, n), "\n") {
		name, v, ok := strings.Cut(line, " ")
		rest, isCounter := strings.CutPrefix(name, "gatehouse_counters_")
		if !ok || !isCounter {
			continue
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			t.Fatalf("/metrics %s: %v", line, err)
		}
		m[strings.Replace(rest, "_total", "", 1)] = f
	}
	return m
}

// onceOnly is a stop function for hammer that lets one call through.
func onceOnly() func() bool {
	n := 0
	return func() bool { n++; return n > 1 }
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// hammerAll runs one hammering client per node and returns their calls,
// by node.
func hammerAll(nodes []*gatehouseNode, url func(*gatehouseNode) string, key string, stop func() bool, onOK func()) [][]hit {
	all := make([][]hit, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			all[i] = hammer(url(n), key, stop, onOK)
		}()
	}
	wg.Wait()
	return all
}

// privateRedis is a redis-server process of the test's own, on a free
// loopback port, without persistence.
type privateRedis struct {
	port int
	cmd  *exec.Cmd
	done chan struct{}
}

func startPrivateRedis(t *testing.T, port int) *privateRedis {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("redis-server is not on PATH (CI needs it)")
		}
		t.Skip("redis-server is not on PATH")
	}
	if port == 0 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port = l.Addr().(*net.TCPAddr).Port
		l.Close()
	}
	cmd := exec.Command(path, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", t.TempDir())
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &privateRedis{port: port, cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); close(r.done) }()
	t.Cleanup(r.kill)
	c := goredis.NewClient(&goredis.Options{Addr: r.addr()})
	defer c.Close()
	within(t, time.Now(), 5*time.Second, func() bool { return c.Ping(context.Background()).Err() == nil })
	return r
}

func (r *privateRedis) addr() string { return "127.0.0.1:" + strconv.Itoa(r.port) }

func (r *privateRedis) kill() {
	select {
	case <-r.done:
	default:
		syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
		<-r.done
	}
}

// TestClusterRedisRestart: a node on a Redis that is killed and started
// again follows each stage's gatehouse:countersFailure policy meanwhile —
// closed: 503 COUNTERS_UNAVAILABLE; local: served on the node's own
// counters — and is back on Redis once it answers.
func TestClusterRedisRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("a gatehouse process on PostgreSQL and a private Redis: not under -short")
	}
	db := pgtest.Database(t)
	rd := startPrivateRedis(t, 0)
	bin := buildGatehouse(t)
	n := startNode(t, bin, t.TempDir(), "--store", db, "--counters", "redis://"+rd.addr()+"/0")
	env := n.env(t)
	ctx := context.Background()
	f := newFixture(t, env, "Restart")
	f.mock("GET", "/pets", true, 200, `{"pets":[]}`)
	keyID, value := f.key("client", true)
	for _, stage := range []string{"closed", "local"} {
		f.deploy(stage)
		if _, err := f.c.TagResource(ctx, &apigateway.TagResourceInput{ResourceArn: stageARN(f.apiID, stage),
			Tags: map[string]string{apigw.TagReasonHeader: "true", apigw.TagCountersFailure: stage}}); err != nil {
			t.Fatal(err)
		}
		f.plan(stage, &types.ThrottleSettings{RateLimit: 1000, BurstLimit: 1000}, &types.QuotaSettings{Limit: 100000, Period: types.QuotaPeriodTypeDay}, keyID)
	}
	call := func(stage string) hit {
		return hammer(n.dataURL+"/restapis/"+f.apiID+"/"+stage+"/_user_request_/pets", value, onceOnly(), nil)[0]
	}
	for _, stage := range []string{"closed", "local"} {
		if h := call(stage); h.status != 200 {
			t.Fatalf("%s stage with Redis up: %d %s", stage, h.status, h.reason)
		}
	}

	rd.kill()
	h := call("closed")
	if h.status != 503 || h.reason != "COUNTERS_UNAVAILABLE" {
		t.Fatalf("closed stage with Redis down: %d %s, want 503 COUNTERS_UNAVAILABLE", h.status, h.reason)
	}
	t.Logf("closed stage with Redis down: 503 COUNTERS_UNAVAILABLE in %v", h.got.Sub(h.sent))
	// A refused connection fails the call at once: no retries with
	// backoff hold every request for seconds.
	if d := h.got.Sub(h.sent); d > 250*time.Millisecond {
		t.Errorf("the 503 took %v with Redis refusing connections", d)
	}
	h = call("local")
	if h.status != 200 {
		t.Fatalf("local stage with Redis down: %d %s, want 200 on the node's own counters", h.status, h.reason)
	}
	t.Logf("local stage with Redis down: 200 in %v", h.got.Sub(h.sent))
	// /readyz reuses a probe for a second.
	within(t, time.Now(), 3*time.Second, func() bool { code, _ := getURL(t, n.adminURL+"/readyz"); return code == http.StatusServiceUnavailable })

	restarted := time.Now()
	startPrivateRedis(t, rd.port)
	took := within(t, restarted, 10*time.Second, func() bool { return call("closed").status == 200 })
	t.Logf("the closed stage served again %v after Redis was started again", took)
	if h := call("local"); h.status != 200 {
		t.Fatalf("local stage with Redis back: %d %s", h.status, h.reason)
	}
	within(t, restarted, 10*time.Second, func() bool { code, _ := getURL(t, n.adminURL+"/readyz"); return code == 200 })
}

// getURL GETs url and returns the status and body.
func getURL(t *testing.T, url string) (int, string) {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0, fmt.Sprint(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
