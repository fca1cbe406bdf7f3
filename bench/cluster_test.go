package main

import (
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseFlagsCluster(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    *options // only the fields compared below
		wantErr string
	}{
		{name: "defaults", args: []string{"--cluster"}, want: &options{Cluster: true, Duration: 10 * time.Second, Rounds: 1, Keys: 1000, Connections: 64, Threads: 2,
			ClusterPostgres: defaultClusterPostgres, ClusterRedis: defaultClusterRedis}},
		{name: "changed", args: []string{"--cluster", "--duration", "3s", "--keys", "3", "--connections", "9", "--threads", "3", "--cluster-redis", "redis://127.0.0.1:6380/1"},
			want: &options{Cluster: true, Duration: 3 * time.Second, Rounds: 1, Keys: 3, Connections: 9, Threads: 3, ClusterPostgres: defaultClusterPostgres, ClusterRedis: "redis://127.0.0.1:6380/1"}},
		{name: "the load run carries no cluster settings", args: nil, want: &options{Duration: 5 * time.Second, Rounds: 6, Keys: 1000, Connections: 64, Threads: 2}},
		{name: "a round count is refused", args: []string{"--cluster", "--rounds", "3"}, wantErr: "--rounds does not apply to --cluster"},
		{name: "with --throttle", args: []string{"--cluster", "--throttle"}, wantErr: "--throttle does not apply to --cluster"},
		{name: "targets are refused", args: []string{"--cluster", "--targets", "upstream"}, wantErr: "--targets does not apply to --cluster"},
		{name: "redis without --cluster", args: []string{"--cluster-redis", "redis://x:1"}, wantErr: "--cluster-redis needs --cluster"},
		{name: "postgres without --cluster", args: []string{"--cluster-postgres", "postgres://x/y"}, wantErr: "--cluster-postgres needs --cluster"},
		{name: "not a postgres URL", args: []string{"--cluster", "--cluster-postgres", "mysql://x/y"}, wantErr: `--cluster-postgres "mysql://x/y": want a postgres:// URL`},
		{name: "not a redis URL", args: []string{"--cluster", "--cluster-redis", "http://x"}, wantErr: `--cluster-redis "http://x"`},
		{name: "fewer connections than a thread per node", args: []string{"--cluster", "--connections", "5", "--threads", "2"}, wantErr: "need 1 ≤ threads and 3×threads ≤ connections"},
		{name: "short run", args: []string{"--cluster", "--duration", "500ms"}, wantErr: "--duration 500ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseFlags(tt.args)
			if checkErr(t, err, tt.wantErr) {
				return
			}
			got := &options{Cluster: o.Cluster, Duration: o.Duration, Rounds: o.Rounds, Keys: o.Keys, Connections: o.Connections, Threads: o.Threads,
				ClusterPostgres: o.ClusterPostgres, ClusterRedis: o.ClusterRedis}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseFlags (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSplitWrk(t *testing.T) {
	tests := []struct {
		threads, conns, n int
		wantThreads       int
		wantConns         []int
	}{
		{threads: 2, conns: 64, n: 1, wantThreads: 2, wantConns: []int{64}},
		{threads: 2, conns: 64, n: 3, wantThreads: 1, wantConns: []int{22, 21, 21}},
		{threads: 6, conns: 9, n: 3, wantThreads: 2, wantConns: []int{3, 3, 3}},
	}
	for _, tt := range tests {
		ws := splitWrk(wrkConfig{Threads: tt.threads, Connections: tt.conns, Script: "s", KeysFile: "k"}, tt.n)
		var conns []int
		for _, w := range ws {
			if w.Threads != tt.wantThreads || w.Script != "s" || w.KeysFile != "k" {
				t.Errorf("splitWrk(%d, %d, %d): %+v, want %d threads and the same script and keys", tt.threads, tt.conns, tt.n, w, tt.wantThreads)
			}
			conns = append(conns, w.Connections)
		}
		if diff := cmp.Diff(tt.wantConns, conns); diff != "" {
			t.Errorf("splitWrk(%d, %d, %d) connections (-want +got):\n%s", tt.threads, tt.conns, tt.n, diff)
		}
	}
}

func TestCounterTrips(t *testing.T) {
	exposition := func(take, ret, throttle, usage, peek, refills, local int) []byte {
		return []byte("# HELP gatehouse_counters_round_trips_total x\n" +
			"gatehouse_counters_round_trips_total{op=\"lease_take\"} " + strconv.Itoa(take) + "\n" +
			"gatehouse_counters_round_trips_total{op=\"lease_return\"} " + strconv.Itoa(ret) + "\n" +
			"gatehouse_counters_round_trips_total{op=\"throttle\"} " + strconv.Itoa(throttle) + "\n" +
			"gatehouse_counters_round_trips_total{op=\"usage_record\"} " + strconv.Itoa(usage) + "\n" +
			"gatehouse_counters_round_trips_total{op=\"quota_peek\"} " + strconv.Itoa(peek) + "\n" +
			"gatehouse_counters_lease_refills_total " + strconv.Itoa(refills) + "\n" +
			"gatehouse_counters_lease_local_takes_total " + strconv.Itoa(local) + "\n" +
			"go_goroutines 12\n")
	}
	parse := func(b []byte) []promSample {
		s, err := parsePromText(b, metricRoundTrips, metricLeaseRefill, metricLocalTakes)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	tr := counterTrips{ByOp: map[string]float64{}}
	// Two nodes, each scraped before and after: 4,000 requests in all.
	tr.add(parse(exposition(5, 1, 2000, 1000, 2, 5, 995)), 1)
	tr.add(parse(exposition(1, 0, 0, 0, 0, 1, 0)), -1)
	tr.add(parse(exposition(3, 2, 6000, 3000, 0, 3, 2997)), 1)
	tr.add(parse(exposition(0, 0, 0, 0, 0, 0, 0)), -1)
	want := counterTrips{ByOp: map[string]float64{"lease_take": 7, "lease_return": 3, "throttle": 8000, "usage_record": 4000, "quota_peek": 2}, Refills: 7, LocalTakes: 3992}
	if diff := cmp.Diff(want, tr); diff != "" {
		t.Fatalf("counterTrips (-want +got):\n%s", diff)
	}
	per, quota := perThousand(tr.ByOp, 4000)
	wantPer := map[string]float64{"lease_take": 1.75, "lease_return": 0.75, "throttle": 2000, "usage_record": 1000, "quota_peek": 0.5}
	if diff := cmp.Diff(wantPer, per); diff != "" {
		t.Errorf("perThousand (-want +got):\n%s", diff)
	}
	// lease_take and quota_*, not lease_return (the flush gives leases
	// back, off the request path).
	if quota != 2.25 {
		t.Errorf("quota round trips per 1,000: %v, want 2.25", quota)
	}
	if per, quota := perThousand(tr.ByOp, 0); len(per) != 0 || quota != 0 {
		t.Errorf("perThousand with no requests: %v %v, want nothing", per, quota)
	}
}

func TestClusterCheck(t *testing.T) {
	tests := []struct {
		name      string
		take      float64
		requests  float64
		wantValue float64
		wantPass  bool
		wantValid bool
	}{
		{name: "within", take: 10, requests: 1000, wantValue: 10, wantPass: true, wantValid: true},
		{name: "over", take: 11, requests: 1000, wantValue: 11, wantPass: false, wantValid: true},
		{name: "nothing counted", take: 0, requests: 0, wantValue: 0, wantPass: false, wantValid: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &clusterReport{Valid: true, Single: nodeRun{wrkRun: wrkRun{RPS: 1000}},
				Nodes:    []nodeRun{{wrkRun: wrkRun{RPS: 100}}, {wrkRun: wrkRun{RPS: 200}}, {wrkRun: wrkRun{RPS: 300}}},
				Requests: tt.requests, Trips: counterTrips{ByOp: map[string]float64{"lease_take": tt.take, "lease_return": 50}}}
			r.finish()
			if r.Check.Value != tt.wantValue || r.Check.Pass != tt.wantPass || r.Check.Measured != (tt.requests > 0) || r.Valid != tt.wantValid {
				t.Errorf("check %+v valid %v, want value %v pass %v valid %v", r.Check, r.Valid, tt.wantValue, tt.wantPass, tt.wantValid)
			}
			if r.TotalRPS != 600 || r.TotalRatio != 0.6 || r.PerNodeRatio != 0.2 {
				t.Errorf("total %v, ratios total %v per node %v; want 600, 0.6, 0.2", r.TotalRPS, r.TotalRatio, r.PerNodeRatio)
			}
		})
	}
}

// The cluster's warm-up lasts until every node has taken a lease per key.
func TestLeasesWarm(t *testing.T) {
	refills := func(n int) []promSample {
		s, err := parsePromText([]byte("gatehouse_counters_lease_refills_total "+strconv.Itoa(n)+"\n"), metricLeaseRefill)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	tests := []struct {
		name  string
		nodes [][]promSample
		keys  int
		want  bool
	}{
		{"every node leased every key", [][]promSample{refills(1000), refills(1000), refills(1200)}, 1000, true},
		{"one node short", [][]promSample{refills(1000), refills(999), refills(1200)}, 1000, false},
		{"no refills metric", [][]promSample{nil, nil}, 3, false},
		{"no nodes", nil, 3, false},
	}
	for _, tt := range tests {
		if got := leasesWarm(tt.nodes, tt.keys); got != tt.want {
			t.Errorf("%s: leasesWarm = %v, want %v", tt.name, got, tt.want)
		}
	}
}
