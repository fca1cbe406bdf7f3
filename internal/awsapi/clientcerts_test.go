package awsapi_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/gatehouse-dev/gatehouse/internal/apitest"
	"github.com/google/go-cmp/cmp"
)

// TestClientCertificates drives the client certificate operations over
// the SDK: generate (a PEM certificate, no key), list with pages, update
// the description, tag, refuse bad input and unknown ids.
func TestClientCertificates(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	c, ctx := env.Client, context.Background()
	var ids []string
	for _, d := range []string{"one", "two", "three"} {
		out, err := c.GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{Description: aws.String(d)})
		if err != nil {
			t.Fatal(err)
		}
		pemText := aws.ToString(out.PemEncodedCertificate)
		if !strings.HasPrefix(pemText, "-----BEGIN CERTIFICATE-----\n") || strings.Contains(pemText, "PRIVATE") {
			t.Errorf("pemEncodedCertificate = %q", pemText)
		}
		if len(out.Tags) != 0 || aws.ToString(out.Description) != d {
			t.Errorf("generated %+v", out)
		}
		ids = append(ids, aws.ToString(out.ClientCertificateId))
	}
	first, err := c.GetClientCertificates(ctx, &apigateway.GetClientCertificatesInput{Limit: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	rest, err := c.GetClientCertificates(ctx, &apigateway.GetClientCertificatesInput{Position: first.Position})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range append(first.Items, rest.Items...) {
		got = append(got, aws.ToString(it.ClientCertificateId))
	}
	if diff := cmp.Diff(ids, got); diff != "" || rest.Position != nil {
		t.Errorf("listed (-want +got):\n%s (last position %v)", diff, rest.Position)
	}

	upd, err := c.UpdateClientCertificate(ctx, &apigateway.UpdateClientCertificateInput{ClientCertificateId: &ids[0],
		PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/description"), Value: aws.String("renamed")}}})
	if err != nil || aws.ToString(upd.Description) != "renamed" {
		t.Fatalf("UpdateClientCertificate = %+v, %v", upd, err)
	}

	tests := []struct {
		name      string
		call      func() error
		code, msg string
	}{
		{"get unknown", func() error {
			_, err := c.GetClientCertificate(ctx, &apigateway.GetClientCertificateInput{ClientCertificateId: aws.String("nosuch")})
			return err
		}, "NotFoundException", "Invalid Client Certificate identifier specified"},
		{"update unknown", func() error {
			_, err := c.UpdateClientCertificate(ctx, &apigateway.UpdateClientCertificateInput{ClientCertificateId: aws.String("nosuch"),
				PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/description"), Value: aws.String("x")}}})
			return err
		}, "NotFoundException", "Invalid Client Certificate identifier specified"},
		{"delete unknown", func() error {
			_, err := c.DeleteClientCertificate(ctx, &apigateway.DeleteClientCertificateInput{ClientCertificateId: aws.String("nosuch")})
			return err
		}, "NotFoundException", "Invalid Client Certificate identifier specified"},
		{"update the certificate", func() error {
			_, err := c.UpdateClientCertificate(ctx, &apigateway.UpdateClientCertificateInput{ClientCertificateId: &ids[0],
				PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/pemEncodedCertificate"), Value: aws.String("x")}}})
			return err
		}, "BadRequestException", ""},
		{"a gatehouse tag", func() error {
			_, err := c.GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{Tags: map[string]string{"gatehouse:reasonHeader": "true"}})
			return err
		}, "BadRequestException", `Invalid tag "gatehouse:reasonHeader" here: it can be set on a stage only`},
		{"tags of an unknown certificate", func() error {
			_, err := c.GetTags(ctx, &apigateway.GetTagsInput{ResourceArn: aws.String("arn:aws:apigateway:us-east-1::/clientcertificates/nosuch")})
			return err
		}, "NotFoundException", "Invalid Client Certificate identifier specified"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if tt.msg == "" {
				if apitest.ErrorCode(err) != tt.code {
					t.Fatalf("error %v, want %s", err, tt.code)
				}
				return
			}
			apitest.WantError(t, err, tt.code, tt.msg)
		})
	}

	if _, err := c.DeleteClientCertificate(ctx, &apigateway.DeleteClientCertificateInput{ClientCertificateId: &ids[1]}); err != nil {
		t.Fatal(err)
	}
	all, err := c.GetClientCertificates(ctx, &apigateway.GetClientCertificatesInput{})
	if err != nil || len(all.Items) != 2 {
		t.Fatalf("after delete: %d items, %v", len(all.Items), err)
	}
}
