package control

import (
	"cmp"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/patch"
	"github.com/gatehouse-dev/gatehouse/internal/respath"
	gocmp "github.com/google/go-cmp/cmp"
)

func repl(path, value string) patch.Op { return patch.Op{Op: patch.Replace, Path: path, Value: value} }

func TestApplyStagePatchMethodSettings(t *testing.T) {
	def := apigw.DefaultMethodSetting()
	tests := []struct {
		name string
		ops  []patch.Op
		want map[string]*apigw.MethodSetting
	}{
		{
			name: "new key gets defaults",
			ops:  []patch.Op{repl("/*/*/metrics/enabled", "true")},
			want: map[string]*apigw.MethodSetting{"*/*": func() *apigw.MethodSetting { m := def; m.MetricsEnabled = true; return &m }()},
		},
		{
			name: "per-method key copies */*",
			ops:  []patch.Op{repl("/*/*/throttling/burstLimit", "10"), repl("/~1pets/GET/throttling/rateLimit", "2.5")},
			want: map[string]*apigw.MethodSetting{
				"*/*": func() *apigw.MethodSetting { m := def; m.ThrottlingBurstLimit = 10; return &m }(),
				"~1pets/GET": func() *apigw.MethodSetting {
					m := def
					m.ThrottlingBurstLimit = 10
					m.ThrottlingRateLimit = 2.5
					return &m
				}(),
			},
		},
		{
			name: "terraform -1 and %f forms",
			ops:  []patch.Op{repl("/path1/path2/GET/throttling/burstLimit", "-1.000000"), repl("/path1/path2/GET/throttling/rateLimit", "-1.000000")},
			want: map[string]*apigw.MethodSetting{"path1/path2/GET": func() *apigw.MethodSetting {
				m := def
				m.ThrottlingBurstLimit, m.ThrottlingRateLimit = -1, -1
				return &m
			}()},
		},
		{
			name: "remove whole key",
			ops:  []patch.Op{repl("/*/*/caching/enabled", "true"), {Op: patch.Remove, Path: "/*/*"}},
			want: map[string]*apigw.MethodSetting{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &apigw.Stage{MethodSettings: map[string]*apigw.MethodSetting{}}
			if err := ApplyStagePatch(st, tt.ops, func(string) error { return nil }); err != nil {
				t.Fatal(err)
			}
			if d := gocmp.Diff(tt.want, st.MethodSettings); d != "" {
				t.Errorf("methodSettings (-want +got):\n%s", d)
			}
		})
	}
}

