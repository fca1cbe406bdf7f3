package server

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// What a node of a cluster reports on /metrics about its shared engines:
// the counters' round trips to Redis (by op) and lease refills, and how
// far behind the other nodes' configuration changes it is.
const (
	metricCounterRoundTrips = "gatehouse_counters_round_trips_total"
	metricLeaseRefills      = "gatehouse_counters_lease_refills_total"
	metricLeaseLocalTakes   = "gatehouse_counters_lease_local_takes_total"
	metricFeedLag           = "gatehouse_store_feed_lag_seconds"
	metricFeedRevision      = "gatehouse_store_feed_revision"
)

// counterStatser is a shared counters backend (Redis) that counts its
// round trips.
type counterStatser interface {
	CounterStats() (byOp map[string]int64, leaseRefills, leaseLocalTakes int64)
}

// feedObserver is a store shared by nodes (PostgreSQL) whose change feed
// reports its lag.
type feedObserver interface {
	ObserveFeed(func(rev int64, lag time.Duration))
	PublishedRevision() int64
}

// counterCollector reads a counterStatser at each scrape.
type counterCollector struct {
	c                         counterStatser
	trips, refills, localTake *prometheus.Desc
}

func (cc *counterCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- cc.trips
	ch <- cc.refills
	ch <- cc.localTake
}

func (cc *counterCollector) Collect(ch chan<- prometheus.Metric) {
	byOp, refills, local := cc.c.CounterStats()
	for op, n := range byOp {
		ch <- prometheus.MustNewConstMetric(cc.trips, prometheus.CounterValue, float64(n), op)
	}
	ch <- prometheus.MustNewConstMetric(cc.refills, prometheus.CounterValue, float64(refills))
	ch <- prometheus.MustNewConstMetric(cc.localTake, prometheus.CounterValue, float64(local))
}

// registerClusterMetrics adds the counters' and the feed's metrics to
// the node's registry, for the engines that have them.
func (s *Server) registerClusterMetrics() {
	if c, ok := s.Counters.(counterStatser); ok {
		s.Registry.MustRegister(&counterCollector{
			c: c,
			trips: prometheus.NewDesc(metricCounterRoundTrips,
				"Round trips this node made to the shared counters (Redis), by op: throttle, lease_take, lease_return, quota_peek, quota_set, quota_adjust, quota_seed, quota_reclaim, usage_record, usage_fold, usage_read, ping.",
				[]string{"op"}, nil),
			refills: prometheus.NewDesc(metricLeaseRefills,
				"Quota leases this node took from the shared counters (each one round trip; the requests in between are admitted from the lease).", nil, nil),
			localTake: prometheus.NewDesc(metricLeaseLocalTakes,
				"Quota takes this node answered from a lease it held, without a round trip.", nil, nil),
		})
	}
	if f, ok := s.Store.(feedObserver); ok {
		lag := prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    metricFeedLag,
			Help:    "Seconds from another node's configuration commit (logged just before COMMIT, by the database's clock) to its application on this node.",
			Buckets: []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10},
		})
		rev := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: metricFeedRevision,
			Help: "The last configuration revision this node applied (its own and other nodes'); a node whose value stays below another's is behind.",
		}, func() float64 { return float64(f.PublishedRevision()) })
		s.Registry.MustRegister(lag, rev)
		f.ObserveFeed(func(_ int64, d time.Duration) { lag.Observe(max(0, d.Seconds())) })
	}
}
