package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
)

// served is a `gatehouse serve` running in this process.
type served struct {
	// Admin, Data and Store are from the "gatehouse serving" log line.
	Admin, Data, Store string
	cancel             context.CancelFunc
	done               chan int
	log                *lockedBuffer
}

// lockedBuffer is a log written by the node and read by the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startServe runs `gatehouse serve` with args (loopback listeners chosen
// by the kernel unless args set them) until the test ends, and returns
// once it logged "gatehouse serving". It fails the test if serve exits
// first.
func startServe(t *testing.T, args ...string) *served {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	s := &served{cancel: cancel, done: make(chan int, 1), log: &lockedBuffer{}}
	full := append([]string{"serve", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--access-log", "off"}, args...)
	go func() {
		s.done <- run(ctx, full, io.Discard, pw)
		pw.Close()
	}()
	lines := make(chan map[string]any, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		found := false
		for sc.Scan() {
			s.log.Write(append(sc.Bytes(), '\n'))
			var m map[string]any
			if !found && json.Unmarshal(sc.Bytes(), &m) == nil && m["msg"] == "gatehouse serving" {
				found = true
				lines <- m
			}
		}
		close(lines)
		io.Copy(io.Discard, pr)
	}()
	m, ok := <-lines
	if !ok {
		cancel()
		t.Fatalf("serve %v exited (code %d) before serving:\n%s", args, <-s.done, s.log)
	}
	s.Admin, _ = m["admin"].(string)
	s.Data, _ = m["data"].(string)
	s.Store, _ = m["store"].(string)
	t.Cleanup(func() {
		if code := s.stop(); code != 0 {
			t.Errorf("serve exited %d:\n%s", code, s.log)
		}
	})
	return s
}

// stop cancels serve and returns its exit code (once; later calls return 0).
func (s *served) stop() int {
	s.cancel()
	select {
	case code, ok := <-s.done:
		if ok {
			close(s.done)
		}
		return code
	case <-time.After(30 * time.Second):
		return -1
	}
}
