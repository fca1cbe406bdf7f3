package counters

import (
	"hash/maphash"
	"sync"
)

// shardCount is the number of independently locked parts of each table; a
// power of two.
const shardCount = 64

// table is a map from K to V split into shards, each with its own mutex.
// Callers hash keys themselves, once, with hashStrings: the hash picks the
// shard and is the key of the shard's map, so a lookup hashes no string
// twice. Keys with equal hashes are chained.
type table[K comparable, V any] struct {
	shards [shardCount]shard[K, V]
}

// cacheLine keeps neighbouring shards' mutexes out of one cache line.
const cacheLine = 64

type shard[K comparable, V any] struct {
	mu sync.Mutex
	m  map[uint64]*node[K, V]
	_  [cacheLine - 16]byte
}

type node[K comparable, V any] struct {
	key  K
	next *node[K, V] // another node whose key has the same hash
	val  V
}

// shard returns the shard for hash h, unlocked.
func (t *table[K, V]) shard(h uint64) *shard[K, V] {
	return &t.shards[(h^h>>32)&(shardCount-1)]
}

// get returns the value of k (hash h) in s, creating a zero one when absent
// (created is then true). s.mu must be held.
func (s *shard[K, V]) get(h uint64, k K) (v *V, created bool) {
	head := s.m[h]
	for n := head; n != nil; n = n.next {
		if n.key == k {
			return &n.val, false
		}
	}
	if s.m == nil {
		s.m = make(map[uint64]*node[K, V])
	}
	n := &node[K, V]{key: k, next: head}
	s.m[h] = n
	return &n.val, true
}

// each calls fn for every entry of every shard, each shard locked in turn,
// and deletes the entries for which fn returns true. It returns the number
// deleted.
func (t *table[K, V]) each(fn func(k K, v *V) (remove bool)) int {
	removed := 0
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.Lock()
		for h, head := range s.m {
			var keep *node[K, V]
			changed := false
			for n := head; n != nil; {
				next := n.next
				if fn(n.key, &n.val) {
					removed++
					changed = true
				} else {
					n.next, keep = keep, n
				}
				n = next
			}
			switch {
			case keep == nil:
				delete(s.m, h)
			case changed || keep != head:
				s.m[h] = keep
			}
		}
		s.mu.Unlock()
	}
	return removed
}

// hashStrings hashes a tag and up to three strings. Distinct inputs may
// collide (the table chains them); they rarely do.
func hashStrings(seed maphash.Seed, tag uint8, a, b, c string) uint64 {
	const mul = 0x9E3779B97F4A7C15
	h := uint64(tag) + 1
	h = (h ^ maphash.String(seed, a)) * mul
	h = (h ^ maphash.String(seed, b)) * mul
	if c != "" {
		h = (h ^ maphash.String(seed, c)) * mul
	}
	return h ^ h>>29
}
