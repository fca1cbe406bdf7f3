// Package control is Gatehouse's control plane: every operation of the
// management API in domain terms (create a key, patch a usage plan, deploy
// an API), with all validation, defaults, patch semantics and key sealing,
// executed in store transactions.
//
// Its inputs and outputs are apigw types and small input structs; its
// errors are *Error values whose Kind names the AWS exception class and
// whose Message is the text a client sees (it names the field and value at
// fault). Package control must never import awsapi, gateway or any HTTP or
// JSON wire shape, and never puts a key value in an error or a log.
package control
