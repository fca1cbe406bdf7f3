package doctor

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/control"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// checkAPI runs the checks of one API: its stages against their
// deployments, its methods, its CORS and gateway responses.
func (d *run) checkAPI(ctx context.Context, api *apigw.RestAPI) error {
	if err := d.checkStages(ctx, api); err != nil {
		return err
	}
	type method struct {
		res  *apigw.Resource
		path string
		m    *apigw.Method
	}
	var methods []method
	var cors []string // paths of the resources that have CORS
	origin := ""
	for id, res := range api.Resources {
		path := control.ResourcePath(api, id)
		for _, m := range res.Methods {
			methods = append(methods, method{res, path, m})
		}
		if o, ok := res.CORSAllowOrigin(); ok {
			cors = append(cors, path)
			if origin == "" {
				origin = o
			}
		}
	}
	slices.SortFunc(methods, func(a, b method) int {
		if c := strings.Compare(a.path, b.path); c != 0 {
			return c
		}
		return strings.Compare(a.m.HTTPMethod, b.m.HTTPMethod)
	})
	for _, x := range methods {
		d.checkMethod(api, x.res, x.path, x.m)
	}
	slices.Sort(cors)
	d.checkCORS(api, cors, origin)
	return nil
}

// checkStages reports the stages whose deployment is not what a new
// deployment of the API would be, with what changed.
func (d *run) checkStages(ctx context.Context, api *apigw.RestAPI) error {
	stages, err := d.r.ListStages(ctx, api.ID)
	if err != nil {
		return fmt.Errorf("doctor: list stages of API %s: %w", api.ID, err)
	}
	var current *apigw.Snapshot
	for _, st := range stages {
		res := "restapi/" + api.ID + "/stage/" + st.Name
		redeploy := fmt.Sprintf("aws apigateway create-deployment --rest-api-id %s --stage-name %s", api.ID, st.Name)
		dep, err := d.r.GetDeployment(ctx, api.ID, st.DeploymentID)
		if errors.Is(err, store.ErrNotFound) {
			d.add(Finding{Code: StageAPIChangedSinceDeployment, Severity: Warning, Resource: res,
				Message: fmt.Sprintf("Stage %s of API %s names deployment %s, which does not exist: it serves nothing the API defines now.", st.Name, apiName(api), st.DeploymentID),
				Fix:     fmt.Sprintf("Redeploy stage %s: %s.", st.Name, redeploy)})
			continue
		}
		if err != nil {
			return fmt.Errorf("doctor: read deployment %s of API %s: %w", st.DeploymentID, api.ID, err)
		}
		outdated, err := control.DeploymentOutdated(api, dep)
		if err != nil || !outdated {
			if err != nil {
				return fmt.Errorf("doctor: stage %s of API %s: %w", st.Name, api.ID, err)
			}
			continue
		}
		if current == nil {
			snap, err := control.SnapshotOf(api)
			if err != nil {
				return fmt.Errorf("doctor: API %s: %w", api.ID, err)
			}
			current = &snap
		}
		changes, err := control.SnapshotChanges(dep.Snapshot, *current)
		if err != nil {
			return fmt.Errorf("doctor: stage %s of API %s: %w", st.Name, api.ID, err)
		}
		var what []string
		for _, c := range changes {
			what = append(what, c.String())
		}
		d.add(Finding{Code: StageAPIChangedSinceDeployment, Severity: Warning, Resource: res,
			Message: fmt.Sprintf("Stage %s of API %s serves deployment %s; the API changed since: %s. Callers get the deployed definition, not the current one.", st.Name, apiName(api), dep.ID, listOf(what, 10)),
			Fix:     fmt.Sprintf("Redeploy stage %s (%s): %s since deployment %s.", st.Name, redeploy, listOf(what, 3), dep.ID)})
	}
	return nil
}

