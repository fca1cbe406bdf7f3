package sigv4

import (
	"sync"
	"time"
)

// maxReplayEntries bounds the replay cache.
const maxReplayEntries = 100_000

// replayCache remembers accepted signatures until they expire. The zero value
// is ready to use and safe for concurrent use.
type replayCache struct {
	mu    sync.Mutex
	limit int // 0 = maxReplayEntries; tests lower it
	seen  map[[32]byte]struct{}
	queue []replayEntry // insertion order; queue[head:] is live
	head  int
}

type replayEntry struct {
	sig     [32]byte
	expires time.Time
}

// add records sig until expires and reports whether it was not already
// recorded. Entries whose expiry is before now are forgotten first; when the
// cache is full the oldest entry is dropped.
func (c *replayCache) add(sig [32]byte, expires, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = map[[32]byte]struct{}{}
	}
	// Expiries are not monotonic in insertion order (client clocks differ), so
	// this may keep an expired entry behind a live one for a while; that only
	// delays its removal, never removes a live entry early.
	for c.head < len(c.queue) && now.After(c.queue[c.head].expires) {
		c.pop()
	}
	if _, dup := c.seen[sig]; dup {
		return false
	}
	limit := c.limit
	if limit <= 0 {
		limit = maxReplayEntries
	}
	for len(c.queue)-c.head >= limit {
		c.pop()
	}
	if c.head > 0 && c.head >= len(c.queue)/2 {
		n := copy(c.queue, c.queue[c.head:])
		clear(c.queue[n:])
		c.queue, c.head = c.queue[:n], 0
	}
	c.queue = append(c.queue, replayEntry{sig: sig, expires: expires})
	c.seen[sig] = struct{}{}
	return true
}

func (c *replayCache) pop() {
	delete(c.seen, c.queue[c.head].sig)
	c.queue[c.head] = replayEntry{}
	c.head++
}

// len returns the number of recorded signatures.
func (c *replayCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.queue) - c.head
}