func TestApplyStagePatchErrors(t *testing.T) {
	noDeployment := errors.New("no such deployment")
	tests := []struct {
		name string
		op   patch.Op
		want string
	}{
		{"burst below -1", repl("/*/*/throttling/burstLimit", "-2"), "Invalid burst limit -2 for /*/*/throttling/burstLimit: must be -1 (no limit) or at least 0"},
		{"rate not a number", repl("/*/*/throttling/rateLimit", "fast"), `Invalid value "fast" for /*/*/throttling/rateLimit: must be a number`},
		{"log level", repl("/*/*/logging/loglevel", "DEBUG"), `Invalid logging level "DEBUG" for /*/*/logging/loglevel: must be one of [OFF, ERROR, INFO]`},
		{"ttl", repl("/*/*/caching/ttlInSeconds", "3601"), "Invalid cache TTL 3601 for /*/*/caching/ttlInSeconds: must be between 0 and 3600"},
		{"deployment", repl("/deploymentId", "x"), "no such deployment"},
		{"description add", patch.Op{Op: patch.Add, Path: "/description", Value: "x"}, "Invalid patch operation specified. Must be one of: [replace]"},
		{"remove missing key", patch.Op{Op: patch.Remove, Path: "/~1pets/GET"}, "Cannot remove method setting ~1pets/GET because there is no method setting for this method "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &apigw.Stage{}
			err := ApplyStagePatch(st, []patch.Op{tt.op}, func(string) error { return noDeployment })
			if err == nil || err.Error() != tt.want {
				t.Errorf("error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestApplyStagePatchVariablesAndCanary(t *testing.T) {
	st := &apigw.Stage{DeploymentID: "d1", Variables: map[string]string{"a": "1", "b": "2"}}
	ops := []patch.Op{
		{Op: patch.Remove, Path: "/variables/a"},
		repl("/variables/c", "3"),
		repl("/canarySettings/deploymentId", "d2"),
		repl("/canarySettings/stageVariableOverrides/b", "canary"),
		{Op: patch.Copy, From: "/canarySettings/stageVariableOverrides", Path: "/variables"},
		{Op: patch.Copy, From: "/canarySettings/deploymentId", Path: "/deploymentId"},
	}
	if err := ApplyStagePatch(st, ops, func(string) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if d := gocmp.Diff(map[string]string{"b": "canary", "c": "3"}, st.Variables); d != "" {
		t.Errorf("variables (-want +got):\n%s", d)
	}
	if st.DeploymentID != "d2" {
		t.Errorf("deploymentId = %q, want d2 (promoted)", st.DeploymentID)
	}
}

// TestStagePatchMethodSettingPaths pins how UpdateStage reads a method
// setting path: from the right, a documented {group}/{setting} suffix and
// before it the key, stored verbatim ("*/*", "~1pets/GET", Terraform's
// "path1/path2/GET"); without a documented suffix the whole path is a key,
// which only remove takes.
func TestStagePatchMethodSettingPaths(t *testing.T) {
	tests := []struct {
		path    string
		op      string // default replace
		wantKey string // the method setting created (replace) or removed (remove)
		wantErr string
	}{
		{path: "/*/*/throttling/rateLimit", wantKey: "*/*"},
		{path: "/*/*/throttling/burstLimit", wantKey: "*/*"},
		{path: "/*/*/metrics/enabled", wantKey: "*/*"},
		{path: "/*/*/logging/dataTrace", wantKey: "*/*"},
		{path: "/*/*/caching/ttlInSeconds", wantKey: "*/*"},
		{path: "/*/*/caching/unauthorizedCacheControlHeaderStrategy", wantKey: "*/*"},
		{path: "/*/*/caching/requireAuthorizationForCacheControl", wantKey: "*/*"},
		{path: "/*/*/caching/dataEncrypted", wantKey: "*/*"},
		{path: "/*/*/caching/enabled", wantKey: "*/*"},
		// AWS-recorded: /test/GET/... is stored as "test/GET".
		{path: "/test/GET/logging/loglevel", wantKey: "test/GET"},
		// AWS CLI docs: the escaped form is kept verbatim.
		{path: "/~1pets/GET/logging/loglevel", wantKey: "~1pets/GET"},
		{path: "/~1resourceName/GET/metrics/enabled", wantKey: "~1resourceName/GET"},
		// Terraform: an unescaped multi-segment method path.
		{path: "/path1/path2/GET/metrics/enabled", wantKey: "path1/path2/GET"},
		{path: "/~1/GET/throttling/rateLimit", wantKey: "~1/GET"},
		{path: "//GET/throttling/rateLimit", wantKey: "/GET"},
		{path: "/a/metrics/enabled/metrics/enabled", wantKey: "a/metrics/enabled"},
		// The whole-setting form, for remove.
		{path: "/*/*", op: patch.Remove, wantKey: "*/*"},
		{path: "/~1pets/GET", op: patch.Remove, wantKey: "~1pets/GET"},
		{path: "/path1/path2/GET", op: patch.Remove, wantKey: "path1/path2/GET"},
		// AWS-recorded: remove of this path answers "Cannot remove method
		// setting canarySettings/badPath ...".
		{path: "/canarySettings/badPath", op: patch.Remove, wantKey: "canarySettings/badPath"},
		{path: "/*/*", wantErr: "Invalid method setting path: /*/*."},
		{path: "/*/*/metrics/enabled", op: patch.Remove, wantErr: "Invalid patch operation specified. Must be one of: [replace]"},
		// Unknown setting names are not settings: the whole path is a key.
		{path: "/*/*/logging/level", op: patch.Remove, wantKey: "*/*/logging/level"},
		{path: "/*/*/logging/level", wantErr: "Invalid method setting path: /*/*/logging/level."},
		{path: "/*/*/Throttling/rateLimit", wantErr: "Invalid method setting path: /*/*/Throttling/rateLimit."},
		{path: "/tags/tag1", wantErr: "Invalid method setting path: /tags/tag1."},
		{path: "/tags/tag1", op: patch.Remove, wantKey: "tags/tag1"},
		// Refused.
		{path: "", wantErr: "Invalid patch path null"},
		{path: "*/*/metrics/enabled", wantErr: "Invalid patch path */*/metrics/enabled"},
		{path: "/", wantErr: "Invalid method setting path: /."},
		{path: "/*/", wantErr: "Invalid method setting path: /*/."},
		{path: "/GET/metrics/enabled", wantErr: "Invalid method setting path: /GET/metrics/enabled."},
		{path: "/metrics/enabled", wantErr: "Invalid method setting path: /metrics/enabled."},
		{path: "/*//metrics/enabled", wantErr: "Invalid method setting path: /*//metrics/enabled."},
		{path: "/description/metrics/enabled", wantErr: "Invalid method setting path: /description/metrics/enabled."},
	}
	values := map[string]string{"loglevel": "INFO", "ttlInSeconds": "60", "rateLimit": "1", "burstLimit": "1", "unauthorizedCacheControlHeaderStrategy": "FAIL_WITH_403"}
	for _, tt := range tests {
		op := cmp.Or(tt.op, patch.Replace)
		t.Run(op+" "+tt.path, func(t *testing.T) {
			st := &apigw.Stage{MethodSettings: map[string]*apigw.MethodSetting{}}
			if op == patch.Remove && tt.wantKey != "" {
				st.MethodSettings[tt.wantKey] = &apigw.MethodSetting{}
			}
			value := cmp.Or(values[tt.path[strings.LastIndexByte(tt.path, '/')+1:]], "true")
			err := ApplyStagePatch(st, []patch.Op{{Op: op, Path: tt.path, Value: value}}, func(string) error { return nil })
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			_, has := st.MethodSettings[tt.wantKey]
			if has != (op == patch.Replace) || len(st.MethodSettings) > 1 {
				t.Errorf("method settings after %s %s: %v; want key %q %s", op, tt.path, slices.Sorted(maps.Keys(st.MethodSettings)), tt.wantKey, map[bool]string{true: "present", false: "gone"}[op == patch.Replace])
			}
		})
	}
}

func FuzzApplyStagePatch(f *testing.F) {
	f.Add("replace", "/*/*/throttling/burstLimit", "100")
	f.Add("remove", "/~1pets/GET", "")
	f.Add("add", "/accessLogSettings/format", "$context.requestId")
	f.Add("replace", "/canarySettings/stageVariableOverrides/x", "y")
	f.Add("copy", "/variables", "")
	f.Add("replace", "/path1/path2/GET/metrics/enabled", "true")
	f.Add("replace", "//GET/caching/ttlInSeconds", "60")
	f.Add("remove", "/accessLogSettings/format", "")
	f.Add("replace", "/GET/metrics/enabled", "true")
	f.Fuzz(func(t *testing.T, op, path, value string) {
		st := &apigw.Stage{MethodSettings: map[string]*apigw.MethodSetting{"*/*": {}}}
		ops := []patch.Op{{Op: op, Path: path, Value: value, From: "/canarySettings/stageVariableOverrides"}}
		if err := ApplyStagePatch(st, ops, func(string) error { return nil }); err != nil {
			if k := KindOf(FromPatch(err)); k != KindBadRequest {
				t.Fatalf("%s %q refused as %v: %v", op, path, k, err)
			}
			return
		}
		if st.MethodSettings == nil {
			t.Fatal("methodSettings became nil")
		}
		// A new method setting comes from a replace of a documented
		// setting, keyed by the text before it, which is a method key.
		for key := range st.MethodSettings {
			if key == "*/*" {
				continue
			}
			rest, ok := strings.CutPrefix(path, "/"+key+"/")
			if !ok || op != patch.Replace || !slices.ContainsFunc(methodSettingFields, func(f methodSettingField) bool { return f.path == rest }) {
				t.Fatalf("%s %q created method setting %q", op, path, key)
			}
			if _, _, ok := respath.ParseMethodKey(key); !ok {
				t.Fatalf("%s %q created method setting %q, which is no method key", op, path, key)
			}
		}
	})
}
