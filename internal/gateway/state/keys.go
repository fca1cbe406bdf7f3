package state

import (
	"encoding/binary"
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
// The tables hold no pointers (records, slots and a byte arena for the
// strings), so that a million keys cost the garbage collector nothing to
// mark and about 100 bytes each. A key's plan ids and stage keys, which
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
// (linear probing, at most 3/4 full so that a probe always meets an empty
// slot) of indexes into recs, whose strings live in arena.
type hashTable struct {
	slots []hashSlot
	recs  []keyRec
	arena []byte
}

// hashSlot is one slot of a hashTable: rec is an index into recs plus one
// (0: empty); tag is slotTag of the record's hash, which lets a probe
// skip most non-matching records without reading them.
type hashSlot struct {
	tag uint32
	rec uint32
}

// keyRec is one key. Its id and last four characters are at
// arena[off:off+idLen] and right after.
type keyRec struct {
	hash    [32]byte
	off     uint32
	idLen   uint16
	l4Len   uint16
	member  uint32
	enabled bool
}

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
// uniform (the hash is an HMAC) and give the probe start and the slot tag.
func h8Of(h *[32]byte) uint64 { return binary.LittleEndian.Uint64(h[:8]) }

// hashShard returns the shard of a lookup hash: its first keyShardBits bits.
func hashShard(h *[32]byte) int {
	return (int(h[0])<<8 | int(h[1])) >> (16 - keyShardBits)
}

func slotTag(h8 uint64) uint32 { return uint32(h8 >> 16) }
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

// tableSize is the slot count for n entries: at most 3/4 full.
func tableSize(n int) int { return n*4/3 + 1 }

// find returns the record of hash h in t, or nil.
func (t *hashTable) find(h *[32]byte) *keyRec {
	h8 := h8Of(h)
	tag := slotTag(h8)
	for i := hashHome(h8, len(t.slots)); ; {
		s := t.slots[i]
		if s.rec == 0 {
			return nil
		}
		if s.tag == tag {
			if r := &t.recs[s.rec-1]; r.hash == *h {
				return r
			}
		}
		if i++; i == len(t.slots) {
			i = 0
		}
	}
}

// findID returns the record of key id in t, whose hashes start with h8, or nil.
func (t *hashTable) findID(h8 uint64, id string) *keyRec {
	tag := slotTag(h8)
	for i := hashHome(h8, len(t.slots)); ; {
		s := t.slots[i]
		if s.rec == 0 {
			return nil
		}
		if s.tag == tag {
			if r := &t.recs[s.rec-1]; h8Of(&r.hash) == h8 && t.id(r) == id {
				return r
			}
		}
		if i++; i == len(t.slots) {
			i = 0
		}
	}
}

// str returns arena[off:off+n] as a string without copying: the arena is
// never written once its table is published.
func (t *hashTable) str(off uint32, n uint16) string {
	if n == 0 {
		return ""
	}
	return unsafe.String(&t.arena[off], int(n))
}

func (t *hashTable) id(r *keyRec) string    { return t.str(r.off, r.idLen) }
func (t *hashTable) last4(r *keyRec) string { return t.str(r.off+uint32(r.idLen), r.l4Len) }

// fill writes the key of r into dst.
func (t *hashTable) fill(r *keyRec, members []member, dst *Key) {
	m := &members[r.member]
	*dst = Key{ID: t.id(r), Last4: t.last4(r), Enabled: r.enabled, PlanIDs: m.planIDs, StageKeys: m.stageKeys, hash: r.hash}
}

// tableBuilder accumulates the records of one new hashTable.
type tableBuilder struct {
	recs  []keyRec
	arena []byte
}

func (b *tableBuilder) add(hash [32]byte, id, last4 string, enabled bool, member uint32) {
	b.recs = append(b.recs, keyRec{
		hash: hash, off: uint32(len(b.arena)), idLen: uint16(len(id)), l4Len: uint16(len(last4)),
		member: member, enabled: enabled,
	})
	b.arena = append(b.arena, id...)
	b.arena = append(b.arena, last4...)
}

// table returns the built table, nil when it has no records.
func (b *tableBuilder) table() *hashTable {
	if len(b.recs) == 0 {
		return nil
	}
	t := &hashTable{slots: make([]hashSlot, tableSize(len(b.recs))), recs: b.recs, arena: b.arena}
	for i := range t.recs {
		h8 := h8Of(&t.recs[i].hash)
		j := hashHome(h8, len(t.slots))
		for t.slots[j].rec != 0 {
			if j++; j == len(t.slots) {
				j = 0
			}
		}
		t.slots[j] = hashSlot{tag: slotTag(h8), rec: uint32(i + 1)}
	}
	return t
}

// newIDTable builds an id table from occupied slots (nil when none).
func newIDTable(slots []idSlot) *idTable {
	if len(slots) == 0 {
		return nil
	}
	t := &idTable{slots: make([]idSlot, tableSize(len(slots)))}
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
	r := t.find(h)
	if r == nil {
		return false
	}
	t.fill(r, *x.members.Load(), dst) // after the table: see members
	return true
}

// lookupID finds the key with the given id and writes it into dst.
func (x *keyIndex) lookupID(id string, dst *Key) bool {
	t, r := x.recOfID(id)
	if r == nil {
		return false
	}
	t.fill(r, *x.members.Load(), dst)
	return true
}

// recOfID returns the record of key id and its table, or nil.
func (x *keyIndex) recOfID(id string) (*hashTable, *keyRec) {
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
				if r := ht.findID(s.h8, id); r != nil {
					return ht, r
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
			n += len(t.recs)
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

// build fills an empty, unpublished index with keys at once.
func (x *keyIndex) build(keys []*Key) {
	nums := x.internAll(keys)
	var byHash [keyShards]tableBuilder
	var byID [keyShards][]idSlot
	for i, k := range keys {
		byHash[hashShard(&k.hash)].add(k.hash, k.ID, k.Last4, k.Enabled, nums[i])
		tag := idTag(k.ID)
		byID[idShard(tag)] = append(byID[idShard(tag)], idSlot{tag: tag, h8: h8Of(&k.hash)})
	}
	for i := range byHash {
		if t := byHash[i].table(); t != nil {
			x.byHash[i].Store(t)
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

	// What goes: every named key's current record (by hash); what comes:
	// the puts. A put whose hash another key holds replaces that key in the
	// hash table (the store keeps hashes unique, so that key is named too).
	delHash := map[int]map[[32]byte]bool{}
	addHash := map[int][]*Key{}
	idMods := map[int]map[string]*Key{}
	for _, id := range ids {
		if _, r := x.recOfID(id); r != nil {
			s := hashShard(&r.hash)
			if delHash[s] == nil {
				delHash[s] = map[[32]byte]bool{}
			}
			delHash[s][r.hash] = true
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
		var b tableBuilder
		if t := x.byHash[s].Load(); t != nil {
			b.recs = make([]keyRec, 0, len(t.recs)+len(addHash[s]))
			b.arena = make([]byte, 0, len(t.arena)+16*len(addHash[s]))
			for i := range t.recs {
				r := &t.recs[i]
				if !del[r.hash] {
					b.add(r.hash, t.id(r), t.last4(r), r.enabled, r.member)
				}
			}
		}
		for _, k := range addHash[s] {
			b.add(k.hash, k.ID, k.Last4, k.Enabled, num[k])
		}
		x.byHash[s].Store(b.table())
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
		return true // no record: a stale slot, drop it
	}
	tag := slotTag(sl.h8)
	for i := hashHome(sl.h8, len(t.slots)); ; {
		s := t.slots[i]
		if s.rec == 0 {
			return true // no record: a stale slot, drop it
		}
		if s.tag == tag {
			r := &t.recs[s.rec-1]
			if h8Of(&r.hash) == sl.h8 && idTag(t.id(r)) == sl.tag {
				_, named := mods[t.id(r)]
				return named
			}
		}
		if i++; i == len(t.slots) {
			i = 0
		}
	}
}

// newKey builds a Key from a stored key and its plan ids, which the caller
// has passed through planLists.get. ok is false when the stored lookup hash
// is not 32 bytes long.
func newKey(k *apigw.APIKey, planIDs []string) (key *Key, ok bool) {
	if len(k.LookupHash) != 32 {
		return nil, false
	}
	key = &Key{ID: k.ID, Last4: k.Last4, Enabled: k.Enabled, PlanIDs: planIDs}
	copy(key.hash[:], k.LookupHash)
	if len(k.StageKeys) > 0 {
		key.StageKeys = make(map[string]bool, len(k.StageKeys))
		for _, sk := range k.StageKeys {
			key.StageKeys[sk] = true
		}
	}
	return key, true
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
