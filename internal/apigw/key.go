package apigw

import (
	"strings"
	"time"
)

// APIKey is an API key. Its value is never held in plain text at rest:
// LookupHash finds it (a keyed hash) and SealedValue keeps it retrievable
// (AEAD-encrypted); Last4 is what logs and consoles may show.
type APIKey struct {
	ID              string
	Name            string
	Description     string
	CustomerID      string
	Enabled         bool
	CreatedDate     time.Time
	LastUpdatedDate time.Time
	// StageKeys are legacy "{restApiId}/{stageName}" associations.
	StageKeys []string
	Tags      map[string]string

	LookupHash  []byte
	SealedValue []byte
	Last4       string
}

// Redacted is how a key is named wherever its value must not appear:
// its id and the last four characters of its value.
func (k *APIKey) Redacted() string { return k.ID + "…" + k.Last4 }

// Quota periods.
const (
	PeriodDay   = "DAY"
	PeriodWeek  = "WEEK"
	PeriodMonth = "MONTH"
)

// UsagePlan groups API keys with throttle and quota limits on API stages.
type UsagePlan struct {
	ID          string
	Name        string
	Description string
	ProductCode string
	APIStages   []APIStage
	Throttle    *Throttle
	Quota       *Quota
	Tags        map[string]string
}

// APIStage attaches a usage plan to one stage, with optional per-method
// throttles keyed "{resourcePath}/{METHOD}" (root: "//GET").
type APIStage struct {
	APIID    string
	Stage    string
	Throttle map[string]Throttle
}

// Throttle is a token bucket: RateLimit tokens per second, BurstLimit capacity.
type Throttle struct {
	BurstLimit int
	RateLimit  float64
}

// Quota is a number of requests per calendar period (UTC).
type Quota struct {
	Limit  int
	Offset int
	Period string
}

// StageRef is a stage's reference "{restApiId}/{stageName}", the form of
// an API key's StageKeys and of the data plane's stage lookups. API ids
// and stage names hold no "/", so the reference is unambiguous.
func StageRef(apiID, stage string) string { return apiID + "/" + stage }

// ParseStageRef splits a "{restApiId}/{stageName}" reference at its first
// "/"; ok is false when it has none. Either part may be empty: callers
// check that the stage exists.
func ParseStageRef(ref string) (apiID, stage string, ok bool) {
	return strings.Cut(ref, "/")
}
