package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Target names, in the order every round runs them.
const (
	tUpstream       = "upstream"
	tBareProxy      = "bare-proxy"
	tGatehouseProxy = "gatehouse-proxy"
	tGatehouseAuthz = "gatehouse-authz"
	tBareServer     = "bare-server"
	tGatehouseMock  = "gatehouse-mock"
	// tGatehouseProxyRL is gatehouse-proxy on a second stage of the same
	// deployment, tagged gatehouse:rateLimitHeaders=true: every answer
	// carries RateLimit-Policy and RateLimit. Not in the default run; ask
	// for it with --targets.
	tGatehouseProxyRL = "gatehouse-proxy-ratelimit"
)

var allTargets = []string{tUpstream, tBareProxy, tGatehouseProxy, tGatehouseAuthz, tBareServer, tGatehouseMock}

// knownTargets are the targets --targets takes.
var knownTargets = append(slices.Clip(allTargets), tGatehouseProxyRL)

// Default run lengths: the load run's rounds are short so that many of them
// fit (their median resists a disturbed round); the throttle run lasts the
// 10 s the requirement names.
const (
	loadDuration     = 5 * time.Second
	throttleDuration = 10 * time.Second
)

// Default round counts. A --compare-keys run judges moves of a few percent
// on a machine whose speed swings more than that between runs, so it takes
// more rounds: with 12, the 95 % interval of a median leaves out the two
// most extreme rounds on each side (see medianInterval).
const (
	defaultRounds = 6
	compareRounds = 12
)

// Default warm-ups. A --compare-keys run with a million keys judges a node
// that holds them, not the minutes after their import: with 2 s warm-ups,
// which start the rounds about 20 s after the import ends, the big node's
// proxy p99 moved +3.8 to +6.9 % against the small node's in four runs on
// 2026-11-22 (two of them over 5 %), with 30 s warm-ups (rounds from about
// four minutes after) −0.2 to +4.4 % in four (all within; bench/README.md).
const (
	defaultWarmup = 2 * time.Second
	compareWarmup = 30 * time.Second
)

// options are bench's flags.
type options struct {
	Duration     time.Duration `json:"duration"`
	Warmup       time.Duration `json:"warmup"`
	Rounds       int           `json:"rounds"`
	Keys         int           `json:"keys"`
	ActiveKeys   int           `json:"active_keys,omitempty"`  // keys wrk sends; 0: all of Keys
	CompareKeys  int           `json:"compare_keys,omitempty"` // keys of a second node measured in the same rounds; 0: none
	ImportChunk  int           `json:"import_chunk"`
	Connections  int           `json:"connections"`
	Threads      int           `json:"threads"`
	Targets      []string      `json:"targets"`
	ServerCPUs   string        `json:"server_cpus,omitempty"`
	WrkCPUs      string        `json:"wrk_cpus,omitempty"`
	ReadyTimeout time.Duration `json:"ready_timeout"`
	GatehouseBin string        `json:"gatehouse_bin,omitempty"`
	GatehouseArg string        `json:"gatehouse_args,omitempty"`
	Repo         string        `json:"-"`
	JSON         string        `json:"-"`
	Baseline     string        `json:"-"`
	Keep         bool          `json:"-"`

	// The throttle-accuracy run (--throttle; see throttle.go).
	Throttle      bool    `json:"throttle,omitempty"`
	ThrottleRate  float64 `json:"throttle_rate,omitempty"`
	ThrottleBurst int     `json:"throttle_burst,omitempty"`

	// The cluster run (--cluster; see cluster.go).
	Cluster         bool   `json:"cluster,omitempty"`
	ClusterPostgres string `json:"cluster_postgres,omitempty"`
	ClusterRedis    string `json:"cluster_redis,omitempty"`
}

// loadOnlyFlags are the flags of the load run that mean nothing to the
// throttle run; setting one with --throttle is refused rather than ignored.
var loadOnlyFlags = []string{"warmup", "rounds", "keys", "active-keys", "compare-keys", "import-chunk", "threads", "targets", "wrk-cpus", "baseline"}

