package apidef_test

import (
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/apidef"
)

// TestModelSchema: local references become the API's model URLs, at any
// depth; other references and schemas without any are left alone.
func TestModelSchema(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"type":"string"}`, `{"type":"string"}`},
		{`{"items":{"$ref":"#/components/schemas/Pet"},"type":"array"}`, `{"items":{"$ref":"https://apigateway.amazonaws.com/restapis/a1/models/Pet"},"type":"array"}`},
		{`{"allOf":[{"$ref":"#/components/schemas/A"},{"$ref":"#/definitions/B"}]}`, `{"allOf":[{"$ref":"https://apigateway.amazonaws.com/restapis/a1/models/A"},{"$ref":"#/definitions/B"}]}`},
	} {
		got, err := apidef.ModelSchema(tc.in, "a1")
		if err != nil || got != tc.want {
			t.Errorf("ModelSchema(%s) = %s, %v; want %s", tc.in, got, err, tc.want)
		}
	}
	if _, err := apidef.ModelSchema(`{"$ref":"#/components/schemas/A"`, "a1"); err == nil {
		t.Error("ModelSchema of broken JSON: no error")
	}
}
