package apigw

import "time"

// API key sources (RestAPI.APIKeySource).
const (
	KeySourceHeader     = "HEADER"
	KeySourceAuthorizer = "AUTHORIZER"
)

// Endpoint types (EndpointConfiguration.Types).
const (
	EndpointEdge     = "EDGE"
	EndpointRegional = "REGIONAL"
	EndpointPrivate  = "PRIVATE"
)

// RestAPI is a REST API: its settings and its live (undeployed) definition.
// The definition (resources, methods, integrations) is what a deployment
// snapshots; callers are served from deployments, never from this struct.
type RestAPI struct {
	ID                        string
	Name                      string
	Description               string
	Version                   string
	CreatedDate               time.Time
	BinaryMediaTypes          []string
	MinimumCompressionSize    *int
	APIKeySource              string
	EndpointConfiguration     EndpointConfiguration
	Policy                    string // minified JSON text, "" when none
	DisableExecuteAPIEndpoint bool
	Tags                      map[string]string
	RootResourceID            string

	// Resources is the resource tree, indexed by resource id. The root
	// resource has an empty ParentID and PathPart.
	Resources map[string]*Resource

	// GatewayResponses holds the customised gateway responses by type.
	// Uncustomised types are not stored; DefaultGatewayResponse supplies them.
	GatewayResponses map[string]*GatewayResponse

	// Authorizers holds the API's authorizers by id.
	Authorizers map[string]*Authorizer

	// Models holds the API's models by id (names are unique per API).
	Models map[string]*Model
	// RequestValidators holds the API's request validators by id.
	RequestValidators map[string]*RequestValidator

	// DocumentationParts holds the API's documentation parts by id, and
	// DocumentationVersions its documentation versions by version.
	DocumentationParts    map[string]*DocumentationPart
	DocumentationVersions map[string]*DocumentationVersion
}

// EndpointConfiguration says how the API is reachable.
type EndpointConfiguration struct {
	Types          []string
	IPAddressType  string
	VPCEndpointIDs []string
}

// Resource is one node of an API's resource tree.
type Resource struct {
	ID       string
	ParentID string
	PathPart string
	// Methods by HTTP method (GET, POST, …, ANY).
	Methods map[string]*Method
}

// HTTP methods API Gateway accepts for a method.
var HTTPMethods = []string{"GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS", "HEAD", "ANY"}

// Authorization types.
const (
	AuthNone    = "NONE"
	AuthIAM     = "AWS_IAM"
	AuthCustom  = "CUSTOM"
	AuthCognito = "COGNITO_USER_POOLS"
)

// Method is an HTTP method on a resource.
type Method struct {
	HTTPMethod          string
	AuthorizationType   string
	AuthorizerID        string
	APIKeyRequired      bool
	OperationName       string
	RequestParameters   map[string]bool
	RequestModels       map[string]string
	RequestValidatorID  string
	AuthorizationScopes []string
	MethodResponses     map[string]*MethodResponse
	Integration         *Integration
}

// MethodResponse declares a status code a method may answer with.
type MethodResponse struct {
	StatusCode         string
	ResponseParameters map[string]bool
	ResponseModels     map[string]string
}

// Integration types.
const (
	IntegrationMock      = "MOCK"
	IntegrationHTTP      = "HTTP"
	IntegrationHTTPProxy = "HTTP_PROXY"
	IntegrationAWS       = "AWS"
	IntegrationAWSProxy  = "AWS_PROXY"
)

// DefaultIntegrationTimeout is AWS's default and maximum timeoutInMillis.
const DefaultIntegrationTimeout = 29000

// Integration is the backend a method calls.
type Integration struct {
	Type                  string
	HTTPMethod            string
	URI                   string
	ConnectionType        string
	ConnectionID          string
	Credentials           string
	RequestParameters     map[string]string
	RequestTemplates      map[string]string
	PassthroughBehavior   string
	CacheNamespace        string
	CacheKeyParameters    []string
	ContentHandling       string
	TimeoutInMillis       int
	TLSInsecureSkipVerify *bool
	IntegrationResponses  map[string]*IntegrationResponse
}

// IntegrationResponse maps an integration's answer to a method response.
type IntegrationResponse struct {
	StatusCode       string
	SelectionPattern string
	// SelectionPatternSet records that the caller sent selectionPattern,
	// possibly "": AWS keeps an empty pattern and returns it as "", and
	// leaves the field out when none was sent.
	SelectionPatternSet bool
	ResponseParameters  map[string]string
	ResponseTemplates   map[string]string
	ContentHandling     string
}

// Deployment is an immutable snapshot of an API's definition.
type Deployment struct {
	ID          string
	APIID       string
	Description string
	CreatedDate time.Time
	// Snapshot is the API definition as it was when the deployment was made.
	Snapshot Snapshot
}

// Snapshot is the deployable part of an API: what a stage serves.
type Snapshot struct {
	APIKeySource     string
	BinaryMediaTypes []string
	RootResourceID   string
	Resources        map[string]*Resource
	// Authorizers are the API's authorizers as they were at deployment
	// (methods with authorizationType CUSTOM name one by AuthorizerID).
	Authorizers map[string]*Authorizer
	// Models and RequestValidators are the API's as they were at
	// deployment: methods name a validator by RequestValidatorID and
	// models by name in RequestModels.
	Models            map[string]*Model
	RequestValidators map[string]*RequestValidator
	// MinimumCompressionSize is the API's at deployment (nil: responses
	// are not compressed).
	MinimumCompressionSize *int
	// Policy is the API's resource policy (minified JSON, "" for none) as
	// it was at deployment: as on AWS, a changed policy takes effect when
	// the API is deployed again.
	Policy string
}
