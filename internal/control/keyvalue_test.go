package control

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/patch"
)

// TestKeyValueGivenForID: every operation that expects an API key id and
// is given a string that is an existing key's value answers AWS's
// NotFoundException text followed by the sentence naming the key's id,
// never the value; an unknown string keeps AWS's text alone; and a failed
// write changes nothing.
func TestKeyValueGivenForID(t *testing.T) {
	ctx := context.Background()
	now := day("2026-03-04").Add(15 * time.Hour)
	s := newTestService(t, &now)
	const value = "confused-user-key-value-0001"
	k, err := s.CreateAPIKey(ctx, CreateAPIKeyInput{Name: "mobile", Enabled: true, Value: value})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := s.CreateUsagePlan(ctx, CreateUsagePlanInput{Name: "gold", Quota: &apigw.Quota{Limit: 10, Period: apigw.PeriodDay}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUsagePlanKey(ctx, plan.ID, k.ID, UsagePlanKeyType); err != nil {
		t.Fatal(err)
	}
	arn := "arn:aws:apigateway:us-east-1::/apikeys/"
	ops := []struct {
		name string
		call func(given string) error
	}{
		{"GetApiKey", func(g string) error { _, err := s.GetAPIKey(ctx, g, false); return err }},
		{"UpdateApiKey", func(g string) error {
			_, err := s.UpdateAPIKey(ctx, g, []patch.Op{{Op: patch.Replace, Path: "/name", Value: "renamed"}})
			return err
		}},
		{"DeleteApiKey", func(g string) error { return s.DeleteAPIKey(ctx, g) }},
		{"CreateUsagePlanKey", func(g string) error {
			_, err := s.CreateUsagePlanKey(ctx, plan.ID, g, UsagePlanKeyType)
			return err
		}},
		{"GetUsagePlanKey", func(g string) error { _, err := s.GetUsagePlanKey(ctx, plan.ID, g); return err }},
		{"DeleteUsagePlanKey", func(g string) error { return s.DeleteUsagePlanKey(ctx, plan.ID, g) }},
		{"GetUsage", func(g string) error {
			_, err := s.GetUsage(ctx, plan.ID, GetUsageInput{KeyID: g, StartDate: "2026-03-01", EndDate: "2026-03-04"})
			return err
		}},
		{"UpdateUsage", func(g string) error {
			_, err := s.UpdateUsage(ctx, plan.ID, g, []patch.Op{{Op: patch.Replace, Path: "/remaining", Value: "5"}})
			return err
		}},
		{"GetTags", func(g string) error { _, err := s.GetTags(ctx, arn+g); return err }},
		{"TagResource", func(g string) error { return s.TagResource(ctx, arn+g, map[string]string{"team": "a"}) }},
	}
	want := "Invalid API Key identifier specified. (The string given is the value of API key " + k.ID + "; pass its id.)"
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			err := op.call(value)
			if KindOf(err) != KindNotFound {
				t.Fatalf("given the value: %v (kind %v), want NotFound", err, KindOf(err))
			}
			if err.Error() != want {
				t.Errorf("given the value: message %q, want %q", err.Error(), want)
			}
			if strings.Contains(err.Error(), value) {
				t.Error("the message repeats the key value")
			}
			// A string that is no key's value (of a value's length, and of
			// an id's) gets AWS's text alone, except GetUsage, which
			// answers an unknown keyId with an empty report as AWS does.
			for _, other := range []string{"not-a-key-value-at-all-xx", "abcdefghij"} {
				err := op.call(other)
				if op.name == "GetUsage" {
					if err != nil {
						t.Errorf("GetUsage(%q): %v, want an empty report", other, err)
					}
					continue
				}
				if KindOf(err) != KindNotFound || err.Error() != msgKeyNotFound {
					t.Errorf("given %q: %v, want NotFound %q", other, err, msgKeyNotFound)
				}
			}
		})
	}
	// Nothing was written: the key keeps its name, tags and plan.
	got, err := s.GetAPIKey(ctx, k.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "mobile" || len(got.Tags) != 0 {
		t.Errorf("key after the refused writes: name %q tags %v", got.Name, got.Tags)
	}
	if _, err := s.GetUsagePlanKey(ctx, plan.ID, k.ID); err != nil {
		t.Errorf("key left its plan: %v", err)
	}
}

func TestAPIKeyByIDOrValue(t *testing.T) {
	ctx := context.Background()
	now := day("2026-03-04")
	s := newTestService(t, &now)
	const value = "another-key-value-00000002"
	k, err := s.CreateAPIKey(ctx, CreateAPIKeyInput{Name: "k", Value: value})
	if err != nil {
		t.Fatal(err)
	}
	for _, given := range []string{k.ID, value} {
		got, err := s.APIKeyByIDOrValue(ctx, given)
		if err != nil || got.ID != k.ID {
			t.Errorf("APIKeyByIDOrValue(%s…) = %v, %v; want key %s", given[:4], got, err, k.ID)
		}
	}
	_, err = s.APIKeyByIDOrValue(ctx, "no-such-key-value-0000000")
	if KindOf(err) != KindNotFound || err.Error() != msgKeyNotFound {
		t.Errorf("unknown: %v, want NotFound %q", err, msgKeyNotFound)
	}
}
