package state

import (
	"encoding/binary"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
	"unsafe"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
)

// keyShardBits is log2 of the number of key shards. With 1,000,000 keys a
// shard holds about 1,000 entries, so rebuilding one on a write is cheap.
const (
	keyShardBits = 10
	keyShards    = 1 << keyShardBits
)

// keyIndex finds keys by lookup hash and by id. Each shard is an immutable
// table behind an atomic pointer: readers load it without locking; the single
// writer (State.mu) replaces a shard with a rebuilt one.
//
// The tables hold no pointers (slots, and a byte arena for the rare long
// strings), so that a million keys cost the garbage collector nothing to
// mark and about 120 bytes each. A key's plan ids and stage keys, which
// most keys share, are interned once in members.
type keyIndex struct {
	byHash [keyShards]atomic.Pointer[hashTable]
	byID   [keyShards]atomic.Pointer[idTable]
	// members holds the interned memberships; a record's member number
	// indexes it. The writer appends and republishes it before any table
	// that uses a new entry, so a reader who loads a table and then
	// members always finds the entry.
	members atomic.Pointer[[]member]

	// memberNum maps a membership's canonical form to its number (writer only).
	memberNum map[string]uint32
}

// member is a set of usage plans and legacy stage keys some keys share.
type member struct {
	planIDs   []string
	stageKeys map[string]bool
}

// hashTable is one shard of keys by lookup hash: an open-addressing table
// (linear probing, at most 2/3 full so that a probe always meets an empty
// slot) whose slots hold the keys themselves.
//
// A slot is one cache line and holds everything a request needs of its
// key, so a lookup reads one line (and, on average, the next one or two of
// its probe run, on the same page) instead of following an index into a
// record array and an arena: with a million keys each of those was a cache
// miss, and a TLB miss, of its own.
type hashTable struct {
	slots []keySlot
	// arena holds the id and last four characters of the keys too long to
	// fit in their slot (slotLong): none that Gatehouse makes.
	arena []byte
	n     int // keys
}

// idInline is the longest key id a slot holds itself. Gatehouse's ids
// have 10 characters.
const idInline = 20

// keySlot is one slot of a hashTable. When slotLong is set, id holds the
// arena offset (4 bytes) and the lengths of the id and last four (2 bytes
// each) instead of the id, little endian.
type keySlot struct {
	hash   [32]byte
	id     [idInline]byte
	last4  [4]byte
	member uint32
	idLen  uint8
	l4Len  uint8
	flags  uint8
	_      uint8
}

// A keySlot must be exactly one cache line (the build fails otherwise).
var _ = [1]struct{}{}[unsafe.Sizeof(keySlot{})-64]

const (
	slotUsed    uint8 = 1 << iota // the slot holds a key
	slotEnabled                   // the key is enabled
	slotLong                      // the key's strings are in the arena
)

// idTable is one shard of keys by id: open addressing on the id's tag,
// each slot giving the first 8 bytes of the key's lookup hash, which name
// its hashTable shard and where to probe there. tag 0 with h8 0 is empty
// (an id whose tag is 0 is stored as tag 1: tags only filter).
type idTable struct {
	slots []idSlot
}

type idSlot struct {
	tag uint64 // idTag of the id (never 0 when occupied)
	h8  uint64 // the lookup hash's first 8 bytes, little endian
}

// h8Of returns the first 8 bytes of a lookup hash as a little-endian
// integer. Its low 10 bits pick the shard (hashShard); the bits above are
// uniform (the hash is an HMAC) and give the probe start.
func h8Of(h *[32]byte) uint64 { return binary.LittleEndian.Uint64(h[:8]) }

// hashShard returns the shard of a lookup hash: its first keyShardBits bits.
func hashShard(h *[32]byte) int {
	return (int(h[0])<<8 | int(h[1])) >> (16 - keyShardBits)
}

func hashHome(h8 uint64, n int) int {
	return home(h8>>32, n)
}

