package counters

import (
	"math/rand/v2"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
)

// accountShards splits Local's account bucket so that requests do not all
// contend on one lock: each shard in use holds 1/n of the rate and of the
// burst (the burst's remainder spread over the first shards), and a
// request draws from a shard picked at random, falling back to the others
// in turn when it is empty, so one caller can still use the whole limit.
// Every shard obeys its own share, so over any window of length d the
// shards together admit at most burst + rate·d.
const accountShards = 8

// accountSplit is one account limit split over the shards. It is never
// modified once published.
type accountSplit struct {
	key    limitKey // the total limit split
	n      int      // shards in use, 1 to accountShards
	shares [accountShards]apigw.Throttle
}

// newAccountSplit splits t, a limit with BurstLimit > 0. Every shard in
// use holds at least one token of burst, or its share of the rate could
// never be used, so a burst below accountShards uses fewer shards.
func newAccountSplit(t apigw.Throttle) *accountSplit {
	sp := &accountSplit{key: keyOf(t), n: min(accountShards, max(1, t.BurstLimit))}
	for i := range sp.n {
		burst := t.BurstLimit / sp.n
		if i < t.BurstLimit%sp.n {
			burst++
		}
		sp.shares[i] = apigw.Throttle{RateLimit: t.RateLimit / float64(sp.n), BurstLimit: burst}
	}
	return sp
}

// accountIDs are the entryIDs of the account shards' buckets: hashed
// like any bucket's (with tags no BucketKey uses), then moved to distinct
// table shards, so that two account shards never share a lock.
func (l *Local) accountIDs() [accountShards]entryID {
	var ids [accountShards]entryID
	const stride = shardCount / accountShards
	for i := range ids {
		id := l.id(accountShardTag+uint8(i), "", "", "")
		id.hi = id.hi&^(shardCount-1) | uint64(i*stride)
		ids[i] = id
	}
	return ids
}

// accountShardTag is the first of the hash tags of the account shards'
// buckets; BucketKey scopes use tags below it.
const accountShardTag = 0x40

// accountSplitFor returns the split of t, computing it when t is not the
// limit last split: the account limit changes rarely, and the split is
// then shared by every request without a lock.
func (l *Local) accountSplitFor(t apigw.Throttle) *accountSplit {
	if sp := l.account.Load(); sp != nil && sp.key == keyOf(t) {
		return sp
	}
	sp := newAccountSplit(t)
	l.account.Store(sp)
	return sp
}

// accountStart picks the shard a request tries first, at random from the
// runtime's per-thread generator: no shared state, so no contention.
func accountStart(n int) int { return int(rand.Uint32N(uint32(n))) }

// allowAccount is Allow for AccountBucket under the total limit t (burst
// > 0): a token from the first shard that has one, or the soonest
// retryAfter of them all.
func (l *Local) allowAccount(t apigw.Throttle, now int64) (bool, time.Duration) {
	sp := l.accountSplitFor(t)
	var retry time.Duration
	for i, j := 0, accountStart(sp.n); i < sp.n; i, j = i+1, j+1 {
		if j == sp.n {
			j = 0
		}
		ok, r := l.allow(l.accountID[j], sp.shares[j], now)
		if ok {
			return true, 0
		}
		if i == 0 || r < retry {
			retry = r
		}
	}
	return false, retry
}

// refundAccount is Refund for AccountBucket: the token goes back to the
// first shard that is not full. Which shard gave it does not matter: the
// shards' tokens together never exceed the burst, and every shard refills
// at its own share.
func (l *Local) refundAccount(t apigw.Throttle, now int64) {
	sp := l.accountSplitFor(t)
	for i, j := 0, accountStart(sp.n); i < sp.n; i, j = i+1, j+1 {
		if j == sp.n {
			j = 0
		}
		if l.refund(l.accountID[j], sp.shares[j], now) {
			return
		}
	}
}

// peekAccount is PeekThrottle for AccountBucket: whether any shard has a token,
// and otherwise the soonest retryAfter.
func (l *Local) peekAccount(t apigw.Throttle, now int64) (bool, time.Duration) {
	sp := l.account.Load()
	if sp == nil || sp.key != keyOf(t) {
		sp = newAccountSplit(t) // PeekThrottle changes no state, not even the cache
	}
	var retry time.Duration
	for i := range sp.n {
		ok, r := l.peek(l.accountID[i], sp.shares[i], now)
		if ok {
			return true, 0
		}
		if i == 0 || r < retry {
			retry = r
		}
	}
	return false, retry
}
