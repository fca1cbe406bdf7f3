package control

import "github.com/gatehouse-dev/gatehouse/internal/secret"

const idAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// ID lengths as AWS mints them.
const (
	apiIDLen          = 10
	rootResourceIDLen = 10
	resourceIDLen     = 6
	deploymentIDLen   = 6
	usagePlanIDLen    = 6
	apiKeyIDLen       = 10
)

// newID returns a random lowercase alphanumeric id of n characters.
func newID(n int) string { return secret.RandomString(idAlphabet, n) }

// keyValueAlphabet and keyValueLen describe generated API key values.
const (
	keyValueAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	keyValueLen      = 40
)

// newKeyValue returns a fresh 40-character API key value.
func newKeyValue() string { return secret.RandomString(keyValueAlphabet, keyValueLen) }
