package demo

import (
	"context"
	"fmt"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/control"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// Names of the seeded objects.
const (
	APIName  = "UsefulAPI"
	Stage    = "api"
	PlanName = "UsefulPlan"
	KeyName  = "demo-key"
	Path     = "/doit"
	Body     = `{"message":"Did it!"}`
)

// Demo throttle and quota.
var (
	Throttle = apigw.Throttle{RateLimit: 10, BurstLimit: 20}
	Quota    = apigw.Quota{Limit: 1000, Period: apigw.PeriodDay}
)

// Result names what Seed created or found. KeyValue is the key's secret
// value, for the operator's console only: never log it.
type Result struct {
	APIID    string
	PlanID   string
	KeyID    string
	KeyValue string
	// Created is false when the demo was already there from an earlier start.
	Created bool
}

// ErrNotNew is returned when the store holds APIs but not the demo.
var ErrNotNew = fmt.Errorf("the data dir is not new and holds no %s: nothing seeded", APIName)

// Seed creates the demo on an empty store, or finds it when an earlier
// start created it.
func Seed(ctx context.Context, ctl *control.Service) (*Result, error) {
	apis, _, err := ctl.ListRestAPIs(ctx, store.Page{Limit: 500})
	if err != nil {
		return nil, fmt.Errorf("list APIs: %w", err)
	}
	if len(apis) > 0 {
		return find(ctx, ctl, apis)
	}
	return create(ctx, ctl)
}

func create(ctx context.Context, ctl *control.Service) (*Result, error) {
	desc := "Gatehouse's demo API: POST /doit with an API key."
	api, err := ctl.CreateRestAPI(ctx, control.CreateRestAPIInput{Name: APIName, Description: &desc})
	if err != nil {
		return nil, fmt.Errorf("create API: %w", err)
	}
	res, err := ctl.CreateResource(ctx, api.ID, api.RootResourceID, Path[1:])
	if err != nil {
		return nil, fmt.Errorf("create resource %s: %w", Path, err)
	}
	ref := control.MethodRef{APIID: api.ID, ResourceID: res.Resource.ID, HTTPMethod: "POST"}
	if _, err := ctl.PutMethod(ctx, ref, control.PutMethodInput{AuthorizationType: apigw.AuthNone, APIKeyRequired: true}); err != nil {
		return nil, fmt.Errorf("put method: %w", err)
	}
	if _, err := ctl.PutMethodResponse(ctx, ref, "200", control.PutMethodResponseInput{ResponseModels: map[string]string{"application/json": "Empty"}}); err != nil {
		return nil, fmt.Errorf("put method response: %w", err)
	}
	if _, err := ctl.PutIntegration(ctx, ref, control.PutIntegrationInput{
		Type:             apigw.IntegrationMock,
		RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`},
	}); err != nil {
		return nil, fmt.Errorf("put integration: %w", err)
	}
	if _, err := ctl.PutIntegrationResponse(ctx, ref, "200", control.PutIntegrationResponseInput{
		ResponseTemplates: map[string]string{"application/json": Body},
	}); err != nil {
		return nil, fmt.Errorf("put integration response: %w", err)
	}
	if _, err := ctl.CreateDeployment(ctx, api.ID, control.CreateDeploymentInput{StageName: Stage, Description: "demo"}); err != nil {
		return nil, fmt.Errorf("deploy: %w", err)
	}
	throttle, quota := Throttle, Quota
	plan, err := ctl.CreateUsagePlan(ctx, control.CreateUsagePlanInput{
		Name:      PlanName,
		APIStages: []apigw.APIStage{{APIID: api.ID, Stage: Stage}},
		Throttle:  &throttle,
		Quota:     &quota,
	})
	if err != nil {
		return nil, fmt.Errorf("create usage plan: %w", err)
	}
	key, err := ctl.CreateAPIKey(ctx, control.CreateAPIKeyInput{Name: KeyName, Enabled: true, Description: "demo key"})
	if err != nil {
		return nil, fmt.Errorf("create API key: %w", err)
	}
	if _, err := ctl.CreateUsagePlanKey(ctx, plan.ID, key.ID, control.UsagePlanKeyType); err != nil {
		return nil, fmt.Errorf("add key to plan: %w", err)
	}
	return &Result{APIID: api.ID, PlanID: plan.ID, KeyID: key.ID, KeyValue: key.Value, Created: true}, nil
}

func find(ctx context.Context, ctl *control.Service, apis []*apigw.RestAPI) (*Result, error) {
	r := &Result{}
	for _, a := range apis {
		if a.Name == APIName {
			r.APIID = a.ID
			break
		}
	}
	if r.APIID == "" {
		return nil, ErrNotNew
	}
	keys, _, err := ctl.ListAPIKeys(ctx, store.KeyFilter{NamePrefix: KeyName}, true, store.Page{Limit: 500})
	if err != nil {
		return nil, fmt.Errorf("list API keys: %w", err)
	}
	for _, k := range keys {
		if k.Name == KeyName {
			r.KeyID, r.KeyValue = k.ID, k.Value
			break
		}
	}
	plans, _, err := ctl.ListUsagePlans(ctx, r.KeyID, store.Page{Limit: 500})
	if err != nil {
		return nil, fmt.Errorf("list usage plans: %w", err)
	}
	for _, p := range plans {
		if p.Name == PlanName {
			r.PlanID = p.ID
		}
	}
	if r.KeyID == "" || r.PlanID == "" {
		return nil, ErrNotNew
	}
	return r, nil
}
