package awsapi_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/gatehouse-dev/gatehouse/internal/apitest"
	"github.com/google/go-cmp/cmp"
)

// TestAuditLog makes mutating and reading calls, some refused, and checks
// the audit log: one line per mutating call that passed authentication,
// with the caller's access key id, the operation, the resource and the
// outcome, and no key value anywhere, even when the caller chose the value
// (CreateApiKey), imported it (ImportApiKeys), or put it where a key id
// belongs.
func TestAuditLog(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	c, ctx := env.Client, context.Background()
	akid := env.Server.Credentials.AccessKeyID
	const (
		chosen    = "chosen-value-0123456789abcdef"
		imported1 = "imported-value-1-0123456789"
		imported2 = "imported-value-2-0123456789"
		inPlanCol = "plan-column-value-0123456789"
	)
	secrets := []string{chosen, imported1, imported2, inPlanCol}

	created, err := c.CreateApiKey(ctx, &apigateway.CreateApiKeyInput{Name: aws.String("k"), Value: aws.String(chosen), Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetApiKey(ctx, &apigateway.GetApiKeyInput{ApiKey: created.Id, IncludeValue: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	csv := "Name,Key,UsagePlanIds\none," + imported1 + "\ntwo," + imported2 + "," + inPlanCol + "\n"
	imp, err := c.ImportApiKeys(ctx, &apigateway.ImportApiKeysInput{Body: []byte(csv), Format: types.ApiKeysFormatCsv})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateApiKey(ctx, &apigateway.UpdateApiKeyInput{ApiKey: created.Id, PatchOperations: patchOps("replace", "/name", "renamed")}); err != nil {
		t.Fatal(err)
	}
	// A confused caller deletes by value instead of id.
	_, err = c.DeleteApiKey(ctx, &apigateway.DeleteApiKeyInput{ApiKey: aws.String(chosen)})
	apitest.WantError(t, err, "NotFoundException", "")
	_, err = c.CreateUsagePlan(ctx, &apigateway.CreateUsagePlanInput{Name: aws.String("")})
	apitest.WantError(t, err, "BadRequestException", "")
	_, err = c.CreateVpcLink(ctx, &apigateway.CreateVpcLinkInput{Name: aws.String("l"), TargetArns: []string{"arn"}})
	apitest.WantError(t, err, "NotImplementedException", "")
	// Not audited: refused before authentication completes.
	unsigned := do(t, signedRequest(t, env, "POST", env.AdminURL, "/apikeys", []byte(`{"name":"u","value":"`+chosen+`"}`), signOpts{unsigned: true}))
	if unsigned.status != http.StatusForbidden {
		t.Fatalf("unsigned create: %d", unsigned.status)
	}

	type line struct {
		AccessKeyID, Operation, Resource, ErrorType string
		Status                                      float64
		Imported                                    []string
	}
	var got []line
	for _, m := range env.Audit.Lines() {
		if m["msg"] != "management change" {
			t.Errorf("audit line with msg %v", m["msg"])
		}
		if id, _ := m["requestId"].(string); len(id) != 36 {
			t.Errorf("audit line without request id: %v", m)
		}
		l := line{}
		l.AccessKeyID, _ = m["accessKeyId"].(string)
		l.Operation, _ = m["operation"].(string)
		l.Resource, _ = m["resource"].(string)
		l.ErrorType, _ = m["errorType"].(string)
		l.Status, _ = m["status"].(float64)
		ids, _ := m["importedKeyIds"].([]any)
		for _, id := range ids {
			l.Imported = append(l.Imported, id.(string))
		}
		got = append(got, l)
	}
	want := []line{
		{akid, "CreateApiKey", "/apikeys/" + aws.ToString(created.Id), "", 201, nil},
		{akid, "ImportApiKeys", "/apikeys", "", 201, imp.Ids},
		{akid, "UpdateApiKey", "/apikeys/" + aws.ToString(created.Id), "", 200, nil},
		{akid, "DeleteApiKey", "/apikeys/{hidden:29-bytes}", "NotFoundException", 404, nil},
		{akid, "CreateUsagePlan", "/usageplans", "BadRequestException", 400, nil},
		{akid, "CreateVpcLink", "/vpclinks", "NotImplementedException", 501, nil},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("audit log (-want +got):\n%s", diff)
	}
	if len(imp.Ids) != 2 || len(imp.Warnings) != 1 {
		t.Errorf("import: ids %v warnings %v", imp.Ids, imp.Warnings)
	}
	text := env.Audit.String()
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("the audit log contains the key value %q:\n%s", s, text)
		}
	}
	if strings.Contains(env.Access.String(), "management change") || slices.ContainsFunc(env.Audit.Lines(), func(m map[string]any) bool { return m["msg"] == "access" }) {
		t.Error("the audit log and the access log are mixed")
	}
}
