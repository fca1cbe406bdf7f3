package iampolicy

import (
	"net/netip"
	"strings"
	"testing"
)

const arnPrefix = "arn:aws:execute-api:us-east-1:123456789012:abc123/"

func request(rest, ip, referer, ua string) *Request {
	rq := &Request{ARN: []byte(arnPrefix + rest), APIPrefix: len(arnPrefix), Referer: referer, UserAgent: ua}
	if ip != "" {
		rq.SourceIP = netip.MustParseAddr(ip)
	}
	return rq
}

func doc(stmts ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
}

// TestEvaluate: the resource policy evaluation table: Deny wins, Allow
// needs resources and every condition, the shorthand is anchored at the
// API, negated operators hold when the key is absent, and the deciding
// statement is named.
func TestEvaluate(t *testing.T) {
	allowLocal := `{"Sid":"local","Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*","Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","192.0.2.7"]}}}`
	denyAdmin := `{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"execute-api:*","Resource":"arn:aws:execute-api:*:*:abc123/*/*/admin/*"}`
	notIP := `{"Sid":"outsiders","Effect":"Deny","Principal":"*","Action":"*","Resource":"execute-api:/prod/*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}`
	allowAll := `{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"*"}`
	ref := `{"Sid":"site","Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*/GET/*","Condition":{"StringLike":{"aws:Referer":["https://*.example.com/*"]},"StringNotEquals":{"aws:UserAgent":"badbot"}}}`
	eq := `{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*","Condition":{"StringEquals":{"aws:UserAgent":"curl/8"}}}`
	notLike := `{"Effect":"Deny","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*","Condition":{"StringNotLike":{"aws:Referer":"https://ok.example/*"}}}`
	tests := []struct {
		name   string
		policy string
		rq     *Request
		want   Effect
		stmt   string
	}{
		{"allowed by IP", doc(allowLocal), request("prod/GET/pets", "10.1.2.3", "", ""), Allow, `Sid "local" (Statement[0])`},
		{"single host", doc(allowLocal), request("prod/GET/pets", "192.0.2.7", "", ""), Allow, `Sid "local" (Statement[0])`},
		{"IP outside", doc(allowLocal), request("prod/GET/pets", "192.0.2.8", "", ""), NoMatch, "no statement"},
		{"IPv4-mapped IPv6", doc(allowLocal), request("prod/GET/pets", "::ffff:10.0.0.1", "", ""), Allow, `Sid "local" (Statement[0])`},
		{"no source IP", doc(allowLocal), request("prod/GET/pets", "", "", ""), NoMatch, "no statement"},
		{"deny wins", doc(allowLocal, denyAdmin), request("prod/POST/admin/x", "10.0.0.1", "", ""), Deny, "Statement[1]"},
		{"deny elsewhere", doc(allowLocal, denyAdmin), request("prod/POST/users/x", "10.0.0.1", "", ""), Allow, `Sid "local" (Statement[0])`},
		{"NotIpAddress denies outsiders", doc(allowAll, notIP), request("prod/GET/x", "8.8.8.8", "", ""), Deny, `Sid "outsiders" (Statement[1])`},
		{"NotIpAddress lets insiders", doc(allowAll, notIP), request("prod/GET/x", "10.9.9.9", "", ""), Allow, "Statement[0]"},
		{"NotIpAddress other stage", doc(allowAll, notIP), request("test/GET/x", "8.8.8.8", "", ""), Allow, "Statement[0]"},
		{"NotIpAddress without IP holds", doc(notIP), request("prod/GET/x", "", "", ""), Deny, `Sid "outsiders" (Statement[0])`},
		{"referer like", doc(ref), request("prod/GET/x", "1.1.1.1", "https://www.example.com/page", "curl"), Allow, `Sid "site" (Statement[0])`},
		{"referer unlike", doc(ref), request("prod/GET/x", "1.1.1.1", "https://evil.test/", "curl"), NoMatch, "no statement"},
		{"referer absent", doc(ref), request("prod/GET/x", "1.1.1.1", "", "curl"), NoMatch, "no statement"},
		{"both conditions needed", doc(ref), request("prod/GET/x", "1.1.1.1", "https://a.example.com/", "badbot"), NoMatch, "no statement"},
		{"user agent absent: StringNotEquals holds", doc(ref), request("prod/GET/x", "1.1.1.1", "https://a.example.com/", ""), Allow, `Sid "site" (Statement[0])`},
		{"method outside the resource", doc(ref), request("prod/POST/x", "1.1.1.1", "https://a.example.com/", ""), NoMatch, "no statement"},
		{"StringEquals is exact", doc(eq), request("p/GET/", "", "", "curl/8"), Allow, "Statement[0]"},
		{"StringEquals is case-sensitive", doc(eq), request("p/GET/", "", "", "Curl/8"), NoMatch, "no statement"},
		{"StringNotLike absent referer denies", doc(allowAll, notLike), request("p/GET/", "", "", ""), Deny, "Statement[1]"},
		{"StringNotLike matching referer", doc(allowAll, notLike), request("p/GET/", "", "https://ok.example/a", ""), Allow, "Statement[0]"},
		{"shorthand is anchored at the API", doc(`{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/prod/GET/"}`), request("prod/GET/", "", "", ""), Allow, "Statement[0]"},
		{"shorthand root only", doc(`{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/prod/GET/"}`), request("prod/GET/x", "", "", ""), NoMatch, "no statement"},
		{"ARN of another API", doc(`{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:*:*:other/*"}`), request("prod/GET/x", "", "", ""), NoMatch, "no statement"},
		{"empty statement list", `{"Version":"2012-10-17","Statement":[]}`, request("prod/GET/x", "1.1.1.1", "", ""), NoMatch, "no statement"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParseResource([]byte(tt.policy))
			if err != nil {
				t.Fatal(err)
			}
			got, i := p.Evaluate(tt.rq)
			if got != tt.want || p.Statement(i) != tt.stmt {
				t.Errorf("Evaluate = %v by %s, want %v by %s", got, p.Statement(i), tt.want, tt.stmt)
			}
		})
	}
}

