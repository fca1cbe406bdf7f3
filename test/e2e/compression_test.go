package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/gatehouse-dev/gatehouse/internal/apitest"
)

// TestMinimumCompressionSize: once the API's minimumCompressionSize is
// deployed, HTTP_PROXY answers of at least that size are gzipped for
// callers that accept gzip (whether the upstream sent a Content-Length or
// streamed), smaller ones and callers without gzip get the body as is, and
// an upstream's own encoding is left alone.
func TestMinimumCompressionSize(t *testing.T) {
	big := strings.Repeat("0123456789", 50) // 500 bytes
	var preGz bytes.Buffer
	zw := gzip.NewWriter(&preGz)
	io.WriteString(zw, big)
	zw.Close()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/big":
			io.WriteString(w, big) // Content-Length set by net/http
		case "/stream":
			for range 5 {
				io.WriteString(w, big[:100])
				w.(http.Flusher).Flush()
			}
		case "/small":
			io.WriteString(w, "tiny")
		case "/encoded":
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(preGz.Bytes())
		}
	}))
	t.Cleanup(up.Close)

	env := apitest.Start(t, apitest.Options{})
	f := newFixture(t, env, "gzip")
	for _, p := range []string{"/big", "/stream", "/small", "/encoded"} {
		f.httpProxy("GET", p, false, up.URL+p, 0)
	}
	f.deploy("prod")
	get := func(path, acceptEncoding string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", env.DataURL+"/restapis/"+f.apiID+"/prod/_user_request_"+path, nil)
		if acceptEncoding != "" {
			req.Header.Set("Accept-Encoding", acceptEncoding)
		}
		resp, err := http.DefaultTransport.RoundTrip(req) // no transparent decompression
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, b
	}
	// Unset: nothing is compressed.
	if resp, b := get("/big", "gzip"); resp.Header.Get("Content-Encoding") != "" || string(b) != big {
		t.Fatalf("before minimumCompressionSize: Content-Encoding %q, %d bytes", resp.Header.Get("Content-Encoding"), len(b))
	}

	if _, err := env.Client.UpdateRestApi(context.Background(), &apigateway.UpdateRestApiInput{RestApiId: &f.apiID, PatchOperations: []types.PatchOperation{
		{Op: types.OpReplace, Path: aws.String("/minimumCompressionSize"), Value: aws.String("100")}}}); err != nil {
		t.Fatal(err)
	}
	if resp, _ := get("/big", "gzip"); resp.Header.Get("Content-Encoding") != "" {
		t.Fatal("minimumCompressionSize took effect before a deployment")
	}
	f.deploy("prod")

	tests := []struct {
		path, accept string
		wantGzip     bool
		want         string
	}{
		{"/big", "gzip, deflate", true, big},
		{"/stream", "br;q=1.0, gzip;q=0.5", true, big},
		{"/big", "", false, big},
		{"/big", "gzip;q=0", false, big},
		{"/big", "identity", false, big},
		{"/small", "gzip", false, "tiny"},
		{"/encoded", "gzip", true, big}, // the upstream's own gzip, not gzipped twice
	}
	for _, tt := range tests {
		t.Run(tt.path+" "+tt.accept, func(t *testing.T) {
			resp, b := get(tt.path, tt.accept)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, b)
			}
			if got := resp.Header.Get("Content-Encoding") == "gzip"; got != tt.wantGzip {
				t.Fatalf("Content-Encoding %q, want gzip %v", resp.Header.Get("Content-Encoding"), tt.wantGzip)
			}
			if tt.wantGzip {
				zr, err := gzip.NewReader(bytes.NewReader(b))
				if err != nil {
					t.Fatal(err)
				}
				if b, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			}
			if string(b) != tt.want {
				t.Errorf("body %q, want %q", b, tt.want)
			}
		})
	}
}

// TestBinaryPassthroughHTTPProxy: a PNG-like body with NUL and high bytes
// goes to the upstream and comes back byte for byte.
func TestBinaryPassthroughHTTPProxy(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\xff\xfe\x00\x80")
	png = append(png, bytes.Repeat([]byte{0, 0xff, 0x7f, '\n'}, 256)...)
	var seen []byte
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen, _ = io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "image/png")
		w.Write(seen)
	}))
	t.Cleanup(up.Close)
	env := apitest.Start(t, apitest.Options{})
	f := newFixture(t, env, "binary")
	f.httpProxy("POST", "/img", false, up.URL+"/img", 0)
	if _, err := env.Client.UpdateRestApi(context.Background(), &apigateway.UpdateRestApiInput{RestApiId: &f.apiID, PatchOperations: []types.PatchOperation{
		{Op: types.OpAdd, Path: aws.String("/binaryMediaTypes/image~1png")}}}); err != nil {
		t.Fatal(err)
	}
	f.deploy("prod")
	resp, err := http.Post(env.DataURL+"/restapis/"+f.apiID+"/prod/_user_request_/img", "image/png", bytes.NewReader(png))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	back, _ := io.ReadAll(resp.Body)
	if !bytes.Equal(seen, png) {
		t.Errorf("the upstream got %d bytes, not the %d sent", len(seen), len(png))
	}
	if resp.StatusCode != 200 || !bytes.Equal(back, png) || resp.Header.Get("Content-Type") != "image/png" {
		t.Errorf("answer %d %s, %d bytes; want 200 image/png with the %d bytes sent", resp.StatusCode, resp.Header.Get("Content-Type"), len(back), len(png))
	}
}
