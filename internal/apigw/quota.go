package apigw

import (
	"fmt"
	"time"
)

// Validate checks a quota as AWS and Terraform do: a positive limit, a known
// period, and an offset within the period (DAY: 0, WEEK: 0–6, MONTH: 0–27).
func (q Quota) Validate() error {
	if q.Limit < 0 {
		return fmt.Errorf("quota limit %d: must not be negative", q.Limit)
	}
	maxOffset := 0
	switch q.Period {
	case PeriodDay:
	case PeriodWeek:
		maxOffset = 6
	case PeriodMonth:
		maxOffset = 27
	default:
		return fmt.Errorf("quota period %q: must be one of DAY, WEEK, MONTH", q.Period)
	}
	if q.Offset < 0 || q.Offset > maxOffset {
		return fmt.Errorf("quota offset %d: must be between 0 and %d for period %s", q.Offset, maxOffset, q.Period)
	}
	return nil
}

// PeriodStart returns the start (UTC) of the quota period that contains t.
// Periods are calendar periods in UTC: DAY starts at midnight; WEEK starts
// on Sunday plus Offset days; MONTH starts on day 1 plus Offset days.
func (q Quota) PeriodStart(t time.Time) time.Time {
	t = t.UTC()
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	switch q.Period {
	case PeriodWeek:
		back := (int(day.Weekday()) - q.Offset + 7) % 7
		return day.AddDate(0, 0, -back)
	case PeriodMonth:
		start := time.Date(t.Year(), t.Month(), 1+q.Offset, 0, 0, 0, 0, time.UTC)
		if day.Before(start) {
			start = time.Date(t.Year(), t.Month()-1, 1+q.Offset, 0, 0, 0, 0, time.UTC)
		}
		return start
	}
	return day
}

// PeriodEnd returns the start of the period after the one that contains t.
func (q Quota) PeriodEnd(t time.Time) time.Time {
	start := q.PeriodStart(t)
	switch q.Period {
	case PeriodWeek:
		return start.AddDate(0, 0, 7)
	case PeriodMonth:
		return start.AddDate(0, 1, 0)
	}
	return start.AddDate(0, 0, 1)
}
