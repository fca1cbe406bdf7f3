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
	gr, err := newGatewayResponse(typ, in)
	if err != nil {
		return nil, err
	}
	err = s.update(ctx, func(tx store.Tx) error {
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

// newGatewayResponse checks a customisation of type typ and returns it
// (PutGatewayResponse's, and an import's x-amazon-apigateway-gateway-responses).
func newGatewayResponse(typ string, in PutGatewayResponseInput) (*apigw.GatewayResponse, error) {
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
// /responseTemplates/{contentType} (gatewayResponsePatch).
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
	return gatewayResponsePatch.ApplyAll(gr, ops)
}

// gatewayResponsePatch is UpdateGatewayResponse's paths. AWS refuses an op
// other than replace on /statusCode as an invalid path.
var gatewayResponsePatch = patch.NewTable(patch.Options{},
	patch.Rule[*apigw.GatewayResponse]{Path: "/statusCode", Ops: replaceOp, Refuse: patch.RefusePath, Set: func(gr *apigw.GatewayResponse, op patch.Op, _ patch.Params) error {
		if err := checkStatusCode(op.Value); err != nil {
			return err
		}
		gr.StatusCode = op.Value
		return nil
	}},
	patch.Rule[*apigw.GatewayResponse]{Path: "/responseParameters/{name}", Ops: addRemoveReplace, Set: gatewayResponseEntry("responseParameters", func(gr *apigw.GatewayResponse) *map[string]string { return &gr.ResponseParameters })},
	patch.Rule[*apigw.GatewayResponse]{Path: "/responseTemplates/{name}", Ops: addRemoveReplace, Set: gatewayResponseEntry("responseTemplates", func(gr *apigw.GatewayResponse) *map[string]string { return &gr.ResponseTemplates })},
)

// gatewayResponseEntry adds, replaces or removes an entry of the map field
// returns (member names it in messages). A value must not be empty; a
// replaced or removed entry must exist. An emptied map stays empty, not nil.
func gatewayResponseEntry(member string, field func(*apigw.GatewayResponse) *map[string]string) func(*apigw.GatewayResponse, patch.Op, patch.Params) error {
	return func(gr *apigw.GatewayResponse, op patch.Op, p patch.Params) error {
		name := p.Get("name")
		if op.Op != patch.Remove && op.Value == "" {
			return BadRequestf("Invalid null or empty value in %s", member)
		}
		m := field(gr)
		if _, ok := (*m)[name]; !ok && op.Op != patch.Add {
			return NotFoundf(msgParameterNotFound)
		}
		if *m == nil {
			*m = map[string]string{}
		}
		if op.Op == patch.Remove {
			delete(*m, name)
		} else {
			(*m)[name] = op.Value
		}
		return nil
	}
}
