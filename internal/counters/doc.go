// Package counters owns request counting for the data plane: token-bucket
// throttles, usage-plan quotas and daily usage counts.
//
// The data plane's request pipeline calls the Throttler, Quotas and Usage
// interfaces on every request, so implementations keep no global lock,
// allocate nothing for a (plan, key) they have seen before, and never touch
// the database on a request. Local is the single-node implementation: it
// counts in sharded in-memory maps, loads quota state from the store at
// start (LoadQuotas), and writes usage back to the store in batches (Flush,
// Flusher). A Redis implementation for clusters will satisfy the same
// interfaces, so they carry a context and an error and assume nothing about
// where the counts live.
//
// Package counters imports only apigw and store from Gatehouse; it must never
// import control, awsapi, gateway or any transport package.
package counters
