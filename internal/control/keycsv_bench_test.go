package control

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/secret"
	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlite"
	"github.com/gatehouse-dev/gatehouse/internal/store/storetest"
)

// newImportService returns a Service on a fresh SQLite store holding API
// "a1" with stages "prod" and "beta" (deployment "d1"), ready for usage
// plans that cover them.
func newImportService(tb testing.TB) *Service {
	tb.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "import.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	keys, err := secret.New(make([]byte, 32))
	if err != nil {
		tb.Fatal(err)
	}
	err = db.Update(ctx, func(tx store.Tx) error {
		if err := tx.CreateAPI(ctx, storetest.SampleAPI("a1")); err != nil {
			return err
		}
		if err := tx.CreateDeployment(ctx, storetest.SampleDeployment("a1", "d1")); err != nil {
			return err
		}
		for _, st := range []string{"prod", "beta"} {
			if err := tx.CreateStage(ctx, storetest.SampleStage("a1", st, "d1")); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return New(Options{Store: db, Keys: keys})
}

// newStagePlan creates a usage plan covering the given stages of API "a1".
func newStagePlan(tb testing.TB, s *Service, name string, stages ...string) string {
	tb.Helper()
	in := CreateUsagePlanInput{Name: name}
	for _, st := range stages {
		in.APIStages = append(in.APIStages, apigw.APIStage{APIID: "a1", Stage: st})
	}
	p, err := s.CreateUsagePlan(context.Background(), in)
	if err != nil {
		tb.Fatal(err)
	}
	return p.ID
}

// TestImportAPIKeysPlanMembership pins down how an import adds keys to
// usage plans: one key per API stage across plans (also between plans
// named on one row, and between rows that repeat a value), a repeated
// membership is no warning, a missing plan warns on every row that names
// it, and ids come once each in the order of their first row.
func TestImportAPIKeysPlanMembership(t *testing.T) {
	ctx := context.Background()
	s := newImportService(t)
	p1 := newStagePlan(t, s, "p1", "prod")
	p2 := newStagePlan(t, s, "p2", "prod")
	p3 := newStagePlan(t, s, "p3", "beta")
	p4 := newStagePlan(t, s, "p4")

	const vA, vB, vC, vD, vE = "value-a-0123456789abcdef", "value-b-0123456789abcdef",
		"value-c-0123456789abcdef", "value-d-0123456789abcdef", "value-e-0123456789abcdef"
	existing, err := s.CreateAPIKey(ctx, CreateAPIKeyInput{Name: "e", Value: vE, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUsagePlanKey(ctx, p2, existing.ID, UsagePlanKeyType); err != nil {
		t.Fatal(err)
	}

	csv := "name,key,usageplanids\n" +
		"a," + vA + ",\"" + p1 + "," + p2 + "\"\n" + // line 2: p2 overlaps p1 (same row)
		"b," + vB + "," + p1 + "\n" + // line 3
		"a2," + vA + ",\"" + p3 + "," + p2 + "\"\n" + // line 4: same key as line 2; p2 overlaps p1
		"c," + vC + ",nosuch\n" + // line 5
		"d," + vD + ",nosuch\n" + // line 6
		"e," + vE + ",\"" + p1 + "," + p4 + "\"\n" + // line 7: existing key in p2 overlaps p1
		"b," + vB + "," + p1 + "\n" // line 8: already in p1
	res, err := s.ImportAPIKeys(ctx, []byte(csv), "csv", false)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.IDs) != 5 || res.IDs[4] != existing.ID {
		t.Fatalf("ids = %v, want 5 with the existing key %s last", res.IDs, existing.ID)
	}
	idA, idB, idC, idD := res.IDs[0], res.IDs[1], res.IDs[2], res.IDs[3]
	wantWarnings := []string{
		fmt.Sprintf("line 2: API Key %s is already in usage plan %s, which covers API stage a1:prod also covered by usage plan %s;", idA, p1, p2),
		fmt.Sprintf("line 4: API Key %s is already in usage plan %s, which covers API stage a1:prod also covered by usage plan %s;", idA, p1, p2),
		fmt.Sprintf("line 5: usage plan %q not found; key %s not added to it", "nosuch", idC),
		fmt.Sprintf("line 6: usage plan %q not found; key %s not added to it", "nosuch", idD),
		fmt.Sprintf("line 7: API Key %s is already in usage plan %s, which covers API stage a1:prod also covered by usage plan %s;", existing.ID, p2, p1),
	}
	if len(res.Warnings) != len(wantWarnings) {
		t.Fatalf("warnings = %q, want %d", res.Warnings, len(wantWarnings))
	}
	for i, w := range wantWarnings {
		if !strings.HasPrefix(res.Warnings[i], w) {
			t.Errorf("warning %d = %q, want it to start with %q", i, res.Warnings[i], w)
		}
	}

	wantPlans := map[string][]string{
		idA:         {p1, p3},
		idB:         {p1},
		idC:         nil,
		idD:         nil,
		existing.ID: {p2, p4},
	}
	err = s.Store().View(ctx, func(r store.Reader) error {
		for id, want := range wantPlans {
			got, err := r.ListUsagePlanIDsForKey(ctx, id)
			if err != nil {
				return err
			}
			if !slices.Equal(got, want) {
				t.Errorf("plans of key %s = %v, want %v", id, got, want)
			}
		}
		a, err := r.GetAPIKey(ctx, idA)
		if err != nil {
			return err
		}
		if a.Name != "a2" {
			t.Errorf("key of lines 2 and 4 is named %q, want the later row's a2", a.Name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// randomKeyValues returns n distinct-in-practice 40-character key values.
func randomKeyValues(n int) []string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	buf := make([]byte, n*40)
	rand.Read(buf)
	out := make([]string, n)
	for i := range out {
		b := buf[i*40 : (i+1)*40]
		for j := range b {
			b[j] = alphabet[int(b[j])%len(alphabet)]
		}
		out[i] = string(b)
	}
	return out
}

// importBenchKeys is how many keys BenchmarkImportAPIKeys imports; pass
// -args -import-bench-keys=1000000 for the bulk load the gateway is sized for.
var importBenchKeys = flag.Int("import-bench-keys", 100000, "keys BenchmarkImportAPIKeys imports, in calls of 10,000")

// BenchmarkImportAPIKeys imports -import-bench-keys new keys, 10,000 per
// call, into a usage plan that covers a stage, as an operator loading keys
// in bulk does. It reports the keys per second of the whole run and of the
// first and the last call, and fails when the last call is more than
// twice as slow as the first: the cost of a row must not grow with the
// table.
func BenchmarkImportAPIKeys(b *testing.B) {
	const importChunk = 10000
	importChunks := max(1, *importBenchKeys/importChunk)
	// A context that can end, as an HTTP request's does: the driver then
	// watches it during every statement.
	ctx := b.Context()
	values := randomKeyValues(importChunk * importChunks)
	var (
		first, last, total time.Duration
		calls              []string // per-call keys/s, for -v
	)
	for b.Loop() {
		s := newImportService(b)
		plan := newStagePlan(b, s, "bench", "prod")
		total, calls = 0, calls[:0]
		var csv strings.Builder
		for c := range importChunks {
			csv.Reset()
			csv.WriteString("Name,Key,Enabled,UsagePlanIds\n")
			for i := c * importChunk; i < (c+1)*importChunk; i++ {
				fmt.Fprintf(&csv, "bench-%07d,%s,true,%s\n", i, values[i], plan)
			}
			t0 := time.Now()
			res, err := s.ImportAPIKeys(ctx, []byte(csv.String()), "csv", true)
			d := time.Since(t0)
			if err != nil {
				b.Fatal(err)
			}
			if len(res.IDs) != importChunk {
				b.Fatalf("call %d: %d ids, want %d", c, len(res.IDs), importChunk)
			}
			total += d
			calls = append(calls, fmt.Sprintf("%.0f", importChunk/d.Seconds()))
			if c == 0 {
				first = d
			}
			last = d
		}
	}
	perSec := func(d time.Duration) float64 { return importChunk / d.Seconds() }
	b.ReportMetric(float64(importChunk*importChunks)/total.Seconds(), "keys/s")
	b.ReportMetric(perSec(first), "first-call-keys/s")
	b.ReportMetric(perSec(last), "last-call-keys/s")
	b.Logf("keys/s of each call of %d keys: %s", importChunk, strings.Join(calls, " "))
	if last > 2*first {
		b.Errorf("the last call (table at %d keys) took %v, more than twice the first's %v", importChunk*(importChunks-1), last, first)
	}
}
