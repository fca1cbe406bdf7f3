package storetest

import (
	"crypto/sha256"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
)

// sampleTime is the creation time of every sample; it has nanoseconds and
// a non-UTC zone so that a store that loses either is caught.
var sampleTime = time.Date(2026, 3, 4, 5, 6, 7, 123456789, time.FixedZone("CET", 3600))

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }

// SampleAPI returns a REST API with every kind of field set: a resource
// tree with a method, an integration and responses, gateway responses,
// tags and optional pointers.
func SampleAPI(id string) *apigw.RestAPI {
	root, child := id+"-root", id+"-pets"
	return &apigw.RestAPI{
		ID:                     id,
		Name:                   "api " + id,
		Description:            "sample API " + id,
		Version:                "v1",
		CreatedDate:            sampleTime,
		BinaryMediaTypes:       []string{"image/png", "application/octet-stream"},
		MinimumCompressionSize: ptr(1024),
		APIKeySource:           apigw.KeySourceHeader,
		EndpointConfiguration: apigw.EndpointConfiguration{
			Types:         []string{apigw.EndpointRegional},
			IPAddressType: "ipv4",
		},
		Policy:         `{"Version":"2012-10-17"}`,
		Tags:           map[string]string{"team": "edge", "env": "test"},
		RootResourceID: root,
		Resources:      sampleResources(root, child),
		GatewayResponses: map[string]*apigw.GatewayResponse{
			"DEFAULT_4XX": {
				Type:               "DEFAULT_4XX",
				StatusCode:         "400",
				ResponseParameters: map[string]string{"gatewayresponse.header.x-err": "'1'"},
				ResponseTemplates:  map[string]string{"application/json": `{"m":$context.error.messageString}`},
			},
		},
		DocumentationParts: map[string]*apigw.DocumentationPart{
			"dp1": {ID: "dp1", Location: apigw.DocumentationLocation{Type: "METHOD", Path: "/pets", Method: "GET"}, Properties: `{"description":"lists pets"}`},
		},
		DocumentationVersions: map[string]*apigw.DocumentationVersion{
			"v1": {Version: "v1", Description: "first", CreatedDate: sampleTime, Parts: map[string]*apigw.DocumentationPart{
				"dp1": {ID: "dp1", Location: apigw.DocumentationLocation{Type: "METHOD", Path: "/pets", Method: "GET"}, Properties: `{}`},
			}},
		},
	}
}

// sampleResources returns a two-node resource tree with one method.
func sampleResources(root, child string) map[string]*apigw.Resource {
	return map[string]*apigw.Resource{
		root: {ID: root, Methods: map[string]*apigw.Method{}},
		child: {
			ID:       child,
			ParentID: root,
			PathPart: "pets",
			Methods: map[string]*apigw.Method{
				"GET": {
					HTTPMethod:        "GET",
					AuthorizationType: apigw.AuthNone,
					APIKeyRequired:    true,
					RequestParameters: map[string]bool{"method.request.querystring.page": false},
					MethodResponses: map[string]*apigw.MethodResponse{
						"200": {StatusCode: "200", ResponseModels: map[string]string{"application/json": "Empty"}},
					},
					Integration: &apigw.Integration{
						Type:                  apigw.IntegrationHTTPProxy,
						HTTPMethod:            "GET",
						URI:                   "https://backend.example/pets",
						ConnectionType:        "INTERNET",
						PassthroughBehavior:   "WHEN_NO_MATCH",
						TimeoutInMillis:       apigw.DefaultIntegrationTimeout,
						TLSInsecureSkipVerify: ptr(false),
						CacheKeyParameters:    []string{},
						IntegrationResponses: map[string]*apigw.IntegrationResponse{
							"200": {StatusCode: "200", SelectionPattern: "2\\d{2}"},
						},
					},
				},
			},
		},
	}
}

// SampleDeployment returns a deployment of apiID whose snapshot has a
// resource tree.
func SampleDeployment(apiID, id string) *apigw.Deployment {
	root := apiID + "-root"
	return &apigw.Deployment{
		ID:          id,
		APIID:       apiID,
		Description: "deployment " + id,
		CreatedDate: sampleTime,
		Snapshot: apigw.Snapshot{
			APIKeySource:     apigw.KeySourceHeader,
			BinaryMediaTypes: []string{"image/png"},
			RootResourceID:   root,
			Resources:        sampleResources(root, apiID+"-pets"),
		},
	}
}

// SampleStage returns a stage of apiID serving deploymentID, with method
// settings, variables and access log and canary settings.
func SampleStage(apiID, name, deploymentID string) *apigw.Stage {
	ms := apigw.DefaultMethodSetting()
	return &apigw.Stage{
		APIID:          apiID,
		Name:           name,
		DeploymentID:   deploymentID,
		Description:    "stage " + name,
		MethodSettings: map[string]*apigw.MethodSetting{"*/*": &ms},
		Variables:      map[string]string{"backend": "https://backend.example"},
		AccessLogSettings: &apigw.AccessLogSettings{
			Format:         "$context.requestId",
			DestinationARN: "arn:aws:logs:eu-west-1:123456789012:log-group:gh",
		},
		CanarySettings: &apigw.CanarySettings{
			DeploymentID:   deploymentID,
			PercentTraffic: 12.5,
		},
		TracingEnabled:  true,
		Tags:            map[string]string{"env": name},
		CreatedDate:     sampleTime,
		LastUpdatedDate: sampleTime.Add(time.Hour),
	}
}

// SampleAPIKey returns an enabled API key whose LookupHash (SHA-256 of
// "hash:"+id) and SealedValue are unique to id.
func SampleAPIKey(id string) *apigw.APIKey {
	h := sha256.Sum256([]byte("hash:" + id))
	return &apigw.APIKey{
		ID:              id,
		Name:            "key " + id,
		Description:     "sample key " + id,
		CustomerID:      "customer-" + id,
		Enabled:         true,
		CreatedDate:     sampleTime,
		LastUpdatedDate: sampleTime,
		StageKeys:       []string{"api1/prod"},
		Tags:            map[string]string{"owner": id},
		LookupHash:      h[:],
		SealedValue:     []byte("sealed:" + id),
		Last4:           "abcd",
	}
}

// SampleUsagePlan returns a usage plan with throttle and quota limits on
// the given API stages.
func SampleUsagePlan(id string, stages ...apigw.APIStage) *apigw.UsagePlan {
	return &apigw.UsagePlan{
		ID:          id,
		Name:        "plan " + id,
		Description: "sample plan " + id,
		ProductCode: "prod-" + id,
		APIStages:   stages,
		Throttle:    &apigw.Throttle{BurstLimit: 10, RateLimit: 2.5},
		Quota:       &apigw.Quota{Limit: 1000, Offset: 0, Period: apigw.PeriodMonth},
		Tags:        map[string]string{"tier": "gold"},
	}
}

// SampleAPIStage returns an APIStage of apiID's stage with one per-method
// throttle.
func SampleAPIStage(apiID, stage string) apigw.APIStage {
	return apigw.APIStage{
		APIID:    apiID,
		Stage:    stage,
		Throttle: map[string]apigw.Throttle{"/pets/GET": {BurstLimit: 5, RateLimit: 1.5}},
	}
}
