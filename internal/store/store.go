package store

import (
	"context"
	"errors"
	"math"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
)

// Errors every implementation returns (wrapped, with context) so callers can
// test them with errors.Is.
var (
	// ErrNotFound: the addressed item does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict: a create collided with an existing id, name or unique
	// value (an API key value, a stage name).
	ErrConflict = errors.New("conflict")
	// ErrBadPosition: a pagination token was not one this store issued.
	ErrBadPosition = errors.New("invalid pagination position")
)

// UnavailableError: the store could not be reached (a database server
// down or cut off). The management API answers it with 503
// ServiceUnavailableException, naming Store; the data plane serves the
// state it last loaded meanwhile.
type UnavailableError struct {
	// Store names the store for people, without credentials:
	// "PostgreSQL at 10.0.0.5:5432/gatehouse".
	Store string
	Err   error
}

func (e *UnavailableError) Error() string {
	return "the store (" + e.Store + ") cannot be reached: " + e.Err.Error()
}

func (e *UnavailableError) Unwrap() error { return e.Err }

// Store is a transactional store of Gatehouse's configuration and usage.
//
// Implementations must be safe for concurrent use. Every Update that writes
// configuration bumps the store revision once and, after it commits,
// publishes one Change per written item to subscribers. Usage writes
// (AddUsage, SetQuotaAdjustment) do not bump the revision and are not
// published: the data plane produces them.
type Store interface {
	// View runs fn in a read-only transaction with a consistent view.
	View(ctx context.Context, fn func(Reader) error) error
	// Update runs fn in a read-write transaction; if fn returns an error
	// nothing it wrote is kept. An engine may run fn more than once (the
	// PostgreSQL store runs it again when a concurrent transaction aborted
	// it), so fn must leave no effect outside tx that a second run would
	// not redo from scratch.
	Update(ctx context.Context, fn func(Tx) error) error
	// Revision is the revision of the last committed configuration write
	// (0 for an empty store).
	Revision(ctx context.Context) (int64, error)
	// Subscribe returns a channel of committed changes, one element per
	// commit holding all of that commit's changes (so a receiver never sees
	// half a revision; it must not modify the slice). A subscriber that
	// falls behind receives a batch of one KindResync change and must
	// reload. cancel releases the subscription and closes the channel.
	Subscribe() (commits <-chan []Change, cancel func())
	// Listen registers fn to be called synchronously with every committed
	// batch of changes, in commit order, before Update returns (see Feed.Listen).
	Listen(fn func([]Change))
	// Reset deletes all configuration and usage (development mode's POST
	// /_gatehouse/reset), bumps the revision and publishes one KindResync
	// change. Settings (Tx.PutSetting) are kept.
	Reset(ctx context.Context) error
	// Close releases the store's resources.
	Close() error
}

// Page selects one page of a list. Position is an opaque token from the
// previous page ("" for the first); Limit is the page size (<=0: 25, capped at 500).
type Page struct {
	Position string
	Limit    int
	// NewestFirst lists the rows newest first (AWS's order for API keys
	// and usage-plan keys); only the lists whose doc says so take it.
	NewestFirst bool
}

// Bound is the sequence bound of the page a position starts: rows after
// it, or, newest first, before it (the first page: before every row).
func (p Page) Bound(after int64) int64 {
	if p.NewestFirst && after == 0 {
		return math.MaxInt64
	}
	return after
}

// SeqOrder is the end of a page query over the sequence column col with
// its bound and limit as the placeholders bound and limit ("?" or "$n"):
// "col > bound ORDER BY col LIMIT limit", or newest first
// "col < bound ORDER BY col DESC LIMIT limit".
func (p Page) SeqOrder(col, bound, limit string) string {
	if p.NewestFirst {
		return col + " < " + bound + " ORDER BY " + col + " DESC LIMIT " + limit
	}
	return col + " > " + bound + " ORDER BY " + col + " LIMIT " + limit
}

// PageLimit normalises a requested page size as AWS does.
func (p Page) PageLimit() int {
	switch {
	case p.Limit <= 0:
		return 25
	case p.Limit > 500:
		return 500
	}
	return p.Limit
}

// KeyFilter narrows ListAPIKeys.
type KeyFilter struct {
	NamePrefix string // case-sensitive prefix of the name
	CustomerID string // exact match
}

// PlanFilter narrows ListUsagePlans.
type PlanFilter struct {
	KeyID string // only plans that contain this key
}

// UsageRecord is the request count of one key in one plan on one UTC day.
type UsageRecord struct {
	PlanID string
	KeyID  string
	Day    time.Time // midnight UTC
	Count  int64
}

