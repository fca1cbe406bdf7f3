package awsapi

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/control"
)

// AuthorizerRunner is the data plane as the authorizer operations need it:
// TestInvokeAuthorizer runs an authorizer as a request would, and
// FlushStageAuthorizersCache drops a stage's cached authorizer results.
// The server wires the gateway to it (awsapi must not import gateway).
type AuthorizerRunner interface {
	TestInvokeAuthorizer(ctx context.Context, apiID string, a *apigw.Authorizer, in apigw.AuthorizerTest) (apigw.AuthorizerTestResult, error)
	FlushStageAuthorizersCache(apiID, stage string)
}

// testInvokeAuthorizerTimeout bounds one TestInvokeAuthorizer call, on
// top of the runner's own function timeout, so that a hanging function
// cannot hold the management call.
const testInvokeAuthorizerTimeout = 30 * time.Second

// authorizerJSON is the Authorizer shape. authorizerResultTtlInSeconds is
// absent when not set, as AWS answers; 0 is sent.
type authorizerJSON struct {
	ID                           string   `json:"id"`
	Name                         string   `json:"name"`
	Type                         string   `json:"type"`
	ProviderARNs                 []string `json:"providerARNs,omitempty"`
	AuthType                     string   `json:"authType,omitempty"`
	AuthorizerURI                string   `json:"authorizerUri,omitempty"`
	AuthorizerCredentials        string   `json:"authorizerCredentials,omitempty"`
	IdentitySource               string   `json:"identitySource,omitempty"`
	IdentityValidationExpression string   `json:"identityValidationExpression,omitempty"`
	AuthorizerResultTTLInSeconds *int     `json:"authorizerResultTtlInSeconds,omitempty"`
}

func toAuthorizerJSON(a *apigw.Authorizer) authorizerJSON {
	return authorizerJSON{
		ID:                           a.ID,
		Name:                         a.Name,
		Type:                         a.Type,
		ProviderARNs:                 a.ProviderARNs,
		AuthType:                     a.AuthType,
		AuthorizerURI:                a.AuthorizerURI,
		AuthorizerCredentials:        a.AuthorizerCredentials,
		IdentitySource:               a.IdentitySource,
		IdentityValidationExpression: a.IdentityValidationExpression,
		AuthorizerResultTTLInSeconds: a.AuthorizerResultTTLInSeconds,
	}
}

type createAuthorizerRequest struct {
	Name                         string   `json:"name"`
	Type                         string   `json:"type"`
	ProviderARNs                 []string `json:"providerARNs"`
	AuthType                     string   `json:"authType"`
	AuthorizerURI                string   `json:"authorizerUri"`
	AuthorizerCredentials        string   `json:"authorizerCredentials"`
	IdentitySource               string   `json:"identitySource"`
	IdentityValidationExpression string   `json:"identityValidationExpression"`
	AuthorizerResultTTLInSeconds *int     `json:"authorizerResultTtlInSeconds"`
}

func (h *Handler) createAuthorizer(w http.ResponseWriter, r *http.Request) error {
	var req createAuthorizerRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	apiID := r.PathValue("restApiId")
	a, err := h.ctl.CreateAuthorizer(r.Context(), apiID, control.CreateAuthorizerInput{
		Name:                         req.Name,
		Type:                         req.Type,
		ProviderARNs:                 req.ProviderARNs,
		AuthType:                     req.AuthType,
		AuthorizerURI:                req.AuthorizerURI,
		AuthorizerCredentials:        req.AuthorizerCredentials,
		IdentitySource:               req.IdentitySource,
		IdentityValidationExpression: req.IdentityValidationExpression,
		AuthorizerResultTTLInSeconds: req.AuthorizerResultTTLInSeconds,
	})
	if err != nil {
		return err
	}
	auditCreated(r, "restapis", apiID, "authorizers", a.ID)
	return respond(w, http.StatusCreated, toAuthorizerJSON(a))
}

func (h *Handler) getAuthorizer(w http.ResponseWriter, r *http.Request) error {
	a, err := h.ctl.GetAuthorizer(r.Context(), r.PathValue("restApiId"), r.PathValue("authorizerId"))
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toAuthorizerJSON(a))
}

