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

// Folds. A Flush moves each usage shard "u{N}" to a fold key
// "u{N}:fold:<fold id>" (fold id: "<node>:<flush number>") and lists the
// fold in the shard's fold index "u{N}:folds" (a sorted set of fold ids
// by the time of the move, in ms), atomically; it then writes the counts
// of the folds it took up to the store in one transaction that claims
// each fold's id (store.Tx.ClaimUsageBatch, so a fold written twice
// counts once), and only then deletes them. A fold is taken up by the
// node that made it, on each of its flushes until it is written, and by
// any node's flush once it is foldStale old: its node died, or cannot
// reach the store. A node that has a fold of a shard pending moves no new
// one of that shard: the counts wait in the shard meanwhile.

// foldScript takes up the folds of a usage shard (KEYS[1], fold index
// KEYS[2]) that node ARGV[1] should write: its own and those moved at or
// before ARGV[4] (ms); then, unless one of them is its own, moves the
// shard to a new fold ARGV[2] at ARGV[3] (ms) that lives ARGV[5] ms. It
// returns {fold id, {field, value, ...}, ...}.
var foldScript = goredis.NewScript(`
local out, own = {}, false
local m = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
for i = 1, #m, 2 do
  local id = m[i]
  local mine = string.sub(id, 1, #ARGV[1] + 1) == ARGV[1] .. ':'
  if mine then own = true end
  if mine or tonumber(m[i + 1]) <= tonumber(ARGV[4]) then
    out[#out + 1] = id
    out[#out + 1] = redis.call('HGETALL', KEYS[1] .. ':fold:' .. id)
  end
end
if not own and redis.call('EXISTS', KEYS[1]) == 1 then
  local fk = KEYS[1] .. ':fold:' .. ARGV[2]
  redis.call('RENAME', KEYS[1], fk)
  redis.call('PEXPIRE', fk, ARGV[5])
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
  redis.call('PEXPIRE', KEYS[2], ARGV[5])
  out[#out + 1] = ARGV[2]
  out[#out + 1] = redis.call('HGETALL', fk)
end
return out
`)

// dropFoldsScript deletes the folds ARGV of a usage shard (KEYS[1], fold
// index KEYS[2]) once the store has them.
var dropFoldsScript = goredis.NewScript(`
for i = 1, #ARGV do
  redis.call('DEL', KEYS[1] .. ':fold:' .. ARGV[i])
  redis.call('ZREM', KEYS[2], ARGV[i])
end
return #ARGV
`)

// pendingScript returns the fields and values of a usage shard (KEYS[1])
// and of every fold of it not yet deleted (fold index KEYS[2]).
var pendingScript = goredis.NewScript(`
local out = redis.call('HGETALL', KEYS[1])
for _, id in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  for _, v in ipairs(redis.call('HGETALL', KEYS[1] .. ':fold:' .. id)) do out[#out + 1] = v end
end
return out
`)

// foldKeep is how long a fold (and a fold index) lives in Redis: a fold
// that no node writes within it (the whole cluster down that long) is
// lost. It must stay below store.UsageBatchKeep, so that a fold is never
// written after the store forgot its claim.
const foldKeep = 7 * 24 * time.Hour

// defaultFoldStale is how old another node's fold must be before a flush
// takes it up (at least five flush intervals).
const defaultFoldStale = 5 * time.Second

func (b *Backend) foldIndexKey(shard int) string { return b.usageKey(shard) + ":folds" }

// usageFold is one fold taken up by a flush.
type usageFold struct {
	shard int
	id    string // "<node>:<flush number>"
	recs  []store.UsageRecord
}

// batchID is the fold's id in the store (store.Tx.ClaimUsageBatch).
func (f usageFold) batchID() string { return "redis-usage:u" + strconv.Itoa(f.shard) + ":" + f.id }

// flushUsage writes the usage folds this node should write (see Folds)
// into the store in one transaction, then deletes them from Redis. A fold
// the store refuses stays pending for the next flush. When a fold of this
// node's was pending (so that shard was not moved), a second pass moves
// and writes the counts recorded since, so that a Flush that succeeds has
// written every count recorded before it.
func (b *Backend) flushUsage(ctx context.Context) error {
	b.flushMu.Lock()
	defer b.flushMu.Unlock()
	held, err := b.foldPass(ctx)
	if held && err == nil {
		_, err = b.foldPass(ctx)
	}
	return err
}

