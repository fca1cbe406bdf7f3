package patch

import (
	"errors"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/respath"
)

// FuzzParsePlanStagePath checks that the parser never panics, that the stage
// reference and method come from the input, and that MethodKey has AWS's shape.
func FuzzParsePlanStagePath(f *testing.F) {
	for _, s := range []string{
		"/apiStages", "/apiStages/a1:prod/throttle", "/apiStages/a1:prod/throttle/~1pets/GET/rateLimit",
		"/apiStages/a1:prod/throttle//pets/GET/burstLimit", "/apiStages/a1:prod/throttle///GET",
		"/apiStages/a1/throttle", "/apiStages/", "/apiStages/a1:prod/throttle/", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		p, err := ParsePlanStagePath(path)
		if err != nil {
			var bp *BadPathError
			var se *APIStageError
			if !errors.As(err, &bp) && !errors.As(err, &se) {
				t.Fatalf("ParsePlanStagePath(%q) error %T %v", path, err, err)
			}
			return
		}
		if p.APIID == "" {
			if path != "/apiStages" || p != (PlanStagePath{}) {
				t.Fatalf("ParsePlanStagePath(%q) = %+v without api id", path, p)
			}
			return
		}
		if !p.Throttle {
			t.Fatalf("ParsePlanStagePath(%q) = %+v: accepted without throttle", path, p)
		}
		if !strings.HasPrefix(path, "/apiStages/") || !strings.Contains(respath.Unescape(path), p.APIID+":"+p.Stage+"/throttle") {
			t.Fatalf("ParsePlanStagePath(%q) = %+v: stage reference not from input", path, p)
		}
		if p.Field != "" && !strings.HasSuffix(path, "/"+p.Field) {
			t.Fatalf("ParsePlanStagePath(%q) field %q not at the end", path, p.Field)
		}
		if p.MethodKey == "" {
			if p.Field != "" {
				t.Fatalf("ParsePlanStagePath(%q) = %+v: field without method", path, p)
			}
			return
		}
		i := strings.LastIndexByte(p.MethodKey, '/')
		method := p.MethodKey[i+1:]
		if !strings.HasPrefix(p.MethodKey, "/") || i < 1 || method == "" {
			t.Fatalf("ParsePlanStagePath(%q) MethodKey %q lacks /{resource}/{method} shape", path, p.MethodKey)
		}
		if !strings.Contains(respath.Unescape(path), method) {
			t.Fatalf("ParsePlanStagePath(%q) method %q not in input", path, method)
		}
	})
}
