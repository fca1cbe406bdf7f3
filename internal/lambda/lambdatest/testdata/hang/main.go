// Command hang is a test function that never answers: it waits for its
// invocation's deadline (the emulator's function timeout, 300 s by
// default) or for the emulator to go away.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

func handle(ctx context.Context, _ map[string]any) (map[string]any, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func main() {
	go exitWithParent()
	lambda.Start(handle)
}
