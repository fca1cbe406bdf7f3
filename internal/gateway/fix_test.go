package gateway

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
)

// TestEveryReasonHasAFix: every reason code has an entry in fixes (a
// function, or nil for a deliberate "no fix").
func TestEveryReasonHasAFix(t *testing.T) {
	for r, name := range declaredReasons(t) {
		if r == ReasonOK {
			continue
		}
		if _, ok := fixes[r]; !ok {
			t.Errorf("reason %s (%s) has no entry in fixes (fix.go): give it a fix sentence, or nil for none", r, name)
		}
	}
}

// TestFixSentences: Explain's fix for the usual causes names the user's
// own objects: the key, the plan attached to the stage, the stage, the
// deployment, the stage's real name.
func TestFixSentences(t *testing.T) {
	env := newGWEnv(t, gwOptions{})
	key := &apigw.Method{APIKeyRequired: true, Integration: mockOK()}
	env.addAPI(apiDef{id: "fixapi0001", methods: map[string]*apigw.Method{"POST /doit": key},
		liveOnly: map[string]*apigw.Method{"DELETE /doit": key}})
	env.addAPI(apiDef{id: "other00001", methods: map[string]*apigw.Method{"POST /doit": key}})
	env.addAPI(apiDef{id: "authks0001", keySource: apigw.KeySourceAuthorizer, methods: map[string]*apigw.Method{"POST /doit": key}})
	env.addPlan(&apigw.UsagePlan{ID: "planon", Name: "on", APIStages: []apigw.APIStage{{APIID: "fixapi0001", Stage: "api"}}})
	env.addPlan(&apigw.UsagePlan{ID: "planoff", Name: "off", APIStages: []apigw.APIStage{{APIID: "other00001", Stage: "api"}}})
	good := env.addKey("k-good0001", true, "planon")
	noPlan := env.addKey("k-noplan01", true)
	offStage := env.addKey("k-offstg01", true, "planoff")
	disabled := env.addKey("k-disab001", false, "planon")

	base := env.srv.URL + "/restapis/fixapi0001"
	tests := []struct {
		name   string
		method string
		url    string
		hdr    []string
		keyID  string
		reason Reason
		fix    string
	}{
		{"key missing", "POST", base + "/api/_user_request_/doit", nil, "", ReasonKeyMissing, "send the API key in the x-api-key header"},
		{"key in another header", "POST", base + "/api/_user_request_/doit", []string{"Api-Key", good}, "", ReasonKeyOtherHeader, "send the key in the x-api-key header instead of api-key (or tag the RestApi fixapi0001 gatehouse:apiKeyHeader=api-key)"},
		{"key in the query", "POST", base + "/api/_user_request_/doit?api_key=" + good, nil, "", ReasonKeyInQuery, "gatehouse:apiKeyQuery=api_key"},
		{"unknown key", "POST", base + "/api/_user_request_/doit", []string{"x-api-key", "nope-0123456789-zzzz"}, "", ReasonKeyNotFound, "send the value of an existing API key"},
		{"key id sent as the value", "POST", base + "/api/_user_request_/doit", []string{"x-api-key", "k-good0001"}, "", ReasonKeyNotFound, "the client sends the id of API key k-good0001 instead of its value"},
		{"value given as a key id", "POST", base + "/api/_user_request_/doit", nil, good, ReasonKeyNotFound, "that is the value of API key k-good0001, not a key id"},
		{"disabled key", "POST", base + "/api/_user_request_/doit", nil, "k-disab001", ReasonKeyDisabled, "enable API key k-disab001: aws apigateway update-api-key --api-key k-disab001 --patch-operations op=replace,path=/enabled,value=true"},
		{"key in no plan", "POST", base + "/api/_user_request_/doit", []string{"x-api-key", noPlan}, "", ReasonKeyNoPlan, "add key k-noplan01 to usage plan planon (attached to stage api)"},
		{"plan not on the stage", "POST", base + "/api/_user_request_/doit", []string{"x-api-key", offStage}, "", ReasonKeyPlanNotOnStage, "attach usage plan planoff to stage api: aws apigateway update-usage-plan --usage-plan-id planoff --patch-operations op=add,path=/apiStages,value=fixapi0001:api; or add API key k-offstg01 to usage plan planon"},
		{"not redeployed", "DELETE", base + "/api/_user_request_/doit", nil, "k-good0001", ReasonNotDeployed, "redeploy stage api: DELETE /doit was added after deployment dep001 (aws apigateway create-deployment --rest-api-id fixapi0001 --stage-name api)"},
		{"stage case", "POST", base + "/API/_user_request_/doit", nil, "k-good0001", ReasonUnknownStage, "the stage is `api`, not `API`"},
		{"stage missing", "POST", env.srv.URL + "/doit", []string{"x-apigw-api-id", "fixapi0001"}, "k-good0001", ReasonUnknownStage, `the URL has no stage: "doit" is a resource, not a stage; call /api/doit`},
		{"stage missing, restapis form", "POST", base + "/_user_request_/doit", nil, "k-good0001", ReasonUnknownRoute, "the URL has no stage: invoke /restapis/fixapi0001/{stage}/_user_request_/{path}"},
		{"key source AUTHORIZER without authorizer", "POST", env.srv.URL + "/restapis/authks0001/api/_user_request_/doit", nil, "k-good0001", ReasonKeySourceAuthorizer, "set apiKeySource to HEADER"},
	}
	_ = disabled
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := env.g.Explain(context.Background(), ExplainRequest{Request: newReq(t, tt.method, tt.url, nil, tt.hdr...), KeyID: tt.keyID})
			if tr.Decision == nil || tr.Decision.Reason != tt.reason {
				t.Fatalf("decision %+v, want %s", tr.Decision, tt.reason)
			}
			if !strings.Contains(tr.Fix, tt.fix) {
				t.Fatalf("fix %q, want it to contain %q", tr.Fix, tt.fix)
			}
			for _, v := range []string{good, noPlan, offStage, disabled} {
				if strings.Contains(tr.Fix, v[:len(v)-4]) {
					t.Fatalf("the fix names a key value: %q", tr.Fix)
				}
			}
		})
	}
	// Allowed: no fix.
	tr := env.g.Explain(context.Background(), ExplainRequest{Request: newReq(t, "POST", base+"/api/_user_request_/doit", nil), KeyID: "k-good0001"})
	if tr.Decision != nil || tr.Fix != "" {
		t.Fatalf("allowed by key id: %+v fix %q", tr.Decision, tr.Fix)
	}
	for _, s := range tr.Steps {
		if s.Name == "keysource" && !strings.Contains(s.Detail, "explained with API key id k-good0001") {
			t.Fatalf("keysource detail %q", s.Detail)
		}
	}
}

