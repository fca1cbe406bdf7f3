// Package counters owns request counting for the data plane: token-bucket
// throttles (the account-level bucket included), usage-plan quotas and
// daily usage counts, and the engines that keep them.
//
// The data plane's request pipeline calls the Throttler, Quotas and Usage
// interfaces on every request, so implementations keep no global lock,
// allocate nothing for a (plan, key) they have seen before, and never touch
// the database on a request. Diagnostics ask the same interfaces without
// consuming anything (Throttler.PeekThrottle, Quotas.Peek).
//
// A node holds one Backend, opened by URL with Open: those interfaces plus
// the lifecycle (Load before serving, Apply after every commit, Flush, Run
// in the background, Close). "" and "memory://" open the local backend:
// Local counts in sharded in-memory maps, loads quota state from the
// store, writes usage back in batches, and decides which usage-plan
// changes need the quota counts reloaded. A Redis backend for clusters
// will implement Backend too, keeping its counts in Redis; the interfaces
// carry a context and an error and assume nothing about where the counts
// live. Every Backend must pass the conformance suite in
// counters/counterstest.
//
// Package counters imports only apigw and store from Gatehouse; it must
// never import control, awsapi, gateway, server or a store engine
// (store/sqlite).
package counters