// notClusterFlags are the flags the cluster run refuses: it has one
// measured run per phase and targets of its own.
var notClusterFlags = []string{"rounds", "active-keys", "compare-keys", "targets", "baseline", "throttle", "throttle-rate", "throttle-burst"}

// clusterOnlyFlags need --cluster.
var clusterOnlyFlags = []string{"cluster-postgres", "cluster-redis"}

func parseFlags(args []string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: go run ./bench [flags]\n\nLoad benchmark of Gatehouse against a bare reverse proxy and a bare server (see bench/README.md).\n\nFlags:\n")
		fs.PrintDefaults()
	}
	fs.DurationVar(&o.Duration, "duration", loadDuration, "length of each measured wrk run (whole seconds); with --throttle, of the throttle run (default there 10s)")
	fs.DurationVar(&o.Warmup, "warmup", defaultWarmup, fmt.Sprintf("warm-up run per target before the first round (0: none; with --compare-keys the default is %v)", compareWarmup))
	fs.IntVar(&o.Rounds, "rounds", defaultRounds, fmt.Sprintf("rounds; each runs every target once, alternately in order and in reverse (medians need ≥ 3; with --compare-keys the default is %d)", compareRounds))
	fs.IntVar(&o.Keys, "keys", 1000, "distinct API keys loaded into gatehouse and round-robined by wrk")
	fs.IntVar(&o.ActiveKeys, "active-keys", 0, "round-robin only this many of the loaded keys, spread evenly over them (0: all of --keys)")
	fs.IntVar(&o.CompareKeys, "compare-keys", 0, "also run a second gatehouse node with this many keys (all round-robin) in the same rounds, and report how far the --keys node's figures are from it (limit 5 %); 0: none")
	fs.IntVar(&o.ImportChunk, "import-chunk", 10000, "rows per ImportApiKeys call")
	fs.IntVar(&o.Connections, "connections", 64, "wrk connections (-c)")
	fs.IntVar(&o.Threads, "threads", 2, "wrk threads (-t)")
	targets := fs.String("targets", strings.Join(allTargets, ","), "comma-separated targets to run, among "+strings.Join(knownTargets, ",")+" ("+tGatehouseProxyRL+" only when named)")
	fs.StringVar(&o.ServerCPUs, "server-cpus", "", "pin the servers to this CPU list with taskset (e.g. 0); empty: no pinning")
	fs.StringVar(&o.WrkCPUs, "wrk-cpus", "", "pin wrk to this CPU list with taskset (e.g. 1); empty: no pinning")
	fs.DurationVar(&o.ReadyTimeout, "ready-timeout", 60*time.Second, "how long to wait for each server to start and for gatehouse to pass verification")
	fs.StringVar(&o.GatehouseBin, "gatehouse-bin", "", "use this gatehouse binary instead of building ./cmd/gatehouse")
	fs.StringVar(&o.GatehouseArg, "gatehouse-args", "", "extra space-separated arguments for gatehouse serve (e.g. --log-level=warn)")
	fs.StringVar(&o.Repo, "repo", "", "gatehouse module root (default: the go.mod directory above the working directory)")
	fs.StringVar(&o.JSON, "json", "", "also write the results to this JSON file")
	fs.StringVar(&o.Baseline, "baseline", "", "a JSON file from an earlier run: report how far Gatehouse's ratios moved (limit 5 %)")
	fs.BoolVar(&o.Keep, "keep", false, "keep the temporary directory (logs, gatehouse data, wrk script, keys)")
	fs.BoolVar(&o.Throttle, "throttle", false, "instead of the load run, measure throttle accuracy: one key, --connections Go clients for --duration against the MOCK route (see bench/README.md)")
	fs.Float64Var(&o.ThrottleRate, "throttle-rate", 100, "with --throttle: the key's usage plan throttle rate, requests/s")
	fs.IntVar(&o.ThrottleBurst, "throttle-burst", 50, "with --throttle: the key's usage plan throttle burst")
	fs.BoolVar(&o.Cluster, "cluster", false, "instead of the load run, measure a cluster: one SQLite node, then three nodes on PostgreSQL and Redis, and Redis round trips per 1,000 requests (see bench/README.md)")
	fs.StringVar(&o.ClusterPostgres, "cluster-postgres", defaultClusterPostgres, "with --cluster: a PostgreSQL server URL the bench creates (and drops) a fresh database through")
	fs.StringVar(&o.ClusterRedis, "cluster-redis", defaultClusterRedis, "with --cluster: the Redis the nodes count in, under a fresh prefix deleted afterwards")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if o.Cluster {
		return clusterFlags(o, set)
	}
	for _, name := range clusterOnlyFlags {
		if set[name] {
			return nil, fmt.Errorf("--%s needs --cluster", name)
		}
	}
	o.ClusterPostgres, o.ClusterRedis = "", ""
	if o.Throttle {
		if !set["duration"] {
			o.Duration = throttleDuration
		}
		for _, name := range loadOnlyFlags {
			if set[name] {
				return nil, fmt.Errorf("--%s does not apply to --throttle", name)
			}
		}
		switch {
		case !(o.ThrottleRate > 0) || math.IsInf(o.ThrottleRate, 0):
			return nil, fmt.Errorf("--throttle-rate %v: must be a positive number", o.ThrottleRate)
		case o.ThrottleBurst < 1 || o.ThrottleBurst > math.MaxInt32:
			return nil, fmt.Errorf("--throttle-burst %d: must be 1–%d", o.ThrottleBurst, math.MaxInt32)
		case o.Connections < 1:
			return nil, fmt.Errorf("--connections %d: must be positive", o.Connections)
		case o.Duration < time.Second:
			return nil, fmt.Errorf("--duration %v: must be at least 1s", o.Duration)
		case o.ReadyTimeout <= 0:
			return nil, fmt.Errorf("--ready-timeout %v: must be positive", o.ReadyTimeout)
		}
		if o.ServerCPUs != "" {
			if _, err := exec.LookPath("taskset"); err != nil {
				return nil, errors.New("--server-cpus needs taskset on PATH (Debian: util-linux)")
			}
		}
		return o, nil
	}
	if set["throttle-rate"] || set["throttle-burst"] {
		return nil, errors.New("--throttle-rate and --throttle-burst need --throttle")
	}
	o.ThrottleRate, o.ThrottleBurst = 0, 0 // not part of a load run's options
	if o.CompareKeys > 0 && !set["rounds"] {
		o.Rounds = compareRounds
	}
	if o.CompareKeys > 0 && !set["warmup"] {
		o.Warmup = compareWarmup
	}
	for _, t := range strings.Split(*targets, ",") {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		if !slices.Contains(knownTargets, t) {
			return nil, fmt.Errorf("--targets: unknown target %q (want some of %s)", t, strings.Join(knownTargets, ","))
		}
		o.Targets = append(o.Targets, t)
	}
	switch {
	case len(o.Targets) == 0:
		return nil, errors.New("--targets: no target")
	case o.Duration < time.Second:
		return nil, fmt.Errorf("--duration %v: must be at least 1s", o.Duration)
	case o.Warmup < 0:
		return nil, fmt.Errorf("--warmup %v: must not be negative", o.Warmup)
	case o.Rounds < 1 || o.Rounds > 100:
		return nil, fmt.Errorf("--rounds %d: must be 1–100", o.Rounds)
	case o.Keys < 1 || o.Keys > 10_000_000:
		return nil, fmt.Errorf("--keys %d: must be 1–10,000,000", o.Keys)
	case o.ActiveKeys < 0 || o.ActiveKeys > o.Keys:
		return nil, fmt.Errorf("--active-keys %d: must be 0 (all) to --keys (%d)", o.ActiveKeys, o.Keys)
	case o.CompareKeys < 0 || o.CompareKeys > 0 && o.CompareKeys >= o.Keys:
		return nil, fmt.Errorf("--compare-keys %d: must be 0 (none) or fewer than --keys (%d)", o.CompareKeys, o.Keys)
	case o.ImportChunk < 1:
		return nil, fmt.Errorf("--import-chunk %d: must be positive", o.ImportChunk)
	case o.Threads < 1 || o.Connections < o.Threads:
		return nil, fmt.Errorf("--threads %d --connections %d: need 1 ≤ threads ≤ connections", o.Threads, o.Connections)
	case o.ReadyTimeout <= 0:
		return nil, fmt.Errorf("--ready-timeout %v: must be positive", o.ReadyTimeout)
	}
	if o.ServerCPUs != "" || o.WrkCPUs != "" {
		if _, err := exec.LookPath("taskset"); err != nil {
			return nil, errors.New("--server-cpus/--wrk-cpus need taskset on PATH (Debian: util-linux)")
		}
	}
	return o, nil
}

