package gateway

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
)

// TestRefusalsDiscloseNothingToCallers: whatever the stage's settings, a
// refused caller never receives the refusal's detail, nor the id of any
// key or plan; only a stage tagged gatehouse:reasonHeader=true adds the
// reason code, and dataTraceEnabled (AWS: logs only) adds nothing.
func TestRefusalsDiscloseNothingToCallers(t *testing.T) {
	env := newGWEnv(t, gwOptions{})
	doit := map[string]*apigw.Method{"POST /doit": {APIKeyRequired: true, Integration: mockOK()}}
	env.addAPI(apiDef{id: "plain00001", methods: doit})
	env.addAPI(apiDef{id: "traced0001", methods: doit, dataTrace: true})
	env.addAPI(apiDef{id: "optedin001", methods: doit, stageTags: map[string]string{apigw.TagReasonHeader: "true"}})
	env.addAPI(apiDef{id: "optedout01", methods: doit, stageTags: map[string]string{apigw.TagReasonHeader: "false"}, dataTrace: true})
	// A key whose only plan is on another API's stage: the detail names
	// the key and the plan.
	env.addPlan(&apigw.UsagePlan{ID: "secretplan", Name: "p", APIStages: []apigw.APIStage{{APIID: "elsewhere0", Stage: "api"}}})
	value := env.addKey("secretkey1", true, "secretplan")

	for _, tt := range []struct {
		api        string
		wantReason string
	}{
		{"plain00001", ""},
		{"traced0001", ""},
		{"optedin001", string(ReasonKeyPlanNotOnStage)},
		{"optedout01", ""},
	} {
		t.Run(tt.api, func(t *testing.T) {
			req, _ := http.NewRequest("POST", env.url(tt.api, "/doit"), nil)
			req.Header.Set("x-api-key", value)
			r := env.do(req)
			if r.status != 403 || r.body != `{"message":"Forbidden"}` || r.reason() != string(ReasonKeyPlanNotOnStage) {
				t.Fatalf("got %d %s (reason %s)", r.status, r.body, r.reason())
			}
			if d, _ := r.line["detail"].(string); !strings.Contains(d, "secretkey1") || !strings.Contains(d, "secretplan") {
				t.Fatalf("the access log's detail %q should name the key and the plan (for the operator)", d)
			}
			if got := r.header.Get("X-Gatehouse-Reason"); got != tt.wantReason {
				t.Fatalf("x-gatehouse-reason %q, want %q", got, tt.wantReason)
			}
			for name, vs := range r.header {
				if strings.HasPrefix(strings.ToLower(name), "x-gatehouse-") && name != "X-Gatehouse-Reason" {
					t.Errorf("header %s sent to the caller", name)
				}
				for _, v := range vs {
					if strings.Contains(v, "secretkey1") || strings.Contains(v, "secretplan") || strings.Contains(v, "…"+value[len(value)-4:]) {
						t.Errorf("header %s: %q names the key or the plan", name, v)
					}
				}
			}
			if strings.Contains(r.body, "secret") {
				t.Errorf("body %q names the key or the plan", r.body)
			}
		})
	}
}
