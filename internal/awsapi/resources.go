package awsapi

import (
	"net/http"
	"strings"

	"github.com/gatehouse-dev/gatehouse/internal/control"
)

// resourceJSON is the Resource shape. Without embed=methods each
// resourceMethods value is an empty object, as AWS sends it.
type resourceJSON struct {
	ID              string                `json:"id"`
	ParentID        string                `json:"parentId,omitempty"`
	PathPart        string                `json:"pathPart,omitempty"`
	Path            string                `json:"path"`
	ResourceMethods map[string]methodJSON `json:"resourceMethods,omitempty"`
}

// toResourceJSON converts a resource; embed includes the full methods.
func toResourceJSON(ri control.ResourceInfo, embed bool) resourceJSON {
	out := resourceJSON{ID: ri.Resource.ID, ParentID: ri.Resource.ParentID, PathPart: ri.Resource.PathPart, Path: ri.Path}
	if len(ri.Resource.Methods) > 0 {
		out.ResourceMethods = make(map[string]methodJSON, len(ri.Resource.Methods))
		for hm, m := range ri.Resource.Methods {
			if embed {
				out.ResourceMethods[hm] = toMethodJSON(m)
			} else {
				out.ResourceMethods[hm] = methodJSON{}
			}
		}
	}
	return out
}

// embedded reports whether the embed query parameter lists name
// (?embed=methods or ?embed=a,methods or repeated embed parameters).
func embedded(r *http.Request, name string) bool {
	for _, v := range r.URL.Query()["embed"] {
		for _, e := range strings.Split(v, ",") {
			if strings.TrimSpace(e) == name {
				return true
			}
		}
	}
	return false
}

type createResourceRequest struct {
	PathPart string `json:"pathPart"`
}

func (h *Handler) createResource(w http.ResponseWriter, r *http.Request) error {
	var req createResourceRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	ri, err := h.ctl.CreateResource(r.Context(), r.PathValue("restApiId"), r.PathValue("parentId"), req.PathPart)
	if err != nil {
		return err
	}
	auditCreated(r, "restapis", r.PathValue("restApiId"), "resources", ri.Resource.ID)
	return respond(w, http.StatusCreated, toResourceJSON(ri, false))
}

func (h *Handler) getResource(w http.ResponseWriter, r *http.Request) error {
	ri, err := h.ctl.GetResource(r.Context(), r.PathValue("restApiId"), r.PathValue("resourceId"))
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toResourceJSON(ri, embedded(r, "methods")))
}

func (h *Handler) getResources(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	ris, next, err := h.ctl.ListResources(r.Context(), r.PathValue("restApiId"), p)
	if err != nil {
		return err
	}
	embed := embedded(r, "methods")
	items := make([]resourceJSON, len(ris))
	for i, ri := range ris {
		items[i] = toResourceJSON(ri, embed)
	}
	return respond(w, http.StatusOK, newList(items, next))
}

func (h *Handler) updateResource(w http.ResponseWriter, r *http.Request) error {
	ops, err := decodePatch(r, "updateResourceInput")
	if err != nil {
		return err
	}
	ri, err := h.ctl.UpdateResource(r.Context(), r.PathValue("restApiId"), r.PathValue("resourceId"), ops)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toResourceJSON(ri, false))
}

func (h *Handler) deleteResource(w http.ResponseWriter, r *http.Request) error {
	if err := h.ctl.DeleteResource(r.Context(), r.PathValue("restApiId"), r.PathValue("resourceId")); err != nil {
		return err
	}
	return respondEmpty(w, http.StatusAccepted)
}
