package awsapi_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/gatehouse-dev/gatehouse/internal/apitest"
	"github.com/gatehouse-dev/gatehouse/internal/awsapi"
)

// TestEveryOperationAnswers drives every operation of the AWS SDK for Go's
// client against a node: each one Gatehouse does not implement answers 501
// NotImplementedException naming it; each one it implements answers
// something else.
func TestEveryOperationAnswers(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	implemented := awsapi.ImplementedOperations()
	seen, notImpl := 0, 0
	awsapi.CallSDKOperations(t, env.Client, func(name string, err error) {
		seen++
		impl, known := implemented[name]
		if !known {
			t.Errorf("%s is not in the operations table", name)
			return
		}
		code := apitest.ErrorCode(err)
		if impl {
			if code == "NotImplementedException" {
				t.Errorf("%s is implemented but answered %v", name, err)
			}
			return
		}
		notImpl++
		var re *awshttp.ResponseError
		if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusNotImplemented || code != "NotImplementedException" {
			t.Errorf("%s: got %v, want 501 NotImplementedException", name, err)
			return
		}
		if got, want := apitest.ErrorMessage(err), name+" is not supported by Gatehouse"; got != want {
			t.Errorf("%s: message %q, want %q", name, got, want)
		}
	})
	if seen != len(implemented) || notImpl == 0 {
		t.Errorf("drove %d operations (%d not implemented); the table has %d", seen, notImpl, len(implemented))
	}
}

// countingTransport counts the attempts a client makes.
type countingTransport struct{ n int }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n++
	return http.DefaultTransport.RoundTrip(r)
}

type noBackoff struct{}

func (noBackoff) BackoffDelay(int, error) (time.Duration, error) { return 0, nil }

// TestNotImplementedIsNotRetried checks that the SDK's standard retryer
// (three attempts, its default rules of what to retry; no backoff delay
// here) sends an unimplemented operation once, and that a retried answer
// would have been counted.
func TestNotImplementedIsNotRetried(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	ct := &countingTransport{}
	retryer := func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) { o.Backoff = noBackoff{} })
	}
	c := apigateway.New(apigateway.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(env.AdminURL),
		Credentials:  credentials.NewStaticCredentialsProvider(env.Server.Credentials.AccessKeyID, env.Server.Credentials.SecretAccessKey, ""),
		HTTPClient:   &http.Client{Transport: ct, Timeout: 30 * time.Second},
		Retryer:      retryer(),
	})
	ctx := context.Background()
	_, err := c.GetVpcLinks(ctx, &apigateway.GetVpcLinksInput{})
	apitest.WantError(t, err, "NotImplementedException", "GetVpcLinks is not supported by Gatehouse")
	_, err = c.CreateVpcLink(ctx, &apigateway.CreateVpcLinkInput{Name: aws.String("l"), TargetArns: []string{"arn:aws:elasticloadbalancing:x"}})
	apitest.WantError(t, err, "NotImplementedException", "CreateVpcLink is not supported by Gatehouse")
	if ct.n != 2 {
		t.Errorf("two calls made %d attempts, want 2 (no retry)", ct.n)
	}
	// The same client retries what it should: a 503 costs three attempts.
	unavailable := newUnavailable(t)
	ct.n = 0
	c2 := apigateway.New(apigateway.Options{Region: "us-east-1", BaseEndpoint: aws.String(unavailable),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", ""), HTTPClient: &http.Client{Transport: ct}, Retryer: retryer()})
	if _, err := c2.GetVpcLinks(ctx, &apigateway.GetVpcLinksInput{}); err == nil || ct.n != 3 {
		t.Errorf("503: %d attempts (error %v), want 3: the counting is broken", ct.n, err)
	}
}

// TestAWSCLIPrintsNotImplemented runs the AWS CLI against a node: it
// prints the operation and the message, exits non-zero, and does not retry.
func TestAWSCLIPrintsNotImplemented(t *testing.T) {
	awsPath, err := exec.LookPath("aws")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("the aws CLI is not installed; .ci/run installs Debian's awscli")
		}
		t.Skip("the aws CLI is not installed")
	}
	env := apitest.Start(t, apitest.Options{})
	admin := newCountingAdmin(t, env)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, awsPath, "--endpoint-url", admin.URL, "--region", "us-east-1", "apigateway", "get-vpc-links")
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+env.Server.Credentials.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY="+env.Server.Credentials.SecretAccessKey, "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("aws: %v\n%s", err, out)
	}
	want := "An error occurred (NotImplementedException) when calling the GetVpcLinks operation: GetVpcLinks is not supported by Gatehouse"
	if !strings.Contains(string(out), want) {
		t.Errorf("aws printed %q, want it to contain %q", out, want)
	}
	if n := admin.requests.Load(); n != 1 {
		t.Errorf("the CLI sent %d requests, want 1 (no retry)", n)
	}
}