// checkMethod runs the per-method checks.
func (d *run) checkMethod(api *apigw.RestAPI, res *apigw.Resource, path string, m *apigw.Method) {
	name := m.HTTPMethod + " " + path
	resource := "restapi/" + api.ID + "/resource/" + res.ID + "/" + m.HTTPMethod
	updateMethod := fmt.Sprintf("aws apigateway update-method --rest-api-id %s --resource-id %s --http-method %s --patch-operations", api.ID, res.ID, m.HTTPMethod)
	auth := m.AuthorizationType
	if auth == "" {
		auth = apigw.AuthNone
	}
	var az *apigw.Authorizer
	if auth == apigw.AuthCustom || auth == apigw.AuthCognito {
		az = api.Authorizers[m.AuthorizerID]
	}

	if m.HTTPMethod == "OPTIONS" {
		if m.APIKeyRequired {
			d.add(Finding{Code: OptionsRequiresKey, Severity: Warning, Resource: resource,
				Message: fmt.Sprintf("%s of API %s requires an API key: browsers send CORS preflights without one, so the preflight is refused 403 and the page reports a CORS error instead of the real answer.", name, apiName(api)),
				Fix:     fmt.Sprintf("Stop requiring a key on %s (%s op=replace,path=/apiKeyRequired,value=false), then redeploy.", name, updateMethod)})
		}
		if auth != apigw.AuthNone {
			d.add(Finding{Code: OptionsRequiresAuthorizer, Severity: Warning, Resource: resource,
				Message: fmt.Sprintf("%s of API %s has authorizationType %s: browsers send CORS preflights without credentials, so the preflight is refused and the page reports a CORS error instead of the real answer.", name, apiName(api), auth),
				Fix:     fmt.Sprintf("Set %s's authorizationType to NONE (%s op=replace,path=/authorizationType,value=NONE), then redeploy.", name, updateMethod)})
		}
	}

	if api.APIKeySource == apigw.KeySourceAuthorizer && m.APIKeyRequired && !lambdaAuthorizer(auth, az) {
		why := "has no authorizer"
		switch {
		case auth == apigw.AuthCognito:
			why = "uses a Cognito authorizer, which returns no usageIdentifierKey"
		case auth == apigw.AuthCustom && az == nil:
			why = fmt.Sprintf("names authorizer %s, which the API does not have", m.AuthorizerID)
		case auth == apigw.AuthIAM:
			why = "uses AWS_IAM authorization, which returns no usageIdentifierKey"
		}
		d.add(Finding{Code: KeySourceAuthorizerWithoutAuthorizer, Severity: Error, Resource: resource,
			Message: fmt.Sprintf("%s of API %s requires an API key and the API's apiKeySource is AUTHORIZER (the key must come from a Lambda authorizer's usageIdentifierKey), but the method %s: every call is refused 403, whatever x-api-key it sends.", name, apiName(api), why),
			Fix: fmt.Sprintf("Set API %s's apiKeySource to HEADER (aws apigateway update-rest-api --rest-api-id %s --patch-operations op=replace,path=/apiKeySource,value=HEADER), or give %s a Lambda (TOKEN or REQUEST) authorizer that returns usageIdentifierKey; then redeploy.",
				api.ID, api.ID, name)})
	}

	if lambdaAuthorizer(auth, az) && az.TTL() > 0 && greedy(path) {
		d.add(Finding{Code: AuthorizerCacheOnProxyResource, Severity: Warning, Resource: resource,
			Message: fmt.Sprintf("%s of API %s uses authorizer %s (%q), whose results are cached %d s: the cached policy was written for the first path called, so a policy that allows only that method ARN refuses the caller's next path with 403 until the cache expires.",
				name, apiName(api), az.ID, az.Name, int(az.TTL().Seconds())),
			Fix: fmt.Sprintf("Set authorizer %s's authorizerResultTtlInSeconds to 0 (aws apigateway update-authorizer --rest-api-id %s --authorizer-id %s --patch-operations op=replace,path=/authorizerResultTtlInSeconds,value=0), or have its function allow arn:aws:execute-api:*:*:%s/*/* rather than the one method ARN; then redeploy.",
				az.ID, api.ID, az.ID, api.ID)})
	}
}

