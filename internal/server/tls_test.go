package server

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testCA issues certificates for 127.0.0.1 and localhost.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1000), Subject: pkix.Name{CommonName: "gatehouse test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}
}

// issue writes a leaf certificate with serial number serial, and its key,
// to certFile and keyFile (replacing them).
func (ca *testCA) issue(t *testing.T, serial int64, certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// tlsNode starts a node whose two listeners serve HTTPS with certificates
// from ca (serial 1 for data, 2 for admin).
func tlsNode(t *testing.T, ca *testCA) (n *testNode, data, admin TLSFiles) {
	t.Helper()
	dir := t.TempDir()
	data = TLSFiles{CertFile: filepath.Join(dir, "data.crt"), KeyFile: filepath.Join(dir, "data.key"), Flags: "--tls-cert/--tls-key"}
	admin = TLSFiles{CertFile: filepath.Join(dir, "admin.crt"), KeyFile: filepath.Join(dir, "admin.key")}
	ca.issue(t, 1, data.CertFile, data.KeyFile)
	ca.issue(t, 2, admin.CertFile, admin.KeyFile)
	n = startNode(t, Config{DataDir: t.TempDir(), TLS: &data, AdminTLS: &admin})
	return n, data, admin
}

// hostPort strips the scheme of a test node's URL.
func hostPort(url string) string { return url[strings.Index(url, "://")+3:] }

// TestTLSListeners: both listeners serve HTTPS, negotiate HTTP/2 by ALPN
// (HTTP/1.1 for clients without it), and refuse TLS below 1.2 and weak
// TLS 1.2 suites.
func TestTLSListeners(t *testing.T) {
	ca := newTestCA(t)
	n, _, _ := tlsNode(t, ca)
	data, admin := hostPort(n.dataURL), hostPort(n.adminURL)

	t.Run("ALPN", func(t *testing.T) {
		for _, tt := range []struct {
			offer []string
			want  string
		}{{[]string{"h2", "http/1.1"}, "h2"}, {[]string{"http/1.1"}, "http/1.1"}} {
			c, err := tls.Dial("tcp", data, &tls.Config{RootCAs: ca.pool, ServerName: "localhost", NextProtos: tt.offer})
			if err != nil {
				t.Fatalf("handshake offering %v: %v", tt.offer, err)
			}
			st := c.ConnectionState()
			c.Close()
			if st.NegotiatedProtocol != tt.want || st.Version != tls.VersionTLS13 || st.PeerCertificates[0].SerialNumber.Int64() != 1 {
				t.Errorf("offering %v: protocol %q, version %x, serial %v; want %q, TLS 1.3, serial 1",
					tt.offer, st.NegotiatedProtocol, st.Version, st.PeerCertificates[0].SerialNumber, tt.want)
			}
		}
	})

	t.Run("requests", func(t *testing.T) {
		for _, tt := range []struct {
			url   string
			h2    bool
			proto int
		}{
			{"https://" + data + "/restapis/nope/prod/_user_request_/x", true, 2},
			{"https://" + data + "/restapis/nope/prod/_user_request_/x", false, 1},
			{"https://" + admin + "/healthz", true, 2},
		} {
			tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.pool}, ForceAttemptHTTP2: tt.h2}
			if !tt.h2 {
				tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
			}
			resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get(tt.url)
			if err != nil {
				t.Fatalf("GET %s: %v", tt.url, err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			tr.CloseIdleConnections()
			if resp.ProtoMajor != tt.proto || resp.StatusCode == 0 || len(b) == 0 {
				t.Errorf("GET %s (h2 %v): HTTP/%d %d %q, want an answer over HTTP/%d", tt.url, tt.h2, resp.ProtoMajor, resp.StatusCode, b, tt.proto)
			}
		}
	})

	t.Run("weak TLS refused", func(t *testing.T) {
		for _, tt := range []struct {
			name   string
			config *tls.Config
			ok     bool
		}{
			{"TLS 1.0", &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10}, false},
			{"TLS 1.1", &tls.Config{MinVersion: tls.VersionTLS11, MaxVersion: tls.VersionTLS11}, false},
			{"TLS 1.2, CBC suites", &tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{
				tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256}}, false},
			{"TLS 1.2, RSA key exchange", &tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{
				tls.TLS_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_RSA_WITH_AES_256_GCM_SHA384}}, false},
			{"TLS 1.2, ECDHE AES-GCM", &tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{
				tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}}, true},
			{"TLS 1.2, ECDHE ChaCha20", &tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{
				tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256}}, true},
		} {
			for _, addr := range []string{data, admin} {
				cfg := tt.config.Clone()
				cfg.RootCAs, cfg.ServerName = ca.pool, "localhost"
				c, err := tls.Dial("tcp", addr, cfg)
				if err == nil {
					c.Close()
				}
				if (err == nil) != tt.ok {
					t.Errorf("%s to %s: handshake error %v, want success %v", tt.name, addr, err, tt.ok)
				}
			}
		}
	})
}

