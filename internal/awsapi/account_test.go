package awsapi_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/apitest"
)

// TestAccount drives GetAccount and UpdateAccount: the throttle is the
// node's account limit, cloudwatchRoleArn is stored, UsagePlans can be
// added again but never removed, and a refused patch changes nothing.
func TestAccount(t *testing.T) {
	env := apitest.Start(t, apitest.Options{AccountThrottle: apigw.Throttle{RateLimit: 250, BurstLimit: 40}})
	c, ctx := env.Client, context.Background()
	got, err := c.GetAccount(ctx, &apigateway.GetAccountInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got.ThrottleSettings == nil || got.ThrottleSettings.RateLimit != 250 || got.ThrottleSettings.BurstLimit != 40 {
		t.Errorf("throttleSettings = %+v, want the node's 250/40", got.ThrottleSettings)
	}
	if len(got.Features) != 1 || got.Features[0] != "UsagePlans" || got.CloudwatchRoleArn != nil || aws.ToString(got.ApiKeyVersion) != "4" {
		t.Errorf("GetAccount = %+v", got)
	}

	const role = "arn:aws:iam::123456789012:role/apigw-logs"
	upd, err := c.UpdateAccount(ctx, &apigateway.UpdateAccountInput{PatchOperations: []types.PatchOperation{
		{Op: types.OpReplace, Path: aws.String("/cloudwatchRoleArn"), Value: aws.String(role)},
		{Op: types.OpAdd, Path: aws.String("/features"), Value: aws.String("UsagePlans")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(upd.CloudwatchRoleArn) != role || len(upd.Features) != 1 {
		t.Errorf("UpdateAccount = %+v", upd)
	}

	tests := []struct {
		name      string
		op        types.PatchOperation
		code, msg string
	}{
		{"remove UsagePlans", types.PatchOperation{Op: types.OpRemove, Path: aws.String("/features"), Value: aws.String("UsagePlans")},
			"BadRequestException", "Usage Plans cannot be disabled once enabled"},
		{"unknown feature", types.PatchOperation{Op: types.OpAdd, Path: aws.String("/features"), Value: aws.String("Other")},
			"BadRequestException", `Invalid feature "Other": the only account feature is UsagePlans`},
		{"unknown path", types.PatchOperation{Op: types.OpReplace, Path: aws.String("/throttleSettings/rateLimit"), Value: aws.String("1")},
			"BadRequestException", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.UpdateAccount(ctx, &apigateway.UpdateAccountInput{PatchOperations: []types.PatchOperation{
				{Op: types.OpReplace, Path: aws.String("/cloudwatchRoleArn"), Value: aws.String("arn:aws:iam::123456789012:role/other")}, tt.op}})
			if tt.msg == "" {
				if apitest.ErrorCode(err) != tt.code {
					t.Fatalf("error %v, want %s", err, tt.code)
				}
			} else {
				apitest.WantError(t, err, tt.code, tt.msg)
			}
			got, err := c.GetAccount(ctx, &apigateway.GetAccountInput{})
			if err != nil || aws.ToString(got.CloudwatchRoleArn) != role {
				t.Errorf("after a refused update: cloudwatchRoleArn %q, %v; want %q unchanged", aws.ToString(got.CloudwatchRoleArn), err, role)
			}
		})
	}
}
