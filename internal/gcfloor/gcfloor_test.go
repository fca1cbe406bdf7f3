package gcfloor

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

const mib = 1 << 20

func TestPercent(t *testing.T) {
	tests := []struct {
		name        string
		floor, live uint64
		want        int
	}{
		// The runtime's minimum heap (4 MiB at GOGC=100) scales with GOGC:
		// 1600 makes it 64 MiB, the floor.
		{"small live heap: the scaled minimum heap is the floor", 64 * mib, 1 * mib, 1600},
		{"nothing live yet", 64 * mib, 0, 1600},
		{"a few bytes live", 64 * mib, 10, 1600},
		{"a quarter of the floor: live × (1 + p/100) is the floor", 64 * mib, 16 * mib, 300},
		{"half the floor: Go's default reaches it", 64 * mib, 32 * mib, basePercent},
		{"past the floor", 64 * mib, 400 * mib, basePercent},
		{"just under half: never below the default", 64 * mib, 32*mib - 1, basePercent},
		{"a floor under Go's minimum heap changes nothing", 2 * mib, 100, basePercent},
		{"a huge floor is bounded", 1 << 50, 1 * mib, maxPercent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Percent(tt.floor, tt.live); got != tt.want {
				t.Errorf("Percent(%d, %d) = %d, want %d", tt.floor, tt.live, got, tt.want)
			}
		})
	}
}

// gogc reads the GOGC in force.
func gogc() int {
	p := debug.SetGCPercent(basePercent)
	debug.SetGCPercent(p)
	return p
}

func heapGoal() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/goal:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// collect runs a garbage collection and waits for the floor to retune
// after it.
func collect(t *testing.T, tuned <-chan int) int {
	t.Helper()
	runtime.GC()
	select {
	case p := <-tuned:
		return p
	case <-time.After(10 * time.Second):
		t.Fatal("the floor did not retune within 10 s of a garbage collection")
		return 0
	}
}

// TestFloorRaisesTheGoal: with little live data, the heap goal after a
// collection is the floor, not Go's 4 MiB minimum; Stop restores GOGC.
func TestFloorRaisesTheGoal(t *testing.T) {
	before := gogc()
	tuned := make(chan int, 16)
	const floor = 256 * mib
	f := start(floor, func(p int) { tuned <- p })
	<-tuned // the tuning Start does at once
	p := collect(t, tuned)
	if p <= basePercent {
		t.Fatalf("GOGC after a collection with a small live heap = %d, want above %d", p, basePercent)
	}
	if goal := heapGoal(); goal < floor*9/10 || goal > floor*11/10 {
		t.Errorf("heap goal = %d MiB, want about the %d MiB floor", goal/mib, floor/mib)
	}
	// Again after the next cycle: the finalizer re-arms itself.
	if p2 := collect(t, tuned); p2 <= basePercent {
		t.Errorf("second collection: GOGC = %d, want above %d", p2, basePercent)
	}
	f.Stop()
	if got := gogc(); got != before {
		t.Errorf("GOGC after Stop = %d, want %d as before Start", got, before)
	}
	if goal := heapGoal(); goal >= floor/2 {
		// SetGCPercent recomputes the goal at once.
		t.Errorf("heap goal after Stop = %d MiB, still near the floor", goal/mib)
	}
}

// TestFloorYieldsToALargeLiveHeap: once the live heap is past half the
// floor, Go's default pacing is back.
func TestFloorYieldsToALargeLiveHeap(t *testing.T) {
	tuned := make(chan int, 16)
	f := start(8*mib, func(p int) { tuned <- p })
	defer f.Stop()
	<-tuned
	live := make([]byte, 16*mib)
	if p := collect(t, tuned); p != basePercent {
		t.Errorf("GOGC with 16 MiB live and an 8 MiB floor = %d, want %d", p, basePercent)
	}
	runtime.KeepAlive(live)
}

// TestZeroFloor does nothing.
func TestZeroFloor(t *testing.T) {
	before := gogc()
	f := start(0, func(int) { t.Error("a zero floor tuned GOGC") })
	runtime.GC()
	if got := gogc(); got != before {
		t.Errorf("GOGC = %d after a zero floor, want %d", got, before)
	}
	f.Stop()
	if got := gogc(); got != before {
		t.Errorf("GOGC = %d after stopping a zero floor, want %d", got, before)
	}
}
