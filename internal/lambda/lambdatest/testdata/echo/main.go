// Command echo is a test function: it answers a Lambda proxy response
// whose body is the event it received, verbatim, so that a test can
// assert the exact event. With ECHO_RAW=1 it answers the event itself.
package main

import (
	"context"
	"encoding/json"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

type echo struct{}

func (echo) Invoke(_ context.Context, event []byte) ([]byte, error) {
	if os.Getenv("ECHO_RAW") == "1" {
		return event, nil
	}
	return json.Marshal(map[string]any{
		"statusCode": 200,
		"headers":    map[string]string{"Content-Type": "application/json", "X-Echo": "1"},
		"body":       string(event),
	})
}

func main() {
	go exitWithParent()
	lambda.Start(echo{})
}
