package control

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/secret"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// Options configure a Service.
type Options struct {
	Store store.Store
	Keys  *secret.Keys
	// Now is the clock (nil: time.Now). Timestamps are kept to the second,
	// as AWS reports them.
	Now func() time.Time
	// Region and AccountID appear in ARNs and messages ("us-east-1", 12 digits).
	Region    string
	AccountID string
	Logger    *slog.Logger

	// AccountThrottle is the node's account-level limit, as GetAccount
	// reports it (zero: AWS's 10,000 requests/s, burst 5,000).
	AccountThrottle apigw.Throttle

	// Usage connects the control plane to the data plane's live counters
	// (nil when there is no data plane, e.g. in control-only tests).
	Usage UsageHooks

	// ACME is true when the node obtains certificates by ACME: a
	// CreateDomainName without a certificate is then accepted and the
	// node's ACME manager obtains one (package acme).
	ACME bool
}

// UsageHooks let usage reads and quota edits see the data plane's counts.
type UsageHooks interface {
	// FlushUsage writes counted-but-unflushed usage to the store, so that
	// GetUsage and UpdateUsage read exact figures.
	FlushUsage(ctx context.Context) error
	// QuotaAdjusted tells the live quota counters about an UpdateUsage.
	QuotaAdjusted(ctx context.Context, a store.QuotaAdjustment) error
}

// Service executes control-plane operations. It is safe for concurrent use.
type Service struct {
	store     store.Store
	keys      *secret.Keys
	now       func() time.Time
	region    string
	accountID string
	log       *slog.Logger
	usage     UsageHooks
	account   apigw.Throttle
	acme      bool
}

// New returns a Service.
func New(o Options) *Service {
	s := &Service{store: o.Store, keys: o.Keys, now: o.Now, region: o.Region, accountID: o.AccountID, log: o.Logger, usage: o.Usage, account: o.AccountThrottle, acme: o.ACME}
	if s.now == nil {
		s.now = time.Now
	}
	if s.region == "" {
		s.region = apigw.DefaultRegion
	}
	if s.accountID == "" {
		s.accountID = apigw.DefaultAccountID
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s
}

// Region is the region the service reports in ARNs.
func (s *Service) Region() string { return s.region }

// AccountID is the account id the service reports in ARNs and messages.
func (s *Service) AccountID() string { return s.accountID }

// Store is the service's store.
func (s *Service) Store() store.Store { return s.store }

// timestamp is the current time truncated to the second, in UTC.
func (s *Service) timestamp() time.Time { return s.now().UTC().Truncate(time.Second) }

// notFound turns store.ErrNotFound into a NotFound error with msg and
// passes other errors through.
func notFound(err error, msg string) error {
	if errors.Is(err, store.ErrNotFound) {
		return &Error{Kind: KindNotFound, Message: msg, Err: err}
	}
	return err
}

// pageError turns store.ErrBadPosition into a BadRequest naming the token.
func pageError(err error, p store.Page) error {
	if errors.Is(err, store.ErrBadPosition) {
		return &Error{Kind: KindBadRequest, Message: fmt.Sprintf("Invalid position specified: %q", p.Position), Err: err}
	}
	return err
}

// view and update are shorthands for the store's transactions.
func (s *Service) view(ctx context.Context, fn func(store.Reader) error) error {
	return s.store.View(ctx, fn)
}

func (s *Service) update(ctx context.Context, fn func(store.Tx) error) error {
	return s.store.Update(ctx, fn)
}

// flushUsage makes the store's usage exact before it is read.
func (s *Service) flushUsage(ctx context.Context) error {
	if s.usage == nil {
		return nil
	}
	if err := s.usage.FlushUsage(ctx); err != nil {
		return &Error{Kind: KindServiceUnavailable, Message: "Usage counts could not be written; try again", Err: err}
	}
	return nil
}
