// Package doctor lints a Gatehouse configuration: it reads the store
// (store.Reader) and the domain model and returns findings, each with a
// stable code, a severity, the resource at fault in AWS's terms, a
// message and a fix in terms of the user's objects. The checks are the
// configuration causes of "403 Forbidden" and of CORS errors that users
// report: keys in no usage plan, plans on no stage, stages serving an old
// deployment (and what changed), key source AUTHORIZER without an
// authorizer, preflights that need a key or an authorizer, gateway
// responses that drop the CORS header, authorizer caches on {proxy+}
// resources, quotas below their burst.
//
// It reuses control's definitions (SnapshotOf, DeploymentOutdated,
// SnapshotChanges, ResourcePath) and apigw's (Resource.CORSAllowOrigin),
// so a rule has one home. Package doctor must never import a transport
// (net/http), awsapi, gateway, server or a store engine; the admin API
// (package server) and the CLI call it.
package doctor