// lambdaAuthorizer reports whether a method's authorizer is a Lambda
// (TOKEN or REQUEST) authorizer, the kind that can return
// usageIdentifierKey and whose policy is cached.
func lambdaAuthorizer(auth string, az *apigw.Authorizer) bool {
	return auth == apigw.AuthCustom && az != nil && (az.Type == apigw.AuthorizerToken || az.Type == apigw.AuthorizerRequest)
}

// greedy reports whether a resource path has a greedy path variable
// ({proxy+}).
func greedy(path string) bool {
	for seg := range strings.SplitSeq(path, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "+}") {
			return true
		}
	}
	return false
}

// checkCORS reports, on an API with CORS resources, every customised
// gateway response that sets no Access-Control-Allow-Origin: the
// responses it shapes reach the page without the header, so the browser
// hides them.
func (d *run) checkCORS(api *apigw.RestAPI, cors []string, origin string) {
	if len(cors) == 0 {
		return
	}
	types := make([]string, 0, len(api.GatewayResponses))
	for t, g := range api.GatewayResponses {
		if g != nil && !g.Default && !g.SetsHeader("Access-Control-Allow-Origin") {
			types = append(types, t)
		}
	}
	slices.Sort(types)
	for _, t := range types {
		d.add(Finding{Code: CORSGatewayResponseDropsHeader, Severity: Warning, Resource: "restapi/" + api.ID + "/gatewayresponse/" + t,
			Message: fmt.Sprintf("API %s has CORS on %s (its OPTIONS method sets Access-Control-Allow-Origin), but its customised gateway response %s sets no Access-Control-Allow-Origin: a browser hides the refusals that response shapes and reports a CORS error instead.",
				apiName(api), listOf(cors, 5), t),
			Fix: fmt.Sprintf("Add the header to gateway response %s (aws apigateway update-gateway-response --rest-api-id %s --response-type %s --patch-operations op=add,path=/responseParameters/gatewayresponse.header.Access-Control-Allow-Origin,value=\"%s\"), then redeploy.",
				t, api.ID, t, origin)})
	}
}

// checkPlans runs the usage plan checks.
func (d *run) checkPlans() {
	for _, id := range d.planOrder {
		p := d.plans[id]
		if !d.inScope(p) {
			continue
		}
		res := "usageplan/" + p.ID
		addStage := fmt.Sprintf("aws apigateway update-usage-plan --usage-plan-id %s --patch-operations op=add,path=/apiStages,value=API_ID:STAGE", p.ID)
		if len(p.APIStages) == 0 && d.o.APIID == "" {
			d.add(Finding{Code: PlanNotOnAnyStage, Severity: Warning, Resource: res,
				Message: fmt.Sprintf("Usage plan %s is attached to no stage: its keys can call nothing through it (403 Forbidden).", planName(p)),
				Fix:     fmt.Sprintf("Attach usage plan %s to the stage its keys call (%s).", p.ID, addStage)})
		}
		for _, s := range p.APIStages {
			if d.o.APIID != "" && s.APIID != d.o.APIID {
				continue
			}
			if d.stages[apigw.StageRef(s.APIID, s.Stage)] {
				continue
			}
			d.add(Finding{Code: PlanStageMissing, Severity: Error, Resource: res,
				Message: fmt.Sprintf("Usage plan %s is attached to stage %s of API %s, which does not exist: its keys cannot call it.", planName(p), s.Stage, s.APIID),
				Fix: fmt.Sprintf("Remove %s:%s from usage plan %s (aws apigateway update-usage-plan --usage-plan-id %s --patch-operations op=remove,path=/apiStages,value=%s:%s) and attach the stage that exists (check the stage name's case), or create stage %s of API %s.",
					s.APIID, s.Stage, p.ID, p.ID, s.APIID, s.Stage, s.Stage, s.APIID)})
		}
		d.checkQuota(p, res)
	}
}

