package gateway

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// declaredReasons returns every constant of type Reason declared in the
// package's non-test sources, so that a reason added anywhere is seen.
func declaredReasons(t *testing.T) map[Reason]string {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	out := map[Reason]string{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Reason" {
					continue
				}
				for i, n := range vs.Names {
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						t.Fatalf("%s: reason %s is not a string literal", name, n.Name)
					}
					v, _ := strconv.Unquote(lit.Value)
					out[Reason(v)] = n.Name
				}
			}
		}
	}
	if len(out) < 30 {
		t.Fatalf("found only %d reason constants: the parser missed some", len(out))
	}
	return out
}

// TestEveryReasonHasAnAnswer: a reason without an entry in answers would
// be answered 500 by the fallback; none may be missing, and the table has
// no entry for a reason that is not declared.
func TestEveryReasonHasAnAnswer(t *testing.T) {
	declared := declaredReasons(t)
	for r, name := range declared {
		if r == ReasonOK {
			continue
		}
		if _, ok := answers[r]; !ok {
			t.Errorf("reason %s (%s) has no answer", r, name)
		}
	}
	for r := range answers {
		if _, ok := declared[r]; !ok {
			t.Errorf("answers has an entry for %q, which is not a declared reason", r)
		}
	}
}

// TestEveryReasonIsInTheREADME: the README's reason table names every
// reason code, and names no code that does not exist.
func TestEveryReasonIsInTheREADME(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	// The table starts at its header row and ends at the first line that
	// is not a table row; reason codes are in its first column.
	var table []string
	lines := strings.Split(string(b), "\n")
	start := slices.Index(lines, "| reason | caller gets | cause |")
	if start < 0 {
		t.Fatal("the README has no reason table (header | reason | caller gets | cause |)")
	}
	code := regexp.MustCompile("`[A-Z0-9_]+`")
	for _, line := range lines[start+2:] {
		if !strings.HasPrefix(line, "|") {
			break
		}
		table = append(table, code.FindAllString(strings.Split(line, "|")[1], -1)...)
	}
	declared := declaredReasons(t)
	for r := range declared {
		if r != ReasonOK && !slices.Contains(table, "`"+string(r)+"`") {
			t.Errorf("the README's reason table lacks %s", r)
		}
	}
	for _, code := range table {
		if _, ok := declared[Reason(strings.Trim(code, "`"))]; !ok {
			t.Errorf("the README's reason table names %s, which is not a reason code", code)
		}
	}
}
