package logsink

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
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

// TestEveryLineWholeAndOnce: concurrent writers; after Close every line is
// out exactly once and no line is torn.
func TestEveryLineWholeAndOnce(t *testing.T) {
	var out lockedBuffer
	s := New(&out, time.Hour) // no timed flush: Close and full shards only
	const writers, lines = 8, 5000
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range lines {
				fmt.Fprintf(s, "{\"w\":%d,\"i\":%d,\"pad\":%q}\n", w, i, strings.Repeat("x", i%97))
			}
		}()
	}
	wg.Wait()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(got) != writers*lines {
		t.Fatalf("%d lines out, want %d", len(got), writers*lines)
	}
	sort.Strings(got)
	for i := 1; i < len(got); i++ {
		if got[i] == got[i-1] {
			t.Fatalf("line written twice: %s", got[i])
		}
	}
	for _, l := range got {
		if !strings.HasPrefix(l, "{\"w\":") || !strings.HasSuffix(l, "\"}") {
			t.Fatalf("torn line %q", l)
		}
	}
	if err := s.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("second Close = %v", err)
	}
}

// TestLinesSurvivePoolDrops: the pool that gives each P its shard drops
// shards at garbage collections (two in a row empty it). Lines in a dropped
// shard are still written, exactly once, and the Sink reuses its shards
// instead of making more than maxShards.
func TestLinesSurvivePoolDrops(t *testing.T) {
	var out lockedBuffer
	s := New(&out, time.Hour)
	const lines = 200
	for i := range lines {
		fmt.Fprintf(s, "line %03d\n", i)
		runtime.GC()
		runtime.GC()
	}
	if n := len(s.shards()); n < 2 || n > s.maxShards {
		t.Fatalf("%d shards after %d pool drops; want between 2 (the pool dropped some) and %d", n, lines, s.maxShards)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	sort.Strings(got)
	if len(got) != lines {
		t.Fatalf("%d lines out, want %d", len(got), lines)
	}
	for i, l := range got {
		if want := fmt.Sprintf("line %03d", i); l != want {
			t.Fatalf("line %d is %q, want %q", i, l, want)
		}
	}
}

// TestFlushWritesBufferedLines: Flush makes lines visible without Close.
func TestFlushWritesBufferedLines(t *testing.T) {
	var out lockedBuffer
	s := New(&out, time.Hour)
	defer s.Close()
	io.WriteString(s, "one\n")
	if out.String() != "" {
		t.Fatal("a line reached the output before a flush")
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	if out.String() != "one\n" {
		t.Fatalf("after Flush: %q", out.String())
	}
}

type failing struct{}

func (failing) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteErrorReported(t *testing.T) {
	s := New(failing{}, time.Hour)
	io.WriteString(s, "x\n")
	if err := s.Close(); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("Close = %v, want the write error", err)
	}
}

func BenchmarkWriteParallel(b *testing.B) {
	s := New(io.Discard, 50*time.Millisecond)
	defer s.Close()
	line := []byte(`{"time":"2026-11-22T10:00:00Z","level":"INFO","msg":"access","requestId":"0b6c6a3e-2f43-4f6e-9a57-1c0c1d2e3f40","status":200}` + "\n")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			s.Write(line)
		}
	})
}
