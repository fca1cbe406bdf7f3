package control

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/patch"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

const (
	msgDeploymentNotFound = "Invalid Deployment identifier specified"
	msgNoMethods          = "The REST API doesn't contain any methods"
	msgNoIntegration      = "No integration defined for method"
	msgActiveStages       = "Active stages pointing to this deployment must be moved or deleted"
)

// SnapshotOf returns the deployable definition of api (what CreateDeployment
// would freeze), sharing no memory with api.
func SnapshotOf(api *apigw.RestAPI) (apigw.Snapshot, error) {
	return deepCopy(apigw.Snapshot{
		APIKeySource:     api.APIKeySource,
		BinaryMediaTypes: api.BinaryMediaTypes,
		RootResourceID:   api.RootResourceID,
		Resources:        api.Resources,
		Authorizers:      api.Authorizers,

		Models:            api.Models,
		RequestValidators: api.RequestValidators,
		Policy:            api.Policy,

		MinimumCompressionSize: api.MinimumCompressionSize,
	})
}

// SnapshotDigest returns a canonical hex SHA-256 of a snapshot: equal
// definitions give equal digests whatever their map order, and a nil map or
// list counts the same as an empty one.
func SnapshotDigest(snap apigw.Snapshot) (string, error) {
	b, err := json.Marshal(snap)
	if err != nil {
		return "", fmt.Errorf("digest snapshot: %w", err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return "", fmt.Errorf("digest snapshot: %w", err)
	}
	// encoding/json writes map keys sorted, so re-encoding the pruned
	// generic value is canonical.
	b, err = json.Marshal(pruneEmpty(v))
	if err != nil {
		return "", fmt.Errorf("digest snapshot: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// pruneEmpty drops null values and empty objects and arrays from a decoded
// JSON value.
func pruneEmpty(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			e = pruneEmpty(e)
			if isEmptyJSON(e) {
				delete(t, k)
			} else {
				t[k] = e
			}
		}
		return t
	case []any:
		for i, e := range t {
			t[i] = pruneEmpty(e)
		}
		return t
	}
	return v
}

func isEmptyJSON(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case map[string]any:
		return len(t) == 0
	case []any:
		return len(t) == 0
	}
	return false
}

// checkDeployable refuses an API that has no methods or a method without
// an integration.
func checkDeployable(api *apigw.RestAPI) error {
	n := 0
	for _, r := range api.Resources {
		for _, m := range r.Methods {
			n++
			if m.Integration == nil {
				return BadRequestf(msgNoIntegration)
			}
		}
	}
	if n == 0 {
		return BadRequestf(msgNoMethods)
	}
	return nil
}

// MethodSummary is one entry of a deployment's apiSummary.
type MethodSummary struct {
	AuthorizationType string
	APIKeyRequired    bool
}

// APISummary returns a deployment's apiSummary: resource path → HTTP method
// → authorization summary.
func APISummary(d *apigw.Deployment) map[string]map[string]MethodSummary {
	api := &apigw.RestAPI{Resources: d.Snapshot.Resources}
	out := map[string]map[string]MethodSummary{}
	for id, r := range d.Snapshot.Resources {
		if len(r.Methods) == 0 {
			continue
		}
		ms := map[string]MethodSummary{}
		for hm, m := range r.Methods {
			ms[hm] = MethodSummary{AuthorizationType: m.AuthorizationType, APIKeyRequired: m.APIKeyRequired}
		}
		out[ResourcePath(api, id)] = ms
	}
	return out
}

// DeploymentCanaryInput is CreateDeployment's canarySettings.
type DeploymentCanaryInput struct {
	PercentTraffic         float64
	StageVariableOverrides map[string]string
	UseStageCache          bool
}

// CreateDeploymentInput is CreateDeployment's request.
type CreateDeploymentInput struct {
	StageName string
	// StageNameSent: the request carried stageName, possibly "" (AWS's
	// canary refusal tells "" from absent).
	StageNameSent    bool
	StageDescription string
	Description      string
	Variables        map[string]string
	// CacheClusterEnabled, CacheClusterSize and TracingEnabled apply to a
	// stage the deployment creates or repoints.
	CacheClusterEnabled *bool
	CacheClusterSize    string
	TracingEnabled      *bool
	CanarySettings      *DeploymentCanaryInput
}

// CreateDeployment freezes the API's current definition into a new
// deployment. With StageName it also creates that stage or points it at the
// new deployment; with CanarySettings the deployment becomes the existing
// stage's canary instead.
func (s *Service) CreateDeployment(ctx context.Context, apiID string, in CreateDeploymentInput) (*apigw.Deployment, error) {
	var d *apigw.Deployment
	err := s.update(ctx, func(tx store.Tx) error {
		api, err := s.getAPI(ctx, tx, apiID)
		if err != nil {
			return err
		}
		if err := checkDeployable(api); err != nil {
			return err
		}
		snap, err := SnapshotOf(api)
		if err != nil {
			return err
		}
		now := s.timestamp()
		d = &apigw.Deployment{ID: newID(deploymentIDLen), APIID: apiID, Description: in.Description, CreatedDate: now, Snapshot: snap}
		var st *apigw.Stage
		if in.StageName != "" {
			if st, err = tx.GetStage(ctx, apiID, in.StageName); err != nil && !isNotFound(err) {
				return err
			}
		}
		if in.CanarySettings != nil {
			if in.StageName == "" {
				provided := "null"
				if in.StageNameSent {
					provided = ""
				}
				return BadRequestf("Invalid deployment content specified.Non null and non empty stageName must be provided for canary deployment. Provided value is %s", provided)
			}
			if st == nil {
				return BadRequestf("Invalid deployment content specified.Stage %s must already be created before making a canary release deployment", in.StageName)
			}
			if err := checkPercentTraffic(in.CanarySettings.PercentTraffic); err != nil {
				return err
			}
		}
		if err := tx.CreateDeployment(ctx, d); err != nil {
			return err
		}
		if in.StageName == "" {
			return nil
		}
		if st == nil {
			st, err := s.newStage(apiID, CreateStageInput{
				StageName:   in.StageName,
				Description: in.StageDescription,
				Variables:   in.Variables,
			}, d.ID)
			if err != nil {
				return err
			}
			applyStageCacheAndTracing(st, in)
			return tx.CreateStage(ctx, st)
		}
		if c := in.CanarySettings; c != nil {
			st.CanarySettings = &apigw.CanarySettings{DeploymentID: d.ID, PercentTraffic: c.PercentTraffic, StageVariableOverrides: c.StageVariableOverrides, UseStageCache: c.UseStageCache}
		} else {
			st.DeploymentID = d.ID
			if in.StageDescription != "" {
				st.Description = in.StageDescription
			}
			for k, v := range in.Variables {
				if st.Variables == nil {
					st.Variables = map[string]string{}
				}
				st.Variables[k] = v
			}
			applyStageCacheAndTracing(st, in)
		}
		st.LastUpdatedDate = now
		return tx.UpdateStage(ctx, st)
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

func applyStageCacheAndTracing(st *apigw.Stage, in CreateDeploymentInput) {
	if in.CacheClusterEnabled != nil {
		setCacheCluster(st, *in.CacheClusterEnabled)
	}
	if in.CacheClusterSize != "" {
		st.CacheClusterSize = in.CacheClusterSize
	}
	if in.TracingEnabled != nil {
		st.TracingEnabled = *in.TracingEnabled
	}
}

// GetDeployment returns a deployment, snapshot included.
func (s *Service) GetDeployment(ctx context.Context, apiID, id string) (*apigw.Deployment, error) {
	var d *apigw.Deployment
	err := s.view(ctx, func(r store.Reader) error {
		if _, err := s.getAPI(ctx, r, apiID); err != nil {
			return err
		}
		var err error
		d, err = r.GetDeployment(ctx, apiID, id)
		return notFound(err, msgDeploymentNotFound)
	})
	return d, err
}

// ListDeployments returns one page of an API's deployments.
func (s *Service) ListDeployments(ctx context.Context, apiID string, p store.Page) ([]*apigw.Deployment, string, error) {
	var (
		ds   []*apigw.Deployment
		next string
	)
	err := s.view(ctx, func(r store.Reader) error {
		if _, err := s.getAPI(ctx, r, apiID); err != nil {
			return err
		}
		var err error
		ds, next, err = r.ListDeployments(ctx, apiID, p)
		return pageError(err, p)
	})
	return ds, next, err
}

// UpdateDeployment applies "replace /description" (deploymentPatch).
func (s *Service) UpdateDeployment(ctx context.Context, apiID, id string, ops []patch.Op) (*apigw.Deployment, error) {
	var d *apigw.Deployment
	err := s.update(ctx, func(tx store.Tx) error {
		if _, err := s.getAPI(ctx, tx, apiID); err != nil {
			return err
		}
		var err error
		if d, err = tx.GetDeployment(ctx, apiID, id); err != nil {
			return notFound(err, msgDeploymentNotFound)
		}
		if err := deploymentPatch.ApplyAll(d, ops); err != nil {
			return FromPatch(err)
		}
		return tx.UpdateDeployment(ctx, d)
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// deploymentPatch is UpdateDeployment's one path; AWS lists it for any
// other.
var deploymentPatch = patch.NewTable(patch.Options{UnknownPath: patch.RefuseAllPaths},
	patch.Rule[*apigw.Deployment]{Path: "/description", Ops: replaceOp, Set: patch.String(func(d *apigw.Deployment) *string { return &d.Description })},
)

// DeleteDeployment deletes a deployment no stage (or stage canary) uses.
func (s *Service) DeleteDeployment(ctx context.Context, apiID, id string) error {
	return s.update(ctx, func(tx store.Tx) error {
		if _, err := s.getAPI(ctx, tx, apiID); err != nil {
			return err
		}
		if _, err := tx.GetDeployment(ctx, apiID, id); err != nil {
			return notFound(err, msgDeploymentNotFound)
		}
		stages, err := tx.ListStages(ctx, apiID)
		if err != nil {
			return err
		}
		for _, st := range stages {
			if st.DeploymentID == id || (st.CanarySettings != nil && st.CanarySettings.DeploymentID == id) {
				return BadRequestf(msgActiveStages)
			}
		}
		return notFound(tx.DeleteDeployment(ctx, apiID, id), msgDeploymentNotFound)
	})
}
