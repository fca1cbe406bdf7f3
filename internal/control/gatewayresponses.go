package control

import (
	"context"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/patch"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

const msgGatewayResponseNotDefined = "Gateway response type not defined on api"

// gatewayResponseEnum is the type list in the order AWS prints it in its
// ValidationException (an AWS wire fact: the set of types is apigw's
// catalogue, and a test checks that this list is exactly that set).
var gatewayResponseEnum = []string{
	"REQUEST_TOO_LARGE", "RESOURCE_NOT_FOUND", "AUTHORIZER_CONFIGURATION_ERROR", "MISSING_AUTHENTICATION_TOKEN",
	"BAD_REQUEST_BODY", "INVALID_SIGNATURE", "INVALID_API_KEY", "BAD_REQUEST_PARAMETERS", "AUTHORIZER_FAILURE",
	"UNAUTHORIZED", "INTEGRATION_TIMEOUT", "ACCESS_DENIED", "DEFAULT_4XX", "DEFAULT_5XX", "WAF_FILTERED",
	"QUOTA_EXCEEDED", "THROTTLED", "API_CONFIGURATION_ERROR", "UNSUPPORTED_MEDIA_TYPE", "INTEGRATION_FAILURE",
	"EXPIRED_TOKEN",
}

// checkResponseType refuses an unknown gateway response type.
func checkResponseType(typ string) error {
	if !apigw.IsGatewayResponseType(typ) {
		return enumError(typ, "responseType", gatewayResponseEnum)
	}
	return nil
}

// builtinGatewayResponse is typ's uncustomised value, ignoring DEFAULT_4XX
// and DEFAULT_5XX customisations (the base of a PUT or first PATCH).
func builtinGatewayResponse(typ string) *apigw.GatewayResponse {
	gr, _ := apigw.EffectiveGatewayResponse(nil, typ)
	return &gr
}

// PutGatewayResponseInput is PutGatewayResponse's request; nil members
// take the type's defaults.
type PutGatewayResponseInput struct {
	StatusCode         string
	ResponseParameters map[string]string
	ResponseTemplates  map[string]string
}

// PutGatewayResponse customises a gateway response type.
func (s *Service) PutGatewayResponse(ctx context.Context, apiID, typ string, in PutGatewayResponseInput) (*apigw.GatewayResponse, error) {
	if err := checkResponseType(typ); err != nil {
		return nil, err
	}
	if in.StatusCode != "" {
		if err := checkStatusCode(in.StatusCode); err != nil {
			return nil, err
		}
	}
	gr := builtinGatewayResponse(typ)
	gr.Default = false
	if in.StatusCode != "" {
		gr.StatusCode = in.StatusCode
	}
	if in.ResponseParameters != nil {
		gr.ResponseParameters = in.ResponseParameters
	}
	if in.ResponseTemplates != nil {
		gr.ResponseTemplates = in.ResponseTemplates
	}
	err := s.update(ctx, func(tx store.Tx) error {
		api, err := s.getAPI(ctx, tx, apiID)
		if err != nil {
			return err
		}
		if api.GatewayResponses == nil {
			api.GatewayResponses = map[string]*apigw.GatewayResponse{}
		}
		api.GatewayResponses[typ] = gr
		return tx.UpdateAPI(ctx, api)
	})
	if err != nil {
		return nil, err
	}
	return gr, nil
}

// GetGatewayResponse returns the effective response for a type (the
// default, possibly shaped by a DEFAULT_4XX/5XX customisation, when the
// type itself is not customised).
func (s *Service) GetGatewayResponse(ctx context.Context, apiID, typ string) (apigw.GatewayResponse, error) {
	if err := checkResponseType(typ); err != nil {
		return apigw.GatewayResponse{}, err
	}
	var gr apigw.GatewayResponse
	err := s.view(ctx, func(r store.Reader) error {
		api, err := s.getAPI(ctx, r, apiID)
		if err != nil {
			return err
		}
		gr, _ = apigw.EffectiveGatewayResponse(api.GatewayResponses, typ)
		return nil
	})
	return gr, err
}

// ListGatewayResponses returns one page of the effective responses of all
// types, sorted by type. The position is the type starting the next page.
func (s *Service) ListGatewayResponses(ctx context.Context, apiID string, p store.Page) ([]apigw.GatewayResponse, string, error) {
	var all []apigw.GatewayResponse
	err := s.view(ctx, func(r store.Reader) error {
		api, err := s.getAPI(ctx, r, apiID)
		if err != nil {
			return err
		}
		for _, t := range apigw.GatewayResponseTypes() {
			gr, _ := apigw.EffectiveGatewayResponse(api.GatewayResponses, t)
			all = append(all, gr)
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return pageSlice(all, p, func(gr apigw.GatewayResponse) string { return gr.Type })
}

// DeleteGatewayResponse removes a type's customisation.
func (s *Service) DeleteGatewayResponse(ctx context.Context, apiID, typ string) error {
	if err := checkResponseType(typ); err != nil {
		return err
	}
	return s.update(ctx, func(tx store.Tx) error {
		api, err := s.getAPI(ctx, tx, apiID)
		if err != nil {
			return err
		}
		if api.GatewayResponses[typ] == nil {
			return NotFoundf(msgGatewayResponseNotDefined)
		}
		delete(api.GatewayResponses, typ)
		if len(api.GatewayResponses) == 0 {
			api.GatewayResponses = nil
		}
		return tx.UpdateAPI(ctx, api)
	})
}

// UpdateGatewayResponse patches a type (customising it if it was not):
// replace /statusCode; add, replace, remove /responseParameters/{name} and
// /responseTemplates/{contentType}.
func (s *Service) UpdateGatewayResponse(ctx context.Context, apiID, typ string, ops []patch.Op) (*apigw.GatewayResponse, error) {
	if err := checkResponseType(typ); err != nil {
		return nil, err
	}
	var gr *apigw.GatewayResponse
	err := s.update(ctx, func(tx store.Tx) error {
		api, err := s.getAPI(ctx, tx, apiID)
		if err != nil {
			return err
		}
		gr = api.GatewayResponses[typ]
		if gr == nil {
			gr = builtinGatewayResponse(typ)
		}
		gr.Default = false
		if err := applyGatewayResponsePatch(gr, ops); err != nil {
			return FromPatch(err)
		}
		if api.GatewayResponses == nil {
			api.GatewayResponses = map[string]*apigw.GatewayResponse{}
		}
		api.GatewayResponses[typ] = gr
		return tx.UpdateAPI(ctx, api)
	})
	if err != nil {
		return nil, err
	}
	return gr, nil
}

func applyGatewayResponsePatch(gr *apigw.GatewayResponse, ops []patch.Op) error {
	for _, op := range ops {
		if op.Path == "" {
			return &patch.BadPathError{Op: op.Op, Path: op.Path}
		}
		segs, err := patch.Segments(op.Path)
		if err != nil {
			return err
		}
		switch {
		case op.Path == "/statusCode":
			if op.Op != patch.Replace {
				return &patch.BadPathError{Op: op.Op, Path: op.Path}
			}
			if err := checkStatusCode(op.Value); err != nil {
				return err
			}
			gr.StatusCode = op.Value
		case len(segs) == 2 && (segs[0] == "responseParameters" || segs[0] == "responseTemplates") && segs[1] != "":
			params := segs[0] == "responseParameters"
			m := gr.ResponseTemplates
			if params {
				m = gr.ResponseParameters
			}
			if (op.Op == patch.Add || op.Op == patch.Replace) && op.Value == "" {
				return BadRequestf("Invalid null or empty value in %s", segs[0])
			}
			if m == nil {
				m = map[string]string{}
			}
			if _, ok := m[segs[1]]; !ok && op.Op != patch.Add {
				if op.Op == patch.Replace || op.Op == patch.Remove {
					return NotFoundf(msgParameterNotFound)
				}
			}
			switch op.Op {
			case patch.Add, patch.Replace:
				m[segs[1]] = op.Value
			case patch.Remove:
				delete(m, segs[1])
			default:
				return &patch.UnsupportedOpError{Op: op.Op, Path: op.Path, Allowed: []string{patch.Add, patch.Remove, patch.Replace}}
			}
			if params {
				gr.ResponseParameters = m
			} else {
				gr.ResponseTemplates = m
			}
		default:
			return &patch.BadPathError{Op: op.Op, Path: op.Path}
		}
	}
	return nil
}
