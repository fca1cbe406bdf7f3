package memlock

import (
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseMode(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    Mode
		wantErr bool
	}{
		{"auto", Auto, false}, {"on", Required, false}, {"off", Off, false},
		{"yes", "", true}, {"", "", true}, {"ON", "", true},
	} {
		got, err := ParseMode(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseMode(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), strconv.Quote(tt.in)) {
			t.Errorf("ParseMode(%q) error %q does not name the value", tt.in, err)
		}
	}
}

// TestLockRefused: when the system refuses, Auto goes on and says why,
// Required fails with the same reason, Off never asks.
func TestLockRefused(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("linux only")
	}
	saved := lockAll
	defer func() { lockAll = saved }()
	calls := 0
	lockAll = func() error { calls++; return unix.EPERM }

	locked, reason, err := Lock(Auto)
	if locked || err != nil || !strings.Contains(reason, "CAP_IPC_LOCK") {
		t.Errorf("Lock(Auto) refused = %v, %q, %v; want false, a reason naming CAP_IPC_LOCK, nil", locked, reason, err)
	}
	locked, _, err = Lock(Required)
	if locked || err == nil || !strings.Contains(err.Error(), "--lock-memory=off") {
		t.Errorf("Lock(Required) refused = %v, %v; want false and an error saying how to do without", locked, err)
	}
	before := calls
	if locked, reason, err := Lock(Off); locked || reason != "" || err != nil || calls != before {
		t.Errorf("Lock(Off) = %v, %q, %v after %d calls; want nothing done", locked, reason, err, calls-before)
	}
}

// lockForTest locks this test process's memory for real, or skips the
// test where that is not possible, and returns the function that unlocks.
func lockForTest(t *testing.T) (unlock func()) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("linux only")
	}
	locked, reason, err := Lock(Auto)
	if err != nil {
		t.Fatal(err)
	}
	if !locked {
		t.Skipf("not allowed to lock memory here: %s", reason)
	}
	return func() {
		if err := Unlock(); err != nil {
			t.Error(err)
		}
	}
}

// TestLockForReal locks this test process (where allowed) and reads the
// kernel's count of locked memory.
func TestLockForReal(t *testing.T) {
	unlock := lockForTest(t)
	defer func() {
		unlock()
		if kb := vmLocked(t); kb != 0 {
			t.Errorf("VmLck after Unlock = %d kB, want 0", kb)
		}
	}()
	buf := make([]byte, 8<<20)
	for i := range buf {
		buf[i] = byte(i) // pages are locked as they fault in
	}
	if kb := vmLocked(t); kb < 8<<10 {
		t.Errorf("VmLck = %d kB after touching 8 MiB with memory locked, want at least 8192", kb)
	}
	runtime.KeepAlive(buf)
}

// TestLockedMemoryIsReturned frees 64 MiB of touched heap with memory
// locked and checks that it leaves the process's resident anonymous memory:
// locked up front, the runtime's release (a fresh mapping of the range)
// made it all resident again.
func TestLockedMemoryIsReturned(t *testing.T) {
	defer lockForTest(t)()
	const size = 64 << 20
	debug.FreeOSMemory()
	before := statusKB(t, "RssAnon")
	bufs := make([][]byte, size>>20)
	for i := range bufs {
		bufs[i] = make([]byte, 1<<20)
		for j := range bufs[i] {
			bufs[i][j] = byte(j)
		}
	}
	grown := statusKB(t, "RssAnon")
	if grown-before < size>>11 {
		t.Fatalf("RssAnon grew by %d kB while touching %d kB", grown-before, size>>10)
	}
	runtime.KeepAlive(bufs)
	bufs = nil
	debug.FreeOSMemory()
	// Half the buffers, in both checks, is a generous margin for what the
	// runtime had resident already and keeps; locked up front, none left.
	if after := statusKB(t, "RssAnon"); grown-after < size>>11 {
		t.Errorf("RssAnon went from %d to %d kB after freeing %d kB and debug.FreeOSMemory, want it down by at least %d kB",
			grown, after, size>>10, size>>11)
	}
}

// vmLocked reads VmLck (kB) from /proc/self/status: the size of the locked
// mappings, touched or not.
func vmLocked(t *testing.T) int { return statusKB(t, "VmLck") }

// statusKB reads a field counted in kB from /proc/self/status.
func statusKB(t *testing.T, field string) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				t.Fatalf("%s line %q: %v", field, line, err)
			}
			return n
		}
	}
	t.Fatalf("no %s in /proc/self/status", field)
	return 0
}
