package control

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/patch"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// Documentation messages: the part ones as AWS answered (recorded); the
// version ones and the conflicts in AWS's style.
const (
	msgDocPartNotFound    = "Invalid Documentation part identifier specified"
	msgDocVersionNotFound = "Invalid Documentation version identifier specified"
	msgDocPartExists      = "Documentation part already exists for the specified location: %s"
	msgDocVersionExists   = "Documentation version already exists: %s"
	msgDocProperties      = "Invalid documentation part properties: must be a JSON object, e.g. {\"description\":\"…\"}"
	msgDocVersionRequired = "Invalid documentation version: documentationVersion is required"
	docPartIDLen          = 6
)

// validateDocPart checks a part's location and properties (at names the
// input for ValidationException texts, e.g. "createDocumentationPartInput").
func validateDocPart(at string, loc apigw.DocumentationLocation, properties string) error {
	if loc.Type == "" {
		return Validationf("1 validation error detected: Value null at '%s.location.type' failed to satisfy constraint: Member must not be null", at)
	}
	if !slices.Contains(apigw.DocumentationLocationTypes, loc.Type) {
		return enumError(loc.Type, at+".location.type", apigw.DocumentationLocationTypes)
	}
	var obj map[string]any
	if json.Unmarshal([]byte(properties), &obj) != nil || obj == nil {
		return BadRequestf(msgDocProperties)
	}
	return nil
}

// locationText names a location in messages.
func locationText(l apigw.DocumentationLocation) string {
	b, _ := json.Marshal(map[string]string{"type": l.Type, "path": l.Path, "method": l.Method, "statusCode": l.StatusCode, "name": l.Name})
	return string(b)
}

// addDocPart stores a new part in api, refusing a location already documented.
func addDocPart(api *apigw.RestAPI, loc apigw.DocumentationLocation, properties string) (*apigw.DocumentationPart, error) {
	for _, p := range api.DocumentationParts {
		if p.Location == loc {
			return nil, Conflictf(msgDocPartExists, locationText(loc))
		}
	}
	if api.DocumentationParts == nil {
		api.DocumentationParts = map[string]*apigw.DocumentationPart{}
	}
	p := &apigw.DocumentationPart{Location: loc, Properties: properties}
	for p.ID == "" || api.DocumentationParts[p.ID] != nil {
		p.ID = newID(docPartIDLen)
	}
	api.DocumentationParts[p.ID] = p
	return p, nil
}

// CreateDocumentationPart stores a documentation part of an API.
func (s *Service) CreateDocumentationPart(ctx context.Context, apiID string, loc apigw.DocumentationLocation, properties string) (*apigw.DocumentationPart, error) {
	if err := validateDocPart("createDocumentationPartInput", loc, properties); err != nil {
		return nil, err
	}
	var p *apigw.DocumentationPart
	err := s.update(ctx, func(tx store.Tx) error {
		api, err := s.getAPI(ctx, tx, apiID)
		if err != nil {
			return err
		}
		if p, err = addDocPart(api, loc, properties); err != nil {
			return err
		}
		return tx.UpdateAPI(ctx, api)
	})
	return p, err
}

// docPartOf returns an API's part; an unknown API answers as an unknown
// part (recorded).
func docPartOf(ctx context.Context, r store.Reader, apiID, id string) (*apigw.RestAPI, *apigw.DocumentationPart, error) {
	api, err := r.GetAPI(ctx, apiID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, notFound(err, msgDocPartNotFound)
	}
	if err != nil {
		return nil, nil, err
	}
	p := api.DocumentationParts[id]
	if p == nil {
		return nil, nil, NotFoundf(msgDocPartNotFound)
	}
	return api, p, nil
}

// GetDocumentationPart returns a documentation part.
func (s *Service) GetDocumentationPart(ctx context.Context, apiID, id string) (*apigw.DocumentationPart, error) {
	var p *apigw.DocumentationPart
	err := s.view(ctx, func(r store.Reader) (err error) {
		_, p, err = docPartOf(ctx, r, apiID, id)
		return err
	})
	return p, err
}

// DocFilter narrows ListDocumentationParts (GetDocumentationParts' query).
type DocFilter struct {
	Type, Path string
}

