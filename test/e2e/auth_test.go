package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/gatehouse-dev/gatehouse/internal/apitest"
	"github.com/gatehouse-dev/gatehouse/internal/server"
)

func TestManagementAPIRefusesBadSignatures(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	ctx := context.Background()
	creds := env.Server.Credentials

	if _, err := env.Client.GetApiKeys(ctx, &apigateway.GetApiKeysInput{}); err != nil {
		t.Fatalf("signed with the admin credentials: %v", err)
	}
	tests := []struct {
		name         string
		akid, secret string
		code         string
	}{
		{"wrong secret", creds.AccessKeyID, creds.SecretAccessKey + "x", "InvalidSignatureException"},
		{"unknown access key", "AKIAUNKNOWNUNKNOWN00", creds.SecretAccessKey, "UnrecognizedClientException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := env.NewClient(tt.akid, tt.secret)
			_, err := c.CreateApiKey(ctx, &apigateway.CreateApiKeyInput{Name: aws.String("nope")})
			apitest.WantError(t, err, tt.code, "")
		})
	}
	// Nothing the refused calls asked for was created.
	keys, err := env.Client.GetApiKeys(ctx, &apigateway.GetApiKeysInput{})
	if err != nil || len(keys.Items) != 0 {
		t.Fatalf("after refused creates: %d keys, %v; want none", len(keys.Items), err)
	}

	t.Run("unsigned", func(t *testing.T) {
		resp, err := http.Get(env.AdminURL + "/restapis")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]string
		json.NewDecoder(resp.Body).Decode(&body)
		if resp.StatusCode != http.StatusForbidden || resp.Header.Get("x-amzn-ErrorType") != "MissingAuthenticationTokenException" ||
			body["message"] != "Missing Authentication Token" || resp.Header.Get("x-amzn-RequestId") == "" {
			t.Fatalf("unsigned: %d %q %v (request id %q)", resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"), body, resp.Header.Get("x-amzn-RequestId"))
		}
	})

	t.Run("body limit", func(t *testing.T) {
		// Unsigned: refused before the body is read.
		big := bytes.Repeat([]byte("a"), 11<<20)
		resp, err := http.Post(env.AdminURL+"/apikeys", "application/json", bytes.NewReader(big))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]string
		json.NewDecoder(resp.Body).Decode(&body)
		if resp.StatusCode != http.StatusForbidden || body["message"] != "Missing Authentication Token" {
			t.Fatalf("unsigned 11 MiB body: %d %v; want 403 Missing Authentication Token", resp.StatusCode, body)
		}
		// Signed, over CreateApiKey's limit: 413 naming the limit and the operation.
		_, err = env.Client.CreateApiKey(ctx, &apigateway.CreateApiKeyInput{Name: aws.String("big"), Description: aws.String(strings.Repeat("d", 300<<10))})
		apitest.WantError(t, err, "RequestEntityTooLargeException", "Request must be smaller than 262144 bytes for the CreateApiKey operation")
	})
}

func TestDevMode(t *testing.T) {
	env := apitest.Start(t, apitest.Options{Dev: true})
	ctx := context.Background()
	anyone := env.NewClient("AKIAANYTHINGATALL000", "whatever")
	if _, err := anyone.CreateApiKey(ctx, &apigateway.CreateApiKeyInput{Name: aws.String("dev")}); err != nil {
		t.Fatalf("dev mode refused arbitrary credentials: %v", err)
	}
	resp, err := http.Get(env.AdminURL + "/apikeys")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("dev mode accepted an unsigned call: %d", resp.StatusCode)
	}
	// The reset needs a signature too (any credentials): a web page can
	// make a browser send an unsigned "simple" POST, but not one with an
	// Authorization header, to a loopback listener.
	countKeys := func() int {
		t.Helper()
		keys, err := anyone.GetApiKeys(ctx, &apigateway.GetApiKeysInput{})
		if err != nil {
			t.Fatal(err)
		}
		return len(keys.Items)
	}
	for _, tc := range []struct {
		name        string
		contentType string
		body        string
		sign        bool
		status      int
		errorType   string
		keysAfter   int
	}{
		{"cross-site form post", "text/plain", "x=1", false, http.StatusForbidden, "MissingAuthenticationTokenException", 1},
		{"unsigned, no body", "", "", false, http.StatusForbidden, "MissingAuthenticationTokenException", 1},
		{"signed by anyone", "", "", true, http.StatusNoContent, "", 0},
		{"signed, with a body", "text/plain", strings.Repeat("a", 2048), true, http.StatusBadRequest, "BadRequestException", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, env.AdminURL+"/_gatehouse/reset", strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			if tc.sign {
				sum := sha256.Sum256([]byte(tc.body))
				creds := aws.Credentials{AccessKeyID: "AKIAANYTHINGATALL000", SecretAccessKey: "whatever"}
				if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "apigateway", "us-east-1", time.Now()); err != nil {
					t.Fatal(err)
				}
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.status || resp.Header.Get("x-amzn-ErrorType") != tc.errorType {
				t.Fatalf("reset: %d %q, want %d %q", resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"), tc.status, tc.errorType)
			}
			if n := countKeys(); n != tc.keysAfter {
				t.Fatalf("after the reset: %d keys, want %d", n, tc.keysAfter)
			}
		})
	}
}

func TestResetOnlyInDevMode(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	resp, err := http.Post(env.AdminURL+"/_gatehouse/reset", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("reset without --dev: %d, want 403 (an unsigned management call)", resp.StatusCode)
	}
}

func TestDevModeNeedsLoopback(t *testing.T) {
	for _, addr := range []string{":9090", "0.0.0.0:9090", "10.1.2.3:9090", "[::]:9090"} {
		_, err := server.New(context.Background(), server.Config{DataDir: t.TempDir(), AdminListen: addr, Dev: true})
		if err == nil || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("Dev with admin listener %q: err = %v, want a refusal naming loopback", addr, err)
		}
	}
	for _, addr := range []string{"127.0.0.1:9090", "localhost:9090", "[::1]:9090"} {
		if !server.IsLoopback(addr) {
			t.Errorf("IsLoopback(%q) = false", addr)
		}
	}
}

func TestStateSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	var keyID, value string
	// The first node runs in a subtest so that it is shut down (cleanup)
	// before the second one starts on the same data dir.
	t.Run("first node", func(t *testing.T) {
		env := apitest.Start(t, apitest.Options{DataDir: dir})
		k, err := env.Client.CreateApiKey(ctx, &apigateway.CreateApiKeyInput{Name: aws.String("durable"), Enabled: true})
		if err != nil {
			t.Fatal(err)
		}
		keyID, value = aws.ToString(k.Id), aws.ToString(k.Value)
	})
	env := apitest.Start(t, apitest.Options{DataDir: dir})
	k, err := env.Client.GetApiKey(ctx, &apigateway.GetApiKeyInput{ApiKey: aws.String(keyID), IncludeValue: aws.Bool(true)})
	if err != nil {
		t.Fatalf("after restart: %v", err)
	}
	if aws.ToString(k.Value) != value || aws.ToString(k.Name) != "durable" {
		t.Fatalf("after restart the key reads name=%q and its value %s", aws.ToString(k.Name), map[bool]string{true: "matches", false: "differs"}[aws.ToString(k.Value) == value])
	}
}
