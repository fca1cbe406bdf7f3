package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// tx implements store.Tx and records the configuration changes it makes.
type tx struct {
	reader
	changes []store.Change
}

// record notes one configuration change for the commit.
func (t *tx) record(kind store.Kind, op store.Op, apiID, id, keyID string) {
	t.changes = append(t.changes, store.Change{Kind: kind, Op: op, APIID: apiID, ID: id, KeyID: keyID})
}

// insert runs an INSERT … ON CONFLICT DO NOTHING: no row inserted is
// store.ErrConflict.
func (t *tx) insert(ctx context.Context, query string, args ...any) error {
	n, err := t.q.exec(ctx, query, args...)
	switch {
	case err != nil:
		return err
	case n == 0:
		return fmt.Errorf("already exists: %w", store.ErrConflict)
	}
	return nil
}

// update runs an UPDATE or DELETE that must affect a row; an argument no
// row can hold affects none.
func (t *tx) update(ctx context.Context, query string, args ...any) error {
	n, err := t.q.exec(ctx, query, args...)
	switch {
	case errors.Is(err, errUnstorable):
		return store.ErrNotFound
	case err != nil:
		return err
	case n == 0:
		return store.ErrNotFound
	}
	return nil
}

// mustExist returns an error wrapping store.ErrNotFound, naming what, when
// query returns no row.
func (t *tx) mustExist(ctx context.Context, what, id, query string, args ...any) error {
	ok, err := t.q.exists(ctx, query, args...)
	switch {
	case err != nil:
		return err
	case !ok:
		return fmt.Errorf("%s %s: %w", what, id, store.ErrNotFound)
	}
	return nil
}

// encode encodes a doc column.
func encode(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode document: %w", err)
	}
	return b, nil
}

// CreateAPI implements store.Tx.
func (t *tx) CreateAPI(ctx context.Context, api *apigw.RestAPI) error {
	if err := t.putAPI(ctx, api, true); err != nil {
		return fmt.Errorf("postgres: create api %s: %w", api.ID, err)
	}
	return nil
}

// UpdateAPI implements store.Tx.
func (t *tx) UpdateAPI(ctx context.Context, api *apigw.RestAPI) error {
	if err := t.putAPI(ctx, api, false); err != nil {
		return fmt.Errorf("postgres: update api %s: %w", api.ID, err)
	}
	return nil
}

func (t *tx) putAPI(ctx context.Context, api *apigw.RestAPI, create bool) error {
	doc, err := encode(api)
	if err != nil {
		return err
	}
	if create {
		err = t.insert(ctx, "INSERT INTO apis (id, doc) VALUES ($1, $2) ON CONFLICT DO NOTHING", api.ID, doc)
	} else {
		err = t.update(ctx, "UPDATE apis SET doc = $1 WHERE id = $2", doc, api.ID)
	}
	if err != nil {
		return err
	}
	t.record(store.KindAPI, store.OpPut, "", api.ID, "")
	return nil
}

// DeleteAPI implements store.Tx. It records a delete for each of the API's
// stages and deployments, and a put for each usage plan it changes.
func (t *tx) DeleteAPI(ctx context.Context, id string) error {
	if err := t.deleteAPI(ctx, id); err != nil {
		return fmt.Errorf("postgres: delete api %s: %w", id, err)
	}
	return nil
}

func (t *tx) deleteAPI(ctx context.Context, id string) error {
	if err := t.mustExist(ctx, "api", id, "SELECT 1 FROM apis WHERE id = $1", id); err != nil {
		return err
	}
	stages, err := t.q.column(ctx, "SELECT name FROM stages WHERE api_id = $1 ORDER BY seq", id)
	if err != nil {
		return err
	}
	deployments, err := t.q.column(ctx, "SELECT id FROM deployments WHERE api_id = $1 ORDER BY seq", id)
	if err != nil {
		return err
	}
	if err := t.dropPlanStages(ctx, func(s apigw.APIStage) bool { return s.APIID == id }); err != nil {
		return err
	}
	// Deployments and stages go by ON DELETE CASCADE.
	if err := t.update(ctx, "DELETE FROM apis WHERE id = $1", id); err != nil {
		return err
	}
	for _, name := range stages {
		t.record(store.KindStage, store.OpDelete, id, name, "")
	}
	for _, d := range deployments {
		t.record(store.KindDeployment, store.OpDelete, id, d, "")
	}
	t.record(store.KindAPI, store.OpDelete, "", id, "")
	return nil
}

