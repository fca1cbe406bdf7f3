// Package credchain finds AWS credentials for signing Lambda Invoke API
// calls with the AWS SDK's standard chain. It is apart from package lambda
// so that the data plane, which uses lambda's types, does not link the
// chain's STS and SSO clients; only the server imports it.
package credchain

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
)

// Find looks for AWS credentials with the AWS SDK's standard
// chain (environment, shared config and credentials files, SSO, web
// identity, the ECS container endpoint and, unless the endpoint is a
// loopback address, the EC2 instance metadata service). It returns the
// provider when credentials were found (calls are then signed; the SDK
// refreshes them), or nil and the reason when none were (calls are then
// unsigned, which is what the Runtime Interface Emulator and other local
// runners expect).
func Find(ctx context.Context, endpoint string) (aws.CredentialsProvider, error) {
	opts := []func(*config.LoadOptions) error{}
	if isLoopback(endpoint) {
		// A local runner needs no instance role, and probing the metadata
		// address from a machine that is not on EC2 only costs time.
		opts = append(opts, config.WithEC2IMDSClientEnableState(imds.ClientDisabled))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("loading the AWS configuration: %w", err)
	}
	if cfg.Credentials == nil {
		return nil, fmt.Errorf("no AWS credentials provider")
	}
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := cfg.Credentials.Retrieve(rctx); err != nil {
		return nil, fmt.Errorf("no AWS credentials found: %w", err)
	}
	return cfg.Credentials, nil
}

func isLoopback(endpoint string) bool {
	u, err := url.Parse(endpoint)
	if err != nil {
		return false
	}
	h := u.Hostname()
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
