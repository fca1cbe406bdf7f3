package control

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/patch"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// AWS's texts for API key refusals.
const (
	msgKeyNotFound       = "Invalid API Key identifier specified"
	msgKeyExists         = "API Key already exists"
	msgKeyNameTooLong    = "Invalid API Key name, can be at most 1024 characters."
	msgKeyDescription    = "Invalid API Key description specified."
	msgKeyValueTooShort  = "API Key value should be at least 20 characters"
	msgKeyValueTooLong   = "API Key value exceeds maximum size of 128 characters"
	maxKeyNameLen        = 1024
	maxKeyDescriptionLen = 125000
	minKeyValueLen       = 20
	maxKeyValueLen       = 128
)

// StageKey is a legacy association of a key with an API stage.
type StageKey struct {
	RestAPIID, StageName string
}

// CreateAPIKeyInput is CreateApiKey's request.
type CreateAPIKeyInput struct {
	Name        string
	Description string
	Enabled     bool
	// Value is the key's value; "" generates a 40-character one.
	Value      string
	CustomerID string
	StageKeys  []StageKey
	Tags       map[string]string
}

// RevealedKey is an API key as an operation returns it: the stored key
// and, when the operation discloses it, its plaintext Value ("" otherwise).
type RevealedKey struct {
	*apigw.APIKey
	Value string
}

// validateKeyName and friends return AWS's texts; none mentions the value.
func validateKeyName(name string) error {
	if utf8.RuneCountInString(name) > maxKeyNameLen {
		return BadRequestf(msgKeyNameTooLong)
	}
	return nil
}

func validateKeyDescription(d string) error {
	if utf8.RuneCountInString(d) > maxKeyDescriptionLen {
		return BadRequestf(msgKeyDescription)
	}
	return nil
}

// validateKeyValue checks a caller-chosen key value: 20–128 characters,
// none of them a control character (it travels in an HTTP header).
func validateKeyValue(v string) error {
	switch n := utf8.RuneCountInString(v); {
	case n < minKeyValueLen:
		return BadRequestf(msgKeyValueTooShort)
	case n > maxKeyValueLen:
		return BadRequestf(msgKeyValueTooLong)
	}
	if !utf8.ValidString(v) || strings.IndexFunc(v, unicode.IsControl) >= 0 {
		return BadRequestf("API Key value must be valid UTF-8 without control characters")
	}
	return nil
}

// last4 is the display suffix of a value.
func last4(v string) string {
	r := []rune(v)
	if len(r) <= 4 {
		return string(r)
	}
	return string(r[len(r)-4:])
}

// seal fills a key's secret fields from its plaintext value.
func (s *Service) seal(k *apigw.APIKey, value string) {
	k.LookupHash = s.keys.LookupHash(value)
	k.SealedValue = s.keys.Seal(k.ID, value)
	k.Last4 = last4(value)
}

// reveal decrypts a key's value. A key stored without a sealed copy
// reveals "".
func (s *Service) reveal(k *apigw.APIKey) (string, error) {
	if len(k.SealedValue) == 0 {
		return "", nil
	}
	v, err := s.keys.Open(k.ID, k.SealedValue)
	if err != nil {
		return "", fmt.Errorf("open value of api key %s: %w", k.Redacted(), err)
	}
	return v, nil
}

// checkStageKey makes sure a "{restApiId}/{stageName}" association names
// an existing stage.
func checkStageKey(ctx context.Context, r store.Reader, apiID, stage string) error {
	if apiID == "" || stage == "" {
		return BadRequestf("Invalid stage key %q: must be {restApiId}/{stageName}", apigw.StageRef(apiID, stage))
	}
	if _, err := r.GetStage(ctx, apiID, stage); err != nil {
		return notFound(err, fmt.Sprintf("Invalid stage key specified: API %s has no stage %s", apiID, stage))
	}
	return nil
}

// keyConflict maps store.ErrConflict on a key write to AWS's text.
func keyConflict(err error) error {
	if errors.Is(err, store.ErrConflict) {
		return &Error{Kind: KindConflict, Message: msgKeyExists, Err: err}
	}
	return err
}

