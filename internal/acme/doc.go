// Package acme obtains and renews the certificates of custom domain names
// created without one, from an ACME CA (--acme-ca, --acme-email), with
// lego. It answers the CA's challenges on the data listener: TLS-ALPN-01
// when the listener serves HTTPS (the server's TLS config asks
// ChallengeCertificate), HTTP-01 when it serves plain HTTP (the server's
// handler asks ServeChallenge first). Certificates are stored through
// control (ACMEIssued) exactly as an upload is, the private key sealed under
// the server secret: package acme keeps no key of a domain anywhere else.
//
// It owns the ACME account (a key made per process when first needed),
// the in-memory challenge answers, and the renewal loop. It must never
// import the data plane (internal/gateway), the wire layer
// (internal/awsapi), the server or a store engine.
package acme
