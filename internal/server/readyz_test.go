package server

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// testNode is a node serving on loopback for a test of this package.
type testNode struct {
	srv               *Server
	adminURL, dataURL string
}

// startNode starts a node with cfg (the listeners are set here), after
// calling prepare on it, and stops it when the test ends.
func startNode(t *testing.T, cfg Config, prepare ...func(*Server)) *testNode {
	t.Helper()
	adminLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dataLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.AdminListen, cfg.Listen = adminLn.Addr().String(), dataLn.Addr().String()
	srv, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range prepare {
		p(srv)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, adminLn, dataLn) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		if err := srv.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return &testNode{srv: srv, adminURL: "http://" + adminLn.Addr().String(), dataURL: "http://" + dataLn.Addr().String()}
}

// get returns the status and body of GET url.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestReadyzFailsWhenTheStoreCannotCommit: /readyz commits a write, so it
// fails while the disk is full (a real tmpfs, filled), while /healthz,
// liveness, stays ok; it recovers when space is freed.
func TestReadyzFailsWhenTheStoreCannotCommit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mnt")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=4m,mode=0700"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("mount a tmpfs (the test needs root): %v", err)
		}
		t.Skipf("cannot mount a tmpfs to fill (the test needs root): %v", err)
	}
	// Registered first, so it runs after the node has stopped.
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	n := startNode(t, Config{DataDir: dir}, func(s *Server) { s.readyEvery = 0 }) // probe on every request

	if code, body := get(t, n.adminURL+"/readyz"); code != http.StatusOK || body != "ok\n" {
		t.Fatalf("/readyz on a healthy store: %d %q", code, body)
	}

	filler := filepath.Join(dir, "filler")
	fill(t, filler)
	code, body := get(t, n.adminURL+"/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "the store cannot commit a write") {
		t.Fatalf("/readyz with the disk full: %d %q, want 503 saying the store cannot commit", code, body)
	}
	if code, _ := get(t, n.adminURL+"/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz with the disk full: %d, want 200 (liveness)", code)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, n.adminURL+"/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz after freeing space: %d %q", code, body)
	}
}

// fill writes path until the file system is full.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return
			}
			t.Fatal(err)
		}
	}
}

// TestReadyzWritesAtMostOncePerInterval: the unauthenticated /readyz
// commits a write, so callers share one probe per interval (an hour
// here, so that the test does not depend on its own speed).
func TestReadyzWritesAtMostOncePerInterval(t *testing.T) {
	n := startNode(t, Config{DataDir: t.TempDir()}, func(s *Server) { s.readyEvery = time.Hour })
	probed := func() string {
		t.Helper()
		var v string
		err := n.srv.Store.View(context.Background(), func(r store.Reader) (err error) {
			v, err = r.GetSetting(context.Background(), ReadySetting)
			return err
		})
		if err != nil {
			t.Fatalf("the probe's row: %v", err)
		}
		return v
	}
	if code, _ := get(t, n.adminURL+"/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz: %d", code)
	}
	first := probed()
	for range 5 {
		if code, _ := get(t, n.adminURL+"/readyz"); code != http.StatusOK {
			t.Fatalf("/readyz: %d", code)
		}
	}
	if again := probed(); again != first {
		t.Fatalf("probes within %v wrote again (%s, then %s)", defaultReadyEvery, first, again)
	}
}

// feedStore is a store shared by nodes whose change feed is down or up.
type feedStore struct {
	store.Store
	err error
}

func (f feedStore) FeedErr() error { return f.err }

// TestReadyzFailsWhenTheFeedIsDown: a node whose store commits but does
// not follow the other nodes' changes (its LISTEN connection is down) is
// not ready; it is again once the feed is back.
func TestReadyzFailsWhenTheFeedIsDown(t *testing.T) {
	var fs *feedStore
	n := startNode(t, Config{DataDir: t.TempDir()}, func(s *Server) {
		s.readyEvery = 0
		fs = &feedStore{Store: s.Store, err: errors.New("postgres: change feed: connection refused")}
		s.Store = fs
	})
	code, body := get(t, n.adminURL+"/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "does not follow the other nodes' changes") {
		t.Fatalf("/readyz with the feed down: %d %q, want 503", code, body)
	}
	fs.err = nil
	if code, body := get(t, n.adminURL+"/readyz"); code != http.StatusOK || body != "ok\n" {
		t.Fatalf("/readyz with the feed back: %d %q", code, body)
	}
}