// ListDocumentationParts returns one page of an API's documentation
// parts, sorted by id, narrowed by f.
func (s *Service) ListDocumentationParts(ctx context.Context, apiID string, f DocFilter, p store.Page) ([]*apigw.DocumentationPart, string, error) {
	return listOfAPI(s, ctx, apiID, p, func(a *apigw.RestAPI) map[string]*apigw.DocumentationPart {
		if f == (DocFilter{}) {
			return a.DocumentationParts
		}
		return maps.Collect(func(yield func(string, *apigw.DocumentationPart) bool) {
			for id, d := range a.DocumentationParts {
				if (f.Type == "" || d.Location.Type == f.Type) && (f.Path == "" || d.Location.Path == f.Path) && !yield(id, d) {
					return
				}
			}
		})
	}, func(d *apigw.DocumentationPart) string { return d.ID })
}

// docPartPatch is UpdateDocumentationPart's paths (recorded: replace
// /properties only).
var docPartPatch = patch.NewTable(patch.Options{UnknownOp: patch.RefuseChooseOp, WrongOp: patch.RefuseChooseOp, UnknownPath: patch.RefusePathsForOp},
	patch.Rule[*apigw.DocumentationPart]{Path: "/properties", Ops: replaceOp, Set: func(d *apigw.DocumentationPart, op patch.Op, _ patch.Params) error {
		if err := validateDocPart("", d.Location, op.Value); err != nil {
			return err
		}
		d.Properties = op.Value
		return nil
	}},
)

// UpdateDocumentationPart applies patch operations (docPartPatch).
func (s *Service) UpdateDocumentationPart(ctx context.Context, apiID, id string, ops []patch.Op) (*apigw.DocumentationPart, error) {
	var out *apigw.DocumentationPart
	err := s.update(ctx, func(tx store.Tx) error {
		api, p, err := docPartOf(ctx, tx, apiID, id)
		if err != nil {
			return err
		}
		if err := docPartPatch.ApplyAll(p, ops); err != nil {
			return FromPatch(err)
		}
		out = p
		return tx.UpdateAPI(ctx, api)
	})
	return out, err
}

// DeleteDocumentationPart deletes a part; an unknown API answers as such
// (recorded).
func (s *Service) DeleteDocumentationPart(ctx context.Context, apiID, id string) error {
	return s.update(ctx, func(tx store.Tx) error {
		api, err := s.getAPI(ctx, tx, apiID)
		if err != nil {
			return err
		}
		if api.DocumentationParts[id] == nil {
			return NotFoundf(msgDocPartNotFound)
		}
		delete(api.DocumentationParts, id)
		return tx.UpdateAPI(ctx, api)
	})
}

// DocPartInput is one part of ImportDocumentationParts.
type DocPartInput struct {
	Location   apigw.DocumentationLocation
	Properties string
}

// ImportDocumentationParts adds parts (overwrite: replacing all of the
// API's parts) in one write, and returns their ids in input order.
func (s *Service) ImportDocumentationParts(ctx context.Context, apiID string, overwrite bool, parts []DocPartInput) ([]string, error) {
	if err := validateDocParts(parts); err != nil {
		return nil, err
	}
	var ids []string
	err := s.update(ctx, func(tx store.Tx) error {
		api, err := s.getAPI(ctx, tx, apiID)
		if err != nil {
			return err
		}
		if ids, err = putDocParts(api, overwrite, parts); err != nil {
			return err
		}
		return tx.UpdateAPI(ctx, api)
	})
	return ids, err
}

// validateDocParts checks the parts of an import.
func validateDocParts(parts []DocPartInput) error {
	for _, in := range parts {
		if err := validateDocPart("importDocumentationPartsInput", in.Location, in.Properties); err != nil {
			return err
		}
	}
	return nil
}

// putDocParts puts parts into api in memory (overwrite: replacing all of
// its parts; merge: a part for a documented location replaces its
// properties) and returns their ids in input order.
func putDocParts(api *apigw.RestAPI, overwrite bool, parts []DocPartInput) ([]string, error) {
	if overwrite {
		api.DocumentationParts = nil
	}
	ids := make([]string, 0, len(parts))
	for _, in := range parts {
		var p *apigw.DocumentationPart
		for _, old := range api.DocumentationParts {
			if old.Location == in.Location {
				p = old
			}
		}
		if p != nil {
			p.Properties = in.Properties
		} else {
			var err error
			if p, err = addDocPart(api, in.Location, in.Properties); err != nil {
				return nil, err
			}
		}
		ids = append(ids, p.ID)
	}
	return ids, nil
}

