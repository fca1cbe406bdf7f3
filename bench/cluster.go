package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	goredis "github.com/redis/go-redis/v9"
)

// The cluster run (--cluster): one gatehouse node on SQLite and in-process
// counters is measured alone; then three nodes (separate processes) on
// one fresh PostgreSQL database and one Redis (a fresh prefix) are
// measured at once, wrk's connections spread over them, with the same
// API, keys and usage plan. Both phases drive POST /mock, whose answer
// needs no upstream, so the gateway's own pipeline, with its key, plan,
// throttle and quota checks, is what is measured. The nodes' /metrics give
// the Redis round trips per 1,000 requests, by op.

// Defaults of the cluster run.
const (
	defaultClusterPostgres = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	defaultClusterRedis    = "redis://127.0.0.1:6379/0"
	clusterDuration        = 10 * time.Second
	clusterNodes           = 3
	clusterReportVersion   = "gatehouse-bench-cluster/1"
	// maxQuotaTripsPerK is the target for the Redis round trips that
	// quota checks make (lease_take + quota_*), per 1,000 requests.
	maxQuotaTripsPerK = 10
)

// Metric names the cluster run reads from each node.
const (
	metricRoundTrips  = "gatehouse_counters_round_trips_total"
	metricLeaseRefill = "gatehouse_counters_lease_refills_total"
	metricLocalTakes  = "gatehouse_counters_lease_local_takes_total"
)

// clusterFlags checks the flags of a --cluster run.
func clusterFlags(o *options, set map[string]bool) (*options, error) {
	for _, name := range notClusterFlags {
		if set[name] {
			return nil, fmt.Errorf("--%s does not apply to --cluster", name)
		}
	}
	if !set["duration"] {
		o.Duration = clusterDuration
	}
	o.Rounds, o.ThrottleRate, o.ThrottleBurst, o.Targets = 1, 0, 0, nil
	switch {
	case o.Duration < time.Second:
		return nil, fmt.Errorf("--duration %v: must be at least 1s", o.Duration)
	case o.Warmup < 0:
		return nil, fmt.Errorf("--warmup %v: must not be negative", o.Warmup)
	case o.Keys < 1 || o.Keys > 10_000_000:
		return nil, fmt.Errorf("--keys %d: must be 1–10,000,000", o.Keys)
	case o.ImportChunk < 1:
		return nil, fmt.Errorf("--import-chunk %d: must be positive", o.ImportChunk)
	case o.Threads < 1 || o.Connections < clusterNodes*o.Threads:
		// Each node gets its own wrk with a third of the connections.
		return nil, fmt.Errorf("--threads %d --connections %d: need 1 ≤ threads and %d×threads ≤ connections (a wrk per node)", o.Threads, o.Connections, clusterNodes)
	case o.ReadyTimeout <= 0:
		return nil, fmt.Errorf("--ready-timeout %v: must be positive", o.ReadyTimeout)
	}
	if u, err := url.Parse(o.ClusterPostgres); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, fmt.Errorf("--cluster-postgres %q: want a postgres:// URL", o.ClusterPostgres)
	}
	if _, err := goredis.ParseURL(o.ClusterRedis); err != nil {
		return nil, fmt.Errorf("--cluster-redis %q: %w", o.ClusterRedis, err)
	}
	return o, nil
}

// nodeRun is one node's wrk run in a phase.
type nodeRun struct {
	Name string `json:"name"`
	URL  string `json:"url"`
	wrkRun
}

// counterTrips are a cluster's Redis round trips over the measured run,
// summed over the nodes.
type counterTrips struct {
	ByOp       map[string]float64 `json:"round_trips_by_op"`
	Refills    float64            `json:"lease_refills"`
	LocalTakes float64            `json:"lease_local_takes"`
}

// tripsOf sums the counter metrics of a node's exposition into t.
func (t *counterTrips) add(samples []promSample, sign float64) {
	for _, s := range samples {
		switch s.Name {
		case metricRoundTrips:
			t.ByOp[s.Labels["op"]] += sign * s.Value
		case metricLeaseRefill:
			t.Refills += sign * s.Value
		case metricLocalTakes:
			t.LocalTakes += sign * s.Value
		}
	}
}

