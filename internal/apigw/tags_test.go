package apigw

import (
	"net/textproto"
	"slices"
	"strings"
	"testing"
)

func TestParseAPIKeyHeaders(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  string // a part of the error; "" for none
	}{
		{"x-key", []string{"X-Key"}, ""},
		{" x-key ,  x-client-key", []string{"X-Key", "X-Client-Key"}, ""},
		{"Api-Key,apikey,x_api_key", []string{"Api-Key", "Apikey", "X_api_key"}, ""},
		{"a,b,c,d,e", []string{"A", "B", "C", "D", "E"}, ""},
		{"a,b,c,d,e,f", nil, "at most 5"},
		{"", nil, "an empty header name"},
		{"x-key,,y", nil, "an empty header name"},
		{"x:key", nil, "not an HTTP header name"},
		{"x\x00key", nil, "not an HTTP header name"},
		{"héader", nil, "not an HTTP header name"},
		{"content-length", nil, "reserved"},
		{"AUTHORIZATION", nil, "reserved"},
		{"proxy-key", nil, "reserved"},
		{"x-amz-key", nil, "reserved"},
		{"x-api-key", nil, "always accepted"},
		{"x-key,X-KEY", nil, "listed twice"},
	}
	for _, tt := range tests {
		got, err := ParseAPIKeyHeaders(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseAPIKeyHeaders(%q) = %v, %v; want an error with %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("ParseAPIKeyHeaders(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// FuzzParseAPIKeyHeaders: whatever the parser accepts is a short list of
// canonical, distinct, non-reserved field names that parse again to the
// same list.
func FuzzParseAPIKeyHeaders(f *testing.F) {
	f.Fuzz(func(t *testing.T, v string) {
		got, err := ParseAPIKeyHeaders(v)
		if err != nil {
			if got != nil {
				t.Fatalf("error %v with names %q", err, got)
			}
			return
		}
		if len(got) == 0 || len(got) > MaxAPIKeyHeaders {
			t.Fatalf("%d names from %q", len(got), v)
		}
		for i, n := range got {
			if !isToken(n) || textproto.CanonicalMIMEHeaderKey(n) != n || len(n) > MaxAPIKeyHeaderLen {
				t.Fatalf("name %q from %q is not a canonical field name", n, v)
			}
			if slices.Contains(reservedKeyHeaders, n) || slices.Contains(got[:i], n) {
				t.Fatalf("name %q from %q is reserved or repeated", n, v)
			}
		}
		again, err := ParseAPIKeyHeaders(strings.Join(got, ","))
		if err != nil || !slices.Equal(again, got) {
			t.Fatalf("%q does not parse again: %q, %v", got, again, err)
		}
	})
}

// FuzzValidateAPIKeyQuery: an accepted name is unchanged by query escaping.
func FuzzValidateAPIKeyQuery(f *testing.F) {
	f.Fuzz(func(t *testing.T, v string) {
		if ValidateAPIKeyQuery(v) != nil {
			return
		}
		for i := 0; i < len(v); i++ {
			if !isUnreserved(v[i]) {
				t.Fatalf("accepted %q", v)
			}
		}
		if v == "" || len(v) > MaxAPIKeyQueryLen {
			t.Fatalf("accepted %q", v)
		}
	})
}
