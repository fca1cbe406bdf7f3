package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/gatehouse-dev/gatehouse/internal/apitest"
	"github.com/gatehouse-dev/gatehouse/internal/secret"
	"github.com/gatehouse-dev/gatehouse/internal/server"
	"github.com/gatehouse-dev/gatehouse/internal/testbin"
)

const (
	// crashFlushInterval is the most usage a crash may lose, as the
	// durability promise states it (README, "Usage durability"). It is not
	// taken from counters.DefaultFlushInterval, so that a longer default
	// fails this test. `gatehouse serve` flushes on a ticker started when
	// the node starts serving.
	crashFlushInterval = time.Second
	// crashFlushAllowance is how much later than one interval before the
	// kill the last committed flush may have taken its snapshot. A flush
	// snapshots the counts when its tick fires and they are durable only
	// once its SQLite transaction commits (WAL, synchronous=NORMAL: a page
	// write, no fsync, a few ms); add the goroutine's wake-up on a 2-core
	// machine shared with this test's load generator (race-instrumented)
	// and other benchmarks, and the few ms by which the test's estimate of
	// the ticker's start may be off. A quarter of the interval covers these
	// with a wide margin while still failing a flusher that skips a tick
	// (which loses up to two intervals).
	crashFlushAllowance = 250 * time.Millisecond
	// crashWorkers is the number of concurrent callers.
	crashWorkers = 4
	// crashMinRate is the fewest 200s per interval the load must reach for
	// the test to mean anything (a stalled node would lose nothing).
	crashMinRate = 50
	// crashQuota is high enough never to refuse a call during the load.
	crashQuota = 100_000_000
	// crashStartTimeout bounds how long a node may take to start or stop.
	crashStartTimeout = 60 * time.Second
)

