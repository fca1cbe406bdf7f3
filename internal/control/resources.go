package control

import (
	"context"
	"errors"
	"sort"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/patch"
	"github.com/gatehouse-dev/gatehouse/internal/respath"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

const (
	msgResourceNotFound = "Invalid Resource identifier specified"
	msgCyclical         = "Resources cannot be cyclical."
)

// ResourceInfo is a resource with its full path computed from the tree.
type ResourceInfo struct {
	Resource *apigw.Resource
	Path     string // "/" for the root, "/pets/{id}" otherwise
}

// ResourcePath returns the full path of resource id in api ("" when the id
// or one of its ancestors is missing, or the tree has a cycle).
func ResourcePath(api *apigw.RestAPI, id string) string {
	return respath.TreePath(api.Resources, id, resourceLink)
}

// resourceLink gives respath.TreePath a resource's parent and pathPart.
func resourceLink(r *apigw.Resource) (parentID, part string, ok bool) {
	if r == nil {
		return "", "", false
	}
	return r.ParentID, r.PathPart, true
}

// sortedResources returns api's resources ordered by path, as AWS lists them.
func sortedResources(api *apigw.RestAPI) []ResourceInfo {
	out := make([]ResourceInfo, 0, len(api.Resources))
	for id, r := range api.Resources {
		out = append(out, ResourceInfo{Resource: r, Path: ResourcePath(api, id)})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Resource.ID < out[j].Resource.ID
	})
	return out
}

// getResource reads the API and one of its resources. A missing API is
// reported as a missing resource, as AWS does for resource-addressed calls.
func (s *Service) getResource(ctx context.Context, r store.Reader, apiID, id string) (*apigw.RestAPI, *apigw.Resource, error) {
	api, err := r.GetAPI(ctx, apiID)
	if err != nil {
		return nil, nil, notFound(err, msgResourceNotFound)
	}
	res := api.Resources[id]
	if res == nil {
		return nil, nil, NotFoundf(msgResourceNotFound)
	}
	return api, res, nil
}

// checkPlacement validates putting a resource with pathPart part under
// parent: the parent must not be greedy and no sibling (other than self)
// may conflict. It returns the parsed part.
func checkPlacement(api *apigw.RestAPI, parentID, self, part string) error {
	p, err := respath.ParsePart(part)
	if err != nil {
		return &Error{Kind: KindBadRequest, Message: err.Error(), Err: err}
	}
	if p.Kind == respath.Literal && (p.Name == "." || p.Name == "..") {
		// AWS may accept it, but the data plane refuses every request path
		// with a dot segment (PATH_DOT_SEGMENT): such a resource could never
		// be called.
		return BadRequestf("Invalid path part %q: a path part of \".\" or \"..\" can never be called, because Gatehouse refuses request paths with dot segments", part)
	}
	parent := api.Resources[parentID]
	if parent == nil {
		return NotFoundf(msgResourceNotFound)
	}
	if parent.PathPart != "" {
		pp, err := respath.ParsePart(parent.PathPart)
		if err == nil && pp.Kind == respath.Greedy {
			e := &respath.GreedyChildError{Parent: pp}
			return &Error{Kind: KindBadRequest, Message: e.Error(), Err: e}
		}
	}
	for id, sib := range api.Resources {
		if id == self || sib.ParentID != parentID || sib.ParentID == "" {
			continue
		}
		sp, err := respath.ParsePart(sib.PathPart)
		if err != nil {
			continue
		}
		if err := respath.SiblingConflict(sp, p); err != nil {
			var dup *respath.DuplicateError
			if errors.As(err, &dup) {
				return &Error{Kind: KindConflict, Message: err.Error(), Err: err}
			}
			return &Error{Kind: KindBadRequest, Message: err.Error(), Err: err}
		}
	}
	return nil
}

// CreateResource adds a child resource under parentID.
func (s *Service) CreateResource(ctx context.Context, apiID, parentID, pathPart string) (ResourceInfo, error) {
	var info ResourceInfo
	err := s.update(ctx, func(tx store.Tx) error {
		api, _, err := s.getResource(ctx, tx, apiID, parentID)
		if err != nil {
			return err
		}
		if err := checkPlacement(api, parentID, "", pathPart); err != nil {
			return err
		}
		res := &apigw.Resource{ID: newID(resourceIDLen), ParentID: parentID, PathPart: pathPart}
		for api.Resources[res.ID] != nil {
			res.ID = newID(resourceIDLen)
		}
		api.Resources[res.ID] = res
		info = ResourceInfo{Resource: res, Path: ResourcePath(api, res.ID)}
		return tx.UpdateAPI(ctx, api)
	})
	return info, err
}

// GetResource returns one resource with its path.
func (s *Service) GetResource(ctx context.Context, apiID, id string) (ResourceInfo, error) {
	var info ResourceInfo
	err := s.view(ctx, func(r store.Reader) error {
		api, res, err := s.getResource(ctx, r, apiID, id)
		if err != nil {
			return err
		}
		info = ResourceInfo{Resource: res, Path: ResourcePath(api, id)}
		return nil
	})
	return info, err
}

