package respath

import (
	"strings"
	"testing"
)

func TestMethodKey(t *testing.T) {
	for _, tt := range []struct{ path, method, want string }{
		{"/pets", "GET", "/pets/GET"},
		{"/", "GET", "//GET"},
		{"/pets/{id}", "ANY", "/pets/{id}/ANY"},
	} {
		if got := MethodKey(tt.path, tt.method); got != tt.want {
			t.Errorf("MethodKey(%q, %q) = %q, want %q", tt.path, tt.method, got, tt.want)
		}
	}
}

func TestParseMethodKey(t *testing.T) {
	tests := []struct {
		key, res, method string
		wantErr          bool
	}{
		{key: "*/*", res: "*", method: "*"},
		{key: "~1pets/GET", res: "/pets", method: "GET"},
		{key: "~1resourceName/GET", res: "/resourceName", method: "GET"},
		{key: "test/GET", res: "/test", method: "GET"},
		{key: "path1/path2/GET", res: "/path1/path2", method: "GET"},
		{key: "~1pets~1{petId}/DELETE", res: "/pets/{petId}", method: "DELETE"},
		{key: "~1/GET", res: "/", method: "GET"},
		{key: "/GET", res: "/", method: "GET"},
		{key: "//GET", res: "/", method: "GET"},
		{key: "/pets/GET", res: "/pets", method: "GET"},
		{key: "~1pets/*", res: "/pets", method: "*"},
		{key: "~1a~0b/POST", res: "/a~b", method: "POST"},
		{key: "~1pets~1/GET", res: "/pets", method: "GET"},
		{key: "GET", wantErr: true},
		{key: "", wantErr: true},
		{key: "~1pets/", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			res, method, ok := ParseMethodKey(tt.key)
			if ok == tt.wantErr {
				t.Fatalf("ParseMethodKey(%q) = %q, %q, %v; want ok %v", tt.key, res, method, ok, !tt.wantErr)
			}
			if res != tt.res || method != tt.method {
				t.Errorf("ParseMethodKey(%q) = (%q, %q), want (%q, %q)", tt.key, res, method, tt.res, tt.method)
			}
		})
	}
}

func TestEscapeUnescape(t *testing.T) {
	tests := []struct{ raw, escaped string }{
		{"image/png", "image~1png"},
		{"/pets", "~1pets"},
		{"a~b", "a~0b"},
		{"~/", "~0~1"},
		{"~1", "~01"},
		{"plain", "plain"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Escape(tt.raw); got != tt.escaped {
			t.Errorf("Escape(%q) = %q, want %q", tt.raw, got, tt.escaped)
		}
		if got := Unescape(tt.escaped); got != tt.raw {
			t.Errorf("Unescape(%q) = %q, want %q", tt.escaped, got, tt.raw)
		}
	}
	// Unknown escapes and a dangling "~" are kept as is.
	for _, s := range []string{"~2", "a~", "~", "~~1"} {
		want := map[string]string{"~2": "~2", "a~": "a~", "~": "~", "~~1": "~/"}[s]
		if got := Unescape(s); got != want {
			t.Errorf("Unescape(%q) = %q, want %q", s, got, want)
		}
	}
}

// FuzzParseMethodKey checks that a key ParseMethodKey accepts gives a method
// from the key's last segment and a resource path in canonical form, that
// MethodKey of the result parses back to it, and that refusals are exactly
// the keys SplitMethodKey refuses.
func FuzzParseMethodKey(f *testing.F) {
	for _, s := range []string{"*/*", "~1pets/GET", "path1/path2/GET", "/GET", "~1/GET", "GET", "", "~1pets/", "~0~1/", "*/GET", "//GET"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		res, method, ok := ParseMethodKey(key)
		_, _, split := SplitMethodKey(key)
		if ok != split {
			t.Fatalf("ParseMethodKey(%q) ok = %v, SplitMethodKey ok = %v", key, ok, split)
		}
		if !ok {
			return
		}
		if method == "" || strings.Contains(method, "/") || !strings.HasSuffix(key, "/"+method) {
			t.Fatalf("ParseMethodKey(%q) method = %q", key, method)
		}
		if res == "*" {
			return
		}
		if !strings.HasPrefix(res, "/") || (res != "/" && strings.HasSuffix(res, "/")) {
			t.Fatalf("ParseMethodKey(%q) resource = %q, not canonical", key, res)
		}
		if res2, method2, ok := ParseMethodKey(MethodKey(res, method)); !ok || method2 != method ||
			(res2 != res && !strings.Contains(res, "~")) {
			t.Fatalf("ParseMethodKey(MethodKey(%q, %q)) = %q, %q, %v", res, method, res2, method2, ok)
		}
	})
}

// FuzzEscape checks that Escape output has no "/" and that every segment of
// a path round-trips through Escape and Unescape.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"/binaryMediaTypes/image~1png", "/~1pets/GET", "/a~0b/~01", "/", "", "x", "//", "/~", "/~2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		for _, s := range strings.Split(path, "/") {
			e := Escape(s)
			if got := Unescape(e); got != s {
				t.Fatalf("Unescape(Escape(%q)) = %q", s, got)
			}
			if strings.Contains(e, "/") {
				t.Fatalf("Escape(%q) = %q contains /", s, e)
			}
		}
	})
}