// CreateDocumentationVersion snapshots an API's parts under a version
// name, and when stage is set makes it the stage's documentationVersion.
func (s *Service) CreateDocumentationVersion(ctx context.Context, apiID, version, description, stage string) (*apigw.DocumentationVersion, error) {
	if version == "" {
		return nil, BadRequestf(msgDocVersionRequired)
	}
	v := &apigw.DocumentationVersion{Version: version, Description: description, CreatedDate: s.timestamp()}
	err := s.update(ctx, func(tx store.Tx) error {
		api, err := s.getAPI(ctx, tx, apiID)
		if err != nil {
			return err
		}
		if api.DocumentationVersions[version] != nil {
			return Conflictf(msgDocVersionExists, version)
		}
		parts, err := deepCopy(api.DocumentationParts)
		if err != nil {
			return err
		}
		v.Parts = parts
		if api.DocumentationVersions == nil {
			api.DocumentationVersions = map[string]*apigw.DocumentationVersion{}
		}
		api.DocumentationVersions[version] = v
		if stage != "" {
			st, err := tx.GetStage(ctx, apiID, stage)
			if err != nil {
				return notFound(err, msgStageNotFound)
			}
			st.DocumentationVersion = version
			st.LastUpdatedDate = s.timestamp()
			if err := tx.UpdateStage(ctx, st); err != nil {
				return err
			}
		}
		return tx.UpdateAPI(ctx, api)
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

func docVersionOf(ctx context.Context, s *Service, r store.Reader, apiID, version string) (*apigw.RestAPI, *apigw.DocumentationVersion, error) {
	api, err := s.getAPI(ctx, r, apiID)
	if err != nil {
		return nil, nil, err
	}
	v := api.DocumentationVersions[version]
	if v == nil {
		return nil, nil, NotFoundf(msgDocVersionNotFound)
	}
	return api, v, nil
}

// GetDocumentationVersion returns a documentation version.
func (s *Service) GetDocumentationVersion(ctx context.Context, apiID, version string) (*apigw.DocumentationVersion, error) {
	var v *apigw.DocumentationVersion
	err := s.view(ctx, func(r store.Reader) (err error) {
		_, v, err = docVersionOf(ctx, s, r, apiID, version)
		return err
	})
	return v, err
}

// ListDocumentationVersions returns one page of an API's documentation
// versions, sorted by version.
func (s *Service) ListDocumentationVersions(ctx context.Context, apiID string, p store.Page) ([]*apigw.DocumentationVersion, string, error) {
	return listOfAPI(s, ctx, apiID, p, func(a *apigw.RestAPI) map[string]*apigw.DocumentationVersion { return a.DocumentationVersions },
		func(v *apigw.DocumentationVersion) string { return v.Version })
}

// docVersionPatch is UpdateDocumentationVersion's paths.
var docVersionPatch = patch.NewTable(patch.Options{UnknownOp: patch.RefuseChooseOp, WrongOp: patch.RefuseChooseOp, UnknownPath: patch.RefusePathsForOp},
	patch.Rule[*apigw.DocumentationVersion]{Path: "/description", Ops: replaceOp, Set: patch.String(func(v *apigw.DocumentationVersion) *string { return &v.Description })},
)

// UpdateDocumentationVersion applies patch operations (docVersionPatch).
func (s *Service) UpdateDocumentationVersion(ctx context.Context, apiID, version string, ops []patch.Op) (*apigw.DocumentationVersion, error) {
	var out *apigw.DocumentationVersion
	err := s.update(ctx, func(tx store.Tx) error {
		api, v, err := docVersionOf(ctx, s, tx, apiID, version)
		if err != nil {
			return err
		}
		if err := docVersionPatch.ApplyAll(v, ops); err != nil {
			return FromPatch(err)
		}
		out = v
		return tx.UpdateAPI(ctx, api)
	})
	return out, err
}

// DeleteDocumentationVersion deletes a documentation version.
func (s *Service) DeleteDocumentationVersion(ctx context.Context, apiID, version string) error {
	return s.update(ctx, func(tx store.Tx) error {
		api, _, err := docVersionOf(ctx, s, tx, apiID, version)
		if err != nil {
			return err
		}
		delete(api.DocumentationVersions, version)
		return tx.UpdateAPI(ctx, api)
	})
}
