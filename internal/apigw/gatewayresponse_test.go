package apigw

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestGatewayResponseDefaultsMatchAWS compares the catalogue's default
// statuses, as GetGatewayResponses shows them for an uncustomised API,
// with AWS's recorded answer (testdata/gatewayresponse-defaults.golden:
// "TYPE STATUS" per line, "-" for none, in AWS's listing order).
func TestGatewayResponseDefaultsMatchAWS(t *testing.T) {
	b, err := os.ReadFile("testdata/gatewayresponse-defaults.golden")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, typ := range GatewayResponseTypes() {
		gr, ok := EffectiveGatewayResponse(nil, typ)
		if !ok || !gr.Default || gr.ResponseTemplates["application/json"] != DefaultTemplate {
			t.Fatalf("EffectiveGatewayResponse(nil, %s) = %+v, %v", typ, gr, ok)
		}
		st := gr.StatusCode
		if st == "" {
			st = "-"
		}
		got = append(got, typ+" "+st)
	}
	want := strings.Split(strings.TrimSpace(string(b)), "\n")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("defaults (-AWS +catalogue):\n%s", diff)
	}
}

// TestCatalogueShape: every type but the two classes has a status, an
// error type and a class; the answers without a type of their own belong
// to a class or name a type of the catalogue.
func TestCatalogueShape(t *testing.T) {
	types := GatewayResponseTypes()
	if !slices.IsSorted(types) || len(slices.Compact(slices.Clone(types))) != len(types) {
		t.Fatalf("types not sorted and unique: %v", types)
	}
	for _, typ := range types {
		s, _ := ResponseSpecOf(ResponseType(typ))
		isClass := s.Type == ResponseDefault4XX || s.Type == ResponseDefault5XX
		if isClass != (s.Status == 0) || isClass != (s.Type.Class() == "") {
			t.Errorf("%s: status %d, class %q", typ, s.Status, s.Type.Class())
		}
		if !isClass && s.ErrorType == "" {
			t.Errorf("%s has no error type", typ)
		}
	}
	for _, a := range []ResponseSpec{AnswerForbidden, AnswerBadRequest, AnswerIntegrationFailed, AnswerServiceUnavailable} {
		if _, ok := ResponseSpecOf(a.Type); !ok || a.Status < 400 || a.ErrorType == "" || a.Message == "" {
			t.Errorf("answer %+v", a)
		}
		class := a.Type.Class()
		if class == "" {
			class = a.Type
		}
		if want := map[ResponseType]int{ResponseDefault4XX: 4, ResponseDefault5XX: 5}[class]; a.Status/100 != want {
			t.Errorf("answer %+v answers outside its class %s", a, class)
		}
	}
	if AnswerIntegrationFailed.Type != ResponseIntegrationFailure || AnswerIntegrationFailed.Status != 502 {
		t.Errorf("AnswerIntegrationFailed = %+v", AnswerIntegrationFailed)
	}
}

func TestResolveGatewayResponse(t *testing.T) {
	cors := map[string]string{"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"}
	tmpl := map[string]string{"application/json": DefaultTemplate}
	custom := func(typ ResponseType, status string) map[string]*GatewayResponse {
		return map[string]*GatewayResponse{string(typ): {Type: string(typ), StatusCode: status, ResponseParameters: cors, ResponseTemplates: tmpl}}
	}
	both := func(a, b map[string]*GatewayResponse) map[string]*GatewayResponse {
		m := map[string]*GatewayResponse{}
		for k, v := range a {
			m[k] = v
		}
		for k, v := range b {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name       string
		custom     map[string]*GatewayResponse
		spec       ResponseSpec
		status     int
		customised bool
	}{
		{"nothing customised: the answer's own 502", nil, AnswerIntegrationFailed, 502, false},
		{"nothing customised: the type's 504", nil, AnswerOf(ResponseIntegrationTimeout), 504, false},
		{"DEFAULT_5XX with a header only keeps 502", custom(ResponseDefault5XX, ""), AnswerIntegrationFailed, 502, true},
		{"DEFAULT_5XX with a header only keeps 504", custom(ResponseDefault5XX, ""), AnswerOf(ResponseIntegrationTimeout), 504, true},
		{"DEFAULT_5XX with a status sets it", custom(ResponseDefault5XX, "500"), AnswerIntegrationFailed, 500, true},
		{"type put without a status (stored default) keeps 502", custom(ResponseIntegrationFailure, "504"), AnswerIntegrationFailed, 502, true},
		{"type with its own status sets it", custom(ResponseIntegrationFailure, "503"), AnswerIntegrationFailed, 503, true},
		{"type wins over its class", both(custom(ResponseDefault5XX, "500"), custom(ResponseIntegrationFailure, "504")), AnswerIntegrationFailed, 502, true},
		{"other class does not apply", custom(ResponseDefault4XX, "400"), AnswerIntegrationFailed, 502, false},
		{"INVALID_API_KEY set to 429", custom(ResponseInvalidAPIKey, "429"), AnswerOf(ResponseInvalidAPIKey), 429, true},
		{"DEFAULT_4XX status reaches INVALID_API_KEY", custom(ResponseDefault4XX, "401"), AnswerOf(ResponseInvalidAPIKey), 401, true},
		{"class answer takes its class's status", custom(ResponseDefault4XX, "451"), AnswerForbidden, 451, true},
		{"class answer keeps its status without one", custom(ResponseDefault4XX, ""), AnswerForbidden, 403, true},
		{"unparsable status is ignored", custom(ResponseThrottled, "abc"), AnswerOf(ResponseThrottled), 429, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ResolveGatewayResponse(tt.custom, tt.spec)
			if r.Status != tt.status || r.Customised != tt.customised {
				t.Fatalf("Resolve = %+v, want status %d customised %v", r, tt.status, tt.customised)
			}
			if r.Customised && r.Parameters["gatewayresponse.header.Access-Control-Allow-Origin"] != "'*'" {
				t.Fatalf("customised without the customisation's parameters: %+v", r)
			}
		})
	}
}
