package vtl

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
)

type evaluator struct {
	ctx   context.Context
	t     *Template
	req   Request
	lim   Limits
	out   writer
	vars  map[string]any
	steps int
	at    int // offset of the node being evaluated, for errors
	loop  *loop

	bodyDone bool
	bodyVal  any
	bodyOK   bool
	bodyErr  error
}

// loop is $foreach inside a #foreach.
type loop struct {
	index int
	count int
	more  bool
}

var (
	errBreak = errors.New("#break")
	errStop  = errors.New("#stop")
)

func (e *evaluator) errf(wrapped error, format string, args ...any) error {
	line, col := lineCol(e.t.src, e.at)
	return &Error{Line: line, Column: col, Msg: fmt.Sprintf(format, args...), err: wrapped}
}

func (e *evaluator) limit(what string) error {
	return e.errf(ErrLimit, "%s is larger than %d bytes", what, e.lim.MaxOutput)
}

// step counts one unit of work and checks the budget and the context.
func (e *evaluator) step() error {
	e.steps++
	if e.steps > e.lim.MaxSteps {
		return e.errf(ErrLimit, "the template took more than %d steps", e.lim.MaxSteps)
	}
	if e.steps&1023 == 0 && e.ctx != nil {
		if err := e.ctx.Err(); err != nil {
			return e.errf(err, "rendering stopped: %v", err)
		}
	}
	return nil
}

// checked returns a built string if it is within the output limit.
func (e *evaluator) checked(s string) (any, error) {
	if len(s) > e.lim.MaxOutput {
		return nil, e.limit("a string")
	}
	return s, nil
}

// str renders a value as a string within the output limit.
func (e *evaluator) str(v any) (string, error) {
	s, err := toString(v, e.lim.MaxOutput)
	if err != nil {
		return "", e.limit("a value's rendering")
	}
	return s, nil
}

func (e *evaluator) block(nodes []node) error {
	for _, n := range nodes {
		if err := e.node(n); err != nil {
			return err
		}
	}
	return nil
}

func (e *evaluator) node(n node) error {
	e.at = n.position()
	if err := e.step(); err != nil {
		return err
	}
	switch n := n.(type) {
	case *textNode:
		if e.out.str(n.s) != nil {
			return e.limit("the output")
		}
	case *refNode:
		v, defined, err := e.ref(n.ref)
		if err != nil {
			return err
		}
		var s string
		switch {
		case v != nil:
			if s, err = e.str(v); err != nil {
				return err
			}
		case n.quiet || defined:
			// $!quiet renders nothing; so does a null reached from a
			// defined variable ($context.missing, $input.path('$.none')),
			// as AWS renders it.
		default:
			s = n.ref.src // Velocity: an undefined reference renders as written
		}
		if e.out.str(s) != nil {
			return e.limit("the output")
		}
	case *setNode:
		return e.set(n)
	case *ifNode:
		for i, c := range n.conds {
			v, err := e.expr(c)
			if err != nil {
				return err
			}
			if truthy(v) {
				return e.block(n.blocks[i])
			}
		}
		return e.block(n.els)
	case *foreachNode:
		return e.foreach(n)
	case *breakNode:
		if e.loop != nil {
			return errBreak
		}
	case *stopNode:
		return errStop
	}
	return nil
}

func (e *evaluator) set(n *setNode) error {
	v, err := e.expr(n.rhs)
	if err != nil {
		return err
	}
	e.at = n.at
	if v == nil {
		return nil // Velocity 1.7: a null right-hand side leaves the variable as it was
	}
	v = e.own(v)
	lhs := n.lhs
	if len(lhs.chain) == 0 {
		e.vars[lhs.root] = v
		return nil
	}
	target, _, err := e.resolve(lhs, len(lhs.chain)-1)
	if err != nil {
		return err
	}
	last := lhs.chain[len(lhs.chain)-1]
	if last.index != nil {
		k, err := e.expr(last.index)
		if err != nil {
			return err
		}
		if l, ok := target.(*List); ok {
			if i, ok := k.(int64); ok && i >= 0 && i < int64(len(l.items)) {
				l.items[i] = v
			}
			return nil
		}
		ks, err := e.str(k)
		if err != nil {
			return err
		}
		return e.mapPut(target, ks, v)
	}
	return e.mapPut(target, last.name, v)
}

