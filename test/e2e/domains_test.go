package e2e

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/gatehouse-dev/gatehouse/internal/apitest"
	"github.com/gatehouse-dev/gatehouse/internal/server"
)

// uploadDomain creates a custom domain with cert through the SDK, as
// `aws apigateway create-domain-name --certificate-body …` does.
func uploadDomain(t *testing.T, c *apigateway.Client, name string, cert apitest.Issued) {
	t.Helper()
	_, err := c.CreateDomainName(context.Background(), &apigateway.CreateDomainNameInput{DomainName: &name,
		CertificateBody: &cert.CertPEM, CertificatePrivateKey: &cert.KeyPEM,
		EndpointConfiguration: &types.EndpointConfiguration{Types: []types.EndpointType{types.EndpointTypeRegional}}})
	if err != nil {
		t.Fatalf("CreateDomainName %s: %v", name, err)
	}
}

// mapBase maps basePath ("" for the root) of domain to api's stage.
func mapBase(t *testing.T, c *apigateway.Client, domain, basePath, apiID, stage string) {
	t.Helper()
	in := &apigateway.CreateBasePathMappingInput{DomainName: &domain, RestApiId: &apiID, Stage: &stage}
	if basePath != "" {
		in.BasePath = &basePath
	}
	if _, err := c.CreateBasePathMapping(context.Background(), in); err != nil {
		t.Fatalf("CreateBasePathMapping %s/%s: %v", domain, basePath, err)
	}
}

// domainAPIs builds two APIs answering which they are on /pets and /, and
// deploys both to prod.
func domainAPIs(t *testing.T, env *apitest.Env) (shop, orders *fixture) {
	shop, orders = newFixture(t, env, "shop"), newFixture(t, env, "orders")
	shop.mock("GET", "/pets", false, 200, `{"api":"shop","path":"/pets"}`)
	shop.mock("GET", "/", false, 200, `{"api":"shop","path":"/"}`)
	orders.mock("GET", "/items", false, 200, `{"api":"orders","path":"/items"}`)
	shop.deploy("prod")
	orders.deploy("prod")
	return shop, orders
}

// sniClient calls the data listener at addr whatever the URL's host, with
// serverName as SNI (and Host), trusting only pool; it records the serial
// number of the certificate each connection was served.
type sniClient struct {
	t       *testing.T
	c       *http.Client
	serials []int64
}

func newSNIClient(t *testing.T, addr, serverName string, ca *apitest.CA) *sniClient {
	s := &sniClient{t: t}
	tr := &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: ca.Pool, ServerName: serverName},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, network, addr)
		},
		DisableKeepAlives: true,
	}
	t.Cleanup(tr.CloseIdleConnections)
	s.c = &http.Client{Transport: tr, Timeout: 10 * time.Second}
	return s
}

