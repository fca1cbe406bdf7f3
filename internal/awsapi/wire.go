package awsapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gatehouse-dev/gatehouse/internal/control"
	"github.com/gatehouse-dev/gatehouse/internal/patch"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// epoch is a timestamp on the wire: whole seconds since the Unix epoch, as
// a JSON number (the SDKs reject ISO strings here).
type epoch time.Time

// MarshalJSON implements json.Marshaler.
func (e epoch) MarshalJSON() ([]byte, error) {
	return strconv.AppendInt(nil, time.Time(e).Unix(), 10), nil
}

// UnmarshalJSON implements json.Unmarshaler (seconds, possibly fractional).
func (e *epoch) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("timestamp %s: want epoch seconds", b)
	}
	*e = epoch(time.Unix(int64(f), 0).UTC())
	return nil
}

// ts converts a domain time to the wire form (nil for the zero time).
func ts(t time.Time) *epoch {
	if t.IsZero() {
		return nil
	}
	e := epoch(t)
	return &e
}

// list is AWS's paginated list wrapper: {"item": [...], "position": "..."}.
type list[T any] struct {
	Position string `json:"position,omitempty"`
	Items    []T    `json:"item"`
}

// newList returns a list that encodes an empty slice as [] (never null).
func newList[T any](items []T, position string) list[T] {
	if items == nil {
		items = []T{}
	}
	return list[T]{Position: position, Items: items}
}

// decode reads the request body (already read by ServeHTTP) into v. A body
// of nothing but JSON white space leaves v unchanged. Anything but one JSON
// value in valid UTF-8 (trailing data, a second value, invalid UTF-8) and
// type mismatches answer SerializationException, as AWS does.
func decode(r *http.Request, v any) error {
	return decodeJSON(requestBody(r), v)
}

// decodeJSON is decode on a body.
func decodeJSON(body []byte, v any) error {
	if len(bytes.Trim(body, jsonSpace)) == 0 {
		return nil
	}
	if !utf8.Valid(body) {
		return &control.Error{Kind: control.KindSerialization,
			Message: fmt.Sprintf("Could not parse request body into json: invalid UTF-8 at byte %d", invalidUTF8At(body))}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return &control.Error{Kind: control.KindSerialization,
				Message: fmt.Sprintf("Unable to parse field %q: expected %s, got JSON %s", te.Field, te.Type, te.Value), Err: err}
		}
		return &control.Error{Kind: control.KindSerialization, Message: "Could not parse request body into json: " + err.Error(), Err: err}
	}
	if end := dec.InputOffset(); len(bytes.Trim(body[end:], jsonSpace)) != 0 {
		return &control.Error{Kind: control.KindSerialization,
			Message: fmt.Sprintf("Could not parse request body into json: unexpected data after the JSON value at byte %d", end+int64(len(body[end:])-len(bytes.TrimLeft(body[end:], jsonSpace))))}
	}
	return nil
}

// jsonSpace is the white space JSON allows around a value.
const jsonSpace = " \t\r\n"

// invalidUTF8At returns the offset of the first invalid UTF-8 byte of b.
func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// respond writes v as JSON with the given status.
func respond(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, err = w.Write(b)
	return err
}

// respondEmpty writes a status with no body (202 and 204 deletes).
func respondEmpty(w http.ResponseWriter, status int) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	return nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// page reads the position and limit query parameters. AWS answered
// limit=-1 with a normal page, so out-of-range limits are normalised, not
// refused; a non-number is refused naming the value.
func page(r *http.Request) (store.Page, error) {
	q := r.URL.Query()
	p := store.Page{Position: q.Get("position")}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return p, control.BadRequestf("Invalid limit %q: must be an integer", s)
		}
		p.Limit = n
	}
	return p, nil
}

// queryBool reads a boolean query parameter ("true", case-insensitive).
func queryBool(r *http.Request, name string) bool {
	return strings.EqualFold(r.URL.Query().Get(name), "true")
}

// patchRequest is the body of every PATCH operation.
type patchRequest struct {
	PatchOperations []patchOp `json:"patchOperations"`
}

type patchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value string `json:"value"`
	From  string `json:"from"`
}

// decodePatch reads patchOperations and checks each op name against AWS's
// enum; inputName is AWS's input shape name, e.g. "updateApiKeyInput".
func decodePatch(r *http.Request, inputName string) ([]patch.Op, error) {
	var req patchRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	ops := make([]patch.Op, len(req.PatchOperations))
	for i, o := range req.PatchOperations {
		ops[i] = patch.Op{Op: o.Op, Path: o.Path, Value: o.Value, From: o.From}
	}
	if err := patch.ValidateOps(ops, inputName); err != nil {
		return nil, control.FromPatch(err)
	}
	return ops, nil
}

// emptyMap returns m, or an empty map when m is nil, for fields AWS always
// sends as {} (tags on Get/Update, methodSettings).
func emptyMap[V any](m map[string]V) map[string]V {
	if m == nil {
		return map[string]V{}
	}
	return m
}

// nilIfEmpty returns nil for an empty map so that omitempty drops it.
func nilIfEmpty[V any](m map[string]V) map[string]V {
	if len(m) == 0 {
		return nil
	}
	return m
}
