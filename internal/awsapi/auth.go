package awsapi

import (
	"errors"
	"net/http"

	"github.com/gatehouse-dev/gatehouse/internal/sigv4"
)

// SigV4 returns an Authenticator that checks AWS Signature Version 4 with
// v: v.Check before the body is read, the signature over the body after.
func SigV4(v *sigv4.Verifier) Authenticator {
	return func(r *http.Request) (func([]byte) (string, error), error) {
		p, err := v.Check(r)
		if err != nil {
			return nil, sigv4Error(err)
		}
		return func(body []byte) (string, error) {
			id, err := p.Verify(r, body)
			if err != nil {
				return "", sigv4Error(err)
			}
			return id.AccessKeyID, nil
		}, nil
	}
}

// sigv4Error adapts a SigV4 refusal to an AuthError; other errors are
// internal failures and stay as they are.
func sigv4Error(err error) error {
	var se *sigv4.Error
	if errors.As(err, &se) {
		return sigv4AuthError{se}
	}
	return err
}

type sigv4AuthError struct{ e *sigv4.Error }

func (a sigv4AuthError) Error() string      { return a.e.Error() }
func (a sigv4AuthError) Unwrap() error      { return a.e }
func (a sigv4AuthError) AWSCode() string    { return a.e.Code }
func (a sigv4AuthError) AWSMessage() string { return a.e.Message }
