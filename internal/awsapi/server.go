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

// Authenticator authenticates a request in two steps, so that a request
// that cannot be authentic costs no body read. It is called before the body
// is read and must not read r.Body: it checks everything that needs no body
// (credentials present and well-formed, access key id known, scope, request
// time) and returns an error (an AuthError for a refusal) or the function
// that checks the signature over the whole body. That function returns the
// caller's access key id, or an error as above.
type Authenticator func(r *http.Request) (verifyBody func(body []byte) (accessKeyID string, err error), err error)

// Options configure the management API handler.
type Options struct {
	Control      *control.Service
	Authenticate Authenticator
	Logger       *slog.Logger
	// AuditLog receives one JSON line per mutating call that passed
	// authentication (nil: none); see Handler.
	AuditLog io.Writer
	// Runner serves TestInvokeAuthorizer and FlushStageAuthorizersCache
	// (nil: TestInvokeAuthorizer answers 501, and a flush only checks the
	// stage, as there is no cache).
	Runner AuthorizerRunner
	// Invoker serves TestInvokeMethod (nil: it answers 501).
	Invoker MethodInvoker
	// InvokeDomain is the data plane's domain that GetExport's documents
	// name as host ({apiId}.execute-api.{InvokeDomain}); "" is
	// localhost:8080.
	InvokeDomain string
}

// Handler serves the management API.
//
// A request is served in this order: its operation is resolved from the
// method and path; the Authenticator's first step runs (a refusal reads no
// body); the body is read up to the operation's limit (a larger one is
// refused with RequestEntityTooLargeException, before reading when
// Content-Length says so); the signature is checked over the body; then the
// operation runs.
//
// Each mutating call (any method but GET) that passed authentication
// writes one line to the audit log: the caller's access key id, AWS's
// operation name, the resource created or changed (its management API
// path, e.g. /apikeys/4vq3yryqm5), the status and the AWS error type. It
// never carries a request or response body, so never a key value; a path
// segment naming an API key is left out when it could be a key value.
type Handler struct {
	ctl    *control.Service
	auth   Authenticator
	log    *slog.Logger
	audit  *slog.Logger // nil: no audit log
	runner AuthorizerRunner
	invoke MethodInvoker
	mux    *http.ServeMux
	// invokeDomain is Options.InvokeDomain (defaulted).
	invokeDomain string
}

// New returns the management API handler.
func New(o Options) *Handler {
	h := &Handler{ctl: o.Control, auth: o.Authenticate, log: o.Logger, runner: o.Runner, invoke: o.Invoker, invokeDomain: o.InvokeDomain}
	if h.invokeDomain == "" {
		h.invokeDomain = defaultInvokeDomain
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if o.AuditLog != nil {
		h.audit = slog.New(slog.NewJSONHandler(o.AuditLog, nil))
	}
	h.mux = http.NewServeMux()
	h.registerOperations()
	return h
}

type ctxKey int

const (
	bodyKey ctxKey = iota
	auditKey
)

// ServeHTTP resolves the operation, authenticates, reads the body within
// the operation's limit, and serves it.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	reqID := uuid.NewString()
	w.Header().Set("x-amzn-RequestId", reqID)
	sw := &statusWriter{ResponseWriter: w}
	op := h.resolve(r)
	opName := ""
	if op != nil {
		opName = op.name
	}
	defer func() {
		h.log.LogAttrs(r.Context(), slog.LevelInfo, "management request",
			slog.String("requestId", reqID), slog.String("operation", opName), slog.String("method", r.Method),
			slog.String("path", redactedPath(r, op)), slog.Int("status", sw.status),
			slog.String("errorType", sw.errorType), slog.Duration("latency", time.Since(start)))
	}()

	var verifyBody func([]byte) (string, error)
	if h.auth != nil {
		var err error
		if verifyBody, err = h.auth(r); err != nil {
			h.writeError(sw, r, err)
			return
		}
	}
	body, err := readBody(sw, r, op)
	if err != nil {
		h.writeError(sw, r, err)
		return
	}
	caller := ""
	if verifyBody != nil {
		if caller, err = verifyBody(body); err != nil {
			h.writeError(sw, r, err)
			return
		}
	}
	rec := &auditRecord{}
	if h.audit != nil && op != nil && op.mutating() {
		defer h.writeAudit(r, reqID, caller, op, rec, sw)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	ctx := context.WithValue(r.Context(), bodyKey, body)
	r = r.WithContext(context.WithValue(ctx, auditKey, rec))
	h.mux.ServeHTTP(sw, r)
}

// readBody reads r's body, refusing one larger than op accepts (or, for a
// request that names no operation, than bodyNone) without reading it when
// Content-Length announces it.
func readBody(w http.ResponseWriter, r *http.Request, op *operation) ([]byte, error) {
	limit, name := bodyNone, ""
	if op != nil {
		limit, name = op.maxBody(), op.name
	}
	if r.ContentLength > limit {
		return nil, &tooLargeError{op: name, limit: limit}
	}
	var buf bytes.Buffer
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength))
	}
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, limit)); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &tooLargeError{op: name, limit: limit}
		}
		return nil, &control.Error{Kind: control.KindBadRequest, Message: "Could not read request body: " + err.Error(), Err: err}
	}
	return buf.Bytes(), nil
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
