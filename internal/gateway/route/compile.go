package route

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/respath"
)

// Errors Compile wraps in a *CompileError. Path-part and sibling problems are
// reported with respath's error types (*respath.PartError,
// *respath.DuplicateError, *respath.VariableSiblingError,
// *respath.GreedyChildError) instead.
var (
	ErrNoSnapshot    = errors.New("no snapshot")
	ErrNoRoot        = errors.New("root resource not found")
	ErrRootShape     = errors.New("root resource must have no parentId and no pathPart")
	ErrNilResource   = errors.New("resource is nil")
	ErrIDMismatch    = errors.New("resource id differs from its key in the snapshot")
	ErrMissingParent = errors.New("parent resource not found")
	ErrCycle         = errors.New("resources cannot be cyclical")
	ErrInvalidMethod = errors.New("invalid HTTP method; valid options are GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY")
	ErrNilMethod     = errors.New("method is nil")
)

// CompileError is a resource Compile cannot serve.
type CompileError struct {
	// ResourceID names the resource at fault.
	ResourceID string
	// Path is its resource path when it could be computed, else "".
	Path string
	// Err is the rule it breaks.
	Err error
}

func (e *CompileError) Error() string {
	s := "resource " + strconv.Quote(e.ResourceID)
	if e.Path != "" {
		s += " (" + e.Path + ")"
	}
	return s + ": " + e.Err.Error()
}

func (e *CompileError) Unwrap() error { return e.Err }

// Compile builds an immutable Table from a deployment snapshot. It validates
// what the data plane relies on — a root resource, every other resource
// reachable from it through existing parents without cycles, valid path
// parts, at most one variable child per resource and none under a greedy
// one, no duplicate siblings, valid and non-nil methods — and returns every
// violation joined (errors.Join), each a *CompileError naming the resource.
// The Table keeps pointers to the snapshot's *apigw.Method values, which
// must not be modified afterwards.
func Compile(s *apigw.Snapshot) (*Table, error) {
	if s == nil {
		return nil, ErrNoSnapshot
	}
	rootSrc := s.Resources[s.RootResourceID]
	if s.RootResourceID == "" || rootSrc == nil {
		return nil, &CompileError{ResourceID: s.RootResourceID, Err: ErrNoRoot}
	}
	c := compiler{src: s.Resources, children: map[string][]string{}, reached: map[string]bool{}}
	if rootSrc.ParentID != "" || rootSrc.PathPart != "" {
		c.fail(s.RootResourceID, "/", ErrRootShape)
	}

	ids := make([]string, 0, len(s.Resources))
	for id := range s.Resources {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		r := s.Resources[id]
		switch {
		case r == nil:
			c.fail(id, "", ErrNilResource)
			continue
		case r.ID != id:
			c.fail(id, "", fmt.Errorf("%w: id %q", ErrIDMismatch, r.ID))
		}
		if id == s.RootResourceID {
			continue
		}
		if _, ok := s.Resources[r.ParentID]; !ok || r.ParentID == "" {
			c.fail(id, "", fmt.Errorf("%w: parentId %q", ErrMissingParent, r.ParentID))
			continue
		}
		c.children[r.ParentID] = append(c.children[r.ParentID], id)
	}

	t := &Table{byPath: map[string]*Resource{}}
	t.root = c.build(t, s.RootResourceID, rootSrc, nil, respath.Part{})

	for _, id := range ids {
		r := s.Resources[id]
		if r == nil || c.reached[id] || c.failed[id] {
			continue
		}
		c.fail(id, "", c.unreachable(id))
	}
	if len(c.errs) > 0 {
		return nil, errors.Join(c.errs...)
	}
	slices.SortFunc(t.resources, func(a, b *Resource) int { return cmp.Compare(a.Path, b.Path) })
	return t, nil
}

type compiler struct {
	src      map[string]*apigw.Resource
	children map[string][]string // parent id -> child ids, sorted
	reached  map[string]bool
	failed   map[string]bool
	errs     []error
}

