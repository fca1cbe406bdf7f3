package counters

import (
	"hash/maphash"
	"sync"
)

// shardCount is the number of independently locked parts of each table; a
// power of two.
const shardCount = 64

// table is a map from K to V split into shards, each with its own mutex,
// for the usage counts, which must keep their key strings to be flushed.
// (Buckets and quota entries need not, and live in an idTable.) Callers
// hash keys themselves, once, with hashStrings: the hash picks the shard
// and is the key of the shard's map, so a lookup hashes no string twice.
// Keys with equal hashes are chained.
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

// entryID names a throttle bucket or a quota entry by a 128-bit hash of
// the strings that identify it (see Local.id), so that the tables hold no
// string and no pointer: their memory is never scanned by the garbage
// collector, whatever the number of keys.
//
// Two distinct entries get the same entryID only by accident: the two
// words are hashStrings under two independent random seeds, so a given
// pair collides with probability about 2^-128, and among n entries some
// pair does with probability about n²/2^129 (2^-87 for two million
// entries). Such a collision would make two keys share one count; it is
// far less likely than a memory error, so the tables do not check for it.
// The seeds are random per process, so callers cannot aim for one.
type entryID struct{ lo, hi uint64 }

// idTable is a map from entryID to V split into shards, each with its own
// mutex. V must hold no pointer (TestTableValuesArePointerFree): the index
// and the slab are then both free of pointers, and the collector never
// looks inside them.
type idTable[V any] struct {
	shards [shardCount]idShard[V]
}

// idShard keeps its entries, id and value, in one slice (the slab) and
// finds them through an open-addressing index with linear probing, so a
// million entries are a few allocations instead of a million, and an
// update in place costs one probe of the index and one read of the slab.
// Removed entries' slots go on a free list and are reused before the slab
// grows; a shard left mostly empty is rebuilt at its new size.
//
// An index slot holds the top 32 bits of id.lo (the tag) above slab
// position + 1 (0: empty slot). The tag's low bits are the entry's home
// slot, so the index is rehashed and shifted without reading the slab,
// and a probe reads the slab only when the 32 tag bits match. (The ids are
// uniform hashes: no further mixing is needed. The shard comes from id.hi.)
type idShard[V any] struct {
	// The padding keeps this shard's mutex out of the cache line of the
	// fields of the shard before it.
	_     [cacheLine]byte
	mu    sync.Mutex
	index []uint64    // length a power of two, at most 3/4 full; or none
	slab  []idSlot[V] // entries; a free slot has the zero id
	free  []uint32    // positions of free slots in slab
	n     int         // entries
}

type idSlot[V any] struct {
	id entryID
	v  V
}

const (
	posMask   = 1<<32 - 1 // slab position + 1 in an index slot
	indexMin  = 8         // smallest index
	shrinkMin = 256       // smallest slab rebuilt: a small one costs less to keep
)

// shard returns the shard of id, unlocked.
func (t *idTable[V]) shard(id entryID) *idShard[V] {
	return &t.shards[id.hi&(shardCount-1)]
}

// probe returns the index slot of id, or the empty slot where it would go.
// s.index must not be empty.
func (s *idShard[V]) probe(id entryID) (slot uint64, found bool) {
	tag := id.lo >> 32
	mask := uint64(len(s.index) - 1)
	for p := tag & mask; ; p = (p + 1) & mask {
		e := s.index[p]
		if e&posMask == 0 {
			return p, false
		}
		if e>>32 == tag && s.slab[e&posMask-1].id == id {
			return p, true
		}
	}
}

// get returns the value of id, creating a zero one when absent (created is
// then true). id must not be zero. s.mu must be held. The pointer is valid
// until the next get or removeIf on s.
func (s *idShard[V]) get(id entryID) (v *V, created bool) {
	var p uint64
	if len(s.index) > 0 {
		var found bool
		if p, found = s.probe(id); found {
			return &s.slab[s.index[p]&posMask-1].v, false
		}
	}
	if (s.n+1)*4 > len(s.index)*3 {
		s.reindex(max(indexMin, 2*len(s.index)))
		p, _ = s.probe(id)
	}
	var i uint32
	if k := len(s.free); k > 0 {
		i = s.free[k-1]
		s.free = s.free[:k-1]
	} else {
		if len(s.slab) == posMask {
			panic("counters: 2^32-1 entries in one shard")
		}
		i = uint32(len(s.slab))
		s.slab = append(s.slab, idSlot[V]{})
	}
	s.slab[i].id = id
	s.index[p] = id.lo>>32<<32 | uint64(i+1)
	s.n++
	return &s.slab[i].v, true
}

