package gateway

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// TestTestInvokeModesNamePipelineSteps: every step test-invoke-method
// treats apart is a pipeline step, so a renamed step cannot silently be
// applied (or skipped) by test invocations.
func TestTestInvokeModesNamePipelineSteps(t *testing.T) {
	names := map[string]bool{}
	for _, s := range pipeline {
		names[s.name] = true
	}
	for n := range testInvokeModes {
		if !names[n] {
			t.Errorf("testInvokeModes names %q, which is no pipeline step", n)
		}
	}
	for _, must := range []string{"authorizer", "keysource", "key", "plan", "throttle", "quota"} {
		if testInvokeModes[must] == 0 {
			t.Errorf("step %q is applied by test invocations; AWS's test skips it", must)
		}
	}
}

// TestTestInvokeConsumesNothing: a test invocation of a key-protected
// method with a valid key in a plan with a burst of 1 and a quota of 1
// leaves both whole for the caller, and writes no access log line.
func TestTestInvokeConsumesNothing(t *testing.T) {
	env := newGWEnv(t, gwOptions{})
	env.addAPI(apiDef{id: "tinvoke001", methods: map[string]*apigw.Method{"GET /pets": {APIKeyRequired: true, Integration: mockOK()}}})
	env.addPlan(&apigw.UsagePlan{ID: "plan01", Name: "p", APIStages: []apigw.APIStage{{APIID: "tinvoke001", Stage: "api"}},
		Throttle: &apigw.Throttle{RateLimit: 0.001, BurstLimit: 1}, Quota: &apigw.Quota{Limit: 1, Period: apigw.PeriodDay}})
	key := env.addKey("key001", true, "plan01")
	def := env.storedAPI("tinvoke001")
	var rid string
	for id, r := range def.Resources {
		if r.PathPart == "pets" {
			rid = id
		}
	}
	for range 3 {
		res, err := env.g.TestInvokeMethod(context.Background(), def, rid, "GET", apigw.MethodTest{Headers: map[string]string{"x-api-key": key}})
		if err != nil || res.Status != 200 {
			t.Fatalf("TestInvokeMethod: %d, %v", res.Status, err)
		}
		if !strings.Contains(res.Log, "Gatehouse: key: skipped by test-invoke, as on AWS; a request to a stage would pass: API key key001…") {
			t.Fatalf("log:\n%s", res.Log)
		}
	}
	if n := len(env.access.Bytes()); n != 0 {
		t.Errorf("test invocations wrote %d bytes of access log", n)
	}
	req, _ := http.NewRequest("GET", env.url("tinvoke001", "/pets"), nil)
	req.Header.Set("x-api-key", key)
	if r := env.do(req); r.status != 200 {
		t.Errorf("the first served request after test invocations: %d %s, want 200 (burst and quota untouched)", r.status, r.reason())
	}
	_, err := env.g.TestInvokeMethod(context.Background(), def, rid, "POST", apigw.MethodTest{})
	if !errors.Is(err, ErrTestInvokeInput) {
		t.Errorf("unknown method: %v, want ErrTestInvokeInput", err)
	}
}

// storedAPI reads an API's current definition from the store, as the
// management API hands it to TestInvokeMethod.
func (env *gwEnv) storedAPI(id string) *apigw.RestAPI {
	env.t.Helper()
	var api *apigw.RestAPI
	err := env.db.View(context.Background(), func(r store.Reader) error {
		var err error
		api, err = r.GetAPI(context.Background(), id)
		return err
	})
	if err != nil {
		env.t.Fatal(err)
	}
	return api
}

// TestTestInvokeHTTPIntegration: test-invoke-method of an HTTP integration
// logs the body after the request template, the upstream's answer before
// the response template, and the mapped answer, in AWS's order.
func TestTestInvokeHTTPIntegration(t *testing.T) {
	up := echoUpstream(t)
	env := newGWEnv(t, gwOptions{})
	env.addAPI(apiDef{id: "tinvoke002", methods: map[string]*apigw.Method{"POST /m": {Integration: &apigw.Integration{Type: apigw.IntegrationHTTP, HTTPMethod: "POST", URI: up.URL + "/m",
		RequestTemplates:     map[string]string{"application/json": `{"mapped": $input.json('$.n')}`},
		IntegrationResponses: map[string]*apigw.IntegrationResponse{"200": {StatusCode: "200", ResponseTemplates: map[string]string{"application/json": `{"sent": $input.json('$.body')}`}}}}}}})
	def := env.storedAPI("tinvoke002")
	var rid string
	for id, r := range def.Resources {
		if r.PathPart == "m" {
			rid = id
		}
	}
	res, err := env.g.TestInvokeMethod(context.Background(), def, rid, "POST", apigw.MethodTest{Body: `{"n": 7}`, Headers: map[string]string{"Content-Type": "application/json"}})
	if err != nil || res.Status != 200 || res.Body != `{"sent": "{\"mapped\": 7}"}` {
		t.Fatalf("TestInvokeMethod: %d %s, %v", res.Status, res.Body, err)
	}
	want := []string{
		`Endpoint request body after transformations: {"mapped": 7}`,
		"Sending request to " + up.URL + "/m",
		"Received response. Status: 200",
		`Endpoint response body before transformations: {"body":"{\"mapped\": 7}"`,
		`Method response body after transformations: {"sent": "{\"mapped\": 7}"}`,
	}
	at := 0
	for _, w := range want {
		i := strings.Index(res.Log[at:], w)
		if i < 0 {
			t.Fatalf("the log lacks %q after offset %d:\n%s", w, at, res.Log)
		}
		at += i + len(w)
	}
}
