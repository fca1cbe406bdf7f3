// Command authorizer is a test Lambda authorizer written as users write
// them, with aws-lambda-go's event and response types. What it answers
// depends on the identity it gets:
//
//   - TOKEN "allow": Allow on every method of every stage, with a context.
//   - TOKEN "scoped": Allow on the event's methodArn only (AWS's blueprint).
//   - TOKEN "deny": an explicit Deny.
//   - TOKEN "unauthorized": the error "Unauthorized" (API Gateway's 401).
//   - TOKEN "error": another error.
//   - TOKEN "noprincipal": a reply without principalId.
//   - REQUEST with a query string parameter apiKey: Allow, and that value
//     as usageIdentifierKey (apiKeySource AUTHORIZER).
package main

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

// event holds the fields of both authorizer events this handler reads.
type event struct {
	Type                  string            `json:"type"`
	AuthorizationToken    string            `json:"authorizationToken"`
	MethodArn             string            `json:"methodArn"`
	QueryStringParameters map[string]string `json:"queryStringParameters"`
}

func policy(effect, resource string) events.APIGatewayCustomAuthorizerPolicy {
	return events.APIGatewayCustomAuthorizerPolicy{
		Version: "2012-10-17",
		Statement: []events.IAMPolicyStatement{{
			Action: []string{"execute-api:Invoke"}, Effect: effect, Resource: []string{resource},
		}},
	}
}

func handle(_ context.Context, raw json.RawMessage) (any, error) {
	var ev event
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, err
	}
	if ev.Type == "REQUEST" {
		return events.APIGatewayCustomAuthorizerResponse{
			PrincipalID:        "client-" + ev.QueryStringParameters["client"],
			PolicyDocument:     policy("Allow", "arn:aws:execute-api:*:*:*/*/*/*"),
			UsageIdentifierKey: ev.QueryStringParameters["apiKey"],
		}, nil
	}
	switch ev.AuthorizationToken {
	case "allow":
		return events.APIGatewayCustomAuthorizerResponse{
			PrincipalID:    "user-1",
			PolicyDocument: policy("Allow", "arn:aws:execute-api:*:*:*/*/*/*"),
			Context:        map[string]any{"tier": "gold", "n": 3, "ok": true},
		}, nil
	case "scoped":
		return events.APIGatewayCustomAuthorizerResponse{PrincipalID: "user-2", PolicyDocument: policy("Allow", ev.MethodArn)}, nil
	case "deny":
		return events.APIGatewayCustomAuthorizerResponse{PrincipalID: "user-3", PolicyDocument: policy("Deny", "*")}, nil
	case "unauthorized":
		return nil, errors.New("Unauthorized")
	case "noprincipal":
		return map[string]any{"policyDocument": policy("Allow", "*")}, nil
	}
	return nil, errors.New("authorizer failed on purpose")
}

func main() {
	go exitWithParent()
	lambda.Start(handle)
}
