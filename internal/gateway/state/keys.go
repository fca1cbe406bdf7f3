package state

import (
	"encoding/binary"
	"slices"
	"strings"
	"sync/atomic"

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
type keyIndex struct {
	byHash [keyShards]atomic.Pointer[keyTable]
	byID   [keyShards]atomic.Pointer[keyTable]
}

// keyTable is an immutable open-addressing hash table (linear probing) of
// keys, filled to at most 3/4 so that a probe always meets an empty slot.
// At 16 bytes a slot it costs about 21 bytes per key, where a Go map of
// [32]byte to pointer costs 60-90.
type keyTable []keySlot

type keySlot struct {
	tag uint64 // hashTag or idTag of k
	k   *Key   // nil: empty
}

// hashTag is a lookup hash's table tag: bits the shard choice does not use
// (the hash is an HMAC, so all its bits are uniform).
func hashTag(h *[32]byte) uint64 { return binary.LittleEndian.Uint64(h[8:16]) }

// hashShard returns the shard of a lookup hash: its first keyShardBits bits.
func hashShard(h *[32]byte) int {
	return (int(h[0])<<8 | int(h[1])) >> (16 - keyShardBits)
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
	return h
}

func idShard(tag uint64) int { return int(tag >> (64 - keyShardBits)) }

// home returns the first slot to probe for tag in a table of n slots
// (multiply-shift range reduction on the tag's low 32 bits, so n need not be
// a power of two).
func home(tag uint64, n int) int { return int(uint64(uint32(tag)) * uint64(n) >> 32) }

// newKeyTable builds a table of occupied slots.
func newKeyTable(slots []keySlot) *keyTable {
	t := make(keyTable, len(slots)*4/3+1)
	for _, sl := range slots {
		i := home(sl.tag, len(t))
		for t[i].k != nil {
			if i++; i == len(t) {
				i = 0
			}
		}
		t[i] = sl
	}
	return &t
}

// slotsOf returns the slots of keys under the given tag.
func slotsOf(keys []*Key, tag func(*Key) uint64) []keySlot {
	out := make([]keySlot, len(keys))
	for i, k := range keys {
		out[i] = keySlot{tag: tag(k), k: k}
	}
	return out
}

func hashTagOf(k *Key) uint64 { return hashTag(&k.hash) }
func idTagOf(k *Key) uint64   { return idTag(k.ID) }

func (x *keyIndex) byHashGet(h *[32]byte) *Key {
	tp := x.byHash[hashShard(h)].Load()
	if tp == nil {
		return nil
	}
	t, tag := *tp, hashTag(h)
	for i := home(tag, len(t)); ; {
		s := &t[i]
		if s.k == nil {
			return nil
		}
		if s.tag == tag && s.k.hash == *h {
			return s.k
		}
		if i++; i == len(t) {
			i = 0
		}
	}
}

func (x *keyIndex) byIDGet(id string) *Key {
	tag := idTag(id)
	tp := x.byID[idShard(tag)].Load()
	if tp == nil {
		return nil
	}
	t := *tp
	for i := home(tag, len(t)); ; {
		s := &t[i]
		if s.k == nil {
			return nil
		}
		if s.tag == tag && s.k.ID == id {
			return s.k
		}
		if i++; i == len(t) {
			i = 0
		}
	}
}

// len counts the keys (for tests and logs).
func (x *keyIndex) len() int {
	n := 0
	for i := range x.byID {
		if t := x.byID[i].Load(); t != nil {
			for _, s := range *t {
				if s.k != nil {
					n++
				}
			}
		}
	}
	return n
}

// build fills an empty, unpublished index with keys at once.
func (x *keyIndex) build(keys []*Key) {
	var byHash, byID [keyShards][]*Key
	for _, k := range keys {
		hs, is := hashShard(&k.hash), idShard(idTag(k.ID))
		byHash[hs] = append(byHash[hs], k)
		byID[is] = append(byID[is], k)
	}
	for i := range byHash {
		if len(byHash[i]) > 0 {
			x.byHash[i].Store(newKeyTable(slotsOf(byHash[i], hashTagOf)))
		}
		if len(byID[i]) > 0 {
			x.byID[i].Store(newKeyTable(slotsOf(byID[i], idTagOf)))
		}
	}
}

// update replaces the keys named by ids with puts (by id; a missing id is
// deleted), rebuilding each touched shard once. The caller must be the only
// writer.
func (x *keyIndex) update(ids []string, puts map[string]*Key) {
	hashMods := map[int]map[[32]byte]*Key{} // nil value: delete
	idMods := map[int]map[string]*Key{}
	modHash := func(h [32]byte, k *Key) {
		s := hashShard(&h)
		if hashMods[s] == nil {
			hashMods[s] = map[[32]byte]*Key{}
		}
		hashMods[s][h] = k
	}
	// Removals first, so that a put of the same hash in this batch wins.
	for _, id := range ids {
		old := x.byIDGet(id)
		if old == nil {
			continue
		}
		if k := puts[id]; k == nil || k.hash != old.hash {
			if cur := x.byHashGet(&old.hash); cur != nil && cur.ID == id {
				modHash(old.hash, nil)
			}
		}
	}
	for _, id := range ids {
		k := puts[id]
		if k != nil {
			modHash(k.hash, k)
		}
		s := idShard(idTag(id))
		if idMods[s] == nil {
			idMods[s] = map[string]*Key{}
		}
		idMods[s][id] = k
	}
	for s, mods := range hashMods {
		x.byHash[s].Store(rebuild(x.byHash[s].Load(), mods, func(k *Key) [32]byte { return k.hash },
			func(h [32]byte) uint64 { return hashTag(&h) }))
	}
	for s, mods := range idMods {
		x.byID[s].Store(rebuild(x.byID[s].Load(), mods, func(k *Key) string { return k.ID }, idTag))
	}
}

// rebuild returns a new table holding cur's keys with mods applied (by
// name; a nil value deletes), or nil when it would be empty. It reuses the
// stored tags and reads a key only when its tag is that of a mod, so it does
// not touch the shard's keys in memory.
func rebuild[N comparable](cur *keyTable, mods map[N]*Key, name func(*Key) N, tag func(N) uint64) *keyTable {
	modTags := make(map[uint64]bool, len(mods))
	for n := range mods {
		modTags[tag(n)] = true
	}
	var slots []keySlot
	if cur != nil {
		slots = make([]keySlot, 0, len(*cur)*3/4+len(mods))
		for _, sl := range *cur {
			if sl.k == nil {
				continue
			}
			if modTags[sl.tag] {
				if _, changed := mods[name(sl.k)]; changed {
					continue
				}
			}
			slots = append(slots, sl)
		}
	}
	for n, k := range mods {
		if k != nil {
			slots = append(slots, keySlot{tag: tag(n), k: k})
		}
	}
	if len(slots) == 0 {
		return nil
	}
	return newKeyTable(slots)
}

// newKey builds a Key from a stored key and its plan ids, which the caller
// has passed through planLists.get. ok is false when the stored lookup hash
// is not 32 bytes long.
func newKey(k *apigw.APIKey, planIDs []string) (key *Key, ok bool) {
	if len(k.LookupHash) != 32 {
		return nil, false
	}
	key = &Key{ID: k.ID, Name: k.Name, Last4: k.Last4, Enabled: k.Enabled, PlanIDs: planIDs}
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