func main() {
	if len(os.Args) > 1 {
		if ok, err := runServer(os.Args[1], os.Args[2:]); ok {
			if err != nil {
				fmt.Fprintln(os.Stderr, "bench:", err)
				os.Exit(1)
			}
			return
		}
	}
	os.Exit(run(os.Args[1:]))
}

// Exit codes.
const (
	exitOK    = 0 // measured, valid, every target met
	exitFail  = 1 // a target missed, a run invalid, or gatehouse not measured
	exitUsage = 2 // bad flags or the environment cannot run the benchmark
)

func run(args []string) int {
	o, err := parseFlags(args)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	b := &bench{opts: o, procs: &procs{}}
	// Both runs' results are written as JSON and decide the exit status.
	var (
		res interface{ writeJSON(string) error }
		ok  bool
	)
	switch {
	case o.Cluster:
		var cr *clusterReport
		if cr, err = b.runCluster(ctx); err == nil {
			res, ok = cr, cr.Valid && cr.Check.Pass
		}
	case o.Throttle:
		var tr *throttleReport
		if tr, err = b.runThrottle(ctx); err == nil {
			res, ok = tr, tr.Valid && tr.Pass
		}
	default:
		var rep *report
		if rep, err = b.run(ctx); err == nil {
			res, ok = rep, rep.Valid && rep.allPass()
		}
	}
	if err != nil && ctx.Err() != nil {
		err = errInterrupted
	}
	b.procs.stopAll(5 * time.Second)
	if b.dir != "" {
		if o.Keep || (err != nil && !errors.Is(err, errInterrupted)) {
			fmt.Printf("temporary directory kept: %s\n", b.dir)
		} else {
			os.RemoveAll(b.dir)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		if errors.Is(err, errInterrupted) {
			return exitFail
		}
		return exitUsage
	}
	if o.JSON != "" {
		if err := res.writeJSON(o.JSON); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return exitFail
		}
		fmt.Printf("results written to %s\n", o.JSON)
	}
	if !ok {
		return exitFail
	}
	return exitOK
}

