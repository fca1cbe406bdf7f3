package gateway

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"
)

func TestClientIP(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8:1::/48"), netip.MustParsePrefix("127.0.0.1/32")}
	tests := []struct {
		name    string
		remote  string
		xff     []string
		trusted []netip.Prefix
		want    string
	}{
		{"no trusted proxies: the peer", "10.1.1.1:5000", []string{"198.51.100.1"}, nil, "10.1.1.1"},
		{"IPv6 peer", "[2001:db8:2::5]:443", nil, nil, "2001:db8:2::5"},
		{"untrusted peer: header ignored", "203.0.113.9:5000", []string{"198.51.100.1"}, trusted, "203.0.113.9"},
		{"trusted peer, no header", "10.1.1.1:5000", nil, trusted, "10.1.1.1"},
		{"trusted peer, one entry", "10.1.1.1:5000", []string{"198.51.100.1"}, trusted, "198.51.100.1"},
		{"right-most untrusted wins", "10.1.1.1:5000", []string{"1.1.1.1, 198.51.100.1, 10.2.2.2"}, trusted, "198.51.100.1"},
		{"spoofed left entries are not reached", "10.1.1.1:5000", []string{"6.6.6.6, 198.51.100.1"}, trusted, "198.51.100.1"},
		{"several header lines: the last is right-most", "10.1.1.1:5000", []string{"198.51.100.1, 10.3.3.3", "10.2.2.2"}, trusted, "198.51.100.1"},
		{"all trusted: the left-most", "10.1.1.1:5000", []string{"10.4.4.4, 10.2.2.2"}, trusted, "10.4.4.4"},
		{"IPv6 entries", "[2001:db8:1::1]:443", []string{"2001:db8:2::7, 2001:db8:1::9"}, trusted, "2001:db8:2::7"},
		{"IPv4-mapped peer", "[::ffff:10.1.1.1]:5000", []string{"198.51.100.1"}, trusted, "198.51.100.1"},
		{"entry with a port", "10.1.1.1:5000", []string{"198.51.100.1:4711"}, trusted, "198.51.100.1"},
		{"bracketed IPv6 with a port", "10.1.1.1:5000", []string{"[2001:db8:2::7]:4711"}, trusted, "2001:db8:2::7"},
		{"garbage stops at the hop that wrote it", "10.1.1.1:5000", []string{"unknown, 10.2.2.2"}, trusted, "10.2.2.2"},
		{"garbage right after the peer", "10.1.1.1:5000", []string{"<script>"}, trusted, "10.1.1.1"},
		{"empty entries skipped", "10.1.1.1:5000", []string{" , 198.51.100.1 ,, "}, trusted, "198.51.100.1"},
		{"zone in an entry", "10.1.1.1:5000", []string{"fe80::1%eth0"}, trusted, "fe80::1%eth0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &http.Request{RemoteAddr: tt.remote, Header: http.Header{}}
			if tt.xff != nil {
				r.Header["X-Forwarded-For"] = tt.xff
			}
			if got := clientIP(r, tt.trusted); got != tt.want {
				t.Errorf("clientIP(%s, %q) = %q, want %q", tt.remote, tt.xff, got, tt.want)
			}
		})
	}
}

// TestClientIPAllocs: the access log computes the client ip on every
// request; it allocates nothing.
func TestClientIPAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's instrumentation allocates")
	}
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	r := &http.Request{RemoteAddr: "10.1.1.1:5000", Header: http.Header{"X-Forwarded-For": {"1.1.1.1, 198.51.100.1, 10.2.2.2"}}}
	if n := testing.AllocsPerRun(100, func() { clientIP(r, trusted) }); n != 0 {
		t.Fatalf("clientIP allocates %v times", n)
	}
}

// FuzzClientIP: whatever the header holds, the client ip is the peer's
// address or an address that the header spells (never other text).
func FuzzClientIP(f *testing.F) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	f.Fuzz(func(t *testing.T, remote, xff string) {
		r := &http.Request{RemoteAddr: remote, Header: http.Header{"X-Forwarded-For": {xff}}}
		got := clientIP(r, trusted)
		if got == clientIP(r, nil) {
			return
		}
		if _, err := netip.ParseAddr(got); err != nil || !strings.Contains(xff, got) {
			t.Fatalf("clientIP(%q, %q) = %q: not the peer and not an address from the header", remote, xff, got)
		}
	})
}
