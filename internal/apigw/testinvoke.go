package apigw

import "time"

// MethodTest is TestInvokeMethod's input: a request to simulate against a
// method of an API's current definition.
type MethodTest struct {
	// PathWithQueryString is the request's path and query ("" : the
	// resource's own path, path parameters taking their names).
	PathWithQueryString string
	Body                string
	Headers             map[string]string
	MultiValueHeaders   map[string][]string
	ClientCertificateID string
	StageVariables      map[string]string
}

// MethodTestResult is TestInvokeMethod's answer: what a caller would get,
// with the execution log. A failed method is a result (Status 5xx), not an
// error.
type MethodTestResult struct {
	Status            int
	Body              string
	Headers           map[string]string
	MultiValueHeaders map[string][]string
	// Log is the execution log in AWS's format, followed by Gatehouse's
	// lines on the checks a request to a stage would have gone through.
	Log     string
	Latency time.Duration
}