// checkQuota reports a quota smaller than one of the plan's throttle
// bursts: the quota, not the throttle, then limits every key.
func (d *run) checkQuota(p *apigw.UsagePlan, res string) {
	if p.Quota == nil {
		return
	}
	var over []string
	if p.Throttle != nil && p.Throttle.BurstLimit > p.Quota.Limit {
		over = append(over, fmt.Sprintf("the plan's burst %d", p.Throttle.BurstLimit))
	}
	for _, s := range p.APIStages {
		for _, k := range slices.Sorted(maps.Keys(s.Throttle)) {
			if b := s.Throttle[k].BurstLimit; b > p.Quota.Limit {
				over = append(over, fmt.Sprintf("%s:%s %s's burst %d", s.APIID, s.Stage, k, b))
			}
		}
	}
	if len(over) == 0 {
		return
	}
	d.add(Finding{Code: QuotaBelowBurst, Severity: Info, Resource: res,
		Message: fmt.Sprintf("Usage plan %s allows %d requests per %s, fewer than %s: a key can spend its whole quota in one burst, and the quota, not the throttle, is what limits it.", planName(p), p.Quota.Limit, p.Quota.Period, listOf(over, 3)),
		Fix:     fmt.Sprintf("Lower the burst limits of usage plan %s to at most %d, or raise its quota limit above them.", p.ID, p.Quota.Limit)})
}

// checkKeys reads the API keys a page at a time and reports the keys in
// no usage plan and the enabled keys whose plans reach no stage.
func (d *run) checkKeys(ctx context.Context) error {
	// reach: plans attached to at least one existing stage.
	reach := map[string]bool{}
	var reaching []string
	for _, id := range d.planOrder {
		p := d.plans[id]
		for _, s := range p.APIStages {
			if d.stages[apigw.StageRef(s.APIID, s.Stage)] {
				reach[id] = true
				reaching = append(reaching, fmt.Sprintf("%s (%s)", planName(p), stageList(p)))
				break
			}
		}
	}
	pg := store.Page{Limit: d.o.PageSize}
	for {
		keys, next, err := d.r.ListAPIKeys(ctx, store.KeyFilter{}, pg)
		if err != nil {
			return fmt.Errorf("doctor: list API keys: %w", err)
		}
		for _, k := range keys {
			planIDs, err := d.r.ListUsagePlanIDsForKey(ctx, k.ID)
			if err != nil {
				return fmt.Errorf("doctor: plans of API key %s: %w", k.ID, err)
			}
			d.checkKey(k, planIDs, reach, reaching)
		}
		if next == "" {
			return nil
		}
		pg.Position = next
	}
}

