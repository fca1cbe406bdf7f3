package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/gatehouse-dev/gatehouse/internal/acme"
	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/awsapi"
	"github.com/gatehouse-dev/gatehouse/internal/control"
	"github.com/gatehouse-dev/gatehouse/internal/counters"
	_ "github.com/gatehouse-dev/gatehouse/internal/counters/redis" // redis:// and rediss:// for counters.Open
	"github.com/gatehouse-dev/gatehouse/internal/datadir"
	"github.com/gatehouse-dev/gatehouse/internal/gateway"
	"github.com/gatehouse-dev/gatehouse/internal/gateway/proxy"
	"github.com/gatehouse-dev/gatehouse/internal/gateway/state"
	"github.com/gatehouse-dev/gatehouse/internal/lambda"
	"github.com/gatehouse-dev/gatehouse/internal/lambda/credchain"
	"github.com/gatehouse-dev/gatehouse/internal/secret"
	"github.com/gatehouse-dev/gatehouse/internal/sigv4"
	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/internal/store/storeurl"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Defaults: the data plane on every interface, the management API on
// loopback only.
const (
	DefaultDataDir     = "./gatehouse-data"
	DefaultListen      = ":8080"
	DefaultAdminListen = "127.0.0.1:9090"
	DefaultRegion      = apigw.DefaultRegion
)

// File names inside the data directory.
const (
	DatabaseFile    = "gatehouse.db"
	SecretFile      = "server-secret"
	CredentialsFile = "admin-credentials"
	// ACMEAccountFile keeps the ACME account's key, sealed under the
	// server secret.
	ACMEAccountFile = "acme-account.key"
)

// Config configures a node.
type Config struct {
	DataDir string
	// Store is the store's URL (see package storeurl; "": the SQLite
	// database DatabaseFile in DataDir).
	Store       string
	Listen      string // data plane address
	AdminListen string // management API, /metrics, /healthz, /readyz
	// Dev accepts any SigV4 credentials and enables POST /_gatehouse/reset
	// (signed, with any credentials).
	// It is refused unless the admin listener is on a loopback address.
	Dev    bool
	Region string
	Logger *slog.Logger
	// Now is the clock (nil: time.Now), for tests.
	Now func() time.Time
	// CanaryRoll is the data plane's draw for canary releases
	// (gateway.Options.CanaryRoll; nil: random), for tests.
	CanaryRoll func() float64
	// AccountThrottle is the account-level limit (zero: AWS's 10,000
	// requests/s, burst 5,000; a negative rate: no account limit).
	AccountThrottle apigw.Throttle
	// AccessLog receives the data plane's access log, one JSON line per
	// Write (nil: none). The CLI puts a logsink in front of the file.
	AccessLog io.Writer
	// AuditLog receives the management API's audit log: one JSON line per
	// mutating call that passed authentication (nil: none). The CLI opens
	// the file itself, unbuffered, so a crash loses no line.
	AuditLog io.Writer
	// FlushInterval is how often usage is written to the store (0: 1 s).
	FlushInterval time.Duration
	// Counters names the counters engine (counters.Open): "" or
	// "memory://" counts in this process; redis:// or rediss:// in a Redis
	// server shared by a cluster, under the key prefix CountersPrefix
	// ("": counters.DefaultPrefix).
	Counters       string
	CountersPrefix string
	// SecretFile is the server secret's file ("": SecretFile in the
	// data directory). The nodes of a cluster share one secret: each
	// holds a copy, or all name one file here.
	SecretFile string
	// TLS makes the data plane listener serve HTTPS (HTTP/2 and HTTP/1.1)
	// with this certificate; AdminTLS does the same for the admin
	// listener. nil: plain HTTP. ReloadTLS reads the files again.
	TLS, AdminTLS *TLSFiles
	// TrustedProxies are the peers (load balancers, reverse proxies) whose
	// X-Forwarded-For header names the client in the access log; nil:
	// the peer is the client.
	TrustedProxies []netip.Prefix
	// LambdaEndpoint is the AWS Lambda Invoke API's base URL
	// (--lambda-endpoint) for authorizers and AWS_PROXY integrations; "":
	// functions named by Lambda URIs answer FUNCTION_NO_ENDPOINT (http(s)
	// function URIs still work). Calls are SigV4-signed when the AWS SDK's
	// standard credential chain finds credentials (LambdaCredentials
	// overrides it), unsigned otherwise.
	LambdaEndpoint string
	// LambdaTimeout caps every function call (0: lambda.DefaultMaxTimeout).
	LambdaTimeout time.Duration
	// LambdaCredentials, when set, signs Invoke API calls instead of the
	// standard chain (tests).
	LambdaCredentials aws.CredentialsProvider
	// UpstreamRootCAs, when set, are the roots HTTPS backends are verified
	// against instead of the system's (a private CA; tests).
	UpstreamRootCAs *x509.CertPool
	// ACME, when set, makes the node obtain and renew by ACME the
	// certificates of custom domain names created without one (package
	// acme; nil: such a CreateDomainName is refused).
	ACME *ACMEConfig
	// DecisionsMax bounds the data plane's decision log (explain
	// --request-id), in decisions (0: gateway.DefaultDecisionsMax).
	DecisionsMax int
}

