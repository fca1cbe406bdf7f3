package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestVersion(t *testing.T) {
	var out bytes.Buffer
	if code := run(context.Background(), []string{"version"}, &out, io.Discard); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	if !strings.HasPrefix(out.String(), "gatehouse ") {
		t.Fatalf("version printed %q", out.String())
	}
}

func TestServeRefusesBadFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--dev", "--admin-listen", "0.0.0.0:0"}, "loopback"},
		{[]string{"--log-level", "loud"}, "--log-level"},
		{[]string{"--nope"}, "unknown flag"},
		{[]string{"--access-log", "/nonexistent-dir/x/access.log"}, "--access-log"},
		{[]string{"--lock-memory", "always"}, `--lock-memory "always": must be one of auto, on, off`},
		{[]string{"--account-rate", "NaN"}, "--account-rate NaN: must be a finite number greater than 0, or -1 for no account limit"},
		{[]string{"--account-rate", "+Inf"}, "--account-rate +Inf: must be a finite number"},
		{[]string{"--account-rate", "0"}, "--account-rate 0: must be a finite number greater than 0, or -1"},
		{[]string{"--account-rate", "-2"}, "--account-rate -2: must be"},
		{[]string{"--account-burst", "-1"}, "--account-burst -1: must be between 1 and 2147483647"},
		{[]string{"--account-burst", "0"}, "--account-burst 0: must be between 1 and 2147483647"},
		{[]string{"--account-burst", "2147483648"}, "--account-burst 2147483648: must be between 1 and 2147483647"},
		{[]string{"--listen", "8080"}, `--listen "8080": must be HOST:PORT`},
		{[]string{"--listen", "127.0.0.1:70000"}, `--listen "127.0.0.1:70000": port "70000" must be a number from 0 to 65535`},
		{[]string{"--listen", "127.0.0.1:http"}, `--listen "127.0.0.1:http": port "http" must be a number from 0 to 65535`},
		{[]string{"--admin-listen", "bad host!:9090"}, `--admin-listen "bad host!:9090": host "bad host!" must be empty, an IP address or a host name`},
		{[]string{"--gc-heap-floor-mib", "2000000"}, "--gc-heap-floor-mib 2000000: must be at most 1048576 (1 TiB)"},
		{[]string{"--tls-cert", "/x.crt"}, `--tls-cert "/x.crt": needs --tls-key (its private key)`},
		{[]string{"--admin-tls-key", "/x.key"}, `--admin-tls-key "/x.key": needs --admin-tls-cert (the certificate)`},
		{[]string{"--tls-cert", "/nonexistent/x.crt", "--tls-key", "/nonexistent/x.key"}, "--tls-cert/--tls-key /nonexistent/x.crt / /nonexistent/x.key: open /nonexistent/x.crt: no such file or directory"},
		{[]string{"--trusted-proxies", "10.0.0.0/8,proxy.internal"}, `--trusted-proxies "proxy.internal": must be an IP address or a CIDR prefix`},
		{[]string{"--trusted-proxies", "10.1.2.3/8"}, `--trusted-proxies "10.1.2.3/8": has bits set after the prefix length; the prefix is 10.0.0.0/8`},
		{[]string{"--trusted-proxies", "10.0.0.0/33"}, `--trusted-proxies "10.0.0.0/33": must be an IP address or a CIDR prefix`},
		{[]string{"--lambda-endpoint", "lambda.us-east-1.amazonaws.com"}, `--lambda-endpoint "lambda.us-east-1.amazonaws.com": the scheme must be http or https`},
		{[]string{"--lambda-endpoint", "http://127.0.0.1:9000?x=1"}, `--lambda-endpoint "http://127.0.0.1:9000?x=1": no query, fragment or user information allowed`},
		{[]string{"--lambda-timeout", "16m"}, "--lambda-timeout 16m0s: must be between 0 (the default, 30s) and 15m"},
		{[]string{"--counters", "postgres://db/x"}, `--counters "postgres://db/x": must be memory://, redis://HOST:PORT[/DB] or rediss://HOST:PORT[/DB]`},
		{[]string{"--counters", "redis:///0"}, `--counters "redis:///0": redis:// URL needs a host`},
		{[]string{"--counters", "redis://:hunter2@db:6379/x"}, `--counters "redis://xxxxx@db:6379/x": the database "x" must be a number of 0 or more`},
		{[]string{"--counters-prefix", ""}, `--counters-prefix "": must be 1 to 128 characters without whitespace`},
		{[]string{"--counters-prefix", "a b"}, `--counters-prefix "a b": must be 1 to 128 characters without whitespace`},
		{[]string{"--acme-email", "ops"}, `--acme-email "ops": must be an email address (the ACME account's contact)`},
		{[]string{"--acme-email", "ops@example.com", "--acme-ca", "http://ca.internal/dir"}, `--acme-ca "http://ca.internal/dir": must be the https:// URL of an ACME directory`},
		{[]string{"--acme-ca-root", "/x.pem"}, `--acme-ca "https://acme-v02.api.letsencrypt.org/directory" / --acme-ca-root "/x.pem": need --acme-email (ACME is off without it)`},
		{[]string{"--acme-email", "ops@example.com", "--acme-ca-root", "/nonexistent/root.pem"}, "--acme-ca-root: open /nonexistent/root.pem: no such file or directory"},
		// Every problem is reported at once.
		{[]string{"--account-rate", "NaN", "--account-burst", "0"}, "--account-rate NaN: must be a finite number greater than 0, or -1 for no account limit\n--account-burst 0"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			// A node that starts anyway is stopped after a while, and the
			// test fails on its exit code 0.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			args := append([]string{"serve", "--data-dir", t.TempDir(), "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--access-log", "off"}, tt.args...)
			if tt.args[0] == "--access-log" {
				args = append([]string{"serve", "--data-dir", t.TempDir(), "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"}, tt.args...)
			}
			var errOut bytes.Buffer
			if code := run(ctx, args, io.Discard, &errOut); code == 0 || !strings.Contains(errOut.String(), tt.want) {
				t.Errorf("exit %d, stderr %q; want failure naming %q", code, errOut.String(), tt.want)
			}
		})
	}
}

