package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/gatehouse-dev/gatehouse/internal/secret"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// SecretCheckSetting is the store setting that holds the server secret's
// check value (secret.Keys.CheckValue), recorded at start.
const SecretCheckSetting = "server-secret-check"

// openSecret loads the server secret and checks it against the store, in
// one transaction so that no key can be created between the check and the
// record.
//
// API keys are found by a keyed hash of their value and kept encrypted
// under the secret, so a store's keys work only with the secret they were
// made with. When the store holds keys, a missing secret is not replaced
// (a new one would make every key unusable and overwrite the evidence)
// and another secret is refused; both refusals say how to restore it.
// Without keys nothing depends on the secret: a missing one is created,
// another one accepted, and the check value recorded anew.
//
// A store from before check values has keys and no check value: the
// secret is verified by decrypting stored key values, then its check value
// is recorded. A store whose keys carry no encrypted value cannot be
// verified; that is logged and the check value recorded.
func (s *Server) openSecret(ctx context.Context, st store.Store, where string) (*secret.Keys, error) {
	path := filepath.Join(s.cfg.DataDir, SecretFile)
	if s.cfg.SecretFile != "" {
		path = s.cfg.SecretFile
	}
	keys, err := secret.Load(path)
	missing := errors.Is(err, fs.ErrNotExist)
	if err != nil && !missing {
		return nil, err
	}
	// An engine may run the transaction again (store.Store.Update): the
	// secret is created once, whatever the number of runs.
	var created *secret.Keys
	err = st.Update(ctx, func(tx store.Tx) error {
		stored, err := tx.GetSetting(ctx, SecretCheckSetting)
		hasCheck := err == nil
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		sample, _, err := tx.ListAPIKeys(ctx, store.KeyFilter{}, store.Page{Limit: 1})
		if err != nil {
			return err
		}
		hasKeys := len(sample) > 0
		switch {
		case missing && hasKeys:
			return fmt.Errorf("server secret %s is missing, but the store %s holds API keys made with it: "+
				"without it no key can be found or shown. Restore %s from a backup (one line of 64 hex "+
				"characters, mode 0600) and start again; Gatehouse never creates a new secret over existing keys",
				path, where, path)
		case missing:
			if created == nil {
				if created, err = secret.Create(path); err != nil {
					return err
				}
			}
			keys = created
			if hasCheck {
				s.log.Warn("server secret was missing; the store holds no API key, so a new one was created", "path", path)
			}
		case hasKeys && hasCheck && !keys.Matches(stored):
			return fmt.Errorf("server secret %s is not the one the store %s was made with (its check value differs): "+
				"no API key would be found. Restore the original %s from a backup, or point --data-dir or "+
				"--store at the store that belongs to this secret", path, where, path)
		case hasKeys && !hasCheck:
			if err := verifyByKeys(ctx, tx, keys, path, where, s); err != nil {
				return err
			}
		case hasCheck && !keys.Matches(stored):
			s.log.Warn("server secret differs from the one the store recorded; the store holds no API key, so the new one is recorded", "path", path)
		}
		if hasCheck && keys.Matches(stored) {
			return nil
		}
		return tx.PutSetting(ctx, SecretCheckSetting, keys.CheckValue())
	})
	if err != nil {
		return nil, err
	}
	return keys, nil
}

// verifyByKeys checks the secret of a store without a check value by
// decrypting the first stored key value it finds (reading at most
// verifyKeysLimit keys).
func verifyByKeys(ctx context.Context, r store.Reader, keys *secret.Keys, path, where string, s *Server) error {
	const verifyKeysLimit = 2000
	pos := ""
	for seen := 0; seen < verifyKeysLimit; {
		page, next, err := r.ListAPIKeys(ctx, store.KeyFilter{}, store.Page{Position: pos, Limit: 500})
		if err != nil {
			return err
		}
		for _, k := range page {
			if len(k.SealedValue) == 0 {
				continue
			}
			if _, err := keys.Open(k.ID, k.SealedValue); err != nil {
				return fmt.Errorf("server secret %s cannot decrypt API key %s in the store %s: it is not the secret "+
					"the store's keys were made with. Restore the original %s from a backup, or point --data-dir "+
					"or --store at the store that belongs to this secret", path, k.Redacted(), where, path)
			}
			s.log.Info("server secret verified against a stored API key; its check value is now recorded", "path", path)
			return nil
		}
		seen += len(page)
		if next == "" {
			break
		}
		pos = next
	}
	s.log.Warn("server secret could not be verified: no stored API key has an encrypted value; its check value is now recorded", "path", path)
	return nil
}
