package awsapi

import (
	"net/http/httptest"
	"net/url"
	"testing"
)

// TestRedactedPath: a path segment where an API key id belongs is hidden
// when it could be a key value; other segments are kept, except in paths
// that are no operation's, where any segment that could be is hidden.
func TestRedactedPath(t *testing.T) {
	const value = "abcdefghijklmnopqrstuvwxyz0123" // 30 characters
	arn := func(s string) string { return url.PathEscape("arn:aws:apigateway:us-east-1::" + s) }
	tests := []struct {
		method, path, want string
	}{
		{"GET", "/apikeys/abcdefghij", "/apikeys/abcdefghij"},
		{"DELETE", "/apikeys/" + value, "/apikeys/{hidden:30-bytes}"},
		{"GET", "/usageplans/p1/keys/" + value, "/usageplans/p1/keys/{hidden:30-bytes}"},
		{"PATCH", "/usageplans/p1/keys/" + value + "/usage", "/usageplans/p1/keys/{hidden:30-bytes}/usage"},
		{"GET", "/restapis/a1/stages/a-stage-name-of-thirty-chars", "/restapis/a1/stages/a-stage-name-of-thirty-chars"},
		{"PUT", "/tags/" + arn("/apikeys/"+value), "/tags/" + arn("/apikeys/") + "{hidden:30-bytes}"},
		{"PUT", "/tags/" + arn("/apikeys/abcdefghij"), "/tags/" + arn("/apikeys/abcdefghij")},
		{"PUT", "/tags/" + arn("/restapis/a1/stages/a-stage-name-of-thirty-chars"), "/tags/" + arn("/restapis/a1/stages/a-stage-name-of-thirty-chars")},
		{"GET", "/nothing/" + value + "/x", "/nothing/{hidden:30-bytes}/x"},
	}
	h := New(Options{})
	for _, tt := range tests {
		r := httptest.NewRequest(tt.method, "http://localhost"+tt.path, nil)
		if got := redactedPath(r, h.resolve(r)); got != tt.want {
			t.Errorf("%s %s: got %s, want %s", tt.method, tt.path, got, tt.want)
		}
	}
}
