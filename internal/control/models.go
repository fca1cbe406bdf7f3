package control

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/modelschema"
	"github.com/gatehouse-dev/gatehouse/internal/patch"
	"github.com/gatehouse-dev/gatehouse/internal/respath"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// Messages of models. The AWS texts are as AWS sent them (recorded
// answers, and errors users quoted from AWS); the others are Gatehouse's,
// in AWS's style, where AWS's own text is unknown.
const (
	msgModelNameEmpty   = "Model name must be non-empty"
	msgModelNameAlnum   = "Model name must be alphanumeric: %s"
	msgModelExists      = "Model name already exists for this REST API"
	msgModelNotFound    = "Invalid model name specified: %s"
	msgModelContentType = "Invalid content type specified: %s"
	// msgModelInUse is AWS's text for deleting a model a method's
	// requestModels names: the method as its method key ("//ANY").
	msgModelInUse = "Cannot delete model '%s', is referenced in method request: %s"
	// msgModelInUseResponse and msgModelInUseModel are Gatehouse's, in
	// the same form, for a method response's responseModels and another
	// model's $ref.
	msgModelInUseResponse = "Cannot delete model '%s', is referenced in method response: %s/%s"
	msgModelInUseModel    = "Cannot delete model '%s', is referenced in model: %s"
	// msgInvalidModelID is AWS's answer to requestModels naming a model
	// the API does not have (§10a).
	msgInvalidModelID = "Invalid model identifier specified: %s"

	modelIDLen = 6
)

var modelName = regexp.MustCompile(`^[a-zA-Z0-9]+$`)

// CreateModelInput is CreateModel's request.
type CreateModelInput struct {
	Name        string
	Description string
	Schema      string
	ContentType string
}

// newAPIModels returns the default models AWS gives every new API
// ("Empty" and "Error", with fresh ids).
func newAPIModels() map[string]*apigw.Model {
	a := newID(modelIDLen)
	b := newID(modelIDLen)
	for b == a {
		b = newID(modelIDLen)
	}
	return apigw.DefaultModels(a, b)
}

// checkContentType refuses a model content type that is not a media type
// ("type/subtype"); AWS's "$default" is not one a model takes.
func checkContentType(ct string) error {
	if ct == "" {
		return FromPatch(patch.NewValidationError([]string{"Value null at 'createModelInput.contentType' failed to satisfy constraint: Member must not be null"}))
	}
	typ, sub, ok := strings.Cut(ct, "/")
	if !ok || strings.TrimSpace(typ) == "" || strings.TrimSpace(sub) == "" || strings.ContainsAny(ct, " \t\r\n") {
		return BadRequestf(msgModelContentType, ct)
	}
	return nil
}

// checkModelSchema checks m's schema among the API's models (m included).
func checkModelSchema(api *apigw.RestAPI, m *apigw.Model) error {
	err := modelschema.CheckModel(api.ID, m, api.Models)
	var se *modelschema.SchemaError
	if errors.As(err, &se) {
		return &Error{Kind: KindBadRequest, Message: se.Message, Err: err}
	}
	return err
}