// find returns the value of id, or nil when absent. s.mu must be held.
func (s *idShard[V]) find(id entryID) *V {
	if len(s.index) == 0 {
		return nil
	}
	if p, found := s.probe(id); found {
		return &s.slab[s.index[p]&posMask-1].v
	}
	return nil
}

// reindex moves the index to one of size slots (a power of two).
func (s *idShard[V]) reindex(size int) {
	old := s.index
	s.index = make([]uint64, size)
	mask := uint64(size - 1)
	for _, e := range old {
		if e&posMask == 0 {
			continue
		}
		p := e >> 32 & mask
		for s.index[p] != 0 {
			p = (p + 1) & mask
		}
		s.index[p] = e
	}
}

// unindex empties index slot p, moving later entries of its probe run
// back so that every entry stays reachable from its home slot (deletion
// without tombstones, Knuth's Algorithm R).
func (s *idShard[V]) unindex(p uint64) {
	mask := uint64(len(s.index) - 1)
	i := p
	for j := (p + 1) & mask; s.index[j]&posMask != 0; j = (j + 1) & mask {
		// The entry at j stays when its home k lies cyclically in (i, j]:
		// moved to i, it would come before its home.
		k := s.index[j] >> 32 & mask
		if i < j && i < k && k <= j || i > j && (i < k || k <= j) {
			continue
		}
		s.index[i] = s.index[j]
		i = j
	}
	s.index[i] = 0
}

// removeIf calls fn for every entry of s and removes those for which it
// returns true; it returns the number removed. When s is left with less
// than a quarter of its slab in use it is rebuilt at its new size. s.mu
// must be held.
func (s *idShard[V]) removeIf(fn func(id entryID, v *V) (remove bool)) int {
	removed := 0
	for i := range s.slab {
		e := &s.slab[i]
		if e.id == (entryID{}) || !fn(e.id, &e.v) {
			continue
		}
		p, _ := s.probe(e.id)
		s.unindex(p)
		*e = idSlot[V]{}
		s.free = append(s.free, uint32(i))
		s.n--
		removed++
	}
	if len(s.slab) >= shrinkMin && s.n < len(s.slab)/4 {
		s.rebuild()
	}
	return removed
}

// rebuild moves the entries to a slab of their number and an index at
// most half full.
func (s *idShard[V]) rebuild() {
	old, n := s.slab, s.n
	s.index, s.slab, s.free, s.n = nil, nil, nil, 0
	if n == 0 {
		return
	}
	size := indexMin
	for size < 2*n {
		size *= 2
	}
	s.index = make([]uint64, size)
	s.slab = make([]idSlot[V], 0, n)
	for i := range old {
		if old[i].id == (entryID{}) {
			continue
		}
		p, _ := s.probe(old[i].id)
		s.index[p] = old[i].id.lo>>32<<32 | uint64(len(s.slab)+1)
		s.slab = append(s.slab, old[i])
	}
	s.n = n
}

// each calls fn for every entry of every shard, each shard locked in turn,
// and removes the entries for which fn returns true. It returns the number
// removed.
func (t *idTable[V]) each(fn func(id entryID, v *V) (remove bool)) int {
	removed := 0
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.Lock()
		removed += s.removeIf(fn)
		s.mu.Unlock()
	}
	return removed
}

// size returns the number of entries and the number of slab slots held
// (entries plus free slots): what the table costs in memory.
func (t *idTable[V]) size() (entries, slots int) {
	for i := range t.shards {
		e, s := t.shards[i].size()
		entries += e
		slots += s
	}
	return entries, slots
}

// size returns the number of entries of s and of slab slots it holds.
func (s *idShard[V]) size() (entries, slots int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n, len(s.slab)
}

// hashStrings hashes a tag and up to three strings. Distinct inputs may
// collide (the table chains them; an entryID is two of these); they rarely
// do. Each string is hashed on its own, so no field's end can pass for
// another's start, and each field moves h through a bijection: inputs
// that differ in a field collide only when the random hashes of the
// fields happen to cancel. An empty field is not hashed (it counts as a
// hash of 0, as likely as any other value for a non-empty one): bucket
// keys leave most fields empty, and a hash call costs more than the rest.
func hashStrings(seed maphash.Seed, tag uint8, a, b, c string) uint64 {
	const mul = 0x9E3779B97F4A7C15
	h := uint64(tag) + 1
	if a != "" {
		h ^= maphash.String(seed, a)
	}
	h *= mul
	if b != "" {
		h ^= maphash.String(seed, b)
	}
	h *= mul
	if c != "" {
		h ^= maphash.String(seed, c)
	}
	h *= mul
	return h ^ h>>29
}
