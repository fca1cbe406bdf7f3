// Package datadir gives one node at a time a data directory: Acquire
// takes an exclusive lock (flock) on the file LockFile in the directory
// and writes the process id into it; a second process's Acquire fails
// with a *LockedError naming the holder's pid. The kernel releases the
// lock when the holder's process ends, however it ends (kill -9
// included), so a crash never leaves a stale lock behind; the file itself
// stays, and the next holder rewrites it.
//
// Locks are per open file, so two Acquire calls in one process conflict
// as well. On NFS the lock is only as good as the server's lock support.
//
// Package datadir imports only the standard library and golang.org/x/sys,
// and must never import another Gatehouse package.
package datadir