// TestServeAcceptsGoodFlags: the limits of each rule are accepted.
func TestServeAcceptsGoodFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--account-rate", "-1"},
		{"--account-rate", "0.5", "--account-burst", "1"},
		{"--account-burst", "2147483647"},
		{"--gc-heap-floor-mib", "0"},
		{"--listen", "localhost:0"},
		{"--listen", "[::1]:0"},
		{"--lambda-endpoint", "http://127.0.0.1:9/", "--lambda-timeout", "15m"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			startServe(t, append([]string{"--data-dir", t.TempDir()}, args...)...)
		})
	}
}

// TestDemoWithAWSCLI runs `gatehouse serve --demo` and drives it with the
// AWS CLI, as the README tells a new user to.
func TestDemoWithAWSCLI(t *testing.T) {
	awsPath, err := exec.LookPath("aws")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("the aws CLI is not installed; .ci/run installs Debian's awscli")
		}
		t.Skip("the aws CLI is not installed (apt-get install awscli, or run .ci/run)")
	}
	ctx, cancel := context.WithCancel(context.Background())
	var keyValueSeen = "\x00never"
	pr, pw := io.Pipe()
	dir := t.TempDir()
	accessPath := filepath.Join(t.TempDir(), "access.log")
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--demo", "--data-dir", dir, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--log-level", "error", "--access-log", accessPath}, pw, io.Discard)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exited %d", code)
		}
		// Shutdown flushed the access log: both calls are there, without the key.
		b, err := os.ReadFile(accessPath)
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(string(b), `"msg":"access"`); n != 2 {
			t.Errorf("access log has %d lines, want 2:\n%s", n, b)
		}
		if strings.Contains(string(b), keyValueSeen) {
			t.Error("the access log contains the key value")
		}
	})

	// Read the banner up to the AWS CLI line: the server is listening by then.
	var banner strings.Builder
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		banner.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "apigateway get-rest-apis") {
			break
		}
	}
	go io.Copy(io.Discard, pr)
	out := banner.String()
	find := func(re string) string {
		t.Helper()
		m := regexp.MustCompile(re).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("banner lacks %s:\n%s", re, out)
		}
		return m[1]
	}
	akid := find(`aws_access_key_id\s+= (AKIA\w{16})`)
	secretKey := find(`aws_secret_access_key = (\w{40})`)
	apiID := find(`API UsefulAPI \(id (\w{10})\)`)
	planID := find(`Usage plan UsefulPlan \(id (\w{6})\)`)
	keyID := find(`API key demo-key \(id (\w{10})\): `)
	keyValue := find(`API key demo-key \(id \w{10}\): (\w{40})`)
	keyValueSeen = keyValue
	admin := find(`--endpoint-url (http://127\.0\.0\.1:\d+)`)
	invokeURL := find(`curl -X POST -H 'x-api-key: \w{40}' (http://127\.0\.0\.1:\d+/restapis/\w{10}/api/_user_request_/doit)`)

	// The curl line answers as promised, and only with the key.
	for _, tc := range []struct {
		key    string
		status int
		body   string
	}{{keyValue, 200, `{"message":"Did it!"}`}, {"", 403, `{"message":"Forbidden"}`}} {
		req, _ := http.NewRequestWithContext(ctx, "POST", invokeURL, nil)
		if tc.key != "" {
			req.Header.Set("x-api-key", tc.key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || string(b) != tc.body {
			t.Fatalf("POST %s (key %v): %d %s, want %d %s", invokeURL, tc.key != "", resp.StatusCode, b, tc.status, tc.body)
		}
	}

	awsCLI := func(args ...string) map[string]any {
		t.Helper()
		cctx, ccancel := context.WithTimeout(ctx, 60*time.Second)
		defer ccancel()
		cmd := exec.CommandContext(cctx, awsPath, append([]string{"--endpoint-url", admin, "--output", "json", "apigateway"}, args...)...)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+akid, "AWS_SECRET_ACCESS_KEY="+secretKey,
			"AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=")
		b, err := cmd.Output()
		if err != nil {
			var stderr string
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = string(ee.Stderr)
			}
			t.Fatalf("aws %v: %v\n%s", args, err, stderr)
		}
		var v map[string]any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("aws %v printed %s: %v", args, b, err)
		}
		return v
	}
	item := func(v map[string]any, field, want string) map[string]any {
		t.Helper()
		items, _ := v["items"].([]any)
		for _, it := range items {
			m, _ := it.(map[string]any)
			if m[field] == want {
				return m
			}
		}
		t.Fatalf("no item with %s=%q in %v", field, want, v)
		return nil
	}
	api := item(awsCLI("get-rest-apis"), "id", apiID)
	if api["name"] != "UsefulAPI" {
		t.Errorf("API name %v", api["name"])
	}
	key := item(awsCLI("get-api-keys", "--include-values"), "id", keyID)
	if key["name"] != "demo-key" || key["value"] != keyValue || key["enabled"] != true {
		t.Errorf("key %v: want demo-key, enabled, with the printed value", key["name"])
	}
	plan := item(awsCLI("get-usage-plans"), "id", planID)
	stages, _ := plan["apiStages"].([]any)
	if plan["name"] != "UsefulPlan" || len(stages) != 1 || stages[0].(map[string]any)["apiId"] != apiID {
		t.Errorf("plan %v: want UsefulPlan on %s/api", plan, apiID)
	}
	planKeys := awsCLI("get-usage-plan-keys", "--usage-plan-id", planID)
	item(planKeys, "id", keyID)
}

