package awsapi

import (
	"net/http"

	"github.com/gatehouse-dev/gatehouse/internal/control"
)

type throttleSettingsJSON struct {
	BurstLimit int     `json:"burstLimit"`
	RateLimit  float64 `json:"rateLimit"`
}

type accountJSON struct {
	CloudwatchRoleARN string               `json:"cloudwatchRoleArn,omitempty"`
	ThrottleSettings  throttleSettingsJSON `json:"throttleSettings"`
	Features          []string             `json:"features"`
	APIKeyVersion     string               `json:"apiKeyVersion"`
}

func toAccountJSON(a control.AccountStatus) accountJSON {
	return accountJSON{
		CloudwatchRoleARN: a.CloudwatchRoleARN,
		ThrottleSettings:  throttleSettingsJSON{BurstLimit: a.Throttle.BurstLimit, RateLimit: a.Throttle.RateLimit},
		Features:          a.Features,
		APIKeyVersion:     "4",
	}
}

func (h *Handler) getAccount(w http.ResponseWriter, r *http.Request) error {
	a, err := h.ctl.GetAccount(r.Context())
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toAccountJSON(a))
}

func (h *Handler) updateAccount(w http.ResponseWriter, r *http.Request) error {
	ops, err := decodePatch(r, "updateAccountInput")
	if err != nil {
		return err
	}
	a, err := h.ctl.UpdateAccount(r.Context(), ops)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toAccountJSON(a))
}
