package respath

import (
	"strconv"
	"strings"
)

// Kind says how a path part matches a request path segment.
type Kind int

const (
	// Literal matches one segment equal to Part.Name.
	Literal Kind = iota
	// Param ("{name}") matches any one non-empty segment.
	Param
	// Greedy ("{name+}") matches one or more remaining segments; it can only
	// be the last part of a path.
	Greedy
)

func (k Kind) String() string {
	switch k {
	case Literal:
		return "literal"
	case Param:
		return "param"
	case Greedy:
		return "greedy"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Part is one resource pathPart. Name is the literal text, or the variable
// name without braces and plus sign.
type Part struct {
	Kind Kind
	Name string
}

// String returns the pathPart as AWS shows it: "pets", "{id}", "{proxy+}".
func (p Part) String() string {
	switch p.Kind {
	case Param:
		return "{" + p.Name + "}"
	case Greedy:
		return "{" + p.Name + "+}"
	}
	return p.Name
}

// Variable reports whether p is a path variable ({name} or {name+}).
func (p Part) Variable() bool { return p.Kind == Param || p.Kind == Greedy }

// PartError is a pathPart AWS refuses. Error() is AWS's BadRequestException
// text, which does not repeat the value; Value holds it for logs and tests.
type PartError struct {
	Value string
}

func (e *PartError) Error() string {
	return "Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and the end and an optional plus sign before the closing brace."
}

// PathError is a full resource path that is not "/" followed by valid parts.
type PathError struct {
	Path   string
	Reason string
}

func (e *PathError) Error() string {
	return "Invalid resource path " + strconv.Quote(e.Path) + ": " + e.Reason
}

// GreedyChildError is a part placed under a greedy variable. Error() is AWS's
// text, e.g. "Cannot create a child of a resource with a greedy path variable: {proxy+}".
type GreedyChildError struct {
	Parent Part
}

func (e *GreedyChildError) Error() string {
	return "Cannot create a child of a resource with a greedy path variable: " + e.Parent.String()
}

// ParsePart validates a resource pathPart as AWS does and returns it parsed.
//
// A literal is one or more of [A-Za-z0-9._:-]. A variable is "{name}" or
// "{name+}" with name made of the same characters. Anything else (empty, "/",
// "+" or braces outside that shape, "$", spaces, non-ASCII) is a *PartError.
// The character set follows what AWS is known to accept and refuse: ":" is
// accepted (aws-cdk#22477), "$" and a bare "+" are refused; other punctuation
// is unverified and refused to stay on the safe side. ParsePart does not
// allocate.
func ParsePart(s string) (Part, error) {
	if s == "" {
		return Part{}, &PartError{Value: s}
	}
	if s[0] != '{' {
		if !validName(s) {
			return Part{}, &PartError{Value: s}
		}
		return Part{Kind: Literal, Name: s}, nil
	}
	if len(s) < 3 || s[len(s)-1] != '}' {
		return Part{}, &PartError{Value: s}
	}
	name, kind := s[1:len(s)-1], Param
	if n, ok := strings.CutSuffix(name, "+"); ok {
		name, kind = n, Greedy
	}
	if !validName(name) {
		return Part{}, &PartError{Value: s}
	}
	return Part{Kind: kind, Name: name}, nil
}

// validName reports whether s is a non-empty run of [A-Za-z0-9._:-].
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '.', c == '_', c == '-', c == ':':
		default:
			return false
		}
	}
	return true
}

// Parse splits a full resource path into validated parts: "/" gives no parts,
// "/pets/{id}" gives [pets {id}], "/files/{proxy+}" gives [files {proxy+}].
// The path must start with "/" and must not end with one (except "/" itself)
// or contain "//" (*PathError); each part must pass ParsePart (*PartError);
// a greedy part must be last (*GreedyChildError).
func Parse(path string) ([]Part, error) {
	if path == "" || path[0] != '/' {
		return nil, &PathError{Path: path, Reason: "must start with /"}
	}
	if path == "/" {
		return nil, nil
	}
	parts := make([]Part, 0, strings.Count(path, "/"))
	rest := path[1:]
	for {
		seg, tail, more := strings.Cut(rest, "/")
		if seg == "" {
			return nil, &PathError{Path: path, Reason: "empty path part"}
		}
		if n := len(parts); n > 0 && parts[n-1].Kind == Greedy {
			return nil, &GreedyChildError{Parent: parts[n-1]}
		}
		p, err := ParsePart(seg)
		if err != nil {
			return nil, err
		}
		parts = append(parts, p)
		if !more {
			return parts, nil
		}
		rest = tail
	}
}

// Child returns the full path of a resource whose parent has the full path
// parent and whose pathPart is part: "/pets" under the root "/", and
// "/pets/{id}" under "/pets". It is the one rule every full resource path
// is built with (Join, TreePath, the router's compiler).
func Child(parent, part string) string {
	if parent == "/" {
		return "/" + part
	}
	return parent + "/" + part
}

// Join builds the resource path for parts: "/" for none, else each part's
// String() appended with Child. Parse(Join(ps)) == ps for valid parts.
func Join(parts []Part) string {
	path := "/"
	for _, p := range parts {
		path = Child(path, p.String())
	}
	return path
}

// TreePath returns the full path of resource id in a resource tree given as
// its nodes by id, where link returns a node's parent id ("" for the root)
// and pathPart, and ok false for a node that is not a resource (such as a
// nil pointer). The root's path is "/", a child's is Child of its parent's.
// It returns "" when id or one of its ancestors is missing or the parents
// form a cycle. Parts are taken as stored, not validated.
func TreePath[N any](nodes map[string]N, id string, link func(N) (parentID, part string, ok bool)) string {
	var parts []string // id's pathPart first, the root's child's last
	for range len(nodes) + 1 {
		n, found := nodes[id]
		if !found {
			return ""
		}
		parent, part, ok := link(n)
		if !ok {
			return ""
		}
		if parent == "" {
			path := "/"
			for i := len(parts) - 1; i >= 0; i-- {
				path = Child(path, parts[i])
			}
			return path
		}
		parts = append(parts, part)
		id = parent
	}
	return ""
}

// DuplicateError is a sibling with the same pathPart. AWS answers it with
// ConflictException (409): "Another resource with the same parent already has
// this name: pets".
type DuplicateError struct {
	Part Part
}

func (e *DuplicateError) Error() string {
	return "Another resource with the same parent already has this name: " + e.Part.String()
}

// VariableSiblingError is a second variable under one parent. AWS answers it
// with BadRequestException (400), naming the existing sibling: "A sibling
// ({proxy+}) of this resource already has a variable path part -- only one is
// allowed".
type VariableSiblingError struct {
	Existing Part
}

func (e *VariableSiblingError) Error() string {
	return "A sibling (" + e.Existing.String() + ") of this resource already has a variable path part -- only one is allowed"
}

// SiblingConflict reports whether candidate may not sit next to existing under
// the same parent: an identical pathPart is a *DuplicateError, two variables
// (whatever their names or greediness) are a *VariableSiblingError. It
// returns nil when they can coexist, e.g. a literal next to a variable.
// Literal comparison is case-sensitive, as URL paths are.
func SiblingConflict(existing, candidate Part) error {
	if existing == candidate {
		return &DuplicateError{Part: candidate}
	}
	if existing.Variable() && candidate.Variable() {
		return &VariableSiblingError{Existing: existing}
	}
	return nil
}
