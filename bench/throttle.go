package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The throttle-accuracy run (--throttle) checks the requirement "under real
// load (one key, rate 100/s, burst 50, 64 connections, 10 s) admitted
// within ±0.5 % of rate×t + burst". A token bucket that starts full admits
// burst requests at once and then rate per second, so over a window of t
// seconds of saturating demand it admits burst + rate×t (GCRA, which
// gatehouse runs, admits exactly burst + ⌊rate×t⌋).
//
// wrk only reports whole-run figures and times its window coarsely, so the
// load comes from Go clients here: each holds one keep-alive connection and
// records, on the monotonic clock, when each request was sent and its
// answer received. t is the time from the first request sent to the last
// request sent. The bucket really counts from the first request's arrival
// at gatehouse to the last one's, which are only known to lie between a
// send and a receive: that gives t's bounds, printed with the result.

const (
	maxThrottleError      = 0.005 // |admitted − expected| / expected
	throttleReportVersion = "gatehouse-bench-throttle/1"
	// refillMargin is added to burst/rate when waiting for the key's bucket
	// to be full again after verification took tokens from it.
	refillMargin = 100 * time.Millisecond
	// metricsSettle bounds the wait for gatehouse's counters to reach what
	// the clients counted (they are updated as each response is sent).
	metricsSettle = 5 * time.Second
)

// Metric names the throttle run reads from gatehouse's /metrics.
const (
	metricRequests  = "gatehouse_gateway_requests_total"
	metricThrottled = "gatehouse_gateway_throttled_total"
)

// throttleFigures are the throttle run's computed results.
type throttleFigures struct {
	T          float64 `json:"t_seconds"`          // first request sent → last request sent
	TLo        float64 `json:"t_min_seconds"`      // last sent → first received (shortest the server can have seen)
	THi        float64 `json:"t_max_seconds"`      // first sent → last received (longest)
	Expected   float64 `json:"expected"`           // rate×t + burst
	ExpectedLo float64 `json:"expected_min"`       // rate×t_min + burst
	ExpectedHi float64 `json:"expected_max"`       // rate×t_max + burst
	ErrorPct   float64 `json:"error_pct"`          // (admitted − expected) / expected, in %
	TargetPct  float64 `json:"target_pct"`         // ± maxThrottleError, in %
	Pass       bool    `json:"pass"`               // |error| ≤ maxThrottleError
	GCRAMin    int64   `json:"gcra_admitted_min"`  // burst + ⌊rate×t_min⌋
	GCRAMax    int64   `json:"gcra_admitted_max"`  // burst + ⌊rate×t_max⌋
	GCRAExact  bool    `json:"gcra_exact"`         // admitted in [gcra_admitted_min, gcra_admitted_max]
	EdgeFirstS float64 `json:"first_edge_seconds"` // first received − first sent
	EdgeLastS  float64 `json:"last_edge_seconds"`  // last received − last sent
	Admitted   int64   `json:"admitted"`           // 200s the clients received
	Measured   bool    `json:"measured"`           // a request was sent and answered
}

// window is when the run's requests were sent and answered, as offsets
// from a common monotonic start.
type window struct {
	FirstSent, LastSent time.Duration
	FirstRecv, LastRecv time.Duration
}

// computeThrottle compares admitted with what a bucket of rate and burst
// admits over w, and decides PASS against maxThrottleError.
func computeThrottle(rate float64, burst int, w window, admitted int64) throttleFigures {
	f := throttleFigures{Admitted: admitted, TargetPct: maxThrottleError * 100}
	if w.LastRecv <= 0 || w.LastRecv < w.FirstSent {
		return f
	}
	f.Measured = true
	f.T = (w.LastSent - w.FirstSent).Seconds()
	f.TLo = max(0, (w.LastSent - w.FirstRecv).Seconds())
	f.THi = (w.LastRecv - w.FirstSent).Seconds()
	f.EdgeFirstS = (w.FirstRecv - w.FirstSent).Seconds()
	f.EdgeLastS = (w.LastRecv - w.LastSent).Seconds()
	b := float64(burst)
	f.Expected, f.ExpectedLo, f.ExpectedHi = b+rate*f.T, b+rate*f.TLo, b+rate*f.THi
	e := (float64(admitted) - f.Expected) / f.Expected
	f.ErrorPct = e * 100
	f.Pass = math.Abs(e) <= maxThrottleError
	f.GCRAMin, f.GCRAMax = int64(burst)+int64(math.Floor(rate*f.TLo)), int64(burst)+int64(math.Floor(rate*f.THi))
	f.GCRAExact = admitted >= f.GCRAMin && admitted <= f.GCRAMax
	return f
}

