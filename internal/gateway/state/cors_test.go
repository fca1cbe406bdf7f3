package state

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/gateway/route"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

func TestNewCORSOrigins(t *testing.T) {
	tests := []struct {
		name  string
		tags  map[string]string
		want  CORSOrigins
		allow map[string]bool // Origin -> Allows
	}{
		{"untagged", map[string]string{"team": "a"}, CORSOrigins{}, map[string]bool{"https://a.example": false, "": false}},
		{"any", map[string]string{apigw.TagCORSAllowOrigins: "*"}, CORSOrigins{On: true, Any: true}, map[string]bool{"https://a.example": true, "null": true, "": false}},
		{"list", map[string]string{apigw.TagCORSAllowOrigins: "https://A.example:443, http://localhost:3000"},
			CORSOrigins{On: true, Origins: []string{"https://a.example", "http://localhost:3000"}},
			map[string]bool{"https://a.example": true, "http://localhost:3000": true, "http://localhost:3001": false, "https://b.example": false, "https://a.example.evil": false}},
		{"stored before the rule", map[string]string{apigw.TagCORSAllowOrigins: "a.example"}, CORSOrigins{Invalid: apigw.TagCORSAllowOrigins}, map[string]bool{"a.example": false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := newCORSOrigins(tt.tags)
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("newCORSOrigins mismatch (-want +got):\n%s", diff)
			}
			for o, want := range tt.allow {
				if got.Allows(o) != want {
					t.Errorf("Allows(%q) = %v, want %v", o, !want, want)
				}
			}
		})
	}
}

// enableCORS is an OPTIONS method as the AWS console's "Enable CORS" sets
// it up: a MOCK whose 200 integration response sets the three headers.
func enableCORS(origin string) *apigw.Method {
	return &apigw.Method{HTTPMethod: "OPTIONS", AuthorizationType: apigw.AuthNone, Integration: &apigw.Integration{Type: apigw.IntegrationMock,
		RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`},
		IntegrationResponses: map[string]*apigw.IntegrationResponse{"200": {StatusCode: "200", ResponseParameters: map[string]string{
			"method.response.header.Access-Control-Allow-Headers": "'Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token'",
			"method.response.header.Access-Control-Allow-Methods": "'GET,OPTIONS'",
			"method.response.header.Access-Control-Allow-Origin":  origin,
		}}}}}
}

// TestResourceCORS: a resource has CORS when its OPTIONS method is a MOCK
// whose integration response sets a static Access-Control-Allow-Origin.
func TestResourceCORS(t *testing.T) {
	get := &apigw.Method{HTTPMethod: "GET", AuthorizationType: apigw.AuthNone, Integration: &apigw.Integration{Type: apigw.IntegrationMock}}
	proxyOptions := &apigw.Method{HTTPMethod: "OPTIONS", AuthorizationType: apigw.AuthNone, Integration: &apigw.Integration{Type: apigw.IntegrationHTTPProxy, URI: "http://127.0.0.1/x"}}
	fromRequest := enableCORS("method.request.header.Origin")
	lower := enableCORS("'https://app.example.com'")
	ir := lower.Integration.IntegrationResponses["200"]
	ir.ResponseParameters = map[string]string{"method.response.header.access-control-allow-origin": "'https://app.example.com'"}
	snap := &apigw.Snapshot{RootResourceID: "root", Resources: map[string]*apigw.Resource{
		"root": {ID: "root", Methods: map[string]*apigw.Method{"GET": get}},
		"r1":   {ID: "r1", ParentID: "root", PathPart: "console", Methods: map[string]*apigw.Method{"GET": get, "OPTIONS": enableCORS("'*'")}},
		"r2":   {ID: "r2", ParentID: "root", PathPart: "proxied", Methods: map[string]*apigw.Method{"GET": get, "OPTIONS": proxyOptions}},
		"r3":   {ID: "r3", ParentID: "root", PathPart: "echo", Methods: map[string]*apigw.Method{"OPTIONS": fromRequest}},
		"r4":   {ID: "r4", ParentID: "root", PathPart: "lower", Methods: map[string]*apigw.Method{"OPTIONS": lower}},
		"r5":   {ID: "r5", ParentID: "root", PathPart: "none", Methods: map[string]*apigw.Method{"GET": get}},
	}}
	tab, err := route.Compile(snap)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]ResourceCORS{}
	for r, c := range resourceCORS(tab) {
		got[r.Path] = *c
	}
	want := map[string]ResourceCORS{
		"/console": {AllowOrigin: "*", AllowMethods: "GET,OPTIONS", AllowHeaders: "Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token", AllowOriginValue: []string{"*"}},
		"/lower":   {AllowOrigin: "https://app.example.com", AllowOriginValue: []string{"https://app.example.com"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("resourceCORS mismatch (-want +got):\n%s", diff)
	}
	if resourceCORS(nil) != nil {
		t.Error("resourceCORS(nil) is not nil")
	}
}

// TestCORSTagAppliesLive: gatehouse:corsAllowOrigins is read like the key
// source tags: the next state after a tag change has it, without a
// deployment.
func TestCORSTagAppliesLive(t *testing.T) {
	db := openStore(t)
	seed(t, db)
	s := listening(t, db)
	update(t, db, func(ctx context.Context, tx store.Tx) error {
		a, err := tx.GetAPI(ctx, "a1")
		if err != nil {
			return err
		}
		a.Tags = map[string]string{apigw.TagCORSAllowOrigins: "https://app.example.com"}
		return tx.UpdateAPI(ctx, a)
	})
	if c := s.API("a1").CORS; !c.Allows("https://app.example.com") || c.Allows("https://b.example") {
		t.Fatalf("after tagging: %+v", c)
	}
	update(t, db, func(ctx context.Context, tx store.Tx) error {
		a, err := tx.GetAPI(ctx, "a1")
		if err != nil {
			return err
		}
		a.Tags = nil
		return tx.UpdateAPI(ctx, a)
	})
	if c := s.API("a1").CORS; c.On {
		t.Fatalf("after untagging: %+v", c)
	}
}
