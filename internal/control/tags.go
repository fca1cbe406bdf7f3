package control

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// Tag limits as AWS documents them.
const (
	maxTagKeyLen   = 128
	maxTagValueLen = 256
	maxTags        = 50
)

// Tag targets that take Gatehouse's own tags (tagTarget.Kind values).
const (
	tagOnRestAPI = "restapis"
	tagOnStage   = "stages"
)

// gatehouseTag is one of Gatehouse's own settings made through a tag.
type gatehouseTag struct {
	on     []string // the tag target kinds that take it
	values []string // the values it takes (when check is nil)
	// check validates a value that is not from a fixed list; its error
	// says which rule the value breaks.
	check func(value string) error
}

// gatehouseTags is the one registry of the "gatehouse:" tags Gatehouse
// knows: a tag with the prefix that is not here is refused, with the list
// of those that are. The key source tags go on a RestApi only: where the
// key comes from is a property of the API, as AWS's apiKeySource is.
var gatehouseTags = map[string]gatehouseTag{
	apigw.TagReasonHeader:     {on: []string{tagOnStage}, values: []string{"true", "false"}},
	apigw.TagRateLimitHeaders: {on: []string{tagOnStage}, values: []string{"true", "false"}},
	apigw.TagCountersFailure:  {on: []string{tagOnStage}, values: []string{apigw.CountersFailureClosed, apigw.CountersFailureLocal}},
	apigw.TagAPIKeyHeader:     {on: []string{tagOnRestAPI}, check: func(v string) error { _, err := apigw.ParseAPIKeyHeaders(v); return err }},
	apigw.TagAPIKeyQuery:      {on: []string{tagOnRestAPI}, check: apigw.ValidateAPIKeyQuery},
	apigw.TagAPIKeyBearer:     {on: []string{tagOnRestAPI}, check: apigw.ValidateAPIKeyBearer},
	// CORS for the whole API is a property of the API, as its OPTIONS
	// methods are.
	apigw.TagCORSAllowOrigins: {on: []string{tagOnRestAPI}, check: func(v string) error { _, err := apigw.ParseCORSAllowOrigins(v); return err }},
}

// validateTags checks the tags of a resource that takes no "gatehouse:"
// tags (API keys, usage plans); see validateTagsOn.
func validateTags(tags map[string]string) error { return validateTagsOn("", tags) }

// validateTagsOn checks tag keys and values for a resource of the given
// tag target kind: keys 1–128 characters and not "aws:"-prefixed, values
// at most 256 characters, and a "gatehouse:" tag must be a known one, on a
// resource that takes it, with a value it takes.
func validateTagsOn(kind string, tags map[string]string) error {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys) // report the same key every time
	for _, k := range keys {
		if err := validateTagKey(k); err != nil {
			return err
		}
		if n := utf8.RuneCountInString(tags[k]); n > maxTagValueLen {
			return BadRequestf("Invalid tag value for key %q: %d characters, can be at most %d", k, n, maxTagValueLen)
		}
		if err := validateGatehouseTag(kind, k, tags[k]); err != nil {
			return err
		}
	}
	return nil
}

// validateGatehouseTag checks one tag against the registry; tags without
// the prefix (compared without regard to case) are the user's own.
func validateGatehouseTag(kind, key, value string) error {
	if len(key) < len(apigw.TagPrefix) || !strings.EqualFold(key[:len(apigw.TagPrefix)], apigw.TagPrefix) {
		return nil
	}
	gt, ok := gatehouseTags[key]
	if !ok {
		return BadRequestf("Unknown Gatehouse tag %q: the tags with the prefix %q are Gatehouse settings, and the known ones are %s", key, apigw.TagPrefix, strings.Join(slices.Sorted(maps.Keys(gatehouseTags)), ", "))
	}
	if !slices.Contains(gt.on, kind) {
		return BadRequestf("Invalid tag %q here: it can be set on %s only", key, tagKindNames(gt.on))
	}
	if gt.check != nil {
		if err := gt.check(value); err != nil {
			return BadRequestf("Invalid value %q for tag %q: %v", value, key, err)
		}
		return nil
	}
	if !slices.Contains(gt.values, value) {
		return BadRequestf("Invalid value %q for tag %q: must be one of %s", value, key, strings.Join(gt.values, ", "))
	}
	return nil
}

