package awsapi_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/gatehouse-dev/gatehouse/internal/apitest"
	"github.com/google/go-cmp/cmp"
)

// TestIntegerMembersFitAWSInteger sends usage plans whose Integer members
// do not fit AWS's Integer (a signed 32-bit number) through create and
// through patch: both refuse with the same rule, naming the field and the
// value, and change nothing; the largest Integer is kept and read back by
// the SDK as it was sent.
func TestIntegerMembersFitAWSInteger(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	ctx := context.Background()
	api := keysTestStage(t, env, "intapi0001", "prod")
	const rule = ": must be an integer between -2147483648 and 2147483647"

	creates := []struct {
		name, body, want string
	}{
		{"quota limit 2^31", `{"name":"p","quota":{"limit":2147483648,"period":"DAY"}}`, `Invalid value "2147483648" for quota.limit` + rule},
		{"quota limit -2^31-1", `{"name":"p","quota":{"limit":-2147483649,"period":"DAY"}}`, `Invalid value "-2147483649" for quota.limit` + rule},
		{"quota offset 2^32", `{"name":"p","quota":{"limit":10,"offset":4294967296,"period":"MONTH"}}`, `Invalid value "4294967296" for quota.offset` + rule},
		{"burst 2^63-1", `{"name":"p","throttle":{"burstLimit":9223372036854775807,"rateLimit":1}}`, `Invalid value "9223372036854775807" for throttle.burstLimit` + rule},
		{
			"method burst 2^31", `{"name":"p","apiStages":[{"apiId":"` + api + `","stage":"prod","throttle":{"/pets/GET":{"burstLimit":2147483648,"rateLimit":1}}}]}`,
			`Invalid value "2147483648" for apiStages[` + api + `:prod].throttle[/pets/GET].burstLimit` + rule,
		},
	}
	for _, tt := range creates {
		t.Run("create "+tt.name, func(t *testing.T) {
			a := do(t, signedRequest(t, env, "POST", env.AdminURL, "/usageplans", []byte(tt.body), signOpts{}))
			if a.status != http.StatusBadRequest || a.errorType != "BadRequestException" || a.message != tt.want {
				t.Errorf("got %d %s %q, want 400 BadRequestException %q", a.status, a.errorType, a.message, tt.want)
			}
		})
	}
	plans, err := env.Client.GetUsagePlans(ctx, &apigateway.GetUsagePlansInput{})
	if err != nil || len(plans.Items) != 0 {
		t.Fatalf("refused creates left %d plans (%v)", len(plans.Items), err)
	}

	// The largest Integer is accepted and read back unchanged.
	a := do(t, signedRequest(t, env, "POST", env.AdminURL, "/usageplans", []byte(`{"name":"max","throttle":{"burstLimit":2147483647,"rateLimit":1},`+
		`"quota":{"limit":2147483647,"period":"DAY"},"apiStages":[{"apiId":"`+api+`","stage":"prod","throttle":{"/pets/GET":{"burstLimit":2147483647,"rateLimit":1}}}]}`), signOpts{}))
	if a.status != http.StatusCreated {
		t.Fatalf("create at the limits: %d %s %q", a.status, a.errorType, a.message)
	}
	list, err := env.Client.GetUsagePlans(ctx, &apigateway.GetUsagePlansInput{})
	if err != nil || len(list.Items) != 1 {
		t.Fatalf("GetUsagePlans: %v", err)
	}
	p := list.Items[0]
	got := []int32{p.Throttle.BurstLimit, p.Quota.Limit, p.ApiStages[0].Throttle["/pets/GET"].BurstLimit}
	if diff := cmp.Diff([]int32{2147483647, 2147483647, 2147483647}, got); diff != "" {
		t.Errorf("read back (-want +got):\n%s", diff)
	}

	patches := []struct {
		name, path, value, want string
	}{
		{"burst", "/throttle/burstLimit", "2147483648", `Invalid value "2147483648" for /throttle/burstLimit` + rule},
		{"quota limit", "/quota/limit", "9223372036854775807", `Invalid value "9223372036854775807" for /quota/limit` + rule},
		{"method burst", "/apiStages/" + api + ":prod/throttle/~1pets/GET/burstLimit", "2147483648",
			`Invalid value "2147483648" for /apiStages/` + api + `:prod/throttle/~1pets/GET/burstLimit` + rule},
		{"method throttle map", "/apiStages/" + api + ":prod/throttle", `{"/pets/GET":{"burstLimit":2147483648,"rateLimit":1}}`,
			`Invalid value "2147483648" for apiStages[` + api + `:prod].throttle[/pets/GET].burstLimit` + rule},
	}
	for _, tt := range patches {
		t.Run("patch "+tt.name, func(t *testing.T) {
			_, err := env.Client.UpdateUsagePlan(ctx, &apigateway.UpdateUsagePlanInput{UsagePlanId: p.Id, PatchOperations: patchOps("replace", tt.path, tt.value)})
			apitest.WantError(t, err, "BadRequestException", tt.want)
		})
	}
	after, err := env.Client.GetUsagePlan(ctx, &apigateway.GetUsagePlanInput{UsagePlanId: p.Id})
	if err != nil {
		t.Fatal(err)
	}
	got = []int32{after.Throttle.BurstLimit, after.Quota.Limit, after.ApiStages[0].Throttle["/pets/GET"].BurstLimit}
	if diff := cmp.Diff([]int32{2147483647, 2147483647, 2147483647}, got); diff != "" {
		t.Errorf("refused patches changed the plan (-want +got):\n%s", diff)
	}
}