// ListResources returns one page of an API's resources ordered by path. The
// position is the id of the first resource of the next page.
func (s *Service) ListResources(ctx context.Context, apiID string, p store.Page) ([]ResourceInfo, string, error) {
	var all []ResourceInfo
	err := s.view(ctx, func(r store.Reader) error {
		api, err := s.getAPI(ctx, r, apiID)
		if err != nil {
			return err
		}
		all = sortedResources(api)
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return pageSlice(all, p, func(ri ResourceInfo) string { return ri.Resource.ID })
}

// pageSlice cuts one page out of items. Positions are the key of the first
// item of a page; an unknown position is refused.
// listOfAPI returns one page of the items an API keeps in a map
// (authorizers, models, request validators), sorted by key; the position
// is the key starting the next page.
func listOfAPI[T any](s *Service, ctx context.Context, apiID string, p store.Page, items func(*apigw.RestAPI) map[string]T, key func(T) string) ([]T, string, error) {
	var all []T
	err := s.view(ctx, func(r store.Reader) error {
		api, err := s.getAPI(ctx, r, apiID)
		if err != nil {
			return err
		}
		for _, it := range items(api) {
			all = append(all, it)
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	sort.Slice(all, func(i, j int) bool { return key(all[i]) < key(all[j]) })
	return pageSlice(all, p, key)
}

func pageSlice[T any](items []T, p store.Page, key func(T) string) ([]T, string, error) {
	start := 0
	if p.Position != "" {
		start = -1
		for i, it := range items {
			if key(it) == p.Position {
				start = i
				break
			}
		}
		if start < 0 {
			return nil, "", pageError(store.ErrBadPosition, p)
		}
	}
	end := min(start+p.PageLimit(), len(items))
	next := ""
	if end < len(items) {
		next = key(items[end])
	}
	return items[start:end], next, nil
}

// UpdateResource applies /pathPart and /parentId replacements
// (resourcePatch).
func (s *Service) UpdateResource(ctx context.Context, apiID, id string, ops []patch.Op) (ResourceInfo, error) {
	var info ResourceInfo
	err := s.update(ctx, func(tx store.Tx) error {
		api, res, err := s.getResource(ctx, tx, apiID, id)
		if err != nil {
			return err
		}
		if err := resourcePatch.ApplyAll(&resourceTarget{api: api, res: res}, ops); err != nil {
			return FromPatch(err)
		}
		info = ResourceInfo{Resource: res, Path: ResourcePath(api, id)}
		return tx.UpdateAPI(ctx, api)
	})
	return info, err
}

// resourceTarget is what UpdateResource's rules patch: a resource of api.
type resourceTarget struct {
	api *apigw.RestAPI
	res *apigw.Resource
}

// resourcePatch is UpdateResource's paths. AWS answers an op no path takes
// with "Please choose supported operations", and an unknown path with the
// paths that take the op.
var resourcePatch = patch.NewTable(
	patch.Options{UnknownOp: patch.RefuseChooseOp, WrongOp: patch.RefuseChooseOp, UnknownPath: patch.RefusePathsForOp},
	patch.Rule[*resourceTarget]{Path: "/parentId", Ops: replaceOp, Set: setParentID},
	patch.Rule[*resourceTarget]{Path: "/pathPart", Ops: replaceOp, Set: setPathPart},
)

// notRoot refuses to patch field of the root resource.
func (t *resourceTarget) notRoot(field string) error {
	if t.res.ParentID == "" {
		return BadRequestf("Root resource cannot update its %s.", field)
	}
	return nil
}

func setPathPart(t *resourceTarget, op patch.Op, _ patch.Params) error {
	if err := t.notRoot("pathPart"); err != nil {
		return err
	}
	if err := checkPlacement(t.api, t.res.ParentID, t.res.ID, op.Value); err != nil {
		return err
	}
	t.res.PathPart = op.Value
	return nil
}

func setParentID(t *resourceTarget, op patch.Op, _ patch.Params) error {
	if err := t.notRoot("parentId"); err != nil {
		return err
	}
	api, id := t.api, t.res.ID
	if api.Resources[op.Value] == nil {
		return NotFoundf(msgResourceNotFound)
	}
	for a := op.Value; a != ""; {
		if a == id {
			return BadRequestf(msgCyclical)
		}
		p := api.Resources[a]
		if p == nil {
			break
		}
		a = p.ParentID
	}
	if err := checkPlacement(api, op.Value, id, t.res.PathPart); err != nil {
		return err
	}
	t.res.ParentID = op.Value
	return nil
}

// DeleteResource deletes a resource and its whole subtree. The root cannot
// be deleted.
func (s *Service) DeleteResource(ctx context.Context, apiID, id string) error {
	return s.update(ctx, func(tx store.Tx) error {
		api, res, err := s.getResource(ctx, tx, apiID, id)
		if err != nil {
			return err
		}
		if res.ParentID == "" {
			return BadRequestf("Cannot delete the root resource %s", id)
		}
		doomed := map[string]bool{id: true}
		for changed := true; changed; {
			changed = false
			for rid, r := range api.Resources {
				if !doomed[rid] && doomed[r.ParentID] {
					doomed[rid] = true
					changed = true
				}
			}
		}
		for rid := range doomed {
			delete(api.Resources, rid)
		}
		return tx.UpdateAPI(ctx, api)
	})
}