// quotaOp reports whether a round trip of op is a quota check: a lease
// taken (on the request path, when the node's lease is used up or was
// given back), a quota read or change, or a flush's read of the reclaim
// markers (quota_reclaim). A lease given back (lease_return) is not: the
// node's flush does that, off the request path.
func quotaOp(op string) bool {
	return op == "lease_take" || strings.HasPrefix(op, "quota_")
}

// perThousand divides every op's trips by requests/1,000, and returns
// them with the quota checks' sum.
func perThousand(byOp map[string]float64, requests float64) (per map[string]float64, quota float64) {
	per = map[string]float64{}
	if requests <= 0 {
		return per, 0
	}
	for op, n := range byOp {
		if n == 0 {
			continue
		}
		per[op] = n * 1000 / requests
		if quotaOp(op) {
			quota += per[op]
		}
	}
	return per, quota
}

// clusterReport is what one cluster run measured.
type clusterReport struct {
	Version   string    `json:"version"`
	Command   string    `json:"command"`
	Machine   machine   `json:"machine"`
	Options   *options  `json:"options"`
	Gatehouse []string  `json:"gatehouse_commands"`
	Single    nodeRun   `json:"single"`
	Nodes     []nodeRun `json:"nodes"`
	// TotalRPS is the three nodes' req/s together; PerNodeRatio a node's
	// mean req/s over the single node's, TotalRatio the total's.
	TotalRPS     float64 `json:"cluster_rps"`
	PerNodeRatio float64 `json:"per_node_ratio"`
	TotalRatio   float64 `json:"total_ratio"`
	// Requests are the requests the nodes counted over the measured run
	// (gatehouse_gateway_requests_total, status 200), which the trips are
	// divided by.
	Requests    float64            `json:"requests_counted"`
	Trips       counterTrips       `json:"trips"`
	PerThousand map[string]float64 `json:"round_trips_per_1000_requests"`
	// WholeRun are the trips per 1,000 requests since the nodes started,
	// warm-up and verification included (each node's first lease of each
	// key falls there).
	WholeRun      map[string]float64 `json:"round_trips_per_1000_requests_whole_run"`
	WholeRunQuota float64            `json:"quota_per_1000_requests_whole_run"`
	// WarmupExtra is how long the cluster's warm-up was extended so that
	// every node had taken a lease of each key (WarmupLeased: it had).
	WarmupExtra  time.Duration `json:"warmup_lease_extension"`
	WarmupLeased bool          `json:"warmup_every_key_leased"`
	Check        check         `json:"check"`
	// LoadAvg is /proc/loadavg as each phase's measured run began (single
	// node, then cluster): what else the shared machine was running.
	LoadAvg  []string `json:"loadavg,omitempty"`
	Valid    bool     `json:"valid"`
	Problems []string `json:"problems,omitempty"`
}

func (r *clusterReport) problem(msg string) {
	r.Problems = append(r.Problems, msg)
	if strings.HasPrefix(msg, "INVALID") {
		r.Valid = false
	}
}

