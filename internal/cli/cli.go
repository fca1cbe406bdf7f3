package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"

	"github.com/gatehouse-dev/gatehouse/internal/acme"
	"github.com/gatehouse-dev/gatehouse/internal/counters"
	"github.com/gatehouse-dev/gatehouse/internal/gateway"
	"github.com/gatehouse-dev/gatehouse/internal/gcfloor"
	"github.com/gatehouse-dev/gatehouse/internal/lambda"
	"github.com/gatehouse-dev/gatehouse/internal/logsink"
	"github.com/gatehouse-dev/gatehouse/internal/memlock"
	"github.com/gatehouse-dev/gatehouse/internal/server"
	"github.com/spf13/cobra"
)

// Version is set at build time with -ldflags "-X …/internal/cli.Version=v1.2.3".
var Version = ""

// Main runs the command line with args and returns the exit code.
func Main(args []string) int {
	return run(context.Background(), args, os.Stdout, os.Stderr)
}

// Run runs the command line with args, writing to stdout and stderr, and
// returns the exit code (for tests that run commands in-process).
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return run(ctx, args, stdout, stderr)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if err := root.ExecuteContext(ctx); err != nil {
		code := 1
		var ec *exitCodeError
		if errors.As(err, &ec) {
			code = ec.code
		}
		if msg := err.Error(); msg != "" {
			fmt.Fprintln(stderr, "gatehouse:", msg)
		}
		return code
	}
	return 0
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "gatehouse",
		Short:         "Gatehouse: a self-hosted API gateway that speaks Amazon API Gateway's management API",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServe(stdout, stderr), newVersion(stdout), newDoctor(stdout), newExplain(stdout))
	return root
}

func version() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func newVersion(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprintf(stdout, "gatehouse %s\n", version())
			return err
		},
	}
}

// storeEnv is the environment variable that gives --store's default.
const storeEnv = "GATEHOUSE_STORE"

// lambdaEndpointEnv gives --lambda-endpoint's default.
const lambdaEndpointEnv = "GATEHOUSE_LAMBDA_ENDPOINT"

// The ACME flags' environment variables.
const (
	acmeEmailEnv  = "GATEHOUSE_ACME_EMAIL"
	acmeCAEnv     = "GATEHOUSE_ACME_CA"
	acmeCARootEnv = "GATEHOUSE_ACME_CA_ROOT"
)

// countersEnv names the counters engine when --counters is not given.
const countersEnv = "GATEHOUSE_COUNTERS"

type serveFlags struct {
	cfg server.Config
	// The listeners' certificate and key files ("": plain HTTP).
	tlsCert, tlsKey, adminTLSCert, adminTLSKey string
	acmeEmail, acmeCA, acmeCARoot              string
	trustedProxies                             []string
	upstreamCAFile                             string
	demo                                       bool
	logLevel                                   string
	accessLog                                  string
	auditLog                                   string
	gcFloorMiB                                 uint64
	lockMemory                                 string
}

