// Package redis is the cluster counters engine: a counters.Backend whose
// throttle buckets, quota counts and pending usage live in one Redis
// server shared by every node of a cluster (counters.Open with redis://
// or rediss://, once this package is imported).
//
// Throttles. Every bucket is one Redis hash, checked by one Lua script
// per call (EVALSHA): the same exact-rational GCRA as counters.Local
// (rate in 1e-9 tokens/s, theoretical arrival time in whole ns plus a
// fraction), with the time the caller passes, never Redis TIME, so nodes
// and tests agree on the clock they give. Lua has only doubles, so the
// script keeps times as (seconds, nanoseconds) pairs and adds and
// compares them exactly. A rate above 1e6 tokens/s has its emission
// interval rounded down to a whole ns (it admits up to 0.1 % more than
// asked). The account bucket is one bucket, cluster-wide, like AWS's
// per-region limit. A bucket's key expires a minute after it is full
// again (a full bucket is a new one); a rate-0 bucket a week after its
// last use.
//
// Quotas are leased budgets (as Sentry Relay's quota leases): a node
// takes from Redis, in one atomic script, a lease of
// min(LeaseMax, max(1, remaining/LeaseDivisor)) requests of the key's
// current period and admits from it without a round trip; leases shrink
// as the quota nears zero. Redis counts a lease as used when it is taken,
// so the requests admitted across all nodes never exceed limit +
// adjustment. A full lease (LeaseMax: Redis had at least LeaseMax ×
// LeaseDivisor left) is kept across flushes, so a steady key costs one
// lease take per LeaseMax requests and nothing per flush. A node gives
// an unused lease back at its next Flush when it matters: the lease was
// not a full one (little left), its window has ended, it has not been
// used for 30 s, or another node's take found the key's quota short —
// such a take (less than a full lease left, or nothing) sets the key's
// reclaim marker (a Redis key in the quota's slot, living two flush
// intervals), and each Flush reads the markers of the keys whose leases
// it keeps in one pipelined round trip. Every unused lease goes back
// before the node leases the key again, on shutdown (Run's last flush,
// Close), and a lease of a period no longer counted is given back only to
// the count it came from. The price is a shortfall: while other nodes
// hold leases, a node may refuse although up to the sum of their unused
// leases is left — at most LeaseMax per node and key. Its refusal sets
// the marker; the others give their leases back at their next flush
// (within one FlushInterval), and the refused node asks Redis again after
// its own next flush, so it is refused for at most about two flush
// intervals (or for good, for the period, when a node dies holding a
// lease). Used and Remaining in a QuotaResult are this node's view:
// Redis's count less this node's unused lease. Once Redis has answered
// that a key's quota is spent, the node refuses that key's requests
// without asking again until its next Flush, so a raised remaining count
// (UpdateUsage on another node) or a lease another node gave back is seen
// within one flush interval; a higher limit in the Take's quota is seen
// at once.
//
// Usage: Record adds one to a per-(plan, key, UTC day) field of a Redis
// hash (one of eight, by key) before the request is answered; Flush
// folds those counts into the store — it renames the hash away
// atomically to a fold key listed in the shard's fold index, writes the
// fold with store.Tx.AddUsage in a transaction that claims the fold's id
// (store.Tx.ClaimUsageBatch), and only then deletes it. A fold the store
// refuses stays for the node's next flush; a fold whose node died (before
// or after writing it) is taken up by any node's flush once it is five
// flush intervals (at least 5 s) old; a fold written twice counts once,
// so no count is written twice or lost when a node dies. A quota period change
// (Apply) and Load recount a plan's quotas from the store's usage plus
// the usage still pending in Redis. A period change's recount is a
// compare-and-set keyed by the change's store revision (kept next to the
// window's count): the first node to apply the change sets the count and
// the later ones keep it, with the leases taken from it since. A lease is
// given back only to the count it was taken from (same revision), never
// to one recounted since, which does not hold it.
//
// Keys: every key starts with Options.Prefix (default "gatehouse:") and
// carries a {hash tag} so that the keys one script touches share a Redis
// Cluster slot (a bucket; a (plan, key)'s quota windows and adjustment;
// a usage shard, its folds and its fold index). Ids are escaped inside
// the tag.
//
// Package redis imports counters, apigw, store and
// github.com/redis/go-redis/v9; it must never import control, awsapi,
// gateway, server or a store engine.
package redis
