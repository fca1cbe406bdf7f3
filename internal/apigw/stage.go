package apigw

import "time"

// Stage is a named, callable reference to one deployment of an API.
type Stage struct {
	APIID                string
	Name                 string
	DeploymentID         string
	Description          string
	ClientCertificateID  string
	CacheClusterEnabled  bool
	CacheClusterSize     string
	CacheClusterStatus   string
	MethodSettings       map[string]*MethodSetting // key as stored: "*/*", "~1pets/GET", …
	Variables            map[string]string
	DocumentationVersion string
	AccessLogSettings    *AccessLogSettings
	CanarySettings       *CanarySettings
	TracingEnabled       bool
	Tags                 map[string]string
	CreatedDate          time.Time
	LastUpdatedDate      time.Time
}

// MethodSetting is a stage's per-method (or "*/*" default) setting.
type MethodSetting struct {
	MetricsEnabled                         bool
	LoggingLevel                           string
	DataTraceEnabled                       bool
	ThrottlingBurstLimit                   int
	ThrottlingRateLimit                    float64
	CachingEnabled                         bool
	CacheTTLInSeconds                      int
	CacheDataEncrypted                     bool
	RequireAuthorizationForCacheControl    bool
	UnauthorizedCacheControlHeaderStrategy string
}

// Account-level throttle defaults (AWS's per-region account limits), which
// also seed a new method setting's throttling fields.
const (
	AccountBurstLimit = 5000
	AccountRateLimit  = 10000.0
)

// DefaultMethodSetting is what AWS fills in when a method setting is first created.
func DefaultMethodSetting() MethodSetting {
	return MethodSetting{
		ThrottlingBurstLimit:                   AccountBurstLimit,
		ThrottlingRateLimit:                    AccountRateLimit,
		CacheTTLInSeconds:                      300,
		RequireAuthorizationForCacheControl:    true,
		UnauthorizedCacheControlHeaderStrategy: "SUCCEED_WITH_RESPONSE_HEADER",
	}
}

// AccessLogSettings configures a stage's access log.
type AccessLogSettings struct {
	Format         string
	DestinationARN string
}

// CanarySettings configures a stage's canary release: PercentTraffic of
// the stage's requests are served by DeploymentID, with the stage's
// variables merged with StageVariableOverrides.
type CanarySettings struct {
	DeploymentID           string
	PercentTraffic         float64
	StageVariableOverrides map[string]string
	UseStageCache          bool
}

// ServedDeployments returns the deployment ids a stage serves: its own and,
// with a canary, the canary's (when it differs and is not "").
func (st *Stage) ServedDeployments() []string {
	if c := st.CanarySettings; c != nil && c.DeploymentID != "" && c.DeploymentID != st.DeploymentID {
		return []string{st.DeploymentID, c.DeploymentID}
	}
	return []string{st.DeploymentID}
}
