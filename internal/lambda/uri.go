package lambda

import (
	"fmt"
	"net/url"
	"strings"
)

// Target is a function as a URI names it: a Lambda function (Region and
// Function) or a plain HTTP endpoint (URL).
type Target struct {
	// Region is the region of the API Gateway URI (the Invoke API's signing
	// region); "" for an http(s) target.
	Region string
	// Function is the Invoke API's FunctionName: a full function ARN, a
	// partial ARN ({account}:function:{name}) or a name, each with an
	// optional qualifier (":alias", ":3", ":$LATEST"). "" for an http(s)
	// target.
	Function string
	// URL is the http(s) URL of a plain-HTTP function; "" for a Lambda
	// target.
	URL string
}

// IsHTTP reports whether t is a plain-HTTP function.
func (t Target) IsHTTP() bool { return t.URL != "" }

// Name is what names the function in messages: its FunctionName or URL.
func (t Target) Name() string {
	if t.URL != "" {
		return t.URL
	}
	return t.Function
}

const (
	uriServicePart = ":lambda:path/2015-03-31/functions/"
	uriSuffix      = "/invocations"
	maxURILen      = 2048
)

// ParseURI reads the URI of an authorizer or an AWS_PROXY integration:
//
//	arn:{partition}:apigateway:{region}:lambda:path/2015-03-31/functions/{FunctionName}/invocations
//	http://host[:port]/path, https://…
//
// where FunctionName is a function ARN (arn:{partition}:lambda:{region}:{account}:function:{name}[:{qualifier}]),
// a partial ARN ({account}:function:{name}[:{qualifier}]) or a name
// ({name}[:{qualifier}]). Errors wrap ErrBadURI and name the rule broken.
func ParseURI(uri string) (Target, error) {
	if len(uri) > maxURILen {
		return Target{}, fmt.Errorf("%w: the uri is %d bytes long, over %d", ErrBadURI, len(uri), maxURILen)
	}
	if strings.HasPrefix(uri, "http://") || strings.HasPrefix(uri, "https://") {
		return parseHTTP(uri)
	}
	rest, ok := strings.CutPrefix(uri, "arn:")
	if !ok {
		return Target{}, fmt.Errorf("%w: %q is neither arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{FunctionArn}/invocations nor an http(s):// URL", ErrBadURI, clip(uri))
	}
	partition, rest, _ := strings.Cut(rest, ":")
	if !isPartition(partition) {
		return Target{}, fmt.Errorf("%w: %q: partition %q is not aws, aws-cn or aws-us-gov", ErrBadURI, clip(uri), clip(partition))
	}
	service, rest, _ := strings.Cut(rest, ":")
	if service != "apigateway" {
		return Target{}, fmt.Errorf("%w: %q: the service is %q, not apigateway", ErrBadURI, clip(uri), clip(service))
	}
	region, rest, _ := strings.Cut(rest, ":")
	if !isRegion(region) {
		return Target{}, fmt.Errorf("%w: %q: region %q is not a region name (lower-case letters, digits and -)", ErrBadURI, clip(uri), clip(region))
	}
	rest, ok = strings.CutPrefix(":"+rest, uriServicePart)
	if !ok {
		return Target{}, fmt.Errorf("%w: %q: after the region comes lambda:path/2015-03-31/functions/", ErrBadURI, clip(uri))
	}
	fn, ok := strings.CutSuffix(rest, uriSuffix)
	if !ok {
		return Target{}, fmt.Errorf("%w: %q does not end in /invocations", ErrBadURI, clip(uri))
	}
	if err := checkFunction(fn, partition); err != nil {
		return Target{}, fmt.Errorf("%w: %q: %v", ErrBadURI, clip(uri), err)
	}
	return Target{Region: region, Function: fn}, nil
}

