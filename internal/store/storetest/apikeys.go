package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

var keyCRUD = crud[apigw.APIKey]{
	sample: SampleAPIKey,
	mutate: func(k *apigw.APIKey) {
		k.Name = "renamed"
		k.Enabled = false
		k.CustomerID = "other"
		k.SealedValue = []byte("resealed")
	},
	create: func(ctx context.Context, tx store.Tx, k *apigw.APIKey) error { return tx.CreateAPIKey(ctx, k) },
	update: func(ctx context.Context, tx store.Tx, k *apigw.APIKey) error { return tx.UpdateAPIKey(ctx, k) },
	get: func(ctx context.Context, r store.Reader, id string) (*apigw.APIKey, error) {
		return r.GetAPIKey(ctx, id)
	},
	del: func(ctx context.Context, tx store.Tx, id string) error { return tx.DeleteAPIKey(ctx, id) },
}

func testAPIKeyByHash(t *testing.T, s store.Store) {
	k1, k2 := SampleAPIKey("k1"), SampleAPIKey("k2")
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		return errors.Join(tx.CreateAPIKey(ctx, k1), tx.CreateAPIKey(ctx, k2))
	})
	byHash := func(h []byte) (*apigw.APIKey, error) {
		var k *apigw.APIKey
		err := viewErr(t, s, func(ctx context.Context, r store.Reader) (err error) {
			k, err = r.GetAPIKeyByHash(ctx, h)
			return err
		})
		return k, err
	}
	for _, want := range []*apigw.APIKey{k1, k2} {
		got, err := byHash(want.LookupHash)
		if err != nil {
			t.Fatalf("GetAPIKeyByHash(%s): %v", want.ID, err)
		}
		diff(t, "key by hash", want, got)
	}
	_, err := byHash([]byte("no such hash"))
	wantErr(t, "unknown hash", err, store.ErrNotFound)

	dup := SampleAPIKey("k3")
	dup.LookupHash = k1.LookupHash
	err = updateErr(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateAPIKey(ctx, dup) })
	wantErr(t, "create with taken hash", err, store.ErrConflict)

	steal := SampleAPIKey("k2")
	steal.LookupHash = k1.LookupHash
	err = updateErr(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateAPIKey(ctx, steal) })
	wantErr(t, "update to taken hash", err, store.ErrConflict)

	rotated := SampleAPIKey("k1")
	rotated.LookupHash = []byte("rotated hash")
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateAPIKey(ctx, rotated) })
	_, err = byHash(k1.LookupHash)
	wantErr(t, "old hash after rotation", err, store.ErrNotFound)
	got, err := byHash(rotated.LookupHash)
	if err != nil {
		t.Fatalf("new hash after rotation: %v", err)
	}
	diff(t, "rotated key", rotated, got)

	// The old hash is free for another key now.
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateAPIKey(ctx, dup) })
}

