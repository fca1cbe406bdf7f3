package control

import (
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
)

func TestParseARN(t *testing.T) {
	tests := []struct {
		arn  string
		want tagTarget
		ok   bool
	}{
		{"arn:aws:apigateway:us-east-1::/restapis/abc123", tagTarget{Kind: "restapis", ID: "abc123"}, true},
		{"arn:aws:apigateway:eu-west-1::/restapis/abc123/stages/prod", tagTarget{Kind: "stages", ID: "abc123", Stage: "prod"}, true},
		{"arn:aws:apigateway:us-east-1::/apikeys/k1", tagTarget{Kind: "apikeys", ID: "k1"}, true},
		{"arn:aws-cn:apigateway:cn-north-1::/usageplans/p1", tagTarget{Kind: "usageplans", ID: "p1"}, true},
		{"arn:aws:apigateway:us-east-1::/domainnames/api.example.com", tagTarget{Kind: "domainnames", ID: "api.example.com"}, true},
		{"arn:aws:apigateway:us-east-1::/restapis/abc123/resources/r1", tagTarget{}, false},
		{"arn:aws:apigateway:us-east-1:123456789012:/restapis/abc", tagTarget{}, false},
		{"arn:aws:execute-api:us-east-1::/restapis/abc", tagTarget{}, false},
		{"arn:aws:apigateway:us-east-1::restapis/abc", tagTarget{}, false},
		{"arn:aws:apigateway:us-east-1::/restapis/", tagTarget{}, false},
		{"arn:aws:apigateway:us-east-1::/restapis//stages/x", tagTarget{}, false},
		{"arn:aws:apigateway::::/restapis/abc", tagTarget{}, false},
		{"not an arn", tagTarget{}, false},
		{"", tagTarget{}, false},
	}
	for _, tt := range tests {
		got, err := parseARN(tt.arn)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseARN(%q) = %+v, %v; want %+v, ok=%v", tt.arn, got, err, tt.want, tt.ok)
		}
		if err != nil && err.Error() != "Invalid ARN. ARN is not well formed "+tt.arn {
			t.Errorf("parseARN(%q) error = %q", tt.arn, err)
		}
	}
}

func TestValidateTags(t *testing.T) {
	tests := []struct {
		tags map[string]string
		want string
	}{
		{map[string]string{"team": "a", strings.Repeat("k", 128): strings.Repeat("v", 256)}, ""},
		{map[string]string{"": "x"}, `Invalid tag key "": must be 1 to 128 characters`},
		{map[string]string{strings.Repeat("k", 129): "x"}, `Invalid tag key "` + strings.Repeat("k", 129) + `": 129 characters, can be at most 128`},
		{map[string]string{"AWS:name": "x"}, `Invalid tag key "AWS:name": the prefix "aws:" is reserved`},
		{map[string]string{"k": strings.Repeat("v", 257)}, `Invalid tag value for key "k": 257 characters, can be at most 256`},
	}
	for _, tt := range tests {
		err := validateTags(tt.tags)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("validateTags = %q, want %q", got, tt.want)
		}
	}
}

// FuzzParseARN checks that the ARN parser never panics and that whatever
// it accepts round-trips to the same ARN text.
func FuzzParseARN(f *testing.F) {
	f.Add("arn:aws:apigateway:us-east-1::/restapis/abc123/stages/prod")
	f.Add("arn:aws:apigateway:us-east-1::/apikeys/k1")
	f.Fuzz(func(t *testing.T, arn string) {
		tt, err := parseARN(arn)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "Invalid ARN. ARN is not well formed ") {
				t.Fatalf("unexpected error text %q", err)
			}
			return
		}
		prefix := arn[:strings.Index(arn, "::/")+3]
		var back string
		switch tt.Kind {
		case "stages":
			back = prefix + "restapis/" + tt.ID + "/stages/" + tt.Stage
		default:
			back = prefix + tt.Kind + "/" + tt.ID
		}
		if back != arn || tt.ID == "" || strings.Contains(tt.ID, "/") {
			t.Fatalf("parseARN(%q) = %+v, rebuilds as %q", arn, tt, back)
		}
	})
}

