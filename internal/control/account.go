package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/patch"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// settingAccount is the store setting (Tx.PutSetting) that holds the
// account's JSON: shared by every node of a cluster, kept by a reset.
const settingAccount = "account"

// AccountStatus is GetAccount's answer: the stored settings and the
// node's account-level throttle.
type AccountStatus struct {
	apigw.Account
	Throttle apigw.Throttle
}

// GetAccount returns the account settings.
func (s *Service) GetAccount(ctx context.Context) (AccountStatus, error) {
	var a apigw.Account
	err := s.view(ctx, func(r store.Reader) (err error) {
		a, err = readAccount(ctx, r)
		return err
	})
	return AccountStatus{Account: a, Throttle: s.accountThrottle()}, err
}

// accountThrottle is the node's account-level limit as GetAccount shows it.
func (s *Service) accountThrottle() apigw.Throttle {
	if s.account == (apigw.Throttle{}) {
		return apigw.Throttle{RateLimit: apigw.AccountRateLimit, BurstLimit: apigw.AccountBurstLimit}
	}
	return s.account
}

func readAccount(ctx context.Context, r store.Reader) (apigw.Account, error) {
	a := apigw.Account{Features: []string{apigw.FeatureUsagePlans}}
	v, err := r.GetSetting(ctx, settingAccount)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return a, nil
	case err != nil:
		return a, err
	}
	if err := json.Unmarshal([]byte(v), &a); err != nil {
		return a, fmt.Errorf("stored account settings: %w", err)
	}
	return a, nil
}

// accountPatch is UpdateAccount's paths, as AWS takes them.
var accountPatch = patch.NewTable(patch.Options{},
	patch.Rule[*apigw.Account]{Path: "/cloudwatchRoleArn", Ops: []string{patch.Replace}, Set: patch.String(func(a *apigw.Account) *string { return &a.CloudwatchRoleARN })},
	patch.Rule[*apigw.Account]{Path: "/features", Ops: addRemove, Set: func(a *apigw.Account, op patch.Op, _ patch.Params) error {
		if op.Value != apigw.FeatureUsagePlans {
			return BadRequestf("Invalid feature %q: the only account feature is %s", op.Value, apigw.FeatureUsagePlans)
		}
		if op.Op == patch.Remove {
			return BadRequestf("Usage Plans cannot be disabled once enabled")
		}
		if !slices.Contains(a.Features, op.Value) {
			a.Features = append(a.Features, op.Value)
		}
		return nil
	}},
)

// UpdateAccount applies patch operations to the account settings.
func (s *Service) UpdateAccount(ctx context.Context, ops []patch.Op) (AccountStatus, error) {
	var a apigw.Account
	err := s.update(ctx, func(tx store.Tx) error {
		var err error
		if a, err = readAccount(ctx, tx); err != nil {
			return err
		}
		if err := accountPatch.ApplyAll(&a, ops); err != nil {
			return FromPatch(err)
		}
		b, err := json.Marshal(a)
		if err != nil {
			return err
		}
		return tx.PutSetting(ctx, settingAccount, string(b))
	})
	return AccountStatus{Account: a, Throttle: s.accountThrottle()}, err
}
