package control

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseKeyCSV(t *testing.T) {
	const k1 = "apikey1234abcdefghij0123456789"
	const k2 = "abcdefghijklmnopqrstuvwxyz"
	tests := []struct {
		name     string
		in       string
		want     []keyRow
		warnings []string
		err      string
	}{
		{
			name: "doc example, mixed-case header",
			in:   "Name,key,description,Enabled,usageplanIds\nMyFirstApiKey," + k1 + ",An imported key,TRUE,c7y23b\n",
			want: []keyRow{{Line: 2, Name: "MyFirstApiKey", Key: k1, Description: "An imported key", Enabled: true, UsagePlanIDs: []string{"c7y23b"}}},
		},
		{
			name: "columns in any order, enabled default true, unknown column ignored, CRLF, BOM",
			in:   "\xef\xbb\xbfKEY,Other,NAME\r\n" + k1 + ",x,one\r\n\r\n" + k2 + ",y,two",
			want: []keyRow{
				{Line: 2, Name: "one", Key: k1, Enabled: true},
				{Line: 4, Name: "two", Key: k2, Enabled: true},
			},
		},
		{
			name: "quoted plan lists with both quote styles",
			in:   "name,key,usageplanids,enabled\na," + k1 + ",\"p1,p2\",false\nb," + k2 + ",'p3, p4,p3',true\n",
			want: []keyRow{
				{Line: 2, Name: "a", Key: k1, Enabled: false, UsagePlanIDs: []string{"p1", "p2"}},
				{Line: 3, Name: "b", Key: k2, Enabled: true, UsagePlanIDs: []string{"p3", "p4"}},
			},
		},
		{
			name: "quoted field with doubled quote and newline",
			in:   "name,key,description\n\"a \"\"b\"\"\"," + k1 + ",\"two\nlines\"\nc," + k2 + ",d\n",
			want: []keyRow{
				{Line: 2, Name: `a "b"`, Key: k1, Description: "two\nlines", Enabled: true},
				{Line: 4, Name: "c", Key: k2, Description: "d", Enabled: true},
			},
		},
		{
			name: "bad rows become warnings naming the line, never the value",
			in: "name,key,enabled\n" +
				"short,tooshortvalue,true\n" +
				"," + k1 + ",true\n" +
				"nokey,,true\n" +
				"badflag," + k2 + ",maybe\n" +
				"good," + k1 + "\n" +
				"long," + strings.Repeat("x", 129) + "\n" +
				"\"open," + k2 + "\n",
			want: []keyRow{{Line: 6, Name: "good", Key: k1, Enabled: true}},
			warnings: []string{
				"line 2: API Key value should be at least 20 characters",
				"line 3: Name is required",
				"line 4: Key is required",
				"line 5: Enabled must be true or false (got a 5-character value)",
				"line 7: API Key value exceeds maximum size of 128 characters",
				"line 8: unterminated quoted field",
			},
		},
		{name: "empty", in: "\n\n", err: "the API key file is empty; it needs a header row with Name and Key columns"},
		{name: "no key column", in: "name,value\na,b\n", err: `the header row (line 1) has no "key" column; Name and Key are required`},
		{name: "no name column", in: "key\n" + k1 + "\n", err: `the header row (line 1) has no "name" column; Name and Key are required`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, warnings, err := parseKeyCSV([]byte(tt.in))
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("error = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, rows); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.warnings, warnings); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzParseKeyCSV checks that the import parser never panics, that every
// row it returns passes the row rules, and that no warning quotes a key.
func FuzzParseKeyCSV(f *testing.F) {
	f.Add("Name,key,description,Enabled,usageplanIds\nMyFirstApiKey,apikey1234abcdefghij0123456789,An imported key,TRUE,c7y23b\n")
	f.Add("key,name\n'abc,def',\"x\"\"y\"\n")
	f.Fuzz(func(t *testing.T, in string) {
		rows, warnings, err := parseKeyCSV([]byte(in))
		if err != nil {
			if rows != nil || warnings != nil {
				t.Fatalf("error %v with results", err)
			}
			return
		}
		for _, r := range rows {
			if r.Name == "" || validateKeyValue(r.Key) != nil || validateKeyName(r.Name) != nil {
				t.Fatalf("row %+v breaks the row rules", r)
			}
			if r.Line < 2 {
				t.Fatalf("row on line %d (header is line 1 or later)", r.Line)
			}
		}
		for _, w := range warnings {
			if !strings.HasPrefix(w, "line ") {
				t.Fatalf("warning %q does not name a line", w)
			}
			for _, rec := range splitCSV(in) {
				for _, cell := range rec.Fields {
					if MayBeKeyValue(cell) && strings.Contains(w, cell) {
						t.Fatalf("warning %q quotes the cell %q, which could be a key", w, cell)
					}
				}
			}
		}
	})
}

// TestImportWarningsNeverQuoteAKey imports rows whose UsagePlanIds cell
// holds a key value (as when columns are out of order): the warnings, and
// the error with failonwarnings, say how long the cell is instead of
// quoting it; a cell too short to be a key is still quoted.
func TestImportWarningsNeverQuoteAKey(t *testing.T) {
	ctx := context.Background()
	s := newImportService(t)
	const vA, vB = "value-a-0123456789abcdef", "value-b-0123456789abcdef"
	csv := "Name,Key,UsagePlanIds\n" +
		"a," + vA + "," + vB + "\n" +
		"b," + vB + ",\"nosuch," + vA + "\"\n"
	res, err := s.ImportAPIKeys(ctx, []byte(csv), "csv", false)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"line 2: usage plan (a 24-character value, not shown: it could be a key) not found; key " + res.IDs[0] + " not added to it",
		`line 3: usage plan "nosuch" not found; key ` + res.IDs[1] + " not added to it",
		"line 3: usage plan (a 24-character value, not shown: it could be a key) not found; key " + res.IDs[1] + " not added to it",
	}
	if diff := cmp.Diff(want, res.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	_, err = s.ImportAPIKeys(ctx, []byte(csv), "csv", true)
	if err == nil || !strings.Contains(err.Error(), "not shown") {
		t.Fatalf("failonwarnings: error %v, want the warnings", err)
	}
	for _, text := range append(res.Warnings, err.Error()) {
		if strings.Contains(text, vA) || strings.Contains(text, vB) {
			t.Errorf("%q quotes a key value", text)
		}
	}
}
