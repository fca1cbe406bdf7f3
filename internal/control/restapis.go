package control

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/iampolicy"
	"github.com/gatehouse-dev/gatehouse/internal/patch"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// MaxMinimumCompressionSize is the largest minimumCompressionSize AWS accepts.
const MaxMinimumCompressionSize = 10485760

// IP address types (EndpointConfiguration.IPAddressType).
const (
	IPv4      = "ipv4"
	DualStack = "dualstack"
)

// Messages AWS sends for RestApi validation.
const (
	msgEmptyDescription  = "Description cannot be an empty string"
	msgCompressionSize   = "Invalid minimum compression size, must be between 0 and 10485760"
	msgMultipleEndpoints = "Cannot create an api with multiple Endpoint Types."
	msgNoEndpointType    = "REGIONAL Configuration and EDGE Configuration cannot be both DISABLED."
	msgPrivateDualstack  = "Only dualstack ipAddressType is supported for Private APIs."
	msgBadIPAddressType  = "ipAddressType must be either ipv4 or dualstack."
	msgBadEndpointType   = "Invalid EndpointTypes specified. Valid options are REGIONAL,EDGE,PRIVATE"
)

// CreateRestAPIInput is CreateRestApi's request. Nil pointers and nil slices
// mean "not sent"; an empty non-nil slice was sent empty.
type CreateRestAPIInput struct {
	Name        string
	Description *string
	Version     string
	// CloneFrom is the id of an API whose definition (resources, methods,
	// integrations, gateway responses) the new API starts with.
	CloneFrom        string
	BinaryMediaTypes []string
	// MinimumCompressionSize out of range (including a value the wire layer
	// could not read as an integer, passed as -1) is refused.
	MinimumCompressionSize    *int
	APIKeySource              string
	EndpointConfiguration     *apigw.EndpointConfiguration
	Policy                    string
	Tags                      map[string]string
	DisableExecuteAPIEndpoint bool
}

// apiNotFound is AWS's NotFound text for an unknown API id.
func (s *Service) apiNotFound(err error, id string) error {
	return notFound(err, fmt.Sprintf("Invalid API identifier specified %s:%s", s.accountID, id))
}

// getAPI reads an API, answering AWS's "Invalid API identifier" when absent.
func (s *Service) getAPI(ctx context.Context, r store.Reader, id string) (*apigw.RestAPI, error) {
	api, err := r.GetAPI(ctx, id)
	if err != nil {
		return nil, s.apiNotFound(err, id)
	}
	return api, nil
}