// TestKillLosesAtMostOneSecondOfUsage: `kill -9` of a node serving a key
// loses at most one flush interval of that key's usage. A real `gatehouse
// serve` process is driven by concurrent callers, SIGKILLed mid-load and
// restarted on the same data directory; GetUsage must then report every
// call answered more than one interval (plus crashFlushAllowance) before
// the kill, no more calls than were admitted, and a remaining quota, and a
// live quota counter, that agree with it.
//
// Where the kill falls in the flush period decides the loss, so each kill
// is aimed at a phase of the node's flush ticker: just before a tick (the
// worst case, nearly a whole interval unflushed) and mid-interval. A fixed
// load duration would not do: setup takes a few ms, so a whole number of
// seconds of load lands every kill just after a flush, losing ~20 ms.
// The kills are chained on one data directory; each restart starts a new
// ticker.
func TestKillLosesAtMostOneSecondOfUsage(t *testing.T) {
	ctx := t.Context()
	bin := buildGatehouse(t)
	dir := t.TempDir()

	n := startNode(t, bin, dir)
	env := n.env(t)
	f := newFixture(t, env, "Crash")
	f.mock("POST", "/doit", true, 200, didIt)
	f.deploy("api")
	keyID, value := f.key("k", true)
	planID := f.plan("api", nil, &types.QuotaSettings{Limit: crashQuota, Period: types.QuotaPeriodTypeDay}, keyID)
	apiID := f.apiID
	firstDay := time.Now().UTC().Format(time.DateOnly)

	used := 0 // the key's usage in the store, as GetUsage last reported it
	for _, tc := range []struct {
		name  string
		phase time.Duration // of the kill, after a tick of the node's flusher
		// minLoad is the least time the key is driven before the kill: more
		// than one interval, so that a flush has committed part of the load
		// and the loss window lies inside it; more than two in one case, so
		// that a flush after a flush is checked not to count twice.
		minLoad time.Duration
	}{
		{"just before a flush", crashFlushInterval * 9 / 10, 2*crashFlushInterval + 100*time.Millisecond},
		{"mid-interval", crashFlushInterval / 2, crashFlushInterval + 100*time.Millisecond},
	} {
		url := env.DataURL + "/restapis/" + apiID + "/api/_user_request_/doit"
		killAt := crashKillTime(n.started, time.Now().Add(tc.minLoad), tc.phase)
		load := driveUntilKill(t, n, url, value, killAt)

		day := load.kill.UTC().Format(time.DateOnly)
		if day != firstDay {
			t.Skipf("the test crossed UTC midnight (%s to %s): usage is split across days and quota periods", firstDay, day)
		}
		beforeKill := countBefore(load.ok, load.kill)
		lastInterval := beforeKill - countBefore(load.ok, load.kill.Add(-crashFlushInterval))
		if lastInterval < crashMinRate {
			t.Fatalf("%s: only %d calls answered in the last %v before the kill (%d in all): the node was not under load", tc.name, lastInterval, crashFlushInterval, beforeKill)
		}
		mustKeep := countBefore(load.ok, load.kill.Add(-crashFlushInterval-crashFlushAllowance))

		// Restart on the same data directory.
		n = startNode(t, bin, dir)
		env = n.env(t)
		u, err := env.Client.GetUsage(ctx, &apigateway.GetUsageInput{UsagePlanId: &planID, KeyId: &keyID, StartDate: &day, EndDate: &day})
		if err != nil {
			t.Fatalf("%s: GetUsage after restart: %v", tc.name, err)
		}
		series := u.Items[keyID]
		if len(series) != 1 || len(series[0]) != 2 {
			t.Fatalf("%s: GetUsage after restart: items %v, want one [used, remaining] day for key %s", tc.name, u.Items, keyID)
		}
		total, remaining := int(series[0][0]), int(series[0][1])
		got := total - used // this load's calls in the store
		used = total

		// The measured loss, in calls and as time at the observed rate.
		lost := beforeKill - got
		var lostSpan time.Duration // from the first answered call not counted to the kill
		if lost > 0 && got >= 0 {
			lostSpan = load.kill.Sub(load.ok[got])
		}
		rate := float64(lastInterval) / crashFlushInterval.Seconds()
		sinceStart := load.kill.Sub(load.started)
		t.Logf("%s: kill -9 %v after the node started (%v past a tick), after %v of load: %d calls answered before the kill (%d after, %d cut off); usage recovered %d; lost %d calls = %.0f ms at %.0f calls/s (first lost call answered %v before the kill); bound: >= %d (answered before kill-%v-%v)",
			tc.name, sinceStart.Round(time.Millisecond), (sinceStart % crashFlushInterval).Round(time.Millisecond), load.kill.Sub(load.start).Round(time.Millisecond),
			beforeKill, len(load.ok)-beforeKill, load.unanswered, got,
			lost, float64(lost)/rate*1000, rate, lostSpan.Round(time.Millisecond), mustKeep, crashFlushInterval, crashFlushAllowance)

		if got < mustKeep {
			t.Errorf("%s: usage after kill -9 = %d, want >= %d (calls answered before kill - %v - %v): lost %d calls, the last %v",
				tc.name, got, mustKeep, crashFlushInterval, crashFlushAllowance, lost, lostSpan)
		}
		// A call is counted when admitted, before its answer is written, so a
		// worker whose call the kill cut off may have been counted without
		// getting its 200; nothing else may be.
		if got > len(load.ok)+load.unanswered {
			t.Errorf("%s: usage after kill -9 = %d, more than the %d calls answered 200 plus %d cut off by the kill", tc.name, got, len(load.ok), load.unanswered)
		}
		if remaining != crashQuota-used {
			t.Errorf("%s: GetUsage remaining = %d, want quota %d - used %d = %d", tc.name, remaining, crashQuota, used, crashQuota-used)
		}
	}

	// The restarted node's live quota counter agrees with GetUsage: with
	// the limit lowered to used+extra, exactly extra more calls pass.
	const extra = 3
	if _, err := env.Client.UpdateUsagePlan(ctx, &apigateway.UpdateUsagePlanInput{UsagePlanId: &planID,
		PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/quota/limit"), Value: aws.String(strconv.Itoa(used + extra))}}}); err != nil {
		t.Fatalf("UpdateUsagePlan /quota/limit: %v", err)
	}
	f = &fixture{t: t, env: env, c: env.Client, apiID: apiID}
	hdr := map[string]string{"x-api-key": value}
	for i := range extra {
		if a := f.call("POST", "api", "/doit", hdr); a.status != 200 || a.body != didIt {
			t.Fatalf("call %d of %d left in the quota after restart: %d %s, want 200 %s", i+1, extra, a.status, a.body, didIt)
		}
	}
	if a := f.call("POST", "api", "/doit", hdr); a.status != 429 || a.body != `{"message":"Limit Exceeded"}` {
		t.Fatalf("call past the quota after restart: %d %s, want 429 Limit Exceeded", a.status, a.body)
	}
	n.stop(t)
}

// crashKillTime returns the first time from earliest on that is phase past
// a tick of a flusher started at started.
func crashKillTime(started, earliest time.Time, phase time.Duration) time.Time {
	d := earliest.Sub(started) - phase
	ticks := (d + crashFlushInterval - 1) / crashFlushInterval
	return started.Add(ticks*crashFlushInterval + phase)
}

// crashLoad is what the callers saw of one node until its kill.
type crashLoad struct {
	started    time.Time   // when the node logged that it serves
	start      time.Time   // when the load began
	kill       time.Time   // just before SIGKILL
	ok         []time.Time // when each 200 was received, sorted
	unanswered int         // workers whose last call got no answer
}

// driveUntilKill calls url with the key from crashWorkers goroutines until
// killAt, SIGKILLs the node and waits for the callers to stop. Any answer
// but a 200, or a failed call before the kill, fails the test.
func driveUntilKill(t *testing.T, n *gatehouseNode, url, key string, killAt time.Time) crashLoad {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	tr := &http.Transport{MaxIdleConnsPerHost: crashWorkers, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	var killed atomic.Bool
	workers := make([]crashWorker, crashWorkers)
	var wg sync.WaitGroup
	load := crashLoad{started: n.started, start: time.Now()}
	for i := range workers {
		wg.Go(func() { workers[i].run(ctx, client, url, key, &killed) })
	}
	timer := time.NewTimer(time.Until(killAt))
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-t.Context().Done():
		t.Fatal("the test ended during the load")
	}
	killed.Store(true)
	load.kill = n.kill(t)
	wg.Wait()
	for i, w := range workers {
		load.ok = append(load.ok, w.ok...)
		if w.unanswered {
			load.unanswered++
		}
		for _, e := range w.errs {
			t.Errorf("worker %d: %s", i, e)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	slices.SortFunc(load.ok, func(a, b time.Time) int { return a.Compare(b) })
	return load
}

// countBefore returns how many of the sorted times are before t.
func countBefore(sorted []time.Time, t time.Time) int {
	n, _ := slices.BinarySearchFunc(sorted, t, func(a, b time.Time) int { return a.Compare(b) })
	return n
}

// crashWorker calls the data plane in a loop until a call fails.
type crashWorker struct {
	ok         []time.Time // receipt time of each 200
	unanswered bool        // the last call failed after the kill
	errs       []string    // anything but a 200 before the kill
}

func (w *crashWorker) run(ctx context.Context, client *http.Client, url, key string, killed *atomic.Bool) {
	for ctx.Err() == nil {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
		if err != nil {
			w.errs = append(w.errs, err.Error())
			return
		}
		req.Header.Set("x-api-key", key)
		resp, err := client.Do(req)
		if err == nil {
			var body []byte
			body, err = io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil {
				if resp.StatusCode != http.StatusOK || string(body) != didIt {
					w.errs = append(w.errs, fmt.Sprintf("answer %d %s, want 200 %s", resp.StatusCode, body, didIt))
					return
				}
				w.ok = append(w.ok, time.Now())
				continue
			}
		}
		// The kill ends every worker this way; before it, a failure is one.
		if killed.Load() {
			w.unanswered = true
		} else if ctx.Err() == nil {
			w.errs = append(w.errs, fmt.Sprintf("call failed before the kill: %v", err))
		}
		return
	}
}

// buildGatehouse builds ./cmd/gatehouse into a temporary directory, as a
// release is built: without -race even when the test has it (a
// race-instrumented node serves at half the rate and starts slower,
// pushing this test past 10 s).
func buildGatehouse(t *testing.T) string {
	t.Helper()
	return testbin.Build(t, "github.com/gatehouse-dev/gatehouse/cmd/gatehouse")
}

// gatehouseNode is a `gatehouse serve` process in its own process group.
type gatehouseNode struct {
	cmd               *exec.Cmd
	dir               string
	adminURL, dataURL string
	// started is when the test read the "gatehouse serving" line, logged
	// just before the node starts serving and its usage flusher's ticker.
	started time.Time
	out     *nodeOutput
	exited  chan struct{} // closed once Wait has returned
	waitErr error         // Wait's result, set before exited closes
}

// startNode runs `gatehouse serve` on dir with loopback ports chosen by the
// kernel, reads the addresses from its "gatehouse serving" log line and
// waits until /healthz answers. The process is SIGKILLed on cleanup if it
// is still running. extra are more serve flags.
func startNode(t *testing.T, bin, dir string, extra ...string) *gatehouseNode {
	t.Helper()
	out := &nodeOutput{serving: make(chan servingLine, 1)}
	cmd := exec.Command(bin, append([]string{"serve", "--data-dir", dir, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
		"--access-log", "off", "--log-level", "info", "--account-rate", "-1"}, extra...)...)
	cmd.Stdout = out
	cmd.Stderr = out
	// Its own process group: the kill reaches it (and anything it starts)
	// and not this test.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start gatehouse serve: %v", err)
	}
	n := &gatehouseNode{cmd: cmd, dir: dir, out: out, exited: make(chan struct{})}
	go func() {
		n.waitErr = cmd.Wait()
		close(n.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-n.exited:
		default:
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-n.exited
		}
	})

	deadline := time.NewTimer(crashStartTimeout)
	defer deadline.Stop()
	select {
	case s := <-out.serving:
		n.adminURL, n.dataURL, n.started = s.Admin, s.Data, s.at
	case <-n.exited:
		t.Fatalf("gatehouse serve exited before serving (%v):\n%s", n.waitErr, out)
	case <-deadline.C:
		t.Fatalf("gatehouse serve did not log its addresses within %v:\n%s", crashStartTimeout, out)
	}
	poll := time.NewTicker(20 * time.Millisecond)
	defer poll.Stop()
	hc := &http.Client{Timeout: 5 * time.Second}
	for {
		resp, err := hc.Get(n.adminURL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return n
			}
		}
		select {
		case <-poll.C:
		case <-n.exited:
			t.Fatalf("gatehouse serve exited before /healthz answered (%v):\n%s", n.waitErr, out)
		case <-deadline.C:
			t.Fatalf("/healthz did not answer 200 within %v (last: %v):\n%s", crashStartTimeout, err, out)
		}
	}
}