func (d *run) checkKey(k *apigw.APIKey, planIDs []string, reach map[string]bool, reaching []string) {
	res := "apikey/" + k.ID
	addKey := fmt.Sprintf("aws apigateway create-usage-plan-key --usage-plan-id PLAN_ID --key-id %s --key-type API_KEY", k.ID)
	if len(planIDs) == 0 && len(k.StageKeys) == 0 {
		sev, state := Warning, "Enabled"
		if !k.Enabled {
			sev, state = Info, "Disabled"
		}
		fix := fmt.Sprintf("Add API key %s to a usage plan attached to the stage it should call (%s)", k.ID, addKey)
		if len(reaching) > 0 {
			fix += "; plans: " + listOf(reaching, 5)
		} else {
			fix += "; no usage plan is attached to a stage yet: create one with the stage in its apiStages"
		}
		d.add(Finding{Code: KeyNotInAnyPlan, Severity: sev, Resource: res,
			Message: fmt.Sprintf("%s API key %s is in no usage plan: every method that requires an API key refuses it with 403 Forbidden.", state, keyName(k)),
			Fix:     fix + "."})
		return
	}
	if !k.Enabled {
		return
	}
	for _, id := range planIDs {
		if reach[id] {
			return
		}
	}
	for _, ref := range k.StageKeys {
		if d.stages[ref] {
			return
		}
	}
	var names []string
	for _, id := range planIDs {
		if p := d.plans[id]; p != nil {
			names = append(names, fmt.Sprintf("%s (%s)", planName(p), stageList(p)))
		}
	}
	for _, ref := range k.StageKeys {
		names = append(names, "stage key "+ref+" (no such stage)")
	}
	first := "PLAN_ID"
	if len(planIDs) > 0 {
		first = planIDs[0]
	}
	d.add(Finding{Code: KeyPlansReachNoStage, Severity: Warning, Resource: res,
		Message: fmt.Sprintf("Enabled API key %s is in usage plans %s, none attached to an existing stage: it can call nothing (403 Forbidden).", keyName(k), listOf(names, 5)),
		Fix: fmt.Sprintf("Attach usage plan %s to the stage the key should call (aws apigateway update-usage-plan --usage-plan-id %s --patch-operations op=add,path=/apiStages,value=API_ID:STAGE), or add key %s to a plan that is attached to it.",
			first, first, k.ID)})
}

// stageList names a plan's stages for a message ("no stage" when none).
func stageList(p *apigw.UsagePlan) string {
	if len(p.APIStages) == 0 {
		return "no stage"
	}
	var s []string
	for _, st := range p.APIStages {
		s = append(s, st.APIID+":"+st.Stage)
	}
	return "on " + strings.Join(s, ", ")
}

// checkDomains reports custom domain base path mappings to an API or a
// stage that does not exist: the domain's requests under that base path
// are refused (403 Forbidden).
func (d *run) checkDomains(ctx context.Context) error {
	pg := store.Page{Limit: d.o.PageSize}
	for {
		ds, next, err := d.r.ListDomainNames(ctx, pg)
		if err != nil {
			return fmt.Errorf("doctor: list domain names: %w", err)
		}
		for _, dn := range ds {
			for _, m := range dn.Mappings {
				d.checkMapping(ctx, dn, m)
			}
		}
		if next == "" {
			return nil
		}
		pg.Position = next
	}
}

func (d *run) checkMapping(ctx context.Context, dn *apigw.DomainName, m apigw.BasePathMapping) {
	if d.o.APIID != "" && m.RestAPIID != d.o.APIID {
		return
	}
	bp := apigw.WireBasePath(m.BasePath)
	res := "domainname/" + dn.Name + "/basepathmapping/" + bp
	url := "https://" + dn.Name + "/" + m.BasePath
	var what string
	switch {
	case m.Stage != "" && !d.stages[apigw.StageRef(m.RestAPIID, m.Stage)]:
		what = fmt.Sprintf("stage %s of API %s, which does not exist", m.Stage, m.RestAPIID)
	case m.Stage == "":
		if _, err := d.r.GetAPI(ctx, m.RestAPIID); err == nil {
			return
		}
		what = fmt.Sprintf("API %s, which does not exist", m.RestAPIID)
	default:
		return
	}
	d.add(Finding{Code: DomainMappingTargetMissing, Severity: Error, Resource: res,
		Message: fmt.Sprintf("Base path %s of custom domain %s maps to %s: requests to %s are refused (403 Forbidden).", bp, dn.Name, what, url),
		Fix: fmt.Sprintf("Point the mapping at a stage that exists (aws apigateway update-base-path-mapping --domain-name %s --base-path '%s' --patch-operations op=replace,path=/stage,value=STAGE), or create the stage, or delete the mapping (aws apigateway delete-base-path-mapping --domain-name %s --base-path '%s').",
			dn.Name, bp, dn.Name, bp)})
}