// bench is one invocation.
type bench struct {
	opts  *options
	procs *procs
	dir   string
	keys  []string
	bin   string // the gatehouse binary, once built or chosen
}

// target is one endpoint wrk drives.
type target struct {
	name      string
	url       string
	method    string
	body      string
	gatehouse bool
	pid       int    // the process answering wrk, whose CPU time is measured per run
	keysFile  string // the keys wrk sends; "" for the run's keys file
}

// wrk is w with the target's keys file.
func (t target) wrk(w wrkConfig) wrkConfig {
	if t.keysFile != "" {
		w.KeysFile = t.keysFile
	}
	return w
}

// writeKeys writes the keys wrk sends to path, one a line, readable by
// this user only (they are key values).
func writeKeys(path string, keys []string) error {
	return os.WriteFile(path, []byte(strings.Join(keys, "\n")+"\n"), 0o600)
}

// compareName names the target of the --compare-keys node that mirrors
// target base.
func compareName(base string, keys int) string {
	return fmt.Sprintf("%s@%dkeys", base, keys)
}

// run sets everything up, verifies gatehouse, measures and reports.
func (b *bench) run(ctx context.Context) (*report, error) {
	o := b.opts
	rep := newReport(o)
	wrkVersion, err := ensureWrk(ctx)
	if err != nil {
		return nil, err
	}
	rep.Machine.Wrk = wrkVersion
	if b.dir, err = os.MkdirTemp("", "gatehouse-bench-"); err != nil {
		return nil, err
	}
	b.keys = newKeys(o.Keys)
	keysFile := filepath.Join(b.dir, "keys.txt")
	if err := writeKeys(keysFile, activeKeys(b.keys, o.ActiveKeys)); err != nil {
		return nil, err
	}
	refs, err := b.startReferences(ctx)
	if err != nil {
		return nil, err
	}
	addrs := func(name string) string { return refs[name].addr }
	targets := map[string]target{
		tUpstream:   {name: tUpstream, url: "http://" + addrs(tUpstream) + "/" + proxyPath, method: "GET", pid: refs[tUpstream].pid},
		tBareProxy:  {name: tBareProxy, url: "http://" + addrs(tBareProxy) + "/" + proxyPath, method: "GET", pid: refs[tBareProxy].pid},
		tBareServer: {name: tBareServer, url: "http://" + addrs(tBareServer) + "/" + mockPath, method: "POST", body: "{}", pid: refs[tBareServer].pid},
	}
	var gh *gatehouseNode
	if slices.Contains(o.Targets, tGatehouseProxy) || slices.Contains(o.Targets, tGatehouseMock) || slices.Contains(o.Targets, tGatehouseAuthz) || slices.Contains(o.Targets, tGatehouseProxyRL) {
		if gh, err = b.startGatehouse(ctx, rep, "gatehouse", "http://"+addrs(tUpstream), b.keys); err != nil {
			return nil, err
		}
		pid := gh.proc.cmd.Process.Pid
		targets[tGatehouseProxy] = target{name: tGatehouseProxy, url: gh.invokeURL + proxyPath, method: "GET", gatehouse: true, pid: pid}
		targets[tGatehouseMock] = target{name: tGatehouseMock, url: gh.invokeURL + mockPath, method: "POST", body: "{}", gatehouse: true, pid: pid}
		targets[tGatehouseAuthz] = target{name: tGatehouseAuthz, url: gh.invokeURL + authzPath, method: "GET", gatehouse: true, pid: pid}
		targets[tGatehouseProxyRL] = target{name: tGatehouseProxyRL, url: gh.rlInvokeURL + proxyPath, method: "GET", gatehouse: true, pid: pid}
		b.verifyGatehouse(ctx, rep, gh, b.keys)
		if ctx.Err() != nil {
			return nil, errInterrupted
		}
		if o.CompareKeys > 0 && !rep.GatehouseSkipped {
			keys := newKeys(o.CompareKeys)
			file := filepath.Join(b.dir, "compare-keys.txt")
			if err := writeKeys(file, keys); err != nil {
				return nil, err
			}
			small, err := b.startGatehouse(ctx, nil, "gatehouse-compare", "http://"+addrs(tUpstream), keys)
			if err != nil {
				return nil, err
			}
			pid := small.proc.cmd.Process.Pid
			targets[compareName(tGatehouseProxy, o.CompareKeys)] = target{name: compareName(tGatehouseProxy, o.CompareKeys), url: small.invokeURL + proxyPath, method: "GET", gatehouse: true, pid: pid, keysFile: file}
			targets[compareName(tGatehouseMock, o.CompareKeys)] = target{name: compareName(tGatehouseMock, o.CompareKeys), url: small.invokeURL + mockPath, method: "POST", body: "{}", gatehouse: true, pid: pid, keysFile: file}
			b.verifyGatehouse(ctx, rep, small, keys)
			if ctx.Err() != nil {
				return nil, errInterrupted
			}
		}
	}

	script := filepath.Join(b.dir, "keys.lua")
	if err := os.WriteFile(script, []byte(wrkScript), 0o600); err != nil {
		return nil, err
	}
	w := wrkConfig{Threads: o.Threads, Connections: o.Connections, Script: script, KeysFile: keysFile, CPUs: o.WrkCPUs}
	var order []target
	for _, name := range o.Targets {
		names := []string{name}
		if o.CompareKeys > 0 && (name == tGatehouseProxy || name == tGatehouseMock) {
			// Right after its counterpart, so each pair runs back to back.
			names = append(names, compareName(name, o.CompareKeys))
		}
		for _, name := range names {
			t, ok := targets[name]
			if !ok || t.gatehouse && rep.GatehouseSkipped {
				continue
			}
			order = append(order, t)
			rep.target(name).URL = t.url
		}
	}
	if err := b.measure(ctx, w, order, rep); err != nil {
		return nil, err
	}
	if gh != nil {
		h := gh.admin.readHeap(ctx, gh.proc.cmd.Process.Pid)
		rep.Heap = &h
	}
	if err := rep.finish(o); err != nil {
		return nil, err
	}
	rep.print(os.Stdout)
	return rep, nil
}

