package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/gateway/state"
)

// maxValidationDetail caps the failing value's description in a
// REQUEST_BODY_INVALID_FOR_MODEL detail (the access log line).
const maxValidationDetail = 300

// validate is AWS's request validation, for a method that names a request
// validator: the required request parameters are present and not blank
// (400 BAD_REQUEST_PARAMETERS, "Missing required request parameters: [a,
// b]"), then the body matches the request model for its content type
// (400 BAD_REQUEST_BODY, "Invalid request body").
//
// It runs before the throttle and the quota (AWS validates after them):
// a request the gateway refuses for its own content costs its caller no
// token and no quota, as every other refusal here. The body is read (up to
// the payload limit) only when a model applies, and handed on to the
// integration intact. A dry run (Explain) has no body: it says what it
// would check; test-invoke-method, which passes one, checks it.
func (g *Gateway) validate(_ context.Context, rq *request) *Decision {
	m := rq.match.Method
	if m == nil || m.RequestValidatorID == "" {
		return nil
	}
	v := rq.stage.Validations[m]
	if v == nil || v.Validator == nil {
		if rq.trace != nil {
			rq.note = append(rq.note, "request validator "+m.RequestValidatorID+" is not in deployment "+rq.stage.DeploymentID+": nothing is validated")
		}
		return nil
	}
	if d := validateParams(rq, v); d != nil {
		return d
	}
	return g.validateBody(rq, v)
}

// validatorName names a validator for details: id and name.
func validatorName(v *state.Validation) string {
	return v.ValidatorID + " (" + quote(v.Validator.Name) + ")"
}

// validateParams refuses a request that lacks a required parameter, or
// sends it blank.
func validateParams(rq *request, v *state.Validation) *Decision {
	if len(v.Params) == 0 {
		if rq.trace != nil && v.Validator.ValidateRequestParameters {
			rq.note = append(rq.note, "request validator "+validatorName(v)+" checks parameters; the method requires none")
		}
		return nil
	}
	var missing []state.RequiredParam
	for _, p := range v.Params {
		if !paramPresent(rq, p) {
			missing = append(missing, p)
		}
	}
	if len(missing) == 0 {
		if rq.trace != nil {
			rq.note = append(rq.note, fmt.Sprintf("the %d required request parameters are present (validator %s)", len(v.Params), validatorName(v)))
		}
		return nil
	}
	names := make([]string, len(missing))
	where := make([]string, len(missing))
	for i, p := range missing {
		names[i] = p.Name
		where[i] = p.In + " " + quote(p.Name)
	}
	d := refuse(ReasonParametersMissing, fmt.Sprintf("%s %s: required request parameters missing or blank: %s (request validator %s)",
		rq.r.Method, rq.match.Resource.Path, strings.Join(where, ", "), validatorName(v)))
	d.Message = "Missing required request parameters: [" + strings.Join(names, ", ") + "]"
	return d
}

// paramPresent reports whether a required parameter is in the request and
// not blank.
func paramPresent(rq *request, p state.RequiredParam) bool {
	switch p.In {
	case "header":
		for _, v := range rq.r.Header.Values(p.Name) {
			if strings.TrimSpace(v) != "" {
				return true
			}
		}
		return false
	case "path":
		v, ok := rq.params.Get(p.Name)
		return ok && strings.TrimSpace(v) != ""
	}
	return queryPresent(rq.r.URL.RawQuery, p.Name)
}

// queryPresent reports whether the raw query string has parameter name
// with a value that is not blank.
func queryPresent(raw, name string) bool {
	for raw != "" {
		var kv string
		kv, raw, _ = strings.Cut(raw, "&")
		k, val, _ := strings.Cut(kv, "=")
		if strings.ContainsAny(k, "%+") {
			var err error
			if k, err = url.QueryUnescape(k); err != nil {
				continue
			}
		}
		if k != name {
			continue
		}
		if strings.ContainsAny(val, "%+") {
			if u, err := url.QueryUnescape(val); err == nil {
				val = u
			}
		}
		if strings.TrimSpace(val) != "" {
			return true
		}
	}
	return false
}

// validateBody checks the body against the request model for its
// content type, reading it (up to the payload limit) and putting it back
// for the integration.
func (g *Gateway) validateBody(rq *request, v *state.Validation) *Decision {
	if !v.Validator.ValidateRequestBody {
		return nil
	}
	mt := apigw.RequestMediaType(rq.r.Header.Get("Content-Type"))
	sc := v.ModelFor(mt)
	if sc == nil {
		if rq.trace != nil {
			rq.note = append(rq.note, "no request model for content type "+quote(mt)+" (nor "+apigw.ContentTypeDefault+"): the body is not checked, as on AWS")
		}
		return nil
	}
	if rq.dryRun && !rq.testInvoke {
		rq.note = append(rq.note, "the body would be checked against model "+sc.Name+" (content type "+mt+"); not checked: the body is not part of a dry run")
		return nil
	}
	body, d := g.readBody(rq)
	if d != nil {
		return d
	}
	if f := sc.Validate(body); f != nil {
		msg := f.String()
		if len(msg) > maxValidationDetail {
			msg = msg[:maxValidationDetail] + "…"
		}
		d := refuse(ReasonBodyInvalidForModel, fmt.Sprintf("the body does not match model %s (content type %s) %s (request validator %s)", sc.Name, mt, msg, validatorName(v)))
		return d
	}
	if rq.trace != nil {
		rq.note = append(rq.note, "the body matches model "+sc.Name+" (content type "+mt+")")
	}
	return nil
}

// readBody reads the whole request body, up to the payload limit, and
// replaces it with a reader of what was read, so that the integration
// sends the same bytes.
func (g *Gateway) readBody(rq *request) ([]byte, *Decision) {
	r := rq.r
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, g.maxBody+1))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe) || int64(len(body)) > g.maxBody:
		return nil, refuse(ReasonRequestTooLarge, fmt.Sprintf("the body is over the %d-byte payload limit", g.maxBody))
	case err != nil && r.Context().Err() != nil:
		return nil, refuse(ReasonClientGone, "the caller went away while its body was read for validation: "+err.Error())
	case err != nil:
		return nil, refuse(ReasonBodyInvalid, "the body could not be read for validation: "+err.Error())
	}
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	if r.ContentLength == 0 {
		r.Body = http.NoBody
	}
	return body, nil
}
