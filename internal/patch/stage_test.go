package patch

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseMethodSettingPath(t *testing.T) {
	tests := []struct {
		path    string
		want    MethodSettingPath
		wantErr bool
	}{
		{path: "/*/*/throttling/rateLimit", want: MethodSettingPath{"*/*", "throttling", "rateLimit"}},
		{path: "/*/*/throttling/burstLimit", want: MethodSettingPath{"*/*", "throttling", "burstLimit"}},
		{path: "/*/*/metrics/enabled", want: MethodSettingPath{"*/*", "metrics", "enabled"}},
		{path: "/*/*/logging/dataTrace", want: MethodSettingPath{"*/*", "logging", "dataTrace"}},
		{path: "/*/*/caching/ttlInSeconds", want: MethodSettingPath{"*/*", "caching", "ttlInSeconds"}},
		{path: "/*/*/caching/unauthorizedCacheControlHeaderStrategy", want: MethodSettingPath{"*/*", "caching", "unauthorizedCacheControlHeaderStrategy"}},
		{path: "/*/*/caching/requireAuthorizationForCacheControl", want: MethodSettingPath{"*/*", "caching", "requireAuthorizationForCacheControl"}},
		{path: "/*/*/caching/dataEncrypted", want: MethodSettingPath{"*/*", "caching", "dataEncrypted"}},
		{path: "/*/*/caching/enabled", want: MethodSettingPath{"*/*", "caching", "enabled"}},
		// AWS-rec: /test/GET/... is stored as "test/GET".
		{path: "/test/GET/logging/loglevel", want: MethodSettingPath{"test/GET", "logging", "loglevel"}},
		// AWS CLI docs: escaped form kept verbatim.
		{path: "/~1pets/GET/logging/loglevel", want: MethodSettingPath{"~1pets/GET", "logging", "loglevel"}},
		{path: "/~1resourceName/GET/metrics/enabled", want: MethodSettingPath{"~1resourceName/GET", "metrics", "enabled"}},
		// Terraform: unescaped multi-segment method_path.
		{path: "/path1/path2/GET/metrics/enabled", want: MethodSettingPath{"path1/path2/GET", "metrics", "enabled"}},
		{path: "/~1/GET/throttling/rateLimit", want: MethodSettingPath{"~1/GET", "throttling", "rateLimit"}},
		{path: "//GET/throttling/rateLimit", want: MethodSettingPath{"/GET", "throttling", "rateLimit"}},
		// Whole-setting form (remove).
		{path: "/*/*", want: MethodSettingPath{Key: "*/*"}},
		{path: "/~1pets/GET", want: MethodSettingPath{Key: "~1pets/GET"}},
		{path: "/path1/path2/GET", want: MethodSettingPath{Key: "path1/path2/GET"}},
		// AWS-rec: remove of this path answers "Cannot remove method setting canarySettings/badPath ...".
		{path: "/canarySettings/badPath", want: MethodSettingPath{Key: "canarySettings/badPath"}},
		// Unknown setting names are not settings: whole key, caller refuses non-remove ops.
		{path: "/*/*/logging/level", want: MethodSettingPath{Key: "*/*/logging/level"}},
		{path: "/*/*/Throttling/rateLimit", want: MethodSettingPath{Key: "*/*/Throttling/rateLimit"}},
		{path: "/tags/tag1", want: MethodSettingPath{Key: "tags/tag1"}},
		// Refused.
		{path: "", wantErr: true},
		{path: "*/*/metrics/enabled", wantErr: true},
		{path: "/description", wantErr: true},
		{path: "/", wantErr: true},
		{path: "/*/", wantErr: true},
		{path: "/GET/metrics/enabled", wantErr: true},
		{path: "/metrics/enabled", wantErr: true},
		{path: "/*//metrics/enabled", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, err := ParseMethodSettingPath(tt.path)
			if tt.wantErr {
				var mse *MethodSettingPathError
				if !errors.As(err, &mse) || mse.Path != tt.path {
					t.Fatalf("ParseMethodSettingPath(%q) = %+v, %v; want *MethodSettingPathError for the path", tt.path, got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseMethodSettingPath(%q) error = %v", tt.path, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseMethodSettingPath(%q) mismatch (-want +got):\n%s", tt.path, diff)
			}
		})
	}
}