// reference is a running reference server.
type reference struct {
	addr string
	pid  int
}

// startReferences starts the upstream, the bare server and the bare proxy,
// each as a re-execution of bench, and returns them by target.
func (b *bench) startReferences(ctx context.Context) (map[string]reference, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	refs := map[string]reference{}
	for _, s := range []struct{ name, cmd string }{{tUpstream, cmdUpstream}, {tBareServer, cmdBareServer}, {tBareProxy, cmdBareProxy}} {
		addr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		argv := []string{self, s.cmd, "-addr", addr}
		if s.cmd == cmdBareProxy {
			argv = append(argv, "-upstream", "http://"+refs[tUpstream].addr)
		}
		p, err := b.procs.start(s.name, filepath.Join(b.dir, s.name+".log"), b.opts.ServerCPUs, argv...)
		if err != nil {
			return nil, err
		}
		if err := waitHTTP(ctx, p, "http://"+addr+"/", 0, b.opts.ReadyTimeout); err != nil {
			return nil, err
		}
		refs[s.name] = reference{addr: addr, pid: p.cmd.Process.Pid}
	}
	return refs, nil
}

// gatehouseNode is the running, configured gatehouse.
type gatehouseNode struct {
	proc      *proc
	admin     *admin
	dataURL   string // http://data
	api       *benchAPI
	invokeURL string // http://data/restapis/{id}/bench/_user_request_/
	// rlInvokeURL is the same on stage benchrl, which sends RateLimit headers.
	rlInvokeURL string
}

