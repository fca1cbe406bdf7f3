package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/awsapi"
	"github.com/gatehouse-dev/gatehouse/internal/control"
	"github.com/gatehouse-dev/gatehouse/internal/secret"
	"github.com/gatehouse-dev/gatehouse/internal/sigv4"
	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlite"
)

// Defaults from DESIGN.md.
const (
	DefaultDataDir     = "./gatehouse-data"
	DefaultListen      = ":8080"
	DefaultAdminListen = "127.0.0.1:9090"
	DefaultRegion      = "us-east-1"
)

// File names inside the data directory.
const (
	DatabaseFile    = "gatehouse.db"
	SecretFile      = "server-secret"
	CredentialsFile = "admin-credentials"
)

// Config configures a node.
type Config struct {
	DataDir     string
	Listen      string // data plane address
	AdminListen string // management API, /metrics, /healthz
	// Dev accepts any SigV4 credentials and enables POST /_gatehouse/reset.
	// It is refused unless the admin listener is on a loopback address.
	Dev    bool
	Region string
	Logger *slog.Logger
	// Now is the clock (nil: time.Now), for tests.
	Now func() time.Time
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
	admin              http.Handler
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
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	keys, err := secret.LoadOrCreate(filepath.Join(cfg.DataDir, SecretFile))
	if err != nil {
		return nil, err
	}
	creds, created, err := secret.LoadOrCreateCredentials(filepath.Join(cfg.DataDir, CredentialsFile))
	if err != nil {
		return nil, err
	}
	st, err := sqlite.Open(ctx, filepath.Join(cfg.DataDir, DatabaseFile))
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	s := &Server{cfg: cfg, log: cfg.Logger, Store: st, Keys: keys, Credentials: creds, CredentialsCreated: created}
	s.Control = control.New(control.Options{Store: st, Keys: keys, Now: cfg.Now, Region: cfg.Region, Logger: cfg.Logger})
	s.admin = s.adminHandler()
	return s, nil
}

// Close releases the store.
func (s *Server) Close() error { return s.Store.Close() }

// AdminHandler serves the management API, /healthz and the dev endpoints.
func (s *Server) AdminHandler() http.Handler { return s.admin }

func (s *Server) adminHandler() http.Handler {
	v := &sigv4.Verifier{
		Service:        "apigateway",
		Now:            s.cfg.Now,
		AnyCredentials: s.cfg.Dev,
		Lookup: func(id string) (string, bool) {
			if id == s.Credentials.AccessKeyID {
				return s.Credentials.SecretAccessKey, true
			}
			return "", false
		},
	}
	api := awsapi.New(awsapi.Options{
		Control: s.Control,
		Logger:  s.log,
		Authenticate: func(r *http.Request, body []byte) error {
			if _, err := v.Verify(r, body); err != nil {
				var se *sigv4.Error
				if errors.As(err, &se) {
					return authError{se}
				}
				return err
			}
			return nil
		},
	})
	mux := http.NewServeMux()
	mux.Handle("/", api)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if _, err := s.Store.Revision(r.Context()); err != nil {
			http.Error(w, "store unavailable", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	if s.cfg.Dev {
		mux.HandleFunc("POST /_gatehouse/reset", func(w http.ResponseWriter, r *http.Request) {
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

// authError adapts a SigV4 failure to the management API's AuthError.
type authError struct{ e *sigv4.Error }

func (a authError) Error() string      { return a.e.Error() }
func (a authError) Unwrap() error      { return a.e }
func (a authError) AWSCode() string    { return a.e.Code }
func (a authError) AWSMessage() string { return a.e.Message }

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

func newHTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
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
	servers := []*http.Server{newHTTPServer(s.admin, s.log)}
	listeners := []net.Listener{admin}
	if data != nil {
		servers = append(servers, newHTTPServer(s.dataHandler(), s.log))
		listeners = append(listeners, data)
	}
	errc := make(chan error, len(servers))
	for i, srv := range servers {
		go func() {
			if err := srv.Serve(listeners[i]); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- err
				return
			}
			errc <- nil
		}()
	}
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
	return serveErr
}

// dataHandler is the data plane. Until the gateway lands it answers every
// call as AWS answers an unknown route.
func (s *Server) dataHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("x-amzn-ErrorType", "MissingAuthenticationTokenException")
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"message":"Missing Authentication Token"}`))
	})
}
