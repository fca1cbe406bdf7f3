// Command fail is a test function that fails: it returns an error whose
// message is FAIL_MESSAGE (default "function failed on purpose"), or
// panics when FAIL_PANIC=1.
package main

import (
	"context"
	"errors"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

func handle(context.Context, map[string]any) (map[string]any, error) {
	msg := os.Getenv("FAIL_MESSAGE")
	if msg == "" {
		msg = "function failed on purpose"
	}
	if os.Getenv("FAIL_PANIC") == "1" {
		panic(msg)
	}
	return nil, errors.New(msg)
}

func main() {
	go exitWithParent()
	lambda.Start(handle)
}
