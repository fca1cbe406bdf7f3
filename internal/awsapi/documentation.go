package awsapi

import (
	"net/http"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/control"
	"github.com/gatehouse-dev/gatehouse/internal/openapi"
)

type docLocationJSON struct {
	Type       string `json:"type"`
	Path       string `json:"path,omitempty"`
	Method     string `json:"method,omitempty"`
	StatusCode string `json:"statusCode,omitempty"`
	Name       string `json:"name,omitempty"`
}

func (l docLocationJSON) domain() apigw.DocumentationLocation {
	return apigw.DocumentationLocation{Type: l.Type, Path: l.Path, Method: l.Method, StatusCode: l.StatusCode, Name: l.Name}
}

// documentationPartJSON is AWS's DocumentationPart: properties is a JSON
// document carried as a string.
type documentationPartJSON struct {
	ID         string          `json:"id"`
	Location   docLocationJSON `json:"location"`
	Properties string          `json:"properties"`
}

func toDocPartJSON(p *apigw.DocumentationPart) documentationPartJSON {
	l := p.Location
	return documentationPartJSON{ID: p.ID, Properties: p.Properties,
		Location: docLocationJSON{Type: l.Type, Path: l.Path, Method: l.Method, StatusCode: l.StatusCode, Name: l.Name}}
}

type createDocumentationPartRequest struct {
	Location   docLocationJSON `json:"location"`
	Properties string          `json:"properties"`
}

func (h *Handler) createDocumentationPart(w http.ResponseWriter, r *http.Request) error {
	var req createDocumentationPartRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	apiID := r.PathValue("restApiId")
	p, err := h.ctl.CreateDocumentationPart(r.Context(), apiID, req.Location.domain(), req.Properties)
	if err != nil {
		return err
	}
	auditCreated(r, "restapis", apiID, "documentation", "parts", p.ID)
	return respond(w, http.StatusCreated, toDocPartJSON(p))
}

func (h *Handler) getDocumentationPart(w http.ResponseWriter, r *http.Request) error {
	p, err := h.ctl.GetDocumentationPart(r.Context(), r.PathValue("restApiId"), r.PathValue("documentationPartId"))
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toDocPartJSON(p))
}

func (h *Handler) getDocumentationParts(w http.ResponseWriter, r *http.Request) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	parts, next, err := h.ctl.ListDocumentationParts(r.Context(), r.PathValue("restApiId"), control.DocFilter{Type: q.Get("type"), Path: q.Get("path")}, pg)
	if err != nil {
		return err
	}
	items := make([]documentationPartJSON, len(parts))
	for i, p := range parts {
		items[i] = toDocPartJSON(p)
	}
	return respond(w, http.StatusOK, newList(items, next))
}

func (h *Handler) updateDocumentationPart(w http.ResponseWriter, r *http.Request) error {
	ops, err := decodePatch(r, "updateDocumentationPartInput")
	if err != nil {
		return err
	}
	p, err := h.ctl.UpdateDocumentationPart(r.Context(), r.PathValue("restApiId"), r.PathValue("documentationPartId"), ops)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toDocPartJSON(p))
}

func (h *Handler) deleteDocumentationPart(w http.ResponseWriter, r *http.Request) error {
	if err := h.ctl.DeleteDocumentationPart(r.Context(), r.PathValue("restApiId"), r.PathValue("documentationPartId")); err != nil {
		return err
	}
	return respondEmpty(w, http.StatusAccepted)
}

// msgDocImport is AWS's answer to a document it cannot read (recorded).
const msgDocImport = "Unable to build importer with provided input."

func (h *Handler) importDocumentationParts(w http.ResponseWriter, r *http.Request) error {
	parsed, err := openapi.ParseDocumentationParts(requestBody(r))
	if err != nil {
		return &control.Error{Kind: control.KindBadRequest, Message: msgDocImport, Err: err}
	}
	parts := make([]control.DocPartInput, len(parsed))
	for i, p := range parsed {
		parts[i] = control.DocPartInput{Location: p.Location, Properties: p.Properties}
	}
	ids, err := h.ctl.ImportDocumentationParts(r.Context(), r.PathValue("restApiId"), r.URL.Query().Get("mode") == "overwrite", parts)
	if err != nil {
		return err
	}
	if ids == nil {
		ids = []string{}
	}
	return respond(w, http.StatusOK, struct {
		IDs []string `json:"ids"`
	}{ids})
}

// documentationVersionJSON is AWS's DocumentationVersion.
type documentationVersionJSON struct {
	Version     string `json:"version"`
	Description string `json:"description,omitempty"`
	CreatedDate *epoch `json:"createdDate,omitempty"`
}

func toDocVersionJSON(v *apigw.DocumentationVersion) documentationVersionJSON {
	return documentationVersionJSON{Version: v.Version, Description: v.Description, CreatedDate: ts(v.CreatedDate)}
}

type createDocumentationVersionRequest struct {
	DocumentationVersion string `json:"documentationVersion"`
	Description          string `json:"description"`
	StageName            string `json:"stageName"`
}

func (h *Handler) createDocumentationVersion(w http.ResponseWriter, r *http.Request) error {
	var req createDocumentationVersionRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	apiID := r.PathValue("restApiId")
	v, err := h.ctl.CreateDocumentationVersion(r.Context(), apiID, req.DocumentationVersion, req.Description, req.StageName)
	if err != nil {
		return err
	}
	auditCreated(r, "restapis", apiID, "documentation", "versions", v.Version)
	return respond(w, http.StatusCreated, toDocVersionJSON(v))
}

func (h *Handler) getDocumentationVersion(w http.ResponseWriter, r *http.Request) error {
	v, err := h.ctl.GetDocumentationVersion(r.Context(), r.PathValue("restApiId"), r.PathValue("documentationVersion"))
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toDocVersionJSON(v))
}

func (h *Handler) getDocumentationVersions(w http.ResponseWriter, r *http.Request) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	vs, next, err := h.ctl.ListDocumentationVersions(r.Context(), r.PathValue("restApiId"), pg)
	if err != nil {
		return err
	}
	items := make([]documentationVersionJSON, len(vs))
	for i, v := range vs {
		items[i] = toDocVersionJSON(v)
	}
	return respond(w, http.StatusOK, newList(items, next))
}

func (h *Handler) updateDocumentationVersion(w http.ResponseWriter, r *http.Request) error {
	ops, err := decodePatch(r, "updateDocumentationVersionInput")
	if err != nil {
		return err
	}
	v, err := h.ctl.UpdateDocumentationVersion(r.Context(), r.PathValue("restApiId"), r.PathValue("documentationVersion"), ops)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toDocVersionJSON(v))
}

func (h *Handler) deleteDocumentationVersion(w http.ResponseWriter, r *http.Request) error {
	if err := h.ctl.DeleteDocumentationVersion(r.Context(), r.PathValue("restApiId"), r.PathValue("documentationVersion")); err != nil {
		return err
	}
	return respondEmpty(w, http.StatusAccepted)
}
