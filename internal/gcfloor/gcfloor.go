package gcfloor

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
)

// basePercent is the GOGC in force once the live heap is past half the
// floor: Go's default.
const basePercent = 100

// maxPercent bounds the GOGC a tiny live heap would call for.
const maxPercent = 100_000

// goMinHeap is the runtime's minimum heap goal at GOGC=100. The runtime
// scales it with GOGC (4 MiB × GOGC/100), so a GOGC set for the floor must
// not scale it past the floor.
const goMinHeap = 4 << 20

// Percent is the GOGC that makes the next cycle's heap goal about
// max(floor, live × 2): the p with live × (1 + p/100) = floor, but no more
// than the p whose scaled minimum heap (goMinHeap × p/100) is the floor.
// It is basePercent when the live heap is already half the floor or more.
func Percent(floor, live uint64) int {
	if live >= floor/2 {
		return basePercent
	}
	limit := floor / goMinHeap * 100
	p := limit
	if live > 0 {
		p = min(p, (floor-live)*100/live)
	}
	return int(min(max(p, basePercent), maxPercent))
}

// Floor is a running heap floor. Stop it to give Go back the GOGC it had.
type Floor struct {
	floor    uint64
	previous int
	stopped  atomic.Bool
	sample   []metrics.Sample
	mu       sync.Mutex // serialises tune with Stop
	percent  int        // the GOGC set last
	// onTune, when set (tests), is called after each tuning with the GOGC
	// in force.
	onTune func(percent int)
}

// Start sets a heap floor of floor bytes until Stop. A floor of 0 does
// nothing (Stop still works).
func Start(floor uint64) *Floor {
	return start(floor, nil)
}

func start(floor uint64, onTune func(int)) *Floor {
	f := &Floor{floor: floor, onTune: onTune, sample: []metrics.Sample{
		{Name: "/gc/heap/live:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"},
	}}
	if floor == 0 {
		f.stopped.Store(true)
		return f
	}
	f.previous = debug.SetGCPercent(basePercent)
	f.percent = basePercent
	f.tune()
	f.arm()
	return f
}

// arm attaches the finalizer that runs after the next garbage collection.
func (f *Floor) arm() {
	s := new([16]byte) // big enough not to share a tiny-allocator block
	runtime.SetFinalizer(s, func(*[16]byte) {
		if f.stopped.Load() {
			return
		}
		f.tune()
		f.arm()
	})
}

// tune sets GOGC for the live heap the last cycle measured.
func (f *Floor) tune() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopped.Load() {
		return
	}
	metrics.Read(f.sample)
	var live uint64
	if f.sample[0].Value.Kind() == metrics.KindUint64 {
		live = f.sample[0].Value.Uint64()
	}
	if live == 0 && f.sample[1].Value.Kind() == metrics.KindUint64 {
		// No cycle has finished yet: what the heap holds now, garbage
		// included, is an upper bound of what is live.
		live = f.sample[1].Value.Uint64()
	}
	p := Percent(f.floor, live)
	// Setting GOGC recomputes the pacer's goal; skip changes too small to
	// matter.
	if p != f.percent && (p == basePercent || p*10 > f.percent*11 || p*10 < f.percent*9) {
		debug.SetGCPercent(p)
		f.percent = p
	}
	if f.onTune != nil {
		f.onTune(f.percent)
	}
}

// Stop ends the floor and restores the GOGC in force before Start.
func (f *Floor) Stop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopped.Swap(true) {
		return
	}
	debug.SetGCPercent(f.previous)
}
