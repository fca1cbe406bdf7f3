package postgres

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/internal/store/postgres/pgtest"
	"github.com/gatehouse-dev/gatehouse/internal/store/storetest"
)

// openAt opens the database at url and closes it at cleanup.
func openAt(t *testing.T, url string) *DB {
	t.Helper()
	db, err := Open(t.Context(), url)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return openAt(t, pgtest.Database(t))
	})
}

// raw connects to url outside DB.
func raw(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// appliedMigrations counts the migrations goose recorded as applied.
func appliedMigrations(t *testing.T, c *pgx.Conn) int {
	t.Helper()
	var n int
	if err := c.QueryRow(t.Context(), "SELECT count(*) FROM goose_db_version WHERE version_id > 0 AND is_applied").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// waitFor polls cond (a query of the server's state, not a timer standing
// in for one) until it holds, failing the test after a bound.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestConcurrentMigrate: nodes opening one fresh database at once queue on
// the migration lock; each finds the schema complete and the migrations
// are applied once.
func TestConcurrentMigrate(t *testing.T) {
	url := pgtest.Database(t)
	holder := raw(t, url)
	if _, err := holder.Exec(t.Context(), "SELECT pg_advisory_lock($1)", migrationLock); err != nil {
		t.Fatal(err)
	}
	const openers = 3
	type result struct {
		db  *DB
		err error
	}
	results := make(chan result, openers)
	for range openers {
		go func() {
			db, err := Open(t.Context(), url)
			results <- result{db, err}
		}()
	}
	// Every opener is waiting for the lock: none can have touched the schema.
	waitFor(t, "the openers to queue on the migration lock", func() bool {
		var n int
		err := holder.QueryRow(t.Context(),
			`SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&n)
		return err == nil && n == openers
	})
	var tables int
	if err := holder.QueryRow(t.Context(), "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()").Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Fatalf("%d tables exist while the openers wait for the lock", tables)
	}
	if _, err := holder.Exec(t.Context(), "SELECT pg_advisory_unlock($1)", migrationLock); err != nil {
		t.Fatal(err)
	}
	for i := range openers {
		r := <-results
		if r.err != nil {
			t.Fatalf("opener %d: %v", i, r.err)
		}
		t.Cleanup(func() { r.db.Close() })
		// Each store works.
		id := fmt.Sprint("a", i)
		if err := r.db.Update(t.Context(), func(tx store.Tx) error { return tx.CreateAPI(t.Context(), storetest.SampleAPI(id)) }); err != nil {
			t.Fatalf("opener %d: Update: %v", i, err)
		}
	}
	if n, want := appliedMigrations(t, holder), migrationCount(t); n != want {
		t.Errorf("%d migrations recorded as applied, want %d", n, want)
	}
	// The lock is free again: no opener kept it.
	var free bool
	if err := holder.QueryRow(t.Context(), "SELECT pg_try_advisory_lock($1)", migrationLock).Scan(&free); err != nil || !free {
		t.Fatalf("migration lock after the openers: free = %v, %v", free, err)
	}
}

// TestReopen: a second Open of a migrated database applies nothing and
// finds the data.
func TestReopen(t *testing.T) {
	url := pgtest.Database(t)
	db := openAt(t, url)
	if err := db.Update(t.Context(), func(tx store.Tx) error { return tx.CreateAPI(t.Context(), storetest.SampleAPI("a1")) }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = openAt(t, url)
	if rev, err := db.Revision(t.Context()); err != nil || rev != 1 {
		t.Fatalf("Revision after reopening = %d, %v; want 1", rev, err)
	}
	if n, want := appliedMigrations(t, raw(t, url)), migrationCount(t); n != want {
		t.Errorf("%d migrations recorded as applied, want %d", n, want)
	}
}

// TestOpenErrorHidesPassword: a failed connection names the server with
// the password masked.
func TestOpenErrorHidesPassword(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	// Port 1 on loopback refuses at once.
	_, err := Open(ctx, "postgres://gh:hunter2@127.0.0.1:1/gatehouse?connect_timeout=5")
	if err == nil {
		t.Fatal("Open of a closed port succeeded")
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error shows the password: %v", err)
	}
	if err := ParseURL("postgres://gh:hunter2@db:notaport/x"); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("ParseURL(bad port) = %v; want an error without the password", err)
	}
}

// TestRetry: an Update that PostgreSQL aborts as a serialization failure
// runs again and commits once; the failed attempt's writes and changes
// are gone.
func TestRetry(t *testing.T) {
	db := openAt(t, pgtest.Database(t))
	ctx := t.Context()
	if err := db.Update(ctx, func(tx store.Tx) error { return tx.CreateUsagePlan(ctx, storetest.SampleUsagePlan("p1")) }); err != nil {
		t.Fatal(err)
	}
	ch, cancel := db.Subscribe()
	defer cancel()

	// Two Updates read the plan, then both write it: under SERIALIZABLE
	// one must be aborted (the first updater wins) and run again.
	var (
		mu    sync.Mutex
		runs  = map[string]int{}
		ready sync.WaitGroup
		both  = make(chan struct{})
	)
	ready.Add(2)
	go func() { ready.Wait(); close(both) }()
	write := func(name string) error {
		first := true
		return db.Update(ctx, func(tx store.Tx) error {
			mu.Lock()
			runs[name]++
			mu.Unlock()
			p, err := tx.GetUsagePlan(ctx, "p1")
			if err != nil {
				return err
			}
			if first {
				// Both transactions have their snapshot before either writes.
				first = false
				ready.Done()
				<-both
			}
			p.Description = name
			return tx.UpdateUsagePlan(ctx, p)
		})
	}
	errs := make(chan error, 2)
	for _, name := range []string{"x", "y"} {
		go func() { errs <- write(name) }()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("Update: %v", err)
		}
	}
	if total := runs["x"] + runs["y"]; total < 3 {
		t.Fatalf("fn ran %v times; want one retry at least (a serialization failure)", runs)
	}
	if rev, err := db.Revision(ctx); err != nil || rev != 3 {
		t.Fatalf("Revision = %d, %v; want 3 (one per committed Update)", rev, err)
	}
	// Exactly two commits were published, in revision order.
	for _, want := range []int64{2, 3} {
		select {
		case commit := <-ch:
			if len(commit) != 1 || commit[0].Revision != want || commit[0].Kind != store.KindUsagePlan {
				t.Fatalf("commit %+v, want one usage plan put at revision %d", commit, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no commit %d", want)
		}
	}
	select {
	case commit := <-ch:
		t.Fatalf("extra commit published: %+v", commit)
	default:
	}
}

// TestUnstorableStrings: a string PostgreSQL text cannot hold (NUL, bad
// UTF-8) finds nothing when looked up and fails a write with a clear
// error, without aborting the transaction.
func TestUnstorableStrings(t *testing.T) {
	db := openAt(t, pgtest.Database(t))
	ctx := t.Context()
	for _, bad := range []string{"a\x00b", "a\xffb"} {
		t.Run(fmt.Sprintf("%q", bad), func(t *testing.T) {
			err := db.Update(ctx, func(tx store.Tx) error {
				_, err := tx.GetAPI(ctx, bad)
				if !errors.Is(err, store.ErrNotFound) {
					t.Errorf("GetAPI: %v, want ErrNotFound", err)
				}
				keys, _, err := tx.ListAPIKeys(ctx, store.KeyFilter{NamePrefix: bad}, store.Page{})
				if err != nil || len(keys) != 0 {
					t.Errorf("ListAPIKeys: %d, %v; want none", len(keys), err)
				}
				if err := tx.DeleteUsagePlan(ctx, bad); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("DeleteUsagePlan: %v, want ErrNotFound", err)
				}
				k := storetest.SampleAPIKey("k1")
				k.Name = bad
				if err := tx.CreateAPIKey(ctx, k); !errors.Is(err, errUnstorable) {
					t.Errorf("CreateAPIKey with name %q: %v, want errUnstorable", bad, err)
				}
				// The transaction goes on.
				return tx.CreateAPI(ctx, storetest.SampleAPI("ok"))
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Update(ctx, func(tx store.Tx) error { return tx.DeleteAPI(ctx, "ok") }); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestChangeLog: committed changes are in the change log with their
// revision; rolled-back ones are not.
func TestChangeLog(t *testing.T) {
	url := pgtest.Database(t)
	db := openAt(t, url)
	ctx := t.Context()
	db.logSize = 3
	for i := range 3 {
		err := db.Update(ctx, func(tx store.Tx) error {
			return errors.Join(
				tx.CreateAPI(ctx, storetest.SampleAPI(fmt.Sprint("a", i))),
				tx.CreateUsagePlan(ctx, &apigw.UsagePlan{ID: fmt.Sprint("p", i)}))
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	boom := errors.New("boom")
	if err := db.Update(ctx, func(tx store.Tx) error {
		return errors.Join(tx.CreateAPI(ctx, storetest.SampleAPI("gone")), boom)
	}); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	rows, err := raw(t, url).Query(ctx, "SELECT revision, kind, op, id FROM changes ORDER BY seq")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var rev int64
		var kind, op, id string
		if err := rows.Scan(&rev, &kind, &op, &id); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprint(rev, " ", kind, " ", op, " ", id))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	// At most 3 rows, whole commits only: revision 2 goes with its first row.
	want := []string{"3 api put a2", "3 usageplan put p2"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("change log (last 3 rows):\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// A commit of more changes than the log holds is logged as a resync.
	if err := db.Update(ctx, func(tx store.Tx) error {
		var errs []error
		for i := range 4 {
			errs = append(errs, tx.CreateAPI(ctx, storetest.SampleAPI(fmt.Sprint("big", i))))
		}
		return errors.Join(errs...)
	}); err != nil {
		t.Fatal(err)
	}
	var logged []string
	err = raw(t, url).QueryRow(ctx, "SELECT array_agg(revision::text || ' ' || kind ORDER BY seq) FROM changes").Scan(&logged)
	if err != nil {
		t.Fatal(err)
	}
	if want := "3 api 3 usageplan 4 resync"; strings.Join(logged, " ") != want {
		t.Fatalf("change log after an oversized commit: %q, want %q", logged, want)
	}
}

// migrationCount is the number of embedded migrations.
func migrationCount(t *testing.T) int {
	t.Helper()
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("embedded migrations: %v, %d files", err, len(files))
	}
	return len(files)
}
