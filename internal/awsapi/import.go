package awsapi

import (
	"errors"
	"net/http"

	"github.com/gatehouse-dev/gatehouse/internal/control"
	"github.com/gatehouse-dev/gatehouse/internal/openapi"
)

// importedAPIJSON is ImportRestApi's and PutRestApi's answer: the RestApi
// with the document's warnings. Tags shadows restAPIJSON's (whose
// omitempty drops an empty map): nil leaves tags out, as AWS's
// ImportRestApi answer does; a pointer to an empty map sends {}, as
// PutRestApi's does.
type importedAPIJSON struct {
	restAPIJSON
	Tags     *map[string]string `json:"tags,omitempty"`
	Warnings []string           `json:"warnings,omitempty"`
}

// importedAPI builds the answer; alwaysTags sends "tags": {} when none.
func importedAPI(res *control.APIImportResult, alwaysTags bool) importedAPIJSON {
	out := importedAPIJSON{restAPIJSON: toRestAPIJSON(res.API, false), Warnings: res.Warnings}
	if tags := emptyMap(res.API.Tags); alwaysTags || len(tags) > 0 {
		out.Tags = &tags
	}
	return out
}

// importInput parses the document of ImportRestApi and PutRestApi (first:
// AWS refuses an unreadable one before anything else) and reads the query
// parameters (the parameters map arrives flattened into the query).
func importInput(r *http.Request) (control.ImportInput, error) {
	def, err := openapi.Parse(requestBody(r))
	var inv *openapi.InvalidError
	var uns *openapi.UnsupportedError
	switch {
	case errors.As(err, &inv):
		return control.ImportInput{}, &control.Error{Kind: control.KindBadRequest, Message: openapi.MsgInvalid, Err: err}
	case errors.As(err, &uns):
		return control.ImportInput{}, control.ImportErrorf("%s", uns.Message)
	case err != nil:
		return control.ImportInput{}, err
	}
	q := r.URL.Query()
	return control.ImportInput{
		Definition: def, FailOnWarnings: queryBool(r, "failonwarnings"), Mode: q.Get("mode"), BasePath: q.Get("basepath"),
		EndpointTypes:       q.Get("endpointConfigurationTypes"),
		IgnoreDocumentation: q.Get("ignore") == "documentation",
	}, nil
}

// importRestAPI serves ImportRestApi (POST /restapis?mode=import): 201
// with the new API (AWS sends no tags here).
func (h *Handler) importRestAPI(w http.ResponseWriter, r *http.Request) error {
	in, err := importInput(r)
	if err != nil {
		return err
	}
	in.Mode = ""
	res, err := h.ctl.ImportRestAPI(r.Context(), in)
	if err != nil {
		return err
	}
	auditCreated(r, "restapis", res.API.ID)
	return respond(w, http.StatusCreated, importedAPI(res, false))
}

// putRestAPI serves PutRestApi (PUT /restapis/{id}?mode=merge|overwrite):
// 200 with the API, tags always present as AWS sends them.
func (h *Handler) putRestAPI(w http.ResponseWriter, r *http.Request) error {
	in, err := importInput(r)
	if err != nil {
		return err
	}
	res, err := h.ctl.PutRestAPI(r.Context(), r.PathValue("restApiId"), in)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, importedAPI(res, true))
}
