package lambda_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/lambda"
	"github.com/gatehouse-dev/gatehouse/internal/lambda/lambdatest"
)

func TestMain(m *testing.M) { os.Exit(lambdatest.Main(m)) }

func rieClient(t *testing.T, handler string, env ...string) *lambda.Client {
	t.Helper()
	endpoint := lambdatest.Start(t, lambdatest.Handler(handler), env...)
	c, err := lambda.New(lambda.Options{Endpoint: endpoint})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// TestEmulator invokes real aws-lambda-go functions under the Runtime
// Interface Emulator through the Invoke API.
func TestEmulator(t *testing.T) {
	t.Parallel()
	t.Run("echo", func(t *testing.T) {
		t.Parallel()
		c := rieClient(t, "echo", "ECHO_RAW=1")
		event := `{"hello":"world","n":[1,2,3]}`
		for i := range 2 { // the second call runs on a warm function
			res, err := c.Invoke(context.Background(), lambdatest.URI, []byte(event))
			if err != nil {
				t.Fatalf("call %d: %v", i, err)
			}
			if res.FunctionError != "" || string(res.Payload) != event {
				t.Fatalf("call %d: %q %s, want the event back", i, res.FunctionError, res.Payload)
			}
		}
	})
	t.Run("function error", func(t *testing.T) {
		t.Parallel()
		c := rieClient(t, "fail", "FAIL_MESSAGE=Unauthorized")
		res, err := c.Invoke(context.Background(), lambdatest.URI, []byte(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		msg, typ := lambda.FunctionErrorOf(res.Payload)
		if res.FunctionError != "Unhandled" || msg != "Unauthorized" || typ == "" {
			t.Fatalf("%q %s, want Unhandled with errorMessage Unauthorized", res.FunctionError, res.Payload)
		}
	})
	t.Run("panic", func(t *testing.T) {
		t.Parallel()
		c := rieClient(t, "fail", "FAIL_PANIC=1")
		res, err := c.Invoke(context.Background(), lambdatest.URI, []byte(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		if res.FunctionError == "" {
			t.Fatalf("a panic answered %s without a function error", res.Payload)
		}
		var fe map[string]any
		if err := json.Unmarshal(res.Payload, &fe); err != nil || fe["errorMessage"] == nil {
			t.Fatalf("payload %s is not {errorMessage, errorType}", res.Payload)
		}
	})
	t.Run("hang", func(t *testing.T) {
		t.Parallel()
		c := rieClient(t, "hang")
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := c.Invoke(ctx, lambdatest.URI, []byte(`{}`))
		if !errors.Is(err, lambda.ErrTimeout) {
			t.Fatalf("err %v, want ErrTimeout", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("the timeout took %s", d)
		}
	})
	t.Run("other function name", func(t *testing.T) {
		t.Parallel()
		c := rieClient(t, "echo")
		_, err := c.Invoke(context.Background(), "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:other/invocations", []byte(`{}`))
		var ie *lambda.InvokeError
		if !errors.As(err, &ie) || ie.Status != 404 || !errors.Is(err, lambda.ErrInvoke) {
			t.Fatalf("err %v, want the emulator's 404 as an InvokeError", err)
		}
	})
}
