package apigw

import (
	"slices"
	"strings"
	"testing"
)

func TestParseCORSAllowOrigins(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  string // a part of the error; "" for none
	}{
		{"*", []string{"*"}, ""},
		{" * ", []string{"*"}, ""},
		{"https://app.example.com", []string{"https://app.example.com"}, ""},
		{"HTTPS://App.Example.COM:443, http://localhost:3000", []string{"https://app.example.com", "http://localhost:3000"}, ""},
		{"http://127.0.0.1:80", []string{"http://127.0.0.1"}, ""},
		{"http://[::1]:8080", []string{"http://[::1]:8080"}, ""},
		{"", nil, "an empty origin"},
		{"https://a.example,", nil, "an empty origin"},
		{"*,https://a.example", nil, "* must be the whole value"},
		{"app.example.com", nil, "give scheme://host[:port]"},
		{"ftp://app.example.com", nil, "scheme http or https"},
		{"https://app.example.com/", nil, "has a path"},
		{"https://app.example.com/x", nil, "has a path"},
		{"https://user@app.example.com", nil, "has a path, query, user"},
		{"https://", nil, "is not a host name"},
		{"https://a_b.example", nil, "is not a host name"},
		{"https://a.example:0", nil, "port \"0\""},
		{"https://a.example:65536", nil, "from 1 to 65535"},
		{"https://a.example:", nil, "port \"\""},
		{"http://[zz]:1", nil, "is not an IPv6 address"},
		{"https://a.example,HTTPS://A.example", nil, "listed twice"},
		{strings.Repeat("http://a,", 16) + "http://b", nil, "at most 16"},
	}
	for _, tt := range tests {
		got, err := ParseCORSAllowOrigins(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseCORSAllowOrigins(%q) = %q, %v; want an error with %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("ParseCORSAllowOrigins(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// FuzzParseCORSAllowOrigins: what the parser accepts is "*" alone or a
// short list of distinct lower-case http(s) origins without a path, which
// parses again to the same list.
func FuzzParseCORSAllowOrigins(f *testing.F) {
	f.Fuzz(func(t *testing.T, v string) {
		got, err := ParseCORSAllowOrigins(v)
		if err != nil {
			if got != nil {
				t.Fatalf("error %v with origins %q", err, got)
			}
			if !strings.Contains(err.Error(), "origin") && !strings.Contains(err.Error(), "*") {
				t.Fatalf("error %q names no rule", err)
			}
			return
		}
		if len(got) == 0 || len(got) > MaxCORSOrigins {
			t.Fatalf("%d origins from %q", len(got), v)
		}
		if slices.Equal(got, []string{"*"}) {
			return
		}
		for _, o := range got {
			if o != strings.ToLower(o) || !strings.HasPrefix(o, "http://") && !strings.HasPrefix(o, "https://") {
				t.Fatalf("origin %q from %q is not normalised", o, v)
			}
			if strings.Contains(strings.SplitN(o, "://", 2)[1], "/") {
				t.Fatalf("origin %q from %q has a path", o, v)
			}
		}
		again, err := ParseCORSAllowOrigins(strings.Join(got, ","))
		if err != nil || !slices.Equal(again, got) {
			t.Fatalf("%q parsed to %q, which parses to %q, %v", v, got, again, err)
		}
	})
}