func (s *sniClient) get(url string) answer {
	s.t.Helper()
	resp, err := s.c.Get(url)
	if err != nil {
		s.t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	s.serials = append(s.serials, resp.TLS.PeerCertificates[0].SerialNumber.Int64())
	return answer{status: resp.StatusCode, body: string(b), header: resp.Header, requestID: resp.Header.Get("x-amzn-RequestId")}
}

// TestCustomDomainsHTTPS: one TLS data listener serves two custom domains,
// each with the certificate uploaded through the API and chosen by SNI
// (a client verifying against the test CA with ServerName set), and routes
// each domain's base paths (the root, a single segment, several segments)
// to the mapped API and stage; a name that is no custom domain gets the
// listener's own certificate. The API's id-based URLs stay refused while
// disableExecuteApiEndpoint is set; the domain routes regardless.
func TestCustomDomainsHTTPS(t *testing.T) {
	ca := apitest.NewCA(t)
	dir := t.TempDir()
	def := ca.Issue(t, "localhost")
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	if err := os.WriteFile(certFile, []byte(def.CertPEM), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, []byte(def.KeyPEM), 0o600); err != nil {
		t.Fatal(err)
	}
	env := apitest.Start(t, apitest.Options{TLS: &server.TLSFiles{CertFile: certFile, KeyFile: keyFile}})
	addr := strings.TrimPrefix(env.DataURL, "https://")
	shop, orders := domainAPIs(t, env)

	rootCert, apiCert := ca.Issue(t, "shop.example.com"), ca.Issue(t, "*.example.net")
	uploadDomain(t, env.Client, "shop.example.com", rootCert)
	uploadDomain(t, env.Client, "*.example.net", apiCert)
	mapBase(t, env.Client, "shop.example.com", "", shop.apiID, "prod")
	mapBase(t, env.Client, "*.example.net", "v1", shop.apiID, "prod")
	mapBase(t, env.Client, "*.example.net", "orders/v2", orders.apiID, "prod")
	if _, err := env.Client.UpdateRestApi(context.Background(), &apigateway.UpdateRestApiInput{RestApiId: &shop.apiID,
		PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/disableExecuteApiEndpoint"), Value: aws.String("true")}}}); err != nil {
		t.Fatal(err)
	}

	shopC := newSNIClient(t, addr, "shop.example.com", ca)
	apiC := newSNIClient(t, addr, "api.example.net", ca)
	tests := []struct {
		name   string
		c      *sniClient
		url    string
		status int
		body   string
		reason string
		serial int64
	}{
		{"root mapping", shopC, "https://shop.example.com/pets", 200, `{"api":"shop","path":"/pets"}`, "OK", rootCert.Serial},
		{"root mapping, root path", shopC, "https://shop.example.com/", 200, `{"api":"shop","path":"/"}`, "OK", rootCert.Serial},
		{"single-segment base path", apiC, "https://api.example.net/v1/pets", 200, `{"api":"shop","path":"/pets"}`, "OK", apiCert.Serial},
		{"multi-segment base path", apiC, "https://api.example.net/orders/v2/items", 200, `{"api":"orders","path":"/items"}`, "OK", apiCert.Serial},
		{"unmapped base path", apiC, "https://api.example.net/v2/pets", 403, `{"message":"Forbidden"}`, "BASE_PATH_UNMAPPED", apiCert.Serial},
		{"base path needs its whole segment", apiC, "https://api.example.net/v1x/pets", 403, `{"message":"Forbidden"}`, "BASE_PATH_UNMAPPED", apiCert.Serial},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.c.get(tt.url)
			wantAnswer(t, env, a, tt.status, tt.body, tt.reason)
			if got := tt.c.serials[len(tt.c.serials)-1]; got != tt.serial {
				t.Errorf("served certificate serial %d, want %d (the one uploaded for the domain)", got, tt.serial)
			}
		})
	}

	t.Run("other names get the listener's certificate", func(t *testing.T) {
		c := newSNIClient(t, addr, "localhost", ca)
		a := c.get("https://localhost/restapis/" + orders.apiID + "/prod/_user_request_/items")
		wantAnswer(t, env, a, 200, `{"api":"orders","path":"/items"}`, "OK")
		if c.serials[0] != def.Serial {
			t.Errorf("served serial %d, want the default certificate's %d", c.serials[0], def.Serial)
		}
	})
	t.Run("disableExecuteApiEndpoint still refuses the id-based URL", func(t *testing.T) {
		c := newSNIClient(t, addr, "localhost", ca)
		a := c.get("https://localhost/restapis/" + shop.apiID + "/prod/_user_request_/pets")
		wantAnswer(t, env, a, 403, `{"message":"Forbidden"}`, "EXECUTE_API_DISABLED")
	})
	t.Run("a deleted domain no longer routes nor has its certificate", func(t *testing.T) {
		if _, err := env.Client.DeleteDomainName(context.Background(), &apigateway.DeleteDomainNameInput{DomainName: aws.String("shop.example.com")}); err != nil {
			t.Fatal(err)
		}
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool, ServerName: "shop.example.com"},
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, addr)
			}}}
		_, err := c.Get("https://shop.example.com/pets")
		if err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("GET after delete: %v, want a certificate verification failure (the default certificate is for localhost)", err)
		}
	})
}

// TestCustomDomainPlainHTTP: without TLS, a request whose Host is a custom
// domain (with a port, in any case) routes by its base path mappings.
func TestCustomDomainPlainHTTP(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	shop, orders := domainAPIs(t, env)
	ca := apitest.NewCA(t)
	uploadDomain(t, env.Client, "api.example.com", ca.Issue(t, "api.example.com"))
	mapBase(t, env.Client, "api.example.com", "shop", shop.apiID, "prod")
	mapBase(t, env.Client, "api.example.com", "orders/v2", orders.apiID, "prod")

	tests := []struct {
		host, path string
		status     int
		body       string
		reason     string
	}{
		{"api.example.com", "/shop/pets", 200, `{"api":"shop","path":"/pets"}`, "OK"},
		{"API.Example.com:8080", "/orders/v2/items", 200, `{"api":"orders","path":"/items"}`, "OK"},
		{"api.example.com", "/orders/items", 403, `{"message":"Forbidden"}`, "BASE_PATH_UNMAPPED"},
		{"other.example.com", "/shop/pets", 403, `{"message":"Forbidden"}`, "API_NOT_IN_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.host+tt.path, func(t *testing.T) {
			a := do(t, "GET", env.DataURL+tt.path, map[string]string{"Host": tt.host})
			wantAnswer(t, env, a, tt.status, tt.body, tt.reason)
		})
	}
}