// ACMEConfig is the node's ACME CA (--acme-email, --acme-ca,
// --acme-ca-root).
type ACMEConfig struct {
	Email     string
	Directory string // "": Let's Encrypt's production directory
	RootsFile string // PEM roots for the CA's HTTPS endpoint ("": the system's)
	// Interval is how often renewals are looked for (0: acme.DefaultInterval).
	Interval time.Duration
}

// Server is one Gatehouse node.
type Server struct {
	cfg         Config
	log         *slog.Logger
	Store       store.Store
	Control     *control.Service
	Keys        *secret.Keys
	Credentials secret.Credentials
	// CredentialsCreated is true when this start created the admin credentials.
	CredentialsCreated bool
	// State is the data plane's in-memory configuration.
	State *state.State
	// Counters count throttles, quotas and usage for this node.
	Counters counters.Backend
	// countersFallback counts for stages tagged
	// gatehouse:countersFailure=local while Counters fail (nil with local
	// counters, which do not fail that way).
	countersFallback counters.Backend
	// Gateway is the data plane handler.
	Gateway  *gateway.Gateway
	Registry *prometheus.Registry
	// StoreLocation is where the store is, as a URL.
	StoreLocation string

	admin http.Handler
	proxy *proxy.Proxy
	// functions invokes authorizers' and AWS_PROXY integrations' functions.
	functions *lambda.Client
	// locks hold the data directory (and the database file's directory
	// when it is elsewhere) for this node alone.
	locks []*datadir.Lock
	// readiness is /readyz's last probe, reused for readyEvery.
	readiness  readiness
	readyEvery time.Duration
	// dataCert and adminCert are the listeners' certificates (nil: HTTP).
	dataCert, adminCert *certificate
	// acme obtains and renews ACME domain names' certificates (nil: no ACME).
	acme *acme.Manager
}

// usageHooks connect control's usage reads and quota edits to the counters.
type usageHooks struct{ s *Server }

func (u usageHooks) FlushUsage(ctx context.Context) error {
	return u.s.Counters.Flush(ctx)
}

func (u usageHooks) QuotaAdjusted(ctx context.Context, a store.QuotaAdjustment) error {
	return u.s.Counters.Adjust(ctx, a)
}

