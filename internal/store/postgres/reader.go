package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// reader implements store.Reader on a transaction. Every method returns
// freshly decoded structs, so callers may mutate them.
type reader struct {
	q *conn
}

// scanFunc scans one row of a list query into its seq and item.
type scanFunc[T any] func(pgx.Rows) (int64, *T, error)

// scanDoc scans a (seq, doc) row.
func scanDoc[T any](rows pgx.Rows) (int64, *T, error) {
	var (
		seq int64
		doc []byte
	)
	if err := rows.Scan(&seq, &doc); err != nil {
		return 0, nil, err
	}
	v, err := decode[T](doc)
	return seq, v, err
}

// decode decodes a doc column.
func decode[T any](doc []byte) (*T, error) {
	v := new(T)
	if err := json.Unmarshal(doc, v); err != nil {
		return nil, fmt.Errorf("decode stored document: %w", err)
	}
	return v, nil
}

// scanKey scans a (seq, doc, lookup_hash, sealed_value) row of api_keys.
func scanKey(rows pgx.Rows) (int64, *apigw.APIKey, error) {
	var (
		seq          int64
		doc          []byte
		hash, sealed []byte
	)
	if err := rows.Scan(&seq, &doc, &hash, &sealed); err != nil {
		return 0, nil, err
	}
	k, err := decode[apigw.APIKey](doc)
	if err != nil {
		return 0, nil, err
	}
	k.LookupHash, k.SealedValue = hash, sealed
	return seq, k, nil
}

// list runs a page query. query must end with "seq > $n ORDER BY seq LIMIT
// $n+1" (for its seq column) where n is len(args)+1, or p.SeqOrder("seq",
// "$n", "$n+1") for a list that takes Page.NewestFirst; list appends the
// position's bound and the limit to args, and returns the page and the
// next position.
func list[T any](ctx context.Context, q *conn, p store.Page, scan scanFunc[T], query string, args ...any) ([]*T, string, error) {
	after, err := store.DecodePosition(p.Position)
	if err != nil {
		return nil, "", err
	}
	limit := p.PageLimit()
	var (
		items   []*T
		lastSeq int64
		more    bool
	)
	err = q.each(ctx, query, append(args, p.Bound(after), limit+1), func(rows pgx.Rows) error {
		if len(items) == limit {
			more = true
			return nil
		}
		seq, v, err := scan(rows)
		if err != nil {
			return err
		}
		items, lastSeq = append(items, v), seq
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	if !more {
		return items, "", nil
	}
	return items, store.EncodePosition(lastSeq), nil
}

// getDoc fetches the doc column of the single row query selects.
func getDoc[T any](ctx context.Context, q *conn, query string, args ...any) (*T, error) {
	var doc []byte
	if err := q.row(ctx, query, args, &doc); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, store.ErrNotFound
		}
		return nil, err
	}
	return decode[T](doc)
}

// GetAPI implements store.Reader.
func (r reader) GetAPI(ctx context.Context, id string) (*apigw.RestAPI, error) {
	a, err := getDoc[apigw.RestAPI](ctx, r.q, "SELECT doc FROM apis WHERE id = $1", id)
	if err != nil {
		return nil, fmt.Errorf("postgres: get api %s: %w", id, err)
	}
	return a, nil
}

// ListAPIs implements store.Reader.
func (r reader) ListAPIs(ctx context.Context, p store.Page) ([]*apigw.RestAPI, string, error) {
	items, next, err := list(ctx, r.q, p, scanDoc[apigw.RestAPI],
		"SELECT seq, doc FROM apis WHERE seq > $1 ORDER BY seq LIMIT $2")
	if err != nil {
		return nil, "", fmt.Errorf("postgres: list apis: %w", err)
	}
	return items, next, nil
}

// GetDeployment implements store.Reader.
func (r reader) GetDeployment(ctx context.Context, apiID, id string) (*apigw.Deployment, error) {
	d, err := getDoc[apigw.Deployment](ctx, r.q, "SELECT doc FROM deployments WHERE api_id = $1 AND id = $2", apiID, id)
	if err != nil {
		return nil, fmt.Errorf("postgres: get deployment %s/%s: %w", apiID, id, err)
	}
	return d, nil
}

// ListDeployments implements store.Reader.
func (r reader) ListDeployments(ctx context.Context, apiID string, p store.Page) ([]*apigw.Deployment, string, error) {
	items, next, err := list(ctx, r.q, p, scanDoc[apigw.Deployment],
		"SELECT seq, doc FROM deployments WHERE api_id = $1 AND seq > $2 ORDER BY seq LIMIT $3", apiID)
	if err != nil {
		return nil, "", fmt.Errorf("postgres: list deployments of %s: %w", apiID, err)
	}
	return items, next, nil
}

