package vtl

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Request is what a template reads of the request being mapped: the
// caller (the gateway) fills it, so this package needs nothing of the
// gateway.
type Request interface {
	// Body is the payload: the method request's body for a request
	// template, the integration's answer for a response template.
	Body() string
	// Params returns the parameters at one location: "path",
	// "querystring" or "header". The map is read, never written.
	Params(location string) map[string]string
	// Context is $context: requestId, stage, resourcePath, httpMethod,
	// identity (a map), authorizer (a map), … Templates may write into it
	// (#set($context.responseOverride.status = 400)); the caller reads
	// such writes back after Render. It may be nil.
	Context() map[string]any
	// StageVariables is $stageVariables. It may be nil.
	StageVariables() map[string]string
}

// Data is a Request held in plain fields.
type Data struct {
	Payload   string
	Path      map[string]string
	Query     map[string]string
	Header    map[string]string
	Ctx       map[string]any
	StageVars map[string]string
}

func (d Data) Body() string { return d.Payload }

func (d Data) Params(location string) map[string]string {
	switch location {
	case "path":
		return d.Path
	case "querystring":
		return d.Query
	case "header":
		return d.Header
	}
	return nil
}

func (d Data) Context() map[string]any { return d.Ctx }

func (d Data) StageVariables() map[string]string { return d.StageVars }

// inputObj is $input, utilObj $util.
type inputObj struct{}

type utilObj struct{}

var paramLocations = [...]string{"path", "querystring", "header"}

// body parses the request body as JSON once per render.
func (e *evaluator) body() (any, bool) {
	if !e.bodyDone {
		e.bodyDone = true
		b := e.req.Body()
		if strings.TrimSpace(b) != "" {
			e.bodyVal, e.bodyErr = parseJSON(b)
			e.bodyOK = e.bodyErr == nil
		}
	}
	return e.bodyVal, e.bodyOK
}

// inputCall is $input's methods and properties.
func (e *evaluator) inputCall(name string, args []any, call bool) (any, error) {
	switch {
	case name == "body" && !call, name == "getBody" && call && len(args) == 0:
		return e.req.Body(), nil
	case name == "params" && call && len(args) == 0:
		all := newMap()
		for _, loc := range paramLocations {
			m := newMap()
			ps := e.req.Params(loc)
			keys, _ := mapKeys(ps)
			for _, k := range keys {
				m.put(k, ps[k])
			}
			all.put(loc, m)
		}
		return all, nil
	case name == "params" && call && len(args) == 1:
		n, err := e.str(args[0])
		if err != nil {
			return nil, err
		}
		for _, loc := range paramLocations {
			ps := e.req.Params(loc)
			if v, ok := ps[n]; ok {
				return v, nil
			}
			if loc == "header" {
				for k, v := range ps {
					if strings.EqualFold(k, n) {
						return v, nil
					}
				}
			}
		}
		return "", nil
	case (name == "json" || name == "path") && call && len(args) == 1:
		path, err := e.str(args[0])
		if err != nil {
			return nil, err
		}
		doc, ok := e.body()
		if !ok {
			if name == "json" && strings.TrimSpace(e.req.Body()) == "" {
				return "{}", nil // an empty body is {} to $input.json
			}
			return nil, nil // $input.path of an empty or non-JSON body is null
		}
		v, ok := jsonPath(doc, path)
		if !ok {
			return nil, nil
		}
		if name == "path" {
			return v, nil
		}
		s, err := jsonText(v, e.lim.MaxOutput)
		if err != nil {
			return nil, e.limit("$input.json result")
		}
		return s, nil
	}
	return nil, nil
}

