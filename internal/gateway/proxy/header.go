package proxy

import (
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Canonical header names this package reads or writes.
const (
	hdrAPIKey         = "X-Api-Key"
	hdrAPIID          = "X-Amzn-Apigateway-Api-Id"
	hdrTraceID        = "X-Amzn-Trace-Id"
	hdrForwardedFor   = "X-Forwarded-For"
	hdrForwardedProto = "X-Forwarded-Proto"
	hdrForwardedPort  = "X-Forwarded-Port"
	hdrUserAgent      = "User-Agent"
	hdrConnection     = "Connection"
	hdrContentLength  = "Content-Length"

	remappedPrefix = "X-Amzn-Remapped-"
)

var (
	protoHTTP  = []string{"http"}
	protoHTTPS = []string{"https"}
	port80     = []string{"80"}
	port443    = []string{"443"}
	noValue    = []string{""}
)

// isHopByHop reports the hop-by-hop headers (RFC 9110 §7.6.1 and the
// Proxy-* family) for a canonical header name.
func isHopByHop(k string) bool {
	switch k {
	case "Connection", "Keep-Alive", "Te", "Trailer", "Transfer-Encoding", "Upgrade", "Proxy-Connection":
		return true
	}
	return strings.HasPrefix(k, "Proxy-")
}

// listedIn reports whether the Connection header values conn name k.
func listedIn(conn []string, k string) bool {
	for _, v := range conn {
		for v != "" {
			var tok string
			tok, v, _ = strings.Cut(v, ",")
			if strings.EqualFold(strings.TrimSpace(tok), k) {
				return true
			}
		}
	}
	return false
}

// stripped reports whether k is the API key header or one of extra.
func stripped(k string, extra []string) bool {
	if k == hdrAPIKey {
		return true
	}
	for _, s := range extra {
		if strings.EqualFold(s, k) {
			return true
		}
	}
	return false
}

// outboundHeader builds the upstream request's headers from the caller's
// request r and the target t. It never modifies r.Header; value slices are
// shared with it, not copied.
func (p *Proxy) outboundHeader(r *http.Request, t *Target, tls bool) http.Header {
	src := r.Header
	// The caller's headers, the five this function adds and the mapped ones.
	dst := make(http.Header, len(src)+5+len(t.Headers))
	conn := src[hdrConnection]
	for k, vv := range src {
		if isHopByHop(k) || stripped(k, t.StripHeaders) || len(conn) > 0 && listedIn(conn, k) {
			continue
		}
		dst[k] = vv
	}

	ip := t.ClientIP
	if ip == "" {
		ip = remoteIP(r.RemoteAddr)
	}
	if t.Mapped {
		ip = ""
	}
	if ip != "" {
		if prior := src[hdrForwardedFor]; len(prior) > 0 {
			dst[hdrForwardedFor] = []string{strings.Join(prior, ", ") + ", " + ip}
		} else {
			dst[hdrForwardedFor] = []string{ip}
		}
	}
	switch {
	case t.Mapped:
	case tls:
		dst[hdrForwardedProto] = protoHTTPS
		dst[hdrForwardedPort] = localPort(r, tls)
	default:
		dst[hdrForwardedProto] = protoHTTP
		dst[hdrForwardedPort] = localPort(r, tls)
	}
	if _, ok := dst[hdrUserAgent]; !ok {
		dst[hdrUserAgent] = noValue // suppresses Go's default User-Agent
	}
	if t.APIID != "" {
		dst[hdrAPIID] = []string{t.APIID}
	} else {
		delete(dst, hdrAPIID)
	}
	if _, ok := dst[hdrTraceID]; !ok {
		if id := traceID(t.RequestID, time.Now()); id != "" {
			dst[hdrTraceID] = []string{id}
		}
	}

	for k, vv := range t.Headers {
		ck := http.CanonicalHeaderKey(k)
		if isHopByHop(ck) || ck == "Host" || ck == hdrContentLength {
			continue
		}
		if stripped(ck, t.StripHeaders) && copiesCallerValue(vv, src.Values(ck)) {
			p.log.Warn("proxy: dropped an integration header mapping that would forward the caller's API key",
				"header", ck, "apiId", t.APIID, "requestId", t.RequestID)
			continue
		}
		dst[ck] = vv
	}
	return dst
}

// copiesCallerValue reports whether any of vv equals any of caller.
func copiesCallerValue(vv, caller []string) bool {
	for _, v := range vv {
		for _, c := range caller {
			if c != "" && strings.Contains(v, c) {
				return true
			}
		}
	}
	return false
}

// copyResponseHeader copies the upstream's headers to dst, dropping
// hop-by-hop headers and remapping the ones AWS reserves.
func copyResponseHeader(dst, src http.Header) {
	conn := src[hdrConnection]
	for k, vv := range src {
		switch k {
		case hdrConnection:
			dst[remappedPrefix+"Connection"] = vv
			continue
		case "Date":
			dst[remappedPrefix+"Date"] = vv
			continue
		case "Server":
			dst[remappedPrefix+"Server"] = vv
			continue
		case "X-Amzn-Requestid":
			dst[remappedPrefix+"X-Amzn-Requestid"] = vv
			continue
		case hdrContentLength:
			dst[remappedPrefix+"Content-Length"] = vv
		}
		if isHopByHop(k) || len(conn) > 0 && listedIn(conn, k) {
			continue
		}
		dst[k] = vv
	}
}

// remoteIP is the host part of a RemoteAddr ("ip:port"), or "" when it has
// none.
func remoteIP(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return ""
	}
	return host
}

// localPort is the port of the listener the caller came in on, or the
// scheme's default when the server did not record it.
func localPort(r *http.Request, tls bool) []string {
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if ta, ok := a.(*net.TCPAddr); ok && ta.Port > 0 {
			switch ta.Port {
			case 80:
				return port80
			case 443:
				return port443
			}
			return []string{strconv.Itoa(ta.Port)}
		}
	}
	if tls {
		return port443
	}
	return port80
}

// traceID makes an X-Ray style X-Amzn-Trace-Id from a request id (a UUID):
// "Root=1-<unix seconds as 8 hex>-<first 24 hex digits of the id>". It is ""
// when the id has fewer than 24 hex digits.
func traceID(requestID string, now time.Time) string {
	var hex [24]byte
	n := 0
	for i := 0; i < len(requestID) && n < len(hex); i++ {
		c := requestID[i]
		switch {
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f':
			hex[n] = c
			n++
		case 'A' <= c && c <= 'F':
			hex[n] = c + ('a' - 'A')
			n++
		case c == '-':
		default:
			return ""
		}
	}
	if n < len(hex) {
		return ""
	}
	buf := make([]byte, 0, 7+8+1+24)
	buf = append(buf, "Root=1-"...)
	var tsb [8]byte
	ts := strconv.AppendUint(tsb[:0], uint64(uint32(now.Unix())), 16)
	for range 8 - len(ts) {
		buf = append(buf, '0')
	}
	buf = append(buf, ts...)
	buf = append(buf, '-')
	buf = append(buf, hex[:]...)
	return string(buf)
}

// CopyResponseHeader copies a response's headers from an integration
// other than HTTP_PROXY (a Lambda proxy answer) to dst with the same
// rules: hop-by-hop headers dropped, the ones AWS reserves remapped to
// x-amzn-Remapped-<name>. Content-Length is only remapped: the gateway
// frames the body it sends.
func CopyResponseHeader(dst, src http.Header) {
	copyResponseHeader(dst, src)
	if _, ok := src[hdrContentLength]; ok {
		delete(dst, hdrContentLength)
	}
}
