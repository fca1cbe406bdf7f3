package awsapi

import (
	"net/http"
)

type tagsJSON struct {
	Tags map[string]string `json:"tags"`
}

func (h *Handler) getTags(w http.ResponseWriter, r *http.Request) error {
	tags, err := h.ctl.GetTags(r.Context(), r.PathValue("resourceArn"))
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, tagsJSON{Tags: emptyMap(tags)})
}

func (h *Handler) tagResource(w http.ResponseWriter, r *http.Request) error {
	var req tagsJSON
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := h.ctl.TagResource(r.Context(), r.PathValue("resourceArn"), req.Tags); err != nil {
		return err
	}
	return respondEmpty(w, http.StatusNoContent)
}

func (h *Handler) untagResource(w http.ResponseWriter, r *http.Request) error {
	if err := h.ctl.UntagResource(r.Context(), r.PathValue("resourceArn"), r.URL.Query()["tagKeys"]); err != nil {
		return err
	}
	return respondEmpty(w, http.StatusNoContent)
}
