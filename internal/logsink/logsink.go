package logsink

import (
	"errors"
	"io"
	"math/rand/v2"
	"sync"
	"time"
)

const (
	shards = 16
	// shardLimit is the size at which a shard is written out at once.
	shardLimit = 64 << 10
)

type shard struct {
	mu  sync.Mutex
	buf []byte
	_   [40]byte // keep shards on separate cache lines
}

// Sink is an io.Writer whose every Write is one whole line (as slog
// handlers write). It is safe for concurrent use.
type Sink struct {
	out    io.Writer
	outMu  sync.Mutex // serialises writes to out
	shards [shards]shard
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once
	err    error // the last write error, reported by Flush and Close
}

// New returns a Sink writing to out, flushing every interval (0: 200 ms).
func New(out io.Writer, interval time.Duration) *Sink {
	if interval <= 0 {
		interval = 200 * time.Millisecond
	}
	s := &Sink{out: out, stop: make(chan struct{}), done: make(chan struct{})}
	go s.loop(interval)
	return s
}

func (s *Sink) loop(interval time.Duration) {
	defer close(s.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.Flush()
		}
	}
}

// Write copies p (one whole line) into a shard buffer.
func (s *Sink) Write(p []byte) (int, error) {
	sh := &s.shards[rand.Uint32()%shards]
	sh.mu.Lock()
	sh.buf = append(sh.buf, p...)
	full := len(sh.buf) >= shardLimit
	var out []byte
	if full {
		out, sh.buf = sh.buf, make([]byte, 0, shardLimit+4096)
	}
	sh.mu.Unlock()
	if full {
		s.write(out)
	}
	return len(p), nil
}

// Flush writes every buffered line out.
func (s *Sink) Flush() error {
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		if len(sh.buf) == 0 {
			sh.mu.Unlock()
			continue
		}
		out := sh.buf
		sh.buf = make([]byte, 0, cap(out))
		sh.mu.Unlock()
		s.write(out)
	}
	s.outMu.Lock()
	defer s.outMu.Unlock()
	return s.err
}

func (s *Sink) write(b []byte) {
	s.outMu.Lock()
	defer s.outMu.Unlock()
	if _, err := s.out.Write(b); err != nil {
		s.err = err
	}
}

// ErrClosed is returned by Close when called twice.
var ErrClosed = errors.New("logsink: closed")

// Close stops the background flush and writes out everything buffered.
// Writes after Close are still buffered and written by a later Flush.
func (s *Sink) Close() error {
	err := ErrClosed
	s.once.Do(func() {
		close(s.stop)
		<-s.done
		err = s.Flush()
	})
	return err
}
