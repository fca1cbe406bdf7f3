package control

import (
	"context"
	"errors"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// ACME's record keeping on a domain name. The certificate is stored as an
// upload is (setDomainCertificate); the lease that lets one node of a
// cluster obtain or renew it at a time is kept in the domain's own record,
// written in a store transaction (SERIALIZABLE on PostgreSQL, one writer on
// SQLite), so two nodes cannot both take it.

// ACMEDomains lists the domain names whose certificate the node obtains by
// ACME.
func (s *Service) ACMEDomains(ctx context.Context) ([]*apigw.DomainName, error) {
	var out []*apigw.DomainName
	err := s.view(ctx, func(r store.Reader) error {
		p := store.Page{}
		for {
			items, next, err := r.ListDomainNames(ctx, p)
			if err != nil {
				return err
			}
			for _, d := range items {
				if d.ACME {
					out = append(out, d)
				}
			}
			if next == "" {
				return nil
			}
			p.Position = next
		}
	})
	return out, err
}

// TakeACMELease gives holder the right to obtain or renew domain's
// certificate until until, unless another holder's lease is still running
// (false). A domain deleted meanwhile is not an error: false.
func (s *Service) TakeACMELease(ctx context.Context, domain, holder string, until time.Time) (bool, error) {
	taken := false
	err := s.update(ctx, func(tx store.Tx) error {
		d, err := tx.GetDomainName(ctx, domain)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		now := s.now()
		if !d.ACME || d.ACMELeaseHolder != "" && d.ACMELeaseHolder != holder && now.Before(d.ACMELeaseUntil) {
			return nil
		}
		d.ACMELeaseHolder, d.ACMELeaseUntil = holder, until.UTC()
		taken = true
		return tx.UpdateDomainName(ctx, d)
	})
	return taken && err == nil, err
}

// ACMEIssued stores a certificate obtained by ACME for domain (PEM: the
// leaf, the intermediates, the private key) the way an upload is stored,
// marks the domain AVAILABLE and releases holder's lease.
func (s *Service) ACMEIssued(ctx context.Context, domain, holder, body, chain, key string) error {
	return s.update(ctx, func(tx store.Tx) error {
		d, err := tx.GetDomainName(ctx, domain)
		if err != nil {
			return notFound(err, msgDomainNotFound)
		}
		if d.ACMELeaseHolder != holder {
			return Conflictf("the ACME lease of domain name %s is held by %q, not %q", domain, d.ACMELeaseHolder, holder)
		}
		if err := s.setDomainCertificate(d, body, chain, key, s.timestamp()); err != nil {
			return err
		}
		d.Status, d.StatusMessage = "", ""
		d.ACMELeaseHolder, d.ACMELeaseUntil, d.ACMENextAttempt = "", time.Time{}, time.Time{}
		return tx.UpdateDomainName(ctx, d)
	})
}

// ACMEFailed records a failed issuance or renewal: a domain without a
// certificate becomes FAILED, one with a certificate keeps serving it
// (AVAILABLE); either way the message names the failure, the next attempt
// is at next and holder's lease is released.
func (s *Service) ACMEFailed(ctx context.Context, domain, holder, message string, next time.Time) error {
	return s.update(ctx, func(tx store.Tx) error {
		d, err := tx.GetDomainName(ctx, domain)
		if err != nil {
			return notFound(err, msgDomainNotFound)
		}
		if d.ACMELeaseHolder != holder {
			return Conflictf("the ACME lease of domain name %s is held by %q, not %q", domain, d.ACMELeaseHolder, holder)
		}
		if d.CertificateBody == "" {
			d.Status = apigw.DomainFailed
		}
		d.StatusMessage = message
		d.ACMELeaseHolder, d.ACMELeaseUntil, d.ACMENextAttempt = "", time.Time{}, next.UTC()
		return tx.UpdateDomainName(ctx, d)
	})
}
