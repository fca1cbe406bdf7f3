package patch

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/respath"
)

// thing is the target of the test tables: each Set records what it saw.
type thing struct {
	log []string
}

func record(name string) func(t *thing, op Op, p Params) error {
	return func(t *thing, op Op, p Params) error {
		s := name + " " + op.Op
		for _, k := range []string{"name", "key", "rest", "type"} {
			if v := p.Get(k); v != "" {
				s += " " + k + "=" + v
			}
		}
		t.log = append(t.log, s)
		return nil
	}
}

var errBadValue = errors.New("bad value")

// testTable exercises every feature: literals, {param}, {key+} in the
// middle and at the end, When, From, AnyOp, per-rule refusals and ErrNextRule.
var testTable = NewTable(Options{UnknownPath: RefuseMethodSetting, BadPath: RefusePath},
	Rule[*thing]{Path: "/name", Ops: []string{Replace}, Set: func(t *thing, op Op, _ Params) error {
		if op.Value == "" {
			return errBadValue
		}
		return record("name")(t, op, Params{})
	}},
	Rule[*thing]{Path: "/description", Ops: []string{Add, Remove, Replace}, Set: record("description")},
	Rule[*thing]{Path: "/deploymentId", From: "/canary/deploymentId", Ops: []string{Copy}, Set: record("promote"),
		Refuse: func(op Op, r Refused) error {
			if op.Op == Copy {
				return fmt.Errorf("bad copy from %q", op.From)
			}
			return ErrNextRule
		}},
	Rule[*thing]{Path: "/deploymentId", Ops: []string{Replace}, Set: record("deploymentId")},
	Rule[*thing]{Path: "/variables/{name}", Ops: []string{Add, Remove, Replace}, Set: record("variable")},
	Rule[*thing]{Path: "/types/{type}", Ops: []string{Replace}, Set: record("type"),
		Refuse: func(op Op, r Refused) error {
			return &UnsupportedOpError{Op: op.Op, Path: op.Path, Allowed: []string{Add, Remove, Replace}, Quoted: true}
		}},
	Rule[*thing]{Path: "/types/", Ops: []string{Replace}, Set: record("type")},
	Rule[*thing]{Path: "/log/format", Ops: []string{Add, Replace}, Set: record("format"),
		Refuse: func(op Op, r Refused) error {
			if op.Op == Remove {
				return ErrNextRule
			}
			return RefuseOp(op, r)
		}},
	Rule[*thing]{Path: "/sub/{rest+}", AnyOp: true, Set: record("sub")},
	Rule[*thing]{Path: "/{key+}/metrics/enabled", Ops: []string{Replace}, Set: record("metrics"),
		When: func(p Params) bool { _, _, ok := respath.SplitMethodKey(p.Get("key")); return ok }},
	Rule[*thing]{Path: "/{key+}", Ops: []string{Remove}, Set: record("remove-setting"), Refuse: RefuseMethodSetting},
)

