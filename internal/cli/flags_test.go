package cli

import (
	"crypto/x509"
	"encoding/pem"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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

func TestUpstreamRoots(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)
	caPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	tests := []struct {
		name, path, wantErr string
	}{
		{"a CA file", write("ca.pem", caPEM), ""},
		{"no certificate", write("empty.pem", "not pem"), "holds no PEM certificate"},
		{"missing", filepath.Join(dir, "absent.pem"), "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pool, err := upstreamRoots(tt.path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, err := srv.Certificate().Verify(x509.VerifyOptions{Roots: pool}); err != nil {
				t.Errorf("the file's CA is not trusted: %v", err)
			}
		})
	}
}
