package patch

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/gatehouse-dev/gatehouse/internal/respath"
)

// A Table is one resource's patch rules: for each path it accepts, the ops
// AWS allows there and the setter that applies them to the resource, plus
// how AWS words a refusal. Every Update* operation applies its ops through
// one, so "which ops a path allows" has one home per resource.
//
// Rules are tried in order. The first rule whose Path (and When) matches
// the op's path decides: when it takes the op, its Set applies it;
// otherwise its refusal (Rule.Refuse, else Options.WrongOp) answers, unless
// that refusal returns ErrNextRule, which passes the op on to the later rules.
// A path no rule matches gets Options.UnknownPath.
type Table[T any] struct {
	rules     []rule[T]
	opts      Options
	allOps    []string            // every op some rule takes, in canonical order
	allPaths  []string            // every rule's path, in rule order, once each
	pathsByOp map[string][]string // the paths that take an op, in rule order
}

// Rule is one path of a resource.
type Rule[T any] struct {
	// Path is the pattern the op's path must match, segment by segment:
	// a literal segment matches itself; "{name}" matches one non-empty
	// segment and captures it unescaped (respath.Unescape); "{name+}"
	// matches one or more segments, empty ones included, and captures them
	// as written (escapes kept, "/" between them). At most one "{name+}"
	// per pattern, anywhere in it: "/{key+}/metrics/enabled" reads the
	// key from the right.
	Path string
	// From, when set, is the op's from member the rule requires (AWS's
	// copy): an op with another from is not taken.
	From string
	// Ops are the ops the path takes, in the order AWS lists them when it
	// refuses another.
	Ops []string
	// AnyOp makes the rule take every op, even a missing one, for a Set
	// that checks further itself (typically with a nested Table).
	AnyOp bool
	// When, if set, must also accept the captured parameters for the rule
	// to match; otherwise the later rules are tried.
	When func(p Params) bool
	// Refuse words the refusal of an op the rule does not take; nil means
	// the table's Options.WrongOp.
	Refuse Refusal
	// Set applies a taken op to the target. The value is op.Value, to be
	// read with the lenient converters (ParseBool, ParseInt, ParseFloat).
	Set func(t T, op Op, p Params) error
}

// Options say how a Table words refusals; AWS words them differently per
// resource. A nil Refusal takes its documented default.
type Options struct {
	// UnknownOp, if set, refuses first an op that no rule takes, whatever
	// the path (Refused.Ops is every op the table takes).
	UnknownOp Refusal
	// WrongOp refuses an op the matched rule does not take (default
	// RefuseOp).
	WrongOp Refusal
	// UnknownPath refuses a path no rule matches (default RefusePath).
	UnknownPath Refusal
	// BadPath refuses a path that is empty or does not start with "/"
	// (default UnknownPath).
	BadPath Refusal
}

// A Refusal returns the error for a refused op. A rule's refusal may
// instead return ErrNextRule to let the table's later rules have the op.
type Refusal func(op Op, r Refused) error

// Refused is what a Refusal may name.
type Refused struct {
	// Ops are the ops the matched rule takes, as declared; when no rule
	// matched, every op the table takes in the order add, remove, replace,
	// move, copy, test.
	Ops []string
	// Paths are the paths of the rules that take op.Op, in rule order.
	Paths []string
	// AllPaths are the paths of all rules, in rule order.
	AllPaths []string
}

// ErrNextRule, returned by a rule's Refusal, passes the op on to the later
// rules as if the rule had not matched.
var ErrNextRule = errors.New("patch: rule passes the op on")

// RefuseOp is AWS's usual refusal of an op: "Invalid patch operation
// specified. Must be one of: [replace]" (*UnsupportedOpError).
func RefuseOp(op Op, r Refused) error {
	return &UnsupportedOpError{Op: op.Op, Path: op.Path, Allowed: r.Ops}
}

// RefusePath refuses naming the path only: "Invalid patch path /x", or
// "Invalid patch path null" for a missing path (*BadPathError).
func RefusePath(op Op, _ Refused) error {
	return &BadPathError{Op: op.Op, Path: op.Path}
}

// RefusePathsForOp refuses listing the paths that take the op: "Invalid
// patch path  '/id' specified for op 'replace'. Must be one of: [/name]"
// (*BadPathError).
func RefusePathsForOp(op Op, r Refused) error {
	return &BadPathError{Op: op.Op, Path: op.Path, Allowed: r.Paths}
}

