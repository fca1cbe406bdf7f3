// Package storetest is the conformance suite every store.Store
// implementation must pass (Run), plus builders of sample domain objects
// for tests.
//
// The suite is written only against the store.Store interface, so an
// engine's test just calls storetest.Run with a function that opens a fresh,
// empty store. Package storetest imports only store, apigw and test
// libraries; it must never import an engine package (store/sqlite,
// store/postgres) or control, awsapi, gateway.
//
// The suite is split by aggregate: apis.go (APIs, deployments, stages),
// apikeys.go, usageplans.go, usage.go (usage and quota adjustments),
// lists.go (pagination and missing parents), feed.go (revision and change
// feed) and tx.go (transactions: rollback, concurrency, snapshots, reset,
// copies); storetest.go holds Run and the shared helpers.
package storetest