// CreateModel validates and stores a new model of an API.
func (s *Service) CreateModel(ctx context.Context, apiID string, in CreateModelInput) (*apigw.Model, error) {
	if in.Name == "" {
		return nil, BadRequestf(msgModelNameEmpty)
	}
	if !modelName.MatchString(in.Name) {
		return nil, BadRequestf(msgModelNameAlnum, in.Name)
	}
	if err := checkContentType(in.ContentType); err != nil {
		return nil, err
	}
	m := &apigw.Model{Name: in.Name, Description: in.Description, Schema: in.Schema, ContentType: in.ContentType}
	err := s.update(ctx, func(tx store.Tx) error {
		api, err := s.getAPI(ctx, tx, apiID)
		if err != nil {
			return err
		}
		if apigw.ModelByName(api.Models, m.Name) != nil {
			return Conflictf(msgModelExists)
		}
		if api.Models == nil {
			api.Models = map[string]*apigw.Model{}
		}
		for m.ID == "" || api.Models[m.ID] != nil {
			m.ID = newID(modelIDLen)
		}
		api.Models[m.ID] = m
		if err := checkModelSchema(api, m); err != nil {
			return err
		}
		return tx.UpdateAPI(ctx, api)
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// modelOf returns an API's model by name, answering AWS's NotFound (an
// unknown API answers the same: AWS looks the model up by API and name).
func (s *Service) modelOf(ctx context.Context, r store.Reader, apiID, name string) (*apigw.RestAPI, *apigw.Model, error) {
	api, err := r.GetAPI(ctx, apiID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, notFound(err, fmt.Sprintf(msgModelNotFound, name))
	}
	if err != nil {
		return nil, nil, err
	}
	m := apigw.ModelByName(api.Models, name)
	if m == nil {
		return nil, nil, NotFoundf(msgModelNotFound, name)
	}
	return api, m, nil
}

// GetModel returns an API's model by name.
func (s *Service) GetModel(ctx context.Context, apiID, name string) (*apigw.Model, error) {
	var out *apigw.Model
	err := s.view(ctx, func(r store.Reader) error {
		var err error
		_, out, err = s.modelOf(ctx, r, apiID, name)
		return err
	})
	return out, err
}

// ListModels returns one page of an API's models, sorted by name; the
// position is the name starting the next page.
func (s *Service) ListModels(ctx context.Context, apiID string, p store.Page) ([]*apigw.Model, string, error) {
	return listOfAPI(s, ctx, apiID, p, func(a *apigw.RestAPI) map[string]*apigw.Model { return a.Models }, func(m *apigw.Model) string { return m.Name })
}

// UpdateModel applies patch operations (modelPatch) and checks the
// schema again.
func (s *Service) UpdateModel(ctx context.Context, apiID, name string, ops []patch.Op) (*apigw.Model, error) {
	var out *apigw.Model
	err := s.update(ctx, func(tx store.Tx) error {
		api, m, err := s.modelOf(ctx, tx, apiID, name)
		if err != nil {
			return err
		}
		if err := modelPatch.ApplyAll(m, ops); err != nil {
			return FromPatch(err)
		}
		if err := checkModelSchema(api, m); err != nil {
			return err
		}
		out = m
		return tx.UpdateAPI(ctx, api)
	})
	return out, err
}

// modelPatch is UpdateModel's paths: replace on /description and /schema
// (AWS's recorded list).
var modelPatch = patch.NewTable(patch.Options{UnknownOp: patch.RefuseChooseOp, WrongOp: patch.RefuseChooseOp, UnknownPath: patch.RefusePathsForOp},
	patch.Rule[*apigw.Model]{Path: "/description", Ops: replaceOp, Set: patch.String(func(m *apigw.Model) *string { return &m.Description })},
	patch.Rule[*apigw.Model]{Path: "/schema", Ops: replaceOp, Set: patch.String(func(m *apigw.Model) *string { return &m.Schema })},
)

// DeleteModel deletes a model nothing uses. AWS refuses to delete a model
// a method's requestModels names, naming the method; Gatehouse also
// refuses one a method response or another model refers to.
func (s *Service) DeleteModel(ctx context.Context, apiID, name string) error {
	return s.update(ctx, func(tx store.Tx) error {
		api, m, err := s.modelOf(ctx, tx, apiID, name)
		if err != nil {
			return err
		}
		if err := modelInUse(api, m.Name); err != nil {
			return err
		}
		delete(api.Models, m.ID)
		if len(api.Models) == 0 {
			api.Models = nil
		}
		return tx.UpdateAPI(ctx, api)
	})
}

// modelInUse returns the conflict of deleting model name: the first
// method (by path, then verb) whose requestModels or method responses
// name it, else the first model (by name) that refers to it.
func modelInUse(api *apigw.RestAPI, name string) error {
	for _, ri := range sortedResources(api) {
		verbs := make([]string, 0, len(ri.Resource.Methods))
		for v := range ri.Resource.Methods {
			verbs = append(verbs, v)
		}
		slices.Sort(verbs)
		for _, v := range verbs {
			m := ri.Resource.Methods[v]
			key := respath.MethodKey(ri.Path, v)
			for _, n := range m.RequestModels {
				if n == name {
					return Conflictf(msgModelInUse, name, key)
				}
			}
			codes := make([]string, 0, len(m.MethodResponses))
			for c := range m.MethodResponses {
				codes = append(codes, c)
			}
			slices.Sort(codes)
			for _, c := range codes {
				for _, n := range m.MethodResponses[c].ResponseModels {
					if n == name {
						return Conflictf(msgModelInUseResponse, name, key, c)
					}
				}
			}
		}
	}
	names := make([]string, 0, len(api.Models))
	for _, m := range api.Models {
		if m.Name != name {
			names = append(names, m.Name)
		}
	}
	slices.Sort(names)
	ref := apigw.ModelURL(api.ID, name)
	for _, n := range names {
		m := apigw.ModelByName(api.Models, n)
		if strings.Contains(m.Schema, `"`+ref+`"`) || strings.Contains(m.Schema, `"`+ref+`#`) {
			return Conflictf(msgModelInUseModel, name, n)
		}
	}
	return nil
}

// checkRequestModels refuses requestModels naming a model the API does
// not have (AWS: 400 "Invalid model identifier specified: <name>"), or
// keyed by something that is not a content type.
func checkRequestModels(api *apigw.RestAPI, models map[string]string) error {
	cts := make([]string, 0, len(models))
	for ct := range models {
		cts = append(cts, ct)
	}
	slices.Sort(cts)
	for _, ct := range cts {
		if ct != apigw.ContentTypeDefault && !strings.Contains(ct, "/") {
			return BadRequestf("Validation Result: warnings : [], errors : [Invalid content type specified: %s]", ct)
		}
		if n := models[ct]; apigw.ModelByName(api.Models, n) == nil {
			return BadRequestf(msgInvalidModelID, n)
		}
	}
	return nil
}
