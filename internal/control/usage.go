package control

import (
	"context"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/patch"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// UsageDateFormat is how GetUsage dates are written (UTC days).
const UsageDateFormat = "2006-01-02"

// maxUsageDays caps a GetUsage range so that a request cannot ask for an
// unbounded report.
const maxUsageDays = 366

// DayUsage is one UTC day of a key's usage in a plan: the requests it made
// that day, and the quota left in that day's period at the end of the day
// (0 when the plan has no quota).
type DayUsage struct {
	Used, Remaining int64
}

// UsageReport is a plan's usage per key and day.
type UsageReport struct {
	PlanID             string
	StartDate, EndDate time.Time // UTC midnights, inclusive
	// Keys maps a key id to one DayUsage per day from StartDate to EndDate.
	// Only keys currently in the plan appear; a key without usage has
	// all-zero Used.
	Keys map[string][]DayUsage
	// Position is the next page's token ("" on the last page).
	Position string
}

// GetUsageInput is GetUsage's request. Dates are YYYY-MM-DD (UTC).
type GetUsageInput struct {
	StartDate, EndDate string
	KeyID              string
	Page               store.Page
}

// utcDay truncates t to midnight UTC.
func utcDay(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

func parseUsageDate(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, BadRequestf("The %s parameter is required (a date in the form YYYY-MM-DD)", name)
	}
	t, err := time.Parse(UsageDateFormat, v)
	if err != nil {
		return time.Time{}, &Error{Kind: KindBadRequest, Message: "Invalid " + name + " \"" + v + "\": must be a date in the form YYYY-MM-DD", Err: err}
	}
	return t, nil
}

// checkUsageRange validates an inclusive day range.
func checkUsageRange(from, to time.Time) error {
	if to.Before(from) {
		return BadRequestf("The endDate %s must not be before the startDate %s", to.Format(UsageDateFormat), from.Format(UsageDateFormat))
	}
	if days := int(to.Sub(from).Hours()/24) + 1; days > maxUsageDays {
		return BadRequestf("The range from startDate %s to endDate %s spans %d days; at most %d are allowed", from.Format(UsageDateFormat), to.Format(UsageDateFormat), days, maxUsageDays)
	}
	return nil
}

// GetUsage reports a plan's usage between two dates for one key (KeyID) or
// a page of the plan's keys.
func (s *Service) GetUsage(ctx context.Context, planID string, in GetUsageInput) (*UsageReport, error) {
	from, err := parseUsageDate("startDate", in.StartDate)
	if err != nil {
		return nil, err
	}
	to, err := parseUsageDate("endDate", in.EndDate)
	if err != nil {
		return nil, err
	}
	if err := checkUsageRange(from, to); err != nil {
		return nil, err
	}
	if err := s.flushUsage(ctx); err != nil {
		return nil, err
	}
	var rep *UsageReport
	err = s.view(ctx, func(r store.Reader) error {
		plan, err := r.GetUsagePlan(ctx, planID)
		if err != nil {
			return notFound(err, msgPlanNotFound)
		}
		var ids []string
		next := ""
		if in.KeyID != "" {
			has, err := r.HasUsagePlanKey(ctx, planID, in.KeyID)
			if err != nil {
				return err
			}
			if has {
				ids = []string{in.KeyID}
			} else if k, err := s.keyByValue(ctx, r, in.KeyID); err != nil {
				return err
			} else if k != nil {
				// AWS answers an unknown keyId with an empty report; a
				// key's value instead of its id gets the NotFound that
				// says so.
				return s.unknownKey(ctx, r, in.KeyID, nil)
			}
		} else {
			keys, n, err := r.ListUsagePlanKeys(ctx, planID, in.Page)
			if err != nil {
				return pageError(err, in.Page)
			}
			for _, k := range keys {
				ids = append(ids, k.ID)
			}
			next = n
		}
		rep, err = usageReport(ctx, r, plan, in.KeyID, ids, from, to)
		if rep != nil {
			rep.Position = next
		}
		return err
	})
	return rep, err
}

// Usage reports the usage of every key currently in a plan (or only keyID
// when it is not "" and in the plan) for the UTC days from from to to,
// inclusive. The data plane shares this computation.
func (s *Service) Usage(ctx context.Context, planID, keyID string, from, to time.Time) (*UsageReport, error) {
	from, to = utcDay(from), utcDay(to)
	if err := checkUsageRange(from, to); err != nil {
		return nil, err
	}
	if err := s.flushUsage(ctx); err != nil {
		return nil, err
	}
	var rep *UsageReport
	err := s.view(ctx, func(r store.Reader) error {
		plan, err := r.GetUsagePlan(ctx, planID)
		if err != nil {
			return notFound(err, msgPlanNotFound)
		}
		ids, err := planKeyIDs(ctx, r, planID, keyID)
		if err != nil {
			return err
		}
		rep, err = usageReport(ctx, r, plan, keyID, ids, from, to)
		return err
	})
	return rep, err
}

// planKeyIDs lists the ids of all keys in a plan, or just keyID when it is
// set and in the plan.
func planKeyIDs(ctx context.Context, r store.Reader, planID, keyID string) ([]string, error) {
	if keyID != "" {
		in, err := r.HasUsagePlanKey(ctx, planID, keyID)
		if err != nil || !in {
			return nil, err
		}
		return []string{keyID}, nil
	}
	var ids []string
	pg := store.Page{Limit: 500}
	for {
		keys, next, err := r.ListUsagePlanKeys(ctx, planID, pg)
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			ids = append(ids, k.ID)
		}
		if next == "" {
			return ids, nil
		}
		pg.Position = next
	}
}

