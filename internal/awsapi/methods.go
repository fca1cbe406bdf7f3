package awsapi

import (
	"net/http"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/control"
	"github.com/gatehouse-dev/gatehouse/internal/patch"
)

// methodJSON is the Method shape. The zero value encodes as {} (how
// resourceMethods entries look without embed=methods); toMethodJSON always
// sets apiKeyRequired, which AWS sends even when false.
type methodJSON struct {
	HTTPMethod          string                        `json:"httpMethod,omitempty"`
	AuthorizationType   string                        `json:"authorizationType,omitempty"`
	AuthorizerID        string                        `json:"authorizerId,omitempty"`
	APIKeyRequired      *bool                         `json:"apiKeyRequired,omitempty"`
	RequestValidatorID  string                        `json:"requestValidatorId,omitempty"`
	OperationName       string                        `json:"operationName,omitempty"`
	RequestParameters   map[string]bool               `json:"requestParameters,omitempty"`
	RequestModels       map[string]string             `json:"requestModels,omitempty"`
	MethodResponses     map[string]methodResponseJSON `json:"methodResponses,omitempty"`
	MethodIntegration   *integrationJSON              `json:"methodIntegration,omitempty"`
	AuthorizationScopes []string                      `json:"authorizationScopes,omitempty"`
}

// methodResponseJSON is the MethodResponse shape; maps are sent when they
// were set, even empty, as AWS does.
type methodResponseJSON struct {
	StatusCode         string             `json:"statusCode"`
	ResponseParameters *map[string]bool   `json:"responseParameters,omitempty"`
	ResponseModels     *map[string]string `json:"responseModels,omitempty"`
}

type tlsConfigJSON struct {
	InsecureSkipVerification bool `json:"insecureSkipVerification"`
}

// integrationJSON is the Integration shape.
type integrationJSON struct {
	Type                 string                             `json:"type"`
	HTTPMethod           string                             `json:"httpMethod,omitempty"`
	URI                  string                             `json:"uri,omitempty"`
	ConnectionType       string                             `json:"connectionType,omitempty"`
	ConnectionID         string                             `json:"connectionId,omitempty"`
	Credentials          string                             `json:"credentials,omitempty"`
	RequestParameters    map[string]string                  `json:"requestParameters,omitempty"`
	RequestTemplates     map[string]string                  `json:"requestTemplates,omitempty"`
	PassthroughBehavior  string                             `json:"passthroughBehavior,omitempty"`
	ContentHandling      string                             `json:"contentHandling,omitempty"`
	TimeoutInMillis      int                                `json:"timeoutInMillis"`
	CacheNamespace       string                             `json:"cacheNamespace,omitempty"`
	CacheKeyParameters   []string                           `json:"cacheKeyParameters"`
	IntegrationResponses map[string]integrationResponseJSON `json:"integrationResponses,omitempty"`
	TLSConfig            *tlsConfigJSON                     `json:"tlsConfig,omitempty"`
}

// integrationResponseJSON is the IntegrationResponse shape. An empty
// template is sent as null, as AWS does.
type integrationResponseJSON struct {
	StatusCode         string              `json:"statusCode"`
	SelectionPattern   *string             `json:"selectionPattern,omitempty"`
	ResponseParameters *map[string]string  `json:"responseParameters,omitempty"`
	ResponseTemplates  *map[string]*string `json:"responseTemplates,omitempty"`
	ContentHandling    string              `json:"contentHandling,omitempty"`
}

func toMethodJSON(m *apigw.Method) methodJSON {
	req := m.APIKeyRequired
	out := methodJSON{
		HTTPMethod:          m.HTTPMethod,
		AuthorizationType:   m.AuthorizationType,
		AuthorizerID:        m.AuthorizerID,
		APIKeyRequired:      &req,
		RequestValidatorID:  m.RequestValidatorID,
		OperationName:       m.OperationName,
		RequestParameters:   m.RequestParameters,
		RequestModels:       m.RequestModels,
		AuthorizationScopes: m.AuthorizationScopes,
	}
	if len(m.MethodResponses) > 0 {
		out.MethodResponses = make(map[string]methodResponseJSON, len(m.MethodResponses))
		for code, mr := range m.MethodResponses {
			out.MethodResponses[code] = toMethodResponseJSON(mr)
		}
	}
	if m.Integration != nil {
		ij := toIntegrationJSON(m.Integration)
		out.MethodIntegration = &ij
	}
	return out
}