// configure creates spec's API on the node and sets its invoke URL.
func (gh *gatehouseNode) configure(ctx context.Context, spec apiSpec) error {
	api, err := gh.admin.configure(ctx, spec)
	if err != nil {
		return fmt.Errorf("configure gatehouse: %w (log: %s)", err, gh.proc.log)
	}
	gh.api = api
	gh.invokeURL = gh.dataURL + "/restapis/" + api.APIID + "/" + benchStage + "/_user_request_/"
	gh.rlInvokeURL = gh.dataURL + "/restapis/" + api.APIID + "/" + benchRLStage + "/_user_request_/"
	return nil
}

// launchGatehouse builds (unless --gatehouse-bin) and starts gatehouse
// with the account-level limit raised, and waits for both listeners. Its
// data directory and log are named after name; extra are more serve
// flags (a cluster node's --store and --counters). It returns the node, not
// configured yet, and its command line.
func (b *bench) launchGatehouse(ctx context.Context, name string, extra ...string) (*gatehouseNode, string, error) {
	o := b.opts
	if b.bin == "" {
		b.bin = o.GatehouseBin
	}
	if b.bin == "" {
		repo, err := moduleRoot(o.Repo)
		if err != nil {
			return nil, "", err
		}
		fmt.Println("building ./cmd/gatehouse …")
		if b.bin, err = buildGatehouse(ctx, repo, b.dir); err != nil {
			return nil, "", err
		}
	}
	bin := b.bin
	dataAddr, err := freeAddr()
	if err != nil {
		return nil, "", err
	}
	adminAddr, err := freeAddr()
	if err != nil {
		return nil, "", err
	}
	dataDir := filepath.Join(b.dir, name+"-data")
	argv := []string{bin, "serve", "--data-dir", dataDir, "--listen", dataAddr, "--admin-listen", adminAddr,
		// AWS's account-level default (10,000 requests/s, burst 5,000) would
		// refuse the benchmark's load: raise it, but keep it enforced.
		"--account-rate", strconv.Itoa(accountRate), "--account-burst", strconv.Itoa(accountRate)}
	argv = append(argv, extra...)
	argv = append(argv, strings.Fields(o.GatehouseArg)...)
	cmdline := "gatehouse " + strings.Join(argv[1:], " ")
	p, err := b.procs.start(name, filepath.Join(b.dir, name+".log"), o.ServerCPUs, argv...)
	if err != nil {
		return nil, "", err
	}
	adminURL, dataURL := "http://"+adminAddr, "http://"+dataAddr
	if err := waitHTTP(ctx, p, adminURL+"/healthz", 200, o.ReadyTimeout); err != nil {
		return nil, "", err
	}
	if err := waitHTTP(ctx, p, dataURL+"/", 0, o.ReadyTimeout); err != nil {
		return nil, "", err
	}
	id, secret, err := adminCredentials(filepath.Join(dataDir, "admin-credentials"))
	if err != nil {
		return nil, "", err
	}
	return &gatehouseNode{proc: p, admin: newAdmin(adminURL, id, secret), dataURL: dataURL}, cmdline, nil
}

