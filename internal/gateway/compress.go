package gateway

import (
	"compress/gzip"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// The API's minimumCompressionSize (AWS): a response body of at least that
// many bytes is gzipped when the caller accepts gzip and the integration
// did not encode it already. The size is the deployment's; -1 turns it off.

var gzipWriters = sync.Pool{New: func() any { return gzip.NewWriter(nil) }}

// acceptsGzip reports whether an Accept-Encoding header admits gzip (a
// "gzip" or "*" coding without q=0).
func acceptsGzip(values []string) bool {
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			coding, params, _ := strings.Cut(part, ";")
			coding = strings.TrimSpace(coding)
			if !strings.EqualFold(coding, "gzip") && coding != "*" {
				continue
			}
			if q, ok := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q="); ok {
				if f, err := strconv.ParseFloat(q, 64); err == nil && f == 0 {
					continue
				}
			}
			return true
		}
	}
	return false
}

// compressWriter gzips what is written through it once the body is known
// to reach min bytes: from the Content-Length when there is one, else
// from the bytes written (held back until min arrive, or the answer ends
// or is flushed). A body already encoded, or without content, passes
// through unchanged.
type compressWriter struct {
	w      http.ResponseWriter
	min    int
	head   bool // a HEAD request: never a body
	status int  // pending status (0: WriteHeader not called)

	decided bool
	gz      *gzip.Writer // set when compressing
	pending []byte       // held back while undecided
}

func newCompressWriter(w http.ResponseWriter, min int, head bool) *compressWriter {
	return &compressWriter{w: w, min: min, head: head}
}

func (c *compressWriter) Header() http.Header { return c.w.Header() }

// Unwrap lets http.ResponseController reach the connection.
func (c *compressWriter) Unwrap() http.ResponseWriter { return c.w }

func (c *compressWriter) WriteHeader(code int) {
	if c.status != 0 || c.decided {
		return
	}
	c.status = code
	h := c.w.Header()
	switch {
	case code < 200 || code == http.StatusNoContent || code == http.StatusNotModified || c.head || h.Get("Content-Encoding") != "" ||
		strings.HasPrefix(h.Get("Content-Type"), "text/event-stream"):
		c.decide(false)
	case h.Get("Content-Length") != "":
		n, err := strconv.ParseInt(h.Get("Content-Length"), 10, 64)
		c.decide(err == nil && n >= int64(c.min))
	case c.min == 0:
		c.decide(true)
	}
}

// decide writes the held-back status, compressing or not.
func (c *compressWriter) decide(compress bool) {
	c.decided = true
	if compress {
		h := c.w.Header()
		h.Del("Content-Length")
		h.Set("Content-Encoding", "gzip")
		h.Add("Vary", "Accept-Encoding")
		c.gz = gzipWriters.Get().(*gzip.Writer)
		c.gz.Reset(c.w)
	}
	c.w.WriteHeader(c.status)
	if len(c.pending) > 0 {
		p := c.pending
		c.pending = nil
		c.write(p)
	}
}

func (c *compressWriter) write(p []byte) (int, error) {
	if c.gz != nil {
		return c.gz.Write(p)
	}
	return c.w.Write(p)
}

func (c *compressWriter) Write(p []byte) (int, error) {
	if c.status == 0 {
		c.WriteHeader(http.StatusOK)
	}
	if c.decided {
		return c.write(p)
	}
	c.pending = append(c.pending, p...)
	if len(c.pending) >= c.min {
		c.decide(true)
	}
	return len(p), nil
}

// Flush decides, once some of the body is held back (a body still under
// min is then not compressed), and flushes. Before any body byte it does
// nothing: the status waits for the bytes that decide it.
func (c *compressWriter) Flush() {
	if !c.decided && len(c.pending) == 0 {
		return
	}
	c.settle(false)
	if c.gz != nil {
		c.gz.Flush()
	}
	http.NewResponseController(c.w).Flush()
}

// settle decides what is still undecided from the bytes seen so far;
// final says they are the whole body.
func (c *compressWriter) settle(final bool) {
	if c.decided || c.status == 0 {
		return
	}
	if final && len(c.pending) < c.min {
		c.w.Header().Set("Content-Length", strconv.Itoa(len(c.pending)))
	}
	c.decide(len(c.pending) >= c.min)
}

// Close ends the answer: it settles a body that ended under min and
// finishes the gzip stream.
func (c *compressWriter) Close() {
	c.settle(true)
	if c.gz != nil {
		c.gz.Close()
		c.gz.Reset(nil)
		gzipWriters.Put(c.gz)
		c.gz = nil
	}
}
