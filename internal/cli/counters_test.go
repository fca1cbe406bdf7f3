package cli

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// GATEHOUSE_COUNTERS names the counters engine when --counters is not
// given, and is validated as the flag is; the flag wins over it.
func TestServeCountersEnv(t *testing.T) {
	t.Setenv(countersEnv, "memcached://cache:11211")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var errOut bytes.Buffer
	args := []string{"serve", "--data-dir", t.TempDir(), "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--access-log", "off"}
	if code := run(ctx, args, io.Discard, &errOut); code == 0 || !strings.Contains(errOut.String(), `--counters "memcached://cache:11211": must be memory://`) {
		t.Errorf("exit %d, stderr %q; want the environment's URL refused", code, errOut.String())
	}
	startServe(t, "--data-dir", t.TempDir(), "--counters", "memory://")
}

// A node serves with its counters in Redis (the machine's; skipped when
// it does not answer, except under CI=true).
func TestServeRedisCounters(t *testing.T) {
	c, err := net.DialTimeout("tcp", "127.0.0.1:6379", time.Second)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no Redis at 127.0.0.1:6379 (CI needs it; .ci/run starts it): %v", err)
		}
		t.Skipf("no Redis at 127.0.0.1:6379: %v", err)
	}
	c.Close()
	startServe(t, "--data-dir", t.TempDir(), "--counters", "redis://127.0.0.1:6379/0", "--counters-prefix", "gatehouse-test-cli:")
}

// A node whose Redis does not answer does not serve: its quotas could not
// hold. The error names the URL without its password.
func TestServeRedisCountersUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var errOut bytes.Buffer
	args := []string{"serve", "--data-dir", t.TempDir(), "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--access-log", "off",
		"--counters", "redis://:hunter2@" + addr + "/0"}
	code := run(ctx, args, io.Discard, &errOut)
	if want := "counters/redis: connect to redis://xxxxx@" + addr + "/0"; code == 0 || !strings.Contains(errOut.String(), want) {
		t.Errorf("exit %d, stderr %q; want a failure naming %q", code, errOut.String(), want)
	}
	if strings.Contains(errOut.String(), "hunter2") {
		t.Errorf("stderr shows the Redis password: %q", errOut.String())
	}
}