// idTag is a key id's table tag: FNV-1a, 64 bits, finished with
// MurmurHash3's fmix64 so that ids differing in their last characters land
// far apart (home uses the low 32 bits, the shard the top keyShardBits).
func idTag(id string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(id); i++ {
		h ^= uint64(id[i])
		h *= 1099511628211
	}
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return max(h, 1)
}

func idShard(tag uint64) int { return int(tag >> (64 - keyShardBits)) }

// home returns the first slot to probe for x in a table of n slots
// (multiply-shift range reduction on x's low 32 bits, so n need not be a
// power of two).
func home(x uint64, n int) int { return int(uint64(uint32(x)) * uint64(n) >> 32) }

// idTableSize is the id table slot count for n entries: at most 3/4 full.
func idTableSize(n int) int { return n*4/3 + 1 }

// hashTableSize is the hash table slot count for n keys: at most 2/3 full,
// where a successful probe reads two slots on average.
func hashTableSize(n int) int { return n*3/2 + 1 }

// find returns the slot of hash h in t, or nil.
func (t *hashTable) find(h *[32]byte) *keySlot {
	for i := hashHome(h8Of(h), len(t.slots)); ; {
		s := &t.slots[i]
		if s.flags&slotUsed == 0 {
			return nil
		}
		if s.hash == *h {
			return s
		}
		if i++; i == len(t.slots) {
			i = 0
		}
	}
}

// findID returns the slot of key id in t, whose hashes start with h8, or nil.
func (t *hashTable) findID(h8 uint64, id string) *keySlot {
	for i := hashHome(h8, len(t.slots)); ; {
		s := &t.slots[i]
		if s.flags&slotUsed == 0 {
			return nil
		}
		if h8Of(&s.hash) == h8 && t.id(s) == id {
			return s
		}
		if i++; i == len(t.slots) {
			i = 0
		}
	}
}

// id and last4 return the key's strings without copying: a table is never
// written once published.
func (t *hashTable) id(s *keySlot) string {
	if s.flags&slotLong != 0 {
		off, n, _ := s.longStrings()
		return unsafe.String(&t.arena[off], n)
	}
	if s.idLen == 0 {
		return ""
	}
	return unsafe.String(&s.id[0], int(s.idLen))
}

func (t *hashTable) last4(s *keySlot) string {
	if s.flags&slotLong != 0 {
		off, n, l4 := s.longStrings()
		if l4 == 0 {
			return ""
		}
		return unsafe.String(&t.arena[off+n], l4)
	}
	if s.l4Len == 0 {
		return ""
	}
	return unsafe.String(&s.last4[0], int(s.l4Len))
}

// longStrings returns where a slotLong slot's strings are in the arena:
// the id at off, n bytes long, then the last four, l4 bytes.
func (s *keySlot) longStrings() (off, n, l4 int) {
	return int(binary.LittleEndian.Uint32(s.id[0:4])), int(binary.LittleEndian.Uint16(s.id[4:6])),
		int(binary.LittleEndian.Uint16(s.id[6:8]))
}

// fill writes the key of s into dst.
func (t *hashTable) fill(s *keySlot, members []member, dst *Key) {
	m := &members[s.member]
	*dst = Key{ID: t.id(s), Last4: t.last4(s), Enabled: s.flags&slotEnabled != 0, PlanIDs: m.planIDs, StageKeys: m.stageKeys, hash: s.hash}
}

// newHashTable returns an empty table for n keys, its slots in slab when
// slab is long enough (the rest of slab is returned), else freshly made.
func newHashTable(n int, slab []keySlot) (*hashTable, []keySlot) {
	size := hashTableSize(n)
	t := &hashTable{}
	if len(slab) >= size {
		t.slots, slab = slab[:size:size], slab[size:]
	} else {
		t.slots = make([]keySlot, size)
	}
	return t, slab
}

