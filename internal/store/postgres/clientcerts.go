package postgres

import (
	"context"
	"fmt"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// GetClientCertificate implements store.Reader.
func (r reader) GetClientCertificate(ctx context.Context, id string) (*apigw.ClientCertificate, error) {
	c, err := getDoc[apigw.ClientCertificate](ctx, r.q, "SELECT doc FROM client_certificates WHERE id = $1", id)
	if err != nil {
		return nil, fmt.Errorf("postgres: get client certificate %s: %w", id, err)
	}
	return c, nil
}

// ListClientCertificates implements store.Reader.
func (r reader) ListClientCertificates(ctx context.Context, p store.Page) ([]*apigw.ClientCertificate, string, error) {
	items, next, err := list(ctx, r.q, p, scanDoc[apigw.ClientCertificate],
		"SELECT seq, doc FROM client_certificates WHERE seq > $1 ORDER BY seq LIMIT $2")
	if err != nil {
		return nil, "", fmt.Errorf("postgres: list client certificates: %w", err)
	}
	return items, next, nil
}

// CreateClientCertificate implements store.Tx.
func (t *tx) CreateClientCertificate(ctx context.Context, c *apigw.ClientCertificate) error {
	if err := t.putClientCertificate(ctx, c, true); err != nil {
		return fmt.Errorf("postgres: create client certificate %s: %w", c.ID, err)
	}
	return nil
}

// UpdateClientCertificate implements store.Tx.
func (t *tx) UpdateClientCertificate(ctx context.Context, c *apigw.ClientCertificate) error {
	if err := t.putClientCertificate(ctx, c, false); err != nil {
		return fmt.Errorf("postgres: update client certificate %s: %w", c.ID, err)
	}
	return nil
}

func (t *tx) putClientCertificate(ctx context.Context, c *apigw.ClientCertificate, create bool) error {
	doc, err := encode(c)
	if err != nil {
		return err
	}
	if create {
		err = t.insert(ctx, "INSERT INTO client_certificates (id, doc) VALUES ($1, $2) ON CONFLICT DO NOTHING", c.ID, doc)
	} else {
		err = t.update(ctx, "UPDATE client_certificates SET doc = $1 WHERE id = $2", doc, c.ID)
	}
	if err != nil {
		return err
	}
	t.record(store.KindClientCertificate, store.OpPut, "", c.ID, "")
	return nil
}

// DeleteClientCertificate implements store.Tx.
func (t *tx) DeleteClientCertificate(ctx context.Context, id string) error {
	if err := t.update(ctx, "DELETE FROM client_certificates WHERE id = $1", id); err != nil {
		return fmt.Errorf("postgres: delete client certificate %s: %w", id, err)
	}
	t.record(store.KindClientCertificate, store.OpDelete, "", id, "")
	return nil
}
