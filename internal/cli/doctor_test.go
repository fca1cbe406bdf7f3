package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/apitest"
	"github.com/gatehouse-dev/gatehouse/internal/control"
	"github.com/gatehouse-dev/gatehouse/internal/server"
)

// TestDoctorCommand runs `gatehouse doctor` against a node as the
// configuration gains problems, and checks the exit codes (0 clean or
// info only, 1 warning or error, 2 failure), the human output's grouping
// and the --json shape.
func TestDoctorCommand(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	env := apitest.Start(t, apitest.Options{})
	ctx := context.Background()
	ctl := env.Server.Control
	credFile := filepath.Join(env.DataDir, server.CredentialsFile)
	doctorRun := func(args ...string) (code int, stdout, stderr string) {
		t.Helper()
		var o, e bytes.Buffer
		code = run(ctx, append([]string{"doctor", "--endpoint", env.AdminURL}, args...), &o, &e)
		return code, o.String(), e.String()
	}

	// An empty configuration: clean, found through --data-dir's credentials.
	code, out, errOut := doctorRun("--data-dir", env.DataDir)
	if code != doctorExitClean || !strings.Contains(out, "no problems found in the configuration") {
		t.Fatalf("empty configuration: exit %d\n%s%s", code, out, errOut)
	}

	// A disabled key in no plan is info only: still exit 0, but listed.
	retired, err := ctl.CreateAPIKey(ctx, control.CreateAPIKeyInput{Name: "retired"})
	if err != nil {
		t.Fatal(err)
	}
	code, out, _ = doctorRun("--credentials", credFile)
	if code != doctorExitClean || !strings.Contains(out, "INFO\n  KEY_NOT_IN_ANY_PLAN  apikey/"+retired.ID) || strings.Contains(out, "WARNING") {
		t.Fatalf("info only: exit %d\n%s", code, out)
	}

	// An enabled key in no plan and an API with key source AUTHORIZER
	// and no authorizer: a warning and an error, exit 1.
	orphan, err := ctl.CreateAPIKey(ctx, control.CreateAPIKeyInput{Name: "orphan", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	api, err := ctl.CreateRestAPI(ctx, control.CreateRestAPIInput{Name: "authz", APIKeySource: apigw.KeySourceAuthorizer})
	if err != nil {
		t.Fatal(err)
	}
	ref := control.MethodRef{APIID: api.ID, ResourceID: api.RootResourceID, HTTPMethod: "GET"}
	if _, err := ctl.PutMethod(ctx, ref, control.PutMethodInput{AuthorizationType: "NONE", APIKeyRequired: true}); err != nil {
		t.Fatal(err)
	}
	code, out, _ = doctorRun("--credentials", credFile)
	iErr, iWarn, iInfo := strings.Index(out, "\nERROR\n"), strings.Index(out, "\nWARNING\n"), strings.Index(out, "\nINFO\n")
	if code != doctorExitFindings || !strings.HasPrefix(out, "gatehouse doctor: 1 error, 1 warning, 1 info in the configuration.") ||
		iErr < 0 || iWarn < iErr || iInfo < iWarn {
		t.Fatalf("error and warning: exit %d\n%s", code, out)
	}
	if !strings.Contains(out[iWarn:iInfo], "KEY_NOT_IN_ANY_PLAN  apikey/"+orphan.ID) ||
		!strings.Contains(out[iErr:iWarn], "KEY_SOURCE_AUTHORIZER_WITHOUT_AUTHORIZER  restapi/"+api.ID+"/resource/"+api.RootResourceID+"/GET") ||
		!strings.Contains(out, "    Fix: Set API "+api.ID+"'s apiKeySource to HEADER") {
		t.Fatalf("findings misplaced:\n%s", out)
	}

	t.Run("json", func(t *testing.T) {
		code, out, _ := doctorRun("--credentials", credFile, "--json")
		if code != doctorExitFindings {
			t.Fatalf("exit %d", code)
		}
		var rep map[string]json.RawMessage
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("--json output is not one JSON object: %v\n%s", err, out)
		}
		if keys := sortedKeysOf(rep); !slices.Equal(keys, []string{"counts", "findings"}) {
			t.Errorf("top-level keys %v", keys)
		}
		var counts map[string]int
		var findings []map[string]string
		if err := json.Unmarshal(rep["counts"], &counts); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(rep["findings"], &findings); err != nil {
			t.Fatal(err)
		}
		if want := map[string]int{"error": 1, "warning": 1, "info": 1}; !mapsEqual(counts, want) {
			t.Errorf("counts %v, want %v", counts, want)
		}
		if len(findings) != 3 {
			t.Fatalf("%d findings", len(findings))
		}
		for _, f := range findings {
			if keys := sortedKeysOf(f); !slices.Equal(keys, []string{"code", "fix", "message", "resource", "severity"}) {
				t.Errorf("finding keys %v", keys)
			}
		}
		if findings[0]["code"] != "KEY_SOURCE_AUTHORIZER_WITHOUT_AUTHORIZER" || findings[0]["severity"] != "error" {
			t.Errorf("first finding %v, want the error", findings[0])
		}
	})

	t.Run("scoped to the API", func(t *testing.T) {
		code, out, _ := doctorRun("--credentials", credFile, "--api", api.ID, "--json")
		var rep struct {
			Findings []struct{ Code string }
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		if code != doctorExitFindings || len(rep.Findings) != 1 || rep.Findings[0].Code != "KEY_SOURCE_AUTHORIZER_WITHOUT_AUTHORIZER" {
			t.Errorf("exit %d, findings %+v", code, rep.Findings)
		}
	})

	t.Run("credentials from the environment", func(t *testing.T) {
		t.Setenv("AWS_ACCESS_KEY_ID", env.Server.Credentials.AccessKeyID)
		t.Setenv("AWS_SECRET_ACCESS_KEY", env.Server.Credentials.SecretAccessKey)
		if code, out, errOut := doctorRun("--data-dir", t.TempDir()); code != doctorExitFindings {
			t.Errorf("exit %d\n%s%s", code, out, errOut)
		}
	})

	wrongCreds := filepath.Join(t.TempDir(), "creds")
	if err := os.WriteFile(wrongCreds, []byte("[default]\naws_access_key_id = AKIAAAAAAAAAAAAAAAAA\naws_secret_access_key = "+strings.Repeat("x", 40)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadURL := "http://" + dead.Addr().String()
	dead.Close()
	for _, tt := range []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"unknown API", []string{"--credentials", credFile, "--api", "nosuchapi0"}, "NotFoundException (404): Invalid API identifier specified"},
		{"wrong credentials", []string{"--credentials", wrongCreds}, "UnrecognizedClientException"},
		{"no credentials file", []string{"--data-dir", t.TempDir()}, "give --credentials"},
		{"no node", []string{"--credentials", credFile, "--endpoint", deadURL}, "calling the node at " + deadURL},
		{"unknown flag", []string{"--nope"}, "unknown flag: --nope"},
		{"stray argument", []string{"--credentials", credFile, "GET"}, "doctor takes no arguments"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := doctorRun(tt.args...)
			if code != doctorExitError || !strings.Contains(errOut, tt.want) || out != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 and %q", code, out, errOut, tt.want)
			}
		})
	}
}

func sortedKeysOf[V any](m map[string]V) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
