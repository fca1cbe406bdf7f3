package e2e

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/gatehouse-dev/gatehouse/internal/apitest"
	"github.com/gatehouse-dev/gatehouse/internal/server"
	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlite"
)

// secretCheckSetting is the store setting that holds the check value
// derived from the server secret.
const secretCheckSetting = "server-secret-check"

// TestServerSecretIsCheckedAtStart: a node refuses to start on a store
// holding API keys when its server secret is missing or another one, says
// how to fix it, and never writes a new secret over the evidence; with the
// original restored, every key works again.
func TestServerSecretIsCheckedAtStart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	secretPath := filepath.Join(dir, server.SecretFile)
	var keyID, value string
	t.Run("first node", func(t *testing.T) {
		env := apitest.Start(t, apitest.Options{DataDir: dir})
		k, err := env.Client.CreateApiKey(ctx, &apigateway.CreateApiKeyInput{Name: aws.String("precious"), Enabled: true})
		if err != nil {
			t.Fatal(err)
		}
		keyID, value = aws.ToString(k.Id), aws.ToString(k.Value)
	})
	original, err := os.ReadFile(secretPath)
	if err != nil {
		t.Fatal(err)
	}
	other := make([]byte, 32)
	rand.Read(other)

	for _, tt := range []struct {
		name    string
		secret  []byte // nil: no secret file
		wantErr []string
	}{
		{"missing", nil, []string{"server secret " + secretPath + " is missing", "holds API keys", "Restore " + secretPath + " from a backup"}},
		{"another secret", []byte(hex.EncodeToString(other) + "\n"), []string{"server secret " + secretPath + " is not the one", "Restore the original " + secretPath + " from a backup"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			os.Remove(secretPath)
			if tt.secret != nil {
				if err := os.WriteFile(secretPath, tt.secret, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			srv, err := server.New(ctx, server.Config{DataDir: dir, AdminListen: "127.0.0.1:0"})
			if err == nil {
				srv.Close()
				t.Fatal("the node started")
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			got, readErr := os.ReadFile(secretPath)
			switch {
			case tt.secret == nil && readErr == nil:
				t.Errorf("a new secret file was written over the evidence")
			case tt.secret != nil && string(got) != string(tt.secret):
				t.Errorf("the secret file was changed")
			}
		})
	}

	if err := os.WriteFile(secretPath, original, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Run("restored", func(t *testing.T) {
		env := apitest.Start(t, apitest.Options{DataDir: dir})
		k, err := env.Client.GetApiKey(ctx, &apigateway.GetApiKeyInput{ApiKey: aws.String(keyID), IncludeValue: aws.Bool(true)})
		if err != nil || aws.ToString(k.Value) != value {
			t.Fatalf("with the secret restored: the key's value %v, %v", aws.ToString(k.Value) == value, err)
		}
	})
}

// TestServerSecretWithoutKeys: with no API key in the store nothing
// depends on the secret, so a missing one is created and another one is
// accepted.
func TestServerSecretWithoutKeys(t *testing.T) {
	dir := t.TempDir()
	secretPath := filepath.Join(dir, server.SecretFile)
	t.Run("first node", func(t *testing.T) { apitest.Start(t, apitest.Options{DataDir: dir}) })
	os.Remove(secretPath)
	t.Run("secret lost", func(t *testing.T) { apitest.Start(t, apitest.Options{DataDir: dir}) })
	if _, err := os.Stat(secretPath); err != nil {
		t.Fatalf("no new secret: %v", err)
	}
	other := make([]byte, 32)
	rand.Read(other)
	if err := os.WriteFile(secretPath, []byte(hex.EncodeToString(other)), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Run("secret replaced", func(t *testing.T) {
		env := apitest.Start(t, apitest.Options{DataDir: dir})
		// The new secret is recorded: keys made now work after a restart.
		if _, err := env.Client.CreateApiKey(context.Background(), &apigateway.CreateApiKeyInput{Name: aws.String("k")}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("restart", func(t *testing.T) { apitest.Start(t, apitest.Options{DataDir: dir}) })
}

// TestServerSecretOnOlderStore: a store written before the check value
// existed (keys, no check value) is verified by decrypting a stored key:
// the right secret starts and records the check value, a wrong one is
// refused.
func TestServerSecretOnOlderStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	secretPath := filepath.Join(dir, server.SecretFile)
	t.Run("first node", func(t *testing.T) {
		env := apitest.Start(t, apitest.Options{DataDir: dir})
		if _, err := env.Client.CreateApiKey(ctx, &apigateway.CreateApiKeyInput{Name: aws.String("old")}); err != nil {
			t.Fatal(err)
		}
	})
	checkValue := func() (string, error) {
		db, err := sqlite.Open(ctx, filepath.Join(dir, server.DatabaseFile))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var v string
		err = db.View(ctx, func(r store.Reader) (err error) {
			v, err = r.GetSetting(ctx, secretCheckSetting)
			return err
		})
		return v, err
	}
	if _, err := checkValue(); err != nil {
		t.Fatalf("the node recorded no check value: %v", err)
	}
	// Make it an older store: delete what the node recorded.
	raw, err := sql.Open("sqlite", filepath.Join(dir, server.DatabaseFile))
	if err != nil {
		t.Fatal(err)
	}
	if res, err := raw.Exec("DELETE FROM settings WHERE name = ?", secretCheckSetting); err != nil {
		t.Fatal(err)
	} else if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("deleted %d check values", n)
	}
	raw.Close()
	original, err := os.ReadFile(secretPath)
	if err != nil {
		t.Fatal(err)
	}
	other := make([]byte, 32)
	rand.Read(other)
	if err := os.WriteFile(secretPath, []byte(hex.EncodeToString(other)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = server.New(ctx, server.Config{DataDir: dir, AdminListen: "127.0.0.1:0"})
	if err == nil || !strings.Contains(err.Error(), "cannot decrypt API key") {
		t.Fatalf("wrong secret on an older store: %v; want a refusal", err)
	}
	if v, err := checkValue(); err == nil {
		t.Fatalf("the refused start recorded check value %q", v)
	}
	if err := os.WriteFile(secretPath, original, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Run("right secret", func(t *testing.T) { apitest.Start(t, apitest.Options{DataDir: dir}) })
	if v, err := checkValue(); err != nil || v == "" {
		t.Fatalf("check value after a verified start: %q, %v", v, err)
	}
}
