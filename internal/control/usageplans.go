package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/patch"
	"github.com/gatehouse-dev/gatehouse/internal/respath"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// msgPlanNotFound is AWS's text for an unknown usage plan.
const msgPlanNotFound = "Invalid Usage Plan ID specified"

// UsagePlanKeyType is the only usage plan key type AWS has.
const UsagePlanKeyType = "API_KEY"

// CreateUsagePlanInput is CreateUsagePlan's request.
type CreateUsagePlanInput struct {
	Name        string
	Description string
	ProductCode string
	APIStages   []apigw.APIStage
	Throttle    *apigw.Throttle
	Quota       *apigw.Quota
	Tags        map[string]string
}

// stageNotFound is AWS's 404 for an API stage a plan cannot refer to
// (AWS prints literal "%s" placeholders here; we fill them in).
func stageNotFound(apiID, stage, planID string) *Error {
	return NotFoundf("Invalid API Stage {api: %s, stage: %s} specified for usageplan %s", apiID, stage, planID)
}

// validateThrottle checks a throttle's limits; field names it as in a
// request body ("throttle", or "apiStages[{api}:{stage}].throttle[{method key}]").
// burstLimit is one of AWS's Integer members (patch.CheckInteger).
func validateThrottle(t apigw.Throttle, field string) error {
	if err := patch.CheckInteger(field+".burstLimit", int64(t.BurstLimit)); err != nil {
		return FromPatch(err)
	}
	switch {
	case t.BurstLimit < 0:
		return BadRequestf("Invalid %s: burstLimit %d must not be negative", field, t.BurstLimit)
	case t.RateLimit < 0:
		return BadRequestf("Invalid %s: rateLimit %g must not be negative", field, t.RateLimit)
	}
	return nil
}

// methodThrottleField names a per-method throttle of an API stage.
func methodThrottleField(apiID, stage, key string) string {
	return fmt.Sprintf("apiStages[%s:%s].throttle[%s]", apiID, stage, key)
}

// validateQuota checks a quota: limit and offset are AWS Integer members
// (patch.CheckInteger), then apigw.Quota.Validate, whose message names the
// field.
func validateQuota(q *apigw.Quota) error {
	if q == nil {
		return nil
	}
	for _, f := range []struct {
		name string
		n    int
	}{{"quota.limit", q.Limit}, {"quota.offset", q.Offset}} {
		if err := patch.CheckInteger(f.name, int64(f.n)); err != nil {
			return FromPatch(err)
		}
	}
	if err := q.Validate(); err != nil {
		return &Error{Kind: KindBadRequest, Message: "Invalid " + err.Error(), Err: err}
	}
	return nil
}

// planStages answers "which methods does this stage serve" for per-method
// throttle keys, caching one deployment lookup per stage.
type planStages struct {
	r       store.Reader
	planID  string
	methods map[string]map[string]bool // "api:stage" -> method keys
}