// TestServedAndExplainedShareEveryStep makes it impossible for a check to
// exist in the served path and not in Explain's trace (or the reverse):
// every step function is run only through the pipeline array (no code
// calls one directly), both the served decision and the dry run go
// through run, which walks that array, and a served request traced by
// the same run goes through the same steps, in order, as Explain's trace.
func TestServedAndExplainedShareEveryStep(t *testing.T) {
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	steps := map[string]bool{} // methods with a step's signature
	inPipeline := map[string]bool{}
	calls := map[string][]string{} // function -> the Gateway methods it calls
	var refs []string              // references to step methods outside pipeline
	var parsed []*ast.File
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		parsed = append(parsed, f)
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv == nil || len(fd.Recv.List) != 1 {
				continue
			}
			if star, ok := fd.Recv.List[0].Type.(*ast.StarExpr); !ok || star.X.(*ast.Ident).Name != "Gateway" {
				continue
			}
			// run and decide drive the pipeline; they are not steps.
			if isStepSignature(fd.Type) && fd.Name.Name != "run" && fd.Name.Name != "decide" {
				steps[fd.Name.Name] = true
			}
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				if c, ok := n.(*ast.CallExpr); ok {
					if sel, ok := c.Fun.(*ast.SelectorExpr); ok {
						calls[fd.Name.Name] = append(calls[fd.Name.Name], sel.Sel.Name)
					}
				}
				return true
			})
		}
	}
	for _, f := range parsed {
		for _, d := range f.Decls {
			if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == token.VAR {
				for _, spec := range gd.Specs {
					vs := spec.(*ast.ValueSpec)
					if vs.Names[0].Name == "pipeline" {
						ast.Inspect(vs, func(n ast.Node) bool {
							if sel, ok := n.(*ast.SelectorExpr); ok {
								inPipeline[sel.Sel.Name] = true
							}
							return true
						})
						continue
					}
				}
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if gd, ok := n.(*ast.GenDecl); ok && gd.Tok == token.VAR && len(gd.Specs) == 1 && gd.Specs[0].(*ast.ValueSpec).Names[0].Name == "pipeline" {
				return false
			}
			// A method value or call on the gateway (g.step, (*Gateway).step).
			if sel, ok := n.(*ast.SelectorExpr); ok && steps[sel.Sel.Name] && isGatewayExpr(sel.X) {
				refs = append(refs, fset.Position(sel.Pos()).String()+": "+sel.Sel.Name)
			}
			return true
		})
	}
	if len(steps) < 9 {
		t.Fatalf("found only %d step functions: %v", len(steps), steps)
	}
	for s := range steps {
		if !inPipeline[s] {
			t.Errorf("(*Gateway).%s has a step's signature but is not in pipeline: a check outside the pipeline", s)
		}
	}
	if len(refs) > 0 {
		t.Errorf("step functions used outside the pipeline array (Explain would not see them):\n%s", strings.Join(refs, "\n"))
	}
	for fn, want := range map[string]string{"decide": "run", "explain": "run", "ServeHTTP": "decide", "Explain": "explain", "ExplainDecision": "explain"} {
		if !slices.Contains(calls[fn], want) {
			t.Errorf("(*Gateway).%s does not call %s", fn, want)
		}
	}

	// Dynamically: the served decision, traced, goes through every step of
	// the pipeline in order, as Explain's trace does.
	env := newGWEnv(t, gwOptions{})
	env.addAPI(apiDef{id: "same000001", methods: map[string]*apigw.Method{"POST /doit": {APIKeyRequired: true, Integration: mockOK()}}})
	env.addPlan(&apigw.UsagePlan{ID: "plan01", Name: "p", APIStages: []apigw.APIStage{{APIID: "same000001", Stage: "api"}},
		Throttle: &apigw.Throttle{RateLimit: 100, BurstLimit: 100}, Quota: &apigw.Quota{Limit: 100, Period: apigw.PeriodDay}})
	value := env.addKey("k-same0001", true, "plan01")
	req := func() *http.Request {
		return newReq(t, "POST", env.url("same000001", "/doit"), nil, "x-api-key", value)
	}
	served := &Trace{}
	rq := &request{r: req(), now: env.now, trace: served}
	if d := env.g.decide(context.Background(), rq); d != nil {
		t.Fatalf("served: %+v", d)
	}
	explained := env.g.Explain(context.Background(), ExplainRequest{Request: req()})
	names := func(tr *Trace) (out []string) {
		for _, s := range tr.Steps {
			out = append(out, s.Name+":"+string(s.Verdict))
		}
		return out
	}
	var want []string
	for _, s := range pipeline {
		want = append(want, s.name+":PASS")
	}
	if got := names(served); !slices.Equal(got, want) {
		t.Errorf("served steps %v, want %v", got, want)
	}
	if got := names(&explained); !slices.Equal(got, want) {
		t.Errorf("explained steps %v, want %v", got, want)
	}
}

