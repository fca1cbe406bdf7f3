package respath

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const partMsg = "Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and the end and an optional plus sign before the closing brace."

func TestParsePart(t *testing.T) {
	tests := []struct {
		in      string
		want    Part
		wantErr bool
	}{
		{in: "pets", want: Part{Literal, "pets"}},
		{in: "v1.0", want: Part{Literal, "v1.0"}},
		{in: "good-dog", want: Part{Literal, "good-dog"}},
		{in: "user_09", want: Part{Literal, "user_09"}},
		{in: "us:er_0-9", want: Part{Literal, "us:er_0-9"}},
		{in: "events:batch", want: Part{Literal, "events:batch"}},
		{in: "{id}", want: Part{Param, "id"}},
		{in: "{user_id}", want: Part{Param, "user_id"}},
		{in: "{proxy+}", want: Part{Greedy, "proxy"}},
		{in: "{pro:xy+}", want: Part{Greedy, "pro:xy"}},
		{in: "{child+}", want: Part{Greedy, "child"}},
		{in: "", wantErr: true},
		{in: "/users", wantErr: true},
		{in: "users/", wantErr: true},
		{in: "users/{user_id}", wantErr: true},
		{in: "us{er", wantErr: true},
		{in: "us+er", wantErr: true},
		{in: "$metadata", wantErr: true},
		{in: "a b", wantErr: true},
		{in: "café", wantErr: true},
		{in: "{}", wantErr: true},
		{in: "{+}", wantErr: true},
		{in: "{id", wantErr: true},
		{in: "id}", wantErr: true},
		{in: "{id}x", wantErr: true},
		{in: "x{id}", wantErr: true},
		{in: "{{id}}", wantErr: true},
		{in: "{id++}", wantErr: true},
		{in: "{+id}", wantErr: true},
		{in: "{i d}", wantErr: true},
		{in: "+", wantErr: true},
		{in: "%20", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParsePart(tt.in)
			if tt.wantErr {
				var pe *PartError
				if !errors.As(err, &pe) || pe.Value != tt.in || err.Error() != partMsg {
					t.Fatalf("ParsePart(%q) = %+v, %v; want *PartError with AWS text", tt.in, got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParsePart(%q) error = %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParsePart(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
			if s := got.String(); s != tt.in {
				t.Errorf("ParsePart(%q).String() = %q", tt.in, s)
			}
		})
	}
}

func TestParseAndJoin(t *testing.T) {
	tests := []struct {
		path    string
		want    []Part
		wantErr string // "path", "part", "greedy" or ""
		msg     string
	}{
		{path: "/", want: nil},
		{path: "/pets", want: []Part{{Literal, "pets"}}},
		{path: "/pets/{id}", want: []Part{{Literal, "pets"}, {Param, "id"}}},
		{path: "/files/{proxy+}", want: []Part{{Literal, "files"}, {Greedy, "proxy"}}},
		{path: "/{proxy+}", want: []Part{{Greedy, "proxy"}}},
		{path: "/parent/{child}/{proxy+}", want: []Part{{Literal, "parent"}, {Param, "child"}, {Greedy, "proxy"}}},
		{path: "", wantErr: "path", msg: `Invalid resource path "": must start with /`},
		{path: "pets", wantErr: "path", msg: `Invalid resource path "pets": must start with /`},
		{path: "/pets/", wantErr: "path", msg: `Invalid resource path "/pets/": empty path part`},
		{path: "//pets", wantErr: "path", msg: `Invalid resource path "//pets": empty path part`},
		{path: "/pets//x", wantErr: "path", msg: `Invalid resource path "/pets//x": empty path part`},
		{path: "/pets/a b", wantErr: "part", msg: partMsg},
		{path: "/{proxy+}/child", wantErr: "greedy", msg: "Cannot create a child of a resource with a greedy path variable: {proxy+}"},
		{path: "/a/{proxy+}/{id}", wantErr: "greedy", msg: "Cannot create a child of a resource with a greedy path variable: {proxy+}"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, err := Parse(tt.path)
			var target any
			switch tt.wantErr {
			case "":
				if err != nil {
					t.Fatalf("Parse(%q) error = %v", tt.path, err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("Parse(%q) mismatch (-want +got):\n%s", tt.path, diff)
				}
				if j := Join(got); j != tt.path {
					t.Errorf("Join(Parse(%q)) = %q", tt.path, j)
				}
				return
			case "path":
				target = new(*PathError)
			case "part":
				target = new(*PartError)
			case "greedy":
				target = new(*GreedyChildError)
			}
			if !errors.As(err, target) {
				t.Fatalf("Parse(%q) = %v, %T %v; want %s error", tt.path, got, err, err, tt.wantErr)
			}
			if err.Error() != tt.msg {
				t.Errorf("Parse(%q) error:\n got %q\nwant %q", tt.path, err, tt.msg)
			}
		})
	}
}

func TestJoinEmpty(t *testing.T) {
	if got := Join(nil); got != "/" {
		t.Errorf("Join(nil) = %q, want /", got)
	}
}

func TestSiblingConflict(t *testing.T) {
	pets, dogs := Part{Literal, "pets"}, Part{Literal, "dogs"}
	id, other, proxy := Part{Param, "id"}, Part{Param, "other"}, Part{Greedy, "proxy"}
	tests := []struct {
		name     string
		existing Part
		cand     Part
		want     string // "" = no conflict
	}{
		{name: "different literals", existing: pets, cand: dogs},
		{name: "literal beside variable", existing: proxy, cand: pets},
		{name: "variable beside literal", existing: pets, cand: id},
		{name: "case differs", existing: pets, cand: Part{Literal, "Pets"}},
		{name: "same literal", existing: pets, cand: pets, want: "Another resource with the same parent already has this name: pets"},
		{name: "same variable", existing: id, cand: id, want: "Another resource with the same parent already has this name: {id}"},
		{name: "two params", existing: id, cand: other, want: "A sibling ({id}) of this resource already has a variable path part -- only one is allowed"},
		{name: "param after greedy (recorded)", existing: proxy, cand: other, want: "A sibling ({proxy+}) of this resource already has a variable path part -- only one is allowed"},
		{name: "greedy after param", existing: id, cand: Part{Greedy, "id"}, want: "A sibling ({id}) of this resource already has a variable path part -- only one is allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := SiblingConflict(tt.existing, tt.cand)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("SiblingConflict = %v, want nil", err)
				}
				return
			}
			if err == nil || err.Error() != tt.want {
				t.Fatalf("SiblingConflict = %v, want %q", err, tt.want)
			}
			var dup *DuplicateError
			var vs *VariableSiblingError
			if errors.As(err, &dup) == errors.As(err, &vs) {
				t.Errorf("SiblingConflict error %T is not exactly one of the typed errors", err)
			}
		})
	}
}

