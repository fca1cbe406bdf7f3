package control

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/patch"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// Messages AWS sends for stages.
const (
	msgStageNotFound       = "Invalid Stage identifier specified"
	msgStageExists         = "Stage already exists"
	msgDeploymentMissing   = "Deployment id does not exist"
	msgAccessLogPath       = "Invalid accessLogSettings path. Must be one of : [/accessLogSettings/destinationArn, /accessLogSettings/format]"
	msgAccessLogEmpty      = "Access Log value must not be empty"
	msgNoCanary            = "Promotion not available. Canary does not exist."
	cacheStatusNotAvail    = "NOT_AVAILABLE"
	cacheStatusAvailable   = "AVAILABLE"
	defaultCacheSize       = "0.5"
	maxStageNameLen        = 128
	maxCacheTTLSeconds     = 3600
	unauthorizedStrategies = "FAIL_WITH_403, SUCCEED_WITH_RESPONSE_HEADER, SUCCEED_WITHOUT_RESPONSE_HEADER"
)

var stageNamePattern = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// StageStatus is a stage together with whether the API's definition has
// changed since the deployment the stage serves.
type StageStatus struct {
	Stage *apigw.Stage
	// APIChangedSinceDeployment is true when a new deployment would
	// snapshot something different from the stage's deployment.
	APIChangedSinceDeployment bool
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// CreateStageInput is CreateStage's request.
type CreateStageInput struct {
	StageName            string
	DeploymentID         string
	Description          string
	CacheClusterEnabled  bool
	CacheClusterSize     string
	Variables            map[string]string
	DocumentationVersion string
	CanarySettings       *apigw.CanarySettings
	TracingEnabled       bool
	Tags                 map[string]string
}

// newStage builds a stage with AWS's defaults.
func (s *Service) newStage(apiID string, in CreateStageInput, deploymentID string) (*apigw.Stage, error) {
	if !stageNamePattern.MatchString(in.StageName) || len(in.StageName) > maxStageNameLen {
		return nil, BadRequestf("Invalid stage name %q: stage names may contain only a-zA-Z0-9_- and be at most 128 characters", in.StageName)
	}
	if err := validateTagsOn(tagOnStage, in.Tags); err != nil {
		return nil, err
	}
	now := s.timestamp()
	st := &apigw.Stage{
		APIID:                apiID,
		Name:                 in.StageName,
		DeploymentID:         deploymentID,
		Description:          in.Description,
		CacheClusterStatus:   cacheStatusNotAvail,
		MethodSettings:       map[string]*apigw.MethodSetting{},
		Variables:            in.Variables,
		DocumentationVersion: in.DocumentationVersion,
		CanarySettings:       in.CanarySettings,
		TracingEnabled:       in.TracingEnabled,
		Tags:                 in.Tags,
		CreatedDate:          now,
		LastUpdatedDate:      now,
	}
	setCacheCluster(st, in.CacheClusterEnabled)
	if in.CacheClusterSize != "" {
		st.CacheClusterSize = in.CacheClusterSize
	}
	return st, nil
}

// setCacheCluster turns the stage cache cluster on or off. Gatehouse has no
// cache cluster, so an enabled one is simply reported as available.
func setCacheCluster(st *apigw.Stage, on bool) {
	st.CacheClusterEnabled = on
	if on {
		st.CacheClusterStatus = cacheStatusAvailable
		if st.CacheClusterSize == "" {
			st.CacheClusterSize = defaultCacheSize
		}
		return
	}
	st.CacheClusterStatus = cacheStatusNotAvail
}

// stageStatus computes apiChangedSinceDeployment for st.
func stageStatus(ctx context.Context, r store.Reader, api *apigw.RestAPI, st *apigw.Stage) (StageStatus, error) {
	out := StageStatus{Stage: st}
	d, err := r.GetDeployment(ctx, st.APIID, st.DeploymentID)
	if isNotFound(err) {
		out.APIChangedSinceDeployment = true
		return out, nil
	}
	if err != nil {
		return out, err
	}
	cur, err := SnapshotOf(api)
	if err != nil {
		return out, err
	}
	a, err := SnapshotDigest(cur)
	if err != nil {
		return out, err
	}
	b, err := SnapshotDigest(d.Snapshot)
	if err != nil {
		return out, err
	}
	out.APIChangedSinceDeployment = a != b
	return out, nil
}

// StageStatus returns a stage and whether the API's current definition
// differs from the deployment the stage serves.
func (s *Service) StageStatus(ctx context.Context, apiID, stage string) (StageStatus, error) {
	var out StageStatus
	err := s.view(ctx, func(r store.Reader) error {
		api, err := s.getAPI(ctx, r, apiID)
		if err != nil {
			return err
		}
		st, err := r.GetStage(ctx, apiID, stage)
		if err != nil {
			return notFound(err, msgStageNotFound)
		}
		out, err = stageStatus(ctx, r, api, st)
		return err
	})
	return out, err
}

// checkCanaryDeployment refuses a canary that names an unknown deployment.
func checkCanaryDeployment(ctx context.Context, r store.Reader, apiID string, c *apigw.CanarySettings) error {
	if c == nil || c.DeploymentID == "" {
		return nil
	}
	if _, err := r.GetDeployment(ctx, apiID, c.DeploymentID); err != nil {
		if isNotFound(err) {
			return BadRequestf(msgDeploymentMissing)
		}
		return err
	}
	return nil
}

// CreateStage creates a stage pointing at an existing deployment.
func (s *Service) CreateStage(ctx context.Context, apiID string, in CreateStageInput) (StageStatus, error) {
	var out StageStatus
	err := s.update(ctx, func(tx store.Tx) error {
		api, err := s.getAPI(ctx, tx, apiID)
		if err != nil {
			return err
		}
		if in.DeploymentID == "" {
			return BadRequestf("Invalid deployment identifier specified: deploymentId is required")
		}
		if _, err := tx.GetDeployment(ctx, apiID, in.DeploymentID); err != nil {
			if isNotFound(err) {
				return BadRequestf(msgDeploymentMissing)
			}
			return err
		}
		if err := checkCanaryDeployment(ctx, tx, apiID, in.CanarySettings); err != nil {
			return err
		}
		st, err := s.newStage(apiID, in, in.DeploymentID)
		if err != nil {
			return err
		}
		if err := tx.CreateStage(ctx, st); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return &Error{Kind: KindConflict, Message: msgStageExists, Err: err}
			}
			return err
		}
		out, err = stageStatus(ctx, tx, api, st)
		return err
	})
	return out, err
}

