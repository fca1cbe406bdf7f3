package redis

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// Usage waits in Redis until a Flush folds it into the store: in
// usageShards hashes "u{N}", one field per (plan, key, UTC day), named
// "plan\x1fkey\x1fday" (day: days since 1970-01-01).
const usageShards = 8

const nsPerDay = int64(24 * time.Hour)

func dayOf(ns int64) int64 {
	d := ns / nsPerDay
	if ns%nsPerDay < 0 {
		d--
	}
	return d
}

func (b *Backend) usageKey(shard int) string {
	return b.prefix + "u{" + strconv.Itoa(shard) + "}"
}

func usageField(planID, keyID string, day int64) string {
	return planID + "\x1f" + keyID + "\x1f" + strconv.FormatInt(day, 10)
}

func parseUsageField(f string) (planID, keyID string, day int64, ok bool) {
	planID, rest, ok1 := strings.Cut(f, "\x1f")
	keyID, d, ok2 := strings.Cut(rest, "\x1f")
	day, err := strconv.ParseInt(d, 10, 64)
	return planID, keyID, day, ok1 && ok2 && err == nil
}

// Record implements counters.Usage: one HINCRBY, so the count is in
// Redis before the request is answered.
func (b *Backend) Record(ctx context.Context, planID, keyID string, now time.Time) error {
	shard := int((maphash.String(b.quotas.seed, planID) ^ maphash.String(b.quotas.seed, keyID)) % usageShards)
	err := b.rdb.HIncrBy(ctx, b.usageKey(shard), usageField(planID, keyID, dayOf(now.UnixNano())), 1).Err()
	b.trip(opUsageRecord)
	if err != nil {
		return fmt.Errorf("counters/redis: record usage of key %s in usage plan %s: %w", keyID, planID, err)
	}
	return nil
}

// foldScript moves a usage shard (KEYS[1]) to a fold key (KEYS[2], same
// slot) and returns the fold's fields and values.
var foldScript = goredis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return {} end
redis.call('RENAME', KEYS[1], KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return redis.call('HGETALL', KEYS[2])
`)

// unfoldScript puts a fold (KEYS[2]) back into its usage shard (KEYS[1]).
var unfoldScript = goredis.NewScript(`
local kv = redis.call('HGETALL', KEYS[2])
for i = 1, #kv, 2 do redis.call('HINCRBY', KEYS[1], kv[i], kv[i + 1]) end
redis.call('DEL', KEYS[2])
return #kv / 2
`)

// foldKeep is how long a fold key lives if its node dies before the
// store has its counts (they are then lost).
const foldKeep = 24 * time.Hour

// flushUsage folds every usage shard into the store in one transaction;
// when the store refuses, the folds go back to their shards.
func (b *Backend) flushUsage(ctx context.Context) error {
	b.flushMu.Lock()
	defer b.flushMu.Unlock()
	b.folds++
	var (
		recs  []store.UsageRecord
		folds [][2]string
		errs  []error
	)
	for i := range usageShards {
		keys := [2]string{b.usageKey(i), b.usageKey(i) + ":fold:" + b.node + ":" + strconv.FormatUint(b.folds, 10)}
		kv, err := foldScript.Run(ctx, b.rdb, keys[:], foldKeep.Milliseconds()).StringSlice()
		b.trip(opUsageFold)
		if err != nil {
			errs = append(errs, fmt.Errorf("counters/redis: fold usage shard %d: %w", i, err))
			continue
		}
		if len(kv) == 0 {
			continue
		}
		folds = append(folds, keys)
		for j := 0; j+1 < len(kv); j += 2 {
			planID, keyID, day, ok := parseUsageField(kv[j])
			n, err := strconv.ParseInt(kv[j+1], 10, 64)
			if !ok || err != nil {
				b.log.Warn("counters/redis: dropping a malformed usage count", "field", kv[j], "value", kv[j+1])
				continue
			}
			recs = append(recs, store.UsageRecord{PlanID: planID, KeyID: keyID, Day: time.Unix(day*(nsPerDay/1e9), 0).UTC(), Count: n})
		}
	}
	if len(recs) > 0 {
		if err := b.st.Update(ctx, func(tx store.Tx) error { return tx.AddUsage(ctx, recs) }); err != nil {
			errs = append(errs, fmt.Errorf("counters/redis: flush usage (%d records): %w", len(recs), err))
			for _, keys := range folds {
				err := unfoldScript.Run(context.WithoutCancel(ctx), b.rdb, keys[:]).Err()
				b.trip(opUsageFold)
				if err != nil {
					errs = append(errs, fmt.Errorf("counters/redis: put back usage fold %s (its counts are lost): %w", keys[1], err))
				}
			}
			return errors.Join(errs...)
		}
	}
	for _, keys := range folds {
		err := b.rdb.Del(ctx, keys[1]).Err()
		b.trip(opUsageFold)
		if err != nil {
			// The store has the counts; a fold left behind expires.
			b.log.Warn("counters/redis: delete folded usage", "key", keys[1], "error", err)
		}
	}
	return errors.Join(errs...)
}

// pendingUsage calls fn for every usage count waiting in Redis.
func (b *Backend) pendingUsage(ctx context.Context, fn func(planID, keyID string, day, n int64)) error {
	for i := range usageShards {
		m, err := b.rdb.HGetAll(ctx, b.usageKey(i)).Result()
		b.trip(opUsageRead)
		if err != nil {
			return fmt.Errorf("read pending usage shard %d: %w", i, err)
		}
		for f, v := range m {
			planID, keyID, day, ok := parseUsageField(f)
			n, err := strconv.ParseInt(v, 10, 64)
			if ok && err == nil {
				fn(planID, keyID, day, n)
			}
		}
	}
	return nil
}
