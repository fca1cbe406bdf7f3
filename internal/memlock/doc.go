// Package memlock keeps a node's memory resident: it locks the process's
// pages in RAM (mlockall, current and future mappings) so that
//
//   - the server secret, the key lookup hashes and the key values being
//     served never reach swap, where they would outlive the process; and
//   - the kernel's reclaim leaves the node's pages alone. A node with a
//     million keys holds hundreds of megabytes that traffic for a few keys
//     leaves cold; reclaim daemons (kswapd under pressure, DAMON's pageout
//     schemes on some VMs) keep sampling and trying to reclaim them, and
//     the node pays in TLB flushes and tail latency.
//
// Locking needs CAP_IPC_LOCK or a large enough RLIMIT_MEMLOCK (systemd:
// LimitMEMLOCK=infinity). Mode Auto locks when allowed and otherwise says
// why and goes on; Required fails instead; Off does nothing.
//
// Package memlock imports only the standard library and golang.org/x/sys,
// and must never import another Gatehouse package.
package memlock
