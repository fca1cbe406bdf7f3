// Package testbin builds programs for tests that run them as processes:
// Gatehouse's own binary, and the tools go.mod pins with `tool` lines (the
// Lambda Runtime Interface Emulator, Pebble). It runs the go command that
// runs the tests, with cgo off, and nothing of Gatehouse: it must never
// import another package of this module. Only tests and test harnesses
// import it.
package testbin
