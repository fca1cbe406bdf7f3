package sqlite

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/internal/store/storetest"
)

func day(s string) time.Time {
	t, err := time.Parse(dayFormat, s)
	if err != nil {
		panic(err)
	}
	return t
}

func decodeAll(b []byte) ([]store.UsageRecord, error) {
	var out []store.UsageRecord
	err := decodeUsage(b, "", "", func(u store.UsageRecord) { out = append(out, u) })
	return out, err
}

func TestUsageJournalRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   []store.UsageRecord
		want []store.UsageRecord // nil: same as in
	}{
		{"empty", nil, nil},
		{"one", []store.UsageRecord{{PlanID: "p1", KeyID: "k1", Day: day("2026-11-22"), Count: 3}}, nil},
		{"plans and days shared, order kept", []store.UsageRecord{
			{PlanID: "p1", KeyID: "k2", Day: day("2026-11-22"), Count: 1},
			{PlanID: "p2", KeyID: "k1", Day: day("2026-11-21"), Count: 1 << 40},
			{PlanID: "p1", KeyID: "k1", Day: day("2026-11-21"), Count: -5},
			{PlanID: "p1", KeyID: "", Day: day("1969-12-31"), Count: 7},
		}, nil},
		{"zero counts dropped", []store.UsageRecord{
			{PlanID: "p1", KeyID: "k1", Day: day("2026-11-22"), Count: 0},
			{PlanID: "p1", KeyID: "k2", Day: day("2026-11-22"), Count: 2},
		}, []store.UsageRecord{{PlanID: "p1", KeyID: "k2", Day: day("2026-11-22"), Count: 2}}},
		{"a day given in another zone is its UTC day", []store.UsageRecord{
			{PlanID: "p", KeyID: "k", Day: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC).In(time.FixedZone("X", -5*3600)), Count: 1},
		}, []store.UsageRecord{{PlanID: "p", KeyID: "k", Day: day("2026-11-22"), Count: 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeAll(encodeUsage(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			if want == nil {
				want = tt.in
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUsageJournalRefusesMalformed(t *testing.T) {
	good := encodeUsage([]store.UsageRecord{{PlanID: "p1", KeyID: "k1", Day: day("2026-11-22"), Count: 3}})
	tests := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"unknown format", append([]byte{9}, good[1:]...)},
		{"truncated", good[:len(good)-1]},
		{"trailing bytes", append(append([]byte{}, good...), 0)},
		{"plan index out of range", []byte{1, 1, 1, 'p', 1, 0, 1, 5, 0, 1, 'k', 2}},
		{"huge plan count", []byte{1, 0xff, 0xff, 0xff, 0xff, 0x0f}},
		{"day out of range", []byte{1, 0, 1, 0xff, 0xff, 0xff, 0xff, 0x0f, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := decodeAll(tt.b); !errors.Is(err, errJournal) {
				t.Errorf("decode(%x) = %v, want errJournal", tt.b, err)
			}
		})
	}
}

// FuzzDecodeUsage: no input makes the decoder panic, and whatever it
// accepts survives a round trip.
func FuzzDecodeUsage(f *testing.F) {
	f.Add(encodeUsage([]store.UsageRecord{{PlanID: "p1", KeyID: "k1", Day: day("2026-11-22"), Count: 3}}))
	f.Add(encodeUsage([]store.UsageRecord{
		{PlanID: "p1", KeyID: "k2", Day: day("2026-11-22"), Count: 1},
		{PlanID: "p2", KeyID: "k1", Day: day("2026-11-21"), Count: -1},
	}))
	f.Add([]byte{1, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, err := decodeAll(b)
		if err != nil {
			return
		}
		var nonZero []store.UsageRecord
		for _, u := range recs {
			if u.Count != 0 {
				nonZero = append(nonZero, u)
			}
		}
		again, err := decodeAll(encodeUsage(recs))
		if err != nil {
			t.Fatalf("re-encoded records do not decode: %v", err)
		}
		if diff := cmp.Diff(nonZero, again); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
	})
}

// journalRows counts the journal's batches through db's own reader.
func journalRows(t *testing.T, db *DB) int64 {
	t.Helper()
	var n int64
	err := db.View(t.Context(), func(r store.Reader) error {
		return r.(reader).q.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM usage_journal").Scan(&n)
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func listAll(t *testing.T, db *DB, plan, key string) []store.UsageRecord {
	t.Helper()
	var out []store.UsageRecord
	err := db.View(t.Context(), func(r store.Reader) (err error) {
		out, err = r.ListUsage(t.Context(), plan, key, day("2026-01-01"), day("2026-12-31"))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func createPlans(t *testing.T, db *DB, ids ...string) {
	t.Helper()
	err := db.Update(t.Context(), func(tx store.Tx) error {
		for _, id := range ids {
			if err := tx.CreateUsagePlan(t.Context(), storetest.SampleUsagePlan(id)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestUsageJournalFolds: whether counts sit in the journal or have been
// folded into the table, ListUsage reports their sums; the journal folds
// once it holds foldRecords records, and when its oldest batch is foldAge
// old.
func TestUsageJournalFolds(t *testing.T) {
	db := openAt(t, filepath.Join(t.TempDir(), "gatehouse.db"))
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	db.now = func() time.Time { return now }
	db.foldRecords = 10
	createPlans(t, db, "p1", "p2")

	rng := rand.New(rand.NewPCG(3, 4))
	want := map[string]map[usageRow]int64{}
	folds := 0
	for call := range 60 {
		var recs []store.UsageRecord
		for range rng.IntN(4) + 1 {
			u := store.UsageRecord{
				// Keys in three journal partitions (first bytes a, b, c).
				PlanID: fmt.Sprintf("p%d", rng.IntN(2)+1), KeyID: fmt.Sprintf("%c%d", 'a'+rng.IntN(3), rng.IntN(5)),
				Day: day("2026-11-20").AddDate(0, 0, rng.IntN(3)), Count: int64(rng.IntN(5)),
			}
			recs = append(recs, u)
			if want[u.PlanID] == nil {
				want[u.PlanID] = map[usageRow]int64{}
			}
			want[u.PlanID][usageRow{u.PlanID, u.KeyID, dayNumber(u.Day)}] += u.Count
		}
		before := journalRows(t, db)
		parts := map[byte]bool{}
		for _, u := range recs {
			if u.Count != 0 {
				parts[u.KeyID[0]] = true
			}
		}
		if err := db.Update(t.Context(), func(tx store.Tx) error { return tx.AddUsage(t.Context(), recs) }); err != nil {
			t.Fatalf("call %d: %v", call, err)
		}
		if after := journalRows(t, db); after < before+int64(len(parts)) {
			folds++
		}
		if n := journalRecords(t, db); n > 3*db.foldRecords {
			t.Fatalf("call %d: the journal holds %d records with foldRecords %d: folds do not keep up", call, n, db.foldRecords)
		}
		for _, plan := range []string{"p1", "p2"} {
			var w []store.UsageRecord
			for r, n := range want[plan] {
				if n != 0 {
					w = append(w, store.UsageRecord{PlanID: plan, KeyID: r.key, Day: time.Unix(r.day*86400, 0).UTC(), Count: n})
				}
			}
			got := listAll(t, db, plan, "")
			if diff := cmp.Diff(w, got, cmpopts.SortSlices(func(a, b store.UsageRecord) bool {
				return a.KeyID < b.KeyID || a.KeyID == b.KeyID && a.Day.Before(b.Day)
			})); diff != "" {
				t.Fatalf("call %d, plan %s (-want +got):\n%s", call, plan, diff)
			}
		}
	}
	if folds < 5 {
		t.Errorf("%d folds in 60 calls of up to 4 records with foldRecords 10, want at least 5", folds)
	}

	// Age: a batch two minutes old folds at the next flush.
	db.foldRecords = 1 << 30
	add := func() {
		t.Helper()
		err := db.Update(t.Context(), func(tx store.Tx) error {
			return tx.AddUsage(t.Context(), []store.UsageRecord{{PlanID: "p1", KeyID: "k1", Day: day("2026-11-22"), Count: 1}})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	add()
	if n := journalRows(t, db); n == 0 {
		t.Fatal("journal empty right after a flush")
	}
	// Batches now sit in several partitions (k and some of a, b, c), all as
	// old as now. Once they are foldAge old, each flush folds the partition
	// of the oldest, one partition per flush.
	old := now
	now = now.Add(defaultFoldAge)
	aged := func() int64 {
		var n int64
		err := db.View(t.Context(), func(r store.Reader) error {
			return r.(reader).q.QueryRowContext(t.Context(), "SELECT COUNT(DISTINCT part) FROM usage_journal WHERE created <= ?", old.Unix()).Scan(&n)
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	parts := aged()
	if parts < 2 {
		t.Fatalf("%d partitions hold batches before aging, want several", parts)
	}
	for i := range parts {
		add()
		if got := aged(); got != parts-1-i {
			t.Fatalf("flush %d after aging: %d partitions hold aged batches, want %d", i+1, got, parts-1-i)
		}
	}
	if diff := cmp.Diff([]store.UsageRecord{{PlanID: "p1", KeyID: "k1", Day: day("2026-11-22"), Count: 5}}, listAll(t, db, "p1", "k1")); diff != "" {
		t.Errorf("k1 after the aged fold (-want +got):\n%s", diff)
	}
}

func journalRecords(t *testing.T, db *DB) int64 {
	t.Helper()
	var n int64
	err := db.View(t.Context(), func(r store.Reader) error {
		return r.(reader).q.QueryRowContext(t.Context(), "SELECT COALESCE(SUM(records), 0) FROM usage_journal").Scan(&n)
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestUsageJournalClose: Close folds the journal, and nothing is lost
// across a reopen, folded or not.
func TestUsageJournalClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	createPlans(t, db, "p1")
	recs := []store.UsageRecord{{PlanID: "p1", KeyID: "k1", Day: day("2026-11-22"), Count: 4}, {PlanID: "p1", KeyID: "k2", Day: day("2026-11-22"), Count: 2}}
	if err := db.Update(t.Context(), func(tx store.Tx) error { return tx.AddUsage(t.Context(), recs) }); err != nil {
		t.Fatal(err)
	}
	if n := journalRows(t, db); n != 1 {
		t.Fatalf("journal holds %d batches, want 1", n)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if n := rawInt(t, path, "SELECT COUNT(*) FROM usage_journal"); n != 0 {
		t.Errorf("journal holds %d batches after Close, want 0", n)
	}
	if n := rawInt(t, path, "SELECT SUM(count) FROM usage"); n != 6 {
		t.Errorf("usage table sums to %d after Close, want 6", n)
	}
	db = openAt(t, path)
	if diff := cmp.Diff(recs, listAll(t, db, "p1", "")); diff != "" {
		t.Errorf("after reopen (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(recs[1:], listAll(t, db, "p1", "k2")); diff != "" {
		t.Errorf("one key after reopen (-want +got):\n%s", diff)
	}
}

// BenchmarkAddUsageManyKeys measures one flush of 25,000 keys' usage (what
// a node serving 25,000 requests/s round-robin over a million keys
// flushes each second) into a store that already has a million usage
// rows, fold steps included at their natural rate. max-ms is the longest
// flush: how long the next flush may wait, which bounds what kill -9
// loses beyond the flush interval. Key ids start with one of 62
// characters, as Gatehouse's do.
func BenchmarkAddUsageManyKeys(b *testing.B) {
	const keys, perFlush = 1_000_000, 25_000
	db, err := Open(b.Context(), filepath.Join(b.TempDir(), "gatehouse.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := b.Context()
	if err := db.Update(ctx, func(tx store.Tx) error { return tx.CreateUsagePlan(ctx, storetest.SampleUsagePlan("p1")) }); err != nil {
		b.Fatal(err)
	}
	batch := func(start int) []store.UsageRecord {
		recs := make([]store.UsageRecord, perFlush)
		for i := range recs {
			recs[i] = store.UsageRecord{PlanID: "p1", KeyID: benchKeyID((start + i*40) % keys), Day: day("2026-11-22"), Count: 1}
		}
		return recs
	}
	for i := 0; i < keys; i += perFlush {
		recs := make([]store.UsageRecord, perFlush)
		for j := range recs {
			recs[j] = store.UsageRecord{PlanID: "p1", KeyID: benchKeyID(i + j), Day: day("2026-11-22"), Count: 1}
		}
		if err := db.Update(ctx, func(tx store.Tx) error { return tx.AddUsage(ctx, recs) }); err != nil {
			b.Fatal(err)
		}
	}
	if err := db.Update(ctx, func(t store.Tx) error { return t.(*tx).foldUsage(ctx, nil) }); err != nil {
		b.Fatal(err)
	}
	n := 0
	var longest time.Duration
	for b.Loop() {
		recs := batch(n)
		n++
		start := time.Now()
		if err := db.Update(ctx, func(tx store.Tx) error { return tx.AddUsage(ctx, recs) }); err != nil {
			b.Fatal(err)
		}
		longest = max(longest, time.Since(start))
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/perFlush, "ns/record")
	b.ReportMetric(float64(longest.Microseconds())/1000, "max-ms")
}

const idChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// benchKeyID is a key id for i: a first character spread like a random
// id's, then i.
func benchKeyID(i int) string {
	return fmt.Sprintf("%c%09d", idChars[(i*7919)%len(idChars)], i)
}
