// Package cli is the gatehouse command line: its cobra commands (serve,
// version) parse flags, set up logging and signals, and hand over to
// package server. It holds no gateway logic of its own.
package cli