// env returns the node's URLs and an SDK client signed with the admin
// credentials the node keeps in its data directory.
func (n *gatehouseNode) env(t *testing.T) *apitest.Env {
	t.Helper()
	creds, created, err := secret.LoadOrCreateCredentials(filepath.Join(n.dir, server.CredentialsFile))
	if err != nil {
		t.Fatalf("admin credentials: %v", err)
	}
	if created {
		t.Fatal("the node had not written its admin credentials")
	}
	e := &apitest.Env{AdminURL: n.adminURL, DataURL: n.dataURL, DataDir: n.dir}
	e.Client = e.NewClient(creds.AccessKeyID, creds.SecretAccessKey)
	return e
}

// kill SIGKILLs the node's process group and waits for it to die. It
// returns the time taken just before the signal was sent.
func (n *gatehouseNode) kill(t *testing.T) time.Time {
	t.Helper()
	k := time.Now()
	if err := syscall.Kill(-n.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9: %v", err)
	}
	<-n.exited
	ws, ok := n.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("the node ended with %v, not by SIGKILL:\n%s", n.cmd.ProcessState, n.out)
	}
	return k
}

// stop shuts the node down gracefully (SIGTERM) and checks it exits 0.
func (n *gatehouseNode) stop(t *testing.T) {
	t.Helper()
	if err := n.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	deadline := time.NewTimer(crashStartTimeout)
	defer deadline.Stop()
	select {
	case <-n.exited:
	case <-deadline.C:
		t.Fatalf("the node did not stop within %v of SIGTERM:\n%s", crashStartTimeout, n.out)
	}
	if n.waitErr != nil {
		t.Fatalf("graceful stop: %v:\n%s", n.waitErr, n.out)
	}
}