// insert adds a key to t, which must not hold its hash nor be published
// yet, and must have room (newHashTable sized it).
func (t *hashTable) insert(hash *[32]byte, id, last4 string, enabled bool, member uint32) {
	i := hashHome(h8Of(hash), len(t.slots))
	for t.slots[i].flags&slotUsed != 0 {
		if i++; i == len(t.slots) {
			i = 0
		}
	}
	s := &t.slots[i]
	s.hash, s.member, s.flags = *hash, member, slotUsed
	if enabled {
		s.flags |= slotEnabled
	}
	if len(id) <= len(s.id) && len(last4) <= len(s.last4) {
		s.idLen, s.l4Len = uint8(copy(s.id[:], id)), uint8(copy(s.last4[:], last4))
	} else {
		s.flags |= slotLong
		binary.LittleEndian.PutUint32(s.id[0:4], uint32(len(t.arena)))
		binary.LittleEndian.PutUint16(s.id[4:6], uint16(len(id)))
		binary.LittleEndian.PutUint16(s.id[6:8], uint16(len(last4)))
		t.arena = append(t.arena, id...)
		t.arena = append(t.arena, last4...)
	}
	t.n++
}

// newIDTable builds an id table from occupied slots (nil when none).
func newIDTable(slots []idSlot) *idTable {
	if len(slots) == 0 {
		return nil
	}
	t := &idTable{slots: make([]idSlot, idTableSize(len(slots)))}
	for _, sl := range slots {
		i := home(sl.tag, len(t.slots))
		for t.slots[i].tag != 0 {
			if i++; i == len(t.slots) {
				i = 0
			}
		}
		t.slots[i] = sl
	}
	return t
}

// lookup finds the key with lookup hash h and writes it into dst.
func (x *keyIndex) lookup(h *[32]byte, dst *Key) bool {
	t := x.byHash[hashShard(h)].Load()
	if t == nil {
		return false
	}
	s := t.find(h)
	if s == nil {
		return false
	}
	t.fill(s, *x.members.Load(), dst) // after the table: see members
	return true
}

// lookupID finds the key with the given id and writes it into dst.
func (x *keyIndex) lookupID(id string, dst *Key) bool {
	t, s := x.slotOfID(id)
	if s == nil {
		return false
	}
	t.fill(s, *x.members.Load(), dst)
	return true
}

// slotOfID returns the slot of key id and its table, or nil.
func (x *keyIndex) slotOfID(id string) (*hashTable, *keySlot) {
	tag := idTag(id)
	it := x.byID[idShard(tag)].Load()
	if it == nil {
		return nil, nil
	}
	for i := home(tag, len(it.slots)); ; {
		s := it.slots[i]
		if s.tag == 0 {
			return nil, nil
		}
		if s.tag == tag {
			var h [32]byte
			binary.LittleEndian.PutUint64(h[:8], s.h8)
			if ht := x.byHash[hashShard(&h)].Load(); ht != nil {
				if ks := ht.findID(s.h8, id); ks != nil {
					return ht, ks
				}
			}
		}
		if i++; i == len(it.slots) {
			i = 0
		}
	}
}

// len counts the keys (for tests and logs).
func (x *keyIndex) len() int {
	n := 0
	for i := range x.byHash {
		if t := x.byHash[i].Load(); t != nil {
			n += t.n
		}
	}
	return n
}

// member returns the number of k's membership, interning it (writer only).
// The caller publishes members before using the number in a table.
func (x *keyIndex) member(k *Key, ms *[]member) uint32 {
	if len(k.PlanIDs) == 0 && len(k.StageKeys) == 0 {
		return 0
	}
	var b strings.Builder
	for _, id := range k.PlanIDs {
		b.WriteString(id)
		b.WriteByte(0)
	}
	b.WriteByte(1)
	for _, sk := range slices.Sorted(maps.Keys(k.StageKeys)) {
		b.WriteString(sk)
		b.WriteByte(0)
	}
	c := b.String()
	if n, ok := x.memberNum[c]; ok {
		return n
	}
	if x.memberNum == nil {
		x.memberNum = map[string]uint32{}
	}
	n := uint32(len(*ms))
	*ms = append(*ms, member{planIDs: k.PlanIDs, stageKeys: k.StageKeys})
	x.memberNum[c] = n
	return n
}