func testKeyFilter(t *testing.T, s store.Store) {
	keys := []struct{ id, name, customer string }{
		{"k1", "Alpha1", "c1"},
		{"k2", "alpha2", "c1"},
		{"k3", "Alphabet", "c2"},
		{"k4", "Beta", "c1"},
		{"k5", "Al%pha", "c2"},
		{"k6", "Al_x", "c2"},
		{"k7", "Alpha7", "c1"},
	}
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, k := range keys {
			v := SampleAPIKey(k.id)
			v.Name, v.CustomerID = k.name, k.customer
			if err := tx.CreateAPIKey(ctx, v); err != nil {
				return err
			}
		}
		return nil
	})
	tests := []struct {
		name   string
		filter store.KeyFilter
		want   []string
	}{
		{"none", store.KeyFilter{}, []string{"k1", "k2", "k3", "k4", "k5", "k6", "k7"}},
		{"prefix is case-sensitive", store.KeyFilter{NamePrefix: "Alpha"}, []string{"k1", "k3", "k7"}},
		{"lower-case prefix", store.KeyFilter{NamePrefix: "alpha"}, []string{"k2"}},
		{"percent is literal", store.KeyFilter{NamePrefix: "Al%"}, []string{"k5"}},
		{"underscore is literal", store.KeyFilter{NamePrefix: "Al_"}, []string{"k6"}},
		{"whole name", store.KeyFilter{NamePrefix: "Beta"}, []string{"k4"}},
		{"longer than names", store.KeyFilter{NamePrefix: "Alphabetical"}, nil},
		{"customer", store.KeyFilter{CustomerID: "c2"}, []string{"k3", "k5", "k6"}},
		{"customer is exact", store.KeyFilter{CustomerID: "c"}, nil},
		{"both", store.KeyFilter{NamePrefix: "Alpha", CustomerID: "c1"}, []string{"k1", "k7"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Page one item at a time so that filtering and positions combine.
			var got []string
			pos := ""
			for i := 0; ; i++ {
				if i > len(keys) {
					t.Fatalf("pagination does not end: %v", got)
				}
				var (
					page []string
					next string
				)
				view(t, s, func(ctx context.Context, r store.Reader) (err error) {
					page, next, err = ids(r.ListAPIKeys(ctx, tc.filter, store.Page{Position: pos, Limit: 1}))(
						func(k *apigw.APIKey) string { return k.ID })
					return err
				})
				got = append(got, page...)
				if next == "" {
					break
				}
				pos = next
			}
			diff(t, "keys", tc.want, got)
		})
	}
}

func testDeleteAPIKeyCascade(t *testing.T, s store.Store) {
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		return errors.Join(
			tx.CreateUsagePlan(ctx, SampleUsagePlan("p1")),
			tx.CreateUsagePlan(ctx, SampleUsagePlan("p2")),
			tx.CreateAPIKey(ctx, SampleAPIKey("k1")),
			tx.CreateAPIKey(ctx, SampleAPIKey("k2")),
			tx.AddUsagePlanKey(ctx, "p1", "k1"),
			tx.AddUsagePlanKey(ctx, "p2", "k1"),
			tx.AddUsagePlanKey(ctx, "p1", "k2"))
	})
	changes := changesOf(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteAPIKey(ctx, "k1") })
	sameChanges(t, "changes of DeleteAPIKey", []store.Change{
		{Kind: store.KindUsagePlanKey, Op: store.OpDelete, ID: "p1", KeyID: "k1"},
		{Kind: store.KindUsagePlanKey, Op: store.OpDelete, ID: "p2", KeyID: "k1"},
		{Kind: store.KindAPIKey, Op: store.OpDelete, ID: "k1"},
	}, changes)
	// Recreating the key must not bring its memberships back.
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateAPIKey(ctx, SampleAPIKey("k1")) })
	view(t, s, func(ctx context.Context, r store.Reader) error {
		for _, p := range []string{"p1", "p2"} {
			has, err := r.HasUsagePlanKey(ctx, p, "k1")
			if err != nil || has {
				t.Errorf("HasUsagePlanKey(%s, k1) = %v, %v; want false", p, has, err)
			}
		}
		plans, err := r.ListUsagePlanIDsForKey(ctx, "k1")
		if err != nil || len(plans) != 0 {
			t.Errorf("ListUsagePlanIDsForKey(k1) = %v, %v; want none", plans, err)
		}
		keys, _, err := ids(r.ListUsagePlanKeys(ctx, "p1", store.Page{}))(func(k *apigw.APIKey) string { return k.ID })
		if err != nil {
			return err
		}
		diff(t, "keys of p1", []string{"k2"}, keys)
		byKey, _, err := r.ListUsagePlans(ctx, store.PlanFilter{KeyID: "k1"}, store.Page{})
		if err != nil || len(byKey) != 0 {
			t.Errorf("ListUsagePlans(key k1) = %d plans, %v; want none", len(byKey), err)
		}
		return nil
	})
}
