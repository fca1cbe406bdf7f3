package server

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzParseDoctorRequest: POST /_gatehouse/doctor's body parser never
// panics; what it accepts round-trips; what it refuses gets a message
// that says what the body may be.
func FuzzParseDoctorRequest(f *testing.F) {
	for _, s := range []string{"", " ", "{}", `{"apiId":"a1b2c3d4e5"}`, `{"apiId":1}`, `{"restApiId":"x"}`, `{} {}`, `[]`, `null`, `{"apiId":"\ud800"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := parseDoctorRequest(body)
		if err != nil {
			if !strings.Contains(err.Error(), `it takes {"apiId": "<rest api id>"} or nothing`) {
				t.Fatalf("refusal %q does not say what the body may be", err)
			}
			return
		}
		b, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		again, err := parseDoctorRequest(b)
		if err != nil || again != in {
			t.Fatalf("accepted %q, but its re-encoding %s parses as %+v, %v", body, b, again, err)
		}
	})
}