// usageReport computes the report of the given keys. keyFilter narrows
// the store reads when the report is about one key. remaining for a day =
// quota limit + the adjustment of that day's period − the requests made in
// the period up to and including that day (never below 0).
func usageReport(ctx context.Context, r store.Reader, plan *apigw.UsagePlan, keyFilter string, ids []string, from, to time.Time) (*UsageReport, error) {
	rep := &UsageReport{PlanID: plan.ID, StartDate: from, EndDate: to, Keys: make(map[string][]DayUsage, len(ids))}
	if len(ids) == 0 {
		return rep, nil
	}
	q := plan.Quota
	readFrom := from
	if q != nil {
		readFrom = q.PeriodStart(from)
	}
	recs, err := r.ListUsage(ctx, plan.ID, keyFilter, readFrom, to)
	if err != nil {
		return nil, err
	}
	counts := map[string]map[int64]int64{} // key -> day (unix) -> count
	for _, u := range recs {
		if counts[u.KeyID] == nil {
			counts[u.KeyID] = map[int64]int64{}
		}
		counts[u.KeyID][utcDay(u.Day).Unix()] += u.Count
	}
	adjust := map[string]map[int64]int64{} // key -> period start (unix) -> delta
	if q != nil {
		adjs, err := r.ListQuotaAdjustments(ctx, plan.ID, keyFilter)
		if err != nil {
			return nil, err
		}
		for _, a := range adjs {
			if adjust[a.KeyID] == nil {
				adjust[a.KeyID] = map[int64]int64{}
			}
			adjust[a.KeyID][a.PeriodStart.Unix()] = a.Delta
		}
	}
	days := int(to.Sub(from).Hours()/24) + 1
	for _, id := range ids {
		series := make([]DayUsage, days)
		var (
			period     time.Time
			periodUsed int64
		)
		if q != nil {
			period = q.PeriodStart(from)
			for d := period; d.Before(from); d = d.AddDate(0, 0, 1) {
				periodUsed += counts[id][d.Unix()]
			}
		}
		for i := range series {
			d := from.AddDate(0, 0, i)
			used := counts[id][d.Unix()]
			series[i].Used = used
			if q == nil {
				continue
			}
			if ps := q.PeriodStart(d); !ps.Equal(period) {
				period, periodUsed = ps, 0
			}
			periodUsed += used
			series[i].Remaining = max(0, int64(q.Limit)+adjust[id][period.Unix()]-periodUsed)
		}
		rep.Keys[id] = series
	}
	return rep, nil
}

// usagePatch is UpdateUsage's one path, the quota remaining in the
// current period; AWS lists it for any other.
var usagePatch = patch.NewTable(patch.Options{UnknownPath: patch.RefuseAllPaths},
	patch.Rule[*int64]{Path: "/remaining", Ops: replaceOp, Set: func(remaining *int64, op patch.Op, _ patch.Params) error {
		n, err := patch.ParseInt(op.Path, op.Value)
		if err != nil {
			return err
		}
		if n < 0 {
			return BadRequestf("Invalid value %q for /remaining: must not be negative", op.Value)
		}
		*remaining = int64(n)
		return nil
	}},
)

// UpdateUsage sets the quota remaining for a key in the current period
// ("replace /remaining"), as a quota adjustment of that period, and returns
// the key's usage for the current day.
func (s *Service) UpdateUsage(ctx context.Context, planID, keyID string, ops []patch.Op) (*UsageReport, error) {
	remaining := int64(-1)
	if err := usagePatch.ApplyAll(&remaining, ops); err != nil {
		return nil, FromPatch(err)
	}
	if err := s.flushUsage(ctx); err != nil {
		return nil, err
	}
	now := s.timestamp()
	today := utcDay(now)
	var rep *UsageReport
	var adj *store.QuotaAdjustment
	err := s.update(ctx, func(tx store.Tx) error {
		plan, err := tx.GetUsagePlan(ctx, planID)
		if err != nil {
			return notFound(err, msgPlanNotFound)
		}
		if _, err := s.planKey(ctx, tx, planID, keyID); err != nil {
			return err
		}
		if remaining >= 0 {
			q := plan.Quota
			if q == nil {
				return BadRequestf("Usage plan %s has no quota: there is no remaining quota to set", planID)
			}
			start := q.PeriodStart(now)
			recs, err := tx.ListUsage(ctx, planID, keyID, start, today)
			if err != nil {
				return err
			}
			var used int64
			for _, u := range recs {
				used += u.Count
			}
			adj = &store.QuotaAdjustment{
				PlanID: planID, KeyID: keyID, PeriodStart: start,
				Delta: remaining - int64(q.Limit) + used,
			}
			if err := tx.SetQuotaAdjustment(ctx, *adj); err != nil {
				return err
			}
		}
		rep, err = usageReport(ctx, tx, plan, keyID, []string{keyID}, today, today)
		return err
	})
	if err != nil {
		return nil, err
	}
	if adj != nil && s.usage != nil {
		if err := s.usage.QuotaAdjusted(ctx, *adj); err != nil {
			return nil, &Error{Kind: KindServiceUnavailable, Message: "The new remaining quota was stored but not applied to the live counters; try again", Err: err}
		}
	}
	return rep, nil
}
