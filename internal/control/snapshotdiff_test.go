package control

import (
	"slices"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
)

func TestSnapshotChanges(t *testing.T) {
	ttl := func(n int) *int { return &n }
	base := func() apigw.Snapshot {
		return apigw.Snapshot{
			RootResourceID: "root",
			Resources: map[string]*apigw.Resource{
				"root": {ID: "root", Methods: map[string]*apigw.Method{
					"GET": {HTTPMethod: "GET", AuthorizationType: "NONE", Integration: &apigw.Integration{Type: "MOCK"}},
				}},
				"pets": {ID: "pets", ParentID: "root", PathPart: "pets", Methods: map[string]*apigw.Method{
					"GET": {HTTPMethod: "GET", AuthorizationType: "NONE", Integration: &apigw.Integration{Type: "MOCK"}},
				}},
			},
			Authorizers: map[string]*apigw.Authorizer{"az1": {ID: "az1", Name: "jwt", Type: "TOKEN", AuthorizerResultTTLInSeconds: ttl(300)}},
		}
	}
	tests := []struct {
		name   string
		change func(s *apigw.Snapshot)
		want   []string
	}{
		{"nothing", func(*apigw.Snapshot) {}, nil},
		{"nil and empty maps are equal", func(s *apigw.Snapshot) {
			s.Resources["pets"].Methods["GET"].RequestParameters = map[string]bool{}
		}, nil},
		{"method added", func(s *apigw.Snapshot) {
			s.Resources["doit"] = &apigw.Resource{ID: "doit", ParentID: "root", PathPart: "doit", Methods: map[string]*apigw.Method{
				"POST": {HTTPMethod: "POST", AuthorizationType: "NONE", Integration: &apigw.Integration{Type: "MOCK"}},
			}}
		}, []string{"POST /doit added"}},
		{"method removed, key now required elsewhere", func(s *apigw.Snapshot) {
			delete(s.Resources["root"].Methods, "GET")
			s.Resources["pets"].Methods["GET"].APIKeyRequired = true
			s.Resources["pets"].Methods["GET"].Integration.Type = "HTTP_PROXY"
		}, []string{"GET / removed", "GET /pets changed (apiKeyRequired, integration)"}},
		{"empty resource, authorizer and key source", func(s *apigw.Snapshot) {
			s.Resources["orders"] = &apigw.Resource{ID: "orders", ParentID: "root", PathPart: "orders"}
			s.Authorizers["az1"].AuthorizerResultTTLInSeconds = ttl(0)
			s.Authorizers["az2"] = &apigw.Authorizer{ID: "az2", Name: "req", Type: "REQUEST"}
			s.APIKeySource = apigw.KeySourceAuthorizer
		}, []string{"resource /orders added", "authorizer az1 (jwt) changed (authorizerResultTtlInSeconds)", "authorizer az2 (req) added", "apiKeySource HEADER → AUTHORIZER changed"}},
		{"minimumCompressionSize set", func(s *apigw.Snapshot) { s.MinimumCompressionSize = ttl(0) }, []string{"minimumCompressionSize changed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cur := base()
			tt.change(&cur)
			got, err := SnapshotChanges(base(), cur)
			if err != nil {
				t.Fatal(err)
			}
			var s []string
			for _, c := range got {
				s = append(s, c.String())
			}
			if !slices.Equal(s, tt.want) {
				t.Errorf("changes:\n got %q\nwant %q", s, tt.want)
			}
			outdated, err := DeploymentOutdated(&apigw.RestAPI{RootResourceID: cur.RootResourceID, Resources: cur.Resources, Authorizers: cur.Authorizers, APIKeySource: cur.APIKeySource, MinimumCompressionSize: cur.MinimumCompressionSize}, &apigw.Deployment{Snapshot: base()})
			if err != nil {
				t.Fatal(err)
			}
			if outdated != (len(tt.want) > 0) {
				t.Errorf("DeploymentOutdated = %v with changes %q", outdated, tt.want)
			}
		})
	}
}
