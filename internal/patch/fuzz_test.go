package patch

import (
	"errors"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/respath"
)

// FuzzSegments checks that Segments never panics, refuses exactly the paths
// without a leading "/", and that each segment round-trips through Escape.
func FuzzSegments(f *testing.F) {
	for _, s := range []string{"/binaryMediaTypes/image~1png", "/~1pets/GET", "/a~0b/~01", "/", "", "x", "//", "/~", "/~2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		segs, err := Segments(path)
		if !strings.HasPrefix(path, "/") {
			var bp *BadPathError
			if !errors.As(err, &bp) || bp.Path != path {
				t.Fatalf("Segments(%q) = %q, %v; want *BadPathError", path, segs, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("Segments(%q) error = %v", path, err)
		}
		if want := strings.Count(path, "/"); len(segs) != want {
			t.Fatalf("Segments(%q) gave %d segments, want %d", path, len(segs), want)
		}
		for _, s := range segs {
			if got := respath.Unescape(respath.Escape(s)); got != s {
				t.Fatalf("Unescape(Escape(%q)) = %q", s, got)
			}
			if strings.Contains(respath.Escape(s), "/") {
				t.Fatalf("Escape(%q) = %q contains /", s, respath.Escape(s))
			}
		}
		// Escaping every segment of a raw path and unescaping gives it back.
		raw := strings.Split(path[1:], "/")
		for i := range raw {
			raw[i] = respath.Escape(raw[i])
		}
		back, err := Segments("/" + strings.Join(raw, "/"))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(back, "/"); got != path[1:] {
			t.Fatalf("escape/Segments round trip of %q gave %q", path, got)
		}
	})
}

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
