// Package counterstest is the conformance suite every counters.Backend
// must pass (Run): throttle buckets, quotas, usage counts and the
// backend lifecycle (load, reload on a plan change, flush, run, restart),
// under concurrency too.
//
// The suite is written only against the counters.Backend interface and
// store.Store, so an engine's test just calls Run with a Setup that opens
// a fresh store and a backend over it. It passes every time explicitly
// (the counting methods' now), so a backend under test must count at the
// time it is given. Package counterstest imports only counters, store,
// storetest, apigw and test libraries; it must never import an engine
// package (store/sqlite, a Redis client) or control, awsapi, gateway.
package counterstest