func TestTableApply(t *testing.T) {
	tests := []struct {
		name    string
		op      Op
		wantLog string // the Set that ran, with its captures
		wantErr string
	}{
		{name: "literal", op: Op{Op: Replace, Path: "/name", Value: "x"}, wantLog: "name replace"},
		{name: "set error passes through", op: Op{Op: Replace, Path: "/name"}, wantErr: "bad value"},
		{name: "wrong op lists the rule's ops", op: Op{Op: Add, Path: "/name"}, wantErr: "Invalid patch operation specified. Must be one of: [replace]"},
		{name: "missing op", op: Op{Path: "/description"}, wantErr: "Invalid patch operation specified. Must be one of: [add, remove, replace]"},
		{name: "param unescaped", op: Op{Op: Add, Path: "/variables/a~1b"}, wantLog: "variable add name=a/b"},
		{name: "empty param does not match", op: Op{Op: Add, Path: "/variables/"}, wantErr: "Invalid method setting path: /variables/."},
		{name: "too many segments for a param", op: Op{Op: Add, Path: "/variables/a/b/c"}, wantErr: "Invalid method setting path: /variables/a/b/c."},
		{name: "per-rule refusal", op: Op{Op: Add, Path: "/types/EDGE"}, wantErr: "Invalid patch operation specified. Must be 'add'|'remove'|'replace'"},
		{name: "empty literal segment", op: Op{Op: Replace, Path: "/types/"}, wantLog: "type replace"},
		{name: "from taken", op: Op{Op: Copy, Path: "/deploymentId", From: "/canary/deploymentId"}, wantLog: "promote copy"},
		{name: "from refused", op: Op{Op: Copy, Path: "/deploymentId", From: "/x"}, wantErr: `bad copy from "/x"`},
		{name: "next rule after a refusal", op: Op{Op: Replace, Path: "/deploymentId"}, wantLog: "deploymentId replace"},
		{name: "next rule refuses", op: Op{Op: Add, Path: "/deploymentId"}, wantErr: "Invalid patch operation specified. Must be one of: [replace]"},
		{name: "refusal passes remove on", op: Op{Op: Remove, Path: "/log/format"}, wantLog: "remove-setting remove key=log/format"},
		{name: "refusal keeps other ops", op: Op{Op: Move, Path: "/log/format"}, wantErr: "Invalid patch operation specified. Must be one of: [add, replace]"},
		{name: "any op", op: Op{Op: Test, Path: "/sub/a/~1b"}, wantLog: "sub test rest=a/~1b"},
		{name: "any op includes a missing op", op: Op{Path: "/sub/x"}, wantLog: "sub  rest=x"},
		{name: "greedy before literals, escapes kept", op: Op{Op: Replace, Path: "/~1pets/GET/metrics/enabled"}, wantLog: "metrics replace key=~1pets/GET"},
		{name: "greedy spans segments", op: Op{Op: Replace, Path: "/a/b/GET/metrics/enabled"}, wantLog: "metrics replace key=a/b/GET"},
		{name: "greedy takes empty segments", op: Op{Op: Replace, Path: "//GET/metrics/enabled"}, wantLog: "metrics replace key=/GET"},
		{name: "when refuses, later rules match", op: Op{Op: Remove, Path: "/GET/metrics/enabled"}, wantLog: "remove-setting remove key=GET/metrics/enabled"},
		{name: "when refuses, unknown", op: Op{Op: Replace, Path: "/GET/metrics/enabled"}, wantErr: "Invalid method setting path: /GET/metrics/enabled."},
		{name: "greedy at the end", op: Op{Op: Remove, Path: "/*/*"}, wantLog: "remove-setting remove key=*/*"},
		{name: "greedy needs one segment", op: Op{Op: Replace, Path: "/metrics/enabled"}, wantErr: "Invalid method setting path: /metrics/enabled."},
		{name: "empty path", op: Op{Op: Replace}, wantErr: "Invalid patch path null"},
		{name: "relative path", op: Op{Op: Remove, Path: "name"}, wantErr: "Invalid patch path name"},
		{name: "literal compared as written", op: Op{Op: Replace, Path: "/n~0ame", Value: "x"}, wantErr: "Invalid method setting path: /n~0ame."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var th thing
			err := testTable.Apply(&th, tt.op)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("Apply(%+v) = %v, want error %q", tt.op, err, tt.wantErr)
				}
				if len(th.log) != 0 {
					t.Errorf("a refused op ran %v", th.log)
				}
				return
			}
			if err != nil {
				t.Fatalf("Apply(%+v) error = %v", tt.op, err)
			}
			if got := strings.Join(th.log, "; "); got != tt.wantLog {
				t.Errorf("Apply(%+v) ran %q, want %q", tt.op, got, tt.wantLog)
			}
		})
	}
}

// TestTableSegments pins how a path is cut into segments: at every "/",
// each {name} unescaped (~1 is "/", ~0 is "~").
func TestTableSegments(t *testing.T) {
	capture := func(n int) Rule[*thing] {
		path := ""
		for i := range n {
			path += fmt.Sprintf("/{p%d}", i)
		}
		return Rule[*thing]{Path: path, Ops: []string{Replace}, Set: func(th *thing, _ Op, p Params) error {
			for i := range n {
				th.log = append(th.log, p.Get(fmt.Sprintf("p%d", i)))
			}
			return nil
		}}
	}
	tb := NewTable(Options{}, capture(1), capture(2), capture(4))
	tests := []struct {
		path    string
		want    []string
		wantErr string
	}{
		{path: "/binaryMediaTypes/image~1png", want: []string{"binaryMediaTypes", "image/png"}},
		{path: "/responseTemplates/application~1json", want: []string{"responseTemplates", "application/json"}},
		{path: "/~1pets/GET/throttling/rateLimit", want: []string{"/pets", "GET", "throttling", "rateLimit"}},
		{path: "/name", want: []string{"name"}},
		{path: "/a~0b/~01", want: []string{"a~b", "~1"}},
		{path: "/binaryMediaTypes/-", want: []string{"binaryMediaTypes", "-"}},
		{path: "/", wantErr: "Invalid patch path /"},
		{path: "//x/", wantErr: "Invalid patch path //x/"},
		{path: "", wantErr: "Invalid patch path null"},
		{path: "name", wantErr: "Invalid patch path name"},
		{path: "~1name", wantErr: "Invalid patch path ~1name"},
	}
	for _, tt := range tests {
		var th thing
		err := tb.Apply(&th, Op{Op: Replace, Path: tt.path})
		if tt.wantErr != "" {
			var bp *BadPathError
			if !errors.As(err, &bp) || err.Error() != tt.wantErr {
				t.Errorf("Apply(%q) = %v, want *BadPathError %q", tt.path, err, tt.wantErr)
			}
			continue
		}
		if err != nil || strings.Join(th.log, "|") != strings.Join(tt.want, "|") {
			t.Errorf("Apply(%q) captured %q, %v; want %q", tt.path, th.log, err, tt.want)
		}
	}
}