// tagKindNames names tag target kinds for messages: "a stage", "a RestApi or a stage".
func tagKindNames(kinds []string) string {
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = map[string]string{tagOnRestAPI: "a RestApi", tagOnStage: "a stage"}[k]
	}
	return strings.Join(names, " or ")
}

func validateTagKey(k string) error {
	switch n := utf8.RuneCountInString(k); {
	case n == 0:
		return BadRequestf("Invalid tag key \"\": must be 1 to %d characters", maxTagKeyLen)
	case n > maxTagKeyLen:
		return BadRequestf("Invalid tag key %q: %d characters, can be at most %d", k, n, maxTagKeyLen)
	}
	if strings.HasPrefix(strings.ToLower(k), "aws:") {
		return BadRequestf("Invalid tag key %q: the prefix \"aws:\" is reserved", k)
	}
	return nil
}

// tagTarget is the resource a tag ARN names.
type tagTarget struct {
	Kind  string // "restapis", "stages", "apikeys", "usageplans", "domainnames", "clientcertificates"
	ID    string // API, key, plan or client certificate id, or domain name
	Stage string // stage name, for Kind "stages"
}

// parseARN parses an API Gateway resource ARN as the tag operations take
// it: arn:{partition}:apigateway:{region}::/restapis/{id},
// …::/restapis/{id}/stages/{stage}, …::/apikeys/{id}, …::/usageplans/{id}
// …::/domainnames/{name} or …::/clientcertificates/{id}.
// Any other text is AWS's "Invalid ARN. ARN is not well formed <arn>".
func parseARN(arn string) (tagTarget, error) {
	bad := BadRequestf("Invalid ARN. ARN is not well formed %s", arn)
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] != "apigateway" || parts[3] == "" || parts[4] != "" {
		return tagTarget{}, bad
	}
	segs := strings.Split(parts[5], "/")
	if segs[0] != "" { // the resource must start with "/"
		return tagTarget{}, bad
	}
	segs = segs[1:]
	for _, s := range segs {
		if s == "" {
			return tagTarget{}, bad
		}
	}
	switch {
	case len(segs) == 2 && (segs[0] == "restapis" || segs[0] == "apikeys" || segs[0] == "usageplans" || segs[0] == "domainnames" || segs[0] == tagOnClientCert):
		return tagTarget{Kind: segs[0], ID: segs[1]}, nil
	case len(segs) == 4 && segs[0] == "restapis" && segs[2] == "stages":
		return tagTarget{Kind: "stages", ID: segs[1], Stage: segs[3]}, nil
	}
	return tagTarget{}, bad
}

// GetTags returns the tags of the resource an ARN names ({} when none).
func (s *Service) GetTags(ctx context.Context, arn string) (map[string]string, error) {
	t, err := parseARN(arn)
	if err != nil {
		return nil, err
	}
	var tags map[string]string
	err = s.view(ctx, func(r store.Reader) error {
		var err error
		tags, err = s.readTags(ctx, r, t)
		return err
	})
	if err != nil {
		return nil, err
	}
	if tags == nil {
		tags = map[string]string{}
	}
	return tags, nil
}

// TagResource adds or replaces tags on the resource an ARN names.
func (s *Service) TagResource(ctx context.Context, arn string, tags map[string]string) error {
	t, err := parseARN(arn)
	if err != nil {
		return err
	}
	if err := validateTagsOn(t.Kind, tags); err != nil {
		return err
	}
	return s.update(ctx, func(tx store.Tx) error {
		cur, err := s.readTags(ctx, tx, t)
		if err != nil {
			return err
		}
		next := maps.Clone(cur)
		if next == nil {
			next = map[string]string{}
		}
		maps.Copy(next, tags)
		if len(next) > maxTags {
			return BadRequestf("Too many tags: the resource would have %d, can have at most %d", len(next), maxTags)
		}
		return s.writeTags(ctx, tx, t, next)
	})
}

