package proxy

import (
	"net/url"
	"testing"
)

func TestQueryParam(t *testing.T) {
	tests := []struct {
		raw, name string
		want      string
		ok        bool
	}{
		{"apiKey=K1", "apiKey", "K1", true},
		{"a=1&apiKey=K1&apiKey=K2", "apiKey", "K1", true},
		{"apikey=K1", "apiKey", "", false}, // names are case-sensitive, as AWS's
		{"api%4Bey=K%2B1", "apiKey", "K+1", true},
		{"apiKey=a+b", "apiKey", "a b", true},
		{"apiKey", "apiKey", "", true},
		{"apiKey=", "apiKey", "", true},
		{"apiKey=%zz&apiKey=K2", "apiKey", "K2", true}, // an undecodable value is no parameter
		{"x=1;apiKey=K", "apiKey", "", false},          // ";" separates nothing
		{"", "apiKey", "", false},
	}
	for _, tt := range tests {
		got, ok := QueryParam(tt.raw, tt.name)
		if got != tt.want || ok != tt.ok {
			t.Errorf("QueryParam(%q, %q) = %q, %v; want %q, %v", tt.raw, tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

func TestWithoutQueryParam(t *testing.T) {
	tests := []struct{ raw, name, want string }{
		{"apiKey=K1", "apiKey", ""},
		{"a=1&apiKey=K1&b=%2F&apiKey=K2", "apiKey", "a=1&b=%2F"},
		{"api%4Bey=K1&a=1", "apiKey", "a=1"},
		{"apiKey=%zz&a=1", "apiKey", "a=1"}, // removed even when its value does not decode
		{"apikey=K1&a=1", "apiKey", "apikey=K1&a=1"},
		{"a=1&b=2", "apiKey", "a=1&b=2"},
		{"", "apiKey", ""},
	}
	for _, tt := range tests {
		if got := WithoutQueryParam(tt.raw, tt.name); got != tt.want {
			t.Errorf("WithoutQueryParam(%q, %q) = %q, want %q", tt.raw, tt.name, got, tt.want)
		}
	}
}

func TestQueryParamAllocs(t *testing.T) {
	raw := "a=1&b=two&apiKey=value-of-key-0123456789&c=3"
	if n := testing.AllocsPerRun(100, func() {
		QueryParam(raw, "apiKey")
		WithoutQueryParam("a=1&b=2", "apiKey")
	}); n != 0 {
		t.Errorf("%v allocations, want 0", n)
	}
}

// FuzzQueryParam holds QueryParam and WithoutQueryParam to url.ParseQuery:
// the value read is the first one ParseQuery sees, and what is left holds
// every other parameter and none called name.
func FuzzQueryParam(f *testing.F) {
	f.Fuzz(func(t *testing.T, raw, name string) {
		if name == "" {
			return
		}
		want, _ := url.ParseQuery(raw) // keeps what decodes, as QueryParam
		got, ok := QueryParam(raw, name)
		if vs, has := want[name]; has != ok || has && vs[0] != got {
			t.Fatalf("QueryParam(%q, %q) = %q, %v; ParseQuery has %q", raw, name, got, ok, vs)
		}
		rest := WithoutQueryParam(raw, name)
		left, _ := url.ParseQuery(rest)
		if _, has := left[name]; has {
			t.Fatalf("WithoutQueryParam(%q, %q) = %q still has it", raw, name, rest)
		}
		delete(want, name)
		if len(left) != len(want) {
			t.Fatalf("WithoutQueryParam(%q, %q) = %q: %v, want %v", raw, name, rest, left, want)
		}
		for k, vs := range want {
			if lv := left[k]; len(lv) != len(vs) {
				t.Fatalf("WithoutQueryParam(%q, %q) = %q: %s has %q, want %q", raw, name, rest, k, lv, vs)
			}
		}
	})
}