func TestTableRefusalLists(t *testing.T) {
	set := func(*thing, Op, Params) error { return nil }
	rules := []Rule[*thing]{
		{Path: "/description", Ops: []string{Replace}, Set: set},
		{Path: "/enabled", Ops: []string{Replace}, Set: set},
		{Path: "/stages", Ops: []string{Add, Remove}, Set: set},
		{Path: "/labels", Ops: []string{Add, Remove}, Set: set},
	}
	byOp := NewTable(Options{UnknownOp: RefuseOp, WrongOp: RefusePathsForOp, UnknownPath: RefusePathsForOp}, rules...)
	all := NewTable(Options{UnknownPath: RefuseAllPaths}, rules...)
	choose := NewTable(Options{UnknownOp: RefuseChooseOp, UnknownPath: RefusePathsForOp}, rules...)
	tests := []struct {
		table *Table[*thing]
		op    Op
		want  string
	}{
		{byOp, Op{Op: Replace, Path: "/id"}, "Invalid patch path  '/id' specified for op 'replace'. Must be one of: [/description, /enabled]"},
		{byOp, Op{Op: Add, Path: "/enabled"}, "Invalid patch path  '/enabled' specified for op 'add'. Must be one of: [/stages, /labels]"},
		{byOp, Op{Op: Move, Path: "/enabled"}, "Invalid patch operation specified. Must be one of: [add, remove, replace]"},
		{byOp, Op{Op: Replace}, "Invalid patch path  '' specified for op 'replace'. Must be one of: [/description, /enabled]"},
		{all, Op{Op: Add, Path: "/x"}, "Invalid patch path  '/x' specified for op 'add'. Must be one of: [/description, /enabled, /stages, /labels]"},
		{all, Op{Op: Add, Path: "/enabled"}, "Invalid patch operation specified. Must be one of: [replace]"},
		{choose, Op{Op: Test, Path: "/description"}, "Invalid patch path  '/description' specified for op 'test'. Please choose supported operations"},
		{choose, Op{Op: Remove, Path: "/x"}, "Invalid patch path  '/x' specified for op 'remove'. Must be one of: [/stages, /labels]"},
	}
	for _, tt := range tests {
		err := tt.table.Apply(&thing{}, tt.op)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Apply(%+v) = %v, want %q", tt.op, err, tt.want)
		}
	}
}

func TestTableApplyAllStops(t *testing.T) {
	var th thing
	err := testTable.ApplyAll(&th, []Op{
		{Op: Replace, Path: "/name", Value: "a"},
		{Op: Add, Path: "/nope/x"},
		{Op: Replace, Path: "/name", Value: "b"},
	})
	var mse *MethodSettingPathError
	if !errors.As(err, &mse) || mse.Path != "/nope/x" {
		t.Fatalf("ApplyAll error = %v, want the second op's", err)
	}
	if len(th.log) != 1 {
		t.Errorf("ApplyAll ran %v, want only the first op", th.log)
	}
}

func TestNewTableRefusesBadPatterns(t *testing.T) {
	set := func(*thing, Op, Params) error { return nil }
	for _, r := range []Rule[*thing]{
		{Path: "name", Ops: []string{Replace}, Set: set},
		{Path: "", Ops: []string{Replace}, Set: set},
		{Path: "/{a+}/{b+}", Ops: []string{Replace}, Set: set},
		{Path: "/{}", Ops: []string{Replace}, Set: set},
		{Path: "/{+}", Ops: []string{Replace}, Set: set},
		{Path: "/a~1b", Ops: []string{Replace}, Set: set},
		{Path: "/x{y}", Ops: []string{Replace}, Set: set},
		{Path: "/{a}/{b}/{c}/{d}/{e}", Ops: []string{Replace}, Set: set},
		{Path: "/x", Ops: []string{"upsert"}, Set: set},
		{Path: "/x", Ops: []string{Replace}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewTable accepted rule %+v", r)
				}
			}()
			NewTable(Options{}, r)
		}()
	}
}

