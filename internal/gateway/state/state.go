package state

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/gateway/proxy"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// errNoDeployment: a stage points at a deployment the store does not have.
var errNoDeployment = errors.New("deployment not found")

// DefaultResyncInterval is how often Run checks, when no interval is given,
// that the store has committed nothing the state has not applied.
const DefaultResyncInterval = 5 * time.Minute

// State is the data plane's view of the configuration. Reads never lock and
// never touch the store. Values returned are immutable (a change replaces
// them), so callers may keep them for the duration of a request.
type State struct {
	st  store.Store
	log *slog.Logger

	apis  atomic.Pointer[map[string]*API]
	plans atomic.Pointer[planSet]
	keys  atomic.Pointer[keyIndex]
	// domains are the custom domain names (rebuilt whole on a change:
	// there are few).
	domains atomic.Pointer[domainTable]
	openKey KeyOpener

	rev   atomic.Int64
	revMu sync.Mutex
	revCh chan struct{} // closed and replaced when rev advances

	// loadMu serialises Loads. A Load reads the store without holding mu,
	// so Apply keeps working meanwhile; the changes applied during a Load
	// are recorded and applied again on top of the loaded state.
	loadMu sync.Mutex
	// mu serialises Apply and the swap at the end of a Load, and guards the
	// fields below.
	mu        sync.Mutex
	tables    map[depKey]*compiled // compiled deployments in use
	planLists planLists
	recording []store.Change // non-nil while a Load reads the store
	certs     certCache

	// onResync, when set (tests), is called after each of Run's periodic
	// checks with whether it reloaded and the reload's error.
	onResync func(loaded bool, err error)
}

// depKey names one deployment.
type depKey struct{ apiID, id string }

// planSet is an immutable set of usage plans.
type planSet struct {
	byID map[string]*Plan
	list []*apigw.UsagePlan // sorted by id
}

func newPlanSet(byID map[string]*Plan) *planSet {
	ps := &planSet{byID: byID, list: make([]*apigw.UsagePlan, 0, len(byID))}
	for _, id := range slices.Sorted(maps.Keys(byID)) {
		ps.list = append(ps.list, byID[id].Source)
	}
	return ps
}

// intern returns the plan set's own copy of a plan id when it has one.
func (ps *planSet) intern(id string) string {
	if p := ps.byID[id]; p != nil {
		return p.ID
	}
	return id
}

// New returns an empty State over st; call Load (or Run) to fill it. A nil
// log discards log output.
func New(st store.Store, log *slog.Logger) *State {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &State{st: st, log: log, revCh: make(chan struct{}), tables: map[depKey]*compiled{}, planLists: planLists{}}
	s.apis.Store(&map[string]*API{})
	s.plans.Store(newPlanSet(map[string]*Plan{}))
	s.keys.Store(new(keyIndex))
	s.domains.Store(&domainTable{})
	return s
}

// Revision returns the store revision the state reflects at least: the
// highest change revision applied, or the store revision read at the
// start of the last Load.
func (s *State) Revision() int64 { return s.rev.Load() }

// WaitRevision blocks until Revision is at least rev or ctx ends.
func (s *State) WaitRevision(ctx context.Context, rev int64) error {
	for {
		s.revMu.Lock()
		ch := s.revCh
		s.revMu.Unlock()
		if s.rev.Load() >= rev {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("state: waiting for revision %d (at %d): %w", rev, s.rev.Load(), ctx.Err())
		}
	}
}

// advance raises the revision to rev. Callers hold s.mu.
func (s *State) advance(rev int64) {
	if rev <= s.rev.Load() {
		return
	}
	s.rev.Store(rev)
	s.revMu.Lock()
	close(s.revCh)
	s.revCh = make(chan struct{})
	s.revMu.Unlock()
}

// API returns an API by id, nil when unknown.
func (s *State) API(id string) *API { return (*s.apis.Load())[id] }

// LookupKey finds the key with the given lookup hash and writes it into
// dst; false when unknown. It does not allocate: requests use it.
func (s *State) LookupKey(lookupHash *[32]byte, dst *Key) bool {
	return s.keys.Load().lookup(lookupHash, dst)
}

// Key returns the key with the given lookup hash, nil when unknown.
func (s *State) Key(lookupHash [32]byte) *Key {
	k := new(Key)
	if !s.LookupKey(&lookupHash, k) {
		return nil
	}
	return k
}

