package awsapi_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/gatehouse-dev/gatehouse/internal/apitest"
	"github.com/google/go-cmp/cmp"
)

// deployableAPI creates an API whose root has GET with a MOCK integration.
func deployableAPI(t *testing.T, env *apitest.Env) (apiID, rootID string) {
	t.Helper()
	ctx := context.Background()
	api := newAPI(t, env.Client, "d")
	apiID, rootID = aws.ToString(api.Id), aws.ToString(api.RootResourceId)
	if _, err := env.Client.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: &apiID, ResourceId: &rootID, HttpMethod: aws.String("GET"), AuthorizationType: aws.String("NONE"), ApiKeyRequired: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Client.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: &apiID, ResourceId: &rootID, HttpMethod: aws.String("GET"), Type: "MOCK",
		RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`}}); err != nil {
		t.Fatal(err)
	}
	return apiID, rootID
}

func TestDeploymentValidation(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	ctx := context.Background()
	api := newAPI(t, env.Client, "empty")
	_, err := env.Client.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: api.Id})
	apitest.WantError(t, err, "BadRequestException", "The REST API doesn't contain any methods")
	if _, err := env.Client.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: api.Id, ResourceId: api.RootResourceId, HttpMethod: aws.String("GET"), AuthorizationType: aws.String("NONE")}); err != nil {
		t.Fatal(err)
	}
	_, err = env.Client.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: api.Id})
	apitest.WantError(t, err, "BadRequestException", "No integration defined for method")
	_, err = env.Client.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: aws.String("nope")})
	apitest.WantError(t, err, "NotFoundException", "Invalid API identifier specified "+env.Server.Control.AccountID()+":nope")
}

func TestDeploymentLifecycle(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	ctx := context.Background()
	apiID, _ := deployableAPI(t, env)

	d1, err := env.Client.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: &apiID, StageName: aws.String("prod"), Description: aws.String("first"),
		StageDescription: aws.String("production"), Variables: map[string]string{"v": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(aws.ToString(d1.Id)) != 6 || aws.ToString(d1.Description) != "first" || d1.CreatedDate == nil {
		t.Errorf("CreateDeployment = %+v", d1)
	}
	st, err := env.Client.GetStage(ctx, &apigateway.GetStageInput{RestApiId: &apiID, StageName: aws.String("prod")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(st.DeploymentId) != aws.ToString(d1.Id) || aws.ToString(st.Description) != "production" || st.Variables["v"] != "1" {
		t.Errorf("stage created by the deployment = %+v", st)
	}

	got, err := env.Client.GetDeployment(ctx, &apigateway.GetDeploymentInput{RestApiId: &apiID, DeploymentId: d1.Id, Embed: []string{"apisummary"}})
	if err != nil {
		t.Fatal(err)
	}
	sum := got.ApiSummary["/"]["GET"]
	if aws.ToString(sum.AuthorizationType) != "NONE" || !sum.ApiKeyRequired {
		t.Errorf("apiSummary = %+v, want / GET NONE with apiKeyRequired", got.ApiSummary)
	}
	plain, err := env.Client.GetDeployment(ctx, &apigateway.GetDeploymentInput{RestApiId: &apiID, DeploymentId: d1.Id})
	if err != nil {
		t.Fatal(err)
	}
	if plain.ApiSummary != nil {
		t.Errorf("apiSummary without embed = %+v, want none", plain.ApiSummary)
	}

	// Redeploying to the stage repoints it.
	d2, err := env.Client.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: &apiID, StageName: aws.String("prod")})
	if err != nil {
		t.Fatal(err)
	}
	st, err = env.Client.GetStage(ctx, &apigateway.GetStageInput{RestApiId: &apiID, StageName: aws.String("prod")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(st.DeploymentId) != aws.ToString(d2.Id) || aws.ToString(st.Description) != "production" {
		t.Errorf("stage after redeploy = deployment %q description %q", aws.ToString(st.DeploymentId), aws.ToString(st.Description))
	}

	_, err = env.Client.DeleteDeployment(ctx, &apigateway.DeleteDeploymentInput{RestApiId: &apiID, DeploymentId: d2.Id})
	apitest.WantError(t, err, "BadRequestException", "Active stages pointing to this deployment must be moved or deleted")
	if _, err := env.Client.DeleteDeployment(ctx, &apigateway.DeleteDeploymentInput{RestApiId: &apiID, DeploymentId: d1.Id}); err != nil {
		t.Fatal(err)
	}
	_, err = env.Client.GetDeployment(ctx, &apigateway.GetDeploymentInput{RestApiId: &apiID, DeploymentId: d1.Id})
	apitest.WantError(t, err, "NotFoundException", "Invalid Deployment identifier specified")

	up, err := env.Client.UpdateDeployment(ctx, &apigateway.UpdateDeploymentInput{RestApiId: &apiID, DeploymentId: d2.Id, PatchOperations: []types.PatchOperation{replace("/description", "second")}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(up.Description) != "second" {
		t.Errorf("description = %q", aws.ToString(up.Description))
	}
	_, err = env.Client.UpdateDeployment(ctx, &apigateway.UpdateDeploymentInput{RestApiId: &apiID, DeploymentId: d2.Id, PatchOperations: []types.PatchOperation{replace("/id", "x")}})
	apitest.WantError(t, err, "BadRequestException", "Invalid patch path  '/id' specified for op 'replace'. Must be one of: [/description]")
}

func TestGetDeploymentsPagination(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	ctx := context.Background()
	apiID, _ := deployableAPI(t, env)
	var want []string
	for i := range 5 {
		d, err := env.Client.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: &apiID, Description: aws.String(fmt.Sprint(i))})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, aws.ToString(d.Id))
	}
	var got []string
	var pos *string
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("too many pages")
		}
		out, err := env.Client.GetDeployments(ctx, &apigateway.GetDeploymentsInput{RestApiId: &apiID, Limit: aws.Int32(2), Position: pos})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range out.Items {
			got = append(got, aws.ToString(d.Id))
		}
		if out.Position == nil {
			break
		}
		pos = out.Position
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("deployments (-want +got):\n%s", d)
	}
}
