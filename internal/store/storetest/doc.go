// Package storetest is the conformance suite every store.Store
// implementation must pass (Run), plus builders of sample domain objects
// for tests.
//
// The suite is written only against the store.Store interface, so an
// engine's test just calls storetest.Run with a function that opens a fresh,
// empty store. Package storetest imports only store, apigw and test
// libraries; it must never import an engine package (store/sqlite,
// store/postgres) or control, awsapi, gateway.
package storetest
