package sqlite

import (
	"bytes"
	"database/sql"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/internal/store/storetest"
)

// TestCreateAPIKeyConflicts checks that an insert relying on the unique
// constraints still tells a taken id from a taken key value, writes
// nothing on either, and leaves the transaction usable.
func TestCreateAPIKeyConflicts(t *testing.T) {
	ctx := t.Context()
	db := openAt(t, filepath.Join(t.TempDir(), "gatehouse.db"))
	k1 := storetest.SampleAPIKey("k1")
	if err := db.Update(ctx, func(tx store.Tx) error { return tx.CreateAPIKey(ctx, k1) }); err != nil {
		t.Fatal(err)
	}
	withHash := func(id string, hash []byte) *apigw.APIKey {
		k := storetest.SampleAPIKey(id)
		k.LookupHash = hash
		return k
	}
	tests := []struct {
		name    string
		key     *apigw.APIKey
		message string
	}{
		{"taken id", withHash("k1", []byte("another hash")), "id exists"},
		{"taken value", withHash("k2", k1.LookupHash), "key value (lookup hash) in use"},
		{"taken id and value", withHash("k1", k1.LookupHash), "id exists"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var conflict error
			err := db.Update(ctx, func(tx store.Tx) error {
				conflict = tx.CreateAPIKey(ctx, tt.key)
				// The transaction goes on after the failed insert.
				return tx.CreateAPIKey(ctx, storetest.SampleAPIKey("after-"+tt.name))
			})
			if err != nil {
				t.Fatal(err)
			}
			if !errors.Is(conflict, store.ErrConflict) || !strings.Contains(conflict.Error(), tt.message) {
				t.Errorf("CreateAPIKey error = %v, want ErrConflict saying %q", conflict, tt.message)
			}
			err = db.View(ctx, func(r store.Reader) error {
				got, err := r.GetAPIKeyByHash(ctx, tt.key.LookupHash)
				switch {
				case errors.Is(err, store.ErrNotFound):
				case err != nil:
					return err
				case got.ID != k1.ID:
					t.Errorf("the refused key was written: %s", got.ID)
				}
				if got, err := r.GetAPIKey(ctx, k1.ID); err != nil || !bytes.Equal(got.LookupHash, k1.LookupHash) {
					t.Errorf("key k1 after the refused insert: %v, %v", got, err)
				}
				if _, err := r.GetAPIKey(ctx, "after-"+tt.name); err != nil {
					t.Errorf("key created after the conflict: %v", err)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestAddUsagePlanKeyMissingParent checks that the error still names the
// missing plan or key now that the insert is tried first.
func TestAddUsagePlanKeyMissingParent(t *testing.T) {
	ctx := t.Context()
	db := openAt(t, filepath.Join(t.TempDir(), "gatehouse.db"))
	err := db.Update(ctx, func(tx store.Tx) error {
		return errors.Join(tx.CreateUsagePlan(ctx, storetest.SampleUsagePlan("p1")), tx.CreateAPIKey(ctx, storetest.SampleAPIKey("k1")))
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ plan, key, message string }{
		{"nosuch", "k1", "usage plan nosuch: not found"},
		{"p1", "nosuch", "api key nosuch: not found"},
		{"nosuch", "nosuch", "usage plan nosuch: not found"},
	}
	for _, tt := range tests {
		err := db.Update(ctx, func(tx store.Tx) error { return tx.AddUsagePlanKey(ctx, tt.plan, tt.key) })
		if !errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), tt.message) {
			t.Errorf("AddUsagePlanKey(%s, %s) = %v, want ErrNotFound saying %q", tt.plan, tt.key, err, tt.message)
		}
	}
}

// TestStatementCache checks that queries a transaction ran are prepared
// for the pool by the next transaction, that concurrent readers share the
// pool's statements, and that Close closes them.
func TestStatementCache(t *testing.T) {
	ctx := t.Context()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "gatehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const getKey = "SELECT seq, doc, lookup_hash, sealed_value FROM api_keys WHERE id = ?"
	cached := func(c *stmtCache, query string) bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.stmts[query] != nil
	}
	view := func() error {
		return db.View(ctx, func(r store.Reader) error {
			for range 3 {
				if _, err := r.GetAPIKey(ctx, "k1"); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := db.Update(ctx, func(tx store.Tx) error { return tx.CreateAPIKey(ctx, storetest.SampleAPIKey("k1")) }); err != nil {
		t.Fatal(err)
	}
	if err := view(); err != nil {
		t.Fatal(err)
	}
	if cached(db.rs, getKey) {
		t.Fatal("a query was prepared for the pool inside the transaction that first ran it")
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() { errs <- view() })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if !cached(db.rs, getKey) {
		t.Error("the query of an earlier transaction is not prepared for the reader pool")
	}
	if cached(db.ws, getKey) {
		t.Error("a reader query was prepared for the writer")
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if cached(db.rs, getKey) || db.rs.lookup(getKey) != nil {
		t.Error("statements left in the cache after Close")
	}
}

// TestMigrateUsagePlanKeys applies the first migration only, stores usage
// plan keys, and checks that the rebuild of usage_plan_keys keeps rows,
// order, pagination and the seq high-water mark.
func TestMigrateUsagePlanKeys(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	raw, err := sql.Open("sqlite", path+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, raw, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 1); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO usage_plans (id, doc) VALUES ('p1', '{"ID":"p1"}'), ('p2', '{"ID":"p2"}')`,
		`INSERT INTO api_keys (id, name, customer_id, doc) VALUES
			('k1', 'a', '', '{"ID":"k1"}'), ('k2', 'b', '', '{"ID":"k2"}'), ('k3', 'c', '', '{"ID":"k3"}')`,
		`INSERT INTO usage_plan_keys (plan_id, key_id) VALUES ('p1', 'k3'), ('p1', 'k1'), ('p2', 'k1'), ('p1', 'k2'), ('p2', 'k2')`,
		// The highest seq (5) goes; AUTOINCREMENT must still not reuse it.
		`DELETE FROM usage_plan_keys WHERE plan_id = 'p2' AND key_id = 'k2'`,
	} {
		if _, err := raw.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}

	db := openAt(t, path)
	err = db.View(ctx, func(r store.Reader) error {
		var got []string
		pg := store.Page{Limit: 2}
		for {
			keys, next, err := r.ListUsagePlanKeys(ctx, "p1", pg)
			if err != nil {
				return err
			}
			for _, k := range keys {
				got = append(got, k.ID)
			}
			if next == "" {
				break
			}
			pg.Position = next
		}
		if want := "k3 k1 k2"; strings.Join(got, " ") != want {
			t.Errorf("keys of p1 = %v, want %s", got, want)
		}
		plans, err := r.ListUsagePlanIDsForKey(ctx, "k1")
		if err != nil {
			return err
		}
		if want := "p1 p2"; strings.Join(plans, " ") != want {
			t.Errorf("plans of k1 = %v, want %s", plans, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(ctx, func(tx store.Tx) error { return tx.AddUsagePlanKey(ctx, "p1", "k1") })
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("adding a key twice after the migration: %v, want ErrConflict", err)
	}
	if err := db.Update(ctx, func(tx store.Tx) error { return tx.AddUsagePlanKey(ctx, "p2", "k3") }); err != nil {
		t.Fatal(err)
	}
	if seq := rawInt(t, path, "SELECT seq FROM usage_plan_keys WHERE plan_id = 'p2' AND key_id = 'k3'"); seq != 6 {
		t.Errorf("seq of the first row added after the migration = %d, want 6", seq)
	}
}
