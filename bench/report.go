package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Targets from the performance requirement.
const (
	minProxyRPSRatio = 0.90                // gatehouse-proxy / bare-proxy throughput
	maxProxyP99Ratio = 1.10                // gatehouse-proxy p99 / bare-proxy p99
	minMockRPSRatio  = 0.80                // gatehouse-mock / bare-server throughput
	minAuthzRPSRatio = 0.85                // gatehouse-authz (cached authorizer + proxy) / bare-proxy throughput
	maxHeapBytes     = 400 << 20           // with heapCheckKeys keys loaded
	heapCheckKeys    = 1_000_000           // key count the heap limit applies to
	maxBaselineMove  = 0.05                // how far a ratio may move from the baseline
	minRounds        = 3                   // fewer rounds give no meaningful median
	reportVersion    = "gatehouse-bench/1" // JSON schema version
)

// report is what one invocation measured; it is printed and written as JSON.
type report struct {
	Version          string          `json:"version"`
	Command          string          `json:"command"`
	Machine          machine         `json:"machine"`
	Options          *options        `json:"options"`
	Gatehouse        string          `json:"gatehouse_command"`
	KeyLoadSeconds   float64         `json:"key_load_seconds"`
	KeyLoadFirstCall float64         `json:"key_load_first_call_seconds"`
	KeyLoadLastCall  float64         `json:"key_load_last_call_seconds"`
	GatehouseSkipped bool            `json:"gatehouse_skipped,omitempty"`
	Targets          []*targetResult `json:"targets"`
	Checks           []check         `json:"checks"`
	Heap             *heap           `json:"heap,omitempty"`
	Baseline         []check         `json:"baseline,omitempty"`
	// Compared holds, with --compare-keys, how far each Gatehouse figure
	// of the --keys node is from the same figure of the compare node, both
	// measured in the same rounds.
	Compared []check  `json:"compared,omitempty"`
	Valid    bool     `json:"valid"`
	Problems []string `json:"problems,omitempty"`
}

// machine describes where the numbers were taken.
type machine struct {
	CPUs      int    `json:"nproc"`
	CPUModel  string `json:"cpu_model"`
	Kernel    string `json:"kernel"`
	GoVersion string `json:"go_version"`
	Wrk       string `json:"wrk"`
	Date      string `json:"date"`
}

// targetResult is every run of one target and their medians.
type targetResult struct {
	Name  string   `json:"name"`
	URL   string   `json:"url"`
	Runs  []wrkRun `json:"runs"`
	RPS   float64  `json:"rps_median"`
	P50us float64  `json:"p50_us_median"`
	P99us float64  `json:"p99_us_median"`
	CPUus float64  `json:"server_cpu_us_per_request_median,omitempty"`
}

// check is one figure against its target. Measured is false when a figure
// it needs was not measured.
//
// A ratio's Value is the median of its per-round ratios: each round runs
// the two targets of a ratio back to back, so each per-round ratio compares
// them under the same machine conditions, and the median drops the rounds
// that a neighbour on a shared machine disturbed. OfMedians (the median of
// one target over the median of the other, whose rounds may have run under
// different conditions) is printed beside it for reference.
type check struct {
	Name     string  `json:"name"`
	Value    float64 `json:"value"`
	Op       string  `json:"op"` // ">=" or "<="
	Limit    float64 `json:"limit"`
	Measured bool    `json:"measured"`
	Pass     bool    `json:"pass"`
	Unit     string  `json:"unit,omitempty"`
	// PerRound is the ratio within each round (num's run over den's run of
	// that round); Value is their median, and their spread shows how much
	// a verdict near the limit can be trusted.
	PerRound  []float64 `json:"per_round,omitempty"`
	OfMedians float64   `json:"ratio_of_medians,omitempty"`
	// Interval, for a move, is a confidence interval of Value from the
	// per-round ratios (medianInterval); nil when there are too few rounds.
	Interval *interval `json:"interval,omitempty"`
}

// interval is a distribution-free confidence interval for a median: the
// Kth smallest and Kth largest of N values cover the median with
// probability Confidence, whatever the values' distribution, as long as
// the rounds are independent.
type interval struct {
	Lo         float64 `json:"lo"`
	Hi         float64 `json:"hi"`
	Confidence float64 `json:"confidence"`
	K          int     `json:"k"`
}

