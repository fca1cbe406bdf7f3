package vtl

import (
	"fmt"
	"strconv"
	"strings"
)

// maxNesting bounds how deep directives, expressions and references may
// nest in one template: the parser and the evaluator recurse on it.
const maxNesting = 64

// maxTemplate is the largest template Compile accepts (AWS caps a mapping
// template at 300 KB).
const maxTemplate = 300 << 10

type node interface{ position() int }

type textNode struct {
	at int
	s  string
}

type refNode struct {
	ref   *reference
	quiet bool
}

type setNode struct {
	at  int
	lhs *reference
	rhs expr
}

type ifNode struct {
	at     int
	conds  []expr
	blocks [][]node
	els    []node // nil when there is no #else
}

type foreachNode struct {
	at   int
	name string
	iter expr
	body []node
}

type breakNode struct{ at int }

type stopNode struct{ at int }

func (n *textNode) position() int    { return n.at }
func (n *refNode) position() int     { return n.ref.at }
func (n *setNode) position() int     { return n.at }
func (n *ifNode) position() int      { return n.at }
func (n *foreachNode) position() int { return n.at }
func (n *breakNode) position() int   { return n.at }
func (n *stopNode) position() int    { return n.at }

// reference is $root.a.b('x')[0]: a root variable and a chain of
// property reads, method calls and index reads.
type reference struct {
	at    int
	src   string // the reference as written, rendered when it is undefined
	root  string
	chain []selector
}

type selector struct {
	at    int
	name  string // property or method name; "" for an index
	call  bool
	args  []expr
	index expr
}

type expr interface{ position() int }

type litExpr struct {
	at int
	v  any
}

type strExpr struct { // a double-quoted string: interpolated
	at    int
	parts []node
}

type refExpr struct{ ref *reference }

type listExpr struct {
	at    int
	items []expr
}

type rangeExpr struct {
	at     int
	lo, hi expr
}

type mapExpr struct {
	at         int
	keys, vals []expr
}

type unaryExpr struct {
	at int
	op string // "!" or "-"
	x  expr
}

type binaryExpr struct {
	at   int
	op   string // normalised: || && == != < <= > >= + - * / %
	l, r expr
}

func (e *litExpr) position() int    { return e.at }
func (e *strExpr) position() int    { return e.at }
func (e *refExpr) position() int    { return e.ref.at }
func (e *listExpr) position() int   { return e.at }
func (e *rangeExpr) position() int  { return e.at }
func (e *mapExpr) position() int    { return e.at }
func (e *unaryExpr) position() int  { return e.at }
func (e *binaryExpr) position() int { return e.at }

type parser struct {
	src   string
	i     int
	depth int
}