// New opens the data directory and builds the node. It does not listen.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.DataDir == "" {
		cfg.DataDir = DefaultDataDir
	}
	if cfg.Listen == "" {
		cfg.Listen = DefaultListen
	}
	if cfg.AdminListen == "" {
		cfg.AdminListen = DefaultAdminListen
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Dev && !IsLoopback(cfg.AdminListen) {
		return nil, fmt.Errorf("--dev needs the admin listener on a loopback address, got %q", cfg.AdminListen)
	}
	if cfg.Store == "" {
		cfg.Store = storeurl.SQLite(filepath.Join(cfg.DataDir, DatabaseFile))
	}
	loc, err := storeurl.Parse(cfg.Store)
	if err != nil {
		return nil, fmt.Errorf("--store %w", err)
	}
	s := &Server{cfg: cfg, log: cfg.Logger, StoreLocation: loc.String(), readyEvery: defaultReadyEvery}
	if err := s.loadCertificates(); err != nil {
		return nil, err
	}
	if err := s.open(ctx, loc); err != nil {
		s.releaseLocks()
		return nil, err
	}
	if err := s.buildDataPlane(ctx); err != nil {
		s.Store.Close()
		s.releaseLocks()
		return nil, err
	}
	s.Control = control.New(control.Options{Store: s.Store, Keys: s.Keys, Now: cfg.Now, Region: cfg.Region, Logger: cfg.Logger, Usage: usageHooks{s}, AccountThrottle: cfg.AccountThrottle, ACME: cfg.ACME != nil})
	if cfg.ACME != nil {
		m, err := acme.New(s.Control, acme.Config{Email: cfg.ACME.Email, Directory: cfg.ACME.Directory, RootsFile: cfg.ACME.RootsFile,
			TLS: s.dataCert != nil, Interval: cfg.ACME.Interval, Logger: cfg.Logger, Now: cfg.Now,
			AccountFile: filepath.Join(cfg.DataDir, ACMEAccountFile), Seal: s.Keys.Seal, Open: s.Keys.Open})
		if err != nil {
			s.Store.Close()
			s.releaseLocks()
			return nil, err
		}
		s.acme = m
	}
	s.admin = s.adminHandler()
	return s, nil
}

// open takes the data directory (and, for a database file kept
// elsewhere, that file's directory) for this node alone, then opens the
// secrets and the store. On failure the caller releases the locks; open
// closes what else it opened.
func (s *Server) open(ctx context.Context, loc storeurl.Location) error {
	l, err := datadir.Acquire(s.cfg.DataDir)
	if err != nil {
		return err
	}
	s.locks = append(s.locks, l)
	if loc.Path != "" {
		// Checked once the data directory exists, so that two spellings
		// of it are one directory.
		if dbDir := filepath.Dir(loc.Path); !sameDir(dbDir, s.cfg.DataDir) {
			l, err := datadir.Acquire(dbDir)
			if err != nil {
				return fmt.Errorf("store %s: %w", loc, err)
			}
			s.locks = append(s.locks, l)
		}
	}
	creds, created, err := secret.LoadOrCreateCredentials(filepath.Join(s.cfg.DataDir, CredentialsFile))
	if err != nil {
		return err
	}
	st, err := storeurl.Open(ctx, loc)
	if err != nil {
		return fmt.Errorf("open store %s: %w", loc, err)
	}
	keys, err := s.openSecret(ctx, st, loc.String())
	if err != nil {
		st.Close()
		return err
	}
	s.Store, s.Keys, s.Credentials, s.CredentialsCreated = st, keys, creds, created
	return nil
}

// loadCertificates loads the listeners' certificates, so that a bad file
// stops the node before it takes anything.
func (s *Server) loadCertificates() error {
	for _, l := range []struct {
		name  string
		files *TLSFiles
		dst   **certificate
	}{{"data", s.cfg.TLS, &s.dataCert}, {"admin", s.cfg.AdminTLS, &s.adminCert}} {
		if l.files == nil {
			continue
		}
		c, err := loadCertificate(*l.files)
		if err != nil {
			return err
		}
		*l.dst = c
		logCertificate(s.log, l.name, c.cur.Load().Leaf, time.Now())
	}
	return nil
}

// sameDir reports whether a and b name the same existing directory.
func sameDir(a, b string) bool {
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(fa, fb)
}

// releaseLocks releases the directory locks, last taken first.
func (s *Server) releaseLocks() error {
	var errs []error
	for i := len(s.locks) - 1; i >= 0; i-- {
		errs = append(errs, s.locks[i].Release())
	}
	s.locks = nil
	return errors.Join(errs...)
}

func (s *Server) now() time.Time {
	if s.cfg.Now != nil {
		return s.cfg.Now()
	}
	return time.Now()
}

