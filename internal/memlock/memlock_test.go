package memlock

import (
	"os"
	"runtime"
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

// TestLockForReal locks this test process (where allowed) and reads the
// kernel's count of locked memory.
func TestLockForReal(t *testing.T) {
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
	defer func() {
		if err := Unlock(); err != nil {
			t.Error(err)
		}
		if kb := vmLocked(t); kb != 0 {
			t.Errorf("VmLck after Unlock = %d kB, want 0", kb)
		}
	}()
	buf := make([]byte, 8<<20)
	for i := range buf {
		buf[i] = byte(i) // under -race pages are locked as they fault in
	}
	if kb := vmLocked(t); kb < 8<<10 {
		t.Errorf("VmLck = %d kB after touching 8 MiB with memory locked, want at least 8192", kb)
	}
	runtime.KeepAlive(buf)
}

// vmLocked reads VmLck (kB) from /proc/self/status.
func vmLocked(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmLck:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				t.Fatalf("VmLck line %q: %v", line, err)
			}
			return n
		}
	}
	t.Fatal("no VmLck in /proc/self/status")
	return 0
}
