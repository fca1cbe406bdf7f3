package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// SampleDomainName returns a custom domain name with every field set and
// two base path mappings.
func SampleDomainName(name string) *apigw.DomainName {
	return &apigw.DomainName{
		Name:                  name,
		ID:                    "d1234567890",
		CertificateName:       "cert-" + name,
		CertificateBody:       "-----BEGIN CERTIFICATE-----\nbody\n-----END CERTIFICATE-----\n",
		CertificateChain:      "-----BEGIN CERTIFICATE-----\nchain\n-----END CERTIFICATE-----\n",
		SealedPrivateKey:      []byte{0, 1, 2, 3, 0xff},
		CertificateUploadDate: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		CertificateNotAfter:   time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC),
		EndpointType:          apigw.EndpointRegional,
		SecurityPolicy:        apigw.SecurityTLS12,
		Tags:                  map[string]string{"team": "edge"},
		Mappings: []apigw.BasePathMapping{
			{BasePath: "", RestAPIID: "a1", Stage: "prod"},
			{BasePath: "orders/v2", RestAPIID: "a2", Stage: ""},
		},
		CreatedDate: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	}
}

var domainCRUD = crud[apigw.DomainName]{
	sample: SampleDomainName,
	mutate: func(d *apigw.DomainName) {
		d.Mappings = append(d.Mappings[:1], apigw.BasePathMapping{BasePath: "v1", RestAPIID: "a3", Stage: "dev"})
		d.SealedPrivateKey = []byte{9, 9}
		d.Tags = nil
	},
	create: func(ctx context.Context, tx store.Tx, d *apigw.DomainName) error { return tx.CreateDomainName(ctx, d) },
	update: func(ctx context.Context, tx store.Tx, d *apigw.DomainName) error { return tx.UpdateDomainName(ctx, d) },
	get: func(ctx context.Context, r store.Reader, name string) (*apigw.DomainName, error) {
		return r.GetDomainName(ctx, name)
	},
	del: func(ctx context.Context, tx store.Tx, name string) error { return tx.DeleteDomainName(ctx, name) },
}

// testDomainNames checks the list order, paging and the changes a domain
// name's writes publish (one KindDomainName change named by the name).
func testDomainNames(t *testing.T, s store.Store) {
	ch := subscribe(t, s)
	names := []string{"b.example.com", "a.example.com", "*.example.org"}
	for _, n := range names {
		update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateDomainName(ctx, SampleDomainName(n)) })
		c := recv(t, ch)
		diff(t, "create "+n+" published", store.Change{Revision: c.Revision, Kind: store.KindDomainName, Op: store.OpPut, ID: n}, c)
	}
	var got []string
	pos := ""
	for {
		var (
			page []string
			next string
		)
		view(t, s, func(ctx context.Context, r store.Reader) (err error) {
			page, next, err = ids(r.ListDomainNames(ctx, store.Page{Position: pos, Limit: 2}))(func(d *apigw.DomainName) string { return d.Name })
			return err
		})
		got = append(got, page...)
		if next == "" {
			break
		}
		pos = next
	}
	diff(t, "listed in creation order", names, got)

	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteDomainName(ctx, "a.example.com") })
	c := recv(t, ch)
	diff(t, "delete published", store.Change{Revision: c.Revision, Kind: store.KindDomainName, Op: store.OpDelete, ID: "a.example.com"}, c)
}
