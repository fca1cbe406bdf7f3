package awsapi

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gatehouse-dev/gatehouse/internal/control"
	"github.com/gatehouse-dev/gatehouse/internal/openapi"
)

// defaultInvokeDomain is the domain exported documents name when Options
// gives none: {apiId}.execute-api.localhost:8080, the embedded default.
const defaultInvokeDomain = "localhost:8080"

// getExport serves GetExport (GET
// /restapis/{id}/stages/{stage}/exports/{oas30|swagger}): the stage's
// deployed definition as a document, JSON unless Accept asks for
// application/yaml, sent as AWS sends it (application/octet-stream, with
// Content-Disposition: attachment; filename="{type}_{version}.json").
func (h *Handler) getExport(w http.ResponseWriter, r *http.Request) error {
	src, err := h.ctl.ExportSource(r.Context(), r.PathValue("restApiId"), r.PathValue("stageName"))
	if err != nil {
		return err
	}
	var exts []string
	for _, v := range r.URL.Query()["extensions"] {
		exts = append(exts, strings.Split(v, ",")...)
	}
	out, err := openapi.Export(openapi.ExportInput{
		API:        src.API,
		Snapshot:   src.Deployment.Snapshot,
		Deployed:   src.Deployment.CreatedDate,
		Stage:      src.Stage,
		Host:       src.API.ID + ".execute-api." + h.invokeDomain,
		Type:       r.PathValue("exportType"),
		Extensions: exts,
		YAML:       wantsYAML(r),
	})
	var bad *openapi.ExportError
	if errors.As(err, &bad) {
		return control.BadRequestf("%s", bad.Message)
	}
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="`+out.Filename+`"`)
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(out.Body)
	return err
}

// wantsYAML reports whether the Accept header asks for application/yaml
// (the Go SDK sends its Accepts member beside its own application/json,
// so every value counts).
func wantsYAML(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept") {
		if strings.Contains(strings.ToLower(v), "yaml") {
			return true
		}
	}
	return false
}
