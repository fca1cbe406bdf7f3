package gateway

import (
	"encoding/json"
	"testing"
)

func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"", "plain", `q"uote\back`, "new\nline\ttab\r", "\x00\x01\x1f\x7f", "ünï©ødé", "bad\xffutf8\xc3", "</script>"} {
		b := appendJSONString(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%q encoded as %s: not JSON: %v", s, b, err)
		}
		want := string([]rune(s)) // invalid bytes become U+FFFD, as encoding/json would
		if got != want {
			t.Fatalf("%q round-trips as %q", s, got)
		}
	}
}

func FuzzAppendJSONString(f *testing.F) {
	f.Add("a\"b\\c\n")
	f.Add("\xff\xfe")
	f.Fuzz(func(t *testing.T, s string) {
		b := appendJSONString(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%q encoded as %s: %v", s, b, err)
		}
		if got != string([]rune(s)) {
			t.Fatalf("%q round-trips as %q", s, got)
		}
	})
}
