package control

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
)

// TestACMEDomainLifecycle: a domain created without a certificate is
// PENDING on an ACME node; one node at a time holds its lease until it
// runs out; a failure makes it FAILED with the message and a retry time,
// and releases the lease; a foreign holder cannot record an outcome.
func TestACMEDomainLifecycle(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	s := newTestService(t, &now)

	if _, err := s.CreateDomainName(ctx, CreateDomainNameInput{Name: "api.example.com"}); err == nil || !strings.Contains(err.Error(), "--acme-email") {
		t.Fatalf("no certificate, no ACME: got %v, want a refusal naming --acme-email", err)
	}
	s.acme = true
	if _, err := s.CreateDomainName(ctx, CreateDomainNameInput{Name: "*.example.com"}); err == nil || !strings.Contains(err.Error(), "wildcard") {
		t.Fatalf("wildcard by ACME: got %v, want a refusal naming wildcard", err)
	}
	d, err := s.CreateDomainName(ctx, CreateDomainNameInput{Name: "API.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if !d.ACME || d.DomainStatus() != apigw.DomainPending || d.StatusMessage != msgACMEPending || d.SealedPrivateKey != nil {
		t.Fatalf("created: ACME %v status %s %q key %v", d.ACME, d.DomainStatus(), d.StatusMessage, d.SealedPrivateKey)
	}
	list, err := s.ACMEDomains(ctx)
	if err != nil || len(list) != 1 || list[0].Name != "api.example.com" {
		t.Fatalf("ACMEDomains = %v, %v", list, err)
	}

	steps := []struct {
		holder string
		at     time.Time
		want   bool
	}{
		{"node-a", now, true},
		{"node-b", now.Add(time.Minute), false},     // a's lease runs
		{"node-a", now.Add(time.Minute), true},      // a renews its own
		{"node-b", now.Add(11 * time.Minute), true}, // a's lease ran out
	}
	for _, st := range steps {
		now = st.at
		got, err := s.TakeACMELease(ctx, "api.example.com", st.holder, now.Add(10*time.Minute))
		if err != nil || got != st.want {
			t.Fatalf("%s at %s: lease %v, %v; want %v", st.holder, st.at, got, err, st.want)
		}
	}
	if err := s.ACMEFailed(ctx, "api.example.com", "node-a", "x", now); KindOf(err) != KindConflict {
		t.Fatalf("ACMEFailed by a node without the lease: %v, want a conflict", err)
	}
	retry := now.Add(time.Hour)
	if err := s.ACMEFailed(ctx, "api.example.com", "node-b", "ACME could not issue: boom", retry); err != nil {
		t.Fatal(err)
	}
	d, err = s.GetDomainName(ctx, "api.example.com")
	if err != nil {
		t.Fatal(err)
	}
	if d.DomainStatus() != apigw.DomainFailed || d.StatusMessage != "ACME could not issue: boom" || !d.ACMENextAttempt.Equal(retry) || d.ACMELeaseHolder != "" {
		t.Fatalf("after failure: %s %q next %s holder %q", d.DomainStatus(), d.StatusMessage, d.ACMENextAttempt, d.ACMELeaseHolder)
	}
	if err := s.ACMEIssued(ctx, "api.example.com", "node-b", "junk", "", "junk"); KindOf(err) != KindConflict {
		t.Fatalf("ACMEIssued without the lease: %v, want a conflict", err)
	}
}
