// Package server assembles a Gatehouse node: it takes the data directory
// for this node alone (package datadir's lock), opens the server secret,
// the admin credentials and the store (by URL, package storeurl), builds
// the control plane and
// the management API behind SigV4, and serves the listeners with timeouts,
// body limits and graceful shutdown. Its own admin calls (/_gatehouse/*:
// explain, and reset in dev mode) are signed like the management API's
// (readSigned).
//
// It is the only package that knows every other one; nothing imports it
// but the CLI and tests.
package server
