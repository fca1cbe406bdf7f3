package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// The usage journal.
//
// Usage is flushed every second. With many active keys (a million keys
// called round-robin touch tens of thousands a second) upserting each count
// into the usage table costs a random B-tree update per key, which rewrites
// most of the table's pages each second. So AddUsage appends the batch to
// usage_journal as compact blobs, which costs a sequential write the size
// of the batch, and the journal is folded into the usage table in sorted
// passes. Readers add the journal's records to the table's, so the split is
// invisible above this package.
//
// The journal is partitioned by the first byte of the key ids (about 62
// partitions for Gatehouse's ids), and a fold takes one partition at a
// time: its rows lie together in the usage table's key order, so the pass
// writes a dense run of pages, and a step is short enough (a fraction of a
// second with a million keys) that the next flush never waits long behind
// it, which keeps "kill -9 loses at most a second" true under load. A
// lookup of one key reads only its partition.

// journalFormat is the first byte of an encoded batch.
const journalFormat = 1

var errJournal = errors.New("malformed usage journal entry")

// encodeUsage encodes records (non-zero counts only) as a journal blob:
//
//	format byte 1
//	uvarint n, then n plan ids (uvarint length, bytes)
//	uvarint n, then n days (varint days since 1970-01-01)
//	uvarint n, then n records: uvarint plan index, uvarint day index,
//	    uvarint key id length, key id bytes, varint count
//
// Plans and days repeat across a batch; key ids do not.
func encodeUsage(recs []store.UsageRecord) []byte {
	plans, days := map[string]uint64{}, map[int64]uint64{}
	var planList []string
	var dayList []int64
	n := 0
	for _, u := range recs {
		if u.Count == 0 {
			continue
		}
		n++
		if _, ok := plans[u.PlanID]; !ok {
			plans[u.PlanID] = uint64(len(planList))
			planList = append(planList, u.PlanID)
		}
		d := dayNumber(u.Day)
		if _, ok := days[d]; !ok {
			days[d] = uint64(len(dayList))
			dayList = append(dayList, d)
		}
	}
	b := make([]byte, 0, 8+n*16)
	b = append(b, journalFormat)
	b = binary.AppendUvarint(b, uint64(len(planList)))
	for _, p := range planList {
		b = binary.AppendUvarint(b, uint64(len(p)))
		b = append(b, p...)
	}
	b = binary.AppendUvarint(b, uint64(len(dayList)))
	for _, d := range dayList {
		b = binary.AppendVarint(b, d)
	}
	b = binary.AppendUvarint(b, uint64(n))
	for _, u := range recs {
		if u.Count == 0 {
			continue
		}
		b = binary.AppendUvarint(b, plans[u.PlanID])
		b = binary.AppendUvarint(b, days[dayNumber(u.Day)])
		b = binary.AppendUvarint(b, uint64(len(u.KeyID)))
		b = append(b, u.KeyID...)
		b = binary.AppendVarint(b, u.Count)
	}
	return b
}

// dayNumber is the UTC day of t as days since 1970-01-01.
func dayNumber(t time.Time) int64 {
	return t.UTC().Unix() / 86400
}

// maxJournalDay bounds decoded day numbers to years 0001-9999 so that a
// corrupt entry cannot produce a time that does not format.
const (
	minJournalDay = -719162 // 0001-01-01
	maxJournalDay = 2932896 // 9999-12-31
)

// decodeUsage calls fn for each record of a journal blob, or only for
// those of plan and key when these are not "" (without allocating for the
// others). It returns an error, and stops, at the first malformed byte.
func decodeUsage(b []byte, plan, key string, fn func(store.UsageRecord)) error {
	d := journalDecoder{b: b}
	if len(b) == 0 || b[0] != journalFormat {
		return fmt.Errorf("%w: format byte %v, want %d", errJournal, b[:min(1, len(b))], journalFormat)
	}
	d.off = 1
	nPlans := d.count("plan count")
	plans := make([]string, 0, min(nPlans, 1024))
	for range nPlans {
		plans = append(plans, d.str("plan id"))
	}
	nDays := d.count("day count")
	days := make([]time.Time, 0, min(nDays, 1024))
	for range nDays {
		n := d.varint("day")
		if d.err == nil && (n < minJournalDay || n > maxJournalDay) {
			d.fail("day", fmt.Sprintf("%d is outside years 1-9999", n))
		}
		days = append(days, time.Unix(n*86400, 0).UTC())
	}
	nRecs := d.count("record count")
	for range nRecs {
		p, day := d.uvarint("plan index"), d.uvarint("day index")
		k := d.bytes("key id")
		count := d.varint("count")
		if d.err != nil {
			break
		}
		if p >= uint64(len(plans)) || day >= uint64(len(days)) {
			d.fail("record", fmt.Sprintf("plan index %d of %d, day index %d of %d", p, len(plans), day, len(days)))
			break
		}
		if (plan == "" || plans[p] == plan) && (key == "" || string(k) == key) {
			fn(store.UsageRecord{PlanID: plans[p], KeyID: string(k), Day: days[day], Count: count})
		}
	}
	if d.err == nil && d.off != len(b) {
		d.fail("end", fmt.Sprintf("%d bytes left over", len(b)-d.off))
	}
	return d.err
}

