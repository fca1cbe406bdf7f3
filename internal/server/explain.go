package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/gateway"
	"github.com/gatehouse-dev/gatehouse/internal/sigv4"
)

// ExplainPath is the admin API's explain call: POST, SigV4-signed like
// every management call, a JSON ExplainInput in, a JSON ExplainOutput out.
const ExplainPath = "/_gatehouse/explain"

// explainMaxBody caps POST /_gatehouse/explain's body.
const explainMaxBody = 64 << 10

// ExplainInput asks why a request would be (or was) refused. Either
// RequestID (a request this node served), or API, Method and Path (and
// optionally Stage, Headers, KeyID or KeyValue) for a dry run.
type ExplainInput struct {
	// API is the RestApi id.
	API string `json:"api,omitempty"`
	// Stage is the stage; "" means Path starts with it, as in a
	// /{stage}/{path} URL (so that a URL without a stage is explained as
	// its caller sent it).
	Stage  string `json:"stage,omitempty"`
	Method string `json:"method,omitempty"`
	// Path is the resource path, escaped as in a URL, with an optional
	// ?query.
	Path    string            `json:"path,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	// KeyID names the API key by id; KeyValue sends a value in x-api-key.
	// At most one.
	KeyID    string `json:"keyId,omitempty"`
	KeyValue string `json:"keyValue,omitempty"`
	// Canary explains, for a stage with a canary release, a request its
	// canary serves (default: one the stage's own deployment serves).
	Canary bool `json:"canary,omitempty"`
	// RequestID looks a served request up (x-amzn-RequestId); with it, no
	// other field.
	RequestID string `json:"requestId,omitempty"`
}

// ExplainStep is one pipeline step in ExplainOutput.
type ExplainStep struct {
	Name    string `json:"name"`
	Verdict string `json:"verdict"`
	Reason  string `json:"reason"`
	Detail  string `json:"detail"`
}

// ExplainOutput is the pipeline's answer. For a dry run, every field is
// the dry run's. For a request id, Allowed, Reason, Status, Step, Detail
// and Fix are the recorded decision's (what the caller got), Request is
// the record, and Steps (with the ids) are a dry run of the same request
// now, whose own outcome is Replay.
type ExplainOutput struct {
	Allowed bool `json:"allowed"`
	// Reason is the refusal's code ("" when allowed).
	Reason       string        `json:"reason"`
	Status       int           `json:"status,omitempty"`
	ErrorType    string        `json:"errorType,omitempty"`
	ResponseType string        `json:"responseType,omitempty"`
	Step         string        `json:"step,omitempty"`
	Detail       string        `json:"detail,omitempty"`
	Fix          string        `json:"fix"`
	Steps        []ExplainStep `json:"steps"`
	APIID        string        `json:"apiId,omitempty"`
	StageName    string        `json:"stage,omitempty"`
	DeploymentID string        `json:"deploymentId,omitempty"`
	// Canary: the stage's canary release serves the request.
	Canary       bool   `json:"canary,omitempty"`
	ResourcePath string `json:"resourcePath,omitempty"`
	HTTPMethod   string `json:"httpMethod,omitempty"`
	KeyID        string `json:"keyId,omitempty"`
	PlanID       string `json:"planId,omitempty"`
	Integration  string `json:"integration,omitempty"`

	Request             *ExplainRecord `json:"request,omitempty"`
	ConfigurationExists *bool          `json:"configurationExists,omitempty"`
	Replay              *ExplainReplay `json:"replay,omitempty"`
}

// ExplainRecord is a served request's recorded decision.
type ExplainRecord struct {
	RequestID string    `json:"requestId"`
	Time      time.Time `json:"time"`
	APIID     string    `json:"apiId"`
	Stage     string    `json:"stage"`
	Method    string    `json:"method"`
	Path      string    `json:"path"`
	KeyID     string    `json:"keyId,omitempty"`
	KeySource string    `json:"keySource,omitempty"`
	Status    int       `json:"status"`
	Reason    string    `json:"reason"`
	Step      string    `json:"step,omitempty"`
	Detail    string    `json:"detail,omitempty"`
	Truncated bool      `json:"truncated,omitempty"`
	Canary    bool      `json:"canary,omitempty"`
}

// ExplainReplay is the outcome of the dry run of a recorded request now.
type ExplainReplay struct {
	Allowed bool   `json:"allowed"`
	Reason  string `json:"reason"`
	Fix     string `json:"fix"`
}

// serveExplain answers POST /_gatehouse/explain.
func (s *Server) serveExplain(v *sigv4.Verifier) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, ok := readSigned(w, r, v, explainMaxBody, s.log)
		if !ok {
			return
		}
		var in ExplainInput
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			writeAWSError(w, "BadRequestException", http.StatusBadRequest, "the body must be one JSON object with the fields api, stage, method, path, headers, keyId, keyValue, canary, requestId: "+err.Error())
			return
		}
		if dec.More() {
			writeAWSError(w, "BadRequestException", http.StatusBadRequest, "the body must be one JSON object, with nothing after it")
			return
		}
		var out ExplainOutput
		if in.RequestID != "" {
			var code string
			var status int
			out, code, status = s.explainRequestID(r, in)
			if status != 0 {
				writeAWSError(w, code, status, out.Detail)
				return
			}
		} else {
			req, err := explainRequest(in)
			if err != nil {
				writeAWSError(w, "BadRequestException", http.StatusBadRequest, err.Error())
				return
			}
			tr := s.Gateway.Explain(r.Context(), gateway.ExplainRequest{Request: req, KeyID: in.KeyID, Canary: in.Canary})
			out = traceOutput(tr)
			if d := tr.Decision; d != nil {
				out.Reason, out.Detail, out.Fix = string(d.Reason), d.Detail, tr.Fix
				for _, st := range tr.Steps {
					if st.Verdict == gateway.VerdictRefuse {
						out.Step = st.Name
					}
				}
			}
		}
		b, err := json.Marshal(out)
		if err != nil {
			writeAWSError(w, "InternalServerErrorException", http.StatusInternalServerError, "Internal server error")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	}
}

// explainRequestID answers for a served request: its record, and a dry
// run of it now. status is 404 when the node has no such decision.
func (s *Server) explainRequestID(r *http.Request, in ExplainInput) (out ExplainOutput, code string, status int) {
	if in.API != "" || in.Stage != "" || in.Method != "" || in.Path != "" || len(in.Headers) > 0 || in.KeyID != "" || in.KeyValue != "" || in.Canary {
		return ExplainOutput{Detail: fmt.Sprintf("requestId %q explains a served request: give no other field", in.RequestID)}, "BadRequestException", http.StatusBadRequest
	}
	rec, ok := s.Gateway.Decision(in.RequestID)
	if !ok {
		return ExplainOutput{Detail: fmt.Sprintf("this node has no decision for request id %q: it keeps the last %d requests or %s, whichever is more, up to --decisions-max; the request may be older, or served by another node",
			in.RequestID, gateway.DecisionsMinKeep, gateway.DecisionsRetention)}, "NotFoundException", http.StatusNotFound
	}
	rp := s.Gateway.ExplainDecision(r.Context(), rec)
	out = traceOutput(rp.Trace)
	out.Allowed = rec.Reason == gateway.ReasonOK
	out.Reason, out.Status, out.Fix = "", rec.Status, rp.Fix
	out.ErrorType, out.ResponseType = "", ""
	if !out.Allowed {
		out.Reason, out.Step, out.Detail = string(rec.Reason), rec.Step, rec.Detail
	}
	exists := rp.ConfigurationExists
	out.ConfigurationExists = &exists
	out.Request = &ExplainRecord{RequestID: rec.RequestID, Time: rec.Time, APIID: rec.APIID, Stage: rec.Stage, Method: rec.Method, Path: rec.Path,
		KeyID: rec.KeyID, KeySource: rec.KeySource, Status: rec.Status, Reason: string(rec.Reason), Step: rec.Step, Detail: rec.Detail, Truncated: rec.Truncated, Canary: rec.Canary}
	rpl := &ExplainReplay{Allowed: rp.Trace.Decision == nil, Fix: rp.Trace.Fix}
	if d := rp.Trace.Decision; d != nil {
		rpl.Reason = string(d.Reason)
	}
	out.Replay = rpl
	return out, "", 0
}

// traceOutput turns a trace into the wire shape (the outcome fields are
// the caller's to fill).
func traceOutput(tr gateway.Trace) ExplainOutput {
	out := ExplainOutput{
		Allowed: tr.Decision == nil, Status: tr.Status, ErrorType: tr.ErrorType, ResponseType: string(tr.ResponseType),
		Steps: make([]ExplainStep, len(tr.Steps)), APIID: tr.APIID, StageName: tr.Stage, DeploymentID: tr.DeploymentID, Canary: tr.Canary,
		ResourcePath: tr.ResourcePath, HTTPMethod: tr.HTTPMethod, KeyID: tr.KeyID, PlanID: tr.PlanID, Integration: tr.Integration,
	}
	for i, st := range tr.Steps {
		out.Steps[i] = ExplainStep{Name: st.Name, Verdict: string(st.Verdict), Reason: string(st.Reason), Detail: st.Detail}
	}
	return out
}

// explainRequest builds the request a caller would send: the
// /restapis/{api}/{stage}/_user_request_{path} URL, or with no stage the
// /{path} URL with x-apigw-api-id (the path's first segment is then the
// stage, as for the caller).
func explainRequest(in ExplainInput) (*http.Request, error) {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if in.API == "" {
		bad("api: required (the RestApi id)")
	} else if strings.ContainsAny(in.API, "/?#% ") {
		bad("api %q: must be a RestApi id (no /, ?, #, %% or space)", in.API)
	}
	if strings.ContainsAny(in.Stage, "/?#% ") {
		bad("stage %q: must be a stage name (no /, ?, #, %% or space)", in.Stage)
	}
	if in.Method == "" || !isToken(in.Method) {
		bad("method %q: must be an HTTP method, as GET or POST", in.Method)
	}
	if !strings.HasPrefix(in.Path, "/") {
		bad("path %q: must start with /", in.Path)
	}
	if in.KeyID != "" && in.KeyValue != "" {
		bad("keyId and keyValue: give at most one")
	}
	for name := range in.Headers {
		if !isToken(name) {
			bad("headers: %q is not a header name", name)
		}
	}
	if len(errs) > 0 {
		msgs := make([]string, len(errs))
		for i, e := range errs {
			msgs[i] = e.Error()
		}
		return nil, errors.New(strings.Join(msgs, "; "))
	}
	target := in.Path
	if in.Stage != "" {
		target = "/restapis/" + in.API + "/" + in.Stage + "/_user_request_" + in.Path
	}
	u, err := url.ParseRequestURI(target)
	if err != nil {
		return nil, fmt.Errorf("path %q: not a URL path: %w", in.Path, err)
	}
	req := &http.Request{Method: strings.ToUpper(in.Method), URL: u, RequestURI: target, Header: http.Header{}, Host: "localhost", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}
	for name, v := range in.Headers {
		if strings.EqualFold(name, "Host") {
			req.Host = v
			continue
		}
		req.Header.Set(name, v)
	}
	if in.Stage == "" && req.Header.Get("x-apigw-api-id") == "" {
		req.Header.Set("x-apigw-api-id", in.API)
	}
	if in.KeyValue != "" {
		req.Header.Set("x-api-key", in.KeyValue)
	}
	if cl := req.Header.Get("Content-Length"); cl != "" {
		n, err := strconv.ParseInt(cl, 10, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("headers: Content-Length %q must be a number of bytes", cl)
		}
		req.ContentLength = n
	}
	return req, nil
}

// isToken reports an RFC 9110 token (method and header names).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// readSigned authenticates an admin call as the management API does:
// everything the signature carries without the body first, then the body
// (at most max bytes), then the signature over it. On failure it has
// answered in the management API's error shape.
func readSigned(w http.ResponseWriter, r *http.Request, v *sigv4.Verifier, max int64, log *slog.Logger) ([]byte, bool) {
	p, err := v.Check(r)
	if err == nil {
		var body []byte
		body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, max))
		if err != nil {
			writeAWSError(w, "BadRequestException", http.StatusBadRequest,
				fmt.Sprintf("%s %s takes a body of at most %d bytes: %v", r.Method, r.URL.Path, max, err))
			return nil, false
		}
		if _, err = p.Verify(r, body); err == nil {
			return body, true
		}
	}
	var se *sigv4.Error
	if !errors.As(err, &se) {
		log.Error("admin call: signature check failed", "path", r.URL.Path, "error", err)
		writeAWSError(w, "InternalServerErrorException", http.StatusInternalServerError, "Internal server error")
		return nil, false
	}
	writeAWSError(w, se.Code, se.StatusCode(), se.Message)
	return nil, false
}
