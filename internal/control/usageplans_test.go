package control

import (
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/patch"
)

// FuzzPlanStagePatch checks that planStagePatch reads every path
// patch.ParsePlanStagePath accepts as the shape the parser gives: a remove
// of the whole throttle map or of one method's throttle is taken, and one
// of a method's rateLimit or burstLimit is refused with that rule's ops.
func FuzzPlanStagePatch(f *testing.F) {
	for _, s := range []string{
		"/apiStages/a1:prod/throttle", "/apiStages/a1:prod/throttle/~1pets/GET/rateLimit",
		"/apiStages/a1:prod/throttle//pets/GET/burstLimit", "/apiStages/a1:prod/throttle///GET",
		"/apiStages/a1:prod/throttle/x/GET/rateLimit/rateLimit", "/apiStages/a1:prod/throttle/~1a~1rateLimit/GET",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		sp, err := patch.ParsePlanStagePath(path)
		if err != nil || sp.APIID == "" {
			return
		}
		as := &apigw.APIStage{APIID: sp.APIID, Stage: sp.Stage, Throttle: map[string]apigw.Throttle{sp.MethodKey: {}}}
		err = planStagePatch.Apply(&planStageTarget{as: as, path: sp}, patch.Op{Op: patch.Remove, Path: path})
		switch {
		case sp.Field != "":
			if err == nil || err.Error() != "Invalid patch operation specified. Must be one of: [add, replace]" {
				t.Fatalf("remove %q (a %s) = %v, want the limit rule's refusal", path, sp.Field, err)
			}
		case err != nil:
			t.Fatalf("remove %q = %v", path, err)
		case sp.MethodKey == "" && as.Throttle != nil, sp.MethodKey != "" && len(as.Throttle) != 0:
			t.Fatalf("remove %q (%+v) left %v", path, sp, as.Throttle)
		}
	})
}
