package cli

import (
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
	"github.com/gatehouse-dev/gatehouse/internal/secret"
	"github.com/gatehouse-dev/gatehouse/internal/server"
)

// doctorClient signs calls to a node's admin API (/_gatehouse/*) with
// SigV4, as the AWS CLI signs management calls. (The explain command's
// adminclient.go is the same idea; the two are to be merged.)
type doctorClient struct {
	endpoint string
	creds    secret.Credentials
	region   string
	http     *http.Client
}

// adminFlags are the flags of a command that calls the admin API.
type adminFlags struct {
	endpoint    string
	credentials string
	dataDir     string
	region      string
}

// adminCallTimeout bounds one admin call (the admin listener's own write
// timeout is 60 s).
const adminCallTimeout = 90 * time.Second

// adminMaxAnswer caps an admin answer read by the CLI.
const adminMaxAnswer = 256 << 20

// newDoctorClient resolves the endpoint and credentials: --credentials
// (a file in the admin-credentials or AWS shared-credentials format),
// else AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, else the local node's
// <data-dir>/admin-credentials.
func newDoctorClient(f adminFlags, getenv func(string) string) (*doctorClient, error) {
	c := &doctorClient{endpoint: strings.TrimRight(f.endpoint, "/"), region: f.region, http: &http.Client{Timeout: adminCallTimeout}}
	if c.endpoint == "" {
		c.endpoint = "http://" + server.DefaultAdminListen
	}
	switch {
	case f.credentials != "":
		cr, err := readCredentials(f.credentials)
		if err != nil {
			return nil, err
		}
		c.creds = cr
	case getenv("AWS_ACCESS_KEY_ID") != "" && getenv("AWS_SECRET_ACCESS_KEY") != "":
		c.creds = secret.Credentials{AccessKeyID: getenv("AWS_ACCESS_KEY_ID"), SecretAccessKey: getenv("AWS_SECRET_ACCESS_KEY")}
	default:
		cr, err := readCredentials(filepath.Join(f.dataDir, server.CredentialsFile))
		if err != nil {
			return nil, fmt.Errorf("%w (give --credentials, set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or --data-dir of the local node)", err)
		}
		c.creds = cr
	}
	return c, nil
}

// readCredentials reads the first aws_access_key_id and
// aws_secret_access_key of a credentials file. Unlike
// secret.LoadOrCreateCredentials it never creates the file.
func readCredentials(path string) (secret.Credentials, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return secret.Credentials{}, fmt.Errorf("read credentials: %w", err)
	}
	var c secret.Credentials
	for line := range strings.Lines(string(raw)) {
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "aws_access_key_id":
			if c.AccessKeyID == "" {
				c.AccessKeyID = strings.TrimSpace(v)
			}
		case "aws_secret_access_key":
			if c.SecretAccessKey == "" {
				c.SecretAccessKey = strings.TrimSpace(v)
			}
		}
	}
	if c.AccessKeyID == "" || c.SecretAccessKey == "" {
		return secret.Credentials{}, fmt.Errorf("credentials file %s: need aws_access_key_id and aws_secret_access_key", path)
	}
	return c, nil
}

// adminError is an admin API refusal (AWS's error shape).
type adminError struct {
	Status  int
	Code    string
	Message string
}

func (e *adminError) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("HTTP %d: %s", e.Status, e.Message)
	}
	return e.Code + ": " + e.Message
}

// post sends a signed POST of body (JSON) to path and returns the
// answer's body; a non-2xx answer is an *adminError.
func (c *doctorClient) post(ctx context.Context, path string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint+path, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("admin call %s: %w", path, err)
	}
	req.Header.Set("Content-Type", "application/json")
	// A signed per-call id, as the AWS SDKs send: the admin API refuses
	// a POST whose signature it already accepted (replay limit), and two
	// identical calls within one second would otherwise sign alike.
	req.Header.Set("amz-sdk-invocation-id", rand.Text())
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: c.creds.AccessKeyID, SecretAccessKey: c.creds.SecretAccessKey}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "apigateway", c.region, time.Now()); err != nil {
		return nil, fmt.Errorf("sign admin call %s: %w", path, err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("admin call %s: %w", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, adminMaxAnswer))
	if err != nil {
		return nil, fmt.Errorf("admin call %s: read answer: %w", path, err)
	}
	if resp.StatusCode/100 != 2 {
		e := &adminError{Status: resp.StatusCode, Code: resp.Header.Get("x-amzn-ErrorType")}
		var m struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(b, &m) == nil && m.Message != "" {
			e.Message = m.Message
		} else {
			e.Message = strings.TrimSpace(string(b))
		}
		return nil, e
	}
	return b, nil
}

// explainDial adds to a failed call (not a refusal) where it was sent.
func explainDial(err error, endpoint string) error {
	var ae *adminError
	if errors.As(err, &ae) {
		return err
	}
	return fmt.Errorf("%w (is a node's admin API listening at %s? see --endpoint)", err, endpoint)
}
