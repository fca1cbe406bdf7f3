package patch

import (
	"strings"

	"github.com/gatehouse-dev/gatehouse/internal/respath"
)

// PlanStagePath is a UsagePlan patch path under /apiStages.
//
//	"/apiStages"                                      -> {}
//	"/apiStages/a1:prod/throttle"                     -> {APIID:"a1", Stage:"prod", Throttle:true}
//	"/apiStages/a1:prod/throttle/~1pets/GET"          -> {..., MethodKey:"/pets/GET"}
//	"/apiStages/a1:prod/throttle/~1pets/GET/rateLimit" -> {..., MethodKey:"/pets/GET", Field:"rateLimit"}
//
// APIID is empty only for the bare "/apiStages" path. MethodKey is the key AWS
// uses in ApiStage.throttle: resource path + "/" + method, root "//GET".
// Field is "rateLimit", "burstLimit" or empty.
type PlanStagePath struct {
	APIID, Stage string
	Throttle     bool
	MethodKey    string
	Field        string
}

const apiStagesPrefix = "/apiStages"

// ParsePlanStagePath parses a UsagePlan patch path that starts with
// "/apiStages". The method part after ".../throttle/" is
// read from the right and accepts every form clients send: AWS's escaped
// "~1pets/GET", the CLI docs' "/pets/GET" (giving "throttle//pets/GET") and
// Terraform's unescaped "/pets/GET"; a trailing "/rateLimit" or "/burstLimit"
// becomes Field. The resource part is unescaped (~1, ~0), leading and trailing
// "/" are collapsed, and an empty resource means the root, so "~1/GET",
// "//GET" and "/GET" all give MethodKey "//GET". The method segment must be
// non-empty; whether the resource and method exist is the caller's check.
//
// A malformed "{apiId}:{stage}" segment yields *APIStageError; any other
// shape yields *BadPathError naming the path.
func ParsePlanStagePath(path string) (PlanStagePath, error) {
	rest, ok := strings.CutPrefix(path, apiStagesPrefix)
	if !ok {
		return PlanStagePath{}, &BadPathError{Path: path}
	}
	if rest == "" {
		return PlanStagePath{}, nil
	}
	if rest[0] != '/' {
		return PlanStagePath{}, &BadPathError{Path: path}
	}
	rest = rest[1:]
	ref, rest, _ := strings.Cut(rest, "/")
	apiID, stage, err := ParseAPIStage(respath.Unescape(ref))
	if err != nil {
		return PlanStagePath{}, err
	}
	p := PlanStagePath{APIID: apiID, Stage: stage}
	if rest != "throttle" && !strings.HasPrefix(rest, "throttle/") {
		return PlanStagePath{}, &BadPathError{Path: path}
	}
	p.Throttle = true
	rest = strings.TrimPrefix(rest, "throttle")
	if rest == "" {
		return p, nil
	}
	rest = rest[1:] // the "/" after "throttle"
	for _, f := range [...]string{"rateLimit", "burstLimit"} {
		if r, ok := strings.CutSuffix(rest, "/"+f); ok {
			rest, p.Field = r, f
			break
		}
	}
	key, ok := planMethodKey(rest)
	if !ok {
		return PlanStagePath{}, &BadPathError{Path: path}
	}
	p.MethodKey = key
	return p, nil
}

// planMethodKey turns "~1pets/GET", "/pets/GET", "pets/GET" or "//GET" into
// AWS's throttle map key ("/pets/GET", root "//GET"): the whole text is
// unescaped, then split at its last "/" and the resource part cleaned.
func planMethodKey(s string) (string, bool) {
	res, method, ok := respath.SplitMethodKey(respath.Unescape(s))
	if !ok {
		return "", false
	}
	return respath.MethodKey(respath.CleanPath(res), method), true
}

// ParseAPIStage parses a usage plan stage reference "{apiId}:{stageName}".
// Both parts must be non-empty and contain neither ":" nor "/"; otherwise it
// returns *APIStageError ("Invalid API Stage specified").
func ParseAPIStage(v string) (apiID, stage string, err error) {
	apiID, stage, ok := strings.Cut(v, ":")
	if !ok || apiID == "" || stage == "" || strings.ContainsAny(apiID, "/") || strings.ContainsAny(stage, ":/") {
		return "", "", &APIStageError{Value: v}
	}
	return apiID, stage, nil
}