// journalDecoder reads a journal blob; the first error sticks.
type journalDecoder struct {
	b   []byte
	off int
	err error
}

func (d *journalDecoder) fail(what, why string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s at byte %d: %s", errJournal, what, d.off, why)
	}
}

func (d *journalDecoder) uvarint(what string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.fail(what, "bad uvarint")
		return 0
	}
	d.off += n
	return v
}

func (d *journalDecoder) varint(what string) int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b[d.off:])
	if n <= 0 {
		d.fail(what, "bad varint")
		return 0
	}
	d.off += n
	return v
}

// count reads a length that must fit in what is left (each item takes at
// least one byte), so that a corrupt count cannot make a huge loop.
func (d *journalDecoder) count(what string) int {
	v := d.uvarint(what)
	if d.err == nil && v > uint64(len(d.b)-d.off) {
		d.fail(what, fmt.Sprintf("%d items in %d bytes", v, len(d.b)-d.off))
	}
	if d.err != nil {
		return 0
	}
	return int(v)
}

func (d *journalDecoder) bytes(what string) []byte {
	n := d.uvarint(what + " length")
	if d.err == nil && n > uint64(len(d.b)-d.off) {
		d.fail(what, fmt.Sprintf("length %d past the end", n))
	}
	if d.err != nil {
		return nil
	}
	b := d.b[d.off : d.off+int(n)]
	d.off += int(n)
	return b
}

func (d *journalDecoder) str(what string) string { return string(d.bytes(what)) }

// Fold thresholds (DB.foldRecords, DB.foldAge). Once the journal holds
// foldRecords records, each flush folds its largest partition: at 25,000
// keys flushed a second the journal levels off around that size, each
// partition folding about once a minute. A batch foldAge old gets its
// partition folded at the next flush, so a quiet node's journal empties
// within minutes; Close folds everything.
const (
	defaultFoldRecords = 2_000_000
	defaultFoldAge     = 2 * time.Minute
)

// addUsage appends records to the journal and folds it when due.
func (t *tx) addUsage(ctx context.Context, records []store.UsageRecord) error {
	keep := make([]store.UsageRecord, 0, len(records))
	plans := map[string]bool{}
	for _, u := range records {
		if u.Count == 0 {
			continue
		}
		ok, seen := plans[u.PlanID]
		if !seen {
			var err error
			if ok, err = exists(ctx, t.q, "SELECT 1 FROM usage_plans WHERE id = ?", u.PlanID); err != nil {
				return err
			}
			plans[u.PlanID] = ok
		}
		if ok {
			keep = append(keep, u)
		}
	}
	if len(keep) == 0 {
		return nil
	}
	now := t.db.now()
	// One fold step before appending: the step's pass and this batch
	// commit together, and a flush never waits behind more than one step.
	if err := t.foldStep(ctx, now); err != nil {
		return err
	}
	slices.SortStableFunc(keep, func(a, b store.UsageRecord) int { return cmp.Compare(partOf(a.KeyID), partOf(b.KeyID)) })
	for i := 0; i < len(keep); {
		j := i + 1
		for j < len(keep) && partOf(keep[j].KeyID) == partOf(keep[i].KeyID) {
			j++
		}
		if _, err := t.q.ExecContext(ctx, "INSERT INTO usage_journal (part, created, records, data) VALUES (?, ?, ?, ?)",
			partOf(keep[i].KeyID), now.Unix(), j-i, encodeUsage(keep[i:j])); err != nil {
			return err
		}
		i = j
	}
	return nil
}

// partOf is the journal partition of a key id: its first byte.
func partOf(keyID string) int {
	if keyID == "" {
		return 0
	}
	return int(keyID[0])
}

