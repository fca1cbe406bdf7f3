package state

import (
	"context"
	"crypto/sha256"
	"log/slog"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlite"
	"github.com/gatehouse-dev/gatehouse/internal/store/storetest"
)

// openStore opens a fresh SQLite store in a temporary directory.
func openStore(t *testing.T) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "gatehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// testLogger logs through t.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// listening returns a loaded State kept current through db.Listen.
func listening(t *testing.T, db *sqlite.DB) *State {
	t.Helper()
	s := New(db, testLogger(t))
	if err := s.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	db.Listen(func(c []store.Change) {
		if err := s.Apply(context.Background(), c); err != nil {
			t.Errorf("Apply(%v): %v", c, err)
		}
	})
	return s
}

// waitCaughtUp waits (up to 10 s) until s has applied every commit db
// holds now.
func waitCaughtUp(t *testing.T, s *State, db store.Store) {
	t.Helper()
	ctx := context.Background()
	rev, err := db.Revision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := s.WaitRevision(wctx, rev); err != nil {
		t.Fatal(err)
	}
}

// update runs fn in a store transaction and fails the test on error.
func update(t *testing.T, db store.Store, fn func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	ctx := context.Background()
	if err := db.Update(ctx, func(tx store.Tx) error { return fn(ctx, tx) }); err != nil {
		t.Fatal(err)
	}
}

// hashOf is the lookup hash storetest.SampleAPIKey gives key id.
func hashOf(id string) [32]byte { return sha256.Sum256([]byte("hash:" + id)) }

// deployment returns a deployment of apiID serving the sample /pets GET
// plus a GET on each extra resource path part under the root.
func deployment(apiID, id string, extra ...string) *apigw.Deployment {
	d := storetest.SampleDeployment(apiID, id)
	for _, part := range extra {
		rid := apiID + "-" + part
		d.Snapshot.Resources[rid] = &apigw.Resource{
			ID: rid, ParentID: d.Snapshot.RootResourceID, PathPart: part,
			Methods: map[string]*apigw.Method{"GET": {HTTPMethod: "GET", AuthorizationType: apigw.AuthNone,
				Integration: &apigw.Integration{Type: apigw.IntegrationMock}}},
		}
	}
	return d
}

// brokenDeployment returns a deployment whose snapshot has an orphan resource.
func brokenDeployment(apiID, id string) *apigw.Deployment {
	d := storetest.SampleDeployment(apiID, id)
	d.Snapshot.Resources["orphan"] = &apigw.Resource{ID: "orphan", ParentID: "nowhere", PathPart: "x"}
	return d
}

// key returns an API key with the sample lookup hash and the given fields.
func key(id string, enabled bool, stageKeys ...string) *apigw.APIKey {
	k := storetest.SampleAPIKey(id)
	k.Enabled = enabled
	k.StageKeys = stageKeys
	return k
}

// routes lists a stage table's methods as "GET /pets"; nil without a table.
func routes(st *Stage) []string {
	if st == nil || st.Table == nil {
		return nil
	}
	var out []string
	for _, r := range st.Table.Resources() {
		for _, m := range r.HTTPMethods() {
			out = append(out, m+" "+r.Path)
		}
	}
	slices.Sort(out)
	return out
}

// stageOf returns a stage of an API in s, or nil.
func stageOf(s *State, apiID, stage string) *Stage {
	a := s.API(apiID)
	if a == nil {
		return nil
	}
	return a.Stages[stage]
}

// byHashGet and byIDGet are lookups that return a copy (nil when absent).
func (x *keyIndex) byHashGet(h *[32]byte) *Key {
	k := new(Key)
	if !x.lookup(h, k) {
		return nil
	}
	return k
}

func (x *keyIndex) byIDGet(id string) *Key {
	k := new(Key)
	if !x.lookupID(id, k) {
		return nil
	}
	return k
}

// sameKey reports whether two keys (either may be nil) are equal.
func sameKey(a, b *Key) bool {
	if a == nil || b == nil {
		return a == b
	}
	return reflect.DeepEqual(*a, *b)
}
