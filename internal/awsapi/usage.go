package awsapi

import (
	"net/http"

	"github.com/gatehouse-dev/gatehouse/internal/control"
)

// usageJSON is AWS's Usage: values maps a key id to [used, remaining]
// pairs, one per day.
type usageJSON struct {
	UsagePlanID string                `json:"usagePlanId"`
	StartDate   string                `json:"startDate"`
	EndDate     string                `json:"endDate"`
	Position    string                `json:"position,omitempty"`
	Values      map[string][][2]int64 `json:"values"`
}

func toUsageJSON(rep *control.UsageReport) usageJSON {
	out := usageJSON{
		UsagePlanID: rep.PlanID,
		StartDate:   rep.StartDate.Format(control.UsageDateFormat),
		EndDate:     rep.EndDate.Format(control.UsageDateFormat),
		Position:    rep.Position,
		Values:      make(map[string][][2]int64, len(rep.Keys)),
	}
	for id, days := range rep.Keys {
		pairs := make([][2]int64, len(days))
		for i, d := range days {
			pairs[i] = [2]int64{d.Used, d.Remaining}
		}
		out.Values[id] = pairs
	}
	return out
}

func (h *Handler) getUsage(w http.ResponseWriter, r *http.Request) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	rep, err := h.ctl.GetUsage(r.Context(), r.PathValue("usagePlanId"), control.GetUsageInput{
		StartDate: q.Get("startDate"), EndDate: q.Get("endDate"), KeyID: q.Get("keyId"), Page: pg,
	})
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toUsageJSON(rep))
}

func (h *Handler) updateUsage(w http.ResponseWriter, r *http.Request) error {
	ops, err := decodePatch(r, "updateUsageInput")
	if err != nil {
		return err
	}
	rep, err := h.ctl.UpdateUsage(r.Context(), r.PathValue("usagePlanId"), r.PathValue("keyId"), ops)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toUsageJSON(rep))
}
