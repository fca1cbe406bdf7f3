package state

import (
	"context"
	"crypto/tls"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/internal/store/storetest"
)

// TestStageClientCert: a stage's clientCertificateId gives it the opened
// certificate, opened once; a certificate's edit reloads only the APIs
// that present it; a certificate that is missing or cannot be opened
// leaves the stage without one.
func TestStageClientCert(t *testing.T) {
	db := openStore(t)
	seed(t, db)
	var opens atomic.Int32
	s := New(db, testLogger(t))
	s.SetClientCertOpener(func(c *apigw.ClientCertificate) (tls.Certificate, error) {
		opens.Add(1)
		if c.ID == "broken" {
			return tls.Certificate{}, errors.New("cannot unseal")
		}
		return tls.Certificate{Certificate: [][]byte{[]byte(c.ID)}}, nil
	})
	if err := s.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	db.Listen(func(c []store.Change) {
		if err := s.Apply(context.Background(), c); err != nil {
			t.Errorf("Apply: %v", err)
		}
	})
	setCert := func(apiID, stage, id string) {
		update(t, db, func(ctx context.Context, tx store.Tx) error {
			st, err := tx.GetStage(ctx, apiID, stage)
			if err != nil {
				return err
			}
			st.ClientCertificateID = id
			return tx.UpdateStage(ctx, st)
		})
	}
	update(t, db, func(ctx context.Context, tx store.Tx) error {
		return errors.Join(tx.CreateClientCertificate(ctx, storetest.SampleClientCertificate("c1")),
			tx.CreateClientCertificate(ctx, storetest.SampleClientCertificate("broken")))
	})
	if stageOf(s, "a1", "prod").ClientCert != nil || opens.Load() != 0 {
		t.Fatal("a stage without clientCertificateId has a certificate")
	}

	setCert("a1", "prod", "c1")
	setCert("a1", "beta", "c1")
	prod, beta := stageOf(s, "a1", "prod"), stageOf(s, "a1", "beta")
	if prod.ClientCert == nil || prod.ClientCert != beta.ClientCert {
		t.Fatalf("stages naming c1: %p and %p, want one opened certificate", prod.ClientCert, beta.ClientCert)
	}
	if n := opens.Load(); n != 1 {
		t.Errorf("c1 opened %d times, want 1", n)
	}

	a2 := s.API("a2")
	update(t, db, func(ctx context.Context, tx store.Tx) error {
		c := storetest.SampleClientCertificate("c1")
		c.Description = "renamed"
		return tx.UpdateClientCertificate(ctx, c)
	})
	if s.API("a2") != a2 {
		t.Error("a certificate edit reloaded an API that does not present it")
	}
	if stageOf(s, "a1", "prod").ClientCert == nil {
		t.Error("the stage lost its certificate after the certificate's edit")
	}

	setCert("a1", "prod", "missing")
	setCert("a1", "beta", "broken")
	if c := stageOf(s, "a1", "prod").ClientCert; c != nil {
		t.Error("a stage naming a missing certificate has one")
	}
	if c := stageOf(s, "a1", "beta").ClientCert; c != nil {
		t.Error("a stage naming a certificate that cannot be opened has one")
	}
}
