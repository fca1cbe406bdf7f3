package modelschema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
)

// AWS's texts for a refused model schema (CreateModel, UpdateModel).
const (
	// MsgEmptySchema is AWS's answer to a model without a schema.
	MsgEmptySchema   = "Model schema must have at least 1 property or array items defined"
	msgInvalidPrefix = "Invalid model specified: Validation Result: warnings : [], errors : ["
	// msgInvalidSchema is AWS's text for a schema it cannot take.
	msgInvalidSchema = "Invalid model schema specified"
	// msgNotCanonical is AWS's text for a $ref that is not a model's
	// canonical URL.
	msgNotCanonical = "Model reference must be in canonical form"
)

// SchemaError is a model schema refused: Message is the whole AWS-style
// text for the client.
type SchemaError struct {
	Model   string
	Message string
	Err     error
}

func (e *SchemaError) Error() string { return e.Message }
func (e *SchemaError) Unwrap() error { return e.Err }

func invalid(model string, err error, items ...string) *SchemaError {
	return &SchemaError{Model: model, Message: msgInvalidPrefix + strings.Join(items, ", ") + "]", Err: err}
}

// parse reads a model's schema text: one JSON object.
func parse(m *apigw.Model) (map[string]any, error) {
	if strings.TrimSpace(m.Schema) == "" {
		return nil, &SchemaError{Model: m.Name, Message: MsgEmptySchema}
	}
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(m.Schema))
	if err != nil {
		return nil, invalid(m.Name, err, msgInvalidSchema+": the schema of model "+m.Name+" is not JSON ("+err.Error()+")")
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return nil, invalid(m.Name, nil, msgInvalidSchema+": the schema of model "+m.Name+" must be a JSON object")
	}
	return obj, nil
}

// refs returns every "$ref" string in a schema document.
func refs(v any, out []string) []string {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if s, ok := e.(string); ok && k == "$ref" {
				out = append(out, s)
				continue
			}
			out = refs(e, out)
		}
	case []any:
		for _, e := range t {
			out = refs(e, out)
		}
	}
	return out
}

// checkRefs applies AWS's reference rule: a $ref is local ("#…") or the
// canonical URL of a model of the same API that exists in models.
func checkRefs(apiID, name string, doc map[string]any, models map[string]*apigw.Model) error {
	for _, r := range refs(doc, nil) {
		if strings.HasPrefix(r, "#") {
			continue
		}
		target, _, _ := strings.Cut(r, "#")
		id, ref, ok := apigw.ParseModelURL(target)
		if !ok || id != apiID {
			return invalid(name, nil, msgInvalidSchema, msgNotCanonical+": "+r+" (a model refers to another model of the API as "+apigw.ModelURL(apiID, "{name}")+")")
		}
		if apigw.ModelByName(models, ref) == nil {
			return invalid(name, nil, "Invalid model specified: "+ref)
		}
	}
	return nil
}

// noLoader refuses every URL not added to the compiler: a model's
// references never reach the network or the file system.
type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("%s is not a model of this API", url)
}

// compiler returns a compiler holding every model of the API whose schema
// parses, under its canonical URL.
func compiler(apiID string, models map[string]*apigw.Model) *jsonschema.Compiler {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	c.UseLoader(noLoader{})
	for _, m := range models {
		if doc, err := parse(m); err == nil {
			_ = c.AddResource(apigw.ModelURL(apiID, m.Name), doc) // names are unique
		}
	}
	return c
}

// CheckModel checks model m as one of the API's models (models holds the
// API's models with m among them): its schema is a JSON object, a JSON
// Schema that compiles, whose references name models of the API. The
// error is a *SchemaError with AWS's text.
func CheckModel(apiID string, m *apigw.Model, models map[string]*apigw.Model) error {
	doc, err := parse(m)
	if err != nil {
		return err
	}
	if err := checkRefs(apiID, m.Name, doc, models); err != nil {
		return err
	}
	if _, err := compiler(apiID, models).Compile(apigw.ModelURL(apiID, m.Name)); err != nil {
		return invalid(m.Name, err, msgInvalidSchema+": "+firstLine(err.Error()))
	}
	return nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// Set is a deployment's models, compiled. It is immutable and safe for
// concurrent use.
type Set struct {
	byName map[string]*Schema
}

// Schema is one compiled model (Err set when it does not compile).
type Schema struct {
	Name string
	s    *jsonschema.Schema
	// Err says why the model cannot be compiled (nil when it can).
	Err error
}

// Compile compiles every model of an API (a deployment's snapshot). A
// model that fails to compile is kept with its Err, so that a request
// naming it can say why; the others are unaffected.
func Compile(apiID string, models map[string]*apigw.Model) *Set {
	set := &Set{byName: make(map[string]*Schema, len(models))}
	if len(models) == 0 {
		return set
	}
	c := compiler(apiID, models)
	for _, m := range models {
		sc := &Schema{Name: m.Name}
		if _, err := parse(m); err != nil {
			sc.Err = err
		} else if s, err := c.Compile(apigw.ModelURL(apiID, m.Name)); err != nil {
			sc.Err = fmt.Errorf("model %s: %w", m.Name, err)
		} else {
			sc.s = s
		}
		set.byName[m.Name] = sc
	}
	return set
}

// Schema returns the compiled model called name (nil when none).
func (s *Set) Schema(name string) *Schema {
	if s == nil {
		return nil
	}
	return s.byName[name]
}

// Failure says why a body does not match a model: Pointer is the JSON
// pointer of the failing value ("" for the whole body), Rule the schema
// keyword it fails ("required", "type", …; "json" when the body is not
// JSON), Message the validator's sentence.
type Failure struct {
	Pointer, Rule, Message string
}

func (f *Failure) String() string {
	p := f.Pointer
	if p == "" {
		p = "/"
	}
	return fmt.Sprintf("at %s: %s (%s)", p, f.Message, f.Rule)
}

var printer = message.NewPrinter(language.English)

// Validate checks a request body against the model. An empty body is
// taken as {} (an absent payload), as AWS's validation does. It returns
// nil when the body matches.
func (sc *Schema) Validate(body []byte) *Failure {
	if sc.Err != nil {
		return &Failure{Rule: "model", Message: "model " + sc.Name + " cannot be compiled: " + firstLine(sc.Err.Error())}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		msg := err.Error()
		var se *json.SyntaxError
		if errors.As(err, &se) {
			msg = fmt.Sprintf("%s (at byte %d)", se.Error(), se.Offset)
		}
		return &Failure{Rule: "json", Message: "the body is not JSON: " + msg}
	}
	err = sc.s.Validate(v)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return &Failure{Rule: "schema", Message: err.Error()}
	}
	leaf := ve
	for len(leaf.Causes) > 0 {
		leaf = leaf.Causes[0]
	}
	f := &Failure{Pointer: pointer(leaf.InstanceLocation), Message: leaf.ErrorKind.LocalizedString(printer)}
	if kp := leaf.ErrorKind.KeywordPath(); len(kp) > 0 {
		f.Rule = kp[len(kp)-1]
	}
	return f
}

// pointer renders an instance location as a JSON pointer (RFC 6901).
func pointer(loc []string) string {
	if len(loc) == 0 {
		return ""
	}
	var b strings.Builder
	for _, p := range loc {
		b.WriteByte('/')
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(p))
	}
	return b.String()
}

// Names returns the names of the set's models, sorted.
func (s *Set) Names() []string {
	out := make([]string, 0, len(s.byName))
	for n := range s.byName {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}
