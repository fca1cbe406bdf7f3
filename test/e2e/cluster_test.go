package e2e

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/apitest"
	"github.com/gatehouse-dev/gatehouse/internal/secret"
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

// twoPostgresNodes starts two nodes on one fresh PostgreSQL database that
// share the server secret and admin credentials, with opts for both
// (Store set here).
func twoPostgresNodes(t *testing.T, opts apitest.Options) (a, b *apitest.Env) {
	t.Helper()
	opts.Store = pgtest.Database(t)
	a = apitest.Start(t, opts)
	opts.DataDir = joinDir(t, a.DataDir)
	b = apitest.Start(t, opts)
	return a, b
}

// verdict is a data plane call's status and reason code (from the
// answering node's access log; "" until the line is written).
func verdict(t *testing.T, env *apitest.Env, url, key string) string {
	t.Helper()
	hdr := map[string]string{}
	if key != "" {
		hdr["x-api-key"] = key
	}
	a := do(t, "GET", url, hdr)
	reason := ""
	if line := env.Access.Access(a.requestID); line != nil {
		reason, _ = line["reason"].(string)
	}
	return strconv.Itoa(a.status) + " " + reason
}

// TestTwoNodesChangesPropagate: every kind of management change — create,
// update (enable, disable) and delete of a key, usage plan, stage and
// deployment — made through one node takes effect on the other node's
// data plane within a second of the management call's answer. Each step
// first checks that the other node still answers as before the change, so
// that the wait measures the change.
func TestTwoNodesChangesPropagate(t *testing.T) {
	a, b := twoPostgresNodes(t, apitest.Options{})
	ctx := context.Background()
	f := newFixture(t, a, "Propagation")
	f.mock("GET", "/pets", true, 200, `{"pets":[]}`)
	f.deploy("api")
	d1, err := a.Client.GetStage(ctx, &apigateway.GetStageInput{RestApiId: &f.apiID, StageName: aws.String("api")})
	if err != nil {
		t.Fatal(err)
	}
	const value = "propagation-key-value-0123456789"
	var keyID, planID, d2 string
	pets := func(stage string) string { return "/restapis/" + f.apiID + "/" + stage + "/_user_request_/pets" }
	cats := func(stage string) string { return "/restapis/" + f.apiID + "/" + stage + "/_user_request_/cats" }
	for _, step := range []struct {
		name string
		via  *apitest.Env // the node the change is made through; the other one is asked
		path string
		// before and after are the other node's "status reason".
		before, after string
		change        func(c *apigateway.Client) error
	}{
		{"key create", a, pets("api"), "403 KEY_NOT_FOUND", "403 KEY_NOT_IN_ANY_PLAN", func(c *apigateway.Client) error {
			k, err := c.CreateApiKey(ctx, &apigateway.CreateApiKeyInput{Name: aws.String("k"), Value: aws.String(value), Enabled: true})
			if err == nil {
				keyID = aws.ToString(k.Id)
			}
			return err
		}},
		{"plan create (with the key)", b, pets("api"), "403 KEY_NOT_IN_ANY_PLAN", "200 OK", func(c *apigateway.Client) error {
			p, err := c.CreateUsagePlan(ctx, &apigateway.CreateUsagePlanInput{Name: aws.String("p"), ApiStages: []types.ApiStage{{ApiId: &f.apiID, Stage: aws.String("api")}}})
			if err != nil {
				return err
			}
			planID = aws.ToString(p.Id)
			_, err = c.CreateUsagePlanKey(ctx, &apigateway.CreateUsagePlanKeyInput{UsagePlanId: &planID, KeyId: &keyID, KeyType: aws.String("API_KEY")})
			return err
		}},
		{"key update: disabled", a, pets("api"), "200 OK", "403 KEY_DISABLED", func(c *apigateway.Client) error {
			_, err := c.UpdateApiKey(ctx, &apigateway.UpdateApiKeyInput{ApiKey: &keyID,
				PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/enabled"), Value: aws.String("false")}}})
			return err
		}},
		{"key update: enabled", b, pets("api"), "403 KEY_DISABLED", "200 OK", func(c *apigateway.Client) error {
			_, err := c.UpdateApiKey(ctx, &apigateway.UpdateApiKeyInput{ApiKey: &keyID,
				PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/enabled"), Value: aws.String("true")}}})
			return err
		}},
		{"plan update: quota spent", a, pets("api"), "200 OK", "429 QUOTA_EXCEEDED", func(c *apigateway.Client) error {
			// A quota of 1 a day, used up on the asking node by its
			// first call: from then on it refuses.
			_, err := c.UpdateUsagePlan(ctx, &apigateway.UpdateUsagePlanInput{UsagePlanId: &planID, PatchOperations: []types.PatchOperation{
				{Op: types.OpReplace, Path: aws.String("/quota/limit"), Value: aws.String("1")},
				{Op: types.OpReplace, Path: aws.String("/quota/period"), Value: aws.String("DAY")}}})
			return err
		}},
		{"plan update: stage removed", b, pets("api"), "429 QUOTA_EXCEEDED", "403 KEY_PLANS_NOT_ON_STAGE", func(c *apigateway.Client) error {
			_, err := c.UpdateUsagePlan(ctx, &apigateway.UpdateUsagePlanInput{UsagePlanId: &planID, PatchOperations: []types.PatchOperation{
				{Op: types.OpRemove, Path: aws.String("/quota")},
				{Op: types.OpRemove, Path: aws.String("/apiStages"), Value: aws.String(f.apiID + ":api")}}})
			return err
		}},
		{"plan update: stage added", a, pets("api"), "403 KEY_PLANS_NOT_ON_STAGE", "200 OK", func(c *apigateway.Client) error {
			_, err := c.UpdateUsagePlan(ctx, &apigateway.UpdateUsagePlanInput{UsagePlanId: &planID, PatchOperations: []types.PatchOperation{
				{Op: types.OpAdd, Path: aws.String("/apiStages"), Value: aws.String(f.apiID + ":api")}}})
			return err
		}},
		{"deployment create", b, cats("api"), "403 METHOD_NOT_DEPLOYED", "200 OK", func(c *apigateway.Client) error {
			d, err := c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: &f.apiID, StageName: aws.String("api")})
			if err == nil {
				d2 = aws.ToString(d.Id)
			}
			return err
		}},
		{"stage update: the first deployment", a, cats("api"), "200 OK", "403 METHOD_NOT_DEPLOYED", func(c *apigateway.Client) error {
			_, err := c.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: &f.apiID, StageName: aws.String("api"),
				PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/deploymentId"), Value: d1.DeploymentId}}})
			return err
		}},
		{"stage create", b, cats("v2"), "403 STAGE_UNKNOWN", "200 OK", func(c *apigateway.Client) error {
			_, err := c.CreateStage(ctx, &apigateway.CreateStageInput{RestApiId: &f.apiID, StageName: aws.String("v2"), DeploymentId: &d2})
			return err
		}},
		{"stage delete", a, cats("v2"), "200 OK", "403 STAGE_UNKNOWN", func(c *apigateway.Client) error {
			_, err := c.DeleteStage(ctx, &apigateway.DeleteStageInput{RestApiId: &f.apiID, StageName: aws.String("v2")})
			return err
		}},
		{"plan delete", b, pets("api"), "200 OK", "403 KEY_NOT_IN_ANY_PLAN", func(c *apigateway.Client) error {
			_, err := c.DeleteUsagePlan(ctx, &apigateway.DeleteUsagePlanInput{UsagePlanId: &planID})
			return err
		}},
		{"key delete", a, pets("api"), "403 KEY_NOT_IN_ANY_PLAN", "403 KEY_NOT_FOUND", func(c *apigateway.Client) error {
			_, err := c.DeleteApiKey(ctx, &apigateway.DeleteApiKeyInput{ApiKey: &keyID})
			return err
		}},
	} {
		other := a
		if step.via == a {
			other = b
		}
		ask := func() string { return verdict(t, other, other.DataURL+step.path, value) }
		if step.name == "deployment create" {
			f.mock("GET", "/cats", false, 200, `{"cats":[]}`)
		}
		// The other node has caught up with every earlier change (each
		// step waited for its own): it answers as before this one.
		if got := ask(); got != step.before {
			t.Fatalf("%s: before the change the other node answered %q, want %q", step.name, got, step.before)
		}
		if err := step.change(step.via.Client); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		answered := time.Now()
		took := within(t, answered, time.Second, func() bool { return ask() == step.after })
		t.Logf("%s: in effect on the other node after %v", step.name, took)
	}
}

// synced waits until node b has applied every change node a has (the
// revision a's last management call made): a wait that spends nothing
// of a throttle, as a data plane call would.
func synced(t *testing.T, a, b *apitest.Env) {
	t.Helper()
	rev := a.Server.State.Revision()
	within(t, time.Now(), time.Second, func() bool { return b.Server.State.Revision() >= rev })
}

// TestTwoNodesRedisFullBurst: on two nodes sharing Redis counters, a
// throttle starts with its full burst cluster-wide, and the account
// throttle (--account-rate/--account-burst) is one bucket across the
// nodes, like AWS's per-region limit: callers hitting both nodes at once
// get exactly burst calls through (the rate, one call per 100 s, adds none
// meanwhile), and the rest are refused 429 with the throttle's reason.
func TestTwoNodesRedisFullBurst(t *testing.T) {
	const burst = 10
	slow := apigw.Throttle{RateLimit: 0.01, BurstLimit: burst}
	for _, tt := range []struct {
		name    string
		account apigw.Throttle // zero: AWS's default
		plan    bool           // a usage plan throttle on the key
		reason  string
	}{
		{name: "plan key", plan: true, reason: "THROTTLED_PLAN"},
		{name: "account", account: slow, reason: "THROTTLED_ACCOUNT"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			opts := apitest.Options{AccountThrottle: tt.account, Counters: sharedRedis(), CountersPrefix: redisPrefix(t, sharedRedis())}
			a, b := twoPostgresNodes(t, opts)
			f := newFixture(t, a, "Burst")
			f.mock("GET", "/pets", tt.plan, 200, `{"pets":[]}`)
			f.deploy("api")
			key := ""
			if tt.plan {
				var keyID string
				keyID, key = f.key("fresh", true)
				f.plan("api", &types.ThrottleSettings{RateLimit: slow.RateLimit, BurstLimit: burst}, nil, keyID)
			}
			synced(t, a, b)
			type result struct {
				node      *apitest.Env
				status    int
				requestID string
			}
			results := make(chan result, 4*burst)
			var wg sync.WaitGroup
			for _, n := range []*apitest.Env{a, b} {
				for range 2 * burst {
					wg.Go(func() {
						req, _ := http.NewRequest("GET", n.DataURL+"/restapis/"+f.apiID+"/api/_user_request_/pets", nil)
						if key != "" {
							req.Header.Set("x-api-key", key)
						}
						resp, err := http.DefaultClient.Do(req)
						if err != nil {
							t.Error(err)
							return
						}
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						results <- result{n, resp.StatusCode, resp.Header.Get("x-amzn-RequestId")}
					})
				}
			}
			wg.Wait()
			close(results)
			admitted := map[*apitest.Env]int{}
			for r := range results {
				switch r.status {
				case 200:
					admitted[r.node]++
				case 429:
					line := r.node.Access.Access(r.requestID)
					if line == nil || line["reason"] != tt.reason {
						t.Errorf("a 429 logged as %v, want reason %s", line, tt.reason)
					}
				default:
					t.Errorf("status %d, want 200 or 429", r.status)
				}
			}
			if got := admitted[a] + admitted[b]; got != burst {
				t.Errorf("%d calls admitted across the two nodes (%d on A, %d on B), want exactly the burst %d", got, admitted[a], admitted[b], burst)
			}
		})
	}
}

// TestTwoNodesStartAtOnce: two nodes started at the same moment on one
// empty PostgreSQL database (sharing the secret and admin credentials
// made beforehand) both come up — one creates the schema, the other
// waits for it — and form one cluster: an API made through one is served
// by the other.
func TestTwoNodesStartAtOnce(t *testing.T) {
	db := pgtest.Database(t)
	dirA := t.TempDir()
	if _, err := secret.Create(filepath.Join(dirA, server.SecretFile)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := secret.LoadOrCreateCredentials(filepath.Join(dirA, server.CredentialsFile)); err != nil {
		t.Fatal(err)
	}
	dirs := []string{dirA, joinDir(t, dirA)}
	nodes := make([]*apitest.Env, len(dirs))
	errs := make([]error, len(dirs))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, dir := range dirs {
		wg.Go(func() {
			<-start
			nodes[i], errs[i] = apitest.TryStart(t, apitest.Options{Store: db, DataDir: dir})
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("node %d of 2 started at once did not start: %v", i, err)
		}
	}
	a, b := nodes[0], nodes[1]
	f := newFixture(t, b, "AtOnce")
	f.mock("GET", "/pets", false, 200, `{"pets":[]}`)
	f.deploy("api")
	url := a.DataURL + "/restapis/" + f.apiID + "/api/_user_request_/pets"
	within(t, time.Now(), time.Second, func() bool { return verdict(t, a, url, "") == "200 OK" })
}
