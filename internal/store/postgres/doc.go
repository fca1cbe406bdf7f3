// Package postgres implements store.Store on a PostgreSQL database (driver
// github.com/jackc/pgx/v5, pgxpool), for Gatehouse nodes that share their
// configuration.
//
// Open connects with a postgres:// URL and applies the embedded goose
// migrations (migrations/*.sql, PostgreSQL's own) while holding a
// session-level advisory lock (pg_advisory_lock), so nodes that start at
// once on a fresh database wait for the first to create the schema
// instead of racing it. goose gets a database/sql handle on the same pool
// through pgx/v5/stdlib; everything else uses pgx natively.
//
// Update runs fn in a SERIALIZABLE transaction and, when PostgreSQL aborts
// it with a serialization failure or a deadlock (SQLSTATE 40001, 40P01),
// runs fn again in a new one (bounded attempts with jittered backoff), so
// fn must have no effect outside the transaction that a second run would
// repeat. SERIALIZABLE rather than REPEATABLE READ because the callers'
// read-check-write code (a stage exists, then a plan names it; a plan
// exists, then usage is added to it) was written against SQLite's single
// writer: under SERIALIZABLE every committed set of Updates is equivalent
// to some one-at-a-time order, as there, where REPEATABLE READ would let
// two Updates that write different rows commit a write skew. The cost is
// retries, which configuration writes pay anyway: they all update the one
// meta row that holds the revision. View runs in a REPEATABLE READ, READ
// ONLY transaction: one snapshot for the whole of fn, never aborted.
//
// The tables are those of store/sqlite (one per aggregate: lookup and
// order columns plus the domain struct as a JSON document; an API key's
// LookupHash and SealedValue in their own columns), without the usage
// journal: AddUsage upserts a flush's day rows in one statement. Committed
// configuration changes are appended to a bounded change log table (at
// most the last 10000 rows, whole commits only) in the same transaction.
//
// The change feed spans the nodes on one database (feed.go): each commit
// NOTIFYs the channel gatehouse_changes with its revision, delivered on
// commit; each DB LISTENs on a connection of its own and, on a
// notification or at least every second, reads the changes after the last
// revision it published from the change log and publishes them as its own
// commits are published (Listen and Subscribe: one batch per revision, in
// revision order, never half of one; a local commit first publishes the
// other nodes' earlier revisions). Revisions the log no longer holds, and
// a commit too large for it, reach subscribers as one KindResync. When the
// connection drops the node keeps serving its last published state and
// reconnects with jittered backoff, then catches up; FeedErr says whether
// it is following. PostgreSQL text cannot hold a NUL byte or
// invalid UTF-8: such a string is never sent; a lookup by it finds
// nothing and a write of it fails with an error saying why.
//
// Package postgres imports only store and apigw from Gatehouse; it must
// never import control, awsapi, gateway, server or another engine.
package postgres