// matcherPatterns are the shapes FuzzMatch checks the matcher on.
var matcherPatterns = []string{
	"/name", "/variables/{name}", "/a/{x}/b/{y}", "/{key+}", "/{key+}/metrics/enabled",
	"/apiStages/{stage}/throttle/{key+}/rateLimit", "/sub/{rest+}", "/types/",
}

// patternRegexp is an independent reading of a pattern: a regular
// expression over the raw path, one capture per parameter.
func patternRegexp(path string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for _, s := range strings.Split(path[1:], "/") {
		b.WriteString("/")
		switch {
		case strings.HasSuffix(s, "+}"):
			b.WriteString("([^/]*(?:/[^/]*)*)")
		case strings.HasPrefix(s, "{"):
			b.WriteString("([^/]+)")
		default:
			b.WriteString(regexp.QuoteMeta(s))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// FuzzMatch checks the path matcher against patternRegexp: a path matches
// exactly when the expression does, a {name} captures its segment
// unescaped, a {name+} captures its segments as written.
func FuzzMatch(f *testing.F) {
	for _, s := range []string{
		"/name", "/variables/a~1b", "/variables/", "/a/1/b/2", "/*/*", "//", "/", "/~1pets/GET/metrics/enabled",
		"//GET/metrics/enabled", "/metrics/enabled", "/apiStages/a:b/throttle//pets/GET/rateLimit", "/sub/x/y", "/types/",
	} {
		f.Add(s)
	}
	type compiled struct {
		pat pattern
		re  *regexp.Regexp
	}
	var pats []compiled
	for _, p := range matcherPatterns {
		pat, err := compilePattern(p)
		if err != nil {
			f.Fatal(err)
		}
		pats = append(pats, compiled{pat, patternRegexp(p)})
	}
	f.Fuzz(func(t *testing.T, path string) {
		if path == "" || path[0] != '/' {
			return
		}
		segs := strings.Split(path[1:], "/")
		for i, c := range pats {
			ps, ok := c.pat.match(segs)
			sub := c.re.FindStringSubmatch(path)
			if ok != (sub != nil) {
				t.Fatalf("pattern %s on %q: matcher %v, regexp %v", matcherPatterns[i], path, ok, sub != nil)
			}
			if !ok {
				continue
			}
			if ps.n != len(sub)-1 {
				t.Fatalf("pattern %s on %q: %d captures, regexp %d", matcherPatterns[i], path, ps.n, len(sub)-1)
			}
			for k := range ps.n {
				want := sub[k+1]
				if c.pat.greedy < 0 || k != greedyCapture(c.pat) {
					want = respath.Unescape(want)
				}
				if ps.values[k] != want {
					t.Fatalf("pattern %s on %q: %s = %q, want %q", matcherPatterns[i], path, ps.names[k], ps.values[k], want)
				}
			}
		}
	})
}

// greedyCapture is the index of the {name+} capture among a pattern's
// parameters.
func greedyCapture(p pattern) int {
	n := 0
	for i, s := range p.segs {
		if i == p.greedy {
			return n
		}
		if s.kind != segLiteral {
			n++
		}
	}
	return -1
}

func TestFieldSetters(t *testing.T) {
	type rec struct {
		S string
		B bool
		N int
	}
	tb := NewTable(Options{},
		Rule[*rec]{Path: "/s", Ops: []string{Replace}, Set: String(func(r *rec) *string { return &r.S })},
		Rule[*rec]{Path: "/b", Ops: []string{Replace}, Set: Bool(func(r *rec) *bool { return &r.B })},
		Rule[*rec]{Path: "/n", Ops: []string{Replace}, Set: Int(func(r *rec) *int { return &r.N })},
	)
	var r rec
	err := tb.ApplyAll(&r, []Op{{Op: Replace, Path: "/s", Value: "x"}, {Op: Replace, Path: "/b", Value: "TRUE"}, {Op: Replace, Path: "/n", Value: "7.000000"}})
	if err != nil || r != (rec{"x", true, 7}) {
		t.Fatalf("ApplyAll = %v, %+v", err, r)
	}
	err = tb.Apply(&r, Op{Op: Replace, Path: "/n", Value: "seven"})
	if err == nil || err.Error() != `Invalid value "seven" for /n: must be an integer` || r.N != 7 {
		t.Fatalf("Apply(/n seven) = %v, N = %d", err, r.N)
	}
}
