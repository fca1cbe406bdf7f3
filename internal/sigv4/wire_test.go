package sigv4_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/gatehouse-dev/gatehouse/internal/sigv4"
)

// send sends req through the recorder's server and returns the verification
// error the server got (nil when accepted).
func send(t *testing.T, rec *recorder, req *http.Request) error {
	t.Helper()
	resp, err := rec.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	got := rec.last(t)
	if (got.Err == nil) != (resp.StatusCode < 300) {
		t.Fatalf("status %d but Verify error %v", resp.StatusCode, got.Err)
	}
	return got.Err
}

func code(err error) string {
	var e *sigv4.Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err != nil {
		return "non-sigv4 error: " + err.Error()
	}
	return ""
}

// TestAWSTestSuite replays requests from AWS's published SigV4 test suite
// (service "service", 2015-08-30) over HTTP, with their published
// signatures: an oracle independent of the SDK signer.
func TestAWSTestSuite(t *testing.T) {
	const (
		date  = "20150830T123600Z"
		scope = "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"
	)
	suiteLookup := func(id string) (string, bool) {
		return "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", id == "AKIDEXAMPLE"
	}
	tests := []struct {
		name, method, target string
		headers              [][2]string
		signedHeaders, sig   string
	}{
		{name: "get-vanilla", method: "GET", target: "/", signedHeaders: "host;x-amz-date", sig: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
		{name: "get-vanilla-query-order-key-case", method: "GET", target: "/?Param2=value2&Param1=value1", signedHeaders: "host;x-amz-date", sig: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
		{name: "post-vanilla", method: "POST", target: "/", signedHeaders: "host;x-amz-date", sig: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
		{
			name: "post-header-value-case", method: "POST", target: "/", headers: [][2]string{{"My-Header1", "VALUE1"}},
			signedHeaders: "host;my-header1;x-amz-date", sig: "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d",
		},
		{
			name: "get-header-key-duplicate", method: "GET", target: "/",
			headers:       [][2]string{{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}},
			signedHeaders: "host;my-header1;x-amz-date", sig: "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea",
		},
		{
			name: "get-header-value-order", method: "GET", target: "/",
			headers:       [][2]string{{"My-Header1", "value4"}, {"My-Header1", "value1"}, {"My-Header1", "value3"}, {"My-Header1", "value2"}},
			signedHeaders: "host;my-header1;x-amz-date", sig: "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01",
		},
	}
	rec := newRecorder(t, &sigv4.Verifier{Service: "service", Lookup: suiteLookup, Now: func() time.Time { return time.Date(2015, 8, 30, 12, 40, 0, 0, time.UTC) }})
	for _, tt := range tests {
		for _, tamper := range []bool{false, true} {
			req, err := http.NewRequestWithContext(t.Context(), tt.method, rec.URL+tt.target, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Host = "example.amazonaws.com"
			if tamper {
				req.Host = "example.amazonaws.com.evil"
			}
			for _, h := range tt.headers {
				req.Header.Add(h[0], h[1])
			}
			req.Header.Set("X-Amz-Date", date)
			req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+scope+", SignedHeaders="+tt.signedHeaders+", Signature="+tt.sig)
			want := ""
			if tamper {
				want = sigv4.CodeInvalidSignature
			}
			if got := code(send(t, rec, req)); got != want {
				t.Errorf("%s (other host: %v): got %q, want %q", tt.name, tamper, got, want)
			}
		}
	}
}

// signManually signs req with the SDK signer the way a client outside the Go
// SDK would: whatever headers req carries (minus the signer's ignore list)
// are signed.
func signManually(t *testing.T, req *http.Request, body []byte, creds aws.Credentials, region string) {
	t.Helper()
	hash := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(hash[:]), "apigateway", region, time.Now()); err != nil {
		t.Fatal(err)
	}
}

// TestBotocoreHeaderSet simulates the AWS CLI / boto3: no amz-sdk-* headers,
// an unsigned User-Agent, Accept and (with a body) Content-Type signed, and
// paths normalised before signing.
func TestBotocoreHeaderSet(t *testing.T) {
	creds := aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}
	tests := []struct {
		name              string
		method, target    string
		signedTarget      string // "" = target
		body              string
		token             string
		wantSignedHeaders string
		tamper            func(*http.Request)
		wantCode          string
	}{
		{name: "GetStage", method: "GET", target: "/restapis/abc/stages/pr%C3%B6d%20v1", wantSignedHeaders: "accept;host;x-amz-date"},
		{
			name: "CreateApiKey", method: "POST", target: "/apikeys", body: `{"name": "k", "enabled": true}`,
			wantSignedHeaders: "accept;content-type;host;x-amz-date",
		},
		{
			name: "CreateApiKey with session token", method: "POST", target: "/apikeys", body: `{"name": "k2"}`, token: "IQoJb3JpZ2luX2VjEtoken/+=",
			wantSignedHeaders: "accept;content-type;host;x-amz-date;x-amz-security-token",
		},
		{
			name: "repeated query keys", method: "GET", target: "/restapis/abc/resources?embed=methods&limit=5&embed=a%20b",
			wantSignedHeaders: "accept;host;x-amz-date",
		},
		{
			name: "ImportApiKeys", method: "POST", target: "/apikeys?mode=import&format=csv&failonwarnings=false", body: "name,key\nk,abcdefghijklmnopqrstuvwxyz0123\n",
			wantSignedHeaders: "accept;content-type;host;x-amz-date",
		},
		{
			name: "empty path segment normalised before signing", method: "GET",
			target: "/restapis/abc/resources//methods/GET", signedTarget: "/restapis/abc/resources/methods/GET",
			wantSignedHeaders: "accept;host;x-amz-date",
		},
		{
			name: "changed User-Agent is not signed", method: "GET", target: "/apikeys/k1",
			wantSignedHeaders: "accept;host;x-amz-date",
			tamper:            func(r *http.Request) { r.Header.Set("User-Agent", "curl/8") },
		},
		{
			name: "changed body", method: "POST", target: "/apikeys", body: `{"name": "k"}`,
			wantSignedHeaders: "accept;content-type;host;x-amz-date",
			tamper: func(r *http.Request) {
				r.Body, r.ContentLength = io.NopCloser(strings.NewReader(`{"name": "K"}`)), 13
			},
			wantCode: sigv4.CodeInvalidSignature,
		},
		{
			name: "changed query", method: "GET", target: "/apikeys/k1?includeValue=false",
			wantSignedHeaders: "accept;host;x-amz-date",
			tamper:            func(r *http.Request) { r.URL.RawQuery = "includeValue=true" },
			wantCode:          sigv4.CodeInvalidSignature,
		},
		{
			name: "changed signed header", method: "POST", target: "/apikeys", body: `{}`,
			wantSignedHeaders: "accept;content-type;host;x-amz-date",
			tamper:            func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") },
			wantCode:          sigv4.CodeInvalidSignature,
		},
		{
			name: "changed path", method: "DELETE", target: "/apikeys/k1",
			wantSignedHeaders: "accept;host;x-amz-date",
			tamper:            func(r *http.Request) { r.URL.Path, r.URL.RawPath = "/apikeys/k2", "" },
			wantCode:          sigv4.CodeInvalidSignature,
		},
		{
			name: "changed session token", method: "GET", target: "/apikeys/k1", token: "token-a",
			wantSignedHeaders: "accept;host;x-amz-date;x-amz-security-token",
			tamper:            func(r *http.Request) { r.Header.Set("X-Amz-Security-Token", "token-b") },
			wantCode:          sigv4.CodeInvalidSignature,
		},
	}
	rec := newRecorder(t, &sigv4.Verifier{Service: "apigateway", Lookup: lookup})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			signedTarget := tt.signedTarget
			if signedTarget == "" {
				signedTarget = tt.target
			}
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			signed, err := http.NewRequestWithContext(t.Context(), tt.method, rec.URL+signedTarget, body)
			if err != nil {
				t.Fatal(err)
			}
			signed.Header.Set("Accept", "application/json")
			signed.Header.Set("User-Agent", "aws-cli/2.15.0 md/awscrt#0.19.0 ua/2.0 os/linux#6.1 md/arch#x86_64 lang/python#3.11.6 command/apigateway.x")
			if tt.body != "" {
				signed.Header.Set("Content-Type", "application/json")
			}
			c := creds
			c.SessionToken = tt.token
			// botocore signs before the body length is known to the request;
			// the wire carries Content-Length unsigned.
			cl := signed.ContentLength
			signed.ContentLength = 0
			signManually(t, signed, []byte(tt.body), c, "eu-west-1")
			signed.ContentLength = cl
			if got := authParam(signed.Header.Get("Authorization"), "SignedHeaders"); got != tt.wantSignedHeaders {
				t.Fatalf("simulated client signed %q, want %q", got, tt.wantSignedHeaders)
			}

			req := signed
			if tt.signedTarget != "" {
				req, err = http.NewRequestWithContext(t.Context(), tt.method, rec.URL+tt.target, body)
				if err != nil {
					t.Fatal(err)
				}
				req.Header = signed.Header.Clone()
			}
			if tt.tamper != nil {
				tt.tamper(req)
			}
			if got := code(send(t, rec, req)); got != tt.wantCode {
				t.Fatalf("Verify code = %q, want %q", got, tt.wantCode)
			}
			if tt.wantCode == "" {
				if got := rec.last(t).Identity.Region; got != "eu-west-1" {
					t.Errorf("Identity.Region = %q, want eu-west-1", got)
				}
			}
		})
	}
}