// dropPlanStages removes the API stages that match from every usage plan,
// recording a put for each plan it changes.
func (t *tx) dropPlanStages(ctx context.Context, match func(apigw.APIStage) bool) error {
	var changed []*apigw.UsagePlan
	err := t.q.each(ctx, "SELECT seq, doc FROM usage_plans ORDER BY seq", nil, func(rows pgx.Rows) error {
		_, p, err := scanDoc[apigw.UsagePlan](rows)
		if err != nil {
			return err
		}
		n := len(p.APIStages)
		if p.APIStages = slices.DeleteFunc(p.APIStages, match); len(p.APIStages) != n {
			changed = append(changed, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, p := range changed {
		if err := t.putUsagePlan(ctx, p, false); err != nil {
			return fmt.Errorf("usage plan %s: %w", p.ID, err)
		}
	}
	return nil
}

// CreateDeployment implements store.Tx. It returns ErrNotFound when the
// API does not exist.
func (t *tx) CreateDeployment(ctx context.Context, d *apigw.Deployment) error {
	if err := t.putDeployment(ctx, d, true); err != nil {
		return fmt.Errorf("postgres: create deployment %s/%s: %w", d.APIID, d.ID, err)
	}
	return nil
}

// UpdateDeployment implements store.Tx.
func (t *tx) UpdateDeployment(ctx context.Context, d *apigw.Deployment) error {
	if err := t.putDeployment(ctx, d, false); err != nil {
		return fmt.Errorf("postgres: update deployment %s/%s: %w", d.APIID, d.ID, err)
	}
	return nil
}

func (t *tx) putDeployment(ctx context.Context, d *apigw.Deployment, create bool) error {
	doc, err := encode(d)
	if err != nil {
		return err
	}
	if create {
		if err := t.mustExist(ctx, "api", d.APIID, "SELECT 1 FROM apis WHERE id = $1", d.APIID); err != nil {
			return err
		}
		err = t.insert(ctx, "INSERT INTO deployments (api_id, id, doc) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", d.APIID, d.ID, doc)
	} else {
		err = t.update(ctx, "UPDATE deployments SET doc = $1 WHERE api_id = $2 AND id = $3", doc, d.APIID, d.ID)
	}
	if err != nil {
		return err
	}
	t.record(store.KindDeployment, store.OpPut, d.APIID, d.ID, "")
	return nil
}

// DeleteDeployment implements store.Tx.
func (t *tx) DeleteDeployment(ctx context.Context, apiID, id string) error {
	if err := t.update(ctx, "DELETE FROM deployments WHERE api_id = $1 AND id = $2", apiID, id); err != nil {
		return fmt.Errorf("postgres: delete deployment %s/%s: %w", apiID, id, err)
	}
	t.record(store.KindDeployment, store.OpDelete, apiID, id, "")
	return nil
}

// CreateStage implements store.Tx. It returns ErrNotFound when the API
// does not exist.
func (t *tx) CreateStage(ctx context.Context, s *apigw.Stage) error {
	if err := t.putStage(ctx, s, true); err != nil {
		return fmt.Errorf("postgres: create stage %s/%s: %w", s.APIID, s.Name, err)
	}
	return nil
}

// UpdateStage implements store.Tx.
func (t *tx) UpdateStage(ctx context.Context, s *apigw.Stage) error {
	if err := t.putStage(ctx, s, false); err != nil {
		return fmt.Errorf("postgres: update stage %s/%s: %w", s.APIID, s.Name, err)
	}
	return nil
}

func (t *tx) putStage(ctx context.Context, s *apigw.Stage, create bool) error {
	doc, err := encode(s)
	if err != nil {
		return err
	}
	if create {
		if err := t.mustExist(ctx, "api", s.APIID, "SELECT 1 FROM apis WHERE id = $1", s.APIID); err != nil {
			return err
		}
		err = t.insert(ctx, "INSERT INTO stages (api_id, name, doc) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", s.APIID, s.Name, doc)
	} else {
		err = t.update(ctx, "UPDATE stages SET doc = $1 WHERE api_id = $2 AND name = $3", doc, s.APIID, s.Name)
	}
	if err != nil {
		return err
	}
	t.record(store.KindStage, store.OpPut, s.APIID, s.Name, "")
	return nil
}

// DeleteStage implements store.Tx. It also removes the stage from every
// usage plan, recording a put for each plan it changes.
func (t *tx) DeleteStage(ctx context.Context, apiID, name string) error {
	err := t.update(ctx, "DELETE FROM stages WHERE api_id = $1 AND name = $2", apiID, name)
	if err == nil {
		err = t.dropPlanStages(ctx, func(s apigw.APIStage) bool { return s.APIID == apiID && s.Stage == name })
	}
	if err != nil {
		return fmt.Errorf("postgres: delete stage %s/%s: %w", apiID, name, err)
	}
	t.record(store.KindStage, store.OpDelete, apiID, name, "")
	return nil
}

// keyDoc encodes an API key without its secret fields, which have columns
// of their own.
func keyDoc(k *apigw.APIKey) ([]byte, error) {
	c := *k
	c.LookupHash, c.SealedValue = nil, nil
	return encode(&c)
}

// blob binds an empty byte slice as NULL.
func blob(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// CreateAPIKey implements store.Tx. An empty LookupHash or SealedValue is
// stored as absent and read back as nil.
func (t *tx) CreateAPIKey(ctx context.Context, k *apigw.APIKey) error {
	if err := t.createAPIKey(ctx, k); err != nil {
		return fmt.Errorf("postgres: create api key %s: %w", k.ID, err)
	}
	return nil
}

func (t *tx) createAPIKey(ctx context.Context, k *apigw.APIKey) error {
	doc, err := keyDoc(k)
	if err != nil {
		return err
	}
	// DO NOTHING covers both unique columns; only when nothing was
	// inserted is it looked up which one was taken.
	n, err := t.q.exec(ctx,
		`INSERT INTO api_keys (id, name, customer_id, lookup_hash, sealed_value, doc) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT DO NOTHING`,
		k.ID, k.Name, k.CustomerID, blob(k.LookupHash), blob(k.SealedValue), doc)
	if err != nil {
		return err
	}
	if n == 0 {
		taken, err := t.q.exists(ctx, "SELECT 1 FROM api_keys WHERE id = $1", k.ID)
		switch {
		case err != nil:
			return err
		case taken:
			return fmt.Errorf("id exists: %w", store.ErrConflict)
		}
		return fmt.Errorf("key value (lookup hash) in use: %w", store.ErrConflict)
	}
	t.record(store.KindAPIKey, store.OpPut, "", k.ID, "")
	return nil
}

// UpdateAPIKey implements store.Tx. It returns ErrConflict when the new
// LookupHash belongs to another key.
func (t *tx) UpdateAPIKey(ctx context.Context, k *apigw.APIKey) error {
	if err := t.updateAPIKey(ctx, k); err != nil {
		return fmt.Errorf("postgres: update api key %s: %w", k.ID, err)
	}
	return nil
}

func (t *tx) updateAPIKey(ctx context.Context, k *apigw.APIKey) error {
	doc, err := keyDoc(k)
	if err != nil {
		return err
	}
	if !textOK(k.Name) || !textOK(k.CustomerID) {
		return errUnstorable
	}
	if len(k.LookupHash) > 0 {
		// Looked up first: a unique violation would abort the transaction.
		taken, err := t.q.exists(ctx, "SELECT 1 FROM api_keys WHERE lookup_hash = $1 AND id <> $2", k.LookupHash, k.ID)
		switch {
		case err != nil:
			return err
		case taken:
			return fmt.Errorf("unique value taken: %w", store.ErrConflict)
		}
	}
	if err := t.update(ctx,
		"UPDATE api_keys SET name = $1, customer_id = $2, lookup_hash = $3, sealed_value = $4, doc = $5 WHERE id = $6",
		k.Name, k.CustomerID, blob(k.LookupHash), blob(k.SealedValue), doc, k.ID); err != nil {
		return err
	}
	t.record(store.KindAPIKey, store.OpPut, "", k.ID, "")
	return nil
}

// DeleteAPIKey implements store.Tx. It records a usage plan key delete for
// each plan the key was in.
func (t *tx) DeleteAPIKey(ctx context.Context, id string) error {
	plans, err := t.q.column(ctx, "SELECT plan_id FROM usage_plan_keys WHERE key_id = $1 ORDER BY seq", id)
	if err == nil {
		// usage_plan_keys rows go by ON DELETE CASCADE.
		err = t.update(ctx, "DELETE FROM api_keys WHERE id = $1", id)
	}
	if err != nil {
		return fmt.Errorf("postgres: delete api key %s: %w", id, err)
	}
	for _, p := range plans {
		t.record(store.KindUsagePlanKey, store.OpDelete, "", p, id)
	}
	t.record(store.KindAPIKey, store.OpDelete, "", id, "")
	return nil
}

// CreateUsagePlan implements store.Tx.
func (t *tx) CreateUsagePlan(ctx context.Context, p *apigw.UsagePlan) error {
	if err := t.putUsagePlan(ctx, p, true); err != nil {
		return fmt.Errorf("postgres: create usage plan %s: %w", p.ID, err)
	}
	return nil
}

// UpdateUsagePlan implements store.Tx.
func (t *tx) UpdateUsagePlan(ctx context.Context, p *apigw.UsagePlan) error {
	if err := t.putUsagePlan(ctx, p, false); err != nil {
		return fmt.Errorf("postgres: update usage plan %s: %w", p.ID, err)
	}
	return nil
}

func (t *tx) putUsagePlan(ctx context.Context, p *apigw.UsagePlan, create bool) error {
	doc, err := encode(p)
	if err != nil {
		return err
	}
	if create {
		err = t.insert(ctx, "INSERT INTO usage_plans (id, doc) VALUES ($1, $2) ON CONFLICT DO NOTHING", p.ID, doc)
	} else {
		err = t.update(ctx, "UPDATE usage_plans SET doc = $1 WHERE id = $2", doc, p.ID)
	}
	if err != nil {
		return err
	}
	t.record(store.KindUsagePlan, store.OpPut, "", p.ID, "")
	return nil
}

// DeleteUsagePlan implements store.Tx. It also deletes the plan's usage
// and quota adjustments, and records a usage plan key delete for each of
// its keys.
func (t *tx) DeleteUsagePlan(ctx context.Context, id string) error {
	if err := t.deleteUsagePlan(ctx, id); err != nil {
		return fmt.Errorf("postgres: delete usage plan %s: %w", id, err)
	}
	return nil
}

func (t *tx) deleteUsagePlan(ctx context.Context, id string) error {
	keys, err := t.q.column(ctx, "SELECT key_id FROM usage_plan_keys WHERE plan_id = $1 ORDER BY seq", id)
	if err != nil {
		return err
	}
	// usage_plan_keys rows go by ON DELETE CASCADE.
	if err := t.update(ctx, "DELETE FROM usage_plans WHERE id = $1", id); err != nil {
		return err
	}
	for _, table := range []string{"usage", "quota_adjustments"} {
		if _, err := t.q.exec(ctx, "DELETE FROM "+table+" WHERE plan_id = $1", id); err != nil {
			return err
		}
	}
	for _, k := range keys {
		t.record(store.KindUsagePlanKey, store.OpDelete, "", id, k)
	}
	t.record(store.KindUsagePlan, store.OpDelete, "", id, "")
	return nil
}

// AddUsagePlanKey implements store.Tx. It returns ErrNotFound when the
// plan or the key does not exist.
func (t *tx) AddUsagePlanKey(ctx context.Context, planID, keyID string) error {
	if err := t.addUsagePlanKey(ctx, planID, keyID); err != nil {
		return fmt.Errorf("postgres: add key %s to usage plan %s: %w", keyID, planID, err)
	}
	return nil
}

func (t *tx) addUsagePlanKey(ctx context.Context, planID, keyID string) error {
	// One statement when both exist (a bulk import pays one round trip);
	// only when nothing was inserted is it looked up why.
	n, err := t.q.exec(ctx,
		`INSERT INTO usage_plan_keys (plan_id, key_id)
		SELECT $1, $2 WHERE EXISTS (SELECT 1 FROM usage_plans WHERE id = $1) AND EXISTS (SELECT 1 FROM api_keys WHERE id = $2)
		ON CONFLICT DO NOTHING`,
		planID, keyID)
	switch {
	case errors.Is(err, errUnstorable):
		return fmt.Errorf("usage plan %s or key %s: %w", planID, keyID, store.ErrNotFound)
	case err != nil:
		return err
	case n == 1:
		t.record(store.KindUsagePlanKey, store.OpPut, "", planID, keyID)
		return nil
	}
	if err := t.mustExist(ctx, "usage plan", planID, "SELECT 1 FROM usage_plans WHERE id = $1", planID); err != nil {
		return err
	}
	if err := t.mustExist(ctx, "api key", keyID, "SELECT 1 FROM api_keys WHERE id = $1", keyID); err != nil {
		return err
	}
	return fmt.Errorf("already in the plan: %w", store.ErrConflict)
}

// RemoveUsagePlanKey implements store.Tx.
func (t *tx) RemoveUsagePlanKey(ctx context.Context, planID, keyID string) error {
	if err := t.update(ctx, "DELETE FROM usage_plan_keys WHERE plan_id = $1 AND key_id = $2", planID, keyID); err != nil {
		return fmt.Errorf("postgres: remove key %s from usage plan %s: %w", keyID, planID, err)
	}
	t.record(store.KindUsagePlanKey, store.OpDelete, "", planID, keyID)
	return nil
}

// AddUsage implements store.Tx: it adds the records' counts to the daily
// usage rows in one statement. Days are taken in UTC. Records with a zero
// count, and records of a usage plan that no longer exists (a flush racing
// DeleteUsagePlan), are dropped.
func (t *tx) AddUsage(ctx context.Context, records []store.UsageRecord) error {
	if err := t.addUsage(ctx, records); err != nil {
		return fmt.Errorf("postgres: add usage: %w", err)
	}
	return nil
}

// usageRow names one row of the usage table.
type usageRow struct {
	plan, key string
	day       time.Time
}

func (t *tx) addUsage(ctx context.Context, records []store.UsageRecord) error {
	// Summed first: one statement may not update a row twice.
	sum := map[usageRow]int64{}
	for _, u := range records {
		if u.Count != 0 {
			sum[usageRow{u.PlanID, u.KeyID, utcDay(u.Day)}] += u.Count
		}
	}
	rows := make([]usageRow, 0, len(sum))
	for r, n := range sum {
		if n != 0 {
			rows = append(rows, r)
		}
	}
	if len(rows) == 0 {
		return nil
	}
	// In key order, so that concurrent flushes lock rows in one order.
	slices.SortFunc(rows, func(a, b usageRow) int {
		return cmp.Or(strings.Compare(a.plan, b.plan), strings.Compare(a.key, b.key), a.day.Compare(b.day))
	})
	plans, keys, days, counts := make([]string, len(rows)), make([]string, len(rows)), make([]time.Time, len(rows)), make([]int64, len(rows))
	for i, r := range rows {
		plans[i], keys[i], days[i], counts[i] = r.plan, r.key, r.day, sum[r]
	}
	_, err := t.q.exec(ctx,
		`INSERT INTO usage (plan_id, key_id, day, count)
		SELECT u.plan_id, u.key_id, u.day, u.count FROM unnest($1::text[], $2::text[], $3::date[], $4::bigint[]) WITH ORDINALITY AS u (plan_id, key_id, day, count, n)
		WHERE EXISTS (SELECT 1 FROM usage_plans p WHERE p.id = u.plan_id)
		ORDER BY u.n
		ON CONFLICT (plan_id, key_id, day) DO UPDATE SET count = usage.count + excluded.count`,
		plans, keys, days, counts)
	return err
}

// SetQuotaAdjustment implements store.Tx. It returns ErrNotFound when the
// plan does not exist.
func (t *tx) SetQuotaAdjustment(ctx context.Context, a store.QuotaAdjustment) error {
	err := t.mustExist(ctx, "usage plan", a.PlanID, "SELECT 1 FROM usage_plans WHERE id = $1", a.PlanID)
	if err == nil {
		_, err = t.q.exec(ctx,
			`INSERT INTO quota_adjustments (plan_id, key_id, period_start, delta) VALUES ($1, $2, $3, $4)
			ON CONFLICT (plan_id, key_id, period_start) DO UPDATE SET delta = excluded.delta`,
			a.PlanID, a.KeyID, a.PeriodStart.UnixNano(), a.Delta)
	}
	if err != nil {
		return fmt.Errorf("postgres: set quota adjustment of key %s in plan %s: %w", a.KeyID, a.PlanID, err)
	}
	return nil
}

// ClaimUsageBatch implements store.Tx. Of two transactions claiming one
// id at once, the second waits for the first and, once that commits,
// fails to serialize; Update runs it again, and it finds the claim.
func (t *tx) ClaimUsageBatch(ctx context.Context, id string, now time.Time) (bool, error) {
	if _, err := t.q.exec(ctx, "DELETE FROM usage_batches WHERE applied_at < $1", now.Add(-store.UsageBatchKeep)); err != nil {
		return false, fmt.Errorf("postgres: forget old usage batches: %w", err)
	}
	n, err := t.q.exec(ctx, "INSERT INTO usage_batches (id, applied_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING", id, now)
	if err != nil {
		return false, fmt.Errorf("postgres: claim usage batch %q: %w", id, err)
	}
	return n == 1, nil
}

// PutSetting implements store.Tx.
func (t *tx) PutSetting(ctx context.Context, name, value string) error {
	_, err := t.q.exec(ctx,
		"INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value", name, value)
	if err != nil {
		return fmt.Errorf("postgres: put setting %q: %w", name, err)
	}
	return nil
}

// Interface guard.
var _ store.Tx = (*tx)(nil)

// CreateDomainName implements store.Tx.
func (t *tx) CreateDomainName(ctx context.Context, d *apigw.DomainName) error {
	if err := t.putDomainName(ctx, d, true); err != nil {
		return fmt.Errorf("postgres: create domain name %s: %w", d.Name, err)
	}
	return nil
}

// UpdateDomainName implements store.Tx.
func (t *tx) UpdateDomainName(ctx context.Context, d *apigw.DomainName) error {
	if err := t.putDomainName(ctx, d, false); err != nil {
		return fmt.Errorf("postgres: update domain name %s: %w", d.Name, err)
	}
	return nil
}

func (t *tx) putDomainName(ctx context.Context, d *apigw.DomainName, create bool) error {
	doc, err := encode(d)
	if err != nil {
		return err
	}
	if create {
		err = t.insert(ctx, "INSERT INTO domain_names (name, doc) VALUES ($1, $2) ON CONFLICT DO NOTHING", d.Name, doc)
	} else {
		err = t.update(ctx, "UPDATE domain_names SET doc = $1 WHERE name = $2", doc, d.Name)
	}
	if err != nil {
		return err
	}
	t.record(store.KindDomainName, store.OpPut, "", d.Name, "")
	return nil
}

// DeleteDomainName implements store.Tx.
func (t *tx) DeleteDomainName(ctx context.Context, name string) error {
	if err := t.update(ctx, "DELETE FROM domain_names WHERE name = $1", name); err != nil {
		return fmt.Errorf("postgres: delete domain name %s: %w", name, err)
	}
	t.record(store.KindDomainName, store.OpDelete, "", name, "")
	return nil
}
