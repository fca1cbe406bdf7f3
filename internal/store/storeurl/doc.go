// Package storeurl opens a node's store from a URL (the --store flag): it
// is the one place that maps a URL scheme to a storage engine, so that
// package store never imports an engine and package server never names
// one.
//
// Supported today: sqlite://PATH, the embedded SQLite database file at
// PATH (relative to the working directory; sqlite:///abs/path for an
// absolute one). A cluster engine (postgres://) will be added here. An
// unknown scheme is refused with the list of supported ones. Messages show
// a URL with its password masked, never the URL as given.
//
// Package storeurl imports store and the engine packages; it must never
// import control, awsapi, gateway or server.
package storeurl