func (r *clusterReport) writeJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// runCluster measures the single node, then the three-node cluster.
func (b *bench) runCluster(ctx context.Context) (*clusterReport, error) {
	o := b.opts
	r := &clusterReport{Version: clusterReportVersion, Command: commandLine(), Machine: machineInfo(), Options: o, Valid: true}
	wrkVersion, err := ensureWrk(ctx)
	if err != nil {
		return nil, err
	}
	r.Machine.Wrk = wrkVersion
	if b.dir, err = os.MkdirTemp("", "gatehouse-bench-"); err != nil {
		return nil, err
	}
	b.keys = newKeys(o.Keys)
	keysFile := filepath.Join(b.dir, "keys.txt")
	if err := writeKeys(keysFile, b.keys); err != nil {
		return nil, err
	}
	script := filepath.Join(b.dir, "keys.lua")
	if err := os.WriteFile(script, []byte(wrkScript), 0o600); err != nil {
		return nil, err
	}
	w := wrkConfig{Threads: o.Threads, Connections: o.Connections, Script: script, KeysFile: keysFile, CPUs: o.WrkCPUs}

	// Phase 1: one node on SQLite, alone on the machine.
	single, cmd, err := b.clusterNode(ctx, "gatehouse-single", nil, true)
	if err != nil {
		return nil, err
	}
	r.Gatehouse = append(r.Gatehouse, cmd)
	runs, err := b.loadNodes(ctx, r, w, []*gatehouseNode{single})
	if err != nil {
		return nil, err
	}
	r.Single = runs[0]
	single.proc.stop(5 * time.Second)

	// Phase 2: three nodes on PostgreSQL and Redis.
	dbURL, dropDB, err := createDatabase(ctx, o.ClusterPostgres)
	if err != nil {
		return nil, err
	}
	prefix := "gatehouse-bench:" + strings.ToLower(rand.Text()[:12]) + ":"
	defer func() {
		// The nodes first: they hold connections to both.
		b.procs.stopAll(5 * time.Second)
		if err := dropDB(); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
		}
		if err := deletePrefix(o.ClusterRedis, prefix); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
		}
	}()
	shared := []string{"--store", dbURL, "--counters", o.ClusterRedis, "--counters-prefix", prefix}
	var nodes []*gatehouseNode
	for i := range clusterNodes {
		name := fmt.Sprintf("gatehouse-node%c", 'A'+i)
		if i > 0 {
			// Copies of node A's secret and admin credentials: the node joins.
			if err := joinDataDir(filepath.Join(b.dir, "gatehouse-nodeA-data"), filepath.Join(b.dir, name+"-data")); err != nil {
				return nil, err
			}
		}
		n, cmd, err := b.clusterNode(ctx, name, shared, i == 0)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			n.api = nodes[0].api
			n.invokeURL = n.dataURL + "/restapis/" + n.api.APIID + "/" + benchStage + "/_user_request_/"
		}
		r.Gatehouse = append(r.Gatehouse, cmd)
		nodes = append(nodes, n)
	}
	for _, n := range nodes[1:] {
		if err := verifyMock(ctx, n, b.keys, o.ReadyTimeout); err != nil {
			return nil, err
		}
	}
	if r.Nodes, err = b.loadNodes(ctx, r, w, nodes); err != nil {
		return nil, err
	}
	r.finish()
	r.print(os.Stdout)
	return r, nil
}

// clusterNode starts a node with the serve flags extra; the first node of
// a store (configure) gets the API and the keys, the others find them there.
func (b *bench) clusterNode(ctx context.Context, name string, extra []string, configure bool) (*gatehouseNode, string, error) {
	gh, cmd, err := b.launchGatehouse(ctx, name, extra...)
	if err != nil {
		return nil, "", err
	}
	if !configure {
		return gh, cmd, nil
	}
	if err := gh.configure(ctx, apiSpec{Rate: throttleRate, Burst: throttleBurs, QuotaPerDay: quotaLimit}); err != nil {
		return nil, "", err
	}
	fmt.Printf("%s: importing %d keys into usage plan %s …\n", name, len(b.keys), gh.api.PlanID)
	if _, _, err := gh.admin.importKeys(ctx, gh.api.PlanID, b.keys, b.opts.ImportChunk, os.Stdout); err != nil {
		return nil, "", fmt.Errorf("import keys: %w (log: %s)", err, gh.proc.log)
	}
	if err := verifyMock(ctx, gh, b.keys, b.opts.ReadyTimeout); err != nil {
		return nil, "", err
	}
	return gh, cmd, nil
}

// verifyMock checks that the node answers the first and the last key on
// POST /mock and refuses a request without a key.
func verifyMock(ctx context.Context, gh *gatehouseNode, keys []string, timeout time.Duration) error {
	u := gh.invokeURL + mockPath
	err := verify(ctx, []probe{
		{name: "mock, first key", method: http.MethodPost, url: u, key: keys[0], wantStatus: 200, wantBody: mockBody},
		{name: "mock, last key", method: http.MethodPost, url: u, key: keys[len(keys)-1], wantStatus: 200, wantBody: mockBody},
		{name: "mock, no key", method: http.MethodPost, url: u, wantStatus: 403},
	}, timeout)
	if err != nil {
		if ctx.Err() != nil {
			return errInterrupted
		}
		return fmt.Errorf("%s: %w (log: %s)", gh.proc.name, err, gh.proc.log)
	}
	fmt.Printf("%s verified\n", gh.proc.name)
	return nil
}

// splitWrk gives each of n wrk processes its share of w's threads
// (at least one) and connections.
func splitWrk(w wrkConfig, n int) []wrkConfig {
	out := make([]wrkConfig, n)
	for i := range out {
		c := w
		c.Threads = max(1, w.Threads/n)
		c.Connections = w.Connections / n
		if i < w.Connections%n {
			c.Connections++
		}
		out[i] = c
	}
	return out
}

