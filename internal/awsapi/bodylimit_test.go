package awsapi_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apitest"
	"github.com/gatehouse-dev/gatehouse/internal/awsapi"
)

// TestBodyNotReadBeforeAuthentication sends a 1 MiB import that cannot be
// authentic in several ways: each is refused with AWS's code, and the node
// reads none of the body. A correctly signed one is read whole.
func TestBodyNotReadBeforeAuthentication(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	admin := newCountingAdmin(t, env)
	body := []byte("name,key\n" + strings.Repeat("x", 1<<20))
	const target = "/apikeys?mode=import&format=csv"
	tests := []struct {
		name     string
		opts     signOpts
		wantCode string
		wantRead int64
	}{
		{name: "unsigned", opts: signOpts{unsigned: true}, wantCode: "MissingAuthenticationTokenException"},
		{name: "unknown access key id", opts: signOpts{keyID: "AKIAUNKNOWNKEY000000", secret: "s"}, wantCode: "UnrecognizedClientException"},
		{name: "other service", opts: signOpts{service: "execute-api"}, wantCode: "IncompleteSignatureException"},
		{name: "signed an hour ago", opts: signOpts{at: time.Now().Add(-time.Hour)}, wantCode: "InvalidSignatureException"},
		{name: "unsigned, chunked", opts: signOpts{unsigned: true, chunked: true}, wantCode: "MissingAuthenticationTokenException"},
		{name: "signed", opts: signOpts{}, wantRead: int64(len(body))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			admin.read.Store(0)
			a := do(t, signedRequest(t, env, "POST", admin.URL, target, body, tt.opts))
			if tt.wantCode != "" && (a.status != http.StatusForbidden || a.errorType != tt.wantCode) {
				t.Errorf("got %d %s %q, want 403 %s", a.status, a.errorType, a.message, tt.wantCode)
			}
			if tt.wantCode == "" && a.status == http.StatusForbidden {
				t.Errorf("signed request refused: %s %q", a.errorType, a.message)
			}
			if got := admin.read.Load(); got != tt.wantRead {
				t.Errorf("the node read %d body bytes, want %d", got, tt.wantRead)
			}
		})
	}
}

// TestBodyLimitPerOperation checks each operation's body limit: a signed
// request over it is refused with 413 naming the limit and the operation
// (before reading, when Content-Length announces it), and one at the limit
// of a large operation is served.
func TestBodyLimitPerOperation(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	admin := newCountingAdmin(t, env)
	tests := []struct {
		op, method, target string
		size               int64
		chunked            bool
		wantStatus         int
		wantRead           int64 // -1: do not check
	}{
		{op: "CreateApiKey", method: "POST", target: "/apikeys", size: 256<<10 + 1, wantStatus: 413, wantRead: 0},
		{op: "CreateApiKey", method: "POST", target: "/apikeys", size: 256<<10 + 1, chunked: true, wantStatus: 413, wantRead: 256<<10 + 1},
		{op: "ImportApiKeys", method: "POST", target: "/apikeys?mode=import&format=csv", size: 6<<20 + 1, wantStatus: 413, wantRead: 0},
		{op: "UpdateUsagePlan", method: "PATCH", target: "/usageplans/abc123", size: 256<<10 + 1, wantStatus: 413, wantRead: 0},
		{op: "PutIntegration", method: "PUT", target: "/restapis/a/resources/b/methods/GET/integration", size: 1<<20 + 1, wantStatus: 413, wantRead: 0},
		{op: "GetApiKeys", method: "GET", target: "/apikeys", size: 4<<10 + 1, wantStatus: 413, wantRead: 0},
		{op: "ImportRestApi", method: "POST", target: "/restapis?mode=import", size: 6<<20 + 1, wantStatus: 413, wantRead: 0},
		// Within the limit: served (a CSV with one key and a large ignored column).
		{op: "ImportApiKeys", method: "POST", target: "/apikeys?mode=import&format=csv", size: 6 << 20, wantStatus: 201, wantRead: 6 << 20},
		{op: "PutIntegration", method: "PUT", target: "/restapis/a/resources/b/methods/GET/integration", size: 1 << 20, wantStatus: 400, wantRead: 1 << 20}, // read and validated: no type
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %d chunked=%v", tt.op, tt.size, tt.chunked), func(t *testing.T) {
			body := sizedBody(tt.op, tt.size)
			admin.read.Store(0)
			a := do(t, signedRequest(t, env, tt.method, admin.URL, tt.target, body, signOpts{chunked: tt.chunked}))
			if a.status != tt.wantStatus {
				t.Fatalf("got %d %s %q, want %d", a.status, a.errorType, a.message, tt.wantStatus)
			}
			if tt.wantStatus == 413 {
				limit := awsapi.BodyLimit(tt.op)
				want := fmt.Sprintf("Request must be smaller than %d bytes for the %s operation", limit, tt.op)
				if a.errorType != "RequestEntityTooLargeException" || a.message != want || tt.size != limit+1 {
					t.Errorf("got %s %q (limit %d), want RequestEntityTooLargeException %q", a.errorType, a.message, limit, want)
				}
			}
			if got := admin.read.Load(); tt.wantRead >= 0 && got != tt.wantRead {
				t.Errorf("the node read %d body bytes, want %d", got, tt.wantRead)
			}
		})
	}
}

// sizedBody returns a body of exactly size bytes that the operation would
// accept if it were not too large.
func sizedBody(op string, size int64) []byte {
	if op == "ImportApiKeys" {
		head := "Name,Key,Notes\nbig,abcdefghij0123456789-sized-body,"
		return []byte(head + strings.Repeat("n", int(size)-len(head)))
	}
	head := `{"description":"`
	return []byte(head + strings.Repeat("d", int(size)-len(head)-2) + `"}`)
}

// endless is an upload that never ends; it counts what the client sent.
type endless struct{ sent atomic.Int64 }

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	e.sent.Add(int64(len(p)))
	return len(p), nil
}

// TestUnsignedUploadsCostNoMemory sends unsigned uploads far larger than
// any limit, announced and chunked: the node answers 403 before the client
// has finished sending, and allocates a small fraction of what was sent.
func TestUnsignedUploadsCostNoMemory(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	const n, announced = 8, 16 << 20
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := range n {
		up := &endless{}
		req, err := http.NewRequestWithContext(t.Context(), "POST", env.AdminURL+"/apikeys?mode=import&format=csv", io.LimitReader(up, announced))
		if err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			req.ContentLength = announced
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || !bytes.Contains(b, []byte("Missing Authentication Token")) {
			t.Fatalf("upload %d: %d %s, want 403 Missing Authentication Token", i, resp.StatusCode, b)
		}
		if sent := up.sent.Load(); sent >= announced {
			t.Errorf("upload %d: the client sent all %d bytes before the answer", i, sent)
		}
	}
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
		t.Errorf("%d unsigned uploads of %d MiB allocated %d MiB", n, announced>>20, alloc>>20)
	}
}
