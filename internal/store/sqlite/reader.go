package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// dayFormat is how usage days are stored.
const dayFormat = "2006-01-02"

// reader implements store.Reader on a transaction. Every method returns
// freshly decoded structs, so callers may mutate them.
type reader struct {
	q *sqlTx
}

// scanFunc scans one row of a list query into its seq and item.
type scanFunc[T any] func(*sql.Rows) (int64, *T, error)

// scanDoc scans a (seq, doc) row.
func scanDoc[T any](rows *sql.Rows) (int64, *T, error) {
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
func scanKey(rows *sql.Rows) (int64, *apigw.APIKey, error) {
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

// list runs a page query. query must end with "seq > ? ORDER BY seq LIMIT ?"
// (for its seq column), or p.SeqOrder("seq", "?", "?") for a list that
// takes Page.NewestFirst; list appends the position's bound and the limit
// to args, and returns the page and the next position.
func list[T any](ctx context.Context, q *sqlTx, p store.Page, scan scanFunc[T], query string, args ...any) ([]*T, string, error) {
	after, err := store.DecodePosition(p.Position)
	if err != nil {
		return nil, "", err
	}
	limit := p.PageLimit()
	rows, err := q.QueryContext(ctx, query, append(args, p.Bound(after), limit+1)...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var (
		items   []*T
		lastSeq int64
		more    bool
	)
	for rows.Next() {
		if len(items) == limit {
			more = true
			break
		}
		seq, v, err := scan(rows)
		if err != nil {
			return nil, "", err
		}
		items, lastSeq = append(items, v), seq
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	if !more {
		return items, "", nil
	}
	return items, store.EncodePosition(lastSeq), nil
}

// getDoc fetches the doc column of the single row query selects.
func getDoc[T any](ctx context.Context, q *sqlTx, query string, args ...any) (*T, error) {
	var doc []byte
	if err := q.QueryRowContext(ctx, query, args...).Scan(&doc); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, store.ErrNotFound
		}
		return nil, err
	}
	return decode[T](doc)
}

// exists reports whether query returns a row.
func exists(ctx context.Context, q *sqlTx, query string, args ...any) (bool, error) {
	var one int
	err := q.QueryRowContext(ctx, query, args...).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}

// GetAPI implements store.Reader.
func (r reader) GetAPI(ctx context.Context, id string) (*apigw.RestAPI, error) {
	a, err := getDoc[apigw.RestAPI](ctx, r.q, "SELECT doc FROM apis WHERE id = ?", id)
	if err != nil {
		return nil, fmt.Errorf("sqlite: get api %s: %w", id, err)
	}
	return a, nil
}

// ListAPIs implements store.Reader.
func (r reader) ListAPIs(ctx context.Context, p store.Page) ([]*apigw.RestAPI, string, error) {
	items, next, err := list(ctx, r.q, p, scanDoc[apigw.RestAPI],
		"SELECT seq, doc FROM apis WHERE seq > ? ORDER BY seq LIMIT ?")
	if err != nil {
		return nil, "", fmt.Errorf("sqlite: list apis: %w", err)
	}
	return items, next, nil
}

// GetDeployment implements store.Reader.
func (r reader) GetDeployment(ctx context.Context, apiID, id string) (*apigw.Deployment, error) {
	d, err := getDoc[apigw.Deployment](ctx, r.q, "SELECT doc FROM deployments WHERE api_id = ? AND id = ?", apiID, id)
	if err != nil {
		return nil, fmt.Errorf("sqlite: get deployment %s/%s: %w", apiID, id, err)
	}
	return d, nil
}

// ListDeployments implements store.Reader.
func (r reader) ListDeployments(ctx context.Context, apiID string, p store.Page) ([]*apigw.Deployment, string, error) {
	items, next, err := list(ctx, r.q, p, scanDoc[apigw.Deployment],
		"SELECT seq, doc FROM deployments WHERE api_id = ? AND seq > ? ORDER BY seq LIMIT ?", apiID)
	if err != nil {
		return nil, "", fmt.Errorf("sqlite: list deployments of %s: %w", apiID, err)
	}
	return items, next, nil
}

// GetStage implements store.Reader.
func (r reader) GetStage(ctx context.Context, apiID, name string) (*apigw.Stage, error) {
	s, err := getDoc[apigw.Stage](ctx, r.q, "SELECT doc FROM stages WHERE api_id = ? AND name = ?", apiID, name)
	if err != nil {
		return nil, fmt.Errorf("sqlite: get stage %s/%s: %w", apiID, name, err)
	}
	return s, nil
}

// ListStages implements store.Reader.
func (r reader) ListStages(ctx context.Context, apiID string) ([]*apigw.Stage, error) {
	rows, err := r.q.QueryContext(ctx,
		"SELECT seq, doc FROM stages WHERE ? = '' OR api_id = ? ORDER BY seq", apiID, apiID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list stages of %q: %w", apiID, err)
	}
	defer rows.Close()
	var stages []*apigw.Stage
	for rows.Next() {
		_, s, err := scanDoc[apigw.Stage](rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list stages of %q: %w", apiID, err)
		}
		stages = append(stages, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list stages of %q: %w", apiID, err)
	}
	return stages, nil
}

// getKey fetches the one API key where cond holds.
func (r reader) getKey(ctx context.Context, cond string, arg any) (*apigw.APIKey, error) {
	rows, err := r.q.QueryContext(ctx,
		"SELECT seq, doc, lookup_hash, sealed_value FROM api_keys WHERE "+cond, arg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, err
		}
		return nil, store.ErrNotFound
	}
	_, k, err := scanKey(rows)
	return k, err
}

// GetAPIKey implements store.Reader.
func (r reader) GetAPIKey(ctx context.Context, id string) (*apigw.APIKey, error) {
	k, err := r.getKey(ctx, "id = ?", id)
	if err != nil {
		return nil, fmt.Errorf("sqlite: get api key %s: %w", id, err)
	}
	return k, nil
}

// GetAPIKeyByHash implements store.Reader.
func (r reader) GetAPIKeyByHash(ctx context.Context, lookupHash []byte) (*apigw.APIKey, error) {
	if len(lookupHash) == 0 {
		return nil, fmt.Errorf("sqlite: get api key by empty hash: %w", store.ErrNotFound)
	}
	k, err := r.getKey(ctx, "lookup_hash = ?", lookupHash)
	if err != nil {
		return nil, fmt.Errorf("sqlite: get api key by hash: %w", err)
	}
	return k, nil
}

// ListAPIKeys implements store.Reader. The name prefix is compared with
// substr, not LIKE, because LIKE ignores ASCII case.
func (r reader) ListAPIKeys(ctx context.Context, f store.KeyFilter, p store.Page) ([]*apigw.APIKey, string, error) {
	items, next, err := list(ctx, r.q, p, scanKey,
		`SELECT seq, doc, lookup_hash, sealed_value FROM api_keys
		WHERE substr(name, 1, length(?)) = ? AND (? = '' OR customer_id = ?)
		AND `+p.SeqOrder("seq", "?", "?"),
		f.NamePrefix, f.NamePrefix, f.CustomerID, f.CustomerID)
	if err != nil {
		return nil, "", fmt.Errorf("sqlite: list api keys: %w", err)
	}
	return items, next, nil
}

// GetUsagePlan implements store.Reader.
func (r reader) GetUsagePlan(ctx context.Context, id string) (*apigw.UsagePlan, error) {
	p, err := getDoc[apigw.UsagePlan](ctx, r.q, "SELECT doc FROM usage_plans WHERE id = ?", id)
	if err != nil {
		return nil, fmt.Errorf("sqlite: get usage plan %s: %w", id, err)
	}
	return p, nil
}

// ListUsagePlans implements store.Reader.
func (r reader) ListUsagePlans(ctx context.Context, f store.PlanFilter, p store.Page) ([]*apigw.UsagePlan, string, error) {
	items, next, err := list(ctx, r.q, p, scanDoc[apigw.UsagePlan],
		`SELECT seq, doc FROM usage_plans
		WHERE (? = '' OR id IN (SELECT plan_id FROM usage_plan_keys WHERE key_id = ?))
		AND seq > ? ORDER BY seq LIMIT ?`,
		f.KeyID, f.KeyID)
	if err != nil {
		return nil, "", fmt.Errorf("sqlite: list usage plans: %w", err)
	}
	return items, next, nil
}

// HasUsagePlanKey implements store.Reader.
func (r reader) HasUsagePlanKey(ctx context.Context, planID, keyID string) (bool, error) {
	ok, err := exists(ctx, r.q, "SELECT 1 FROM usage_plan_keys WHERE plan_id = ? AND key_id = ?", planID, keyID)
	if err != nil {
		return false, fmt.Errorf("sqlite: usage plan %s has key %s: %w", planID, keyID, err)
	}
	return ok, nil
}

// ListUsagePlanKeys implements store.Reader.
func (r reader) ListUsagePlanKeys(ctx context.Context, planID string, p store.Page) ([]*apigw.APIKey, string, error) {
	items, next, err := list(ctx, r.q, p, scanKey,
		`SELECT upk.seq, k.doc, k.lookup_hash, k.sealed_value
		FROM usage_plan_keys upk JOIN api_keys k ON k.id = upk.key_id
		WHERE upk.plan_id = ? AND `+p.SeqOrder("upk.seq", "?", "?"),
		planID)
	if err != nil {
		return nil, "", fmt.Errorf("sqlite: list keys of usage plan %s: %w", planID, err)
	}
	return items, next, nil
}

// ListUsagePlanIDsForKey implements store.Reader. The ids come in the
// order the key was added to the plans.
func (r reader) ListUsagePlanIDsForKey(ctx context.Context, keyID string) ([]string, error) {
	ids, err := r.column(ctx, "SELECT plan_id FROM usage_plan_keys WHERE key_id = ? ORDER BY seq", keyID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list usage plans of key %s: %w", keyID, err)
	}
	return ids, nil
}

// column returns the single text column of query's rows.
func (r reader) column(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := r.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// ListUsage implements store.Reader. Records come ordered by key id, then
// day. They add the usage table's counts and the journal's (journal.go).
func (r reader) ListUsage(ctx context.Context, planID, keyID string, from, to time.Time) ([]store.UsageRecord, error) {
	out, err := r.listUsage(ctx, planID, keyID, from, to)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list usage of plan %s: %w", planID, err)
	}
	return out, nil
}

func (r reader) listUsage(ctx context.Context, planID, keyID string, from, to time.Time) ([]store.UsageRecord, error) {
	type kd struct {
		key string
		day int64
	}
	sum := map[kd]int64{}
	fromDay, toDay := dayNumber(from), dayNumber(to)
	rows, err := r.q.QueryContext(ctx,
		`SELECT key_id, day, count FROM usage
		WHERE plan_id = ? AND (? = '' OR key_id = ?) AND day >= ? AND day <= ? AND count != 0`,
		planID, keyID, keyID, from.UTC().Format(dayFormat), to.UTC().Format(dayFormat))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var key, day string
		var n int64
		if err := rows.Scan(&key, &day, &n); err != nil {
			return nil, err
		}
		d, err := time.Parse(dayFormat, day)
		if err != nil {
			return nil, fmt.Errorf("stored day %q: %w", day, err)
		}
		sum[kd{key, dayNumber(d)}] += n
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	// A deleted plan's journal records are dropped when the journal folds.
	if live, err := exists(ctx, r.q, "SELECT 1 FROM usage_plans WHERE id = ?", planID); err != nil || !live {
		return nil, err
	}
	var part *int64
	if keyID != "" {
		p := int64(partOf(keyID))
		part = &p
	}
	err = r.eachJournal(ctx, part, func(_ int64, data []byte) error {
		return decodeUsage(data, planID, keyID, func(u store.UsageRecord) {
			if d := dayNumber(u.Day); d >= fromDay && d <= toDay {
				sum[kd{u.KeyID, d}] += u.Count
			}
		})
	})
	if err != nil {
		return nil, err
	}
	var out []store.UsageRecord
	for k, n := range sum {
		if n != 0 {
			out = append(out, store.UsageRecord{PlanID: planID, KeyID: k.key, Day: time.Unix(k.day*86400, 0).UTC(), Count: n})
		}
	}
	slices.SortFunc(out, func(a, b store.UsageRecord) int {
		return cmp.Or(strings.Compare(a.KeyID, b.KeyID), a.Day.Compare(b.Day))
	})
	return out, nil
}

// ListQuotaAdjustments implements store.Reader. Adjustments come ordered
// by key id, then period start; PeriodStart is in UTC.
func (r reader) ListQuotaAdjustments(ctx context.Context, planID, keyID string) ([]store.QuotaAdjustment, error) {
	rows, err := r.q.QueryContext(ctx,
		`SELECT key_id, period_start, delta FROM quota_adjustments
		WHERE plan_id = ? AND (? = '' OR key_id = ?)
		ORDER BY key_id, period_start`,
		planID, keyID, keyID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list quota adjustments of plan %s: %w", planID, err)
	}
	defer rows.Close()
	var out []store.QuotaAdjustment
	for rows.Next() {
		a := store.QuotaAdjustment{PlanID: planID}
		var start int64
		if err := rows.Scan(&a.KeyID, &start, &a.Delta); err != nil {
			return nil, fmt.Errorf("sqlite: list quota adjustments of plan %s: %w", planID, err)
		}
		a.PeriodStart = time.Unix(0, start).UTC()
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list quota adjustments of plan %s: %w", planID, err)
	}
	return out, nil
}

// GetSetting implements store.Reader.
func (r reader) GetSetting(ctx context.Context, name string) (string, error) {
	var v string
	err := r.q.QueryRowContext(ctx, "SELECT value FROM settings WHERE name = ?", name).Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", fmt.Errorf("sqlite: setting %q: %w", name, store.ErrNotFound)
	case err != nil:
		return "", fmt.Errorf("sqlite: setting %q: %w", name, err)
	}
	return v, nil
}

// GetDomainName implements store.Reader.
func (r reader) GetDomainName(ctx context.Context, name string) (*apigw.DomainName, error) {
	d, err := getDoc[apigw.DomainName](ctx, r.q, "SELECT doc FROM domain_names WHERE name = ?", name)
	if err != nil {
		return nil, fmt.Errorf("sqlite: get domain name %s: %w", name, err)
	}
	return d, nil
}

// ListDomainNames implements store.Reader.
func (r reader) ListDomainNames(ctx context.Context, p store.Page) ([]*apigw.DomainName, string, error) {
	items, next, err := list(ctx, r.q, p, scanDoc[apigw.DomainName],
		"SELECT seq, doc FROM domain_names WHERE seq > ? ORDER BY seq LIMIT ?")
	if err != nil {
		return nil, "", fmt.Errorf("sqlite: list domain names: %w", err)
	}
	return items, next, nil
}
