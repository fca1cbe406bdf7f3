package sigv4

import (
	"bytes"
	"encoding/hex"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const testSig = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestParseAuthorization(t *testing.T) {
	sig, err := hex.DecodeString(testSig)
	if err != nil {
		t.Fatal(err)
	}
	sdk := authorization{
		AccessKeyID: "AKIDEXAMPLE", Date: "20250101", Region: "us-east-1", Service: "apigateway", Terminator: "aws4_request",
		SignedHeaders: []string{"accept", "amz-sdk-invocation-id", "host", "x-amz-date"}, Signature: sig,
	}
	tests := []struct {
		name    string
		header  string
		want    authorization
		wantErr string // substring of the IncompleteSignatureException message
	}{
		{
			name:   "SDK form",
			header: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/apigateway/aws4_request, SignedHeaders=accept;amz-sdk-invocation-id;host;x-amz-date, Signature=" + testSig,
			want:   sdk,
		},
		{
			name:   "no spaces after commas, other order, upper-case hex",
			header: "AWS4-HMAC-SHA256 Signature=" + strings.ToUpper(testSig) + ",SignedHeaders=accept;amz-sdk-invocation-id;host;x-amz-date,Credential=AKIDEXAMPLE/20250101/us-east-1/apigateway/aws4_request",
			want:   sdk,
		},
		{
			name:   "extra whitespace",
			header: "  AWS4-HMAC-SHA256   Credential=AKIDEXAMPLE/20250101/us-east-1/apigateway/aws4_request ,  SignedHeaders=accept;amz-sdk-invocation-id;host;x-amz-date ,Signature=" + testSig + "  ",
			want:   sdk,
		},
		{name: "other scheme", header: "Bearer abc", wantErr: "algorithm 'AWS4-HMAC-SHA256'"},
		{name: "SigV4a", header: "AWS4-ECDSA-P256-SHA256 Credential=a/b", wantErr: "algorithm"},
		{name: "algorithm only", header: "AWS4-HMAC-SHA256", wantErr: "requires 'Credential' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires 'Signature' parameter."},
		{name: "no Signature", header: "AWS4-HMAC-SHA256 Credential=A/20250101/r/s/aws4_request, SignedHeaders=host", wantErr: "requires 'Signature' parameter"},
		{name: "empty Credential", header: "AWS4-HMAC-SHA256 Credential=, SignedHeaders=host, Signature=" + testSig, wantErr: "requires 'Credential' parameter"},
		{name: "no equals", header: "AWS4-HMAC-SHA256 Credential", wantErr: "parameter without '='"},
		{name: "unknown parameter", header: "AWS4-HMAC-SHA256 Foo=bar", wantErr: `unknown parameter "Foo"`},
		{name: "repeated parameter", header: "AWS4-HMAC-SHA256 Credential=a, Credential=b", wantErr: "repeats the 'Credential'"},
		{name: "short scope", header: "AWS4-HMAC-SHA256 Credential=A/20250101/r/aws4_request, SignedHeaders=host, Signature=" + testSig, wantErr: "got 4 part(s)"},
		{name: "empty region", header: "AWS4-HMAC-SHA256 Credential=A/20250101//s/aws4_request, SignedHeaders=host, Signature=" + testSig, wantErr: "empty or invalid region"},
		{name: "bad date", header: "AWS4-HMAC-SHA256 Credential=A/2025-1-1/r/s/aws4_request, SignedHeaders=host, Signature=" + testSig, wantErr: "date must be YYYYMMDD"},
		{name: "no host", header: "AWS4-HMAC-SHA256 Credential=A/20250101/r/s/aws4_request, SignedHeaders=x-amz-date, Signature=" + testSig, wantErr: "must include 'host'"},
		{name: "upper-case header", header: "AWS4-HMAC-SHA256 Credential=A/20250101/r/s/aws4_request, SignedHeaders=Host, Signature=" + testSig, wantErr: `"Host" is not a lowercase header name`},
		{name: "unsorted headers", header: "AWS4-HMAC-SHA256 Credential=A/20250101/r/s/aws4_request, SignedHeaders=x-amz-date;host, Signature=" + testSig, wantErr: "sorted and unique"},
		{name: "duplicate header", header: "AWS4-HMAC-SHA256 Credential=A/20250101/r/s/aws4_request, SignedHeaders=host;host, Signature=" + testSig, wantErr: "sorted and unique"},
		{name: "empty header name", header: "AWS4-HMAC-SHA256 Credential=A/20250101/r/s/aws4_request, SignedHeaders=;host, Signature=" + testSig, wantErr: "not a lowercase header name"},
		{name: "short signature", header: "AWS4-HMAC-SHA256 Credential=A/20250101/r/s/aws4_request, SignedHeaders=host, Signature=abcd", wantErr: "64 hexadecimal characters, got 4"},
		{name: "non-hex signature", header: "AWS4-HMAC-SHA256 Credential=A/20250101/r/s/aws4_request, SignedHeaders=host, Signature=" + strings.Repeat("g", 64), wantErr: "64 hexadecimal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseAuthorization(tt.header)
			if tt.wantErr != "" {
				var e *Error
				if !errors.As(err, &e) || e.Code != CodeIncompleteSignature || !strings.Contains(e.Message, tt.wantErr) {
					t.Fatalf("parseAuthorization(%q) error = %v, want %s containing %q", tt.header, err, CodeIncompleteSignature, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseAuthorization(%q): %v", tt.header, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseAuthorization(%q) mismatch (-want +got):\n%s", tt.header, diff)
			}
		})
	}
}

var sigParam = regexp.MustCompile(`Signature=\s*([0-9A-Fa-f]{64})`)

// FuzzParseAuthorization checks that the parser never panics, that its
// refusals are IncompleteSignatureException without the signature in the
// message, and that what it accepts has the documented invariants and
// round-trips through String.
func FuzzParseAuthorization(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/apigateway/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + testSig)
	f.Fuzz(func(t *testing.T, h string) {
		a, err := parseAuthorization(h)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code != CodeIncompleteSignature {
				t.Fatalf("error %v is not an %s *Error", err, CodeIncompleteSignature)
			}
			if m := sigParam.FindStringSubmatch(h); m != nil && strings.Contains(strings.ToLower(e.Message), strings.ToLower(m[1])) {
				t.Fatalf("message %q echoes the signature", e.Message)
			}
			return
		}
		for _, part := range []string{a.AccessKeyID, a.Date, a.Region, a.Service, a.Terminator} {
			if !isScopePart(part) {
				t.Fatalf("accepted invalid scope part %q in %q", part, h)
			}
		}
		if !isDate(a.Date) {
			t.Fatalf("accepted date %q", a.Date)
		}
		if len(a.Signature) != 32 {
			t.Fatalf("signature has %d bytes", len(a.Signature))
		}
		if !slices.IsSorted(a.SignedHeaders) || len(slices.Compact(slices.Clone(a.SignedHeaders))) != len(a.SignedHeaders) || !slices.Contains(a.SignedHeaders, "host") {
			t.Fatalf("SignedHeaders %q not sorted, unique and with host", a.SignedHeaders)
		}
		for _, name := range a.SignedHeaders {
			if !isLowerToken(name) {
				t.Fatalf("accepted header name %q", name)
			}
		}
		again, err := parseAuthorization(a.String())
		if err != nil {
			t.Fatalf("String() = %q does not parse: %v", a.String(), err)
		}
		if diff := cmp.Diff(a, again); diff != "" || !bytes.Equal(a.Signature, again.Signature) {
			t.Fatalf("round trip of %q mismatch (-first +second):\n%s", h, diff)
		}
	})
}
