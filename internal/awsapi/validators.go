package awsapi

import (
	"net/http"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/control"
)

// requestValidatorJSON is the RequestValidator shape: AWS always sends
// both booleans.
type requestValidatorJSON struct {
	ID                        string `json:"id"`
	Name                      string `json:"name"`
	ValidateRequestBody       bool   `json:"validateRequestBody"`
	ValidateRequestParameters bool   `json:"validateRequestParameters"`
}

func toRequestValidatorJSON(v *apigw.RequestValidator) requestValidatorJSON {
	return requestValidatorJSON{ID: v.ID, Name: v.Name, ValidateRequestBody: v.ValidateRequestBody, ValidateRequestParameters: v.ValidateRequestParameters}
}

type createRequestValidatorRequest struct {
	Name                      string `json:"name"`
	ValidateRequestBody       bool   `json:"validateRequestBody"`
	ValidateRequestParameters bool   `json:"validateRequestParameters"`
}

func (h *Handler) createRequestValidator(w http.ResponseWriter, r *http.Request) error {
	var req createRequestValidatorRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	apiID := r.PathValue("restApiId")
	v, err := h.ctl.CreateRequestValidator(r.Context(), apiID, control.CreateRequestValidatorInput{
		Name: req.Name, ValidateRequestBody: req.ValidateRequestBody, ValidateRequestParameters: req.ValidateRequestParameters,
	})
	if err != nil {
		return err
	}
	auditCreated(r, "restapis", apiID, "requestvalidators", v.ID)
	return respond(w, http.StatusCreated, toRequestValidatorJSON(v))
}

func (h *Handler) getRequestValidator(w http.ResponseWriter, r *http.Request) error {
	v, err := h.ctl.GetRequestValidator(r.Context(), r.PathValue("restApiId"), r.PathValue("requestValidatorId"))
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toRequestValidatorJSON(v))
}

func (h *Handler) getRequestValidators(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	vs, next, err := h.ctl.ListRequestValidators(r.Context(), r.PathValue("restApiId"), p)
	if err != nil {
		return err
	}
	items := make([]requestValidatorJSON, len(vs))
	for i, v := range vs {
		items[i] = toRequestValidatorJSON(v)
	}
	return respond(w, http.StatusOK, newList(items, next))
}

func (h *Handler) updateRequestValidator(w http.ResponseWriter, r *http.Request) error {
	ops, err := decodePatch(r, "updateRequestValidatorInput")
	if err != nil {
		return err
	}
	v, err := h.ctl.UpdateRequestValidator(r.Context(), r.PathValue("restApiId"), r.PathValue("requestValidatorId"), ops)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toRequestValidatorJSON(v))
}

func (h *Handler) deleteRequestValidator(w http.ResponseWriter, r *http.Request) error {
	if err := h.ctl.DeleteRequestValidator(r.Context(), r.PathValue("restApiId"), r.PathValue("requestValidatorId")); err != nil {
		return err
	}
	return respondEmpty(w, http.StatusAccepted)
}
