// Package server assembles a Gatehouse node: it opens the data directory
// (store, server secret, admin credentials), builds the control plane and
// the management API behind SigV4, and serves the listeners with timeouts,
// body limits and graceful shutdown.
//
// It is the only package that knows every other one; nothing imports it
// but the CLI and tests.
package server