func newServe(stdout, stderr io.Writer) *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run a Gatehouse node (data plane, management API)",
		Long: `Run a Gatehouse node. By default it keeps its state in an embedded SQLite
database in --data-dir (see --store); the data directory also holds the
server secret and the admin credentials, and one node at a time owns it.

The management API (AWS API Gateway compatible, SigV4-signed with the admin
credentials kept in <data-dir>/admin-credentials) listens on --admin-listen;
the data plane on --listen.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("store") {
				f.cfg.Store = os.Getenv(storeEnv)
			}
			if !cmd.Flags().Changed("counters") {
				f.cfg.Counters = os.Getenv(countersEnv)
			}
			for _, e := range []struct {
				flag, env string
				dst       *string
			}{{"acme-email", acmeEmailEnv, &f.acmeEmail}, {"acme-ca", acmeCAEnv, &f.acmeCA}, {"acme-ca-root", acmeCARootEnv, &f.acmeCARoot}} {
				if v, ok := os.LookupEnv(e.env); ok && !cmd.Flags().Changed(e.flag) {
					*e.dst = v
				}
			}
			if !cmd.Flags().Changed("lambda-endpoint") {
				f.cfg.LambdaEndpoint = os.Getenv(lambdaEndpointEnv)
			}
			return serve(cmd.Context(), f, stdout, stderr)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.cfg.DataDir, "data-dir", server.DefaultDataDir, "directory for the database, server secret and admin credentials")
	fl.StringVar(&f.cfg.Store, "store", "", "where configuration and usage are stored, as a URL: sqlite://PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE (default: $"+storeEnv+", else sqlite://<data-dir>/"+server.DatabaseFile+")")
	fl.StringVar(&f.cfg.Counters, "counters", "", "where throttles, quotas and pending usage are counted, as a URL: memory:// (this process) or redis://[user:password@]HOST:PORT[/DB] (rediss:// for TLS), shared by the nodes of a cluster (default: $"+countersEnv+", else memory://)")
	fl.StringVar(&f.cfg.CountersPrefix, "counters-prefix", counters.DefaultPrefix, "the prefix of every key --counters keeps in Redis, so that clusters can share one server")
	fl.StringVar(&f.cfg.SecretFile, "secret-file", "", "the server secret's file (default <data-dir>/"+server.SecretFile+"); the nodes of a cluster share one secret: a copy in each data directory, or one file this flag names. Never stored in PostgreSQL or Redis")
	fl.StringVar(&f.cfg.Listen, "listen", server.DefaultListen, "data plane listen address")
	fl.StringVar(&f.cfg.AdminListen, "admin-listen", server.DefaultAdminListen, "management API listen address (also /metrics, /healthz and /readyz)")
	fl.BoolVar(&f.cfg.Dev, "dev", false, "development mode: accept any SigV4 credentials and enable POST /_gatehouse/reset, SigV4-signed with any credentials (admin listener must be loopback)")
	fl.BoolVar(&f.demo, "demo", false, "seed the example UsefulAPI with a key and a usage plan when the data dir is new")
	fl.StringVar(&f.cfg.Region, "region", server.DefaultRegion, "region reported in ARNs")
	fl.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	fl.StringVar(&f.accessLog, "access-log", "stderr", "where the data plane's access log goes: stderr, stdout, off, or a file path (appended)")
	fl.StringVar(&f.auditLog, "audit-log", "", "where the audit log of management changes goes: a file path (appended, created with mode 0600), stderr, stdout, or off (default <data-dir>/"+auditLogFile+")")
	fl.Float64Var(&f.cfg.AccountThrottle.RateLimit, "account-rate", 10000, "account-level throttle in requests/s, as AWS's per-region account limit (-1: none)")
	fl.IntVar(&f.cfg.AccountThrottle.BurstLimit, "account-burst", 5000, "account-level throttle burst, 1 or more")
	fl.StringVar(&f.tlsCert, "tls-cert", "", "serve the data plane over HTTPS (HTTP/2 and HTTP/1.1) with this certificate file (PEM, leaf first, then intermediates); needs --tls-key; reloaded on SIGHUP")
	fl.StringVar(&f.tlsKey, "tls-key", "", "the private key file (PEM) of --tls-cert")
	fl.StringVar(&f.acmeEmail, "acme-email", "", "obtain and renew by ACME the certificates of custom domain names created without one, with this contact address for the ACME account (default: $"+acmeEmailEnv+"; none: such domain names are refused)")
	fl.StringVar(&f.acmeCA, "acme-ca", acme.DefaultDirectory, "the ACME CA's directory URL (default: $"+acmeCAEnv+", else Let's Encrypt's production CA)")
	fl.StringVar(&f.acmeCARoot, "acme-ca-root", "", "a PEM file of the roots the ACME CA's HTTPS endpoint is verified against, for a private or test CA such as Pebble (default: $"+acmeCARootEnv+"; none: the system's roots)")
	fl.StringVar(&f.adminTLSCert, "admin-tls-cert", "", "serve the admin listener over HTTPS with this certificate file; needs --admin-tls-key; reloaded on SIGHUP")
	fl.StringVar(&f.adminTLSKey, "admin-tls-key", "", "the private key file (PEM) of --admin-tls-cert")
	fl.StringVar(&f.upstreamCAFile, "upstream-ca-file", "", "also trust the CA certificates in this PEM file when verifying HTTPS backends (a private CA), besides the system's")
	fl.StringSliceVar(&f.trustedProxies, "trusted-proxies", nil, "addresses or CIDR prefixes of the load balancers and proxies in front of the data plane (comma-separated, repeatable): from those peers the access log takes the client ip from X-Forwarded-For (the right-most address not in this list)")
	fl.StringVar(&f.cfg.LambdaEndpoint, "lambda-endpoint", "", "base URL of the AWS Lambda Invoke API that runs authorizers' and AWS_PROXY integrations' functions: https://lambda.{region}.amazonaws.com (SigV4-signed when the AWS SDK's standard credential chain finds credentials), the Lambda Runtime Interface Emulator, or any compatible runner (default: $"+lambdaEndpointEnv+"; none: Lambda function URIs answer FUNCTION_NO_ENDPOINT)")
	fl.DurationVar(&f.cfg.LambdaTimeout, "lambda-timeout", lambda.DefaultMaxTimeout, "cap on every function call, whatever an integration's timeoutInMillis allows")
	fl.StringVar(&f.lockMemory, "lock-memory", string(memlock.Auto), "keep the node's memory in RAM (mlockall): auto (when allowed), on (or fail), off")
	fl.IntVar(&f.cfg.DecisionsMax, "decisions-max", gateway.DefaultDecisionsMax, fmt.Sprintf("how many served decisions the node keeps for gatehouse explain --request-id: it keeps at least the last %d requests or %s of them, whichever is more, up to this many (%d bytes each: the default bounds the log at 48 MiB)", gateway.DecisionsMinKeep, gateway.DecisionsRetention, gateway.DecisionSlotBytes))
	fl.Uint64Var(&f.gcFloorMiB, "gc-heap-floor-mib", defaultGCFloorMiB, "no garbage collection before the heap reaches this many MiB (0: Go's default pacing; ignored when GOGC or GOMEMLIMIT is set)")
	return cmd
}

func serve(ctx context.Context, f serveFlags, stdout, stderr io.Writer) error {
	level, lockMode, err := f.validate()
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))
	if locked, reason, err := memlock.Lock(lockMode); err != nil {
		return fmt.Errorf("--lock-memory=on: %w", err)
	} else if !locked && reason != "" {
		log.Warn("memory not locked: key material may reach swap and the kernel may reclaim the node's cold pages", "reason", reason)
	}
	f.cfg.Logger = log
	access, closeAccess, err := openAccessLog(f.accessLog, stdout, stderr)
	if err != nil {
		return err
	}
	defer func() {
		if err := closeAccess(); err != nil {
			log.Error("closing the access log", "error", err)
		}
	}()
	f.cfg.AccessLog = access
	audit, closeAudit, err := openAuditLog(f.auditLog, f.cfg.DataDir, stdout, stderr)
	if err != nil {
		return err
	}
	defer func() {
		if err := closeAudit(); err != nil {
			log.Error("closing the audit log", "error", err)
		}
	}()
	f.cfg.AuditLog = audit
	defer startGCFloor(f.gcFloorMiB, os.Getenv, log).Stop()

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	// SIGHUP reloads the certificates; caught from here on, so that it
	// never kills the node.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	srv, err := server.New(ctx, f.cfg)
	if err != nil {
		return err
	}
	defer srv.Close()
	go reloadOnHangup(ctx, hup, srv, log)

	adminLn, err := net.Listen("tcp", f.cfg.AdminListen)
	if err != nil {
		return fmt.Errorf("--admin-listen: %w", err)
	}
	dataLn, err := net.Listen("tcp", f.cfg.Listen)
	if err != nil {
		adminLn.Close()
		return fmt.Errorf("--listen: %w", err)
	}
	adminURL := scheme(srv.AdminTLS()) + adminLn.Addr().String()
	dataURL := scheme(srv.DataTLS()) + hostForURL(dataLn.Addr())

	if f.demo {
		if err := seedDemo(ctx, srv, f.cfg.DataDir, adminURL, dataURL, stdout); err != nil {
			adminLn.Close()
			dataLn.Close()
			return fmt.Errorf("--demo: %w", err)
		}
	} else if srv.CredentialsCreated {
		fmt.Fprintf(stdout, "Admin credentials created in %s (access key id %s).\n", f.cfg.DataDir+"/"+server.CredentialsFile, srv.Credentials.AccessKeyID)
	}
	log.Info("gatehouse serving", "version", version(), "admin", adminURL, "data", dataURL, "dataDir", f.cfg.DataDir, "store", srv.StoreLocation, "dev", f.cfg.Dev)
	err = srv.Serve(ctx, adminLn, dataLn)
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	log.Info("gatehouse stopped")
	return nil
}

// scheme is a listener's URL scheme.
func scheme(tls bool) string {
	if tls {
		return "https://"
	}
	return "http://"
}

// reloadOnHangup reloads the listeners' certificates on every SIGHUP until
// ctx ends. A failed reload keeps the certificates in use and says why.
func reloadOnHangup(ctx context.Context, hup <-chan os.Signal, srv *server.Server, log *slog.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			switch err := srv.ReloadTLS(); {
			case !srv.DataTLS() && !srv.AdminTLS():
				log.Info("SIGHUP: no TLS certificate to reload")
			case err != nil:
				log.Error("SIGHUP: reloading the TLS certificates failed", "error", err)
			default:
				log.Info("SIGHUP: TLS certificates reloaded")
			}
		}
	}
}

// defaultGCFloorMiB is --gc-heap-floor-mib's default: the memory a node
// may hold beyond its live data so that it collects a few times a second
// under load instead of dozens (see package gcfloor).
const defaultGCFloorMiB = 64

// startGCFloor starts the garbage collector's heap floor, unless the
// operator chose a policy with GOGC or GOMEMLIMIT (getenv reads the
// environment).
func startGCFloor(mib uint64, getenv func(string) string, log *slog.Logger) *gcfloor.Floor {
	for _, name := range []string{"GOGC", "GOMEMLIMIT"} {
		if v := getenv(name); v != "" && mib > 0 {
			log.Info("garbage collector heap floor off: the environment sets "+name, name, v)
			return gcfloor.Start(0)
		}
	}
	return gcfloor.Start(mib << 20) // mib is at most maxGCFloorMiB (validate)
}

// hostForURL turns a listener address into host:port usable in a URL,
// replacing an unspecified host with localhost.
func hostForURL(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// openAccessLog opens the access log destination behind a buffered sink:
// one line per request costs a copy, not a system call. closeFn flushes it.
func openAccessLog(dest string, stdout, stderr io.Writer) (io.Writer, func() error, error) {
	var out io.Writer
	var file *os.File
	switch dest {
	case "off":
		return nil, func() error { return nil }, nil
	case "stderr", "":
		out = stderr
	case "stdout":
		out = stdout
	default:
		f, err := os.OpenFile(dest, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return nil, nil, fmt.Errorf("--access-log: %w", err)
		}
		out, file = f, f
	}
	sink := logsink.New(out, 0)
	closeFn := func() error {
		err := sink.Close()
		if file != nil {
			err = errors.Join(err, file.Close())
		}
		return err
	}
	return sink, closeFn, nil
}

// auditLogFile is the audit log's file name in the data directory.
const auditLogFile = "audit.log"

// openAuditLog opens the audit log destination. By default it is a file in
// the data directory: audit records outlive restarts, stay apart from the
// operational logs on stderr, and are readable by the node's user only
// (mode 0600 in a 0700 directory). Lines are written unbuffered, one write
// each, so a crash loses none; management changes are few.
func openAuditLog(dest, dataDir string, stdout, stderr io.Writer) (io.Writer, func() error, error) {
	switch dest {
	case "off":
		return nil, func() error { return nil }, nil
	case "stderr":
		return stderr, func() error { return nil }, nil
	case "stdout":
		return stdout, func() error { return nil }, nil
	case "":
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return nil, nil, fmt.Errorf("--audit-log: data dir: %w", err)
		}
		dest = filepath.Join(dataDir, auditLogFile)
	}
	f, err := os.OpenFile(dest, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("--audit-log: %w", err)
	}
	return f, f.Close, nil
}
