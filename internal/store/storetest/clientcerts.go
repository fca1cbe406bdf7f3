package storetest

import (
	"context"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// SampleClientCertificate returns a client certificate with every field set.
func SampleClientCertificate(id string) *apigw.ClientCertificate {
	return &apigw.ClientCertificate{
		ID:                    id,
		Description:           "cert " + id,
		PEMEncodedCertificate: "-----BEGIN CERTIFICATE-----\nMIIB" + id + "\n-----END CERTIFICATE-----\n",
		SealedPrivateKey:      []byte{0, 1, 2, 0xff, 'k', 'e', 'y'},
		CreatedDate:           sampleTime,
		ExpirationDate:        sampleTime.AddDate(1, 0, 0),
		Tags:                  map[string]string{"team": "edge"},
	}
}

var clientCertCRUD = crud[apigw.ClientCertificate]{
	sample: SampleClientCertificate,
	mutate: func(c *apigw.ClientCertificate) {
		c.Description = ""
		c.Tags = map[string]string{"a": "b", "c": "d"}
	},
	create: func(ctx context.Context, tx store.Tx, c *apigw.ClientCertificate) error {
		return tx.CreateClientCertificate(ctx, c)
	},
	update: func(ctx context.Context, tx store.Tx, c *apigw.ClientCertificate) error {
		return tx.UpdateClientCertificate(ctx, c)
	},
	get: func(ctx context.Context, r store.Reader, id string) (*apigw.ClientCertificate, error) {
		return r.GetClientCertificate(ctx, id)
	},
	del: func(ctx context.Context, tx store.Tx, id string) error { return tx.DeleteClientCertificate(ctx, id) },
}

// testClientCertificateList checks creation order, pagination and the
// changes a create and a delete publish.
func testClientCertificateList(t *testing.T, s store.Store) {
	ch := subscribe(t, s)
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, id := range []string{"c3", "c1", "c2"} {
			if err := tx.CreateClientCertificate(ctx, SampleClientCertificate(id)); err != nil {
				return err
			}
		}
		return nil
	})
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteClientCertificate(ctx, "c1") })
	var first, rest []string
	view(t, s, func(ctx context.Context, r store.Reader) (err error) {
		var next string
		first, next, err = ids(r.ListClientCertificates(ctx, store.Page{Limit: 1}))(func(c *apigw.ClientCertificate) string { return c.ID })
		if err != nil {
			return err
		}
		rest, next, err = ids(r.ListClientCertificates(ctx, store.Page{Position: next}))(func(c *apigw.ClientCertificate) string { return c.ID })
		if next != "" {
			t.Errorf("second page: position %q, want none", next)
		}
		return err
	})
	diff(t, "client certificates", []string{"c3", "c2"}, append(first, rest...))
	sameChanges(t, "changes", []store.Change{
		{Kind: store.KindClientCertificate, Op: store.OpPut, ID: "c3"},
		{Kind: store.KindClientCertificate, Op: store.OpPut, ID: "c1"},
		{Kind: store.KindClientCertificate, Op: store.OpPut, ID: "c2"},
		{Kind: store.KindClientCertificate, Op: store.OpDelete, ID: "c1"},
	}, recvN(t, ch, 4))
}
