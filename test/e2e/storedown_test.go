package e2e

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/smithy-go"

	"github.com/gatehouse-dev/gatehouse/internal/apitest"
	"github.com/gatehouse-dev/gatehouse/internal/store/postgres/pgtest"
)

// tcpProxy forwards loopback connections to a target; cut closes its
// listener and every connection through it (the target becomes
// unreachable: new connections are refused), mend listens again on the
// same address.
type tcpProxy struct {
	t      *testing.T
	addr   string
	target string
	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]bool
}

func newTCPProxy(t *testing.T, target string) *tcpProxy {
	p := &tcpProxy{t: t, target: target, conns: map[net.Conn]bool{}}
	p.listen("127.0.0.1:0")
	t.Cleanup(p.cut)
	return p
}

func (p *tcpProxy) listen(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		p.t.Fatalf("proxy listen %s: %v", addr, err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			if p.ln != ln { // cut meanwhile
				p.mu.Unlock()
				c.Close()
				up.Close()
				return
			}
			p.conns[c], p.conns[up] = true, true
			p.mu.Unlock()
			go func() { io.Copy(up, c); up.Close(); c.Close() }()
			go func() { io.Copy(c, up); up.Close(); c.Close() }()
		}
	}()
}

func (p *tcpProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

func (p *tcpProxy) mend() { p.listen(p.addr) }

// TestManagementWhilePostgresIsDown: with its PostgreSQL unreachable, a
// node answers management calls with 503 ServiceUnavailableException
// naming the store, keeps serving its last state on the data plane, and
// reports not ready on /readyz; once PostgreSQL is back, all three
// recover.
func TestManagementWhilePostgresIsDown(t *testing.T) {
	db := pgtest.Database(t)
	u, err := url.Parse(db)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newTCPProxy(t, u.Host)
	u.Host = proxy.addr
	env := apitest.Start(t, apitest.Options{Store: u.String()})
	ctx := context.Background()
	f := newFixture(t, env, "StoreDown")
	f.mock("GET", "/pets", true, 200, `{"pets":[]}`)
	f.deploy("api")
	keyID, value := f.key("client", true)
	f.plan("api", nil, nil, keyID)
	hdr := map[string]string{"x-api-key": value}
	wantAnswer(t, env, f.call("GET", "api", "/pets", hdr), 200, `{"pets":[]}`, "OK")
	readyz := func() int { code, _ := getURL(t, env.AdminURL+"/readyz"); return code }
	// Ready before the cut: a node just started may still be opening its
	// feed connection, or (on a loaded machine) take longer than the probe's
	// 2 s to commit, so this waits for 200 rather than asking once.
	within(t, time.Now(), 15*time.Second, func() bool { return readyz() == http.StatusOK })

	proxy.cut()
	once := func(o *apigateway.Options) { o.RetryMaxAttempts = 1 }
	for _, call := range []struct {
		name string
		run  func() error
	}{
		{"GetApiKey", func() error {
			_, err := env.Client.GetApiKey(ctx, &apigateway.GetApiKeyInput{ApiKey: &keyID}, once)
			return err
		}},
		{"CreateApiKey", func() error {
			_, err := env.Client.CreateApiKey(ctx, &apigateway.CreateApiKeyInput{Name: aws.String("while down")}, once)
			return err
		}},
	} {
		err := call.run()
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "ServiceUnavailableException" ||
			!strings.Contains(ae.ErrorMessage(), "PostgreSQL at "+proxy.addr) {
			t.Fatalf("%s with PostgreSQL unreachable: %v, want ServiceUnavailableException naming PostgreSQL at %s", call.name, err, proxy.addr)
		}
		var re interface{ HTTPStatusCode() int }
		if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusServiceUnavailable {
			t.Fatalf("%s: status of %v, want 503", call.name, err)
		}
		t.Logf("%s with PostgreSQL unreachable: %s: %s", call.name, ae.ErrorCode(), ae.ErrorMessage())
	}
	// The data plane serves its last state.
	for range 3 {
		wantAnswer(t, env, f.call("GET", "api", "/pets", hdr), 200, `{"pets":[]}`, "OK")
	}
	// /readyz reuses a probe for a second.
	within(t, time.Now(), 3*time.Second, func() bool { return readyz() == http.StatusServiceUnavailable })

	mended := time.Now()
	proxy.mend()
	took := within(t, mended, 15*time.Second, func() bool { return readyz() == http.StatusOK })
	t.Logf("/readyz answered 200 %v after PostgreSQL was reachable again", took)
	k, err := env.Client.CreateApiKey(ctx, &apigateway.CreateApiKeyInput{Name: aws.String("after"), Enabled: true})
	if err != nil {
		t.Fatalf("CreateApiKey once PostgreSQL is back: %v", err)
	}
	if _, err := env.Client.CreateUsagePlanKey(ctx, &apigateway.CreateUsagePlanKeyInput{UsagePlanId: aws.String(planOf(t, env, keyID)), KeyId: k.Id, KeyType: aws.String("API_KEY")}); err != nil {
		t.Fatal(err)
	}
	wantAnswer(t, env, f.call("GET", "api", "/pets", map[string]string{"x-api-key": aws.ToString(k.Value)}), 200, `{"pets":[]}`, "OK")
}

// planOf returns the id of the one usage plan keyID is in.
func planOf(t *testing.T, env *apitest.Env, keyID string) string {
	t.Helper()
	out, err := env.Client.GetUsagePlans(context.Background(), &apigateway.GetUsagePlansInput{KeyId: &keyID})
	if err != nil || len(out.Items) != 1 {
		t.Fatalf("GetUsagePlans of key %s: %v %v", keyID, out, err)
	}
	return aws.ToString(out.Items[0].Id)
}
