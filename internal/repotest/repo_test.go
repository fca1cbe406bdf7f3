package repotest

import (
	"encoding/json"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// moduleRoot returns the repository root (two levels up).
func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found: %v", err)
	}
	return root
}

// TestPackageDocs: every package has exactly one package doc comment, and
// it starts "Package <name>" (or "Command <name>" for main packages).
func TestPackageDocs(t *testing.T) {
	root := moduleRoot(t)
	dirs := map[string][]string{}
	filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && path != root {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			dirs[filepath.Dir(path)] = append(dirs[filepath.Dir(path)], path)
		}
		return nil
	})
	if len(dirs) < 5 {
		t.Fatalf("found only %d package directories; walk is broken", len(dirs))
	}
	for dir, files := range dirs {
		var docs []string
		var name string
		for _, f := range files {
			af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ParseComments|parser.PackageClauseOnly)
			if err != nil {
				t.Fatal(err)
			}
			name = af.Name.Name
			if af.Doc != nil {
				docs = append(docs, filepath.Base(f)+": "+af.Doc.Text())
			}
		}
		rel, _ := filepath.Rel(root, dir)
		switch {
		case len(docs) == 0:
			t.Errorf("%s: package %s has no doc comment", rel, name)
		case len(docs) > 1:
			t.Errorf("%s: package %s has %d doc comments (want one):\n%s", rel, name, len(docs), strings.Join(docs, "\n"))
		default:
			text := docs[0][strings.Index(docs[0], ": ")+2:]
			if !strings.HasPrefix(text, "Package "+name+" ") && !strings.HasPrefix(text, "Command ") {
				t.Errorf("%s: doc comment should start %q, got %q", rel, "Package "+name, firstLine(text))
			}
		}
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

type goPackage struct {
	ImportPath string
	Deps       []string
	Imports    []string
}

func listPackages(t *testing.T, pattern string) []goPackage {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", pattern)
	cmd.Dir = moduleRoot(t)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s: %v", pattern, err)
	}
	var pkgs []goPackage
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p goPackage
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

const mod = "github.com/gatehouse-dev/gatehouse/"

// rule is one package's dependency contract, as its doc.go states it.
type rule struct {
	// pkg is an import path under the module. forbidden applies to it and
	// every package below it; only applies to it alone.
	pkg string
	// forbidden: packages (under the module when they start "internal/" or
	// "cmd/"; else whole import paths) that must not be among pkg's
	// dependencies, direct or not; "net/http" forbids the transport.
	forbidden []string
	// only, when not nil, lists the packages pkg may import directly besides
	// the standard library; an empty non-nil list means the standard
	// library alone.
	only []string
	why  string
}

