package gateway

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestAcceptsGzip(t *testing.T) {
	tests := []struct {
		in   []string
		want bool
	}{
		{nil, false},
		{[]string{"gzip"}, true},
		{[]string{"deflate, GZIP;q=0.8"}, true},
		{[]string{"br", "gzip"}, true},
		{[]string{"*"}, true},
		{[]string{"gzip;q=0"}, false},
		{[]string{"gzip; q=0.0"}, false},
		{[]string{"identity"}, false},
		{[]string{"x-gzip"}, false},
	}
	for _, tt := range tests {
		if got := acceptsGzip(tt.in); got != tt.want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestCompressWriter checks when the writer compresses and that what it
// writes decodes to what it was given.
func TestCompressWriter(t *testing.T) {
	body := strings.Repeat("a", 300)
	tests := []struct {
		name     string
		min      int
		head     bool
		header   map[string]string
		status   int
		writes   []string
		flushAt  int // flush after this many writes (-1: never; 0: before any)
		wantGzip bool
		wantCL   string
	}{
		{name: "Content-Length at the size", min: 300, header: map[string]string{"Content-Length": "300"}, status: 200, writes: []string{body}, flushAt: -1, wantGzip: true},
		{name: "Content-Length under the size", min: 301, header: map[string]string{"Content-Length": "300"}, status: 200, writes: []string{body}, flushAt: -1, wantCL: "300"},
		{name: "streamed past the size", min: 100, status: 200, writes: []string{body[:50], body[50:150], body[150:]}, flushAt: -1, wantGzip: true},
		{name: "streamed, ends under the size", min: 1000, status: 200, writes: []string{body[:50], body[50:]}, flushAt: -1, wantCL: "300"},
		{name: "flushed before any byte, then past the size", min: 100, status: 200, writes: []string{body}, flushAt: 0, wantGzip: true},
		{name: "flushed under the size", min: 100, status: 200, writes: []string{body[:50], body[50:]}, flushAt: 1},
		{name: "size zero", min: 0, status: 200, writes: []string{"x"}, flushAt: -1, wantGzip: true},
		{name: "already encoded", min: 0, header: map[string]string{"Content-Encoding": "br"}, status: 200, writes: []string{body}, flushAt: -1},
		{name: "event stream", min: 0, header: map[string]string{"Content-Type": "text/event-stream"}, status: 200, writes: []string{body}, flushAt: -1},
		{name: "no content", min: 0, status: 204, flushAt: -1},
		{name: "HEAD", min: 0, head: true, status: 200, flushAt: -1},
		{name: "implicit 200", min: 10, writes: []string{body}, flushAt: -1, wantGzip: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			cw := newCompressWriter(rec, tt.min, tt.head)
			for k, v := range tt.header {
				cw.Header().Set(k, v)
			}
			if tt.status != 0 {
				cw.WriteHeader(tt.status)
			}
			var sent string
			for i, w := range tt.writes {
				if tt.flushAt == i {
					cw.Flush()
				}
				cw.Write([]byte(w))
				sent += w
			}
			cw.Close()
			res := rec.Result()
			if got := res.Header.Get("Content-Encoding") == "gzip"; got != tt.wantGzip {
				t.Fatalf("Content-Encoding %q, want gzip %v", res.Header.Get("Content-Encoding"), tt.wantGzip)
			}
			got := rec.Body.Bytes()
			if tt.wantGzip {
				if res.Header.Get("Content-Length") != "" || res.Header.Get("Vary") != "Accept-Encoding" {
					t.Errorf("gzipped with Content-Length %q, Vary %q", res.Header.Get("Content-Length"), res.Header.Get("Vary"))
				}
				zr, err := gzip.NewReader(bytes.NewReader(got))
				if err != nil {
					t.Fatal(err)
				}
				if got, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			} else if cl := res.Header.Get("Content-Length"); cl != tt.wantCL {
				t.Errorf("Content-Length %q, want %q", cl, tt.wantCL)
			}
			if string(got) != sent {
				t.Errorf("body %q, want %q", got, sent)
			}
			if want := max(tt.status, http.StatusOK); res.StatusCode != want && len(tt.writes) > 0 {
				t.Errorf("status %d, want %d", res.StatusCode, want)
			}
		})
	}
}
