// Package memlock keeps a node's memory resident: it locks the process's
// pages in RAM (mlockall, current and future mappings) so that
//
//   - the server secret, the key lookup hashes and the key values being
//     served never reach swap, where they would outlive the process; and
//   - reclaim under memory pressure leaves the node's pages alone. A node
//     with a million keys holds hundreds of megabytes that traffic for a
//     few keys leaves cold, the first pages reclaim would take.
//
// Locking needs CAP_IPC_LOCK or a large enough RLIMIT_MEMLOCK (systemd:
// LimitMEMLOCK=infinity). Mode Auto locks when allowed and otherwise says
// why and goes on; Required fails instead; Off does nothing. Pages are
// locked as they are first touched: the Go runtime, which the kernel does
// not let madvise locked pages, hands freed memory back by mapping the
// range afresh, and a fresh range stays out of memory until it is used.
//
// Package memlock imports only the standard library and golang.org/x/sys,
// and must never import another Gatehouse package.
package memlock
