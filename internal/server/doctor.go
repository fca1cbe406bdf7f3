package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"unicode/utf8"

	"github.com/gatehouse-dev/gatehouse/internal/doctor"
	"github.com/gatehouse-dev/gatehouse/internal/sigv4"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// doctorMaxBody caps POST /_gatehouse/doctor's body ({"apiId": "…"}).
const doctorMaxBody = 4 << 10

// DoctorRequest is POST /_gatehouse/doctor's optional body.
type DoctorRequest struct {
	// APIID scopes the run to one REST API ("" or absent: everything).
	APIID string `json:"apiId"`
}

// signedBody authenticates an admin call as the management API does:
// everything the signature carries that needs no body is checked before
// a byte of the body is read, then the body (at most max bytes) and the
// signature over it. On a refusal it has answered w and returns false.
func (s *Server) signedBody(w http.ResponseWriter, r *http.Request, v *sigv4.Verifier, max int64) ([]byte, bool) {
	refuse := func(err error) {
		var se *sigv4.Error
		if !errors.As(err, &se) {
			s.log.Error("admin call: signature check failed", "path", r.URL.Path, "error", err)
			writeAWSError(w, "InternalServerErrorException", http.StatusInternalServerError, "Internal server error")
			return
		}
		writeAWSError(w, se.Code, se.StatusCode(), se.Message)
	}
	p, err := v.Check(r)
	if err != nil {
		refuse(err)
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		writeAWSError(w, "BadRequestException", http.StatusBadRequest,
			fmt.Sprintf("%s %s: the body could not be read (at most %d bytes): %v", r.Method, r.URL.Path, max, err))
		return nil, false
	}
	if _, err := p.Verify(r, body); err != nil {
		refuse(err)
		return nil, false
	}
	return body, true
}

// parseDoctorRequest reads POST /_gatehouse/doctor's body: empty, or one
// JSON object with at most "apiId" (a string).
func parseDoctorRequest(body []byte) (DoctorRequest, error) {
	var in DoctorRequest
	if len(bytes.TrimSpace(body)) == 0 {
		return in, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(&in)
	if err == nil && dec.More() {
		err = errors.New("more than one JSON value")
	}
	if err == nil && !utf8.ValidString(in.APIID) {
		err = errors.New("apiId is not valid UTF-8")
	}
	if err != nil {
		return DoctorRequest{}, fmt.Errorf(`body of POST /_gatehouse/doctor: %v; it takes {"apiId": "<rest api id>"} or nothing`, err)
	}
	return in, nil
}

// serveDoctor answers POST /_gatehouse/doctor: the configuration lint of
// package doctor, as {"findings": […], "counts": {…}}, over one
// consistent read of the store.
func (s *Server) serveDoctor(v *sigv4.Verifier) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, ok := s.signedBody(w, r, v, doctorMaxBody)
		if !ok {
			return
		}
		in, err := parseDoctorRequest(body)
		if err != nil {
			writeAWSError(w, "BadRequestException", http.StatusBadRequest, "Invalid "+err.Error())
			return
		}
		var rep *doctor.Report
		err = s.Store.View(r.Context(), func(rd store.Reader) error {
			var err error
			rep, err = doctor.Run(r.Context(), rd, doctor.Options{APIID: in.APIID})
			return err
		})
		switch {
		case errors.Is(err, doctor.ErrAPINotFound):
			writeAWSError(w, "NotFoundException", http.StatusNotFound,
				fmt.Sprintf("Invalid API identifier specified %s:%s", s.Control.AccountID(), in.APIID))
			return
		case err != nil:
			s.log.Error("doctor failed", "error", err)
			writeAWSError(w, "InternalServerErrorException", http.StatusInternalServerError, "Internal server error")
			return
		}
		b, err := json.Marshal(rep)
		if err != nil {
			s.log.Error("doctor: encode report", "error", err)
			writeAWSError(w, "InternalServerErrorException", http.StatusInternalServerError, "Internal server error")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	}
}
