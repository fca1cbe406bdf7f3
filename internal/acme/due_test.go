package acme

import (
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
)

// TestDue: a certificate is obtained when there is none and renewed when
// less than 30 days (or a third of its lifetime) are left, never before a failed attempt's retry time.
func TestDue(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	const day = 24 * time.Hour
	tests := []struct {
		name string
		d    apigw.DomainName
		want bool
	}{
		{"no certificate yet", apigw.DomainName{}, true},
		{"31 days left of 90", apigw.DomainName{CertificateBody: "x", CertificateUploadDate: now.Add(-59 * day), CertificateNotAfter: now.Add(31 * day)}, false},
		{"29 days left of 90", apigw.DomainName{CertificateBody: "x", CertificateUploadDate: now.Add(-61 * day), CertificateNotAfter: now.Add(29 * day)}, true},
		{"3 days left of 6", apigw.DomainName{CertificateBody: "x", CertificateUploadDate: now.Add(-3 * day), CertificateNotAfter: now.Add(3 * day)}, false},
		{"1 day left of 6", apigw.DomainName{CertificateBody: "x", CertificateUploadDate: now.Add(-5 * day), CertificateNotAfter: now.Add(1 * day)}, true},
		{"failed, retry later", apigw.DomainName{ACMENextAttempt: now.Add(time.Minute)}, false},
		{"failed, retry time passed", apigw.DomainName{ACMENextAttempt: now.Add(-time.Minute)}, true},
	}
	for _, tt := range tests {
		if got := due(&tt.d, now); got != tt.want {
			t.Errorf("%s: due = %v, want %v", tt.name, got, tt.want)
		}
	}
}
