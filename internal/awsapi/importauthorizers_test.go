package awsapi_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"

	"github.com/gatehouse-dev/gatehouse/internal/apitest"
)

const (
	testLambdaURI   = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:111111111111:function:auth/invocations"
	testCognitoPool = "arn:aws:cognito-idp:us-east-1:111111111111:userpool/us-east-1_ABC123"
)

func readAuthDoc(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/import/" + name)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.NewReplacer("AUTHORIZER_URI", testLambdaURI, "COGNITO_POOL_ARN", testCognitoPool).Replace(string(b))
	return []byte(s)
}

// methodAuth describes a method's authorization as "TYPE authorizerName
// [scopes]".
func methodAuth(t *testing.T, c *apigateway.Client, api, resourceID, verb string, names map[string]string) string {
	t.Helper()
	m, err := c.GetMethod(context.Background(), &apigateway.GetMethodInput{RestApiId: aws.String(api), ResourceId: aws.String(resourceID), HttpMethod: aws.String(verb)})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%s %s %v", aws.ToString(m.AuthorizationType), names[aws.ToString(m.AuthorizerId)], m.AuthorizationScopes)
}

// TestImportAuthorizers: the documents of AWS's recorded
// test_import_with_global_api_key_authorizer and
// test_import_with_cognito_auth_identity_source import over the SDK to
// the authorizers and method authorizations AWS answered: the document's
// security applies to every method without its own (ANY included), a
// method's own security overrides it with its scopes, and a Cognito
// authorizer's identity source is its scheme's header.
func TestImportAuthorizers(t *testing.T) {
	ctx := context.Background()
	env := apitest.Start(t, apitest.Options{})
	c := env.Client
	for _, tc := range []struct {
		doc         string
		keySource   string
		authorizers []string // name|type|authType|identitySource|ttl|providers
		methods     map[string]string
	}{
		{"localstack-global-auth.json", "AUTHORIZER",
			[]string{"GatewayAuthorizer|REQUEST|custom|method.request.header.Custom-Authorization|300|"},
			map[string]string{"/echo/{data} ANY": "CUSTOM GatewayAuthorizer []", "/pets GET": "CUSTOM GatewayAuthorizer []"}},
		{"localstack-cognito-auth.json", "HEADER",
			[]string{
				"cognito-test-identity-source|COGNITO_USER_POOLS|cognito_user_pools|method.request.header.TestHeaderAuth|-|" + testCognitoPool,
				"extra-test-identity-source|COGNITO_USER_POOLS|cognito_user_pools|method.request.header.TestHeaderAuth|-|" + testCognitoPool,
			},
			map[string]string{
				"/default-no-scope GET":       "COGNITO_USER_POOLS cognito-test-identity-source []",
				"/default-scope-override GET": "COGNITO_USER_POOLS cognito-test-identity-source [openid]",
				"/non-default-authorizer GET": "COGNITO_USER_POOLS extra-test-identity-source [email openid]",
				"/pets GET":                   "COGNITO_USER_POOLS cognito-test-identity-source [email]",
			}},
	} {
		t.Run(tc.doc, func(t *testing.T) {
			imp, err := c.ImportRestApi(ctx, &apigateway.ImportRestApiInput{Body: readAuthDoc(t, tc.doc), FailOnWarnings: true})
			if err != nil {
				t.Fatal(err)
			}
			api := aws.ToString(imp.Id)
			if string(imp.ApiKeySource) != tc.keySource {
				t.Errorf("apiKeySource = %s, want %s", imp.ApiKeySource, tc.keySource)
			}
			auths, err := c.GetAuthorizers(ctx, &apigateway.GetAuthorizersInput{RestApiId: imp.Id})
			if err != nil {
				t.Fatal(err)
			}
			names := map[string]string{}
			var got []string
			for _, a := range auths.Items {
				names[aws.ToString(a.Id)] = aws.ToString(a.Name)
				ttl := "-"
				if a.AuthorizerResultTtlInSeconds != nil {
					ttl = fmt.Sprint(*a.AuthorizerResultTtlInSeconds)
				}
				got = append(got, strings.Join([]string{aws.ToString(a.Name), string(a.Type), aws.ToString(a.AuthType), aws.ToString(a.IdentitySource), ttl, strings.Join(a.ProviderARNs, ",")}, "|"))
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.authorizers) {
				t.Errorf("authorizers:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.authorizers, "\n"))
			}
			paths := importedPaths(t, c, api)
			for pm, want := range tc.methods {
				path, verb, _ := strings.Cut(pm, " ")
				if got := methodAuth(t, c, api, aws.ToString(paths[path].Id), verb, names); got != want {
					t.Errorf("%s = %q, want %q", pm, got, want)
				}
			}
		})
	}
	t.Run("invalid authorizer refused, nothing created", func(t *testing.T) {
		before, err := c.GetRestApis(ctx, &apigateway.GetRestApisInput{})
		if err != nil {
			t.Fatal(err)
		}
		doc := strings.Replace(string(readAuthDoc(t, "localstack-global-auth.json")), testLambdaURI, "not-a-function", 1)
		_, err = c.ImportRestApi(ctx, &apigateway.ImportRestApiInput{Body: []byte(doc)})
		if apitest.ErrorCode(err) != "BadRequestException" || !strings.HasPrefix(apitest.ErrorMessage(err), "Errors found during import:\n\tUnable to create authorizer 'GatewayAuthorizer': ") {
			t.Fatalf("ImportRestApi = %v", err)
		}
		after, err := c.GetRestApis(ctx, &apigateway.GetRestApisInput{})
		if err != nil {
			t.Fatal(err)
		}
		if len(after.Items) != len(before.Items) {
			t.Errorf("%d APIs after a refused import, %d before", len(after.Items), len(before.Items))
		}
	})
}