// CreateRestAPI validates the request, applies AWS's defaults and stores a
// new API with its root resource.
func (s *Service) CreateRestAPI(ctx context.Context, in CreateRestAPIInput) (*apigw.RestAPI, error) {
	var violations []string
	ec := apigw.EndpointConfiguration{}
	if in.EndpointConfiguration != nil {
		ec = *in.EndpointConfiguration
	}
	for _, t := range ec.Types {
		if !validEndpointType(t) {
			violations = append(violations, fmt.Sprintf("Value '[%s]' at 'createRestApiInput.endpointConfiguration.types' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [PRIVATE, EDGE, REGIONAL]]", strings.Join(ec.Types, ", ")))
			break
		}
	}
	if ec.IPAddressType != "" && ec.IPAddressType != IPv4 && ec.IPAddressType != DualStack {
		violations = append(violations, fmt.Sprintf("Value '%s' at 'createRestApiInput.endpointConfiguration.ipAddressType' failed to satisfy constraint: Member must satisfy enum value set: [ipv4, dualstack]", ec.IPAddressType))
	}
	if in.APIKeySource != "" && in.APIKeySource != apigw.KeySourceHeader && in.APIKeySource != apigw.KeySourceAuthorizer {
		violations = append(violations, fmt.Sprintf("Value '%s' at 'createRestApiInput.apiKeySource' failed to satisfy constraint: Member must satisfy enum value set: [HEADER, AUTHORIZER]", in.APIKeySource))
	}
	if in.Name == "" {
		violations = append(violations, "Value null at 'createRestApiInput.name' failed to satisfy constraint: Member must not be null")
	}
	if err := patch.NewValidationError(violations); err != nil {
		return nil, FromPatch(err)
	}
	if in.Description != nil && *in.Description == "" {
		return nil, BadRequestf(msgEmptyDescription)
	}
	if in.MinimumCompressionSize != nil && (*in.MinimumCompressionSize < 0 || *in.MinimumCompressionSize > MaxMinimumCompressionSize) {
		return nil, BadRequestf(msgCompressionSize)
	}
	switch {
	case ec.Types == nil:
		ec.Types = []string{apigw.EndpointEdge}
	case len(ec.Types) == 0:
		return nil, BadRequestf(msgNoEndpointType)
	case len(ec.Types) > 1:
		return nil, BadRequestf(msgMultipleEndpoints)
	}
	if ec.IPAddressType == "" {
		ec.IPAddressType = IPv4
		if ec.Types[0] == apigw.EndpointPrivate {
			ec.IPAddressType = DualStack
		}
	}
	if ec.Types[0] == apigw.EndpointPrivate && ec.IPAddressType != DualStack {
		return nil, BadRequestf(msgPrivateDualstack)
	}
	policy, err := minifyPolicy(in.Policy)
	if err != nil {
		return nil, err
	}
	if err := validateTagsOn(tagOnRestAPI, in.Tags); err != nil {
		return nil, err
	}
	api := &apigw.RestAPI{
		ID:                        newID(apiIDLen),
		Name:                      in.Name,
		Version:                   in.Version,
		CreatedDate:               s.timestamp(),
		BinaryMediaTypes:          nilIfNoStrings(in.BinaryMediaTypes),
		MinimumCompressionSize:    in.MinimumCompressionSize,
		APIKeySource:              in.APIKeySource,
		EndpointConfiguration:     ec,
		Policy:                    policy,
		DisableExecuteAPIEndpoint: in.DisableExecuteAPIEndpoint,
		Tags:                      in.Tags,
		RootResourceID:            newID(rootResourceIDLen),
	}
	if in.Description != nil {
		api.Description = *in.Description
	}
	if api.APIKeySource == "" {
		api.APIKeySource = apigw.KeySourceHeader
	}
	api.Resources = map[string]*apigw.Resource{api.RootResourceID: {ID: api.RootResourceID}}
	api.Models = newAPIModels()
	err = s.update(ctx, func(tx store.Tx) error {
		if in.CloneFrom != "" {
			src, err := s.getAPI(ctx, tx, in.CloneFrom)
			if err != nil {
				return err
			}
			if err := cloneDefinition(api, src); err != nil {
				return err
			}
		}
		return tx.CreateAPI(ctx, api)
	})
	if err != nil {
		return nil, err
	}
	return api, nil
}

// cloneDefinition copies src's resource tree (with fresh resource ids),
// gateway responses and authorizers (same ids, so that methods keep
// naming theirs) into dst, replacing dst's root.
func cloneDefinition(dst, src *apigw.RestAPI) error {
	def, err := deepCopy(struct {
		R map[string]*apigw.Resource
		G map[string]*apigw.GatewayResponse
		A map[string]*apigw.Authorizer
		M map[string]*apigw.Model
		V map[string]*apigw.RequestValidator
	}{src.Resources, src.GatewayResponses, src.Authorizers, src.Models, src.RequestValidators})
	if err != nil {
		return err
	}
	ids := map[string]string{src.RootResourceID: dst.RootResourceID}
	for id := range def.R {
		if id != src.RootResourceID {
			ids[id] = newID(resourceIDLen)
		}
	}
	dst.Resources = make(map[string]*apigw.Resource, len(def.R))
	for id, r := range def.R {
		r.ID = ids[id]
		if r.ParentID != "" {
			r.ParentID = ids[r.ParentID]
		}
		for _, m := range r.Methods {
			if m.Integration != nil && m.Integration.CacheNamespace == id {
				m.Integration.CacheNamespace = r.ID
			}
		}
		dst.Resources[r.ID] = r
	}
	dst.GatewayResponses = def.G
	dst.Authorizers = def.A
	// Models and validators keep their ids and names (methods name them);
	// a model's references move to the new API's canonical URLs.
	if def.M != nil {
		dst.Models = def.M
	}
	dst.RequestValidators = def.V
	for _, m := range dst.Models {
		m.Schema = strings.ReplaceAll(m.Schema, apigw.ModelURL(src.ID, ""), apigw.ModelURL(dst.ID, ""))
	}
	return nil
}