// RefuseAllPaths refuses listing every path of the table, whatever the op
// (*BadPathError).
func RefuseAllPaths(op Op, r Refused) error {
	return &BadPathError{Op: op.Op, Path: op.Path, Allowed: r.AllPaths}
}

// RefuseChooseOp refuses with "Invalid patch path  '/pathPart' specified
// for op 'add'. Please choose supported operations" (*BadPathError).
func RefuseChooseOp(op Op, _ Refused) error {
	return &BadPathError{Op: op.Op, Path: op.Path, ChooseOp: true}
}

// RefuseMethodSetting is the Stage's refusal of a path it does not know:
// "Invalid method setting path: /x. Must be one of: [...]"
// (*MethodSettingPathError).
func RefuseMethodSetting(op Op, _ Refused) error {
	return &MethodSettingPathError{Path: op.Path}
}

// maxParams bounds the parameters of one pattern, so Params needs no
// allocation.
const maxParams = 4

// Params are the values a rule's path parameters captured.
type Params struct {
	n      int
	names  [maxParams]string
	values [maxParams]string
}

// Get returns the value captured for the parameter name ("" if the pattern
// has no such parameter).
func (p *Params) Get(name string) string {
	for i := range p.n {
		if p.names[i] == name {
			return p.values[i]
		}
	}
	return ""
}

// segKind is how one pattern segment matches.
type segKind int

const (
	segLiteral segKind = iota
	segParam
	segGreedy
)

type patSeg struct {
	kind segKind
	text string // the literal, or the parameter's name
}

// pattern is a compiled Rule.Path.
type pattern struct {
	segs   []patSeg
	greedy int // index of the "{name+}" segment, -1 when none
}

type rule[T any] struct {
	Rule[T]
	pat pattern
}

// opOrder is the order in which Refused.Ops lists a table's ops.
var opOrder = []string{Add, Remove, Replace, Move, Copy, Test}

// NewTable compiles rules into a Table. It panics on a malformed pattern
// (a programming error: tables are package variables built at start-up).
func NewTable[T any](o Options, rules ...Rule[T]) *Table[T] {
	if o.WrongOp == nil {
		o.WrongOp = RefuseOp
	}
	if o.UnknownPath == nil {
		o.UnknownPath = RefusePath
	}
	if o.BadPath == nil {
		o.BadPath = o.UnknownPath
	}
	t := &Table[T]{opts: o, pathsByOp: map[string][]string{}}
	taken := map[string]bool{}
	for _, r := range rules {
		pat, err := compilePattern(r.Path)
		if err != nil {
			panic(err)
		}
		if r.Set == nil {
			if len(r.Ops) > 0 || r.AnyOp {
				panic(fmt.Sprintf("patch: rule %q takes ops but has no Set", r.Path))
			}
		}
		for _, o := range r.Ops {
			if !knownOp(o) {
				panic(fmt.Sprintf("patch: rule %q lists unknown op %q", r.Path, o))
			}
		}
		t.rules = append(t.rules, rule[T]{Rule: r, pat: pat})
		if !slices.Contains(t.allPaths, r.Path) {
			t.allPaths = append(t.allPaths, r.Path)
		}
		ops := r.Ops
		if r.AnyOp {
			ops = opOrder
		}
		for _, o := range ops {
			taken[o] = true
			if !slices.Contains(t.pathsByOp[o], r.Path) {
				t.pathsByOp[o] = append(t.pathsByOp[o], r.Path)
			}
		}
	}
	for _, o := range opOrder {
		if taken[o] {
			t.allOps = append(t.allOps, o)
		}
	}
	return t
}

// compilePattern parses a Rule.Path.
func compilePattern(path string) (pattern, error) {
	if path == "" || path[0] != '/' {
		return pattern{}, fmt.Errorf("patch: pattern %q must start with /", path)
	}
	p := pattern{greedy: -1}
	names := 0
	for i, s := range strings.Split(path[1:], "/") {
		switch {
		case strings.HasPrefix(s, "{") && strings.HasSuffix(s, "+}"):
			if p.greedy >= 0 {
				return pattern{}, fmt.Errorf("patch: pattern %q has two {name+} segments", path)
			}
			p.greedy = i
			p.segs = append(p.segs, patSeg{segGreedy, s[1 : len(s)-2]})
			names++
		case strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}"):
			p.segs = append(p.segs, patSeg{segParam, s[1 : len(s)-1]})
			names++
		case strings.ContainsAny(s, "{}~"):
			return pattern{}, fmt.Errorf("patch: pattern %q: segment %q is neither a literal nor a parameter", path, s)
		default:
			p.segs = append(p.segs, patSeg{segLiteral, s})
		}
		if k := len(p.segs) - 1; p.segs[k].kind != segLiteral && p.segs[k].text == "" {
			return pattern{}, fmt.Errorf("patch: pattern %q has a parameter without a name", path)
		}
	}
	if names > maxParams {
		return pattern{}, fmt.Errorf("patch: pattern %q has more than %d parameters", path, maxParams)
	}
	return p, nil
}

