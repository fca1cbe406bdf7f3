package vtl

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Values a template handles: nil, string, bool, int64, float64, *List,
// *Map, and the caller's map[string]any / map[string]string (from
// Request.Context and StageVariables), read and written in place.

// List is a Java list. JSON lists (from $input.path, $util.parseJson)
// render as JSON, as AWS's JSONPath arrays do; lists a template builds
// render as Java's ArrayList does: [a, b].
type List struct {
	items []any
	json  bool
}

// Map is a Java LinkedHashMap: keys keep their insertion order; it
// renders as {k=v, k2=v2}.
type Map struct {
	keys []string
	m    map[string]any
}

func newMap() *Map { return &Map{m: map[string]any{}} }

func (m *Map) get(k string) (any, bool) {
	v, ok := m.m[k]
	return v, ok
}

func (m *Map) put(k string, v any) any {
	old, ok := m.m[k]
	if !ok {
		m.keys = append(m.keys, k)
	}
	m.m[k] = v
	return old
}

func (m *Map) remove(k string) any {
	old, ok := m.m[k]
	if !ok {
		return nil
	}
	delete(m.m, k)
	m.keys = slices.DeleteFunc(m.keys, func(s string) bool { return s == k })
	return old
}

// entry is one element of $map.entrySet().
type entry struct {
	key string
	val any
}

// norm converts a caller's Go value into the template's value kinds.
func norm(v any) any {
	switch v := v.(type) {
	case int:
		return int64(v)
	case int32:
		return int64(v)
	case uint32:
		return int64(v)
	case float32:
		return float64(v)
	case []string:
		l := &List{items: make([]any, len(v))}
		for i, s := range v {
			l.items[i] = s
		}
		return l
	case []any:
		return &List{items: v}
	}
	return v
}

// mapKeys lists a map's keys in its iteration order (sorted for the
// caller's Go maps, which have none).
func mapKeys(v any) ([]string, bool) {
	switch m := v.(type) {
	case *Map:
		return m.keys, true
	case map[string]any:
		ks := make([]string, 0, len(m))
		for k := range m {
			ks = append(ks, k)
		}
		slices.Sort(ks)
		return ks, true
	case map[string]string:
		ks := make([]string, 0, len(m))
		for k := range m {
			ks = append(ks, k)
		}
		slices.Sort(ks)
		return ks, true
	}
	return nil, false
}

func mapGet(v any, k string) (any, bool) {
	switch m := v.(type) {
	case *Map:
		return m.get(k)
	case map[string]any:
		x, ok := m[k]
		return norm(x), ok
	case map[string]string:
		x, ok := m[k]
		return x, ok
	}
	return nil, false
}

// writer renders values with a byte budget.
type writer struct {
	b   []byte
	max int
}

var errTooLarge = errors.New("too large")

func (w *writer) str(s string) error {
	if len(w.b)+len(s) > w.max {
		return errTooLarge
	}
	w.b = append(w.b, s...)
	return nil
}

// maxDepth bounds how deep a value is rendered (a map may hold itself).
const maxDepth = 64

// toString renders a value as Java's toString would.
func toString(v any, max int) (string, error) {
	if s, ok := v.(string); ok {
		return s, nil
	}
	w := &writer{max: max}
	if err := w.java(v, 0); err != nil {
		return "", err
	}
	return string(w.b), nil
}

func (w *writer) java(v any, depth int) error {
	if depth > maxDepth {
		return w.str("(…)")
	}
	switch v := v.(type) {
	case nil:
		return w.str("null")
	case string:
		return w.str(v)
	case bool:
		return w.str(strconv.FormatBool(v))
	case int64:
		return w.str(strconv.FormatInt(v, 10))
	case float64:
		return w.str(javaDouble(v))
	case *List:
		if v.json {
			return w.json(v, depth)
		}
		if err := w.str("["); err != nil {
			return err
		}
		for i, x := range v.items {
			if i > 0 {
				if err := w.str(", "); err != nil {
					return err
				}
			}
			if err := w.java(x, depth+1); err != nil {
				return err
			}
		}
		return w.str("]")
	case *Map, map[string]any, map[string]string:
		keys, _ := mapKeys(v)
		if err := w.str("{"); err != nil {
			return err
		}
		for i, k := range keys {
			if i > 0 {
				if err := w.str(", "); err != nil {
					return err
				}
			}
			if err := w.str(k + "="); err != nil {
				return err
			}
			x, _ := mapGet(v, k)
			if err := w.java(x, depth+1); err != nil {
				return err
			}
		}
		return w.str("}")
	case entry:
		if err := w.str(v.key + "="); err != nil {
			return err
		}
		return w.java(v.val, depth+1)
	case *loop:
		return w.str("")
	}
	return w.str("")
}