// check makes sure the stage exists and returns its method keys
// ("{resourcePath}/{METHOD}", root "//GET") from its deployment.
func (ps *planStages) check(ctx context.Context, apiID, stage string) (map[string]bool, error) {
	ref := apiID + ":" + stage
	if m, ok := ps.methods[ref]; ok {
		return m, nil
	}
	st, err := ps.r.GetStage(ctx, apiID, stage)
	if err != nil {
		return nil, notFound(err, stageNotFound(apiID, stage, ps.planID).Message)
	}
	keys := map[string]bool{}
	if d, err := ps.r.GetDeployment(ctx, apiID, st.DeploymentID); err == nil {
		keys = snapshotMethodKeys(d.Snapshot)
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if ps.methods == nil {
		ps.methods = map[string]map[string]bool{}
	}
	ps.methods[ref] = keys
	return keys, nil
}

// checkMethodKey makes sure a per-method throttle key names a method the
// stage's deployment has.
func (ps *planStages) checkMethodKey(ctx context.Context, apiID, stage, key string) error {
	keys, err := ps.check(ctx, apiID, stage)
	if err != nil {
		return err
	}
	if !keys[key] {
		return BadRequestf("Invalid method throttle key %q for API Stage {api: %s, stage: %s}: the deployed API has no such resource path and method (use {resourcePath}/{METHOD}, e.g. /pets/GET, or //GET for the root)", key, apiID, stage)
	}
	return nil
}

// snapshotMethodKeys lists a deployment's methods as throttle map keys. A
// resource whose path cannot be computed (a broken tree, which no
// deployment made by CreateDeployment has) contributes none.
func snapshotMethodKeys(snap apigw.Snapshot) map[string]bool {
	keys := map[string]bool{}
	for id, res := range snap.Resources {
		p := respath.TreePath(snap.Resources, id, resourceLink)
		if p == "" {
			continue
		}
		for m := range res.Methods {
			keys[respath.MethodKey(p, m)] = true
		}
	}
	return keys
}

// CreateUsagePlan creates a usage plan.
func (s *Service) CreateUsagePlan(ctx context.Context, in CreateUsagePlanInput) (*apigw.UsagePlan, error) {
	if in.Name == "" {
		return nil, BadRequestf("Invalid usage plan name: name is required")
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	if in.Throttle != nil {
		if err := validateThrottle(*in.Throttle, "throttle"); err != nil {
			return nil, err
		}
	}
	if err := validateQuota(in.Quota); err != nil {
		return nil, err
	}
	p := &apigw.UsagePlan{
		ID:          newID(usagePlanIDLen),
		Name:        in.Name,
		Description: in.Description,
		ProductCode: in.ProductCode,
		Throttle:    in.Throttle,
		Quota:       in.Quota,
		Tags:        nilIfNoTags(in.Tags),
	}
	err := s.update(ctx, func(tx store.Tx) error {
		p.APIStages = nil // an engine may run this function again (store.Store.Update)
		ps := &planStages{r: tx, planID: p.ID}
		for _, as := range in.APIStages {
			if _, err := ps.check(ctx, as.APIID, as.Stage); err != nil {
				return err
			}
			if planStageIndex(p, as.APIID, as.Stage) >= 0 {
				return BadRequestf("Duplicate API Stage {api: %s, stage: %s} in apiStages", as.APIID, as.Stage)
			}
			for key, t := range as.Throttle {
				if err := ps.checkMethodKey(ctx, as.APIID, as.Stage, key); err != nil {
					return err
				}
				if err := validateThrottle(t, methodThrottleField(as.APIID, as.Stage, key)); err != nil {
					return err
				}
			}
			p.APIStages = append(p.APIStages, as)
		}
		return tx.CreateUsagePlan(ctx, p)
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// planStageIndex is the index of an API stage in a plan, or -1.
func planStageIndex(p *apigw.UsagePlan, apiID, stage string) int {
	return slices.IndexFunc(p.APIStages, func(as apigw.APIStage) bool { return as.APIID == apiID && as.Stage == stage })
}

// GetUsagePlan returns a usage plan.
func (s *Service) GetUsagePlan(ctx context.Context, id string) (*apigw.UsagePlan, error) {
	var p *apigw.UsagePlan
	err := s.view(ctx, func(r store.Reader) error {
		var err error
		p, err = r.GetUsagePlan(ctx, id)
		return notFound(err, msgPlanNotFound)
	})
	return p, err
}

// ListUsagePlans lists usage plans (oldest first), only those containing
// keyID when it is not "".
func (s *Service) ListUsagePlans(ctx context.Context, keyID string, p store.Page) ([]*apigw.UsagePlan, string, error) {
	var (
		plans []*apigw.UsagePlan
		next  string
	)
	err := s.view(ctx, func(r store.Reader) error {
		var err error
		plans, next, err = r.ListUsagePlans(ctx, store.PlanFilter{KeyID: keyID}, p)
		return pageError(err, p)
	})
	return plans, next, err
}

// DeleteUsagePlan deletes a usage plan with its keys and usage.
func (s *Service) DeleteUsagePlan(ctx context.Context, id string) error {
	return s.update(ctx, func(tx store.Tx) error {
		return notFound(tx.DeleteUsagePlan(ctx, id), msgPlanNotFound)
	})
}

// UpdateUsagePlan applies patch operations (planPatch) atomically.
func (s *Service) UpdateUsagePlan(ctx context.Context, id string, ops []patch.Op) (*apigw.UsagePlan, error) {
	var p *apigw.UsagePlan
	err := s.update(ctx, func(tx store.Tx) error {
		var err error
		if p, err = tx.GetUsagePlan(ctx, id); err != nil {
			return notFound(err, msgPlanNotFound)
		}
		pp := &planPatcher{ctx: ctx, tx: tx, plan: p, stages: &planStages{r: tx, planID: id}}
		if err := planPatch.ApplyAll(pp, ops); err != nil {
			return FromPatch(err)
		}
		if err := pp.validate(); err != nil {
			return err
		}
		return tx.UpdateUsagePlan(ctx, p)
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// planPatcher is what UpdateUsagePlan's rules patch: the plan, read and
// written in tx.
type planPatcher struct {
	ctx    context.Context
	tx     store.Tx
	plan   *apigw.UsagePlan
	stages *planStages
}

// planPatch is UpdateUsagePlan's paths. Those under /apiStages/{apiId}:{stage}
// are parsed, and the stage found in the plan, before their ops are checked
// (planStagePatch).
var planPatch = patch.NewTable(patch.Options{},
	patch.Rule[*planPatcher]{Path: "/name", Ops: replaceOp, Set: func(pp *planPatcher, op patch.Op, _ patch.Params) error {
		if op.Value == "" {
			return BadRequestf("Invalid usage plan name: name must not be empty")
		}
		pp.plan.Name = op.Value
		return nil
	}},
	patch.Rule[*planPatcher]{Path: "/description", Ops: replaceOp, Set: patch.String(func(pp *planPatcher) *string { return &pp.plan.Description })},
	patch.Rule[*planPatcher]{Path: "/productCode", Ops: []string{patch.Add, patch.Replace, patch.Remove}, Set: func(pp *planPatcher, op patch.Op, _ patch.Params) error {
		pp.plan.ProductCode = op.Value
		if op.Op == patch.Remove {
			pp.plan.ProductCode = ""
		}
		return nil
	}},
	patch.Rule[*planPatcher]{Path: "/throttle", Ops: []string{patch.Remove}, Set: func(pp *planPatcher, _ patch.Op, _ patch.Params) error {
		pp.plan.Throttle = nil
		return nil
	}},
	patch.Rule[*planPatcher]{Path: "/throttle/rateLimit", Ops: addReplace, Set: setPlanThrottle("rateLimit")},
	patch.Rule[*planPatcher]{Path: "/throttle/burstLimit", Ops: addReplace, Set: setPlanThrottle("burstLimit")},
	patch.Rule[*planPatcher]{Path: "/quota", Ops: []string{patch.Remove}, Set: func(pp *planPatcher, _ patch.Op, _ patch.Params) error {
		pp.plan.Quota = nil
		return nil
	}},
	patch.Rule[*planPatcher]{Path: "/quota/limit", Ops: addReplace, Set: quotaField(func(q *apigw.Quota, op patch.Op) (err error) {
		q.Limit, err = patch.ParseInt(op.Path, op.Value)
		return err
	})},
	patch.Rule[*planPatcher]{Path: "/quota/offset", Ops: addReplace, Set: quotaField(func(q *apigw.Quota, op patch.Op) (err error) {
		q.Offset, err = patch.ParseInt(op.Path, op.Value)
		return err
	})},
	patch.Rule[*planPatcher]{Path: "/quota/period", Ops: addReplace, Set: quotaField(func(q *apigw.Quota, op patch.Op) error {
		q.Period = op.Value
		return nil
	})},
	patch.Rule[*planPatcher]{Path: "/apiStages", Ops: addRemove, Set: (*planPatcher).addOrRemoveStage},
	patch.Rule[*planPatcher]{Path: "/apiStages/{rest+}", AnyOp: true, Set: (*planPatcher).applyStage},
)

// addReplace is the ops of the plan's limit fields.
var addReplace = []string{patch.Add, patch.Replace}

// setPlanThrottle sets field ("rateLimit" or "burstLimit") of the plan's
// throttle, creating it.
func setPlanThrottle(field string) func(*planPatcher, patch.Op, patch.Params) error {
	return func(pp *planPatcher, op patch.Op, _ patch.Params) error {
		if pp.plan.Throttle == nil {
			pp.plan.Throttle = &apigw.Throttle{}
		}
		return setThrottleField(pp.plan.Throttle, field, op)
	}
}

// quotaField applies set to the plan's quota, creating it.
func quotaField(set func(q *apigw.Quota, op patch.Op) error) func(*planPatcher, patch.Op, patch.Params) error {
	return func(pp *planPatcher, op patch.Op, _ patch.Params) error {
		if pp.plan.Quota == nil {
			pp.plan.Quota = &apigw.Quota{}
		}
		return set(pp.plan.Quota, op)
	}
}

// setThrottleField sets field ("rateLimit" or "burstLimit") from op's value.
func setThrottleField(t *apigw.Throttle, field string, op patch.Op) error {
	var err error
	if field == "rateLimit" {
		t.RateLimit, err = patch.ParseFloat(op.Path, op.Value)
	} else {
		t.BurstLimit, err = patch.ParseInt(op.Path, op.Value)
	}
	return err
}

// addOrRemoveStage adds or removes the API stage "{apiId}:{stage}" the
// value names.
func (pp *planPatcher) addOrRemoveStage(op patch.Op, _ patch.Params) error {
	p := pp.plan
	apiID, stage, err := patch.ParseAPIStage(op.Value)
	if err != nil {
		return err
	}
	i := planStageIndex(p, apiID, stage)
	if op.Op == patch.Remove {
		if i < 0 {
			return stageNotFound(apiID, stage, p.ID)
		}
		p.APIStages = slices.Delete(p.APIStages, i, i+1)
		return nil
	}
	if _, err := pp.stages.check(pp.ctx, apiID, stage); err != nil {
		return err
	}
	if i >= 0 {
		return BadRequestf("API Stage {api: %s, stage: %s} is already in usage plan %s", apiID, stage, p.ID)
	}
	if err := checkStageAddition(pp.ctx, pp.tx, p, apiID, stage); err != nil {
		return err
	}
	p.APIStages = append(p.APIStages, apigw.APIStage{APIID: apiID, Stage: stage})
	return nil
}

// applyStage applies an op below /apiStages/{apiId}:{stage}: the path is
// parsed (patch.ParsePlanStagePath) and the stage found in the plan before
// planStagePatch checks the op.
func (pp *planPatcher) applyStage(op patch.Op, _ patch.Params) error {
	sp, err := patch.ParsePlanStagePath(op.Path)
	if err != nil {
		return err
	}
	i := planStageIndex(pp.plan, sp.APIID, sp.Stage)
	if i < 0 {
		return stageNotFound(sp.APIID, sp.Stage, pp.plan.ID)
	}
	as := &pp.plan.APIStages[i]
	if err := planStagePatch.Apply(&planStageTarget{pp: pp, as: as, path: sp}, op); err != nil {
		return err
	}
	if len(as.Throttle) == 0 {
		as.Throttle = nil
	}
	return nil
}

// planStageTarget is one API stage of a plan, with the parsed patch path.
type planStageTarget struct {
	pp   *planPatcher
	as   *apigw.APIStage
	path patch.PlanStagePath
}

// planStagePatch is the ops on an API stage's per-method throttles; the
// paths are already parsed (the method key is in planStageTarget.path).
var planStagePatch = patch.NewTable(patch.Options{},
	// The whole map; its value is JSON text.
	patch.Rule[*planStageTarget]{Path: "/apiStages/{stage}/throttle", Ops: []string{patch.Add, patch.Replace, patch.Remove}, Set: func(t *planStageTarget, op patch.Op, _ patch.Params) error {
		as := t.as
		if op.Op == patch.Remove {
			as.Throttle = nil
			return nil
		}
		m, err := parseThrottleMap(op)
		if err != nil {
			return err
		}
		for key := range m {
			if err := t.pp.stages.checkMethodKey(t.pp.ctx, as.APIID, as.Stage, key); err != nil {
				return err
			}
		}
		as.Throttle = m
		return nil
	}},
	patch.Rule[*planStageTarget]{Path: "/apiStages/{stage}/throttle/{key+}/rateLimit", Ops: addReplace, Set: setMethodThrottle},
	patch.Rule[*planStageTarget]{Path: "/apiStages/{stage}/throttle/{key+}/burstLimit", Ops: addReplace, Set: setMethodThrottle},
	patch.Rule[*planStageTarget]{Path: "/apiStages/{stage}/throttle/{key+}", Ops: []string{patch.Remove}, Set: func(t *planStageTarget, _ patch.Op, _ patch.Params) error {
		delete(t.as.Throttle, t.path.MethodKey)
		return nil
	}},
)

// setMethodThrottle sets one limit of a method's throttle; the method must
// be one the stage's deployment has.
func setMethodThrottle(t *planStageTarget, op patch.Op, _ patch.Params) error {
	as, key := t.as, t.path.MethodKey
	if err := t.pp.stages.checkMethodKey(t.pp.ctx, as.APIID, as.Stage, key); err != nil {
		return err
	}
	if as.Throttle == nil {
		as.Throttle = map[string]apigw.Throttle{}
	}
	th := as.Throttle[key]
	if err := setThrottleField(&th, t.path.Field, op); err != nil {
		return err
	}
	as.Throttle[key] = th
	return nil
}

// parseThrottleMap parses a .../throttle value: JSON text
// {"/pets/GET":{"rateLimit":1.0,"burstLimit":1}, ...}.
func parseThrottleMap(op patch.Op) (map[string]apigw.Throttle, error) {
	var raw map[string]struct {
		BurstLimit *int     `json:"burstLimit"`
		RateLimit  *float64 `json:"rateLimit"`
	}
	if err := json.Unmarshal([]byte(op.Value), &raw); err != nil {
		return nil, &patch.ValueError{Path: op.Path, Value: op.Value,
			Want: `must be a JSON object of method throttles, e.g. {"/pets/GET":{"rateLimit":1.0,"burstLimit":1}}`}
	}
	m := make(map[string]apigw.Throttle, len(raw))
	for k, v := range raw {
		var t apigw.Throttle
		if v.BurstLimit != nil {
			t.BurstLimit = *v.BurstLimit
		}
		if v.RateLimit != nil {
			t.RateLimit = *v.RateLimit
		}
		m[k] = t
	}
	return m, nil
}

// validate checks the patched plan as a whole.
func (pp *planPatcher) validate() error {
	p := pp.plan
	if p.Throttle != nil {
		if err := validateThrottle(*p.Throttle, "throttle"); err != nil {
			return err
		}
	}
	for _, as := range p.APIStages {
		for key, t := range as.Throttle {
			if err := validateThrottle(t, methodThrottleField(as.APIID, as.Stage, key)); err != nil {
				return err
			}
		}
	}
	return validateQuota(p.Quota)
}

// checkKeyStages enforces "one plan per API stage for a key": the key's
// other plans must not cover any stage of plan.
func checkKeyStages(ctx context.Context, r store.Reader, plan *apigw.UsagePlan, keyID string) error {
	if len(plan.APIStages) == 0 {
		return nil
	}
	ids, err := r.ListUsagePlanIDsForKey(ctx, keyID)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if id == plan.ID {
			continue
		}
		other, err := r.GetUsagePlan(ctx, id)
		if err != nil {
			return err
		}
		for _, as := range plan.APIStages {
			if planStageIndex(other, as.APIID, as.Stage) >= 0 {
				return Conflictf("API Key %s is already in usage plan %s, which covers API stage %s:%s also covered by usage plan %s; a key can be in only one usage plan per API stage",
					keyID, other.ID, as.APIID, as.Stage, plan.ID)
			}
		}
	}
	return nil
}

// checkStageAddition refuses to add an API stage to a plan when one of its
// keys is in another plan that covers that stage.
func checkStageAddition(ctx context.Context, r store.Reader, plan *apigw.UsagePlan, apiID, stage string) error {
	one := &apigw.UsagePlan{ID: plan.ID, APIStages: []apigw.APIStage{{APIID: apiID, Stage: stage}}}
	pg := store.Page{Limit: 500}
	for {
		keys, next, err := r.ListUsagePlanKeys(ctx, plan.ID, pg)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if err := checkKeyStages(ctx, r, one, k.ID); err != nil {
				return err
			}
		}
		if next == "" {
			return nil
		}
		pg.Position = next
	}
}

// CreateUsagePlanKey adds an API key to a usage plan.
func (s *Service) CreateUsagePlanKey(ctx context.Context, planID, keyID, keyType string) (*RevealedKey, error) {
	if keyType != UsagePlanKeyType {
		return nil, BadRequestf("Invalid usage plan key type %q: must be API_KEY", keyType)
	}
	var k *apigw.APIKey
	err := s.update(ctx, func(tx store.Tx) error {
		plan, err := tx.GetUsagePlan(ctx, planID)
		if err != nil {
			return notFound(err, msgPlanNotFound)
		}
		if k, err = s.getKey(ctx, tx, keyID); err != nil {
			return err
		}
		in, err := tx.HasUsagePlanKey(ctx, planID, keyID)
		switch {
		case err != nil:
			return err
		case in:
			return Conflictf("Usage plan %s already contains API Key %s", planID, keyID)
		}
		if err := checkKeyStages(ctx, tx, plan, keyID); err != nil {
			return err
		}
		return tx.AddUsagePlanKey(ctx, planID, keyID)
	})
	if err != nil {
		return nil, err
	}
	return s.revealed(k)
}

// revealed returns k with its value (usage plan keys always carry it).
func (s *Service) revealed(k *apigw.APIKey) (*RevealedKey, error) {
	v, err := s.reveal(k)
	if err != nil {
		return nil, err
	}
	return &RevealedKey{APIKey: k, Value: v}, nil
}

// GetUsagePlanKey returns a key of a plan, with its value.
func (s *Service) GetUsagePlanKey(ctx context.Context, planID, keyID string) (*RevealedKey, error) {
	var k *apigw.APIKey
	err := s.view(ctx, func(r store.Reader) error {
		var err error
		if k, err = s.planKey(ctx, r, planID, keyID); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.revealed(k)
}

// planKey returns a key that must be in a plan that must exist.
func (s *Service) planKey(ctx context.Context, r store.Reader, planID, keyID string) (*apigw.APIKey, error) {
	if _, err := r.GetUsagePlan(ctx, planID); err != nil {
		return nil, notFound(err, msgPlanNotFound)
	}
	in, err := r.HasUsagePlanKey(ctx, planID, keyID)
	switch {
	case err != nil:
		return nil, err
	case !in:
		return nil, s.unknownKey(ctx, r, keyID, nil)
	}
	return s.getKey(ctx, r, keyID)
}

// ListUsagePlanKeys lists the keys of a plan, the last added first as AWS
// does (aws-compat.md §10a), with their values. namePrefix filters on the
// key name (case-sensitive) within each page, so a filtered page may be
// short. An unknown plan has no keys (AWS answers an empty list, not 404).
func (s *Service) ListUsagePlanKeys(ctx context.Context, planID, namePrefix string, p store.Page) ([]*RevealedKey, string, error) {
	p.NewestFirst = true
	var (
		keys []*apigw.APIKey
		next string
	)
	err := s.view(ctx, func(r store.Reader) error {
		var err error
		keys, next, err = r.ListUsagePlanKeys(ctx, planID, p)
		return pageError(err, p)
	})
	if err != nil {
		return nil, "", err
	}
	out := make([]*RevealedKey, 0, len(keys))
	for _, k := range keys {
		if !strings.HasPrefix(k.Name, namePrefix) {
			continue
		}
		rk, err := s.revealed(k)
		if err != nil {
			return nil, "", err
		}
		out = append(out, rk)
	}
	return out, next, nil
}

// DeleteUsagePlanKey removes a key from a plan.
func (s *Service) DeleteUsagePlanKey(ctx context.Context, planID, keyID string) error {
	return s.update(ctx, func(tx store.Tx) error {
		if _, err := s.planKey(ctx, tx, planID, keyID); err != nil {
			return err
		}
		return tx.RemoveUsagePlanKey(ctx, planID, keyID)
	})
}