// errAt is a compile error at byte offset at of the template.
func (p *parser) errAt(at int, format string, args ...any) error {
	line, col := lineCol(p.src, at)
	return &Error{Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

// lineCol converts a byte offset into a 1-based line and column (in runes).
func lineCol(src string, at int) (int, int) {
	if at > len(src) {
		at = len(src)
	}
	line, start := 1, 0
	for i := 0; i < at; i++ {
		if src[i] == '\n' {
			line++
			start = i + 1
		}
	}
	return line, len([]rune(src[start:at])) + 1
}

func (p *parser) enter(at int) error {
	p.depth++
	if p.depth > maxNesting {
		return p.errAt(at, "nesting deeper than %d levels", maxNesting)
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

// block terminators
const (
	endEOF = iota
	endEnd
	endElse
	endElseif
)

// parseBlock reads nodes until EOF or a block directive (#end, #else,
// #elseif); it returns which one ended the block and where.
func (p *parser) parseBlock() ([]node, int, int, error) {
	var nodes []node
	var text strings.Builder
	textAt := p.i
	flush := func() {
		if text.Len() > 0 {
			nodes = append(nodes, &textNode{at: textAt, s: text.String()})
			text.Reset()
		}
		textAt = p.i
	}
	for p.i < len(p.src) {
		c := p.src[p.i]
		switch {
		case c == '\\' && p.escapable():
			// \$ref and \#directive render literally, without the backslash.
			p.i++
			start := p.i
			if p.src[p.i] == '$' {
				if _, err := p.parseReference(); err != nil {
					return nil, 0, 0, err
				}
			} else {
				p.i++
				p.word()
			}
			text.WriteString(p.src[start:p.i])
		case c == '$' && p.refStart():
			flush()
			quiet := p.i+1 < len(p.src) && p.src[p.i+1] == '!'
			ref, err := p.parseReference()
			if err != nil {
				return nil, 0, 0, err
			}
			nodes = append(nodes, &refNode{ref: ref, quiet: quiet})
			textAt = p.i
		case c == '#':
			at := p.i
			if p.skipComment() {
				continue
			}
			if p.hasPrefix("#*") {
				return nil, 0, 0, p.errAt(at, "unterminated #* comment")
			}
			if p.hasPrefix("#[[") {
				end := strings.Index(p.src[p.i+3:], "]]#")
				if end < 0 {
					return nil, 0, 0, p.errAt(at, "unterminated #[[ block")
				}
				text.WriteString(p.src[p.i+3 : p.i+3+end])
				p.i += 3 + end + 3
				continue
			}
			name, next := p.directiveName()
			switch name {
			case "set":
				if !p.parenAfter(next) {
					break
				}
				trimIndent(&text)
				flush()
				n, err := p.parseSet(at, next)
				if err != nil {
					return nil, 0, 0, err
				}
				nodes = append(nodes, n)
				p.gobbleNewline()
				textAt = p.i
				continue
			case "if":
				if !p.parenAfter(next) {
					break
				}
				flush()
				n, err := p.parseIf(at, next)
				if err != nil {
					return nil, 0, 0, err
				}
				nodes = append(nodes, n)
				textAt = p.i
				continue
			case "foreach":
				if !p.parenAfter(next) {
					break
				}
				flush()
				n, err := p.parseForeach(at, next)
				if err != nil {
					return nil, 0, 0, err
				}
				nodes = append(nodes, n)
				textAt = p.i
				continue
			case "elseif":
				if !p.parenAfter(next) {
					break
				}
				flush()
				p.i = next
				return nodes, endElseif, at, nil
			case "else", "end":
				flush()
				p.i = next
				p.gobbleNewline()
				if name == "end" {
					return nodes, endEnd, at, nil
				}
				return nodes, endElse, at, nil
			case "break", "stop":
				flush()
				p.i = next
				p.gobbleNewline()
				if name == "break" {
					nodes = append(nodes, &breakNode{at: at})
				} else {
					nodes = append(nodes, &stopNode{at: at})
				}
				textAt = p.i
				continue
			case "macro", "parse", "include", "evaluate", "define":
				return nil, 0, 0, p.errAt(at, "#%s is not supported in mapping templates", name)
			}
			text.WriteByte('#')
			p.i++
		default:
			text.WriteByte(c)
			p.i++
		}
	}
	flush()
	return nodes, endEOF, p.i, nil
}

func (p *parser) hasPrefix(s string) bool { return strings.HasPrefix(p.src[p.i:], s) }

// escapable reports a backslash before a reference or a directive.
func (p *parser) escapable() bool {
	if p.i+1 >= len(p.src) {
		return false
	}
	save := p.i
	defer func() { p.i = save }()
	p.i++
	switch p.src[p.i] {
	case '$':
		return p.refStart()
	case '#':
		name, _ := p.directiveName()
		switch name {
		case "set", "if", "elseif", "else", "end", "foreach", "break", "stop":
			return true
		}
	}
	return false
}

// skipComment skips ## (through the end of the line) and #* … *#.
func (p *parser) skipComment() bool {
	if p.hasPrefix("##") {
		end := strings.IndexByte(p.src[p.i:], '\n')
		if end < 0 {
			p.i = len(p.src)
		} else {
			p.i += end + 1
		}
		return true
	}
	if p.hasPrefix("#*") {
		end := strings.Index(p.src[p.i+2:], "*#")
		if end < 0 {
			return false
		}
		p.i += 2 + end + 2
		return true
	}
	return false
}

// directiveName reads #name or #{name} at p.i without moving; it returns
// the name and the offset after it.
func (p *parser) directiveName() (string, int) {
	j := p.i + 1
	braced := j < len(p.src) && p.src[j] == '{'
	if braced {
		j++
	}
	k := j
	for k < len(p.src) && isLetter(p.src[k]) {
		k++
	}
	name := p.src[j:k]
	if braced {
		if k >= len(p.src) || p.src[k] != '}' {
			return "", 0
		}
		k++
	}
	return name, k
}

// word skips letters at p.i.
func (p *parser) word() {
	if p.i < len(p.src) && p.src[p.i] == '{' {
		p.i++
	}
	for p.i < len(p.src) && isLetter(p.src[p.i]) {
		p.i++
	}
	if p.i < len(p.src) && p.src[p.i] == '}' {
		p.i++
	}
}

// parenAfter reports whether "(" follows offset at, after spaces.
func (p *parser) parenAfter(at int) bool {
	for at < len(p.src) && (p.src[at] == ' ' || p.src[at] == '\t') {
		at++
	}
	return at < len(p.src) && p.src[at] == '('
}

// trimIndent drops the spaces and tabs just before a #set: Velocity 1.7's
// lexer takes them into the directive.
func trimIndent(b *strings.Builder) {
	s := b.String()
	j := len(s)
	for j > 0 && (s[j-1] == ' ' || s[j-1] == '\t') {
		j--
	}
	if j == len(s) {
		return
	}
	b.Reset()
	b.WriteString(s[:j])
}

// gobbleNewline eats spaces, tabs and one newline after a directive that
// ends its line (Velocity 1.7).
func (p *parser) gobbleNewline() {
	j := p.i
	for j < len(p.src) && (p.src[j] == ' ' || p.src[j] == '\t') {
		j++
	}
	if j < len(p.src) && p.src[j] == '\n' {
		p.i = j + 1
	} else if j+1 < len(p.src) && p.src[j] == '\r' && p.src[j+1] == '\n' {
		p.i = j + 2
	}
}

// refStart reports whether a reference starts at p.i ('$').
func (p *parser) refStart() bool {
	j := p.i + 1
	if j < len(p.src) && p.src[j] == '!' {
		j++
	}
	if j < len(p.src) && p.src[j] == '{' {
		j++
	}
	return j < len(p.src) && isIdentStart(p.src[j])
}

func isLetter(c byte) bool     { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isIdentStart(c byte) bool { return isLetter(c) || c == '_' }
func isIdentChar(c byte) bool  { return isIdentStart(c) || isDigit(c) }

// ident reads an identifier: letters, digits, '_' and '-' (when another
// identifier character follows, as Velocity 1.7 allows).
func (p *parser) ident() string {
	start := p.i
	for p.i < len(p.src) {
		c := p.src[p.i]
		if isIdentChar(c) || (c == '-' && p.i+1 < len(p.src) && isIdentChar(p.src[p.i+1]) && p.i > start) {
			p.i++
			continue
		}
		break
	}
	return p.src[start:p.i]
}

// parseReference reads $name, $!name, ${name}, $!{name} with its chain.
func (p *parser) parseReference() (*reference, error) {
	at := p.i
	if err := p.enter(at); err != nil {
		return nil, err
	}
	defer p.leave()
	p.i++ // $
	if p.src[p.i] == '!' {
		p.i++
	}
	braced := p.src[p.i] == '{'
	if braced {
		p.i++
	}
	ref := &reference{at: at, root: p.ident()}
	for p.i < len(p.src) {
		c := p.src[p.i]
		if c == '.' && p.i+1 < len(p.src) && isIdentStart(p.src[p.i+1]) {
			p.i++
			s := selector{at: p.i, name: p.ident()}
			if p.i < len(p.src) && p.src[p.i] == '(' {
				p.i++
				args, err := p.parseArgs(')')
				if err != nil {
					return nil, err
				}
				s.call, s.args = true, args
			}
			ref.chain = append(ref.chain, s)
			continue
		}
		if c == '[' {
			s := selector{at: p.i}
			p.i++
			x, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			p.skipSpace()
			if !p.eat(']') {
				return nil, p.errAt(p.i, "expected ] after index")
			}
			s.index = x
			ref.chain = append(ref.chain, s)
			continue
		}
		break
	}
	if braced {
		if p.i >= len(p.src) || p.src[p.i] != '}' {
			return nil, p.errAt(at, "${ reference is not closed with }")
		}
		p.i++
	}
	ref.src = p.src[at:p.i]
	return ref, nil
}

// parseArgs reads comma-separated expressions up to close.
func (p *parser) parseArgs(close byte) ([]expr, error) {
	var args []expr
	p.skipSpace()
	if p.eat(close) {
		return args, nil
	}
	for {
		x, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		args = append(args, x)
		p.skipSpace()
		if p.eat(close) {
			return args, nil
		}
		if !p.eat(',') {
			return nil, p.errAt(p.i, "expected , or %c", close)
		}
	}
}

func (p *parser) skipSpace() {
	for p.i < len(p.src) {
		switch p.src[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) eat(c byte) bool {
	if p.i < len(p.src) && p.src[p.i] == c {
		p.i++
		return true
	}
	return false
}

// openParen moves past the "(" that follows a directive name.
func (p *parser) openParen(next int) {
	p.i = next
	p.skipSpace()
	p.i++
}

func (p *parser) closeParen(at int, what string) error {
	p.skipSpace()
	if !p.eat(')') {
		return p.errAt(p.i, "expected ) to close %s started at %s", what, p.where(at))
	}
	return nil
}

func (p *parser) where(at int) string {
	l, c := lineCol(p.src, at)
	return fmt.Sprintf("line %d, column %d", l, c)
}

func (p *parser) parseSet(at, next int) (node, error) {
	p.openParen(next)
	p.skipSpace()
	if p.i >= len(p.src) || p.src[p.i] != '$' || !p.refStart() {
		return nil, p.errAt(p.i, "#set needs a reference to assign to, like #set($x = 1)")
	}
	lhs, err := p.parseReference()
	if err != nil {
		return nil, err
	}
	if n := len(lhs.chain); n > 0 && lhs.chain[n-1].call {
		return nil, p.errAt(lhs.at, "#set cannot assign to a method call %s", lhs.src)
	}
	p.skipSpace()
	if !p.eat('=') {
		return nil, p.errAt(p.i, "expected = in #set")
	}
	rhs, err := p.parseExpr()
	if err != nil {
		return nil, err
	}
	if err := p.closeParen(at, "#set"); err != nil {
		return nil, err
	}
	return &setNode{at: at, lhs: lhs, rhs: rhs}, nil
}

func (p *parser) parseIf(at, next int) (node, error) {
	if err := p.enter(at); err != nil {
		return nil, err
	}
	defer p.leave()
	n := &ifNode{at: at}
	for {
		p.openParen(next)
		cond, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		if err := p.closeParen(at, "#if"); err != nil {
			return nil, err
		}
		p.gobbleNewline()
		body, end, endAt, err := p.parseBlock()
		if err != nil {
			return nil, err
		}
		n.conds = append(n.conds, cond)
		n.blocks = append(n.blocks, body)
		switch end {
		case endEOF:
			return nil, p.errAt(at, "#if has no #end")
		case endEnd:
			return n, nil
		case endElse:
			els, end2, endAt2, err := p.parseBlock()
			if err != nil {
				return nil, err
			}
			if end2 != endEnd {
				if end2 == endEOF {
					return nil, p.errAt(at, "#if has no #end")
				}
				return nil, p.errAt(endAt2, "#elseif or #else after #else")
			}
			if els == nil {
				els = []node{}
			}
			n.els = els
			return n, nil
		case endElseif:
			_, next = p.directiveNameAt(endAt)
		}
	}
}

// directiveNameAt is directiveName at another offset.
func (p *parser) directiveNameAt(at int) (string, int) {
	save := p.i
	p.i = at
	name, next := p.directiveName()
	p.i = save
	return name, next
}

func (p *parser) parseForeach(at, next int) (node, error) {
	if err := p.enter(at); err != nil {
		return nil, err
	}
	defer p.leave()
	p.openParen(next)
	p.skipSpace()
	if p.i >= len(p.src) || p.src[p.i] != '$' || !p.refStart() {
		return nil, p.errAt(p.i, "#foreach needs a loop variable, like #foreach($x in $list)")
	}
	v, err := p.parseReference()
	if err != nil {
		return nil, err
	}
	if len(v.chain) > 0 {
		return nil, p.errAt(v.at, "#foreach loop variable must be a plain name, not %s", v.src)
	}
	p.skipSpace()
	if !p.hasPrefix("in") || (p.i+2 < len(p.src) && isIdentChar(p.src[p.i+2])) {
		return nil, p.errAt(p.i, "expected 'in' in #foreach")
	}
	p.i += 2
	iter, err := p.parseExpr()
	if err != nil {
		return nil, err
	}
	if err := p.closeParen(at, "#foreach"); err != nil {
		return nil, err
	}
	p.gobbleNewline()
	body, end, endAt, err := p.parseBlock()
	if err != nil {
		return nil, err
	}
	if end != endEnd {
		if end == endEOF {
			return nil, p.errAt(at, "#foreach has no #end")
		}
		return nil, p.errAt(endAt, "#else or #elseif inside #foreach without #if")
	}
	return &foreachNode{at: at, name: v.root, iter: iter, body: body}, nil
}

// Expressions, lowest precedence first.

func (p *parser) parseExpr() (expr, error) {
	if err := p.enter(p.i); err != nil {
		return nil, err
	}
	defer p.leave()
	return p.parseOr()
}

func (p *parser) binary(next func() (expr, error), ops ...string) (expr, error) {
	l, err := next()
	if err != nil {
		return nil, err
	}
	for {
		p.skipSpace()
		at := p.i
		op := p.operator(ops)
		if op == "" {
			return l, nil
		}
		r, err := next()
		if err != nil {
			return nil, err
		}
		l = &binaryExpr{at: at, op: op, l: l, r: r}
	}
}

// word operators and their symbols
var wordOps = map[string]string{"or": "||", "and": "&&", "eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}

// operator reads one of ops (symbols; word forms map onto them) at p.i.
func (p *parser) operator(ops []string) string {
	rest := p.src[p.i:]
	for _, op := range ops {
		if strings.HasPrefix(rest, op) {
			// "<" must not take "<=", "=" alone is not "==", "!" alone is not "!=".
			if (op == "<" || op == ">") && strings.HasPrefix(rest, op+"=") {
				continue
			}
			p.i += len(op)
			return op
		}
	}
	j := 0
	for j < len(rest) && isLetter(rest[j]) {
		j++
	}
	if sym, ok := wordOps[rest[:j]]; ok && (j == len(rest) || !isIdentChar(rest[j])) {
		for _, op := range ops {
			if op == sym {
				p.i += j
				return op
			}
		}
	}
	return ""
}

func (p *parser) parseOr() (expr, error) { return p.binary(p.parseAnd, "||") }
func (p *parser) parseAnd() (expr, error) {
	return p.binary(p.parseEq, "&&")
}
func (p *parser) parseEq() (expr, error)  { return p.binary(p.parseRel, "==", "!=") }
func (p *parser) parseRel() (expr, error) { return p.binary(p.parseAdd, "<=", ">=", "<", ">") }
func (p *parser) parseAdd() (expr, error) { return p.binary(p.parseMul, "+", "-") }
func (p *parser) parseMul() (expr, error) { return p.binary(p.parseUnary, "*", "/", "%") }

func (p *parser) parseUnary() (expr, error) {
	p.skipSpace()
	at := p.i
	if p.i < len(p.src) && p.src[p.i] == '!' && !p.hasPrefix("!=") {
		p.i++
		return p.unary(at, "!")
	}
	if p.hasPrefix("not") && (p.i+3 == len(p.src) || !isIdentChar(p.src[p.i+3])) {
		p.i += 3
		return p.unary(at, "!")
	}
	if p.i < len(p.src) && p.src[p.i] == '-' && !(p.i+1 < len(p.src) && isDigit(p.src[p.i+1])) {
		p.i++
		return p.unary(at, "-")
	}
	return p.parsePrimary()
}

func (p *parser) unary(at int, op string) (expr, error) {
	if err := p.enter(at); err != nil {
		return nil, err
	}
	defer p.leave()
	x, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	return &unaryExpr{at: at, op: op, x: x}, nil
}

func (p *parser) parsePrimary() (expr, error) {
	p.skipSpace()
	at := p.i
	if p.i >= len(p.src) {
		return nil, p.errAt(at, "expression expected, found the end of the template")
	}
	c := p.src[p.i]
	switch {
	case c == '$' && p.refStart():
		ref, err := p.parseReference()
		if err != nil {
			return nil, err
		}
		return &refExpr{ref: ref}, nil
	case c == '"':
		return p.parseDoubleQuoted()
	case c == '\'':
		s, err := p.quoted('\'')
		if err != nil {
			return nil, err
		}
		return &litExpr{at: at, v: s}, nil
	case isDigit(c) || (c == '-' && p.i+1 < len(p.src) && isDigit(p.src[p.i+1])):
		return p.parseNumber()
	case c == '(':
		p.i++
		x, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		if err := p.closeParen(at, "("); err != nil {
			return nil, err
		}
		return x, nil
	case c == '[':
		return p.parseList()
	case c == '{':
		return p.parseMap()
	case isLetter(c):
		w := p.ident()
		switch w {
		case "true":
			return &litExpr{at: at, v: true}, nil
		case "false":
			return &litExpr{at: at, v: false}, nil
		case "null":
			return &litExpr{at: at, v: nil}, nil
		}
		return nil, p.errAt(at, "unexpected word %q in expression (references start with $)", w)
	}
	return nil, p.errAt(at, "unexpected %q in expression", c)
}

// quoted reads a quoted string; a doubled quote stands for one.
// Backslashes stay as written (Velocity 1.7).
func (p *parser) quoted(q byte) (string, error) {
	at := p.i
	p.i++
	var b strings.Builder
	for p.i < len(p.src) {
		c := p.src[p.i]
		if c == q {
			if p.i+1 < len(p.src) && p.src[p.i+1] == q {
				b.WriteByte(q)
				p.i += 2
				continue
			}
			p.i++
			return b.String(), nil
		}
		if c == '\\' && p.i+1 < len(p.src) && p.src[p.i+1] == q {
			b.WriteString(p.src[p.i : p.i+2])
			p.i += 2
			continue
		}
		b.WriteByte(c)
		p.i++
	}
	return "", p.errAt(at, "string literal is not closed")
}

// parseDoubleQuoted reads "…", whose references are interpolated.
func (p *parser) parseDoubleQuoted() (expr, error) {
	at := p.i
	s, err := p.quoted('"')
	if err != nil {
		return nil, err
	}
	if !strings.ContainsAny(s, "$#") {
		return &litExpr{at: at, v: s}, nil
	}
	// The content is a template of its own: its offsets are mapped back
	// onto this one for errors.
	sub := &parser{src: s, depth: p.depth}
	nodes, end, endAt, err := sub.parseBlock()
	if err != nil {
		if e, ok := err.(*Error); ok {
			l, c := lineCol(p.src, at+1)
			if e.Line == 1 {
				e.Column += c - 1
			}
			e.Line += l - 1
		}
		return nil, err
	}
	if end != endEOF {
		return nil, p.errAt(at+1+endAt, "#end, #else or #elseif without an opening directive inside a string")
	}
	shift(nodes, at+1)
	return &strExpr{at: at, parts: nodes}, nil
}

// shift moves the offsets of a string's nodes onto the enclosing template.
// Offsets are approximate where the string had doubled quotes.
func shift(nodes []node, by int) {
	for _, n := range nodes {
		switch n := n.(type) {
		case *textNode:
			n.at += by
		case *refNode:
			n.ref.at += by
		case *setNode:
			n.at += by
		case *ifNode:
			n.at += by
			for _, b := range n.blocks {
				shift(b, by)
			}
			shift(n.els, by)
		case *foreachNode:
			n.at += by
			shift(n.body, by)
		}
	}
}

func (p *parser) parseNumber() (expr, error) {
	at := p.i
	if p.src[p.i] == '-' {
		p.i++
	}
	for p.i < len(p.src) && isDigit(p.src[p.i]) {
		p.i++
	}
	isFloat := false
	if p.i+1 < len(p.src) && p.src[p.i] == '.' && isDigit(p.src[p.i+1]) {
		isFloat = true
		p.i++
		for p.i < len(p.src) && isDigit(p.src[p.i]) {
			p.i++
		}
	}
	lit := p.src[at:p.i]
	if !isFloat {
		if n, err := strconv.ParseInt(lit, 10, 64); err == nil {
			return &litExpr{at: at, v: n}, nil
		}
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil {
		return nil, p.errAt(at, "bad number %q", lit)
	}
	return &litExpr{at: at, v: f}, nil
}

func (p *parser) parseList() (expr, error) {
	at := p.i
	p.i++
	p.skipSpace()
	if p.eat(']') {
		return &listExpr{at: at}, nil
	}
	first, err := p.parseExpr()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.hasPrefix("..") {
		p.i += 2
		hi, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if !p.eat(']') {
			return nil, p.errAt(p.i, "expected ] to close the range started at %s", p.where(at))
		}
		return &rangeExpr{at: at, lo: first, hi: hi}, nil
	}
	items := []expr{first}
	for {
		p.skipSpace()
		if p.eat(']') {
			return &listExpr{at: at, items: items}, nil
		}
		if !p.eat(',') {
			return nil, p.errAt(p.i, "expected , or ] in the list started at %s", p.where(at))
		}
		x, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		items = append(items, x)
	}
}

func (p *parser) parseMap() (expr, error) {
	at := p.i
	p.i++
	m := &mapExpr{at: at}
	p.skipSpace()
	if p.eat('}') {
		return m, nil
	}
	for {
		k, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if !p.eat(':') {
			return nil, p.errAt(p.i, "expected : after a map key")
		}
		v, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		m.keys = append(m.keys, k)
		m.vals = append(m.vals, v)
		p.skipSpace()
		if p.eat('}') {
			return m, nil
		}
		if !p.eat(',') {
			return nil, p.errAt(p.i, "expected , or } in the map started at %s", p.where(at))
		}
	}
}