func authParam(auth, name string) string {
	for part := range strings.SplitSeq(auth, ",") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(part), name+"="); ok {
			return v
		}
	}
	return ""
}

// referenceSign implements the SigV4 spec directly (canonical request,
// string to sign, key derivation) for requests whose path and query are
// already canonical, to check header sets the SDK signer itself never signs.
func referenceSign(method, path, query string, headers [][2]string, body []byte, date, region, secret string) string {
	var canon, names strings.Builder
	for i, h := range headers {
		canon.WriteString(h[0] + ":" + h[1] + "\n")
		if i > 0 {
			names.WriteByte(';')
		}
		names.WriteString(h[0])
	}
	payload := sha256.Sum256(body)
	cr := strings.Join([]string{method, path, query, canon.String(), names.String(), hex.EncodeToString(payload[:])}, "\n")
	crHash := sha256.Sum256([]byte(cr))
	scope := date[:8] + "/" + region + "/apigateway/aws4_request"
	sts := "AWS4-HMAC-SHA256\n" + date + "\n" + scope + "\n" + hex.EncodeToString(crHash[:])
	mac := func(key []byte, s string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(s))
		return h.Sum(nil)
	}
	key := mac(mac(mac(mac([]byte("AWS4"+secret), date[:8]), region), "apigateway"), "aws4_request")
	return "AWS4-HMAC-SHA256 Credential=" + testKeyID + "/" + scope + ", SignedHeaders=" + names.String() + ", Signature=" + hex.EncodeToString(mac(key, sts))
}