// rules are the package contracts the doc.go files promise. A package's
// own test does not repeat them: this is their one home.
var rules = []rule{
	{pkg: "internal/apigw", forbidden: []string{"internal/store", "internal/control", "internal/awsapi", "internal/gateway", "internal/server", "net/http"}, only: []string{}, why: "the domain model is plain data"},
	{pkg: "internal/respath", only: []string{}, why: "path rules are a leaf the router uses on every request"},
	{pkg: "internal/patch", forbidden: []string{"internal/store", "internal/control", "internal/awsapi", "internal/gateway"}, only: []string{"internal/respath"}, why: "parsers are leaves"},
	{pkg: "internal/store", forbidden: []string{"internal/control", "internal/awsapi", "internal/gateway", "internal/server"}, why: "storage knows only the domain"},
	{pkg: "internal/store/storetest", forbidden: []string{"internal/store/sqlite"}, why: "the conformance suite knows engines only through their interface"},
	{pkg: "internal/store/postgres", forbidden: []string{"internal/control", "internal/awsapi", "internal/gateway", "internal/server", "internal/store/sqlite"}, only: []string{"internal/apigw", "internal/store", "github.com/jackc/pgx/v5", "github.com/jackc/pgx/v5/pgconn", "github.com/jackc/pgx/v5/pgxpool", "github.com/jackc/pgx/v5/stdlib", "github.com/pressly/goose/v3"}, why: "an engine knows only the domain and its driver"},
	{pkg: "internal/store/postgres/pgtest", only: []string{"github.com/jackc/pgx/v5"}, why: "the test database helper is a leaf"},
	{pkg: "internal/store/storeurl", forbidden: []string{"internal/server", "internal/cli"}, why: "the store opener knows only the engines"},
	{pkg: "internal/control", forbidden: []string{"internal/awsapi", "internal/gateway", "internal/server", "net/http"}, why: "control is transport-free"},
	{pkg: "internal/awsapi", forbidden: []string{"internal/gateway", "internal/counters", "internal/store/sqlite"}, why: "the wire layer calls control, never the data plane or an engine"},
	{pkg: "internal/sigv4", forbidden: []string{"internal/store", "internal/control", "internal/gateway"}, only: []string{"github.com/aws/aws-sdk-go-v2/aws", "github.com/aws/aws-sdk-go-v2/aws/signer/v4"}, why: "auth is a leaf"},
	{pkg: "internal/secret", forbidden: []string{"internal/store", "internal/control", "internal/awsapi", "internal/gateway"}, only: []string{}, why: "secrets are a leaf"},
	{pkg: "internal/counters", forbidden: []string{"internal/control", "internal/awsapi", "internal/gateway", "internal/server"}, why: "counters are below the gateway"},
	{pkg: "internal/counters", only: []string{"internal/apigw", "internal/store"}, why: "counters know only the domain and the store"},
	{pkg: "internal/counters/redis", forbidden: []string{"internal/store/sqlite"}, only: []string{"internal/apigw", "internal/store", "internal/counters", "github.com/redis/go-redis/v9"}, why: "the Redis counters know the domain, the store and the counters' interfaces, over go-redis"},
	{pkg: "internal/counters/counterstest", forbidden: []string{"internal/store/sqlite", "github.com/redis"}, why: "the conformance suite knows engines only through their interfaces"},
	{pkg: "internal/gateway", forbidden: []string{"internal/awsapi", "internal/control", "internal/server", "internal/cli", "github.com/aws/aws-sdk-go-v2/service"}, why: "the data plane never reaches the management API"},
	{pkg: "internal/gateway", forbidden: []string{"internal/patch"}, why: "the data plane reads stored method keys with respath, never the management API's patch parsing"},
	{pkg: "internal/gateway/proxy", only: []string{}, why: "the pipeline resolves everything a call needs into a Target first"},
	{pkg: "internal/gateway/route", only: []string{"internal/apigw", "internal/respath"}, why: "a route table is compiled from the domain model alone"},
	{pkg: "internal/gateway/authorizer", only: []string{"internal/apigw", "internal/iampolicy"}, why: "authorizer replies and policies are parsed and evaluated from the domain model alone"},
	{pkg: "internal/iampolicy", only: []string{}, why: "one IAM policy evaluator for execute-api:Invoke, used by the management API (validation) and the data plane (authorizer and resource policies): it knows neither"},
	{pkg: "internal/modelschema", only: []string{"internal/apigw", "github.com/santhosh-tekuri/jsonschema/v6", "golang.org/x/text/language", "golang.org/x/text/message"}, why: "model schemas are compiled and checked from the domain model alone, and never fetched"},
	{pkg: "internal/gateway/state", forbidden: []string{"internal/store/sqlite"}, why: "the data plane's state reads the store through its interface"},
	{pkg: "internal/doctor", forbidden: []string{"net/http", "internal/awsapi", "internal/gateway", "internal/server", "internal/cli", "internal/store/sqlite"}, only: []string{"internal/apigw", "internal/control", "internal/store"}, why: "doctor reads the store and the domain model; the admin API and the CLI call it"},
	{pkg: "internal/acme", forbidden: []string{"internal/gateway", "internal/awsapi", "internal/server", "internal/cli", "internal/store/sqlite", "internal/store/postgres"}, why: "ACME obtains certificates through control; it never reaches the data plane, the wire or an engine"},
	{pkg: "internal/demo", only: []string{"internal/apigw", "internal/control", "internal/store"}, why: "the demo is created as a client would create it"},
	{pkg: "internal/datadir", only: []string{"golang.org/x/sys/unix"}, why: "the data directory lock is a leaf"},
	{pkg: "internal/memlock", only: []string{"golang.org/x/sys/unix"}, why: "memory locking is a leaf"},
	{pkg: "internal/gcfloor", only: []string{}, why: "the garbage collector floor is a leaf"},
	{pkg: "internal/vtl", only: []string{}, why: "the mapping-template interpreter is a leaf: the gateway fills its Request"},
	{pkg: "internal/apidef", only: []string{"internal/apigw"}, why: "an imported definition is plain data control applies without linking the parser"},
	{pkg: "internal/openapi", forbidden: []string{"internal/store", "internal/control", "internal/awsapi", "internal/gateway"}, only: []string{"internal/apigw", "internal/apidef", "internal/respath", "github.com/getkin/kin-openapi/openapi2", "github.com/getkin/kin-openapi/openapi2conv", "github.com/getkin/kin-openapi/openapi3", "go.yaml.in/yaml/v3"}, why: "OpenAPI documents are read into the domain model alone; control applies them"},
	{pkg: "internal/logsink", only: []string{}, why: "the log sink is a leaf"},
	{pkg: "cmd/gatehouse", forbidden: []string{"github.com/aws/aws-sdk-go-v2/service/apigateway", "internal/apitest", "internal/lambda/lambdatest", "github.com/google/go-cmp", "github.com/aws/aws-lambda-runtime-interface-emulator"}, why: "the binary links no test-only dependency (the SDK's credential chain, with its STS and SSO clients, signs Lambda calls)"},
	{pkg: "internal/lambda", forbidden: []string{"internal/gateway", "internal/control", "internal/awsapi", "internal/server", "internal/store"}, why: "function invocation is transport only"},
	{pkg: "internal/lambda", only: []string{"github.com/aws/aws-sdk-go-v2/aws", "github.com/aws/aws-sdk-go-v2/aws/signer/v4"}, why: "the data plane imports lambda: the credential chain (STS, SSO) lives in lambda/credchain, for the server"},
	{pkg: "internal/lambda/lambdatest", only: []string{"internal/testbin"}, why: "the function harness runs the go command and the emulator, nothing of Gatehouse"},
	{pkg: "internal/testbin", only: []string{}, why: "the test build helper runs the go command, nothing of Gatehouse"},
}

