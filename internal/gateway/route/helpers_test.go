package route

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
)

// snapshot builds a snapshot from specs "METHODS PATH": "GET,POST /pets",
// "- /pets/mine" (a resource without methods), "GET /" (root). Missing
// ancestors are created without methods. Ids are "r0" (root), "r1", ... in
// creation order. Each method's OperationName is "METHOD PATH", so tests can
// tell which one matched.
func snapshot(tb testing.TB, specs ...string) *apigw.Snapshot {
	tb.Helper()
	s := &apigw.Snapshot{RootResourceID: "r0", Resources: map[string]*apigw.Resource{}}
	byPath := map[string]*apigw.Resource{}
	root := &apigw.Resource{ID: "r0", Methods: map[string]*apigw.Method{}}
	s.Resources["r0"], byPath["/"] = root, root
	var ensure func(path string) *apigw.Resource
	ensure = func(path string) *apigw.Resource {
		if r, ok := byPath[path]; ok {
			return r
		}
		i := strings.LastIndexByte(path, '/')
		parentPath := path[:i]
		if parentPath == "" {
			parentPath = "/"
		}
		parent := ensure(parentPath)
		r := &apigw.Resource{
			ID:       fmt.Sprintf("r%d", len(s.Resources)),
			ParentID: parent.ID,
			PathPart: path[i+1:],
			Methods:  map[string]*apigw.Method{},
		}
		s.Resources[r.ID], byPath[path] = r, r
		return r
	}
	for _, spec := range specs {
		methods, path, ok := strings.Cut(spec, " ")
		if !ok || !strings.HasPrefix(path, "/") {
			tb.Fatalf("bad spec %q", spec)
		}
		r := ensure(path)
		if methods == "-" {
			continue
		}
		for m := range strings.SplitSeq(methods, ",") {
			r.Methods[m] = &apigw.Method{HTTPMethod: m, OperationName: m + " " + path}
		}
	}
	return s
}

func compile(tb testing.TB, specs ...string) *Table {
	tb.Helper()
	t, err := Compile(snapshot(tb, specs...))
	if err != nil {
		tb.Fatalf("Compile: %v", err)
	}
	return t
}

// params returns p's parameters as a slice (nil when empty).
func params(p *Params) []Param {
	var out []Param
	for n, v := range p.All() {
		out = append(out, Param{n, v})
	}
	return out
}
