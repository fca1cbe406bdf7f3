package awsapi

import (
	"net/http"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/control"
)

// methodSettingJSON is the MethodSetting shape.
type methodSettingJSON struct {
	MetricsEnabled                         bool    `json:"metricsEnabled"`
	LoggingLevel                           string  `json:"loggingLevel,omitempty"`
	DataTraceEnabled                       bool    `json:"dataTraceEnabled"`
	ThrottlingBurstLimit                   int     `json:"throttlingBurstLimit"`
	ThrottlingRateLimit                    float64 `json:"throttlingRateLimit"`
	CachingEnabled                         bool    `json:"cachingEnabled"`
	CacheTTLInSeconds                      int     `json:"cacheTtlInSeconds"`
	CacheDataEncrypted                     bool    `json:"cacheDataEncrypted"`
	RequireAuthorizationForCacheControl    bool    `json:"requireAuthorizationForCacheControl"`
	UnauthorizedCacheControlHeaderStrategy string  `json:"unauthorizedCacheControlHeaderStrategy,omitempty"`
}

type accessLogSettingsJSON struct {
	Format         string `json:"format,omitempty"`
	DestinationARN string `json:"destinationArn,omitempty"`
}

type canarySettingsJSON struct {
	DeploymentID           string            `json:"deploymentId,omitempty"`
	PercentTraffic         float64           `json:"percentTraffic"`
	StageVariableOverrides map[string]string `json:"stageVariableOverrides,omitempty"`
	UseStageCache          bool              `json:"useStageCache"`
}

// stageJSON is the Stage shape plus Gatehouse's apiChangedSinceDeployment.
type stageJSON struct {
	DeploymentID              string                       `json:"deploymentId"`
	ClientCertificateID       string                       `json:"clientCertificateId,omitempty"`
	StageName                 string                       `json:"stageName"`
	Description               string                       `json:"description,omitempty"`
	CacheClusterEnabled       bool                         `json:"cacheClusterEnabled"`
	CacheClusterSize          string                       `json:"cacheClusterSize,omitempty"`
	CacheClusterStatus        string                       `json:"cacheClusterStatus,omitempty"`
	MethodSettings            map[string]methodSettingJSON `json:"methodSettings"`
	Variables                 map[string]string            `json:"variables,omitempty"`
	DocumentationVersion      string                       `json:"documentationVersion,omitempty"`
	AccessLogSettings         *accessLogSettingsJSON       `json:"accessLogSettings,omitempty"`
	CanarySettings            *canarySettingsJSON          `json:"canarySettings,omitempty"`
	TracingEnabled            bool                         `json:"tracingEnabled"`
	Tags                      map[string]string            `json:"tags,omitempty"`
	CreatedDate               *epoch                       `json:"createdDate,omitempty"`
	LastUpdatedDate           *epoch                       `json:"lastUpdatedDate,omitempty"`
	APIChangedSinceDeployment bool                         `json:"apiChangedSinceDeployment"`
}

func toMethodSettingJSON(ms *apigw.MethodSetting) methodSettingJSON {
	return methodSettingJSON{
		MetricsEnabled:                         ms.MetricsEnabled,
		LoggingLevel:                           ms.LoggingLevel,
		DataTraceEnabled:                       ms.DataTraceEnabled,
		ThrottlingBurstLimit:                   ms.ThrottlingBurstLimit,
		ThrottlingRateLimit:                    ms.ThrottlingRateLimit,
		CachingEnabled:                         ms.CachingEnabled,
		CacheTTLInSeconds:                      ms.CacheTTLInSeconds,
		CacheDataEncrypted:                     ms.CacheDataEncrypted,
		RequireAuthorizationForCacheControl:    ms.RequireAuthorizationForCacheControl,
		UnauthorizedCacheControlHeaderStrategy: ms.UnauthorizedCacheControlHeaderStrategy,
	}
}

