package awsapi_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/gatehouse-dev/gatehouse/internal/apitest"
	"github.com/google/go-cmp/cmp"
)

func TestTags(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	c, ctx := env.Client, context.Background()
	api := keysTestStage(t, env, "tagsapi001", "dev")
	key := aws.ToString(mustCreateKey(t, c, &apigateway.CreateApiKeyInput{Name: aws.String("k"), Tags: map[string]string{"old": "1"}}).Id)
	plan, err := c.CreateUsagePlan(ctx, &apigateway.CreateUsagePlanInput{Name: aws.String("p")})
	if err != nil {
		t.Fatal(err)
	}
	cert, err := c.GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{})
	if err != nil {
		t.Fatal(err)
	}
	const prefix = "arn:aws:apigateway:us-east-1::"
	arns := map[string]string{
		"clientcert": prefix + "/clientcertificates/" + aws.ToString(cert.ClientCertificateId),
		"restapi":    prefix + "/restapis/" + api,
		"stage":      prefix + "/restapis/" + api + "/stages/dev",
		"apikey":     prefix + "/apikeys/" + key,
		"plan":       prefix + "/usageplans/" + aws.ToString(plan.Id),
	}
	for name, arn := range arns {
		t.Run(name, func(t *testing.T) {
			if _, err := c.TagResource(ctx, &apigateway.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"team": "edge", "env": "test"}}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.UntagResource(ctx, &apigateway.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"env", "absent"}}); err != nil {
				t.Fatal(err)
			}
			out, err := c.GetTags(ctx, &apigateway.GetTagsInput{ResourceArn: aws.String(arn)})
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{"team": "edge"}
			if name == "apikey" {
				want["old"] = "1"
			}
			if diff := cmp.Diff(want, out.Tags); diff != "" {
				t.Errorf("tags (-want +got):\n%s", diff)
			}
		})
	}
	// The resources' own tags fields agree with the tag operations.
	k, err := c.GetApiKey(ctx, &apigateway.GetApiKeyInput{ApiKey: aws.String(key)})
	if err != nil || !cmp.Equal(k.Tags, map[string]string{"old": "1", "team": "edge"}) {
		t.Errorf("GetApiKey tags %v %v", k.Tags, err)
	}
	p, err := c.GetUsagePlan(ctx, &apigateway.GetUsagePlanInput{UsagePlanId: plan.Id})
	if err != nil || !cmp.Equal(p.Tags, map[string]string{"team": "edge"}) {
		t.Errorf("GetUsagePlan tags %v %v", p.Tags, err)
	}

	if st, err := c.GetTags(ctx, &apigateway.GetTagsInput{ResourceArn: aws.String(prefix + "/restapis/" + api + "/stages/dev")}); err != nil || len(st.Tags) == 0 {
		t.Fatalf("stage tags = %v, %v; want the tags set above", st, err)
	}
	if _, err := c.UntagResource(ctx, &apigateway.UntagResourceInput{ResourceArn: aws.String(arns["plan"]), TagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	empty, err := c.GetTags(ctx, &apigateway.GetTagsInput{ResourceArn: aws.String(arns["plan"])})
	if err != nil || empty.Tags == nil || len(empty.Tags) != 0 {
		t.Errorf("tags after removing all: %v %v (want {})", empty, err)
	}

	bad := []struct {
		name, arn string
		tags      map[string]string
		code, msg string
	}{
		{"not an arn", "garbage", map[string]string{"a": "b"}, "BadRequestException", "Invalid ARN. ARN is not well formed garbage"},
		{"resource arn", prefix + "/restapis/" + api + "/resources/x", map[string]string{"a": "b"}, "BadRequestException", "Invalid ARN. ARN is not well formed " + prefix + "/restapis/" + api + "/resources/x"},
		{"unknown api", prefix + "/restapis/nope000000", map[string]string{"a": "b"}, "NotFoundException", "Invalid API identifier specified 000000000000:nope000000"},
		{"unknown stage", prefix + "/restapis/" + api + "/stages/nope", map[string]string{"a": "b"}, "NotFoundException", "Invalid Stage identifier specified"},
		{"unknown key", prefix + "/apikeys/nope", map[string]string{"a": "b"}, "NotFoundException", "Invalid API Key identifier specified"},
		{"unknown plan", prefix + "/usageplans/nope", map[string]string{"a": "b"}, "NotFoundException", "Invalid Usage Plan ID specified"},
		{"reserved key", arns["plan"], map[string]string{"aws:cloudformation": "b"}, "BadRequestException", `Invalid tag key "aws:cloudformation": the prefix "aws:" is reserved`},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.TagResource(ctx, &apigateway.TagResourceInput{ResourceArn: aws.String(tt.arn), Tags: tt.tags})
			apitest.WantError(t, err, tt.code, tt.msg)
		})
	}
	_, err = c.GetTags(ctx, &apigateway.GetTagsInput{ResourceArn: aws.String("arn:aws:apigateway:us-east-1::/nothing")})
	apitest.WantError(t, err, "BadRequestException", "Invalid ARN. ARN is not well formed arn:aws:apigateway:us-east-1::/nothing")
}