// clientStats is what one client saw. Times are offsets from the run's
// start; the first/last fields are meaningful only when sent > 0.
type clientStats struct {
	sent, admitted, throttled int64
	other                     map[int]int64 // answers other than 200 and 429, by status
	errs                      int64         // requests without an answer
	firstErr                  string
	firstSent, lastSent       time.Duration
	firstRecv, lastRecv       time.Duration
	admittedSent              []time.Duration // send time of every 200
}

// mergeWindow combines the clients' times into the run's window: the
// earliest send, the latest send, the earliest receive and the latest
// receive over all clients. ok is false when no request was answered.
func mergeWindow(stats []clientStats) (w window, ok bool) {
	for _, s := range stats {
		if s.sent == 0 || s.lastRecv == 0 {
			continue
		}
		if !ok {
			w = window{s.firstSent, s.lastSent, s.firstRecv, s.lastRecv}
			ok = true
			continue
		}
		w.FirstSent, w.LastSent = min(w.FirstSent, s.firstSent), max(w.LastSent, s.lastSent)
		w.FirstRecv, w.LastRecv = min(w.FirstRecv, s.firstRecv), max(w.LastRecv, s.lastRecv)
	}
	return w, ok
}

// perSecond counts the times in each whole second after from (by send
// time: the bucket sees a request between its send and its answer).
func perSecond(times []time.Duration, from time.Duration) []int64 {
	var out []int64
	for _, t := range times {
		if t < from {
			continue
		}
		i := int((t - from) / time.Second)
		for len(out) <= i {
			out = append(out, 0)
		}
		out[i]++
	}
	return out
}

// promSample is one sample of a Prometheus text exposition.
type promSample struct {
	Name   string
	Labels map[string]string
	Value  float64
}

// parsePromText returns the samples of the metrics named in names (all
// when names is empty) from a Prometheus text exposition. Lines of other
// metrics are skipped unparsed; a malformed line of a wanted one is an
// error, since a silently dropped counter would skew the cross-check.
func parsePromText(text []byte, names ...string) ([]promSample, error) {
	var out []promSample
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		end := strings.IndexAny(line, "{ \t")
		if end < 0 {
			end = len(line)
		}
		name := line[:end]
		if len(names) > 0 && !slices.Contains(names, name) {
			continue
		}
		s := promSample{Name: name, Labels: map[string]string{}}
		rest := line[end:]
		if strings.HasPrefix(rest, "{") {
			var err error
			if rest, err = parseLabels(rest[1:], s.Labels); err != nil {
				return nil, fmt.Errorf("/metrics line %d (%s): %w", n, name, err)
			}
		}
		fields := strings.Fields(rest)
		if len(fields) < 1 || len(fields) > 2 {
			return nil, fmt.Errorf("/metrics line %d (%s): want a value and an optional timestamp, got %q", n, name, rest)
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			return nil, fmt.Errorf("/metrics line %d (%s): %w", n, name, err)
		}
		s.Value = v
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("/metrics: %w", err)
	}
	return out, nil
}

// parseLabels reads `name="value",…}` into into and returns what follows
// the closing brace. Values may hold the escapes \\, \" and \n.
func parseLabels(s string, into map[string]string) (string, error) {
	for {
		s = strings.TrimLeft(s, " \t")
		if strings.HasPrefix(s, "}") {
			return s[1:], nil
		}
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			return "", fmt.Errorf("label without a name or '=' in %q", s)
		}
		name := strings.TrimSpace(s[:eq])
		s = strings.TrimLeft(s[eq+1:], " \t")
		if !strings.HasPrefix(s, `"`) {
			return "", fmt.Errorf("label %s: value not quoted", name)
		}
		var v strings.Builder
		i, closed := 1, false
		for ; i < len(s); i++ {
			c := s[i]
			if c == '"' {
				closed = true
				break
			}
			if c == '\\' && i+1 < len(s) {
				i++
				switch s[i] {
				case 'n':
					v.WriteByte('\n')
				case '\\', '"':
					v.WriteByte(s[i])
				default:
					return "", fmt.Errorf("label %s: unknown escape \\%c", name, s[i])
				}
				continue
			}
			v.WriteByte(c)
		}
		if !closed {
			return "", fmt.Errorf("label %s: unterminated value", name)
		}
		into[name] = v.String()
		s = strings.TrimLeft(s[i+1:], " \t")
		switch {
		case strings.HasPrefix(s, ","):
			s = s[1:]
		case strings.HasPrefix(s, "}"):
		default:
			return "", fmt.Errorf("label %s: want ',' or '}' after the value", name)
		}
	}
}

