package doctor_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/control"
	"github.com/gatehouse-dev/gatehouse/internal/doctor"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// BenchmarkRunKeys measures a run over many API keys: half in a plan on
// a deployed stage, a quarter in no plan, a quarter in a plan on no
// stage. Keys are written straight to the store (control would seal each
// value, which is not what is measured). Run it with
// -bench RunKeys -benchtime 1x; the sizes are the sub-benchmarks.
func BenchmarkRunKeys(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			bl := newBuilder(b)
			api := bl.api("big", "")
			bl.method(api, api.RootResourceID, "GET", control.PutMethodInput{APIKeyRequired: true}, false)
			bl.deploy(api, "prod")
			on := bl.plan("on", []apigw.APIStage{{APIID: api.ID, Stage: "prod"}}, nil, nil)
			off := bl.plan("off", nil, nil, nil)
			ctx := context.Background()
			err := bl.db.Update(ctx, func(tx store.Tx) error {
				for i := range n {
					id := fmt.Sprintf("k%09d", i)
					if err := tx.CreateAPIKey(ctx, &apigw.APIKey{ID: id, Name: id, Enabled: true, LookupHash: []byte(id), Last4: "0000"}); err != nil {
						return err
					}
					var err error
					switch i % 4 {
					case 0, 1:
						err = tx.AddUsagePlanKey(ctx, on.ID, id)
					case 2:
						err = tx.AddUsagePlanKey(ctx, off.ID, id)
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
			var before runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			b.ResetTimer()
			for b.Loop() {
				rep := bl.run(doctor.Options{})
				if len(rep.Findings) > 2*1000+1 {
					b.Fatalf("%d findings kept, more than the cap", len(rep.Findings))
				}
				if got := rep.Counts.Warning; got != n/2+1 { // n/4 + n/4 keys, plan "off"
					b.Fatalf("warnings = %d, want %d", got, n/2+1)
				}
			}
			b.StopTimer()
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N)/float64(n), "B/key")
		})
	}
}