// medianInterval returns the narrowest order-statistic interval
// [x(k), x(n−k+1)] whose coverage of the median, 1 − 2·P(B ≤ k−1) with B
// binomial(n, ½), is at least conf; nil when even [min, max] covers less
// (fewer than 6 values for 95 %).
func medianInterval(xs []float64, conf float64) *interval {
	n := len(xs)
	if n == 0 {
		return nil
	}
	// Walk up the binomial(n, ½) distribution: p = P(B = i), cdf = P(B ≤ i).
	p, cdf := math.Pow(0.5, float64(n)), 0.0
	k, cover := 0, 0.0
	for i := 0; 2*i < n; i++ {
		cdf += p
		if 1-2*cdf < conf {
			break
		}
		k, cover = i+1, 1-2*cdf
		p = p * float64(n-i) / float64(i+1)
	}
	if k == 0 {
		return nil
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return &interval{Lo: s[k-1], Hi: s[n-k], Confidence: cover, K: k}
}

func newReport(o *options) *report {
	return &report{
		Version: reportVersion,
		Command: commandLine(),
		Machine: machineInfo(),
		Options: o,
		Valid:   true,
	}
}

// problem records something that makes the result invalid or suspect.
func (r *report) problem(msg string) {
	r.Problems = append(r.Problems, msg)
	if strings.HasPrefix(msg, "INVALID") || strings.HasPrefix(msg, "GATEHOUSE NOT MEASURED") {
		r.Valid = false
	}
}

// target returns the result for name, adding it on first use.
func (r *report) target(name string) *targetResult {
	for _, t := range r.Targets {
		if t.Name == name {
			return t
		}
	}
	t := &targetResult{Name: name}
	r.Targets = append(r.Targets, t)
	return t
}

func (r *report) lookup(name string) *targetResult {
	for _, t := range r.Targets {
		if t.Name == name && len(t.Runs) > 0 {
			return t
		}
	}
	return nil
}

// finish computes the medians, the checks and the baseline comparison.
func (r *report) finish(o *options) error {
	for _, t := range r.Targets {
		var rps, p50, p99, cpu []float64
		for _, run := range t.Runs {
			rps, p50, p99 = append(rps, run.RPS), append(p50, run.P50us), append(p99, run.P99us)
			if run.CPUus > 0 {
				cpu = append(cpu, run.CPUus)
			}
		}
		t.RPS, t.P50us, t.P99us = median(rps), median(p50), median(p99)
		if len(cpu) > 0 {
			t.CPUus = median(cpu)
		}
	}
	if o.Rounds < minRounds {
		r.problem(fmt.Sprintf("INVALID: %d round(s); the requirement asks for at least %d", o.Rounds, minRounds))
	}
	r.Checks = []check{
		r.ratio("gatehouse-proxy/bare-proxy req/s", tGatehouseProxy, tBareProxy, func(t *targetResult) float64 { return t.RPS }, runRPS, ">=", minProxyRPSRatio),
		r.ratio("gatehouse-proxy/bare-proxy p99", tGatehouseProxy, tBareProxy, func(t *targetResult) float64 { return t.P99us }, runP99, "<=", maxProxyP99Ratio),
		r.ratio("gatehouse-mock/bare-server req/s", tGatehouseMock, tBareServer, func(t *targetResult) float64 { return t.RPS }, runRPS, ">=", minMockRPSRatio),
	}
	if slices.Contains(o.Targets, tGatehouseAuthz) {
		r.Checks = append(r.Checks,
			r.ratio("gatehouse-authz/bare-proxy req/s", tGatehouseAuthz, tBareProxy, func(t *targetResult) float64 { return t.RPS }, runRPS, ">=", minAuthzRPSRatio))
	}
	if slices.Contains(o.Targets, tGatehouseProxyRL) {
		r.Checks = append(r.Checks,
			r.ratio("gatehouse-proxy-ratelimit/bare-proxy req/s", tGatehouseProxyRL, tBareProxy, func(t *targetResult) float64 { return t.RPS }, runRPS, ">=", minProxyRPSRatio),
			r.ratio("gatehouse-proxy-ratelimit/bare-proxy p99", tGatehouseProxyRL, tBareProxy, func(t *targetResult) float64 { return t.P99us }, runP99, "<=", maxProxyP99Ratio))
	}
	if o.Keys >= heapCheckKeys {
		c := check{Name: fmt.Sprintf("gatehouse heap in use, %d keys", o.Keys), Op: "<=", Limit: maxHeapBytes, Unit: "bytes"}
		if r.Heap != nil && r.Heap.InuseBytes > 0 {
			c.Value, c.Measured = r.Heap.InuseBytes, true
			c.Pass = c.Value <= c.Limit
		}
		r.Checks = append(r.Checks, c)
	}
	if o.CompareKeys > 0 {
		r.Compared = r.moves(o)
	}
	if o.Baseline != "" {
		return r.compare(o.Baseline)
	}
	return nil
}

// moves compares each Gatehouse target with its --compare-keys twin: the
// median over the rounds of the per-round ratio of their figures, minus 1,
// against maxBaselineMove. The twins run back to back in every round, so
// a machine whose speed drifts between invocations (which a --baseline
// comparison cannot tell from a real change) does not enter.
func (r *report) moves(o *options) []check {
	var out []check
	for _, m := range []struct {
		target, figure string
		run            func(wrkRun) float64
	}{
		{tGatehouseProxy, "req/s", runRPS},
		{tGatehouseProxy, "p99", runP99},
		{tGatehouseMock, "req/s", runRPS},
	} {
		c := check{Name: fmt.Sprintf("%s %s: %s against %s", m.target, m.figure, keysLabel(o), compareLabel(o.CompareKeys)),
			Op: "|move| <=", Limit: maxBaselineMove}
		big, small := r.lookup(m.target), r.lookup(compareName(m.target, o.CompareKeys))
		if big != nil && small != nil {
			if c.PerRound = pairedRatios(big.Runs, small.Runs, m.run); len(c.PerRound) > 0 {
				c.Value, c.Measured = median(c.PerRound)-1, true
				c.Pass = math.Abs(c.Value) <= c.Limit
				if iv := medianInterval(c.PerRound, 0.95); iv != nil {
					iv.Lo, iv.Hi = iv.Lo-1, iv.Hi-1
					c.Interval = iv
				}
			}
		}
		out = append(out, c)
	}
	return out
}

func compareLabel(keys int) string { return fmt.Sprintf("%d keys", keys) }

// keysLabel says how many keys were loaded and how many wrk sent.
func keysLabel(o *options) string {
	if o.ActiveKeys > 0 && o.ActiveKeys < o.Keys {
		return fmt.Sprintf("%d API keys loaded, %d of them round-robin", o.Keys, o.ActiveKeys)
	}
	return fmt.Sprintf("%d API keys round-robin", o.Keys)
}

func runRPS(w wrkRun) float64 { return w.RPS }
func runP99(w wrkRun) float64 { return w.P99us }

// ratio is the check num/den against limit: the median of the per-round
// ratios of the run figure run, with the ratio of the median figures f.
func (r *report) ratio(name, num, den string, f func(*targetResult) float64, run func(wrkRun) float64, op string, limit float64) check {
	c := check{Name: name, Op: op, Limit: limit}
	n, d := r.lookup(num), r.lookup(den)
	if n == nil || d == nil || f(d) == 0 {
		return c
	}
	c.PerRound = pairedRatios(n.Runs, d.Runs, run)
	if len(c.PerRound) == 0 {
		return c
	}
	c.Value, c.Measured = median(c.PerRound), true
	c.OfMedians = f(n) / f(d)
	c.Pass = (op == ">=" && c.Value >= limit) || (op == "<=" && c.Value <= limit)
	return c
}

// compare adds, for each ratio measured both now and in the baseline
// report, a check that it moved by no more than maxBaselineMove.
func (r *report) compare(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("--baseline: %w", err)
	}
	var base report
	if err := json.Unmarshal(b, &base); err != nil {
		return fmt.Errorf("--baseline %s: %w", path, err)
	}
	if base.Version != reportVersion || base.Options == nil {
		return fmt.Errorf("--baseline %s: not a report of this benchmark (version %q, want %q)", path, base.Version, reportVersion)
	}
	for _, c := range r.Checks {
		if c.Unit != "" || !c.Measured {
			continue
		}
		i := slices.IndexFunc(base.Checks, func(b check) bool { return b.Name == c.Name && b.Measured })
		if i < 0 || base.Checks[i].Value == 0 {
			continue
		}
		move := (c.Value - base.Checks[i].Value) / base.Checks[i].Value
		r.Baseline = append(r.Baseline, check{
			Name:     fmt.Sprintf("%s: %.3f (%s) → %.3f (%s)", c.Name, base.Checks[i].Value, keysLabel(base.Options), c.Value, keysLabel(r.Options)),
			Value:    move,
			Op:       "|move| <=",
			Limit:    maxBaselineMove,
			Measured: true,
			Pass:     math.Abs(move) <= maxBaselineMove,
		})
	}
	return nil
}

