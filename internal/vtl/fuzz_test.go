package vtl

import (
	"context"
	"testing"
	"time"
)

// FuzzRender compiles and renders arbitrary templates over an arbitrary
// body: no panic, and within the limits both in output and in time.
func FuzzRender(f *testing.F) {
	f.Add(`{"id": $input.params().path.id}`, `{}`)
	f.Add(`#foreach($x in $input.path('$.a[*]'))$x#if($foreach.hasNext),#end#end`, `{"a":[1,"b",{"c":null}]}`)
	f.Add(`#set($m = {"k": [1..3]})$m.k.get(1) $util.escapeJavaScript($input.body) $util.parseJson($input.json('$'))`, `"x"`)
	lim := Limits{MaxOutput: 1 << 14, MaxSteps: 20_000, MaxItems: 500, MaxLoop: 200}
	f.Fuzz(func(t *testing.T, src, body string) {
		tpl, err := Compile(src)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("compile error of type %T: %v", err, err)
			}
			return
		}
		start := time.Now()
		out, err := tpl.Render(context.Background(), Data{
			Payload: body,
			Path:    map[string]string{"id": "1"},
			Query:   map[string]string{"q": body},
			Ctx:     map[string]any{"stage": "dev", "identity": map[string]any{"sourceIp": "10.0.0.1"}},
		}, lim)
		if err == nil && len(out) > lim.MaxOutput && !tpl.Static() {
			t.Fatalf("output of %d bytes past the %d limit", len(out), lim.MaxOutput)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("render took %v", d)
		}
	})
}

// FuzzJSONPath reads arbitrary paths over arbitrary bodies, as response
// parameter mappings (integration.response.body.PATH) do with an
// upstream's answer: no panic, and a value only from a JSON body.
func FuzzJSONPath(f *testing.F) {
	f.Add(`{"a": {"b": [1, {"c": "x"}]}}`, "$.a.b[1].c")
	f.Add(`{"a": [1, 2]}`, "a[*]")
	f.Add(`{"k": "v"}`, "$['k']")
	f.Add(`[1, 2, 3]`, "$[-1]")
	f.Add(`not json`, "$.a")
	f.Fuzz(func(t *testing.T, body, path string) {
		v, ok := JSONPath(body, path)
		if !ok && v != "" {
			t.Fatalf("JSONPath(%q, %q) = %q without ok", body, path, v)
		}
	})
}
