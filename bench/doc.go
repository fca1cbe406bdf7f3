// Command bench is Gatehouse's load benchmark: the one place where the
// project's performance figures come from.
//
// In one invocation it builds the gatehouse binary, starts a loopback
// upstream answering {}, a bare httputil.ReverseProxy to it tuned as a real
// gateway would be, a bare Go HTTP server answering the MOCK body, and a
// gatehouse node configured through the management API (API key required,
// usage plan with throttle and quota, --keys keys round-robin). It then
// drives each with wrk, interleaved round by round, and prints the medians,
// Gatehouse's ratios to the bare targets (each the median of its per-round
// ratios) and PASS/FAIL against the targets. With --compare-keys it also
// runs a second gatehouse node with fewer keys in the same rounds and
// reports how far the first node's figures are from it. See
// bench/README.md for how to run and read it.
//
// With --throttle it measures throttle accuracy instead: one key under a
// usage plan limit (100 requests/s, burst 50 by default) driven by a Go
// load generator over 64 keep-alive connections for --duration, comparing
// the admitted count with rate×t + burst (target ±0.5 %) and with
// Gatehouse's own /metrics.
//
// The same binary re-executes itself with a hidden first argument
// (upstream, bareproxy, bareserver) to run each reference server as its own
// process. It is a development tool, not part of the gatehouse binary:
// nothing imports it, and it may import the AWS SDK.
package main
