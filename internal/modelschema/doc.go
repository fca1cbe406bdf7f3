// Package modelschema compiles a REST API's models (JSON Schema, draft 4
// unless a schema names another draft, as AWS) and validates payloads
// against them. It is the one home of the rules a model's schema must
// pass: the control plane checks a model with CheckModel before storing
// it, and the data plane compiles a deployment's models once with Compile
// and validates request bodies with Schema.Validate.
//
// A model refers to another model of the same API by its canonical URL,
// https://apigateway.amazonaws.com/restapis/{apiId}/models/{name}
// (apigw.ModelURL); nothing is ever fetched: any other absolute reference
// is refused. It imports only the domain model and the JSON Schema
// library (github.com/santhosh-tekuri/jsonschema/v6).
package modelschema
