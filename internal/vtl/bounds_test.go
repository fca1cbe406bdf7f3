package vtl

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
)

func TestRenderBounds(t *testing.T) {
	cases := []struct {
		name string
		src  string
		lim  Limits
		want string // substring of the error
	}{
		{"steps", `#foreach($a in [1..1000])#foreach($b in [1..1000])#foreach($c in [1..1000])x#end#end#end`, Limits{MaxOutput: 1 << 30}, "more than 1000000 steps"},
		{"output", `#foreach($i in [1..1000])0123456789#end`, Limits{MaxOutput: 5000}, "the output is larger than 5000 bytes"},
		{"string", `#set($s = "ab")#foreach($i in [1..40])#set($s = "$s$s")#end`, Limits{MaxOutput: 1 << 16}, "larger than 65536 bytes"},
		{"range", `#set($r = [1..100000000])`, Limits{}, "range [1..100000000] has more than 10000 items"},
		{"list", `#set($l = [])#foreach($i in [1..400])#foreach($j in [1..400])#set($x = $l.add($j))#end#end`, Limits{MaxItems: 500}, "a list has more than 500 items"},
		{"map", `#set($m = {})#foreach($i in [1..90])#foreach($j in [1..90])#set($x = $m.put("k$i-$j", $i))#end#end`, Limits{MaxItems: 100}, "a map has more than 100 entries"},
		{"replace", `#set($s = "aaaaaaaaaaaaaaaa")#foreach($i in [1..20])#set($s = $s.replaceAll("a", "aa"))#end`, Limits{MaxOutput: 1 << 16}, "larger than 65536 bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tpl := MustCompile(c.src)
			_, err := tpl.Render(context.Background(), nil, c.lim)
			if !errors.Is(err, ErrLimit) {
				t.Fatalf("err = %v; want one wrapping ErrLimit", err)
			}
			if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "line 1, column ") {
				t.Errorf("err = %q; want it to name line and column and contain %q", err, c.want)
			}
		})
	}
}

func TestRenderStopsWhenContextIsDone(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tpl := MustCompile(`#foreach($a in [1..1000])#foreach($b in [1..1000])x#end#end`)
	_, err := tpl.Render(ctx, nil, Limits{MaxOutput: 1 << 30, MaxSteps: 1 << 30})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v; want context.Canceled", err)
	}
}

// A map holding itself renders to a bounded depth instead of recursing
// forever.
func TestSelfReferenceRendersBounded(t *testing.T) {
	tpl := MustCompile(`#set($m = {})#set($x = $m.put("me", $m))$m`)
	out, err := tpl.Render(context.Background(), nil, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, "{me={me={me=") || !strings.Contains(out, "(…)") || len(out) > 1000 {
		t.Errorf("out = %q", out)
	}
}

func TestCompileBounds(t *testing.T) {
	deep := strings.Repeat("#if(true)", 100) + strings.Repeat("#end", 100)
	if _, err := Compile(deep); err == nil || !strings.Contains(err.Error(), "nesting deeper than 64") {
		t.Errorf("deep #if: err = %v", err)
	}
	parens := "#set($x = " + strings.Repeat("(", 200) + "1" + strings.Repeat(")", 200) + ")"
	if _, err := Compile(parens); err == nil || !strings.Contains(err.Error(), "nesting deeper than 64") {
		t.Errorf("deep parentheses: err = %v", err)
	}
	if _, err := Compile(strings.Repeat("x", maxTemplate+1)); err == nil || !strings.Contains(err.Error(), "the limit is 307200") {
		t.Errorf("huge template: err = %v", err)
	}
}

// One compiled template renders concurrently with different requests
// (run with -race).
func TestConcurrentRender(t *testing.T) {
	tpl := MustCompile(`#set($n = $input.params('n'))#set($m = {})#set($m.v = $n)$m.v-$input.path('$.x')`)
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := strings.Repeat("n", i%7+1)
			out, err := tpl.Render(context.Background(), Data{Path: map[string]string{"n": n}, Payload: `{"x": 1}`}, Limits{})
			if err != nil || out != n+"-1" {
				errs <- out
			}
		}()
	}
	wg.Wait()
	close(errs)
	for out := range errs {
		t.Errorf("wrong concurrent render: %q", out)
	}
}

func TestStaticTemplate(t *testing.T) {
	for src, static := range map[string]bool{
		`{"a": 1}`:           true,
		``:                   true,
		`{"a": "$x"}`:        false,
		`a ## comment`:       false,
		`price: 5$ and #333`: true,
	} {
		tpl := MustCompile(src)
		if tpl.Static() != static {
			t.Errorf("Static(%q) = %v; want %v", src, tpl.Static(), static)
		}
	}
}

// The caller's $context map receives the template's writes
// ($context.responseOverride.*), which the gateway reads back.
func TestContextWritesReachTheCaller(t *testing.T) {
	ctx := map[string]any{"responseOverride": map[string]any{"header": map[string]any{}}}
	tpl := MustCompile("#set($context.responseOverride.status = 418)\n#set($context.responseOverride.header.X-Tea = \"yes\")\n")
	if _, err := tpl.Render(context.Background(), Data{Ctx: ctx}, Limits{}); err != nil {
		t.Fatal(err)
	}
	ro := ctx["responseOverride"].(map[string]any)
	if ro["status"] != int64(418) || ro["header"].(map[string]any)["X-Tea"] != "yes" {
		t.Errorf("responseOverride = %#v", ro)
	}
}

// TestJSONPath: the helper response parameter mappings use
// (integration.response.body.PATH) reads strings as text, the rest as JSON.
func TestJSONPath(t *testing.T) {
	body := `{"a": {"b": "x", "n": 3, "l": [1, 2]}, "s": "top"}`
	tests := []struct {
		path string
		want string
		ok   bool
	}{
		{"$.s", "top", true},
		{"s", "top", true},
		{"a.b", "x", true},
		{"$.a.n", "3", true},
		{"$.a.l", "[1,2]", true},
		{"$.a.l[1]", "2", true},
		{"$.none", "", false},
	}
	for _, tt := range tests {
		got, ok := JSONPath(body, tt.path)
		if got != tt.want || ok != tt.ok {
			t.Errorf("JSONPath(%q) = %q, %v; want %q, %v", tt.path, got, ok, tt.want, tt.ok)
		}
	}
	if _, ok := JSONPath("not json", "$.a"); ok {
		t.Error("JSONPath of a non-JSON body succeeded")
	}
}
