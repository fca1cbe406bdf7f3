// Command respond is a test function that answers chosen bytes, verbatim
// (not necessarily JSON): the environment variable RESPONSE when set,
// else the "body" field of the event it received (so the caller of an
// AWS_PROXY method chooses the function's answer by its request body).
package main

import (
	"context"
	"encoding/json"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

type respond struct{}

func (respond) Invoke(_ context.Context, event []byte) ([]byte, error) {
	if v, ok := os.LookupEnv("RESPONSE"); ok {
		return []byte(v), nil
	}
	var e struct {
		Body *string `json:"body"`
	}
	if err := json.Unmarshal(event, &e); err != nil || e.Body == nil {
		return []byte(`{"statusCode":200,"body":"no body in the event"}`), nil
	}
	return []byte(*e.Body), nil
}

func main() {
	go exitWithParent()
	lambda.Start(respond{})
}
