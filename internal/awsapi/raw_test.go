package awsapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/gatehouse-dev/gatehouse/internal/apitest"
)

// countingAdmin serves env's admin handler on another loopback listener
// and counts the requests it gets and the body bytes its handler reads.
type countingAdmin struct {
	*httptest.Server
	requests atomic.Int64
	read     atomic.Int64
}

func newCountingAdmin(t *testing.T, env *apitest.Env) *countingAdmin {
	t.Helper()
	c := &countingAdmin{}
	admin := env.Server.AdminHandler()
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.requests.Add(1)
		r.Body = &countingBody{ReadCloser: r.Body, n: &c.read}
		admin.ServeHTTP(w, r)
	}))
	t.Cleanup(c.Close)
	return c
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

// signOpts tune how signedRequest signs.
type signOpts struct {
	keyID, secret string // "": the node's admin credentials
	service       string // "": apigateway
	at            time.Time
	unsigned      bool
	chunked       bool   // send without Content-Length
	accept        string // "": application/json
}

// signedRequest builds a request to base+target with body, signed (as
// the AWS SDKs sign) unless o.unsigned.
func signedRequest(t *testing.T, env *apitest.Env, method, base, target string, body []byte, o signOpts) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, base+target, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(body) > 0 {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if o.accept != "" {
		req.Header.Set("Accept", o.accept)
	}
	if o.chunked {
		req.ContentLength = -1
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.GetBody = nil
	}
	if o.unsigned {
		return req
	}
	creds := aws.Credentials{AccessKeyID: env.Server.Credentials.AccessKeyID, SecretAccessKey: env.Server.Credentials.SecretAccessKey}
	if o.keyID != "" {
		creds = aws.Credentials{AccessKeyID: o.keyID, SecretAccessKey: o.secret}
	}
	service := "apigateway"
	if o.service != "" {
		service = o.service
	}
	at := o.at
	if at.IsZero() {
		at = time.Now()
	}
	hash := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(hash[:]), service, "us-east-1", at); err != nil {
		t.Fatal(err)
	}
	return req
}

// answer is a management API response.
type answer struct {
	status    int
	errorType string
	message   string
	body      []byte
}

// do sends req and reads the answer.
func do(t *testing.T, req *http.Request) answer {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	a := answer{status: resp.StatusCode, errorType: resp.Header.Get("x-amzn-ErrorType"), body: b}
	var m struct {
		Message string `json:"message"`
	}
	if a.errorType != "" {
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("error body %q: %v", b, err)
		}
		a.message = m.Message
	}
	return a
}

// newUnavailable starts a server that answers every request 503 and
// returns its URL.
func newUnavailable(t *testing.T) string {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("x-amzn-ErrorType", "ServiceUnavailableException")
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"message":"unavailable"}`))
	}))
	t.Cleanup(s.Close)
	return s.URL
}
