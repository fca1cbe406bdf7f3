package proxy

import (
	"errors"
	"net/url"
	"path"
	"strings"
	"testing"
)

// FuzzResolveURL resolves random integration uris with random values for a
// non-greedy path variable (id), a greedy one (proxy) and a stage variable
// (host). ResolveURL must not panic. An error comes with no result and wraps
// ErrTarget, or ErrDotSegment when the uri uses a path variable. A success:
//
//   - starts with http(s)://, and the uri's scheme and host are its own (no
//     path variable made them);
//   - leaves no brace outside the appended query;
//   - has no dot segment in its path, read as the most lenient upstream
//     reads it (upstreamPath), and once normalised that way stays under the
//     uri's fixed path prefix (its path up to the last "/" before the first
//     variable);
//   - gains a raw "/" in its path only from the greedy value, and never a
//     raw "\";
//   - gains no "&", "=", ";" or "#" in its query from a substituted value;
//   - holds each value, escaped for its place (path or query).
func FuzzResolveURL(f *testing.F) {
	f.Add("http://backend/{id}", "a b", "x/y", "host.example", "q=1")
	f.Add("https://${stageVariables.host}/{proxy}", "1", "a/b/c/", "api.example.com", "")
	f.Add("http://backend/{proxy+}?s=1", "", "x", "", "a=%20")
	f.Add("http://b/{id}/{id}/${stageVariables.host}", "{id}", "${stageVariables.host}", "h", "")
	f.Add("http://b/{", "", "", "", "")
	f.Add("http://b/${", "", "", "", "")
	f.Add("http://b/}{id}", "", "", "", "")
	f.Add("http://up/public/{proxy}", "", "docs/a.txt", "", "")
	f.Add("http://up/users/{id}/profile", "bob", "", "", "")
	f.Add("http://up/q?user={id}", "bob", "", "", "")
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
			if got != "" {
				t.Fatalf("error %v with result %q", err, got)
			}
			switch {
			case errors.Is(err, ErrDotSegment):
				if !strings.Contains(uri, "{id") && !strings.Contains(uri, "{proxy") {
					t.Fatalf("ResolveURL(%q): %v, but no path variable is used", uri, err)
				}
			case !errors.Is(err, ErrTarget):
				t.Fatalf("error %v wraps neither ErrTarget nor ErrDotSegment", err)
			}
			return
		}
		if !startsWithScheme(got) {
			t.Fatalf("ResolveURL(%q) = %q: no http(s) scheme", uri, got)
		}
		// body is the result without the appended query and its separator.
		body := got
		if query != "" {
			body = got[:len(got)-len(query)-1]
			if sep := got[len(body)]; sep != '?' && sep != '&' || !strings.HasSuffix(got, query) {
				t.Fatalf("ResolveURL(%q, query %q) = %q: query not appended", uri, query, got)
			}
		}
		// The uri's own text outside variables is copied unchanged, and
		// substituted values cannot hold braces (escaped, or refused for
		// stage variables), so no "{" or "}" may survive.
		if strings.ContainsAny(body, "{}") {
			t.Fatalf("ResolveURL(%q) = %q: a brace was left", uri, got)
		}
		if !strings.Contains(uri, "{") && body != uri {
			t.Fatalf("ResolveURL(%q) = %q: a uri without variables changed", uri, got)
		}

		// tmpl is the uri with its stage variable substituted: what the
		// operator configured, with the path variables still in place.
		tmpl := strings.ReplaceAll(uri, "${stageVariables.host}", host)
		if !startsWithScheme(tmpl) {
			t.Fatalf("ResolveURL(%q) = %q: a path variable made the scheme", uri, got)
		}
		tHead, tPath, tTail := splitURL(tmpl)
		gHead, gPath, gTail := splitURL(body)
		if strings.Contains(tHead, "{") || gHead != tHead {
			t.Fatalf("ResolveURL(%q) = %q: a path variable is in the host (%q)", uri, got, gHead)
		}

		if p := upstreamPath(gPath); refDotSegment(p) {
			t.Fatalf("ResolveURL(%q) = %q: the path %q has a dot segment (an upstream reads %q)", uri, got, gPath, p)
		}
		prefix := tPath
		if i := strings.IndexByte(tPath, '{'); i >= 0 {
			prefix = tPath[:strings.LastIndexByte(tPath[:i], '/')+1]
		} else if gPath != tPath {
			t.Fatalf("ResolveURL(%q) = %q: path %q without variables changed to %q", uri, got, tPath, gPath)
		}
		if !under(path.Clean("/"+upstreamPath(gPath)), path.Clean("/"+upstreamPath(prefix))) {
			t.Fatalf("ResolveURL(%q) = %q: the path %q leaves the prefix %q (an upstream reads %q)", uri, got, gPath, prefix, upstreamPath(gPath))
		}

		greedies := strings.Count(tPath, "{proxy}") + strings.Count(tPath, "{proxy+}")
		if want := strings.Count(tPath, "/") + greedies*strings.Count(proxy, "/"); strings.Count(gPath, "/") != want {
			t.Fatalf("ResolveURL(%q) = %q: path has %d slashes, want %d (only the greedy value may add some)", uri, got, strings.Count(gPath, "/"), want)
		}
		if strings.Count(gPath, `\`) != strings.Count(tPath, `\`) {
			t.Fatalf(`ResolveURL(%q) = %q: a value added a raw "\"`, uri, got)
		}
		for _, sep := range []string{"&", "=", ";", "#"} {
			if strings.Count(gTail, sep) != strings.Count(tTail, sep) {
				t.Fatalf("ResolveURL(%q) = %q: a value added %q to the query %q", uri, got, sep, gTail)
			}
		}

		if strings.Contains(tPath, "{id}") && !strings.Contains(gPath, url.PathEscape(id)) {
			t.Fatalf("ResolveURL(%q) = %q: path-escaped id %q missing", uri, got, url.PathEscape(id))
		}
		if strings.Contains(tTail, "{id}") && !strings.Contains(gTail, url.QueryEscape(id)) {
			t.Fatalf("ResolveURL(%q) = %q: query-escaped id %q missing", uri, got, url.QueryEscape(id))
		}
	})
}

