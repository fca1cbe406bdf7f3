// Package apigw holds Gatehouse's domain model: the plain structs that describe
// REST APIs (resources, methods, integrations), deployments, stages, API keys,
// usage plans and gateway responses, plus the enumerations and defaults AWS
// defines for them.
//
// The types carry no wire names (JSON tags) and no storage concerns: the
// management API's JSON shapes live in package awsapi, persistence in package
// store. Package apigw must never import store, control, awsapi, gateway or
// any transport package; everything else may import it.
package apigw
