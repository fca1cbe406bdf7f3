package vtl

import (
	"context"
	"errors"
	"fmt"
)

// Template is a compiled mapping template. It is immutable and safe for
// concurrent use: every Render has its own state.
type Template struct {
	src   string
	nodes []node
	// Static is set when the template has no reference and no directive:
	// it renders as its source, whatever the request.
	static bool
}

// Error is a compile or render error at a line and column (1-based,
// columns in characters) of the template.
type Error struct {
	Line, Column int
	Msg          string
	err          error // wrapped: ErrLimit, a context error
}

func (e *Error) Error() string {
	return fmt.Sprintf("vtl: line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

func (e *Error) Unwrap() error { return e.err }

// ErrLimit is wrapped by the error of a render that went past one of its
// Limits.
var ErrLimit = errors.New("mapping template limit exceeded")

// Limits bound one Render. Zero fields take the defaults.
type Limits struct {
	// MaxOutput is the most bytes the output, and any one string or
	// rendering built on the way, may have (default 1 MiB).
	MaxOutput int
	// MaxLoop is the most iterations one #foreach runs; further items are
	// skipped, as Velocity's directive.foreach.maxloops does (default
	// 1,000, AWS's limit).
	MaxLoop int
	// MaxSteps is the most evaluation steps (nodes, expressions, loop
	// iterations) of one render (default 1,000,000).
	MaxSteps int
	// MaxItems is the most elements a list or map built by the template
	// (a range, add, put) may have (default 10,000).
	MaxItems int
}

// DefaultLimits are the limits of a zero Limits.
var DefaultLimits = Limits{MaxOutput: 1 << 20, MaxLoop: 1000, MaxSteps: 1_000_000, MaxItems: 10_000}

func (l Limits) withDefaults() Limits {
	if l.MaxOutput <= 0 {
		l.MaxOutput = DefaultLimits.MaxOutput
	}
	if l.MaxLoop <= 0 {
		l.MaxLoop = DefaultLimits.MaxLoop
	}
	if l.MaxSteps <= 0 {
		l.MaxSteps = DefaultLimits.MaxSteps
	}
	if l.MaxItems <= 0 {
		l.MaxItems = DefaultLimits.MaxItems
	}
	return l
}

// Compile parses a template. Errors name the line and column.
func Compile(src string) (*Template, error) {
	if len(src) > maxTemplate {
		return nil, &Error{Line: 1, Column: 1, Msg: fmt.Sprintf("template is %d bytes; the limit is %d", len(src), maxTemplate)}
	}
	p := &parser{src: src}
	nodes, end, at, err := p.parseBlock()
	if err != nil {
		return nil, err
	}
	if end != endEOF {
		return nil, p.errAt(at, "%s without an opening #if or #foreach", map[int]string{endEnd: "#end", endElse: "#else", endElseif: "#elseif"}[end])
	}
	t := &Template{src: src, nodes: nodes}
	if len(nodes) == 0 {
		t.static = true
	} else if tn, ok := nodes[0].(*textNode); ok && len(nodes) == 1 && tn.s == src {
		t.static = true
	}
	return t, nil
}

// MustCompile is Compile for templates known to be valid (tests, constants).
func MustCompile(src string) *Template {
	t, err := Compile(src)
	if err != nil {
		panic(err)
	}
	return t
}

// Source returns the template as written.
func (t *Template) Source() string { return t.src }

// Static reports a template without references or directives: its output
// is its source (comments and escapes aside, which make it not static).
func (t *Template) Static() bool { return t.static }

// Render evaluates the template against a request. It stops with an error
// wrapping ErrLimit past a limit, or the context's error once ctx is done.
func (t *Template) Render(ctx context.Context, req Request, lim Limits) (string, error) {
	if t.static {
		return t.src, nil
	}
	if req == nil {
		req = Data{}
	}
	lim = lim.withDefaults()
	e := &evaluator{ctx: ctx, t: t, req: req, lim: lim, out: writer{max: lim.MaxOutput}, vars: map[string]any{}}
	err := e.block(t.nodes)
	if err != nil && !errors.Is(err, errStop) {
		return "", err
	}
	return string(e.out.b), nil
}
