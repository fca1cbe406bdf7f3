package apigw

import (
	"testing"
	"time"
)

func TestQuotaPeriod(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name       string
		q          Quota
		now        string
		start, end string
	}{
		{"day", Quota{Period: PeriodDay}, "2026-11-22T23:59:59Z", "2026-11-22T00:00:00Z", "2026-11-23T00:00:00Z"},
		{"day in other zone is UTC", Quota{Period: PeriodDay}, "2026-11-22T01:00:00+03:00", "2026-11-21T00:00:00Z", "2026-11-22T00:00:00Z"},
		{"week from sunday", Quota{Period: PeriodWeek}, "2026-11-25T10:00:00Z", "2026-11-22T00:00:00Z", "2026-11-29T00:00:00Z"},
		{"week on sunday", Quota{Period: PeriodWeek}, "2026-11-22T00:00:00Z", "2026-11-22T00:00:00Z", "2026-11-29T00:00:00Z"},
		{"week from monday", Quota{Period: PeriodWeek, Offset: 1}, "2026-11-22T10:00:00Z", "2026-11-16T00:00:00Z", "2026-11-23T00:00:00Z"},
		{"month", Quota{Period: PeriodMonth}, "2026-12-31T23:00:00Z", "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z"},
		{"month offset before start", Quota{Period: PeriodMonth, Offset: 9}, "2026-11-05T00:00:00Z", "2026-10-10T00:00:00Z", "2026-11-10T00:00:00Z"},
		{"month offset after start", Quota{Period: PeriodMonth, Offset: 9}, "2026-11-10T00:00:00Z", "2026-11-10T00:00:00Z", "2026-12-10T00:00:00Z"},
		{"month offset across year", Quota{Period: PeriodMonth, Offset: 27}, "2027-01-03T00:00:00Z", "2026-12-28T00:00:00Z", "2027-01-28T00:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := at(tt.now)
			if got := tt.q.PeriodStart(now); !got.Equal(at(tt.start)) {
				t.Errorf("PeriodStart(%s) = %s, want %s", tt.now, got, tt.start)
			}
			if got := tt.q.PeriodEnd(now); !got.Equal(at(tt.end)) {
				t.Errorf("PeriodEnd(%s) = %s, want %s", tt.now, got, tt.end)
			}
		})
	}
}

func TestQuotaValidate(t *testing.T) {
	tests := []struct {
		q  Quota
		ok bool
	}{
		{Quota{Limit: 10, Period: PeriodDay}, true},
		{Quota{Limit: 10, Period: PeriodDay, Offset: 1}, false},
		{Quota{Limit: 10, Period: PeriodWeek, Offset: 6}, true},
		{Quota{Limit: 10, Period: PeriodWeek, Offset: 7}, false},
		{Quota{Limit: 10, Period: PeriodMonth, Offset: 27}, true},
		{Quota{Limit: 10, Period: PeriodMonth, Offset: 28}, false},
		{Quota{Limit: 10, Period: "YEAR"}, false},
		{Quota{Limit: -1, Period: PeriodDay}, false},
	}
	for _, tt := range tests {
		if err := tt.q.Validate(); (err == nil) != tt.ok {
			t.Errorf("Validate(%+v) = %v, want ok=%v", tt.q, err, tt.ok)
		}
	}
}
