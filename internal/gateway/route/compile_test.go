package route

import (
	"errors"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/respath"
	"github.com/google/go-cmp/cmp"
)

// res is a resource literal for snapshots written by hand.
func res(id, parent, part string, methods ...string) *apigw.Resource {
	r := &apigw.Resource{ID: id, ParentID: parent, PathPart: part, Methods: map[string]*apigw.Method{}}
	for _, m := range methods {
		r.Methods[m] = &apigw.Method{HTTPMethod: m}
	}
	return r
}

func snap(rs ...*apigw.Resource) *apigw.Snapshot {
	s := &apigw.Snapshot{RootResourceID: "root", Resources: map[string]*apigw.Resource{}}
	for _, r := range rs {
		s.Resources[r.ID] = r
	}
	return s
}

// compileErrors splits Compile's joined error into its *CompileErrors.
func compileErrors(t *testing.T, err error) []*CompileError {
	t.Helper()
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	var out []*CompileError
	for _, e := range errs {
		var ce *CompileError
		if !errors.As(e, &ce) {
			t.Fatalf("error %v (%T) is not a *CompileError", e, e)
		}
		out = append(out, ce)
	}
	return out
}

func TestCompileErrors(t *testing.T) {
	isErr := func(target error) func(error) bool {
		return func(err error) bool { return errors.Is(err, target) }
	}
	asErr := func(target any) func(error) bool {
		return func(err error) bool { return errors.As(err, target) }
	}
	tests := []struct {
		name    string
		snap    *apigw.Snapshot
		wantIDs []string // resources named by the errors, in order
		is      func(error) bool
		wantMsg string // substring of the error text
	}{
		{
			name:    "two variable siblings",
			snap:    snap(res("root", "", ""), res("a", "root", "{id}"), res("b", "root", "{proxy+}")),
			wantIDs: []string{"b"},
			is:      asErr(new(*respath.VariableSiblingError)),
			wantMsg: `resource "b" (/{proxy+}): sibling "a": A sibling ({id}) of this resource already has a variable path part -- only one is allowed`,
		},
		{
			name:    "duplicate literal siblings",
			snap:    snap(res("root", "", ""), res("a", "root", "pets"), res("b", "root", "pets")),
			wantIDs: []string{"b"},
			is:      asErr(new(*respath.DuplicateError)),
			wantMsg: "Another resource with the same parent already has this name: pets",
		},
		{
			name:    "child under greedy",
			snap:    snap(res("root", "", ""), res("g", "root", "{proxy+}", "ANY"), res("c", "g", "x"), res("d", "c", "y")),
			wantIDs: []string{"c"}, // d is under the refused c and not reported again
			is:      asErr(new(*respath.GreedyChildError)),
			wantMsg: `resource "c" (/{proxy+}/x): Cannot create a child of a resource with a greedy path variable: {proxy+}`,
		},
		{
			name:    "missing parent",
			snap:    snap(res("root", "", ""), res("a", "gone", "pets"), res("b", "a", "x")),
			wantIDs: []string{"a", "b"},
			is:      isErr(ErrMissingParent),
			wantMsg: `resource "a": parent resource not found: parentId "gone"`,
		},
		{
			name:    "no parent id",
			snap:    snap(res("root", "", ""), res("a", "", "pets")),
			wantIDs: []string{"a"},
			is:      isErr(ErrMissingParent),
			wantMsg: `parentId ""`,
		},
		{
			name:    "cycle",
			snap:    snap(res("root", "", ""), res("a", "b", "x"), res("b", "a", "y")),
			wantIDs: []string{"a", "b"},
			is:      isErr(ErrCycle),
			wantMsg: `resource "a": resources cannot be cyclical`,
		},
		{
			name:    "own parent",
			snap:    snap(res("root", "", ""), res("a", "a", "x")),
			wantIDs: []string{"a"},
			is:      isErr(ErrCycle),
		},
		{
			name:    "root not found",
			snap:    snap(res("other", "", "")),
			wantIDs: []string{"root"},
			is:      isErr(ErrNoRoot),
		},
		{
			name:    "root with a parent",
			snap:    snap(res("root", "a", ""), res("a", "root", "x")),
			wantIDs: []string{"root"},
			is:      isErr(ErrRootShape),
		},
		{
			name:    "root with a pathPart",
			snap:    snap(res("root", "", "api")),
			wantIDs: []string{"root"},
			is:      isErr(ErrRootShape),
		},
		{
			name:    "invalid path part",
			snap:    snap(res("root", "", ""), res("a", "root", "a b"), res("b", "a", "c")),
			wantIDs: []string{"a"},
			is:      asErr(new(*respath.PartError)),
			wantMsg: `resource "a": pathPart "a b": `,
		},
		{
			name:    "invalid method",
			snap:    snap(res("root", "", "", "GET"), res("a", "root", "x", "FETCH")),
			wantIDs: []string{"a"},
			is:      isErr(ErrInvalidMethod),
			wantMsg: `resource "a" (/x): method "FETCH": invalid HTTP method`,
		},
		{
			name:    "lower-case method",
			snap:    snap(res("root", "", "", "get")),
			wantIDs: []string{"root"},
			is:      isErr(ErrInvalidMethod),
		},
		{
			name: "nil method",
			snap: func() *apigw.Snapshot {
				s := snap(res("root", "", ""))
				s.Resources["root"].Methods["GET"] = nil
				return s
			}(),
			wantIDs: []string{"root"},
			is:      isErr(ErrNilMethod),
		},
		{
			name: "nil resource",
			snap: func() *apigw.Snapshot {
				s := snap(res("root", "", ""), res("b", "a", "x"))
				s.Resources["a"] = nil
				return s
			}(),
			wantIDs: []string{"a", "b"},
			is:      isErr(ErrNilResource),
		},
		{
			name: "id differs from key",
			snap: func() *apigw.Snapshot {
				s := snap(res("root", "", ""))
				s.Resources["k"] = res("other", "root", "x")
				return s
			}(),
			wantIDs: []string{"k"},
			is:      isErr(ErrIDMismatch),
		},
		{
			name: "every problem reported",
			snap: snap(res("root", "", ""), res("a", "root", "{x}"), res("b", "root", "{y}"),
				res("c", "nope", "z"), res("d", "root", "ok", "BREW")),
			wantIDs: []string{"c", "b", "d"},
			is:      isErr(ErrMissingParent),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tab, err := Compile(tc.snap)
			if err == nil {
				t.Fatalf("Compile succeeded, want an error (table %v)", tab)
			}
			if tab != nil {
				t.Error("Compile returned a table with its error")
			}
			var ids []string
			for _, ce := range compileErrors(t, err) {
				ids = append(ids, ce.ResourceID)
			}
			if diff := cmp.Diff(tc.wantIDs, ids); diff != "" {
				t.Errorf("resources named (-want +got):\n%s\nerror: %v", diff, err)
			}
			if !tc.is(err) {
				t.Errorf("error %q does not match the expected kind", err)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tc.wantMsg)
			}
		})
	}
}

func TestCompileNilSnapshot(t *testing.T) {
	if _, err := Compile(nil); !errors.Is(err, ErrNoSnapshot) {
		t.Fatalf("Compile(nil) = %v, want ErrNoSnapshot", err)
	}
}

func TestCompileKeepsMethods(t *testing.T) {
	s := snapshot(t, "GET,ANY /pets/{id}")
	tab, err := Compile(s)
	if err != nil {
		t.Fatal(err)
	}
	var src *apigw.Method
	for _, r := range s.Resources {
		if r.PathPart == "{id}" {
			src = r.Methods["ANY"]
		}
	}
	m, res := tab.Match("PUT", "/pets/1", nil)
	if res != Found || m.Method != src {
		t.Fatalf("Match = %v %p, want the snapshot's ANY method %p", res, m.Method, src)
	}
}
