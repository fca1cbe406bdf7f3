package awsapi

// CallSDKOperations is callSDKOperations, for the external tests.
var CallSDKOperations = callSDKOperations

// ImplementedOperations returns every AWS operation name in the table and
// whether Gatehouse implements it.
func ImplementedOperations() map[string]bool {
	out := map[string]bool{}
	for _, op := range (&Handler{}).operations() {
		out[op.name] = op.implemented()
	}
	return out
}

// BodyLimit returns the request body limit of an operation.
func BodyLimit(name string) int64 {
	for _, op := range (&Handler{}).operations() {
		if op.name == name {
			return op.maxBody()
		}
	}
	panic("no operation " + name)
}
