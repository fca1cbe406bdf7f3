package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestComputeThrottle(t *testing.T) {
	ms := time.Millisecond
	// Ten seconds between the first and the last request sent, 1 ms and
	// 2 ms answers at the edges.
	tenSeconds := window{FirstSent: 0, LastSent: 10 * time.Second, FirstRecv: ms, LastRecv: 10*time.Second + 2*ms}
	tests := []struct {
		name     string
		rate     float64
		burst    int
		w        window
		admitted int64
		want     throttleFigures
	}{
		{
			name: "exactly rate×t + burst", rate: 100, burst: 50, w: tenSeconds, admitted: 1050,
			want: throttleFigures{
				T: 10, TLo: 9.999, THi: 10.002, Expected: 1050, ExpectedLo: 1049.9, ExpectedHi: 1050.2,
				ErrorPct: 0, TargetPct: 0.5, Pass: true, GCRAMin: 1049, GCRAMax: 1050, GCRAExact: true,
				EdgeFirstS: 0.001, EdgeLastS: 0.002, Admitted: 1050, Measured: true,
			},
		},
		{
			name: "+5 is inside ±0.5 % but not exact GCRA", rate: 100, burst: 50, w: tenSeconds, admitted: 1055,
			want: throttleFigures{
				T: 10, TLo: 9.999, THi: 10.002, Expected: 1050, ExpectedLo: 1049.9, ExpectedHi: 1050.2,
				ErrorPct: 500.0 / 1050, TargetPct: 0.5, Pass: true, GCRAMin: 1049, GCRAMax: 1050,
				EdgeFirstS: 0.001, EdgeLastS: 0.002, Admitted: 1055, Measured: true,
			},
		},
		{
			name: "+6 is outside", rate: 100, burst: 50, w: tenSeconds, admitted: 1056,
			want: throttleFigures{
				T: 10, TLo: 9.999, THi: 10.002, Expected: 1050, ExpectedLo: 1049.9, ExpectedHi: 1050.2,
				ErrorPct: 600.0 / 1050, TargetPct: 0.5, GCRAMin: 1049, GCRAMax: 1050,
				EdgeFirstS: 0.001, EdgeLastS: 0.002, Admitted: 1056, Measured: true,
			},
		},
		{
			name: "−6 is outside", rate: 100, burst: 50, w: tenSeconds, admitted: 1044,
			want: throttleFigures{
				T: 10, TLo: 9.999, THi: 10.002, Expected: 1050, ExpectedLo: 1049.9, ExpectedHi: 1050.2,
				ErrorPct: -600.0 / 1050, TargetPct: 0.5, GCRAMin: 1049, GCRAMax: 1050,
				EdgeFirstS: 0.001, EdgeLastS: 0.002, Admitted: 1044, Measured: true,
			},
		},
		{
			name: "fractional rate and t", rate: 2.5, burst: 1, admitted: 26,
			w: window{FirstSent: 100 * ms, LastSent: 10100 * ms, FirstRecv: 150 * ms, LastRecv: 10500 * ms},
			want: throttleFigures{
				T: 10, TLo: 9.95, THi: 10.4, Expected: 26, ExpectedLo: 25.875, ExpectedHi: 27,
				ErrorPct: 0, TargetPct: 0.5, Pass: true, GCRAMin: 25, GCRAMax: 27, GCRAExact: true,
				EdgeFirstS: 0.05, EdgeLastS: 0.4, Admitted: 26, Measured: true,
			},
		},
		{
			name: "a run shorter than its first answer has a zero lower bound", rate: 100, burst: 50, admitted: 50,
			w: window{FirstSent: 0, LastSent: 5 * ms, FirstRecv: 8 * ms, LastRecv: 9 * ms},
			want: throttleFigures{
				T: 0.005, TLo: 0, THi: 0.009, Expected: 50.5, ExpectedLo: 50, ExpectedHi: 50.9,
				ErrorPct: -50 / 50.5, TargetPct: 0.5, GCRAMin: 50, GCRAMax: 50, GCRAExact: true,
				EdgeFirstS: 0.008, EdgeLastS: 0.004, Admitted: 50, Measured: true,
			},
		},
		{
			name: "nothing answered", rate: 100, burst: 50, w: window{}, admitted: 0,
			want: throttleFigures{TargetPct: 0.5},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := computeThrottle(tt.rate, tt.burst, tt.w, tt.admitted)
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
				t.Errorf("computeThrottle (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMergeWindow(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name   string
		stats  []clientStats
		want   window
		wantOK bool
	}{
		{name: "no clients"},
		{name: "no answer", stats: []clientStats{{sent: 1, firstSent: ms, lastSent: ms}}},
		{
			name:   "one client",
			stats:  []clientStats{{sent: 3, firstSent: ms, lastSent: 9 * ms, firstRecv: 2 * ms, lastRecv: 10 * ms}},
			want:   window{FirstSent: ms, LastSent: 9 * ms, FirstRecv: 2 * ms, LastRecv: 10 * ms},
			wantOK: true,
		},
		{
			name: "earliest and latest of each over the clients; silent ones left out",
			stats: []clientStats{
				{sent: 3, firstSent: 2 * ms, lastSent: 9 * ms, firstRecv: 3 * ms, lastRecv: 12 * ms},
				{},
				{sent: 3, firstSent: ms, lastSent: 11 * ms, firstRecv: 4 * ms, lastRecv: 11500 * time.Microsecond},
				{sent: 2, firstSent: 5 * ms, lastSent: 6 * ms, firstRecv: 2500 * time.Microsecond, lastRecv: 7 * ms},
			},
			want:   window{FirstSent: ms, LastSent: 11 * ms, FirstRecv: 2500 * time.Microsecond, LastRecv: 12 * ms},
			wantOK: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := mergeWindow(tt.stats)
			if ok != tt.wantOK || got != tt.want {
				t.Errorf("mergeWindow = %+v, %v; want %+v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestPerSecond(t *testing.T) {
	s := time.Second
	tests := []struct {
		name  string
		times []time.Duration
		from  time.Duration
		want  []int64
	}{
		{name: "none"},
		{name: "buckets from 'from'", times: []time.Duration{s, s + s/2, 2*s - 1, 2 * s, 4*s + s/3}, from: s, want: []int64{3, 1, 0, 1}},
		{name: "before 'from' is left out", times: []time.Duration{0, s}, from: s / 2, want: []int64{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, perSecond(tt.times, tt.from)); diff != "" {
				t.Errorf("perSecond (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParsePromText(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		names   []string
		want    []promSample
		wantErr string
	}{
		{
			name: "client_golang exposition, other metrics skipped",
			text: "# HELP gatehouse_gateway_requests_total Data plane requests.\n" +
				"# TYPE gatehouse_gateway_requests_total counter\n" +
				`gatehouse_gateway_requests_total{api="a1",reason="OK",stage="bench",status="200"} 1050` + "\n" +
				`gatehouse_gateway_requests_total{api="a1",reason="THROTTLED_PLAN",stage="bench",status="429"} 1.234567e+06` + "\n" +
				`gatehouse_gateway_request_duration_seconds_bucket{api="a1",stage="bench",le="0.0001"} 7` + "\n" +
				"go_memstats_heap_inuse_bytes 1.2e+07\n\n",
			names: []string{metricRequests, metricThrottled},
			want: []promSample{
				{Name: metricRequests, Labels: map[string]string{"api": "a1", "reason": "OK", "stage": "bench", "status": "200"}, Value: 1050},
				{Name: metricRequests, Labels: map[string]string{"api": "a1", "reason": "THROTTLED_PLAN", "stage": "bench", "status": "429"}, Value: 1234567},
			},
		},
		{
			name: "no labels, a timestamp, escapes, spaces and a trailing comma",
			text: "up 1 1700000000000\n" +
				`x{a="q\"uo\\te\nd" , b="}{,=" ,} 2` + "\n",
			want: []promSample{
				{Name: "up", Labels: map[string]string{}, Value: 1},
				{Name: "x", Labels: map[string]string{"a": "q\"uo\\te\nd", "b": "}{,="}, Value: 2},
			},
		},
		{name: "bad value", text: `x{a="b"} many` + "\n", wantErr: "line 1 (x)"},
		{name: "no value", text: "# c\nx{a=\"b\"}\n", wantErr: "line 2 (x): want a value"},
		{name: "unterminated label value", text: `x{a="b} 1` + "\n", wantErr: "unterminated"},
		{name: "unquoted label value", text: `x{a=b} 1` + "\n", wantErr: "not quoted"},
		{name: "unknown escape", text: `x{a="\t"} 1` + "\n", wantErr: "unknown escape"},
		{name: "label without '='", text: `x{a} 1` + "\n", wantErr: "without a name"},
		{name: "malformed but not wanted", text: `y{a=b} 1` + "\n", names: []string{"x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parsePromText([]byte(tt.text), tt.names...)
			if checkErr(t, err, tt.wantErr) {
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parsePromText (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCountGatehouse(t *testing.T) {
	req := func(api, stage, status, reason string, v float64) promSample {
		return promSample{Name: metricRequests, Labels: map[string]string{"api": api, "stage": stage, "status": status, "reason": reason}, Value: v}
	}
	thr := func(api, stage, limit string, v float64) promSample {
		return promSample{Name: metricThrottled, Labels: map[string]string{"api": api, "stage": stage, "limit": limit}, Value: v}
	}
	tests := []struct {
		name    string
		samples []promSample
		want    gatehouseCounts
	}{
		{
			name:    "nothing yet",
			samples: []promSample{req("other", "bench", "200", "OK", 9)},
			want:    gatehouseCounts{ByReason: map[string]float64{}, ByLimit: map[string]float64{}},
		},
		{
			name: "only this API and stage; 403s left out; 429 reasons and limits summed",
			samples: []promSample{
				req("a1", "bench", "200", "OK", 1050),
				req("a1", "bench", "403", "KEY_MISSING", 64),
				req("a1", "bench", "429", "THROTTLED_PLAN", 90000),
				req("a1", "bench", "429", "THROTTLED_ACCOUNT", 3),
				req("a1", "prod", "200", "OK", 7),
				req("a2", "bench", "429", "THROTTLED_PLAN", 5),
				thr("a1", "bench", "plan", 90000),
				thr("a1", "bench", "account", 3),
				thr("a2", "bench", "plan", 5),
			},
			want: gatehouseCounts{
				Admitted: 1050, Throttled: 90003,
				ByReason:       map[string]float64{"THROTTLED_PLAN": 90000, "THROTTLED_ACCOUNT": 3},
				ThrottledTotal: 90003,
				ByLimit:        map[string]float64{"plan": 90000, "account": 3},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, countGatehouse(tt.samples, "a1", "bench")); diff != "" {
				t.Errorf("countGatehouse (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGatehouseCountsMinus(t *testing.T) {
	before := gatehouseCounts{
		Admitted: 4, Throttled: 1, ThrottledTotal: 1,
		ByReason: map[string]float64{"THROTTLED_PLAN": 1}, ByLimit: map[string]float64{"plan": 1},
	}
	after := gatehouseCounts{
		Admitted: 1054, Throttled: 90004, ThrottledTotal: 90004,
		ByReason: map[string]float64{"THROTTLED_PLAN": 90001, "THROTTLED_ACCOUNT": 3},
		ByLimit:  map[string]float64{"plan": 90001, "account": 3, "stage_method": 0},
	}
	want := gatehouseCounts{
		Admitted: 1050, Throttled: 90003, ThrottledTotal: 90003,
		ByReason: map[string]float64{"THROTTLED_PLAN": 90000, "THROTTLED_ACCOUNT": 3},
		ByLimit:  map[string]float64{"plan": 90000, "account": 3},
	}
	if diff := cmp.Diff(want, after.minus(before)); diff != "" {
		t.Errorf("minus (-want +got):\n%s", diff)
	}
}

func TestParseFlagsThrottle(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    *options // only the fields compared below
		wantErr string
	}{
		{name: "defaults", args: []string{"--throttle"}, want: &options{Throttle: true, ThrottleRate: 100, ThrottleBurst: 50, Connections: 64, Duration: 10 * time.Second}},
		{name: "changed", args: []string{"--throttle", "--throttle-rate", "2.5", "--throttle-burst", "7", "--connections", "8", "--duration", "3s"},
			want: &options{Throttle: true, ThrottleRate: 2.5, ThrottleBurst: 7, Connections: 8, Duration: 3 * time.Second}},
		{name: "the load run carries no throttle settings", args: nil, want: &options{Connections: 64, Duration: 5 * time.Second}},
		{name: "a load-run flag is refused", args: []string{"--throttle", "--rounds", "5"}, wantErr: "--rounds does not apply"},
		{name: "rate without --throttle", args: []string{"--throttle-rate", "5"}, wantErr: "need --throttle"},
		{name: "zero rate", args: []string{"--throttle", "--throttle-rate", "0"}, wantErr: "--throttle-rate 0"},
		{name: "zero burst", args: []string{"--throttle", "--throttle-burst", "0"}, wantErr: "--throttle-burst 0"},
		{name: "no connections", args: []string{"--throttle", "--connections", "0"}, wantErr: "--connections 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseFlags(tt.args)
			if checkErr(t, err, tt.wantErr) {
				return
			}
			got := &options{Throttle: o.Throttle, ThrottleRate: o.ThrottleRate, ThrottleBurst: o.ThrottleBurst, Connections: o.Connections, Duration: o.Duration}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseFlags (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDrive runs the load generator against a server that admits its
// first n requests and throttles the rest: every request is counted once,
// each client keeps one connection, and the window's times are ordered as
// sends and answers must be.
func TestDrive(t *testing.T) {
	const n, clients = 25, 4
	var served, conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Api-Key") == "" {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		io.Copy(io.Discard, r.Body)
		if served.Add(1) <= n {
			io.WriteString(w, mockBody)
			return
		}
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()

	ctx := context.Background()
	cs, err := dialClients(ctx, srv.URL, clients)
	if err != nil {
		t.Fatal(err)
	}
	const d = 200 * time.Millisecond
	stats := drive(ctx, cs, srv.URL, "k", d)

	var sent, admitted, throttled int64
	for i, s := range stats {
		if s.errs != 0 || len(s.other) != 0 {
			t.Errorf("client %d: %d errors (%s), other statuses %v", i, s.errs, s.firstErr, s.other)
		}
		if s.sent != s.admitted+s.throttled {
			t.Errorf("client %d: sent %d ≠ admitted %d + throttled %d", i, s.sent, s.admitted, s.throttled)
		}
		if int64(len(s.admittedSent)) != s.admitted {
			t.Errorf("client %d: %d admitted send times for %d admitted", i, len(s.admittedSent), s.admitted)
		}
		sent, admitted, throttled = sent+s.sent, admitted+s.admitted, throttled+s.throttled
	}
	if admitted != n || sent != served.Load() || throttled != served.Load()-n {
		t.Errorf("admitted %d, throttled %d, sent %d; want %d, %d, %d", admitted, throttled, sent, n, served.Load()-n, served.Load())
	}
	if got := conns.Load(); got != clients {
		t.Errorf("server saw %d connections, want %d (one per client, kept alive)", got, clients)
	}
	w, ok := mergeWindow(stats)
	if !ok {
		t.Fatal("mergeWindow: no answer")
	}
	if !(w.FirstSent >= 0 && w.FirstSent < w.FirstRecv && w.LastSent < w.LastRecv && w.LastSent < d && w.FirstRecv <= w.LastRecv) {
		t.Errorf("window %+v is not ordered as sends and answers are (run %v)", w, d)
	}
	if w.LastSent < d/2 {
		t.Errorf("last request sent at %v of a %v run", w.LastSent, d)
	}
}
