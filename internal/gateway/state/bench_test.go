package state

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// million is the key count the data plane is sized for.
const million = 1_000_000

// syntheticHash is the lookup hash of synthetic key i.
func syntheticHash(i int) [32]byte {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(i))
	return sha256.Sum256(b[:])
}

// syntheticKeys returns n keys shaped like real ones (10-character ids,
// a name, last four characters, one plan of three) as newKey builds them.
func syntheticKeys(n int) []*Key {
	plans := &planSet{byID: map[string]*Plan{"plan01": {ID: "plan01"}, "plan02": {ID: "plan02"}, "plan03": {ID: "plan03"}}}
	lists := planLists{}
	keys := make([]*Key, n)
	for i := range keys {
		h := syntheticHash(i)
		k, err := newKey(&apigw.APIKey{
			ID:         fmt.Sprintf("k%09d", i),
			Name:       fmt.Sprintf("customer-%07d", i),
			Enabled:    true,
			LookupHash: h[:],
			Last4:      fmt.Sprintf("%04d", i%10000),
		}, lists.get([]string{fmt.Sprintf("plan0%d", i%3+1)}, plans))
		if err != nil {
			panic(err)
		}
		keys[i] = k
	}
	return keys
}

var (
	bigOnce  sync.Once
	bigState *State
)

// bigIndex returns a State holding a million synthetic keys (built once).
func bigIndex() *State {
	bigOnce.Do(func() {
		bigState = New(nil, nil)
		idx := new(keyIndex)
		idx.build(syntheticKeys(million))
		bigState.keys.Store(idx)
	})
	return bigState
}

func BenchmarkKeyLookupParallel(b *testing.B) {
	s := bigIndex()
	const n = 1 << 16
	hashes := make([][32]byte, n)
	for i := range hashes {
		hashes[i] = syntheticHash(i * (million / n))
	}
	var seed atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := int(seed.Add(7919))
		var k Key
		for pb.Next() {
			if !s.LookupKey(&hashes[i&(n-1)], &k) {
				panic("key not found")
			}
			i++
		}
	})
}

func BenchmarkKeyLookupMiss(b *testing.B) {
	s := bigIndex()
	h := syntheticHash(-1)
	var k Key
	b.ReportAllocs()
	for b.Loop() {
		if s.LookupKey(&h, &k) {
			b.Fatal("found a key that does not exist")
		}
	}
}

// BenchmarkKeyUpdate measures one key change applied to a million-key index
// (copy-on-write of one hash shard and one id shard).
func BenchmarkKeyUpdate(b *testing.B) {
	s := bigIndex()
	x := s.keys.Load()
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		old := x.byIDGet(fmt.Sprintf("k%09d", i))
		k := *old
		k.Enabled = !k.Enabled
		x.update([]string{k.ID}, map[string]*Key{k.ID: &k})
		i = (i + 1) % million
	}
}

// TestKeyMemory measures the heap a million keys take in the index and
// fails when it grows well past the figure recorded in the report.
func TestKeyMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a million keys")
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	idx := new(keyIndex)
	idx.build(syntheticKeys(million))
	runtime.GC()
	runtime.ReadMemStats(&after)
	perKey := float64(after.HeapAlloc-before.HeapAlloc) / million
	t.Logf("%d keys: %.0f bytes/key (heap %d MiB)", idx.len(), perKey, (after.HeapAlloc-before.HeapAlloc)>>20)
	if idx.len() != million {
		t.Fatalf("index holds %d keys, want %d", idx.len(), million)
	}
	if perKey > 150 {
		t.Errorf("%.0f bytes per key, want at most 150", perKey)
	}
	// The index holds no pointers, so a collection does not walk it: a
	// few hundred objects (tables, arenas), not millions.
	runtime.GC()
	var gc runtime.MemStats
	runtime.ReadMemStats(&gc)
	objects := int64(gc.HeapObjects) - int64(before.HeapObjects)
	t.Logf("heap objects for the index: %d", objects)
	if objects > 10*keyShards {
		t.Errorf("the index takes %d heap objects, want at most %d (a few per shard)", objects, 10*keyShards)
	}
	runtime.KeepAlive(idx)
}

// BenchmarkLoadKeys measures a full Load of keysForLoad keys in plans from SQLite.
func BenchmarkLoadKeys(b *testing.B) {
	const keysForLoad = 50_000
	ctx := context.Background()
	db := openStore(&testing.T{})
	err := db.Update(ctx, func(tx store.Tx) error {
		p := &apigw.UsagePlan{ID: "plan01", Name: "p"}
		if err := tx.CreateUsagePlan(ctx, p); err != nil {
			return err
		}
		for i := range keysForLoad {
			h := syntheticHash(i)
			id := fmt.Sprintf("k%09d", i)
			err := tx.CreateAPIKey(ctx, &apigw.APIKey{ID: id, Name: "n", Enabled: true, LookupHash: h[:], Last4: "abcd"})
			if err == nil && i%2 == 0 {
				err = tx.AddUsagePlanKey(ctx, "plan01", id)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	s := New(db, nil)
	b.ResetTimer()
	for b.Loop() {
		if err := s.Load(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/keysForLoad, "ns/key")
}

// BenchmarkNewAPI measures building an API for serving: compiling its live
// definition, normalising two stages' method settings and naming every
// deployed method's counters (route throttle keys, "/v1/c3/{id}/GET").
func BenchmarkNewAPI(b *testing.B) {
	d := deployment("a1", "d1")
	root := d.Snapshot.RootResourceID
	settings := map[string]*apigw.MethodSetting{"*/*": {ThrottlingBurstLimit: 10, ThrottlingRateLimit: 5}}
	for i := range 16 {
		c := fmt.Sprintf("c%d", i)
		item := c + "-id"
		get := func() map[string]*apigw.Method {
			return map[string]*apigw.Method{"GET": {HTTPMethod: "GET", AuthorizationType: apigw.AuthNone}, "POST": {HTTPMethod: "POST", AuthorizationType: apigw.AuthNone}}
		}
		d.Snapshot.Resources[c] = &apigw.Resource{ID: c, ParentID: root, PathPart: c, Methods: get()}
		d.Snapshot.Resources[item] = &apigw.Resource{ID: item, ParentID: c, PathPart: "{id}", Methods: get()}
		d.Snapshot.Resources[item+"-x"] = &apigw.Resource{ID: item + "-x", ParentID: item, PathPart: "x", Methods: get()}
		for j, k := range []string{"~1" + c + "/GET", c + "/{id}/POST", "~1" + c + "~1{id}~1x/GET"} {
			settings[k] = &apigw.MethodSetting{ThrottlingBurstLimit: i + j, ThrottlingRateLimit: float64(i)}
		}
	}
	api := &apigw.RestAPI{ID: "a1", Name: "bench", RootResourceID: root, Resources: d.Snapshot.Resources}
	stages := []*apigw.Stage{
		{APIID: "a1", Name: "prod", DeploymentID: "d1", MethodSettings: settings},
		{APIID: "a1", Name: "beta", DeploymentID: "d1", MethodSettings: settings},
	}
	deps := map[string]*compiled{"d1": compile(d)}
	if deps["d1"].err != nil {
		b.Fatal(deps["d1"].err)
	}
	b.ReportAllocs()
	for b.Loop() {
		a := newAPI(api, stages, deps)
		if st := a.Stages["prod"]; len(st.MethodIDs) != 1+16*6 || len(st.Throttle.Methods) != 16*3 {
			b.Fatalf("stage has %d method ids and %d throttles", len(st.MethodIDs), len(st.Throttle.Methods))
		}
	}
}
