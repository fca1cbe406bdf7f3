// Package lambdatest runs real functions for tests: a Go handler written
// with github.com/aws/aws-lambda-go, served by the AWS Lambda Runtime
// Interface Emulator (RIE), both built from the module (go.mod pins the
// emulator as a tool) with the go command.
//
//	endpoint := lambdatest.Start(t, lambdatest.Handler("echo"))
//	// --lambda-endpoint endpoint; the function's URI is lambdatest.URI
//
// The emulator serves one function, under the FunctionName "function"
// (only /2015-03-31/functions/function/invocations answers), so every
// URI that reaches it names that function: use URI (or ARN in a URI of
// your own). It runs one invocation at a time: a second concurrent one is
// refused (400), so tests must not invoke one emulator in parallel, and a
// function that hangs keeps its emulator busy until the test ends.
//
// Shipped handlers (Handler(name)):
//
//   - echo: answers a proxy response {statusCode 200, body: the event
//     JSON verbatim}; with env ECHO_RAW=1 it answers the event itself.
//   - respond: answers bytes chosen by the test, verbatim: env RESPONSE,
//     else the "body" field of the event.
//   - fail: returns an error (message env FAIL_MESSAGE, default "function
//     failed on purpose"), or panics with FAIL_PANIC=1.
//   - hang: never answers (waits for the 300 s function timeout).
//   - authorizer: a Lambda authorizer (TOKEN and REQUEST) whose answer
//     depends on the identity: see its package comment.
//
// Builds are cached per test binary run. A package that uses Start should
// call Main from its TestMain to remove the builds when it ends.
//
// The package is test support: only tests import it.
package lambdatest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/testbin"
)

// URI is an API Gateway Lambda URI naming the one function the emulator
// serves.
const URI = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/" + ARN + "/invocations"

// ARN is a function ARN the emulator answers for: its FunctionName is
// "function", the name the emulator serves (a full ARN would be sent
// escaped and the emulator would answer 404).
const ARN = "function"

// riePackage is the emulator's command (go.mod pins its module as a tool).
const riePackage = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"

// Handler returns the directory of a shipped handler: "echo", "respond",
// "fail" or "hang".
func Handler(name string) string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		panic("lambdatest: cannot locate the package directory")
	}
	return filepath.Join(filepath.Dir(file), "testdata", name)
}

var builds struct {
	sync.Mutex
	dir  string
	bins map[string]string // package dir or path -> binary
	errs map[string]error
}

// Main runs the tests and removes the builds Start made. Call it from
// TestMain: os.Exit(lambdatest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	builds.Lock()
	defer builds.Unlock()
	if builds.dir != "" {
		os.RemoveAll(builds.dir)
		builds.dir = ""
		builds.bins, builds.errs = nil, nil
	}
	return code
}

// build builds a package (a directory, or an import path built from
// inside the module) once per test binary run.
func build(pkg, workDir string) (string, error) {
	builds.Lock()
	defer builds.Unlock()
	if b, ok := builds.bins[pkg]; ok {
		return b, nil
	}
	if err, ok := builds.errs[pkg]; ok {
		return "", err
	}
	if builds.dir == "" {
		d, err := os.MkdirTemp("", "gatehouse-lambdatest-")
		if err != nil {
			return "", err
		}
		builds.dir = d
		builds.bins, builds.errs = map[string]string{}, map[string]error{}
	}
	out := filepath.Join(builds.dir, fmt.Sprintf("bin%d-%s", len(builds.bins)+len(builds.errs), filepath.Base(pkg)))
	if err := testbin.BuildTo(out, pkg, workDir); err != nil {
		builds.errs[pkg] = err
		return "", err
	}
	builds.bins[pkg] = out
	return out, nil
}

// Start builds the handler in handlerDir (a package main that calls
// lambda.Start) and the emulator, starts the emulator serving it on a free
// loopback port, waits until it answers, and returns its endpoint
// ("http://127.0.0.1:port", for --lambda-endpoint). env entries
// ("NAME=value") reach the function's environment. The emulator and the
// function stop when the test ends.
func Start(t testing.TB, handlerDir string, env ...string) string {
	t.Helper()
	handlerDir, err := filepath.Abs(handlerDir)
	if err != nil {
		t.Fatal(err)
	}
	handler, err := build(handlerDir, "")
	if err != nil {
		t.Fatal(err)
	}
	rie, err := build(riePackage, handlerDir)
	if err != nil {
		t.Fatal(err)
	}
	// The emulator binds ports chosen free a moment before: another test
	// may take one in between, so an emulator that exits with "address
	// already in use" is started again on other ports.
	for attempt := 1; ; attempt++ {
		endpoint, out, err := startEmulator(t, rie, handler, handlerDir, env)
		if err == nil {
			return endpoint
		}
		if attempt < 5 && strings.Contains(out, "address already in use") {
			continue
		}
		t.Fatalf("%v\n%s", err, out)
	}
}

// startEmulator runs the emulator on two free loopback ports until the
// test ends and waits until it answers; on failure it returns the
// emulator's output.
func startEmulator(t testing.TB, rie, handler, handlerDir string, env []string) (endpoint, output string, err error) {
	t.Helper()
	addr, apiAddr := freeAddr(t), freeAddr(t)
	cmd := exec.Command(rie,
		"--runtime-interface-emulator-address", addr,
		"--runtime-api-address", apiAddr,
		"--log-level", "error",
		handler)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), env...)
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	setProcAttr(cmd)
	if err := cmd.Start(); err != nil {
		return "", "", fmt.Errorf("starting the emulator: %w", err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		stop(cmd)
		<-exited
		if t.Failed() {
			t.Logf("emulator output:\n%s", out.String())
		}
	})

	endpoint = "http://" + addr
	if err := waitReady(endpoint, exited, 30*time.Second); err != nil {
		select {
		case <-exited:
			return "", out.String(), fmt.Errorf("the emulator exited (%v) before it answered", waitErr)
		default:
		}
		return "", out.String(), fmt.Errorf("the emulator at %s did not answer: %w", endpoint, err)
	}
	return endpoint, "", nil
}

// waitReady polls the emulator with a real request (any path but the
// invoke path answers 404 once it listens), without invoking the function.
func waitReady(endpoint string, exited <-chan struct{}, within time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	defer client.CloseIdleConnections()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"/ready", nil)
		res, err := client.Do(req)
		if err == nil {
			res.Body.Close()
			return nil
		}
		last = err
		select {
		case <-exited:
			return errors.New("exited")
		case <-ctx.Done():
			return last
		case <-tick.C:
		}
	}
}

// freeAddr returns a loopback address no one listens on (the port is
// free when it returns; the emulator takes it a moment later).
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() > 1<<20 {
		return len(p), nil
	}
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.TrimSpace(l.b.String())
}
