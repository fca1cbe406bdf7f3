package awsapi

import (
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/control"
)

// TestDomainNameWire pins the DomainName and BasePathMapping shapes: an
// EDGE and a REGIONAL domain (each with its own target fields), the root
// base path as "(none)", and no private key in any of them.
func TestDomainNameWire(t *testing.T) {
	h := &Handler{ctl: control.New(control.Options{})}
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	d := &apigw.DomainName{Name: "api.example.com", ID: "abcdefghij", CertificateName: "cert-2026",
		CertificateBody: "-----BEGIN CERTIFICATE-----\n…", SealedPrivateKey: []byte("sealed"),
		CertificateUploadDate: at, EndpointType: apigw.EndpointEdge, SecurityPolicy: apigw.SecurityTLS12}
	goldenJSON(t, "DomainNameEdge", h.toDomainNameJSON(d))
	d.EndpointType = apigw.EndpointRegional
	d.Tags = map[string]string{"team": "edge"}
	goldenJSON(t, "DomainNameRegional", h.toDomainNameJSON(d))
	goldenJSON(t, "BasePathMappingList", newList([]basePathMappingJSON{
		toBasePathMappingJSON(apigw.BasePathMapping{RestAPIID: "rohkz08x02", Stage: "prod"}),
		toBasePathMappingJSON(apigw.BasePathMapping{BasePath: "orders/v2", RestAPIID: "rohkz08x02"}),
	}, ""))
}
