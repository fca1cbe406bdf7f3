package logsink

import (
	"errors"
	"io"
	"runtime"
	"sync"
	"time"
)

// shardLimit is the size at which a shard is written out at once.
const shardLimit = 64 << 10

// minShards is the fewest shards a Sink may make; it may make up to
// 2×GOMAXPROCS when that is more.
const minShards = 16

// shard is one buffer of lines. Its 64 bytes fill one cache line of its
// own (the allocator aligns 64-byte objects to 64 bytes).
type shard struct {
	mu  sync.Mutex
	buf []byte
	_   [32]byte
}

// Sink is an io.Writer whose every Write is one whole line (as slog
// handlers write). It is safe for concurrent use.
type Sink struct {
	out   io.Writer
	outMu sync.Mutex // serialises writes to out

	// local hands each P (each core running Go code) a shard of its own,
	// so that a line is copied into memory that core already holds and the
	// shard's mutex is not taken over from another core. The pool may drop
	// a shard at any garbage collection; all keeps every shard ever handed
	// out, so Flush still finds the lines it holds, and a dropped shard is
	// handed out again instead of a new one once there are maxShards.
	local     sync.Pool // of *shard
	allMu     sync.Mutex
	all       []*shard
	next      int // the shard of all handed out next once it is full
	maxShards int

	full chan []byte // filled shard buffers for the background writer
	bufs sync.Pool   // of *[]byte, emptied buffers for reuse
	stop chan struct{}
	done chan struct{}
	once sync.Once
	err  error // the last write error, reported by Flush and Close
}

// New returns a Sink writing to out, flushing every interval (0: 200 ms).
func New(out io.Writer, interval time.Duration) *Sink {
	if interval <= 0 {
		interval = 200 * time.Millisecond
	}
	s := &Sink{out: out, maxShards: max(minShards, 2*runtime.GOMAXPROCS(0)),
		stop: make(chan struct{}), done: make(chan struct{})}
	s.full = make(chan []byte, 2*s.maxShards)
	s.local.New = func() any { return s.shard() }
	go s.loop(interval)
	return s
}

// shard returns a new shard, or, once the Sink has maxShards, the next of
// its shards in turn (which some P may also hold: the mutex keeps that
// correct, and it is rare).
func (s *Sink) shard() *shard {
	s.allMu.Lock()
	defer s.allMu.Unlock()
	if len(s.all) < s.maxShards {
		sh := new(shard)
		s.all = append(s.all, sh)
		return sh
	}
	sh := s.all[s.next]
	s.next = (s.next + 1) % len(s.all)
	return sh
}

// shards returns every shard handed out so far.
func (s *Sink) shards() []*shard {
	s.allMu.Lock()
	defer s.allMu.Unlock()
	return s.all[:len(s.all):len(s.all)]
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

// Write copies p (one whole line) into the calling P's shard buffer.
func (s *Sink) Write(p []byte) (int, error) {
	sh := s.local.Get().(*shard)
	sh.mu.Lock()
	sh.buf = append(sh.buf, p...)
	full := len(sh.buf) >= shardLimit
	var out []byte
	if full {
		out, sh.buf = sh.buf, s.newBuf()
	}
	sh.mu.Unlock()
	s.local.Put(sh)
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
	for _, sh := range s.shards() {
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
