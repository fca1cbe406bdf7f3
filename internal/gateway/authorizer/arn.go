package authorizer

import "strings"

// MethodARN is the ARN API Gateway evaluates an authorizer's policy (and a
// resource policy) against and sends as methodArn:
// arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}/{path},
// path being the request's path within the stage without its leading
// "/" (the root is ".../GET/").
func MethodARN(region, account, apiID, stage, method, path string) string {
	path = strings.TrimPrefix(path, "/")
	var b strings.Builder
	b.Grow(len("arn:aws:execute-api:::///") + len(region) + len(account) + len(apiID) + len(stage) + len(method) + len(path) + 1)
	b.WriteString("arn:aws:execute-api:")
	b.WriteString(region)
	b.WriteByte(':')
	b.WriteString(account)
	b.WriteByte(':')
	b.WriteString(apiID)
	b.WriteByte('/')
	b.WriteString(stage)
	b.WriteByte('/')
	b.WriteString(method)
	b.WriteByte('/')
	b.WriteString(path)
	return b.String()
}

// AppendMethodARN appends MethodARN's ARN to dst and returns it with the
// length of its API prefix ("arn:aws:execute-api:{region}:{account}:{apiId}/"):
// a pooled buffer then builds it without allocating.
func AppendMethodARN(dst []byte, region, account, apiID, stage, method, path string) ([]byte, int) {
	path = strings.TrimPrefix(path, "/")
	dst = append(dst, "arn:aws:execute-api:"...)
	dst = append(dst, region...)
	dst = append(dst, ':')
	dst = append(dst, account...)
	dst = append(dst, ':')
	dst = append(dst, apiID...)
	dst = append(dst, '/')
	n := len(dst)
	dst = append(dst, stage...)
	dst = append(dst, '/')
	dst = append(dst, method...)
	dst = append(dst, '/')
	dst = append(dst, path...)
	return dst, n
}
