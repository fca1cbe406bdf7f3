package awsapi_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/gatehouse-dev/gatehouse/internal/apitest"
	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/google/go-cmp/cmp"
)

func TestUsage(t *testing.T) {
	// A fixed clock (SigV4 needs it near the real time): "today" is day 0.
	now := time.Now().UTC()
	day := func(n int) string { return now.AddDate(0, 0, n).Format("2006-01-02") }
	env := apitest.Start(t, apitest.Options{Now: func() time.Time { return now }})
	c, ctx := env.Client, context.Background()
	plan, err := c.CreateUsagePlan(ctx, &apigateway.CreateUsagePlanInput{Name: aws.String("p"),
		Quota: &types.QuotaSettings{Limit: 500, Period: types.QuotaPeriodTypeDay}})
	if err != nil {
		t.Fatal(err)
	}
	pid := aws.ToString(plan.Id)
	var keys []string
	for _, n := range []string{"a", "b", "c"} {
		k := mustCreateKey(t, c, &apigateway.CreateApiKeyInput{Name: aws.String(n)})
		if _, err := c.CreateUsagePlanKey(ctx, &apigateway.CreateUsagePlanKeyInput{UsagePlanId: plan.Id, KeyId: k.Id, KeyType: aws.String("API_KEY")}); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, aws.ToString(k.Id))
	}
	d := func(n int) time.Time { v, _ := time.Parse("2006-01-02", day(n)); return v }
	err = env.Server.Store.Update(ctx, func(tx store.Tx) error {
		return tx.AddUsage(ctx, []store.UsageRecord{
			{PlanID: pid, KeyID: keys[0], Day: d(-2), Count: 120},
			{PlanID: pid, KeyID: keys[0], Day: d(-1), Count: 500},
			{PlanID: pid, KeyID: keys[1], Day: d(0), Count: 9},
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.GetUsage(ctx, &apigateway.GetUsageInput{UsagePlanId: plan.Id, StartDate: aws.String(day(-3)), EndDate: aws.String(day(-1)), KeyId: aws.String(keys[0])})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string][][]int64{keys[0]: {{0, 500}, {120, 380}, {500, 0}}}, out.Items); diff != "" {
		t.Errorf("usage of one key (-want +got):\n%s", diff)
	}
	if aws.ToString(out.UsagePlanId) != pid || aws.ToString(out.StartDate) != day(-3) || aws.ToString(out.EndDate) != day(-1) {
		t.Errorf("usage header: %+v", out)
	}

	// All keys, two pages.
	p1, err := c.GetUsage(ctx, &apigateway.GetUsageInput{UsagePlanId: plan.Id, StartDate: aws.String(day(0)), EndDate: aws.String(day(0)), Limit: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	p2, err := c.GetUsage(ctx, &apigateway.GetUsageInput{UsagePlanId: plan.Id, StartDate: aws.String(day(0)), EndDate: aws.String(day(0)), Limit: aws.Int32(2), Position: p1.Position})
	if err != nil {
		t.Fatal(err)
	}
	all := map[string][][]int64{}
	for k, v := range p1.Items {
		all[k] = v
	}
	for k, v := range p2.Items {
		all[k] = v
	}
	want := map[string][][]int64{keys[0]: {{0, 500}}, keys[1]: {{9, 491}}, keys[2]: {{0, 500}}}
	if diff := cmp.Diff(want, all); diff != "" || len(p1.Items) != 2 || p1.Position == nil || p2.Position != nil {
		t.Errorf("paged usage (-want +got):\n%s (page sizes %d, %d)", diff, len(p1.Items), len(p2.Items))
	}

	// UpdateUsage grants b 1000 remaining today.
	upd, err := c.UpdateUsage(ctx, &apigateway.UpdateUsageInput{UsagePlanId: plan.Id, KeyId: aws.String(keys[1]),
		PatchOperations: patchOps("replace", "/remaining", "1000")})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string][][]int64{keys[1]: {{9, 1000}}}, upd.Items); diff != "" || aws.ToString(upd.StartDate) != day(0) {
		t.Errorf("UpdateUsage (-want +got):\n%s", diff)
	}

	bad := []struct {
		name      string
		in        apigateway.GetUsageInput
		code, msg string
	}{
		{"bad start", apigateway.GetUsageInput{UsagePlanId: plan.Id, StartDate: aws.String("2026-3-1"), EndDate: aws.String("2026-03-03")},
			"BadRequestException", `Invalid startDate "2026-3-1": must be a date in the form YYYY-MM-DD`},
		{"bad end", apigateway.GetUsageInput{UsagePlanId: plan.Id, StartDate: aws.String("2026-03-01"), EndDate: aws.String("2026-02-30")},
			"BadRequestException", `Invalid endDate "2026-02-30": must be a date in the form YYYY-MM-DD`},
		{"end before start", apigateway.GetUsageInput{UsagePlanId: plan.Id, StartDate: aws.String("2026-03-03"), EndDate: aws.String("2026-03-01")},
			"BadRequestException", "The endDate 2026-03-01 must not be before the startDate 2026-03-03"},
		{"too long", apigateway.GetUsageInput{UsagePlanId: plan.Id, StartDate: aws.String("2020-01-01"), EndDate: aws.String("2026-03-01")},
			"BadRequestException", "The range from startDate 2020-01-01 to endDate 2026-03-01 spans 2252 days; at most 366 are allowed"},
		{"unknown plan", apigateway.GetUsageInput{UsagePlanId: aws.String("nope00"), StartDate: aws.String("2026-03-01"), EndDate: aws.String("2026-03-01")},
			"NotFoundException", "Invalid Usage Plan ID specified"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.GetUsage(ctx, &tt.in)
			apitest.WantError(t, err, tt.code, tt.msg)
		})
	}
	badUpd := []struct {
		name      string
		key       string
		ops       []types.PatchOperation
		code, msg string
	}{
		{"other path", keys[0], patchOps("replace", "/used", "1"), "BadRequestException", "Invalid patch path  '/used' specified for op 'replace'. Must be one of: [/remaining]"},
		{"other op", keys[0], patchOps("add", "/remaining", "1"), "BadRequestException", "Invalid patch operation specified. Must be one of: [replace]"},
		{"not a number", keys[0], patchOps("replace", "/remaining", "lots"), "BadRequestException", ""},
		{"negative", keys[0], patchOps("replace", "/remaining", "-1"), "BadRequestException", `Invalid value "-1" for /remaining: must not be negative`},
		{"key not in plan", "nokey00000", patchOps("replace", "/remaining", "1"), "NotFoundException", "Invalid API Key identifier specified"},
	}
	for _, tt := range badUpd {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.UpdateUsage(ctx, &apigateway.UpdateUsageInput{UsagePlanId: plan.Id, KeyId: aws.String(tt.key), PatchOperations: tt.ops})
			apitest.WantError(t, err, tt.code, tt.msg)
		})
	}
}
