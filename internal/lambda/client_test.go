package lambda_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/gatehouse-dev/gatehouse/internal/lambda"
)

const fnURI = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:pets:live/invocations"

// invokeAPI is a fake Invoke API endpoint: it records the last request and
// answers with answer.
func invokeAPI(t *testing.T, answer func(w http.ResponseWriter, r *http.Request)) (*httptest.Server, *atomic.Pointer[http.Request]) {
	t.Helper()
	var last atomic.Pointer[http.Request]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r2 := r.Clone(context.Background())
		r2.Body = io.NopCloser(strings.NewReader(string(body)))
		last.Store(r2)
		answer(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &last
}

func newClient(t *testing.T, o lambda.Options) *lambda.Client {
	t.Helper()
	c, err := lambda.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

func TestClientInvokeAPI(t *testing.T) {
	tests := []struct {
		name   string
		answer func(w http.ResponseWriter, r *http.Request)
		check  func(t *testing.T, res lambda.Result, err error)
	}{
		{"success", func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"statusCode":200}`)
		}, func(t *testing.T, res lambda.Result, err error) {
			if err != nil || res.FunctionError != "" || string(res.Payload) != `{"statusCode":200}` {
				t.Fatalf("%+v %v", res, err)
			}
		}},
		{"function error", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Amz-Function-Error", "Handled")
			io.WriteString(w, `{"errorMessage":"no pets","errorType":"NotFound"}`)
		}, func(t *testing.T, res lambda.Result, err error) {
			if err != nil || res.FunctionError != "Handled" {
				t.Fatalf("%+v %v", res, err)
			}
			if msg, typ := lambda.FunctionErrorOf(res.Payload); msg != "no pets" || typ != "NotFound" {
				t.Fatalf("FunctionErrorOf = %q %q", msg, typ)
			}
		}},
		{"404 ResourceNotFoundException", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Amzn-ErrorType", "ResourceNotFoundException:http://internal.amazon.com/coral/com.amazonaws.awsgirlfriend/")
			w.WriteHeader(404)
			io.WriteString(w, `{"Type":"User","Message":"Function not found: arn:aws:lambda:eu-west-1:123456789012:function:pets:live"}`)
		}, func(t *testing.T, res lambda.Result, err error) {
			var ie *lambda.InvokeError
			if !errors.As(err, &ie) || !errors.Is(err, lambda.ErrInvoke) {
				t.Fatalf("err %v, want an InvokeError wrapping ErrInvoke", err)
			}
			if ie.Status != 404 || ie.Type != "ResourceNotFoundException" || !strings.HasPrefix(ie.Message, "Function not found") || ie.AccessDenied() {
				t.Fatalf("%+v", ie)
			}
		}},
		{"403 AccessDeniedException", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(403)
			io.WriteString(w, `{"__type":"com.amazon.coral.service#AccessDeniedException","message":"not allowed"}`)
		}, func(t *testing.T, res lambda.Result, err error) {
			var ie *lambda.InvokeError
			if !errors.As(err, &ie) || ie.Type != "AccessDeniedException" || ie.Message != "not allowed" || !ie.AccessDenied() {
				t.Fatalf("err %v", err)
			}
		}},
		{"too large", func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, strings.Repeat("x", 1025))
		}, func(t *testing.T, res lambda.Result, err error) {
			if !errors.Is(err, lambda.ErrTooLarge) {
				t.Fatalf("err %v, want ErrTooLarge", err)
			}
		}},
		{"exactly the cap", func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, strings.Repeat("x", 1024))
		}, func(t *testing.T, res lambda.Result, err error) {
			if err != nil || len(res.Payload) != 1024 {
				t.Fatalf("%d bytes, %v", len(res.Payload), err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, last := invokeAPI(t, tt.answer)
			c := newClient(t, lambda.Options{Endpoint: srv.URL + "/", MaxResponseBytes: 1024})
			res, err := c.Invoke(context.Background(), fnURI, []byte(`{"event":1}`))
			tt.check(t, res, err)
			r := last.Load()
			if r == nil {
				t.Fatal("the endpoint was not called")
			}
			if r.Method != "POST" || r.URL.EscapedPath() != "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aeu-west-1%3A123456789012%3Afunction%3Apets%3Alive/invocations" {
				t.Fatalf("%s %s", r.Method, r.URL.EscapedPath())
			}
			if got := r.Header.Get("X-Amz-Invocation-Type"); got != "RequestResponse" {
				t.Fatalf("X-Amz-Invocation-Type %q", got)
			}
			if b, _ := io.ReadAll(r.Body); string(b) != `{"event":1}` {
				t.Fatalf("payload %q", b)
			}
			if r.Header.Get("Authorization") != "" {
				t.Fatal("signed without credentials")
			}
		})
	}
}

var sigv4Shape = regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=AKIDLAMBDATEST/\d{8}/eu-west-1/lambda/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$`)

func TestClientSigns(t *testing.T) {
	srv, last := invokeAPI(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{}`) })
	creds := credentials.NewStaticCredentialsProvider("AKIDLAMBDATEST", "secret", "session-token")
	c := newClient(t, lambda.Options{Endpoint: srv.URL, Credentials: aws.NewCredentialsCache(creds)})
	if !c.Signed() {
		t.Fatal("Signed() is false with credentials")
	}
	if _, err := c.Invoke(context.Background(), fnURI, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	r := last.Load()
	if a := r.Header.Get("Authorization"); !sigv4Shape.MatchString(a) {
		t.Fatalf("Authorization %q is not a SigV4 signature for lambda in eu-west-1", a)
	}
	if r.Header.Get("X-Amz-Date") == "" || r.Header.Get("X-Amz-Security-Token") != "session-token" {
		t.Fatalf("X-Amz-Date %q, X-Amz-Security-Token %q", r.Header.Get("X-Amz-Date"), r.Header.Get("X-Amz-Security-Token"))
	}
	// A plain-HTTP function is never signed.
	if _, err := c.Invoke(context.Background(), srv.URL+"/fn", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if a := last.Load().Header.Get("Authorization"); a != "" {
		t.Fatalf("a plain-HTTP function got Authorization %q", a)
	}
}

func TestClientNoEndpoint(t *testing.T) {
	c := newClient(t, lambda.Options{})
	if _, err := c.Invoke(context.Background(), fnURI, nil); !errors.Is(err, lambda.ErrNoEndpoint) {
		t.Fatalf("err %v, want ErrNoEndpoint", err)
	}
	if _, err := c.Invoke(context.Background(), "ftp://x/y", nil); !errors.Is(err, lambda.ErrBadURI) {
		t.Fatalf("err %v, want ErrBadURI", err)
	}
}

func TestClientHTTPFunction(t *testing.T) {
	tests := []struct {
		name, body  string
		status      int
		wantFE      string
		wantMessage string
		wantType    string
	}{
		{"2xx", `{"principalId":"u"}`, 201, "", "", ""},
		{"error shape kept", `{"errorMessage":"Unauthorized","errorType":"Error"}`, 401, "Unhandled", "Unauthorized", "Error"},
		{"plain text", "Unauthorized\n", 401, "Unhandled", "Unauthorized", "HTTP 401"},
		{"5xx", "boom", 500, "Unhandled", "boom", "HTTP 500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, last := invokeAPI(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			})
			c := newClient(t, lambda.Options{})
			res, err := c.Invoke(context.Background(), srv.URL+"/auth?x=1", []byte(`{"type":"TOKEN"}`))
			if err != nil {
				t.Fatal(err)
			}
			if r := last.Load(); r.Method != "POST" || r.URL.RequestURI() != "/auth?x=1" || r.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("%s %s %q", r.Method, r.URL.RequestURI(), r.Header.Get("Content-Type"))
			}
			if res.FunctionError != tt.wantFE {
				t.Fatalf("FunctionError %q, want %q", res.FunctionError, tt.wantFE)
			}
			if tt.wantFE == "" {
				if string(res.Payload) != tt.body {
					t.Fatalf("payload %s", res.Payload)
				}
				return
			}
			if msg, typ := lambda.FunctionErrorOf(res.Payload); msg != tt.wantMessage || typ != tt.wantType {
				t.Fatalf("error %q %q, want %q %q", msg, typ, tt.wantMessage, tt.wantType)
			}
		})
	}
}

func TestClientConnectionRefused(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c := newClient(t, lambda.Options{Endpoint: url})
	_, err := c.Invoke(context.Background(), fnURI, nil)
	if !errors.Is(err, lambda.ErrInvoke) || errors.Is(err, lambda.ErrTimeout) {
		t.Fatalf("err %v, want ErrInvoke", err)
	}
}

// TestClientHangingFunction: a function that never answers costs the
// timeout (the caller's deadline, or the client's cap) and leaves no
// goroutine behind.
func TestClientHangingFunction(t *testing.T) {
	// The handler blocks until the client hangs up. Only the calls whose
	// start the test waits for report it (payload "wait"): a call that
	// times out may never reach the handler on a loaded machine, so the
	// timed calls are not waited for.
	entered := make(chan struct{}, 8)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body) // (the server watches the connection once the body is read)
		if string(body) == `"wait"` {
			entered <- struct{}{}
		}
		<-r.Context().Done() // the client hung up
	}))
	defer srv.Close()
	c := newClient(t, lambda.Options{Endpoint: srv.URL, MaxTimeout: 150 * time.Millisecond})
	// invokeUntilEntered makes a call that the handler has entered, then
	// hangs up (cancels it) and returns the call's error. A call that hits
	// the client's 150 ms cap before reaching the handler (a loaded
	// machine) is made again.
	invokeUntilEntered := func() (err error) {
		for range 20 {
			ctx, cancel := context.WithCancel(context.Background())
			go func() {
				select {
				case <-entered:
					cancel()
				case <-ctx.Done():
				}
			}()
			_, err = c.Invoke(ctx, fnURI, []byte(`"wait"`))
			cancel()
			if !errors.Is(err, lambda.ErrTimeout) {
				return err
			}
		}
		return err
	}
	// Warm up the pool and the runtime's own goroutines, then count.
	invokeUntilEntered()
	c.CloseIdleConnections()
	before := settledGoroutines(t, -1)

	for i, deadline := range []time.Duration{50 * time.Millisecond, time.Hour} {
		start := time.Now() // before the deadline is set, so elapsed cannot come out short of it
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		_, err := c.Invoke(ctx, fnURI, []byte(`{}`))
		elapsed := time.Since(start)
		cancel()
		if !errors.Is(err, lambda.ErrTimeout) {
			t.Fatalf("call %d: err %v, want ErrTimeout", i, err)
		}
		if want := min(deadline, 150*time.Millisecond); elapsed < want || elapsed > want+2*time.Second {
			t.Fatalf("call %d took %s, want about %s", i, elapsed, want)
		}
	}
	// A caller that goes away is told apart from a timeout.
	if err := invokeUntilEntered(); errors.Is(err, lambda.ErrTimeout) || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled call: err %v, want context.Canceled", err)
	}
	c.CloseIdleConnections()
	settledGoroutines(t, before)
}

// settledGoroutines waits (bounded) until the goroutine count is at most
// want (want < 0: until it stops changing) and returns it.
func settledGoroutines(t *testing.T, want int) int {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	n := runtime.NumGoroutine()
	for time.Now().Before(deadline) {
		runtime.Gosched()
		time.Sleep(20 * time.Millisecond) // polling a count, not synchronising
		m := runtime.NumGoroutine()
		if want >= 0 && m <= want || want < 0 && m == n {
			return m
		}
		n = m
	}
	if want >= 0 {
		buf := make([]byte, 1<<16)
		buf = buf[:runtime.Stack(buf, true)]
		t.Fatalf("%d goroutines, want at most %d:\n%s", n, want, buf)
	}
	return n
}
