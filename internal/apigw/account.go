package apigw

// Account is the account-level settings of GetAccount/UpdateAccount that
// Gatehouse keeps (the throttle is the node's --account-rate/--account-burst,
// not stored).
type Account struct {
	// CloudwatchRoleARN is stored and returned; Gatehouse writes no
	// CloudWatch logs with it.
	CloudwatchRoleARN string
	// Features are the enabled account features; "UsagePlans" is always
	// among them (AWS enables it for every account, once and for good).
	Features []string
}

// FeatureUsagePlans is the account feature usage plans need.
const FeatureUsagePlans = "UsagePlans"
