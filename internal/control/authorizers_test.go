package control

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/patch"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

const testLambdaURI = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:auth/invocations"

// authorizerAPI creates an API with GET /pets (MOCK) authorized by a TOKEN
// authorizer, and returns the API id, the resource id and the authorizer.
func authorizerAPI(t *testing.T, s *Service) (apiID, resID string, a *apigw.Authorizer) {
	t.Helper()
	ctx := context.Background()
	api, err := s.CreateRestAPI(ctx, CreateRestAPIInput{Name: "authz"})
	if err != nil {
		t.Fatal(err)
	}
	a, err = s.CreateAuthorizer(ctx, api.ID, CreateAuthorizerInput{Name: "tok", Type: apigw.AuthorizerToken,
		AuthorizerURI: testLambdaURI, IdentitySource: "method.request.header.Authorization"})
	if err != nil {
		t.Fatal(err)
	}
	ri, err := s.CreateResource(ctx, api.ID, api.RootResourceID, "pets")
	if err != nil {
		t.Fatal(err)
	}
	ref := MethodRef{APIID: api.ID, ResourceID: ri.Resource.ID, HTTPMethod: "GET"}
	if _, err := s.PutMethod(ctx, ref, PutMethodInput{AuthorizationType: "custom", AuthorizerID: a.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutIntegration(ctx, ref, PutIntegrationInput{Type: apigw.IntegrationMock}); err != nil {
		t.Fatal(err)
	}
	return api.ID, ri.Resource.ID, a
}

// TestAuthorizersInDeployments: a deployment freezes the authorizers with
// the rest of the definition; a later change to an authorizer reaches a
// stage only through a new deployment, as on AWS.
func TestAuthorizersInDeployments(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	s := newTestService(t, &now)
	apiID, _, a := authorizerAPI(t, s)

	d1, err := s.CreateDeployment(ctx, apiID, CreateDeploymentInput{StageName: "prod"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateAuthorizer(ctx, apiID, a.ID, []patch.Op{
		{Op: patch.Replace, Path: "/authorizerUri", Value: "https://auth.example/v2"},
		{Op: patch.Replace, Path: "/authorizerResultTtlInSeconds", Value: "0"},
	}); err != nil {
		t.Fatal(err)
	}
	d2, err := s.CreateDeployment(ctx, apiID, CreateDeploymentInput{StageName: "prod"})
	if err != nil {
		t.Fatal(err)
	}
	snap := func(id string) *apigw.Authorizer {
		t.Helper()
		var d *apigw.Deployment
		if err := s.Store().View(ctx, func(r store.Reader) error {
			var err error
			d, err = r.GetDeployment(ctx, apiID, id)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		got := d.Snapshot.Authorizers[a.ID]
		if got == nil {
			t.Fatalf("deployment %s carries no authorizer %s: %v", id, a.ID, d.Snapshot.Authorizers)
		}
		return got
	}
	if got := snap(d1.ID); got.AuthorizerURI != testLambdaURI || got.AuthorizerResultTTLInSeconds != nil {
		t.Errorf("first deployment's authorizer = %+v, want the URI and TTL it was deployed with", got)
	}
	if got := snap(d2.ID); got.AuthorizerURI != "https://auth.example/v2" || got.TTL() != 0 {
		t.Errorf("second deployment's authorizer = %+v, want the changed URI and TTL 0", got)
	}
}

// TestDeleteAuthorizerInUse: AWS refuses to delete an authorizer a method
// uses, naming it and the method; once the method stops using it, it goes.
func TestDeleteAuthorizerInUse(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	s := newTestService(t, &now)
	apiID, resID, a := authorizerAPI(t, s)

	err := s.DeleteAuthorizer(ctx, apiID, a.ID)
	if KindOf(err) != KindConflict || err.Error() != "Cannot delete authorizer 'tok', is referenced in method: GET//pets" {
		t.Fatalf("delete in use = %v (kind %v), want the Conflict naming GET//pets", err, KindOf(err))
	}
	if _, err := s.GetAuthorizer(ctx, apiID, a.ID); err != nil {
		t.Fatalf("refused delete removed the authorizer: %v", err)
	}
	ref := MethodRef{APIID: apiID, ResourceID: resID, HTTPMethod: "GET"}
	m, err := s.UpdateMethod(ctx, ref, []patch.Op{{Op: patch.Replace, Path: "/authorizationType", Value: "NONE"}})
	if err != nil {
		t.Fatal(err)
	}
	if m.AuthorizerID != "" {
		t.Errorf("method without authorizer keeps authorizerId %q", m.AuthorizerID)
	}
	if err := s.DeleteAuthorizer(ctx, apiID, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetAuthorizer(ctx, apiID, a.ID); KindOf(err) != KindNotFound || err.Error() != msgAuthorizerNotFound {
		t.Errorf("get after delete = %v", err)
	}
}

// TestAuthorizerLimit: the eleventh authorizer of an API is refused with
// LimitExceeded and not stored.
func TestAuthorizerLimit(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	s := newTestService(t, &now)
	api, err := s.CreateRestAPI(ctx, CreateRestAPIInput{Name: "many"})
	if err != nil {
		t.Fatal(err)
	}
	zero := 0
	in := CreateAuthorizerInput{Type: apigw.AuthorizerRequest, AuthorizerURI: "https://auth.example/", AuthorizerResultTTLInSeconds: &zero}
	for i := range maxAuthorizersPerAPI {
		in.Name = fmt.Sprint("a", i)
		if _, err := s.CreateAuthorizer(ctx, api.ID, in); err != nil {
			t.Fatalf("authorizer %d: %v", i, err)
		}
	}
	in.Name = "one too many"
	_, err = s.CreateAuthorizer(ctx, api.ID, in)
	if KindOf(err) != KindLimitExceeded {
		t.Fatalf("11th authorizer: %v (kind %v), want LimitExceeded", err, KindOf(err))
	}
	all, _, err := s.ListAuthorizers(ctx, api.ID, store.Page{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != maxAuthorizersPerAPI {
		t.Errorf("%d authorizers stored, want %d", len(all), maxAuthorizersPerAPI)
	}
}

// TestCloneCopiesAuthorizers: cloneFrom copies the authorizers with the
// methods that name them, so the clone's methods stay valid and deployable.
func TestCloneCopiesAuthorizers(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	s := newTestService(t, &now)
	apiID, _, a := authorizerAPI(t, s)
	clone, err := s.CreateRestAPI(ctx, CreateRestAPIInput{Name: "clone", CloneFrom: apiID})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.GetAuthorizer(ctx, clone.ID, a.ID)
	if err != nil || got.Name != "tok" {
		t.Fatalf("clone's authorizer %s = %+v, %v", a.ID, got, err)
	}
	// Changing the clone's leaves the original alone.
	if _, err := s.UpdateAuthorizer(ctx, clone.ID, a.ID, []patch.Op{{Op: patch.Replace, Path: "/name", Value: "cloned"}}); err != nil {
		t.Fatal(err)
	}
	if orig, err := s.GetAuthorizer(ctx, apiID, a.ID); err != nil || orig.Name != "tok" {
		t.Errorf("original after changing the clone's = %+v, %v", orig, err)
	}
	if _, err := s.CreateDeployment(ctx, clone.ID, CreateDeploymentInput{StageName: "prod"}); err != nil {
		t.Errorf("deploying the clone: %v", err)
	}
}

// TestValidationExpressionJavaFeatures: an expression RE2 cannot compile is
// refused, and a Java feature RE2 lacks is named as such.
func TestValidationExpressionJavaFeatures(t *testing.T) {
	tests := []struct {
		expr     string
		wantJava bool
	}{
		{`^Bearer (?=[A-Za-z])`, true},
		{`(?<!x)y`, true},
		{`(a)\1`, true},
		{`a*+`, true},
		{`a(b`, false},
		{`[z-a]`, false},
	}
	for _, tt := range tests {
		err := checkValidationExpression(tt.expr)
		if KindOf(err) != KindBadRequest {
			t.Errorf("%q: %v, want BadRequest", tt.expr, err)
			continue
		}
		if got := strings.Contains(err.Error(), "RE2"); got != tt.wantJava {
			t.Errorf("%q: message %q names RE2 = %v, want %v", tt.expr, err, got, tt.wantJava)
		}
	}
	if err := checkValidationExpression(`^Bearer [-0-9a-zA-Z._]+$`); err != nil {
		t.Errorf("valid expression refused: %v", err)
	}
}

// FuzzCheckAuthorizer: whatever a client sends in the fields parsed here
// (URI, identity source, validation expression, TTL), the checks answer
// nil or a BadRequest, never panic; an accepted TOKEN authorizer has one
// header source and an expression that compiles.
func FuzzCheckAuthorizer(f *testing.F) {
	f.Add("TOKEN", testLambdaURI, "method.request.header.Authorization", "^Bearer .+$", 300)
	f.Add("REQUEST", "https://auth.example/x", "method.request.header.A, method.request.querystring.b, stageVariables.c, context.d", "", 0)
	f.Add("REQUEST", "http://[::1]:9/", "", "", 0)
	f.Add("COGNITO_USER_POOLS", "", "method.request.header.A", "(?=x)", 3600)
	f.Add("TOKEN", "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions//invocations", "method.request.header.", "a(b", -1)
	f.Fuzz(func(t *testing.T, typ, uri, source, expr string, ttl int) {
		a := &apigw.Authorizer{Name: "n", Type: typ, AuthorizerURI: uri, IdentitySource: source, IdentityValidationExpression: expr,
			AuthorizerResultTTLInSeconds: &ttl, ProviderARNs: []string{"arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbC123"}}
		err := checkAuthorizer(a)
		if err != nil {
			if KindOf(err) != KindBadRequest {
				t.Fatalf("refusal of kind %v: %v", KindOf(err), err)
			}
			return
		}
		if typ == apigw.AuthorizerToken && strings.Contains(source, ",") {
			t.Fatalf("TOKEN authorizer accepted with several sources %q", source)
		}
		if ttl < 0 || ttl > apigw.MaxAuthorizerTTL {
			t.Fatalf("TTL %d accepted", ttl)
		}
	})
}
