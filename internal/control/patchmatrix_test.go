package control

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/patch"
	"github.com/gatehouse-dev/gatehouse/internal/secret"
	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlite"
	"github.com/gatehouse-dev/gatehouse/internal/store/storetest"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata")

// The patch matrix pins what every Update* operation answers to every op
// on every path it knows, a few it does not, and values it must refuse:
// the error's kind and message, or which fields the patch changed. Each
// case starts from the same stored fixture, so the cases do not affect each
// other. The answers are AWS wire texts, so a change to any of them must be
// deliberate (go test -run TestPatchMatrix -update rewrites the file).

// matrixOps are the ops every path is tried with: AWS's six and a missing op.
var matrixOps = []string{patch.Add, patch.Remove, patch.Replace, patch.Move, patch.Copy, patch.Test, ""}

// commonBadPaths are paths no resource takes.
var commonBadPaths = []string{"", "/", "//", "x", "/nope", "/nope/deeper"}

// matrixResource is one Update* operation under test.
type matrixResource struct {
	name string
	// paths are tried with every op and the value valueFor gives.
	paths []string
	// values maps a path to the values it is tried with (default: "v").
	values map[string][]string
	// extra cases: single ops or sequences.
	extra [][]patch.Op
	// get reads the object; update applies ops. Both return a value that
	// marshals to the object's fields.
	get    func(ctx context.Context, s *Service) (any, error)
	update func(ctx context.Context, s *Service, ops []patch.Op) (any, error)
}

func op(o, path, value string) patch.Op { return patch.Op{Op: o, Path: path, Value: value} }

