package awsapi

import (
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/control"
)

var restWireTime = time.Date(2025, 7, 4, 9, 55, 21, 0, time.UTC)

func wireMethod() *apigw.Method {
	skip := true
	return &apigw.Method{
		HTTPMethod:        "GET",
		AuthorizationType: "NONE",
		RequestParameters: map[string]bool{"method.request.path.id": true},
		MethodResponses: map[string]*apigw.MethodResponse{
			"200": {StatusCode: "200", ResponseParameters: map[string]bool{}, ResponseModels: map[string]string{"application/json": "Empty"}},
		},
		Integration: &apigw.Integration{
			Type: "HTTP_PROXY", HTTPMethod: "ANY", URI: "http://${stageVariables.host}/pets/{id}", ConnectionType: "INTERNET",
			RequestParameters:   map[string]string{"integration.request.path.id": "method.request.path.id"},
			PassthroughBehavior: "WHEN_NO_MATCH", CacheNamespace: "abc123", TimeoutInMillis: 29000, TLSInsecureSkipVerify: &skip,
			IntegrationResponses: map[string]*apigw.IntegrationResponse{
				"200": {StatusCode: "200", SelectionPattern: `2\d{2}`, ResponseTemplates: map[string]string{"application/json": "", "text/plain": "ok"}},
			},
		},
	}
}

func TestRestAPIWire(t *testing.T) {
	size := 1024
	api := &apigw.RestAPI{
		ID: "a1b2c3d4e5", Name: "pets", Description: "the pets API", Version: "v1", CreatedDate: restWireTime,
		BinaryMediaTypes: []string{"image/png"}, MinimumCompressionSize: &size, APIKeySource: "HEADER",
		EndpointConfiguration: apigw.EndpointConfiguration{Types: []string{"EDGE"}, IPAddressType: "ipv4"},
		Policy:                `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"*"}]}`,
		Tags:                  map[string]string{"team": "a"}, RootResourceID: "r00tr00t00",
	}
	goldenJSON(t, "RestApi", toRestAPIJSON(api, false))
	bare := &apigw.RestAPI{ID: "a1b2c3d4e5", Name: "bare", CreatedDate: restWireTime, APIKeySource: "HEADER",
		EndpointConfiguration: apigw.EndpointConfiguration{Types: []string{"EDGE"}, IPAddressType: "ipv4"}, RootResourceID: "r00tr00t00"}
	goldenJSON(t, "RestApiUpdateNoTags", toRestAPIJSON(bare, true))
}

func TestResourceWire(t *testing.T) {
	res := &apigw.Resource{ID: "abc123", ParentID: "r00tr00t00", PathPart: "{id}", Methods: map[string]*apigw.Method{"GET": wireMethod()}}
	goldenJSON(t, "Resource", toResourceJSON(control.ResourceInfo{Resource: res, Path: "/pets/{id}"}, false))
	goldenJSON(t, "ResourceEmbedMethods", toResourceJSON(control.ResourceInfo{Resource: res, Path: "/pets/{id}"}, true))
	goldenJSON(t, "ResourceRoot", toResourceJSON(control.ResourceInfo{Resource: &apigw.Resource{ID: "r00tr00t00"}, Path: "/"}, false))
}