// TestSignedUserAgentAndContentLength covers clients such as the AWS SDK for
// Java v1 that sign User-Agent and Content-Length, which the Go SDK's signer
// would skip.
func TestSignedUserAgentAndContentLength(t *testing.T) {
	rec := newRecorder(t, &sigv4.Verifier{Service: "apigateway", Lookup: lookup})
	host := strings.TrimPrefix(rec.URL, "http://")
	date := time.Now().UTC().Format("20060102T150405Z")
	const ua = "aws-sdk-java/1.12.700 Linux/6.1 OpenJDK_64-Bit_Server_VM/17"
	body := []byte(`{"name":"java"}`)
	tests := []struct {
		name, method, target, query string
		headers                     [][2]string
		body                        []byte
		sendUA                      string
		wantCode                    string
	}{
		{
			name: "GET with signed User-Agent", method: "GET", target: "/apikeys/k1", query: "includeValue=true",
			headers: [][2]string{{"host", host}, {"user-agent", ua}, {"x-amz-date", date}}, sendUA: ua,
		},
		{
			name: "POST with signed Content-Length and User-Agent", method: "POST", target: "/apikeys", body: body,
			headers: [][2]string{{"content-length", "15"}, {"content-type", "application/json"}, {"host", host}, {"user-agent", ua}, {"x-amz-date", date}}, sendUA: ua,
		},
		{
			name: "signed User-Agent changed in transit", method: "GET", target: "/apikeys/k2",
			headers: [][2]string{{"host", host}, {"user-agent", ua}, {"x-amz-date", date}}, sendUA: ua + " proxy/1",
			wantCode: sigv4.CodeInvalidSignature,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := rec.URL + tt.target
			if tt.query != "" {
				url += "?" + tt.query
			}
			req, err := http.NewRequestWithContext(t.Context(), tt.method, url, bytes.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("User-Agent", tt.sendUA)
			req.Header.Set("X-Amz-Date", date)
			for _, h := range tt.headers {
				if h[0] == "content-type" {
					req.Header.Set("Content-Type", h[1])
				}
			}
			req.Header.Set("Authorization", referenceSign(tt.method, tt.target, tt.query, tt.headers, tt.body, date, "us-east-1", testSecret))
			if got := code(send(t, rec, req)); got != tt.wantCode {
				t.Fatalf("Verify code = %q, want %q", got, tt.wantCode)
			}
		})
	}
}
