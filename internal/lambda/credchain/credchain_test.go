package credchain_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/lambda/credchain"
)

// isolate points the chain at no files and no container endpoint (the
// metadata service is off for loopback endpoints).
func isolate(t *testing.T) {
	dir := t.TempDir()
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
}

func TestFind(t *testing.T) {
	isolate(t)
	if p, err := credchain.Find(context.Background(), "http://127.0.0.1:9001"); err == nil || p != nil {
		t.Fatalf("found %v with no credentials anywhere", p)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDCHAIN")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	p, err := credchain.Find(context.Background(), "http://localhost:9001")
	if err != nil {
		t.Fatal(err)
	}
	c, err := p.Retrieve(context.Background())
	if err != nil || c.AccessKeyID != "AKIDCHAIN" {
		t.Fatalf("%+v %v", c.AccessKeyID, err)
	}
}
