package gateway

import (
	"strings"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/gateway/state"
)

// invokeTarget is what an invoke URL addresses.
type invokeTarget struct {
	apiID string
	stage string
	// path is the resource path part, still escaped, starting with "/".
	path string
	// domain is the custom domain the Host names (nil: an id-based URL).
	domain *state.Domain
}

// apiIDHeader names the API for the /{stage}/{path} form (and for private
// APIs on AWS).
const apiIDHeader = "X-Apigw-Api-Id"

// parseInvoke reads an invoke URL in any of its three forms:
//
//	/restapis/{apiId}/{stage}/_user_request_/{path}
//	Host {apiId}.execute-api.<domain>, path /{stage}/{path}
//	/{stage}/{path} with header x-apigw-api-id: {apiId}
//
// host is the Host header, escapedPath the request's escaped path and
// header the x-apigw-api-id value ("" when absent). It allocates nothing.
func parseInvoke(host, escapedPath, header string) (invokeTarget, Reason, string) {
	var t invokeTarget
	rest := escapedPath
	switch {
	case strings.HasPrefix(escapedPath, "/restapis/"):
		r := escapedPath[len("/restapis/"):]
		id, r, _ := strings.Cut(r, "/")
		if id == "" {
			return t, ReasonNoAPI, "the path /restapis/ names no API id"
		}
		t.apiID = id
		stage, r, _ := strings.Cut(r, "/")
		if stage == "" {
			return t, ReasonNoStage, "the path names no stage: invoke /restapis/{apiId}/{stage}/_user_request_/{path}"
		}
		t.stage = stage
		const marker = "_user_request_"
		if !strings.HasPrefix(r, marker) || (len(r) > len(marker) && r[len(marker)] != '/') {
			return t, ReasonUnknownRoute, "a /restapis/ invoke URL needs /_user_request_ after the stage"
		}
		t.path = r[len(marker):]
		if t.path == "" {
			t.path = "/"
		}
	default:
		if id, ok := hostAPIID(host); ok {
			t.apiID = id
		} else if header != "" {
			t.apiID = header
		} else {
			return t, ReasonNoAPI, "no API id: use host {apiId}.execute-api.<domain>, the path /restapis/{apiId}/{stage}/_user_request_/…, or the x-apigw-api-id header"
		}
		if len(rest) < 2 || rest[0] != '/' {
			return t, ReasonNoStage, "the URL has no stage: the path must start with /{stage}/"
		}
		stage, r, found := strings.Cut(rest[1:], "/")
		if stage == "" {
			return t, ReasonNoStage, "the URL has no stage: the path must start with /{stage}/"
		}
		t.stage = stage
		if found {
			t.path = rest[1+len(stage):]
		} else {
			t.path = "/"
		}
		_ = r
	}
	if header != "" && header != t.apiID {
		return t, ReasonAPIHeaderMismatch, "the x-apigw-api-id header names API " + header + " but the URL names API " + t.apiID
	}
	return t, "", ""
}

// hostAPIID extracts {apiId} from a host {apiId}.execute-api.<domain>[:port].
func hostAPIID(host string) (string, bool) {
	id, rest, ok := strings.Cut(host, ".")
	if !ok || id == "" || !strings.HasPrefix(rest, "execute-api.") {
		return "", false
	}
	return id, true
}

// domainInvoke reads a request to a custom domain: the longest base path
// mapping whose base path starts the path names the API and the stage (or,
// for a mapping without a stage, the next path segment names the stage).
// It allocates nothing.
func domainInvoke(d *state.Domain, escapedPath string) (invokeTarget, Reason, string) {
	t := invokeTarget{domain: d}
	m, rest, ok := d.Match(escapedPath)
	if !ok {
		return t, ReasonNoBasePathMapping, "no base path mapping of the custom domain " + d.Name + " matches the path " + quote(escapedPath)
	}
	t.apiID = m.RestAPIID
	if m.Stage != "" {
		t.stage, t.path = m.Stage, rest
		return t, "", ""
	}
	stage, r, found := strings.Cut(rest[1:], "/")
	if stage == "" {
		return t, ReasonNoStage, "the base path mapping " + quote(apigw.WireBasePath(m.BasePath)) + " of the custom domain " + d.Name + " names no stage, so the path must go on with /{stage}/"
	}
	t.stage, t.path = stage, "/"
	if found {
		t.path = rest[1+len(stage):]
	}
	_ = r
	return t, "", ""
}
