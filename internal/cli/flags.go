package cli

import (
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/acme"
	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/gateway"
	"github.com/gatehouse-dev/gatehouse/internal/lambda"
	"github.com/gatehouse-dev/gatehouse/internal/memlock"
	"github.com/gatehouse-dev/gatehouse/internal/server"
	"github.com/gatehouse-dev/gatehouse/internal/store/storeurl"
)

// maxGCFloorMiB is --gc-heap-floor-mib's largest value: 1 TiB, beyond any
// sensible floor and far from overflow.
const maxGCFloorMiB = 1 << 20

// maxDecisions is --decisions-max's largest value: 10 million decisions,
// 7.2 GiB of decision log at most.
const maxDecisions = 10_000_000

// validate is serve's one check of its flags, before anything starts:
// every problem is reported at once, each naming the flag, its value and
// the rule. Rules that belong to a domain come from it (throttles from
// apigw, store URLs from storeurl, memory lock modes from memlock). It
// also puts the paired TLS flags into f.cfg.
func (f *serveFlags) validate() (level slog.Level, lockMode memlock.Mode, err error) {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		bad("--log-level %q: must be one of debug, info, warn, error", f.logLevel)
	}
	lockMode, err = memlock.ParseMode(f.lockMemory)
	if err != nil {
		bad("--lock-memory %q: must be one of %s, %s, %s", f.lockMemory, memlock.Auto, memlock.Required, memlock.Off)
	}
	for _, a := range []struct{ flag, addr string }{{"--listen", f.cfg.Listen}, {"--admin-listen", f.cfg.AdminListen}} {
		if err := checkListenAddr(a.addr); err != nil {
			bad("%s %q: %w", a.flag, a.addr, err)
		}
	}
	if f.cfg.Store != "" {
		if _, err := storeurl.Parse(f.cfg.Store); err != nil {
			bad("--store %w", err)
		}
	}
	if err := checkCountersURL(f.cfg.Counters); err != nil {
		bad("--counters %q: %w", redactUserinfo(f.cfg.Counters), err)
	}
	if p := f.cfg.CountersPrefix; p == "" || len(p) > 128 || strings.ContainsAny(p, " \t\r\n") {
		bad("--counters-prefix %q: must be 1 to 128 characters without whitespace", p)
	}
	// The account throttle is a throttle (apigw's rule) that must admit
	// something: rate above 0 and burst at least 1; rate -1 turns it off.
	if r := f.cfg.AccountThrottle.RateLimit; r != -1 && (apigw.ValidateRateLimit(r) != nil || r == 0) {
		bad("--account-rate %v: must be a finite number greater than 0, or -1 for no account limit", r)
	}
	if b := f.cfg.AccountThrottle.BurstLimit; apigw.ValidateBurstLimit(b) != nil || b < 1 {
		bad("--account-burst %d: must be between 1 and %d", b, apigw.MaxInteger)
	}
	if n := f.cfg.DecisionsMax; n < gateway.DecisionsMinKeep || n > maxDecisions {
		bad("--decisions-max %d: must be between %d and %d", n, gateway.DecisionsMinKeep, maxDecisions)
	}
	if f.gcFloorMiB > maxGCFloorMiB {
		bad("--gc-heap-floor-mib %d: must be at most %d (1 TiB)", f.gcFloorMiB, maxGCFloorMiB)
	}
	for _, v := range f.trustedProxies {
		p, err := parseProxy(v)
		if err != nil {
			bad("--trusted-proxies %q: %w", v, err)
			continue
		}
		f.cfg.TrustedProxies = append(f.cfg.TrustedProxies, p)
	}
	if f.cfg.LambdaEndpoint != "" {
		if _, err := lambda.CheckEndpoint(f.cfg.LambdaEndpoint); err != nil {
			bad("--lambda-endpoint %w", err)
		}
	}
	if f.cfg.LambdaTimeout < 0 || f.cfg.LambdaTimeout > 15*time.Minute {
		bad("--lambda-timeout %s: must be between 0 (the default, %s) and 15m (Lambda's longest run)", f.cfg.LambdaTimeout, lambda.DefaultMaxTimeout)
	}
	if f.upstreamCAFile != "" {
		pool, err := upstreamRoots(f.upstreamCAFile)
		if err != nil {
			bad("--upstream-ca-file %q: %w", f.upstreamCAFile, err)
		}
		f.cfg.UpstreamRootCAs = pool
	}
	if f.acmeEmail != "" {
		if !strings.Contains(f.acmeEmail, "@") {
			bad("--acme-email %q: must be an email address (the ACME account's contact)", f.acmeEmail)
		}
		if u, err := url.Parse(f.acmeCA); err != nil || u.Scheme != "https" || u.Host == "" {
			bad("--acme-ca %q: must be the https:// URL of an ACME directory", f.acmeCA)
		}
		f.cfg.ACME = &server.ACMEConfig{Email: f.acmeEmail, Directory: f.acmeCA, RootsFile: f.acmeCARoot}
	} else if f.acmeCARoot != "" || f.acmeCA != acme.DefaultDirectory {
		bad("--acme-ca %q / --acme-ca-root %q: need --acme-email (ACME is off without it)", f.acmeCA, f.acmeCARoot)
	}
	f.cfg.TLS = tlsFiles(f.tlsCert, f.tlsKey, "--tls-cert", "--tls-key", bad)
	f.cfg.AdminTLS = tlsFiles(f.adminTLSCert, f.adminTLSKey, "--admin-tls-cert", "--admin-tls-key", bad)
	return level, lockMode, errors.Join(errs...)
}