// gatehouseCounts are gatehouse's own counts for one API and stage.
type gatehouseCounts struct {
	Admitted       float64            `json:"admitted"`                 // requests_total, status 200
	Throttled      float64            `json:"throttled"`                // requests_total, status 429
	ByReason       map[string]float64 `json:"status_429_by_reason"`     // requests_total, status 429, by reason
	ThrottledTotal float64            `json:"throttled_total"`          // throttled_total, every limit
	ByLimit        map[string]float64 `json:"throttled_total_by_limit"` // throttled_total by limit
}

// countGatehouse sums gatehouse's counters for api and stage.
func countGatehouse(samples []promSample, api, stage string) gatehouseCounts {
	c := gatehouseCounts{ByReason: map[string]float64{}, ByLimit: map[string]float64{}}
	for _, s := range samples {
		if s.Labels["api"] != api || s.Labels["stage"] != stage {
			continue
		}
		switch s.Name {
		case metricRequests:
			switch s.Labels["status"] {
			case "200":
				c.Admitted += s.Value
			case "429":
				c.Throttled += s.Value
				c.ByReason[s.Labels["reason"]] += s.Value
			}
		case metricThrottled:
			c.ThrottledTotal += s.Value
			c.ByLimit[s.Labels["limit"]] += s.Value
		}
	}
	return c
}

// minus is c − b: what happened between two scrapes. Labels whose
// difference is zero are left out.
func (c gatehouseCounts) minus(b gatehouseCounts) gatehouseCounts {
	d := gatehouseCounts{
		Admitted: c.Admitted - b.Admitted, Throttled: c.Throttled - b.Throttled,
		ThrottledTotal: c.ThrottledTotal - b.ThrottledTotal,
		ByReason:       map[string]float64{}, ByLimit: map[string]float64{},
	}
	for k, v := range c.ByReason {
		if x := v - b.ByReason[k]; x != 0 {
			d.ByReason[k] = x
		}
	}
	for k, v := range c.ByLimit {
		if x := v - b.ByLimit[k]; x != 0 {
			d.ByLimit[k] = x
		}
	}
	return d
}

// throttleReport is what one throttle run measured; it is printed and
// written as JSON.
type throttleReport struct {
	Version     string   `json:"version"`
	Command     string   `json:"command"`
	Machine     machine  `json:"machine"`
	Options     *options `json:"options"`
	Gatehouse   string   `json:"gatehouse_command"`
	Rate        float64  `json:"rate"`
	Burst       int      `json:"burst"`
	Connections int      `json:"connections"`
	Duration    float64  `json:"duration_seconds"`
	throttleFigures
	Requests          int64            `json:"requests"`
	Throttled         int64            `json:"throttled"`
	OtherStatus       map[string]int64 `json:"other_status,omitempty"`
	NoAnswer          int64            `json:"requests_without_answer"`
	AdmittedPerSecond []int64          `json:"admitted_per_second"`
	LastAdmittedSent  float64          `json:"last_admitted_sent_seconds"` // after the first request sent
	GatehouseCounts   *gatehouseCounts `json:"gatehouse_metrics,omitempty"`
	MetricsNote       string           `json:"metrics_note,omitempty"`
	Valid             bool             `json:"valid"`
	Problems          []string         `json:"problems,omitempty"`
}

func (r *throttleReport) problem(msg string) {
	r.Problems = append(r.Problems, msg)
	if strings.HasPrefix(msg, "INVALID") {
		r.Valid = false
	}
}

