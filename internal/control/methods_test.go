package control

import "testing"

func TestCheckHTTPEndpoint(t *testing.T) {
	tests := []struct {
		uri string
		ok  bool
	}{
		{"http://example.com", true},
		{"https://example.com:8443/a/{proxy}?q=1", true},
		{"http://${stageVariables.host}/x", true},
		{"https://${stageVariables.host}:${stageVariables.port}/x", true},
		{"example.com/x", false},
		{"ftp://example.com", false},
		{"http://", false},
		{"http:example.com", false},
		{"", false},
	}
	for _, tt := range tests {
		err := CheckHTTPEndpoint(tt.uri)
		if (err == nil) != tt.ok {
			t.Errorf("CheckHTTPEndpoint(%q) = %v, want ok=%v", tt.uri, err, tt.ok)
		}
		if err != nil && err.Error() != "Invalid HTTP endpoint specified for URI" {
			t.Errorf("CheckHTTPEndpoint(%q) message = %q", tt.uri, err)
		}
	}
}

func FuzzCheckHTTPEndpoint(f *testing.F) {
	for _, s := range []string{"http://example.com", "http://${stageVariables.host}/x", "https://[::1]:80/a", "http://%zz", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, uri string) {
		if err := CheckHTTPEndpoint(uri); err != nil && err.Error() != msgBadHTTPEndpoint {
			t.Fatalf("unexpected message %q", err)
		}
	})
}
