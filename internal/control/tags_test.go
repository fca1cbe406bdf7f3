package control

import (
	"strings"
	"testing"
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
		{tagOnRestAPI, map[string]string{"team": "gatehouse:reasonHeader"}, ""},
		{tagOnStage, map[string]string{"gatehouse:reasonHeader": "yes"}, `Invalid value "yes" for tag "gatehouse:reasonHeader": must be one of true, false`},
		{tagOnStage, map[string]string{"gatehouse:reasonHeader": "TRUE"}, `Invalid value "TRUE" for tag "gatehouse:reasonHeader": must be one of true, false`},
		{tagOnRestAPI, map[string]string{"gatehouse:reasonHeader": "true"}, `Invalid tag "gatehouse:reasonHeader" here: it can be set on a stage only`},
		{"apikeys", map[string]string{"gatehouse:reasonHeader": "true"}, `Invalid tag "gatehouse:reasonHeader" here: it can be set on a stage only`},
		{tagOnStage, map[string]string{"gatehouse:reasonheader": "true"}, `Unknown Gatehouse tag "gatehouse:reasonheader": the tags with the prefix "gatehouse:" are Gatehouse settings, and the known ones are gatehouse:reasonHeader`},
		{tagOnRestAPI, map[string]string{"Gatehouse:Debug": "1"}, `Unknown Gatehouse tag "Gatehouse:Debug": the tags with the prefix "gatehouse:" are Gatehouse settings, and the known ones are gatehouse:reasonHeader`},
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