// matrixFixture writes the fixture every case starts from: API a1 with
// /pets (GET with an HTTP_PROXY integration and 200 responses) and
// /pets/{id}; deployments d1 and d2; stage prod (method settings,
// variables, access log, canary) and stage beta (bare); key k1 in plan p1,
// which covers a1:prod with a per-method throttle.
func matrixFixture(ctx context.Context, tx store.Tx, create bool) error {
	api := storetest.SampleAPI("a1")
	api.Resources["a1-id"] = &apigw.Resource{ID: "a1-id", ParentID: "a1-pets", PathPart: "{id}"}
	api.Authorizers = matrixAuthorizers()
	api.Models = map[string]*apigw.Model{
		"mo1": {ID: "mo1", Name: "Pet", ContentType: "application/json", Description: "a pet", Schema: `{"type":"object","properties":{"name":{"type":"string"}}}`},
		"mo2": {ID: "mo2", Name: "Pets", ContentType: "application/json", Schema: `{"type":"array","items":{"$ref":"https://apigateway.amazonaws.com/restapis/a1/models/Pet"}}`},
	}
	api.RequestValidators = map[string]*apigw.RequestValidator{"rv1": {ID: "rv1", Name: "body", ValidateRequestBody: true}}
	d1, d2 := storetest.SampleDeployment("a1", "d1"), storetest.SampleDeployment("a1", "d2")
	prod := storetest.SampleStage("a1", "prod", "d1")
	beta := &apigw.Stage{APIID: "a1", Name: "beta", DeploymentID: "d1", MethodSettings: map[string]*apigw.MethodSetting{}}
	key := storetest.SampleAPIKey("k1")
	key.StageKeys = []string{"a1/prod"}
	plan := storetest.SampleUsagePlan("p1", storetest.SampleAPIStage("a1", "prod"))
	if create {
		for _, err := range []error{
			tx.CreateAPI(ctx, api), tx.CreateDeployment(ctx, d1), tx.CreateDeployment(ctx, d2),
			tx.CreateStage(ctx, prod), tx.CreateStage(ctx, beta), tx.CreateAPIKey(ctx, key),
			tx.CreateUsagePlan(ctx, plan), tx.AddUsagePlanKey(ctx, "p1", "k1"),
		} {
			if err != nil {
				return err
			}
		}
		return nil
	}
	for _, err := range []error{
		tx.UpdateAPI(ctx, api), tx.UpdateDeployment(ctx, d1), tx.UpdateDeployment(ctx, d2),
		tx.UpdateStage(ctx, prod), tx.UpdateStage(ctx, beta), tx.UpdateAPIKey(ctx, key),
		tx.UpdateUsagePlan(ctx, plan),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

// matrixAuthorizers are the fixture API's authorizers: au1 (TOKEN, TTL
// not set), au2 (REQUEST, TTL 0, no identity source) and au3 (Cognito).
func matrixAuthorizers() map[string]*apigw.Authorizer {
	zero := 0
	return map[string]*apigw.Authorizer{
		"au1": {ID: "au1", Name: "tok", Type: apigw.AuthorizerToken, AuthType: "custom",
			AuthorizerURI:  "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:auth/invocations",
			IdentitySource: "method.request.header.Authorization", IdentityValidationExpression: "^Bearer .+$"},
		"au2": {ID: "au2", Name: "req", Type: apigw.AuthorizerRequest, AuthType: "custom",
			AuthorizerURI: "https://auth.example/check", AuthorizerResultTTLInSeconds: &zero},
		"au3": {ID: "au3", Name: "pool", Type: apigw.AuthorizerCognito, AuthType: "cognito_user_pools",
			ProviderARNs:   []string{"arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbC123"},
			IdentitySource: "method.request.header.Authorization"},
	}
}

func authorizerResource(id string) matrixResource {
	r := matrixResource{
		name: "UpdateAuthorizer " + id,
		paths: []string{
			"/name", "/type", "/authorizerUri", "/authorizerCredentials", "/authType", "/identityValidationExpression",
			"/identitySource", "/authorizerResultTtlInSeconds", "/providerARNs", "/id", "/providerARNs/x", "/name/x",
		},
		values: map[string][]string{
			"/name":                         {"renamed", ""},
			"/type":                         {"TOKEN", "REQUEST", "COGNITO_USER_POOLS", "token", "JWT"},
			"/authorizerUri":                {"https://other.example/auth", "arn:aws:apigateway:region:lambda:path/2015-03-31/functions/f/invocations", "", "ftp://x"},
			"/identityValidationExpression": {"^[a-z]+$", "(?=x)", "a(b"},
			"/identitySource":               {"method.request.header.X-Token", "method.request.header.A, method.request.querystring.b, stageVariables.c, context.d", "method.request.path.p", ""},
			"/authorizerResultTtlInSeconds": {"0", "300", "3600", "3601", "-1", "x", "60.000000", ""},
			"/providerARNs":                 {"arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Other9", "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbC123", "not-an-arn", ""},
		},
		extra: [][]patch.Op{
			{op(patch.Replace, "/type", "REQUEST"), op(patch.Replace, "/authorizerResultTtlInSeconds", "0"), op(patch.Remove, "/identitySource", "")},
			{op(patch.Replace, "/name", "one"), op(patch.Replace, "/nope", "two")},
		},
		get: func(ctx context.Context, s *Service) (any, error) {
			return s.GetAuthorizer(ctx, "a1", id)
		},
		update: func(ctx context.Context, s *Service, ops []patch.Op) (any, error) {
			return s.UpdateAuthorizer(ctx, "a1", id, ops)
		},
	}
	if id == "nope" {
		r.paths, r.values, r.extra = []string{"/name"}, nil, nil
		r.get = func(ctx context.Context, s *Service) (any, error) { return nil, nil }
	}
	return r
}

func modelResource(name string) matrixResource {
	return matrixResource{
		name:  "UpdateModel " + name,
		paths: []string{"/description", "/schema", "/name", "/contentType", "/schema/x"},
		values: map[string][]string{
			"/description": {"new", ""},
			"/schema": {`{"type":"string"}`, "", "{", "[1]", `{"type":"nope"}`, `{"$ref":"https://example.com/x"}`,
				`{"$ref":"https://apigateway.amazonaws.com/restapis/a1/models/Nope"}`, `{"$ref":"https://apigateway.amazonaws.com/restapis/a1/models/Pets"}`},
		},
		get: func(ctx context.Context, s *Service) (any, error) {
			if name == "nope" {
				return nil, nil
			}
			return s.GetModel(ctx, "a1", name)
		},
		update: func(ctx context.Context, s *Service, ops []patch.Op) (any, error) {
			return s.UpdateModel(ctx, "a1", name, ops)
		},
	}
}

func validatorResource(id string) matrixResource {
	return matrixResource{
		name:  "UpdateRequestValidator " + id,
		paths: []string{"/name", "/validateRequestBody", "/validateRequestParameters", "/id", "/name/x"},
		values: map[string][]string{
			"/name":                      {"renamed", "", " "},
			"/validateRequestBody":       {"false", "TRUE", ""},
			"/validateRequestParameters": {"true", "x"},
		},
		get: func(ctx context.Context, s *Service) (any, error) {
			if id == "nope" {
				return nil, nil
			}
			return s.GetRequestValidator(ctx, "a1", id)
		},
		update: func(ctx context.Context, s *Service, ops []patch.Op) (any, error) {
			return s.UpdateRequestValidator(ctx, "a1", id, ops)
		},
	}
}

var (
	petsGET = MethodRef{APIID: "a1", ResourceID: "a1-pets", HTTPMethod: "GET"}
	rootGET = MethodRef{APIID: "a1", ResourceID: "a1-root", HTTPMethod: "GET"}
)

func stageResource(name string) matrixResource {
	return matrixResource{
		name: "UpdateStage " + name,
		paths: []string{
			"/deploymentId", "/description", "/cacheClusterEnabled", "/cacheClusterSize", "/clientCertificateId",
			"/documentationVersion", "/tracingEnabled", "/variables/backend", "/variables/new", "/variables/",
			"/variables", "/variables/a/b", "/accessLogSettings", "/accessLogSettings/format",
			"/accessLogSettings/destinationArn", "/accessLogSettings/x", "/accessLogSettings/format/x",
			"/canarySettings", "/canarySettings/deploymentId", "/canarySettings/percentTraffic",
			"/canarySettings/useStageCache", "/canarySettings/stageVariableOverrides/v1",
			"/canarySettings/stageVariableOverrides", "/canarySettings/badPath",
			"/*/*/metrics/enabled", "/*/*/logging/dataTrace", "/*/*/logging/loglevel",
			"/*/*/throttling/burstLimit", "/*/*/throttling/rateLimit", "/*/*/caching/enabled",
			"/*/*/caching/ttlInSeconds", "/*/*/caching/dataEncrypted",
			"/*/*/caching/requireAuthorizationForCacheControl", "/*/*/caching/unauthorizedCacheControlHeaderStrategy",
			"/~1pets/GET/metrics/enabled", "/pets/GET/throttling/rateLimit", "//GET/throttling/burstLimit",
			"/~1/GET/caching/enabled", "/GET/metrics/enabled", "/metrics/enabled", "/*/*", "/~1pets/GET",
			"/*/*/logging/level", "/*/*/Throttling/rateLimit", "/tags/tag1", "/description/metrics/enabled",
			"/accessLogSettings/x/metrics/enabled", "/variables/x/metrics/enabled", "/*/", "/*//metrics/enabled",
			"/a~0b/G~1ET/metrics/enabled",
		},
		values: map[string][]string{
			"/deploymentId":                                       {"d2", "nope"},
			"/canarySettings/deploymentId":                        {"d2", "nope"},
			"/cacheClusterEnabled":                                {"true", "yes"},
			"/tracingEnabled":                                     {"TRUE", "false"},
			"/canarySettings/percentTraffic":                      {"50", "101", "x"},
			"/canarySettings/useStageCache":                       {"true"},
			"/accessLogSettings/format":                           {"$context.requestId", ""},
			"/accessLogSettings/destinationArn":                   {"arn:aws:logs:us-east-1:1:log-group:x", ""},
			"/*/*/metrics/enabled":                                {"true"},
			"/*/*/logging/dataTrace":                              {"true"},
			"/*/*/logging/loglevel":                               {"INFO", "DEBUG"},
			"/*/*/throttling/burstLimit":                          {"10", "-1", "-2", "1.5", "x", "2147483648"},
			"/*/*/throttling/rateLimit":                           {"2.5", "-1.000000", "-2", "x"},
			"/*/*/caching/enabled":                                {"true"},
			"/*/*/caching/ttlInSeconds":                           {"60", "3601", "-1"},
			"/*/*/caching/unauthorizedCacheControlHeaderStrategy": {"FAIL_WITH_403", "x"},
			"/~1pets/GET/metrics/enabled":                         {"true"},
			"/pets/GET/throttling/rateLimit":                      {"1"},
			"//GET/throttling/burstLimit":                         {"3"},
		},
		extra: [][]patch.Op{
			{{Op: patch.Copy, Path: "/deploymentId", From: "/canarySettings/deploymentId"}},
			{{Op: patch.Copy, Path: "/variables", From: "/canarySettings/stageVariableOverrides"}},
			{{Op: patch.Copy, Path: "/deploymentId", From: "/canarySettings/percentTraffic"}},
			{{Op: patch.Copy, Path: "/variables", From: "/canarySettings/deploymentId"}},
			{{Op: patch.Copy, Path: "/description", From: "/canarySettings/deploymentId"}},
			{{Op: patch.Copy, Path: "x", From: "/canarySettings/deploymentId"}},
			{{Op: patch.Copy, Path: "", From: "/canarySettings/deploymentId"}},
			{op(patch.Replace, "/canarySettings/stageVariableOverrides/v1", "x"), {Op: patch.Copy, Path: "/variables", From: "/canarySettings/stageVariableOverrides"}},
			{op(patch.Replace, "/canarySettings/stageVariableOverrides/v1", "x"), op(patch.Remove, "/canarySettings/stageVariableOverrides/v1", "")},
			{op(patch.Replace, "/*/*/metrics/enabled", "true"), op(patch.Replace, "/~1pets/GET/throttling/rateLimit", "9")},
			{op(patch.Remove, "/variables/backend", ""), op(patch.Remove, "/*/*", "")},
			{op(patch.Replace, "/description", "one"), op(patch.Replace, "/nope", "two")},
		},
		get: func(ctx context.Context, s *Service) (any, error) {
			st, err := s.GetStage(ctx, "a1", name)
			return st.Stage, err
		},
		update: func(ctx context.Context, s *Service, ops []patch.Op) (any, error) {
			st, err := s.UpdateStage(ctx, "a1", name, ops)
			return st.Stage, err
		},
	}
}

func matrixResources() []matrixResource {
	return []matrixResource{
		{
			name:  "UpdateApiKey",
			paths: []string{"/name", "/description", "/enabled", "/customerId", "/stages", "/labels", "/id", "/value", "/stages/x", "/tags/x"},
			values: map[string][]string{
				"/name":    {"renamed", "", strings.Repeat("n", 1025)},
				"/enabled": {"false", "TRUE", "yes"},
				"/stages":  {"a1/beta", "a1/prod", "a1/nope", "nope/prod", "bad"},
			},
			get: func(ctx context.Context, s *Service) (any, error) {
				k, err := s.GetAPIKey(ctx, "k1", false)
				return k.APIKey, err
			},
			update: func(ctx context.Context, s *Service, ops []patch.Op) (any, error) {
				return s.UpdateAPIKey(ctx, "k1", ops)
			},
		},
		{
			name:   "UpdateDeployment",
			paths:  []string{"/description", "/stageName", "/description/x"},
			values: map[string][]string{"/description": {"new", ""}},
			get: func(ctx context.Context, s *Service) (any, error) {
				return s.GetDeployment(ctx, "a1", "d1")
			},
			update: func(ctx context.Context, s *Service, ops []patch.Op) (any, error) {
				return s.UpdateDeployment(ctx, "a1", "d1", ops)
			},
		},
		{
			name:   "UpdateUsage",
			paths:  []string{"/remaining", "/used", "/remaining/x"},
			values: map[string][]string{"/remaining": {"5", "-1", "abc", "1.5", "7.000000"}},
			get: func(ctx context.Context, s *Service) (any, error) {
				return nil, nil
			},
			update: func(ctx context.Context, s *Service, ops []patch.Op) (any, error) {
				return s.UpdateUsage(ctx, "p1", "k1", ops)
			},
		},
		{
			name:   "UpdateResource {id}",
			paths:  []string{"/pathPart", "/parentId", "/path", "/id", "/pathPart/x"},
			values: map[string][]string{"/pathPart": {"{other}", "cats", "", "a b"}, "/parentId": {"a1-root", "a1-id", "nope", "a1-pets"}},
			get: func(ctx context.Context, s *Service) (any, error) {
				return s.GetResource(ctx, "a1", "a1-id")
			},
			update: func(ctx context.Context, s *Service, ops []patch.Op) (any, error) {
				return s.UpdateResource(ctx, "a1", "a1-id", ops)
			},
		},
		{
			name:   "UpdateResource root",
			paths:  []string{"/pathPart", "/parentId"},
			values: map[string][]string{"/parentId": {"a1-pets"}},
			get: func(ctx context.Context, s *Service) (any, error) {
				return s.GetResource(ctx, "a1", "a1-root")
			},
			update: func(ctx context.Context, s *Service, ops []patch.Op) (any, error) {
				return s.UpdateResource(ctx, "a1", "a1-root", ops)
			},
		},
		{
			name: "UpdateRestApi",
			paths: []string{
				"/name", "/description", "/policy", "/apiKeySource", "/disableExecuteApiEndpoint", "/minimumCompressionSize",
				"/binaryMediaTypes/image~1png", "/binaryMediaTypes/text~1csv", "/binaryMediaTypes", "/binaryMediaTypes/",
				"/endpointConfiguration/types/REGIONAL", "/endpointConfiguration/types/EDGE", "/endpointConfiguration/types/0",
				"/endpointConfiguration/types/", "/endpointConfiguration/types", "/endpointConfiguration/types/0/x",
				"/endpointConfiguration/ipAddressType", "/endpointConfiguration/vpcEndpointIds", "/endpointConfiguration",
				"/version", "/tags/x", "/name/x",
			},
			values: map[string][]string{
				"/name":        {"renamed", ""},
				"/description": {"new", ""},
				"/policy": {`{ "Version": "2012-10-17" }`, "", "{",
					`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`,
					`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"execute-api:Invoke","Resource":"*"}]}`,
					`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1"}}}]}`},
				"/apiKeySource":                         {"AUTHORIZER", "HEADER", "QUERY"},
				"/disableExecuteApiEndpoint":            {"true"},
				"/minimumCompressionSize":               {"0", "", "10485761", "-1", "x", "5.000000"},
				"/binaryMediaTypes/image~1png":          {"", "image/gif", "application/octet-stream"},
				"/binaryMediaTypes/text~1csv":           {"", "image/gif", "image/png"},
				"/endpointConfiguration/types/REGIONAL": {"EDGE", "PRIVATE", "BAD"},
				"/endpointConfiguration/types/0":        {"PRIVATE", "EDGE"},
				"/endpointConfiguration/types/EDGE":     {"EDGE"},
				"/endpointConfiguration/ipAddressType":  {"dualstack", "ipv4", "ipv6"},
				"/endpointConfiguration/vpcEndpointIds": {"vpce-1", ""},
			},
			extra: [][]patch.Op{
				{op(patch.Replace, "/endpointConfiguration/types/REGIONAL", "PRIVATE"), op(patch.Replace, "/endpointConfiguration/ipAddressType", "ipv4")},
				{op(patch.Replace, "/endpointConfiguration/ipAddressType", "ipv4"), op(patch.Replace, "/endpointConfiguration/types/REGIONAL", "PRIVATE")},
				{op(patch.Add, "/endpointConfiguration/vpcEndpointIds", "vpce-1"), op(patch.Add, "/endpointConfiguration/vpcEndpointIds", "vpce-1"), op(patch.Remove, "/endpointConfiguration/vpcEndpointIds", "vpce-2")},
				{op(patch.Remove, "/binaryMediaTypes/image~1png", ""), op(patch.Remove, "/binaryMediaTypes/application~1octet-stream", "")},
			},
			get: func(ctx context.Context, s *Service) (any, error) {
				return s.GetRestAPI(ctx, "a1")
			},
			update: func(ctx context.Context, s *Service, ops []patch.Op) (any, error) {
				return s.UpdateRestAPI(ctx, "a1", ops)
			},
		},
		stageResource("prod"),
		stageResource("beta"),
		authorizerResource("au1"),
		authorizerResource("au2"),
		authorizerResource("au3"),
		authorizerResource("nope"),
		modelResource("Pet"),
		modelResource("nope"),
		validatorResource("rv1"),
		validatorResource("nope"),
		{
			name: "UpdateMethod",
			paths: []string{
				"/authorizationType", "/authorizerId", "/apiKeyRequired", "/operationName", "/requestValidatorId",
				"/requestParameters/method.request.querystring.page", "/requestParameters/method.request.header.X-A",
				"/requestParameters/bad", "/requestParameters/", "/requestParameters",
				"/requestModels/application~1json", "/requestModels/", "/authorizationScopes", "/httpMethod",
			},
			values: map[string][]string{
				"/authorizationType":                           {"AWS_IAM", "CUSTOM", "BAD"},
				"/apiKeyRequired":                              {"false", "True"},
				"/requestValidatorId":                          {"", "rv1", "nope"},
				"/requestModels/application~1json":             {"Pet", "v"},
				"/requestParameters/method.request.header.X-A": {"true"},
				"/authorizationScopes":                         {"read", ""},
			},
			extra: [][]patch.Op{
				{op(patch.Add, "/requestParameters/method.request.querystring.x", "true"), op(patch.Add, "/requestParameters/method.request.path.x", "true")},
				{op(patch.Add, "/authorizationScopes", "a"), op(patch.Add, "/authorizationScopes", "a"), op(patch.Remove, "/authorizationScopes", "b")},
				{op(patch.Replace, "/authorizerId", "au1"), op(patch.Replace, "/authorizationType", "NONE")},
				{op(patch.Replace, "/authorizationType", "custom"), op(patch.Replace, "/authorizerId", "au1")},
				{op(patch.Replace, "/authorizationType", "CUSTOM"), op(patch.Replace, "/authorizerId", "au2")},
				{op(patch.Replace, "/authorizationType", "CUSTOM"), op(patch.Replace, "/authorizerId", "au3")},
				{op(patch.Replace, "/authorizationType", "CUSTOM"), op(patch.Replace, "/authorizerId", "nope")},
				{op(patch.Replace, "/authorizationType", "COGNITO_USER_POOLS"), op(patch.Replace, "/authorizerId", "au3")},
				{op(patch.Replace, "/authorizationType", "COGNITO_USER_POOLS"), op(patch.Replace, "/authorizerId", "au1")},
				{op(patch.Replace, "/authorizationType", "aws_iam")},
			},
			get: func(ctx context.Context, s *Service) (any, error) {
				return s.GetMethod(ctx, petsGET)
			},
			update: func(ctx context.Context, s *Service, ops []patch.Op) (any, error) {
				return s.UpdateMethod(ctx, petsGET, ops)
			},
		},
		{
			name:  "UpdateMethod missing",
			paths: []string{"/operationName"},
			get:   func(ctx context.Context, s *Service) (any, error) { return nil, nil },
			update: func(ctx context.Context, s *Service, ops []patch.Op) (any, error) {
				return s.UpdateMethod(ctx, rootGET, ops)
			},
		},
		methodResponseResource("200"),
		methodResponseResource("404"),
		methodResponseResource("abc"),
		{
			name: "UpdateIntegration",
			paths: []string{
				"/uri", "/httpMethod", "/timeoutInMillis", "/passthroughBehavior", "/contentHandling", "/connectionType",
				"/connectionId", "/cacheNamespace", "/credentials", "/tlsConfig/insecureSkipVerification", "/tlsConfig",
				"/requestParameters/integration.request.header.x", "/requestParameters/", "/requestTemplates/application~1json",
				"/cacheKeyParameters/method.request.querystring.page", "/cacheKeyParameters", "/cacheKeyParameters/",
				"/type", "/uri/x",
			},
			values: map[string][]string{
				"/uri":                                {"https://other.example/x", "not a url"},
				"/httpMethod":                         {"POST", ""},
				"/timeoutInMillis":                    {"1000", "10", "x", "2000.000000"},
				"/passthroughBehavior":                {"NEVER", "SOMETIMES"},
				"/contentHandling":                    {"CONVERT_TO_TEXT", "BAD"},
				"/connectionType":                     {"INTERNET", "VPC_LINK"},
				"/tlsConfig/insecureSkipVerification": {"true", "no"},
				"/requestParameters/integration.request.header.x": {"method.request.querystring.page"},
			},
			get: func(ctx context.Context, s *Service) (any, error) {
				return s.GetIntegration(ctx, petsGET)
			},
			update: func(ctx context.Context, s *Service, ops []patch.Op) (any, error) {
				return s.UpdateIntegration(ctx, petsGET, ops)
			},
		},
		integrationResponseResource("200"),
		integrationResponseResource("500"),
		gatewayResponseResource("DEFAULT_4XX"),
		gatewayResponseResource("THROTTLED"),
		gatewayResponseResource("NOT_A_TYPE"),
		{
			name: "UpdateUsagePlan",
			paths: []string{
				"/name", "/description", "/productCode", "/throttle", "/throttle/rateLimit", "/throttle/burstLimit",
				"/throttle/x", "/quota", "/quota/limit", "/quota/offset", "/quota/period", "/quota/x", "/apiStages",
				"/apiStages/a1:prod/throttle", "/apiStages/a1:prod/throttle/~1pets/GET",
				"/apiStages/a1:prod/throttle/~1pets/GET/rateLimit", "/apiStages/a1:prod/throttle/~1pets/GET/burstLimit",
				"/apiStages/a1:prod/throttle//pets/GET/rateLimit", "/apiStages/a1:prod/throttle/pets/GET/burstLimit",
				"/apiStages/a1:prod/throttle//GET", "/apiStages/a1:prod/throttle///GET/rateLimit",
				"/apiStages/a1:prod/throttle/x/rateLimit", "/apiStages/a1:prod/throttle/x", "/apiStages/a1:prod/throttle/",
				"/apiStages/a1:prod/throttle/~1pets/GET/", "/apiStages/a1:prod/foo", "/apiStages/a1:prod",
				"/apiStages/a1:beta/throttle", "/apiStages/a1:beta/throttle/~1pets/GET/rateLimit", "/apiStages/a1:beta/foo",
				"/apiStages/bad/throttle", "/apiStages/bad/foo", "/apiStages/", "/apiStagesX", "/apiStages/a1~1x:prod/throttle",
			},
			values: map[string][]string{
				"/name":                       {"renamed", ""},
				"/throttle/rateLimit":         {"5", "-1", "x"},
				"/throttle/burstLimit":        {"5", "-1", "2147483648", "2.5"},
				"/quota/limit":                {"10", "-5", "x"},
				"/quota/offset":               {"1", "40"},
				"/quota/period":               {"WEEK", "YEAR"},
				"/apiStages":                  {"a1:beta", "a1:prod", "a1:nope", "bad", ""},
				"/apiStages/a1:prod/throttle": {`{"/pets/GET":{"rateLimit":1,"burstLimit":2}}`, `{"/nope/GET":{}}`, "x", "{}"},
				"/apiStages/a1:prod/throttle/~1pets/GET/rateLimit":  {"3", "-1", "x"},
				"/apiStages/a1:prod/throttle/~1pets/GET/burstLimit": {"3", "-1"},
			},
			get: func(ctx context.Context, s *Service) (any, error) {
				return s.GetUsagePlan(ctx, "p1")
			},
			update: func(ctx context.Context, s *Service, ops []patch.Op) (any, error) {
				return s.UpdateUsagePlan(ctx, "p1", ops)
			},
		},
	}
}

func methodResponseResource(status string) matrixResource {
	r := matrixResource{
		name: "UpdateMethodResponse " + status,
		paths: []string{
			"/responseParameters/method.response.header.X", "/responseModels/application~1json", "/responseModels/text~1plain",
			"/responseParameters", "/responseParameters/", "/statusCode", "/responseModels/a/b",
		},
		get: func(ctx context.Context, s *Service) (any, error) {
			if status != "200" {
				return nil, nil
			}
			return s.GetMethodResponse(ctx, petsGET, status)
		},
		update: func(ctx context.Context, s *Service, ops []patch.Op) (any, error) {
			return s.UpdateMethodResponse(ctx, petsGET, status, ops)
		},
	}
	if status == "abc" { // refused with the ops' validation
		r.paths = r.paths[:1]
	}
	return r
}

func integrationResponseResource(status string) matrixResource {
	return matrixResource{
		name: "UpdateIntegrationResponse " + status,
		paths: []string{
			"/selectionPattern", "/contentHandling", "/responseParameters/method.response.header.X",
			"/responseTemplates/application~1json", "/responseTemplates/plain", "/responseParameters", "/statusCode",
		},
		values: map[string][]string{"/responseTemplates/application~1json": {"{}", ""}},
		get: func(ctx context.Context, s *Service) (any, error) {
			if status != "200" {
				return nil, nil
			}
			return s.GetIntegrationResponse(ctx, petsGET, status)
		},
		update: func(ctx context.Context, s *Service, ops []patch.Op) (any, error) {
			return s.UpdateIntegrationResponse(ctx, petsGET, status, ops)
		},
	}
}

func gatewayResponseResource(typ string) matrixResource {
	r := matrixResource{
		name: "UpdateGatewayResponse " + typ,
		paths: []string{
			"/statusCode", "/responseParameters/gatewayresponse.header.x-err", "/responseParameters/gatewayresponse.header.new",
			"/responseTemplates/application~1json", "/responseTemplates/text~1plain", "/responseParameters", "/responseTemplates/",
			"/responseType",
		},
		values: map[string][]string{
			"/statusCode": {"401", "abc", ""},
			"/responseParameters/gatewayresponse.header.new": {"'x'", ""},
		},
		get: func(ctx context.Context, s *Service) (any, error) {
			if typ == "NOT_A_TYPE" {
				return nil, nil
			}
			return s.GetGatewayResponse(ctx, "a1", typ)
		},
		update: func(ctx context.Context, s *Service, ops []patch.Op) (any, error) {
			return s.UpdateGatewayResponse(ctx, "a1", typ, ops)
		},
	}
	if typ == "NOT_A_TYPE" { // refused before any op is read
		r.paths, r.values = []string{"/statusCode"}, nil
	}
	return r
}

var kindNames = map[Kind]string{
	KindInternal: "Internal", KindBadRequest: "BadRequest", KindValidation: "Validation", KindSerialization: "Serialization",
	KindNotFound: "NotFound", KindConflict: "Conflict", KindLimitExceeded: "LimitExceeded",
	KindTooManyRequests: "TooManyRequests", KindUnauthorized: "Unauthorized", KindServiceUnavailable: "ServiceUnavailable",
}

// fieldChanges lists the fields (leaves, by dotted path) that differ
// between before and after as "path=json", sorted; a field that
// disappeared shows as null. Arrays are compared whole.
func fieldChanges(t *testing.T, before, after any) string {
	t.Helper()
	leaves := func(v any) map[string]string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var tree any
		if err := json.Unmarshal(b, &tree); err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		var walk func(prefix string, v any)
		walk = func(prefix string, v any) {
			if m, ok := v.(map[string]any); ok && len(m) > 0 {
				for k, c := range m {
					walk(strings.TrimPrefix(prefix+"."+k, "."), c)
				}
				return
			}
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			out[prefix] = string(b)
		}
		if tree != nil {
			walk("", tree)
		}
		return out
	}
	b, a := leaves(before), leaves(after)
	var out []string
	for k, v := range a {
		if b[k] != v {
			out = append(out, k+"="+v)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k+"=null")
		}
	}
	slices.Sort(out)
	if len(out) == 0 {
		return "no change"
	}
	return strings.Join(out, " ")
}

