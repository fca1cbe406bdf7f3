// Package store defines Gatehouse's persistent state in domain terms: the
// Store interface (read and write transactions over REST APIs, deployments,
// stages, API keys, usage plans and usage counts), its errors, and the
// change feed every write produces.
//
// Implementations live in subpackages, one per engine (store/sqlite,
// store/postgres), and must all pass the conformance suite in
// store/storetest. Package store imports only apigw; it must never import
// control, awsapi, gateway or any engine driver.
package store
