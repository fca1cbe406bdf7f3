package awsapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/control"
)

// endpointConfigurationJSON is EndpointConfiguration on the wire.
type endpointConfigurationJSON struct {
	Types          []string `json:"types"`
	IPAddressType  string   `json:"ipAddressType,omitempty"`
	VPCEndpointIDs []string `json:"vpcEndpointIds,omitempty"`
}

// restAPIJSON is the RestApi shape.
type restAPIJSON struct {
	ID                        string                    `json:"id"`
	Name                      string                    `json:"name"`
	Description               string                    `json:"description,omitempty"`
	CreatedDate               *epoch                    `json:"createdDate,omitempty"`
	Version                   string                    `json:"version,omitempty"`
	BinaryMediaTypes          []string                  `json:"binaryMediaTypes,omitempty"`
	MinimumCompressionSize    *int                      `json:"minimumCompressionSize,omitempty"`
	APIKeySource              string                    `json:"apiKeySource"`
	EndpointConfiguration     endpointConfigurationJSON `json:"endpointConfiguration"`
	Policy                    string                    `json:"policy,omitempty"`
	Tags                      map[string]string         `json:"tags,omitzero"` // omitzero: an empty non-nil map (alwaysTags) is sent as {}
	DisableExecuteAPIEndpoint bool                      `json:"disableExecuteApiEndpoint"`
	RootResourceID            string                    `json:"rootResourceId,omitempty"`
}

// escapePolicy returns the policy in AWS's escaped form: the JSON string
// literal of the minified document without its outer quotes, so clients
// that unquote it (Terraform) get the document back.
func escapePolicy(p string) string {
	if p == "" {
		return ""
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		return p
	}
	b := bytes.TrimSpace(buf.Bytes())
	return string(b[1 : len(b)-1])
}

// unescapePolicy accepts a policy in either plain or AWS-escaped form.
func unescapePolicy(p string) string {
	var doc any
	if json.Unmarshal([]byte(p), &doc) == nil {
		return p
	}
	if s, err := strconv.Unquote(`"` + p + `"`); err == nil && json.Valid([]byte(s)) {
		return s
	}
	return p
}

// toRestAPIJSON converts an API; alwaysTags sends "tags": {} when there are
// none (UpdateRestApi does, the other operations omit it).
func toRestAPIJSON(a *apigw.RestAPI, alwaysTags bool) restAPIJSON {
	out := restAPIJSON{
		ID:               a.ID,
		Name:             a.Name,
		Description:      a.Description,
		CreatedDate:      ts(a.CreatedDate),
		Version:          a.Version,
		BinaryMediaTypes: a.BinaryMediaTypes,
		APIKeySource:     a.APIKeySource,
		EndpointConfiguration: endpointConfigurationJSON{
			Types:          a.EndpointConfiguration.Types,
			IPAddressType:  a.EndpointConfiguration.IPAddressType,
			VPCEndpointIDs: a.EndpointConfiguration.VPCEndpointIDs,
		},
		MinimumCompressionSize:    a.MinimumCompressionSize,
		Policy:                    escapePolicy(a.Policy),
		Tags:                      nilIfEmpty(a.Tags),
		DisableExecuteAPIEndpoint: a.DisableExecuteAPIEndpoint,
		RootResourceID:            a.RootResourceID,
	}
	if out.EndpointConfiguration.Types == nil {
		out.EndpointConfiguration.Types = []string{}
	}
	if alwaysTags {
		out.Tags = emptyMap(a.Tags)
	}
	return out
}

// createRestAPIRequest is CreateRestApi's body.
type createRestAPIRequest struct {
	Name                      string                     `json:"name"`
	Description               *string                    `json:"description"`
	Version                   string                     `json:"version"`
	CloneFrom                 string                     `json:"cloneFrom"`
	BinaryMediaTypes          []string                   `json:"binaryMediaTypes"`
	MinimumCompressionSize    json.RawMessage            `json:"minimumCompressionSize"`
	APIKeySource              string                     `json:"apiKeySource"`
	EndpointConfiguration     *endpointConfigurationJSON `json:"endpointConfiguration"`
	Policy                    string                     `json:"policy"`
	Tags                      map[string]string          `json:"tags"`
	DisableExecuteAPIEndpoint bool                       `json:"disableExecuteApiEndpoint"`
}

// compressionSize reads minimumCompressionSize leniently: AWS answers a
// non-integer (e.g. a string) with its range message, so anything that is
// not an integer becomes -1, which control refuses with that message.
func compressionSize(raw json.RawMessage) *int {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	n, err := strconv.Atoi(string(raw))
	if err != nil {
		n = -1
	}
	return &n
}

func (h *Handler) createRestAPI(w http.ResponseWriter, r *http.Request) error {
	var req createRestAPIRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	in := control.CreateRestAPIInput{
		Name:                      req.Name,
		Description:               req.Description,
		Version:                   req.Version,
		CloneFrom:                 req.CloneFrom,
		BinaryMediaTypes:          req.BinaryMediaTypes,
		MinimumCompressionSize:    compressionSize(req.MinimumCompressionSize),
		APIKeySource:              req.APIKeySource,
		Policy:                    unescapePolicy(req.Policy),
		Tags:                      req.Tags,
		DisableExecuteAPIEndpoint: req.DisableExecuteAPIEndpoint,
	}
	if ec := req.EndpointConfiguration; ec != nil {
		in.EndpointConfiguration = &apigw.EndpointConfiguration{Types: ec.Types, IPAddressType: ec.IPAddressType, VPCEndpointIDs: ec.VPCEndpointIDs}
	}
	api, err := h.ctl.CreateRestAPI(r.Context(), in)
	if err != nil {
		return err
	}
	auditCreated(r, "restapis", api.ID)
	return respond(w, http.StatusCreated, toRestAPIJSON(api, false))
}

func (h *Handler) getRestAPI(w http.ResponseWriter, r *http.Request) error {
	api, err := h.ctl.GetRestAPI(r.Context(), r.PathValue("restApiId"))
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toRestAPIJSON(api, false))
}

func (h *Handler) getRestAPIs(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	apis, next, err := h.ctl.ListRestAPIs(r.Context(), p)
	if err != nil {
		return err
	}
	items := make([]restAPIJSON, len(apis))
	for i, a := range apis {
		items[i] = toRestAPIJSON(a, false)
	}
	return respond(w, http.StatusOK, newList(items, next))
}

func (h *Handler) updateRestAPI(w http.ResponseWriter, r *http.Request) error {
	ops, err := decodePatch(r, "updateRestApiInput")
	if err != nil {
		return err
	}
	for i := range ops {
		if ops[i].Path == "/policy" {
			ops[i].Value = unescapePolicy(ops[i].Value)
		}
	}
	api, err := h.ctl.UpdateRestAPI(r.Context(), r.PathValue("restApiId"), ops)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toRestAPIJSON(api, true))
}

func (h *Handler) deleteRestAPI(w http.ResponseWriter, r *http.Request) error {
	if err := h.ctl.DeleteRestAPI(r.Context(), r.PathValue("restApiId")); err != nil {
		return err
	}
	return respondEmpty(w, http.StatusAccepted)
}
