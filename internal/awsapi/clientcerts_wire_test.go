package awsapi

import (
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/control"
)

// TestClientCertAccountDocumentationWire pins the wire shapes of client
// certificates (no key field, ever), the account and documentation parts
// and versions (properties as a JSON string, AWS's recorded shapes).
func TestClientCertAccountDocumentationWire(t *testing.T) {
	created := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	goldenJSON(t, "ClientCertificate", toClientCertificateJSON(&apigw.ClientCertificate{
		ID: "k3x9qa", Description: "orders backend", PEMEncodedCertificate: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
		SealedPrivateKey: []byte("sealed"), CreatedDate: created, ExpirationDate: created.AddDate(1, 0, 0), Tags: map[string]string{"team": "orders"},
	}))
	goldenJSON(t, "Account", toAccountJSON(control.AccountStatus{
		Account:  apigw.Account{CloudwatchRoleARN: "arn:aws:iam::123456789012:role/logs", Features: []string{"UsagePlans"}},
		Throttle: apigw.Throttle{RateLimit: 10000, BurstLimit: 5000},
	}))
	goldenJSON(t, "AccountDefault", toAccountJSON(control.AccountStatus{
		Account: apigw.Account{Features: []string{"UsagePlans"}}, Throttle: apigw.Throttle{RateLimit: 10000, BurstLimit: 5000},
	}))
	goldenJSON(t, "DocumentationPartAPI", toDocPartJSON(&apigw.DocumentationPart{ID: "dp1abc", Location: apigw.DocumentationLocation{Type: "API"}, Properties: `{"description":"Sample API description"}`}))
	goldenJSON(t, "DocumentationPartResponse", toDocPartJSON(&apigw.DocumentationPart{ID: "dp2abc",
		Location: apigw.DocumentationLocation{Type: "RESPONSE", Path: "/", Method: "GET", StatusCode: "200"}, Properties: `{"description":"200 response"}`}))
	goldenJSON(t, "DocumentationVersion", toDocVersionJSON(&apigw.DocumentationVersion{Version: "v123", Description: "doc version new", CreatedDate: created}))
	goldenJSON(t, "DocumentationVersionNew", toDocVersionJSON(&apigw.DocumentationVersion{Version: "v123", CreatedDate: created}))
}
