package modelschema

import (
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
)

// TestValidate: bodies against compiled models, with the failing pointer
// and rule; references between models resolve without any loader.
func TestValidate(t *testing.T) {
	models := map[string]*apigw.Model{
		"1": {ID: "1", Name: "Status", Schema: `{"type":"object","properties":{"Status":{"type":"string"},"Order":{"type":"integer"}},"required":["Status","Order"]}`},
		"2": {ID: "2", Name: "Test", Schema: `{"type":"object","properties":{"status":{"oneOf":[{"type":"null"},{"$ref":"https://apigateway.amazonaws.com/restapis/a1/models/Status"}]}},"required":["status"]}`},
		"3": {ID: "3", Name: "Calc", Schema: `{"$schema":"http://json-schema.org/draft-04/schema#","type":"object","properties":{"a":{"type":"number"}},"required":["a"]}`},
	}
	set := Compile("a1", models)
	tests := []struct {
		model, body   string
		ok            bool
		pointer, rule string
	}{
		{"Calc", `{"a":1}`, true, "", ""},
		{"Calc", `{"a":"x"}`, false, "/a", "type"},
		{"Calc", ``, false, "", "required"},
		{"Calc", `{"a":1} x`, false, "", "json"},
		{"Test", `{"status":null}`, true, "", ""},
		{"Test", `{"status":{"Status":"s","Order":1}}`, true, "", ""},
		{"Test", `{"status":{"Status":"s"}}`, false, "/status", ""},
		{"Test", `{}`, false, "", "required"},
	}
	for _, tc := range tests {
		f := set.Schema(tc.model).Validate([]byte(tc.body))
		if (f == nil) != tc.ok {
			t.Errorf("%s %q: failure %v, want ok=%v", tc.model, tc.body, f, tc.ok)
			continue
		}
		if f == nil {
			continue
		}
		if f.Pointer != tc.pointer || (tc.rule != "" && f.Rule != tc.rule) {
			t.Errorf("%s %q: pointer %q rule %q, want %q %q (%s)", tc.model, tc.body, f.Pointer, f.Rule, tc.pointer, tc.rule, f)
		}
	}
}

// TestCheckModel: AWS's refusals of a model schema.
func TestCheckModel(t *testing.T) {
	other := &apigw.Model{ID: "o", Name: "Other", Schema: `{"type":"object"}`}
	tests := []struct{ schema, want string }{
		{`{"type":"object"}`, ""},
		{``, MsgEmptySchema},
		{`[]`, "must be a JSON object"},
		{`{"type":7}`, "Invalid model schema specified"},
		{`{"$ref":"http://example.com/x"}`, "Model reference must be in canonical form"},
		{`{"$ref":"https://apigateway.amazonaws.com/restapis/zz/models/Other"}`, "Model reference must be in canonical form"},
		{`{"$ref":"https://apigateway.amazonaws.com/restapis/a1/models/Other"}`, ""},
		{`{"$ref":"https://apigateway.amazonaws.com/restapis/a1/models/Gone"}`, "Invalid model specified: Gone"},
		{`{"definitions":{"x":{"type":"string"}},"$ref":"#/definitions/x"}`, ""},
	}
	for _, tc := range tests {
		m := &apigw.Model{ID: "m", Name: "M", Schema: tc.schema}
		err := CheckModel("a1", m, map[string]*apigw.Model{"o": other, "m": m})
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q: %v", tc.schema, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%q: error %v, want one containing %q", tc.schema, err, tc.want)
		}
	}
}