// allPass reports whether every check was measured and met.
func (r *report) allPass() bool {
	for _, c := range slices.Concat(r.Checks, r.Baseline, r.Compared) {
		if !c.Measured || !c.Pass {
			return false
		}
	}
	return true
}

func (r *report) writeJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// print writes the final table.
func (r *report) print(w io.Writer) {
	o := r.Options
	fmt.Fprintf(w, "\n== Gatehouse load benchmark ==\n")
	fmt.Fprintf(w, "command:  %s\n", r.Command)
	fmt.Fprintf(w, "machine:  %d CPUs, %s, Linux %s, %s, %s\n", r.Machine.CPUs, r.Machine.CPUModel, r.Machine.Kernel, r.Machine.GoVersion, r.Machine.Wrk)
	fmt.Fprintf(w, "date:     %s\n", r.Machine.Date)
	pin := "no CPU pinning"
	if o.ServerCPUs != "" || o.WrkCPUs != "" {
		pin = fmt.Sprintf("servers on CPUs %q, wrk on CPUs %q", o.ServerCPUs, o.WrkCPUs)
	}
	fmt.Fprintf(w, "load:     wrk -t%d -c%d, %v per run, %d rounds interleaved (odd rounds in order, even in reverse), %v warm-up per target, %s\n", o.Threads, o.Connections, o.Duration, o.Rounds, o.Warmup, pin)
	if r.Gatehouse != "" {
		fmt.Fprintf(w, "node:     %s\n", r.Gatehouse)
	}
	fmt.Fprintf(w, "gateway:  %s (imported in %.1fs), usage plan throttle %g/s burst %d, quota %d/DAY\n\n", keysLabel(o), r.KeyLoadSeconds, throttleRate, throttleBurs, quotaLimit)

	fmt.Fprintf(w, "%-24s %12s %10s %10s %12s   %s\n", "target", "req/s", "p50", "p99", "cpu/req", "req/s per round")
	for _, t := range r.Targets {
		if len(t.Runs) == 0 {
			fmt.Fprintf(w, "%-24s %12s %10s %10s %12s\n", t.Name, "-", "-", "-", "-")
			continue
		}
		var per []string
		for _, run := range t.Runs {
			per = append(per, fmt.Sprintf("%.0f", run.RPS))
		}
		cpu := "-"
		if t.CPUus > 0 {
			cpu = fmt.Sprintf("%.1fµs", t.CPUus)
		}
		fmt.Fprintf(w, "%-24s %12.0f %10s %10s %12s   %s\n", t.Name, t.RPS, ms(t.P50us), ms(t.P99us), cpu, strings.Join(per, " "))
	}
	fmt.Fprintln(w, "(medians over the rounds; cpu/req: user + system CPU of the answering process per request)")
	fmt.Fprintln(w)
	for _, c := range r.Checks {
		fmt.Fprintln(w, c.line())
	}
	if r.Heap != nil {
		fmt.Fprintln(w, r.Heap.line())
	}
	if len(r.Compared) > 0 {
		fmt.Fprintf(w, "\nagainst a node with %d keys in the same rounds (median of the per-round ratios):\n", o.CompareKeys)
		for _, c := range r.Compared {
			if !c.Measured {
				fmt.Fprintf(w, "%-90s %7s  (limit ±%.0f%%)  n/a\n", c.Name, "-", c.Limit*100)
				continue
			}
			per := make([]string, len(c.PerRound))
			for i, v := range c.PerRound {
				per[i] = fmt.Sprintf("%.3f", v)
			}
			fmt.Fprintf(w, "%-90s %+6.1f%%  (limit ±%.0f%%)  %s   %s  per round: %s\n", c.Name, c.Value*100, c.Limit*100, passFail(c), c.Interval.describe(c.Limit), strings.Join(per, " "))
		}
	}
	if len(r.Baseline) > 0 {
		fmt.Fprintf(w, "\nagainst --baseline %s:\n", o.Baseline)
		for _, c := range r.Baseline {
			fmt.Fprintf(w, "%-70s %+6.1f%%  (limit ±%.0f%%)  %s\n", c.Name, c.Value*100, c.Limit*100, passFail(c))
		}
	}
	printVerdict(w, r.Problems, r.Valid)
}