// own copies a caller's Go slice into a template list before it is
// stored, so writes never reach the caller's data by surprise.
func (e *evaluator) own(v any) any { return norm(v) }

func (e *evaluator) mapPut(target any, k string, v any) error {
	switch m := target.(type) {
	case *Map:
		if _, ok := m.m[k]; !ok && len(m.keys) >= e.lim.MaxItems {
			return e.errf(ErrLimit, "a map has more than %d entries", e.lim.MaxItems)
		}
		m.put(k, v)
	case map[string]any:
		if _, ok := m[k]; !ok && len(m) >= e.lim.MaxItems {
			return e.errf(ErrLimit, "a map has more than %d entries", e.lim.MaxItems)
		}
		m[k] = v
	case map[string]string:
		s, err := e.str(v)
		if err != nil {
			return err
		}
		if _, ok := m[k]; !ok && len(m) >= e.lim.MaxItems {
			return e.errf(ErrLimit, "a map has more than %d entries", e.lim.MaxItems)
		}
		m[k] = s
	}
	return nil
}

func (e *evaluator) foreach(n *foreachNode) error {
	v, err := e.expr(n.iter)
	if err != nil {
		return err
	}
	var items []any
	switch c := v.(type) {
	case *List:
		items = append([]any(nil), c.items...)
	case *Map, map[string]any, map[string]string:
		keys, _ := mapKeys(c)
		for _, k := range keys {
			x, _ := mapGet(c, k)
			items = append(items, x)
		}
	default:
		return nil
	}
	if len(items) > e.lim.MaxLoop {
		items = items[:e.lim.MaxLoop]
	}
	oldVar, hadVar := e.vars[n.name]
	oldCount, hadCount := e.vars["velocityCount"]
	oldLoop := e.loop
	defer func() {
		e.loop = oldLoop
		restore(e.vars, n.name, oldVar, hadVar)
		restore(e.vars, "velocityCount", oldCount, hadCount)
	}()
	lp := &loop{}
	e.loop = lp
	for i, item := range items {
		if err := e.step(); err != nil {
			return err
		}
		lp.index, lp.count, lp.more = i, i+1, i+1 < len(items)
		e.vars["velocityCount"] = int64(i + 1)
		if item == nil {
			delete(e.vars, n.name)
		} else {
			e.vars[n.name] = item
		}
		err := e.block(n.body)
		if errors.Is(err, errBreak) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func restore(m map[string]any, k string, v any, had bool) {
	if had {
		m[k] = v
	} else {
		delete(m, k)
	}
}

// ref evaluates a reference; defined reports whether its root variable
// exists (a null from a defined root renders empty, an undefined root as
// written).
func (e *evaluator) ref(r *reference) (any, bool, error) {
	return e.resolve(r, len(r.chain))
}

// resolve evaluates the root and the first n selectors of a reference.
func (e *evaluator) resolve(r *reference, n int) (any, bool, error) {
	v, defined := e.root(r.root)
	for i := 0; i < n && v != nil; i++ {
		if err := e.step(); err != nil {
			return nil, defined, err
		}
		s := r.chain[i]
		var err error
		switch {
		case s.index != nil:
			var k any
			if k, err = e.expr(s.index); err != nil {
				return nil, defined, err
			}
			v, err = e.index(v, k)
		case s.call:
			args := make([]any, len(s.args))
			for j, a := range s.args {
				if args[j], err = e.expr(a); err != nil {
					return nil, defined, err
				}
			}
			e.at = s.at
			v, err = e.call(v, s.name, args)
		default:
			v, err = e.prop(v, s.name)
		}
		if err != nil {
			return nil, defined, err
		}
	}
	return v, defined, nil
}

func (e *evaluator) root(name string) (any, bool) {
	if v, ok := e.vars[name]; ok {
		return v, true
	}
	switch name {
	case "input":
		return inputObj{}, true
	case "util":
		return utilObj{}, true
	case "context":
		c := e.req.Context()
		if c == nil {
			return map[string]any{}, true
		}
		return c, true
	case "stageVariables":
		s := e.req.StageVariables()
		if s == nil {
			return map[string]string{}, true
		}
		return s, true
	case "foreach":
		if e.loop != nil {
			return e.loop, true
		}
	}
	return nil, false
}

func (e *evaluator) index(v, k any) (any, error) {
	switch c := v.(type) {
	case *List:
		i, ok := k.(int64)
		if !ok {
			return nil, nil
		}
		if i < 0 {
			i += int64(len(c.items))
		}
		if i < 0 || i >= int64(len(c.items)) {
			return nil, nil
		}
		return c.items[i], nil
	case *Map, map[string]any, map[string]string:
		ks, err := e.str(k)
		if err != nil {
			return nil, err
		}
		x, _ := mapGet(c, ks)
		return x, nil
	}
	return nil, nil
}

// prop is $x.name: a map's entry, $foreach's fields, $input.body; else
// Velocity's getName()/isName() where one of the methods below has it.
func (e *evaluator) prop(v any, name string) (any, error) {
	switch c := v.(type) {
	case inputObj:
		return e.inputCall(name, nil, false)
	case *loop:
		switch name {
		case "hasNext":
			return c.more, nil
		case "count":
			return int64(c.count), nil
		case "index":
			return int64(c.index), nil
		case "first":
			return c.index == 0, nil
		case "last":
			return !c.more, nil
		}
		return nil, nil
	case *Map, map[string]any, map[string]string:
		x, _ := mapGet(c, name)
		return x, nil
	case entry:
		switch name {
		case "key":
			return c.key, nil
		case "value":
			return c.val, nil
		}
		return nil, nil
	}
	if name == "" {
		return nil, nil
	}
	getter := strings.ToUpper(name[:1]) + name[1:]
	if r, err := e.call(v, "get"+getter, nil); r != nil || err != nil {
		return r, err
	}
	return e.call(v, "is"+getter, nil)
}

// call is a method call on a value. An unknown method gives null, as in
// Velocity (which logs it).
func (e *evaluator) call(v any, name string, args []any) (any, error) {
	switch c := v.(type) {
	case inputObj:
		return e.inputCall(name, args, true)
	case utilObj:
		return e.utilCall(name, args)
	case string:
		return e.stringCall(c, name, args)
	case *List:
		return e.listCall(c, name, args)
	case *Map, map[string]any, map[string]string:
		return e.mapCall(c, name, args)
	case entry:
		switch name {
		case "getKey":
			return c.key, nil
		case "getValue":
			return c.val, nil
		}
	case *loop:
		if len(args) == 0 {
			switch name {
			case "hasNext":
				return c.more, nil
			case "getCount":
				return int64(c.count), nil
			case "getIndex":
				return int64(c.index), nil
			}
		}
		return nil, nil
	}
	switch name {
	case "toString":
		return e.str(v)
	case "equals":
		if len(args) == 1 {
			return equal(v, args[0], e.lim.MaxOutput), nil
		}
	case "intValue", "longValue":
		if f, ok := number(v); ok {
			return int64(f), nil
		}
	case "doubleValue", "floatValue":
		if f, ok := number(v); ok {
			return f, nil
		}
	}
	return nil, nil
}

func intArg(args []any, i int) (int, bool) {
	if i >= len(args) {
		return 0, false
	}
	switch n := args[i].(type) {
	case int64:
		if n < math.MinInt32 || n > math.MaxInt32 {
			return 0, false
		}
		return int(n), true
	}
	return 0, false
}

func (e *evaluator) strArgs(args []any, want int) ([]string, bool, error) {
	if len(args) != want {
		return nil, false, nil
	}
	out := make([]string, want)
	for i, a := range args {
		if a == nil {
			return nil, false, nil
		}
		s, err := e.str(a)
		if err != nil {
			return nil, false, err
		}
		out[i] = s
	}
	return out, true, nil
}

// stringCall is java.lang.String's methods that templates use. Offsets
// count UTF-16 units in Java; here they count characters (runes), which
// agree outside the astral planes.
func (e *evaluator) stringCall(s, name string, args []any) (any, error) {
	switch name {
	case "length", "size":
		if len(args) == 0 {
			return int64(len([]rune(s))), nil
		}
	case "isEmpty":
		if len(args) == 0 {
			return s == "", nil
		}
	case "toString", "trim", "toLowerCase", "toUpperCase":
		if len(args) == 0 {
			switch name {
			case "trim":
				return strings.Trim(s, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f "), nil
			case "toLowerCase":
				return strings.ToLower(s), nil
			case "toUpperCase":
				return strings.ToUpper(s), nil
			}
			return s, nil
		}
	case "substring":
		r := []rune(s)
		b, ok := intArg(args, 0)
		if !ok || b < 0 || b > len(r) {
			return nil, nil
		}
		end := len(r)
		if len(args) == 2 {
			if end, ok = intArg(args, 1); !ok || end < b || end > len(r) {
				return nil, nil
			}
		}
		return string(r[b:end]), nil
	case "charAt":
		r := []rune(s)
		i, ok := intArg(args, 0)
		if !ok || i < 0 || i >= len(r) {
			return nil, nil
		}
		return string(r[i]), nil
	case "equals", "equalsIgnoreCase":
		if len(args) == 1 {
			o, ok := args[0].(string)
			if !ok {
				return false, nil
			}
			if name == "equals" {
				return s == o, nil
			}
			return strings.EqualFold(s, o), nil
		}
	}
	if name == "concat" || name == "contains" || name == "startsWith" || name == "endsWith" ||
		name == "indexOf" || name == "lastIndexOf" || name == "matches" || name == "split" {
		a, ok, err := e.strArgs(args, 1)
		if err != nil || !ok {
			return nil, err
		}
		switch name {
		case "concat":
			return e.checked(s + a[0])
		case "contains":
			return strings.Contains(s, a[0]), nil
		case "startsWith":
			return strings.HasPrefix(s, a[0]), nil
		case "endsWith":
			return strings.HasSuffix(s, a[0]), nil
		case "indexOf", "lastIndexOf":
			i := strings.Index(s, a[0])
			if name == "lastIndexOf" {
				i = strings.LastIndex(s, a[0])
			}
			if i < 0 {
				return int64(-1), nil
			}
			return int64(len([]rune(s[:i]))), nil
		case "matches":
			re, err := javaRegexp("^(?:" + a[0] + ")$")
			if err != nil {
				return nil, nil
			}
			return re.MatchString(s), nil
		case "split":
			re, err := javaRegexp(a[0])
			if err != nil {
				return nil, nil
			}
			parts := re.Split(s, e.lim.MaxItems+1)
			if len(parts) > e.lim.MaxItems {
				return nil, e.errf(ErrLimit, "split gives more than %d parts", e.lim.MaxItems)
			}
			for len(parts) > 0 && parts[len(parts)-1] == "" { // Java drops trailing empty strings
				parts = parts[:len(parts)-1]
			}
			l := &List{items: make([]any, len(parts))}
			for i, p := range parts {
				l.items[i] = p
			}
			return l, nil
		}
	}
	if name == "replace" || name == "replaceAll" || name == "replaceFirst" {
		a, ok, err := e.strArgs(args, 2)
		if err != nil || !ok {
			return nil, err
		}
		var out string
		switch name {
		case "replace":
			out = strings.ReplaceAll(s, a[0], a[1])
		case "replaceAll", "replaceFirst":
			re, err := javaRegexp(a[0])
			if err != nil {
				return nil, nil
			}
			repl := javaReplacement(a[1])
			if name == "replaceAll" {
				out = re.ReplaceAllString(s, repl)
			} else if loc := re.FindStringSubmatchIndex(s); loc != nil {
				var dst []byte
				dst = re.ExpandString(dst, repl, s, loc)
				out = s[:loc[0]] + string(dst) + s[loc[1]:]
			} else {
				out = s
			}
		}
		return e.checked(out)
	}
	return nil, nil
}

// javaRegexp compiles a java.util.regex pattern with Go's RE2 (linear
// time: a template cannot make it backtrack). Constructs RE2 lacks
// (lookaround, backreferences) fail to compile and the call gives null.
func javaRegexp(p string) (*regexp.Regexp, error) {
	if len(p) > 4096 {
		return nil, errTooLarge
	}
	return regexp.Compile(p)
}

// javaReplacement turns Java's $1 and \$ into Go's ${1} and $$.
func javaReplacement(r string) string {
	var b strings.Builder
	for i := 0; i < len(r); i++ {
		c := r[i]
		switch {
		case c == '\\' && i+1 < len(r):
			i++
			if r[i] == '$' {
				b.WriteString("$$")
			} else {
				b.WriteByte(r[i])
			}
		case c == '$':
			j := i + 1
			for j < len(r) && isDigit(r[j]) {
				j++
			}
			if j == i+1 {
				b.WriteString("$$")
				continue
			}
			b.WriteString("${" + r[i+1:j] + "}")
			i = j - 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func (e *evaluator) listCall(l *List, name string, args []any) (any, error) {
	switch name {
	case "size":
		return int64(len(l.items)), nil
	case "isEmpty":
		return len(l.items) == 0, nil
	case "get":
		if i, ok := intArg(args, 0); ok && len(args) == 1 && i >= 0 && i < len(l.items) {
			return l.items[i], nil
		}
		return nil, nil
	case "contains", "indexOf":
		if len(args) != 1 {
			return nil, nil
		}
		for i, x := range l.items {
			if equal(x, args[0], e.lim.MaxOutput) {
				if name == "indexOf" {
					return int64(i), nil
				}
				return true, nil
			}
		}
		if name == "indexOf" {
			return int64(-1), nil
		}
		return false, nil
	case "add":
		if len(args) != 1 {
			return nil, nil
		}
		if len(l.items) >= e.lim.MaxItems {
			return nil, e.errf(ErrLimit, "a list has more than %d items", e.lim.MaxItems)
		}
		l.items = append(l.items, e.own(args[0]))
		return true, nil
	case "set":
		if i, ok := intArg(args, 0); ok && len(args) == 2 && i >= 0 && i < len(l.items) {
			old := l.items[i]
			l.items[i] = e.own(args[1])
			return old, nil
		}
		return nil, nil
	case "remove":
		if i, ok := intArg(args, 0); ok && len(args) == 1 && i >= 0 && i < len(l.items) {
			old := l.items[i]
			l.items = append(l.items[:i:i], l.items[i+1:]...)
			return old, nil
		}
		return nil, nil
	case "toString":
		return e.str(l)
	case "equals":
		if len(args) == 1 {
			return equal(l, args[0], e.lim.MaxOutput), nil
		}
	}
	return nil, nil
}

func (e *evaluator) mapCall(m any, name string, args []any) (any, error) {
	key := func() (string, bool, error) {
		if len(args) < 1 || args[0] == nil {
			return "", false, nil
		}
		k, err := e.str(args[0])
		return k, err == nil, err
	}
	switch name {
	case "get", "containsKey", "remove":
		if len(args) != 1 {
			return nil, nil
		}
		k, ok, err := key()
		if err != nil || !ok {
			return nil, err
		}
		x, found := mapGet(m, k)
		switch name {
		case "containsKey":
			return found, nil
		case "remove":
			switch c := m.(type) {
			case *Map:
				return c.remove(k), nil
			case map[string]any:
				delete(c, k)
			case map[string]string:
				delete(c, k)
			}
		}
		return x, nil
	case "put":
		if len(args) != 2 {
			return nil, nil
		}
		k, ok, err := key()
		if err != nil || !ok {
			return nil, err
		}
		old, _ := mapGet(m, k)
		if args[1] == nil {
			return old, nil
		}
		return old, e.mapPut(m, k, e.own(args[1]))
	case "size":
		keys, _ := mapKeys(m)
		return int64(len(keys)), nil
	case "isEmpty":
		keys, _ := mapKeys(m)
		return len(keys) == 0, nil
	case "keySet", "values", "entrySet":
		keys, _ := mapKeys(m)
		l := &List{items: make([]any, len(keys))}
		for i, k := range keys {
			x, _ := mapGet(m, k)
			switch name {
			case "keySet":
				l.items[i] = k
			case "values":
				l.items[i] = x
			default:
				l.items[i] = entry{key: k, val: x}
			}
		}
		return l, nil
	case "containsValue":
		if len(args) != 1 {
			return nil, nil
		}
		keys, _ := mapKeys(m)
		for _, k := range keys {
			x, _ := mapGet(m, k)
			if equal(x, args[0], e.lim.MaxOutput) {
				return true, nil
			}
		}
		return false, nil
	case "toString":
		return e.str(m)
	case "equals":
		if len(args) == 1 {
			return equal(m, args[0], e.lim.MaxOutput), nil
		}
	}
	return nil, nil
}

func (e *evaluator) expr(x expr) (any, error) {
	if err := e.step(); err != nil {
		return nil, err
	}
	switch x := x.(type) {
	case *litExpr:
		return x.v, nil
	case *strExpr:
		saved := e.out
		e.out = writer{max: e.lim.MaxOutput}
		err := e.block(x.parts)
		s := string(e.out.b)
		e.out = saved
		if err != nil {
			return nil, err
		}
		return s, nil
	case *refExpr:
		v, _, err := e.ref(x.ref)
		return v, err
	case *listExpr:
		l := &List{items: make([]any, 0, len(x.items))}
		for _, it := range x.items {
			v, err := e.expr(it)
			if err != nil {
				return nil, err
			}
			l.items = append(l.items, v)
		}
		return l, nil
	case *rangeExpr:
		lo, err := e.expr(x.lo)
		if err != nil {
			return nil, err
		}
		hi, err := e.expr(x.hi)
		if err != nil {
			return nil, err
		}
		a, ok1 := lo.(int64)
		b, ok2 := hi.(int64)
		if !ok1 || !ok2 {
			return nil, nil
		}
		n := b - a
		if n < 0 {
			n = -n
		}
		if n >= int64(e.lim.MaxItems) {
			e.at = x.at
			return nil, e.errf(ErrLimit, "range [%d..%d] has more than %d items", a, b, e.lim.MaxItems)
		}
		l := &List{items: make([]any, 0, n+1)}
		step := int64(1)
		if b < a {
			step = -1
		}
		for i := a; ; i += step {
			l.items = append(l.items, i)
			if i == b {
				break
			}
		}
		return l, nil
	case *mapExpr:
		m := newMap()
		for i := range x.keys {
			k, err := e.expr(x.keys[i])
			if err != nil {
				return nil, err
			}
			v, err := e.expr(x.vals[i])
			if err != nil {
				return nil, err
			}
			ks, err := e.str(k)
			if err != nil {
				return nil, err
			}
			m.put(ks, v)
		}
		return m, nil
	case *unaryExpr:
		v, err := e.expr(x.x)
		if err != nil {
			return nil, err
		}
		if x.op == "!" {
			return !truthy(v), nil
		}
		switch n := v.(type) {
		case int64:
			return -n, nil
		case float64:
			return -n, nil
		}
		return nil, nil
	case *binaryExpr:
		return e.binary(x)
	}
	return nil, nil
}

func (e *evaluator) binary(x *binaryExpr) (any, error) {
	l, err := e.expr(x.l)
	if err != nil {
		return nil, err
	}
	switch x.op {
	case "&&":
		if !truthy(l) {
			return false, nil
		}
		r, err := e.expr(x.r)
		return truthy(r), err
	case "||":
		if truthy(l) {
			return true, nil
		}
		r, err := e.expr(x.r)
		return truthy(r), err
	}
	r, err := e.expr(x.r)
	if err != nil {
		return nil, err
	}
	e.at = x.at
	switch x.op {
	case "==":
		return equal(l, r, e.lim.MaxOutput), nil
	case "!=":
		return !equal(l, r, e.lim.MaxOutput), nil
	case "<", "<=", ">", ">=":
		a, ok1 := number(l)
		b, ok2 := number(r)
		if !ok1 || !ok2 {
			sa, okA := l.(string)
			sb, okB := r.(string)
			if !okA || !okB {
				return false, nil
			}
			c := strings.Compare(sa, sb)
			a, b = float64(c), 0
		}
		switch x.op {
		case "<":
			return a < b, nil
		case "<=":
			return a <= b, nil
		case ">":
			return a > b, nil
		}
		return a >= b, nil
	case "+":
		_, ls := l.(string)
		_, rs := r.(string)
		if ls || rs {
			if l == nil || r == nil {
				return nil, nil
			}
			a, err := e.str(l)
			if err != nil {
				return nil, err
			}
			b, err := e.str(r)
			if err != nil {
				return nil, err
			}
			return e.checked(a + b)
		}
	}
	return arith(x.op, l, r), nil
}

// arith is + - * / % on numbers: integers stay integers (division
// truncates), a float makes a float; division by zero gives null.
func arith(op string, l, r any) any {
	a, aInt := l.(int64)
	b, bInt := r.(int64)
	if aInt && bInt {
		switch op {
		case "+":
			return a + b
		case "-":
			return a - b
		case "*":
			return a * b
		case "/", "%":
			if b == 0 || (a == math.MinInt64 && b == -1) {
				return nil
			}
			if op == "/" {
				return a / b
			}
			return a % b
		}
	}
	fa, ok1 := number(l)
	fb, ok2 := number(r)
	if !ok1 || !ok2 {
		return nil
	}
	switch op {
	case "+":
		return fa + fb
	case "-":
		return fa - fb
	case "*":
		return fa * fb
	case "/":
		if fb == 0 {
			return nil
		}
		return fa / fb
	case "%":
		if fb == 0 {
			return nil
		}
		return math.Mod(fa, fb)
	}
	return nil
}