// loadNodes warms the nodes up, then runs one wrk per node at once for
// the duration (w's connections split between them), and adds the
// counter round trips of the measured run to r when the nodes have them.
func (b *bench) loadNodes(ctx context.Context, r *clusterReport, w wrkConfig, nodes []*gatehouseNode) ([]nodeRun, error) {
	o := b.opts
	ws := splitWrk(w, len(nodes))
	all := func(d time.Duration) ([]wrkRun, error) {
		runs := make([]wrkRun, len(nodes))
		errs := make([]error, len(nodes))
		var wg sync.WaitGroup
		for i, n := range nodes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				runs[i], errs[i] = ws[i].run(ctx, n.invokeURL+mockPath, http.MethodPost, "{}", d)
			}()
		}
		wg.Wait()
		return runs, errors.Join(errs...)
	}
	label := fmt.Sprintf("%d node(s)", len(nodes))
	if o.Warmup > 0 {
		fmt.Printf("warm-up %s %v\n", label, o.Warmup)
		if _, err := all(o.Warmup); err != nil {
			return nil, err
		}
	}
	if len(nodes) > 1 {
		extra, ready, err := b.warmLeases(ctx, nodes, all)
		if err != nil {
			return nil, err
		}
		r.WarmupExtra, r.WarmupLeased = extra, ready
		if !ready {
			r.problem(fmt.Sprintf("warm-up extended by %v and still not every node had taken %d quota leases (one per key): the measured run includes cold-start leases", extra, o.Keys))
		} else if extra > 0 {
			fmt.Printf("warm-up %s extended by %v until every node had taken %d quota leases\n", label, extra, o.Keys)
		}
	}
	before, err := scrapeAll(ctx, nodes)
	if err != nil {
		return nil, err
	}
	cpu := make([]time.Duration, len(nodes))
	for i, n := range nodes {
		cpu[i] = cpuTime(n.proc.cmd.Process.Pid)
	}
	r.LoadAvg = append(r.LoadAvg, loadAvg())
	fmt.Printf("measuring %s for %v (%d wrk, %d connections each) …\n", label, o.Duration, len(nodes), ws[0].Connections)
	runs, err := all(o.Duration)
	if err != nil {
		return nil, err
	}
	after, err := scrapeAll(ctx, nodes)
	if err != nil {
		return nil, err
	}
	out := make([]nodeRun, len(nodes))
	for i, n := range nodes {
		run := runs[i]
		if used := cpuTime(n.proc.cmd.Process.Pid) - cpu[i]; cpu[i] >= 0 && used >= 0 && run.Requests > 0 {
			run.CPUus = float64(used.Microseconds()) / float64(run.Requests)
		}
		out[i] = nodeRun{Name: n.proc.name, URL: n.invokeURL + mockPath, wrkRun: run}
		fmt.Printf("%-18s %10.0f req/s  p50 %7s  p99 %7s  cpu %5.1fµs/req\n", n.proc.name, run.RPS, ms(run.P50us), ms(run.P99us), run.CPUus)
		if !run.clean() {
			r.problem(fmt.Sprintf("INVALID: %s: %d error responses (status ≥ 400), %d socket errors %s\n%s",
				n.proc.name, run.StatusErrs, run.SocketErrs, run.SocketError,
				diagnose(ctx, target{method: http.MethodPost, url: n.invokeURL + mockPath}, b.keys)))
		}
	}
	if len(nodes) > 1 {
		trips := counterTrips{ByOp: map[string]float64{}}
		whole := counterTrips{ByOp: map[string]float64{}}
		var requests, wholeRequests float64
		for i, n := range nodes {
			trips.add(after[i], 1)
			trips.add(before[i], -1)
			whole.add(after[i], 1)
			a, bf := countGatehouse(after[i], n.api.APIID, benchStage), countGatehouse(before[i], n.api.APIID, benchStage)
			requests += a.Admitted - bf.Admitted
			wholeRequests += a.Admitted
		}
		r.Trips, r.Requests = trips, requests
		r.PerThousand, _ = perThousand(trips.ByOp, requests)
		r.WholeRun, r.WholeRunQuota = perThousand(whole.ByOp, wholeRequests)
		if len(trips.ByOp) == 0 {
			r.problem("INVALID: the nodes' /metrics have no " + metricRoundTrips + " (not counting in Redis?)")
		}
	}
	return out, nil
}

