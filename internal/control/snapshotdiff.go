package control

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/respath"
)

// DeploymentOutdated reports whether a new deployment of api would
// snapshot something different from d: GetStage's
// apiChangedSinceDeployment, doctor's STAGE_API_CHANGED_SINCE_DEPLOYMENT.
// It compares SnapshotDigest values, so map order and nil-versus-empty
// never count as a change.
func DeploymentOutdated(api *apigw.RestAPI, d *apigw.Deployment) (bool, error) {
	cur, err := SnapshotOf(api)
	if err != nil {
		return false, err
	}
	a, err := SnapshotDigest(cur)
	if err != nil {
		return false, err
	}
	b, err := SnapshotDigest(d.Snapshot)
	if err != nil {
		return false, err
	}
	return a != b, nil
}

// SnapshotChange is one difference between a deployed snapshot and the
// API's current definition, in the terms a user reads: "POST /doit
// added", "GET /pets changed (apiKeyRequired)", "authorizer ab12cd
// (jwt) changed (authorizerResultTtlInSeconds)".
type SnapshotChange struct {
	// What names the item: "POST /doit", "resource /orders",
	// "authorizer ab12cd (jwt)", "apiKeySource", "binaryMediaTypes".
	What string
	// Change is "added", "removed" or "changed".
	Change string
	// Fields are the changed item's fields that differ, by their AWS
	// names (only for "changed" methods and authorizers).
	Fields []string
}

func (c SnapshotChange) String() string {
	s := c.What + " " + c.Change
	if len(c.Fields) > 0 {
		s += " (" + strings.Join(c.Fields, ", ") + ")"
	}
	return s
}

// SnapshotChanges lists what differs between deployed (what a stage
// serves) and current (SnapshotOf the API now), methods first by path and
// method, then resources without methods, authorizers and API settings.
// It returns nothing when the digests are equal.
func SnapshotChanges(deployed, current apigw.Snapshot) ([]SnapshotChange, error) {
	a, err := SnapshotDigest(deployed)
	if err != nil {
		return nil, err
	}
	b, err := SnapshotDigest(current)
	if err != nil {
		return nil, err
	}
	if a == b {
		return nil, nil
	}
	var out []SnapshotChange
	oldM, oldR := snapshotMethods(deployed), snapshotResourcePaths(deployed)
	newM, newR := snapshotMethods(current), snapshotResourcePaths(current)
	for _, k := range sortedUnion(oldM, newM) {
		o, n := oldM[k], newM[k]
		what := k.method + " " + k.path
		switch {
		case o == nil:
			out = append(out, SnapshotChange{What: what, Change: "added"})
		case n == nil:
			out = append(out, SnapshotChange{What: what, Change: "removed"})
		default:
			f, err := changedFields(o, n)
			if err != nil {
				return nil, err
			}
			if len(f) > 0 {
				out = append(out, SnapshotChange{What: what, Change: "changed", Fields: f})
			}
		}
	}
	// Resources that hold no method (their methods are reported above).
	for _, p := range sortedUnion(oldR, newR) {
		oEmpty, inOld := oldR[p]
		nEmpty, inNew := newR[p]
		switch {
		case inOld && !inNew && oEmpty:
			out = append(out, SnapshotChange{What: "resource " + p, Change: "removed"})
		case inNew && !inOld && nEmpty:
			out = append(out, SnapshotChange{What: "resource " + p, Change: "added"})
		}
	}
	for _, id := range sortedUnion(deployed.Authorizers, current.Authorizers) {
		o, n := deployed.Authorizers[id], current.Authorizers[id]
		switch {
		case o == nil:
			out = append(out, SnapshotChange{What: authorizerName(n), Change: "added"})
		case n == nil:
			out = append(out, SnapshotChange{What: authorizerName(o), Change: "removed"})
		default:
			f, err := changedFields(o, n)
			if err != nil {
				return nil, err
			}
			if len(f) > 0 {
				out = append(out, SnapshotChange{What: authorizerName(n), Change: "changed", Fields: f})
			}
		}
	}
	out, err = appendItemChanges(out, "model", deployed.Models, current.Models, func(m *apigw.Model) string { return m.Name })
	if err != nil {
		return nil, err
	}
	out, err = appendItemChanges(out, "request validator", deployed.RequestValidators, current.RequestValidators, func(v *apigw.RequestValidator) string { return v.ID + " (" + v.Name + ")" })
	if err != nil {
		return nil, err
	}
	if orDefault(deployed.APIKeySource) != orDefault(current.APIKeySource) {
		out = append(out, SnapshotChange{What: fmt.Sprintf("apiKeySource %s → %s", orDefault(deployed.APIKeySource), orDefault(current.APIKeySource)), Change: "changed"})
	}
	if !slices.Equal(deployed.BinaryMediaTypes, current.BinaryMediaTypes) {
		out = append(out, SnapshotChange{What: "binaryMediaTypes", Change: "changed"})
	}
	if compressionSize(deployed.MinimumCompressionSize) != compressionSize(current.MinimumCompressionSize) {
		out = append(out, SnapshotChange{What: "minimumCompressionSize", Change: "changed"})
	}
	if len(out) == 0 {
		// The digests differ in something no user-visible item above
		// names (e.g. the tree's resource ids).
		out = append(out, SnapshotChange{What: "the resource tree", Change: "changed"})
	}
	return out, nil
}

