package repotest

import (
	"encoding/json"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
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

// TestDependencyRules enforces the layering the package docs promise.
func TestDependencyRules(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	rules := []struct {
		pkg       string // import path prefix (under the module)
		forbidden []string
		why       string
	}{
		{"internal/apigw", []string{"internal/store", "internal/control", "internal/awsapi", "internal/gateway", "internal/server", "net/http"}, "the domain model is plain data"},
		{"internal/store", []string{"internal/control", "internal/awsapi", "internal/gateway", "internal/server"}, "storage knows only the domain"},
		{"internal/control", []string{"internal/awsapi", "internal/gateway", "internal/server", "net/http"}, "control is transport-free"},
		{"internal/patch", []string{"internal/store", "internal/control", "internal/awsapi", "internal/gateway"}, "parsers are leaves"},
		{"internal/respath", []string{"internal/store", "internal/control", "internal/awsapi", "internal/gateway"}, "parsers are leaves"},
		{"internal/sigv4", []string{"internal/store", "internal/control", "internal/gateway"}, "auth is a leaf"},
		{"internal/counters", []string{"internal/control", "internal/awsapi", "internal/gateway", "internal/server"}, "counters are below the gateway"},
		{"internal/counters/counterstest", []string{"internal/store/sqlite", "github.com/redis"}, "the conformance suite knows engines only through their interfaces"},
		{"internal/datadir", []string{"internal/apigw", "internal/store", "internal/secret", "internal/control", "internal/gateway", "internal/server"}, "the data directory lock is a leaf"},
		{"internal/store/storeurl", []string{"internal/server", "internal/cli"}, "the store opener knows only the engines"},
		{"internal/gateway", []string{"internal/awsapi", "internal/control", "internal/server", "internal/cli", "github.com/aws/aws-sdk-go-v2/service"}, "the data plane never reaches the management API"},
		{"internal/gateway", []string{"internal/patch"}, "the data plane reads stored method keys with respath, never the management API's patch parsing"},
		{"cmd/gatehouse", []string{"github.com/aws/aws-sdk-go-v2/service", "github.com/aws/aws-sdk-go-v2/credentials", "internal/apitest", "github.com/google/go-cmp"}, "the binary links no test-only dependency"},
	}
	pkgs := listPackages(t, "./...")
	checked := 0
	for _, p := range pkgs {
		for _, r := range rules {
			if !strings.HasPrefix(p.ImportPath, mod+r.pkg) {
				continue
			}
			checked++
			for _, d := range p.Deps {
				for _, f := range r.forbidden {
					target := f
					if strings.HasPrefix(f, "internal/") {
						target = mod + f
					}
					if d == target || strings.HasPrefix(d, target+"/") {
						t.Errorf("%s depends on %s: %s", p.ImportPath, d, r.why)
					}
				}
			}
		}
	}
	if checked < 5 {
		t.Fatalf("only %d packages matched the rules; is go list working?", checked)
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
