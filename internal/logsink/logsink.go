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
	full   chan []byte // filled shard buffers for the background writer
	bufs   sync.Pool   // of *[]byte, emptied buffers for reuse
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
	s := &Sink{out: out, full: make(chan []byte, 2*shards), stop: make(chan struct{}), done: make(chan struct{})}
	go s.loop(interval)
	return s
}

// loop writes filled buffers as they come and flushes every interval.
func (s *Sink) loop(interval time.Duration) {
	defer close(s.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			s.drainFull()
			return
		case b := <-s.full:
			s.write(b)
			s.recycle(b)
		case <-t.C:
			s.Flush()
		}
	}
}

func (s *Sink) drainFull() {
	for {
		select {
		case b := <-s.full:
			s.write(b)
			s.recycle(b)
		default:
			return
		}
	}
}

func (s *Sink) newBuf() []byte {
	if bp, ok := s.bufs.Get().(*[]byte); ok {
		return (*bp)[:0]
	}
	return make([]byte, 0, shardLimit+4096)
}

func (s *Sink) recycle(b []byte) {
	b = b[:0]
	s.bufs.Put(&b)
}

// Write copies p (one whole line) into a shard buffer.
func (s *Sink) Write(p []byte) (int, error) {
	sh := &s.shards[rand.Uint32()%shards]
	sh.mu.Lock()
	sh.buf = append(sh.buf, p...)
	full := len(sh.buf) >= shardLimit
	var out []byte
	if full {
		out, sh.buf = sh.buf, s.newBuf()
	}
	sh.mu.Unlock()
	if full {
		select {
		case s.full <- out: // the background writer takes it
		default: // it is behind: write here (back-pressure)
			s.write(out)
			s.recycle(out)
		}
	}
	return len(p), nil
}

// Flush writes every buffered line out.
func (s *Sink) Flush() error {
	s.drainFull()
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		if len(sh.buf) == 0 {
			sh.mu.Unlock()
			continue
		}
		out := sh.buf
		sh.buf = s.newBuf()
		sh.mu.Unlock()
		s.write(out)
		s.recycle(out)
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
