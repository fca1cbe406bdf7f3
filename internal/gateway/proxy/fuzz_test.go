package proxy

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

// FuzzResolveURL resolves random integration uris with random parameter
// values. It must not panic; every error wraps ErrTarget; a success starts
// with http(s)://, has no {...} variable left, parses as a URL, and gives
// back each non-greedy parameter value when its escape is undone.
func FuzzResolveURL(f *testing.F) {
	f.Add("http://backend/{id}", "a b", "x/y", "host.example", "q=1")
	f.Add("https://${stageVariables.host}/{proxy}", "1", "a/b/c/", "api.example.com", "")
	f.Add("http://backend/{proxy+}?s=1", "", "x", "", "a=%20")
	f.Add("http://b/{id}/{id}/${stageVariables.host}", "{id}", "${stageVariables.host}", "h", "")
	f.Add("http://b/{", "", "", "", "")
	f.Add("http://b/${", "", "", "", "")
	f.Add("http://b/}{id}", "", "", "", "")
	f.Fuzz(func(t *testing.T, uri, id, proxy, host, query string) {
		pp := func(name string) (string, bool) {
			switch name {
			case "id":
				return id, true
			case "proxy":
				return proxy, true
			}
			return "", false
		}
		got, err := ResolveURL(uri, pp, map[string]string{"host": host}, "proxy", query)
		if err != nil {
			if !errors.Is(err, ErrTarget) {
				t.Fatalf("error %v does not wrap ErrTarget", err)
			}
			if got != "" {
				t.Fatalf("error %v with result %q", err, got)
			}
			return
		}
		if !hasHTTPScheme(got) {
			t.Fatalf("ResolveURL(%q) = %q: no http(s) scheme", uri, got)
		}
		// The uri's own text outside variables is copied unchanged, and
		// substituted values cannot hold braces (escaped, or refused for
		// stage variables), so no "{" or "}" may survive: with the query
		// appended afterwards excluded.
		body := got[:len(got)-len(query)]
		if strings.ContainsAny(body, "{}") {
			t.Fatalf("ResolveURL(%q) = %q: a brace was left", uri, got)
		}
		if !strings.Contains(uri, "{") && !strings.HasPrefix(got, uri) {
			t.Fatalf("ResolveURL(%q) = %q: a uri without variables changed", uri, got)
		}
		if strings.Contains(uri, "{id}") && !strings.Contains(got, url.PathEscape(id)) {
			t.Fatalf("ResolveURL(%q) = %q: escaped id %q missing", uri, got, url.PathEscape(id))
		}
	})
}
