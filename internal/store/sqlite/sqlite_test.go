package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/internal/store/storetest"
)

// openAt opens the database at path and closes it at cleanup.
func openAt(t *testing.T, path string) *DB {
	t.Helper()
	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return openAt(t, filepath.Join(t.TempDir(), "gatehouse.db"))
	})
}

// rawQuery opens path with a plain connection, outside DB, and returns the
// single int64 that query selects.
func rawInt(t *testing.T, path, query string) int64 {
	t.Helper()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var n int64
	if err := raw.QueryRowContext(t.Context(), query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestFileMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	db := openAt(t, path)
	err := db.Update(t.Context(), func(tx store.Tx) error {
		return tx.CreateAPI(t.Context(), storetest.SampleAPI("a1"))
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(name)
		if errors.Is(err, os.ErrNotExist) && name != path {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if mode := fi.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s has mode %v, want 0600", filepath.Base(name), mode)
		}
	}
}

func TestOddPath(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "we?ird#na%20me.db")
	db := openAt(t, path)
	if err := db.Update(t.Context(), func(tx store.Tx) error {
		return tx.CreateAPI(t.Context(), storetest.SampleAPI("a1"))
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database not at the given path: %v", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if name := e.Name(); name != filepath.Base(path) && name != filepath.Base(path)+"-wal" && name != filepath.Base(path)+"-shm" {
			t.Errorf("stray file %q", name)
		}
	}
}

func TestReopen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	want := storetest.SampleAPIKey("k1")
	err = db.Update(ctx, func(tx store.Tx) error {
		return errors.Join(tx.CreateAPI(ctx, storetest.SampleAPI("a1")), tx.CreateAPIKey(ctx, want))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	const versions = "SELECT count(*) FROM goose_db_version"
	applied := rawInt(t, path, versions)
	if applied < 2 { // goose's initial row plus each migration
		t.Fatalf("goose_db_version has %d rows", applied)
	}

	db = openAt(t, path)
	if n := rawInt(t, path, versions); n != applied {
		t.Errorf("reopening applied migrations again: %d version rows, had %d", n, applied)
	}
	rev, err := db.Revision(ctx)
	if err != nil || rev != 1 {
		t.Errorf("Revision after reopen = %d, %v; want 1", rev, err)
	}
	err = db.View(ctx, func(r store.Reader) error {
		got, err := r.GetAPIKeyByHash(ctx, want.LookupHash)
		if err != nil {
			return err
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("key after reopen (-want +got):\n%s", d)
		}
		_, err = r.GetAPI(ctx, "a1")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestRawFile checks the raw-read technique used to prove that a value
// never reaches the disk: a value given to the store is found in the
// database and WAL files after Close, a marker never given is not.
func TestRawFile(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	const (
		stored = "plain-name-7f3a1c"
		absent = "never-given-marker-91c2e4"
	)
	k := storetest.SampleAPIKey("k1")
	k.Name = stored
	k.LookupHash = []byte{0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04}
	k.SealedValue = []byte("sealed-bytes-5b8d")
	if err := db.Update(ctx, func(tx store.Tx) error { return tx.CreateAPIKey(ctx, k) }); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	var raw []byte
	for _, name := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(name)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		raw = append(raw, b...)
	}
	tests := []struct {
		name  string
		value []byte
		want  bool
	}{
		{"name", []byte(stored), true},
		{"lookup hash", k.LookupHash, true},
		{"sealed value", k.SealedValue, true},
		{"marker never stored", []byte(absent), false},
	}
	for _, tc := range tests {
		if got := bytes.Contains(raw, tc.value); got != tc.want {
			t.Errorf("%s in the raw files: %v, want %v", tc.name, got, tc.want)
		}
	}

	// The secret fields live only in their columns, not in the document.
	doc := rawString(t, path, "SELECT doc FROM api_keys WHERE id = 'k1'")
	for _, secret := range [][]byte{k.LookupHash, k.SealedValue} {
		if enc := base64.StdEncoding.EncodeToString(secret); bytes.Contains([]byte(doc), []byte(enc)) {
			t.Errorf("doc %s holds a secret field", doc)
		}
	}
}

// rawString returns the single text value query selects from path.
func rawString(t *testing.T, path, query string) string {
	t.Helper()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var s string
	if err := raw.QueryRowContext(t.Context(), query).Scan(&s); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return s
}

func TestChangeLog(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	db := openAt(t, path)
	err := db.Update(ctx, func(tx store.Tx) error {
		return errors.Join(
			tx.CreateAPI(ctx, storetest.SampleAPI("a1")),
			tx.CreateStage(ctx, storetest.SampleStage("a1", "prod", "d1")))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(ctx, func(tx store.Tx) error { return tx.DeleteAPI(ctx, "a1") }); err != nil {
		t.Fatal(err)
	}
	got := logRows(t, db)
	want := []store.Change{
		{Revision: 1, Kind: store.KindAPI, Op: store.OpPut, ID: "a1"},
		{Revision: 1, Kind: store.KindStage, Op: store.OpPut, APIID: "a1", ID: "prod"},
		{Revision: 2, Kind: store.KindStage, Op: store.OpDelete, APIID: "a1", ID: "prod"},
		{Revision: 2, Kind: store.KindAPI, Op: store.OpDelete, ID: "a1"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("change log (-want +got):\n%s", d)
	}

	if err := db.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]store.Change{{Revision: 3, Kind: store.KindResync}}, logRows(t, db)); d != "" {
		t.Errorf("change log after reset (-want +got):\n%s", d)
	}
}

// logRows returns the change log.
func logRows(t *testing.T, db *DB) []store.Change {
	t.Helper()
	rows, err := db.r.QueryContext(t.Context(), "SELECT revision, kind, op, api_id, id, key_id FROM changes ORDER BY seq")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []store.Change
	for rows.Next() {
		var c store.Change
		if err := rows.Scan(&c.Revision, &c.Kind, &c.Op, &c.APIID, &c.ID, &c.KeyID); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestChangeLogTrim(t *testing.T) {
	ctx := t.Context()
	db := openAt(t, filepath.Join(t.TempDir(), "gatehouse.db"))
	db.logSize = 10
	create := func(ids ...string) {
		t.Helper()
		err := db.Update(ctx, func(tx store.Tx) error {
			for _, id := range ids {
				if err := tx.CreateAPI(ctx, storetest.SampleAPI(id)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	create("a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8")
	create("b1", "b2", "b3", "b4", "b5")
	create("c1")
	var want []store.Change
	for _, id := range []string{"a5", "a6", "a7", "a8"} {
		want = append(want, store.Change{Revision: 1, Kind: store.KindAPI, Op: store.OpPut, ID: id})
	}
	for _, id := range []string{"b1", "b2", "b3", "b4", "b5"} {
		want = append(want, store.Change{Revision: 2, Kind: store.KindAPI, Op: store.OpPut, ID: id})
	}
	want = append(want, store.Change{Revision: 3, Kind: store.KindAPI, Op: store.OpPut, ID: "c1"})
	if d := cmp.Diff(want, logRows(t, db)); d != "" {
		t.Errorf("trimmed change log (-want +got):\n%s", d)
	}
}

func TestOpenContextCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "gatehouse.db"))
	if err == nil {
		db.Close()
		t.Fatal("Open with a canceled context succeeded")
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
}
