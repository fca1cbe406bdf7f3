// Package e2e holds end-to-end tests that drive a real Gatehouse node over
// loopback with real clients (the AWS SDK for Go v2, the AWS CLI). It has no
// non-test code.
package e2e
