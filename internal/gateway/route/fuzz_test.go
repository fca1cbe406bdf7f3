package route

import (
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/respath"
)

// FuzzMatch matches random paths against a fixed table. Match must not
// panic; a Found match's resource path with its parameters substituted must
// give back the (decoded) request path; and the resource must be the one a
// brute-force reference matcher picks.
func FuzzMatch(f *testing.F) {
	tab := compile(f, petstore...)
	for _, p := range []string{"/", "/pets", "/pets/42", "/pets/mine/food", "/a/b/c/d", "/pets/a%2Fb", "/pets/", "/x//y", "/%zz"} {
		f.Add("GET", p)
	}
	f.Fuzz(func(t *testing.T, method, path string) {
		var ps Params
		m, res := tab.Match(method, path, &ps)
		m2, res2 := tab.Match(method, path, nil)
		if res != res2 || m.Resource != m2.Resource || m.Method != m2.Method {
			t.Fatalf("Match(%q) with and without params differ: %v %v / %v %v", path, res, m.Resource, res2, m2.Resource)
		}
		want := referenceMatch(tab, path)
		if (want == nil) != (m.Resource == nil) || want != nil && want != m.Resource {
			t.Fatalf("Match(%q) = %v, reference picks %v", path, m.Resource, want)
		}
		switch res {
		case NoResource:
			if ps.Len() != 0 || m.Resource != nil || m.Method != nil {
				t.Fatalf("NoResource for %q left params %v / resource %v", path, params(&ps), m.Resource)
			}
			return
		case NoMethod:
			if m.Method != nil || m.ThrottleKey() != "" {
				t.Fatalf("NoMethod for %q with method %v", path, m.Method)
			}
		case Found:
			if m.Method == nil || m.ThrottleKey() != m.Resource.Path+"/"+m.HTTPMethod {
				t.Fatalf("Found %q: method %v key %q", path, m.Method, m.ThrottleKey())
			}
			if m.HTTPMethod != method && m.HTTPMethod != "ANY" {
				t.Fatalf("Found %q for %s via %s", path, method, m.HTTPMethod)
			}
		}
		decoded, err := url.PathUnescape(path)
		if err != nil {
			t.Fatalf("matched %q, which does not decode: %v", path, err)
		}
		got := substitute(t, m.Resource.Path, &ps)
		if got != decoded && got+"/" != decoded {
			t.Fatalf("Match(%q): %s with %v gives %q, want %q", path, m.Resource.Path, params(&ps), got, decoded)
		}
		if got+"/" == decoded && m.Resource.Part().Kind == respath.Greedy {
			t.Fatalf("Match(%q): greedy value %v lost the trailing slash", path, params(&ps))
		}
	})
}

// substitute replaces the variables of resourcePath with ps, in order.
func substitute(t *testing.T, resourcePath string, ps *Params) string {
	parts, err := respath.Parse(resourcePath)
	if err != nil {
		t.Fatalf("compiled path %q does not parse: %v", resourcePath, err)
	}
	var b strings.Builder
	i := 0
	for _, p := range parts {
		b.WriteByte('/')
		if !p.Variable() {
			b.WriteString(p.Name)
			continue
		}
		if i >= ps.Len() || ps.At(i).Name != p.Name {
			t.Fatalf("%s: parameter %d is not %s: %v", resourcePath, i, p.Name, params(ps))
		}
		b.WriteString(ps.At(i).Value)
		i++
	}
	if i != ps.Len() {
		t.Fatalf("%s: %d extra parameters: %v", resourcePath, ps.Len()-i, params(ps))
	}
	if b.Len() == 0 {
		return "/"
	}
	return b.String()
}

// referenceMatch is the matching rule written as plainly as possible: among
// all resources that match path, the most specific (comparing part kinds
// left to right, literal < param < greedy).
func referenceMatch(tab *Table, path string) *Resource {
	if !strings.HasPrefix(path, "/") {
		return nil
	}
	if _, err := url.PathUnescape(path); err != nil {
		return nil
	}
	if path == "/" {
		return tab.Root()
	}
	segs := strings.Split(path[1:], "/")
	var best *Resource
	var bestKinds []respath.Kind
	for _, r := range tab.Resources() {
		parts, _ := respath.Parse(r.Path)
		if len(parts) == 0 || !refMatches(parts, segs) {
			continue
		}
		kinds := make([]respath.Kind, len(parts))
		for i, p := range parts {
			kinds[i] = p.Kind
		}
		if best == nil || lessKinds(kinds, bestKinds) {
			best, bestKinds = r, kinds
		}
	}
	return best
}

func refMatches(parts []respath.Part, segs []string) bool {
	n := len(parts)
	greedy := parts[n-1].Kind == respath.Greedy
	if greedy {
		n--
		if len(segs) <= n || segs[n] == "" {
			return false
		}
	} else {
		// One trailing empty segment (a trailing slash) is allowed.
		if len(segs) == n+1 && segs[n] == "" {
			segs = segs[:n]
		}
		if len(segs) != n {
			return false
		}
	}
	for i := range n {
		if segs[i] == "" {
			return false
		}
		if parts[i].Kind == respath.Literal {
			d, _ := url.PathUnescape(segs[i])
			if d != parts[i].Name {
				return false
			}
		}
	}
	return true
}

func lessKinds(a, b []respath.Kind) bool {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return len(a) < len(b) // not reached: two matches never share a prefix of kinds and differ in length
}
