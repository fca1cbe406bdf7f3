package awsapi

import (
	"net/http"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/control"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// apiKeyJSON is AWS's ApiKey shape. stageKeys is always sent ([] when
// none); value only when the operation reveals it; tags only when set.
type apiKeyJSON struct {
	ID              string            `json:"id"`
	Value           string            `json:"value,omitempty"`
	Name            string            `json:"name,omitempty"`
	CustomerID      string            `json:"customerId,omitempty"`
	Description     string            `json:"description,omitempty"`
	Enabled         bool              `json:"enabled"`
	CreatedDate     *epoch            `json:"createdDate,omitempty"`
	LastUpdatedDate *epoch            `json:"lastUpdatedDate,omitempty"`
	StageKeys       []string          `json:"stageKeys"`
	Tags            map[string]string `json:"tags,omitempty"`
}

// apiKeyTagsJSON is UpdateApiKey's shape: tags always sent ({} when none).
// The outer Tags field shadows the embedded one.
type apiKeyTagsJSON struct {
	apiKeyJSON
	Tags map[string]string `json:"tags"`
}

func toAPIKeyJSON(k *apigw.APIKey, value string) apiKeyJSON {
	sk := k.StageKeys
	if sk == nil {
		sk = []string{}
	}
	return apiKeyJSON{
		ID:              k.ID,
		Value:           value,
		Name:            k.Name,
		CustomerID:      k.CustomerID,
		Description:     k.Description,
		Enabled:         k.Enabled,
		CreatedDate:     ts(k.CreatedDate),
		LastUpdatedDate: ts(k.LastUpdatedDate),
		StageKeys:       sk,
		Tags:            nilIfEmpty(k.Tags),
	}
}

type stageKeyJSON struct {
	RestAPIID string `json:"restApiId"`
	StageName string `json:"stageName"`
}

type createAPIKeyRequest struct {
	Name               string            `json:"name"`
	Description        string            `json:"description"`
	Enabled            bool              `json:"enabled"`
	GenerateDistinctID bool              `json:"generateDistinctId"` // deprecated; ignored
	Value              string            `json:"value"`
	StageKeys          []stageKeyJSON    `json:"stageKeys"`
	CustomerID         string            `json:"customerId"`
	Tags               map[string]string `json:"tags"`
}

type importKeysJSON struct {
	IDs      []string `json:"ids"`
	Warnings []string `json:"warnings"`
}

// importAPIKeys serves ImportApiKeys (POST /apikeys?mode=import).
func (h *Handler) importAPIKeys(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	res, err := h.ctl.ImportAPIKeys(r.Context(), requestBody(r), q.Get("format"), queryBool(r, "failonwarnings"))
	if err != nil {
		return err
	}
	out := importKeysJSON{IDs: res.IDs, Warnings: res.Warnings}
	if out.IDs == nil {
		out.IDs = []string{}
	}
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	auditImported(r, out.IDs)
	return respond(w, http.StatusCreated, out)
}

// createAPIKey serves CreateApiKey (POST /apikeys).
func (h *Handler) createAPIKey(w http.ResponseWriter, r *http.Request) error {
	var req createAPIKeyRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	in := control.CreateAPIKeyInput{
		Name: req.Name, Description: req.Description, Enabled: req.Enabled, Value: req.Value,
		CustomerID: req.CustomerID, Tags: req.Tags,
	}
	for _, sk := range req.StageKeys {
		in.StageKeys = append(in.StageKeys, control.StageKey{RestAPIID: sk.RestAPIID, StageName: sk.StageName})
	}
	k, err := h.ctl.CreateAPIKey(r.Context(), in)
	if err != nil {
		return err
	}
	auditCreated(r, "apikeys", k.ID)
	return respond(w, http.StatusCreated, toAPIKeyJSON(k.APIKey, k.Value))
}

func (h *Handler) getAPIKey(w http.ResponseWriter, r *http.Request) error {
	k, err := h.ctl.GetAPIKey(r.Context(), r.PathValue("apiKey"), queryBool(r, "includeValue"))
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toAPIKeyJSON(k.APIKey, k.Value))
}

func (h *Handler) getAPIKeys(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := store.KeyFilter{NamePrefix: q.Get("name"), CustomerID: q.Get("customerId")}
	keys, next, err := h.ctl.ListAPIKeys(r.Context(), f, queryBool(r, "includeValues"), p)
	if err != nil {
		return err
	}
	items := make([]apiKeyJSON, len(keys))
	for i, k := range keys {
		items[i] = toAPIKeyJSON(k.APIKey, k.Value)
	}
	return respond(w, http.StatusOK, newList(items, next))
}

func (h *Handler) updateAPIKey(w http.ResponseWriter, r *http.Request) error {
	ops, err := decodePatch(r, "updateApiKeyInput")
	if err != nil {
		return err
	}
	k, err := h.ctl.UpdateAPIKey(r.Context(), r.PathValue("apiKey"), ops)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, apiKeyTagsJSON{apiKeyJSON: toAPIKeyJSON(k, ""), Tags: emptyMap(k.Tags)})
}

func (h *Handler) deleteAPIKey(w http.ResponseWriter, r *http.Request) error {
	if err := h.ctl.DeleteAPIKey(r.Context(), r.PathValue("apiKey")); err != nil {
		return err
	}
	return respondEmpty(w, http.StatusAccepted)
}
