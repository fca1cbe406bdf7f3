package authorizer

import (
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
)

const arnA = "arn:aws:execute-api:us-east-1:000000000000:api1/prod/GET/a"

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"*", "arn:aws:execute-api:x:y:z/s/GET/a/b", true},
		{"arn:aws:execute-api:*:*:api1/*", arnA, true},
		{"arn:aws:execute-api:*:*:api1/*/GET/*", arnA, true},
		{"arn:aws:execute-api:*:*:api1/prod/GET/a", arnA, true},
		{"arn:aws:execute-api:*:*:api1/prod/GET/A", arnA, false}, // case-sensitive
		{"arn:aws:execute-api:*:*:api1/prod/*/a", arnA, true},
		{"arn:aws:execute-api:*:*:api1/prod/POST/*", arnA, false},
		{"arn:aws:execute-api:*:*:api1/prod/GET/?", arnA, true},
		{"arn:aws:execute-api:*:*:api1/prod/GET/??", arnA, false},
		{"a*b*c", "aXbYbZc", true},
		{"a*b*c", "aXbYbZ", false},
		{"a?c", "aéc", true}, // ? is one character, not one byte
		{"", "", true},
		{"", "x", false},
		{"x", "", false},
		{"**", "abc", true},
		{"*/GET/a", "arn:…/prod/GET/a", true}, // * crosses "/"
	}
	for _, tt := range tests {
		if got := Match(tt.pattern, tt.s); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

func TestPolicyDecide(t *testing.T) {
	tests := []struct {
		name, doc string
		arn       string
		want      Effect
	}{
		{"allow one", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"` + arnA + `"}]}`, arnA, Allow},
		{"allow one, other path", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"` + arnA + `"}]}`, strings.Replace(arnA, "/a", "/b", 1), NoMatch},
		{"statement as an object", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["execute-api:Invoke"],"Resource":["*"]}}`, arnA, Allow},
		{"deny wins", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"execute-api:*","Resource":"arn:aws:execute-api:*:*:api1/prod/GET/*"}]}`, arnA, Deny},
		{"action case-insensitive", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"EXECUTE-API:invoke","Resource":"*"}]}`, arnA, Allow},
		{"other action ignored", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`, arnA, NoMatch},
		{"action wildcard", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"execute-api:In*","Resource":"*"}]}`, arnA, Deny},
		{"empty statement list", `{"Version":"2012-10-17","Statement":[]}`, arnA, NoMatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePolicy([]byte(tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Decide(tt.arn); got != tt.want {
				t.Fatalf("Decide(%s) = %v, want %v", tt.arn, got, tt.want)
			}
		})
	}
}

func TestParsePolicyErrors(t *testing.T) {
	tests := []struct{ doc, want string }{
		{`[]`, "not a JSON object"},
		{`{"Statement":[]}`, "Version is missing"},
		{`{"Version":1,"Statement":[]}`, "Version: 1 is not a string"},
		{`{"Version":"2012-10-17"}`, "Statement is missing"},
		{`{"Version":"2012-10-17","Statement":[1]}`, "Statement[0]: 1 is not an object"},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"allow","Action":"*","Resource":"*"}]}`, `Statement[0].Effect: "allow" must be "Allow" or "Deny"`},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Resource":"*"}]}`, "Statement[0].Action: is missing"},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":{}}]}`, "Statement[0].Resource: {} is neither a string nor a list of strings"},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":[]}]}`, "Statement[0].Resource: is an empty list"},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{}}]}`, "Condition is not supported"},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"` + strings.Repeat("x", 513) + `"}]}`, "longer than 512"},
	}
	for _, tt := range tests {
		_, err := ParsePolicy([]byte(tt.doc))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParsePolicy(%.60s): error %v, want one containing %q", tt.doc, err, tt.want)
		}
	}
}

const okPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"*"}]}`

func TestParseReply(t *testing.T) {
	r, err := ParseReply([]byte(`{"principalId":"user-1","policyDocument":` + okPolicy + `,"context":{"s":"x","n":1.5,"i":42,"b":true,"z":null},"usageIdentifierKey":"KEYVALUE"}`))
	if err != nil {
		t.Fatal(err)
	}
	if r.PrincipalID != "user-1" || r.UsageIdentifierKey != "KEYVALUE" || r.Policy.Decide(arnA) != Allow || string(r.PolicyJSON) != okPolicy {
		t.Fatalf("reply %+v", r)
	}
	want := map[string]string{"s": "x", "n": "1.5", "i": "42", "b": "true"}
	if len(r.Context) != len(want) {
		t.Fatalf("context %v, want %v", r.Context, want)
	}
	for k, v := range want {
		if got := ContextString(r.Context[k]); got != v {
			t.Errorf("context %s = %q, want %q", k, got, v)
		}
	}
}

func TestParseReplyErrors(t *testing.T) {
	tests := []struct{ reply, want string }{
		{`"Unauthorized"`, "not a JSON object"},
		{`{"policyDocument":` + okPolicy + `}`, "no principalId"},
		{`{"principalId":null,"policyDocument":` + okPolicy + `}`, "no principalId"},
		{`{"principalId":7,"policyDocument":` + okPolicy + `}`, "principalId: 7 is not a string"},
		{`{"principalId":"u"}`, "no policyDocument"},
		{`{"principalId":"u","policyDocument":` + okPolicy + `,"context":{"o":{"a":1}}}`, "context.o: {\"a\":1} is an object or a list"},
		{`{"principalId":"u","policyDocument":` + okPolicy + `,"context":{"l":[1]}}`, "context.l: [1] is an object or a list"},
		{`{"principalId":"u","policyDocument":` + okPolicy + `,"context":[]}`, "context: [] is not an object"},
		{`{"principalId":"u","policyDocument":` + okPolicy + `,"usageIdentifierKey":12345678}`, "usageIdentifierKey: the value is not a string"},
	}
	for _, tt := range tests {
		_, err := ParseReply([]byte(tt.reply))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseReply(%.60s): error %v, want one containing %q", tt.reply, err, tt.want)
		}
	}
}

func TestMethodARN(t *testing.T) {
	if got := MethodARN("eu-west-1", "123456789012", "api1", "prod", "GET", "/pets/1"); got != "arn:aws:execute-api:eu-west-1:123456789012:api1/prod/GET/pets/1" {
		t.Fatal(got)
	}
	if got := MethodARN("r", "a", "api1", "prod", "POST", "/"); got != "arn:aws:execute-api:r:a:api1/prod/POST/" {
		t.Fatal(got)
	}
}

func TestCompile(t *testing.T) {
	ttl := 0
	c := Compile(&apigw.Authorizer{ID: "au1", Type: apigw.AuthorizerRequest, IdentitySource: "method.request.header.x-token, method.request.querystring.apiKey,stageVariables.v,context.identity.sourceIp", AuthorizerResultTTLInSeconds: &ttl})
	if c.Err != nil || c.TTL != 0 {
		t.Fatal(c.Err, c.TTL)
	}
	want := []Source{{Kind: SourceHeader, Name: "X-Token", Expr: "method.request.header.x-token"}, {Kind: SourceQuery, Name: "apiKey", Expr: "method.request.querystring.apiKey"}, {Kind: SourceStageVar, Name: "v", Expr: "stageVariables.v"}, {Kind: SourceContext, Name: "identity.sourceIp", Expr: "context.identity.sourceIp"}}
	if len(c.Sources) != len(want) {
		t.Fatalf("sources %+v", c.Sources)
	}
	for i := range want {
		if c.Sources[i] != want[i] {
			t.Errorf("source %d = %+v, want %+v", i, c.Sources[i], want[i])
		}
	}
	tok := Compile(&apigw.Authorizer{ID: "au2", Type: apigw.AuthorizerToken, IdentityValidationExpression: "Bearer [a-z]+"})
	if tok.Err != nil || tok.TTL != apigw.DefaultAuthorizerTTL*1e9 || tok.Sources[0].Name != "Authorization" {
		t.Fatalf("%+v", tok)
	}
	if !tok.Validation.MatchString("Bearer abc") || tok.Validation.MatchString("Bearer abc1") || tok.Validation.MatchString("xBearer abc") {
		t.Fatal("the validation expression must match the whole value")
	}
	if c := Compile(&apigw.Authorizer{ID: "n", Type: apigw.AuthorizerRequest}); c.Err != nil || len(c.Sources) != 0 || c.TTL != 0 {
		t.Fatalf("a REQUEST authorizer without identity sources must not be cached: %+v", c)
	}
	for _, a := range []*apigw.Authorizer{
		{ID: "b1", Type: apigw.AuthorizerToken, IdentitySource: "method.request.querystring.t"},
		{ID: "b2", Type: apigw.AuthorizerToken, IdentitySource: "method.request.header.a,method.request.header.b"},
		{ID: "b3", Type: apigw.AuthorizerRequest, IdentitySource: "method.request.path.id"},
		{ID: "b4", Type: apigw.AuthorizerToken, IdentityValidationExpression: "("},
		{ID: "b5", Type: "JWT"},
		{ID: "b6", Type: apigw.AuthorizerRequest, IdentitySource: "method.request.header."},
	} {
		if c := Compile(a); c.Err == nil || !strings.Contains(c.Err.Error(), a.ID) {
			t.Errorf("Compile(%+v): error %v, want one naming the authorizer", a, c.Err)
		}
	}
}

func TestDecideAllocs(t *testing.T) {
	p, err := ParsePolicy([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"arn:*:x/*"},{"Effect":"Allow","Action":"*","Resource":["arn:aws:execute-api:*:*:api1/*/GET/?","arn:aws:execute-api:*:*:api1/prod/*"]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { p.Decide(arnA) }); n != 0 {
		t.Fatalf("Decide allocates %v times", n)
	}
}
