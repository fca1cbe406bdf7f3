package awsapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/gatehouse-dev/gatehouse/internal/apitest"
)

// TestJSONBodyStrictness sends CreateApiKey and CreateUsagePlan bodies that
// are not exactly one JSON value in valid UTF-8: each is refused with 400
// SerializationException and creates nothing; JSON white space around the
// value is fine.
func TestJSONBodyStrictness(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	tests := []struct {
		name, target, body string
		wantMsg            string // substring; "" = accepted
	}{
		{name: "trailing data", target: "/apikeys", body: `{"name":"a"} x`, wantMsg: "unexpected data after the JSON value at byte 13"},
		{name: "two objects", target: "/apikeys", body: `{"name":"a"}{"name":"b"}`, wantMsg: "unexpected data after the JSON value at byte 12"},
		{name: "two objects, new line", target: "/usageplans", body: "{\"name\":\"p\"}\n{\"name\":\"q\"}\n", wantMsg: "unexpected data after the JSON value at byte 13"},
		{name: "invalid UTF-8 in a string", target: "/apikeys", body: "{\"name\":\"caf\xe9\"}", wantMsg: "invalid UTF-8 at byte 12"},
		{name: "invalid UTF-8 outside strings", target: "/usageplans", body: "{\"name\":\"p\"}\xff", wantMsg: "invalid UTF-8 at byte 12"},
		{name: "truncated", target: "/usageplans", body: `{"name":"p"`, wantMsg: "Could not parse request body into json"},
		{name: "white space around", target: "/usageplans", body: "\r\n\t {\"name\":\"p\"} \n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := do(t, signedRequest(t, env, "POST", env.AdminURL, tt.target, []byte(tt.body), signOpts{}))
			if tt.wantMsg == "" {
				if a.status != http.StatusCreated {
					t.Fatalf("got %d %s %q, want 201", a.status, a.errorType, a.message)
				}
				return
			}
			if a.status != http.StatusBadRequest || a.errorType != "SerializationException" || !strings.Contains(a.message, tt.wantMsg) {
				t.Fatalf("got %d %s %q, want 400 SerializationException containing %q", a.status, a.errorType, a.message, tt.wantMsg)
			}
		})
	}
	keys, err := env.Client.GetApiKeys(context.Background(), &apigateway.GetApiKeysInput{})
	if err != nil {
		t.Fatal(err)
	}
	plans, err := env.Client.GetUsagePlans(context.Background(), &apigateway.GetUsagePlansInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(keys.Items) != 0 || len(plans.Items) != 1 {
		t.Errorf("refused bodies created something: %d keys, %d plans (want 0 and the one accepted)", len(keys.Items), len(plans.Items))
	}
}
