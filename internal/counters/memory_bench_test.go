package counters

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
)

// memoryBenchKeys is the number of (plan, key) pairs BenchmarkLocalMemory
// holds: the one-million-keys deployment the counters are sized for.
const memoryBenchKeys = 1_000_000

// gcTime is the median wall time of a few forced collections: with
// concurrent marking, roughly the cost of marking the live heap once.
func gcTime() time.Duration {
	var ds [5]time.Duration
	for i := range ds {
		start := time.Now()
		runtime.GC()
		ds[i] = time.Since(start)
	}
	slices.Sort(ds[:])
	return ds[len(ds)/2]
}

func heapAlloc() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// heapScannable is the heap the collector must scan for pointers, as of
// the last collection: the part of the mark work the live heap's size
// does not tell.
func heapScannable() uint64 {
	s := []metrics.Sample{{Name: "/gc/scan/heap:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// BenchmarkLocalMemory fills a Local with memoryBenchKeys (plan, key) pairs,
// one throttle bucket and one quota entry each, through the public API
// only, and reports the heap the Local holds per pair ("B/key"), the part
// of it the collector must scan ("scan-B/key"), the collector's wall time
// with the Local live ("gc-ms") and that time less the same collection
// without it ("gc-extra-ms": what the counters add to every GC cycle; wall
// times are noisy on a shared machine, scan-B/key is exact). The key
// strings belong to the caller in the gateway too, so they are allocated
// before the baseline and not counted.
func BenchmarkLocalMemory(b *testing.B) {
	ctx := context.Background()
	th := apigw.Throttle{BurstLimit: 100, RateLimit: 50}
	q := apigw.Quota{Limit: 1 << 40, Period: apigw.PeriodDay}
	plans := make([]string, 8)
	for i := range plans {
		plans[i] = fmt.Sprintf("plan%04d", i)
	}
	ids := benchIDs(memoryBenchKeys)
	keys := make([]BucketKey, len(ids))
	for i, id := range ids {
		keys[i] = PlanKeyBucket(plans[i%len(plans)], id)
	}
	var bytesPerKey, scanPerKey, gcMs, gcExtraMs float64
	for b.Loop() {
		base := heapAlloc()
		scanBase := heapScannable()
		gcBase := gcTime()
		l := NewLocal()
		for i, k := range keys {
			l.Allow(ctx, k, th, t0)
			l.Take(ctx, k.PlanID, ids[i], q, t0)
		}
		held := heapAlloc()
		scan := heapScannable()
		gc := gcTime()
		runtime.KeepAlive(l)
		bytesPerKey = float64(held-base) / memoryBenchKeys
		scanPerKey = (float64(scan) - float64(scanBase)) / memoryBenchKeys
		gcMs = float64(gc) / 1e6
		gcExtraMs = float64(gc-gcBase) / 1e6
	}
	runtime.KeepAlive(keys)
	b.ReportMetric(bytesPerKey, "B/key")
	b.ReportMetric(scanPerKey, "scan-B/key")
	b.ReportMetric(gcMs, "gc-ms")
	b.ReportMetric(gcExtraMs, "gc-extra-ms")
}

// sinkGarbage keeps the garbage BenchmarkRandomKeysParallel makes from
// being optimised away.
var sinkGarbage atomic.Pointer[[]byte]

// BenchmarkRandomKeysParallel is a plan bucket Allow and a quota Take per
// op on keys in random order, as traffic from many clients comes, rather
// than in the order they were created (the other benchmarks walk keys in
// creation order, which suits per-key heap objects laid out in that
// order). With garbage=1KiB each op also allocates 1 KiB, as the rest of a
// request does, so the collector runs and marks whatever the counters keep
// live: the cost the number of keys adds to a gateway under load.
func BenchmarkRandomKeysParallel(b *testing.B) {
	ctx := context.Background()
	th := apigw.Throttle{BurstLimit: 1 << 30, RateLimit: 1e6}
	q := apigw.Quota{Limit: 1 << 40, Period: apigw.PeriodDay}
	for _, n := range []int{1000, 100000, memoryBenchKeys} {
		l, ids, keys := loadedLocal(n, th, q)
		order := rand.New(rand.NewPCG(1, 2)).Perm(n)
		for _, garbage := range []int{0, 1024} {
			b.Run(fmt.Sprintf("keys=%d/garbage=%dB", n, garbage), func(b *testing.B) {
				start := parallelIndex(n)
				b.ReportAllocs()
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					j := start()
					for pb.Next() {
						if j++; j == n {
							j = 0
						}
						i := order[j]
						l.Allow(ctx, keys[i], th, t0)
						l.Take(ctx, "plan0001", ids[i], q, t0)
						if garbage > 0 {
							g := make([]byte, garbage)
							sinkGarbage.Store(&g)
						}
					}
				})
			})
		}
		runtime.KeepAlive(l)
	}
}
