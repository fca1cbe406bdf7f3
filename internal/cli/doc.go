// Package cli is the gatehouse command line: its cobra commands (serve,
// version, doctor) parse flags, set up logging and signals, and hand over
// to package server, or call a node's admin API (doctor). It holds no
// gateway logic of its own.
package cli
