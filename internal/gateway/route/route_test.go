package route

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// petstore is the table most match tests run against.
var petstore = []string{
	"GET /",
	"GET,POST /pets",
	"GET,DELETE /pets/{id}",
	"GET /pets/{id}/toys",
	"GET /pets/mine/toys",
	"GET /pets/{id}/food",
	"ANY /{proxy+}",
	"GET,ANY /files/{path+}",
	"HEAD /health",
	"- /empty",
	"GET /Case",
	"GET /a/b/c",
	"GET /a/{p}/d",
	"GET /a/{p}/{q+}",
	"GET /users/{user}/repos/{repo}/issues/{n}",
}

type matchWant struct {
	result   Result
	resource string // resource path, "" for none
	httpKey  string // matched method key
	params   []Param
}

func TestMatch(t *testing.T) {
	tab := compile(t, petstore...)
	p := func(kv ...string) []Param {
		var out []Param
		for i := 0; i < len(kv); i += 2 {
			out = append(out, Param{kv[i], kv[i+1]})
		}
		return out
	}
	tests := []matchCase{
		// root
		{"root", "GET", "/", matchWant{Found, "/", "GET", nil}},
		{"root other method", "POST", "/", matchWant{NoMethod, "/", "", nil}},
		{"empty path", "GET", "", matchWant{NoResource, "", "", nil}},
		{"no leading slash", "GET", "pets", matchWant{NoResource, "", "", nil}},
		{"double slash is not root", "GET", "//", matchWant{NoResource, "", "", nil}},

		// literal, precedence over param and greedy
		{"literal", "GET", "/pets", matchWant{Found, "/pets", "GET", nil}},
		{"literal second method", "POST", "/pets", matchWant{Found, "/pets", "POST", nil}},
		{"literal wins over greedy but no method", "PUT", "/pets", matchWant{NoMethod, "/pets", "", nil}},
		{"param", "GET", "/pets/42", matchWant{Found, "/pets/{id}", "GET", p("id", "42")}},
		{"param other method", "DELETE", "/pets/42", matchWant{Found, "/pets/{id}", "DELETE", p("id", "42")}},
		{"param no method, no greedy fallback", "PATCH", "/pets/42", matchWant{NoMethod, "/pets/{id}", "", p("id", "42")}},
		{"literal child beats param", "GET", "/pets/mine/toys", matchWant{Found, "/pets/mine/toys", "GET", nil}},
		{"intermediate literal without methods", "GET", "/pets/mine", matchWant{NoMethod, "/pets/mine", "", nil}},

		// backtracking
		{"backtrack from literal to param", "GET", "/pets/mine/food", matchWant{Found, "/pets/{id}/food", "GET", p("id", "mine")}},
		{"backtrack to param keeps its child", "GET", "/pets/7/toys", matchWant{Found, "/pets/{id}/toys", "GET", p("id", "7")}},
		{"backtrack to greedy at root", "GET", "/pets/mine/bed", matchWant{Found, "/{proxy+}", "ANY", p("proxy", "pets/mine/bed")}},
		{"backtrack discards params", "GET", "/pets/7/toys/x", matchWant{Found, "/{proxy+}", "ANY", p("proxy", "pets/7/toys/x")}},
		{"deep literal dead end", "GET", "/a/b/d", matchWant{Found, "/a/{p}/d", "GET", p("p", "b")}},
		{"deep literal exact", "GET", "/a/b/c", matchWant{Found, "/a/b/c", "GET", nil}},
		{"param then greedy", "GET", "/a/b/c/d", matchWant{Found, "/a/{p}/{q+}", "GET", p("p", "b", "q", "c/d")}},
		{"param then greedy single", "GET", "/a/b/e", matchWant{Found, "/a/{p}/{q+}", "GET", p("p", "b", "q", "e")}},
		{"many params", "GET", "/users/ann/repos/gh/issues/9", matchWant{Found, "/users/{user}/repos/{repo}/issues/{n}", "GET", p("user", "ann", "repo", "gh", "n", "9")}},

		// greedy and ANY
		{"greedy one segment", "DELETE", "/zzz", matchWant{Found, "/{proxy+}", "ANY", p("proxy", "zzz")}},
		{"greedy many segments", "PUT", "/x/y/z", matchWant{Found, "/{proxy+}", "ANY", p("proxy", "x/y/z")}},
		{"greedy keeps inner empty segment", "GET", "/x//z", matchWant{Found, "/{proxy+}", "ANY", p("proxy", "x//z")}},
		{"greedy exact method before ANY", "GET", "/files/a/b", matchWant{Found, "/files/{path+}", "GET", p("path", "a/b")}},
		{"greedy ANY fallback", "POST", "/files/a/b", matchWant{Found, "/files/{path+}", "ANY", p("path", "a/b")}},
		{"greedy needs a segment", "GET", "/files", matchWant{NoMethod, "/files", "", nil}},
		{"greedy does not take empty first segment", "GET", "/files//a", matchWant{Found, "/{proxy+}", "ANY", p("proxy", "files//a")}},
		{"greedy keeps trailing slash", "GET", "/files/a/", matchWant{Found, "/files/{path+}", "GET", p("path", "a/")}},
		{"greedy at root keeps trailing slash", "GET", "/x/y/", matchWant{Found, "/{proxy+}", "ANY", p("proxy", "x/y/")}},

		// methods
		{"HEAD does not fall back to GET", "HEAD", "/pets", matchWant{NoMethod, "/pets", "", nil}},
		{"HEAD defined", "HEAD", "/health", matchWant{Found, "/health", "HEAD", nil}},
		{"GET not served by HEAD", "GET", "/health", matchWant{NoMethod, "/health", "", nil}},
		{"resource without methods", "GET", "/empty", matchWant{NoMethod, "/empty", "", nil}},
		{"method names are case-sensitive", "get", "/pets", matchWant{NoMethod, "/pets", "", nil}},
		{"ANY serves any method name", "PROPFIND", "/q", matchWant{Found, "/{proxy+}", "ANY", p("proxy", "q")}},

		// trailing slash
		{"trailing slash literal", "GET", "/pets/", matchWant{Found, "/pets", "GET", nil}},
		{"trailing slash param", "GET", "/pets/42/", matchWant{Found, "/pets/{id}", "GET", p("id", "42")}},
		{"two trailing slashes go to greedy", "GET", "/pets//", matchWant{Found, "/{proxy+}", "ANY", p("proxy", "pets//")}},
		{"leading empty segment", "GET", "//pets", matchWant{NoResource, "", "", nil}},

		// case sensitivity
		{"case literal", "GET", "/Case", matchWant{Found, "/Case", "GET", nil}},
		{"case mismatch goes to greedy", "GET", "/case", matchWant{Found, "/{proxy+}", "ANY", p("proxy", "case")}},
		{"case mismatch literal", "GET", "/PETS", matchWant{Found, "/{proxy+}", "ANY", p("proxy", "PETS")}},

		// escaping
		{"escaped slash stays in param", "GET", "/pets/a%2Fb", matchWant{Found, "/pets/{id}", "GET", p("id", "a/b")}},
		{"escaped slash does not split", "GET", "/pets/mine%2Ftoys", matchWant{Found, "/pets/{id}", "GET", p("id", "mine/toys")}},
		{"escaped literal matches decoded", "GET", "/p%65ts", matchWant{Found, "/pets", "GET", nil}},
		{"escaped space", "GET", "/pets/a%20b", matchWant{Found, "/pets/{id}", "GET", p("id", "a b")}},
		{"plus is literal", "GET", "/pets/a+b", matchWant{Found, "/pets/{id}", "GET", p("id", "a+b")}},
		{"escaped greedy", "GET", "/files/a%2Fb/c%20d", matchWant{Found, "/files/{path+}", "GET", p("path", "a/b/c d")}},
		{"bad escape", "GET", "/pets/%zz", matchWant{NoResource, "", "", nil}},
		{"truncated escape", "GET", "/pets/%4", matchWant{NoResource, "", "", nil}},
		{"bad escape even where greedy would match", "GET", "/x/%", matchWant{NoResource, "", "", nil}},
		{"unicode escape", "GET", "/pets/%C3%A9", matchWant{Found, "/pets/{id}", "GET", p("id", "é")}},

		// dot segments are ordinary
		{"dot segments", "GET", "/pets/..", matchWant{Found, "/pets/{id}", "GET", p("id", "..")}},
	}
	runMatchCases(t, tab, tests)
}