// servingLine is the part of the "gatehouse serving" log line a test needs.
type servingLine struct {
	Msg   string `json:"msg"`
	Admin string `json:"admin"`
	Data  string `json:"data"`
	at    time.Time
}

// nodeOutput keeps a node's stdout and stderr for failure messages and
// hands over the addresses of the "gatehouse serving" line.
type nodeOutput struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	partial []byte
	serving chan servingLine // gets the first serving line
	sent    bool
}

// maxNodeOutput bounds what a failure message shows of a node's output.
const maxNodeOutput = 64 << 10

// Write implements io.Writer. exec.Cmd copies stdout and stderr through
// one goroutine when both are this writer; the lock also covers String.
func (o *nodeOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.buf.Len() < maxNodeOutput {
		o.buf.Write(p[:min(len(p), maxNodeOutput-o.buf.Len())])
	}
	o.partial = append(o.partial, p...)
	for {
		i := bytes.IndexByte(o.partial, '\n')
		if i < 0 {
			break
		}
		line := o.partial[:i]
		o.partial = o.partial[i+1:]
		var s servingLine
		if !o.sent && json.Unmarshal(line, &s) == nil && s.Msg == "gatehouse serving" && s.Admin != "" && s.Data != "" {
			o.sent = true
			s.at = time.Now()
			o.serving <- s
		}
	}
	return len(p), nil
}

// String returns the output kept so far.
func (o *nodeOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}