// GetStage returns a stage with its apiChangedSinceDeployment flag.
func (s *Service) GetStage(ctx context.Context, apiID, name string) (StageStatus, error) {
	return s.StageStatus(ctx, apiID, name)
}

// ListStages returns all stages of an API, or only those serving
// deploymentID when it is not "".
func (s *Service) ListStages(ctx context.Context, apiID, deploymentID string) ([]StageStatus, error) {
	var out []StageStatus
	err := s.view(ctx, func(r store.Reader) error {
		api, err := s.getAPI(ctx, r, apiID)
		if err != nil {
			return err
		}
		stages, err := r.ListStages(ctx, apiID)
		if err != nil {
			return err
		}
		for _, st := range stages {
			if deploymentID != "" && st.DeploymentID != deploymentID {
				continue
			}
			ss, err := stageStatus(ctx, r, api, st)
			if err != nil {
				return err
			}
			out = append(out, ss)
		}
		return nil
	})
	return out, err
}

// DeleteStage deletes a stage.
func (s *Service) DeleteStage(ctx context.Context, apiID, name string) error {
	return s.update(ctx, func(tx store.Tx) error {
		if _, err := s.getAPI(ctx, tx, apiID); err != nil {
			return err
		}
		return notFound(tx.DeleteStage(ctx, apiID, name), msgStageNotFound)
	})
}

// FlushStageCache and FlushStageAuthorizersCache are no-ops (Gatehouse has
// no stage cache) that still check the stage exists.
func (s *Service) FlushStageCache(ctx context.Context, apiID, name string) error {
	_, err := s.StageStatus(ctx, apiID, name)
	return err
}

// FlushStageAuthorizersCache: see FlushStageCache.
func (s *Service) FlushStageAuthorizersCache(ctx context.Context, apiID, name string) error {
	_, err := s.StageStatus(ctx, apiID, name)
	return err
}

