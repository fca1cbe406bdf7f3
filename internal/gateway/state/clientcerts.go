package state

import (
	"context"
	"crypto/tls"
	"errors"
	"sync"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/gateway/proxy"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// ClientCertOpener unseals a stored client certificate's private key and
// returns the certificate ready for a TLS client.
type ClientCertOpener func(*apigw.ClientCertificate) (tls.Certificate, error)

// SetClientCertOpener sets how the state opens the client certificates
// that stages name (clientCertificateId); call it before the first Load.
// Without one, stages present no client certificate.
func (s *State) SetClientCertOpener(open ClientCertOpener) {
	s.certs.mu.Lock()
	s.certs.open = open
	s.certs.mu.Unlock()
}

// certCache keeps each opened client certificate, so that a reload does
// not parse it again nor drop its Transport's pooled connections.
type certCache struct {
	mu   sync.Mutex
	open ClientCertOpener
	byID map[string]certEntry
}

type certEntry struct {
	pem string // the certificate it was opened from
	cc  *proxy.ClientCert
}

// readClientCerts reads and opens the client certificates stages name. A
// certificate that is missing or cannot be opened is left out (and
// logged): its stage then presents none, and the backend's refusal is
// what the caller sees.
func (s *State) readClientCerts(ctx context.Context, r store.Reader, stages []*apigw.Stage) (map[string]*proxy.ClientCert, error) {
	var out map[string]*proxy.ClientCert
	s.certs.mu.Lock()
	defer s.certs.mu.Unlock()
	for _, st := range stages {
		id := st.ClientCertificateID
		if id == "" || s.certs.open == nil {
			continue
		}
		if _, done := out[id]; done {
			continue
		}
		c, err := r.GetClientCertificate(ctx, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			s.log.Error("state: a stage names a client certificate that does not exist; it presents none", "api", st.APIID, "stage", st.Name, "client_certificate", id)
			continue
		case err != nil:
			return nil, err
		}
		e, ok := s.certs.byID[id]
		if !ok || e.pem != c.PEMEncodedCertificate {
			cert, err := s.certs.open(c)
			if err != nil {
				s.log.Error("state: a stage's client certificate cannot be opened; it presents none", "api", st.APIID, "stage", st.Name, "client_certificate", id, "err", err)
				continue
			}
			e = certEntry{pem: c.PEMEncodedCertificate, cc: proxy.NewClientCert(cert)}
			if s.certs.byID == nil {
				s.certs.byID = map[string]certEntry{}
			}
			s.certs.byID[id] = e
		}
		if out == nil {
			out = map[string]*proxy.ClientCert{}
		}
		out[id] = e.cc
	}
	return out, nil
}

// attachClientCerts gives each stage of a the certificate it names.
func attachClientCerts(a *API, certs map[string]*proxy.ClientCert) *API {
	for _, st := range a.Stages {
		if st.ClientCertificateID != "" {
			st.ClientCert = certs[st.ClientCertificateID]
			if st.Canary != nil {
				st.Canary.Stage.ClientCert = st.ClientCert
			}
		}
	}
	return a
}

// certChanged forgets a changed or deleted client certificate and marks
// for reloading the APIs whose stages present it (usually none: a
// certificate in use cannot be deleted, and only its description and tags
// change), so that its change costs no full reload.
func (s *State) certChanged(id string, apis map[string]*apigw.RestAPI) {
	s.certs.mu.Lock()
	if e, ok := s.certs.byID[id]; ok {
		delete(s.certs.byID, id)
		e.cc.Close()
	}
	s.certs.mu.Unlock()
	for apiID, api := range *s.apis.Load() {
		for _, st := range api.Stages {
			if st.ClientCertificateID == id {
				apis[apiID] = nil
			}
		}
	}
}