func parseHTTP(uri string) (Target, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return Target{}, fmt.Errorf("%w: %q: %v", ErrBadURI, clip(uri), err)
	}
	if u.Host == "" || u.Hostname() == "" {
		return Target{}, fmt.Errorf("%w: %q has no host", ErrBadURI, clip(uri))
	}
	if u.User != nil {
		return Target{}, fmt.Errorf("%w: %q: user information in the URL is not allowed", ErrBadURI, clip(uri))
	}
	if u.Fragment != "" || strings.Contains(uri, "#") {
		return Target{}, fmt.Errorf("%w: %q: a fragment is not allowed", ErrBadURI, clip(uri))
	}
	return Target{URL: u.String()}, nil
}

// checkFunction checks a FunctionName: an ARN, a partial ARN or a name,
// with an optional qualifier.
func checkFunction(fn, partition string) error {
	if fn == "" {
		return fmt.Errorf("no function name between functions/ and /invocations")
	}
	parts := strings.Split(fn, ":")
	var name, qualifier string
	switch {
	case parts[0] == "arn":
		// arn:{partition}:lambda:{region}:{account}:function:{name}[:{qualifier}]
		if len(parts) < 7 || len(parts) > 8 {
			return fmt.Errorf("function ARN %q is not arn:%s:lambda:{region}:{account}:function:{name}[:{qualifier}]", fn, partition)
		}
		if !isPartition(parts[1]) || parts[2] != "lambda" || !isRegion(parts[3]) || !isAccount(parts[4]) || parts[5] != "function" {
			return fmt.Errorf("function ARN %q is not arn:%s:lambda:{region}:{12-digit account}:function:{name}[:{qualifier}]", fn, partition)
		}
		name = parts[6]
		if len(parts) == 8 {
			qualifier = parts[7]
			if qualifier == "" {
				return fmt.Errorf("function ARN %q has an empty qualifier", fn)
			}
		}
	case len(parts) >= 3 && parts[1] == "function":
		// {account}:function:{name}[:{qualifier}]
		if len(parts) > 4 || !isAccount(parts[0]) {
			return fmt.Errorf("partial function ARN %q is not {12-digit account}:function:{name}[:{qualifier}]", fn)
		}
		name = parts[2]
		if len(parts) == 4 {
			qualifier = parts[3]
			if qualifier == "" {
				return fmt.Errorf("partial function ARN %q has an empty qualifier", fn)
			}
		}
	default:
		if len(parts) > 2 {
			return fmt.Errorf("function name %q has more than one qualifier", fn)
		}
		name = parts[0]
		if len(parts) == 2 {
			qualifier = parts[1]
			if qualifier == "" {
				return fmt.Errorf("function name %q has an empty qualifier", fn)
			}
		}
	}
	if !isFunctionName(name) {
		return fmt.Errorf("function name %q is not 1 to 64 letters, digits, - and _", name)
	}
	if qualifier != "" && !isQualifier(qualifier) {
		return fmt.Errorf("qualifier %q is not $LATEST, a version number or an alias (1 to 128 letters, digits, - and _)", qualifier)
	}
	return nil
}

func isPartition(p string) bool { return p == "aws" || p == "aws-cn" || p == "aws-us-gov" }

func isRegion(r string) bool {
	if r == "" || len(r) > 32 || r[0] == '-' || r[len(r)-1] == '-' {
		return false
	}
	for i := 0; i < len(r); i++ {
		c := r[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func isAccount(a string) bool {
	if len(a) != 12 {
		return false
	}
	for i := 0; i < len(a); i++ {
		if a[i] < '0' || a[i] > '9' {
			return false
		}
	}
	return true
}

func isFunctionName(n string) bool { return n != "" && len(n) <= 64 && isWord(n) }

func isQualifier(q string) bool {
	return q == "$LATEST" || len(q) <= 128 && isWord(q)
}

func isWord(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return s != ""
}

// clip shortens outside text quoted in an error.
func clip(s string) string {
	const n = 200
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
