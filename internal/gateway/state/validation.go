package state

import (
	"slices"
	"strings"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/modelschema"
)

// Validation is what request validation checks for one method of a
// deployment, worked out once per deployment: the method's validator
// (requestValidatorId), its required parameters in AWS's order, and its
// request models compiled. Only methods with a validator have one.
type Validation struct {
	// Validator is the deployment's validator the method names; nil when
	// the snapshot has no validator of that id (the request is then not
	// validated, and Explain says why).
	Validator   *apigw.RequestValidator
	ValidatorID string
	// Params are the required request parameters (requestParameters set
	// to true), sorted by their full name as AWS lists the missing ones
	// ("method.request.header.a" < "method.request.path.b" < …); nil when
	// the validator does not check parameters.
	Params []RequiredParam
	// Models are the request models by content type (lower case, and
	// apigw.ContentTypeDefault), compiled; nil when the validator does
	// not check bodies or the method has no request model.
	Models map[string]*modelschema.Schema
}

// RequiredParam is one required request parameter.
type RequiredParam struct {
	// In is "header", "querystring" or "path" (the multivalue forms are
	// read as their single-value locations).
	In, Name string
}

// ModelFor returns the model a request body of media type mt (lower
// case) is checked against: the model for mt, else the "$default" one;
// nil when none applies (AWS then does not validate the body).
func (v *Validation) ModelFor(mt string) *modelschema.Schema {
	if s := v.Models[mt]; s != nil {
		return s
	}
	return v.Models[apigw.ContentTypeDefault]
}

// compileValidations builds the Validation of every method of a snapshot
// that names a validator, keyed by the snapshot's method (the pointer the
// compiled route table holds); nil when no method does.
func compileValidations(apiID string, snap *apigw.Snapshot) map[*apigw.Method]*Validation {
	var out map[*apigw.Method]*Validation
	var models *modelschema.Set
	for _, r := range snap.Resources {
		for _, m := range r.Methods {
			if m == nil || m.RequestValidatorID == "" {
				continue
			}
			v := &Validation{ValidatorID: m.RequestValidatorID, Validator: snap.RequestValidators[m.RequestValidatorID]}
			if v.Validator != nil && v.Validator.ValidateRequestParameters {
				v.Params = requiredParams(m.RequestParameters)
			}
			if v.Validator != nil && v.Validator.ValidateRequestBody && len(m.RequestModels) > 0 {
				if models == nil {
					models = modelschema.Compile(apiID, snap.Models)
				}
				v.Models = make(map[string]*modelschema.Schema, len(m.RequestModels))
				for ct, name := range m.RequestModels {
					s := models.Schema(name)
					if s == nil {
						s = &modelschema.Schema{Name: name, Err: errNoModel(name)}
					}
					if ct != apigw.ContentTypeDefault {
						ct = strings.ToLower(ct)
					}
					v.Models[ct] = s
				}
			}
			if out == nil {
				out = map[*apigw.Method]*Validation{}
			}
			out[m] = v
		}
	}
	return out
}

type errNoModel string

func (e errNoModel) Error() string { return "the deployment has no model " + string(e) }

// requiredParams returns the required parameters of a method's
// requestParameters, sorted by full name.
func requiredParams(params map[string]bool) []RequiredParam {
	keys := make([]string, 0, len(params))
	for k, required := range params {
		if required {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var out []RequiredParam
	for _, k := range keys {
		loc, name, ok := strings.Cut(strings.TrimPrefix(k, "method.request."), ".")
		if !ok || name == "" {
			continue
		}
		switch loc {
		case "multivalueheader":
			loc = "header"
		case "multivaluequerystring":
			loc = "querystring"
		case "header", "querystring", "path":
		default:
			continue
		}
		out = append(out, RequiredParam{In: loc, Name: name})
	}
	return out
}
