package awsapi

import (
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/control"
)

func TestUsagePlanWire(t *testing.T) {
	p := &apigw.UsagePlan{
		ID: "nnpegc", Name: "gold", Description: "d", ProductCode: "pc",
		APIStages: []apigw.APIStage{
			{APIID: "rohkz08x02", Stage: "dev", Throttle: map[string]apigw.Throttle{"/pets/GET": {BurstLimit: 10, RateLimit: 5}, "//GET": {BurstLimit: 1, RateLimit: 0.5}}},
			{APIID: "rohkz08x02", Stage: "prod"},
		},
		Throttle: &apigw.Throttle{BurstLimit: 200, RateLimit: 100},
		Quota:    &apigw.Quota{Limit: 500, Period: apigw.PeriodDay},
		Tags:     map[string]string{"tag_key": "tag_value"},
	}
	goldenJSON(t, "UsagePlan", toUsagePlanJSON(p))
	bare := &apigw.UsagePlan{ID: "nnpegc", Name: "bare"}
	goldenJSON(t, "UsagePlanCreateBare", toUsagePlanJSON(bare))
	goldenJSON(t, "UsagePlanGet", withPlanTags(bare))

	k := &control.RevealedKey{APIKey: wireKey(), Value: "Abcdefghij0123456789Abcdefghij012345WXYZ"}
	goldenJSON(t, "UsagePlanKey", toUsagePlanKeyJSON(k))
	goldenJSON(t, "UsagePlanKeyList", newList([]usagePlanKeyJSON{toUsagePlanKeyJSON(k)}, ""))
}
