package respath

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzParse checks that Parse never panics, that accepted paths round-trip
// through Join, that parts carry the input's text, and that refusals are the
// typed errors.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"/", "/pets/{id}", "/files/{proxy+}", "/{proxy+}/x", "/a//b", "", "pets", "/{}", "/{a+", "/$x", "/us:er"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		parts, err := Parse(path)
		if err != nil {
			var pe *PathError
			var pa *PartError
			var ge *GreedyChildError
			if !errors.As(err, &pe) && !errors.As(err, &pa) && !errors.As(err, &ge) {
				t.Fatalf("Parse(%q) error %T %v", path, err, err)
			}
			return
		}
		if got := Join(parts); got != path {
			t.Fatalf("Join(Parse(%q)) = %q", path, got)
		}
		again, err := Parse(Join(parts))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(parts, again); diff != "" {
			t.Fatalf("Parse(Join(Parse(%q))) mismatch:\n%s", path, diff)
		}
		for i, p := range parts {
			if p.Name == "" || !strings.Contains(path, p.Name) {
				t.Fatalf("Parse(%q) part %d name %q not from input", path, i, p.Name)
			}
			if p.Kind == Greedy && i != len(parts)-1 {
				t.Fatalf("Parse(%q) accepted greedy part %d before the end", path, i)
			}
		}
	})
}