// startGatehouse starts a gatehouse node called name, configures the
// benchmark's API and imports keys, timing the import into rep (nil: not
// recorded).
func (b *bench) startGatehouse(ctx context.Context, rep *report, name, upstream string, keys []string) (*gatehouseNode, error) {
	o := b.opts
	gh, cmdline, err := b.launchGatehouse(ctx, name)
	if err != nil {
		return nil, err
	}
	if err := gh.configure(ctx, loadSpec(upstream)); err != nil {
		return nil, err
	}
	fmt.Printf("%s: importing %d keys into usage plan %s (%d per ImportApiKeys call) …\n", name, len(keys), gh.api.PlanID, o.ImportChunk)
	t0 := time.Now()
	first, last, err := gh.admin.importKeys(ctx, gh.api.PlanID, keys, o.ImportChunk, os.Stdout)
	if err != nil {
		return nil, fmt.Errorf("import keys: %w (log: %s)", err, gh.proc.log)
	}
	took := time.Since(t0).Seconds()
	if rep != nil {
		rep.Gatehouse = cmdline
		rep.KeyLoadSeconds = took
		rep.KeyLoadFirstCall, rep.KeyLoadLastCall = first.Seconds(), last.Seconds()
	}
	fmt.Printf("%s: imported %d keys in %.1fs (%.0f keys/s; first call %.2fs, last %.2fs)\n",
		name, len(keys), took, float64(len(keys))/took, first.Seconds(), last.Seconds())
	return gh, nil
}

// verifyGatehouse checks gatehouse end to end before anything is measured;
// when it fails, the gatehouse targets are skipped and the result invalid.
func (b *bench) verifyGatehouse(ctx context.Context, rep *report, gh *gatehouseNode, keys []string) {
	first, last := keys[0], keys[len(keys)-1]
	proxy, mock, authz := gh.invokeURL+proxyPath, gh.invokeURL+mockPath, gh.invokeURL+authzPath
	probes := []probe{
		{name: "authorizer, first key", method: "GET", url: authz, key: first, wantStatus: 200, wantBody: upstreamBody},
		{name: "authorizer, last key", method: "GET", url: authz, key: last, wantStatus: 200, wantBody: upstreamBody},
		{name: "authorizer, no key", method: "GET", url: authz, wantStatus: 401},
		{name: "proxy, first key", method: "GET", url: proxy, key: first, wantStatus: 200, wantBody: upstreamBody},
		{name: "proxy, last key", method: "GET", url: proxy, key: last, wantStatus: 200, wantBody: upstreamBody},
		{name: "mock, first key", method: "POST", url: mock, key: first, wantStatus: 200, wantBody: mockBody},
		{name: "mock, last key", method: "POST", url: mock, key: last, wantStatus: 200, wantBody: mockBody},
		{name: "proxy, no key", method: "GET", url: proxy, wantStatus: 403},
		{name: "proxy with RateLimit headers, first key", method: "GET", url: gh.rlInvokeURL + proxyPath, key: first, wantStatus: 200, wantBody: upstreamBody, wantHeader: "RateLimit"},
	}
	fmt.Println("verifying gatehouse (every route with the first and last key; 403, or the authorizer's 401, without a key) …")
	if err := verify(ctx, probes, b.opts.ReadyTimeout); err != nil {
		if ctx.Err() != nil {
			return
		}
		msg := fmt.Sprintf("GATEHOUSE NOT MEASURED: %v", err)
		fmt.Println(banner(msg))
		rep.problem(msg)
		rep.GatehouseSkipped = true
		return
	}
	fmt.Println("gatehouse verified")
}

