package gateway

import (
	"strings"
	"testing"
)

func TestParseInvoke(t *testing.T) {
	tests := []struct {
		name, host, path, header string
		want                     invokeTarget
		reason                   Reason
	}{
		{"restapis", "localhost:8080", "/restapis/abc123/api/_user_request_/doit", "", invokeTarget{"abc123", "api", "/doit"}, ""},
		{"restapis root", "h", "/restapis/abc/api/_user_request_", "", invokeTarget{"abc", "api", "/"}, ""},
		{"restapis root slash", "h", "/restapis/abc/api/_user_request_/", "", invokeTarget{"abc", "api", "/"}, ""},
		{"restapis escaped", "h", "/restapis/abc/api/_user_request_/a%2Fb/c", "", invokeTarget{"abc", "api", "/a%2Fb/c"}, ""},
		{"restapis no stage", "h", "/restapis/abc/", "", invokeTarget{apiID: "abc"}, ReasonNoStage},
		{"restapis no id", "h", "/restapis//api", "", invokeTarget{}, ReasonNoAPI},
		{"restapis no marker", "h", "/restapis/abc/api/doit", "", invokeTarget{apiID: "abc", stage: "api"}, ReasonUnknownRoute},
		{"restapis marker prefix", "h", "/restapis/abc/api/_user_request_x/doit", "", invokeTarget{apiID: "abc", stage: "api"}, ReasonUnknownRoute},
		{"host", "abc.execute-api.localhost:8080", "/api/doit", "", invokeTarget{"abc", "api", "/doit"}, ""},
		{"host aws", "abc.execute-api.us-east-1.amazonaws.com", "/prod/pets/1", "", invokeTarget{"abc", "prod", "/pets/1"}, ""},
		{"host stage only", "abc.execute-api.localhost", "/api", "", invokeTarget{"abc", "api", "/"}, ""},
		{"host no stage", "abc.execute-api.localhost", "/", "", invokeTarget{apiID: "abc"}, ReasonNoStage},
		{"header", "localhost", "/api/doit", "abc", invokeTarget{"abc", "api", "/doit"}, ""},
		{"header no stage", "localhost", "/", "abc", invokeTarget{apiID: "abc"}, ReasonNoStage},
		{"nothing", "localhost:8080", "/api/doit", "", invokeTarget{}, ReasonNoAPI},
		{"host vs header", "abc.execute-api.localhost", "/api/doit", "xyz", invokeTarget{"abc", "api", "/doit"}, ReasonAPIHeaderMismatch},
		{"restapis vs header", "h", "/restapis/abc/api/_user_request_/x", "xyz", invokeTarget{"abc", "api", "/x"}, ReasonAPIHeaderMismatch},
		{"same header ok", "h", "/restapis/abc/api/_user_request_/x", "abc", invokeTarget{"abc", "api", "/x"}, ""},
		{"not execute-api host", "abc.example.com", "/api/x", "", invokeTarget{}, ReasonNoAPI},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reason, detail := parseInvoke(tt.host, tt.path, tt.header)
			if reason != tt.reason {
				t.Fatalf("reason = %q (%s), want %q", reason, detail, tt.reason)
			}
			if reason != "" && detail == "" {
				t.Fatal("a refusal without a detail sentence")
			}
			if got != tt.want {
				t.Fatalf("target = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseInvokeAllocatesNothing(t *testing.T) {
	n := testing.AllocsPerRun(100, func() {
		parseInvoke("abc.execute-api.localhost:8080", "/api/pets/1", "")
		parseInvoke("localhost", "/restapis/abc/api/_user_request_/pets/1", "")
	})
	if n != 0 {
		t.Fatalf("parseInvoke allocates %v times per call", n)
	}
}

// FuzzParseInvoke: parseInvoke never panics; a refusal has a detail and
// an answer; an accepted URL is exactly the invoke URL rebuilt from the
// target it was read as (so no byte of the path is lost, moved or
// invented), and the API id comes from where the form says it does.
func FuzzParseInvoke(f *testing.F) {
	f.Add("abc.execute-api.localhost:8080", "/api/doit", "")
	f.Add("h", "/restapis/abc/api/_user_request_/a%2Fb", "abc")
	f.Add("h", "/restapis/abc/api/_user_request_", "")
	f.Add("h", "/restapis//", "x")
	f.Add("localhost", "/api", "abc")
	f.Add("", "", "")
	f.Fuzz(func(t *testing.T, host, path, header string) {
		got, reason, detail := parseInvoke(host, path, header)
		if reason != "" {
			if detail == "" {
				t.Fatal("refusal without detail")
			}
			if _, ok := answers[reason]; !ok {
				t.Fatalf("reason %q has no answer", reason)
			}
			return
		}
		if got.apiID == "" || got.stage == "" || strings.Contains(got.stage, "/") || !strings.HasPrefix(got.path, "/") {
			t.Fatalf("accepted %q %q %q as %+v", host, path, header, got)
		}
		if header != "" && got.apiID != header {
			t.Fatalf("header %q but api %q accepted", header, got.apiID)
		}
		var prefix string
		if strings.HasPrefix(path, "/restapis/") {
			prefix = "/restapis/" + got.apiID + "/" + got.stage + "/_user_request_"
		} else {
			prefix = "/" + got.stage
			if !strings.HasPrefix(host, got.apiID+".execute-api.") && got.apiID != header {
				t.Fatalf("API %q is neither the host's %q nor the header's %q", got.apiID, host, header)
			}
		}
		// The resource path "/" stands for both "" and "/" after the prefix.
		if path != prefix+got.path && !(got.path == "/" && path == prefix) {
			t.Fatalf("%q read as %+v, which rebuilds as %q", path, got, prefix+got.path)
		}
	})
}
