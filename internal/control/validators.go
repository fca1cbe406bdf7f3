package control

import (
	"context"
	"errors"
	"sort"
	"strings"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/patch"
	"github.com/gatehouse-dev/gatehouse/internal/respath"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// Messages of request validators, as AWS sent them (recorded answers).
const (
	// msgValidatorNotFound is also AWS's answer to Get, Update and
	// Delete on an unknown API.
	msgValidatorNotFound = "Invalid Request Validator identifier specified"
	// msgValidatorCreateNoAPI is AWS's answer to CreateRequestValidator
	// on an unknown API: a 400, not the 404 other operations give.
	msgValidatorCreateNoAPI = "Invalid REST API identifier specified"
	msgValidatorNameBlank   = "Request Validator name cannot be blank"
	// msgValidatorInUse is Gatehouse's text, in AWS's style, for deleting
	// a validator a method uses.
	msgValidatorInUse = "Cannot delete request validator '%s', is referenced in method request: %s"

	validatorIDLen = 6
)

// CreateRequestValidatorInput is CreateRequestValidator's request.
type CreateRequestValidatorInput struct {
	Name                      string
	ValidateRequestBody       bool
	ValidateRequestParameters bool
}

// CreateRequestValidator stores a new request validator of an API.
func (s *Service) CreateRequestValidator(ctx context.Context, apiID string, in CreateRequestValidatorInput) (*apigw.RequestValidator, error) {
	if strings.TrimSpace(in.Name) == "" {
		return nil, BadRequestf(msgValidatorNameBlank)
	}
	v := &apigw.RequestValidator{Name: in.Name, ValidateRequestBody: in.ValidateRequestBody, ValidateRequestParameters: in.ValidateRequestParameters}
	err := s.update(ctx, func(tx store.Tx) error {
		api, err := tx.GetAPI(ctx, apiID)
		if errors.Is(err, store.ErrNotFound) {
			return &Error{Kind: KindBadRequest, Message: msgValidatorCreateNoAPI, Err: err}
		}
		if err != nil {
			return err
		}
		if api.RequestValidators == nil {
			api.RequestValidators = map[string]*apigw.RequestValidator{}
		}
		for v.ID == "" || api.RequestValidators[v.ID] != nil {
			v.ID = newID(validatorIDLen)
		}
		api.RequestValidators[v.ID] = v
		return tx.UpdateAPI(ctx, api)
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// validatorOf returns an API's validator; an unknown API answers as an
// unknown validator (recorded).
func validatorOf(ctx context.Context, r store.Reader, apiID, id string) (*apigw.RestAPI, *apigw.RequestValidator, error) {
	api, err := r.GetAPI(ctx, apiID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, notFound(err, msgValidatorNotFound)
	}
	if err != nil {
		return nil, nil, err
	}
	v := api.RequestValidators[id]
	if v == nil {
		return nil, nil, NotFoundf(msgValidatorNotFound)
	}
	return api, v, nil
}

// GetRequestValidator returns a request validator of an API.
func (s *Service) GetRequestValidator(ctx context.Context, apiID, id string) (*apigw.RequestValidator, error) {
	var out *apigw.RequestValidator
	err := s.view(ctx, func(r store.Reader) error {
		var err error
		_, out, err = validatorOf(ctx, r, apiID, id)
		return err
	})
	return out, err
}

// ListRequestValidators returns one page of an API's request validators,
// sorted by id; the position is the id starting the next page.
func (s *Service) ListRequestValidators(ctx context.Context, apiID string, p store.Page) ([]*apigw.RequestValidator, string, error) {
	return listOfAPI(s, ctx, apiID, p, func(a *apigw.RestAPI) map[string]*apigw.RequestValidator { return a.RequestValidators }, func(v *apigw.RequestValidator) string { return v.ID })
}

// UpdateRequestValidator applies patch operations (validatorPatch).
func (s *Service) UpdateRequestValidator(ctx context.Context, apiID, id string, ops []patch.Op) (*apigw.RequestValidator, error) {
	var out *apigw.RequestValidator
	err := s.update(ctx, func(tx store.Tx) error {
		api, v, err := validatorOf(ctx, tx, apiID, id)
		if err != nil {
			return err
		}
		if err := validatorPatch.ApplyAll(v, ops); err != nil {
			return FromPatch(err)
		}
		out = v
		return tx.UpdateAPI(ctx, api)
	})
	return out, err
}

// validatorPatch is UpdateRequestValidator's paths (AWS's recorded list):
// replace only; a boolean without a value is false, as AWS answers.
var validatorPatch = patch.NewTable(patch.Options{UnknownOp: patch.RefuseChooseOp, WrongOp: patch.RefuseChooseOp, UnknownPath: patch.RefusePathsForOp},
	patch.Rule[*apigw.RequestValidator]{Path: "/name", Ops: replaceOp, Set: func(v *apigw.RequestValidator, op patch.Op, _ patch.Params) error {
		if strings.TrimSpace(op.Value) == "" {
			return BadRequestf(msgValidatorNameBlank)
		}
		v.Name = op.Value
		return nil
	}},
	patch.Rule[*apigw.RequestValidator]{Path: "/validateRequestParameters", Ops: replaceOp, Set: patch.Bool(func(v *apigw.RequestValidator) *bool { return &v.ValidateRequestParameters })},
	patch.Rule[*apigw.RequestValidator]{Path: "/validateRequestBody", Ops: replaceOp, Set: patch.Bool(func(v *apigw.RequestValidator) *bool { return &v.ValidateRequestBody })},
)

// DeleteRequestValidator deletes a validator no method uses.
func (s *Service) DeleteRequestValidator(ctx context.Context, apiID, id string) error {
	return s.update(ctx, func(tx store.Tx) error {
		api, v, err := validatorOf(ctx, tx, apiID, id)
		if err != nil {
			return err
		}
		for _, ri := range sortedResources(api) {
			verbs := make([]string, 0, len(ri.Resource.Methods))
			for verb, m := range ri.Resource.Methods {
				if m.RequestValidatorID == id {
					verbs = append(verbs, verb)
				}
			}
			if len(verbs) > 0 {
				sort.Strings(verbs)
				return Conflictf(msgValidatorInUse, v.Name, respath.MethodKey(ri.Path, verbs[0]))
			}
		}
		delete(api.RequestValidators, id)
		if len(api.RequestValidators) == 0 {
			api.RequestValidators = nil
		}
		return tx.UpdateAPI(ctx, api)
	})
}

// checkRequestValidatorID refuses a method's requestValidatorId that
// names no validator of the API ("" is none).
func checkRequestValidatorID(api *apigw.RestAPI, id string) error {
	if id != "" && api.RequestValidators[id] == nil {
		return BadRequestf(msgBadRequestValidator)
	}
	return nil
}