// UpdateStage applies patch operations (aws-compat §2.3) atomically.
func (s *Service) UpdateStage(ctx context.Context, apiID, name string, ops []patch.Op) (StageStatus, error) {
	var out StageStatus
	err := s.update(ctx, func(tx store.Tx) error {
		api, err := s.getAPI(ctx, tx, apiID)
		if err != nil {
			return err
		}
		st, err := tx.GetStage(ctx, apiID, name)
		if err != nil {
			return notFound(err, msgStageNotFound)
		}
		deploymentExists := func(id string) error {
			if _, err := tx.GetDeployment(ctx, apiID, id); err != nil {
				if isNotFound(err) {
					return BadRequestf(msgDeploymentMissing)
				}
				return err
			}
			return nil
		}
		if err := ApplyStagePatch(st, ops, deploymentExists); err != nil {
			return FromPatch(err)
		}
		st.LastUpdatedDate = s.timestamp()
		if err := tx.UpdateStage(ctx, st); err != nil {
			return notFound(err, msgStageNotFound)
		}
		out, err = stageStatus(ctx, tx, api, st)
		return err
	})
	return out, err
}

// ApplyStagePatch applies ops to st in order. deploymentExists checks a
// deployment id named by /deploymentId or /canarySettings/deploymentId. st
// is left partly modified on error.
func ApplyStagePatch(st *apigw.Stage, ops []patch.Op, deploymentExists func(id string) error) error {
	for _, op := range ops {
		if err := applyStageOp(st, op, deploymentExists); err != nil {
			return err
		}
	}
	if st.MethodSettings == nil {
		st.MethodSettings = map[string]*apigw.MethodSetting{}
	}
	if len(st.Variables) == 0 {
		st.Variables = nil
	}
	return nil
}

func replaceOnly(op patch.Op) error {
	if op.Op != patch.Replace {
		return &patch.UnsupportedOpError{Op: op.Op, Path: op.Path, Allowed: []string{patch.Replace}}
	}
	return nil
}

func applyStageOp(st *apigw.Stage, op patch.Op, deploymentExists func(string) error) error {
	if op.Path == "" {
		return &patch.BadPathError{Op: op.Op, Path: op.Path}
	}
	if op.Op == patch.Copy {
		return applyStageCopy(st, op, deploymentExists)
	}
	segs, err := patch.Segments(op.Path)
	if err != nil {
		return err
	}
	switch {
	case len(segs) == 1 && segs[0] == "deploymentId":
		if err := replaceOnly(op); err != nil {
			return err
		}
		if err := deploymentExists(op.Value); err != nil {
			return err
		}
		st.DeploymentID = op.Value
		return nil
	case len(segs) == 1 && slices.Contains([]string{"description", "cacheClusterEnabled", "cacheClusterSize", "clientCertificateId", "documentationVersion", "tracingEnabled"}, segs[0]):
		if err := replaceOnly(op); err != nil {
			return err
		}
		switch segs[0] {
		case "description":
			st.Description = op.Value
		case "cacheClusterEnabled":
			setCacheCluster(st, patch.ParseBool(op.Value))
		case "cacheClusterSize":
			st.CacheClusterSize = op.Value
		case "clientCertificateId":
			st.ClientCertificateID = op.Value
		case "documentationVersion":
			st.DocumentationVersion = op.Value
		case "tracingEnabled":
			st.TracingEnabled = patch.ParseBool(op.Value)
		}
		return nil
	case len(segs) == 2 && segs[0] == "variables" && segs[1] != "":
		switch op.Op {
		case patch.Add, patch.Replace:
			if st.Variables == nil {
				st.Variables = map[string]string{}
			}
			st.Variables[segs[1]] = op.Value
		case patch.Remove:
			delete(st.Variables, segs[1])
		default:
			return &patch.UnsupportedOpError{Op: op.Op, Path: op.Path, Allowed: []string{patch.Add, patch.Remove, patch.Replace}}
		}
		return nil
	case len(segs) == 1 && segs[0] == "variables" && op.Op == patch.Remove:
		st.Variables = nil
		return nil
	case segs[0] == "accessLogSettings" && op.Op != patch.Remove:
		if len(segs) != 2 || (segs[1] != "destinationArn" && segs[1] != "format") {
			return BadRequestf(msgAccessLogPath)
		}
		if op.Op != patch.Add && op.Op != patch.Replace {
			return &patch.UnsupportedOpError{Op: op.Op, Path: op.Path, Allowed: []string{patch.Add, patch.Remove, patch.Replace}}
		}
		if op.Value == "" {
			return BadRequestf(msgAccessLogEmpty)
		}
		if st.AccessLogSettings == nil {
			st.AccessLogSettings = &apigw.AccessLogSettings{}
		}
		if segs[1] == "destinationArn" {
			st.AccessLogSettings.DestinationARN = op.Value
		} else {
			st.AccessLogSettings.Format = op.Value
		}
		return nil
	case len(segs) == 1 && segs[0] == "accessLogSettings":
		st.AccessLogSettings = nil
		return nil
	case len(segs) == 1 && segs[0] == "canarySettings" && op.Op == patch.Remove:
		st.CanarySettings = nil
		return nil
	case segs[0] == "canarySettings" && op.Op != patch.Remove:
		return applyCanaryOp(st, op, segs, deploymentExists)
	case len(segs) == 3 && segs[0] == "canarySettings" && segs[1] == "stageVariableOverrides" && segs[2] != "" && st.CanarySettings != nil:
		delete(st.CanarySettings.StageVariableOverrides, segs[2])
		return nil
	}
	return applyMethodSettingOp(st, op)
}

