package gateway

import (
	"context"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
)

// TestResourcePolicyTable: AWS's evaluation table for a resource policy
// with no authorizer, with a Lambda authorizer (its policy Allow, silent
// or Deny against the resource policy's Allow, silence or Deny), and with
// an API key (no authorization type: the policy first, then the key). A
// resource policy Deny refuses before the authorizer is invoked.
func TestResourcePolicyTable(t *testing.T) {
	fn := newFnServer(t)
	env := newGWEnv(t, gwOptions{functions: httpInvoker(fn.srv.Client())})
	auths := map[string]*apigw.Authorizer{}
	for _, p := range []string{"allow", "deny", "elsewhere"} {
		auths[p] = requestAuthorizer(p, fn.uri("/"+p), ttl(0))
	}
	keyed := &apigw.Method{APIKeyRequired: true, Integration: mockOK()}
	env.addAPI(apiDef{id: "rpolicy001", authorizers: auths,
		methods: map[string]*apigw.Method{
			"GET /p-allow": custom("allow"), "GET /p-elsewhere": custom("elsewhere"), "GET /p-deny": custom("deny"),
			"GET /n-allow": custom("allow"), "GET /n-elsewhere": custom("elsewhere"),
			"GET /x-allow": custom("allow"),
			"GET /p-open":  {Integration: mockOK()}, "GET /n-open": {Integration: mockOK()},
			"GET /p-key": keyed, "GET /x-key": keyed,
		},
		policy: `{"Version":"2012-10-17","Statement":[` +
			`{"Sid":"allowsome","Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*/GET/p-*"},` +
			`{"Sid":"denyx","Effect":"Deny","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*/GET/x-*"}]}`,
	})
	arn := "arn:aws:execute-api:" + env.g.region + ":" + env.g.accountID + ":rpolicy001/api/GET"
	tests := []struct {
		name, path string
		status     int
		body       string
		reason     Reason
		invoked    string // the authorizer function called, "" for none
		detail     string // in the access log's detail
	}{
		{"policy Allow, authorizer Allow", "/p-allow", 200, `{"ok":true}`, ReasonOK, "/allow", ""},
		{"policy Allow, authorizer silent", "/p-elsewhere", 200, `{"ok":true}`, ReasonOK, "/elsewhere", ""},
		{"policy Allow, authorizer Deny", "/p-deny", 403, bodyExplicitDeny, ReasonAuthorizerDenied, "/deny", ""},
		{"policy silent, authorizer Allow", "/n-allow", 200, `{"ok":true}`, ReasonOK, "/allow", ""},
		{"policy silent, authorizer silent", "/n-elsewhere", 403, bodyNotAllowed, ReasonAuthorizerNotAllowed, "/elsewhere", "the API's resource policy has none either"},
		{"policy Deny: authorizer not invoked", "/x-allow", 403, `{"Message":"User: anonymous is not authorized to perform: execute-api:Invoke on resource: ` + arn + `/x-allow with an explicit deny"}`, ReasonResourcePolicyDenied, "", `Sid "denyx" (Statement[1])`},
		{"no authorizer, policy Allow", "/p-open", 200, `{"ok":true}`, ReasonOK, "", ""},
		{"no authorizer, policy silent", "/n-open", 403, `{"Message":"User: anonymous is not authorized to perform: execute-api:Invoke on resource: ` + arn + `/n-open"}`, ReasonResourcePolicyNotAllowed, "", "from source IP 127.0.0.1"},
		{"API key, policy Allow: the key is checked next", "/p-key", 403, `{"message":"Forbidden"}`, ReasonKeyMissing, "", ""},
		{"API key, policy Deny: refused before the key", "/x-key", 403, `{"Message":"User: anonymous is not authorized to perform: execute-api:Invoke on resource: ` + arn + `/x-key with an explicit deny"}`, ReasonResourcePolicyDenied, "", "denyx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := map[string]int{}
			for _, p := range []string{"/allow", "/deny", "/elsewhere"} {
				before[p] = fn.count(p)
			}
			r := env.do(newReq(t, "GET", env.url("rpolicy001", tt.path), nil, "X-Token", "t1"))
			detail, _ := r.line["detail"].(string)
			if r.status != tt.status || r.body != tt.body || r.reason() != string(tt.reason) || !strings.Contains(detail, tt.detail) {
				t.Fatalf("got %d %s reason %s (%s), want %d %s reason %s (detail with %q)", r.status, r.body, r.reason(), detail, tt.status, tt.body, tt.reason, tt.detail)
			}
			for p, n := range before {
				want := n
				if p == tt.invoked {
					want++
				}
				if got := fn.count(p); got != want {
					t.Errorf("function %s called %d times, want %d", p, got-n, want-n)
				}
			}
		})
	}

	// Explain names the statement that decided, refusing or passing.
	ctx := context.Background()
	tr := env.g.Explain(ctx, ExplainRequest{Request: newReq(t, "GET", env.url("rpolicy001", "/x-key"), nil)})
	if tr.Decision == nil || tr.Decision.Reason != ReasonResourcePolicyDenied || !strings.Contains(tr.Decision.Detail, `Sid "denyx" (Statement[1]) of the API's resource policy (deployment dep001) explicitly denies `+arn+"/x-key") ||
		tr.Status != 403 || !strings.Contains(tr.Fix, "update-rest-api --rest-api-id rpolicy001") {
		t.Fatalf("Explain of a denied request: %+v %+v", tr, tr.Decision)
	}
	tr = env.g.Explain(ctx, ExplainRequest{Request: newReq(t, "GET", env.url("rpolicy001", "/p-open"), nil)})
	if tr.Decision != nil || tr.Steps[3].Name != "policy" || !strings.Contains(tr.Steps[3].Detail, `Sid "allowsome" (Statement[0]) of the API's resource policy (deployment dep001) allows `+arn+"/p-open from source IP") {
		t.Fatalf("Explain of an allowed request: %+v, steps %+v", tr.Decision, tr.Steps)
	}
}