func orDefault(keySource string) string {
	if keySource == "" {
		return apigw.KeySourceHeader
	}
	return keySource
}

func authorizerName(a *apigw.Authorizer) string {
	return fmt.Sprintf("authorizer %s (%s)", a.ID, a.Name)
}

// methodRef names a method by its resource path, as users do.
type methodRef struct{ path, method string }

func (m methodRef) compare(o methodRef) int {
	if c := strings.Compare(m.path, o.path); c != 0 {
		return c
	}
	return strings.Compare(m.method, o.method)
}

// snapshotMethods indexes a snapshot's methods by path and HTTP method.
func snapshotMethods(s apigw.Snapshot) map[methodRef]*apigw.Method {
	out := map[methodRef]*apigw.Method{}
	for id, r := range s.Resources {
		p := respath.TreePath(s.Resources, id, resourceLink)
		for hm, m := range r.Methods {
			out[methodRef{p, hm}] = m
		}
	}
	return out
}

// snapshotResourcePaths maps the paths of a snapshot's resources to
// whether the resource holds no method.
func snapshotResourcePaths(s apigw.Snapshot) map[string]bool {
	out := map[string]bool{}
	for id, r := range s.Resources {
		out[respath.TreePath(s.Resources, id, resourceLink)] = len(r.Methods) == 0
	}
	return out
}

// sortedUnion returns the keys of two maps, sorted, each once.
func sortedUnion[K comparable, V any](a, b map[K]V) []K {
	seen := maps.Clone(a)
	if seen == nil {
		seen = map[K]V{}
	}
	maps.Copy(seen, b)
	keys := slices.Collect(maps.Keys(seen))
	slices.SortFunc(keys, func(x, y K) int {
		switch x := any(x).(type) {
		case methodRef:
			return x.compare(any(y).(methodRef))
		case string:
			return strings.Compare(x, any(y).(string))
		}
		return 0
	})
	return keys
}

// changedFields lists the top-level fields of two values of one struct
// type that differ, compared as SnapshotDigest compares them (absent,
// null and empty are equal), by their AWS names.
func changedFields(a, b any) ([]string, error) {
	ma, err := prunedFields(a)
	if err != nil {
		return nil, err
	}
	mb, err := prunedFields(b)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, k := range sortedUnion(ma, mb) {
		if !reflect.DeepEqual(ma[k], mb[k]) {
			out = append(out, awsFieldName(k))
		}
	}
	return out, nil
}

func prunedFields(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("compare snapshots: %w", err)
	}
	var m any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("compare snapshots: %w", err)
	}
	out, _ := pruneEmpty(m).(map[string]any)
	return out, nil
}

// awsFieldName turns a domain field name into AWS's JSON member name:
// APIKeyRequired → apiKeyRequired, AuthorizerID → authorizerId,
// AuthorizerURI → authorizerUri, AuthorizerResultTTLInSeconds →
// authorizerResultTtlInSeconds.
func awsFieldName(goName string) string {
	for _, r := range [][2]string{{"APIKey", "ApiKey"}, {"ID", "Id"}, {"URI", "Uri"}, {"ARN", "Arn"}, {"TTL", "Ttl"}, {"HTTP", "Http"}} {
		goName = strings.ReplaceAll(goName, r[0], r[1])
	}
	if goName == "" {
		return ""
	}
	return strings.ToLower(goName[:1]) + goName[1:]
}

// appendItemChanges appends what differs between two maps of items by id
// (models, request validators), named "<kind> <name>".
func appendItemChanges[T any](out []SnapshotChange, kind string, deployed, current map[string]*T, name func(*T) string) ([]SnapshotChange, error) {
	for _, id := range sortedUnion(deployed, current) {
		o, n := deployed[id], current[id]
		switch {
		case o == nil:
			out = append(out, SnapshotChange{What: kind + " " + name(n), Change: "added"})
		case n == nil:
			out = append(out, SnapshotChange{What: kind + " " + name(o), Change: "removed"})
		default:
			f, err := changedFields(o, n)
			if err != nil {
				return nil, err
			}
			if len(f) > 0 {
				out = append(out, SnapshotChange{What: kind + " " + name(n), Change: "changed", Fields: f})
			}
		}
	}
	return out, nil
}

// compressionSize is a minimumCompressionSize for comparison (-1: unset).
func compressionSize(n *int) int {
	if n == nil {
		return -1
	}
	return *n
}