// KeyByID returns a key by id, nil when unknown.
func (s *State) KeyByID(id string) *Key {
	k := new(Key)
	if !s.keys.Load().lookupID(id, k) {
		return nil
	}
	return k
}

// Plan returns a usage plan by id, nil when unknown.
func (s *State) Plan(id string) *Plan { return s.plans.Load().byID[id] }

// Plans returns the current usage plans sorted by id (for quota preload).
// The slice is the caller's; the plans are shared and read-only.
func (s *State) Plans() []*apigw.UsagePlan { return slices.Clone(s.plans.Load().list) }

// Load (re)builds everything from one consistent store View and swaps it in.
// On error the previous state stays in place. It does not hold up Apply
// while it reads the store (a million keys take seconds): changes applied
// meanwhile are applied again on top of the loaded state before it returns.
//
// The revision is read just before the View, so the state is at least as
// new as the revision recorded; a write committed between the two is seen
// but not counted, which only makes Revision under-report (benign: the
// store has no revision readable inside a View).
func (s *State) Load(ctx context.Context) error {
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	start := time.Now()

	s.mu.Lock()
	cache := maps.Clone(s.tables)
	s.recording = []store.Change{}
	s.mu.Unlock()

	l, rev, err := s.readAll(ctx, cache)

	s.mu.Lock()
	defer s.mu.Unlock()
	replay := s.recording
	s.recording = nil
	if err != nil {
		return fmt.Errorf("state: load: %w", err)
	}
	s.tables = l.tables
	s.planLists = l.planLists
	s.apis.Store(&l.apis)
	s.plans.Store(newPlanSet(l.plans))
	s.keys.Store(l.keys)
	s.domains.Store(&l.domains)
	s.advance(rev)
	s.log.Info("state: loaded", "revision", rev, "apis", len(l.apis), "plans", len(l.plans),
		"keys", l.nkeys, "replayed_changes", len(replay), "took", time.Since(start))
	if len(replay) > 0 {
		if err := s.apply(ctx, replay); err != nil {
			return fmt.Errorf("state: load: re-applying %d changes made during the load: %w", len(replay), err)
		}
		s.advance(maxRevision(replay))
	}
	return nil
}

// loaded is what a Load builds.
type loaded struct {
	apis      map[string]*API
	tables    map[depKey]*compiled
	plans     map[string]*Plan
	keys      *keyIndex
	nkeys     int
	planLists planLists
	domains   domainTable
}

// readAll reads the whole configuration and builds it, reusing the
// compiled deployments in cache (which it does not modify).
func (s *State) readAll(ctx context.Context, cache map[depKey]*compiled) (*loaded, int64, error) {
	rev, err := s.st.Revision(ctx)
	if err != nil {
		return nil, 0, err
	}
	var r read
	if err := s.st.View(ctx, func(rd store.Reader) error { return s.read(ctx, rd, cache, &r) }); err != nil {
		return nil, 0, err
	}
	l := &loaded{
		apis:      make(map[string]*API, len(r.apis)),
		tables:    make(map[depKey]*compiled, len(r.deps)),
		plans:     r.plans,
		keys:      new(keyIndex),
		nkeys:     len(r.keys),
		planLists: r.planLists,
		domains:   r.domains,
	}
	for _, a := range r.apis {
		l.apis[a.ID] = attachClientCerts(newAPI(a, r.stages[a.ID], s.compileStages(a.ID, r.stages[a.ID], r.deps, cache, l.tables)), r.certs)
	}
	l.keys.build(r.keys)
	return l, rev, nil
}

// read is what Load reads inside its View.
type read struct {
	apis      []*apigw.RestAPI
	stages    map[string][]*apigw.Stage // by API id
	deps      map[depKey]*apigw.Deployment
	plans     map[string]*Plan
	keys      []*Key
	planLists planLists
	domains   domainTable
	certs     map[string]*proxy.ClientCert // by id
}

