package iampolicy

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseResource: no input panics the resource policy parser; an
// accepted policy evaluates without panicking, a Deny result names a Deny
// statement and an Allow one an Allow statement.
func FuzzParseResource(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/policies/*.json")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "prod/GET/pets", "10.0.0.1", "https://a.example.com/")
	}
	f.Add([]byte(`{"Version":"1","Statement":{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}}`), "", "::1", "")
	f.Fuzz(func(t *testing.T, doc []byte, rest, ip, header string) {
		p, err := ParseResource(doc)
		if err != nil {
			if p != nil {
				t.Fatal("a policy and an error")
			}
			return
		}
		rq := &Request{ARN: []byte(arnPrefix + rest), APIPrefix: len(arnPrefix), Referer: header, UserAgent: header}
		rq.SourceIP, _ = netip.ParseAddr(ip)
		e, i := p.Evaluate(rq)
		switch e {
		case NoMatch:
			if i != -1 {
				t.Fatalf("NoMatch with statement %d", i)
			}
		case Allow, Deny:
			if p.stmts[i].effect != e {
				t.Fatalf("%v decided by a %v statement", e, p.stmts[i].effect)
			}
		}
	})
}
