package patch

import "testing"

func TestErrorMessages(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{
			name: "bad path with allowed list (recorded, double space)",
			err:  &BadPathError{Op: Replace, Path: "/id", Allowed: []string{"/description", "/enabled", "/name", "/customerId"}},
			want: "Invalid patch path  '/id' specified for op 'replace'. Must be one of: [/description, /enabled, /name, /customerId]",
		},
		{
			name: "bad op for known path (recorded)",
			err:  &BadPathError{Op: Add, Path: "/pathPart", ChooseOp: true},
			want: "Invalid patch path  '/pathPart' specified for op 'add'. Please choose supported operations",
		},
		{
			name: "plain bad path (recorded)",
			err:  &BadPathError{Op: Add, Path: "/wrongPath"},
			want: "Invalid patch path /wrongPath",
		},
		{
			name: "missing path (recorded)",
			err:  &BadPathError{Op: Add},
			want: "Invalid patch path null",
		},
		{
			name: "unsupported op list form (recorded)",
			err:  &UnsupportedOpError{Op: Add, Path: "/minimumCompressionSize", Allowed: []string{Replace}},
			want: "Invalid patch operation specified. Must be one of: [replace]",
		},
		{
			name: "unsupported op quoted form (recorded)",
			err:  &UnsupportedOpError{Op: Copy, Path: "/endpointConfiguration/types/EDGE", Allowed: []string{Add, Remove, Replace}, Quoted: true},
			want: "Invalid patch operation specified. Must be 'add'|'remove'|'replace'",
		},
		{
			name: "stage method setting path (recorded)",
			err:  &MethodSettingPathError{Path: "/tags/tag1"},
			want: "Invalid method setting path: /tags/tag1. Must be one of: [/deploymentId, /description, /cacheClusterEnabled, /cacheClusterSize, /clientCertificateId, /accessLogSettings, /accessLogSettings/destinationArn, /accessLogSettings/format, /{resourcePath}/{httpMethod}/metrics/enabled, /{resourcePath}/{httpMethod}/logging/dataTrace, /{resourcePath}/{httpMethod}/logging/loglevel, /{resourcePath}/{httpMethod}/throttling/burstLimit/{resourcePath}/{httpMethod}/throttling/rateLimit/{resourcePath}/{httpMethod}/caching/ttlInSeconds, /{resourcePath}/{httpMethod}/caching/enabled, /{resourcePath}/{httpMethod}/caching/dataEncrypted, /{resourcePath}/{httpMethod}/caching/requireAuthorizationForCacheControl, /{resourcePath}/{httpMethod}/caching/unauthorizedCacheControlHeaderStrategy, /*/*/metrics/enabled, /*/*/logging/dataTrace, /*/*/logging/loglevel, /*/*/throttling/burstLimit /*/*/throttling/rateLimit /*/*/caching/ttlInSeconds, /*/*/caching/enabled, /*/*/caching/dataEncrypted, /*/*/caching/requireAuthorizationForCacheControl, /*/*/caching/unauthorizedCacheControlHeaderStrategy, /variables/{variable_name}, /tracingEnabled]",
		},
		{
			name: "api stage (recorded)",
			err:  &APIStageError{Value: "nocolon"},
			want: "Invalid API Stage specified",
		},
		{
			name: "value",
			err:  &ValueError{Path: "/throttle/rateLimit", Value: "abc", Want: "must be a number"},
			want: `Invalid value "abc" for /throttle/rateLimit: must be a number`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error():\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}
