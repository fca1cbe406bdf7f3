package cli

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestTrustedProxies: with --trusted-proxies the access log's client ip
// is the right-most X-Forwarded-For address that is not a trusted proxy,
// when the peer itself is one; without it X-Forwarded-For is ignored.
func TestTrustedProxies(t *testing.T) {
	requests := []struct {
		xff  []string // X-Forwarded-For lines (nil: none)
		want string   // the access log's ip with 127.0.0.1/32 and 10.0.0.0/8 trusted
	}{
		{nil, "127.0.0.1"},
		{[]string{"198.51.100.9"}, "198.51.100.9"},
		{[]string{"198.51.100.9, 10.1.2.3"}, "198.51.100.9"},
		{[]string{"198.51.100.9, 203.0.113.5, 10.1.2.3"}, "203.0.113.5"},
		{[]string{"198.51.100.9", "10.1.2.3, 10.9.9.9"}, "198.51.100.9"},
		{[]string{"10.1.2.3"}, "10.1.2.3"},
		{[]string{"2001:db8::7, 10.1.2.3"}, "2001:db8::7"},
		{[]string{"nonsense, 10.1.2.3"}, "10.1.2.3"},
		{[]string{"198.51.100.9:4711"}, "198.51.100.9"},
	}
	for _, tc := range []struct {
		name    string
		flags   []string
		trusted bool
	}{
		{"trusted", []string{"--trusted-proxies", "127.0.0.1/32,10.0.0.0/8"}, true},
		{"bare addresses", []string{"--trusted-proxies", "127.0.0.1", "--trusted-proxies", "10.0.0.0/8"}, true},
		{"none", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			access := filepath.Join(t.TempDir(), "access.log")
			s := startServe(t, append([]string{"--data-dir", t.TempDir(), "--access-log", access}, tc.flags...)...)
			// Each request has its own path: the log lines are matched by it,
			// since a line is written after its response is sent.
			path := func(i int) string { return "/restapis/nope/prod/_user_request_/r" + strconv.Itoa(i) }
			for i, r := range requests {
				req, _ := http.NewRequest(http.MethodGet, s.Data+path(i), nil)
				req.Header["X-Forwarded-For"] = r.xff
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
			}
			if code := s.stop(); code != 0 {
				t.Fatalf("serve exited %d", code)
			}
			b, err := os.ReadFile(access)
			if err != nil {
				t.Fatal(err)
			}
			ips := map[string]string{}
			for line := range strings.Lines(strings.TrimSpace(string(b))) {
				var l struct{ IP, Path string }
				if err := json.Unmarshal([]byte(line), &l); err != nil {
					t.Fatal(err)
				}
				ips[l.Path] = l.IP
			}
			if len(ips) != len(requests) {
				t.Fatalf("%d access log lines for %d requests:\n%s", len(ips), len(requests), b)
			}
			for i, r := range requests {
				want := r.want
				if !tc.trusted {
					want = "127.0.0.1"
				}
				if got := ips[path(i)]; got != want {
					t.Errorf("X-Forwarded-For %q: ip %q, want %q", r.xff, got, want)
				}
			}
		})
	}
}