// TestGatehouseTags: a "gatehouse:" tag must be in the registry, on a
// resource that takes it, with a value it takes; every refusal names the
// tag, the value or the rule.
func TestGatehouseTags(t *testing.T) {
	tests := []struct {
		kind string
		tags map[string]string
		want string
	}{
		{tagOnStage, map[string]string{"gatehouse:reasonHeader": "true", "team": "a"}, ""},
		{tagOnStage, map[string]string{"gatehouse:reasonHeader": "false"}, ""},
		{tagOnStage, map[string]string{"gatehouse:rateLimitHeaders": "true"}, ""},
		{tagOnStage, map[string]string{"gatehouse:rateLimitHeaders": "false"}, ""},
		{tagOnStage, map[string]string{"gatehouse:rateLimitHeaders": "on"}, `Invalid value "on" for tag "gatehouse:rateLimitHeaders": must be one of true, false`},
		{tagOnRestAPI, map[string]string{"gatehouse:rateLimitHeaders": "true"}, `Invalid tag "gatehouse:rateLimitHeaders" here: it can be set on a stage only`},
		{tagOnStage, map[string]string{"gatehouse:countersFailure": "closed"}, ""},
		{tagOnStage, map[string]string{"gatehouse:countersFailure": "local"}, ""},
		{tagOnStage, map[string]string{"gatehouse:countersFailure": "open"}, `Invalid value "open" for tag "gatehouse:countersFailure": must be one of closed, local`},
		{tagOnRestAPI, map[string]string{"gatehouse:countersFailure": "local"}, `Invalid tag "gatehouse:countersFailure" here: it can be set on a stage only`},
		{tagOnRestAPI, map[string]string{"team": "gatehouse:reasonHeader"}, ""},
		{tagOnStage, map[string]string{"gatehouse:reasonHeader": "yes"}, `Invalid value "yes" for tag "gatehouse:reasonHeader": must be one of true, false`},
		{tagOnStage, map[string]string{"gatehouse:reasonHeader": "TRUE"}, `Invalid value "TRUE" for tag "gatehouse:reasonHeader": must be one of true, false`},
		{tagOnRestAPI, map[string]string{"gatehouse:reasonHeader": "true"}, `Invalid tag "gatehouse:reasonHeader" here: it can be set on a stage only`},
		{"apikeys", map[string]string{"gatehouse:reasonHeader": "true"}, `Invalid tag "gatehouse:reasonHeader" here: it can be set on a stage only`},
		{tagOnStage, map[string]string{"gatehouse:reasonheader": "true"}, `Unknown Gatehouse tag "gatehouse:reasonheader": the tags with the prefix "gatehouse:" are Gatehouse settings, and the known ones are gatehouse:apiKeyBearer, gatehouse:apiKeyHeader, gatehouse:apiKeyQuery, gatehouse:corsAllowOrigins, gatehouse:countersFailure, gatehouse:rateLimitHeaders, gatehouse:reasonHeader`},
		{tagOnRestAPI, map[string]string{"Gatehouse:Debug": "1"}, `Unknown Gatehouse tag "Gatehouse:Debug": the tags with the prefix "gatehouse:" are Gatehouse settings, and the known ones are gatehouse:apiKeyBearer, gatehouse:apiKeyHeader, gatehouse:apiKeyQuery, gatehouse:corsAllowOrigins, gatehouse:countersFailure, gatehouse:rateLimitHeaders, gatehouse:reasonHeader`},
		// Key sources: on a RestApi, each value checked by its rule.
		{tagOnRestAPI, map[string]string{"gatehouse:apiKeyHeader": "x-key, X-Client-Key", "gatehouse:apiKeyQuery": "apiKey", "gatehouse:apiKeyBearer": "true"}, ""},
		{tagOnRestAPI, map[string]string{"gatehouse:apiKeyBearer": "false"}, ""},
		{tagOnRestAPI, map[string]string{"gatehouse:apiKeyQuery": "api_key.v2~"}, ""},
		{tagOnStage, map[string]string{"gatehouse:apiKeyHeader": "x-key"}, `Invalid tag "gatehouse:apiKeyHeader" here: it can be set on a RestApi only`},
		{tagOnStage, map[string]string{"gatehouse:apiKeyQuery": "apiKey"}, `Invalid tag "gatehouse:apiKeyQuery" here: it can be set on a RestApi only`},
		{tagOnStage, map[string]string{"gatehouse:apiKeyBearer": "true"}, `Invalid tag "gatehouse:apiKeyBearer" here: it can be set on a RestApi only`},
		{tagOnRestAPI, map[string]string{"gatehouse:apiKeyHeader": "Host"}, `Invalid value "Host" for tag "gatehouse:apiKeyHeader": header name "Host" is reserved (reserved: ` + strings.Join(apigw.ReservedKeyHeaders(), ", ") + `)`},
		{tagOnRestAPI, map[string]string{"gatehouse:apiKeyHeader": "x-amzn-key"}, `Invalid value "x-amzn-key" for tag "gatehouse:apiKeyHeader": header name "x-amzn-key" is reserved (reserved: ` + strings.Join(apigw.ReservedKeyHeaders(), ", ") + `)`},
		{tagOnRestAPI, map[string]string{"gatehouse:apiKeyHeader": "x key"}, `Invalid value "x key" for tag "gatehouse:apiKeyHeader": "x key" is not an HTTP header name: use letters, digits and !#$%&'*+-.^_` + "`" + `|~`},
		{tagOnRestAPI, map[string]string{"gatehouse:apiKeyHeader": "a,b,c,d,e,f"}, `Invalid value "a,b,c,d,e,f" for tag "gatehouse:apiKeyHeader": 6 header names in "a,b,c,d,e,f", at most 5 are allowed`},
		{tagOnRestAPI, map[string]string{"gatehouse:apiKeyHeader": "x-key,"}, `Invalid value "x-key," for tag "gatehouse:apiKeyHeader": an empty header name in "x-key,": give comma-separated header names, such as x-key,x-client-key`},
		{tagOnRestAPI, map[string]string{"gatehouse:apiKeyHeader": "X-Key,x-key"}, `Invalid value "X-Key,x-key" for tag "gatehouse:apiKeyHeader": header name "x-key" is listed twice in "X-Key,x-key"`},
		{tagOnRestAPI, map[string]string{"gatehouse:apiKeyHeader": "X-API-KEY"}, `Invalid value "X-API-KEY" for tag "gatehouse:apiKeyHeader": header name "X-API-KEY": x-api-key is always accepted, list only other names`},
		{tagOnRestAPI, map[string]string{"gatehouse:apiKeyHeader": strings.Repeat("h", 65)}, `Invalid value "` + strings.Repeat("h", 65) + `" for tag "gatehouse:apiKeyHeader": header name "` + strings.Repeat("h", 65) + `" is 65 characters, at most 64 are allowed`},
		{tagOnRestAPI, map[string]string{"gatehouse:apiKeyQuery": ""}, `Invalid value "" for tag "gatehouse:apiKeyQuery": the query parameter name is empty`},
		{tagOnRestAPI, map[string]string{"gatehouse:apiKeyQuery": "api key"}, `Invalid value "api key" for tag "gatehouse:apiKeyQuery": query parameter name "api key" has " ": use letters, digits, "-", ".", "_" and "~"`},
		{tagOnRestAPI, map[string]string{"gatehouse:apiKeyQuery": "k&x"}, `Invalid value "k&x" for tag "gatehouse:apiKeyQuery": query parameter name "k&x" has "&": use letters, digits, "-", ".", "_" and "~"`},
		{tagOnRestAPI, map[string]string{"gatehouse:apiKeyQuery": strings.Repeat("q", 65)}, `Invalid value "` + strings.Repeat("q", 65) + `" for tag "gatehouse:apiKeyQuery": query parameter name "` + strings.Repeat("q", 65) + `" is 65 characters, at most 64 are allowed`},
		{tagOnRestAPI, map[string]string{"gatehouse:apiKeyBearer": "yes"}, `Invalid value "yes" for tag "gatehouse:apiKeyBearer": "yes" is neither true nor false`},
		// CORS: on a RestApi, "*" or a list of origins.
		{tagOnRestAPI, map[string]string{"gatehouse:corsAllowOrigins": "*"}, ""},
		{tagOnRestAPI, map[string]string{"gatehouse:corsAllowOrigins": "https://app.example.com, http://localhost:3000"}, ""},
		{tagOnStage, map[string]string{"gatehouse:corsAllowOrigins": "*"}, `Invalid tag "gatehouse:corsAllowOrigins" here: it can be set on a RestApi only`},
		{tagOnRestAPI, map[string]string{"gatehouse:corsAllowOrigins": "https://app.example.com/"}, `Invalid value "https://app.example.com/" for tag "gatehouse:corsAllowOrigins": origin "https://app.example.com/" has a path, query, user or space: give scheme://host[:port] with scheme http or https and no path, such as https://app.example.com or http://localhost:3000`},
		{tagOnRestAPI, map[string]string{"gatehouse:corsAllowOrigins": "app.example.com"}, `Invalid value "app.example.com" for tag "gatehouse:corsAllowOrigins": origin "app.example.com": give scheme://host[:port] with scheme http or https and no path, such as https://app.example.com or http://localhost:3000`},
		{tagOnRestAPI, map[string]string{"gatehouse:corsAllowOrigins": "*, https://a.example"}, `Invalid value "*, https://a.example" for tag "gatehouse:corsAllowOrigins": * must be the whole value (any origin), not one of a list`},
	}
	for _, tt := range tests {
		err := validateTagsOn(tt.kind, tt.tags)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("validateTagsOn(%s, %v) = %q, want %q", tt.kind, tt.tags, got, tt.want)
		}
	}
	// Keys and plans take no gatehouse: tags.
	if err := validateTags(map[string]string{"gatehouse:reasonHeader": "true"}); err == nil {
		t.Error("validateTags accepted a gatehouse: tag on a key or plan")
	}
}