func TestMethodWire(t *testing.T) {
	m := wireMethod()
	goldenJSON(t, "Method", toMethodJSON(m))
	goldenJSON(t, "MethodMinimal", toMethodJSON(&apigw.Method{HTTPMethod: "ANY", AuthorizationType: "NONE"}))
	goldenJSON(t, "MethodResponse", toMethodResponseJSON(m.MethodResponses["200"]))
	goldenJSON(t, "Integration", toIntegrationJSON(m.Integration))
	goldenJSON(t, "IntegrationMock", toIntegrationJSON(&apigw.Integration{Type: "MOCK", PassthroughBehavior: "WHEN_NO_MATCH", CacheNamespace: "abc123",
		TimeoutInMillis: 29000, RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`}}))
	goldenJSON(t, "IntegrationResponse", toIntegrationResponseJSON(m.Integration.IntegrationResponses["200"]))
}

func TestDeploymentWire(t *testing.T) {
	d := &apigw.Deployment{ID: "dep123", APIID: "a1b2c3d4e5", Description: "first", CreatedDate: restWireTime, Snapshot: apigw.Snapshot{
		RootResourceID: "r00tr00t00",
		Resources: map[string]*apigw.Resource{
			"r00tr00t00": {ID: "r00tr00t00", Methods: map[string]*apigw.Method{"GET": {HTTPMethod: "GET", AuthorizationType: "NONE", APIKeyRequired: true}}},
			"abc123":     {ID: "abc123", ParentID: "r00tr00t00", PathPart: "pets", Methods: map[string]*apigw.Method{"POST": {HTTPMethod: "POST", AuthorizationType: "AWS_IAM"}}},
			"def456":     {ID: "def456", ParentID: "abc123", PathPart: "{id}"},
		},
	}}
	goldenJSON(t, "Deployment", toDeploymentJSON(d, false))
	goldenJSON(t, "DeploymentApiSummary", toDeploymentJSON(d, true))
}

func TestStageWire(t *testing.T) {
	def := apigw.DefaultMethodSetting()
	pets := def
	pets.ThrottlingRateLimit = -1
	pets.LoggingLevel = "INFO"
	st := &apigw.Stage{
		APIID: "a1b2c3d4e5", Name: "prod", DeploymentID: "dep123", Description: "production", CacheClusterStatus: "NOT_AVAILABLE",
		MethodSettings:    map[string]*apigw.MethodSetting{"*/*": &def, "~1pets/GET": &pets},
		Variables:         map[string]string{"host": "example.com"},
		AccessLogSettings: &apigw.AccessLogSettings{Format: "$context.requestId", DestinationARN: "arn:aws:logs:us-east-1:000000000000:log-group:x"},
		CanarySettings:    &apigw.CanarySettings{DeploymentID: "dep456", PercentTraffic: 10},
		Tags:              map[string]string{"t": "v"}, CreatedDate: restWireTime, LastUpdatedDate: restWireTime,
	}
	goldenJSON(t, "Stage", toStageJSON(control.StageStatus{Stage: st, APIChangedSinceDeployment: true}))
	fresh := &apigw.Stage{APIID: "a1b2c3d4e5", Name: "dev", DeploymentID: "dep123", CacheClusterStatus: "NOT_AVAILABLE", CreatedDate: restWireTime, LastUpdatedDate: restWireTime}
	goldenJSON(t, "StageNew", toStageJSON(control.StageStatus{Stage: fresh}))
}

func TestGatewayResponseWire(t *testing.T) {
	gr, _ := apigw.EffectiveGatewayResponse(nil, "DEFAULT_4XX")
	goldenJSON(t, "GatewayResponseDefault4XX", toGatewayResponseJSON(&gr))
	custom := &apigw.GatewayResponse{Type: "INVALID_API_KEY", StatusCode: "429", ResponseParameters: map[string]string{"gatewayresponse.header.Retry-After": "'1'"},
		ResponseTemplates: map[string]string{"application/json": apigw.DefaultTemplate}}
	goldenJSON(t, "GatewayResponse", toGatewayResponseJSON(custom))
}

func TestEscapePolicyRoundTrip(t *testing.T) {
	tests := []string{
		`{"Version":"2012-10-17"}`,
		`{"a":"<&>","b":"\u00e9\\"}`,
		``,
	}
	for _, p := range tests {
		esc := escapePolicy(p)
		if got := unescapePolicy(esc); got != p && !(p == "" && got == "") {
			t.Errorf("unescapePolicy(escapePolicy(%q)) = %q", p, got)
		}
		if got := unescapePolicy(p); got != p {
			t.Errorf("unescapePolicy(%q) = %q, want it unchanged", p, got)
		}
	}
}