// read reads the whole configuration for load.
func (s *State) read(ctx context.Context, r store.Reader, cache map[depKey]*compiled, l *read) error {
	err := eachPage(func(p store.Page) ([]*apigw.RestAPI, string, error) { return r.ListAPIs(ctx, p) },
		func(a *apigw.RestAPI) { l.apis = append(l.apis, a) })
	if err != nil {
		return err
	}
	stages, err := r.ListStages(ctx, "")
	if err != nil {
		return err
	}
	l.stages = map[string][]*apigw.Stage{}
	for _, st := range stages {
		l.stages[st.APIID] = append(l.stages[st.APIID], st)
	}
	if l.deps, err = readDeployments(ctx, r, stages, cache); err != nil {
		return err
	}
	if l.domains, err = s.readDomains(ctx, r); err != nil {
		return err
	}
	if l.certs, err = s.readClientCerts(ctx, r, stages); err != nil {
		return err
	}

	l.plans = map[string]*Plan{}
	err = eachPage(func(p store.Page) ([]*apigw.UsagePlan, string, error) {
		return r.ListUsagePlans(ctx, store.PlanFilter{}, p)
	}, func(p *apigw.UsagePlan) { l.plans[p.ID] = newPlan(p) })
	if err != nil {
		return err
	}
	planIDs := map[string][]string{} // key id -> plan ids
	for id, p := range l.plans {
		err := eachPage(func(pg store.Page) ([]*apigw.APIKey, string, error) {
			return r.ListUsagePlanKeys(ctx, id, pg)
		}, func(k *apigw.APIKey) { planIDs[k.ID] = append(planIDs[k.ID], p.ID) })
		if err != nil {
			return err
		}
	}
	ps := &planSet{byID: l.plans}
	l.planLists = planLists{}
	return eachPage(func(p store.Page) ([]*apigw.APIKey, string, error) {
		return r.ListAPIKeys(ctx, store.KeyFilter{}, p)
	}, func(k *apigw.APIKey) {
		if key, err := newKey(k, l.planLists.get(planIDs[k.ID], ps)); err == nil {
			l.keys = append(l.keys, key)
		} else {
			s.log.Error("state: stored API key is malformed; it cannot be used", "key_id", k.ID, "err", err)
		}
	})
}

// readDeployments reads the deployments the stages serve that are not in
// cache. A missing deployment is left out (the stage reports it).
func readDeployments(ctx context.Context, r store.Reader, stages []*apigw.Stage, cache map[depKey]*compiled) (map[depKey]*apigw.Deployment, error) {
	deps := map[depKey]*apigw.Deployment{}
	for _, st := range stages {
		for _, id := range st.ServedDeployments() {
			k := depKey{st.APIID, id}
			if _, ok := deps[k]; ok || cache[k] != nil {
				continue
			}
			d, err := r.GetDeployment(ctx, st.APIID, id)
			switch {
			case errors.Is(err, store.ErrNotFound):
				d = nil
			case err != nil:
				return nil, err
			}
			deps[k] = d
		}
	}
	return deps, nil
}

// compileStages returns the compiled deployments of an API's stages by
// deployment id, taking them from keep or cache or compiling what was read,
// and records them in keep.
func (s *State) compileStages(apiID string, stages []*apigw.Stage, read map[depKey]*apigw.Deployment, cache, keep map[depKey]*compiled) map[string]*compiled {
	out := make(map[string]*compiled, len(stages))
	for _, st := range stages {
		for _, id := range st.ServedDeployments() {
			k := depKey{apiID, id}
			c := keep[k]
			if c == nil {
				c = cache[k]
			}
			if c == nil {
				d := read[k]
				if d == nil {
					continue
				}
				c = compile(d)
				if c.err != nil {
					s.log.Warn("state: deployment cannot be served", "api_id", apiID, "deployment_id", d.ID, "err", c.err)
				}
			}
			keep[k] = c
			out[id] = c
		}
	}
	return out
}

// eachPage calls fn for every item of a paginated list.
func eachPage[T any](list func(store.Page) ([]T, string, error), fn func(T)) error {
	pos := ""
	for {
		items, next, err := list(store.Page{Position: pos, Limit: 500})
		if err != nil {
			return err
		}
		for _, it := range items {
			fn(it)
		}
		if next == "" || len(items) == 0 {
			return nil
		}
		pos = next
	}
}

