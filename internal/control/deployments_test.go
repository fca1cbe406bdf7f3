package control

import (
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
)

func TestSnapshotDigest(t *testing.T) {
	base := func() apigw.Snapshot {
		return apigw.Snapshot{APIKeySource: "HEADER", RootResourceID: "r", Resources: map[string]*apigw.Resource{
			"r": {ID: "r", Methods: map[string]*apigw.Method{"GET": {HTTPMethod: "GET", AuthorizationType: "NONE", Integration: &apigw.Integration{Type: "MOCK"}}}},
			"a": {ID: "a", ParentID: "r", PathPart: "a"},
		}}
	}
	digest := func(s apigw.Snapshot) string {
		d, err := SnapshotDigest(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	ref := digest(base())
	tests := []struct {
		name   string
		change func(*apigw.Snapshot)
		same   bool
	}{
		{"identical", func(*apigw.Snapshot) {}, true},
		{"empty instead of nil maps", func(s *apigw.Snapshot) {
			s.Resources["a"].Methods = map[string]*apigw.Method{}
			s.BinaryMediaTypes = []string{}
		}, true},
		{"api key required", func(s *apigw.Snapshot) { s.Resources["r"].Methods["GET"].APIKeyRequired = true }, false},
		{"binary media type", func(s *apigw.Snapshot) { s.BinaryMediaTypes = []string{"image/png"} }, false},
		{"new resource", func(s *apigw.Snapshot) { s.Resources["b"] = &apigw.Resource{ID: "b", ParentID: "r", PathPart: "b"} }, false},
		{"key source", func(s *apigw.Snapshot) { s.APIKeySource = "AUTHORIZER" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := base()
			tt.change(&s)
			if got := digest(s) == ref; got != tt.same {
				t.Errorf("digest equal = %v, want %v", got, tt.same)
			}
		})
	}
}

func TestResourcePath(t *testing.T) {
	api := &apigw.RestAPI{Resources: map[string]*apigw.Resource{
		"r": {ID: "r"},
		"a": {ID: "a", ParentID: "r", PathPart: "pets"},
		"b": {ID: "b", ParentID: "a", PathPart: "{id}"},
		"x": {ID: "x", ParentID: "y", PathPart: "loop"},
		"y": {ID: "y", ParentID: "x", PathPart: "loop"},
	}}
	for id, want := range map[string]string{"r": "/", "a": "/pets", "b": "/pets/{id}", "x": "", "missing": ""} {
		if got := ResourcePath(api, id); got != want {
			t.Errorf("ResourcePath(%s) = %q, want %q", id, got, want)
		}
	}
}
