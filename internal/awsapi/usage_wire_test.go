package awsapi

import (
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/control"
)

func TestUsageWire(t *testing.T) {
	rep := &control.UsageReport{
		PlanID:    "nnpegc",
		StartDate: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		EndDate:   time.Date(2025, 1, 3, 0, 0, 0, 0, time.UTC),
		Keys:      map[string][]control.DayUsage{"4vq3yryqm5": {{Used: 0, Remaining: 500}, {Used: 120, Remaining: 380}, {Used: 500, Remaining: 0}}},
		Position:  "next-token",
	}
	goldenJSON(t, "Usage", toUsageJSON(rep))
	goldenJSON(t, "UsageEmpty", toUsageJSON(&control.UsageReport{PlanID: "nnpegc", StartDate: rep.StartDate, EndDate: rep.StartDate}))
}
