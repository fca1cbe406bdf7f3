package sigv4

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// FuzzCheck checks that Check never reads the body, that its refusals are
// *Error values that do not echo the signature, and that it agrees with
// Verify: a request Check refuses, Verify refuses with the same error; a
// request it passes, Verify accepts or refuses for the signature only.
func FuzzCheck(f *testing.F) {
	const date = "20250101T120000Z"
	good := "AWS4-HMAC-SHA256 Credential=AKIDKNOWN/20250101/us-east-1/apigateway/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + testSig
	f.Add(good, date, "POST")
	f.Add(good, "20250101T130000Z", "GET")
	f.Add(strings.Replace(good, "AKIDKNOWN", "AKIDOTHER", 1), date, "DELETE")
	f.Add(strings.Replace(good, "apigateway", "s3", 1), date, "PUT")
	f.Add("", date, "POST")
	f.Fuzz(func(t *testing.T, authz, amzDate, method string) {
		v := &Verifier{
			Service: "apigateway",
			Lookup:  func(id string) (string, bool) { return "secret", id == "AKIDKNOWN" },
			Now:     func() time.Time { return at(date) },
		}
		r := &http.Request{Method: method, URL: &url.URL{Path: "/apikeys"}, Host: "localhost:9090", Header: http.Header{}, Body: unreadable{t}}
		if authz != "" {
			r.Header["Authorization"] = []string{authz}
		}
		if amzDate != "" {
			r.Header["X-Amz-Date"] = []string{amzDate}
		}
		p, checkErr := v.Check(r)
		_, verifyErr := v.Verify(r, []byte("{}"))
		if checkErr != nil {
			e, ok := checkErr.(*Error)
			if !ok {
				t.Fatalf("Check error %T %v is not an *Error", checkErr, checkErr)
			}
			if m := sigParam.FindStringSubmatch(authz); m != nil && strings.Contains(strings.ToLower(e.Message), strings.ToLower(m[1])) {
				t.Fatalf("message %q echoes the signature", e.Message)
			}
			if ve, ok := verifyErr.(*Error); !ok || *ve != *e {
				t.Fatalf("Check refused %v but Verify answered %v", checkErr, verifyErr)
			}
			return
		}
		if p == nil || p.Identity().AccessKeyID != "AKIDKNOWN" {
			t.Fatalf("Check passed a request for %+v", p)
		}
		if verifyErr != nil && errCode(verifyErr) != CodeInvalidSignature {
			t.Fatalf("Check passed but Verify refused with %v", verifyErr)
		}
	})
}
