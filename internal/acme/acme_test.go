package acme

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/secret"
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

// TestAccountKeyKept: the account key is made once, kept sealed (the file
// holds no PEM key), and read back by the next process; a file sealed
// under another secret is an error naming the file.
func TestAccountKeyKept(t *testing.T) {
	file := filepath.Join(t.TempDir(), "acme-account.key")
	keys, err := secret.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	newManager := func(k *secret.Keys) *Manager {
		m, err := New(nil, Config{Email: "ops@example.com", AccountFile: file, Seal: k.Seal, Open: k.Open})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	first, err := newManager(keys).accountKey()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "PRIVATE KEY") {
		t.Fatal("the account key file holds the key in the clear")
	}
	again, err := newManager(keys).accountKey()
	if err != nil {
		t.Fatal(err)
	}
	if !first.Equal(again) {
		t.Fatal("a second process made a new account key")
	}
	other, err := secret.New(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newManager(other).accountKey(); err == nil || !strings.Contains(err.Error(), file) {
		t.Fatalf("another secret: got %v, want an error naming %s", err, file)
	}
}
