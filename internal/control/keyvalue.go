package control

import (
	"context"
	"errors"
	"fmt"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// msgKeyValueGiven follows msgKeyNotFound when the string a caller gave as
// an API key id is the value of an existing key: the user report this
// answers lost hours to `aws apigateway get-api-key --api-key <value>`.
// It names the key by id and never repeats the value.
const msgKeyValueGiven = ". (The string given is the value of API key %s; pass its id.)"

// unknownKey is the one answer of every operation that expects an API key
// id and finds no key by it (GetApiKey, UpdateApiKey, DeleteApiKey, the
// usage plan key operations, GetUsage and UpdateUsage, tags on an API key
// ARN): AWS's NotFoundException "Invalid API Key identifier specified",
// followed, when given is the value of an existing key, by a sentence
// naming that key's id. cause is the store's error (nil when the key was
// looked for elsewhere, e.g. in a plan); an error other than
// store.ErrNotFound passes through unchanged.
func (s *Service) unknownKey(ctx context.Context, r store.Reader, given string, cause error) error {
	if cause != nil && !errors.Is(cause, store.ErrNotFound) {
		return cause
	}
	msg := msgKeyNotFound
	k, err := s.keyByValue(ctx, r, given)
	if err != nil {
		return err
	}
	if k != nil {
		msg += fmt.Sprintf(msgKeyValueGiven, k.ID)
	}
	return &Error{Kind: KindNotFound, Message: msg, Err: cause}
}

// keyByValue returns the key whose value is v, or nil when v cannot be a
// key value or no key has it.
func (s *Service) keyByValue(ctx context.Context, r store.Reader, v string) (*apigw.APIKey, error) {
	if s.keys == nil || !MayBeKeyValue(v) {
		return nil, nil
	}
	k, err := r.GetAPIKeyByHash(ctx, s.keys.LookupHash(v))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("look up api key by value: %w", err)
	}
	return k, nil
}

// getKey returns the key with id, or unknownKey's answer.
func (s *Service) getKey(ctx context.Context, r store.Reader, id string) (*apigw.APIKey, error) {
	k, err := r.GetAPIKey(ctx, id)
	if err != nil {
		return nil, s.unknownKey(ctx, r, id, err)
	}
	return k, nil
}

// APIKeyByIDOrValue returns the key whose id, or else whose value, is
// idOrValue (diagnostics accept either, as users confuse them). An
// unknown string gets AWS's NotFoundException text.
func (s *Service) APIKeyByIDOrValue(ctx context.Context, idOrValue string) (*apigw.APIKey, error) {
	var k *apigw.APIKey
	err := s.view(ctx, func(r store.Reader) error {
		var err error
		k, err = r.GetAPIKey(ctx, idOrValue)
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if k, err = s.keyByValue(ctx, r, idOrValue); err != nil || k != nil {
			return err
		}
		return NotFoundf(msgKeyNotFound)
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}
