// Package demo seeds the example "UsefulAPI" (serve --demo) through the
// control plane, exactly as a client would create it: POST /doit requiring
// an API key, a MOCK integration answering {"message":"Did it!"}, stage
// "api", a usage plan with throttle and quota, and one key in the plan.
//
// It imports only control, apigw and store; it must never touch the store's
// engines or the wire layer.
package demo
