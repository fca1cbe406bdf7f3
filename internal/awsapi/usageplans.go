package awsapi

import (
	"fmt"
	"math"
	"net/http"
	"strconv"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/control"
)

// planThrottleJSON is ThrottleSettings; rateLimit is a double on the wire.
type planThrottleJSON struct {
	BurstLimit int      `json:"burstLimit"`
	RateLimit  planRate `json:"rateLimit"`
}

// planRate is a double that AWS prints with a fraction ("10.0", not "10").
type planRate float64

// MarshalJSON implements json.Marshaler.
func (r planRate) MarshalJSON() ([]byte, error) {
	f := float64(r)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("rate limit %v is not a finite number", f)
	}
	b := strconv.AppendFloat(nil, f, 'f', -1, 64)
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		b = append(b, ".0"...)
	}
	return b, nil
}

func toPlanThrottleJSON(t apigw.Throttle) planThrottleJSON {
	return planThrottleJSON{BurstLimit: t.BurstLimit, RateLimit: planRate(t.RateLimit)}
}

func (t planThrottleJSON) domain() apigw.Throttle {
	return apigw.Throttle{BurstLimit: t.BurstLimit, RateLimit: float64(t.RateLimit)}
}

// planQuotaJSON is QuotaSettings; AWS echoes offset 0.
type planQuotaJSON struct {
	Limit  int    `json:"limit"`
	Offset int    `json:"offset"`
	Period string `json:"period"`
}

type apiStageJSON struct {
	APIID    string                      `json:"apiId"`
	Stage    string                      `json:"stage"`
	Throttle map[string]planThrottleJSON `json:"throttle,omitempty"`
}