// keepAlive is one client connection kept open across requests.
type keepAlive struct {
	c  *tls.Conn
	br *bufio.Reader
}

func dialKeepAlive(t *testing.T, addr string, pool *x509.CertPool) *keepAlive {
	t.Helper()
	c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: "localhost", NextProtos: []string{"http/1.1"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &keepAlive{c: c, br: bufio.NewReader(c)}
}

// get sends one request on the connection and returns the status.
func (k *keepAlive) get(t *testing.T, path string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "https://localhost"+path, nil)
	if err := req.Write(k.c); err != nil {
		t.Fatalf("write on the kept-alive connection: %v", err)
	}
	resp, err := http.ReadResponse(k.br, req)
	if err != nil {
		t.Fatalf("read on the kept-alive connection: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func (k *keepAlive) serial() int64 {
	return k.c.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
}

// TestTLSReload: ReloadTLS serves the new certificate to new connections
// while a kept-alive connection goes on working; files that do not load
// leave the current certificate in place and say which listener.
func TestTLSReload(t *testing.T) {
	ca := newTestCA(t)
	n, data, _ := tlsNode(t, ca)
	addr := hostPort(n.dataURL)
	const path = "/restapis/nope/prod/_user_request_/x"

	old := dialKeepAlive(t, addr, ca.pool)
	status := old.get(t, path)
	if old.serial() != 1 {
		t.Fatalf("serial before the reload: %d", old.serial())
	}

	ca.issue(t, 3, data.CertFile, data.KeyFile)
	if err := n.srv.ReloadTLS(); err != nil {
		t.Fatalf("ReloadTLS: %v", err)
	}
	if s := dialKeepAlive(t, addr, ca.pool).serial(); s != 3 {
		t.Fatalf("a new connection after the reload got serial %d, want 3", s)
	}
	if got := old.get(t, path); got != status || old.serial() != 1 {
		t.Fatalf("the kept-alive connection after the reload: %d (serial %d), want %d on serial 1", got, old.serial(), status)
	}

	if err := os.WriteFile(data.KeyFile, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := n.srv.ReloadTLS()
	if err == nil || !strings.Contains(err.Error(), "data listener keeps its certificate: --tls-cert/--tls-key "+data.CertFile+" / "+data.KeyFile) {
		t.Fatalf("ReloadTLS with a broken key = %v, want an error naming the data listener and its files", err)
	}
	if s := dialKeepAlive(t, addr, ca.pool).serial(); s != 3 {
		t.Fatalf("after a failed reload a new connection got serial %d, want 3", s)
	}
}

// TestTLSFilesRefusedAtStart: a node does not start on certificate files
// that do not load, and says which.
func TestTLSFilesRefusedAtStart(t *testing.T) {
	dir := t.TempDir()
	files := TLSFiles{CertFile: filepath.Join(dir, "missing.crt"), KeyFile: filepath.Join(dir, "missing.key"), Flags: "--admin-tls-cert/--admin-tls-key"}
	_, err := New(t.Context(), Config{DataDir: t.TempDir(), AdminListen: "127.0.0.1:0", AdminTLS: &files})
	if err == nil || !strings.Contains(err.Error(), "--admin-tls-cert/--admin-tls-key "+files.CertFile) {
		t.Fatalf("New with missing certificate files = %v, want an error naming the flags and files", err)
	}
}