// TestParseResourceErrors: what Gatehouse does not evaluate is refused,
// with the field, the value and the rule.
func TestParseResourceErrors(t *testing.T) {
	st := func(extra string) string {
		return doc(`{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"execute-api:/*"` + extra + `}`)
	}
	tests := []struct{ name, doc, want string }{
		{"not JSON", `{`, `policy: { is not a JSON object`},
		{"no Version", `{"Statement":[]}`, `policy: Version is missing`},
		{"no principal", st(``), `policy.Statement[0].Principal: is missing`},
		{"account principal", st(`,"Principal":{"AWS":"arn:aws:iam::123456789012:root"}`), `policy.Statement[0].Principal: {"AWS":"arn:aws:iam::123456789012:root"} is not supported by Gatehouse`},
		{"service principal", st(`,"Principal":{"Service":"*"}`), `Principal: {"Service":"*"} is not supported`},
		{"NotPrincipal", st(`,"NotPrincipal":"*"`), `policy.Statement[0]: NotPrincipal is not supported in resource policies`},
		{"wrong action", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}`), `policy.Statement[0].Action: "s3:GetObject" does not cover execute-api:Invoke`},
		{"ManageConnections", doc(`{"Effect":"Allow","Principal":"*","Action":["execute-api:Invoke","execute-api:ManageConnections"],"Resource":"*"}`), `"execute-api:ManageConnections" does not cover execute-api:Invoke`},
		{"bad resource", doc(`{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"prod/GET/*"}`), `policy.Statement[0].Resource: "prod/GET/*" must be an execute-api ARN`},
		{"unsupported operator", st(`,"Principal":"*","Condition":{"NumericLessThan":{"aws:EpochTime":"1"}}`), `policy.Statement[0].Condition: the operator "NumericLessThan" is not supported by Gatehouse`},
		{"IfExists", st(`,"Principal":"*","Condition":{"StringEqualsIfExists":{"aws:Referer":"x"}}`), `the operator "StringEqualsIfExists" is not supported`},
		{"unsupported key", st(`,"Principal":"*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1"}}`), `policy.Statement[0].Condition.StringEquals.aws:SourceVpce: the key "aws:SourceVpce" is not supported with StringEquals by Gatehouse (only aws:Referer and aws:UserAgent)`},
		{"IP key with string operator", st(`,"Principal":"*","Condition":{"StringEquals":{"aws:SourceIp":"1.2.3.4"}}`), `the key "aws:SourceIp" is not supported with StringEquals`},
		{"string key with IP operator", st(`,"Principal":"*","Condition":{"IpAddress":{"aws:Referer":"x"}}`), `the key "aws:Referer" is not supported with IpAddress by Gatehouse (only aws:SourceIp)`},
		{"bad CIDR", st(`,"Principal":"*","Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/33"]}}`), `policy.Statement[0].Condition.IpAddress.aws:SourceIp: "10.0.0.0/33" is not an IP address or CIDR block`},
		{"empty values", st(`,"Principal":"*","Condition":{"IpAddress":{"aws:SourceIp":[]}}`), `aws:SourceIp: is an empty list`},
		{"no key", st(`,"Principal":"*","Condition":{"IpAddress":{}}`), `policy.Statement[0].Condition.IpAddress: has no condition key`},
		{"condition not an object", st(`,"Principal":"*","Condition":[1]`), `policy.Statement[0].Condition: [1] is not an object`},
		{"Sid not a string", st(`,"Principal":"*","Sid":3`), `policy.Statement[0].Sid: 3 is not a string`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseResource([]byte(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestIdentityRefusesResourceFields: an authorizer's policy keeps its
// rules: Principal and Condition refused, other actions ignored.
func TestIdentityRefusesResourceFields(t *testing.T) {
	for _, extra := range []string{`,"Principal":"*"`, `,"Condition":{"IpAddress":{"aws:SourceIp":"1.2.3.4"}}`} {
		_, err := ParseIdentity([]byte(doc(`{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"*"` + extra + `}`)))
		if err == nil || !strings.Contains(err.Error(), "is not supported in authorizer policies") {
			t.Errorf("%s: error %v", extra, err)
		}
	}
	p, err := ParseIdentity([]byte(doc(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}`)))
	if err != nil || p.Decide(arnPrefix+"prod/GET/") != NoMatch {
		t.Errorf("an Allow about another action: %v, %v", p, err)
	}
}

