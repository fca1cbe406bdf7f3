package awsapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/google/go-cmp/cmp"
)

// callSDKOperations calls every operation of the AWS SDK for Go's
// apigateway client (found by reflection: every method taking a context
// and an input) with an input whose required members are set, in the order
// of their names, and hands each operation's name and error to each.
func callSDKOperations(t testing.TB, client *apigateway.Client, each func(name string, err error)) {
	t.Helper()
	cv := reflect.ValueOf(client)
	ctxType := reflect.TypeFor[context.Context]()
	errType := reflect.TypeFor[error]()
	for i := range cv.NumMethod() {
		m := cv.Type().Method(i)
		ft := m.Type // receiver first
		if ft.NumIn() != 4 || !ft.IsVariadic() || ft.In(1) != ctxType || ft.NumOut() != 2 || ft.Out(1) != errType {
			continue
		}
		in := reflect.New(ft.In(2).Elem())
		fillRequired(in.Elem(), 0)
		res := cv.Method(i).Call([]reflect.Value{reflect.ValueOf(t.Context()), in})
		err, _ := res[1].Interface().(error)
		each(m.Name, err)
	}
}

// fillRequired sets every string, []byte, string list and string map member
// of a struct (and of the structs it points to) to a placeholder, so that
// the SDK's validation of required members passes.
func fillRequired(v reflect.Value, depth int) {
	for i := range v.NumField() {
		f, sf := v.Field(i), v.Type().Field(i)
		if !sf.IsExported() {
			continue
		}
		switch t := f.Type(); {
		case t.Kind() == reflect.String:
			f.SetString("x1")
		case t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.String:
			p := reflect.New(t.Elem())
			p.Elem().SetString("x1")
			f.Set(p)
		case t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct && depth < 3:
			p := reflect.New(t.Elem())
			fillRequired(p.Elem(), depth+1)
			f.Set(p)
		case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
			f.SetBytes([]byte("x"))
		case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String:
			s := reflect.MakeSlice(t, 1, 1)
			s.Index(0).SetString("x1")
			f.Set(s)
		case t.Kind() == reflect.Map && t.Key().Kind() == reflect.String && t.Elem().Kind() == reflect.String:
			m := reflect.MakeMap(t)
			m.SetMapIndex(reflect.ValueOf("k").Convert(t.Key()), reflect.ValueOf("v").Convert(t.Elem()))
			f.Set(m)
		}
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

var errCaptured = errors.New("request captured")

// TestOperationsTableMatchesSDK sends every operation of the SDK's client
// to a transport that keeps the request, and checks that the operations
// table resolves each one to the operation of the same name: the table
// has every operation, with the SDK's method, path and mode.
func TestOperationsTableMatchesSDK(t *testing.T) {
	var sent *http.Request
	client := apigateway.New(apigateway.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String("http://127.0.0.1:9090"),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		HTTPClient: &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			sent = r
			return nil, errCaptured
		})},
		RetryMaxAttempts: 1,
	})
	h := New(Options{})
	var sdk []string
	callSDKOperations(t, client, func(name string, err error) {
		sdk = append(sdk, name)
		if !errors.Is(err, errCaptured) || sent == nil {
			t.Errorf("%s did not reach the transport: %v", name, err)
			return
		}
		r := sent
		sent = nil
		op := h.resolve(r)
		switch {
		case op == nil:
			t.Errorf("%s: %s %s?%s resolves to no operation", name, r.Method, r.URL.EscapedPath(), r.URL.RawQuery)
		case op.name != name:
			t.Errorf("%s: %s %s?%s resolves to %s", name, r.Method, r.URL.EscapedPath(), r.URL.RawQuery, op.name)
		}
	})
	if len(sdk) < 120 {
		t.Fatalf("found %d SDK operations; the reflection is broken", len(sdk))
	}
	var table []string
	for _, op := range h.operations() {
		table = append(table, op.name)
	}
	if !slices.IsSorted(table) || len(slices.Compact(slices.Clone(table))) != len(table) {
		t.Errorf("the operations table is not sorted by unique name")
	}
	if diff := cmp.Diff(sdk, table); diff != "" {
		t.Errorf("operations table and SDK client differ (-sdk +table):\n%s", diff)
	}
}

// TestOperationsDoc keeps the README's list of supported operations, the
// text between its operations markers, what the table says; with -update
// it rewrites that part of the README.
func TestOperationsDoc(t *testing.T) {
	const (
		begin = "<!-- operations: written by go test ./internal/awsapi -run TestOperationsDoc -update -->\n"
		end   = "<!-- end of operations -->\n"
	)
	got := operationsMarkdown((&Handler{}).operations())
	path := filepath.Join("..", "..", "README.md")
	readme, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i, j := bytes.Index(readme, []byte(begin)), bytes.Index(readme, []byte(end))
	if i < 0 || j < i {
		t.Fatalf("README.md has no operations section (%q … %q)", begin, end)
	}
	i += len(begin)
	if *update {
		out := append(append(append([]byte{}, readme[:i]...), got...), readme[j:]...)
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(readme[i:j], got) {
		t.Errorf("README.md's operations section is out of date (go test ./internal/awsapi -run TestOperationsDoc -update rewrites it); want:\n%s", got)
	}
}

// operationsMarkdown renders the table as a Markdown table with one row
// per resource collection: the first path segment after
// /restapis/{restApiId}, or the first one.
func operationsMarkdown(ops []operation) []byte {
	type row struct{ yes, no []string }
	rows := map[string]*row{}
	var order []string
	total := 0
	for _, op := range ops {
		rest := strings.TrimPrefix(op.path, "/restapis/{restApiId}")
		area, _, _ := strings.Cut(strings.TrimPrefix(rest, "/"), "/")
		if rest != op.path {
			area = "restapis/{restApiId}/" + area
		}
		if rest == "" {
			area = "restapis"
		}
		rw := rows[area]
		if rw == nil {
			rw = &row{}
			rows[area] = rw
			order = append(order, area)
		}
		if op.implemented() {
			rw.yes = append(rw.yes, op.name)
			total++
		} else {
			rw.no = append(rw.no, op.name)
		}
	}
	slices.Sort(order)
	var b bytes.Buffer
	fmt.Fprintf(&b, "Gatehouse implements %d of the %d operations of AWS's apigateway API (REST APIs, version 2015-07-09). "+
		"The others answer HTTP 501 with error code NotImplementedException and the message \"<Operation> is not supported by Gatehouse\".\n\n", total, len(ops))
	b.WriteString("| Path | Supported | Not supported |\n| --- | --- | --- |\n")
	for _, area := range order {
		rw := rows[area]
		fmt.Fprintf(&b, "| `/%s` | %s | %s |\n", area, strings.Join(rw.yes, ", "), strings.Join(rw.no, ", "))
	}
	return b.Bytes()
}
