package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/gatehouse-dev/gatehouse/internal/apitest"
	"github.com/gatehouse-dev/gatehouse/internal/server"
	"github.com/gatehouse-dev/gatehouse/internal/store/postgres/pgtest"
)

// within calls f until it returns true or d has passed since start, and
// reports how long it took. It measures a propagation delay: the loop is
// the measurement, not a synchronisation.
func within(t *testing.T, start time.Time, d time.Duration, f func() bool) time.Duration {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(d - time.Since(start))
	for {
		if f() {
			return time.Since(start)
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("not within %v", d)
		}
	}
}

// TestTwoNodesOnePostgres: two nodes on one PostgreSQL database, sharing
// the server secret and admin credentials (copied into the second node's
// data directory): a key created through node A works on node B's data
// plane within a second of the management call's answer, and a key
// disabled through node B is refused by node A within a second.
func TestTwoNodesOnePostgres(t *testing.T) {
	db := pgtest.Database(t)
	a := apitest.Start(t, apitest.Options{Store: db})
	dirB := t.TempDir()
	for _, f := range []string{server.SecretFile, server.CredentialsFile} {
		b, err := os.ReadFile(filepath.Join(a.DataDir, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dirB, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	b := apitest.Start(t, apitest.Options{Store: db, DataDir: dirB})
	ctx := context.Background()

	f := newFixture(t, a, "Cluster")
	f.mock("GET", "/pets", true, 200, `{"pets":[]}`)
	f.deploy("api")
	plan := f.plan("api", nil, nil)
	keyID, value := f.key("client", true)
	if _, err := a.Client.CreateUsagePlanKey(ctx, &apigateway.CreateUsagePlanKeyInput{UsagePlanId: &plan, KeyId: &keyID, KeyType: aws.String("API_KEY")}); err != nil {
		t.Fatal(err)
	}
	added := time.Now()
	onB := func() int {
		return do(t, "GET", b.DataURL+"/restapis/"+f.apiID+"/api/_user_request_/pets", map[string]string{"x-api-key": value}).status
	}
	took := within(t, added, time.Second, func() bool { return onB() == 200 })
	t.Logf("a key added through node A answered 200 on node B after %v", took)

	// Disabled through node B: refused by node A within a second.
	if _, err := b.Client.UpdateApiKey(ctx, &apigateway.UpdateApiKeyInput{ApiKey: &keyID,
		PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/enabled"), Value: aws.String("false")}}}); err != nil {
		t.Fatal(err)
	}
	disabled := time.Now()
	onA := func() answer {
		return do(t, "GET", a.DataURL+"/restapis/"+f.apiID+"/api/_user_request_/pets", map[string]string{"x-api-key": value})
	}
	took = within(t, disabled, time.Second, func() bool { return onA().status == 403 })
	t.Logf("a key disabled through node B was refused on node A after %v", took)
	wantAnswer(t, a, onA(), 403, `{"message":"Forbidden"}`, "KEY_DISABLED")
}
