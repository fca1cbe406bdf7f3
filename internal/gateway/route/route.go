package route

import (
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/respath"
)

// Result says how a request path and method matched a Table.
type Result int

const (
	// Found: a resource and one of its methods (exact or ANY) matched.
	Found Result = iota
	// NoResource: no resource matches the path.
	NoResource
	// NoMethod: a resource matches the path but defines neither the
	// requested method nor ANY (for example: changed but not redeployed).
	NoMethod
)

func (r Result) String() string {
	switch r {
	case Found:
		return "Found"
	case NoResource:
		return "NoResource"
	case NoMethod:
		return "NoMethod"
	}
	return "Result(" + strconv.Itoa(int(r)) + ")"
}

// Table is the compiled, immutable resource tree of one deployment. It is
// safe for concurrent use.
type Table struct {
	root      *Resource
	byPath    map[string]*Resource
	resources []*Resource // sorted by Path
}

// Resource is a compiled resource. Its fields must be treated as read-only.
type Resource struct {
	// ID is the resource id from the snapshot.
	ID string
	// Path is the full resource path, e.g. "/", "/pets/{id}", "/{proxy+}".
	Path string

	part    respath.Part
	methods []method // sorted by name
	anyIdx  int      // index of ANY in methods, -1 when none

	literals []*Resource          // literal children, sorted by name
	litIndex map[string]*Resource // literal children by name, when many
	param    *Resource            // the {name} child
	greedy   *Resource            // the {name+} child
}

type method struct {
	name        string
	m           *apigw.Method
	throttleKey string // "{Path}/{name}", e.g. "/pets/GET", "//GET"
}

// literalIndexMin is the number of literal children from which a map replaces
// the linear scan.
const literalIndexMin = 9

// Part returns the resource's path part; the root's is the zero Part.
func (r *Resource) Part() respath.Part { return r.part }

// Method returns the method defined for exactly httpMethod ("GET", "ANY",
// ...), with no ANY fallback.
func (r *Resource) Method(httpMethod string) (*apigw.Method, bool) {
	if i := r.methodIndex(httpMethod); i >= 0 {
		return r.methods[i].m, true
	}
	return nil, false
}

// HTTPMethods returns the methods the resource defines, sorted.
func (r *Resource) HTTPMethods() []string {
	out := make([]string, len(r.methods))
	for i, m := range r.methods {
		out[i] = m.name
	}
	return out
}

func (r *Resource) methodIndex(name string) int {
	for i := range r.methods {
		if r.methods[i].name == name {
			return i
		}
	}
	return -1
}

// Match is a matched resource and method.
type Match struct {
	// Resource is the matched resource; it is set for NoMethod too.
	Resource *Resource
	// Method is the method that serves the request; nil unless Found.
	Method *apigw.Method
	// HTTPMethod is the key Method is defined under: the request method,
	// or "ANY" when the resource has no method of its own for it.
	HTTPMethod string

	throttleKey string
}

// ThrottleKey returns AWS's method key "{resourcePath}/{HTTPMethod}" used by
// usage-plan per-method throttles and stage method settings: "/pets/GET",
// "/pets/{id}/ANY", and "//GET" for the root. It is precomputed and costs no
// allocation; it is "" unless the match is Found.
func (m Match) ThrottleKey() string { return m.throttleKey }

// Root returns the root resource ("/").
func (t *Table) Root() *Resource { return t.root }

// Resources returns every resource sorted by path.
func (t *Table) Resources() []*Resource { return slices.Clone(t.resources) }

// Match finds the resource and method for a request. path is the part of the
// request path after "/{stage}", starting with "/" and still percent-encoded
// as received; method is the request's HTTP method. params, when not nil, is
// Reset and receives the path parameters (decoded; a greedy parameter gets
// the rest of the path without its leading "/"). See the package
// documentation for the rules.
func (t *Table) Match(method, path string, params *Params) (Match, Result) {
	params.Reset()
	if path == "" || path[0] != '/' {
		return Match{}, NoResource
	}
	escaped := strings.IndexByte(path, '%') >= 0
	if escaped && !validEscapes(path) {
		return Match{}, NoResource
	}
	r := t.root
	if path != "/" {
		if r = r.match(path[1:], escaped, params); r == nil {
			return Match{}, NoResource
		}
	}
	i := r.methodIndex(method)
	if i < 0 {
		i = r.anyIdx
	}
	if i < 0 {
		return Match{Resource: r}, NoMethod
	}
	return r.found(i), Found
}