func (r *throttleReport) writeJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// runThrottle starts gatehouse with one key in a plan of rate and burst,
// drives the MOCK route with o.Connections clients for o.Duration, and
// reports admitted against rate×t + burst.
func (b *bench) runThrottle(ctx context.Context) (*throttleReport, error) {
	o := b.opts
	r := &throttleReport{
		Version: throttleReportVersion, Command: commandLine(), Machine: machineInfo(), Options: o,
		Rate: o.ThrottleRate, Burst: o.ThrottleBurst, Connections: o.Connections, Duration: o.Duration.Seconds(),
		Valid: true,
	}
	var err error
	if b.dir, err = os.MkdirTemp("", "gatehouse-bench-"); err != nil {
		return nil, err
	}
	gh, cmdline, err := b.launchGatehouse(ctx, "gatehouse")
	if err != nil {
		return nil, err
	}
	r.Gatehouse = cmdline
	if err := gh.configure(ctx, apiSpec{Rate: o.ThrottleRate, Burst: int32(o.ThrottleBurst)}); err != nil {
		return nil, err
	}
	b.keys = newKeys(1)
	key := b.keys[0]
	if _, _, err := gh.admin.importKeys(ctx, gh.api.PlanID, b.keys, 1, io.Discard); err != nil {
		return nil, fmt.Errorf("import key: %w (log: %s)", err, gh.proc.log)
	}
	url := gh.invokeURL + mockPath
	fmt.Printf("verifying gatehouse (POST /%s with the key: 200; without: 403) …\n", mockPath)
	if err := verify(ctx, []probe{
		{name: "mock, the key", method: http.MethodPost, url: url, key: key, wantStatus: 200, wantBody: mockBody},
		{name: "mock, no key", method: http.MethodPost, url: url, wantStatus: 403},
	}, o.ReadyTimeout); err != nil {
		if ctx.Err() != nil {
			return nil, errInterrupted
		}
		return nil, fmt.Errorf("%w (log: %s)", err, gh.proc.log)
	}

	clients, err := dialClients(ctx, url, o.Connections)
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, c := range clients {
			c.CloseIdleConnections()
		}
	}()
	before, beforeErr := gh.scrapeCounts(ctx)

	// Verification took tokens from the key's bucket; an empty bucket is
	// full again after burst/rate.
	refill := time.Duration(float64(o.ThrottleBurst)/o.ThrottleRate*float64(time.Second)) + refillMargin
	fmt.Printf("waiting %v for the key's bucket to be full …\n", refill.Round(time.Millisecond))
	select {
	case <-ctx.Done():
		return nil, errInterrupted
	case <-time.After(refill):
	}

	fmt.Printf("throttle run: 1 key, rate %g/s burst %d, %d connections, %v …\n", o.ThrottleRate, o.ThrottleBurst, o.Connections, o.Duration)
	stats := drive(ctx, clients, url, key, o.Duration)
	if ctx.Err() != nil {
		return nil, errInterrupted
	}
	var admittedSent []time.Duration
	for _, s := range stats {
		r.Requests += s.sent
		r.Admitted += s.admitted
		r.Throttled += s.throttled
		r.NoAnswer += s.errs
		for st, n := range s.other {
			if r.OtherStatus == nil {
				r.OtherStatus = map[string]int64{}
			}
			r.OtherStatus[strconv.Itoa(st)] += n
		}
		admittedSent = append(admittedSent, s.admittedSent...)
		if s.firstErr != "" && !slices.ContainsFunc(r.Problems, func(p string) bool { return strings.Contains(p, s.firstErr) }) {
			r.problem("INVALID: a request got no answer: " + s.firstErr)
		}
	}
	w, ok := mergeWindow(stats)
	admitted := r.Admitted
	r.throttleFigures = computeThrottle(o.ThrottleRate, o.ThrottleBurst, w, admitted)
	if ok {
		slices.Sort(admittedSent)
		r.AdmittedPerSecond = perSecond(admittedSent, w.FirstSent)
		if len(admittedSent) > 0 {
			r.LastAdmittedSent = (admittedSent[len(admittedSent)-1] - w.FirstSent).Seconds()
		}
	} else {
		r.problem("INVALID: no request was answered")
	}
	if r.NoAnswer > 0 {
		r.problem(fmt.Sprintf("INVALID: %d requests got no answer", r.NoAnswer))
	}
	if len(r.OtherStatus) > 0 {
		r.problem(fmt.Sprintf("INVALID: answers other than 200 and 429: %v", r.OtherStatus))
	}
	r.crossCheck(ctx, gh, before, beforeErr)
	r.print(os.Stdout)
	return r, nil
}

