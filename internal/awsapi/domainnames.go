package awsapi

import (
	"net/http"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/control"
)

// AWS's hosted zone ids for a domain name's targets: CloudFront's for
// EDGE, us-east-1's execute-api for REGIONAL (Gatehouse answers the same
// shape; the names are not resolvable, the node serves the domain itself).
const (
	edgeHostedZoneID     = "Z2FDTNDATAQYW2"
	regionalHostedZoneID = "Z1UJRXOUMOOFQ8"
)

// domainNameJSON is AWS's DomainName. The certificate's private key is
// never part of it.
type domainNameJSON struct {
	DomainName               string                    `json:"domainName"`
	DomainNameARN            string                    `json:"domainNameArn,omitempty"`
	CertificateName          string                    `json:"certificateName,omitempty"`
	CertificateUploadDate    *epoch                    `json:"certificateUploadDate,omitempty"`
	RegionalCertificateName  string                    `json:"regionalCertificateName,omitempty"`
	DistributionDomainName   string                    `json:"distributionDomainName,omitempty"`
	DistributionHostedZoneID string                    `json:"distributionHostedZoneId,omitempty"`
	RegionalDomainName       string                    `json:"regionalDomainName,omitempty"`
	RegionalHostedZoneID     string                    `json:"regionalHostedZoneId,omitempty"`
	EndpointConfiguration    endpointConfigurationJSON `json:"endpointConfiguration"`
	DomainNameStatus         string                    `json:"domainNameStatus"`
	DomainNameStatusMessage  string                    `json:"domainNameStatusMessage,omitempty"`
	SecurityPolicy           string                    `json:"securityPolicy"`
	Tags                     map[string]string         `json:"tags"`
}

func (h *Handler) toDomainNameJSON(d *apigw.DomainName) domainNameJSON {
	out := domainNameJSON{
		DomainName:              d.Name,
		DomainNameARN:           "arn:aws:apigateway:" + h.ctl.Region() + "::/domainnames/" + d.Name,
		CertificateUploadDate:   ts(d.CertificateUploadDate),
		EndpointConfiguration:   endpointConfigurationJSON{Types: []string{d.EndpointType}},
		DomainNameStatus:        d.DomainStatus(),
		DomainNameStatusMessage: d.StatusMessage,
		SecurityPolicy:          d.SecurityPolicy,
		Tags:                    emptyMap(d.Tags),
	}
	if d.EndpointType == apigw.EndpointRegional {
		out.RegionalCertificateName = d.CertificateName
		out.RegionalDomainName = "d-" + d.ID + ".execute-api." + h.ctl.Region() + ".amazonaws.com"
		out.RegionalHostedZoneID = regionalHostedZoneID
	} else {
		out.CertificateName = d.CertificateName
		out.DistributionDomainName = "d" + d.ID + ".cloudfront.net"
		out.DistributionHostedZoneID = edgeHostedZoneID
	}
	return out
}

type createDomainNameRequest struct {
	DomainName              string                     `json:"domainName"`
	CertificateName         string                     `json:"certificateName"`
	CertificateBody         string                     `json:"certificateBody"`
	CertificatePrivateKey   string                     `json:"certificatePrivateKey"`
	CertificateChain        string                     `json:"certificateChain"`
	CertificateARN          string                     `json:"certificateArn"`
	RegionalCertificateName string                     `json:"regionalCertificateName"`
	RegionalCertificateARN  string                     `json:"regionalCertificateArn"`
	EndpointConfiguration   *endpointConfigurationJSON `json:"endpointConfiguration"`
	SecurityPolicy          string                     `json:"securityPolicy"`
	Tags                    map[string]string          `json:"tags"`
}

func (h *Handler) createDomainName(w http.ResponseWriter, r *http.Request) error {
	var req createDomainNameRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	in := control.CreateDomainNameInput{
		Name: req.DomainName, CertificateName: req.CertificateName,
		CertificateBody: req.CertificateBody, CertificateChain: req.CertificateChain, CertificatePrivateKey: req.CertificatePrivateKey,
		CertificateARN: req.CertificateARN, RegionalCertificateARN: req.RegionalCertificateARN, RegionalCertificateName: req.RegionalCertificateName,
		SecurityPolicy: req.SecurityPolicy, Tags: req.Tags,
	}
	if req.EndpointConfiguration != nil {
		in.EndpointTypes = req.EndpointConfiguration.Types
	}
	d, err := h.ctl.CreateDomainName(r.Context(), in)
	if err != nil {
		return err
	}
	auditCreated(r, "domainnames", d.Name)
	return respond(w, http.StatusCreated, h.toDomainNameJSON(d))
}