func (r *Resource) found(i int) Match {
	m := &r.methods[i]
	return Match{Resource: r, Method: m.m, HTTPMethod: m.name, throttleKey: m.throttleKey}
}

// match matches rest, the request path after the "/" that ends r's segment,
// against r's subtree and returns the resource it selects, or nil. On nil,
// params holds what it held on entry.
func (r *Resource) match(rest string, escaped bool, params *Params) *Resource {
	seg, tail, last := rest, "", true
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		seg, tail = rest[:i], rest[i+1:]
		// A single trailing slash after a non-empty segment is ignored.
		last = tail == "" && seg != ""
	}
	if seg != "" && (len(r.literals) > 0 || r.param != nil) {
		seg = decode(seg, escaped) // decoded once for the literal and the param
		if c := r.literal(seg); c != nil {
			if last {
				return c
			}
			if m := c.match(tail, escaped, params); m != nil {
				return m
			}
		}
		if c := r.param; c != nil {
			mark := params.Len()
			params.add(c.part.Name, seg)
			if last {
				return c
			}
			if m := c.match(tail, escaped, params); m != nil {
				return m
			}
			params.truncate(mark)
		}
	}
	if c := r.greedy; c != nil && rest != "" && rest[0] != '/' {
		params.add(c.part.Name, decode(rest, escaped))
		return c
	}
	return nil
}

// literal returns the literal child called seg (a decoded segment).
func (r *Resource) literal(seg string) *Resource {
	if r.litIndex != nil {
		return r.litIndex[seg]
	}
	for _, c := range r.literals {
		if c.part.Name == seg {
			return c
		}
	}
	return nil
}

// decode percent-decodes s when the path has escapes and s contains one.
// The path's escapes were validated by Match.
func decode(s string, escaped bool) string {
	if !escaped || strings.IndexByte(s, '%') < 0 {
		return s
	}
	u, err := url.PathUnescape(s)
	if err != nil {
		return s // unreachable: escapes were validated
	}
	return u
}

// validEscapes reports whether every "%" in s starts a "%XX" hex escape.
func validEscapes(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			continue
		}
		if i+2 >= len(s) || !ishex(s[i+1]) || !ishex(s[i+2]) {
			return false
		}
		i += 2
	}
	return true
}

func ishex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// Lookup finds the method defined for exactly httpMethod (no ANY fallback) on
// the resource whose path is resourcePath, e.g. ("/pets/{id}", "GET") or
// ("/", "GET"). It is for configuration keys (usage-plan method throttles,
// stage method settings), not for request paths.
func (t *Table) Lookup(resourcePath, httpMethod string) (Match, Result) {
	r, ok := t.byPath[resourcePath]
	if !ok {
		return Match{}, NoResource
	}
	i := r.methodIndex(httpMethod)
	if i < 0 {
		return Match{Resource: r}, NoMethod
	}
	return r.found(i), Found
}

// LookupKey is Lookup for a method key as AWS stores it: "/pets/GET",
// "//GET" (root), the methodSettings form "~1pets~1{id}/GET" (JSON-pointer
// escapes "~1" for "/" and "~0" for "~"), or Terraform's "pets/GET" without
// a leading slash. The last "/"-separated part is the HTTP method. Keys that
// name no single method, such as "*/*", give NoResource.
func (t *Table) LookupKey(key string) (Match, Result) {
	if strings.Contains(key, "~") {
		key = strings.NewReplacer("~1", "/", "~0", "~").Replace(key)
	}
	if !strings.HasPrefix(key, "/") {
		key = "/" + key
	}
	i := strings.LastIndexByte(key, '/')
	if i < 0 {
		return Match{}, NoResource
	}
	p, m := key[:i], key[i+1:]
	if p == "" {
		return Match{}, NoResource
	}
	return t.Lookup(p, m)
}
