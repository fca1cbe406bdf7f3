package patch

import (
	"strings"

	"github.com/gatehouse-dev/gatehouse/internal/respath"
)

// MethodSettingPath is a Stage patch path that addresses methodSettings.
//
// Key is the methodSettings map key exactly as the client wrote it (AWS stores
// it verbatim): "*/*", "~1pets/GET", "path1/path2/GET". Group and Setting name
// one field, e.g. "throttling" and "rateLimit"; both are empty for the
// whole-setting form ("/*/*"), which AWS accepts only with op remove.
type MethodSettingPath struct {
	Key, Group, Setting string
}

// methodSettings lists the {group}/{setting} suffixes AWS documents for
// UpdateStage; names are case-sensitive.
var methodSettings = map[string]bool{
	"metrics/enabled":                                true,
	"logging/dataTrace":                              true,
	"logging/loglevel":                               true,
	"throttling/burstLimit":                          true,
	"throttling/rateLimit":                           true,
	"caching/enabled":                                true,
	"caching/ttlInSeconds":                           true,
	"caching/dataEncrypted":                          true,
	"caching/requireAuthorizationForCacheControl":    true,
	"caching/unauthorizedCacheControlHeaderStrategy": true,
}

// ParseMethodSettingPath parses a Stage patch path "/{methodKey}/{group}/{setting}"
// from the right, because clients disagree on escaping the resource path:
//
//	"/*/*/throttling/rateLimit"         -> {"*/*", "throttling", "rateLimit"}
//	"/~1pets/GET/logging/loglevel"      -> {"~1pets/GET", "logging", "loglevel"}
//	"/path1/path2/GET/metrics/enabled"  -> {"path1/path2/GET", "metrics", "enabled"} (Terraform)
//	"/*/*"                              -> {"*/*", "", ""} (whole setting, for remove)
//
// When the last two segments are not a documented {group}/{setting} pair the
// whole path (without the leading "/") is taken as the key with an empty
// Group, so "/*/*/logging/level" yields key "*/*/logging/level"; the caller
// refuses that for any op but remove. A key must be "{resource}/{method}" with
// a non-empty method segment, so "/GET/metrics/enabled" is refused. Callers must handle the Stage's own members
// (/description, /variables/..., /accessLogSettings/..., ...) first: this
// function does not know them. Failures are *MethodSettingPathError.
func ParseMethodSettingPath(path string) (MethodSettingPath, error) {
	if path == "" || path[0] != '/' {
		return MethodSettingPath{}, &MethodSettingPathError{Path: path}
	}
	rest := path[1:]
	if methodSettings[rest] { // a setting with no method key at all
		return MethodSettingPath{}, &MethodSettingPathError{Path: path}
	}
	if i := strings.LastIndexByte(rest, '/'); i >= 0 {
		if j := strings.LastIndexByte(rest[:i], '/'); j >= 0 && methodSettings[rest[j+1:]] {
			key := rest[:j]
			if !validMethodKey(key) {
				return MethodSettingPath{}, &MethodSettingPathError{Path: path}
			}
			return MethodSettingPath{Key: key, Group: rest[j+1 : i], Setting: rest[i+1:]}, nil
		}
	}
	if !validMethodKey(rest) {
		return MethodSettingPath{}, &MethodSettingPathError{Path: path}
	}
	return MethodSettingPath{Key: rest}, nil
}

// validMethodKey reports whether key has the "{resource}/{method}" shape with a
// non-empty method.
func validMethodKey(key string) bool {
	_, _, ok := respath.SplitMethodKey(key)
	return ok
}
