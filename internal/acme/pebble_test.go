package acme_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/gatehouse-dev/gatehouse/internal/apitest"
	"github.com/gatehouse-dev/gatehouse/internal/server"
	"github.com/gatehouse-dev/gatehouse/internal/testbin"
	"github.com/miekg/dns"
)

// pebblePackage is Pebble's command (go.mod pins its module as a tool).
const pebblePackage = "github.com/letsencrypt/pebble/v2/cmd/pebble"

// TestACMEWithPebble: a domain name created without a certificate on a
// node with --acme-* gets one from Pebble by a real challenge on the data
// listener (Pebble resolves the name with a DNS server the test runs):
// TLS-ALPN-01 on an HTTPS listener, HTTP-01 on a plain one. It goes PENDING
// then AVAILABLE, its chain verifies against Pebble's issuing root, the
// HTTPS listener serves it by SNI, and a short-lived certificate is renewed
// (a new serial is served).
func TestACMEWithPebble(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs Pebble")
	}
	pebble := testbin.Build(t, pebblePackage) // go.mod's tool line pins it
	tests := []struct {
		name string
		tls  bool
		// validity is the certificates' lifetime in seconds; a short one
		// is renewed within the test.
		validity int
	}{
		{"tls-alpn-01 and renewal", true, 24},
		{"http-01", false, 7776000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			testPebble(t, pebble, tt.tls, tt.validity)
		})
	}
}

