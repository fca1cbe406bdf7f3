package doctor

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// Severity says how bad a finding is. Error: callers are refused because
// of it; Warning: some callers are, or will be, refused or misled;
// Info: worth knowing, refuses nobody.
type Severity string

// Severities, most severe first.
const (
	Error   Severity = "error"
	Warning Severity = "warning"
	Info    Severity = "info"
)

func (s Severity) rank() int {
	switch s {
	case Error:
		return 0
	case Warning:
		return 1
	}
	return 2
}

// Finding codes. They are stable: scripts match on them.
const (
	KeyNotInAnyPlan                      = "KEY_NOT_IN_ANY_PLAN"
	KeyPlansReachNoStage                 = "KEY_PLANS_REACH_NO_STAGE"
	PlanNotOnAnyStage                    = "PLAN_NOT_ON_ANY_STAGE"
	PlanStageMissing                     = "PLAN_STAGE_MISSING"
	StageAPIChangedSinceDeployment       = "STAGE_API_CHANGED_SINCE_DEPLOYMENT"
	KeySourceAuthorizerWithoutAuthorizer = "KEY_SOURCE_AUTHORIZER_WITHOUT_AUTHORIZER"
	OptionsRequiresKey                   = "OPTIONS_REQUIRES_KEY"
	OptionsRequiresAuthorizer            = "OPTIONS_REQUIRES_AUTHORIZER"
	CORSGatewayResponseDropsHeader       = "CORS_GATEWAY_RESPONSE_DROPS_HEADER"
	AuthorizerCacheOnProxyResource       = "AUTHORIZER_CACHE_ON_PROXY_RESOURCE"
	QuotaBelowBurst                      = "QUOTA_BELOW_BURST"
	DomainMappingTargetMissing           = "DOMAIN_MAPPING_TARGET_MISSING"
)

// Codes lists every finding code with its severity (the README's table).
var Codes = map[string]Severity{
	KeyNotInAnyPlan:                      Warning, // Info for a disabled key
	KeyPlansReachNoStage:                 Warning,
	PlanNotOnAnyStage:                    Warning,
	PlanStageMissing:                     Error,
	StageAPIChangedSinceDeployment:       Warning,
	KeySourceAuthorizerWithoutAuthorizer: Error,
	OptionsRequiresKey:                   Warning,
	OptionsRequiresAuthorizer:            Warning,
	CORSGatewayResponseDropsHeader:       Warning,
	AuthorizerCacheOnProxyResource:       Warning,
	QuotaBelowBurst:                      Info,
	DomainMappingTargetMissing:           Error,
}

// Finding is one problem of the configuration.
type Finding struct {
	Code     string   `json:"code"`
	Severity Severity `json:"severity"`
	// Resource names what is at fault in AWS's terms: "apikey/{id}",
	// "usageplan/{id}", "restapi/{id}/stage/{name}",
	// "restapi/{id}/resource/{resourceId}/{METHOD}",
	// "restapi/{id}/gatewayresponse/{type}",
	// "domainname/{name}/basepathmapping/{basePath}".
	Resource string `json:"resource"`
	// Message says what is wrong and what callers see because of it.
	Message string `json:"message"`
	// Fix is what to do, naming the user's objects (and the AWS CLI call).
	Fix string `json:"fix"`
}

// Counts are the number of findings of each severity.
type Counts struct {
	Error   int `json:"error"`
	Warning int `json:"warning"`
	Info    int `json:"info"`
}

// Report is a doctor run's answer.
type Report struct {
	Findings []Finding `json:"findings"`
	// Counts counts every finding, omitted ones included.
	Counts Counts `json:"counts"`
	// Omitted is, by code, how many findings were left out of Findings
	// beyond Options.MaxPerCode (absent when none was).
	Omitted map[string]int `json:"omitted,omitempty"`
}

// Failed reports whether any finding is at warning or above (the CLI
// then exits 1).
func (r *Report) Failed() bool { return r.Counts.Error+r.Counts.Warning > 0 }

// Options scope a run.
type Options struct {
	// APIID limits the run to one REST API: its stages, methods and
	// gateway responses, and the usage plans attached to it. Account-wide
	// checks of API keys are skipped. "" checks everything.
	APIID string
	// PageSize is how many API keys (and APIs, and plans) are read at a
	// time (0: 500, the store's largest page).
	PageSize int
	// MaxPerCode caps the findings kept of each code (0: 1000; negative:
	// no cap); the rest are counted in Counts and Report.Omitted, so a
	// million keys in no plan make a report of bounded size.
	MaxPerCode int
}

// ErrAPINotFound: Options.APIID names no API. It wraps store.ErrNotFound.
var ErrAPINotFound = fmt.Errorf("doctor: no such REST API: %w", store.ErrNotFound)

// Run checks the configuration r reads and returns the findings, sorted
// by severity (error first), code, resource and message.
//
// Memory: API definitions are read one page of APIs at a time and
// dropped after their checks; usage plans (AWS allows a few hundred per
// account) and the set of stage references are kept; API keys are read
// one page at a time with one indexed lookup of each key's plans, so a
// million keys cost a page of key documents at a time, not a million;
// and at most Options.MaxPerCode findings of a code are kept. Time is
// linear in the number of keys (about 26 µs a key on SQLite: 2.6 s for
// 100,000 keys, BenchmarkRunKeys).
func Run(ctx context.Context, r store.Reader, o Options) (*Report, error) {
	if o.PageSize <= 0 {
		o.PageSize = 500
	}
	if o.MaxPerCode == 0 {
		o.MaxPerCode = 1000
	}
	d := &run{r: r, o: o, rep: &Report{}, kept: map[string]int{}}
	if err := d.check(ctx); err != nil {
		return nil, err
	}
	rep := d.rep
	slices.SortFunc(rep.Findings, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(a.Severity.rank(), b.Severity.rank()),
			strings.Compare(a.Code, b.Code),
			strings.Compare(a.Resource, b.Resource),
			strings.Compare(a.Message, b.Message),
		)
	})
	if rep.Findings == nil {
		rep.Findings = []Finding{}
	}
	return rep, nil
}