// measure warms every target up, then runs the rounds, each target once
// per round: odd rounds in order, even rounds in reverse, so that a
// machine that slowly speeds up or slows down favours neither side of a
// pair (bare-proxy, gatehouse-proxy) over the whole run.
func (b *bench) measure(ctx context.Context, w wrkConfig, order []target, rep *report) error {
	o := b.opts
	if o.Warmup > 0 {
		for _, t := range order {
			fmt.Printf("warm-up %-24s %v\n", t.name, o.Warmup)
			if _, err := t.wrk(w).run(ctx, t.url, t.method, t.body, o.Warmup); err != nil {
				return err
			}
		}
	}
	for round := 1; round <= o.Rounds; round++ {
		ts := slices.Clone(order)
		if round%2 == 0 {
			slices.Reverse(ts)
		}
		for _, t := range ts {
			before := cpuTime(t.pid)
			r, err := t.wrk(w).run(ctx, t.url, t.method, t.body, o.Duration)
			if err != nil {
				return err
			}
			if used := cpuTime(t.pid) - before; before >= 0 && used >= 0 && r.Requests > 0 {
				r.CPUus = float64(used.Microseconds()) / float64(r.Requests)
			}
			fmt.Printf("[round %d/%d] %-24s %10.0f req/s  p50 %7s  p99 %7s  cpu %5.1fµs/req\n", round, o.Rounds, t.name, r.RPS, ms(r.P50us), ms(r.P99us), r.CPUus)
			if !r.clean() {
				msg := fmt.Sprintf("%s round %d: %d error responses (status ≥ 400), %d socket errors %s", t.name, round, r.StatusErrs, r.SocketErrs, r.SocketError)
				if t.gatehouse {
					msg = "INVALID: " + msg + "\n" + diagnose(ctx, t, b.keys)
					fmt.Println(banner(msg))
				} else {
					msg = "WARNING: " + msg
					fmt.Println(msg)
				}
				rep.problem(msg)
			}
			tr := rep.target(t.name)
			tr.Runs = append(tr.Runs, r)
		}
	}
	return nil
}

// banner makes msg impossible to miss in a terminal or a log.
func banner(msg string) string {
	line := strings.Repeat("!", 72)
	return line + "\n!!! " + strings.ReplaceAll(msg, "\n", "\n!!! ") + "\n" + line
}

// moduleRoot returns dir, or the directory holding the go.mod above the
// working directory.
func moduleRoot(dir string) (string, error) {
	if dir == "" {
		out, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil {
			return "", fmt.Errorf("go env GOMOD: %w", err)
		}
		gomod := strings.TrimSpace(string(out))
		if gomod == "" || gomod == os.DevNull {
			return "", errors.New("not inside the gatehouse module: run from the repository or pass --repo")
		}
		dir = filepath.Dir(gomod)
	}
	if _, err := os.Stat(filepath.Join(dir, "cmd", "gatehouse")); err != nil {
		return "", fmt.Errorf("--repo %s: no cmd/gatehouse there: %w", dir, err)
	}
	return dir, nil
}

// ms formats microseconds as milliseconds.
func ms(us float64) string { return strconv.FormatFloat(us/1000, 'f', 2, 64) + "ms" }