// parseProxy reads a --trusted-proxies entry: a CIDR prefix without host
// bits, or an address (a prefix of one address).
func parseProxy(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, errors.New("must be an IP address or a CIDR prefix, as 10.0.0.0/8 or 2001:db8::/32")
		}
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, errors.New("must be an IP address or a CIDR prefix, as 10.0.0.0/8 or 2001:db8::/32")
	}
	if m := p.Masked(); m != p {
		return netip.Prefix{}, fmt.Errorf("has bits set after the prefix length; the prefix is %s", m)
	}
	return p, nil
}

// tlsFiles pairs a certificate flag with its key flag: both or neither.
// The files are read by server.New, which names the flags when they do
// not load.
func tlsFiles(cert, key, certFlag, keyFlag string, bad func(string, ...any)) *server.TLSFiles {
	switch {
	case cert == "" && key == "":
		return nil
	case cert == "":
		bad("%s %q: needs %s (the certificate)", keyFlag, key, certFlag)
		return nil
	case key == "":
		bad("%s %q: needs %s (its private key)", certFlag, cert, keyFlag)
		return nil
	}
	return &server.TLSFiles{CertFile: cert, KeyFile: key, Flags: certFlag + "/" + keyFlag}
}

// checkListenAddr checks a listen address: HOST:PORT with a numeric port
// and a host that is empty (every interface), an IP address or a host name.
func checkListenAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return errors.New(`must be HOST:PORT, as ":8080", "127.0.0.1:8080" or "[::1]:8080"`)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || port == "" || port[0] == '+' || n > 65535 {
		return fmt.Errorf("port %q must be a number from 0 to 65535", port)
	}
	if host == "" {
		return nil
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return nil
	}
	if !isHostName(host) {
		return fmt.Errorf("host %q must be empty, an IP address or a host name", host)
	}
	return nil
}

// isHostName reports whether s is a DNS host name: dot-separated labels
// of letters, digits and inner hyphens, each 1 to 63 characters.
func isHostName(s string) bool {
	if len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(strings.TrimSuffix(s, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range []byte(label) {
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// checkCountersURL accepts the counters engines counters.Open knows:
// "" or memory:// (this process), redis://HOST[:PORT][/DB] and rediss://.
func checkCountersURL(raw string) error {
	if raw == "" || raw == "memory://" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("not a URL")
	}
	switch u.Scheme {
	case "redis", "rediss":
	default:
		return errors.New("must be memory://, redis://HOST:PORT[/DB] or rediss://HOST:PORT[/DB]")
	}
	if u.Host == "" {
		return fmt.Errorf("%s:// URL needs a host", u.Scheme)
	}
	if db := strings.TrimPrefix(u.Path, "/"); db != "" {
		if n, err := strconv.Atoi(db); err != nil || n < 0 {
			return fmt.Errorf("the database %q must be a number of 0 or more", db)
		}
	}
	return nil
}

// redactUserinfo hides a URL's password in a message.
func redactUserinfo(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		u.User = url.User("xxxxx")
		return u.String()
	}
	return raw
}

// upstreamRoots returns the system's roots plus the CA certificates of a
// PEM file.
func upstreamRoots(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(b) {
		return nil, errors.New("holds no PEM certificate")
	}
	return pool, nil
}