// foldStep folds one partition when the journal is due: the partition of
// the oldest batch when that is foldAge old, else the largest partition
// when the journal holds foldRecords records.
func (t *tx) foldStep(ctx context.Context, now time.Time) error {
	var part, created int64
	err := t.q.QueryRowContext(ctx, "SELECT part, created FROM usage_journal ORDER BY seq LIMIT 1").Scan(&part, &created)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return err
	case now.Sub(time.Unix(created, 0)) >= t.db.foldAge:
		return t.foldUsage(ctx, &part)
	}
	var n int64
	if err := t.q.QueryRowContext(ctx, "SELECT COALESCE(SUM(records), 0) FROM usage_journal").Scan(&n); err != nil {
		return err
	}
	if n < t.db.foldRecords {
		return nil
	}
	if err := t.q.QueryRowContext(ctx, "SELECT part FROM usage_journal GROUP BY part ORDER BY SUM(records) DESC LIMIT 1").Scan(&part); err != nil {
		return err
	}
	return t.foldUsage(ctx, &part)
}

// usageRow names one row of the usage table.
type usageRow struct {
	plan, key string
	day       int64 // dayNumber
}

// foldUsage adds the journal's records of one partition (all when part is
// nil) into the usage table, in key order (so that the table's index is
// written front to back), and removes them from the journal. Records of
// plans deleted meanwhile are dropped.
func (t *tx) foldUsage(ctx context.Context, part *int64) error {
	sum := map[usageRow]int64{}
	var last int64
	err := t.eachJournal(ctx, part, func(seq int64, data []byte) error {
		last = seq
		return decodeUsage(data, "", "", func(u store.UsageRecord) {
			sum[usageRow{u.PlanID, u.KeyID, dayNumber(u.Day)}] += u.Count
		})
	})
	if err != nil || last == 0 {
		return err
	}
	rows := make([]usageRow, 0, len(sum))
	plans := map[string]bool{}
	for r, n := range sum {
		if n != 0 {
			rows = append(rows, r)
			plans[r.plan] = false
		}
	}
	for p := range plans {
		ok, err := exists(ctx, t.q, "SELECT 1 FROM usage_plans WHERE id = ?", p)
		if err != nil {
			return err
		}
		plans[p] = ok
	}
	slices.SortFunc(rows, func(a, b usageRow) int {
		return cmp.Or(strings.Compare(a.plan, b.plan), strings.Compare(a.key, b.key), cmp.Compare(a.day, b.day))
	})
	const batch = 128
	args := make([]any, 0, 4*batch)
	flush := func(query string) error {
		if _, err := t.q.ExecContext(ctx, query, args...); err != nil {
			return err
		}
		args = args[:0]
		return nil
	}
	for _, r := range rows {
		if !plans[r.plan] {
			continue
		}
		args = append(args, r.plan, r.key, time.Unix(r.day*86400, 0).UTC().Format(dayFormat), sum[r])
		if len(args) == cap(args) {
			if err := flush(upsertUsage(batch)); err != nil {
				return err
			}
		}
	}
	// The rest one row at a time: one more statement text, not one per size.
	for i := 0; i < len(args); i += 4 {
		if _, err := t.q.ExecContext(ctx, upsertUsage(1), args[i:i+4]...); err != nil {
			return err
		}
	}
	if part != nil {
		_, err = t.q.ExecContext(ctx, "DELETE FROM usage_journal WHERE part = ? AND seq <= ?", *part, last)
	} else {
		_, err = t.q.ExecContext(ctx, "DELETE FROM usage_journal WHERE seq <= ?", last)
	}
	return err
}

// upsertUsage returns the statement adding n rows of (plan_id, key_id,
// day, count) to usage.
func upsertUsage(n int) string {
	return "INSERT INTO usage (plan_id, key_id, day, count) VALUES " +
		strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?), ", n), ", ") +
		" ON CONFLICT (plan_id, key_id, day) DO UPDATE SET count = count + excluded.count"
}

// eachJournal calls fn with each journal batch of a partition (of all when
// part is nil) in order.
func (r reader) eachJournal(ctx context.Context, part *int64, fn func(seq int64, data []byte) error) error {
	var rows *sql.Rows
	var err error
	if part != nil {
		rows, err = r.q.QueryContext(ctx, "SELECT seq, data FROM usage_journal WHERE part = ? ORDER BY seq", *part)
	} else {
		rows, err = r.q.QueryContext(ctx, "SELECT seq, data FROM usage_journal ORDER BY seq")
	}
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var seq int64
		var data []byte
		if err := rows.Scan(&seq, &data); err != nil {
			return err
		}
		if err := fn(seq, data); err != nil {
			return fmt.Errorf("usage journal batch %d: %w", seq, err)
		}
	}
	return rows.Err()
}
