package apigw

import "time"

// ClientCertificate is a certificate Gatehouse generated for stages to
// present to their HTTP and HTTP_PROXY backends (GenerateClientCertificate).
// The private key is kept only sealed under the server secret; the
// management API never returns it.
type ClientCertificate struct {
	ID                    string
	Description           string
	PEMEncodedCertificate string
	// SealedPrivateKey is the PEM private key, encrypted with an AEAD
	// under the server secret and bound to the id (see
	// ClientCertificateSealID).
	SealedPrivateKey []byte
	CreatedDate      time.Time
	ExpirationDate   time.Time
	Tags             map[string]string
}

// ClientCertificateSealID is what a client certificate's private key is
// sealed for: its id, in a namespace of its own so that a sealed key can
// never be opened as an API key value of the same id.
func ClientCertificateSealID(id string) string { return "clientcertificate/" + id }
