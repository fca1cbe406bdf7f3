package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/gatehouse-dev/gatehouse/internal/apitest"
)

// TestClientCertificateToBackend drives the client certificate workflow
// as a user would: generate one, fetch its PEM with GetClientCertificate
// and make the backend trust it (ClientAuth RequireAndVerifyClientCert),
// set it on the stage; the HTTP_PROXY call then passes the backend's
// handshake, and fails it before the stage names the certificate. A
// certificate in use cannot be deleted; the database holds no private key.
func TestClientCertificateToBackend(t *testing.T) {
	ctx := context.Background()
	clientCAs := x509.NewCertPool()
	backend := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello "+r.TLS.PeerCertificates[0].Subject.CommonName)
	}))
	backend.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: clientCAs}
	backend.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake logs
	backend.StartTLS()
	t.Cleanup(backend.Close)
	roots := x509.NewCertPool()
	roots.AddCert(backend.Certificate())

	env := apitest.Start(t, apitest.Options{UpstreamRootCAs: roots})
	c := env.Client
	gen, err := c.GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{Description: aws.String("to the backend"), Tags: map[string]string{"team": "edge"}})
	if err != nil {
		t.Fatalf("GenerateClientCertificate: %v", err)
	}
	id := aws.ToString(gen.ClientCertificateId)
	if gen.CreatedDate == nil || gen.ExpirationDate == nil || !gen.ExpirationDate.After(*gen.CreatedDate) {
		t.Errorf("dates: created %v, expires %v", gen.CreatedDate, gen.ExpirationDate)
	}
	got, err := c.GetClientCertificate(ctx, &apigateway.GetClientCertificateInput{ClientCertificateId: &id})
	if err != nil {
		t.Fatalf("GetClientCertificate: %v", err)
	}
	if aws.ToString(got.PemEncodedCertificate) != aws.ToString(gen.PemEncodedCertificate) || aws.ToString(got.Description) != "to the backend" || got.Tags["team"] != "edge" {
		t.Errorf("GetClientCertificate = %+v", got)
	}
	block, _ := pem.Decode([]byte(aws.ToString(got.PemEncodedCertificate)))
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("pemEncodedCertificate is not a PEM certificate: %q", aws.ToString(got.PemEncodedCertificate))
	}
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	clientCAs.AddCert(leaf)

	f := newFixture(t, env, "mtls")
	f.httpProxy("GET", "/hello", false, backend.URL+"/hello", 0)
	f.deploy("prod")
	// Before the stage names the certificate, the backend refuses the handshake.
	wantAnswer(t, env, f.call("GET", "prod", "/hello", nil), 502, "", "INTEGRATION_FAILURE")

	stage := "prod"
	upd, err := c.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: &f.apiID, StageName: &stage, PatchOperations: []types.PatchOperation{
		{Op: types.OpReplace, Path: aws.String("/clientCertificateId"), Value: &id}}})
	if err != nil {
		t.Fatalf("UpdateStage: %v", err)
	}
	if aws.ToString(upd.ClientCertificateId) != id {
		t.Errorf("stage clientCertificateId = %q, want %q", aws.ToString(upd.ClientCertificateId), id)
	}
	wantAnswer(t, env, f.call("GET", "prod", "/hello", nil), 200, "hello "+id, "OK")

	_, err = c.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: &f.apiID, StageName: &stage, PatchOperations: []types.PatchOperation{
		{Op: types.OpReplace, Path: aws.String("/clientCertificateId"), Value: aws.String("nosuch")}}})
	apitest.WantError(t, err, "BadRequestException", "Invalid clientCertificateId specified: there is no client certificate nosuch")

	_, err = c.DeleteClientCertificate(ctx, &apigateway.DeleteClientCertificateInput{ClientCertificateId: &id})
	apitest.WantError(t, err, "BadRequestException", "Cannot delete Client Certificate "+id+": it is in use by stage prod of API "+f.apiID+"; remove it from the stage first (patch /clientCertificateId)")

	if _, err := c.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: &f.apiID, StageName: &stage, PatchOperations: []types.PatchOperation{
		{Op: types.OpReplace, Path: aws.String("/clientCertificateId"), Value: aws.String("")}}}); err != nil {
		t.Fatalf("UpdateStage: %v", err)
	}
	wantAnswer(t, env, f.call("GET", "prod", "/hello", nil), 502, "", "INTEGRATION_FAILURE")

	// The database file holds the certificate but no private key.
	matches, _ := filepath.Glob(filepath.Join(env.DataDir, "*"))
	var raw []byte
	for _, m := range matches {
		if b, err := os.ReadFile(m); err == nil {
			raw = append(raw, b...)
		}
	}
	if !bytes.Contains(raw, []byte(id)) {
		t.Fatalf("the data directory's files do not hold certificate %s; is this the right directory? %v", id, matches)
	}
	if bytes.Contains(raw, []byte("PRIVATE KEY")) {
		t.Error("a file of the data directory holds a PEM private key")
	}

	if _, err := c.DeleteClientCertificate(ctx, &apigateway.DeleteClientCertificateInput{ClientCertificateId: &id}); err != nil {
		t.Fatalf("DeleteClientCertificate: %v", err)
	}
	_, err = c.GetClientCertificate(ctx, &apigateway.GetClientCertificateInput{ClientCertificateId: &id})
	apitest.WantError(t, err, "NotFoundException", "Invalid Client Certificate identifier specified")
}
