package apigw

import (
	"mime"
	"strings"
)

// Model is a data model of a REST API: a JSON Schema (draft 4, as AWS)
// describing a request or response payload. Models live in
// RestAPI.Models and are frozen into deployments (Snapshot.Models), where
// the methods' requestModels name them for request validation.
type Model struct {
	ID          string
	Name        string
	Description string
	// Schema is the schema text as the user sent it (AWS answers it back
	// verbatim). A $ref to another model of the API has the canonical
	// form ModelURL(apiID, name).
	Schema      string
	ContentType string
}

// RequestValidator says what a method's request validation checks
// (methods name one by RequestValidatorID). It lives in
// RestAPI.RequestValidators and is frozen into deployments
// (Snapshot.RequestValidators).
type RequestValidator struct {
	ID                        string
	Name                      string
	ValidateRequestBody       bool
	ValidateRequestParameters bool
}

// The default models AWS creates with every new REST API (recorded
// GetModels answers): their names, descriptions and schema texts.
const (
	ModelEmpty            = "Empty"
	ModelError            = "Error"
	ModelEmptyDescription = "This is a default empty schema model"
	ModelErrorDescription = "This is a default error schema model"
	ModelEmptySchema      = "{\n  \"$schema\": \"http://json-schema.org/draft-04/schema#\",\n  \"title\" : \"Empty Schema\",\n  \"type\" : \"object\"\n}"
	ModelErrorSchema      = "{\n  \"$schema\" : \"http://json-schema.org/draft-04/schema#\",\n  \"title\" : \"Error Schema\",\n  \"type\" : \"object\",\n  \"properties\" : {\n    \"message\" : { \"type\" : \"string\" }\n  }\n}"
)

// ContentTypeJSON is the content type of the default models, and the one
// request validation assumes for a request that sends none.
const ContentTypeJSON = "application/json"

// ContentTypeDefault is the requestModels key whose model applies to a
// request of any content type that has no model of its own (AWS's
// "$default").
const ContentTypeDefault = "$default"

// ModelURLPrefix starts the canonical URL of a model, the form a model's
// $ref to another model of the same API takes:
// https://apigateway.amazonaws.com/restapis/{apiId}/models/{name}.
const ModelURLPrefix = "https://apigateway.amazonaws.com/restapis/"

// ModelURL returns the canonical URL of model name of API apiID.
func ModelURL(apiID, name string) string {
	return ModelURLPrefix + apiID + "/models/" + name
}

// ParseModelURL returns the API id and the model name a canonical model
// URL names; ok is false for any other text.
func ParseModelURL(u string) (apiID, name string, ok bool) {
	rest, ok := strings.CutPrefix(u, ModelURLPrefix)
	if !ok {
		return "", "", false
	}
	apiID, name, ok = strings.Cut(rest, "/models/")
	if !ok || apiID == "" || name == "" || strings.ContainsAny(apiID, "/?#") || strings.ContainsAny(name, "/?#") {
		return "", "", false
	}
	return apiID, name, true
}

// DefaultModels returns fresh copies of the models AWS gives every new
// REST API, with the given ids (Empty's, then Error's).
func DefaultModels(emptyID, errorID string) map[string]*Model {
	return map[string]*Model{
		emptyID: {ID: emptyID, Name: ModelEmpty, Description: ModelEmptyDescription, Schema: ModelEmptySchema, ContentType: ContentTypeJSON},
		errorID: {ID: errorID, Name: ModelError, Description: ModelErrorDescription, Schema: ModelErrorSchema, ContentType: ContentTypeJSON},
	}
}

// ModelByName returns the model of models called name (nil when none).
func ModelByName(models map[string]*Model, name string) *Model {
	for _, m := range models {
		if m.Name == name {
			return m
		}
	}
	return nil
}

// RequestMediaType returns the media type a request's Content-Type header
// names, lower case and without parameters; a request without one is
// taken as ContentTypeJSON, as AWS's request validation does. A header
// that does not parse is returned trimmed and lower case.
func RequestMediaType(header string) string {
	if strings.TrimSpace(header) == "" {
		return ContentTypeJSON
	}
	mt, _, err := mime.ParseMediaType(header)
	if err != nil {
		mt, _, _ = strings.Cut(header, ";")
		return strings.ToLower(strings.TrimSpace(mt))
	}
	return mt
}
