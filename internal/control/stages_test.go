package control

import (
	"errors"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/patch"
	"github.com/google/go-cmp/cmp"
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
			if d := cmp.Diff(tt.want, st.MethodSettings); d != "" {
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
	if d := cmp.Diff(map[string]string{"b": "canary", "c": "3"}, st.Variables); d != "" {
		t.Errorf("variables (-want +got):\n%s", d)
	}
	if st.DeploymentID != "d2" {
		t.Errorf("deploymentId = %q, want d2 (promoted)", st.DeploymentID)
	}
}

func FuzzApplyStagePatch(f *testing.F) {
	f.Add("replace", "/*/*/throttling/burstLimit", "100")
	f.Add("remove", "/~1pets/GET", "")
	f.Add("add", "/accessLogSettings/format", "$context.requestId")
	f.Add("replace", "/canarySettings/stageVariableOverrides/x", "y")
	f.Add("copy", "/variables", "")
	f.Fuzz(func(t *testing.T, op, path, value string) {
		st := &apigw.Stage{MethodSettings: map[string]*apigw.MethodSetting{"*/*": {}}}
		ops := []patch.Op{{Op: op, Path: path, Value: value, From: "/canarySettings/stageVariableOverrides"}}
		if err := ApplyStagePatch(st, ops, func(string) error { return nil }); err != nil {
			return
		}
		if st.MethodSettings == nil {
			t.Fatal("methodSettings became nil")
		}
	})
}