func startsWithScheme(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}

// splitURL splits an absolute URL into scheme and host, path, and the rest
// (query and fragment, with their "?" or "#").
func splitURL(s string) (head, path, tail string) {
	i := strings.Index(s, "://") + 3
	end := len(s)
	if j := strings.IndexAny(s[i:], "?#"); j >= 0 {
		end = i + j
	}
	p := end
	if j := strings.IndexByte(s[i:end], '/'); j >= 0 {
		p = i + j
	}
	return s[:p], s[p:end], s[end:]
}

// upstreamPath is what the most lenient upstream makes of an escaped path:
// percent-decoded once, "\" read as "/", each segment's ";parameters"
// dropped. path.Clean then resolves its dot segments.
func upstreamPath(p string) string { return lenientPath(lenientUnescape(p)) }

// lenientPath reads "\" as "/" and drops each segment's ";parameters".
func lenientPath(p string) string {
	segs := strings.Split(strings.ReplaceAll(p, `\`, "/"), "/")
	for i, s := range segs {
		segs[i], _, _ = strings.Cut(s, ";")
	}
	return strings.Join(segs, "/")
}

// lenientUnescape decodes every valid %XX escape of p once and keeps the
// rest as it is.
func lenientUnescape(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c == '%' && i+2 < len(p) {
			if v, err := url.PathUnescape(p[i : i+3]); err == nil {
				c = v[0]
				i += 2
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

// refDotSegment reports whether the "/"-separated p has a "." or ".." segment.
func refDotSegment(p string) bool {
	for _, s := range strings.Split(p, "/") {
		if s == "." || s == ".." {
			return true
		}
	}
	return false
}

// under reports whether the clean path p is prefix or below it.
func under(p, prefix string) bool {
	return prefix == "/" || p == prefix || strings.HasPrefix(p, prefix+"/")
}

// FuzzHasDotSegment checks HasDotSegment against the rule written plainly
// (decode, split, cut at ";", compare), in both modes, and that escaping a
// value for a path segment neither hides nor invents a dot segment.
func FuzzHasDotSegment(f *testing.F) {
	for _, p := range []string{"/a/../b", "/%2e%2E/x", "/a%2F..%2Fb", `/..\x`, "/..%5cx", "/..;x", "/...", "/.a/a./a.b", "/%zz/%2", "/%252e%252e", ""} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if got, want := HasDotSegment(p, true), refDotSegment(upstreamPath(p)); got != want {
			t.Fatalf("HasDotSegment(%q, escaped) = %v, want %v (decoded %q)", p, got, want, upstreamPath(p))
		}
		if got, want := HasDotSegment(p, false), refDotSegment(lenientPath(p)); got != want {
			t.Fatalf("HasDotSegment(%q, plain) = %v, want %v", p, got, want)
		}
		if e := url.PathEscape(p); HasDotSegment(e, true) != HasDotSegment(p, false) {
			t.Fatalf("HasDotSegment(%q, plain) = %v but escaped as %q it is %v", p, HasDotSegment(p, false), e, HasDotSegment(e, true))
		}
	})
}
