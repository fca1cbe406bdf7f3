package awsapi

import (
	"net/http"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/control"
)

type methodSummaryJSON struct {
	AuthorizationType string `json:"authorizationType"`
	APIKeyRequired    bool   `json:"apiKeyRequired"`
}

// deploymentJSON is the Deployment shape; apiSummary only with
// embed=apisummary.
type deploymentJSON struct {
	ID          string                                  `json:"id"`
	Description string                                  `json:"description,omitempty"`
	CreatedDate *epoch                                  `json:"createdDate,omitempty"`
	APISummary  map[string]map[string]methodSummaryJSON `json:"apiSummary,omitempty"`
}

func toDeploymentJSON(d *apigw.Deployment, summary bool) deploymentJSON {
	out := deploymentJSON{ID: d.ID, Description: d.Description, CreatedDate: ts(d.CreatedDate)}
	if summary {
		out.APISummary = map[string]map[string]methodSummaryJSON{}
		for path, ms := range control.APISummary(d) {
			m := make(map[string]methodSummaryJSON, len(ms))
			for hm, s := range ms {
				m[hm] = methodSummaryJSON{AuthorizationType: s.AuthorizationType, APIKeyRequired: s.APIKeyRequired}
			}
			out.APISummary[path] = m
		}
	}
	return out
}

type deploymentCanaryJSON struct {
	PercentTraffic         float64           `json:"percentTraffic"`
	StageVariableOverrides map[string]string `json:"stageVariableOverrides"`
	UseStageCache          bool              `json:"useStageCache"`
}

type createDeploymentRequest struct {
	StageName           *string               `json:"stageName"`
	StageDescription    string                `json:"stageDescription"`
	Description         string                `json:"description"`
	CacheClusterEnabled *bool                 `json:"cacheClusterEnabled"`
	CacheClusterSize    string                `json:"cacheClusterSize"`
	Variables           map[string]string     `json:"variables"`
	CanarySettings      *deploymentCanaryJSON `json:"canarySettings"`
	TracingEnabled      *bool                 `json:"tracingEnabled"`
}

func (h *Handler) createDeployment(w http.ResponseWriter, r *http.Request) error {
	var req createDeploymentRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	in := control.CreateDeploymentInput{
		StageNameSent:       req.StageName != nil,
		StageDescription:    req.StageDescription,
		Description:         req.Description,
		Variables:           req.Variables,
		CacheClusterEnabled: req.CacheClusterEnabled,
		CacheClusterSize:    req.CacheClusterSize,
		TracingEnabled:      req.TracingEnabled,
	}
	if req.StageName != nil {
		in.StageName = *req.StageName
	}
	if c := req.CanarySettings; c != nil {
		in.CanarySettings = &control.DeploymentCanaryInput{PercentTraffic: c.PercentTraffic, StageVariableOverrides: c.StageVariableOverrides, UseStageCache: c.UseStageCache}
	}
	d, err := h.ctl.CreateDeployment(r.Context(), r.PathValue("restApiId"), in)
	if err != nil {
		return err
	}
	auditCreated(r, "restapis", r.PathValue("restApiId"), "deployments", d.ID)
	return respond(w, http.StatusCreated, toDeploymentJSON(d, false))
}

func (h *Handler) getDeployment(w http.ResponseWriter, r *http.Request) error {
	d, err := h.ctl.GetDeployment(r.Context(), r.PathValue("restApiId"), r.PathValue("deploymentId"))
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toDeploymentJSON(d, embedded(r, "apisummary")))
}

func (h *Handler) getDeployments(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	ds, next, err := h.ctl.ListDeployments(r.Context(), r.PathValue("restApiId"), p)
	if err != nil {
		return err
	}
	summary := embedded(r, "apisummary")
	items := make([]deploymentJSON, len(ds))
	for i, d := range ds {
		items[i] = toDeploymentJSON(d, summary)
	}
	return respond(w, http.StatusOK, newList(items, next))
}

func (h *Handler) updateDeployment(w http.ResponseWriter, r *http.Request) error {
	ops, err := decodePatch(r, "updateDeploymentInput")
	if err != nil {
		return err
	}
	d, err := h.ctl.UpdateDeployment(r.Context(), r.PathValue("restApiId"), r.PathValue("deploymentId"), ops)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toDeploymentJSON(d, false))
}

func (h *Handler) deleteDeployment(w http.ResponseWriter, r *http.Request) error {
	if err := h.ctl.DeleteDeployment(r.Context(), r.PathValue("restApiId"), r.PathValue("deploymentId")); err != nil {
		return err
	}
	return respondEmpty(w, http.StatusAccepted)
}
