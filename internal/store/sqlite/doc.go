// Package sqlite implements store.Store on an embedded SQLite database file
// (pure Go driver modernc.org/sqlite), for single-node Gatehouse.
//
// Open creates the file (mode 0600) if needed and applies the embedded goose
// migrations. The database runs in WAL mode with one writer connection, so
// Updates are serialised in-process instead of failing with SQLITE_BUSY,
// and a separate read-only pool serves Views from consistent snapshots.
//
// Each aggregate is one table with the columns needed for lookup,
// uniqueness and order, plus a JSON document of the domain struct. An API
// key's LookupHash and SealedValue are kept in their own columns and never
// in the document. Committed configuration changes are also appended to a
// bounded change log table (the last 10000 rows) that a cluster feed can
// mirror.
//
// Package sqlite imports only store and apigw from Gatehouse; it must never
// import control, awsapi, gateway or any transport package.
package sqlite
