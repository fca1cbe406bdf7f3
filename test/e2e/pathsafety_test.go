package e2e

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/apitest"
)

// pathRecorder is an upstream that records the request target of every
// request exactly as it arrived on the request line, and then serves it the
// way common servers do: it decodes the path, takes "\" for "/", drops
// ";parameters" and resolves dot segments. Its private file is
// /private/secret.txt.
type pathRecorder struct {
	mu   sync.Mutex
	seen []string // "GET /public/a.txt" (method and raw request target)
}

func (p *pathRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.seen = append(p.seen, r.Method+" "+r.RequestURI)
	p.mu.Unlock()
	served := servedPath(r.URL.Path)
	if served == "/private/secret.txt" {
		io.WriteString(w, "SECRET")
		return
	}
	io.WriteString(w, "served "+served)
}

// take returns what arrived since the last take.
func (p *pathRecorder) take() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.seen
	p.seen = nil
	return out
}

// servedPath is the path a lenient upstream serves for a decoded path.
func servedPath(decoded string) string {
	segs := strings.Split(strings.ReplaceAll(decoded, `\`, "/"), "/")
	for i, s := range segs {
		segs[i], _, _ = strings.Cut(s, ";")
	}
	return path.Clean("/" + strings.Join(segs, "/"))
}

// TestPathTraversal: dot segments in the path, or in a path parameter once
// decoded, never carry a request past the resource that authorised it. The
// public /public/{proxy+} and the key-protected /private/{proxy+} proxy to
// the same upstream; a request that matches the public resource must not
// reach the private file, however it spells "..". A non-greedy parameter
// never adds a segment upstream, and one placed in the integration uri's
// query never adds a query parameter.
func TestPathTraversal(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	rec := &pathRecorder{}
	up := httptest.NewServer(rec)
	t.Cleanup(up.Close)

	f := newFixture(t, env, "PathSafety")
	f.httpProxy("GET", "/public/{proxy+}", false, up.URL+"/public/{proxy}", 0)
	f.httpProxy("GET", "/private/{proxy+}", true, up.URL+"/private/{proxy}", 0)
	f.httpProxy("GET", "/h/{host}", false, up.URL+"/users/{host}/profile", 0)
	f.httpProxy("GET", "/q/{host}", false, up.URL+"/q?user={host}", 0)
	// The resolver's own guard: "." in the uri and ";x" from the caller make
	// the dot segment ".;x", which no request path segment shows.
	f.httpProxy("GET", "/dot/{id}", false, up.URL+"/dot/.{id}", 0)
	f.deploy("s1")
	keyID, key := f.key("reader", true)
	f.plan("s1", nil, nil, keyID)

	const invalidPath = `{"message":"Invalid request path"}`
	tests := []struct {
		name, path string
		withKey    bool
		status     int
		body       string
		reason     string
		upstream   string // the request line target the upstream must see; "" = no request
		under      string // the prefix the upstream's served path must stay under
	}{
		{name: "public file", path: "/public/docs/a.txt", status: 200, body: "served /public/docs/a.txt", reason: "OK", upstream: "GET /public/docs/a.txt", under: "/public/"},
		{name: "private without key", path: "/private/secret.txt", status: 403, body: forbidden, reason: "KEY_MISSING"},
		{name: "private with key", path: "/private/secret.txt", withKey: true, status: 200, body: "SECRET", reason: "OK", upstream: "GET /private/secret.txt", under: "/private/"},
		{name: "dots inside names are names", path: "/public/a..b/.hidden/...", status: 200, body: "served /public/a..b/.hidden/...", reason: "OK", upstream: "GET /public/a..b/.hidden/...", under: "/public/"},

		// The three requests.
		{name: "encoded slashes", path: "/public/..%2Fprivate%2Fsecret.txt", status: 400, body: invalidPath, reason: "PATH_DOT_SEGMENT"},
		{name: "encoded dots", path: "/public/%2e%2e/private/secret.txt", status: 400, body: invalidPath, reason: "PATH_DOT_SEGMENT"},
		{name: "plain dots", path: "/public/x/../../private/secret.txt", status: 400, body: invalidPath, reason: "PATH_DOT_SEGMENT"},
		// Other spellings upstreams resolve.
		{name: "upper-case encoded dots", path: "/public/%2E%2E/private/secret.txt", status: 400, body: invalidPath, reason: "PATH_DOT_SEGMENT"},
		{name: "encoded backslashes", path: "/public/..%5Cprivate%5Csecret.txt", status: 400, body: invalidPath, reason: "PATH_DOT_SEGMENT"},
		{name: "path parameter after dots", path: "/public/..;/private/secret.txt", status: 400, body: invalidPath, reason: "PATH_DOT_SEGMENT"},
		{name: "single dot", path: "/public/./docs/a.txt", status: 400, body: invalidPath, reason: "PATH_DOT_SEGMENT"},
		{name: "refused before the key", path: "/private/../public/a.txt", withKey: true, status: 400, body: invalidPath, reason: "PATH_DOT_SEGMENT"},

		// A non-greedy parameter is one segment upstream, or nothing.
		{name: "non-greedy", path: "/h/bob", status: 200, body: "served /users/bob/profile", reason: "OK", upstream: "GET /users/bob/profile", under: "/users/"},
		{name: "non-greedy encoded dots", path: "/h/%2e%2e", status: 400, body: invalidPath, reason: "PATH_DOT_SEGMENT"},
		{name: "non-greedy encoded slashes", path: "/h/a%2F..%2F..%2Fprivate%2Fsecret.txt", status: 400, body: invalidPath, reason: "PATH_DOT_SEGMENT"},
		{name: "non-greedy slash stays escaped", path: "/h/a%2Fb", status: 200, body: "served /users/a/b/profile", reason: "OK", upstream: "GET /users/a%2Fb/profile", under: "/users/"},

		// A parameter in the integration uri's query is query-escaped.
		{name: "query parameter", path: "/q/bob&role=admin", status: 200, body: "served /q", reason: "OK", upstream: "GET /q?user=bob%26role%3Dadmin", under: "/q"},

		// The resolver refuses what it would make into a dot segment.
		{name: "resolver guard", path: "/dot/%3Bx", status: 400, body: invalidPath, reason: "PATH_DOT_SEGMENT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := map[string]string{}
			if tt.withKey {
				hdr["x-api-key"] = key
			}
			a := f.call("GET", "s1", tt.path, hdr)
			seen := rec.take()
			wantAnswer(t, env, a, tt.status, tt.body, tt.reason)
			if tt.status == 400 && a.header.Get("x-amzn-ErrorType") != "BadRequestException" {
				t.Errorf("x-amzn-ErrorType = %q, want BadRequestException", a.header.Get("x-amzn-ErrorType"))
			}
			var want []string
			if tt.upstream != "" {
				want = []string{tt.upstream}
			}
			if fmt.Sprint(seen) != fmt.Sprint(want) {
				t.Fatalf("the upstream received %q, want %q", seen, want)
			}
			for _, s := range seen {
				_, target, _ := strings.Cut(s, " ")
				p, _, _ := strings.Cut(target, "?")
				dec, err := url.PathUnescape(p)
				if err != nil {
					t.Fatalf("the upstream received an undecodable path %q", p)
				}
				if served := servedPath(dec); !strings.HasPrefix(served, tt.under) {
					t.Fatalf("the upstream served %s for %s, outside %s", served, target, tt.under)
				}
			}
			if _, raw, ok := strings.Cut(tt.upstream, "?"); ok {
				q, err := url.ParseQuery(raw)
				if err != nil || len(q) != 1 || q.Get("user") != "bob&role=admin" {
					t.Fatalf("the upstream's query %q holds %v (%v), want only user=bob&role=admin", raw, q, err)
				}
			}
		})
	}
}

// TestPathTraversalOtherInvokeForms: the dot-segment check covers the
// host form ({apiId}.execute-api.…/{stage}/{path}) and the x-apigw-api-id
// form as well as /restapis/….
func TestPathTraversalOtherInvokeForms(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	rec := &pathRecorder{}
	up := httptest.NewServer(rec)
	t.Cleanup(up.Close)
	f := newFixture(t, env, "PathSafetyForms")
	f.httpProxy("GET", "/public/{proxy+}", false, up.URL+"/public/{proxy}", 0)
	f.deploy("s1")

	for _, hdr := range []map[string]string{
		{"Host": f.apiID + ".execute-api.localhost"},
		{"x-apigw-api-id": f.apiID},
	} {
		a := do(t, "GET", env.DataURL+"/s1/public/docs/a.txt", hdr)
		wantAnswer(t, env, a, 200, "served /public/docs/a.txt", "OK")
		for _, p := range []string{"/s1/public/..%2Fprivate%2Fsecret.txt", "/s1/public/%2e%2e/private/secret.txt", "/s1/public/x/../../private/secret.txt"} {
			a := do(t, "GET", env.DataURL+p, hdr)
			wantAnswer(t, env, a, 400, `{"message":"Invalid request path"}`, "PATH_DOT_SEGMENT")
		}
		if seen := rec.take(); len(seen) != 1 || seen[0] != "GET /public/docs/a.txt" {
			t.Fatalf("with %v the upstream received %q, want only GET /public/docs/a.txt", hdr, seen)
		}
	}
}
