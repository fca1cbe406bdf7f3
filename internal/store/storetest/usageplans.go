package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

var planCRUD = crud[apigw.UsagePlan]{
	sample: func(id string) *apigw.UsagePlan { return SampleUsagePlan(id, SampleAPIStage("a1", "prod")) },
	mutate: func(p *apigw.UsagePlan) {
		p.Quota = nil
		p.APIStages = append(p.APIStages, SampleAPIStage("a2", "dev"))
	},
	create: func(ctx context.Context, tx store.Tx, p *apigw.UsagePlan) error { return tx.CreateUsagePlan(ctx, p) },
	update: func(ctx context.Context, tx store.Tx, p *apigw.UsagePlan) error { return tx.UpdateUsagePlan(ctx, p) },
	get: func(ctx context.Context, r store.Reader, id string) (*apigw.UsagePlan, error) {
		return r.GetUsagePlan(ctx, id)
	},
	del: func(ctx context.Context, tx store.Tx, id string) error { return tx.DeleteUsagePlan(ctx, id) },
}

func testPlanFilter(t *testing.T, s store.Store) {
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, id := range []string{"p1", "p2", "p3", "p4"} {
			if err := tx.CreateUsagePlan(ctx, SampleUsagePlan(id)); err != nil {
				return err
			}
		}
		return errors.Join(
			tx.CreateAPIKey(ctx, SampleAPIKey("k1")),
			tx.CreateAPIKey(ctx, SampleAPIKey("k2")),
			tx.AddUsagePlanKey(ctx, "p3", "k1"),
			tx.AddUsagePlanKey(ctx, "p1", "k1"),
			tx.AddUsagePlanKey(ctx, "p4", "k1"),
			tx.AddUsagePlanKey(ctx, "p2", "k2"))
	})
	tests := []struct {
		keyID string
		want  []string
	}{
		{"", []string{"p1", "p2", "p3", "p4"}},
		{"k1", []string{"p1", "p3", "p4"}}, // plan order, not the order added
		{"k2", []string{"p2"}},
		{"nope", nil},
	}
	for _, tc := range tests {
		var (
			first, rest []string
			next        string
		)
		view(t, s, func(ctx context.Context, r store.Reader) (err error) {
			f := store.PlanFilter{KeyID: tc.keyID}
			first, next, err = ids(r.ListUsagePlans(ctx, f, store.Page{Limit: 2}))(func(p *apigw.UsagePlan) string { return p.ID })
			if err != nil || next == "" {
				return err
			}
			rest, next, err = ids(r.ListUsagePlans(ctx, f, store.Page{Position: next, Limit: 2}))(func(p *apigw.UsagePlan) string { return p.ID })
			if next != "" {
				t.Errorf("key %q: third page expected none, position %q", tc.keyID, next)
			}
			return err
		})
		diff(t, "plans of key "+tc.keyID, tc.want, append(first, rest...))
	}
}

func testUsagePlanKeys(t *testing.T, s store.Store) {
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		return errors.Join(
			tx.CreateUsagePlan(ctx, SampleUsagePlan("p1")),
			tx.CreateUsagePlan(ctx, SampleUsagePlan("p2")),
			tx.CreateAPIKey(ctx, SampleAPIKey("k1")),
			tx.CreateAPIKey(ctx, SampleAPIKey("k2")),
			tx.AddUsagePlanKey(ctx, "p1", "k2"),
			tx.AddUsagePlanKey(ctx, "p1", "k1"),
			tx.AddUsagePlanKey(ctx, "p2", "k1"))
	})
	err := updateErr(t, s, func(ctx context.Context, tx store.Tx) error { return tx.AddUsagePlanKey(ctx, "p1", "k1") })
	wantErr(t, "adding a key twice", err, store.ErrConflict)

	type state struct {
		Has      map[string]bool
		P1Keys   []*apigw.APIKey
		PlansOf1 []string
		PlansOf2 []string
	}
	read := func() state {
		st := state{Has: map[string]bool{}}
		view(t, s, func(ctx context.Context, r store.Reader) (err error) {
			for _, pk := range [][2]string{{"p1", "k1"}, {"p1", "k2"}, {"p2", "k1"}, {"p2", "k2"}} {
				has, err := r.HasUsagePlanKey(ctx, pk[0], pk[1])
				if err != nil {
					return err
				}
				st.Has[pk[0]+"/"+pk[1]] = has
			}
			if st.P1Keys, _, err = r.ListUsagePlanKeys(ctx, "p1", store.Page{}); err != nil {
				return err
			}
			if st.PlansOf1, err = r.ListUsagePlanIDsForKey(ctx, "k1"); err != nil {
				return err
			}
			st.PlansOf2, err = r.ListUsagePlanIDsForKey(ctx, "k2")
			return err
		})
		return st
	}
	diff(t, "after adding", state{
		Has:      map[string]bool{"p1/k1": true, "p1/k2": true, "p2/k1": true, "p2/k2": false},
		P1Keys:   []*apigw.APIKey{SampleAPIKey("k2"), SampleAPIKey("k1")},
		PlansOf1: []string{"p1", "p2"},
		PlansOf2: []string{"p1"},
	}, read())

	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.RemoveUsagePlanKey(ctx, "p1", "k2") })
	diff(t, "after removing", state{
		Has:      map[string]bool{"p1/k1": true, "p1/k2": false, "p2/k1": true, "p2/k2": false},
		P1Keys:   []*apigw.APIKey{SampleAPIKey("k1")},
		PlansOf1: []string{"p1", "p2"},
		PlansOf2: nil,
	}, read())
	err = updateErr(t, s, func(ctx context.Context, tx store.Tx) error { return tx.RemoveUsagePlanKey(ctx, "p1", "k2") })
	wantErr(t, "removing a key twice", err, store.ErrNotFound)
}

