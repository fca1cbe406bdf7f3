package lambda_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/lambda"
)

func TestParseURI(t *testing.T) {
	const pre = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
	tests := []struct {
		uri     string
		want    lambda.Target
		wantErr string // a fragment of the error, "" when valid
	}{
		{pre + "arn:aws:lambda:us-east-1:123456789012:function:pets/invocations", lambda.Target{Region: "us-east-1", Function: "arn:aws:lambda:us-east-1:123456789012:function:pets"}, ""},
		{pre + "arn:aws:lambda:us-east-1:123456789012:function:pets:live/invocations", lambda.Target{Region: "us-east-1", Function: "arn:aws:lambda:us-east-1:123456789012:function:pets:live"}, ""},
		{pre + "arn:aws:lambda:us-east-1:123456789012:function:pets:$LATEST/invocations", lambda.Target{Region: "us-east-1", Function: "arn:aws:lambda:us-east-1:123456789012:function:pets:$LATEST"}, ""},
		{"arn:aws-cn:apigateway:cn-north-1:lambda:path/2015-03-31/functions/arn:aws-cn:lambda:cn-north-1:123456789012:function:f:7/invocations", lambda.Target{Region: "cn-north-1", Function: "arn:aws-cn:lambda:cn-north-1:123456789012:function:f:7"}, ""},
		{pre + "123456789012:function:pets/invocations", lambda.Target{Region: "us-east-1", Function: "123456789012:function:pets"}, ""},
		{pre + "function/invocations", lambda.Target{Region: "us-east-1", Function: "function"}, ""},
		{pre + "my_fn-1:prod/invocations", lambda.Target{Region: "us-east-1", Function: "my_fn-1:prod"}, ""},
		{"http://127.0.0.1:9000/authorize", lambda.Target{URL: "http://127.0.0.1:9000/authorize"}, ""},
		{"https://fn.example.com/x?y=1", lambda.Target{URL: "https://fn.example.com/x?y=1"}, ""},

		{"", lambda.Target{}, "neither"},
		{"ftp://example.com/f", lambda.Target{}, "neither"},
		{"http:///nohost", lambda.Target{}, "no host"},
		{"http://user:pw@host/x", lambda.Target{}, "user information"},
		{"http://host/x#frag", lambda.Target{}, "fragment"},
		{"arn:aws:apigateway:us-east-1:s3:path/bucket/key", lambda.Target{}, "lambda:path/2015-03-31/functions/"},
		{"arn:aws:lambda:us-east-1:123456789012:function:pets", lambda.Target{}, "not apigateway"},
		{"arn:other:apigateway:us-east-1:lambda:path/2015-03-31/functions/f/invocations", lambda.Target{}, "partition"},
		{"arn:aws:apigateway:US_EAST:lambda:path/2015-03-31/functions/f/invocations", lambda.Target{}, "region"},
		{pre + "f", lambda.Target{}, "/invocations"},
		{pre + "/invocations", lambda.Target{}, "no function name"},
		{pre + "arn:aws:lambda:us-east-1:12345:function:pets/invocations", lambda.Target{}, "12-digit"},
		{pre + "arn:aws:lambda:us-east-1:123456789012:layer:pets/invocations", lambda.Target{}, "function ARN"},
		{pre + "arn:aws:lambda:us-east-1:123456789012:function:pets:/invocations", lambda.Target{}, "empty qualifier"},
		{pre + "pets:a:b/invocations", lambda.Target{}, "more than one qualifier"},
		{pre + "pe ts/invocations", lambda.Target{}, "letters, digits"},
		{pre + "pets/x/invocations", lambda.Target{}, "letters, digits"},
		{pre + strings.Repeat("f", 65) + "/invocations", lambda.Target{}, "1 to 64"},
		{pre + "pets:al.ias/invocations", lambda.Target{}, "qualifier"},
		{pre + "${stageVariables.fn}/invocations", lambda.Target{}, "letters, digits"},
		{"http://h/" + strings.Repeat("a", 3000), lambda.Target{}, "over 2048"},
	}
	for _, tt := range tests {
		t.Run(tt.uri, func(t *testing.T) {
			got, err := lambda.ParseURI(tt.uri)
			if tt.wantErr != "" {
				if !errors.Is(err, lambda.ErrBadURI) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want ErrBadURI mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %+v %v, want %+v", got, err, tt.want)
			}
		})
	}
}

// FuzzParseURI: any string parses or is refused with ErrBadURI; a parsed
// target is one kind or the other, and a Lambda target's URI is rebuilt
// exactly from its parts.
func FuzzParseURI(f *testing.F) {
	f.Add("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:pets:live/invocations")
	f.Add("https://fn.example.com/x?y=1")
	f.Fuzz(func(t *testing.T, uri string) {
		got, err := lambda.ParseURI(uri)
		if err != nil {
			if !errors.Is(err, lambda.ErrBadURI) {
				t.Fatalf("error %v does not wrap ErrBadURI", err)
			}
			return
		}
		if got.IsHTTP() == (got.Function != "") {
			t.Fatalf("%+v is both or neither kind", got)
		}
		if got.IsHTTP() {
			if got.Region != "" || !strings.HasPrefix(got.URL, "http") {
				t.Fatalf("%+v", got)
			}
			return
		}
		if got.Region == "" || strings.ContainsAny(got.Function, "/ ?#%") {
			t.Fatalf("%+v from %q", got, uri)
		}
		partition, _, _ := strings.Cut(strings.TrimPrefix(uri, "arn:"), ":")
		if rebuilt := "arn:" + partition + ":apigateway:" + got.Region + ":lambda:path/2015-03-31/functions/" + got.Function + "/invocations"; rebuilt != uri {
			t.Fatalf("rebuilt %q from %q", rebuilt, uri)
		}
	})
}
