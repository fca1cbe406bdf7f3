package acme

import (
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
)

// TestDue: a certificate is obtained when there is none and renewed when
// less than 30 days are left, never before a failed attempt's retry time.
func TestDue(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		d    apigw.DomainName
		want bool
	}{
		{"no certificate yet", apigw.DomainName{}, true},
		{"31 days left", apigw.DomainName{CertificateBody: "x", CertificateNotAfter: now.Add(31 * 24 * time.Hour)}, false},
		{"29 days left", apigw.DomainName{CertificateBody: "x", CertificateNotAfter: now.Add(29 * 24 * time.Hour)}, true},
		{"failed, retry later", apigw.DomainName{ACMENextAttempt: now.Add(time.Minute)}, false},
		{"failed, retry time passed", apigw.DomainName{ACMENextAttempt: now.Add(-time.Minute)}, true},
	}
	for _, tt := range tests {
		if got := due(&tt.d, now); got != tt.want {
			t.Errorf("%s: due = %v, want %v", tt.name, got, tt.want)
		}
	}
}