// leaseWarmupMax caps the extension of the cluster's warm-up (warmLeases).
const leaseWarmupMax = 30 * time.Second

// warmLeases extends the cluster's warm-up, a second at a time, until
// every node has taken at least as many quota leases as there are keys
// (leasesWarm), for at most leaseWarmupMax: each node's first lease of
// each key is a cold start, and the measured run is the steady state. It
// returns the extension and whether every node got there.
func (b *bench) warmLeases(ctx context.Context, nodes []*gatehouseNode, run func(time.Duration) ([]wrkRun, error)) (time.Duration, bool, error) {
	var extra time.Duration
	for {
		s, err := scrapeAll(ctx, nodes)
		if err != nil {
			return extra, false, err
		}
		if leasesWarm(s, b.opts.Keys) {
			return extra, true, nil
		}
		if extra >= leaseWarmupMax {
			return extra, false, nil
		}
		if _, err := run(time.Second); err != nil {
			return extra, false, err
		}
		extra += time.Second
	}
}

// leasesWarm reports whether every node's metrics count at least keys
// quota lease refills: one lease of each key, when keys are leased once.
func leasesWarm(nodes [][]promSample, keys int) bool {
	for _, samples := range nodes {
		t := counterTrips{ByOp: map[string]float64{}}
		t.add(samples, 1)
		if t.Refills < float64(keys) {
			return false
		}
	}
	return len(nodes) > 0
}

// scrapeAll reads every node's request and counter metrics.
func scrapeAll(ctx context.Context, nodes []*gatehouseNode) ([][]promSample, error) {
	out := make([][]promSample, len(nodes))
	for i, n := range nodes {
		text, err := n.admin.scrapeMetrics(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s /metrics: %w", n.proc.name, err)
		}
		if out[i], err = parsePromText(text, metricRequests, metricRoundTrips, metricLeaseRefill, metricLocalTakes); err != nil {
			return nil, fmt.Errorf("%s: %w", n.proc.name, err)
		}
	}
	return out, nil
}

// finish works out the totals, ratios and the check.
func (r *clusterReport) finish() {
	for _, n := range r.Nodes {
		r.TotalRPS += n.RPS
	}
	if r.Single.RPS > 0 && len(r.Nodes) > 0 {
		r.TotalRatio = r.TotalRPS / r.Single.RPS
		r.PerNodeRatio = r.TotalRPS / float64(len(r.Nodes)) / r.Single.RPS
	}
	_, quota := perThousand(r.Trips.ByOp, r.Requests)
	r.Check = check{Name: "redis quota round trips per 1,000 req", Value: quota, Op: "<=", Limit: maxQuotaTripsPerK,
		Measured: r.Requests > 0, Pass: r.Requests > 0 && quota <= maxQuotaTripsPerK}
	if !r.Check.Measured {
		r.problem("INVALID: the nodes counted no admitted request over the measured run")
	}
}

