package patch

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParsePlanStagePath(t *testing.T) {
	const base = "/apiStages/a1b2c3:prod/throttle"
	stage := func(key, field string) PlanStagePath {
		return PlanStagePath{APIID: "a1b2c3", Stage: "prod", Throttle: true, MethodKey: key, Field: field}
	}
	tests := []struct {
		path    string
		want    PlanStagePath
		wantErr string // "bad path", "api stage" or ""
	}{
		{path: "/apiStages", want: PlanStagePath{}},
		{path: base, want: stage("", "")},
		// AWS doc form, escaped.
		{path: base + "/~1pets/GET", want: stage("/pets/GET", "")},
		{path: base + "/~1pets/GET/rateLimit", want: stage("/pets/GET", "rateLimit")},
		{path: base + "/~1pets/GET/burstLimit", want: stage("/pets/GET", "burstLimit")},
		// CLI doc form and Terraform's Sprintf("%s/throttle/%s/rateLimit", ..., "/pets/GET").
		{path: base + "//pets/GET/rateLimit", want: stage("/pets/GET", "rateLimit")},
		{path: base + "//pets/{id}/DELETE", want: stage("/pets/{id}/DELETE", "")},
		{path: base + "/pets/GET", want: stage("/pets/GET", "")},
		{path: base + "/~1pets~1{id}/GET/burstLimit", want: stage("/pets/{id}/GET", "burstLimit")},
		// Root resource in every spelling.
		{path: base + "///GET/rateLimit", want: stage("//GET", "rateLimit")},
		{path: base + "/~1/GET/rateLimit", want: stage("//GET", "rateLimit")},
		{path: base + "//GET", want: stage("//GET", "")},
		// A resource literally named rateLimit still parses from the right.
		{path: base + "//rateLimit/GET/rateLimit", want: stage("/rateLimit/GET", "rateLimit")},
		{path: "/apiStages/api:stage_1/throttle", want: PlanStagePath{APIID: "api", Stage: "stage_1", Throttle: true}},
		// Refused.
		{path: "/apistages", wantErr: "bad path"},
		{path: "/apiStagesX", wantErr: "bad path"},
		{path: "/apiStages/", wantErr: "api stage"},
		{path: "/apiStages/a1b2c3:prod", wantErr: "bad path"},
		{path: "/apiStages/a1b2c3:prod/", wantErr: "bad path"},
		{path: "/apiStages/a1b2c3:prod/throttles", wantErr: "bad path"},
		{path: base + "/", wantErr: "bad path"},
		{path: base + "/rateLimit", wantErr: "bad path"},
		{path: base + "//rateLimit", wantErr: "bad path"},
		{path: base + "/~1pets/", wantErr: "bad path"},
		{path: "/apiStages/a1b2c3/throttle", wantErr: "api stage"},
		{path: "/apiStages/:prod/throttle", wantErr: "api stage"},
		{path: "/apiStages/a1b2c3:/throttle", wantErr: "api stage"},
		{path: "/throttle/rateLimit", wantErr: "bad path"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, err := ParsePlanStagePath(tt.path)
			switch tt.wantErr {
			case "bad path":
				var bp *BadPathError
				if !errors.As(err, &bp) || bp.Path != tt.path {
					t.Fatalf("ParsePlanStagePath(%q) = %+v, %v; want *BadPathError naming the path", tt.path, got, err)
				}
				return
			case "api stage":
				var se *APIStageError
				if !errors.As(err, &se) || err.Error() != "Invalid API Stage specified" {
					t.Fatalf("ParsePlanStagePath(%q) = %+v, %v; want *APIStageError", tt.path, got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParsePlanStagePath(%q) error = %v", tt.path, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParsePlanStagePath(%q) mismatch (-want +got):\n%s", tt.path, diff)
			}
		})
	}
}

func TestParseAPIStage(t *testing.T) {
	tests := []struct {
		v, api, stage string
		wantErr       bool
	}{
		{v: "a1b2c3d4e5:prod", api: "a1b2c3d4e5", stage: "prod"},
		{v: "abc:dev_2", api: "abc", stage: "dev_2"},
		{v: "", wantErr: true},
		{v: "abc", wantErr: true},
		{v: "abc:", wantErr: true},
		{v: ":prod", wantErr: true},
		{v: "abc:prod:x", wantErr: true},
		{v: "abc/prod", wantErr: true},
		{v: "a/b:prod", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.v, func(t *testing.T) {
			api, stage, err := ParseAPIStage(tt.v)
			if tt.wantErr {
				var se *APIStageError
				if !errors.As(err, &se) || se.Value != tt.v {
					t.Fatalf("ParseAPIStage(%q) = %q, %q, %v; want *APIStageError with the value", tt.v, api, stage, err)
				}
				return
			}
			if err != nil || api != tt.api || stage != tt.stage {
				t.Errorf("ParseAPIStage(%q) = %q, %q, %v; want %q, %q", tt.v, api, stage, err, tt.api, tt.stage)
			}
		})
	}
}
