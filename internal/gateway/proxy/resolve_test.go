package proxy

import (
	"errors"
	"strings"
	"testing"
)

func params(kv ...string) func(string) (string, bool) {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(name string) (string, bool) {
		v, ok := m[name]
		return v, ok
	}
}

func TestResolveURL(t *testing.T) {
	stage := map[string]string{"host": "api.example.com", "base": "https://backend.example.com/v2", "ver": "v1"}
	tests := []struct {
		name    string
		uri     string
		params  func(string) (string, bool)
		greedy  string
		query   string
		want    string
		wantErr string // substring of an ErrTarget; "" means success
		wantDot string // substring of an ErrDotSegment
	}{
		{name: "no variables", uri: "http://backend/pets", want: "http://backend/pets"},
		{name: "query appended", uri: "http://backend/pets", query: "a=1&b=%20", want: "http://backend/pets?a=1&b=%20"},
		{name: "query joined to the uri's own", uri: "http://backend/pets?static=1", query: "a=1", want: "http://backend/pets?static=1&a=1"},
		{name: "path param escaped", uri: "http://backend/pets/{id}", params: params("id", "a b/c?d#e%f"), want: "http://backend/pets/a%20b%2Fc%3Fd%23e%25f"},
		{name: "path param braces escaped", uri: "http://backend/{id}", params: params("id", "{x}"), want: "http://backend/%7Bx%7D"},
		{name: "two params", uri: "http://backend/{a}/x/{b}", params: params("a", "1", "b", "2"), want: "http://backend/1/x/2"},
		{name: "greedy keeps slashes", uri: "http://backend/{proxy}", params: params("proxy", "a/b c/d/"), greedy: "proxy", want: "http://backend/a/b%20c/d/"},
		{name: "greedy written with plus", uri: "http://backend/{proxy+}", params: params("proxy", "a/b"), greedy: "proxy", want: "http://backend/a/b"},
		{name: "greedy with query", uri: "http://backend/base/{proxy}", params: params("proxy", "x/y"), greedy: "proxy", query: "q=1", want: "http://backend/base/x/y?q=1"},
		{name: "non-greedy slash escaped", uri: "http://backend/{proxy}", params: params("proxy", "a/b"), want: "http://backend/a%2Fb"},
		{name: "stage variable host", uri: "http://${stageVariables.host}/pets", want: "http://api.example.com/pets"},
		{name: "stage variable whole base", uri: "${stageVariables.base}/{id}", params: params("id", "7"), want: "https://backend.example.com/v2/7"},
		{name: "stage variable and greedy", uri: "https://${stageVariables.host}/${stageVariables.ver}/{proxy}", params: params("proxy", "p/q"), greedy: "proxy", want: "https://api.example.com/v1/p/q"},
		{name: "lone dollar kept", uri: "http://backend/a$b", want: "http://backend/a$b"},
		{name: "HTTPS upper case scheme", uri: "HTTPS://backend/x", want: "HTTPS://backend/x"},
		{name: "dots inside names kept", uri: "http://b/{id}/{proxy}", params: params("id", "a..b", "proxy", ".../.x/x./..."), greedy: "proxy", want: "http://b/a..b/.../.x/x./..."},
		{name: "non-greedy backslash and semicolon escaped", uri: "http://b/{id}", params: params("id", `a\b;c`), want: "http://b/a%5Cb%3Bc"},
		{name: "param in query escaped", uri: "http://b/q?user={id}", params: params("id", "bob&role=admin"), want: "http://b/q?user=bob%26role%3Dadmin"},
		{name: "param in query: space, hash, plus, semicolon", uri: "http://b/q?u={id}&v=1", params: params("id", "a b#c+d;e"), query: "z=2", want: "http://b/q?u=a+b%23c%2Bd%3Be&v=1&z=2"},
		{name: "greedy in query escaped whole", uri: "http://b/q?p={proxy}", params: params("proxy", "a/b"), greedy: "proxy", want: "http://b/q?p=a%2Fb"},
		{name: "param after a stage variable's query", uri: "${stageVariables.withQuery}{id}", params: params("id", "x&y"), want: "http://h/p?a=x%26y"},
		{name: "param in fragment escaped", uri: "http://b/p#{id}", params: params("id", "a&b"), want: "http://b/p#a%26b"},

		// Dot segments: the caller's values may not make one.
		{name: "non-greedy dot dot", uri: "http://up/users/{host}/profile", params: params("host", ".."), wantDot: "{host}"},
		{name: "non-greedy dot", uri: "http://up/users/{host}/profile", params: params("host", "."), wantDot: "{host}"},
		{name: "non-greedy with slash", uri: "http://up/users/{host}/profile", params: params("host", "a/../.."), wantDot: "{host}"},
		{name: "non-greedy with backslash", uri: "http://up/users/{host}/profile", params: params("host", `..\x`), wantDot: "{host}"},
		{name: "non-greedy with parameter", uri: "http://up/users/{host}/profile", params: params("host", "..;jsessionid=1"), wantDot: "{host}"},
		{name: "greedy climbs", uri: "http://up/public/{proxy}", params: params("proxy", "x/../../private/secret.txt"), greedy: "proxy", wantDot: "{proxy}"},
		{name: "greedy leading dot dot", uri: "http://up/public/{proxy}", params: params("proxy", "../private"), greedy: "proxy", wantDot: "{proxy}"},
		{name: "greedy trailing dot", uri: "http://up/public/{proxy}", params: params("proxy", "a/."), greedy: "proxy", wantDot: "{proxy}"},
		{name: "value completes a dot segment", uri: "http://up/a/.{id}", params: params("id", ";x"), wantDot: "path variables"},
		{name: "value completes an escaped dot", uri: "http://up/a/%2{id}", params: params("id", "E"), wantDot: "path variables"},
		{name: "empty values leave a dot", uri: "http://up/a/{id}.{n}/b", params: params("id", "", "n", ""), wantDot: "path variables"},
		{name: "dots in the query are fine", uri: "http://up/q?p={id}", params: params("id", ".."), want: "http://up/q?p=.."},

		// The uri's own dot segments are the operator's: ErrTarget.
		{name: "uri dot dot", uri: "http://up/a/../b", wantErr: `"." or ".." segment`},
		{name: "uri escaped dot dot with a value", uri: "http://up/a/%2E%2e/{id}", params: params("id", "x"), wantErr: `"." or ".." segment`},
		{name: "stage variable dot dot", uri: "${stageVariables.dots}/{id}", params: params("id", "x"), wantErr: `"." or ".." segment`},

		// A path variable may not choose the scheme or host.
		{name: "param in host", uri: "http://{id}/x", params: params("id", "evil.example"), wantErr: "is in the scheme or host"},
		{name: "param in port", uri: "http://h:{id}/x", params: params("id", "81"), wantErr: "is in the scheme or host"},
		{name: "param before scheme", uri: "{proxy}/x", params: params("proxy", "http://evil/"), greedy: "proxy", wantErr: "is in the scheme or host"},
		{name: "param after a stage variable host", uri: "${stageVariables.host}{id}", params: params("id", "x"), wantErr: "is in the scheme or host"},

		{name: "missing path param", uri: "http://backend/{id}", params: params(), wantErr: "path variable {id} has no value"},
		{name: "nil param func", uri: "http://backend/{id}", wantErr: "path variable {id} has no value"},
		{name: "missing stage variable", uri: "http://${stageVariables.nope}/x", wantErr: `stage variable "nope"`},
		{name: "unsupported variable", uri: "http://backend/${context.requestId}", wantErr: "${context.requestId} is not supported"},
		{name: "bad stage var name", uri: "http://${stageVariables.a-b}/x", wantErr: "is not supported"},
		{name: "unterminated brace", uri: "http://backend/{id", params: params("id", "1"), wantErr: "unterminated '{'"},
		{name: "unterminated dollar brace", uri: "http://${stageVariables.host", wantErr: "unterminated '${'"},
		{name: "stray close brace", uri: "http://backend/}", wantErr: "unmatched '}'"},
		{name: "empty name", uri: "http://backend/{}", wantErr: "invalid name"},
		{name: "bad name", uri: "http://backend/{a b}", wantErr: "invalid name"},
		{name: "not http", uri: "ftp://backend/x", wantErr: "must start with http"},
		{name: "stage value with brace", uri: "http://${stageVariables.bad}/x", wantErr: `stage variable "bad" used by the integration uri contains`},
	}
	stage["bad"] = "h/{id}"
	stage["withQuery"] = "http://h/p?a="
	stage["dots"] = "http://h/v1/.."
	stage["host"] = "api.example.com"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ResolveURL(tt.uri, tt.params, stage, tt.greedy, tt.query)
			if tt.wantDot != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantDot) || !errors.Is(err, ErrDotSegment) || errors.Is(err, ErrTarget) {
					t.Fatalf("ResolveURL(%q) = %q, %v; want an ErrDotSegment containing %q", tt.uri, got, err, tt.wantDot)
				}
				return
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrTarget) || errors.Is(err, ErrDotSegment) {
					t.Fatalf("ResolveURL(%q) = %q, %v; want an ErrTarget containing %q", tt.uri, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ResolveURL(%q) = %q, %v; want %q", tt.uri, got, err, tt.want)
			}
		})
	}
}