// buildDataPlane loads the in-memory state, opens the counters and loads
// their quota state, and subscribes both to this node's committed changes.
func (s *Server) buildDataPlane(ctx context.Context) error {
	s.Registry = prometheus.NewRegistry()
	s.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.State = state.New(s.Store, s.log)
	if s.Keys != nil {
		s.State.SetKeyOpener(s.Keys.Open)
	}
	keys := s.Keys
	s.State.SetClientCertOpener(func(c *apigw.ClientCertificate) (tls.Certificate, error) {
		return control.OpenClientCertificate(keys, c)
	})
	if err := s.State.Load(ctx); err != nil {
		return fmt.Errorf("load data plane state: %w", err)
	}
	c, err := counters.Open(ctx, s.cfg.Counters, counters.Options{
		Store: s.Store, Now: s.cfg.Now, FlushInterval: s.cfg.FlushInterval, Logger: s.log,
		Prefix: s.cfg.CountersPrefix,
	})
	if err != nil {
		return fmt.Errorf("open counters: %w", err)
	}
	if err := c.Load(ctx, s.State.Plans(), s.now()); err != nil {
		c.Close()
		return fmt.Errorf("load quota counts: %w", err)
	}
	s.Counters = c
	if !counters.IsLocal(s.cfg.Counters) {
		// Stages tagged gatehouse:countersFailure=local count here while
		// the shared counters fail; this backend flushes what it counts
		// to the store like a single node's.
		fb, err := counters.Open(ctx, "memory://", counters.Options{Store: s.Store, Now: s.cfg.Now, FlushInterval: s.cfg.FlushInterval, Logger: s.log})
		if err == nil {
			err = fb.Load(ctx, s.State.Plans(), s.now())
		}
		if err != nil {
			c.Close()
			return fmt.Errorf("open the fallback counters: %w", err)
		}
		s.countersFallback = fb
	}
	s.Store.Listen(s.applyChanges)
	s.registerClusterMetrics()
	po := proxy.Options{Logger: s.log}
	if s.cfg.UpstreamRootCAs != nil {
		po.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: s.cfg.UpstreamRootCAs}
	}
	s.proxy = proxy.New(po)
	if err := s.newFunctions(ctx); err != nil {
		c.Close()
		return err
	}
	opts := gateway.Options{
		State:           s.State,
		Keys:            s.Keys,
		Counters:        s.Counters,
		Proxy:           s.proxy,
		AccessLog:       s.cfg.AccessLog,
		Log:             s.log,
		Metrics:         gateway.NewMetrics(s.Registry),
		Now:             s.cfg.Now,
		CanaryRoll:      s.cfg.CanaryRoll,
		AccountThrottle: s.cfg.AccountThrottle,
		Region:          s.cfg.Region,
		TrustedProxies:  s.cfg.TrustedProxies,
		Functions:       s.functions,
		AccountID:       apigw.DefaultAccountID,
		DecisionsMax:    s.cfg.DecisionsMax,
	}
	if s.countersFallback != nil {
		opts.CountersFallback = s.countersFallback
	}
	s.Gateway = gateway.New(opts)
	return nil
}

// newFunctions builds the function invoker: signed with the standard
// credential chain when it finds credentials.
func (s *Server) newFunctions(ctx context.Context) error {
	creds := s.cfg.LambdaCredentials
	if creds == nil && s.cfg.LambdaEndpoint != "" {
		var err error
		creds, err = credchain.Find(ctx, s.cfg.LambdaEndpoint)
		if err != nil {
			s.log.Info("Lambda invocations are unsigned", "endpoint", s.cfg.LambdaEndpoint, "reason", err.Error())
		}
	}
	fc, err := lambda.New(lambda.Options{Endpoint: s.cfg.LambdaEndpoint, Credentials: creds, MaxTimeout: s.cfg.LambdaTimeout})
	if err != nil {
		return fmt.Errorf("--lambda-endpoint %w", err)
	}
	if s.cfg.LambdaEndpoint != "" {
		s.log.Info("functions are invoked through the Lambda Invoke API", "endpoint", fc.Endpoint(), "signed", fc.Signed())
	}
	s.functions = fc
	return nil
}

// applyChanges runs synchronously after every commit on this node: the
// data plane sees a change before the management call that made it answers.
func (s *Server) applyChanges(changes []store.Change) {
	ctx := context.Background()
	if err := s.State.Apply(ctx, changes); err != nil {
		s.log.Error("applying configuration changes failed; state reloaded", "error", err)
	}
	if err := s.Counters.Apply(ctx, changes, s.State.Plans, s.now()); err != nil {
		s.log.Error("reloading quota counts failed", "error", err)
	}
	if s.countersFallback != nil {
		if err := s.countersFallback.Apply(ctx, changes, s.State.Plans, s.now()); err != nil {
			s.log.Error("reloading the fallback counters' quota counts failed", "error", err)
		}
	}
	if s.acme != nil && slices.ContainsFunc(changes, func(c store.Change) bool { return c.Kind == store.KindDomainName && c.Op == store.OpPut }) {
		s.acme.Kick() // a new ACME domain is obtained at once, not at the next round
	}
}

