package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/gatehouse-dev/gatehouse/internal/secret"
	"github.com/gatehouse-dev/gatehouse/internal/server"
)

// TestOpenAuditLog covers --audit-log's destinations: by default a file in
// the data directory (created with it, mode 0600), a path appended to, the
// standard streams, off, and a path that cannot be opened.
func TestOpenAuditLog(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "new-data-dir")
	w, closeFn, err := openAuditLog("", dataDir, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(w, "one\n"); err != nil {
		t.Fatal(err)
	}
	if err := closeFn(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dataDir, "audit.log")
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("default audit log %s: %v, mode %v; want 0600", path, err, fi.Mode().Perm())
	}
	w, closeFn, err = openAuditLog(path, dataDir, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "two\n")
	closeFn()
	if b, _ := os.ReadFile(path); string(b) != "one\ntwo\n" {
		t.Errorf("audit log holds %q, want both lines appended", b)
	}
	var stdout, stderr bytes.Buffer
	if w, _, _ := openAuditLog("stdout", dataDir, &stdout, &stderr); w != &stdout {
		t.Errorf("stdout: got %v", w)
	}
	if w, _, _ := openAuditLog("stderr", dataDir, &stdout, &stderr); w != &stderr {
		t.Errorf("stderr: got %v", w)
	}
	if w, _, err := openAuditLog("off", dataDir, &stdout, &stderr); w != nil || err != nil {
		t.Errorf("off: got %v, %v", w, err)
	}
	var errOut bytes.Buffer
	args := []string{"serve", "--data-dir", t.TempDir(), "--audit-log", "/nonexistent-dir/x/audit.log"}
	if code := run(context.Background(), args, io.Discard, &errOut); code == 0 || !strings.Contains(errOut.String(), "--audit-log") {
		t.Errorf("%v: exit %d, stderr %q; want failure naming --audit-log", args, code, errOut.String())
	}
}

// TestServeWritesAuditLog runs `gatehouse serve` with the default
// --audit-log, creates a key with a chosen value through the management
// API, and finds its line in <data-dir>/audit.log without the value.
func TestServeWritesAuditLog(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--data-dir", dir, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--access-log", "off"}, io.Discard, pw)
		pw.Close()
	}()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exited %d", code)
		}
	}()
	adminURL := ""
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil && m["msg"] == "gatehouse serving" {
			adminURL, _ = m["admin"].(string)
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if adminURL == "" {
		t.Fatal("serve logged no admin address")
	}
	creds, _, err := secret.LoadOrCreateCredentials(filepath.Join(dir, server.CredentialsFile))
	if err != nil {
		t.Fatal(err)
	}
	c := apigateway.New(apigateway.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(adminURL),
		Credentials: credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, ""),
		HTTPClient:  &http.Client{Timeout: 30 * time.Second}, RetryMaxAttempts: 1,
	})
	const value = "cli-audit-value-0123456789"
	k, err := c.CreateApiKey(ctx, &apigateway.CreateApiKeyInput{Name: aws.String("k"), Value: aws.String(value)})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	var line struct{ Operation, Resource, AccessKeyID string }
	if err := json.Unmarshal(b, &line); err != nil {
		t.Fatalf("audit log %q: %v", b, err)
	}
	if line.Operation != "CreateApiKey" || line.Resource != "/apikeys/"+aws.ToString(k.Id) || line.AccessKeyID != creds.AccessKeyID {
		t.Errorf("audit line %s", b)
	}
	if strings.Contains(string(b), value) {
		t.Errorf("the audit log contains the key value: %s", b)
	}
}
