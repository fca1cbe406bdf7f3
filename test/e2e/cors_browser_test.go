package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/chromedp/chromedp"

	"github.com/gatehouse-dev/gatehouse/internal/apitest"
)

// chromiumPath is Debian's chromium, which .ci/run installs.
const chromiumPath = "/usr/bin/chromium"

// browser starts headless Chromium for the test (flags for this machine's
// closed network, an empty profile) and returns a tab that has opened
// pageURL.
func browser(t *testing.T, pageURL string) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chromium is missing (%v): .ci/run installs it with apt-get install chromium", err)
		}
		t.Skipf("chromium is not installed at %s (apt-get install chromium); CI runs this test", chromiumPath)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	tab, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(cancelTab)
	if err := chromedp.Do(tab, chromedp.Navigate(pageURL)); err != nil {
		t.Fatalf("opening the page in chromium: %v", err)
	}
	return tab
}

// fetched is what a page's fetch() gave: the status and body, or the
// error it threw (a TypeError when the browser hides the answer).
type fetched struct {
	Status int    `json:"status"`
	Body   string `json:"body"`
	Error  string `json:"error"`
}

// pageFetch runs fetch(url, {headers}) in the page and reads the result back.
func pageFetch(t *testing.T, tab context.Context, url string, headers map[string]string) fetched {
	t.Helper()
	u, _ := json.Marshal(url)
	h, _ := json.Marshal(headers)
	js := fmt.Sprintf(`(async () => {
		try {
			const r = await fetch(%s, {headers: %s, cache: "no-store"});
			return {status: r.status, body: await r.text(), error: ""};
		} catch (e) {
			return {status: 0, body: "", error: String(e)};
		}
	})()`, u, h)
	out, err := chromedp.Run(tab, chromedp.Evaluate[fetched](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("fetch %s in the page: %v", url, err)
	}
	return out
}

// getWithCORS puts GET path as a MOCK answering 200 {"pets":[]}, whose
// success answer sets Access-Control-Allow-Origin '*' as the console's
// "Enable CORS" adds it (withOptions: and the OPTIONS method the console
// creates). Without withACAO the method sets no CORS header.
func (f *fixture) getWithCORS(path string, withACAO, withOptions bool) {
	f.t.Helper()
	f.mock("GET", path, true, 200, `{"pets":[]}`)
	ctx := context.Background()
	rid := f.resource(path)
	if withACAO {
		if _, err := f.c.PutMethodResponse(ctx, &apigateway.PutMethodResponseInput{RestApiId: &f.apiID, ResourceId: &rid, HttpMethod: aws.String("GET"), StatusCode: aws.String("200"),
			ResponseParameters: map[string]bool{"method.response.header.Access-Control-Allow-Origin": false}}); err != nil {
			f.t.Fatalf("PutMethodResponse: %v", err)
		}
		if _, err := f.c.PutIntegrationResponse(ctx, &apigateway.PutIntegrationResponseInput{RestApiId: &f.apiID, ResourceId: &rid, HttpMethod: aws.String("GET"), StatusCode: aws.String("200"),
			ResponseTemplates:  map[string]string{"application/json": `{"pets":[]}`},
			ResponseParameters: map[string]string{"method.response.header.Access-Control-Allow-Origin": "'*'"}}); err != nil {
			f.t.Fatalf("PutIntegrationResponse: %v", err)
		}
	}
	if !withOptions {
		return
	}
	// The console's "Enable CORS": OPTIONS, no authorization, no key, a
	// MOCK whose 200 integration response sets the three headers.
	opt := aws.String("OPTIONS")
	if _, err := f.c.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: &f.apiID, ResourceId: &rid, HttpMethod: opt, AuthorizationType: aws.String("NONE")}); err != nil {
		f.t.Fatalf("PutMethod OPTIONS: %v", err)
	}
	if _, err := f.c.PutMethodResponse(ctx, &apigateway.PutMethodResponseInput{RestApiId: &f.apiID, ResourceId: &rid, HttpMethod: opt, StatusCode: aws.String("200"),
		ResponseParameters: map[string]bool{
			"method.response.header.Access-Control-Allow-Headers": false,
			"method.response.header.Access-Control-Allow-Methods": false,
			"method.response.header.Access-Control-Allow-Origin":  false,
		}}); err != nil {
		f.t.Fatalf("PutMethodResponse OPTIONS: %v", err)
	}
	if _, err := f.c.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: &f.apiID, ResourceId: &rid, HttpMethod: opt, Type: types.IntegrationTypeMock,
		RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`}}); err != nil {
		f.t.Fatalf("PutIntegration OPTIONS: %v", err)
	}
	if _, err := f.c.PutIntegrationResponse(ctx, &apigateway.PutIntegrationResponseInput{RestApiId: &f.apiID, ResourceId: &rid, HttpMethod: opt, StatusCode: aws.String("200"),
		ResponseParameters: map[string]string{
			"method.response.header.Access-Control-Allow-Headers": "'Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token'",
			"method.response.header.Access-Control-Allow-Methods": "'GET,OPTIONS'",
			"method.response.header.Access-Control-Allow-Origin":  "'*'",
		}}); err != nil {
		f.t.Fatalf("PutIntegrationResponse OPTIONS: %v", err)
	}
}

// browserAPI is an API with GET /pets, /limited and /quota requiring a
// key, deployed to stage "api", and a key for each: one in a plan without
// limits, one in a plan allowing a burst of one request (refilled once in
// a thousand seconds), one in a plan with a quota of one request a day.
type browserAPI struct {
	f                    *fixture
	okKey, thrKey, qtKey string
}

func newBrowserAPI(t *testing.T, env *apitest.Env, name string, withACAO, withOptions bool) browserAPI {
	f := newFixture(t, env, name)
	for _, p := range []string{"/pets", "/limited", "/quota"} {
		f.getWithCORS(p, withACAO, withOptions)
	}
	f.deploy("api")
	b := browserAPI{f: f}
	var ok, thr, qt string
	ok, b.okKey = f.key(name+"-ok", true)
	thr, b.thrKey = f.key(name+"-throttled", true)
	qt, b.qtKey = f.key(name+"-quota", true)
	f.plan("api", nil, nil, ok)
	f.plan("api", &types.ThrottleSettings{BurstLimit: 1, RateLimit: 0.001}, nil, thr)
	f.plan("api", nil, &types.QuotaSettings{Limit: 1, Period: types.QuotaPeriodTypeDay}, qt)
	return b
}

func (b browserAPI) url(path string) string {
	return b.f.env.DataURL + "/restapis/" + b.f.apiID + "/api/_user_request_" + path
}

// TestCORSInBrowser: a page on another origin (another loopback port) calls
// key-protected methods in headless Chromium and reads the real answers —
// 200 with a key, 403 without, 429 throttled, 429 over quota — with no
// gateway response customised: set up the AWS way (the console's "Enable
// CORS"), and with gatehouse:corsAllowOrigins and no OPTIONS method. An
// API with neither stays unreadable: fetch throws a TypeError.
func TestCORSInBrowser(t *testing.T) {
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<!doctype html><html><head><title>page</title></head><body>a page on another origin</body></html>`)
	}))
	t.Cleanup(page.Close)
	tab := browser(t, page.URL)
	env := apitest.Start(t, apitest.Options{})

	awsWay := newBrowserAPI(t, env, "CorsConsole", true, true)
	tagged := newBrowserAPI(t, env, "CorsTagged", false, false)
	if _, err := env.Client.TagResource(context.Background(), &apigateway.TagResourceInput{ResourceArn: apiARN(tagged.f.apiID),
		Tags: map[string]string{"gatehouse:corsAllowOrigins": page.URL}}); err != nil {
		t.Fatalf("TagResource: %v", err)
	}
	neither := newBrowserAPI(t, env, "CorsNone", false, false)

	const (
		forbidden   = `{"message":"Forbidden"}`
		tooMany     = `{"message":"Too Many Requests"}`
		quotaBody   = `{"message":"Limit Exceeded"}`
		petsAnswers = `{"pets":[]}`
	)
	for _, tt := range []struct {
		name string
		api  browserAPI
	}{{"console Enable CORS", awsWay}, {"gatehouse:corsAllowOrigins", tagged}} {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.api
			steps := []struct {
				what   string
				path   string
				key    string
				status int
				body   string
			}{
				{"with a key", "/pets", b.okKey, 200, petsAnswers},
				{"without a key", "/pets", "", 403, forbidden},
				{"throttled: first", "/limited", b.thrKey, 200, petsAnswers},
				{"throttled", "/limited", b.thrKey, 429, tooMany},
				{"quota: first", "/quota", b.qtKey, 200, petsAnswers},
				{"over quota", "/quota", b.qtKey, 429, quotaBody},
			}
			for _, s := range steps {
				hdr := map[string]string{}
				if s.key != "" {
					hdr["x-api-key"] = s.key
				}
				got := pageFetch(t, tab, b.url(s.path), hdr)
				if got.Status != s.status || got.Body != s.body || got.Error != "" {
					t.Errorf("%s: the page read %+v, want %d %s", s.what, got, s.status, s.body)
				}
			}
		})
	}
	t.Run("neither", func(t *testing.T) {
		for _, key := range []string{"", neither.okKey} {
			hdr := map[string]string{}
			if key != "" {
				hdr["x-api-key"] = key
			}
			got := pageFetch(t, tab, neither.url("/pets"), hdr)
			if got.Status != 0 || !strings.HasPrefix(got.Error, "TypeError") {
				t.Errorf("key %v: the page read %+v, want a TypeError", key != "", got)
			}
		}
		// The access log says why the page saw no answer.
		var line map[string]any
		for _, m := range env.Access.Lines() {
			if m["apiId"] == neither.f.apiID && m["reason"] == "KEY_MISSING" {
				line = m
			}
		}
		if line == nil {
			t.Fatalf("no access log line for the refusal:\n%s", env.Access.String())
		}
		if d, _ := line["detail"].(string); !strings.Contains(d, "the browser will not show it") || line["origin"] != page.URL {
			t.Errorf("access log line %v", line)
		}
	})
}
