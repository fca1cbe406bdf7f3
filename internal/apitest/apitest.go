package apitest

import (
	"context"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/smithy-go"
	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/server"
)

// Env is a running node and clients for it.
type Env struct {
	Server *server.Server
	// AdminURL and DataURL are the listeners' base URLs (http://127.0.0.1:port).
	AdminURL, DataURL string
	// Client is signed with the node's admin credentials.
	Client *apigateway.Client
	// DataDir holds the node's database and secrets.
	DataDir string
	// Access holds the data plane's access log lines.
	Access *LogBuffer
	// Audit holds the management API's audit log lines.
	Audit *LogBuffer
}

// Options tune Start.
type Options struct {
	Dev     bool
	DataDir string // "" = t.TempDir()
	Now     func() time.Time
	// CanaryRoll fixes the data plane's canary draws (nil: random).
	CanaryRoll func() float64
	// AccountThrottle overrides the account-level limit (zero: AWS's default).
	AccountThrottle apigw.Throttle
	// LambdaEndpoint is the node's --lambda-endpoint ("": none).
	LambdaEndpoint string
	// Store is the node's --store URL ("": SQLite in the data directory).
	Store string
	// Counters and CountersPrefix are the node's --counters URL ("": in
	// memory) and --counters-prefix.
	Counters, CountersPrefix string
	// TLS is the data listener's default certificate (nil: plain HTTP);
	// with it DataURL is https://.
	TLS *server.TLSFiles
	// UpstreamRootCAs are the roots HTTPS backends are verified against
	// (nil: the system's).
	UpstreamRootCAs *x509.CertPool
	// TrustedProxies is the node's --trusted-proxies (nil: none).
	TrustedProxies []netip.Prefix
	// ACME is the node's ACME CA (nil: none).
	ACME *server.ACMEConfig
}

// Start starts a node for the duration of the test.
func Start(t testing.TB, opts Options) *Env {
	t.Helper()
	env, err := TryStart(t, opts)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// TryStart is Start returning the error of a node that does not start
// instead of failing t: it may be called from any goroutine.
func TryStart(t testing.TB, opts Options) (*Env, error) {
	ctx, cancel := context.WithCancel(context.Background())
	dir := opts.DataDir
	if dir == "" {
		dir = t.TempDir()
	}
	adminLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		return nil, err
	}
	dataLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		adminLn.Close()
		return nil, err
	}
	access, audit := &LogBuffer{}, &LogBuffer{}
	srv, err := server.New(ctx, server.Config{DataDir: dir, AdminListen: adminLn.Addr().String(), Listen: dataLn.Addr().String(),
		Dev: opts.Dev, Now: opts.Now, CanaryRoll: opts.CanaryRoll, AccountThrottle: opts.AccountThrottle, LambdaEndpoint: opts.LambdaEndpoint, Store: opts.Store, UpstreamRootCAs: opts.UpstreamRootCAs,
		TrustedProxies: opts.TrustedProxies, Counters: opts.Counters, CountersPrefix: opts.CountersPrefix,
		AccessLog: access, AuditLog: audit, TLS: opts.TLS, ACME: opts.ACME})
	if err != nil {
		cancel()
		adminLn.Close()
		dataLn.Close()
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, adminLn, dataLn) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		if err := srv.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	scheme := "http://"
	if opts.TLS != nil {
		scheme = "https://"
	}
	env := &Env{Server: srv, AdminURL: "http://" + adminLn.Addr().String(), DataURL: scheme + dataLn.Addr().String(), DataDir: dir, Access: access, Audit: audit}
	env.Client = env.NewClient(srv.Credentials.AccessKeyID, srv.Credentials.SecretAccessKey)
	return env, nil
}

// NewClient returns an apigateway client for the node signed with the given credentials.
func (e *Env) NewClient(accessKeyID, secret string) *apigateway.Client {
	return apigateway.New(apigateway.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(e.AdminURL),
		Credentials:  credentials.NewStaticCredentialsProvider(accessKeyID, secret, ""),
		HTTPClient:   &http.Client{Timeout: 30 * time.Second},
		// No retries: tests must see the first answer.
		RetryMaxAttempts: 1,
	})
}

// ErrorCode returns the AWS error code of err ("" when err is nil or not an API error).
func ErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// ErrorMessage returns the AWS error message of err.
func ErrorMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorMessage()
	}
	return ""
}

// WantError fails the test unless err is an API error with the given code
// and (when msg is not "") exactly that message.
func WantError(t testing.TB, err error, code, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	if got := ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
	if msg != "" {
		if got := ErrorMessage(err); got != msg {
			t.Fatalf("error message = %q, want %q", got, msg)
		}
	}
}
