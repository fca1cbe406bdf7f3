package awsapi

import (
	"context"
	"net/http"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/control"
)

// MethodInvoker is the data plane as TestInvokeMethod needs it: it runs a
// method of an API's current definition on a simulated request, through
// the served pipeline in test-invoke mode, and reports what a caller
// would get. The server wires the gateway to it (awsapi must not import
// gateway). An error is for input the method cannot run on; a failing
// method is a result with a 5xx status.
type MethodInvoker interface {
	TestInvokeMethod(ctx context.Context, api *apigw.RestAPI, resourceID, httpMethod string, in apigw.MethodTest) (apigw.MethodTestResult, error)
}

// testInvokeMethodTimeout bounds one TestInvokeMethod call on top of the
// integration's own timeout (at most 29 s on AWS), so that a hanging
// upstream cannot hold the management call.
const testInvokeMethodTimeout = 35 * time.Second

type testInvokeMethodRequest struct {
	PathWithQueryString string              `json:"pathWithQueryString"`
	Body                string              `json:"body"`
	Headers             map[string]string   `json:"headers"`
	MultiValueHeaders   map[string][]string `json:"multiValueHeaders"`
	ClientCertificateID string              `json:"clientCertificateId"`
	StageVariables      map[string]string   `json:"stageVariables"`
}

// testInvokeMethodJSON is TestInvokeMethod's answer (always 200, even when
// the method fails); latency is in milliseconds.
type testInvokeMethodJSON struct {
	Status            int                 `json:"status"`
	Body              string              `json:"body"`
	Headers           map[string]string   `json:"headers,omitempty"`
	MultiValueHeaders map[string][]string `json:"multiValueHeaders,omitempty"`
	Log               string              `json:"log"`
	Latency           int64               `json:"latency"`
}

// testInvokeMethod runs the method as the API defines it now (not as a
// stage's deployment froze it), through the data plane.
func (h *Handler) testInvokeMethod(w http.ResponseWriter, r *http.Request) error {
	var req testInvokeMethodRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	ref := control.MethodRef{APIID: r.PathValue("restApiId"), ResourceID: r.PathValue("resourceId"), HTTPMethod: r.PathValue("httpMethod")}
	api, err := h.ctl.GetMethodAPI(r.Context(), ref)
	if err != nil {
		return err
	}
	if h.invoke == nil {
		return &notImplementedError{op: "TestInvokeMethod", why: "this node's data plane does not run test invocations"}
	}
	ctx, cancel := context.WithTimeout(r.Context(), testInvokeMethodTimeout)
	defer cancel()
	res, err := h.invoke.TestInvokeMethod(ctx, api, ref.ResourceID, ref.HTTPMethod, apigw.MethodTest{
		PathWithQueryString: req.PathWithQueryString,
		Body:                req.Body,
		Headers:             req.Headers,
		MultiValueHeaders:   req.MultiValueHeaders,
		ClientCertificateID: req.ClientCertificateID,
		StageVariables:      req.StageVariables,
	})
	if err != nil {
		return control.BadRequestf("%v", err)
	}
	return respond(w, http.StatusOK, testInvokeMethodJSON{
		Status:            res.Status,
		Body:              res.Body,
		Headers:           res.Headers,
		MultiValueHeaders: res.MultiValueHeaders,
		Log:               res.Log,
		Latency:           res.Latency.Milliseconds(),
	})
}
