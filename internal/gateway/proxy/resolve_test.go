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
		wantErr string // substring; "" means success
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
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ResolveURL(tt.uri, tt.params, stage, tt.greedy, tt.query)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrTarget) {
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
