package sigv4

import (
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func at(s string) time.Time {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestCheckSkew(t *testing.T) {
	now := at("20250101T122000Z")
	tests := []struct {
		name     string
		signedAt time.Time
		maxSkew  time.Duration
		want     string // "" = accepted
	}{
		{name: "same second", signedAt: now, maxSkew: 5 * time.Minute},
		{name: "exactly 5 min. old", signedAt: now.Add(-5 * time.Minute), maxSkew: 5 * time.Minute},
		{name: "exactly 5 min. ahead", signedAt: now.Add(5 * time.Minute), maxSkew: 5 * time.Minute},
		{
			name: "20 min. old", signedAt: at("20250101T120000Z"), maxSkew: 5 * time.Minute,
			want: "Signature expired: 20250101T120000Z is now earlier than 20250101T121500Z (20250101T122000Z - 5 min.)",
		},
		{
			name: "1 second too old", signedAt: now.Add(-5*time.Minute - time.Second), maxSkew: 5 * time.Minute,
			want: "Signature expired: 20250101T121459Z is now earlier than 20250101T121500Z (20250101T122000Z - 5 min.)",
		},
		{
			name: "10 min. ahead", signedAt: at("20250101T123000Z"), maxSkew: 5 * time.Minute,
			want: "Signature not yet current: 20250101T123000Z is still later than 20250101T122500Z (20250101T122000Z + 5 min.)",
		},
		{
			name: "custom skew", signedAt: at("20250101T121900Z"), maxSkew: 30 * time.Second,
			want: "Signature expired: 20250101T121900Z is now earlier than 20250101T121930Z (20250101T122000Z - 30s)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkSkew(tt.signedAt, now, tt.maxSkew)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("checkSkew refused: %v", err)
				}
				return
			}
			want := &Error{Code: CodeInvalidSignature, Message: tt.want}
			if diff := cmp.Diff(want, err); diff != "" {
				t.Errorf("checkSkew mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestVerifyRefusals covers refusals decided before or instead of the
// signature comparison. The signatures are arbitrary. Every refusal but the
// signature's own is Check's, made without reading the body.
func TestVerifyRefusals(t *testing.T) {
	const (
		date = "20250101T120000Z"
		cred = "Credential=AKIDKNOWN/20250101/us-east-1/apigateway/aws4_request"
		sh   = "SignedHeaders=host;x-amz-date"
		sig  = "Signature=" + testSig
	)
	good := "AWS4-HMAC-SHA256 " + cred + ", " + sh + ", " + sig
	tests := []struct {
		name     string
		target   string
		headers  map[string][]string
		lookup   Lookup
		noLookup bool
		wantCode string
		wantMsg  string // substring
	}{
		{name: "no Authorization", headers: map[string][]string{"X-Amz-Date": {date}}, wantCode: CodeMissingAuthenticationToken, wantMsg: "Missing Authentication Token"},
		{name: "blank Authorization", headers: map[string][]string{"Authorization": {" "}}, wantCode: CodeMissingAuthenticationToken},
		{
			name: "presigned query", target: "/apikeys?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=" + testSig,
			wantCode: CodeIncompleteSignature, wantMsg: "Query string authentication (X-Amz-Signature) is not supported",
		},
		{name: "two Authorization headers", headers: map[string][]string{"Authorization": {good, good}, "X-Amz-Date": {date}}, wantCode: CodeIncompleteSignature, wantMsg: "2 Authorization headers"},
		{name: "not SigV4", headers: map[string][]string{"Authorization": {"Basic dXNlcjpwYXNz"}}, wantCode: CodeIncompleteSignature, wantMsg: "algorithm 'AWS4-HMAC-SHA256'"},
		{name: "no X-Amz-Date", headers: map[string][]string{"Authorization": {good}}, wantCode: CodeIncompleteSignature, wantMsg: "requires existence of a 'X-Amz-Date' header"},
		{name: "two X-Amz-Date", headers: map[string][]string{"Authorization": {good}, "X-Amz-Date": {date, date}}, wantCode: CodeIncompleteSignature, wantMsg: "2 X-Amz-Date headers"},
		{name: "extended ISO date", headers: map[string][]string{"Authorization": {good}, "X-Amz-Date": {"2025-01-01T12:00:00Z"}}, wantCode: CodeIncompleteSignature, wantMsg: "not '2025-01-01T12:00:00Z'"},
		{name: "fractional seconds", headers: map[string][]string{"Authorization": {good}, "X-Amz-Date": {"20250101T120000.5Z"}}, wantCode: CodeIncompleteSignature, wantMsg: "X-Amz-Date must have the form"},
		{
			name: "x-amz-date not signed", headers: map[string][]string{"Authorization": {"AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host, " + sig}, "X-Amz-Date": {date}},
			wantCode: CodeIncompleteSignature, wantMsg: "SignedHeaders must include 'x-amz-date'",
		},
		{
			name: "scope date differs", headers: map[string][]string{"Authorization": {good}, "X-Amz-Date": {"20250102T000100Z"}},
			wantCode: CodeIncompleteSignature, wantMsg: "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20250101' != '20250102', from '20250102T000100Z'.",
		},
		{
			name: "wrong service", headers: map[string][]string{"Authorization": {strings.Replace(good, "/apigateway/", "/execute-api/", 1)}, "X-Amz-Date": {date}},
			wantCode: CodeIncompleteSignature, wantMsg: "Credential should be scoped to correct service: 'apigateway'.",
		},
		{
			name: "wrong terminator", headers: map[string][]string{"Authorization": {strings.Replace(good, "aws4_request", "aws5_request", 1)}, "X-Amz-Date": {date}},
			wantCode: CodeIncompleteSignature, wantMsg: "valid terminator: 'aws4_request', not 'aws5_request'.",
		},
		{name: "unknown key", headers: map[string][]string{"Authorization": {strings.Replace(good, "AKIDKNOWN", "AKIDOTHER", 1)}, "X-Amz-Date": {date}}, wantCode: CodeUnrecognizedClient},
		{name: "Lookup knows no key", headers: map[string][]string{"Authorization": {good}, "X-Amz-Date": {date}}, lookup: func(string) (string, bool) { return "", false }, wantCode: CodeUnrecognizedClient},
		{name: "nil Lookup", headers: map[string][]string{"Authorization": {good}, "X-Amz-Date": {date}}, noLookup: true, wantCode: CodeUnrecognizedClient},
		{name: "bad signature", headers: map[string][]string{"Authorization": {good}, "X-Amz-Date": {date}}, wantCode: CodeInvalidSignature, wantMsg: "does not match the signature you provided"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := tt.target
			if target == "" {
				target = "/apikeys"
			}
			r := httptest.NewRequest("POST", "http://localhost:8080"+target, nil)
			for k, vs := range tt.headers {
				r.Header[k] = vs
			}
			lookup := tt.lookup
			if lookup == nil {
				lookup = func(id string) (string, bool) { return "secret", id == "AKIDKNOWN" }
			}
			v := &Verifier{Service: "apigateway", Lookup: lookup, Now: func() time.Time { return at(date) }}
			if tt.noLookup {
				v.Lookup = nil
			}
			r.Body = unreadable{t}
			p, checkErr := v.Check(r)
			if tt.wantCode == CodeInvalidSignature {
				if checkErr != nil {
					t.Fatalf("Check refused %v; the signature is checked only with the body", checkErr)
				}
				if got := p.Identity().AccessKeyID; got != "AKIDKNOWN" {
					t.Errorf("Pending identity %q, want AKIDKNOWN", got)
				}
			} else if code := errCode(checkErr); code != tt.wantCode {
				t.Fatalf("Check error %v (code %q), want code %q", checkErr, code, tt.wantCode)
			}
			id, err := v.Verify(r, nil)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Verify = %+v, %v; want an *Error", id, err)
			}
			if e.Code != tt.wantCode || !strings.Contains(e.Message, tt.wantMsg) {
				t.Fatalf("Verify error = %q %q, want %q containing %q", e.Code, e.Message, tt.wantCode, tt.wantMsg)
			}
			if strings.Contains(e.Error(), testSig) {
				t.Errorf("error %q echoes the signature", e.Error())
			}
			if id != (Identity{}) {
				t.Errorf("Identity = %+v on refusal, want zero", id)
			}
		})
	}
}

// unreadable is a request body that fails the test when read.
type unreadable struct{ t testing.TB }

func (u unreadable) Read([]byte) (int, error) {
	u.t.Helper()
	u.t.Error("the request body was read")
	return 0, errors.New("unreadable body")
}

func (u unreadable) Close() error { return nil }

func errCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func sigOf(i int) [32]byte {
	var s [32]byte
	copy(s[:], fmt.Sprintf("%032d", i))
	return s
}

func TestReplayCache(t *testing.T) {
	t0 := at("20250101T120000Z")
	var c replayCache
	c.limit = 3
	steps := []struct {
		sig     int
		expires time.Time
		now     time.Time
		want    bool
		wantLen int
	}{
		{sig: 1, expires: t0.Add(5 * time.Minute), now: t0, want: true, wantLen: 1},
		{sig: 1, expires: t0.Add(5 * time.Minute), now: t0, want: false, wantLen: 1},
		{sig: 1, expires: t0.Add(5 * time.Minute), now: t0.Add(5 * time.Minute), want: false, wantLen: 1}, // still live at expiry
		{sig: 2, expires: t0.Add(6 * time.Minute), now: t0.Add(time.Minute), want: true, wantLen: 2},
		{sig: 3, expires: t0.Add(7 * time.Minute), now: t0.Add(time.Minute), want: true, wantLen: 3},
		{sig: 4, expires: t0.Add(8 * time.Minute), now: t0.Add(time.Minute), want: true, wantLen: 3}, // full: 1 dropped
		{sig: 1, expires: t0.Add(5 * time.Minute), now: t0.Add(time.Minute), want: true, wantLen: 3}, // 2 dropped
		{sig: 3, expires: t0.Add(7 * time.Minute), now: t0.Add(time.Minute), want: false, wantLen: 3},
		{sig: 5, expires: t0.Add(20 * time.Minute), now: t0.Add(15 * time.Minute), want: true, wantLen: 1}, // all others expired
		{sig: 3, expires: t0.Add(20 * time.Minute), now: t0.Add(15 * time.Minute), want: true, wantLen: 2},
	}
	for i, s := range steps {
		if got := c.add(sigOf(s.sig), s.expires, s.now); got != s.want {
			t.Fatalf("step %d: add(%d) = %v, want %v", i, s.sig, got, s.want)
		}
		if got := c.len(); got != s.wantLen || len(c.seen) != s.wantLen {
			t.Fatalf("step %d: len = %d (map %d), want %d", i, got, len(c.seen), s.wantLen)
		}
	}
}

func TestReplayCacheBounded(t *testing.T) {
	t0 := at("20250101T120000Z")
	var c replayCache
	c.limit = 100
	for i := range 1000 {
		if !c.add(sigOf(i), t0.Add(time.Hour), t0) {
			t.Fatalf("add(%d) = false for a new signature", i)
		}
	}
	if c.len() != 100 || len(c.seen) != 100 || cap(c.queue) > 400 {
		t.Fatalf("len %d, map %d, queue cap %d; want 100, 100, <= 400", c.len(), len(c.seen), cap(c.queue))
	}
	if !c.add(sigOf(899), t0.Add(time.Hour), t0) || c.add(sigOf(999), t0.Add(time.Hour), t0) {
		t.Fatal("want the oldest entries dropped and the newest kept")
	}
}

func TestReplayCacheConcurrent(t *testing.T) {
	t0 := at("20250101T120000Z")
	var c replayCache
	var accepted atomic.Int32
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				if c.add(sigOf(i), t0.Add(time.Minute), t0.Add(time.Duration(g)*time.Millisecond)) {
					accepted.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if got := accepted.Load(); got != 200 {
		t.Fatalf("%d adds accepted, want each of the 200 signatures accepted exactly once", got)
	}
}