// TestMatchEmptySegments runs without a catch-all, which would take them.
func TestMatchEmptySegments(t *testing.T) {
	tab := compile(t, "GET /pets", "GET /pets/{id}", "GET /pets/{id}/toys", "GET /files/{path+}")
	runMatchCases(t, tab, []matchCase{
		{"empty segment is not a literal", "GET", "/pets//toys", matchWant{NoResource, "", "", nil}},
		{"empty segment is not a param", "GET", "/pets//", matchWant{NoResource, "", "", nil}},
		{"empty last segment", "GET", "/pets/1//", matchWant{NoResource, "", "", nil}},
		{"greedy does not take empty first segment", "GET", "/files//a", matchWant{NoResource, "", "", nil}},
		{"greedy needs a segment", "GET", "/files", matchWant{NoMethod, "/files", "", nil}},
		{"greedy needs a non-empty segment", "GET", "/files/", matchWant{NoMethod, "/files", "", nil}},
		{"greedy keeps inner empty segments", "GET", "/files/a//b//", matchWant{Found, "/files/{path+}", "GET", []Param{{"path", "a//b//"}}}},
		{"no catch-all", "GET", "/other", matchWant{NoResource, "", "", nil}},
	})
}

type matchCase struct {
	name, method, path string
	want               matchWant
}