// CreateAPIKey creates an API key. The response carries the value; the
// store keeps only its lookup hash and a sealed copy.
func (s *Service) CreateAPIKey(ctx context.Context, in CreateAPIKeyInput) (*RevealedKey, error) {
	if err := validateKeyName(in.Name); err != nil {
		return nil, err
	}
	if err := validateKeyDescription(in.Description); err != nil {
		return nil, err
	}
	value := in.Value
	if value == "" {
		value = newKeyValue()
	} else if err := validateKeyValue(value); err != nil {
		return nil, err
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	now := s.timestamp()
	k := &apigw.APIKey{
		ID:              newID(apiKeyIDLen),
		Name:            in.Name,
		Description:     in.Description,
		CustomerID:      in.CustomerID,
		Enabled:         in.Enabled,
		CreatedDate:     now,
		LastUpdatedDate: now,
		Tags:            nilIfNoTags(in.Tags),
	}
	for _, sk := range in.StageKeys {
		ref := apigw.StageRef(sk.RestAPIID, sk.StageName)
		if !slices.Contains(k.StageKeys, ref) {
			k.StageKeys = append(k.StageKeys, ref)
		}
	}
	s.seal(k, value)
	err := s.update(ctx, func(tx store.Tx) error {
		for _, sk := range in.StageKeys {
			if err := checkStageKey(ctx, tx, sk.RestAPIID, sk.StageName); err != nil {
				return err
			}
		}
		return keyConflict(tx.CreateAPIKey(ctx, k))
	})
	if err != nil {
		return nil, err
	}
	return &RevealedKey{APIKey: k, Value: value}, nil
}

func nilIfNoTags(t map[string]string) map[string]string {
	if len(t) == 0 {
		return nil
	}
	return t
}

// GetAPIKey returns a key, with its value when includeValue is set.
func (s *Service) GetAPIKey(ctx context.Context, id string, includeValue bool) (*RevealedKey, error) {
	var k *apigw.APIKey
	err := s.view(ctx, func(r store.Reader) error {
		var err error
		k, err = s.getKey(ctx, r, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &RevealedKey{APIKey: k}
	if includeValue {
		if out.Value, err = s.reveal(k); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ListAPIKeys lists keys matching f newest first, as AWS does (recorded in
// 2024 and 2025, aws-compat.md §10a), with their values when
// includeValues is set.
func (s *Service) ListAPIKeys(ctx context.Context, f store.KeyFilter, includeValues bool, p store.Page) ([]*RevealedKey, string, error) {
	p.NewestFirst = true
	var (
		keys []*apigw.APIKey
		next string
	)
	err := s.view(ctx, func(r store.Reader) error {
		var err error
		keys, next, err = r.ListAPIKeys(ctx, f, p)
		return pageError(err, p)
	})
	if err != nil {
		return nil, "", err
	}
	out := make([]*RevealedKey, len(keys))
	for i, k := range keys {
		out[i] = &RevealedKey{APIKey: k}
		if includeValues {
			if out[i].Value, err = s.reveal(k); err != nil {
				return nil, "", err
			}
		}
	}
	return out, next, nil
}

// UpdateAPIKey applies patch operations atomically.
func (s *Service) UpdateAPIKey(ctx context.Context, id string, ops []patch.Op) (*apigw.APIKey, error) {
	var k *apigw.APIKey
	err := s.update(ctx, func(tx store.Tx) error {
		var err error
		if k, err = s.getKey(ctx, tx, id); err != nil {
			return err
		}
		if err := keyPatch.ApplyAll(&keyTarget{ctx: ctx, r: tx, k: k}, ops); err != nil {
			return FromPatch(err)
		}
		k.LastUpdatedDate = s.timestamp()
		return keyConflict(tx.UpdateAPIKey(ctx, k))
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}

// keyTarget is what UpdateApiKey's rules patch: the key, and the store to
// check a stage key against.
type keyTarget struct {
	ctx context.Context
	r   store.Reader
	k   *apigw.APIKey
}

// keyPatch is UpdateApiKey's paths. AWS refuses an op no path takes by
// listing the ops, and a path that does not take the op by listing the
// paths that do: "Invalid patch path  '/id' specified for op 'replace'.
// Must be one of: [/description, /enabled, /name, /customerId]".
var keyPatch = patch.NewTable(
	patch.Options{UnknownOp: patch.RefuseOp, WrongOp: patch.RefusePathsForOp, UnknownPath: patch.RefusePathsForOp},
	patch.Rule[*keyTarget]{Path: "/description", Ops: replaceOp, Set: func(t *keyTarget, op patch.Op, _ patch.Params) error {
		if err := validateKeyDescription(op.Value); err != nil {
			return err
		}
		t.k.Description = op.Value
		return nil
	}},
	patch.Rule[*keyTarget]{Path: "/enabled", Ops: replaceOp, Set: patch.Bool(func(t *keyTarget) *bool { return &t.k.Enabled })},
	patch.Rule[*keyTarget]{Path: "/name", Ops: replaceOp, Set: func(t *keyTarget, op patch.Op, _ patch.Params) error {
		if err := validateKeyName(op.Value); err != nil {
			return err
		}
		t.k.Name = op.Value
		return nil
	}},
	patch.Rule[*keyTarget]{Path: "/customerId", Ops: replaceOp, Set: patch.String(func(t *keyTarget) *string { return &t.k.CustomerID })},
	patch.Rule[*keyTarget]{Path: "/stages", Ops: addRemove, Set: patchStageKey},
	// Legacy: accepted and ignored.
	patch.Rule[*keyTarget]{Path: "/labels", Ops: addRemove, Set: func(*keyTarget, patch.Op, patch.Params) error {
		return nil
	}},
)

// patchStageKey adds or removes a legacy stage key "{restApiId}/{stageName}".
func patchStageKey(t *keyTarget, op patch.Op, _ patch.Params) error {
	apiID, stage, ok := apigw.ParseStageRef(op.Value)
	if !ok {
		return BadRequestf("Invalid stage key %q: must be {restApiId}/{stageName}", op.Value)
	}
	k := t.k
	if op.Op == patch.Remove {
		k.StageKeys = slices.DeleteFunc(k.StageKeys, func(s string) bool { return s == op.Value })
		return nil
	}
	if err := checkStageKey(t.ctx, t.r, apiID, stage); err != nil {
		return err
	}
	if !slices.Contains(k.StageKeys, op.Value) {
		k.StageKeys = append(k.StageKeys, op.Value)
	}
	return nil
}

// DeleteAPIKey deletes a key and removes it from every usage plan.
func (s *Service) DeleteAPIKey(ctx context.Context, id string) error {
	return s.update(ctx, func(tx store.Tx) error {
		if err := tx.DeleteAPIKey(ctx, id); err != nil {
			return s.unknownKey(ctx, tx, id, err)
		}
		return nil
	})
}
