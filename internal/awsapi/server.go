package awsapi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/control"
	"github.com/google/uuid"
)

// AuthError is an authentication failure with AWS's code (for example
// "InvalidSignatureException") and message; its status is always 403.
type AuthError interface {
	error
	AWSCode() string
	AWSMessage() string
}

// Authenticator checks a request's signature. body is the whole request
// body (already read); it returns an AuthError for a refusal.
type Authenticator func(r *http.Request, body []byte) error

// Options configure the management API handler.
type Options struct {
	Control      *control.Service
	Authenticate Authenticator
	Logger       *slog.Logger
	// MaxBodyBytes caps request bodies (0: 10 MiB, AWS's import limit is 6 MB).
	MaxBodyBytes int64
}

// Handler serves the management API.
type Handler struct {
	ctl     *control.Service
	auth    Authenticator
	log     *slog.Logger
	maxBody int64
	mux     *http.ServeMux
}

// New returns the management API handler.
func New(o Options) *Handler {
	h := &Handler{ctl: o.Control, auth: o.Authenticate, log: o.Logger, maxBody: o.MaxBodyBytes}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.maxBody <= 0 {
		h.maxBody = 10 << 20
	}
	h.mux = http.NewServeMux()
	h.restAPIRoutes()
	h.keyRoutes()
	h.tagRoutes()
	h.accountRoutes()
	h.mux.Handle("/", h.wrap(func(w http.ResponseWriter, r *http.Request) error {
		return &control.Error{Kind: control.KindNotFound, Message: "Unknown operation: " + r.Method + " " + r.URL.EscapedPath()}
	}))
	return h
}

type ctxKey int

const bodyKey ctxKey = 0

// ServeHTTP reads the body (within the limit), authenticates, and routes.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	reqID := uuid.NewString()
	w.Header().Set("x-amzn-RequestId", reqID)
	sw := &statusWriter{ResponseWriter: w}
	defer func() {
		h.log.LogAttrs(r.Context(), slog.LevelInfo, "management request",
			slog.String("requestId", reqID), slog.String("method", r.Method),
			slog.String("path", r.URL.EscapedPath()), slog.Int("status", sw.status),
			slog.String("errorType", sw.errorType), slog.Duration("latency", time.Since(start)))
	}()

	body, err := io.ReadAll(http.MaxBytesReader(sw, r.Body, h.maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.writeError(sw, r, &control.Error{Kind: control.KindBadRequest, Message: "Request body exceeds the maximum size of " + itoa(h.maxBody) + " bytes"})
			return
		}
		h.writeError(sw, r, &control.Error{Kind: control.KindBadRequest, Message: "Could not read request body: " + err.Error()})
		return
	}
	if h.auth != nil {
		if err := h.auth(r, body); err != nil {
			h.writeError(sw, r, err)
			return
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r = r.WithContext(context.WithValue(r.Context(), bodyKey, body))
	h.mux.ServeHTTP(sw, r)
}

// requestBody returns the body ServeHTTP read.
func requestBody(r *http.Request) []byte {
	b, _ := r.Context().Value(bodyKey).([]byte)
	return b
}

// handlerFunc is an operation handler: it writes a response or returns an error.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (h *Handler) wrap(fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			h.writeError(w, r, err)
		}
	})
}

// route registers an operation on a ServeMux pattern such as
// "GET /apikeys/{api_Key}".
func (h *Handler) route(pattern string, fn handlerFunc) {
	h.mux.Handle(pattern, h.wrap(fn))
}

type statusWriter struct {
	http.ResponseWriter
	status    int
	errorType string
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
		w.errorType = w.Header().Get("x-amzn-ErrorType")
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}