// GetStage implements store.Reader.
func (r reader) GetStage(ctx context.Context, apiID, name string) (*apigw.Stage, error) {
	s, err := getDoc[apigw.Stage](ctx, r.q, "SELECT doc FROM stages WHERE api_id = $1 AND name = $2", apiID, name)
	if err != nil {
		return nil, fmt.Errorf("postgres: get stage %s/%s: %w", apiID, name, err)
	}
	return s, nil
}

// ListStages implements store.Reader.
func (r reader) ListStages(ctx context.Context, apiID string) ([]*apigw.Stage, error) {
	var stages []*apigw.Stage
	err := r.q.each(ctx, "SELECT seq, doc FROM stages WHERE $1::text = '' OR api_id = $1 ORDER BY seq", []any{apiID},
		func(rows pgx.Rows) error {
			_, s, err := scanDoc[apigw.Stage](rows)
			stages = append(stages, s)
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("postgres: list stages of %q: %w", apiID, err)
	}
	return stages, nil
}

// getKey fetches the one API key where cond holds.
func (r reader) getKey(ctx context.Context, cond string, arg any) (*apigw.APIKey, error) {
	var k *apigw.APIKey
	err := r.q.each(ctx, "SELECT seq, doc, lookup_hash, sealed_value FROM api_keys WHERE "+cond, []any{arg},
		func(rows pgx.Rows) (err error) {
			_, k, err = scanKey(rows)
			return err
		})
	switch {
	case err != nil:
		return nil, err
	case k == nil:
		return nil, store.ErrNotFound
	}
	return k, nil
}

// GetAPIKey implements store.Reader.
func (r reader) GetAPIKey(ctx context.Context, id string) (*apigw.APIKey, error) {
	k, err := r.getKey(ctx, "id = $1", id)
	if err != nil {
		return nil, fmt.Errorf("postgres: get api key %s: %w", id, err)
	}
	return k, nil
}

// GetAPIKeyByHash implements store.Reader.
func (r reader) GetAPIKeyByHash(ctx context.Context, lookupHash []byte) (*apigw.APIKey, error) {
	if len(lookupHash) == 0 {
		return nil, fmt.Errorf("postgres: get api key by empty hash: %w", store.ErrNotFound)
	}
	k, err := r.getKey(ctx, "lookup_hash = $1", lookupHash)
	if err != nil {
		return nil, fmt.Errorf("postgres: get api key by hash: %w", err)
	}
	return k, nil
}

// ListAPIKeys implements store.Reader. The name prefix is case-sensitive.
func (r reader) ListAPIKeys(ctx context.Context, f store.KeyFilter, p store.Page) ([]*apigw.APIKey, string, error) {
	items, next, err := list(ctx, r.q, p, scanKey,
		`SELECT seq, doc, lookup_hash, sealed_value FROM api_keys
		WHERE starts_with(name, $1::text) AND ($2::text = '' OR customer_id = $2)
		AND `+p.SeqOrder("seq", "$3", "$4"),
		f.NamePrefix, f.CustomerID)
	if err != nil {
		return nil, "", fmt.Errorf("postgres: list api keys: %w", err)
	}
	return items, next, nil
}

// GetUsagePlan implements store.Reader.
func (r reader) GetUsagePlan(ctx context.Context, id string) (*apigw.UsagePlan, error) {
	p, err := getDoc[apigw.UsagePlan](ctx, r.q, "SELECT doc FROM usage_plans WHERE id = $1", id)
	if err != nil {
		return nil, fmt.Errorf("postgres: get usage plan %s: %w", id, err)
	}
	return p, nil
}

// ListUsagePlans implements store.Reader.
func (r reader) ListUsagePlans(ctx context.Context, f store.PlanFilter, p store.Page) ([]*apigw.UsagePlan, string, error) {
	items, next, err := list(ctx, r.q, p, scanDoc[apigw.UsagePlan],
		`SELECT seq, doc FROM usage_plans
		WHERE ($1::text = '' OR id IN (SELECT plan_id FROM usage_plan_keys WHERE key_id = $1))
		AND seq > $2 ORDER BY seq LIMIT $3`,
		f.KeyID)
	if err != nil {
		return nil, "", fmt.Errorf("postgres: list usage plans: %w", err)
	}
	return items, next, nil
}

// HasUsagePlanKey implements store.Reader.
func (r reader) HasUsagePlanKey(ctx context.Context, planID, keyID string) (bool, error) {
	ok, err := r.q.exists(ctx, "SELECT 1 FROM usage_plan_keys WHERE plan_id = $1 AND key_id = $2", planID, keyID)
	if err != nil {
		return false, fmt.Errorf("postgres: usage plan %s has key %s: %w", planID, keyID, err)
	}
	return ok, nil
}

// ListUsagePlanKeys implements store.Reader.
func (r reader) ListUsagePlanKeys(ctx context.Context, planID string, p store.Page) ([]*apigw.APIKey, string, error) {
	items, next, err := list(ctx, r.q, p, scanKey,
		`SELECT upk.seq, k.doc, k.lookup_hash, k.sealed_value
		FROM usage_plan_keys upk JOIN api_keys k ON k.id = upk.key_id
		WHERE upk.plan_id = $1 AND `+p.SeqOrder("upk.seq", "$2", "$3"),
		planID)
	if err != nil {
		return nil, "", fmt.Errorf("postgres: list keys of usage plan %s: %w", planID, err)
	}
	return items, next, nil
}

// ListUsagePlanIDsForKey implements store.Reader. The ids come in the
// order the key was added to the plans.
func (r reader) ListUsagePlanIDsForKey(ctx context.Context, keyID string) ([]string, error) {
	ids, err := r.q.column(ctx, "SELECT plan_id FROM usage_plan_keys WHERE key_id = $1 ORDER BY seq", keyID)
	if err != nil {
		return nil, fmt.Errorf("postgres: list usage plans of key %s: %w", keyID, err)
	}
	return ids, nil
}

// utcDay is midnight UTC of t's day in UTC.
func utcDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// ListUsage implements store.Reader. Records come ordered by key id, then
// day.
func (r reader) ListUsage(ctx context.Context, planID, keyID string, from, to time.Time) ([]store.UsageRecord, error) {
	var out []store.UsageRecord
	err := r.q.each(ctx,
		`SELECT key_id, day, count FROM usage
		WHERE plan_id = $1 AND ($2::text = '' OR key_id = $2) AND day BETWEEN $3::date AND $4::date AND count <> 0
		ORDER BY key_id, day`,
		[]any{planID, keyID, utcDay(from), utcDay(to)},
		func(rows pgx.Rows) error {
			u := store.UsageRecord{PlanID: planID}
			if err := rows.Scan(&u.KeyID, &u.Day, &u.Count); err != nil {
				return err
			}
			u.Day = utcDay(u.Day)
			out = append(out, u)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("postgres: list usage of plan %s: %w", planID, err)
	}
	return out, nil
}

// ListQuotaAdjustments implements store.Reader. Adjustments come ordered
// by key id, then period start; PeriodStart is in UTC.
func (r reader) ListQuotaAdjustments(ctx context.Context, planID, keyID string) ([]store.QuotaAdjustment, error) {
	var out []store.QuotaAdjustment
	err := r.q.each(ctx,
		`SELECT key_id, period_start, delta FROM quota_adjustments
		WHERE plan_id = $1 AND ($2::text = '' OR key_id = $2)
		ORDER BY key_id, period_start`,
		[]any{planID, keyID},
		func(rows pgx.Rows) error {
			a := store.QuotaAdjustment{PlanID: planID}
			var start int64
			if err := rows.Scan(&a.KeyID, &start, &a.Delta); err != nil {
				return err
			}
			a.PeriodStart = time.Unix(0, start).UTC()
			out = append(out, a)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("postgres: list quota adjustments of plan %s: %w", planID, err)
	}
	return out, nil
}

// GetSetting implements store.Reader.
func (r reader) GetSetting(ctx context.Context, name string) (string, error) {
	var v string
	err := r.q.row(ctx, "SELECT value FROM settings WHERE name = $1", []any{name}, &v)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return "", fmt.Errorf("postgres: setting %q: %w", name, store.ErrNotFound)
	case err != nil:
		return "", fmt.Errorf("postgres: setting %q: %w", name, err)
	}
	return v, nil
}

// GetDomainName implements store.Reader.
func (r reader) GetDomainName(ctx context.Context, name string) (*apigw.DomainName, error) {
	d, err := getDoc[apigw.DomainName](ctx, r.q, "SELECT doc FROM domain_names WHERE name = $1", name)
	if err != nil {
		return nil, fmt.Errorf("postgres: get domain name %s: %w", name, err)
	}
	return d, nil
}

// ListDomainNames implements store.Reader.
func (r reader) ListDomainNames(ctx context.Context, p store.Page) ([]*apigw.DomainName, string, error) {
	items, next, err := list(ctx, r.q, p, scanDoc[apigw.DomainName],
		"SELECT seq, doc FROM domain_names WHERE seq > $1 ORDER BY seq LIMIT $2")
	if err != nil {
		return nil, "", fmt.Errorf("postgres: list domain names: %w", err)
	}
	return items, next, nil
}