// printVerdict ends a printed report: its problems, then whether its
// figures may be quoted.
func printVerdict(w io.Writer, problems []string, valid bool) {
	if len(problems) > 0 {
		fmt.Fprintln(w, "\nproblems:")
		for _, p := range problems {
			fmt.Fprintln(w, "  "+strings.ReplaceAll(p, "\n", "\n    "))
		}
	}
	verdict := "VALID"
	if !valid {
		verdict = "INVALID — do not quote these figures"
	}
	fmt.Fprintf(w, "\nresult: %s\n", verdict)
}

func (c check) line() string {
	if c.Unit == "bytes" {
		if !c.Measured {
			return fmt.Sprintf("%-36s %8s   (target %s %.0f MB)  n/a", c.Name, "-", c.Op, c.Limit/(1<<20))
		}
		return fmt.Sprintf("%-36s %6.0fMB   (target %s %.0f MB)  %s", c.Name, c.Value/(1<<20), c.Op, c.Limit/(1<<20), passFail(c))
	}
	if !c.Measured {
		return fmt.Sprintf("%-36s %8s   (target %s %.2f)  n/a", c.Name, "-", c.Op, c.Limit)
	}
	line := fmt.Sprintf("%-36s %8.3f   (target %s %.2f)  %s", c.Name, c.Value, c.Op, c.Limit, passFail(c))
	if len(c.PerRound) > 1 {
		per := make([]string, len(c.PerRound))
		for i, v := range c.PerRound {
			per[i] = fmt.Sprintf("%.3f", v)
		}
		line += fmt.Sprintf("   median of rounds: %s; ratio of medians %.3f", strings.Join(per, " "), c.OfMedians)
	}
	return line
}

