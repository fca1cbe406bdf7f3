package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParseWrk(t *testing.T) {
	tests := []struct {
		name    string
		out     string
		want    wrkRun
		wantErr string
	}{
		{
			name: "clean run among wrk's own output",
			out: "Running 10s test @ http://127.0.0.1:1/x\n  2 threads and 64 connections\n" +
				"BENCH_RESULT requests=300000 duration_us=10000000 p50_us=1200 p99_us=4500 max_us=30000 status_errors=0 connect=0 read=0 write=0 timeout=0\n",
			want: wrkRun{Requests: 300000, Seconds: 10, RPS: 30000, P50us: 1200, P99us: 4500, MaxUs: 30000},
		},
		{
			name: "errors are counted and detailed",
			out:  "BENCH_RESULT requests=10 duration_us=2000000 p50_us=1 p99_us=2 max_us=3 status_errors=4 connect=1 read=2 write=0 timeout=3\n",
			want: wrkRun{Requests: 10, Seconds: 2, RPS: 5, P50us: 1, P99us: 2, MaxUs: 3, StatusErrs: 4, SocketErrs: 6,
				SocketError: "connect 1, read 2, write 0, timeout 3"},
		},
		{name: "no result line", out: "Running 10s test\n", wantErr: "no \"BENCH_RESULT\" line"},
		{name: "missing field", out: "BENCH_RESULT requests=1 duration_us=1\n", wantErr: "lacks p50_us"},
		{name: "not a number", out: "BENCH_RESULT requests=x\n", wantErr: "result field requests"},
		{name: "not key=value", out: "BENCH_RESULT requests\n", wantErr: "not key=value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseWrk(tt.out)
			if checkErr(t, err, tt.wantErr) {
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseWrk (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzParseWrk(f *testing.F) {
	f.Add("BENCH_RESULT requests=10 duration_us=2000000 p50_us=1 p99_us=2 max_us=3 status_errors=4 connect=1 read=2 write=0 timeout=3\n")
	f.Add("BENCH_RESULT requests=1e400 duration_us=0 p50_us=NaN p99_us=-1 max_us=3 status_errors=4 connect=1 read=2 write=0 timeout=3")
	f.Fuzz(func(t *testing.T, out string) {
		r, err := parseWrk(out)
		if err == nil && r.Seconds > 0 && r.RPS != float64(r.Requests)/r.Seconds {
			t.Errorf("RPS %v != requests %d / seconds %v", r.RPS, r.Requests, r.Seconds)
		}
	})
}

func TestParseHeapMetrics(t *testing.T) {
	tests := []struct {
		name             string
		text             string
		wantIn, wantAllo float64
	}{
		{
			name: "prometheus go collector",
			text: "# HELP go_memstats_heap_inuse_bytes Number of heap bytes that are in use.\n" +
				"# TYPE go_memstats_heap_inuse_bytes gauge\ngo_memstats_heap_inuse_bytes 1.2345678e+07\n" +
				"go_memstats_heap_alloc_bytes 9.5e+06\ngo_memstats_heap_idle_bytes 3e+06\n",
			wantIn: 12345678, wantAllo: 9.5e6,
		},
		{name: "sample with a timestamp", text: "go_memstats_heap_inuse_bytes 1024 1700000000000\n", wantIn: 1024},
		{name: "absent", text: "gatehouse_requests_total 5\n"},
		{name: "malformed values read as 0", text: "go_memstats_heap_inuse_bytes NaN\ngo_memstats_heap_alloc_bytes -3\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, alloc := parseHeapMetrics(strings.NewReader(tt.text))
			if in != tt.wantIn || alloc != tt.wantAllo {
				t.Errorf("parseHeapMetrics = %v, %v; want %v, %v", in, alloc, tt.wantIn, tt.wantAllo)
			}
		})
	}
}

func TestAdminCredentials(t *testing.T) {
	tests := []struct {
		name, file       string
		wantID, wantSecr string
		wantErr          bool
	}{
		{name: "gatehouse's file", file: "[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = s3cr/t=x\n", wantID: "AKIAEXAMPLE", wantSecr: "s3cr/t=x"},
		{name: "no secret", file: "aws_access_key_id = AKIAEXAMPLE\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "admin-credentials")
			if err := os.WriteFile(path, []byte(tt.file), 0o600); err != nil {
				t.Fatal(err)
			}
			id, secret, err := adminCredentials(path)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if id != tt.wantID || secret != tt.wantSecr {
				t.Errorf("got %q, %q; want %q, %q", id, secret, tt.wantID, tt.wantSecr)
			}
		})
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		in   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{5}, 5},
		{[]float64{9, 1, 5}, 5},
		{[]float64{4, 1, 3, 2}, 2.5},
	}
	for _, tt := range tests {
		if got := median(tt.in); got != tt.want {
			t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestChecks: a ratio is judged on the median of its per-round ratios,
// with the ratio of the medians beside it; the two differ when the rounds
// ran under different conditions, as here (round 2 ran on a slow machine,
// round 3 on a fast one).
func TestChecks(t *testing.T) {
	r := newReport(&options{Rounds: 3, Keys: 1000})
	add := func(name string, rps, p99 []float64) {
		for i := range rps {
			r.target(name).Runs = append(r.target(name).Runs, wrkRun{RPS: rps[i], P99us: p99[i]})
		}
	}
	add(tBareProxy, []float64{10000, 6000, 14000}, []float64{1000, 2000, 800})
	add(tGatehouseProxy, []float64{9500, 5800, 12000}, []float64{1200, 2100, 900})
	add(tBareServer, []float64{20000, 20000, 20000}, []float64{500, 500, 500})
	// gatehouse-mock not measured.
	if err := r.finish(r.Options); err != nil {
		t.Fatal(err)
	}
	near := cmpopts.EquateApprox(0, 1e-9)
	want := []check{
		{Name: "gatehouse-proxy/bare-proxy req/s", Value: 0.95, Op: ">=", Limit: 0.9, Measured: true, Pass: true,
			PerRound: []float64{0.95, 5800.0 / 6000, 12000.0 / 14000}, OfMedians: 9500.0 / 10000},
		{Name: "gatehouse-proxy/bare-proxy p99", Value: 1.125, Op: "<=", Limit: 1.1, Measured: true, Pass: false,
			PerRound: []float64{1.2, 1.05, 1.125}, OfMedians: 1200.0 / 1000},
		{Name: "gatehouse-mock/bare-server req/s", Op: ">=", Limit: 0.8},
	}
	if diff := cmp.Diff(want, r.Checks, near); diff != "" {
		t.Errorf("checks (-want +got):\n%s", diff)
	}
	if r.allPass() {
		t.Error("allPass() = true with a failed and an unmeasured check")
	}
	// The medians of the targets' own figures.
	if got := r.lookup(tBareProxy).RPS; got != 10000 {
		t.Errorf("bare-proxy median req/s = %v, want 10000", got)
	}
}

// TestParseCPUTime reads utime + stime from /proc/<pid>/stat text, counting
// fields after the command name, which may hold spaces and parentheses.
func TestParseCPUTime(t *testing.T) {
	tests := []struct {
		name, stat string
		want       time.Duration
	}{
		{"plain", "4242 (gatehouse) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 130 0 0 20 0 9 0 100 0 0", 3800 * time.Millisecond},
		{"odd command name", "7 (a b) (c)) R 1 7 7 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 5 0 0", 30 * time.Millisecond},
		{"truncated", "7 (x) R 1 7 7 0", -1},
		{"no command", "garbage", -1},
		{"not a number", "7 (x) R 1 7 7 0 -1 0 0 0 0 0 x 2 0 0", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseCPUTime(tt.stat); got != tt.want {
				t.Errorf("parseCPUTime = %v, want %v", got, tt.want)
			}
		})
	}
	// This process's own figure grows as it burns CPU.
	before := cpuTime(os.Getpid())
	if before < 0 {
		t.Skip("no /proc/self/stat on this system")
	}
	x := 0
	for deadline := time.Now().Add(200 * time.Millisecond); time.Now().Before(deadline); {
		x++
	}
	if after := cpuTime(os.Getpid()); after <= before {
		t.Errorf("cpuTime did not grow after 200 ms of work (%v → %v, %d loops)", before, after, x)
	}
}

// TestPairedRatios: each round's ratio is taken within the round, over
// the rounds both targets ran, skipping a zero denominator.
func TestPairedRatios(t *testing.T) {
	runs := func(rps ...float64) []wrkRun {
		out := make([]wrkRun, len(rps))
		for i, v := range rps {
			out[i] = wrkRun{RPS: v}
		}
		return out
	}
	tests := []struct {
		name     string
		num, den []wrkRun
		want     []float64
	}{
		{"three rounds", runs(80, 90, 70), runs(100, 100, 100), []float64{0.8, 0.9, 0.7}},
		{"the numerator missed a round", runs(80, 90), runs(100, 100, 100), []float64{0.8, 0.9}},
		{"a zero denominator is left out", runs(80, 90, 70), runs(100, 0, 100), []float64{0.8, 0.7}},
		{"none", nil, runs(100), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, pairedRatios(tt.num, tt.den, runRPS)); diff != "" {
				t.Errorf("pairedRatios (-want +got):\n%s", diff)
			}
		})
	}
	c := check{Name: "x", Value: 0.8, Op: ">=", Limit: 0.8, Measured: true, Pass: true, PerRound: []float64{0.8, 0.9, 0.7}}
	c.OfMedians = 0.75
	if got := c.line(); !strings.HasSuffix(got, "median of rounds: 0.800 0.900 0.700; ratio of medians 0.750") {
		t.Errorf("line() = %q, want the per-round ratios and the ratio of medians at the end", got)
	}
}

// TestWrkScript runs the Lua script under the real wrk: every key is used,
// evenly, with the configured method, body and content type.
func TestWrkScript(t *testing.T) {
	if _, err := exec.LookPath("wrk"); err != nil {
		t.Skip("wrk not on PATH")
	}
	const n = 10
	keys := newKeys(n)
	var (
		mu     sync.Mutex
		counts = map[string]int{}
		first  = map[string]string{} // remote address → first key on that connection
		bad    []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		counts[r.Header.Get("x-api-key")]++
		if _, ok := first[r.RemoteAddr]; !ok {
			first[r.RemoteAddr] = r.Header.Get("x-api-key")
		}
		if r.Method != http.MethodPost || string(body) != "{}" || r.Header.Get("Content-Type") != "application/json" || r.URL.Path != "/mock" {
			bad = append(bad, r.Method+" "+r.URL.Path+" "+r.Header.Get("Content-Type")+" "+string(body))
		}
		w.Write([]byte(mockBody))
	}))
	defer srv.Close()
	dir := t.TempDir()
	w := wrkConfig{Threads: 2, Connections: 2, Script: filepath.Join(dir, "s.lua"), KeysFile: filepath.Join(dir, "keys.txt")}
	if err := os.WriteFile(w.Script, []byte(wrkScript), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(w.KeysFile, []byte(strings.Join(keys, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := w.run(ctx, srv.URL+"/mock", http.MethodPost, "{}", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bad) > 0 {
		t.Fatalf("%d malformed requests, first: %s", len(bad), bad[0])
	}
	total, lo, hi := 0, int(^uint(0)>>1), 0
	for _, k := range keys {
		c := counts[k]
		total += c
		lo, hi = min(lo, c), max(hi, c)
	}
	if len(counts) != n || total < 100 {
		t.Fatalf("saw %d distinct keys in %d requests, want all %d keys of %d", len(counts), total, n, total)
	}
	// Each thread cycles through all keys, so counts differ by a few at most.
	if hi-lo > 4 {
		t.Errorf("key counts range %d–%d: round-robin is uneven", lo, hi)
	}
	// Thread i of 2 starts at key i·n/2, so the two connections start
	// about n/2 keys apart (wrk calls request() once more on thread 0 to
	// check the script, which moves that thread on by one key).
	var starts []int
	for _, k := range first {
		starts = append(starts, slices.Index(keys, k))
	}
	if len(starts) != 2 {
		t.Fatalf("saw %d connections, want 2", len(starts))
	}
	d := (starts[0] - starts[1] + n) % n
	if d = min(d, n-d); d < n/2-1 {
		t.Errorf("connections started at keys %v, only %d apart; want about %d", starts, d, n/2)
	}
	if int64(total) < r.Requests {
		t.Errorf("server saw %d requests, wrk reports %d", total, r.Requests)
	}
	if !r.clean() {
		t.Errorf("run not clean: %+v", r)
	}
}

func TestCappedLog(t *testing.T) {
	tests := []struct {
		name   string
		head   int
		tail   int
		writes []string
		want   string
	}{
		{name: "under the head", head: 10, tail: 4, writes: []string{"abc", "def"}, want: "abcdef"},
		{name: "head then tail", head: 3, tail: 4, writes: []string{"abcdef", "ghij"}, want: "abc\n[bench: 3 bytes of output left out here]\nghij"},
		{name: "one big write", head: 2, tail: 3, writes: []string{"0123456789"}, want: "01\n[bench: 5 bytes of output left out here]\n789"},
		{name: "many small writes", head: 1, tail: 3, writes: []string{"a", "b", "c", "d", "e", "f"}, want: "a\n[bench: 2 bytes of output left out here]\ndef"},
		{name: "fits exactly", head: 2, tail: 2, writes: []string{"ab", "cd"}, want: "abcd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "log")
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			l := &cappedLog{f: f, head: tt.head, tail: make([]byte, 0, tt.tail)}
			for _, w := range tt.writes {
				if n, err := l.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("Write(%q) = %d, %v", w, n, err)
				}
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("log (-want +got):\n%s", diff)
			}
		})
	}
}

// TestActiveKeys: --active-keys picks keys spread over all the loaded ones.
func TestActiveKeys(t *testing.T) {
	keys := []string{"k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9"}
	tests := []struct {
		n    int
		want []string
	}{
		{0, keys},
		{10, keys},
		{11, keys},
		{5, []string{"k0", "k2", "k4", "k6", "k8"}},
		{3, []string{"k0", "k3", "k6"}},
		{1, []string{"k0"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, activeKeys(keys, tt.n)); diff != "" {
			t.Errorf("activeKeys(10 keys, %d) (-want +got):\n%s", tt.n, diff)
		}
	}
	for _, tt := range []struct {
		args    []string
		wantErr string
		label   string
	}{
		{args: []string{"--keys", "1000000", "--active-keys", "1000"}, label: "1000000 API keys loaded, 1000 of them round-robin"},
		{args: []string{"--keys", "1000"}, label: "1000 API keys round-robin"},
		{args: []string{"--keys", "1000", "--active-keys", "1000"}, label: "1000 API keys round-robin"},
		{args: []string{"--keys", "10", "--active-keys", "11"}, wantErr: "--active-keys 11"},
		{args: []string{"--active-keys", "-1"}, wantErr: "--active-keys -1"},
		{args: []string{"--throttle", "--active-keys", "5"}, wantErr: "--active-keys does not apply"},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			o, err := parseFlags(tt.args)
			if checkErr(t, err, tt.wantErr) {
				return
			}
			if got := keysLabel(o); got != tt.label {
				t.Errorf("label %q, want %q", got, tt.label)
			}
		})
	}
}

// TestMoves: with --compare-keys, each Gatehouse figure is compared with
// its twin's in the same rounds (the median of the per-round ratios), so a
// round where the whole machine was slow moves neither.
func TestMoves(t *testing.T) {
	o := &options{Rounds: 3, Keys: 1_000_000, CompareKeys: 1000}
	r := newReport(o)
	add := func(name string, rps, p99 []float64) {
		for i := range rps {
			r.target(name).Runs = append(r.target(name).Runs, wrkRun{RPS: rps[i], P99us: p99[i]})
		}
	}
	// Round 2 ran on a machine twice as slow: both twins halved.
	add(tGatehouseProxy, []float64{9600, 4800, 9700}, []float64{1000, 2000, 1100})
	add(compareName(tGatehouseProxy, 1000), []float64{10000, 5000, 10000}, []float64{1000, 2000, 1000})
	add(tGatehouseMock, []float64{8000, 4000, 8100}, []float64{1, 1, 1})
	add(compareName(tGatehouseMock, 1000), []float64{10000, 5000, 10000}, []float64{1, 1, 1})
	if err := r.finish(o); err != nil {
		t.Fatal(err)
	}
	near := cmpopts.EquateApprox(0, 1e-9)
	want := []check{
		{Name: "gatehouse-proxy req/s: 1000000 API keys round-robin against 1000 keys", Op: "|move| <=", Limit: 0.05, Measured: true, Pass: true,
			Value: -0.04, PerRound: []float64{0.96, 0.96, 0.97}},
		{Name: "gatehouse-proxy p99: 1000000 API keys round-robin against 1000 keys", Op: "|move| <=", Limit: 0.05, Measured: true, Pass: true,
			Value: 0, PerRound: []float64{1, 1, 1.1}},
		{Name: "gatehouse-mock req/s: 1000000 API keys round-robin against 1000 keys", Op: "|move| <=", Limit: 0.05, Measured: true, Pass: false,
			Value: -0.2, PerRound: []float64{0.8, 0.8, 0.81}},
	}
	if diff := cmp.Diff(want, r.Compared, near); diff != "" {
		t.Errorf("compared (-want +got):\n%s", diff)
	}
	if r.allPass() {
		t.Error("allPass() = true with a failed comparison")
	}
	if _, err := parseFlags([]string{"--keys", "1000", "--compare-keys", "1000"}); err == nil || !strings.Contains(err.Error(), "--compare-keys 1000") {
		t.Errorf("--compare-keys equal to --keys: err = %v, want it refused", err)
	}
	for _, tt := range []struct {
		args   []string
		rounds int
		warmup time.Duration
	}{
		{[]string{"--keys", "2000"}, defaultRounds, defaultWarmup},
		{[]string{"--keys", "2000", "--compare-keys", "1000"}, compareRounds, compareWarmup},
		{[]string{"--keys", "2000", "--compare-keys", "1000", "--rounds", "4"}, 4, compareWarmup},
		{[]string{"--keys", "2000", "--compare-keys", "1000", "--warmup", "2s"}, compareRounds, 2 * time.Second},
		{[]string{"--keys", "2000", "--warmup", "0s"}, defaultRounds, 0},
	} {
		o, err := parseFlags(tt.args)
		if err != nil || o.Rounds != tt.rounds || o.Warmup != tt.warmup {
			t.Errorf("parseFlags(%q): rounds %v, warm-up %v, err %v; want %d rounds, warm-up %v", tt.args, o.Rounds, o.Warmup, err, tt.rounds, tt.warmup)
		}
	}
}

// TestMovesInterval checks that a move with enough rounds gets its 95 %
// interval, shifted like the move, and says whether it settles the verdict.
func TestMovesInterval(t *testing.T) {
	o := &options{Rounds: 6, Keys: 1_000_000, CompareKeys: 1000}
	r := newReport(o)
	for i, f := range []float64{0.99, 0.97, 1.02, 0.96, 0.98, 1.01} {
		r.target(tGatehouseMock).Runs = append(r.target(tGatehouseMock).Runs, wrkRun{RPS: 1000 * f * float64(i+1)})
		r.target(compareName(tGatehouseMock, 1000)).Runs = append(r.target(compareName(tGatehouseMock, 1000)).Runs, wrkRun{RPS: 1000 * float64(i+1)})
	}
	if err := r.finish(o); err != nil {
		t.Fatal(err)
	}
	c := r.Compared[2]
	want := &interval{Lo: -0.04, Hi: 0.02, Confidence: 1 - 2.0/64, K: 1}
	if diff := cmp.Diff(want, c.Interval, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
		t.Errorf("interval (-want +got):\n%s", diff)
	}
	if got, wantText := c.Interval.describe(c.Limit), "97 % interval -4.0 … +2.0 % (sure)"; got != wantText {
		t.Errorf("describe = %q, want %q", got, wantText)
	}
	if r.Compared[0].Interval != nil {
		t.Errorf("proxy move without proxy runs has interval %+v", r.Compared[0].Interval)
	}
}

func TestMedianInterval(t *testing.T) {
	seq := func(n int) []float64 {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = float64((i*7)%n + 1) // 1..n, shuffled
		}
		return xs
	}
	for _, tt := range []struct {
		n    int
		want *interval
	}{
		{0, nil},
		{5, nil}, // [min, max] of 5 covers 93.75 %
		{6, &interval{Lo: 1, Hi: 6, Confidence: 1 - 2.0/64, K: 1}},
		{10, &interval{Lo: 2, Hi: 9, Confidence: 1 - 2*11.0/1024, K: 2}},
		{12, &interval{Lo: 3, Hi: 10, Confidence: 1 - 2*79.0/4096, K: 3}},
	} {
		got := medianInterval(seq(tt.n), 0.95)
		if diff := cmp.Diff(tt.want, got, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
			t.Errorf("n=%d (-want +got):\n%s", tt.n, diff)
		}
	}
	for _, tt := range []struct {
		iv   *interval
		want string
	}{
		{nil, "(too few rounds for a 95 % interval)"},
		{&interval{Lo: -0.06, Hi: -0.01, Confidence: 0.96}, "96 % interval -6.0 … -1.0 % (unsure: more --rounds narrow it)"},
		{&interval{Lo: 0.06, Hi: 0.09, Confidence: 0.96}, "96 % interval +6.0 … +9.0 % (sure)"},
	} {
		if got := tt.iv.describe(0.05); got != tt.want {
			t.Errorf("describe(%+v) = %q, want %q", tt.iv, got, tt.want)
		}
	}
}

// checkErr checks a table case's error: with wantErr set, err must contain
// it and the case is done (true); without, err must be nil.
func checkErr(t *testing.T, err error, wantErr string) (done bool) {
	t.Helper()
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("err = %v, want it to contain %q", err, wantErr)
		}
		return true
	}
	if err != nil {
		t.Fatal(err)
	}
	return false
}
