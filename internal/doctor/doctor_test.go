package doctor_test

import (
	"context"
	"errors"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/control"
	"github.com/gatehouse-dev/gatehouse/internal/doctor"
	"github.com/gatehouse-dev/gatehouse/internal/patch"
	"github.com/gatehouse-dev/gatehouse/internal/secret"
	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlite"
)

// builder makes a configuration through control, as the management API
// would, failing the test on any error.
type builder struct {
	t   testing.TB
	ctx context.Context
	s   *control.Service
	db  store.Store
}

func newBuilder(t testing.TB) *builder {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "doctor.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	keys, err := secret.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	return &builder{t: t, ctx: ctx, s: control.New(control.Options{Store: db, Keys: keys, Now: func() time.Time { return now }}), db: db}
}

// must returns v, or panics (failing the test with a trace) on err.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func (b *builder) api(name string, keySource string) *apigw.RestAPI {
	b.t.Helper()
	return must(b.s.CreateRestAPI(b.ctx, control.CreateRestAPIInput{Name: name, APIKeySource: keySource}))
}

func (b *builder) resource(api *apigw.RestAPI, parentID, part string) string {
	b.t.Helper()
	return must(b.s.CreateResource(b.ctx, api.ID, parentID, part)).Resource.ID
}

// method puts a MOCK method; cors makes its integration response set
// Access-Control-Allow-Origin (the console's "Enable CORS" OPTIONS).
func (b *builder) method(api *apigw.RestAPI, resID, httpMethod string, in control.PutMethodInput, cors bool) {
	b.t.Helper()
	ref := control.MethodRef{APIID: api.ID, ResourceID: resID, HTTPMethod: httpMethod}
	if in.AuthorizationType == "" {
		in.AuthorizationType = apigw.AuthNone
	}
	must(b.s.PutMethod(b.ctx, ref, in))
	must(b.s.PutIntegration(b.ctx, ref, control.PutIntegrationInput{Type: apigw.IntegrationMock, RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`}}))
	var params map[string]string
	if cors {
		must(b.s.PutMethodResponse(b.ctx, ref, "200", control.PutMethodResponseInput{ResponseParameters: map[string]bool{"method.response.header.Access-Control-Allow-Origin": false}}))
		params = map[string]string{apigw.CORSAllowOriginParam: "'*'"}
	}
	must(b.s.PutIntegrationResponse(b.ctx, ref, "200", control.PutIntegrationResponseInput{ResponseParameters: params}))
}

func (b *builder) deploy(api *apigw.RestAPI, stage string) {
	b.t.Helper()
	must(b.s.CreateDeployment(b.ctx, api.ID, control.CreateDeploymentInput{StageName: stage}))
}

func (b *builder) plan(name string, stages []apigw.APIStage, th *apigw.Throttle, q *apigw.Quota) *apigw.UsagePlan {
	b.t.Helper()
	return must(b.s.CreateUsagePlan(b.ctx, control.CreateUsagePlanInput{Name: name, APIStages: stages, Throttle: th, Quota: q}))
}

func (b *builder) key(name string, enabled bool, plans ...*apigw.UsagePlan) *apigw.APIKey {
	b.t.Helper()
	k := must(b.s.CreateAPIKey(b.ctx, control.CreateAPIKeyInput{Name: name, Enabled: enabled}))
	for _, p := range plans {
		must(b.s.CreateUsagePlanKey(b.ctx, p.ID, k.ID, control.UsagePlanKeyType))
	}
	return k.APIKey
}

func (b *builder) run(o doctor.Options) *doctor.Report {
	b.t.Helper()
	var rep *doctor.Report
	err := b.db.View(b.ctx, func(r store.Reader) error {
		var err error
		rep, err = doctor.Run(b.ctx, r, o)
		return err
	})
	if err != nil {
		b.t.Fatal(err)
	}
	return rep
}

// problems is a configuration with one of each problem doctor finds.
type problems struct {
	shop, authz                     *apigw.RestAPI
	pets, orders, proxy, doit       string // resource ids
	gold, empty, ghost              *apigw.UsagePlan
	orphan, retired, stranded, good *apigw.APIKey
	authorizer                      *apigw.Authorizer
}

func buildProblems(b *builder) *problems {
	b.t.Helper()
	p := &problems{}
	p.shop = b.api("shop", "")
	root := p.shop.RootResourceID
	p.pets = b.resource(p.shop, root, "pets")
	b.method(p.shop, p.pets, "GET", control.PutMethodInput{APIKeyRequired: true}, false)
	// The console's "Enable CORS" OPTIONS, but requiring a key.
	b.method(p.shop, p.pets, "OPTIONS", control.PutMethodInput{APIKeyRequired: true}, true)
	p.authorizer = must(b.s.CreateAuthorizer(b.ctx, p.shop.ID, control.CreateAuthorizerInput{Name: "jwt", Type: apigw.AuthorizerToken,
		AuthorizerURI: "https://auth.example/check", IdentitySource: "method.request.header.Authorization"}))
	p.orders = b.resource(p.shop, root, "orders")
	b.method(p.shop, p.orders, "OPTIONS", control.PutMethodInput{AuthorizationType: apigw.AuthCustom, AuthorizerID: p.authorizer.ID}, true)
	p.proxy = b.resource(p.shop, root, "{proxy+}")
	b.method(p.shop, p.proxy, "ANY", control.PutMethodInput{AuthorizationType: apigw.AuthCustom, AuthorizerID: p.authorizer.ID}, false)
	// Customised: DEFAULT_4XX drops the CORS header, INVALID_API_KEY keeps it.
	must(b.s.PutGatewayResponse(b.ctx, p.shop.ID, "DEFAULT_4XX", control.PutGatewayResponseInput{ResponseTemplates: map[string]string{"application/json": `{"error":$context.error.messageString}`}}))
	must(b.s.PutGatewayResponse(b.ctx, p.shop.ID, "INVALID_API_KEY", control.PutGatewayResponseInput{ResponseParameters: map[string]string{"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"}}))
	b.deploy(p.shop, "prod")
	// Changed after the deployment, not redeployed.
	p.doit = b.resource(p.shop, root, "doit")
	b.method(p.shop, p.doit, "POST", control.PutMethodInput{APIKeyRequired: true}, false)
	must(b.s.UpdateMethod(b.ctx, control.MethodRef{APIID: p.shop.ID, ResourceID: p.pets, HTTPMethod: "GET"}, []patch.Op{{Op: patch.Replace, Path: "/apiKeyRequired", Value: "false"}}))

	p.authz = b.api("authz", apigw.KeySourceAuthorizer)
	b.method(p.authz, p.authz.RootResourceID, "GET", control.PutMethodInput{APIKeyRequired: true}, false)
	b.deploy(p.authz, "s")

	p.gold = b.plan("gold", []apigw.APIStage{{APIID: p.shop.ID, Stage: "prod"}}, &apigw.Throttle{BurstLimit: 100, RateLimit: 10}, &apigw.Quota{Limit: 50, Period: apigw.PeriodDay})
	p.empty = b.plan("empty", nil, nil, nil)
	p.ghost = b.plan("ghost", []apigw.APIStage{{APIID: p.authz.ID, Stage: "s"}}, nil, nil)
	// A plan on a stage that no longer exists: control and the store
	// never leave one (DeleteStage detaches it), so write it directly, as
	// a restore from an old backup or a hand-edited database would.
	err := b.db.Update(b.ctx, func(tx store.Tx) error {
		pl, err := tx.GetUsagePlan(b.ctx, p.ghost.ID)
		if err != nil {
			return err
		}
		pl.APIStages = append(pl.APIStages, apigw.APIStage{APIID: p.authz.ID, Stage: "Prod"})
		if err := tx.UpdateUsagePlan(b.ctx, pl); err != nil {
			return err
		}
		// A custom domain whose base path maps to a stage that is gone
		// (control checks the stage when the mapping is made; the stage
		// can be deleted later), and one whose mapping is fine.
		return errors.Join(
			tx.CreateDomainName(b.ctx, &apigw.DomainName{Name: "api.example.com", Mappings: []apigw.BasePathMapping{{BasePath: "orders/v1", RestAPIID: p.authz.ID, Stage: "gone"}}}),
			tx.CreateDomainName(b.ctx, &apigw.DomainName{Name: "ok.example.com", Mappings: []apigw.BasePathMapping{{RestAPIID: p.authz.ID, Stage: "s"}, {BasePath: "any", RestAPIID: p.authz.ID}}}))
	})
	if err != nil {
		b.t.Fatal(err)
	}
	p.orphan = b.key("orphan", true)
	p.retired = b.key("retired", false)
	p.stranded = b.key("stranded", true, p.empty)
	p.good = b.key("good", true, p.gold)
	return p
}

// TestRunFindsEachProblem builds a configuration with each problem and
// checks every finding: code, severity, resource, and that the message
// and fix name the user's objects.
func TestRunFindsEachProblem(t *testing.T) {
	b := newBuilder(t)
	p := buildProblems(b)
	method := func(api *apigw.RestAPI, res, m string) string {
		return "restapi/" + api.ID + "/resource/" + res + "/" + m
	}
	type want struct {
		code     string
		severity doctor.Severity
		resource string
		message  []string // substrings of the message
		fix      []string // substrings of the fix
	}
	wants := []want{
		{doctor.DomainMappingTargetMissing, doctor.Error, "domainname/api.example.com/basepathmapping/orders/v1",
			[]string{"stage gone of API " + p.authz.ID, "https://api.example.com/orders/v1"},
			[]string{"update-base-path-mapping --domain-name api.example.com --base-path 'orders/v1'", "delete-base-path-mapping"}},
		{doctor.KeySourceAuthorizerWithoutAuthorizer, doctor.Error, method(p.authz, p.authz.RootResourceID, "GET"),
			[]string{"GET /", p.authz.ID, "AUTHORIZER", "has no authorizer"},
			[]string{"update-rest-api --rest-api-id " + p.authz.ID, "op=replace,path=/apiKeySource,value=HEADER", "usageIdentifierKey"}},
		{doctor.PlanStageMissing, doctor.Error, "usageplan/" + p.ghost.ID,
			[]string{"stage Prod of API " + p.authz.ID, `"ghost"`},
			[]string{"op=remove,path=/apiStages,value=" + p.authz.ID + ":Prod", "case"}},
		{doctor.AuthorizerCacheOnProxyResource, doctor.Warning, method(p.shop, p.proxy, "ANY"),
			[]string{"ANY /{proxy+}", p.authorizer.ID, "300 s"},
			[]string{"update-authorizer --rest-api-id " + p.shop.ID + " --authorizer-id " + p.authorizer.ID, "authorizerResultTtlInSeconds,value=0", p.shop.ID + "/*/*"}},
		{doctor.CORSGatewayResponseDropsHeader, doctor.Warning, "restapi/" + p.shop.ID + "/gatewayresponse/DEFAULT_4XX",
			[]string{"/orders, /pets", "DEFAULT_4XX"},
			[]string{"--response-type DEFAULT_4XX", "gatewayresponse.header.Access-Control-Allow-Origin,value=\"'*'\""}},
		{doctor.KeyNotInAnyPlan, doctor.Warning, "apikey/" + p.orphan.ID,
			[]string{"Enabled API key " + p.orphan.ID + ` ("orphan")`},
			[]string{"--key-id " + p.orphan.ID, p.gold.ID + ` ("gold") (on ` + p.shop.ID + ":prod)"}},
		{doctor.KeyPlansReachNoStage, doctor.Warning, "apikey/" + p.stranded.ID,
			[]string{p.stranded.ID, p.empty.ID + ` ("empty") (no stage)`},
			[]string{"--usage-plan-id " + p.empty.ID, "add key " + p.stranded.ID}},
		{doctor.OptionsRequiresAuthorizer, doctor.Warning, method(p.shop, p.orders, "OPTIONS"),
			[]string{"OPTIONS /orders", "CUSTOM"},
			[]string{"--resource-id " + p.orders + " --http-method OPTIONS", "path=/authorizationType,value=NONE"}},
		{doctor.OptionsRequiresKey, doctor.Warning, method(p.shop, p.pets, "OPTIONS"),
			[]string{"OPTIONS /pets", "preflight"},
			[]string{"--resource-id " + p.pets + " --http-method OPTIONS", "path=/apiKeyRequired,value=false"}},
		{doctor.PlanNotOnAnyStage, doctor.Warning, "usageplan/" + p.empty.ID,
			[]string{`"empty"`},
			[]string{"--usage-plan-id " + p.empty.ID, "op=add,path=/apiStages"}},
		{doctor.StageAPIChangedSinceDeployment, doctor.Warning, "restapi/" + p.shop.ID + "/stage/prod",
			[]string{"POST /doit added", "GET /pets changed (apiKeyRequired)"},
			[]string{"create-deployment --rest-api-id " + p.shop.ID + " --stage-name prod", "POST /doit added"}},
		{doctor.KeyNotInAnyPlan, doctor.Info, "apikey/" + p.retired.ID,
			[]string{"Disabled API key " + p.retired.ID},
			[]string{"--key-id " + p.retired.ID}},
		{doctor.QuotaBelowBurst, doctor.Info, "usageplan/" + p.gold.ID,
			[]string{"50 requests per DAY", "burst 100"},
			[]string{"usage plan " + p.gold.ID, "at most 50"}},
	}
	rep := b.run(doctor.Options{})
	if testing.Verbose() {
		for _, f := range rep.Findings {
			t.Logf("%s %s %s\n  %s\n  fix: %s", f.Severity, f.Code, f.Resource, f.Message, f.Fix)
		}
	}
	if len(rep.Findings) != len(wants) {
		for _, f := range rep.Findings {
			t.Logf("%s %s %s: %s", f.Severity, f.Code, f.Resource, f.Message)
		}
		t.Fatalf("got %d findings, want %d", len(rep.Findings), len(wants))
	}
	for i, w := range wants {
		f := rep.Findings[i]
		if f.Code != w.code || f.Severity != w.severity || f.Resource != w.resource {
			t.Errorf("finding %d = %s %s %s, want %s %s %s", i, f.Severity, f.Code, f.Resource, w.severity, w.code, w.resource)
			continue
		}
		for _, s := range w.message {
			if !strings.Contains(f.Message, s) {
				t.Errorf("%s %s: message lacks %q:\n%s", f.Code, f.Resource, s, f.Message)
			}
		}
		for _, s := range w.fix {
			if !strings.Contains(f.Fix, s) {
				t.Errorf("%s %s: fix lacks %q:\n%s", f.Code, f.Resource, s, f.Fix)
			}
		}
		if sev, ok := doctor.Codes[f.Code]; !ok || (sev != f.Severity && f.Code != doctor.KeyNotInAnyPlan) {
			t.Errorf("%s: severity %s, doctor.Codes says %s", f.Code, f.Severity, sev)
		}
	}
	if got := rep.Counts; got != (doctor.Counts{Error: 3, Warning: 8, Info: 2}) || !rep.Failed() {
		t.Errorf("counts %+v, failed %v", got, rep.Failed())
	}
	// Every code doctor has is exercised here.
	seen := map[string]bool{}
	for _, f := range rep.Findings {
		seen[f.Code] = true
	}
	for code := range doctor.Codes {
		if !seen[code] {
			t.Errorf("code %s has no case in this test", code)
		}
	}

	t.Run("paging gives the same answer", func(t *testing.T) {
		small := b.run(doctor.Options{PageSize: 1})
		if !slices.Equal(small.Findings, rep.Findings) {
			t.Errorf("page size 1 gives other findings:\n%v\nwant\n%v", small.Findings, rep.Findings)
		}
	})

	t.Run("findings capped per code, all counted", func(t *testing.T) {
		capped := b.run(doctor.Options{MaxPerCode: 1})
		if capped.Counts != rep.Counts {
			t.Errorf("capped counts %+v, want %+v", capped.Counts, rep.Counts)
		}
		// KEY_NOT_IN_ANY_PLAN has two findings (orphan, then retired, in
		// creation order): the second is left out.
		if want := map[string]int{doctor.KeyNotInAnyPlan: 1}; !maps.Equal(capped.Omitted, want) {
			t.Errorf("omitted %v, want %v", capped.Omitted, want)
		}
		if len(capped.Findings) != len(rep.Findings)-1 || slices.ContainsFunc(capped.Findings, func(f doctor.Finding) bool { return f.Resource == "apikey/"+p.retired.ID }) {
			t.Errorf("capped findings keep the later key or lose another: %v", capped.Findings)
		}
		if rep.Omitted != nil {
			t.Errorf("uncapped run omitted %v", rep.Omitted)
		}
	})

	t.Run("scoped to one API", func(t *testing.T) {
		got := b.run(doctor.Options{APIID: p.authz.ID})
		var codes []string
		for _, f := range got.Findings {
			codes = append(codes, f.Code+" "+f.Resource)
		}
		want := []string{
			doctor.DomainMappingTargetMissing + " domainname/api.example.com/basepathmapping/orders/v1", // maps to this API
			doctor.KeySourceAuthorizerWithoutAuthorizer + " " + method(p.authz, p.authz.RootResourceID, "GET"),
			doctor.PlanStageMissing + " usageplan/" + p.ghost.ID,
		}
		if !slices.Equal(codes, want) {
			t.Errorf("scoped findings %q, want %q", codes, want)
		}
	})

	t.Run("unknown API", func(t *testing.T) {
		err := b.db.View(b.ctx, func(r store.Reader) error {
			_, err := doctor.Run(b.ctx, r, doctor.Options{APIID: "nosuchapi0"})
			return err
		})
		if !errors.Is(err, doctor.ErrAPINotFound) || !errors.Is(err, store.ErrNotFound) {
			t.Errorf("err = %v, want ErrAPINotFound", err)
		}
	})
}

// TestRunCleanConfiguration: a configuration set up right (CORS the
// console's way with a customised response that keeps the header, an
// authorizer cached on a plain resource, a Lambda authorizer supplying
// the key, keys in a plan on a deployed stage) has no finding at warning
// or above.
func TestRunCleanConfiguration(t *testing.T) {
	b := newBuilder(t)
	api := b.api("clean", "")
	pets := b.resource(api, api.RootResourceID, "pets")
	b.method(api, pets, "GET", control.PutMethodInput{APIKeyRequired: true}, false)
	b.method(api, pets, "OPTIONS", control.PutMethodInput{}, true)
	must(b.s.PutGatewayResponse(b.ctx, api.ID, "DEFAULT_4XX", control.PutGatewayResponseInput{ResponseParameters: map[string]string{"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"}}))
	az := must(b.s.CreateAuthorizer(b.ctx, api.ID, control.CreateAuthorizerInput{Name: "jwt", Type: apigw.AuthorizerToken,
		AuthorizerURI: "https://auth.example/check", IdentitySource: "method.request.header.Authorization"}))
	b.method(api, b.resource(api, pets, "{id}"), "GET", control.PutMethodInput{AuthorizationType: apigw.AuthCustom, AuthorizerID: az.ID}, false)
	zero := 0
	az0 := must(b.s.CreateAuthorizer(b.ctx, api.ID, control.CreateAuthorizerInput{Name: "nocache", Type: apigw.AuthorizerRequest,
		AuthorizerURI: "https://auth.example/check", IdentitySource: "method.request.header.Authorization", AuthorizerResultTTLInSeconds: &zero}))
	b.method(api, b.resource(api, api.RootResourceID, "{proxy+}"), "ANY", control.PutMethodInput{AuthorizationType: apigw.AuthCustom, AuthorizerID: az0.ID}, false)
	b.deploy(api, "prod")

	keyed := b.api("keyed", apigw.KeySourceAuthorizer)
	kaz := must(b.s.CreateAuthorizer(b.ctx, keyed.ID, control.CreateAuthorizerInput{Name: "keys", Type: apigw.AuthorizerToken,
		AuthorizerURI: "https://auth.example/key", IdentitySource: "method.request.header.Authorization"}))
	b.method(keyed, keyed.RootResourceID, "GET", control.PutMethodInput{APIKeyRequired: true, AuthorizationType: apigw.AuthCustom, AuthorizerID: kaz.ID}, false)
	b.deploy(keyed, "v1")

	plan := b.plan("gold", []apigw.APIStage{{APIID: api.ID, Stage: "prod"}, {APIID: keyed.ID, Stage: "v1"}}, &apigw.Throttle{BurstLimit: 10, RateLimit: 5}, &apigw.Quota{Limit: 1000, Period: apigw.PeriodMonth})
	b.key("a", true, plan)
	b.key("b", true, plan)

	rep := b.run(doctor.Options{})
	if rep.Failed() || rep.Counts != (doctor.Counts{}) {
		t.Errorf("clean configuration: counts %+v, findings %+v", rep.Counts, rep.Findings)
	}
	if rep.Findings == nil {
		t.Error("Findings is nil; want an empty list (JSON [])")
	}
}
