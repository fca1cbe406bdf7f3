package awsapi

import (
	"net/http"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/control"
)

// modelJSON is the Model shape; schema is the schema's text, as sent.
type modelJSON struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Schema      string `json:"schema,omitempty"`
	ContentType string `json:"contentType"`
}

func toModelJSON(m *apigw.Model) modelJSON {
	return modelJSON{ID: m.ID, Name: m.Name, Description: m.Description, Schema: m.Schema, ContentType: m.ContentType}
}

type createModelRequest struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Schema      string `json:"schema"`
	ContentType string `json:"contentType"`
}

func (h *Handler) createModel(w http.ResponseWriter, r *http.Request) error {
	var req createModelRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	apiID := r.PathValue("restApiId")
	m, err := h.ctl.CreateModel(r.Context(), apiID, control.CreateModelInput{
		Name: req.Name, Description: req.Description, Schema: req.Schema, ContentType: req.ContentType,
	})
	if err != nil {
		return err
	}
	auditCreated(r, "restapis", apiID, "models", m.Name)
	return respond(w, http.StatusCreated, toModelJSON(m))
}

// getModel answers the model as stored (the flatten parameter, which asks
// AWS to inline referenced models, is not supported and ignored).
func (h *Handler) getModel(w http.ResponseWriter, r *http.Request) error {
	m, err := h.ctl.GetModel(r.Context(), r.PathValue("restApiId"), r.PathValue("modelName"))
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toModelJSON(m))
}

func (h *Handler) getModels(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	ms, next, err := h.ctl.ListModels(r.Context(), r.PathValue("restApiId"), p)
	if err != nil {
		return err
	}
	items := make([]modelJSON, len(ms))
	for i, m := range ms {
		items[i] = toModelJSON(m)
	}
	return respond(w, http.StatusOK, newList(items, next))
}

func (h *Handler) updateModel(w http.ResponseWriter, r *http.Request) error {
	ops, err := decodePatch(r, "updateModelInput")
	if err != nil {
		return err
	}
	m, err := h.ctl.UpdateModel(r.Context(), r.PathValue("restApiId"), r.PathValue("modelName"), ops)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toModelJSON(m))
}

func (h *Handler) deleteModel(w http.ResponseWriter, r *http.Request) error {
	if err := h.ctl.DeleteModel(r.Context(), r.PathValue("restApiId"), r.PathValue("modelName")); err != nil {
		return err
	}
	return respondEmpty(w, http.StatusAccepted)
}
