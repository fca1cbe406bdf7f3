package awsapi

import (
	"net/http"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
)

// clientCertificateJSON is AWS's ClientCertificate. The private key is
// never part of it.
type clientCertificateJSON struct {
	ClientCertificateID   string            `json:"clientCertificateId"`
	Description           string            `json:"description,omitempty"`
	PEMEncodedCertificate string            `json:"pemEncodedCertificate"`
	CreatedDate           *epoch            `json:"createdDate,omitempty"`
	ExpirationDate        *epoch            `json:"expirationDate,omitempty"`
	Tags                  map[string]string `json:"tags,omitempty"`
}

func toClientCertificateJSON(c *apigw.ClientCertificate) clientCertificateJSON {
	return clientCertificateJSON{
		ClientCertificateID:   c.ID,
		Description:           c.Description,
		PEMEncodedCertificate: c.PEMEncodedCertificate,
		CreatedDate:           ts(c.CreatedDate),
		ExpirationDate:        ts(c.ExpirationDate),
		Tags:                  c.Tags,
	}
}

type generateClientCertificateRequest struct {
	Description string            `json:"description"`
	Tags        map[string]string `json:"tags"`
}

func (h *Handler) generateClientCertificate(w http.ResponseWriter, r *http.Request) error {
	var req generateClientCertificateRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	c, err := h.ctl.GenerateClientCertificate(r.Context(), req.Description, req.Tags)
	if err != nil {
		return err
	}
	auditCreated(r, "clientcertificates", c.ID)
	return respond(w, http.StatusCreated, toClientCertificateJSON(c))
}

func (h *Handler) getClientCertificate(w http.ResponseWriter, r *http.Request) error {
	c, err := h.ctl.GetClientCertificate(r.Context(), r.PathValue("clientCertificateId"))
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toClientCertificateJSON(c))
}

func (h *Handler) getClientCertificates(w http.ResponseWriter, r *http.Request) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	certs, next, err := h.ctl.ListClientCertificates(r.Context(), pg)
	if err != nil {
		return err
	}
	items := make([]clientCertificateJSON, len(certs))
	for i, c := range certs {
		items[i] = toClientCertificateJSON(c)
	}
	return respond(w, http.StatusOK, newList(items, next))
}

func (h *Handler) updateClientCertificate(w http.ResponseWriter, r *http.Request) error {
	ops, err := decodePatch(r, "updateClientCertificateInput")
	if err != nil {
		return err
	}
	c, err := h.ctl.UpdateClientCertificate(r.Context(), r.PathValue("clientCertificateId"), ops)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toClientCertificateJSON(c))
}

func (h *Handler) deleteClientCertificate(w http.ResponseWriter, r *http.Request) error {
	if err := h.ctl.DeleteClientCertificate(r.Context(), r.PathValue("clientCertificateId")); err != nil {
		return err
	}
	return respondEmpty(w, http.StatusAccepted)
}