func (c *compiler) fail(id, path string, err error) {
	if c.failed == nil {
		c.failed = map[string]bool{}
	}
	c.failed[id] = true
	c.errs = append(c.errs, &CompileError{ResourceID: id, Path: path, Err: err})
}

// build compiles the resource id and its subtree; parent is nil for the root.
func (c *compiler) build(t *Table, id string, src *apigw.Resource, parent *Resource, part respath.Part) *Resource {
	c.reached[id] = true
	r := &Resource{ID: id, Path: "/", part: part, anyIdx: -1}
	if parent != nil {
		r.Path = respath.Child(parent.Path, part.String())
	}
	t.byPath[r.Path] = r
	t.resources = append(t.resources, r)
	c.methods(r, src)

	var kids []*Resource
	for _, cid := range c.children[id] {
		csrc := c.src[cid]
		p, err := respath.ParsePart(csrc.PathPart)
		if err != nil {
			c.fail(cid, "", fmt.Errorf("pathPart %q: %w", csrc.PathPart, err))
			c.markReached(cid)
			continue
		}
		cpath := respath.Child(r.Path, p.String())
		if part.Kind == respath.Greedy {
			c.fail(cid, cpath, &respath.GreedyChildError{Parent: part})
			c.markReached(cid)
			continue
		}
		conflict := false
		for _, k := range kids {
			if err := respath.SiblingConflict(k.part, p); err != nil {
				c.fail(cid, cpath, fmt.Errorf("sibling %q: %w", k.ID, err))
				conflict = true
				break
			}
		}
		if conflict {
			c.markReached(cid)
			continue
		}
		kid := c.build(t, cid, csrc, r, p)
		kids = append(kids, kid)
		switch p.Kind {
		case respath.Literal:
			r.literals = append(r.literals, kid)
		case respath.Param:
			r.param = kid
		case respath.Greedy:
			r.greedy = kid
		}
	}
	slices.SortFunc(r.literals, func(a, b *Resource) int { return cmp.Compare(a.part.Name, b.part.Name) })
	if len(r.literals) >= literalIndexMin {
		r.litIndex = make(map[string]*Resource, len(r.literals))
		for _, k := range r.literals {
			r.litIndex[k.part.Name] = k
		}
	}
	return r
}

// markReached marks a refused resource's subtree as reached, so its
// descendants are not also reported as unreachable.
func (c *compiler) markReached(id string) {
	if c.reached[id] {
		return
	}
	c.reached[id] = true
	for _, k := range c.children[id] {
		c.markReached(k)
	}
}

// methods compiles src's methods into r.
func (c *compiler) methods(r *Resource, src *apigw.Resource) {
	names := make([]string, 0, len(src.Methods))
	for name := range src.Methods {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		m := src.Methods[name]
		switch {
		case !slices.Contains(apigw.HTTPMethods, name):
			c.fail(r.ID, r.Path, fmt.Errorf("method %q: %w", name, ErrInvalidMethod))
			continue
		case m == nil:
			c.fail(r.ID, r.Path, fmt.Errorf("method %s: %w", name, ErrNilMethod))
			continue
		}
		if name == "ANY" {
			r.anyIdx = len(r.methods)
		}
		r.methods = append(r.methods, method{name: name, m: m, throttleKey: respath.MethodKey(r.Path, name)})
	}
}

// unreachable explains why id, whose parent exists, was not reached from the
// root: its ancestors form a cycle, or an ancestor was refused.
func (c *compiler) unreachable(id string) error {
	seen := map[string]bool{}
	for cur := id; ; {
		if seen[cur] {
			return ErrCycle
		}
		seen[cur] = true
		r := c.src[cur]
		if r == nil || c.failed[cur] && cur != id {
			return fmt.Errorf("%w: ancestor %q is refused", ErrMissingParent, cur)
		}
		cur = r.ParentID
	}
}