// isStepSignature reports func(context.Context, *request) *Decision.
func isStepSignature(ft *ast.FuncType) bool {
	if ft.Results == nil || len(ft.Results.List) != 1 || ft.Params.NumFields() != 2 {
		return false
	}
	res, ok := ft.Results.List[0].Type.(*ast.StarExpr)
	if !ok || res.X.(*ast.Ident).Name != "Decision" {
		return false
	}
	var types []string
	for _, p := range ft.Params.List {
		n := len(p.Names)
		if n == 0 {
			n = 1
		}
		for range n {
			switch x := p.Type.(type) {
			case *ast.SelectorExpr:
				types = append(types, x.Sel.Name)
			case *ast.StarExpr:
				if id, ok := x.X.(*ast.Ident); ok {
					types = append(types, "*"+id.Name)
				}
			}
		}
	}
	return slices.Equal(types, []string{"Context", "*request"})
}

// isGatewayExpr reports the receivers steps are reached through: g (the
// gateway's receiver everywhere) and (*Gateway).
func isGatewayExpr(x ast.Expr) bool {
	switch x := x.(type) {
	case *ast.Ident:
		return x.Name == "g"
	case *ast.ParenExpr:
		if st, ok := x.X.(*ast.StarExpr); ok {
			id, ok := st.X.(*ast.Ident)
			return ok && id.Name == "Gateway"
		}
	}
	return false
}