// pairedRatios divides num's run of each round by den's run of the same
// round, for the rounds both have (a round whose den figure is 0 is left
// out).
func pairedRatios(num, den []wrkRun, f func(wrkRun) float64) []float64 {
	var out []float64
	for i := range min(len(num), len(den)) {
		if d := f(den[i]); d != 0 {
			out = append(out, f(num[i])/d)
		}
	}
	return out
}

// describe prints a move's interval and whether it settles the verdict:
// "sure" when the whole interval is on the verdict's side of the limit.
func (iv *interval) describe(limit float64) string {
	if iv == nil {
		return "(too few rounds for a 95 % interval)"
	}
	inside := math.Abs(iv.Lo) <= limit && math.Abs(iv.Hi) <= limit
	outside := iv.Lo > limit || iv.Hi < -limit
	sure := "unsure: more --rounds narrow it"
	if inside || outside {
		sure = "sure"
	}
	return fmt.Sprintf("%.0f %% interval %+.1f … %+.1f %% (%s)", iv.Confidence*100, iv.Lo*100, iv.Hi*100, sure)
}

func passFail(c check) string {
	switch {
	case !c.Measured:
		return "n/a"
	case c.Pass:
		return "PASS"
	default:
		return "FAIL"
	}
}

func (h heap) line() string {
	var parts []string
	if h.InuseBytes > 0 {
		parts = append(parts, fmt.Sprintf("in use %.0f MB", h.InuseBytes/(1<<20)))
	}
	if h.AllocBytes > 0 {
		parts = append(parts, fmt.Sprintf("alloc %.0f MB", h.AllocBytes/(1<<20)))
	}
	if len(parts) == 0 {
		parts = append(parts, "n/a ("+h.Note+")")
	}
	s := "gatehouse heap: " + strings.Join(parts, ", ")
	if h.RSSBytes > 0 {
		s += fmt.Sprintf("; process RSS %.0f MB", h.RSSBytes/(1<<20))
	}
	return s
}

// median of xs (the mean of the middle two for an even count; 0 for none).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// commandLine is the invocation as a user would type it again.
func commandLine() string {
	prog := os.Args[0]
	if strings.Contains(prog, "go-build") { // go run
		prog = "go run ./bench"
	}
	parts := []string{prog}
	for _, a := range os.Args[1:] {
		if strings.ContainsAny(a, " \t\"'$\\") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

func machineInfo() machine {
	m := machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), Date: time.Now().UTC().Format(time.RFC3339)}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}