func testPebble(t *testing.T, pebble string, useTLS bool, validity int) {
	const domain = "api.gatehouse.test"
	dir := t.TempDir()
	dnsAddr := startDNS(t)

	// Pebble's own HTTPS endpoints get a certificate from a test CA, which
	// is --acme-ca-root.
	ca := apitest.NewCA(t)
	pebbleCert := ca.Issue(t, "localhost")
	dataCert := ca.Issue(t, "localhost")
	files := map[string]string{"ca.pem": ca.PEM(), "pebble.crt": pebbleCert.CertPEM, "pebble.key": pebbleCert.KeyPEM,
		"data.crt": dataCert.CertPEM, "data.key": dataCert.KeyPEM}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	acmePort, mgmtPort := freePort(t), freePort(t)
	directory := fmt.Sprintf("https://localhost:%d/dir", acmePort)

	opts := apitest.Options{
		ACME: &server.ACMEConfig{Email: "ops@gatehouse.test", Directory: directory, RootsFile: filepath.Join(dir, "ca.pem"), Interval: 200 * time.Millisecond},
	}
	if useTLS {
		opts.TLS = &server.TLSFiles{CertFile: filepath.Join(dir, "data.crt"), KeyFile: filepath.Join(dir, "data.key")}
	}
	env := apitest.Start(t, opts)
	dataAddr := env.DataURL[strings.Index(env.DataURL, "://")+3:]
	_, dataPort, _ := net.SplitHostPort(dataAddr)

	// Only the challenge the listener can answer has a port that leads
	// to it; the other leads nowhere.
	httpPort, tlsPort := mustAtoi(t, dataPort), freePort(t)
	if useTLS {
		httpPort, tlsPort = tlsPort, httpPort
	}
	config := map[string]any{"pebble": map[string]any{
		"listenAddress":                  fmt.Sprintf("127.0.0.1:%d", acmePort),
		"managementListenAddress":        fmt.Sprintf("127.0.0.1:%d", mgmtPort),
		"certificate":                    filepath.Join(dir, "pebble.crt"),
		"privateKey":                     filepath.Join(dir, "pebble.key"),
		"httpPort":                       httpPort,
		"tlsPort":                        tlsPort,
		"ocspResponderURL":               "",
		"externalAccountBindingRequired": false,
		"retryAfter":                     map[string]int{"authz": 1, "order": 1},
		"keyAlgorithm":                   "ecdsa",
		"profiles":                       map[string]any{"default": map[string]any{"description": "default", "validityPeriod": validity}},
	}}
	cfgJSON, _ := json.Marshal(config)
	cfgFile := filepath.Join(dir, "pebble-config.json")
	if err := os.WriteFile(cfgFile, cfgJSON, 0o600); err != nil {
		t.Fatal(err)
	}
	startPebble(t, pebble, cfgFile, dnsAddr)

	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool}}}
	waitFor(t, 30*time.Second, "Pebble's directory", func() (bool, string) {
		resp, err := client.Get(directory)
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, resp.Status
	})

	ctx := context.Background()
	out, err := env.Client.CreateDomainName(ctx, &apigateway.CreateDomainNameInput{
		DomainName:            aws.String(domain),
		EndpointConfiguration: &types.EndpointConfiguration{Types: []types.EndpointType{types.EndpointTypeRegional}},
	})
	if err != nil {
		t.Fatalf("CreateDomainName without a certificate on an ACME node: %v", err)
	}
	if out.DomainNameStatus != types.DomainNameStatusPending {
		t.Fatalf("CreateDomainName status = %s (%s), want PENDING", out.DomainNameStatus, aws.ToString(out.DomainNameStatusMessage))
	}

	waitFor(t, 90*time.Second, "domain name AVAILABLE", func() (bool, string) {
		d, err := env.Client.GetDomainName(ctx, &apigateway.GetDomainNameInput{DomainName: aws.String(domain)})
		if err != nil {
			return false, err.Error()
		}
		if d.DomainNameStatus == types.DomainNameStatusFailed {
			t.Fatalf("domain name FAILED: %s", aws.ToString(d.DomainNameStatusMessage))
		}
		return d.DomainNameStatus == types.DomainNameStatusAvailable, string(d.DomainNameStatus) + " " + aws.ToString(d.DomainNameStatusMessage)
	})

	// Pebble's issuing root, from its management endpoint.
	resp, err := client.Get(fmt.Sprintf("https://localhost:%d/roots/0", mgmtPort))
	if err != nil {
		t.Fatal(err)
	}
	rootPEM, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(rootPEM) {
		t.Fatalf("Pebble's /roots/0 is not PEM: %q", rootPEM)
	}

	// The key is sealed: the database file holds no PEM private key.
	raw, err := os.ReadFile(filepath.Join(env.DataDir, server.DatabaseFile))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "PRIVATE KEY") {
		t.Fatal("the database file holds a private key in the clear")
	}

	if !useTLS {
		// A plain listener serves no certificate: the one the data plane
		// holds for the domain verifies against Pebble's root.
		dom := env.Server.State.Domain(domain)
		if dom == nil || dom.Cert == nil {
			t.Fatal("the data plane holds no certificate for the domain")
		}
		inter := x509.NewCertPool()
		for _, der := range dom.Cert.Certificate[1:] {
			c, err := x509.ParseCertificate(der)
			if err != nil {
				t.Fatal(err)
			}
			inter.AddCert(c)
		}
		if _, err := dom.Cert.Leaf.Verify(x509.VerifyOptions{DNSName: domain, Roots: roots, Intermediates: inter}); err != nil {
			t.Fatalf("the obtained certificate does not verify against Pebble's root: %v", err)
		}
		return
	}

	serve := func() (*x509.Certificate, error) {
		conn, err := tls.Dial("tcp", dataAddr, &tls.Config{ServerName: domain, RootCAs: roots})
		if err != nil {
			return nil, fmt.Errorf("TLS to %s with SNI %s, verified against Pebble's root: %w", dataAddr, domain, err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0], nil
	}
	leaf, err := serve()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(leaf.DNSNames, domain) {
		t.Fatalf("served certificate names %v, want %s", leaf.DNSNames, domain)
	}
	// Other names still get the listener's own certificate.
	conn, err := tls.Dial("tcp", dataAddr, &tls.Config{ServerName: "localhost", RootCAs: ca.Pool})
	if err != nil {
		t.Fatalf("default certificate: %v", err)
	}
	conn.Close()

	// A 24 s certificate is renewed when a third of its life is left; the
	// renewed one verifies too.
	waitFor(t, 60*time.Second, "a renewed certificate served", func() (bool, string) {
		got, err := serve()
		if err != nil {
			return false, err.Error()
		}
		return got.SerialNumber.Cmp(leaf.SerialNumber) != 0, "serial " + got.SerialNumber.String()
	})
}

// startPebble runs Pebble until the test ends; its output is logged on
// failure.
func startPebble(t *testing.T, bin, config, dnsAddr string) {
	t.Helper()
	var logs apitest.LogBuffer // safe for Pebble's two output streams
	cmd := exec.Command(bin, "-config", config, "-dnsserver", dnsAddr)
	cmd.Env = append(os.Environ(), "PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("pebble output:\n%s", logs.String())
		}
	})
}

// startDNS answers every A query with 127.0.0.1 (and AAAA with nothing),
// over UDP and TCP on one port: Pebble's resolver for the test's names.
func startDNS(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	handler := dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		for _, question := range q.Question {
			if question.Qtype == dns.TypeA {
				m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: question.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.IPv4(127, 0, 0, 1)})
			}
		}
		_ = w.WriteMsg(m)
	})
	for _, srv := range []*dns.Server{{PacketConn: pc, Handler: handler}, {Listener: ln, Handler: handler}} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go func() { _ = srv.ActivateAndServe() }()
		<-started
		t.Cleanup(func() { _ = srv.Shutdown() })
	}
	return ln.Addr().String()
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, within time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(within)
	last := ""
	for time.Now().Before(deadline) {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: not reached within %s (last: %s)", what, within, last)
}