// UntagResource removes tag keys from the resource an ARN names; absent
// keys are ignored.
func (s *Service) UntagResource(ctx context.Context, arn string, keys []string) error {
	t, err := parseARN(arn)
	if err != nil {
		return err
	}
	return s.update(ctx, func(tx store.Tx) error {
		cur, err := s.readTags(ctx, tx, t)
		if err != nil {
			return err
		}
		next := maps.Clone(cur)
		for _, k := range keys {
			delete(next, k)
		}
		return s.writeTags(ctx, tx, t, next)
	})
}

// tagNotFound maps a missing tag target to the NotFound text of its kind.
func (s *Service) tagNotFound(ctx context.Context, r store.Reader, err error, t tagTarget) error {
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	switch t.Kind {
	case "restapis":
		return notFound(err, fmt.Sprintf("Invalid API identifier specified %s:%s", s.accountID, t.ID))
	case "stages":
		return notFound(err, "Invalid Stage identifier specified")
	case "apikeys":
		return s.unknownKey(ctx, r, t.ID, err)
	case "domainnames":
		return notFound(err, msgDomainNotFound)
	case tagOnClientCert:
		return notFound(err, msgClientCertNotFound)
	}
	return notFound(err, msgPlanNotFound)
}

func (s *Service) readTags(ctx context.Context, r store.Reader, t tagTarget) (map[string]string, error) {
	var (
		tags map[string]string
		err  error
	)
	switch t.Kind {
	case "restapis":
		api, e := r.GetAPI(ctx, t.ID)
		if err = e; e == nil {
			tags = api.Tags
		}
	case "stages":
		st, e := r.GetStage(ctx, t.ID, t.Stage)
		if err = e; e == nil {
			tags = st.Tags
		}
	case "apikeys":
		k, e := r.GetAPIKey(ctx, t.ID)
		if err = e; e == nil {
			tags = k.Tags
		}
	case "domainnames":
		d, e := r.GetDomainName(ctx, apigw.NormalizeDomainName(t.ID))
		if err = e; e == nil {
			tags = d.Tags
		}
	case tagOnClientCert:
		c, e := r.GetClientCertificate(ctx, t.ID)
		if err = e; e == nil {
			tags = c.Tags
		}
	default:
		p, e := r.GetUsagePlan(ctx, t.ID)
		if err = e; e == nil {
			tags = p.Tags
		}
	}
	if err != nil {
		return nil, s.tagNotFound(ctx, r, err, t)
	}
	return tags, nil
}

func (s *Service) writeTags(ctx context.Context, tx store.Tx, t tagTarget, tags map[string]string) error {
	if len(tags) == 0 {
		tags = nil
	}
	var err error
	switch t.Kind {
	case "restapis":
		api, e := tx.GetAPI(ctx, t.ID)
		if err = e; e == nil {
			api.Tags = tags
			err = tx.UpdateAPI(ctx, api)
		}
	case "stages":
		st, e := tx.GetStage(ctx, t.ID, t.Stage)
		if err = e; e == nil {
			st.Tags = tags
			st.LastUpdatedDate = s.timestamp()
			err = tx.UpdateStage(ctx, st)
		}
	case "apikeys":
		k, e := tx.GetAPIKey(ctx, t.ID)
		if err = e; e == nil {
			k.Tags = tags
			err = tx.UpdateAPIKey(ctx, k)
		}
	case "domainnames":
		d, e := tx.GetDomainName(ctx, apigw.NormalizeDomainName(t.ID))
		if err = e; e == nil {
			d.Tags = tags
			err = tx.UpdateDomainName(ctx, d)
		}
	case tagOnClientCert:
		c, e := tx.GetClientCertificate(ctx, t.ID)
		if err = e; e == nil {
			c.Tags = tags
			err = tx.UpdateClientCertificate(ctx, c)
		}
	default:
		p, e := tx.GetUsagePlan(ctx, t.ID)
		if err = e; e == nil {
			p.Tags = tags
			err = tx.UpdateUsagePlan(ctx, p)
		}
	}
	return s.tagNotFound(ctx, tx, err, t)
}
