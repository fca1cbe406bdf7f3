package gateway

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestParseProxyResponse checks every rule AWS applies to a Lambda proxy
// response (aws-compat.md §7.4).
func TestParseProxyResponse(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		binary  bool // the caller accepts one of the API's binaryMediaTypes
		status  int
		header  http.Header
		body    string
		wantErr string // a fragment; "" when valid
	}{
		{name: "full", payload: `{"statusCode":201,"headers":{"X-A":"1"},"multiValueHeaders":{"X-B":["2","3"]},"body":"hi","isBase64Encoded":false}`,
			status: 201, header: http.Header{"X-A": {"1"}, "X-B": {"2", "3"}}, body: "hi"},
		{name: "empty object is 200", payload: `{}`, status: 200, header: http.Header{}},
		{name: "statusCode absent is 200", payload: `{"body":"x"}`, status: 200, header: http.Header{}, body: "x"},
		{name: "statusCode null is 200", payload: `{"statusCode":null}`, status: 200, header: http.Header{}},
		{name: "statusCode string", payload: `{"statusCode":"201"}`, status: 201, header: http.Header{}},
		{name: "statusCode non-numeric string", payload: `{"statusCode":"abc"}`, wantErr: "not an integer"},
		{name: "statusCode fraction", payload: `{"statusCode":200.5}`, wantErr: "not an integer"},
		{name: "statusCode out of range", payload: `{"statusCode":99}`, wantErr: "not an HTTP status"},
		{name: "statusCode boolean", payload: `{"statusCode":true}`, wantErr: "not an integer"},
		{name: "other top-level key", payload: `{"statusCode":200,"cookies":[]}`, wantErr: `unknown key "cookies"`},
		{name: "key case matters", payload: `{"StatusCode":200}`, wantErr: `unknown key "StatusCode"`},
		{name: "JSON string", payload: `"hello"`, wantErr: "a JSON string"},
		{name: "JSON array", payload: `[1]`, wantErr: "a JSON array"},
		{name: "null", payload: `null`, wantErr: "null"},
		{name: "not JSON", payload: `hello`, wantErr: "not JSON"},
		{name: "empty", payload: ``, wantErr: "empty"},
		{name: "broken object", payload: `{"statusCode":`, wantErr: "not valid JSON"},
		{name: "text after the object", payload: `{} {}`, wantErr: "text after"},
		{name: "headers null", payload: `{"headers":null,"multiValueHeaders":null,"body":null}`, status: 200, header: http.Header{}},
		{name: "headers not an object", payload: `{"headers":[]}`, wantErr: "headers is not an object"},
		{name: "header value boolean and number", payload: `{"headers":{"X-T":true,"X-F":false,"X-N":1.50}}`,
			status: 200, header: http.Header{"X-T": {"true"}, "X-F": {"false"}, "X-N": {"1.50"}}},
		{name: "header value object", payload: `{"headers":{"X-O":{"a":1}}}`, wantErr: "a string, a number or a boolean"},
		{name: "header value null skipped", payload: `{"headers":{"X-O":null}}`, status: 200, header: http.Header{}},
		{name: "multiValueHeaders value not a list", payload: `{"multiValueHeaders":{"X-A":"1"}}`, wantErr: "is not a list"},
		{name: "multiValueHeaders not an object", payload: `{"multiValueHeaders":"x"}`, wantErr: "multiValueHeaders is not an object"},
		{name: "merged case-insensitively, multi first", payload: `{"headers":{"x-dup":"value-solo"},"multiValueHeaders":{"X-Dup":["value-multi"]}}`,
			status: 200, header: http.Header{"X-Dup": {"value-multi", "value-solo"}}},
		{name: "bad header name", payload: `{"headers":{"X A":"1"}}`, wantErr: "not a valid HTTP header name"},
		{name: "line break in a value", payload: `{"headers":{"X-A":"1\r\nSet-Cookie: x"}}`, wantErr: "line break"},
		{name: "body not a string", payload: `{"body":{"a":1}}`, wantErr: "body is not a string"},
		{name: "isBase64Encoded not a boolean", payload: `{"isBase64Encoded":"true"}`, wantErr: "isBase64Encoded is not a boolean"},
		{name: "base64 decoded when binary", payload: `{"body":"aGk=","isBase64Encoded":true}`, binary: true, status: 200, header: http.Header{}, body: "hi"},
		{name: "base64 kept when not binary", payload: `{"body":"aGk=","isBase64Encoded":true}`, status: 200, header: http.Header{}, body: "aGk="},
		{name: "bad base64 when binary", payload: `{"body":"***","isBase64Encoded":true}`, binary: true, wantErr: "not base64"},
		{name: "surrounding space", payload: " \n{\"statusCode\":204}\n", status: 204, header: http.Header{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseProxyResponse([]byte(tt.payload), tt.binary)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.status != tt.status || string(got.body) != tt.body {
				t.Fatalf("status %d body %q, want %d %q", got.status, got.body, tt.status, tt.body)
			}
			if diff := cmp.Diff(tt.header, got.header); diff != "" {
				t.Fatalf("headers (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStageVarsInFunctionURI(t *testing.T) {
	vars := map[string]string{"alias": "live", "fn": "pets"}
	tests := []struct{ uri, want, wantErr string }{
		{"a:function:pets/invocations", "a:function:pets/invocations", ""},
		{"f:${stageVariables.fn}:${stageVariables.alias}/x", "f:pets:live/x", ""},
		{"f:${stageVariables.nope}/x", "", `no variable "nope"`},
		{"f:${stageVariables.fn/x", "", "not closed"},
	}
	for _, tt := range tests {
		got, err := stageVarsIn(tt.uri, vars)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: err %v, want %q", tt.uri, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: %q %v, want %q", tt.uri, got, err, tt.want)
		}
	}
}

func TestBinaryMediaTypes(t *testing.T) {
	binary := []string{"image/png", "application/octet-stream", "font/*"}
	tests := []struct {
		ctype string
		want  bool
	}{
		{"image/png", true},
		{"IMAGE/PNG; q=1", true},
		{"font/woff2", true},
		{"image/jpeg", false},
		{"application/json", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := isBinaryType(tt.ctype, binary); got != tt.want {
			t.Errorf("isBinaryType(%q) = %v", tt.ctype, got)
		}
	}
	if !isBinaryType("text/plain", []string{"*/*"}) {
		t.Error("*/* does not match text/plain")
	}
	if !acceptsBinary([]string{"text/html, image/png;q=0.9"}, binary) || acceptsBinary([]string{"text/html"}, binary) {
		t.Error("acceptsBinary does not read Accept's list")
	}
}

// FuzzParseProxyResponse: any payload parses or is refused; a parsed one
// has an HTTP status and headers net/http can send.
func FuzzParseProxyResponse(f *testing.F) {
	f.Add([]byte(`{"statusCode":201,"headers":{"X-A":"1"},"multiValueHeaders":{"X-B":["2"]},"body":"hi","isBase64Encoded":false}`), false)
	f.Add([]byte(`{"body":"aGk=","isBase64Encoded":true}`), true)
	f.Fuzz(func(t *testing.T, payload []byte, binary bool) {
		got, err := parseProxyResponse(payload, binary)
		if err != nil {
			return
		}
		if got.status < 100 || got.status > 599 {
			t.Fatalf("status %d", got.status)
		}
		for name, vs := range got.header {
			if !validHeaderName(name) {
				t.Fatalf("header name %q", name)
			}
			for _, v := range vs {
				if strings.ContainsAny(v, "\r\n\x00") {
					t.Fatalf("header %s value %q", name, v)
				}
			}
		}
	})
}