// run is one doctor run's state.
type run struct {
	r   store.Reader
	o   Options
	rep *Report
	// kept counts the findings kept of each code.
	kept map[string]int
	// stages holds every existing stage reference ("api/stage").
	stages map[string]bool
	// plans are all usage plans, by id, and in creation order.
	plans     map[string]*apigw.UsagePlan
	planOrder []string
}

// add counts a finding and keeps it unless its code is over the cap.
func (d *run) add(f Finding) {
	switch f.Severity {
	case Error:
		d.rep.Counts.Error++
	case Warning:
		d.rep.Counts.Warning++
	default:
		d.rep.Counts.Info++
	}
	if d.o.MaxPerCode > 0 && d.kept[f.Code] >= d.o.MaxPerCode {
		if d.rep.Omitted == nil {
			d.rep.Omitted = map[string]int{}
		}
		d.rep.Omitted[f.Code]++
		return
	}
	d.kept[f.Code]++
	d.rep.Findings = append(d.rep.Findings, f)
}

func (d *run) check(ctx context.Context) error {
	if d.o.APIID != "" {
		if _, err := d.r.GetAPI(ctx, d.o.APIID); errors.Is(err, store.ErrNotFound) {
			return ErrAPINotFound
		} else if err != nil {
			return fmt.Errorf("doctor: read API %s: %w", d.o.APIID, err)
		}
	}
	all, err := d.r.ListStages(ctx, "")
	if err != nil {
		return fmt.Errorf("doctor: list stages: %w", err)
	}
	d.stages = make(map[string]bool, len(all))
	for _, st := range all {
		d.stages[apigw.StageRef(st.APIID, st.Name)] = true
	}
	if err := d.loadPlans(ctx); err != nil {
		return err
	}
	if err := d.checkAPIs(ctx); err != nil {
		return err
	}
	d.checkPlans()
	if err := d.checkDomains(ctx); err != nil {
		return err
	}
	if d.o.APIID == "" {
		return d.checkKeys(ctx)
	}
	return nil
}

func (d *run) loadPlans(ctx context.Context) error {
	d.plans = map[string]*apigw.UsagePlan{}
	pg := store.Page{Limit: d.o.PageSize}
	for {
		ps, next, err := d.r.ListUsagePlans(ctx, store.PlanFilter{}, pg)
		if err != nil {
			return fmt.Errorf("doctor: list usage plans: %w", err)
		}
		for _, p := range ps {
			d.plans[p.ID] = p
			d.planOrder = append(d.planOrder, p.ID)
		}
		if next == "" {
			return nil
		}
		pg.Position = next
	}
}

// checkAPIs runs the per-API checks on the API in scope, or on every API
// a page at a time.
func (d *run) checkAPIs(ctx context.Context) error {
	if d.o.APIID != "" {
		api, err := d.r.GetAPI(ctx, d.o.APIID)
		if err != nil {
			return fmt.Errorf("doctor: read API %s: %w", d.o.APIID, err)
		}
		return d.checkAPI(ctx, api)
	}
	pg := store.Page{Limit: d.o.PageSize}
	for {
		apis, next, err := d.r.ListAPIs(ctx, pg)
		if err != nil {
			return fmt.Errorf("doctor: list APIs: %w", err)
		}
		for _, api := range apis {
			if err := d.checkAPI(ctx, api); err != nil {
				return err
			}
		}
		if next == "" {
			return nil
		}
		pg.Position = next
	}
}

// inScope reports whether a plan's findings belong to this run: every
// plan when the run is not scoped, else the plans attached to the API.
func (d *run) inScope(p *apigw.UsagePlan) bool {
	if d.o.APIID == "" {
		return true
	}
	return slices.ContainsFunc(p.APIStages, func(s apigw.APIStage) bool { return s.APIID == d.o.APIID })
}

// planName is how messages name a plan: its id and, when set, its name.
func planName(p *apigw.UsagePlan) string {
	if p.Name == "" {
		return p.ID
	}
	return fmt.Sprintf("%s (%q)", p.ID, p.Name)
}

// apiName is how messages name an API.
func apiName(api *apigw.RestAPI) string {
	if api.Name == "" {
		return api.ID
	}
	return fmt.Sprintf("%s (%q)", api.ID, api.Name)
}

// keyName is how messages name an API key: its id and name, never its value.
func keyName(k *apigw.APIKey) string {
	if k.Name == "" {
		return k.ID
	}
	return fmt.Sprintf("%s (%q)", k.ID, k.Name)
}

// listOf joins items for a sentence, keeping at most max of them.
func listOf(items []string, max int) string {
	if len(items) > max {
		return strings.Join(items[:max], ", ") + fmt.Sprintf(" and %d more", len(items)-max)
	}
	return strings.Join(items, ", ")
}
