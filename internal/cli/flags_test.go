package cli

import (
	"net"
	"strconv"
	"testing"
)

// FuzzCheckListenAddr: checkListenAddr never panics, and what it accepts
// splits into a host and a port from 0 to 65535.
func FuzzCheckListenAddr(f *testing.F) {
	f.Fuzz(func(t *testing.T, addr string) {
		if checkListenAddr(addr) != nil {
			return
		}
		_, port, err := net.SplitHostPort(addr)
		if err != nil {
			t.Fatalf("accepted %q: %v", addr, err)
		}
		if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
			t.Fatalf("accepted %q with port %q", addr, port)
		}
	})
}