// GetRestAPI returns an API.
func (s *Service) GetRestAPI(ctx context.Context, id string) (*apigw.RestAPI, error) {
	var api *apigw.RestAPI
	err := s.view(ctx, func(r store.Reader) error {
		var err error
		api, err = s.getAPI(ctx, r, id)
		return err
	})
	return api, err
}

// ListRestAPIs returns one page of APIs and the next position.
func (s *Service) ListRestAPIs(ctx context.Context, p store.Page) ([]*apigw.RestAPI, string, error) {
	var (
		apis []*apigw.RestAPI
		next string
	)
	err := s.view(ctx, func(r store.Reader) error {
		var err error
		apis, next, err = r.ListAPIs(ctx, p)
		return pageError(err, p)
	})
	return apis, next, err
}

// DeleteRestAPI deletes an API with its deployments and stages.
func (s *Service) DeleteRestAPI(ctx context.Context, id string) error {
	return s.update(ctx, func(tx store.Tx) error {
		return s.apiNotFound(tx.DeleteAPI(ctx, id), id)
	})
}

// UpdateRestAPI applies patch operations atomically.
func (s *Service) UpdateRestAPI(ctx context.Context, id string, ops []patch.Op) (*apigw.RestAPI, error) {
	var api *apigw.RestAPI
	err := s.update(ctx, func(tx store.Tx) error {
		var err error
		if api, err = s.getAPI(ctx, tx, id); err != nil {
			return err
		}
		if err := applyRestAPIPatch(api, ops); err != nil {
			return FromPatch(err)
		}
		return tx.UpdateAPI(ctx, api)
	})
	if err != nil {
		return nil, err
	}
	return api, nil
}

// applyRestAPIPatch applies ops to api in order (restAPIPatch); api is
// left partly modified on error, so callers apply it to a value they then
// discard.
func applyRestAPIPatch(api *apigw.RestAPI, ops []patch.Op) error {
	t := &restAPITarget{api: api}
	if err := restAPIPatch.ApplyAll(t, ops); err != nil {
		return err
	}
	ec := &api.EndpointConfiguration
	if len(ec.Types) == 1 && ec.Types[0] == apigw.EndpointPrivate && ec.IPAddressType != DualStack {
		if t.ipPatched {
			return BadRequestf(msgPrivateDualstack)
		}
		ec.IPAddressType = DualStack
	}
	return nil
}

// restAPITarget is what UpdateRestApi's rules patch; ipPatched records that
// the request set the ip address type (a private API then refuses ipv4
// instead of switching to dualstack).
type restAPITarget struct {
	api       *apigw.RestAPI
	ipPatched bool
}

// restAPISet adapts a setter of the API alone to the table.
func restAPISet(set func(api *apigw.RestAPI, op patch.Op, p patch.Params) error) func(*restAPITarget, patch.Op, patch.Params) error {
	return func(t *restAPITarget, op patch.Op, p patch.Params) error { return set(t.api, op, p) }
}

