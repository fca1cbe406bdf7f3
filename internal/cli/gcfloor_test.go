package cli

import (
	"bytes"
	"log/slog"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

// TestStartGCFloor: the floor sets GOGC above Go's default while the heap
// is small, unless the environment already chose a policy, which is said
// in the log.
func TestStartGCFloor(t *testing.T) {
	gogc := func() int { p := debug.SetGCPercent(100); debug.SetGCPercent(p); return p }
	before := gogc()
	tests := []struct {
		name    string
		env     map[string]string
		mib     uint64
		raised  bool
		wantLog string
	}{
		{name: "default floor", mib: defaultGCFloorMiB, raised: true},
		{name: "GOGC set", env: map[string]string{"GOGC": "200"}, mib: defaultGCFloorMiB, wantLog: "the environment sets GOGC"},
		{name: "GOMEMLIMIT set", env: map[string]string{"GOMEMLIMIT": "1GiB"}, mib: defaultGCFloorMiB, wantLog: "the environment sets GOMEMLIMIT"},
		{name: "turned off", mib: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The floor tunes from the live heap the last collection
			// measured; collect now, so that it is this process's live heap
			// and not a peak left over from the tests that ran before.
			runtime.GC()
			var logs bytes.Buffer
			f := startGCFloor(tt.mib, func(k string) string { return tt.env[k] }, slog.New(slog.NewTextHandler(&logs, nil)))
			got := gogc()
			f.Stop()
			if raised := got > before; raised != tt.raised {
				t.Errorf("GOGC while running = %d (before %d); raised = %v, want %v", got, before, raised, tt.raised)
			}
			if after := gogc(); after != before {
				t.Errorf("GOGC after Stop = %d, want %d", after, before)
			}
			if tt.wantLog != "" && !strings.Contains(logs.String(), tt.wantLog) {
				t.Errorf("log = %q, want it to say %q", logs.String(), tt.wantLog)
			}
			if tt.wantLog == "" && logs.Len() > 0 {
				t.Errorf("unexpected log: %q", logs.String())
			}
		})
	}
}
