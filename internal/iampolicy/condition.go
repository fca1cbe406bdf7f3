package iampolicy

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"sort"
	"strings"
)

// Condition operators Gatehouse evaluates.
const (
	OpIPAddress       = "IpAddress"
	OpNotIPAddress    = "NotIpAddress"
	OpStringEquals    = "StringEquals"
	OpStringNotEquals = "StringNotEquals"
	OpStringLike      = "StringLike"
	OpStringNotLike   = "StringNotLike"
)

// Condition keys Gatehouse evaluates (IAM compares key names
// case-insensitively).
const (
	KeySourceIP  = "aws:SourceIp"
	KeyReferer   = "aws:Referer"
	KeyUserAgent = "aws:UserAgent"
)

type condKey int

const (
	keySourceIP condKey = iota
	keyReferer
	keyUserAgent
)

// condition is one operator on one key: it holds when the request's value
// matches any of the values (IpAddress, StringEquals, StringLike) or none
// of them (the Not operators, which also hold when the key is absent).
type condition struct {
	negate   bool
	like     bool
	key      condKey
	prefixes []netip.Prefix
	values   []string
}

// parseConditions reads {"Operator": {"key": value or [values]}, …}.
func parseConditions(at string, raw json.RawMessage) ([]condition, error) {
	var ops map[string]map[string]json.RawMessage
	if err := json.Unmarshal(raw, &ops); err != nil || ops == nil {
		return nil, fmt.Errorf("%s: %s is not an object of operators, each an object of condition keys", at, Preview(raw))
	}
	var out []condition
	for _, op := range sortedKeys(ops) {
		keys := ops[op]
		var c condition
		ip := false
		switch op {
		case OpIPAddress:
			ip = true
		case OpNotIPAddress:
			ip, c.negate = true, true
		case OpStringEquals:
		case OpStringNotEquals:
			c.negate = true
		case OpStringLike:
			c.like = true
		case OpStringNotLike:
			c.like, c.negate = true, true
		default:
			return nil, fmt.Errorf("%s: the operator %q is not supported by Gatehouse (supported: %s, %s on %s; %s, %s, %s, %s on %s and %s)", at, op, OpIPAddress, OpNotIPAddress, KeySourceIP, OpStringEquals, OpStringNotEquals, OpStringLike, OpStringNotLike, KeyReferer, KeyUserAgent)
		}
		if len(keys) == 0 {
			return nil, fmt.Errorf("%s.%s: has no condition key", at, op)
		}
		for _, k := range sortedKeys(keys) {
			kat := at + "." + op + "." + k
			c := c
			switch {
			case strings.EqualFold(k, KeySourceIP) && ip:
				c.key = keySourceIP
			case strings.EqualFold(k, KeyReferer) && !ip:
				c.key = keyReferer
			case strings.EqualFold(k, KeyUserAgent) && !ip:
				c.key = keyUserAgent
			case ip:
				return nil, fmt.Errorf("%s: the key %q is not supported with %s by Gatehouse (only %s)", kat, k, op, KeySourceIP)
			default:
				return nil, fmt.Errorf("%s: the key %q is not supported with %s by Gatehouse (only %s and %s)", kat, k, op, KeyReferer, KeyUserAgent)
			}
			vals, err := stringOrList(keys[k])
			if err != nil {
				return nil, fmt.Errorf("%s: %w", kat, err)
			}
			if ip {
				for _, v := range vals {
					pf, err := parseCIDR(v)
					if err != nil {
						return nil, fmt.Errorf("%s: %q is not an IP address or CIDR block (%v)", kat, v, err)
					}
					c.prefixes = append(c.prefixes, pf)
				}
			} else {
				c.values = vals
			}
			out = append(out, c)
		}
	}
	return out, nil
}

// parseCIDR reads "192.0.2.0/24", "2001:db8::/32" or a bare address (a
// single host), masked.
func parseCIDR(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// holds evaluates the condition for a request. It does not allocate.
func (c *condition) holds(rq *Request) bool {
	var hit, present bool
	switch c.key {
	case keySourceIP:
		present = rq.SourceIP.IsValid()
		if present {
			a := rq.SourceIP.Unmap()
			for _, p := range c.prefixes {
				if p.Contains(a) {
					hit = true
					break
				}
			}
		}
	default:
		v := rq.Referer
		if c.key == keyUserAgent {
			v = rq.UserAgent
		}
		present = v != ""
		if present {
			for _, w := range c.values {
				if (c.like && Match(w, v)) || (!c.like && w == v) {
					hit = true
					break
				}
			}
		}
	}
	if c.negate {
		return !hit
	}
	return present && hit
}