// Apply applies a batch of committed changes, reloading from the store only
// what they name: a key with its plan ids, a plan, or one API with all its
// stages. A KindResync change (or a kind it does not know) makes it do a
// full Load. It is safe to call concurrently with reads and with itself.
//
// When applying fails it logs the error and falls back to a full Load; it
// returns an error only when that fails too, in which case the previous
// state stays in place.
func (s *State) Apply(ctx context.Context, changes []store.Change) error {
	if len(changes) == 0 {
		return nil
	}
	full := slices.ContainsFunc(changes, func(c store.Change) bool {
		switch c.Kind {
		case store.KindAPI, store.KindStage, store.KindDeployment,
			store.KindAPIKey, store.KindUsagePlan, store.KindUsagePlanKey, store.KindDomainName, store.KindClientCertificate:
			return false
		}
		return true
	})
	if !full {
		s.mu.Lock()
		err := s.apply(ctx, changes)
		loading := s.recording != nil
		if loading {
			// The Load under way applies these again once it swaps in.
			s.recording = append(s.recording, changes...)
		}
		if err == nil {
			s.advance(maxRevision(changes))
		}
		s.mu.Unlock()
		if err == nil || loading {
			if err != nil {
				s.log.Warn("state: applying changes failed; retrying after the load under way", "err", err)
			}
			return nil
		}
		s.log.Error("state: applying changes failed; reloading everything", "revision", maxRevision(changes), "err", err)
	}
	if err := s.Load(ctx); err != nil {
		s.log.Error("state: full reload failed; serving the previous state", "err", err)
		return err
	}
	s.mu.Lock()
	s.advance(maxRevision(changes))
	s.mu.Unlock()
	return nil
}

// maxRevision returns the highest revision of changes.
func maxRevision(changes []store.Change) int64 {
	var rev int64
	for _, c := range changes {
		rev = max(rev, c.Revision)
	}
	return rev
}

// applied is what apply reads inside its View.
type applied struct {
	apis    map[string]*apigw.RestAPI // nil value: deleted
	stages  map[string][]*apigw.Stage
	deps    map[depKey]*apigw.Deployment
	plans   map[string]*apigw.UsagePlan // nil value: deleted
	keys    map[string]*apigw.APIKey    // nil value: deleted
	keyIDs  []string                    // keys' ids in first-seen order
	plansOf map[string][]string         // key id -> plan ids
	// domains is set when a domain name changed; readChanged then reads
	// them all into domainTable.
	domains     bool
	domainTable domainTable

	certs map[string]*proxy.ClientCert // by id
}

func (s *State) apply(ctx context.Context, changes []store.Change) error {
	a := applied{
		apis: map[string]*apigw.RestAPI{}, stages: map[string][]*apigw.Stage{},
		plans: map[string]*apigw.UsagePlan{}, keys: map[string]*apigw.APIKey{}, plansOf: map[string][]string{},
	}
	for _, c := range changes {
		switch c.Kind {
		case store.KindAPI:
			a.apis[c.ID] = nil
		case store.KindStage:
			a.apis[c.APIID] = nil
		case store.KindDeployment:
			a.apis[c.APIID] = nil
			// Snapshots are immutable, but recompiling a changed one is cheap
			// insurance.
			delete(s.tables, depKey{c.APIID, c.ID})
		case store.KindUsagePlan:
			a.plans[c.ID] = nil
		case store.KindDomainName:
			a.domains = true
		case store.KindClientCertificate:
			s.certChanged(c.ID, a.apis)
		case store.KindAPIKey, store.KindUsagePlanKey:
			id := c.ID
			if c.Kind == store.KindUsagePlanKey {
				id = c.KeyID
			}
			if _, ok := a.keys[id]; !ok {
				a.keys[id] = nil
				a.keyIDs = append(a.keyIDs, id)
			}
		}
	}
	err := s.st.View(ctx, func(r store.Reader) error { return s.readChanged(ctx, r, &a) })
	if err != nil {
		return fmt.Errorf("state: apply: %w", err)
	}

	if a.domains {
		s.domains.Store(&a.domainTable)
	}

	if len(a.apis) > 0 {
		apis := maps.Clone(*s.apis.Load())
		for id, ra := range a.apis {
			keep := map[depKey]*compiled{}
			if ra != nil {
				apis[id] = attachClientCerts(newAPI(ra, a.stages[id], s.compileStages(id, a.stages[id], a.deps, s.tables, keep)), a.certs)
			} else {
				delete(apis, id)
			}
			// Keep only the tables the API's stages still serve.
			for k := range s.tables {
				if k.apiID == id {
					delete(s.tables, k)
				}
			}
			maps.Copy(s.tables, keep)
		}
		s.apis.Store(&apis)
	}

	ps := s.plans.Load()
	if len(a.plans) > 0 {
		byID := maps.Clone(ps.byID)
		for id, p := range a.plans {
			if p == nil {
				delete(byID, id)
			} else {
				byID[id] = newPlan(p)
			}
		}
		ps = newPlanSet(byID)
		s.plans.Store(ps)
	}

	if len(a.keyIDs) > 0 {
		puts := make(map[string]*Key, len(a.keyIDs))
		for _, id := range a.keyIDs {
			k := a.keys[id]
			if k == nil {
				continue
			}
			key, err := newKey(k, s.planLists.get(a.plansOf[id], ps))
			if err != nil {
				s.log.Error("state: stored API key is malformed; it cannot be used", "key_id", id, "err", err)
				continue
			}
			puts[id] = key
		}
		s.keys.Load().update(a.keyIDs, puts)
	}
	return nil
}