// restAPIPatch is UpdateRestApi's paths.
var restAPIPatch = patch.NewTable(patch.Options{},
	patch.Rule[*restAPITarget]{Path: "/name", Ops: replaceOp, Set: restAPISet(func(api *apigw.RestAPI, op patch.Op, _ patch.Params) error {
		if op.Value == "" {
			return BadRequestf("Invalid patch value for /name: the name must be non-empty")
		}
		api.Name = op.Value
		return nil
	})},
	patch.Rule[*restAPITarget]{Path: "/description", Ops: addRemoveReplace, Set: restAPISet(func(api *apigw.RestAPI, op patch.Op, _ patch.Params) error {
		api.Description = op.Value
		if op.Op == patch.Remove {
			api.Description = ""
		}
		return nil
	})},
	patch.Rule[*restAPITarget]{Path: "/policy", Ops: replaceOp, Set: restAPISet(func(api *apigw.RestAPI, op patch.Op, _ patch.Params) error {
		p, err := minifyPolicy(op.Value)
		if err != nil {
			return err
		}
		api.Policy = p
		return nil
	})},
	patch.Rule[*restAPITarget]{Path: "/apiKeySource", Ops: replaceOp, Set: restAPISet(func(api *apigw.RestAPI, op patch.Op, _ patch.Params) error {
		if op.Value != apigw.KeySourceHeader && op.Value != apigw.KeySourceAuthorizer {
			return BadRequestf("Invalid apiKeySource %q: must be one of [HEADER, AUTHORIZER]", op.Value)
		}
		api.APIKeySource = op.Value
		return nil
	})},
	patch.Rule[*restAPITarget]{Path: "/disableExecuteApiEndpoint", Ops: replaceOp, Set: patch.Bool(func(t *restAPITarget) *bool { return &t.api.DisableExecuteAPIEndpoint })},
	// An empty value turns compression off.
	patch.Rule[*restAPITarget]{Path: "/minimumCompressionSize", Ops: replaceOp, Set: restAPISet(func(api *apigw.RestAPI, op patch.Op, _ patch.Params) error {
		if op.Value == "" {
			api.MinimumCompressionSize = nil
			return nil
		}
		n, err := patch.ParseInt(op.Path, op.Value)
		if err != nil || n < 0 || n > MaxMinimumCompressionSize {
			return BadRequestf(msgCompressionSize)
		}
		api.MinimumCompressionSize = &n
		return nil
	})},
	patch.Rule[*restAPITarget]{Path: "/binaryMediaTypes/{type}", Ops: addRemoveReplace, Set: restAPISet(patchBinaryMediaType)},
	// AWS documents the current type as the last segment; Terraform and
	// boto3 send its index, 0. A wrong op gets AWS's quoted wording, and an
	// empty type is refused as an unknown type, after the op.
	patch.Rule[*restAPITarget]{Path: "/endpointConfiguration/types/{type}", Ops: replaceOp, Refuse: refuseEndpointTypeOp, Set: restAPISet(setEndpointType)},
	patch.Rule[*restAPITarget]{Path: "/endpointConfiguration/types/", Ops: replaceOp, Refuse: refuseEndpointTypeOp, Set: restAPISet(setEndpointType)},
	patch.Rule[*restAPITarget]{Path: "/endpointConfiguration/ipAddressType", Ops: replaceOp, Set: func(t *restAPITarget, op patch.Op, _ patch.Params) error {
		if op.Value != IPv4 && op.Value != DualStack {
			return BadRequestf(msgBadIPAddressType)
		}
		t.api.EndpointConfiguration.IPAddressType = op.Value
		t.ipPatched = true
		return nil
	}},
	patch.Rule[*restAPITarget]{Path: "/endpointConfiguration/vpcEndpointIds", Ops: addRemove, Set: restAPISet(func(api *apigw.RestAPI, op patch.Op, _ patch.Params) error {
		ec := &api.EndpointConfiguration
		if op.Op == patch.Remove {
			if i := slices.Index(ec.VPCEndpointIDs, op.Value); i >= 0 {
				ec.VPCEndpointIDs = slices.Delete(ec.VPCEndpointIDs, i, i+1)
			}
			return nil
		}
		if op.Value == "" {
			return BadRequestf("Invalid patch value for %s: a VPC endpoint id is required", op.Path)
		}
		if !slices.Contains(ec.VPCEndpointIDs, op.Value) {
			ec.VPCEndpointIDs = append(ec.VPCEndpointIDs, op.Value)
		}
		return nil
	})},
)