// print writes the report as a table.
func (r *clusterReport) print(w io.Writer) {
	fmt.Fprintf(w, "\n%s\n", r.Command)
	fmt.Fprintf(w, "%d CPUs (%s), %s, %s, %s; %s\n", r.Machine.CPUs, r.Machine.CPUModel, r.Machine.Kernel, r.Machine.GoVersion, r.Machine.Wrk, r.Machine.Date)
	fmt.Fprintf(w, "POST /mock, %d keys round-robin in one usage plan (throttle %g/s, quota %d/DAY), %v per phase after %v warm-up\n\n",
		r.Options.Keys, throttleRate, quotaLimit, r.Options.Duration, r.Options.Warmup)
	fmt.Fprintf(w, "%-38s %10s %10s %10s %10s\n", "node", "req/s", "p50", "p99", "cpu/req")
	line := func(name string, n wrkRun) {
		fmt.Fprintf(w, "%-38s %10.0f %10s %10s %9.1fµs\n", name, n.RPS, ms(n.P50us), ms(n.P99us), n.CPUus)
	}
	line("single (SQLite, memory://)", r.Single.wrkRun)
	for _, n := range r.Nodes {
		line(n.Name+" (PostgreSQL, Redis)", n.wrkRun)
	}
	fmt.Fprintf(w, "%-38s %10.0f\n", "cluster total", r.TotalRPS)
	if len(r.LoadAvg) == 2 {
		fmt.Fprintf(w, "load average as each phase began (1, 5, 15 min): single %s; cluster %s\n", r.LoadAvg[0], r.LoadAvg[1])
	}
	fmt.Fprintf(w, "\nper node / single node req/s   %.3f   (total / single %.3f; every process shares the machine's %d CPUs)\n", r.PerNodeRatio, r.TotalRatio, r.Machine.CPUs)
	if r.WarmupLeased {
		fmt.Fprintf(w, "\nsteady state: measured after a warm-up (%v + %v) in which every node took at least %d quota leases (one per key); the cold-start leases are in the whole-run column only\n",
			r.Options.Warmup, r.WarmupExtra, r.Options.Keys)
	}
	fmt.Fprintf(w, "\nRedis round trips over the measured run: %.0f requests counted by the nodes, %.0f lease refills, %.0f requests from a local lease\n",
		r.Requests, r.Trips.Refills, r.Trips.LocalTakes)
	ops := slices.Sorted(func(yield func(string) bool) {
		for op := range r.Trips.ByOp {
			if !yield(op) {
				return
			}
		}
	})
	fmt.Fprintf(w, "%-14s %12s %14s %18s\n", "op", "round trips", "per 1,000 req", "whole run per 1,000")
	for _, op := range ops {
		if r.Trips.ByOp[op] == 0 && r.WholeRun[op] == 0 {
			continue
		}
		fmt.Fprintf(w, "%-14s %12.0f %14.2f %18.2f\n", op, r.Trips.ByOp[op], r.PerThousand[op], r.WholeRun[op])
	}
	fmt.Fprintf(w, "(whole run: since the nodes started, verification and warm-up included; quota ops there %.2f per 1,000)\n\n", r.WholeRunQuota)
	fmt.Fprintln(w, r.Check.line())
	printVerdict(w, r.Problems, r.Valid)
}

// loadAvg is the first three fields of /proc/loadavg, or "n/a".
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "n/a"
}

// stop sends SIGTERM to the process's group and waits up to grace, then
// kills the group.
func (p *proc) stop(grace time.Duration) {
	if p.exited() {
		return
	}
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// joinDataDir makes a data directory holding copies of from's server
// secret and admin credentials: a node started on it joins from's cluster.
func joinDataDir(from, dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for _, f := range []string{"server-secret", "admin-credentials"} {
		b, err := os.ReadFile(filepath.Join(from, f))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// createDatabase creates an empty database gatehouse_bench_<random> on
// the server of adminURL and returns its URL and a function dropping it.
func createDatabase(ctx context.Context, adminURL string) (string, func() error, error) {
	connect := func(ctx context.Context) (*pgx.Conn, error) {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, adminURL)
		if err != nil {
			return nil, fmt.Errorf("--cluster-postgres: %w", err)
		}
		return c, nil
	}
	c, err := connect(ctx)
	if err != nil {
		return "", nil, err
	}
	defer c.Close(context.Background())
	name := "gatehouse_bench_" + strings.ToLower(rand.Text()[:16])
	ident := pgx.Identifier{name}.Sanitize()
	if _, err := c.Exec(ctx, "CREATE DATABASE "+ident); err != nil {
		return "", nil, fmt.Errorf("create database %s: %w", name, err)
	}
	fmt.Printf("created PostgreSQL database %s\n", name)
	drop := func() error {
		c, err := connect(context.Background())
		if err != nil {
			return err
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("drop database %s: %w", name, err)
		}
		fmt.Printf("dropped PostgreSQL database %s\n", name)
		return nil
	}
	u, err := url.Parse(adminURL)
	if err != nil {
		drop()
		return "", nil, err
	}
	u.Path = "/" + name
	return u.String(), drop, nil
}

// deletePrefix deletes every Redis key under prefix.
func deletePrefix(redisURL, prefix string) error {
	opt, err := goredis.ParseURL(redisURL)
	if err != nil {
		return err
	}
	c := goredis.NewClient(opt)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	n := 0
	for iter.Next(ctx) {
		if err := c.Del(ctx, iter.Val()).Err(); err != nil {
			return fmt.Errorf("redis: delete %s…: %w", prefix, err)
		}
		n++
	}
	if err := iter.Err(); err != nil {
		return fmt.Errorf("redis: scan %s*: %w", prefix, err)
	}
	fmt.Printf("deleted %d Redis keys under %s\n", n, prefix)
	return nil
}