func toMethodResponseJSON(mr *apigw.MethodResponse) methodResponseJSON {
	out := methodResponseJSON{StatusCode: mr.StatusCode}
	if mr.ResponseParameters != nil {
		out.ResponseParameters = &mr.ResponseParameters
	}
	if mr.ResponseModels != nil {
		out.ResponseModels = &mr.ResponseModels
	}
	return out
}

func toIntegrationJSON(in *apigw.Integration) integrationJSON {
	out := integrationJSON{
		Type:                in.Type,
		HTTPMethod:          in.HTTPMethod,
		URI:                 in.URI,
		ConnectionType:      in.ConnectionType,
		ConnectionID:        in.ConnectionID,
		Credentials:         in.Credentials,
		RequestParameters:   in.RequestParameters,
		RequestTemplates:    in.RequestTemplates,
		PassthroughBehavior: in.PassthroughBehavior,
		ContentHandling:     in.ContentHandling,
		TimeoutInMillis:     in.TimeoutInMillis,
		CacheNamespace:      in.CacheNamespace,
		CacheKeyParameters:  in.CacheKeyParameters,
	}
	if out.CacheKeyParameters == nil {
		out.CacheKeyParameters = []string{}
	}
	if in.TLSInsecureSkipVerify != nil {
		out.TLSConfig = &tlsConfigJSON{InsecureSkipVerification: *in.TLSInsecureSkipVerify}
	}
	if len(in.IntegrationResponses) > 0 {
		out.IntegrationResponses = make(map[string]integrationResponseJSON, len(in.IntegrationResponses))
		for code, ir := range in.IntegrationResponses {
			out.IntegrationResponses[code] = toIntegrationResponseJSON(ir)
		}
	}
	return out
}

func toIntegrationResponseJSON(ir *apigw.IntegrationResponse) integrationResponseJSON {
	out := integrationResponseJSON{
		StatusCode:      ir.StatusCode,
		ContentHandling: ir.ContentHandling,
	}
	if ir.SelectionPattern != "" || ir.SelectionPatternSet {
		out.SelectionPattern = &ir.SelectionPattern
	}
	if ir.ResponseParameters != nil {
		out.ResponseParameters = &ir.ResponseParameters
	}
	if ir.ResponseTemplates != nil {
		t := make(map[string]*string, len(ir.ResponseTemplates))
		for ct, v := range ir.ResponseTemplates {
			if v != "" {
				t[ct] = &v
			} else {
				t[ct] = nil
			}
		}
		out.ResponseTemplates = &t
	}
	return out
}

// methodRef reads the method address from the path.
func methodRef(r *http.Request) control.MethodRef {
	return control.MethodRef{APIID: r.PathValue("restApiId"), ResourceID: r.PathValue("resourceId"), HTTPMethod: r.PathValue("httpMethod")}
}

// decodeRawPatch reads patchOperations without checking op names, for the
// operations whose op and statusCode violations AWS reports together.
func decodeRawPatch(r *http.Request) ([]patch.Op, error) {
	var req patchRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	ops := make([]patch.Op, len(req.PatchOperations))
	for i, o := range req.PatchOperations {
		ops[i] = patch.Op{Op: o.Op, Path: o.Path, Value: o.Value, From: o.From}
	}
	return ops, nil
}

// --- Method ---

type putMethodRequest struct {
	AuthorizationType   string            `json:"authorizationType"`
	AuthorizerID        string            `json:"authorizerId"`
	APIKeyRequired      bool              `json:"apiKeyRequired"`
	OperationName       string            `json:"operationName"`
	RequestParameters   map[string]bool   `json:"requestParameters"`
	RequestModels       map[string]string `json:"requestModels"`
	RequestValidatorID  string            `json:"requestValidatorId"`
	AuthorizationScopes []string          `json:"authorizationScopes"`
}

