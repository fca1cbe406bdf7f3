package authorizer

import (
	"testing"
)

var fuzzARNs = []string{
	arnA,
	"arn:aws:execute-api:eu-west-1:123456789012:abc/prod/POST/pets/1",
	"arn:aws:execute-api:us-east-1:000000000000:api1/prod/GET/",
	"",
}

// checkPolicy asserts the properties every compiled policy has.
func checkPolicy(t *testing.T, p *Policy, arn string) {
	allow, deny := p.Resources()
	got := p.Decide(arn)
	for _, r := range deny {
		if Match(r, arn) && got != Deny {
			t.Fatalf("a Deny statement matches %q and the policy decided %v", arn, got)
		}
	}
	if len(deny) == 0 && got == Deny {
		t.Fatalf("no Deny statement, and the policy decided Deny for %q", arn)
	}
	if len(allow) == 0 && got == Allow {
		t.Fatalf("no Allow statement, and the policy allowed %q", arn)
	}
	for _, r := range allow {
		if r == "*" && got == NoMatch {
			t.Fatalf("an Allow on \"*\" did not cover %q", arn)
		}
	}
}

// FuzzParseReply: no input panics the reply parser; an accepted reply has
// a policy with the properties checkPolicy asserts.
func FuzzParseReply(f *testing.F) {
	f.Add([]byte(`{"principalId":"u","policyDocument":` + okPolicy + `,"context":{"a":1,"b":"x","c":false},"usageIdentifierKey":"k"}`))
	f.Add([]byte(`{"principalId":"u","policyDocument":{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":["*"],"Resource":["*"]}}}`))
	f.Add([]byte(`{"principalId":"u","policyDocument":null}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		r, err := ParseReply(payload)
		if err != nil {
			return
		}
		if r.Policy == nil {
			t.Fatal("accepted a reply without a policy")
		}
		for k, v := range r.Context {
			switch v.(type) {
			case string, float64, bool:
			default:
				t.Fatalf("context %s holds a %T", k, v)
			}
		}
		for _, arn := range fuzzARNs {
			checkPolicy(t, r.Policy, arn)
		}
	})
}

// FuzzPolicy: no policy document or ARN panics the parser or the matcher;
// Deny never yields Allow; an Allow on "*" allows every ARN.
func FuzzPolicy(f *testing.F) {
	f.Add([]byte(okPolicy), arnA)
	f.Add([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"execute-api:*","Resource":"arn:aws:execute-api:*:*:api1/*/GET/?"}]}`), arnA)
	f.Add([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"a*b?c**"}]}`), "aXXbYc")
	f.Fuzz(func(t *testing.T, doc []byte, arn string) {
		p, err := ParsePolicy(doc)
		if err != nil {
			return
		}
		checkPolicy(t, p, arn)
		for _, a := range fuzzARNs {
			checkPolicy(t, p, a)
		}
	})
}