// match reports whether the raw segments of a path (split at "/", not
// unescaped) match the pattern, and captures its parameters.
func (pat *pattern) match(segs []string) (Params, bool) {
	var ps Params
	n, m := len(segs), len(pat.segs)
	if pat.greedy < 0 && n != m || pat.greedy >= 0 && n < m {
		return ps, false
	}
	for i, ps0 := range pat.segs {
		j := i // the path segment this pattern segment reads
		if pat.greedy >= 0 && i > pat.greedy {
			j = n - (m - i) // after the greedy part, read from the right
		}
		switch ps0.kind {
		case segLiteral:
			if segs[j] != ps0.text {
				return ps, false
			}
		case segParam:
			if segs[j] == "" {
				return ps, false
			}
			ps.names[ps.n], ps.values[ps.n] = ps0.text, respath.Unescape(segs[j])
			ps.n++
		case segGreedy:
			ps.names[ps.n], ps.values[ps.n] = ps0.text, strings.Join(segs[i:n-(m-i-1)], "/")
			ps.n++
		}
	}
	return ps, true
}

// Apply applies one op to target: the first matching rule that takes it
// sets it, or the op is refused (see Table). Errors from a Set are
// returned as they are.
func (t *Table[T]) Apply(target T, op Op) error {
	if t.opts.UnknownOp != nil && !slices.Contains(t.allOps, op.Op) {
		return t.opts.UnknownOp(op, t.refused(op, t.allOps))
	}
	if op.Path == "" || op.Path[0] != '/' {
		return t.opts.BadPath(op, t.refused(op, t.allOps))
	}
	segs := strings.Split(op.Path[1:], "/")
	for i := range t.rules {
		r := &t.rules[i]
		ps, ok := r.pat.match(segs)
		if !ok || r.When != nil && !r.When(ps) {
			continue
		}
		if r.takes(op) {
			return r.Set(target, op, ps)
		}
		refuse := r.Refuse
		if refuse == nil {
			refuse = t.opts.WrongOp
		}
		err := refuse(op, t.refused(op, r.Ops))
		if errors.Is(err, ErrNextRule) {
			continue
		}
		return err
	}
	return t.opts.UnknownPath(op, t.refused(op, t.allOps))
}

// ApplyAll applies ops in order and stops at the first error; target is
// then partly patched, so callers patch a copy they can discard.
func (t *Table[T]) ApplyAll(target T, ops []Op) error {
	for _, op := range ops {
		if err := t.Apply(target, op); err != nil {
			return err
		}
	}
	return nil
}

func (r *rule[T]) takes(op Op) bool {
	if r.From != "" && op.From != r.From {
		return false
	}
	return r.AnyOp || slices.Contains(r.Ops, op.Op)
}

func (t *Table[T]) refused(op Op, ops []string) Refused {
	return Refused{Ops: ops, Paths: t.pathsByOp[op.Op], AllPaths: t.allPaths}
}

// String returns a Rule.Set that stores the op's value in the string field
// returns (the field of the target): Set: patch.String(func(m *Method)
// *string { return &m.OperationName }).
func String[T any](field func(T) *string) func(T, Op, Params) error {
	return func(t T, op Op, _ Params) error {
		*field(t) = op.Value
		return nil
	}
}

// Bool returns a Rule.Set that stores the op's value, read with ParseBool,
// in the bool field returns.
func Bool[T any](field func(T) *bool) func(T, Op, Params) error {
	return func(t T, op Op, _ Params) error {
		*field(t) = ParseBool(op.Value)
		return nil
	}
}

// Int returns a Rule.Set that stores the op's value, read with ParseInt
// (whose *ValueError names the op's path), in the int field returns.
func Int[T any](field func(T) *int) func(T, Op, Params) error {
	return func(t T, op Op, _ Params) error {
		n, err := ParseInt(op.Path, op.Value)
		if err != nil {
			return err
		}
		*field(t) = n
		return nil
	}
}