// patchBinaryMediaType adds, replaces (removes the type the path names and
// appends value, as AWS does) or removes the type the path names.
func patchBinaryMediaType(api *apigw.RestAPI, op patch.Op, p patch.Params) error {
	typ := p.Get("type")
	switch op.Op {
	case patch.Add:
		if !slices.Contains(api.BinaryMediaTypes, typ) {
			api.BinaryMediaTypes = append(api.BinaryMediaTypes, typ)
		}
	case patch.Replace:
		if op.Value == "" {
			return BadRequestf("Invalid patch value for %s: the new media type must be non-empty", op.Path)
		}
		// AWS removes the old type and appends the new one (recorded:
		// [png, jpeg] with png replaced by gif answers [jpeg, gif]).
		if i := slices.Index(api.BinaryMediaTypes, typ); i >= 0 {
			api.BinaryMediaTypes = slices.Delete(api.BinaryMediaTypes, i, i+1)
		}
		if !slices.Contains(api.BinaryMediaTypes, op.Value) {
			api.BinaryMediaTypes = append(api.BinaryMediaTypes, op.Value)
		}
	case patch.Remove:
		if i := slices.Index(api.BinaryMediaTypes, typ); i >= 0 {
			api.BinaryMediaTypes = slices.Delete(api.BinaryMediaTypes, i, i+1)
		}
	}
	if len(api.BinaryMediaTypes) == 0 {
		api.BinaryMediaTypes = nil
	}
	return nil
}

// refuseEndpointTypeOp is AWS's wording for an op other than replace on
// /endpointConfiguration/types/{type}: "Invalid patch operation specified.
// Must be 'add'|'remove'|'replace'".
func refuseEndpointTypeOp(op patch.Op, _ patch.Refused) error {
	return &patch.UnsupportedOpError{Op: op.Op, Path: op.Path, Allowed: addRemoveReplace, Quoted: true}
}

// setEndpointType replaces the API's endpoint type named by the path (or
// index 0) with the value.
func setEndpointType(api *apigw.RestAPI, op patch.Op, p patch.Params) error {
	if cur := p.Get("type"); cur != "0" && !slices.Contains(api.EndpointConfiguration.Types, cur) {
		return &patch.BadPathError{Op: op.Op, Path: op.Path}
	}
	if !validEndpointType(op.Value) {
		return BadRequestf(msgBadEndpointType)
	}
	api.EndpointConfiguration.Types = []string{op.Value}
	return nil
}

func validEndpointType(t string) bool {
	return t == apigw.EndpointEdge || t == apigw.EndpointRegional || t == apigw.EndpointPrivate
}

// minifyPolicy returns a resource policy as compact JSON ("" stays ""),
// after checking it is one Gatehouse evaluates (iampolicy.ParseResource).
func minifyPolicy(p string) (string, error) {
	if strings.TrimSpace(p) == "" {
		return "", nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(p)); err != nil {
		return "", &Error{Kind: KindBadRequest, Message: "Invalid policy document: the policy must be a JSON document (" + err.Error() + ")", Err: err}
	}
	// The data plane evaluates what is stored: a policy it could not
	// evaluate exactly (an unsupported operator, key or principal) is
	// refused here rather than ignored there.
	if _, err := iampolicy.ParseResource(buf.Bytes()); err != nil {
		return "", &Error{Kind: KindBadRequest, Message: "Invalid policy document: " + err.Error(), Err: err}
	}
	return buf.String(), nil
}

// nilIfNoStrings maps an empty list to nil (AWS omits empty lists).
func nilIfNoStrings(v []string) []string {
	if len(v) == 0 {
		return nil
	}
	return v
}

// deepCopy returns a copy of v sharing no memory with it. Domain types have
// only exported fields, so a JSON round trip is exact.
func deepCopy[T any](v T) (T, error) {
	var out T
	b, err := json.Marshal(v)
	if err != nil {
		return out, fmt.Errorf("copy %T: %w", v, err)
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return out, fmt.Errorf("copy %T: %w", v, err)
	}
	return out, nil
}