// json renders a value as compact JSON, maps in their key order.
func (w *writer) json(v any, depth int) error {
	if depth > maxDepth {
		return w.str("null")
	}
	switch v := v.(type) {
	case nil:
		return w.str("null")
	case string:
		return w.str(jsonString(v))
	case bool:
		return w.str(strconv.FormatBool(v))
	case int64:
		return w.str(strconv.FormatInt(v, 10))
	case float64:
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return w.str("null")
		}
		return w.str(javaDouble(v))
	case *List:
		if err := w.str("["); err != nil {
			return err
		}
		for i, x := range v.items {
			if i > 0 {
				if err := w.str(","); err != nil {
					return err
				}
			}
			if err := w.json(x, depth+1); err != nil {
				return err
			}
		}
		return w.str("]")
	case *Map, map[string]any, map[string]string:
		keys, _ := mapKeys(v)
		if err := w.str("{"); err != nil {
			return err
		}
		for i, k := range keys {
			if i > 0 {
				if err := w.str(","); err != nil {
					return err
				}
			}
			if err := w.str(jsonString(k) + ":"); err != nil {
				return err
			}
			x, _ := mapGet(v, k)
			if err := w.json(x, depth+1); err != nil {
				return err
			}
		}
		return w.str("}")
	}
	s, err := toString(v, w.max)
	if err != nil {
		return err
	}
	return w.str(jsonString(s))
}

func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte("0123456789abcdef"[r>>4])
			b.WriteByte("0123456789abcdef"[r&0xf])
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte('"')
	return b.String()
}

// javaDouble formats a float as Java's Double.toString does: 1.0, 123.11,
// 1.0E10.
func javaDouble(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	a := math.Abs(f)
	if a == 0 || (a >= 1e-3 && a < 1e7) {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'E', -1, 64) // 1.5E+10
	mant, exp, _ := strings.Cut(s, "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	exp = strings.TrimPrefix(exp, "+")
	neg := strings.HasPrefix(exp, "-")
	exp = strings.TrimLeft(strings.TrimPrefix(exp, "-"), "0")
	if neg {
		exp = "-" + exp
	}
	return mant + "E" + exp
}

// maxJSONDepth bounds the nesting of a parsed JSON document.
const maxJSONDepth = 512

var errJSON = errors.New("not JSON")

// parseJSON parses a document into ordered values: objects become *Map,
// arrays *List (rendering as JSON), integers int64, other numbers float64.
func parseJSON(data string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(data))
	dec.UseNumber()
	v, err := jsonValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err == nil {
		return nil, errJSON // trailing data
	}
	return v, nil
}

func jsonValue(dec *json.Decoder, depth int) (any, error) {
	if depth > maxJSONDepth {
		return nil, errJSON
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, errJSON
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			m := newMap()
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, errJSON
				}
				k, ok := kt.(string)
				if !ok {
					return nil, errJSON
				}
				v, err := jsonValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				m.put(k, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, errJSON
			}
			return m, nil
		case '[':
			l := &List{json: true}
			for dec.More() {
				v, err := jsonValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				l.items = append(l.items, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, errJSON
			}
			return l, nil
		}
		return nil, errJSON
	case json.Number:
		if n, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			return n, nil
		}
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return nil, errJSON
		}
		return f, nil
	case string, bool, nil:
		return t, nil
	}
	return nil, errJSON
}

// jsonText renders a value as JSON (for $input.json).
func jsonText(v any, max int) (string, error) {
	w := &writer{max: max}
	if err := w.json(v, 0); err != nil {
		return "", err
	}
	return string(w.b), nil
}

// equal is Velocity's ==: numbers by value, values of one kind by value,
// others by their rendering.
func equal(a, b any, max int) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if x, ok := number(a); ok {
		if y, ok := number(b); ok {
			return x == y
		}
	}
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			return x == y
		}
	case bool:
		if y, ok := b.(bool); ok {
			return x == y
		}
	}
	sa, err1 := toString(a, max)
	sb, err2 := toString(b, max)
	return err1 == nil && err2 == nil && sa == sb
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

// truthy is Velocity 1.7's #if: null and false are false, all else true.
func truthy(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case bool:
		return v
	}
	return true
}
