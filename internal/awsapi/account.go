package awsapi

import (
	"net/http"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
)

type throttleSettingsJSON struct {
	BurstLimit int     `json:"burstLimit"`
	RateLimit  float64 `json:"rateLimit"`
}

type accountJSON struct {
	ThrottleSettings throttleSettingsJSON `json:"throttleSettings"`
	Features         []string             `json:"features"`
	APIKeyVersion    string               `json:"apiKeyVersion"`
}

func (h *Handler) getAccount(w http.ResponseWriter, r *http.Request) error {
	return respond(w, http.StatusOK, accountJSON{
		ThrottleSettings: throttleSettingsJSON{BurstLimit: apigw.AccountBurstLimit, RateLimit: apigw.AccountRateLimit},
		Features:         []string{"UsagePlans"},
		APIKeyVersion:    "4",
	})
}