// Close releases the counters, the store and idle upstream connections,
// then the data directory: another node may start on it once Close has
// returned. Call it after Serve has returned.
func (s *Server) Close() error {
	if s.proxy != nil {
		s.proxy.Close()
	}
	if s.functions != nil {
		s.functions.CloseIdleConnections()
	}
	var cerr error
	if s.Counters != nil {
		if err := s.Counters.Close(); err != nil {
			cerr = fmt.Errorf("close counters: %w", err)
		}
	}
	if s.countersFallback != nil {
		if err := s.countersFallback.Close(); err != nil {
			cerr = errors.Join(cerr, fmt.Errorf("close the fallback counters: %w", err))
		}
	}
	return errors.Join(cerr, s.Store.Close(), s.releaseLocks())
}

// AdminHandler serves the management API, /metrics, /healthz (liveness),
// /readyz (readiness: the store commits a write) and the dev endpoints.
func (s *Server) AdminHandler() http.Handler { return s.admin }

func (s *Server) adminHandler() http.Handler {
	v := &sigv4.Verifier{
		// Signatures are checked against the real clock, whatever clock a
		// test gives the data plane: clients sign with real time.
		Service:        "apigateway",
		AnyCredentials: s.cfg.Dev,
		Lookup: func(id string) (string, bool) {
			if id == s.Credentials.AccessKeyID {
				return s.Credentials.SecretAccessKey, true
			}
			return "", false
		},
	}
	opts := awsapi.Options{
		Control:      s.Control,
		Logger:       s.log,
		Authenticate: awsapi.SigV4(v),
		AuditLog:     s.cfg.AuditLog,
		InvokeDomain: invokeDomain(s.cfg.Listen),
	}
	// The gateway runs authorizers once it implements the runner.
	if r, ok := any(s.Gateway).(awsapi.AuthorizerRunner); ok {
		opts.Runner = r
	}
	if i, ok := any(s.Gateway).(awsapi.MethodInvoker); ok {
		opts.Invoker = i
	}
	api := awsapi.New(opts)
	mux := http.NewServeMux()
	mux.Handle("/", api)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.Registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /readyz", s.serveReadyz)
	// Liveness: the process serves and the store reads.
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if _, err := s.Store.Revision(r.Context()); err != nil {
			http.Error(w, "store unavailable", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	// Configuration lint (package doctor), signed like every admin call.
	mux.HandleFunc("POST /_gatehouse/doctor", s.serveDoctor(v))
	// Why a request is (or was) refused: the pipeline asked in dry-run
	// mode (explain.go), signed like every admin call.
	mux.HandleFunc("POST "+ExplainPath, s.serveExplain(v))
	if s.cfg.Dev {
		// The reset is signed like a management call (any credentials in
		// dev mode): a web page can make a browser POST to a loopback
		// listener without a preflight, but not with an Authorization
		// header.
		mux.HandleFunc("POST /_gatehouse/reset", func(w http.ResponseWriter, r *http.Request) {
			if _, ok := readSigned(w, r, v, resetMaxBody, s.log); !ok {
				return
			}
			if err := s.Store.Reset(r.Context()); err != nil {
				s.log.Error("reset failed", "error", err)
				http.Error(w, "reset failed", http.StatusInternalServerError)
				return
			}
			s.log.Warn("state reset through /_gatehouse/reset (dev mode)")
			w.WriteHeader(http.StatusNoContent)
		})
	}
	return mux
}

// resetMaxBody caps POST /_gatehouse/reset's body (it takes none).
const resetMaxBody = 1 << 10

// writeAWSError answers a /_gatehouse call in the management API's error
// shape: the status, x-amzn-ErrorType and {"message": …}.
func writeAWSError(w http.ResponseWriter, code string, status int, msg string) {
	b, _ := json.Marshal(map[string]string{"message": msg})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("x-amzn-ErrorType", code)
	w.WriteHeader(status)
	w.Write(b)
}

// IsLoopback reports whether a listen address ("host:port") is bound to
// loopback only: 127.0.0.0/8, ::1 or localhost. An empty host (all
// interfaces) is not loopback.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Listener timeouts and limits, applied to every listener.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 60 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 120 * time.Second
	maxHeaderBytes    = 64 << 10
	shutdownTimeout   = 15 * time.Second
)

// newHTTPServer returns a listener's server; with a certificate it serves
// HTTPS (see tlsConfig).
func newHTTPServer(h http.Handler, log *slog.Logger, cert *certificate, byName func(string) *tls.Certificate) *http.Server {
	var tc *tls.Config
	if cert != nil {
		tc = cert.tlsConfig(byName)
	}
	return &http.Server{
		TLSConfig:         tc,
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// Serve serves the admin listener (and the data listener when not nil)
// until ctx is cancelled, then shuts down gracefully.
func (s *Server) Serve(ctx context.Context, admin, data net.Listener) error {
	servers := []*http.Server{newHTTPServer(s.admin, s.log, s.adminCert, nil)}
	listeners := []net.Listener{admin}
	if data != nil {
		dataSrv := newHTTPServer(s.dataHandler(), s.log, s.dataCert, s.domainCertificate)
		if dataSrv.TLSConfig != nil && s.acme != nil {
			// TLS-ALPN-01: the CA's validation handshakes get the
			// challenge certificate; every other handshake the usual config.
			dataSrv.TLSConfig.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
				return s.acme.ChallengeConfig(hello), nil
			}
		}
		servers = append(servers, dataSrv)
		listeners = append(listeners, data)
	}
	errc := make(chan error, len(servers))
	for i, srv := range servers {
		go func() {
			serve := srv.Serve
			if srv.TLSConfig != nil {
				// The certificate comes from TLSConfig.GetCertificate.
				serve = func(l net.Listener) error { return srv.ServeTLS(l, "", "") }
			}
			if err := serve(listeners[i]); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- err
				return
			}
			errc <- nil
		}()
	}
	// The counters' background work (usage flushed every second, idle
	// state dropped) runs until the listeners have drained; Run then
	// flushes once more, so a graceful shutdown loses no count.
	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	flushed := make(chan error, 1)
	go func() { flushed <- s.Counters.Run(bg) }()
	acmeDone := make(chan struct{})
	if s.acme != nil {
		go func() { defer close(acmeDone); s.acme.Run(bg) }()
	} else {
		close(acmeDone)
	}
	fallbackDone := make(chan error, 1)
	if s.countersFallback != nil {
		go func() { fallbackDone <- s.countersFallback.Run(bg) }()
	} else {
		fallbackDone <- nil
	}
	// Every write on a single node reaches the state synchronously through
	// Store.Listen, so state.Run (which follows other nodes' writes and
	// reloads whenever the store is ahead of it) is not started here: during
	// a bulk import it would reload every key after each commit. Cluster
	// mode will run it.

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	for _, srv := range servers {
		if err := srv.Shutdown(shutCtx); err != nil && serveErr == nil {
			serveErr = err
		}
	}
	stopBG()
	<-acmeDone
	if err := <-flushed; err != nil {
		s.log.Error("final usage flush failed", "error", err)
		if serveErr == nil {
			serveErr = fmt.Errorf("final usage flush: %w", err)
		}
	}
	if err := <-fallbackDone; err != nil {
		s.log.Error("final usage flush of the fallback counters failed", "error", err)
		if serveErr == nil {
			serveErr = fmt.Errorf("final usage flush of the fallback counters: %w", err)
		}
	}
	return serveErr
}

// dataHandler is the data plane; on plain HTTP with ACME, HTTP-01
// validation requests for this node's running orders are answered first.
func (s *Server) dataHandler() http.Handler {
	if s.acme == nil || s.dataCert != nil {
		return s.Gateway
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.acme.ServeChallenge(w, r) {
			s.Gateway.ServeHTTP(w, r)
		}
	})
}

// invokeDomain is the domain exported OpenAPI documents name as the data
// plane's ({apiId}.execute-api.localhost:{port} for a listener on port).
func invokeDomain(listen string) string {
	_, port, err := net.SplitHostPort(listen)
	if err != nil || port == "" || port == "0" {
		return ""
	}
	return "localhost:" + port
}