// foldPass is one pass of flushUsage (flushMu held). held: a fold of this
// node's older than the pass was taken up.
func (b *Backend) foldPass(ctx context.Context) (held bool, _ error) {
	b.folds++
	now := b.o.Now()
	newID := b.node + ":" + strconv.FormatUint(b.folds, 10)
	var (
		folds []usageFold
		errs  []error
	)
	for i := range usageShards {
		res, err := foldScript.Run(ctx, b.rdb, []string{b.usageKey(i), b.foldIndexKey(i)},
			b.node, newID, now.UnixMilli(), now.Add(-b.foldStale).UnixMilli(), foldKeep.Milliseconds()).Slice()
		b.trip(opUsageFold)
		if err != nil {
			errs = append(errs, fmt.Errorf("counters/redis: fold usage shard %d: %w", i, err))
			continue
		}
		for j := 0; j+1 < len(res); j += 2 {
			id, _ := res[j].(string)
			kv, _ := res[j+1].([]any)
			folds = append(folds, usageFold{shard: i, id: id, recs: b.foldRecords(id, kv)})
			held = held || (id != newID && strings.HasPrefix(id, b.node+":"))
		}
	}
	if err := b.atFoldStage("taken"); err != nil {
		return held, errors.Join(append(errs, err)...)
	}
	if len(folds) == 0 {
		return held, errors.Join(errs...)
	}
	err := b.st.Update(ctx, func(tx store.Tx) error {
		var recs []store.UsageRecord
		for _, f := range folds {
			if len(f.recs) == 0 {
				continue
			}
			fresh, err := tx.ClaimUsageBatch(ctx, f.batchID(), now)
			if err != nil {
				return err
			}
			if fresh {
				recs = append(recs, f.recs...)
			}
		}
		if len(recs) == 0 {
			return nil
		}
		return tx.AddUsage(ctx, recs)
	})
	if err != nil {
		errs = append(errs, fmt.Errorf("counters/redis: flush usage (%d folds; they stay in Redis for the next flush): %w", len(folds), err))
		return held, errors.Join(errs...)
	}
	if err := b.atFoldStage("written"); err != nil {
		return held, errors.Join(append(errs, err)...)
	}
	byShard := map[int][]any{}
	for _, f := range folds {
		byShard[f.shard] = append(byShard[f.shard], f.id)
	}
	for shard, ids := range byShard {
		err := dropFoldsScript.Run(ctx, b.rdb, []string{b.usageKey(shard), b.foldIndexKey(shard)}, ids...).Err()
		b.trip(opUsageFold)
		if err != nil {
			// The store has the counts; a fold left behind is taken up
			// again and found claimed.
			b.log.Warn("counters/redis: delete written usage folds", "shard", shard, "folds", ids, "error", err)
		}
	}
	return held, errors.Join(errs...)
}

// atFoldStage runs foldHook, if any, at a stage of flushUsage: "taken"
// (folds moved and read, not written) or "written" (in the store, not
// deleted from Redis).
func (b *Backend) atFoldStage(stage string) error {
	if b.foldHook == nil {
		return nil
	}
	return b.foldHook(stage)
}

// foldRecords turns a fold's fields and values into usage records.
func (b *Backend) foldRecords(id string, kv []any) []store.UsageRecord {
	recs := make([]store.UsageRecord, 0, len(kv)/2)
	for j := 0; j+1 < len(kv); j += 2 {
		f, _ := kv[j].(string)
		v, _ := kv[j+1].(string)
		planID, keyID, day, ok := parseUsageField(f)
		n, err := strconv.ParseInt(v, 10, 64)
		if !ok || err != nil {
			b.log.Warn("counters/redis: dropping a malformed usage count", "fold", id, "field", f, "value", v)
			continue
		}
		recs = append(recs, store.UsageRecord{PlanID: planID, KeyID: keyID, Day: time.Unix(day*(nsPerDay/1e9), 0).UTC(), Count: n})
	}
	return recs
}

// pendingUsage calls fn for every usage count waiting in Redis: in the
// usage shards and in folds not yet deleted. A fold the store has but
// that is not deleted yet (for one round trip, or until a flush takes up
// the fold of a node that died in between) counts twice.
func (b *Backend) pendingUsage(ctx context.Context, fn func(planID, keyID string, day, n int64)) error {
	for i := range usageShards {
		kv, err := pendingScript.Run(ctx, b.rdb, []string{b.usageKey(i), b.foldIndexKey(i)}).StringSlice()
		b.trip(opUsageRead)
		if err != nil {
			return fmt.Errorf("read pending usage shard %d: %w", i, err)
		}
		for j := 0; j+1 < len(kv); j += 2 {
			planID, keyID, day, ok := parseUsageField(kv[j])
			n, err := strconv.ParseInt(kv[j+1], 10, 64)
			if ok && err == nil {
				fn(planID, keyID, day, n)
			}
		}
	}
	return nil
}
