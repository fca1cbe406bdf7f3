package gateway

import (
	"context"
	"hash/maphash"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
// The request path takes no global lock: entries are spread over
// authShards shards by a hash of the key, each with its own lock, and a
// stage's generation is read without one. A lookup builds the key in the
// request's own buffer and allocates nothing. The cache is bounded (max
// entries, split evenly between the shards): when a shard is full, an
// expired entry is evicted if one is found among a few, else an arbitrary
// one. A flush bumps the stage's generation, which is part of every key,
// so a reply in flight during a flush is stored under a key no request
// asks for.
type authCache struct {
	shards   [authShards]authShard
	perShard int
	seed     maphash.Seed
	gens     sync.Map // stage ref -> *atomic.Uint64
	flight   singleflight.Group
	// joined, when set (tests), is called once a caller has joined the
	// invocation of its key (as its leader or a follower).
	joined func()
}

const authShards = 32

type authShard struct {
	mu      sync.Mutex
	entries map[string]authEntry
	_       [40]byte // keeps shards' locks on separate cache lines
}

type authEntry struct {
	res     *authResult
	expires time.Time
}

func newAuthCache(size int) *authCache {
	if size <= 0 {
		size = DefaultAuthorizerCacheSize
	}
	c := &authCache{perShard: max(1, (size+authShards-1)/authShards), seed: maphash.MakeSeed()}
	for i := range c.shards {
		c.shards[i].entries = map[string]authEntry{}
	}
	return c
}

// gen returns a stage's generation counter.
func (c *authCache) gen(stageRef string) *atomic.Uint64 {
	if g, ok := c.gens.Load(stageRef); ok {
		return g.(*atomic.Uint64)
	}
	g, _ := c.gens.LoadOrStore(stageRef, new(atomic.Uint64))
	return g.(*atomic.Uint64)
}

// appendKey appends the cache key of a request's identity values to dst.
func (c *authCache) appendKey(dst []byte, stageRef, deploymentID, authorizerID string, values []string) []byte {
	dst = append(dst, stageRef...)
	dst = append(dst, 0)
	dst = strconv.AppendUint(dst, c.gen(stageRef).Load(), 10)
	dst = append(dst, 0)
	dst = append(dst, deploymentID...)
	dst = append(dst, 0)
	dst = append(dst, authorizerID...)
	for _, v := range values {
		dst = append(dst, 0)
		dst = strconv.AppendInt(dst, int64(len(v)), 10) // so that values cannot run into each other
		dst = append(dst, ':')
		dst = append(dst, v...)
	}
	return dst
}

func (c *authCache) shard(key []byte) *authShard {
	return &c.shards[maphash.Bytes(c.seed, key)%authShards]
}

// get returns the entry under key when it has not expired at now. It
// allocates nothing.
func (c *authCache) get(key []byte, now time.Time) (*authResult, time.Time, bool) {
	sh := c.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e, ok := sh.entries[string(key)]
	if !ok {
		return nil, time.Time{}, false
	}
	if !now.Before(e.expires) {
		delete(sh.entries, string(key))
		return nil, time.Time{}, false
	}
	return e.res, e.expires, true
}

func (c *authCache) put(key string, res *authResult, expires time.Time, now time.Time) {
	sh := c.shard([]byte(key))
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if _, ok := sh.entries[key]; !ok && len(sh.entries) >= c.perShard {
		sh.evictOne(now)
	}
	sh.entries[key] = authEntry{res: res, expires: expires}
}

// evictOne removes an expired entry among the first few the map yields,
// else the first one.
func (sh *authShard) evictOne(now time.Time) {
	first, n := "", 0
	for k, e := range sh.entries {
		if !now.Before(e.expires) {
			delete(sh.entries, k)
			return
		}
		if n == 0 {
			first = k
		}
		if n++; n == 16 {
			break
		}
	}
	delete(sh.entries, first)
}

// flush empties a stage's entries (FlushStageAuthorizersCache).
func (c *authCache) flush(stageRef string) {
	c.gen(stageRef).Add(1)
	prefix := stageRef + "\x00"
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		for k := range sh.entries {
			if strings.HasPrefix(k, prefix) {
				delete(sh.entries, k)
			}
		}
		sh.mu.Unlock()
	}
}

// len is the number of entries (tests).
func (c *authCache) len() int {
	n := 0
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		n += len(sh.entries)
		sh.mu.Unlock()
	}
	return n
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
