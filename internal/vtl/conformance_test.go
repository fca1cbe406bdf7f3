package vtl

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the want sections of testdata/conformance.txt with what renders now")

// row is one case of testdata/conformance.txt:
//
//	### name
//	# source: where the expectation comes from (an AWS record's key, AWS's docs)
//	-- template --
//	…
//	-- body --            (optional)
//	-- params --          (optional: "path id=42", "querystring q=x", "header X-A=b")
//	-- context --         (optional: JSON object)
//	-- stage --           (optional: "name=value" lines)
//	-- want --            (the output) or -- error -- (a substring of the error)
//
// A section's text ends before the newline that precedes the next marker.
type row struct {
	name     string
	comments []string
	sections []section
}

type section struct {
	name, text string
}

func (r *row) get(name string) (string, bool) {
	for _, s := range r.sections {
		if s.name == name {
			return s.text, true
		}
	}
	return "", false
}

func parseRows(t *testing.T, data string) []*row {
	t.Helper()
	var rows []*row
	var cur *row
	var sec *section
	for _, line := range strings.SplitAfter(data, "\n") {
		trimmed := strings.TrimRight(line, "\n")
		switch {
		case strings.HasPrefix(trimmed, "### "):
			if sec != nil {
				sec.text = strings.TrimSuffix(sec.text, "\n") // the blank line between rows
			}
			cur = &row{name: strings.TrimPrefix(trimmed, "### ")}
			rows = append(rows, cur)
			sec = nil
		case cur != nil && sec == nil && strings.HasPrefix(trimmed, "#"):
			cur.comments = append(cur.comments, trimmed)
		case cur != nil && strings.HasPrefix(trimmed, "-- ") && strings.HasSuffix(trimmed, " --"):
			cur.sections = append(cur.sections, section{name: strings.TrimSuffix(strings.TrimPrefix(trimmed, "-- "), " --")})
			sec = &cur.sections[len(cur.sections)-1]
		case sec != nil:
			sec.text += line
		case strings.TrimSpace(trimmed) != "":
			t.Fatalf("conformance.txt: text outside a section: %q", trimmed)
		}
	}
	for _, r := range rows {
		for i := range r.sections {
			r.sections[i].text = strings.TrimSuffix(r.sections[i].text, "\n")
		}
	}
	return rows
}

func formatRows(rows []*row) string {
	var b strings.Builder
	for i, r := range rows {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString("### " + r.name + "\n")
		for _, c := range r.comments {
			b.WriteString(c + "\n")
		}
		for _, s := range r.sections {
			b.WriteString("-- " + s.name + " --\n")
			b.WriteString(s.text + "\n")
		}
	}
	return b.String()
}

func (r *row) request(t *testing.T) Data {
	t.Helper()
	d := Data{}
	d.Payload, _ = r.get("body")
	if ps, ok := r.get("params"); ok {
		for _, line := range strings.Split(ps, "\n") {
			loc, kv, _ := strings.Cut(line, " ")
			k, v, _ := strings.Cut(kv, "=")
			var m *map[string]string
			switch loc {
			case "path":
				m = &d.Path
			case "querystring":
				m = &d.Query
			case "header":
				m = &d.Header
			default:
				t.Fatalf("%s: params line %q: location must be path, querystring or header", r.name, line)
			}
			if *m == nil {
				*m = map[string]string{}
			}
			(*m)[k] = v
		}
	}
	if c, ok := r.get("context"); ok {
		if err := json.Unmarshal([]byte(c), &d.Ctx); err != nil {
			t.Fatalf("%s: context: %v", r.name, err)
		}
	}
	if s, ok := r.get("stage"); ok {
		d.StageVars = map[string]string{}
		for _, line := range strings.Split(s, "\n") {
			k, v, _ := strings.Cut(line, "=")
			d.StageVars[k] = v
		}
	}
	return d
}

// TestConformance renders every row of testdata/conformance.txt. Rows
// citing an AWS record were checked against that record's output; the
// others against AWS's and Velocity's documentation, as each row says.
func TestConformance(t *testing.T) {
	const file = "testdata/conformance.txt"
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	rows := parseRows(t, string(data))
	if len(rows) < 40 {
		t.Fatalf("only %d rows parsed from %s", len(rows), file)
	}
	seen := map[string]bool{}
	for _, r := range rows {
		if seen[r.name] {
			t.Errorf("row %q appears twice", r.name)
		}
		seen[r.name] = true
		if len(r.comments) == 0 || !strings.HasPrefix(r.comments[0], "# source: ") {
			t.Errorf("row %q: first comment must be '# source: …'", r.name)
		}
		t.Run(r.name, func(t *testing.T) {
			src, ok := r.get("template")
			if !ok {
				t.Fatal("no template section")
			}
			wantErr, isErr := r.get("error")
			tpl, err := Compile(src)
			if err == nil {
				var out string
				out, err = tpl.Render(context.Background(), r.request(t), Limits{})
				if err == nil && !isErr {
					want, _ := r.get("want")
					if out != want {
						if *update {
							for i := range r.sections {
								if r.sections[i].name == "want" {
									r.sections[i].text = out
								}
							}
							return
						}
						t.Errorf("template:\n%s\ngot:\n%s\nwant:\n%s", src, out, want)
					}
					return
				}
			}
			if !isErr {
				t.Fatalf("unexpected error: %v", err)
			}
			if err == nil {
				t.Fatalf("rendered without error; want an error containing %q", wantErr)
			}
			if !strings.Contains(err.Error(), wantErr) {
				t.Errorf("error %q does not contain %q", err, wantErr)
			}
		})
	}
	if *update {
		if err := os.WriteFile(file, []byte(formatRows(rows)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestConformanceFileRoundTrips keeps -update from reformatting rows it
// does not change.
func TestConformanceFileRoundTrips(t *testing.T) {
	data, err := os.ReadFile("testdata/conformance.txt")
	if err != nil {
		t.Fatal(err)
	}
	if got := formatRows(parseRows(t, string(data))); got != string(data) {
		t.Errorf("formatting the parsed table changes it; keep one blank line between rows and none at the end")
	}
}