func TestKindString(t *testing.T) {
	got := []string{Literal.String(), Param.String(), Greedy.String(), Kind(7).String()}
	want := []string{"literal", "param", "greedy", "Kind(7)"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Kind.String mismatch (-want +got):\n%s", diff)
	}
}

func TestParsePartDoesNotAllocate(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := ParsePart("{proxy+}"); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("ParsePart allocated %v times per run, want 0", allocs)
	}
}

func TestChildAndJoin(t *testing.T) {
	tests := []struct {
		parts []Part
		want  string
	}{
		{nil, "/"},
		{[]Part{{Literal, "pets"}}, "/pets"},
		{[]Part{{Literal, "pets"}, {Param, "id"}}, "/pets/{id}"},
		{[]Part{{Literal, "files"}, {Greedy, "proxy"}}, "/files/{proxy+}"},
	}
	for _, tt := range tests {
		if got := Join(tt.parts); got != tt.want {
			t.Errorf("Join(%v) = %q, want %q", tt.parts, got, tt.want)
		}
	}
	for _, tt := range []struct{ parent, part, want string }{
		{"/", "pets", "/pets"},
		{"/pets", "{id}", "/pets/{id}"},
		{"/a/b", "c", "/a/b/c"},
	} {
		if got := Child(tt.parent, tt.part); got != tt.want {
			t.Errorf("Child(%q, %q) = %q, want %q", tt.parent, tt.part, got, tt.want)
		}
	}
}

// node is a resource as TreePath's tests store it.
type node struct{ parent, part string }

func nodeLink(n *node) (string, string, bool) {
	if n == nil {
		return "", "", false
	}
	return n.parent, n.part, true
}

func TestTreePath(t *testing.T) {
	nodes := map[string]*node{
		"r":   {},
		"a":   {parent: "r", part: "pets"},
		"b":   {parent: "a", part: "{id}"},
		"c":   {parent: "b", part: "{proxy+}"},
		"x":   {parent: "y", part: "loop"},
		"y":   {parent: "x", part: "loop"},
		"o":   {parent: "gone", part: "orphan"},
		"n":   nil,
		"u":   {parent: "n", part: "under-nil"},
		"bad": {parent: "r", part: "not a part"},
	}
	for id, want := range map[string]string{
		"r": "/", "a": "/pets", "b": "/pets/{id}", "c": "/pets/{id}/{proxy+}",
		"x": "", "y": "", "o": "", "n": "", "u": "", "missing": "", "bad": "/not a part",
	} {
		if got := TreePath(nodes, id, nodeLink); got != want {
			t.Errorf("TreePath(%s) = %q, want %q", id, got, want)
		}
	}
	self := map[string]*node{"s": {parent: "s", part: "me"}}
	if got := TreePath(self, "s", nodeLink); got != "" {
		t.Errorf("TreePath of a self-parented node = %q, want \"\"", got)
	}
}