// modulePath turns a rule's package name into an import path.
func modulePath(p string) string {
	if strings.HasPrefix(p, "internal/") || strings.HasPrefix(p, "cmd/") {
		return mod + p
	}
	return p
}

// isStdlib reports a standard library import path (its first element has
// no dot).
func isStdlib(p string) bool {
	first, _, _ := strings.Cut(p, "/")
	return !strings.Contains(first, ".")
}

// TestDependencyRules enforces the layering the package docs promise.
func TestDependencyRules(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	pkgs := listPackages(t, "./...")
	matched := map[string]bool{}
	for _, p := range pkgs {
		for _, r := range rules {
			target := modulePath(r.pkg)
			if p.ImportPath != target && !strings.HasPrefix(p.ImportPath, target+"/") {
				continue
			}
			matched[r.pkg] = true
			for _, d := range p.Deps {
				for _, f := range r.forbidden {
					f = modulePath(f)
					if d == f || strings.HasPrefix(d, f+"/") {
						t.Errorf("%s depends on %s: %s", p.ImportPath, d, r.why)
					}
				}
			}
			if r.only == nil || p.ImportPath != target {
				continue
			}
			for _, imp := range p.Imports {
				if isStdlib(imp) || slices.ContainsFunc(r.only, func(o string) bool { return modulePath(o) == imp }) {
					continue
				}
				t.Errorf("%s imports %s; it may import only %v besides the standard library: %s", p.ImportPath, imp, r.only, r.why)
			}
		}
	}
	for _, r := range rules {
		if !matched[r.pkg] {
			t.Errorf("rule for %s matches no package: renamed or removed?", r.pkg)
		}
	}
}

// TestBinaryIsPureGo: the gatehouse binary builds without cgo.
func TestBinaryIsPureGo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	cmd := exec.Command("go", "build", "-o", filepath.Join(t.TempDir(), "gatehouse"), "./cmd/gatehouse")
	cmd.Dir = moduleRoot(t)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=0 go build: %v\n%s", err, out)
	}
}