// QuotaAdjustment is the number of extra requests (may be negative) granted
// to a key in a plan for the quota period starting at PeriodStart
// (UpdateUsage's "remaining").
type QuotaAdjustment struct {
	PlanID      string
	KeyID       string
	PeriodStart time.Time
	Delta       int64
}

// Reader reads state. Get methods return ErrNotFound when the item is absent.
// List methods return items in creation order and the position of the next
// page ("" when there is none).
type Reader interface {
	GetAPI(ctx context.Context, id string) (*apigw.RestAPI, error)
	ListAPIs(ctx context.Context, p Page) ([]*apigw.RestAPI, string, error)

	GetDeployment(ctx context.Context, apiID, id string) (*apigw.Deployment, error)
	ListDeployments(ctx context.Context, apiID string, p Page) ([]*apigw.Deployment, string, error)

	GetStage(ctx context.Context, apiID, name string) (*apigw.Stage, error)
	// ListStages returns all stages of an API (AWS does not paginate them),
	// or of every API when apiID is "".
	ListStages(ctx context.Context, apiID string) ([]*apigw.Stage, error)

	GetAPIKey(ctx context.Context, id string) (*apigw.APIKey, error)
	GetAPIKeyByHash(ctx context.Context, lookupHash []byte) (*apigw.APIKey, error)
	// ListAPIKeys lists keys oldest first, or newest first with
	// p.NewestFirst.
	ListAPIKeys(ctx context.Context, f KeyFilter, p Page) ([]*apigw.APIKey, string, error)

	GetUsagePlan(ctx context.Context, id string) (*apigw.UsagePlan, error)
	ListUsagePlans(ctx context.Context, f PlanFilter, p Page) ([]*apigw.UsagePlan, string, error)

	// HasUsagePlanKey reports whether the key is in the plan.
	HasUsagePlanKey(ctx context.Context, planID, keyID string) (bool, error)
	// ListUsagePlanKeys lists the keys of a plan in the order they were
	// added, or the reverse with p.NewestFirst.
	ListUsagePlanKeys(ctx context.Context, planID string, p Page) ([]*apigw.APIKey, string, error)
	// ListUsagePlanIDsForKey lists the ids of the plans a key belongs to.
	ListUsagePlanIDsForKey(ctx context.Context, keyID string) ([]string, error)

	// ListUsage returns the non-zero daily counts of a plan between from and
	// to (inclusive days, UTC), for one key or, when keyID is "", all keys.
	ListUsage(ctx context.Context, planID, keyID string, from, to time.Time) ([]UsageRecord, error)
	// ListQuotaAdjustments returns the adjustments of a plan (one key, or all when keyID is "").
	ListQuotaAdjustments(ctx context.Context, planID, keyID string) ([]QuotaAdjustment, error)

	// GetDomainName returns a custom domain name (with its base path
	// mappings) by its name.
	GetDomainName(ctx context.Context, name string) (*apigw.DomainName, error)
	ListDomainNames(ctx context.Context, p Page) ([]*apigw.DomainName, string, error)
	GetClientCertificate(ctx context.Context, id string) (*apigw.ClientCertificate, error)
	ListClientCertificates(ctx context.Context, p Page) ([]*apigw.ClientCertificate, string, error)

	// GetSetting returns the node setting name (see Tx.PutSetting), or
	// ErrNotFound when it was never set.
	GetSetting(ctx context.Context, name string) (string, error)
}