func runMatchCases(t *testing.T, tab *Table, tests []matchCase) {
	t.Helper()
	var ps Params
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ps.add("stale", "value") // Match must Reset
			m, res := tab.Match(tc.method, tc.path, &ps)
			got := matchWant{result: res, httpKey: m.HTTPMethod, params: params(&ps)}
			if m.Resource != nil {
				got.resource = m.Resource.Path
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(matchWant{})); diff != "" {
				t.Errorf("Match(%q, %q) mismatch (-want +got):\n%s", tc.method, tc.path, diff)
			}
			if res == Found {
				wantOp := tc.want.httpKey + " " + tc.want.resource
				if m.Method == nil || m.Method.OperationName != wantOp {
					t.Errorf("Method = %+v, want operation %q", m.Method, wantOp)
				}
			} else if m.Method != nil {
				t.Errorf("Method = %+v on %v, want nil", m.Method, res)
			}
		})
	}
}

func TestMatchNilParams(t *testing.T) {
	tab := compile(t, petstore...)
	m, res := tab.Match("GET", "/pets/mine/food", nil)
	if res != Found || m.Resource.Path != "/pets/{id}/food" {
		t.Fatalf("Match = %v %v, want Found /pets/{id}/food", m.Resource, res)
	}
	if _, res := tab.Match("GET", "/pets/%zz", nil); res != NoResource {
		t.Fatalf("bad escape with nil params: %v, want NoResource", res)
	}
}

func TestMatchRootWithoutMethods(t *testing.T) {
	tab := compile(t, "ANY /{proxy+}")
	m, res := tab.Match("GET", "/", nil)
	if res != NoMethod || m.Resource != tab.Root() {
		t.Fatalf(`Match("/") = %v, %v; want NoMethod on the root ({proxy+} does not match "/")`, m.Resource, res)
	}
}

func TestMatchManyParams(t *testing.T) {
	// Deeper than the fixed array, with backtracking across the boundary.
	var specs []string
	var path, req strings.Builder
	var want []Param
	for i := range 12 {
		fmt.Fprintf(&path, "/{p%d}", i)
		fmt.Fprintf(&req, "/v%d", i)
		want = append(want, Param{fmt.Sprintf("p%d", i), fmt.Sprintf("v%d", i)})
	}
	specs = append(specs, "GET "+path.String()+"/end", "GET "+path.String()+"/{rest+}")
	tab := compile(t, specs...)
	var ps Params
	for _, tc := range []struct {
		req, resource string
		want          []Param
	}{
		{req.String() + "/end", path.String() + "/end", want},
		{req.String() + "/x/y", path.String() + "/{rest+}", append(want[:12:12], Param{"rest", "x/y"})},
		{req.String() + "//x", "", nil}, // fails after 12 params: all are dropped
	} {
		m, res := tab.Match("GET", tc.req, &ps)
		got := ""
		if m.Resource != nil {
			got = m.Resource.Path
		}
		if got != tc.resource {
			t.Errorf("Match(%q) resource = %q (%v), want %q", tc.req, got, res, tc.resource)
		}
		if diff := cmp.Diff(tc.want, params(&ps)); diff != "" {
			t.Errorf("Match(%q) params (-want +got):\n%s", tc.req, diff)
		}
	}
	if v, ok := ps.Get("p10"); ok {
		t.Errorf("after a failed match Get(p10) = %q, want nothing", v)
	}
}

