package gateway

import (
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

var linePool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// logAccess writes the request's access log line (one JSON object, the
// shape slog's JSON handler writes) and updates the metrics. It names the
// key by id only; the presented value is never logged. The line is built
// by hand into a pooled buffer: this runs on every request.
func (g *Gateway) logAccess(rq *request) {
	end := time.Now()
	latency := end.Sub(rq.start)
	reason := ReasonOK
	var detail string
	if rq.decision != nil {
		reason, detail = rq.decision.Reason, rq.decision.Detail
	}
	if g.metrics != nil {
		g.metrics.observe(g, rq, reason, latency)
	}
	if g.access == nil {
		return
	}
	if rq.decision != nil {
		detail = corsLogDetail(rq, detail)
	}
	bp := linePool.Get().(*[]byte)
	b := (*bp)[:0]
	b = append(b, `{"time":"`...)
	b = appendTime(b, end)
	b = append(b, `","level":"INFO","msg":"access","requestId":"`...)
	b = append(b, rq.requestID[:]...)
	b = append(b, `","ip":`...)
	b = appendJSONString(b, clientIP(rq.r, rq.trusted))
	b = append(b, `,"method":`...)
	b = appendJSONString(b, rq.r.Method)
	b = append(b, `,"path":`...)
	b = appendJSONString(b, rq.escapedPath())
	b = append(b, `,"apiId":`...)
	b = appendJSONString(b, rq.target.apiID)
	b = append(b, `,"stage":`...)
	b = appendJSONString(b, rq.target.stage)
	if st := rq.stage; st != nil {
		// Which deployment served: with a canary release, the canary's
		// or the stage's own.
		b = append(b, `,"deploymentId":`...)
		b = appendJSONString(b, st.DeploymentID)
		if st.IsCanary {
			b = append(b, `,"canary":true`...)
		}
	}
	b = append(b, `,"resourcePath":`...)
	if rq.match.Resource != nil {
		b = appendJSONString(b, rq.match.Resource.Path)
	} else {
		b = append(b, `""`...)
	}
	b = appendOrigin(b, rq)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(rq.status), 10)
	b = append(b, `,"apiKeyId":`...)
	if rq.key != nil {
		b = appendJSONString(b, rq.key.ID)
	} else {
		b = append(b, `""`...)
	}
	if src := keySourceOf(rq); src != keyFromNone {
		b = append(b, `,"keySource":"`...)
		b = append(b, keyFromNames[src]...)
		b = append(b, '"')
		if src == keyFromQuery {
			// Keys in URLs reach proxy and server logs: every use is
			// marked, so the operator can follow the client's move.
			b = append(b, `,"deprecated":"`+string(ReasonKeyInQuery)+`"`...)
		}
	}
	if rq.countersFallback {
		b = append(b, `,"countersFallback":true`...)
	}
	b = append(b, `,"reason":"`...)
	b = append(b, reason...)
	b = append(b, `","latencyMs":`...)
	b = appendMillis(b, latency.Microseconds())
	b = append(b, `,"integrationLatencyMs":`...)
	b = appendMillis(b, rq.integrationLatency.Microseconds())
	if detail != "" {
		b = append(b, `,"step":`...)
		b = appendJSONString(b, rq.step)
		b = append(b, `,"detail":`...)
		b = appendJSONString(b, detail)
	}
	b = append(b, "}\n"...)
	g.access.Write(b)
	*bp = b
	linePool.Put(bp)
}

// appendMillis appends us microseconds as milliseconds, as
// strconv.AppendFloat(float64(us)/1000, 'f', -1, 64) does ("12", "1.5",
// "0.042"), without floating point.
func appendMillis(b []byte, us int64) []byte {
	if us < 0 {
		return strconv.AppendFloat(b, float64(us)/1000, 'f', -1, 64)
	}
	b = strconv.AppendInt(b, us/1000, 10)
	frac := us % 1000
	if frac == 0 {
		return b
	}
	d := [4]byte{'.', byte('0' + frac/100), byte('0' + frac/10%10), byte('0' + frac%10)}
	n := 4
	for d[n-1] == '0' {
		n--
	}
	return append(b, d[:n]...)
}

// appendTime appends t in UTC as time.RFC3339Nano formats it (trailing
// zeros of the fraction dropped), several times faster than AppendFormat.
// Years outside 0000-9999 take the general path.
func appendTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, time.RFC3339Nano)
	}
	hour, minute, sec := t.Clock()
	b = append(b, byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-',
		byte('0'+month/10), byte('0'+month%10), '-', byte('0'+day/10), byte('0'+day%10), 'T',
		byte('0'+hour/10), byte('0'+hour%10), ':', byte('0'+minute/10), byte('0'+minute%10), ':',
		byte('0'+sec/10), byte('0'+sec%10))
	if ns := t.Nanosecond(); ns != 0 {
		var frac [10]byte
		frac[0] = '.'
		for i := 9; i >= 1; i-- {
			frac[i] = byte('0' + ns%10)
			ns /= 10
		}
		n := 10
		for frac[n-1] == '0' {
			n--
		}
		b = append(b, frac[:n]...)
	}
	return append(b, 'Z')
}

// appendJSONString appends s as a JSON string: quotes, backslashes and
// control characters escaped, invalid UTF-8 replaced by U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