// Tx is a read-write transaction. Create methods return ErrConflict when
// the id (or unique value) exists; Update and Delete methods return
// ErrNotFound when it does not.
//
// Every configuration write records Changes, published together once the
// transaction commits (see Change for how each kind names its item). A
// Create or Update records one put of its own kind, AddUsagePlanKey and
// RemoveUsagePlanKey one KindUsagePlanKey put or delete; a Delete records
// one delete of its own kind plus, where it cascades, the Changes its
// comment lists. AddUsage, SetQuotaAdjustment and PutSetting record none.
type Tx interface {
	Reader

	// CreateAPI stores a new API, definition included.
	CreateAPI(ctx context.Context, api *apigw.RestAPI) error
	// UpdateAPI replaces an API, definition included.
	UpdateAPI(ctx context.Context, api *apigw.RestAPI) error
	// DeleteAPI deletes an API with its deployments and stages, and removes
	// its stages from every usage plan. Changes: a KindStage delete for each
	// of its stages, a KindDeployment delete for each of its deployments, a
	// KindUsagePlan put for each plan that lost a stage, and the KindAPI
	// delete.
	DeleteAPI(ctx context.Context, id string) error

	CreateDeployment(ctx context.Context, d *apigw.Deployment) error
	UpdateDeployment(ctx context.Context, d *apigw.Deployment) error
	DeleteDeployment(ctx context.Context, apiID, id string) error

	CreateStage(ctx context.Context, s *apigw.Stage) error
	UpdateStage(ctx context.Context, s *apigw.Stage) error
	// DeleteStage deletes a stage and removes it from every usage plan.
	// Changes: the KindStage delete and a KindUsagePlan put for each plan
	// that lost the stage.
	DeleteStage(ctx context.Context, apiID, name string) error

	// CreateAPIKey returns ErrConflict also when LookupHash is taken.
	CreateAPIKey(ctx context.Context, k *apigw.APIKey) error
	UpdateAPIKey(ctx context.Context, k *apigw.APIKey) error
	// DeleteAPIKey also removes the key from every usage plan. Changes: a
	// KindUsagePlanKey delete for each plan the key was in, and the
	// KindAPIKey delete. The plans themselves are not changed (no
	// KindUsagePlan put).
	DeleteAPIKey(ctx context.Context, id string) error

	CreateUsagePlan(ctx context.Context, p *apigw.UsagePlan) error
	UpdateUsagePlan(ctx context.Context, p *apigw.UsagePlan) error
	// DeleteUsagePlan also removes the plan's keys, usage and quota
	// adjustments. Changes: a KindUsagePlanKey delete for each of its keys,
	// and the KindUsagePlan delete (usage rows publish nothing).
	DeleteUsagePlan(ctx context.Context, id string) error

	// AddUsagePlanKey returns ErrConflict when the key is already in the plan.
	AddUsagePlanKey(ctx context.Context, planID, keyID string) error
	RemoveUsagePlanKey(ctx context.Context, planID, keyID string) error

	// CreateDomainName stores a new custom domain name (ErrConflict when
	// the name is taken); UpdateDomainName replaces one, base path
	// mappings included; DeleteDomainName deletes one with its mappings.
	// Each records one KindDomainName change (ID: the name).
	CreateDomainName(ctx context.Context, d *apigw.DomainName) error
	UpdateDomainName(ctx context.Context, d *apigw.DomainName) error
	DeleteDomainName(ctx context.Context, name string) error
	CreateClientCertificate(ctx context.Context, c *apigw.ClientCertificate) error
	UpdateClientCertificate(ctx context.Context, c *apigw.ClientCertificate) error
	DeleteClientCertificate(ctx context.Context, id string) error

	// AddUsage adds counts to daily usage rows (creating them as needed).
	AddUsage(ctx context.Context, records []UsageRecord) error
	// SetQuotaAdjustment sets (replaces) the adjustment for one period.
	SetQuotaAdjustment(ctx context.Context, a QuotaAdjustment) error

	// ClaimUsageBatch records, at now, that the usage batch id (a batch of
	// counts that may be offered more than once, such as a cluster
	// counters engine's usage fold) is written by this transaction, and
	// reports whether it is new: false when an earlier commit claimed it
	// (the caller then writes nothing of it), so a batch applied twice
	// counts once. Claims older than UsageBatchKeep are forgotten (any
	// Claim may drop them); Reset keeps claims.
	ClaimUsageBatch(ctx context.Context, id string, now time.Time) (bool, error)

	// PutSetting sets (replaces) a node setting: a small named value that
	// is not configuration, such as the check value that ties the store to
	// the server secret. It bumps no revision, publishes no change, and
	// Reset keeps it.
	PutSetting(ctx context.Context, name, value string) error
}

// UsageBatchKeep is how long a store remembers a claimed usage batch id
// (Tx.ClaimUsageBatch): a batch must not be offered again after it.
const UsageBatchKeep = 14 * 24 * time.Hour

// Kind names what a Change is about.
type Kind string

// Change kinds.
const (
	KindAPI          Kind = "api"
	KindDeployment   Kind = "deployment"
	KindStage        Kind = "stage"
	KindAPIKey       Kind = "apikey"
	KindUsagePlan    Kind = "usageplan"
	KindUsagePlanKey Kind = "usageplankey"
	KindDomainName   Kind = "domainname"
	// KindClientCertificate: ID is the certificate id.
	KindClientCertificate Kind = "clientcertificate"
	// KindResync tells a subscriber that it missed changes and must reload everything.
	KindResync Kind = "resync"
)

// Op says what happened to the item.
type Op string

// Change operations.
const (
	OpPut    Op = "put"
	OpDelete Op = "delete"
)

// Change is one committed write. For stages and deployments APIID is the
// API and ID the stage name or deployment id; for usage plan keys ID is the
// plan id and KeyID the key id.
type Change struct {
	Revision int64
	Kind     Kind
	Op       Op
	APIID    string
	ID       string
	KeyID    string
}
