package cli

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/gatehouse-dev/gatehouse/internal/server"
	"github.com/spf13/cobra"
)

// adminFlags are the flags of every command that calls a node's admin API.
type adminFlags struct {
	endpoint    string
	credentials string
	dataDir     string
	region      string
	timeout     time.Duration
}

// addAdminFlags registers the admin client's flags on cmd.
func addAdminFlags(cmd *cobra.Command, f *adminFlags) {
	fl := cmd.Flags()
	fl.StringVar(&f.endpoint, "endpoint", "http://"+server.DefaultAdminListen, "the node's admin API (management API) base URL")
	fl.StringVar(&f.credentials, "credentials", "", "a credentials file (AWS shared-credentials format, as <data-dir>/"+server.CredentialsFile+"); default: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, else the local node's <data-dir>/"+server.CredentialsFile+", else the AWS shared credentials file (AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials, profile AWS_PROFILE)")
	fl.StringVar(&f.dataDir, "data-dir", server.DefaultDataDir, "the local node's data directory, where its admin credentials are")
	fl.StringVar(&f.region, "region", "", "the region to sign for (default: AWS_REGION, else "+server.DefaultRegion+")")
	fl.DurationVar(&f.timeout, "timeout", 90*time.Second, "how long to wait for the node's answer (doctor over a million keys takes about 25 s)")
}

// adminClient makes SigV4-signed calls to a node's admin API: the
// /_gatehouse/* calls, signed as the management API's are.
type adminClient struct {
	endpoint string
	creds    aws.Credentials
	region   string
	http     *http.Client
}

// newAdminClient resolves the endpoint and the credentials.
func newAdminClient(f adminFlags, getenv func(string) string) (*adminClient, error) {
	ep := strings.TrimRight(f.endpoint, "/")
	if !strings.HasPrefix(ep, "http://") && !strings.HasPrefix(ep, "https://") {
		return nil, fmt.Errorf("--endpoint %q: must be an http:// or https:// URL", f.endpoint)
	}
	creds, err := resolveCredentials(f, getenv)
	if err != nil {
		return nil, err
	}
	region := f.region
	if region == "" {
		region = getenv("AWS_REGION")
	}
	if region == "" {
		region = server.DefaultRegion
	}
	return &adminClient{endpoint: ep, creds: creds, region: region, http: &http.Client{Timeout: f.timeout}}, nil
}

// resolveCredentials finds the credentials to sign with: --credentials,
// the AWS environment, the local node's admin credentials, the AWS shared
// credentials file, in that order.
func resolveCredentials(f adminFlags, getenv func(string) string) (aws.Credentials, error) {
	profile := getenv("AWS_PROFILE")
	if profile == "" {
		profile = "default"
	}
	if f.credentials != "" {
		c, err := readCredentialsFile(f.credentials, profile)
		if err != nil {
			return c, fmt.Errorf("--credentials: %w", err)
		}
		return c, nil
	}
	if id, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"); id != "" && secret != "" {
		return aws.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: getenv("AWS_SESSION_TOKEN")}, nil
	}
	local := filepath.Join(f.dataDir, server.CredentialsFile)
	if c, err := readCredentialsFile(local, "default"); err == nil {
		return c, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return c, fmt.Errorf("the local node's credentials: %w", err)
	}
	shared := getenv("AWS_SHARED_CREDENTIALS_FILE")
	if shared == "" {
		if home := getenv("HOME"); home != "" {
			shared = filepath.Join(home, ".aws", "credentials")
		}
	}
	if shared != "" {
		if c, err := readCredentialsFile(shared, profile); err == nil {
			return c, nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return c, fmt.Errorf("the AWS shared credentials file: %w", err)
		}
	}
	return aws.Credentials{}, fmt.Errorf("no credentials: give --credentials, set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where the node's data directory is (--data-dir %s has no %s)", f.dataDir, server.CredentialsFile)
}

// readCredentialsFile reads a profile's keys from a file in the AWS shared
// credentials format (the node's admin-credentials file is one). A file
// with no section headers counts as the default profile.
func readCredentialsFile(path, profile string) (aws.Credentials, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return aws.Credentials{}, err
	}
	var c aws.Credentials
	section := "default"
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			section = strings.TrimSpace(strings.TrimPrefix(line[1:len(line)-1], "profile "))
			continue
		}
		if section != profile {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "aws_access_key_id":
			c.AccessKeyID = strings.TrimSpace(v)
		case "aws_secret_access_key":
			c.SecretAccessKey = strings.TrimSpace(v)
		case "aws_session_token":
			c.SessionToken = strings.TrimSpace(v)
		}
	}
	if c.AccessKeyID == "" || c.SecretAccessKey == "" {
		return c, fmt.Errorf("%s: profile %q has no aws_access_key_id and aws_secret_access_key", path, profile)
	}
	return c, nil
}

// adminError is an admin call's error answer, in the management API's
// shape.
type adminError struct {
	Status  int
	Code    string
	Message string
}

func (e *adminError) Error() string {
	return fmt.Sprintf("%s (%d): %s", e.Code, e.Status, e.Message)
}

// maxAdminAnswer caps an admin call's answer.
const maxAdminAnswer = 64 << 20

// call POSTs in as JSON to path, signed, and decodes the answer into out.
// An error answer is an *adminError.
func (c *adminClient) call(ctx context.Context, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("--endpoint: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	// The node accepts a signed POST once (a replayed signature is
	// refused); the same call twice in one second would sign the same, so
	// each call signs a nonce of its own.
	var nonce [12]byte
	rand.Read(nonce[:])
	req.Header.Set("X-Gatehouse-Nonce", hex.EncodeToString(nonce[:]))
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, c.creds, req, hex.EncodeToString(sum[:]), "apigateway", c.region, time.Now()); err != nil {
		return fmt.Errorf("signing the call: %w", err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("calling the node at %s: %w", c.endpoint, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAdminAnswer))
	if err != nil {
		return fmt.Errorf("reading the node's answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		e := &adminError{Status: resp.StatusCode, Code: resp.Header.Get("x-amzn-ErrorType")}
		var m struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(b, &m) == nil {
			e.Message = m.Message
		} else {
			e.Message = strings.TrimSpace(string(b))
		}
		if e.Code == "" {
			e.Code = http.StatusText(resp.StatusCode)
		}
		return e
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("the node's answer is not the expected JSON: %w", err)
	}
	return nil
}
