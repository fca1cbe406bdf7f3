package gateway

import (
	"net/http"
	"net/netip"
	"strings"
)

// clientIP is the caller's address, without port, for the access log and
// $context.identity.sourceIp. It is the peer's address unless the peer is
// in trusted (Options.TrustedProxies): then X-Forwarded-For is read from
// the right (the last line's last entry first), skipping trusted proxies,
// and the first address that is not one is the client, as nginx's
// real_ip_recursive does. When every entry is trusted the left-most is
// taken; an entry that is not an address (or address:port) stops the walk
// at the hop that wrote it, so a caller can never make it anything but an
// address. It does not allocate: the result is a substring of the peer
// address or of the header.
func clientIP(r *http.Request, trusted []netip.Prefix) string {
	client := hostOnly(r.RemoteAddr)
	if len(trusted) == 0 {
		return client
	}
	if a, err := netip.ParseAddr(client); err != nil || !isTrusted(a, trusted) {
		return client
	}
	lines := r.Header["X-Forwarded-For"]
	for i := len(lines) - 1; i >= 0; i-- {
		rest := lines[i]
		for rest != "" {
			entry := rest
			if j := strings.LastIndexByte(rest, ','); j >= 0 {
				entry, rest = rest[j+1:], rest[:j]
			} else {
				rest = ""
			}
			entry = strings.TrimSpace(entry)
			if entry == "" {
				continue
			}
			host := hostOnly(entry)
			a, err := netip.ParseAddr(host)
			if err != nil {
				return client
			}
			client = host
			if !isTrusted(a, trusted) {
				return client
			}
		}
	}
	return client
}

// hostOnly strips a port and IPv6 brackets: "1.2.3.4:80" and "[::1]:80"
// give "1.2.3.4" and "::1"; a bare IPv6 address is kept whole.
func hostOnly(s string) string {
	if strings.HasPrefix(s, "[") {
		if end := strings.IndexByte(s, ']'); end > 0 {
			return s[1:end]
		}
		return s
	}
	if i := strings.LastIndexByte(s, ':'); i >= 0 && strings.IndexByte(s, ':') == i {
		return s[:i] // one colon: IPv4 or name with a port
	}
	return s
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	a = a.Unmap().WithZone("")
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
