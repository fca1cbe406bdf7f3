package awsapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/gatehouse-dev/gatehouse/internal/control"
)

// FuzzDecode checks decodeJSON against an oracle: it accepts a body exactly
// when the body is JSON white space only, or one JSON value in valid UTF-8
// (encoding/json.Valid); every refusal is a SerializationException. It
// also decodes into a real request shape without panicking, refusing only
// with SerializationException.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		``, ` `, `{}`, `{"name":"a"}`, `{"name":"a"} x`, `{"name":"a"}{"name":"b"}`, "{\"name\":\"caf\xe9\"}",
		`{"quota":{"limit":2147483648,"period":"DAY"}}`, `[1,2]`, `"s"`, `null`, "\xef\xbb\xbf{}", `{"a":1e400}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var raw json.RawMessage
		err := decodeJSON(body, &raw)
		blank := len(bytes.Trim(body, jsonSpace)) == 0
		want := blank || utf8.Valid(body) && json.Valid(body)
		if (err == nil) != want {
			t.Fatalf("decodeJSON(%q) error = %v, want accepted = %v", body, err, want)
		}
		if err != nil && control.KindOf(err) != control.KindSerialization {
			t.Fatalf("decodeJSON(%q) error %v is not a SerializationException", body, err)
		}
		if err == nil && !blank && !bytes.Equal(bytes.Trim(body, jsonSpace), raw) {
			t.Fatalf("decodeJSON(%q) decoded %q", body, raw)
		}
		var req createUsagePlanRequest
		if err := decodeJSON(body, &req); err != nil {
			var ce *control.Error
			if !errors.As(err, &ce) || ce.Kind != control.KindSerialization {
				t.Fatalf("decodeJSON(%q) into a request: %v is not a SerializationException", body, err)
			}
		}
	})
}
