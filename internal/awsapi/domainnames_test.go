package awsapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/gatehouse-dev/gatehouse/internal/apitest"
	"github.com/google/go-cmp/cmp"
)

// createDomain uploads a certificate for name through the SDK.
func createDomain(t *testing.T, c *apigateway.Client, name string, cert apitest.Issued, endpoint types.EndpointType) *apigateway.CreateDomainNameOutput {
	t.Helper()
	out, err := c.CreateDomainName(context.Background(), &apigateway.CreateDomainNameInput{
		DomainName: aws.String(name), CertificateName: aws.String("cert-" + name),
		CertificateBody: aws.String(cert.CertPEM), CertificatePrivateKey: aws.String(cert.KeyPEM),
		EndpointConfiguration: &types.EndpointConfiguration{Types: []types.EndpointType{endpoint}},
		Tags:                  map[string]string{"team": "edge"},
	})
	if err != nil {
		t.Fatalf("CreateDomainName %s: %v", name, err)
	}
	return out
}

// TestDomainNameLifecycle: CreateDomainName with an uploaded certificate
// answers AWS's DomainName (no private key in it), Get/GetDomainNames/
// UpdateDomainName/DeleteDomainName work over the SDK.
func TestDomainNameLifecycle(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	ctx := context.Background()
	ca := apitest.NewCA(t)
	before := time.Now().Add(-time.Second)

	edge := createDomain(t, env.Client, "api.example.com", ca.Issue(t, "api.example.com"), types.EndpointTypeEdge)
	if aws.ToString(edge.DomainName) != "api.example.com" || aws.ToString(edge.CertificateName) != "cert-api.example.com" ||
		edge.DomainNameStatus != types.DomainNameStatusAvailable || edge.SecurityPolicy != types.SecurityPolicyTls12 ||
		!strings.HasSuffix(aws.ToString(edge.DistributionDomainName), ".cloudfront.net") || aws.ToString(edge.DistributionHostedZoneId) == "" ||
		edge.RegionalDomainName != nil || edge.CertificateUploadDate == nil || edge.CertificateUploadDate.Before(before) ||
		!cmp.Equal(edge.EndpointConfiguration.Types, []types.EndpointType{types.EndpointTypeEdge}) || edge.Tags["team"] != "edge" {
		t.Errorf("CreateDomainName EDGE answered %+v", edge)
	}
	regional := createDomain(t, env.Client, "*.example.org", ca.Issue(t, "*.example.org"), types.EndpointTypeRegional)
	if got := aws.ToString(regional.RegionalDomainName); !strings.HasPrefix(got, "d-") || !strings.HasSuffix(got, ".execute-api.us-east-1.amazonaws.com") ||
		aws.ToString(regional.RegionalCertificateName) != "cert-*.example.org" || regional.DistributionDomainName != nil {
		t.Errorf("CreateDomainName REGIONAL answered %+v", regional)
	}

	got, err := env.Client.GetDomainName(ctx, &apigateway.GetDomainNameInput{DomainName: aws.String("api.example.com")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.DistributionDomainName) != aws.ToString(edge.DistributionDomainName) || !got.CertificateUploadDate.Equal(*edge.CertificateUploadDate) {
		t.Errorf("GetDomainName = %+v, want what Create answered", got)
	}
	list, err := env.Client.GetDomainNames(ctx, &apigateway.GetDomainNamesInput{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range list.Items {
		names = append(names, aws.ToString(d.DomainName))
	}
	if want := []string{"api.example.com", "*.example.org"}; !cmp.Equal(names, want) {
		t.Errorf("GetDomainNames = %v, want %v", names, want)
	}

	upd, err := env.Client.UpdateDomainName(ctx, &apigateway.UpdateDomainNameInput{DomainName: aws.String("api.example.com"), PatchOperations: []types.PatchOperation{
		{Op: types.OpReplace, Path: aws.String("/certificateName"), Value: aws.String("renamed")},
		{Op: types.OpReplace, Path: aws.String("/endpointConfiguration/types/EDGE"), Value: aws.String("REGIONAL")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(upd.RegionalCertificateName) != "renamed" || !cmp.Equal(upd.EndpointConfiguration.Types, []types.EndpointType{types.EndpointTypeRegional}) {
		t.Errorf("UpdateDomainName answered %+v", upd)
	}
	_, err = env.Client.UpdateDomainName(ctx, &apigateway.UpdateDomainNameInput{DomainName: aws.String("api.example.com"), PatchOperations: []types.PatchOperation{
		{Op: types.OpReplace, Path: aws.String("/securityPolicy"), Value: aws.String("TLS_1_0")}}})
	apitest.WantError(t, err, "BadRequestException", `Invalid securityPolicy "TLS_1_0": Gatehouse serves TLS 1.2 and 1.3 only; the one policy is TLS_1_2`)

	// Tags by the domain's ARN, as Terraform sets them.
	arn := "arn:aws:apigateway:us-east-1::/domainnames/api.example.com"
	if _, err := env.Client.TagResource(ctx, &apigateway.TagResourceInput{ResourceArn: &arn, Tags: map[string]string{"env": "prod"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Client.UntagResource(ctx, &apigateway.UntagResourceInput{ResourceArn: &arn, TagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := env.Client.GetTags(ctx, &apigateway.GetTagsInput{ResourceArn: &arn})
	if err != nil || !cmp.Equal(tags.Tags, map[string]string{"env": "prod"}) {
		t.Errorf("GetTags = %v, %v; want env=prod", tags, err)
	}
	_, err = env.Client.TagResource(ctx, &apigateway.TagResourceInput{ResourceArn: &arn, Tags: map[string]string{"gatehouse:corsAllowOrigins": "*"}})
	if apitest.ErrorCode(err) != "BadRequestException" {
		t.Errorf("a gatehouse: tag on a domain name: %v, want BadRequestException", err)
	}
	_, err = env.Client.GetTags(ctx, &apigateway.GetTagsInput{ResourceArn: aws.String("arn:aws:apigateway:us-east-1::/domainnames/nope.example.com")})
	apitest.WantError(t, err, "NotFoundException", "Invalid domain name identifier specified")

	if _, err := env.Client.DeleteDomainName(ctx, &apigateway.DeleteDomainNameInput{DomainName: aws.String("api.example.com")}); err != nil {
		t.Fatal(err)
	}
	_, err = env.Client.GetDomainName(ctx, &apigateway.GetDomainNameInput{DomainName: aws.String("api.example.com")})
	apitest.WantError(t, err, "NotFoundException", "Invalid domain name identifier specified")
	_, err = env.Client.DeleteDomainName(ctx, &apigateway.DeleteDomainNameInput{DomainName: aws.String("api.example.com")})
	apitest.WantError(t, err, "NotFoundException", "Invalid domain name identifier specified")
}

// TestCreateDomainNameRefusals: each wrong certificate or name gets a 400
// naming the problem, a taken name AWS's 409; nothing is stored.
func TestCreateDomainNameRefusals(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	ctx := context.Background()
	ca := apitest.NewCA(t)
	good, other := ca.Issue(t, "api.example.com"), ca.Issue(t, "api.example.com")
	wild := ca.Issue(t, "*.example.com")
	createDomain(t, env.Client, "taken.example.com", ca.Issue(t, "taken.example.com"), types.EndpointTypeRegional)
	chain := ca.Issue(t, "x.example.com").CertPEM

	tests := []struct {
		name, domain, body, key, chain, arn string
		code, msg                           string
	}{
		{"key of another certificate", "api.example.com", good.CertPEM, other.KeyPEM, "", "", "BadRequestException",
			"Invalid certificate for domain name api.example.com: certificatePrivateKey does not match certificateBody: the key is not the certificate's"},
		{"certificate for another name", "www.example.com", good.CertPEM, good.KeyPEM, "", "", "BadRequestException",
			"Invalid certificate for domain name www.example.com: certificateBody does not cover the domain name www.example.com (it is for api.example.com)"},
		{"wildcard certificate covers a host", "shop.example.com", wild.CertPEM, wild.KeyPEM, "", "", "", ""},
		{"host certificate does not cover a wildcard", "*.example.com", good.CertPEM, good.KeyPEM, "", "", "BadRequestException",
			"Invalid certificate for domain name *.example.com: certificateBody does not cover the domain name *.example.com (it is for api.example.com)"},
		{"wildcard does not cover two labels", "a.b.example.com", wild.CertPEM, wild.KeyPEM, "", "", "BadRequestException",
			"Invalid certificate for domain name a.b.example.com: certificateBody does not cover the domain name a.b.example.com (it is for *.example.com)"},
		{"body not PEM", "api.example.com", "hello", good.KeyPEM, "", "", "BadRequestException",
			"Invalid certificate for domain name api.example.com: certificateBody is not a PEM certificate (-----BEGIN CERTIFICATE-----)"},
		{"key not PEM", "api.example.com", good.CertPEM, "hello", "", "", "BadRequestException",
			"Invalid certificate for domain name api.example.com: certificatePrivateKey is not a PEM private key (-----BEGIN PRIVATE KEY-----)"},
		{"key in the body", "api.example.com", good.KeyPEM, good.KeyPEM, "", "", "BadRequestException",
			"Invalid certificate for domain name api.example.com: certificateBody is not a PEM certificate (-----BEGIN CERTIFICATE-----)"},
		{"two certificates in the body", "api.example.com", good.CertPEM + chain, good.KeyPEM, "", "", "BadRequestException",
			"Invalid certificate for domain name api.example.com: certificateBody must hold one certificate: put the intermediates in certificateChain"},
		{"chain not PEM", "api.example.com", good.CertPEM, good.KeyPEM, "junk", "", "BadRequestException",
			"Invalid certificate for domain name api.example.com: certificateChain is not PEM (-----BEGIN CERTIFICATE-----)"},
		{"chain holds a key", "api.example.com", good.CertPEM, good.KeyPEM, good.KeyPEM, "", "BadRequestException",
			`Invalid certificate for domain name api.example.com: certificateChain holds a "PRIVATE KEY" PEM block: it must hold certificates only`},
		{"no certificate", "api.example.com", "", "", "", "", "BadRequestException",
			"A certificate was not provided for the domain name. Upload it in certificateBody, certificatePrivateKey and certificateChain (PEM), or start the node with --acme-email to have it obtained by ACME."},
		{"ACM certificate", "api.example.com", "", "", "", "arn:aws:acm:us-east-1:123456789012:certificate/x", "BadRequestException",
			"certificateArn and regionalCertificateArn (AWS Certificate Manager) are not supported by Gatehouse: upload the certificate in certificateBody, certificatePrivateKey and certificateChain"},
		{"bad name", "api_x.example.com", good.CertPEM, good.KeyPEM, "", "", "BadRequestException",
			`Invalid domainName: domain name "api_x.example.com" has the character '_': only letters, digits, "-" and "." (and a leading "*.") are allowed`},
		{"one label", "localhost", good.CertPEM, good.KeyPEM, "", "", "BadRequestException",
			`Invalid domainName: domain name "localhost" must have at least two labels (e.g. api.example.com)`},
		{"taken", "taken.example.com", ca.Issue(t, "taken.example.com").CertPEM, "", "", "", "BadRequestException",
			"Invalid certificate for domain name taken.example.com: certificatePrivateKey is required (the PEM private key of certificateBody)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &apigateway.CreateDomainNameInput{DomainName: aws.String(tt.domain)}
			for p, v := range map[**string]string{&in.CertificateBody: tt.body, &in.CertificatePrivateKey: tt.key, &in.CertificateChain: tt.chain, &in.CertificateArn: tt.arn} {
				if v != "" {
					*p = aws.String(v)
				}
			}
			_, err := env.Client.CreateDomainName(ctx, in)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			apitest.WantError(t, err, tt.code, tt.msg)
		})
	}
	taken := ca.Issue(t, "taken.example.com")
	_, err := env.Client.CreateDomainName(ctx, &apigateway.CreateDomainNameInput{DomainName: aws.String("Taken.Example.com"), CertificateBody: &taken.CertPEM, CertificatePrivateKey: &taken.KeyPEM})
	apitest.WantError(t, err, "ConflictException", "The domain name you provided already exists.")

	list, err := env.Client.GetDomainNames(ctx, &apigateway.GetDomainNamesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 2 {
		t.Errorf("%d domain names stored, want 2 (taken, and the wildcard-covered shop)", len(list.Items))
	}
}

// TestBasePathMappings: the five operations over the SDK, with the root
// "(none)", single- and multi-segment base paths, and AWS's refusals.
func TestBasePathMappings(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	ctx := context.Background()
	c := env.Client
	ca := apitest.NewCA(t)
	apiID, _ := deployableAPI(t, env)
	for _, st := range []string{"prod", "dev"} {
		if _, err := c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: &apiID, StageName: aws.String(st)}); err != nil {
			t.Fatal(err)
		}
	}
	createDomain(t, c, "root.example.com", ca.Issue(t, "root.example.com"), types.EndpointTypeRegional)
	createDomain(t, c, "api.example.com", ca.Issue(t, "api.example.com"), types.EndpointTypeRegional)

	create := func(domain, basePath, api, stage string) (*apigateway.CreateBasePathMappingOutput, error) {
		in := &apigateway.CreateBasePathMappingInput{DomainName: &domain, RestApiId: &api}
		if basePath != "" {
			in.BasePath = &basePath
		}
		if stage != "" {
			in.Stage = &stage
		}
		return c.CreateBasePathMapping(ctx, in)
	}
	root, err := create("root.example.com", "", apiID, "prod")
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(root.BasePath) != "(none)" || aws.ToString(root.RestApiId) != apiID || aws.ToString(root.Stage) != "prod" {
		t.Errorf("root mapping = %+v", root)
	}
	for _, bp := range []string{"v1", "orders/v2"} {
		m, err := create("api.example.com", bp, apiID, "prod")
		if err != nil {
			t.Fatalf("CreateBasePathMapping %s: %v", bp, err)
		}
		if aws.ToString(m.BasePath) != bp {
			t.Errorf("base path %q answered as %q", bp, aws.ToString(m.BasePath))
		}
	}

	refusals := []struct {
		name, domain, basePath, api, stage, code, msg string
	}{
		{"unknown domain", "nope.example.com", "x", apiID, "prod", "NotFoundException", "Invalid domain name identifier specified"},
		{"duplicate", "api.example.com", "v1", apiID, "dev", "ConflictException", "Base path already exists for this domain name"},
		{"duplicate with slashes", "api.example.com", "/orders/v2/", apiID, "dev", "ConflictException", "Base path already exists for this domain name"},
		{"second beside the root", "root.example.com", "v1", apiID, "prod", "ConflictException", "Only one base path mapping is allowed if the base path is empty."},
		{"root beside others", "api.example.com", "(none)", apiID, "prod", "ConflictException", "Only one base path mapping is allowed if the base path is empty."},
		{"unknown API", "api.example.com", "v3", "nope", "prod", "BadRequestException", "Invalid REST API identifier specified"},
		{"unknown stage", "api.example.com", "v3", apiID, "Prod", "BadRequestException", "Invalid stage identifier specified"},
		{"bad character", "api.example.com", "v 3", apiID, "prod", "BadRequestException",
			`Invalid basePath: base path "v 3" has the character ' ': a base path may only contain letters, numbers and one of "$-_.+!*'()", in segments separated by "/"`},
		{"empty segment", "api.example.com", "a//b", apiID, "prod", "BadRequestException", `Invalid basePath: base path "a//b" has an empty, "." or ".." segment`},
		{"dot-dot segment", "api.example.com", "a/../b", apiID, "prod", "BadRequestException", `Invalid basePath: base path "a/../b" has an empty, "." or ".." segment`},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			_, err := create(tt.domain, tt.basePath, tt.api, tt.stage)
			apitest.WantError(t, err, tt.code, tt.msg)
		})
	}

	m, err := c.GetBasePathMapping(ctx, &apigateway.GetBasePathMappingInput{DomainName: aws.String("root.example.com"), BasePath: aws.String("(none)")})
	if err != nil || aws.ToString(m.Stage) != "prod" {
		t.Errorf("GetBasePathMapping (none) = %+v, %v", m, err)
	}
	m, err = c.GetBasePathMapping(ctx, &apigateway.GetBasePathMappingInput{DomainName: aws.String("api.example.com"), BasePath: aws.String("orders/v2")})
	if err != nil || aws.ToString(m.BasePath) != "orders/v2" {
		t.Errorf("GetBasePathMapping orders/v2 = %+v, %v", m, err)
	}
	_, err = c.GetBasePathMapping(ctx, &apigateway.GetBasePathMappingInput{DomainName: aws.String("api.example.com"), BasePath: aws.String("v9")})
	apitest.WantError(t, err, "NotFoundException", "Invalid base path mapping identifier specified")

	upd, err := c.UpdateBasePathMapping(ctx, &apigateway.UpdateBasePathMappingInput{DomainName: aws.String("api.example.com"), BasePath: aws.String("v1"),
		PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/stage"), Value: aws.String("dev")}, {Op: types.OpReplace, Path: aws.String("/basePath"), Value: aws.String("v1/beta")}}})
	if err != nil || aws.ToString(upd.Stage) != "dev" || aws.ToString(upd.BasePath) != "v1/beta" {
		t.Errorf("UpdateBasePathMapping = %+v, %v", upd, err)
	}
	_, err = c.UpdateBasePathMapping(ctx, &apigateway.UpdateBasePathMappingInput{DomainName: aws.String("api.example.com"), BasePath: aws.String("v1/beta"),
		PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/stage"), Value: aws.String("gone")}}})
	apitest.WantError(t, err, "BadRequestException", "Invalid stage identifier specified")
	_, err = c.UpdateBasePathMapping(ctx, &apigateway.UpdateBasePathMappingInput{DomainName: aws.String("api.example.com"), BasePath: aws.String("v1/beta"),
		PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/basePath"), Value: aws.String("orders/v2")}}})
	apitest.WantError(t, err, "ConflictException", "Base path already exists for this domain name")

	all, err := c.GetBasePathMappings(ctx, &apigateway.GetBasePathMappingsInput{DomainName: aws.String("api.example.com")})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range all.Items {
		got = append(got, aws.ToString(m.BasePath)+"->"+aws.ToString(m.Stage))
	}
	if want := []string{"v1/beta->dev", "orders/v2->prod"}; !cmp.Equal(got, want) {
		t.Errorf("GetBasePathMappings = %v, want %v (creation order, the updated one in its place)", got, want)
	}

	if _, err := c.DeleteBasePathMapping(ctx, &apigateway.DeleteBasePathMappingInput{DomainName: aws.String("api.example.com"), BasePath: aws.String("orders/v2")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteBasePathMapping(ctx, &apigateway.DeleteBasePathMappingInput{DomainName: aws.String("api.example.com"), BasePath: aws.String("orders/v2")})
	apitest.WantError(t, err, "NotFoundException", "Invalid base path mapping identifier specified")
	_, err = c.GetBasePathMappings(ctx, &apigateway.GetBasePathMappingsInput{DomainName: aws.String("nope.example.com")})
	apitest.WantError(t, err, "NotFoundException", "Invalid domain name identifier specified")
}

// TestDomainPrivateKeyNeverStoredOrShown: after a certificate is
// uploaded, neither the database files read raw nor any answer carry the
// private key, as PEM or as its base64 DER body.
func TestDomainPrivateKeyNeverStoredOrShown(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	cert := apitest.NewCA(t).Issue(t, "api.example.com")
	created := createDomain(t, env.Client, "api.example.com", cert, types.EndpointTypeRegional)
	got, err := env.Client.GetDomainName(context.Background(), &apigateway.GetDomainNameInput{DomainName: aws.String("api.example.com")})
	if err != nil {
		t.Fatal(err)
	}
	der64 := base64.StdEncoding.EncodeToString(cert.KeyDER)
	secrets := map[string][]byte{
		"PEM key":          []byte(cert.KeyPEM),
		"base64 DER":       []byte(der64),
		"base64 DER start": []byte(der64[:40]), // as a PEM line holds it
		"raw DER":          cert.KeyDER,
	}
	answers, _ := json.Marshal([]any{created, got})
	files, err := filepath.Glob(filepath.Join(env.DataDir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	// The certificate itself is stored in the clear: finding it proves the
	// bytes read are where the domain is kept.
	certLine := []byte(strings.Split(cert.CertPEM, "\n")[1][:40])
	read, sawCert := 0, false
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // a directory
		}
		read++
		sawCert = sawCert || bytes.Contains(b, certLine)
		for what, s := range secrets {
			if bytes.Contains(b, s) {
				t.Errorf("%s holds the private key (%s)", filepath.Base(f), what)
			}
		}
	}
	if read == 0 || !sawCert {
		t.Fatalf("read %d files, none holding the stored certificate: not the database", read)
	}
	for what, s := range secrets {
		if bytes.Contains(answers, s) {
			t.Errorf("an answer holds the private key (%s)", what)
		}
	}
	if !bytes.Contains(answers, []byte("api.example.com")) {
		t.Fatal("the answers are not what was checked")
	}
}