func (h *Handler) getAuthorizers(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	as, next, err := h.ctl.ListAuthorizers(r.Context(), r.PathValue("restApiId"), p)
	if err != nil {
		return err
	}
	items := make([]authorizerJSON, len(as))
	for i, a := range as {
		items[i] = toAuthorizerJSON(a)
	}
	return respond(w, http.StatusOK, newList(items, next))
}

func (h *Handler) updateAuthorizer(w http.ResponseWriter, r *http.Request) error {
	ops, err := decodePatch(r, "updateAuthorizerInput")
	if err != nil {
		return err
	}
	a, err := h.ctl.UpdateAuthorizer(r.Context(), r.PathValue("restApiId"), r.PathValue("authorizerId"), ops)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toAuthorizerJSON(a))
}

func (h *Handler) deleteAuthorizer(w http.ResponseWriter, r *http.Request) error {
	if err := h.ctl.DeleteAuthorizer(r.Context(), r.PathValue("restApiId"), r.PathValue("authorizerId")); err != nil {
		return err
	}
	return respondEmpty(w, http.StatusAccepted)
}

type testInvokeAuthorizerRequest struct {
	Headers             map[string]string   `json:"headers"`
	MultiValueHeaders   map[string][]string `json:"multiValueHeaders"`
	PathWithQueryString string              `json:"pathWithQueryString"`
	Body                string              `json:"body"`
	StageVariables      map[string]string   `json:"stageVariables"`
	AdditionalContext   map[string]string   `json:"additionalContext"`
}

// testInvokeAuthorizerJSON is TestInvokeAuthorizer's answer; latency is in
// milliseconds.
type testInvokeAuthorizerJSON struct {
	ClientStatus  int                 `json:"clientStatus"`
	Log           string              `json:"log"`
	Latency       int64               `json:"latency"`
	PrincipalID   string              `json:"principalId,omitempty"`
	Policy        string              `json:"policy,omitempty"`
	Authorization map[string][]string `json:"authorization,omitempty"`
	Claims        map[string]string   `json:"claims,omitempty"`
}

// testInvokeAuthorizer runs the authorizer as stored now (not as a stage's
// deployment froze it), through the data plane.
func (h *Handler) testInvokeAuthorizer(w http.ResponseWriter, r *http.Request) error {
	var req testInvokeAuthorizerRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	apiID := r.PathValue("restApiId")
	a, err := h.ctl.GetAuthorizer(r.Context(), apiID, r.PathValue("authorizerId"))
	if err != nil {
		return err
	}
	if h.runner == nil {
		return &notImplementedError{op: "TestInvokeAuthorizer", why: "this node's data plane does not run authorizers"}
	}
	ctx, cancel := context.WithTimeout(r.Context(), testInvokeAuthorizerTimeout)
	defer cancel()
	res, err := h.runner.TestInvokeAuthorizer(ctx, apiID, a, apigw.AuthorizerTest{
		Headers:             req.Headers,
		MultiValueHeaders:   req.MultiValueHeaders,
		PathWithQueryString: req.PathWithQueryString,
		Body:                req.Body,
		StageVariables:      req.StageVariables,
		AdditionalContext:   req.AdditionalContext,
	})
	if err != nil {
		return fmt.Errorf("test-invoke authorizer %s of API %s: %w", a.ID, apiID, err)
	}
	return respond(w, http.StatusOK, testInvokeAuthorizerJSON{
		ClientStatus:  res.ClientStatus,
		Log:           res.Log,
		Latency:       res.Latency.Milliseconds(),
		PrincipalID:   res.PrincipalID,
		Policy:        res.Policy,
		Authorization: res.Authorization,
		Claims:        res.Claims,
	})
}

// flushStageAuthorizersCache checks the stage exists, then drops its
// cached authorizer results. Without a runner there is no cache to flush.
func (h *Handler) flushStageAuthorizersCache(w http.ResponseWriter, r *http.Request) error {
	apiID, stage := r.PathValue("restApiId"), r.PathValue("stageName")
	if err := h.ctl.FlushStageAuthorizersCache(r.Context(), apiID, stage); err != nil {
		return err
	}
	if h.runner != nil {
		h.runner.FlushStageAuthorizersCache(apiID, stage)
	}
	return respondEmpty(w, http.StatusAccepted)
}
