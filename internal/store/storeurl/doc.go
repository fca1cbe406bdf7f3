// Package storeurl opens a node's store from a URL (the --store flag): it
// is the one place that maps a URL scheme to a storage engine, so that
// package store never imports an engine and package server never names
// one.
//
// Supported: sqlite://PATH, the embedded SQLite database file at PATH
// (relative to the working directory; sqlite:///abs/path for an absolute
// one), and postgres://USER:PASSWORD@HOST:PORT/DATABASE?PARAMS (or
// postgresql://…), a PostgreSQL database that several nodes share, with
// pgx's URL parameters. An unknown scheme is refused with the list of
// supported ones. Messages, and Location.String, show a URL with its
// password masked, never the URL as given.
//
// Package storeurl imports store and the engine packages; it must never
// import control, awsapi, gateway or server.
package storeurl