// readChanged reads the items a batch of changes names.
func (s *State) readChanged(ctx context.Context, r store.Reader, a *applied) error {
	if a.domains {
		t, err := s.readDomains(ctx, r)
		if err != nil {
			return err
		}
		a.domainTable = t
	}
	var allStages []*apigw.Stage
	for id := range a.apis {
		ra, err := r.GetAPI(ctx, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			continue
		case err != nil:
			return err
		}
		stages, err := r.ListStages(ctx, id)
		if err != nil {
			return err
		}
		a.apis[id], a.stages[id] = ra, stages
		allStages = append(allStages, stages...)
	}
	var err error
	if a.deps, err = readDeployments(ctx, r, allStages, s.tables); err != nil {
		return err
	}
	if a.certs, err = s.readClientCerts(ctx, r, allStages); err != nil {
		return err
	}
	for id := range a.plans {
		p, err := r.GetUsagePlan(ctx, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			continue
		case err != nil:
			return err
		}
		a.plans[id] = p
	}
	for _, id := range a.keyIDs {
		k, err := r.GetAPIKey(ctx, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			continue
		case err != nil:
			return err
		}
		plans, err := r.ListUsagePlanIDsForKey(ctx, id)
		if err != nil {
			return err
		}
		a.keys[id], a.plansOf[id] = k, plans
	}
	return nil
}

// Run keeps the state current from the store's change feed until ctx ends.
// Every interval (0: DefaultResyncInterval), as a backstop, it reads the
// store's revision and does a full Load when the store has committed one
// the state has not applied (a commit the feed did not bring: another
// process writing to the store). When the store is ahead of the state once
// subscribed (no Load yet, or writes since the last one), it loads first.
// It returns nil when ctx ends.
//
// The check costs one query; a full Load of a million keys costs seconds
// of CPU, so a node no longer pays that every interval for nothing.
func (s *State) Run(ctx context.Context, interval time.Duration) error {
	if interval <= 0 {
		interval = DefaultResyncInterval
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	return s.run(ctx, tick.C)
}

// run is Run with its backstop checks on ticks.
func (s *State) run(ctx context.Context, ticks <-chan time.Time) error {
	ch, cancel := s.st.Subscribe()
	defer cancel()
	if rev, err := s.st.Revision(ctx); err != nil || rev != s.Revision() {
		if err := s.Load(ctx); err != nil {
			s.log.Error("state: initial load failed", "err", err)
		}
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case commit, ok := <-ch:
			if !ok {
				return errors.New("state: change feed closed")
			}
			// Whole commits only: applying half of one would mark its
			// revision as reached with part of it missing.
			batch := append([]store.Change(nil), commit...)
		drain:
			for len(batch) < 1024 {
				select {
				case commit, ok := <-ch:
					if !ok {
						break drain
					}
					batch = append(batch, commit...)
				default:
					break drain
				}
			}
			_ = s.Apply(ctx, batch) // logged by Apply
		case <-ticks:
			loaded, err := s.resync(ctx)
			if s.onResync != nil {
				s.onResync(loaded, err)
			}
		}
	}
}

// resync does a full Load when the store's revision is not the state's,
// and reports whether it loaded.
func (s *State) resync(ctx context.Context) (loaded bool, err error) {
	rev, err := s.st.Revision(ctx)
	if err == nil && rev == s.Revision() {
		return false, nil
	}
	if err != nil {
		s.log.Warn("state: reading the store's revision failed; reloading everything", "err", err)
	} else {
		// Usually a commit the feed did not bring; rarely one whose event
		// is still on its way.
		s.log.Info("state: the store is ahead of the state at the periodic check; reloading everything",
			"store_revision", rev, "state_revision", s.Revision())
	}
	if err := s.Load(ctx); err != nil {
		s.log.Error("state: periodic reload failed; serving the previous state", "err", err)
		return true, err
	}
	return true, nil
}