// TestServeACMEEnv: GATEHOUSE_ACME_* give the ACME flags' defaults, and a
// flag wins over its variable.
func TestServeACMEEnv(t *testing.T) {
	tests := []struct {
		env  map[string]string
		args []string
		want string
	}{
		{map[string]string{acmeEmailEnv: "ops"}, nil, `--acme-email "ops": must be an email address`},
		{map[string]string{acmeEmailEnv: "ops@example.com", acmeCAEnv: "http://ca/dir"}, nil, `--acme-ca "http://ca/dir": must be the https:// URL`},
		{map[string]string{acmeEmailEnv: "ops@example.com", acmeCAEnv: "http://ca/dir"}, []string{"--acme-ca", "ftp://flag/dir"}, `--acme-ca "ftp://flag/dir": must be the https:// URL`},
		{map[string]string{acmeCARootEnv: "/env.pem"}, []string{"--acme-email", "bad"}, `--acme-email "bad": must be an email address`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " ")+tt.want, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			args := append([]string{"serve", "--data-dir", t.TempDir(), "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--access-log", "off"}, tt.args...)
			var errOut bytes.Buffer
			if code := run(ctx, args, io.Discard, &errOut); code == 0 || !strings.Contains(errOut.String(), tt.want) {
				t.Errorf("exit %d, stderr %q; want failure naming %q", code, errOut.String(), tt.want)
			}
		})
	}
}
