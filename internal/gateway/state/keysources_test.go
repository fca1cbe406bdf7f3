package state

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

func TestNewKeySources(t *testing.T) {
	tests := []struct {
		name string
		tags map[string]string
		want KeySources
	}{
		{"none", nil, KeySources{}},
		{"other tags only", map[string]string{"team": "a", apigw.TagReasonHeader: "true"}, KeySources{}},
		{"all three", map[string]string{apigw.TagAPIKeyHeader: "x-key, x-client-key", apigw.TagAPIKeyQuery: "apiKey", apigw.TagAPIKeyBearer: "true"},
			KeySources{Headers: []string{"X-Key", "X-Client-Key"}, Query: "apiKey", Bearer: true}},
		{"bearer false", map[string]string{apigw.TagAPIKeyBearer: "false"}, KeySources{}},
		// Stored before the rules existed: left out and named.
		{"invalid values", map[string]string{apigw.TagAPIKeyHeader: "Host", apigw.TagAPIKeyQuery: "a b", apigw.TagAPIKeyBearer: "yes"},
			KeySources{Invalid: "gatehouse:apiKeyHeader, gatehouse:apiKeyQuery, gatehouse:apiKeyBearer"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := newKeySources(tt.tags)
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreUnexported(KeySources{}), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("newKeySources mismatch (-want +got):\n%s", diff)
			}
			if want := append(append([]string(nil), tt.want.Headers...), "Authorization"); !cmp.Equal(got.StripHeaders(true), want) {
				t.Errorf("StripHeaders(true) = %q, want %q", got.StripHeaders(true), want)
			}
			if !cmp.Equal(got.StripHeaders(false), got.Headers) {
				t.Errorf("StripHeaders(false) = %q, want %q", got.StripHeaders(false), got.Headers)
			}
		})
	}
}

// TestKeySourceTagsApplyLive: a tag change on a RestApi is an API change
// that rebuilds its state.API, without a deployment and without touching
// the stages' compiled tables.
func TestKeySourceTagsApplyLive(t *testing.T) {
	db := openStore(t)
	seed(t, db)
	s := listening(t, db)
	before := stageOf(s, "a1", "prod").Table
	setTags := func(tags map[string]string) {
		update(t, db, func(ctx context.Context, tx store.Tx) error {
			a, err := tx.GetAPI(ctx, "a1")
			if err != nil {
				return err
			}
			a.Tags = tags
			return tx.UpdateAPI(ctx, a)
		})
	}
	setTags(map[string]string{apigw.TagAPIKeyQuery: "apiKey", apigw.TagAPIKeyHeader: "x-key"})
	ks := s.API("a1").KeySources
	if ks.Query != "apiKey" || !cmp.Equal(ks.Headers, []string{"X-Key"}) || ks.Bearer {
		t.Fatalf("after tagging: %+v", ks)
	}
	if got := stageOf(s, "a1", "prod").Table; got != before {
		t.Error("a tag change recompiled the stage table; want the cached one")
	}
	setTags(nil)
	if ks := s.API("a1").KeySources; ks.Query != "" || len(ks.Headers) != 0 {
		t.Fatalf("after untagging: %+v", ks)
	}
}