func (h *Handler) putMethod(w http.ResponseWriter, r *http.Request) error {
	var req putMethodRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	m, err := h.ctl.PutMethod(r.Context(), methodRef(r), control.PutMethodInput{
		AuthorizationType:   req.AuthorizationType,
		AuthorizerID:        req.AuthorizerID,
		APIKeyRequired:      req.APIKeyRequired,
		OperationName:       req.OperationName,
		RequestParameters:   req.RequestParameters,
		RequestModels:       req.RequestModels,
		RequestValidatorID:  req.RequestValidatorID,
		AuthorizationScopes: req.AuthorizationScopes,
	})
	if err != nil {
		return err
	}
	return respond(w, http.StatusCreated, toMethodJSON(m))
}

func (h *Handler) getMethod(w http.ResponseWriter, r *http.Request) error {
	m, err := h.ctl.GetMethod(r.Context(), methodRef(r))
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toMethodJSON(m))
}

func (h *Handler) updateMethod(w http.ResponseWriter, r *http.Request) error {
	ops, err := decodePatch(r, "updateMethodInput")
	if err != nil {
		return err
	}
	m, err := h.ctl.UpdateMethod(r.Context(), methodRef(r), ops)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toMethodJSON(m))
}

func (h *Handler) deleteMethod(w http.ResponseWriter, r *http.Request) error {
	if err := h.ctl.DeleteMethod(r.Context(), methodRef(r)); err != nil {
		return err
	}
	return respondEmpty(w, http.StatusNoContent)
}

// --- MethodResponse ---

type putMethodResponseRequest struct {
	ResponseParameters map[string]bool   `json:"responseParameters"`
	ResponseModels     map[string]string `json:"responseModels"`
}

func (h *Handler) putMethodResponse(w http.ResponseWriter, r *http.Request) error {
	var req putMethodResponseRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	mr, err := h.ctl.PutMethodResponse(r.Context(), methodRef(r), r.PathValue("statusCode"), control.PutMethodResponseInput{
		ResponseParameters: req.ResponseParameters,
		ResponseModels:     req.ResponseModels,
	})
	if err != nil {
		return err
	}
	return respond(w, http.StatusCreated, toMethodResponseJSON(mr))
}

func (h *Handler) getMethodResponse(w http.ResponseWriter, r *http.Request) error {
	mr, err := h.ctl.GetMethodResponse(r.Context(), methodRef(r), r.PathValue("statusCode"))
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toMethodResponseJSON(mr))
}

// updateMethodResponse answers 201, as AWS's model says.
func (h *Handler) updateMethodResponse(w http.ResponseWriter, r *http.Request) error {
	ops, err := decodeRawPatch(r)
	if err != nil {
		return err
	}
	mr, err := h.ctl.UpdateMethodResponse(r.Context(), methodRef(r), r.PathValue("statusCode"), ops)
	if err != nil {
		return err
	}
	return respond(w, http.StatusCreated, toMethodResponseJSON(mr))
}

func (h *Handler) deleteMethodResponse(w http.ResponseWriter, r *http.Request) error {
	if err := h.ctl.DeleteMethodResponse(r.Context(), methodRef(r), r.PathValue("statusCode")); err != nil {
		return err
	}
	return respondEmpty(w, http.StatusNoContent)
}

// --- Integration ---

type putIntegrationRequest struct {
	Type                string            `json:"type"`
	HTTPMethod          string            `json:"httpMethod"`
	URI                 string            `json:"uri"`
	ConnectionType      string            `json:"connectionType"`
	ConnectionID        string            `json:"connectionId"`
	Credentials         string            `json:"credentials"`
	RequestParameters   map[string]string `json:"requestParameters"`
	RequestTemplates    map[string]string `json:"requestTemplates"`
	PassthroughBehavior string            `json:"passthroughBehavior"`
	CacheNamespace      string            `json:"cacheNamespace"`
	CacheKeyParameters  []string          `json:"cacheKeyParameters"`
	ContentHandling     string            `json:"contentHandling"`
	TimeoutInMillis     *int              `json:"timeoutInMillis"`
	TLSConfig           *tlsConfigJSON    `json:"tlsConfig"`
}