// internAll interns the memberships of keys and publishes the new member
// list; it returns each key's member number, in order.
func (x *keyIndex) internAll(keys []*Key) []uint32 {
	cur := x.members.Load()
	var ms []member
	if cur == nil {
		ms = []member{{}} // number 0: no plan, no stage key
	} else {
		ms = *cur
	}
	n0 := len(ms)
	nums := make([]uint32, len(keys))
	for i, k := range keys {
		nums[i] = x.member(k, &ms)
	}
	if cur == nil || len(ms) != n0 {
		x.members.Store(&ms)
	}
	return nums
}

// build fills an empty, unpublished index with keys at once. The hash
// tables' slots are carved out of one allocation, so that the index is a
// few large objects rather than a thousand middling ones.
func (x *keyIndex) build(keys []*Key) {
	nums := x.internAll(keys)
	var count [keyShards]int
	var byID [keyShards][]idSlot
	for _, k := range keys {
		count[hashShard(&k.hash)]++
		tag := idTag(k.ID)
		byID[idShard(tag)] = append(byID[idShard(tag)], idSlot{tag: tag, h8: h8Of(&k.hash)})
	}
	total := 0
	for _, c := range count {
		if c > 0 {
			total += hashTableSize(c)
		}
	}
	slab := make([]keySlot, total)
	var tables [keyShards]*hashTable
	for s, c := range count {
		if c > 0 {
			tables[s], slab = newHashTable(c, slab)
		}
	}
	for i, k := range keys {
		tables[hashShard(&k.hash)].insert(&k.hash, k.ID, k.Last4, k.Enabled, nums[i])
	}
	for i := range tables {
		if tables[i] != nil {
			x.byHash[i].Store(tables[i])
		}
		if t := newIDTable(byID[i]); t != nil {
			x.byID[i].Store(t)
		}
	}
}

// update replaces the keys named by ids with puts (by id; a missing id is
// deleted), rebuilding each touched shard once. The caller must be the only
// writer.
func (x *keyIndex) update(ids []string, puts map[string]*Key) {
	putList := make([]*Key, 0, len(puts))
	for _, id := range ids {
		if k := puts[id]; k != nil {
			putList = append(putList, k)
		}
	}
	nums := x.internAll(putList)
	num := make(map[*Key]uint32, len(putList))
	for i, k := range putList {
		num[k] = nums[i]
	}

	// What goes: every named key's current slot (by hash); what comes:
	// the puts. A put whose hash another key holds replaces that key in the
	// hash table (the store keeps hashes unique, so that key is named too).
	delHash := map[int]map[[32]byte]bool{}
	addHash := map[int][]*Key{}
	idMods := map[int]map[string]*Key{}
	for _, id := range ids {
		if _, ks := x.slotOfID(id); ks != nil {
			s := hashShard(&ks.hash)
			if delHash[s] == nil {
				delHash[s] = map[[32]byte]bool{}
			}
			delHash[s][ks.hash] = true
		}
		s := idShard(idTag(id))
		if idMods[s] == nil {
			idMods[s] = map[string]*Key{}
		}
		idMods[s][id] = puts[id]
	}
	for _, k := range putList {
		s := hashShard(&k.hash)
		if delHash[s] == nil {
			delHash[s] = map[[32]byte]bool{}
		}
		delHash[s][k.hash] = true
		addHash[s] = append(addHash[s], k)
	}

	// Id shards first: telling a tag collision from the named id reads the
	// current hash tables.
	for s, mods := range idMods {
		x.byID[s].Store(x.rebuildIDs(x.byID[s].Load(), mods))
	}
	for s, del := range delHash {
		old := x.byHash[s].Load()
		var keep []*keySlot
		if old != nil {
			for i := range old.slots {
				if ks := &old.slots[i]; ks.flags&slotUsed != 0 && !del[ks.hash] {
					keep = append(keep, ks)
				}
			}
		}
		if len(keep)+len(addHash[s]) == 0 {
			x.byHash[s].Store(nil)
			continue
		}
		t, _ := newHashTable(len(keep)+len(addHash[s]), nil)
		for _, ks := range keep {
			t.insert(&ks.hash, old.id(ks), old.last4(ks), ks.flags&slotEnabled != 0, ks.member)
		}
		for _, k := range addHash[s] {
			t.insert(&k.hash, k.ID, k.Last4, k.Enabled, num[k])
		}
		x.byHash[s].Store(t)
	}
}

