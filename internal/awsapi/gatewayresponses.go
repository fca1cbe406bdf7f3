package awsapi

import (
	"net/http"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/control"
)

// gatewayResponseJSON is the GatewayResponse shape; the parameter and
// template maps are always sent.
type gatewayResponseJSON struct {
	ResponseType       string            `json:"responseType"`
	StatusCode         string            `json:"statusCode,omitempty"`
	ResponseParameters map[string]string `json:"responseParameters"`
	ResponseTemplates  map[string]string `json:"responseTemplates"`
	DefaultResponse    bool              `json:"defaultResponse"`
}

func toGatewayResponseJSON(gr *apigw.GatewayResponse) gatewayResponseJSON {
	return gatewayResponseJSON{
		ResponseType:       gr.Type,
		StatusCode:         gr.StatusCode,
		ResponseParameters: emptyMap(gr.ResponseParameters),
		ResponseTemplates:  emptyMap(gr.ResponseTemplates),
		DefaultResponse:    gr.Default,
	}
}

type putGatewayResponseRequest struct {
	StatusCode         string            `json:"statusCode"`
	ResponseParameters map[string]string `json:"responseParameters"`
	ResponseTemplates  map[string]string `json:"responseTemplates"`
}

func (h *Handler) putGatewayResponse(w http.ResponseWriter, r *http.Request) error {
	var req putGatewayResponseRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	gr, err := h.ctl.PutGatewayResponse(r.Context(), r.PathValue("restApiId"), r.PathValue("responseType"), control.PutGatewayResponseInput{
		StatusCode:         req.StatusCode,
		ResponseParameters: req.ResponseParameters,
		ResponseTemplates:  req.ResponseTemplates,
	})
	if err != nil {
		return err
	}
	return respond(w, http.StatusCreated, toGatewayResponseJSON(gr))
}

func (h *Handler) getGatewayResponse(w http.ResponseWriter, r *http.Request) error {
	gr, err := h.ctl.GetGatewayResponse(r.Context(), r.PathValue("restApiId"), r.PathValue("responseType"))
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toGatewayResponseJSON(&gr))
}

func (h *Handler) getGatewayResponses(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	grs, next, err := h.ctl.ListGatewayResponses(r.Context(), r.PathValue("restApiId"), p)
	if err != nil {
		return err
	}
	items := make([]gatewayResponseJSON, len(grs))
	for i := range grs {
		items[i] = toGatewayResponseJSON(&grs[i])
	}
	return respond(w, http.StatusOK, newList(items, next))
}

func (h *Handler) updateGatewayResponse(w http.ResponseWriter, r *http.Request) error {
	ops, err := decodePatch(r, "updateGatewayResponseInput")
	if err != nil {
		return err
	}
	gr, err := h.ctl.UpdateGatewayResponse(r.Context(), r.PathValue("restApiId"), r.PathValue("responseType"), ops)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toGatewayResponseJSON(gr))
}

func (h *Handler) deleteGatewayResponse(w http.ResponseWriter, r *http.Request) error {
	if err := h.ctl.DeleteGatewayResponse(r.Context(), r.PathValue("restApiId"), r.PathValue("responseType")); err != nil {
		return err
	}
	return respondEmpty(w, http.StatusAccepted)
}