func (h *Handler) getDomainName(w http.ResponseWriter, r *http.Request) error {
	d, err := h.ctl.GetDomainName(r.Context(), r.PathValue("domainName"))
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, h.toDomainNameJSON(d))
}

func (h *Handler) getDomainNames(w http.ResponseWriter, r *http.Request) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	items, next, err := h.ctl.ListDomainNames(r.Context(), pg)
	if err != nil {
		return err
	}
	out := make([]domainNameJSON, len(items))
	for i, d := range items {
		out[i] = h.toDomainNameJSON(d)
	}
	return respond(w, http.StatusOK, newList(out, next))
}

func (h *Handler) updateDomainName(w http.ResponseWriter, r *http.Request) error {
	ops, err := decodePatch(r, "updateDomainNameInput")
	if err != nil {
		return err
	}
	d, err := h.ctl.UpdateDomainName(r.Context(), r.PathValue("domainName"), ops)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, h.toDomainNameJSON(d))
}

func (h *Handler) deleteDomainName(w http.ResponseWriter, r *http.Request) error {
	if err := h.ctl.DeleteDomainName(r.Context(), r.PathValue("domainName")); err != nil {
		return err
	}
	return respondEmpty(w, http.StatusAccepted)
}

// basePathMappingJSON is AWS's BasePathMapping; the root is "(none)".
type basePathMappingJSON struct {
	BasePath  string `json:"basePath"`
	RestAPIID string `json:"restApiId"`
	Stage     string `json:"stage,omitempty"`
}

func toBasePathMappingJSON(m apigw.BasePathMapping) basePathMappingJSON {
	return basePathMappingJSON{BasePath: apigw.WireBasePath(m.BasePath), RestAPIID: m.RestAPIID, Stage: m.Stage}
}

func (h *Handler) createBasePathMapping(w http.ResponseWriter, r *http.Request) error {
	var req basePathMappingJSON
	if err := decode(r, &req); err != nil {
		return err
	}
	m, err := h.ctl.CreateBasePathMapping(r.Context(), control.CreateBasePathMappingInput{
		DomainName: r.PathValue("domainName"), BasePath: req.BasePath, RestAPIID: req.RestAPIID, Stage: req.Stage,
	})
	if err != nil {
		return err
	}
	auditCreated(r, "domainnames", r.PathValue("domainName"), "basepathmappings", apigw.WireBasePath(m.BasePath))
	return respond(w, http.StatusCreated, toBasePathMappingJSON(*m))
}

func (h *Handler) getBasePathMapping(w http.ResponseWriter, r *http.Request) error {
	m, err := h.ctl.GetBasePathMapping(r.Context(), r.PathValue("domainName"), r.PathValue("basePath"))
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toBasePathMappingJSON(*m))
}

func (h *Handler) getBasePathMappings(w http.ResponseWriter, r *http.Request) error {
	ms, err := h.ctl.ListBasePathMappings(r.Context(), r.PathValue("domainName"))
	if err != nil {
		return err
	}
	out := make([]basePathMappingJSON, len(ms))
	for i, m := range ms {
		out[i] = toBasePathMappingJSON(m)
	}
	return respond(w, http.StatusOK, newList(out, ""))
}

func (h *Handler) updateBasePathMapping(w http.ResponseWriter, r *http.Request) error {
	ops, err := decodePatch(r, "updateBasePathMappingInput")
	if err != nil {
		return err
	}
	m, err := h.ctl.UpdateBasePathMapping(r.Context(), r.PathValue("domainName"), r.PathValue("basePath"), ops)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toBasePathMappingJSON(*m))
}

func (h *Handler) deleteBasePathMapping(w http.ResponseWriter, r *http.Request) error {
	if err := h.ctl.DeleteBasePathMapping(r.Context(), r.PathValue("domainName"), r.PathValue("basePath")); err != nil {
		return err
	}
	return respondEmpty(w, http.StatusAccepted)
}