func testDeleteUsagePlanCascade(t *testing.T, s store.Store) {
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		return errors.Join(
			tx.CreateUsagePlan(ctx, SampleUsagePlan("p1")),
			tx.CreateUsagePlan(ctx, SampleUsagePlan("p2")),
			tx.CreateAPIKey(ctx, SampleAPIKey("k1")),
			tx.AddUsagePlanKey(ctx, "p1", "k1"),
			tx.AddUsagePlanKey(ctx, "p2", "k1"),
			tx.AddUsage(ctx, []store.UsageRecord{
				{PlanID: "p1", KeyID: "k1", Day: day(1), Count: 5},
				{PlanID: "p2", KeyID: "k1", Day: day(1), Count: 7},
			}),
			tx.SetQuotaAdjustment(ctx, store.QuotaAdjustment{PlanID: "p1", KeyID: "k1", PeriodStart: day(1), Delta: 3}),
			tx.SetQuotaAdjustment(ctx, store.QuotaAdjustment{PlanID: "p2", KeyID: "k1", PeriodStart: day(1), Delta: 4}))
	})
	changes := changesOf(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteUsagePlan(ctx, "p1") })
	sameChanges(t, "changes of DeleteUsagePlan", []store.Change{
		{Kind: store.KindUsagePlanKey, Op: store.OpDelete, ID: "p1", KeyID: "k1"},
		{Kind: store.KindUsagePlan, Op: store.OpDelete, ID: "p1"},
	}, changes)
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateUsagePlan(ctx, SampleUsagePlan("p1")) })

	type state struct {
		P1Keys, PlansOfK1 []string
		Usage1, Usage2    []store.UsageRecord
		Adj1, Adj2        []store.QuotaAdjustment
	}
	var got state
	view(t, s, func(ctx context.Context, r store.Reader) (err error) {
		if got.P1Keys, _, err = ids(r.ListUsagePlanKeys(ctx, "p1", store.Page{}))(func(k *apigw.APIKey) string { return k.ID }); err != nil {
			return err
		}
		if got.PlansOfK1, err = r.ListUsagePlanIDsForKey(ctx, "k1"); err != nil {
			return err
		}
		if got.Usage1, err = r.ListUsage(ctx, "p1", "", day(1), day(31)); err != nil {
			return err
		}
		if got.Usage2, err = r.ListUsage(ctx, "p2", "", day(1), day(31)); err != nil {
			return err
		}
		if got.Adj1, err = r.ListQuotaAdjustments(ctx, "p1", ""); err != nil {
			return err
		}
		got.Adj2, err = r.ListQuotaAdjustments(ctx, "p2", "")
		return err
	})
	diff(t, "after deleting and recreating p1", state{
		P1Keys:    []string{},
		PlansOfK1: []string{"p2"},
		Usage2:    []store.UsageRecord{{PlanID: "p2", KeyID: "k1", Day: day(1), Count: 7}},
		Adj2:      []store.QuotaAdjustment{{PlanID: "p2", KeyID: "k1", PeriodStart: day(1), Delta: 4}},
	}, got)
}