// shortValue quotes a value, eliding the middle of a long one.
func shortValue(v string) string {
	if len(v) > 60 {
		return strconv.Quote(v[:20]) + fmt.Sprintf("...(%d bytes)", len(v))
	}
	return strconv.Quote(v)
}

func describeOps(ops []patch.Op) string {
	parts := make([]string, len(ops))
	for i, o := range ops {
		s := fmt.Sprintf("%s %s %s", strconv.Quote(o.Op), strconv.Quote(o.Path), shortValue(o.Value))
		if o.From != "" {
			s += " from " + strconv.Quote(o.From)
		}
		parts[i] = s
	}
	return strings.Join(parts, "; ")
}

// stagePathList is the list *patch.MethodSettingPathError prints.
var stagePathList = strings.TrimPrefix((&patch.MethodSettingPathError{}).Error(), "Invalid method setting path: . Must be one of: ")

func TestPatchMatrix(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "matrix.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	keys, err := secret.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	s := New(Options{Store: db, Keys: keys, Now: func() time.Time { return now }})
	if err := db.Update(ctx, func(tx store.Tx) error { return matrixFixture(ctx, tx, true) }); err != nil {
		t.Fatal(err)
	}

	var out bytes.Buffer
	// A refused update writes nothing, so the fixture is rewritten only
	// after one that succeeded.
	dirty := false
	reset := func() {
		if dirty {
			if err := db.Update(ctx, func(tx store.Tx) error { return matrixFixture(ctx, tx, false) }); err != nil {
				t.Fatal(err)
			}
			dirty = false
		}
	}
	var before any
	run := func(r matrixResource, ops []patch.Op) {
		reset()
		after, err := r.update(ctx, s, ops)
		dirty = err == nil
		result := ""
		if err != nil {
			// The Stage's long list of paths is pinned in package patch.
			msg := strings.ReplaceAll(err.Error(), stagePathList, "[<stage paths>]")
			result = fmt.Sprintf("%s: %s", kindNames[KindOf(err)], msg)
		} else {
			result = "ok " + fieldChanges(t, before, after)
		}
		fmt.Fprintf(&out, "%s | %s | %s\n", r.name, describeOps(ops), result)
	}
	for _, r := range matrixResources() {
		reset()
		var err error
		if before, err = r.get(ctx, s); err != nil {
			t.Fatalf("%s: reading the fixture: %v", r.name, err)
		}
		paths := append(slices.Clone(r.paths), commonBadPaths...)
		for _, path := range paths {
			values := r.values[path]
			if values == nil {
				values = []string{"v"}
			}
			for _, o := range matrixOps {
				for _, v := range values {
					run(r, []patch.Op{op(o, path, v)})
				}
			}
		}
		for _, ops := range r.extra {
			run(r, ops)
		}
	}

	path := filepath.Join("testdata", "patch-matrix.golden")
	if *updateGolden {
		if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (go test -run TestPatchMatrix -update creates it): %v", err)
	}
	if got := out.Bytes(); !bytes.Equal(got, want) {
		gotLines, wantLines := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		shown := 0
		for i := 0; i < max(len(gotLines), len(wantLines)) && shown < 20; i++ {
			var g, w string
			if i < len(gotLines) {
				g = gotLines[i]
			}
			if i < len(wantLines) {
				w = wantLines[i]
			}
			if g != w {
				t.Errorf("line %d:\n got: %s\nwant: %s", i+1, g, w)
				shown++
			}
		}
	}
}