func TestParams(t *testing.T) {
	var p Params
	for i := range 10 {
		p.add(fmt.Sprintf("k%d", i), fmt.Sprintf("v%d", i))
	}
	p.add("k1", "second")
	if got, ok := p.Get("k9"); !ok || got != "v9" {
		t.Errorf("Get(k9) = %q, %v; want v9 (overflow)", got, ok)
	}
	if got, _ := p.Get("k1"); got != "v1" {
		t.Errorf("Get(k1) = %q, want the first value v1", got)
	}
	if _, ok := p.Get("nope"); ok {
		t.Error("Get(nope) found a value")
	}
	p.truncate(9)
	if p.Len() != 9 || p.At(8) != (Param{"k8", "v8"}) {
		t.Errorf("after truncate(9): Len %d, At(8) %v", p.Len(), p.At(8))
	}
	p.truncate(3)
	if diff := cmp.Diff([]Param{{"k0", "v0"}, {"k1", "v1"}, {"k2", "v2"}}, params(&p)); diff != "" {
		t.Errorf("after truncate(3) (-want +got):\n%s", diff)
	}
	p.Reset()
	if p.Len() != 0 || params(&p) != nil {
		t.Errorf("after Reset: %v", params(&p))
	}
	var nilp *Params
	if nilp.Len() != 0 {
		t.Error("nil Params has a length")
	}
	if _, ok := nilp.Get("x"); ok {
		t.Error("nil Params has a value")
	}
	// All stops when asked.
	p.add("a", "1")
	p.add("b", "2")
	n := 0
	for range p.All() {
		n++
		break
	}
	if n != 1 {
		t.Errorf("All yielded %d after break", n)
	}
}

func TestMatchLargeFanOut(t *testing.T) {
	// Enough literal siblings to use the index map.
	specs := []string{"GET /{id}"}
	for i := range 20 {
		specs = append(specs, fmt.Sprintf("GET /lit%02d", i), fmt.Sprintf("GET /lit%02d/sub", i))
	}
	tab := compile(t, specs...)
	if tab.Root().litIndex == nil {
		t.Fatal("root has no literal index with 20 literal children")
	}
	for _, tc := range []struct{ path, want string }{
		{"/lit07", "/lit07"},
		{"/lit%307", "/lit07"},
		{"/lit19/sub", "/lit19/sub"},
		{"/lit20", "/{id}"},
	} {
		m, res := tab.Match("GET", tc.path, nil)
		if res != Found || m.Resource.Path != tc.want {
			t.Errorf("Match(%q) = %v %v, want %q", tc.path, m.Resource, res, tc.want)
		}
	}
}