func toStageJSON(ss control.StageStatus) stageJSON {
	st := ss.Stage
	out := stageJSON{
		DeploymentID:              st.DeploymentID,
		ClientCertificateID:       st.ClientCertificateID,
		StageName:                 st.Name,
		Description:               st.Description,
		CacheClusterEnabled:       st.CacheClusterEnabled,
		CacheClusterSize:          st.CacheClusterSize,
		CacheClusterStatus:        st.CacheClusterStatus,
		MethodSettings:            make(map[string]methodSettingJSON, len(st.MethodSettings)),
		Variables:                 nilIfEmpty(st.Variables),
		DocumentationVersion:      st.DocumentationVersion,
		TracingEnabled:            st.TracingEnabled,
		Tags:                      nilIfEmpty(st.Tags),
		CreatedDate:               ts(st.CreatedDate),
		LastUpdatedDate:           ts(st.LastUpdatedDate),
		APIChangedSinceDeployment: ss.APIChangedSinceDeployment,
	}
	for k, ms := range st.MethodSettings {
		out.MethodSettings[k] = toMethodSettingJSON(ms)
	}
	if a := st.AccessLogSettings; a != nil {
		out.AccessLogSettings = &accessLogSettingsJSON{Format: a.Format, DestinationARN: a.DestinationARN}
	}
	if c := st.CanarySettings; c != nil {
		out.CanarySettings = &canarySettingsJSON{DeploymentID: c.DeploymentID, PercentTraffic: c.PercentTraffic, StageVariableOverrides: nilIfEmpty(c.StageVariableOverrides), UseStageCache: c.UseStageCache}
	}
	return out
}

type createStageRequest struct {
	StageName            string              `json:"stageName"`
	DeploymentID         string              `json:"deploymentId"`
	Description          string              `json:"description"`
	CacheClusterEnabled  bool                `json:"cacheClusterEnabled"`
	CacheClusterSize     string              `json:"cacheClusterSize"`
	Variables            map[string]string   `json:"variables"`
	DocumentationVersion string              `json:"documentationVersion"`
	CanarySettings       *canarySettingsJSON `json:"canarySettings"`
	TracingEnabled       bool                `json:"tracingEnabled"`
	Tags                 map[string]string   `json:"tags"`
}

func (h *Handler) createStage(w http.ResponseWriter, r *http.Request) error {
	var req createStageRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	in := control.CreateStageInput{
		StageName:            req.StageName,
		DeploymentID:         req.DeploymentID,
		Description:          req.Description,
		CacheClusterEnabled:  req.CacheClusterEnabled,
		CacheClusterSize:     req.CacheClusterSize,
		Variables:            req.Variables,
		DocumentationVersion: req.DocumentationVersion,
		TracingEnabled:       req.TracingEnabled,
		Tags:                 req.Tags,
	}
	if c := req.CanarySettings; c != nil {
		in.CanarySettings = &apigw.CanarySettings{DeploymentID: c.DeploymentID, PercentTraffic: c.PercentTraffic, StageVariableOverrides: c.StageVariableOverrides, UseStageCache: c.UseStageCache}
	}
	ss, err := h.ctl.CreateStage(r.Context(), r.PathValue("restApiId"), in)
	if err != nil {
		return err
	}
	auditCreated(r, "restapis", r.PathValue("restApiId"), "stages", req.StageName)
	return respond(w, http.StatusCreated, toStageJSON(ss))
}

func (h *Handler) getStage(w http.ResponseWriter, r *http.Request) error {
	ss, err := h.ctl.GetStage(r.Context(), r.PathValue("restApiId"), r.PathValue("stageName"))
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toStageJSON(ss))
}

// stagesJSON is GetStages' answer: {"item": [...]}, never paginated.
type stagesJSON struct {
	Items []stageJSON `json:"item"`
}

func (h *Handler) getStages(w http.ResponseWriter, r *http.Request) error {
	sss, err := h.ctl.ListStages(r.Context(), r.PathValue("restApiId"), r.URL.Query().Get("deploymentId"))
	if err != nil {
		return err
	}
	out := stagesJSON{Items: make([]stageJSON, len(sss))}
	for i, ss := range sss {
		out.Items[i] = toStageJSON(ss)
	}
	return respond(w, http.StatusOK, out)
}

func (h *Handler) updateStage(w http.ResponseWriter, r *http.Request) error {
	ops, err := decodePatch(r, "updateStageInput")
	if err != nil {
		return err
	}
	ss, err := h.ctl.UpdateStage(r.Context(), r.PathValue("restApiId"), r.PathValue("stageName"), ops)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toStageJSON(ss))
}

func (h *Handler) deleteStage(w http.ResponseWriter, r *http.Request) error {
	if err := h.ctl.DeleteStage(r.Context(), r.PathValue("restApiId"), r.PathValue("stageName")); err != nil {
		return err
	}
	return respondEmpty(w, http.StatusAccepted)
}

func (h *Handler) flushStageCache(w http.ResponseWriter, r *http.Request) error {
	if err := h.ctl.FlushStageCache(r.Context(), r.PathValue("restApiId"), r.PathValue("stageName")); err != nil {
		return err
	}
	return respondEmpty(w, http.StatusAccepted)
}