func applyCanaryOp(st *apigw.Stage, op patch.Op, segs []string, deploymentExists func(string) error) error {
	field := ""
	if len(segs) >= 2 {
		field = segs[1]
	}
	known := (len(segs) == 2 && slices.Contains([]string{"deploymentId", "percentTraffic", "useStageCache"}, field)) ||
		(len(segs) == 3 && field == "stageVariableOverrides" && segs[2] != "")
	if !known {
		return &patch.MethodSettingPathError{Path: op.Path}
	}
	if op.Op != patch.Replace {
		return BadRequestf("Invalid %s operation with path: %s", op.Op, op.Path)
	}
	if st.CanarySettings == nil {
		st.CanarySettings = &apigw.CanarySettings{}
	}
	c := st.CanarySettings
	switch field {
	case "deploymentId":
		if err := deploymentExists(op.Value); err != nil {
			return err
		}
		c.DeploymentID = op.Value
	case "percentTraffic":
		f, err := patch.ParseFloat(op.Path, op.Value)
		if err != nil {
			return err
		}
		if f < 0 || f > 100 {
			return BadRequestf("Invalid percentTraffic %s: must be between 0.0 and 100.0", op.Value)
		}
		c.PercentTraffic = f
	case "useStageCache":
		c.UseStageCache = patch.ParseBool(op.Value)
	case "stageVariableOverrides":
		if c.StageVariableOverrides == nil {
			c.StageVariableOverrides = map[string]string{}
		}
		c.StageVariableOverrides[segs[2]] = op.Value
	}
	return nil
}

// applyStageCopy handles canary promotion: copy /deploymentId from
// /canarySettings/deploymentId and /variables from
// /canarySettings/stageVariableOverrides.
func applyStageCopy(st *apigw.Stage, op patch.Op, deploymentExists func(string) error) error {
	switch {
	case op.Path == "/deploymentId" && op.From == "/canarySettings/deploymentId":
		if st.CanarySettings == nil {
			return BadRequestf(msgNoCanary)
		}
		if err := deploymentExists(st.CanarySettings.DeploymentID); err != nil {
			return err
		}
		st.DeploymentID = st.CanarySettings.DeploymentID
	case op.Path == "/variables" && op.From == "/canarySettings/stageVariableOverrides":
		if st.CanarySettings == nil {
			return BadRequestf(msgNoCanary)
		}
		for k, v := range st.CanarySettings.StageVariableOverrides {
			if st.Variables == nil {
				st.Variables = map[string]string{}
			}
			st.Variables[k] = v
		}
	default:
		return BadRequestf("Invalid copy operation with path: %s and from %s. Valid copy:path are [/deploymentId, /variables] and valid copy:from are [/canarySettings/deploymentId, /canarySettings/stageVariableOverrides]", op.Path, op.From)
	}
	return nil
}

