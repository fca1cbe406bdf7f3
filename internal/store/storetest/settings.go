package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/store"
)

func testSettings(t *testing.T, s store.Store) {
	get := func(name string) (string, error) {
		var v string
		err := viewErr(t, s, func(ctx context.Context, r store.Reader) (err error) {
			v, err = r.GetSetting(ctx, name)
			return err
		})
		return v, err
	}
	_, err := get("check")
	wantErr(t, "unset setting", err, store.ErrNotFound)

	ch := subscribe(t, s)
	before := revision(t, s)
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.PutSetting(ctx, "check", "v1") })
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		// The transaction sees its own write, and a second put replaces.
		if err := tx.PutSetting(ctx, "check", "v2"); err != nil {
			return err
		}
		if v, err := tx.GetSetting(ctx, "check"); err != nil || v != "v2" {
			return errors.Join(err, errors.New("GetSetting in the transaction = "+v+", want v2"))
		}
		return tx.PutSetting(ctx, "other", "")
	})
	if rev := revision(t, s); rev != before {
		t.Errorf("revision after settings writes = %d, want %d (unchanged)", rev, before)
	}
	got := map[string]string{}
	for _, name := range []string{"check", "other"} {
		v, err := get(name)
		if err != nil {
			t.Fatalf("GetSetting(%q): %v", name, err)
		}
		got[name] = v
	}
	diff(t, "settings", map[string]string{"check": "v2", "other": ""}, got)

	// A failed transaction keeps the old value.
	boom := errors.New("boom")
	err = updateErr(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.PutSetting(ctx, "check", "lost"); err != nil {
			return err
		}
		return boom
	})
	wantErr(t, "failed update", err, boom)
	if v, err := get("check"); err != nil || v != "v2" {
		t.Errorf("after a rolled back put: %q, %v; want v2", v, err)
	}

	// Reset keeps settings, and no settings write was published: the
	// first change the subscriber sees is the reset's.
	if err := s.Reset(t.Context()); err != nil {
		t.Fatalf("Reset: %v", err)
	}
	if c := recv(t, ch); c.Kind != store.KindResync {
		t.Errorf("first published change = %+v, want the reset's resync", c)
	}
	if v, err := get("check"); err != nil || v != "v2" {
		t.Errorf("after Reset: %q, %v; want v2", v, err)
	}
}
