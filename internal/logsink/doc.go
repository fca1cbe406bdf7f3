// Package logsink buffers a line-oriented log (the data plane's access
// log) so that writing a line costs a copy into memory, not a system call
// on the request path. Each P (each core running Go code) writes into a
// shard buffer of its own, so writers neither contend nor pass cache lines
// between cores; the shards are written out, whole, by a background flush
// every interval, when a shard fills, and on Close.
//
// Lines from different shards may reach the output slightly out of order;
// each carries its own timestamp. A crash loses at most one interval of
// lines. Package logsink imports only the standard library.
package logsink
