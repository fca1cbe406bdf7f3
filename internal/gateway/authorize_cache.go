package gateway

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/gateway/authorizer"
	"golang.org/x/sync/singleflight"
)

// DefaultAuthorizerCacheSize is the authorizer result cache's bound, in
// entries, when Options.AuthorizerCacheSize is 0.
const DefaultAuthorizerCacheSize = 10_000

// authResult is an authorizer's successful reply, as cached: the compiled
// policy (re-evaluated against each request's method ARN) and what
// integrations and the key source read. Immutable.
type authResult struct {
	auth   authorization
	policy *authorizer.Policy
	// policyJSON is the policy document as the function sent it.
	policyJSON []byte
}

// authCache holds authorizer results by (stage, deployment, authorizer,
// identity values) for the authorizer's TTL, under the gateway's clock.
// Only successful replies (a parsed policy, whether it allows or denies)
// are cached, as on AWS; a 401 or an error is not. Concurrent misses for
// one key invoke the function once (singleflight).
//
// The cache is bounded (max entries): when full, an expired entry is
// evicted if one is found among a few, else an arbitrary one. A flush
// bumps the stage's generation, which is part of every key, so a reply in
// flight during a flush is stored under a key no request asks for.
type authCache struct {
	mu      sync.Mutex
	entries map[string]authEntry
	gens    map[string]uint64 // stage ref -> generation
	max     int
	flight  singleflight.Group
	// joined, when set (tests), is called once a caller has joined the
	// invocation of its key (as its leader or a follower).
	joined func()
}

type authEntry struct {
	res     *authResult
	expires time.Time
}

func newAuthCache(max int) *authCache {
	if max <= 0 {
		max = DefaultAuthorizerCacheSize
	}
	return &authCache{entries: map[string]authEntry{}, gens: map[string]uint64{}, max: max}
}

// key builds the cache key of a request's identity values.
func (c *authCache) key(stageRef, deploymentID, authorizerID string, values []string) string {
	c.mu.Lock()
	gen := c.gens[stageRef]
	c.mu.Unlock()
	var b strings.Builder
	b.WriteString(stageRef)
	b.WriteByte(0)
	b.WriteString(strconv.FormatUint(gen, 10))
	b.WriteByte(0)
	b.WriteString(deploymentID)
	b.WriteByte(0)
	b.WriteString(authorizerID)
	for _, v := range values {
		b.WriteByte(0)
		b.WriteString(strconv.Itoa(len(v))) // so that values cannot run into each other
		b.WriteByte(':')
		b.WriteString(v)
	}
	return b.String()
}

// get returns the entry under key when it has not expired at now.
func (c *authCache) get(key string, now time.Time) (*authResult, time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok {
		return nil, time.Time{}, false
	}
	if !now.Before(e.expires) {
		delete(c.entries, key)
		return nil, time.Time{}, false
	}
	return e.res, e.expires, true
}

func (c *authCache) put(key string, res *authResult, expires time.Time, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[key]; !ok && len(c.entries) >= c.max {
		c.evictOne(now)
	}
	c.entries[key] = authEntry{res: res, expires: expires}
}

// evictOne removes an expired entry among the first few the map yields,
// else the first one.
func (c *authCache) evictOne(now time.Time) {
	first, n := "", 0
	for k, e := range c.entries {
		if !now.Before(e.expires) {
			delete(c.entries, k)
			return
		}
		if n == 0 {
			first = k
		}
		if n++; n == 16 {
			break
		}
	}
	delete(c.entries, first)
}

// flush empties a stage's entries (FlushStageAuthorizersCache).
func (c *authCache) flush(stageRef string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gens[stageRef]++
	prefix := stageRef + "\x00"
	for k := range c.entries {
		if strings.HasPrefix(k, prefix) {
			delete(c.entries, k)
		}
	}
}

// len is the number of entries (tests).
func (c *authCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// once runs fn for key, sharing its outcome with every concurrent caller
// of the same key; a caller whose ctx ends stops waiting (fn goes on, on
// its own deadline, for the others).
func (c *authCache) once(ctx context.Context, key string, fn func() (*authResult, error)) (*authResult, error) {
	ch := c.flight.DoChan(key, func() (any, error) { return fn() })
	if c.joined != nil {
		c.joined()
	}
	select {
	case r := <-ch:
		res, _ := r.Val.(*authResult)
		return res, r.Err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