// jsonPath evaluates the JSONPath subset AWS templates use: $, .field,
// ['field'], [n] (negative from the end), [*] and .*; a path with a
// wildcard yields a JSON list of its matches.
func jsonPath(doc any, path string) (any, bool) {
	path = strings.TrimSpace(path)
	if !strings.HasPrefix(path, "$") {
		path = "$." + path
	}
	cur := []any{doc}
	multi := false
	i := 1
	for i < len(path) {
		var next []any
		switch {
		case path[i] == '.':
			i++
			if i < len(path) && path[i] == '*' {
				i++
				multi = true
				for _, c := range cur {
					next = append(next, children(c)...)
				}
				break
			}
			j := i
			for j < len(path) && path[j] != '.' && path[j] != '[' {
				j++
			}
			if j == i {
				return nil, false
			}
			name := path[i:j]
			i = j
			for _, c := range cur {
				if v, ok := mapGet(c, name); ok {
					next = append(next, v)
				}
			}
		case path[i] == '[':
			end := strings.IndexByte(path[i:], ']')
			if end < 0 {
				return nil, false
			}
			sel := strings.TrimSpace(path[i+1 : i+end])
			i += end + 1
			switch {
			case sel == "*":
				multi = true
				for _, c := range cur {
					next = append(next, children(c)...)
				}
			case len(sel) >= 2 && (sel[0] == '\'' || sel[0] == '"') && sel[len(sel)-1] == sel[0]:
				name := sel[1 : len(sel)-1]
				for _, c := range cur {
					if v, ok := mapGet(c, name); ok {
						next = append(next, v)
					}
				}
			default:
				n, err := strconv.Atoi(sel)
				if err != nil {
					return nil, false
				}
				for _, c := range cur {
					l, ok := c.(*List)
					if !ok {
						continue
					}
					k := n
					if k < 0 {
						k += len(l.items)
					}
					if k >= 0 && k < len(l.items) {
						next = append(next, l.items[k])
					}
				}
			}
		default:
			return nil, false
		}
		cur = next
	}
	if multi {
		return &List{items: cur, json: true}, true
	}
	if len(cur) != 1 {
		return nil, false
	}
	return cur[0], true
}

func children(v any) []any {
	switch c := v.(type) {
	case *List:
		return c.items
	case *Map:
		out := make([]any, 0, len(c.keys))
		for _, k := range c.keys {
			out = append(out, c.m[k])
		}
		return out
	}
	return nil
}

// utilCall is $util's functions.
func (e *evaluator) utilCall(name string, args []any) (any, error) {
	if len(args) != 1 {
		return nil, nil
	}
	s, err := e.str(args[0])
	if err != nil {
		return nil, err
	}
	switch name {
	case "escapeJavaScript":
		return e.checked(escapeJavaScript(s))
	case "parseJson":
		v, err := parseJSON(s)
		if err != nil {
			return nil, nil
		}
		return v, nil
	case "urlEncode":
		return e.checked(javaURLEncode(s))
	case "urlDecode":
		d, err := url.QueryUnescape(s)
		if err != nil {
			return nil, nil
		}
		return d, nil
	case "base64Encode":
		return e.checked(base64.StdEncoding.EncodeToString([]byte(s)))
	case "base64Decode":
		d, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, nil
		}
		return string(d), nil
	}
	return nil, nil
}

// escapeJavaScript escapes as Apache Commons Lang's
// StringEscapeUtils.escapeJavaScript, which AWS's $util uses: quotes,
// backslash and slash get a backslash, control characters their short
// escapes or \u00XX, characters beyond ASCII \uXXXX (UTF-16).
func escapeJavaScript(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\'':
			b.WriteString(`\'`)
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '/':
			b.WriteString(`\/`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			switch {
			case r < 0x20:
				fmt.Fprintf(&b, `\u%04X`, r)
			case r <= 0x7f:
				b.WriteRune(r)
			case r == utf8.RuneError:
				b.WriteString(`\uFFFD`)
			case r > 0xffff:
				r -= 0x10000
				fmt.Fprintf(&b, `\u%04X\u%04X`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
			default:
				fmt.Fprintf(&b, `\u%04X`, r)
			}
		}
	}
	return b.String()
}

// javaURLEncode is Java's URLEncoder.encode(s, "UTF-8"): as a query
// component, except that '*' stays and '~' is escaped.
func javaURLEncode(s string) string {
	q := url.QueryEscape(s)
	q = strings.ReplaceAll(q, "%2A", "*")
	return strings.ReplaceAll(q, "~", "%7E")
}

// JSONPath evaluates path (the JSONPath subset of $input.path: $, .field,
// ['field'], [n], [*], .*; "$." may be left out) against the JSON text
// body, as a response parameter mapping integration.response.body.PATH
// reads it: a string as itself, anything else as JSON. ok is false when
// body is not JSON or the path selects nothing.
func JSONPath(body, path string) (string, bool) {
	doc, err := parseJSON(body)
	if err != nil {
		return "", false
	}
	v, ok := jsonPath(doc, path)
	if !ok || v == nil {
		return "", false
	}
	if s, ok := v.(string); ok {
		return s, true
	}
	s, err := jsonText(v, DefaultLimits.MaxOutput)
	if err != nil {
		return "", false
	}
	return s, true
}
