// Package cli is the gatehouse command line: its cobra commands (serve,
// version, explain, doctor) parse flags, set up logging and signals, and hand over
// to package server, or call a node's admin API through one signed client
// (adminclient.go: the endpoint and credentials of the local node by
// default). It holds no gateway logic of its own.
package cli
