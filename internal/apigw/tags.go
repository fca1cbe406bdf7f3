package apigw

// Gatehouse's own settings beyond AWS are set through tags with this
// prefix on a RestApi or a Stage, so every AWS client can set them. The
// management API refuses a tag with the prefix that it does not know.
const TagPrefix = "gatehouse:"

// TagReasonHeader, on a stage, set to "true", makes the data plane send
// the reason code of a refusal (x-gatehouse-reason) to callers. Nothing
// else about a refusal (which key, plan or limit) ever reaches a caller.
const TagReasonHeader = "gatehouse:reasonHeader"
