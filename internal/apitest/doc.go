// Package apitest starts a real Gatehouse node on loopback for tests and
// hands back an AWS SDK for Go v2 apigateway client signed with the node's
// admin credentials. Only tests import it (it links the AWS SDK, which the
// gatehouse binary must not).
package apitest