// rebuildIDs returns cur with the ids in mods removed and the non-nil ones
// added. A slot whose tag is a mod's is read through the hash tables to
// tell the named id from another with the same tag.
func (x *keyIndex) rebuildIDs(cur *idTable, mods map[string]*Key) *idTable {
	modTags := make(map[uint64]bool, len(mods))
	for id := range mods {
		modTags[idTag(id)] = true
	}
	var slots []idSlot
	if cur != nil {
		slots = make([]idSlot, 0, len(cur.slots)*3/4+len(mods))
		for _, sl := range cur.slots {
			if sl.tag == 0 {
				continue
			}
			if modTags[sl.tag] && x.namesMod(sl, mods) {
				continue
			}
			slots = append(slots, sl)
		}
	}
	for id, k := range mods {
		if k != nil {
			slots = append(slots, idSlot{tag: idTag(id), h8: h8Of(&k.hash)})
		}
	}
	return newIDTable(slots)
}

// namesMod reports whether the id slot sl belongs to one of the ids in mods.
func (x *keyIndex) namesMod(sl idSlot, mods map[string]*Key) bool {
	var h [32]byte
	binary.LittleEndian.PutUint64(h[:8], sl.h8)
	t := x.byHash[hashShard(&h)].Load()
	if t == nil {
		return true // no key: a stale slot, drop it
	}
	for i := hashHome(sl.h8, len(t.slots)); ; {
		ks := &t.slots[i]
		if ks.flags&slotUsed == 0 {
			return true // no key: a stale slot, drop it
		}
		if h8Of(&ks.hash) == sl.h8 && idTag(t.id(ks)) == sl.tag {
			_, named := mods[t.id(ks)]
			return named
		}
		if i++; i == len(t.slots) {
			i = 0
		}
	}
}

// maxKeyString is the longest id or last four a key may have: a slot
// records the lengths of strings it cannot hold in 16 bits.
const maxKeyString = 1<<16 - 1

// newKey builds a Key from a stored key and its plan ids, which the caller
// has passed through planLists.get. It refuses a stored key whose lookup
// hash is not 32 bytes long or whose id or last four is longer than
// maxKeyString, saying which.
func newKey(k *apigw.APIKey, planIDs []string) (*Key, error) {
	switch {
	case len(k.LookupHash) != 32:
		return nil, fmt.Errorf("lookup hash is %d bytes long, want 32", len(k.LookupHash))
	case len(k.ID) > maxKeyString:
		return nil, fmt.Errorf("id is %d bytes long, at most %d allowed", len(k.ID), maxKeyString)
	case len(k.Last4) > maxKeyString:
		return nil, fmt.Errorf("last4 is %d bytes long, at most %d allowed", len(k.Last4), maxKeyString)
	}
	key := &Key{ID: k.ID, Last4: k.Last4, Enabled: k.Enabled, PlanIDs: planIDs}
	copy(key.hash[:], k.LookupHash)
	if len(k.StageKeys) > 0 {
		key.StageKeys = make(map[string]bool, len(k.StageKeys))
		for _, sk := range k.StageKeys {
			key.StageKeys[sk] = true
		}
	}
	return key, nil
}

// planLists interns keys' plan id lists, so that the many keys in the same
// plans share one slice and the plan set's id strings. It belongs to the
// writer.
type planLists map[string][]string

// get returns the interned, sorted, duplicate-free form of ids (nil when empty).
func (pl planLists) get(ids []string, ps *planSet) []string {
	if len(ids) == 0 {
		return nil
	}
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	k := strings.Join(ids, "\x00")
	if v, ok := pl[k]; ok {
		return v
	}
	for i, id := range ids {
		ids[i] = ps.intern(id)
	}
	pl[k] = ids
	return ids
}
