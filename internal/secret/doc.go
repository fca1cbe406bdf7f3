// Package secret owns the server's secrets: the server secret (from which
// the API-key lookup hash key and the key-value encryption key are derived)
// and the admin credentials that sign management API calls. Both live in
// files of the data directory, created on first start with mode 0600 and
// synced to disk. Load never creates a server secret: whether a missing
// one may be created is for the caller to decide (package server checks the
// store's CheckValue first), since a new secret makes every existing key
// unusable.
//
// Package secret must never import store, control, awsapi or gateway, and
// never logs a secret or a key value.
package secret