func TestThrottleKeyAndLookup(t *testing.T) {
	tab := compile(t, petstore...)
	tests := []struct {
		method, path string
		wantKey      string
	}{
		{"GET", "/", "//GET"},
		{"GET", "/pets", "/pets/GET"},
		{"DELETE", "/pets/1", "/pets/{id}/DELETE"},
		{"PATCH", "/nowhere", "/{proxy+}/ANY"},
		{"PUT", "/pets", ""},
	}
	for _, tc := range tests {
		m, _ := tab.Match(tc.method, tc.path, nil)
		if got := m.ThrottleKey(); got != tc.wantKey {
			t.Errorf("Match(%q, %q).ThrottleKey() = %q, want %q", tc.method, tc.path, got, tc.wantKey)
		}
	}

	lookups := []struct {
		name, key string
		want      Result
		resource  string
		wantKey   string
	}{
		{"root", "//GET", Found, "/", "//GET"},
		{"plain", "/pets/GET", Found, "/pets", "/pets/GET"},
		{"param path", "/pets/{id}/DELETE", Found, "/pets/{id}", "/pets/{id}/DELETE"},
		{"json pointer escapes", "~1pets~1{id}/GET", Found, "/pets/{id}", "/pets/{id}/GET"},
		{"terraform form", "pets/mine/toys/GET", Found, "/pets/mine/toys", "/pets/mine/toys/GET"},
		{"root escaped", "~1/GET", Found, "/", "//GET"},
		{"ANY is exact", "/{proxy+}/ANY", Found, "/{proxy+}", "/{proxy+}/ANY"},
		{"no ANY fallback", "/{proxy+}/GET", NoMethod, "/{proxy+}", ""},
		{"no method", "/pets/PUT", NoMethod, "/pets", ""},
		{"not a request path", "/pets/42/GET", NoResource, "", ""},
		{"stage default", "*/*", NoResource, "", ""},
		{"no path", "/GET", NoResource, "", ""},
		{"empty", "", NoResource, "", ""},
	}
	for _, tc := range lookups {
		t.Run(tc.name, func(t *testing.T) {
			m, res := tab.LookupKey(tc.key)
			got := ""
			if m.Resource != nil {
				got = m.Resource.Path
			}
			if res != tc.want || got != tc.resource || m.ThrottleKey() != tc.wantKey {
				t.Errorf("LookupKey(%q) = %v %q key %q; want %v %q key %q", tc.key, res, got, m.ThrottleKey(), tc.want, tc.resource, tc.wantKey)
			}
		})
	}
}

func TestResourceAccessors(t *testing.T) {
	tab := compile(t, petstore...)
	m, _ := tab.Lookup("/files/{path+}", "GET")
	r := m.Resource
	if diff := cmp.Diff([]string{"ANY", "GET"}, r.HTTPMethods()); diff != "" {
		t.Errorf("HTTPMethods (-want +got):\n%s", diff)
	}
	if got := r.Part().String(); got != "{path+}" {
		t.Errorf("Part = %q", got)
	}
	if _, ok := r.Method("POST"); ok {
		t.Error("Method(POST) found without ANY fallback")
	}
	var paths []string
	for _, r := range tab.Resources() {
		paths = append(paths, r.Path)
	}
	want := []string{"/", "/Case", "/a", "/a/b", "/a/b/c", "/a/{p}", "/a/{p}/d", "/a/{p}/{q+}", "/empty", "/files", "/files/{path+}", "/health", "/pets", "/pets/mine", "/pets/mine/toys", "/pets/{id}", "/pets/{id}/food", "/pets/{id}/toys", "/users", "/users/{user}", "/users/{user}/repos", "/users/{user}/repos/{repo}", "/users/{user}/repos/{repo}/issues", "/users/{user}/repos/{repo}/issues/{n}", "/{proxy+}"}
	if diff := cmp.Diff(want, paths); diff != "" {
		t.Errorf("Resources (-want +got):\n%s", diff)
	}
	if got := Result(7).String(); got != "Result(7)" {
		t.Errorf("Result(7).String() = %q", got)
	}
}

func TestMatchDoesNotAllocate(t *testing.T) {
	tab := compile(t, petstore...)
	var ps Params
	for _, path := range []string{"/", "/pets", "/pets/42", "/pets/mine/food", "/a/b/c/d", "/x/y/z", "/pets/", "/nope//x", "/users/ann/repos/gh/issues/9"} {
		allocs := testing.AllocsPerRun(100, func() {
			m, _ := tab.Match("GET", path, &ps)
			_ = m.ThrottleKey()
		})
		if allocs != 0 {
			t.Errorf("Match(%q) allocates %.0f times, want 0", path, allocs)
		}
	}
}

func TestMatchConcurrent(t *testing.T) {
	tab := compile(t, petstore...)
	paths := map[string]string{"/pets/1": "/pets/{id}", "/pets/mine/food": "/pets/{id}/food", "/x/y": "/{proxy+}", "/a/b/c": "/a/b/c"}
	done := make(chan error)
	for range 4 {
		go func() {
			var ps Params
			for range 200 {
				for path, want := range paths {
					if m, _ := tab.Match("GET", path, &ps); m.Resource == nil || m.Resource.Path != want {
						done <- fmt.Errorf("Match(%q) = %v, want %s", path, m.Resource, want)
						return
					}
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