func TestHasDotSegment(t *testing.T) {
	tests := []struct {
		p              string
		escaped, plain bool // the answers with and without percent-decoding
	}{
		{"", false, false},
		{"/", false, false},
		{"/a/b", false, false},
		{"/.", true, true},
		{"/..", true, true},
		{"..", true, true},
		{"/a/../b", true, true},
		{"/a/./b", true, true},
		{"/a/b/", false, false},
		{"/...", false, false},
		{"/.a/a./a..b/.../..x", false, false},
		{"/%2e", true, false},
		{"/%2E%2e/x", true, false},
		{"/.%2e", true, false},
		{"/a%2F..%2Fb", true, false},
		{"/a%2f..", true, false},
		{"/..%5Cx", true, false},
		{`/..\x`, true, true},
		{`\.\`, true, true},
		{"/..;x", true, true},
		{"/..;x/y", true, true},
		{"/.;", true, true},
		{"/..%3Bjsessionid=1", true, false},
		{"/;/x", false, false},
		{"/x;/../y", true, true},
		{"/x;..", false, false},
		{"/%252e%252e", false, false},
		{"/%zz/..", true, true},
		{"/%2", false, false},
		{"/.%", false, false},
		{"/.%2", false, false},
		{"/%2E%2E%2E", false, false},
	}
	for _, tt := range tests {
		if got := HasDotSegment(tt.p, true); got != tt.escaped {
			t.Errorf("HasDotSegment(%q, true) = %v, want %v", tt.p, got, tt.escaped)
		}
		if got := HasDotSegment(tt.p, false); got != tt.plain {
			t.Errorf("HasDotSegment(%q, false) = %v, want %v", tt.p, got, tt.plain)
		}
	}
	if n := testing.AllocsPerRun(100, func() { HasDotSegment("/v1/pets/%2e%2E/a%2Fb;x", true) }); n != 0 {
		t.Errorf("HasDotSegment allocates %v times", n)
	}
}

// TestResolveURLErrorsNameNoValues checks a refused stage variable value
// (which could be a secret) never appears in the error.
func TestResolveURLErrorsNameNoValues(t *testing.T) {
	_, err := ResolveURL("http://${stageVariables.tok}/x", nil, map[string]string{"tok": "s3cr3t{"}, "", "")
	if err == nil || strings.Contains(err.Error(), "s3cr3t") {
		t.Fatalf("error %v: want a refusal that does not show the value", err)
	}
}

func BenchmarkResolveURL(b *testing.B) {
	pp := params("proxy", "pets/42/toys")
	stage := map[string]string{"host": "backend.internal"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ResolveURL("http://${stageVariables.host}/api/{proxy}", pp, stage, "proxy", "limit=10"); err != nil {
			b.Fatal(err)
		}
	}
}