// crossCheck reads gatehouse's own counts of the run (the difference
// between a scrape before and one after) and compares them with the
// clients'. The counters are updated as each answer is sent, so it polls
// until they reach the clients' total or metricsSettle passes.
func (r *throttleReport) crossCheck(ctx context.Context, gh *gatehouseNode, before gatehouseCounts, beforeErr error) {
	if beforeErr != nil {
		r.MetricsNote = "no /metrics before the run (" + beforeErr.Error() + ")"
		return
	}
	deadline := time.Now().Add(metricsSettle)
	for {
		after, err := gh.scrapeCounts(ctx)
		if err != nil {
			r.MetricsNote = "no /metrics after the run (" + err.Error() + ")"
			return
		}
		d := after.minus(before)
		r.GatehouseCounts = &d
		if d.Admitted+d.Throttled >= float64(r.Admitted+r.Throttled) || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
	d := r.GatehouseCounts
	if d.Admitted != float64(r.Admitted) || d.Throttled != float64(r.Throttled) {
		r.problem(fmt.Sprintf("INVALID: gatehouse counted %.0f admitted and %.0f throttled, the clients %d and %d",
			d.Admitted, d.Throttled, r.Admitted, r.Throttled))
	}
	if n := d.ByLimit["account"]; n > 0 {
		r.problem(fmt.Sprintf("WARNING: the account-level limit refused %.0f requests; the plan's bucket had admitted them, so they are missing from the admitted count", n))
	}
}

// scrapeCounts reads gatehouse's counts for the node's API and stage.
func (gh *gatehouseNode) scrapeCounts(ctx context.Context) (gatehouseCounts, error) {
	text, err := gh.admin.scrapeMetrics(ctx)
	if err != nil {
		return gatehouseCounts{}, err
	}
	samples, err := parsePromText(text, metricRequests, metricThrottled)
	if err != nil {
		return gatehouseCounts{}, err
	}
	return countGatehouse(samples, gh.api.APIID, benchStage), nil
}

// dialClients returns n clients, each with its own transport and so its
// own keep-alive connection, connected by a request without a key: it is
// refused (403) before the throttle, so the key's bucket is untouched and
// no connect time falls inside the measured window.
func dialClients(ctx context.Context, url string, n int) ([]*http.Client, error) {
	clients := make([]*http.Client, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range clients {
		clients[i] = &http.Client{
			Timeout: 30 * time.Second,
			Transport: &http.Transport{
				MaxIdleConnsPerHost: 1, MaxConnsPerHost: 1,
				DisableCompression: true, ForceAttemptHTTP2: false,
			},
		}
		wg.Go(func() {
			p := probe{method: http.MethodPost, url: url, wantStatus: 403}
			if msg := p.check(ctx, clients[i]); msg != "" {
				errs[i] = errors.New(msg)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("connecting %d clients: %w", n, err)
	}
	return clients, nil
}

// drive runs the clients against url with key until d has passed since
// they were released together, each sending its next request when its
// previous answer is in, and returns what each saw.
func drive(ctx context.Context, clients []*http.Client, url, key string, d time.Duration) []clientStats {
	stats := make([]clientStats, len(clients))
	start := make(chan struct{})
	var base time.Time
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() {
			<-start
			stats[i] = runClient(ctx, c, url, key, base, d)
		})
	}
	base = time.Now()
	close(start)
	wg.Wait()
	return stats
}

// runClient is one client's loop. It stops at the first request without
// an answer: the run is invalid then anyway.
func runClient(ctx context.Context, c *http.Client, url, key string, base time.Time, d time.Duration) clientStats {
	var s clientStats
	hdr := http.Header{"Content-Type": {"application/json"}, "X-Api-Key": {key}}
	for ctx.Err() == nil {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader("{}"))
		if err != nil {
			s.errs++
			s.firstErr = err.Error()
			return s
		}
		req.Header = hdr // the transport only reads it
		sent := time.Since(base)
		if sent >= d {
			return s
		}
		if s.sent == 0 {
			s.firstSent = sent
		}
		s.sent++
		s.lastSent = sent
		resp, err := c.Do(req)
		if err == nil {
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		recv := time.Since(base)
		if err != nil {
			s.errs++
			if ctx.Err() == nil {
				s.firstErr = err.Error()
			}
			return s
		}
		if s.lastRecv == 0 {
			s.firstRecv = recv
		}
		s.lastRecv = recv
		switch resp.StatusCode {
		case http.StatusOK:
			s.admitted++
			s.admittedSent = append(s.admittedSent, sent)
		case http.StatusTooManyRequests:
			s.throttled++
		default:
			if s.other == nil {
				s.other = map[int]int64{}
			}
			s.other[resp.StatusCode]++
		}
	}
	return s
}

// print writes the throttle run's result.
func (r *throttleReport) print(w io.Writer) {
	fmt.Fprintf(w, "\n== Gatehouse throttle accuracy ==\n")
	fmt.Fprintf(w, "command:  %s\n", r.Command)
	fmt.Fprintf(w, "machine:  %d CPUs, %s, Linux %s, %s\n", r.Machine.CPUs, r.Machine.CPUModel, r.Machine.Kernel, r.Machine.GoVersion)
	fmt.Fprintf(w, "date:     %s\n", r.Machine.Date)
	fmt.Fprintf(w, "node:     %s\n", r.Gatehouse)
	fmt.Fprintf(w, "gateway:  1 API key, usage plan throttle rate %g/s burst %d, no quota; POST /%s (MOCK)\n", r.Rate, r.Burst, mockPath)
	fmt.Fprintf(w, "load:     %d Go clients, one keep-alive connection each, %v\n\n", r.Connections, time.Duration(r.Duration*float64(time.Second)))

	if !r.Measured {
		fmt.Fprintf(w, "nothing measured\n")
	} else {
		fmt.Fprintf(w, "%-34s %g/s\n", "rate", r.Rate)
		fmt.Fprintf(w, "%-34s %d\n", "burst", r.Burst)
		fmt.Fprintf(w, "%-34s %d\n", "connections", r.Connections)
		fmt.Fprintf(w, "%-34s %d (%.0f/s)\n", "requests", r.Requests, float64(r.Requests)/max(r.T, 1e-9))
		fmt.Fprintf(w, "%-34s %.6f s   (server-side window %.6f–%.6f s: RTT %.2f ms at the start, %.2f ms at the end)\n",
			"t (first sent → last sent)", r.T, r.TLo, r.THi, r.EdgeFirstS*1e3, r.EdgeLastS*1e3)
		fmt.Fprintf(w, "%-34s %.2f   (%.2f–%.2f over the server-side window)\n", "expected = rate×t + burst", r.Expected, r.ExpectedLo, r.ExpectedHi)
		exact := "yes"
		if !r.GCRAExact {
			exact = "NO"
		}
		fmt.Fprintf(w, "%-34s %d   (exact GCRA: %d–%d; within: %s)\n", "admitted (200)", r.Admitted, r.GCRAMin, r.GCRAMax, exact)
		fmt.Fprintf(w, "%-34s %d\n", "throttled (429)", r.Throttled)
		var per []string
		for _, n := range r.AdmittedPerSecond {
			per = append(per, strconv.FormatInt(n, 10))
		}
		fmt.Fprintf(w, "%-34s %s   (last admitted sent at %.3f s)\n", "admitted per second (by send time)", strings.Join(per, " "), r.LastAdmittedSent)
		switch {
		case r.GatehouseCounts != nil:
			g := r.GatehouseCounts
			fmt.Fprintf(w, "%-34s admitted %.0f, throttled %.0f %s; throttled_total %.0f %s\n", "gatehouse /metrics (this run)",
				g.Admitted, g.Throttled, labelList(g.ByReason), g.ThrottledTotal, labelList(g.ByLimit))
		case r.MetricsNote != "":
			fmt.Fprintf(w, "%-34s n/a: %s\n", "gatehouse /metrics", r.MetricsNote)
		}
		fmt.Fprintf(w, "\n%-34s %+.3f %%   (target ±%.1f %%)  %s\n", "error = (admitted − expected)/expected",
			r.ErrorPct, r.TargetPct, map[bool]string{true: "PASS", false: "FAIL"}[r.Pass])
	}
	printVerdict(w, r.Problems, r.Valid)
}

// labelList formats counts by label value as (a 1, b 2), sorted.
func labelList(m map[string]float64) string {
	if len(m) == 0 {
		return "()"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %.0f", k, m[k])
	}
	return "(" + strings.Join(parts, ", ") + ")"
}
