package counters

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImports keeps the package's dependency rule (see doc.go): from
// Gatehouse, only apigw and store.
func TestImports(t *testing.T) {
	const module = "github.com/gatehouse-dev/gatehouse/"
	allowed := map[string]bool{module + "internal/apigw": true, module + "internal/store": true}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(path, module) && !allowed[path] {
				t.Errorf("%s imports %s; package counters may import only apigw and store", name, path)
			}
		}
	}
}
