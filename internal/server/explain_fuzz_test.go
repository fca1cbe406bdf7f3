package server

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzExplainInput: any body either decodes into an input whose request
// explainRequest builds (method a token, URL path starting with /), or
// is refused with an error naming a field; it never panics.
func FuzzExplainInput(f *testing.F) {
	for _, s := range []string{
		`{"api":"a1","stage":"api","method":"POST","path":"/doit"}`,
		`{"api":"a1","method":"GET","path":"/api/x?api_key=v","headers":{"Api-Key":"v","Host":"h"}}`,
		`{"api":"a1","stage":"api","method":"GET","path":"/%zz","keyId":"k"}`,
		`{"api":"a/1","stage":"a b","method":"","path":"x"}`,
		`{"api":"a1","method":"GET","path":"/","headers":{"Content-Length":"-1"}}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var in ExplainInput
		if json.Unmarshal([]byte(body), &in) != nil || in.RequestID != "" {
			return
		}
		req, err := explainRequest(in)
		if err != nil {
			if !strings.ContainsAny(err.Error(), ":") {
				t.Fatalf("error names no field: %v", err)
			}
			return
		}
		if !isToken(req.Method) || !strings.HasPrefix(req.URL.Path, "/") || req.ContentLength < 0 {
			t.Fatalf("built %s %q (length %d) from %q", req.Method, req.URL.Path, req.ContentLength, body)
		}
	})
}