// TestMatchBytes: Match on []byte agrees with Match on string, multi-byte
// characters included.
func TestMatchBytes(t *testing.T) {
	for _, tt := range []struct {
		pattern, s string
		want       bool
	}{
		{"a?c", "aéc", true}, {"a*c", "a/b:c", true}, {"a?c", "a\xffc", true}, {"*é", "xé", true}, {"a?", "a", false}, {"", "", true},
	} {
		if got, gotB := Match(tt.pattern, tt.s), Match(tt.pattern, []byte(tt.s)); got != tt.want || gotB != tt.want {
			t.Errorf("Match(%q, %q) = %v (string), %v ([]byte), want %v", tt.pattern, tt.s, got, gotB, tt.want)
		}
	}
}

// TestEvaluateAllocs: evaluating a resource policy with conditions does
// not allocate.
func TestEvaluateAllocs(t *testing.T) {
	p, err := ParseResource([]byte(doc(
		`{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*","Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8"]},"StringLike":{"aws:UserAgent":"*curl*"}}}`,
		`{"Effect":"Deny","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*/DELETE/*"}`)))
	if err != nil {
		t.Fatal(err)
	}
	rq := request("prod/GET/pets/1", "10.0.0.1", "https://x/", "curl/8 é")
	if n := testing.AllocsPerRun(100, func() { p.Evaluate(rq) }); n != 0 {
		t.Errorf("Evaluate allocates %v times", n)
	}
}
