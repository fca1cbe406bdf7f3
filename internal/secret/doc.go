// Package secret owns the server's secrets: the server secret (from which
// the API-key lookup hash key and the key-value encryption key are derived)
// and the admin credentials that sign management API calls. Both live in
// files of the data directory, created on first start with mode 0600.
//
// Package secret must never import store, control, awsapi or gateway, and
// never logs a secret or a key value.
package secret
