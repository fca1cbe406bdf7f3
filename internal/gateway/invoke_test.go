package gateway

import (
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/gateway/state"
)

func TestParseInvoke(t *testing.T) {
	tests := []struct {
		name, host, path, header string
		want                     invokeTarget
		reason                   Reason
	}{
		{"restapis", "localhost:8080", "/restapis/abc123/api/_user_request_/doit", "", invokeTarget{apiID: "abc123", stage: "api", path: "/doit"}, ""},
		{"restapis root", "h", "/restapis/abc/api/_user_request_", "", invokeTarget{apiID: "abc", stage: "api", path: "/"}, ""},
		{"restapis root slash", "h", "/restapis/abc/api/_user_request_/", "", invokeTarget{apiID: "abc", stage: "api", path: "/"}, ""},
		{"restapis escaped", "h", "/restapis/abc/api/_user_request_/a%2Fb/c", "", invokeTarget{apiID: "abc", stage: "api", path: "/a%2Fb/c"}, ""},
		{"restapis no stage", "h", "/restapis/abc/", "", invokeTarget{apiID: "abc"}, ReasonNoStage},
		{"restapis no id", "h", "/restapis//api", "", invokeTarget{}, ReasonNoAPI},
		{"restapis no marker", "h", "/restapis/abc/api/doit", "", invokeTarget{apiID: "abc", stage: "api"}, ReasonUnknownRoute},
		{"restapis marker prefix", "h", "/restapis/abc/api/_user_request_x/doit", "", invokeTarget{apiID: "abc", stage: "api"}, ReasonUnknownRoute},
		{"host", "abc.execute-api.localhost:8080", "/api/doit", "", invokeTarget{apiID: "abc", stage: "api", path: "/doit"}, ""},
		{"host aws", "abc.execute-api.us-east-1.amazonaws.com", "/prod/pets/1", "", invokeTarget{apiID: "abc", stage: "prod", path: "/pets/1"}, ""},
		{"host stage only", "abc.execute-api.localhost", "/api", "", invokeTarget{apiID: "abc", stage: "api", path: "/"}, ""},
		{"host no stage", "abc.execute-api.localhost", "/", "", invokeTarget{apiID: "abc"}, ReasonNoStage},
		{"header", "localhost", "/api/doit", "abc", invokeTarget{apiID: "abc", stage: "api", path: "/doit"}, ""},
		{"header no stage", "localhost", "/", "abc", invokeTarget{apiID: "abc"}, ReasonNoStage},
		{"nothing", "localhost:8080", "/api/doit", "", invokeTarget{}, ReasonNoAPI},
		{"host vs header", "abc.execute-api.localhost", "/api/doit", "xyz", invokeTarget{apiID: "abc", stage: "api", path: "/doit"}, ReasonAPIHeaderMismatch},
		{"restapis vs header", "h", "/restapis/abc/api/_user_request_/x", "xyz", invokeTarget{apiID: "abc", stage: "api", path: "/x"}, ReasonAPIHeaderMismatch},
		{"same header ok", "h", "/restapis/abc/api/_user_request_/x", "abc", invokeTarget{apiID: "abc", stage: "api", path: "/x"}, ""},
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

// testDomain is a custom domain with a root-less set of mappings: a
// multi-segment one, a single-segment one under the same first segment,
// and one without a stage (longest first, as state compiles them).
func testDomain() *state.Domain {
	return &state.Domain{Name: "api.example.com", Mappings: []apigw.BasePathMapping{
		{BasePath: "orders/v2", RestAPIID: "ord2", Stage: "prod"},
		{BasePath: "orders", RestAPIID: "ord1", Stage: "prod"},
		{BasePath: "any", RestAPIID: "anyapi"},
	}}
}

func TestDomainInvoke(t *testing.T) {
	root := &state.Domain{Name: "root.example.com", Mappings: []apigw.BasePathMapping{{RestAPIID: "r1", Stage: "live"}}}
	tests := []struct {
		name   string
		d      *state.Domain
		path   string
		want   invokeTarget
		reason Reason
	}{
		{"root mapping", root, "/pets/1", invokeTarget{apiID: "r1", stage: "live", path: "/pets/1"}, ""},
		{"root mapping, root path", root, "/", invokeTarget{apiID: "r1", stage: "live", path: "/"}, ""},
		{"multi-segment wins over its prefix", testDomain(), "/orders/v2/items", invokeTarget{apiID: "ord2", stage: "prod", path: "/items"}, ""},
		{"multi-segment exact", testDomain(), "/orders/v2", invokeTarget{apiID: "ord2", stage: "prod", path: "/"}, ""},
		{"single segment", testDomain(), "/orders/v1/items", invokeTarget{apiID: "ord1", stage: "prod", path: "/v1/items"}, ""},
		{"segment prefix is no match", testDomain(), "/ordersx/1", invokeTarget{}, ReasonNoBasePathMapping},
		{"no mapping", testDomain(), "/other", invokeTarget{}, ReasonNoBasePathMapping},
		{"stage from the path", testDomain(), "/any/dev/x", invokeTarget{apiID: "anyapi", stage: "dev", path: "/x"}, ""},
		{"stage from the path, nothing after", testDomain(), "/any/dev", invokeTarget{apiID: "anyapi", stage: "dev", path: "/"}, ""},
		{"no stage after a stageless mapping", testDomain(), "/any", invokeTarget{apiID: "anyapi"}, ReasonNoStage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reason, detail := domainInvoke(tt.d, tt.path)
			if reason != tt.reason {
				t.Fatalf("reason = %q (%s), want %q", reason, detail, tt.reason)
			}
			if reason != "" && detail == "" {
				t.Fatal("a refusal without a detail sentence")
			}
			tt.want.domain = tt.d
			if got != tt.want {
				t.Fatalf("target = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestDomainInvokeAllocatesNothing(t *testing.T) {
	d := testDomain()
	n := testing.AllocsPerRun(100, func() {
		domainInvoke(d, "/orders/v2/items/1")
		domainInvoke(d, "/any/dev/x")
	})
	if n != 0 {
		t.Fatalf("domainInvoke allocates %v times per call", n)
	}
}

// FuzzDomainInvoke: domainInvoke never panics; a refusal has a detail and
// an answer; an accepted path is the mapping's base path, the stage (when
// the path carries it) and the target path, with no byte lost or moved.
func FuzzDomainInvoke(f *testing.F) {
	for _, p := range []string{"/orders/v2/items", "/orders", "/any/dev/x", "/any", "", "/", "//", "/orders/"} {
		f.Add(p)
	}
	d := testDomain()
	f.Fuzz(func(t *testing.T, path string) {
		got, reason, detail := domainInvoke(d, path)
		if reason != "" {
			if detail == "" {
				t.Fatal("refusal without detail")
			}
			if _, ok := answers[reason]; !ok {
				t.Fatalf("reason %q has no answer", reason)
			}
			return
		}
		var m *apigw.BasePathMapping
		for i := range d.Mappings {
			if d.Mappings[i].RestAPIID == got.apiID {
				m = &d.Mappings[i]
			}
		}
		if m == nil {
			t.Fatalf("target API %q is no mapping's", got.apiID)
		}
		rebuilt := "/" + m.BasePath
		if m.Stage == "" {
			rebuilt += "/" + got.stage
		}
		if got.path != "/" {
			rebuilt += got.path
		}
		if rebuilt != strings.TrimSuffix(path, "/") && rebuilt+"/" != path {
			t.Fatalf("path %q read as %+v (rebuilt %q)", path, got, rebuilt)
		}
	})
}
