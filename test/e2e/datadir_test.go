package e2e

import (
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDataDirHasOneNode: a second `gatehouse serve` on a data directory
// that a running node owns refuses to start, naming the owner's pid,
// and the owner keeps serving. Once the owner dies, even by kill -9, a
// node starts on the directory again.
func TestDataDirHasOneNode(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the gatehouse binary")
	}
	bin := buildGatehouse(t)
	dir := t.TempDir()
	first := startNode(t, bin, dir)

	out := &nodeOutput{serving: make(chan servingLine, 1)}
	second := exec.Command(bin, "serve", "--data-dir", dir, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--access-log", "off")
	second.Stdout, second.Stderr = out, out
	second.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := second.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- second.Wait() }()
	select {
	case err := <-exited:
		if err == nil {
			t.Fatalf("the second node exited 0:\n%s", out)
		}
	case <-out.serving:
		syscall.Kill(-second.Process.Pid, syscall.SIGKILL)
		<-exited
		t.Fatalf("a second node started serving on the data directory %s:\n%s", dir, out)
	case <-time.After(crashStartTimeout):
		syscall.Kill(-second.Process.Pid, syscall.SIGKILL)
		<-exited
		t.Fatalf("the second node neither served nor exited within %v:\n%s", crashStartTimeout, out)
	}
	want := fmt.Sprintf("data directory %s is in use by another gatehouse node (pid %d", dir, first.cmd.Process.Pid)
	if !strings.Contains(out.String(), want) {
		t.Fatalf("the second node's refusal does not say %q:\n%s", want, out)
	}

	resp, err := http.Get(first.adminURL + "/healthz")
	if err != nil {
		t.Fatalf("the first node after the refusal: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the first node after the refusal: /healthz %d", resp.StatusCode)
	}

	first.kill(t)
	startNode(t, bin, dir).stop(t)
}
