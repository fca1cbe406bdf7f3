// Package gcfloor keeps Go's garbage collector from starting a cycle
// before the heap has grown to a floor (for example 64 MiB), while leaving
// Go's ordinary pacing (GOGC=100: a cycle when the heap doubles its live
// part) in charge once the live heap is large.
//
// Why: Go starts a cycle once the heap grows by its live size, and never
// lets that be under 4 MiB. A gateway keeps little live data but allocates
// a few kilobytes per request in net/http, so at tens of thousands of
// requests a second it would collect forty times a second, each cycle
// marking the same live data and stopping the world twice. A floor trades
// a bounded amount of memory (at most the floor, only while the live heap
// is small) for most of that CPU.
//
// How: after every cycle (seen by a finalizer on a sentinel object that is
// re-armed each time) it reads the live heap from runtime/metrics and sets
// GOGC with debug.SetGCPercent so that the next goal is
// max(floor, live × 2). An operator who sets GOGC or GOMEMLIMIT in the
// environment has chosen a policy; the cli then does not start a floor.
//
// Package gcfloor imports only the standard library and must never import
// another Gatehouse package.
package gcfloor
