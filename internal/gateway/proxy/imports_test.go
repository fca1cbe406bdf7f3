package proxy

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImports keeps the package free of the control plane and of the
// data plane's state: the pipeline hands it everything in a Target.
func TestImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	const mod = "github.com/gatehouse-dev/gatehouse/"
	seen := 0
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, is := range af.Imports {
			seen++
			p, _ := strconv.Unquote(is.Path.Value)
			if strings.HasPrefix(p, mod) {
				t.Errorf("%s imports %s; package proxy may only use the standard library", f, p)
			}
			if strings.Contains(p, ".") && !strings.HasPrefix(p, mod) {
				t.Errorf("%s imports %s; package proxy may only use the standard library", f, p)
			}
		}
	}
	if seen == 0 {
		t.Fatal("found no imports; wrong directory?")
	}
}