func (h *Handler) putIntegration(w http.ResponseWriter, r *http.Request) error {
	var req putIntegrationRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	in := control.PutIntegrationInput{
		Type:                req.Type,
		HTTPMethod:          req.HTTPMethod,
		URI:                 req.URI,
		ConnectionType:      req.ConnectionType,
		ConnectionID:        req.ConnectionID,
		Credentials:         req.Credentials,
		RequestParameters:   req.RequestParameters,
		RequestTemplates:    req.RequestTemplates,
		PassthroughBehavior: req.PassthroughBehavior,
		CacheNamespace:      req.CacheNamespace,
		CacheKeyParameters:  req.CacheKeyParameters,
		ContentHandling:     req.ContentHandling,
		TimeoutInMillis:     req.TimeoutInMillis,
	}
	if req.TLSConfig != nil {
		v := req.TLSConfig.InsecureSkipVerification
		in.TLSInsecureSkipVerify = &v
	}
	integ, err := h.ctl.PutIntegration(r.Context(), methodRef(r), in)
	if err != nil {
		return err
	}
	return respond(w, http.StatusCreated, toIntegrationJSON(integ))
}

func (h *Handler) getIntegration(w http.ResponseWriter, r *http.Request) error {
	integ, err := h.ctl.GetIntegration(r.Context(), methodRef(r))
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toIntegrationJSON(integ))
}

func (h *Handler) updateIntegration(w http.ResponseWriter, r *http.Request) error {
	ops, err := decodePatch(r, "updateIntegrationInput")
	if err != nil {
		return err
	}
	integ, err := h.ctl.UpdateIntegration(r.Context(), methodRef(r), ops)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toIntegrationJSON(integ))
}

func (h *Handler) deleteIntegration(w http.ResponseWriter, r *http.Request) error {
	if err := h.ctl.DeleteIntegration(r.Context(), methodRef(r)); err != nil {
		return err
	}
	return respondEmpty(w, http.StatusNoContent)
}

// --- IntegrationResponse ---

type putIntegrationResponseRequest struct {
	SelectionPattern   *string           `json:"selectionPattern"`
	ResponseParameters map[string]string `json:"responseParameters"`
	ResponseTemplates  map[string]string `json:"responseTemplates"`
	ContentHandling    string            `json:"contentHandling"`
}

func (h *Handler) putIntegrationResponse(w http.ResponseWriter, r *http.Request) error {
	var req putIntegrationResponseRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	ir, err := h.ctl.PutIntegrationResponse(r.Context(), methodRef(r), r.PathValue("statusCode"), control.PutIntegrationResponseInput{
		SelectionPattern:   req.SelectionPattern,
		ResponseParameters: req.ResponseParameters,
		ResponseTemplates:  req.ResponseTemplates,
		ContentHandling:    req.ContentHandling,
	})
	if err != nil {
		return err
	}
	return respond(w, http.StatusCreated, toIntegrationResponseJSON(ir))
}

func (h *Handler) getIntegrationResponse(w http.ResponseWriter, r *http.Request) error {
	ir, err := h.ctl.GetIntegrationResponse(r.Context(), methodRef(r), r.PathValue("statusCode"))
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toIntegrationResponseJSON(ir))
}

func (h *Handler) updateIntegrationResponse(w http.ResponseWriter, r *http.Request) error {
	ops, err := decodeRawPatch(r)
	if err != nil {
		return err
	}
	ir, err := h.ctl.UpdateIntegrationResponse(r.Context(), methodRef(r), r.PathValue("statusCode"), ops)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toIntegrationResponseJSON(ir))
}

func (h *Handler) deleteIntegrationResponse(w http.ResponseWriter, r *http.Request) error {
	if err := h.ctl.DeleteIntegrationResponse(r.Context(), methodRef(r), r.PathValue("statusCode")); err != nil {
		return err
	}
	return respondEmpty(w, http.StatusNoContent)
}