// usagePlanJSON is the UsagePlan shape of create and list responses:
// apiStages always ([] when none), tags only when set (lists never set it).
type usagePlanJSON struct {
	ID          string            `json:"id"`
	Name        string            `json:"name,omitempty"`
	Description string            `json:"description,omitempty"`
	APIStages   []apiStageJSON    `json:"apiStages"`
	Throttle    *planThrottleJSON `json:"throttle,omitempty"`
	Quota       *planQuotaJSON    `json:"quota,omitempty"`
	ProductCode string            `json:"productCode,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
}

// usagePlanTagsJSON is the Get/Update shape: tags always ({} when none).
type usagePlanTagsJSON struct {
	usagePlanJSON
	Tags map[string]string `json:"tags"`
}

func toUsagePlanJSON(p *apigw.UsagePlan) usagePlanJSON {
	out := usagePlanJSON{
		ID:          p.ID,
		Name:        p.Name,
		Description: p.Description,
		APIStages:   make([]apiStageJSON, len(p.APIStages)),
		ProductCode: p.ProductCode,
		Tags:        nilIfEmpty(p.Tags),
	}
	for i, as := range p.APIStages {
		s := apiStageJSON{APIID: as.APIID, Stage: as.Stage}
		if len(as.Throttle) > 0 {
			s.Throttle = make(map[string]planThrottleJSON, len(as.Throttle))
			for k, t := range as.Throttle {
				s.Throttle[k] = toPlanThrottleJSON(t)
			}
		}
		out.APIStages[i] = s
	}
	if p.Throttle != nil {
		t := toPlanThrottleJSON(*p.Throttle)
		out.Throttle = &t
	}
	if p.Quota != nil {
		q := planQuotaJSON(*p.Quota)
		out.Quota = &q
	}
	return out
}

func withPlanTags(p *apigw.UsagePlan) usagePlanTagsJSON {
	return usagePlanTagsJSON{usagePlanJSON: toUsagePlanJSON(p), Tags: emptyMap(p.Tags)}
}

type createUsagePlanRequest struct {
	Name        string            `json:"name"`
	Description string            `json:"description"`
	APIStages   []apiStageJSON    `json:"apiStages"`
	Throttle    *planThrottleJSON `json:"throttle"`
	Quota       *planQuotaJSON    `json:"quota"`
	ProductCode string            `json:"productCode"`
	Tags        map[string]string `json:"tags"`
}

func (req createUsagePlanRequest) input() control.CreateUsagePlanInput {
	in := control.CreateUsagePlanInput{Name: req.Name, Description: req.Description, ProductCode: req.ProductCode, Tags: req.Tags}
	for _, as := range req.APIStages {
		s := apigw.APIStage{APIID: as.APIID, Stage: as.Stage}
		if len(as.Throttle) > 0 {
			s.Throttle = make(map[string]apigw.Throttle, len(as.Throttle))
			for k, t := range as.Throttle {
				s.Throttle[k] = t.domain()
			}
		}
		in.APIStages = append(in.APIStages, s)
	}
	if req.Throttle != nil {
		t := req.Throttle.domain()
		in.Throttle = &t
	}
	if req.Quota != nil {
		q := apigw.Quota(*req.Quota)
		in.Quota = &q
	}
	return in
}

func (h *Handler) createUsagePlan(w http.ResponseWriter, r *http.Request) error {
	var req createUsagePlanRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	p, err := h.ctl.CreateUsagePlan(r.Context(), req.input())
	if err != nil {
		return err
	}
	auditCreated(r, "usageplans", p.ID)
	return respond(w, http.StatusCreated, toUsagePlanJSON(p))
}

func (h *Handler) getUsagePlan(w http.ResponseWriter, r *http.Request) error {
	p, err := h.ctl.GetUsagePlan(r.Context(), r.PathValue("usagePlanId"))
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, withPlanTags(p))
}

func (h *Handler) getUsagePlans(w http.ResponseWriter, r *http.Request) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	plans, next, err := h.ctl.ListUsagePlans(r.Context(), r.URL.Query().Get("keyId"), pg)
	if err != nil {
		return err
	}
	items := make([]usagePlanJSON, len(plans))
	for i, p := range plans {
		items[i] = toUsagePlanJSON(p)
		items[i].Tags = nil // list items omit tags, as AWS does
	}
	return respond(w, http.StatusOK, newList(items, next))
}

func (h *Handler) updateUsagePlan(w http.ResponseWriter, r *http.Request) error {
	ops, err := decodePatch(r, "updateUsagePlanInput")
	if err != nil {
		return err
	}
	p, err := h.ctl.UpdateUsagePlan(r.Context(), r.PathValue("usagePlanId"), ops)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, withPlanTags(p))
}

func (h *Handler) deleteUsagePlan(w http.ResponseWriter, r *http.Request) error {
	if err := h.ctl.DeleteUsagePlan(r.Context(), r.PathValue("usagePlanId")); err != nil {
		return err
	}
	return respondEmpty(w, http.StatusAccepted)
}

// usagePlanKeyJSON is AWS's UsagePlanKey: id is the API key's id.
type usagePlanKeyJSON struct {
	ID    string `json:"id"`
	Type  string `json:"type"`
	Value string `json:"value,omitempty"`
	Name  string `json:"name,omitempty"`
}

func toUsagePlanKeyJSON(k *control.RevealedKey) usagePlanKeyJSON {
	return usagePlanKeyJSON{ID: k.ID, Type: control.UsagePlanKeyType, Value: k.Value, Name: k.Name}
}

type createUsagePlanKeyRequest struct {
	KeyID   string `json:"keyId"`
	KeyType string `json:"keyType"`
}

func (h *Handler) createUsagePlanKey(w http.ResponseWriter, r *http.Request) error {
	var req createUsagePlanKeyRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	k, err := h.ctl.CreateUsagePlanKey(r.Context(), r.PathValue("usagePlanId"), req.KeyID, req.KeyType)
	if err != nil {
		return err
	}
	auditCreated(r, "usageplans", r.PathValue("usagePlanId"), "keys", k.ID)
	return respond(w, http.StatusCreated, toUsagePlanKeyJSON(k))
}

func (h *Handler) getUsagePlanKey(w http.ResponseWriter, r *http.Request) error {
	k, err := h.ctl.GetUsagePlanKey(r.Context(), r.PathValue("usagePlanId"), r.PathValue("keyId"))
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toUsagePlanKeyJSON(k))
}

func (h *Handler) getUsagePlanKeys(w http.ResponseWriter, r *http.Request) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	keys, next, err := h.ctl.ListUsagePlanKeys(r.Context(), r.PathValue("usagePlanId"), r.URL.Query().Get("name"), pg)
	if err != nil {
		return err
	}
	items := make([]usagePlanKeyJSON, len(keys))
	for i, k := range keys {
		items[i] = toUsagePlanKeyJSON(k)
	}
	return respond(w, http.StatusOK, newList(items, next))
}

func (h *Handler) deleteUsagePlanKey(w http.ResponseWriter, r *http.Request) error {
	if err := h.ctl.DeleteUsagePlanKey(r.Context(), r.PathValue("usagePlanId"), r.PathValue("keyId")); err != nil {
		return err
	}
	return respondEmpty(w, http.StatusAccepted)
}