// applyMethodSettingOp handles /{methodKey}/{group}/{setting} (replace) and
// /{methodKey} (remove).
func applyMethodSettingOp(st *apigw.Stage, op patch.Op) error {
	mp, err := patch.ParseMethodSettingPath(op.Path)
	if op.Op == patch.Remove {
		key := strings.TrimPrefix(op.Path, "/")
		if err == nil && mp.Group == "" {
			key = mp.Key
		}
		if err != nil || mp.Group == "" {
			if st.MethodSettings[key] == nil {
				return BadRequestf("Cannot remove method setting %s because there is no method setting for this method ", key)
			}
			delete(st.MethodSettings, key)
			return nil
		}
		return &patch.UnsupportedOpError{Op: op.Op, Path: op.Path, Allowed: []string{patch.Replace}}
	}
	if err != nil {
		return err
	}
	if mp.Group == "" {
		return &patch.MethodSettingPathError{Path: op.Path}
	}
	if err := replaceOnly(op); err != nil {
		return err
	}
	if st.MethodSettings == nil {
		st.MethodSettings = map[string]*apigw.MethodSetting{}
	}
	ms := st.MethodSettings[mp.Key]
	fresh := ms == nil
	if fresh {
		def := apigw.DefaultMethodSetting()
		if all := st.MethodSettings["*/*"]; all != nil {
			def = *all
		}
		ms = &def
	}
	if err := setMethodSetting(ms, mp, op); err != nil {
		return err
	}
	if fresh {
		st.MethodSettings[mp.Key] = ms
	}
	return nil
}

// setMethodSetting sets one field of a method setting from a patch value.
// Throttling limits accept -1 (Terraform's "no method-level limit").
func setMethodSetting(ms *apigw.MethodSetting, mp patch.MethodSettingPath, op patch.Op) error {
	v := op.Value
	switch mp.Group + "/" + mp.Setting {
	case "metrics/enabled":
		ms.MetricsEnabled = patch.ParseBool(v)
	case "logging/dataTrace":
		ms.DataTraceEnabled = patch.ParseBool(v)
	case "logging/loglevel":
		if v != "OFF" && v != "ERROR" && v != "INFO" {
			return BadRequestf("Invalid logging level %q for %s: must be one of [OFF, ERROR, INFO]", v, op.Path)
		}
		ms.LoggingLevel = v
	case "throttling/burstLimit":
		n, err := patch.ParseInt(op.Path, v)
		if err != nil {
			return err
		}
		if n < -1 {
			return BadRequestf("Invalid burst limit %s for %s: must be -1 (no limit) or at least 0", v, op.Path)
		}
		ms.ThrottlingBurstLimit = n
	case "throttling/rateLimit":
		f, err := patch.ParseFloat(op.Path, v)
		if err != nil {
			return err
		}
		if f < 0 && f != -1 {
			return BadRequestf("Invalid rate limit %s for %s: must be -1 (no limit) or at least 0", v, op.Path)
		}
		ms.ThrottlingRateLimit = f
	case "caching/enabled":
		ms.CachingEnabled = patch.ParseBool(v)
	case "caching/ttlInSeconds":
		n, err := patch.ParseInt(op.Path, v)
		if err != nil {
			return err
		}
		if n < 0 || n > maxCacheTTLSeconds {
			return BadRequestf("Invalid cache TTL %s for %s: must be between 0 and 3600", v, op.Path)
		}
		ms.CacheTTLInSeconds = n
	case "caching/dataEncrypted":
		ms.CacheDataEncrypted = patch.ParseBool(v)
	case "caching/requireAuthorizationForCacheControl":
		ms.RequireAuthorizationForCacheControl = patch.ParseBool(v)
	case "caching/unauthorizedCacheControlHeaderStrategy":
		if !slices.Contains(strings.Split(unauthorizedStrategies, ", "), v) {
			return BadRequestf("Invalid unauthorizedCacheControlHeaderStrategy %q for %s: must be one of [%s]", v, op.Path, unauthorizedStrategies)
		}
		ms.UnauthorizedCacheControlHeaderStrategy = v
	default:
		return &patch.MethodSettingPathError{Path: op.Path}
	}
	return nil
}
