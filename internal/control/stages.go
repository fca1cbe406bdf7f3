package control

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/patch"
	"github.com/gatehouse-dev/gatehouse/internal/respath"
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
	out.APIChangedSinceDeployment, err = DeploymentOutdated(api, d)
	return out, err
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

// checkPercentTraffic refuses a canary share outside 0 to 100 (CreateStage,
// CreateDeployment and UpdateStage).
func checkPercentTraffic(f float64) error {
	if !(f >= 0 && f <= 100) {
		return BadRequestf("Invalid percentTraffic %s: must be between 0.0 and 100.0", strconv.FormatFloat(f, 'f', -1, 64))
	}
	return nil
}

// checkCanaryDeployment refuses a canary that names an unknown deployment.
func checkCanaryDeployment(ctx context.Context, r store.Reader, apiID string, c *apigw.CanarySettings) error {
	if c == nil {
		return nil
	}
	if err := checkPercentTraffic(c.PercentTraffic); err != nil {
		return err
	}
	if c.DeploymentID == "" {
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

// UpdateStage applies patch operations (ApplyStagePatch) atomically.
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
		if err := checkStageClientCert(ctx, tx, st); err != nil {
			return err
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

// ApplyStagePatch applies ops to st in order (stagePatch, and
// stageCopyPatch for copy). deploymentExists checks a deployment id named
// by /deploymentId or /canarySettings/deploymentId. st is left partly
// modified on error.
func ApplyStagePatch(st *apigw.Stage, ops []patch.Op, deploymentExists func(id string) error) error {
	t := &stageTarget{st: st, deploymentExists: deploymentExists}
	for _, op := range ops {
		table := stagePatch
		if op.Op == patch.Copy { // AWS reads a copy only as a canary promotion
			table = stageCopyPatch
		}
		if err := table.Apply(t, op); err != nil {
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

// stageTarget is what UpdateStage's rules patch.
type stageTarget struct {
	st               *apigw.Stage
	deploymentExists func(id string) error
}

// stageCopyPatch is UpdateStage's copy ops: promoting the canary's
// deployment or stage variable overrides. Any other copy is refused with
// AWS's list of both.
var stageCopyPatch = patch.NewTable(patch.Options{WrongOp: refuseStageCopy, UnknownPath: refuseStageCopy, BadPath: refuseStageCopy},
	patch.Rule[*stageTarget]{Path: "/deploymentId", From: "/canarySettings/deploymentId", Ops: []string{patch.Copy}, Set: func(t *stageTarget, _ patch.Op, _ patch.Params) error {
		c := t.st.CanarySettings
		if c == nil {
			return BadRequestf(msgNoCanary)
		}
		if err := t.deploymentExists(c.DeploymentID); err != nil {
			return err
		}
		t.st.DeploymentID = c.DeploymentID
		return nil
	}},
	patch.Rule[*stageTarget]{Path: "/variables", From: "/canarySettings/stageVariableOverrides", Ops: []string{patch.Copy}, Set: func(t *stageTarget, _ patch.Op, _ patch.Params) error {
		st := t.st
		if st.CanarySettings == nil {
			return BadRequestf(msgNoCanary)
		}
		for k, v := range st.CanarySettings.StageVariableOverrides {
			if st.Variables == nil {
				st.Variables = map[string]string{}
			}
			st.Variables[k] = v
		}
		return nil
	}},
)

// refuseStageCopy is AWS's answer to a copy that is not a canary promotion
// ("Invalid patch path null" when the path is missing).
func refuseStageCopy(op patch.Op, r patch.Refused) error {
	if op.Path == "" {
		return patch.RefusePath(op, r)
	}
	return BadRequestf("Invalid copy operation with path: %s and from %s. Valid copy:path are [/deploymentId, /variables] and valid copy:from are [/canarySettings/deploymentId, /canarySettings/stageVariableOverrides]", op.Path, op.From)
}

// stagePatch is UpdateStage's paths for every op but copy. The Stage's own
// members come first; the method settings "/{methodKey}/{group}/{setting}"
// (replace) and "/{methodKey}" (remove) take what is left, reading the key
// from the right as AWS stores it (verbatim: "*/*", "~1pets/GET",
// Terraform's "path1/path2/GET"), and AWS refuses anything else with its
// list of Stage paths. Where AWS reads a remove on one of the Stage's own
// sub-paths as removing a method setting of that name, the rule's refusal
// passes the remove on (patch.ErrNextRule).
var stagePatch = patch.NewTable(patch.Options{UnknownPath: patch.RefuseMethodSetting, BadPath: patch.RefusePath}, stageRules()...)

func stageRules() []patch.Rule[*stageTarget] {
	type rule = patch.Rule[*stageTarget]
	str := func(field func(st *apigw.Stage) *string) func(*stageTarget, patch.Op, patch.Params) error {
		return patch.String(func(t *stageTarget) *string { return field(t.st) })
	}
	rules := []rule{
		{Path: "/deploymentId", Ops: replaceOp, Set: func(t *stageTarget, op patch.Op, _ patch.Params) error {
			if err := t.deploymentExists(op.Value); err != nil {
				return err
			}
			t.st.DeploymentID = op.Value
			return nil
		}},
		{Path: "/description", Ops: replaceOp, Set: str(func(st *apigw.Stage) *string { return &st.Description })},
		{Path: "/cacheClusterEnabled", Ops: replaceOp, Set: func(t *stageTarget, op patch.Op, _ patch.Params) error {
			setCacheCluster(t.st, patch.ParseBool(op.Value))
			return nil
		}},
		{Path: "/cacheClusterSize", Ops: replaceOp, Set: str(func(st *apigw.Stage) *string { return &st.CacheClusterSize })},
		{Path: "/clientCertificateId", Ops: replaceOp, Set: str(func(st *apigw.Stage) *string { return &st.ClientCertificateID })},
		{Path: "/documentationVersion", Ops: replaceOp, Set: str(func(st *apigw.Stage) *string { return &st.DocumentationVersion })},
		{Path: "/tracingEnabled", Ops: replaceOp, Set: patch.Bool(func(t *stageTarget) *bool { return &t.st.TracingEnabled })},
		{Path: "/variables/{name}", Ops: addRemoveReplace, Set: func(t *stageTarget, op patch.Op, p patch.Params) error {
			st := t.st
			if op.Op == patch.Remove {
				delete(st.Variables, p.Get("name"))
				return nil
			}
			if st.Variables == nil {
				st.Variables = map[string]string{}
			}
			st.Variables[p.Get("name")] = op.Value
			return nil
		}},
		{Path: "/variables", Ops: []string{patch.Remove}, Refuse: patch.RefuseMethodSetting, Set: func(t *stageTarget, _ patch.Op, _ patch.Params) error {
			t.st.Variables = nil
			return nil
		}},
		{Path: "/accessLogSettings", Ops: []string{patch.Remove}, Refuse: refuseAccessLogPath, Set: func(t *stageTarget, _ patch.Op, _ patch.Params) error {
			t.st.AccessLogSettings = nil
			return nil
		}},
		{Path: "/accessLogSettings/destinationArn", Ops: []string{patch.Add, patch.Replace}, Refuse: refuseAccessLogOp, Set: setAccessLog(func(a *apigw.AccessLogSettings) *string { return &a.DestinationARN })},
		{Path: "/accessLogSettings/format", Ops: []string{patch.Add, patch.Replace}, Refuse: refuseAccessLogOp, Set: setAccessLog(func(a *apigw.AccessLogSettings) *string { return &a.Format })},
		{Path: "/accessLogSettings/{rest+}", Refuse: refuseAccessLogPath},
		{Path: "/canarySettings", Ops: []string{patch.Remove}, Refuse: patch.RefuseMethodSetting, Set: func(t *stageTarget, _ patch.Op, _ patch.Params) error {
			t.st.CanarySettings = nil
			return nil
		}},
		{Path: "/canarySettings/deploymentId", Ops: replaceOp, Refuse: refuseCanaryOp, Set: setCanary(func(t *stageTarget, c *apigw.CanarySettings, op patch.Op) error {
			if err := t.deploymentExists(op.Value); err != nil {
				return err
			}
			c.DeploymentID = op.Value
			return nil
		})},
		{Path: "/canarySettings/percentTraffic", Ops: replaceOp, Refuse: refuseCanaryOp, Set: setCanary(func(_ *stageTarget, c *apigw.CanarySettings, op patch.Op) error {
			f, err := patch.ParseFloat(op.Path, op.Value)
			if err != nil {
				return err
			}
			if err := checkPercentTraffic(f); err != nil {
				return err
			}
			c.PercentTraffic = f
			return nil
		})},
		{Path: "/canarySettings/useStageCache", Ops: replaceOp, Refuse: refuseCanaryOp, Set: setCanary(func(_ *stageTarget, c *apigw.CanarySettings, op patch.Op) error {
			c.UseStageCache = patch.ParseBool(op.Value)
			return nil
		})},
		// Without a canary, AWS reads the remove as removing a method
		// setting of that name.
		{Path: "/canarySettings/stageVariableOverrides/{name}", Ops: []string{patch.Replace, patch.Remove}, Refuse: refuseCanaryOp, Set: func(t *stageTarget, op patch.Op, p patch.Params) error {
			if op.Op == patch.Remove {
				if t.st.CanarySettings == nil {
					return removeMethodSetting(t.st, op.Path[1:])
				}
				delete(t.st.CanarySettings.StageVariableOverrides, p.Get("name"))
				return nil
			}
			return setCanary(func(_ *stageTarget, c *apigw.CanarySettings, op patch.Op) error {
				if c.StageVariableOverrides == nil {
					c.StageVariableOverrides = map[string]string{}
				}
				c.StageVariableOverrides[p.Get("name")] = op.Value
				return nil
			})(t, op, p)
		}},
		{Path: "/canarySettings/{rest+}", Refuse: func(op patch.Op, r patch.Refused) error {
			if op.Op == patch.Remove {
				return patch.ErrNextRule
			}
			return patch.RefuseMethodSetting(op, r)
		}},
	}
	for _, f := range methodSettingFields {
		rules = append(rules, rule{Path: "/{key+}/" + f.path, Ops: replaceOp, When: isMethodKey, Set: func(t *stageTarget, op patch.Op, p patch.Params) error {
			return setMethodSetting(t.st, p.Get("key"), op, f.set)
		}})
	}
	return append(rules, rule{Path: "/{key+}", Ops: []string{patch.Remove}, Refuse: patch.RefuseMethodSetting, Set: func(t *stageTarget, _ patch.Op, p patch.Params) error {
		return removeMethodSetting(t.st, p.Get("key"))
	}})
}

// refuseAccessLogPath is AWS's refusal of an access log sub-path it does
// not know; a remove is read as removing a method setting of that name.
func refuseAccessLogPath(op patch.Op, _ patch.Refused) error {
	if op.Op == patch.Remove {
		return patch.ErrNextRule
	}
	return BadRequestf(msgAccessLogPath)
}

// refuseAccessLogOp lists add, remove and replace as AWS does, though a
// remove of a single access log field is read as removing a method setting
// of that name.
func refuseAccessLogOp(op patch.Op, r patch.Refused) error {
	if op.Op == patch.Remove {
		return patch.ErrNextRule
	}
	r.Ops = addRemoveReplace
	return patch.RefuseOp(op, r)
}

// setAccessLog sets the access log field returns, creating the settings.
func setAccessLog(field func(*apigw.AccessLogSettings) *string) func(*stageTarget, patch.Op, patch.Params) error {
	return func(t *stageTarget, op patch.Op, _ patch.Params) error {
		if op.Value == "" {
			return BadRequestf(msgAccessLogEmpty)
		}
		if t.st.AccessLogSettings == nil {
			t.st.AccessLogSettings = &apigw.AccessLogSettings{}
		}
		*field(t.st.AccessLogSettings) = op.Value
		return nil
	}
}

// refuseCanaryOp is AWS's refusal of an op other than replace on a canary
// field; a remove is read as removing a method setting of that name.
func refuseCanaryOp(op patch.Op, _ patch.Refused) error {
	if op.Op == patch.Remove {
		return patch.ErrNextRule
	}
	return BadRequestf("Invalid %s operation with path: %s", op.Op, op.Path)
}

// setCanary applies set to the stage's canary settings, creating them.
func setCanary(set func(t *stageTarget, c *apigw.CanarySettings, op patch.Op) error) func(*stageTarget, patch.Op, patch.Params) error {
	return func(t *stageTarget, op patch.Op, _ patch.Params) error {
		if t.st.CanarySettings == nil {
			// AWS starts a canary on the stage's own deployment.
			t.st.CanarySettings = &apigw.CanarySettings{DeploymentID: t.st.DeploymentID}
		}
		return set(t, t.st.CanarySettings, op)
	}
}

// isMethodKey accepts a method-setting path whose key has AWS's
// "{resource}/{method}" shape ("*/*", "~1pets/GET").
func isMethodKey(p patch.Params) bool {
	_, _, ok := respath.SplitMethodKey(p.Get("key"))
	return ok
}

// removeMethodSetting removes the method setting stored under key.
func removeMethodSetting(st *apigw.Stage, key string) error {
	if st.MethodSettings[key] == nil {
		return BadRequestf("Cannot remove method setting %s because there is no method setting for this method ", key)
	}
	delete(st.MethodSettings, key)
	return nil
}

// setMethodSetting sets one field of the method setting stored under key,
// creating it from "*/*" (or AWS's defaults) when there is none.
func setMethodSetting(st *apigw.Stage, key string, op patch.Op, set func(*apigw.MethodSetting, patch.Op) error) error {
	if st.MethodSettings == nil {
		st.MethodSettings = map[string]*apigw.MethodSetting{}
	}
	ms := st.MethodSettings[key]
	fresh := ms == nil
	if fresh {
		def := apigw.DefaultMethodSetting()
		if all := st.MethodSettings["*/*"]; all != nil {
			def = *all
		}
		ms = &def
	}
	if err := set(ms, op); err != nil {
		return err
	}
	if fresh {
		st.MethodSettings[key] = ms
	}
	return nil
}

// methodSettingField is one field of a method setting: its path suffix
// and setter.
type methodSettingField struct {
	path string
	set  func(ms *apigw.MethodSetting, op patch.Op) error
}

// methodSettingFields are the {group}/{setting} suffixes AWS documents for
// a Stage's method settings (case-sensitive), with their setters.
// Throttling limits accept -1 (Terraform's "no method-level limit").
var methodSettingFields = []methodSettingField{
	{"metrics/enabled", func(ms *apigw.MethodSetting, op patch.Op) error {
		ms.MetricsEnabled = patch.ParseBool(op.Value)
		return nil
	}},
	{"logging/dataTrace", func(ms *apigw.MethodSetting, op patch.Op) error {
		ms.DataTraceEnabled = patch.ParseBool(op.Value)
		return nil
	}},
	{"logging/loglevel", func(ms *apigw.MethodSetting, op patch.Op) error {
		if v := op.Value; v != "OFF" && v != "ERROR" && v != "INFO" {
			return BadRequestf("Invalid logging level %q for %s: must be one of [OFF, ERROR, INFO]", v, op.Path)
		}
		ms.LoggingLevel = op.Value
		return nil
	}},
	{"throttling/burstLimit", func(ms *apigw.MethodSetting, op patch.Op) error {
		n, err := patch.ParseInt(op.Path, op.Value)
		if err != nil {
			return err
		}
		if n < -1 {
			return BadRequestf("Invalid burst limit %s for %s: must be -1 (no limit) or at least 0", op.Value, op.Path)
		}
		ms.ThrottlingBurstLimit = n
		return nil
	}},
	{"throttling/rateLimit", func(ms *apigw.MethodSetting, op patch.Op) error {
		f, err := patch.ParseFloat(op.Path, op.Value)
		if err != nil {
			return err
		}
		if f < 0 && f != -1 {
			return BadRequestf("Invalid rate limit %s for %s: must be -1 (no limit) or at least 0", op.Value, op.Path)
		}
		ms.ThrottlingRateLimit = f
		return nil
	}},
	{"caching/enabled", func(ms *apigw.MethodSetting, op patch.Op) error {
		ms.CachingEnabled = patch.ParseBool(op.Value)
		return nil
	}},
	{"caching/ttlInSeconds", func(ms *apigw.MethodSetting, op patch.Op) error {
		n, err := patch.ParseInt(op.Path, op.Value)
		if err != nil {
			return err
		}
		if n < 0 || n > maxCacheTTLSeconds {
			return BadRequestf("Invalid cache TTL %s for %s: must be between 0 and 3600", op.Value, op.Path)
		}
		ms.CacheTTLInSeconds = n
		return nil
	}},
	{"caching/dataEncrypted", func(ms *apigw.MethodSetting, op patch.Op) error {
		ms.CacheDataEncrypted = patch.ParseBool(op.Value)
		return nil
	}},
	{"caching/requireAuthorizationForCacheControl", func(ms *apigw.MethodSetting, op patch.Op) error {
		ms.RequireAuthorizationForCacheControl = patch.ParseBool(op.Value)
		return nil
	}},
	{"caching/unauthorizedCacheControlHeaderStrategy", func(ms *apigw.MethodSetting, op patch.Op) error {
		if !slices.Contains(strings.Split(unauthorizedStrategies, ", "), op.Value) {
			return BadRequestf("Invalid unauthorizedCacheControlHeaderStrategy %q for %s: must be one of [%s]", op.Value, op.Path, unauthorizedStrategies)
		}
		ms.UnauthorizedCacheControlHeaderStrategy = op.Value
		return nil
	}},
}
