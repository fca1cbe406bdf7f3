package sigv4_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/gatehouse-dev/gatehouse/internal/sigv4"
)

const (
	testKeyID  = "AKIDGATEHOUSETEST01"
	testSecret = "gatehouse/test/secret+key"
)

func lookup(id string) (string, bool) {
	if id == testKeyID {
		return testSecret, true
	}
	return "", false
}

// seen is one request as the test server received it.
type seen struct {
	Method, EscapedPath, RawQuery, RequestURI string
	Header                                    http.Header
	Body                                      []byte
	Identity                                  sigv4.Identity
	Err                                       error
}

// recorder is an httptest server that verifies every request with v and
// answers like the management API: 403 with X-Amzn-ErrorType and
// {"message":...} on refusal, a minimal JSON resource otherwise.
type recorder struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []seen
}

func newRecorder(t *testing.T, v *sigv4.Verifier) *recorder {
	t.Helper()
	rec := &recorder{}
	rec.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		id, verr := v.Verify(r, body)
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, seen{
			Method: r.Method, EscapedPath: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery, RequestURI: r.RequestURI,
			Header: r.Header.Clone(), Body: body, Identity: id, Err: verr,
		})
		rec.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		var se *sigv4.Error
		switch {
		case errors.As(verr, &se):
			w.Header().Set("X-Amzn-ErrorType", se.Code)
			w.WriteHeader(se.StatusCode())
			_ = json.NewEncoder(w).Encode(map[string]string{"message": se.Message})
		case verr != nil:
			w.WriteHeader(http.StatusInternalServerError)
			_ = json.NewEncoder(w).Encode(map[string]string{"message": verr.Error()})
		case r.Method == http.MethodPost:
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, `{"id":"x"}`)
		case strings.HasPrefix(r.URL.Path, "/tags/"):
			_, _ = io.WriteString(w, `{"tags":{}}`)
		case strings.Contains(r.URL.Path, "/stages/"):
			_, _ = io.WriteString(w, `{"stageName":"s"}`)
		case strings.HasSuffix(r.URL.Path, "/resources"), r.URL.Path == "/apikeys":
			_, _ = io.WriteString(w, `{"item":[]}`)
		default:
			_, _ = io.WriteString(w, `{"id":"x"}`)
		}
	}))
	t.Cleanup(rec.Close)
	return rec
}

// last returns the most recent request the server saw.
func (rec *recorder) last(t *testing.T) seen {
	t.Helper()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.reqs) == 0 {
		t.Fatal("server saw no request")
	}
	return rec.reqs[len(rec.reqs)-1]
}

func newClient(rec *recorder, creds aws.CredentialsProvider) *apigateway.Client {
	return apigateway.New(apigateway.Options{
		Region:           "eu-central-1",
		BaseEndpoint:     aws.String(rec.URL),
		Credentials:      creds,
		HTTPClient:       rec.Client(),
		RetryMaxAttempts: 1,
	})
}

func static(id, secret, token string) aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(id, secret, token)
}

// errorCode returns the AWS error code the SDK surfaced, "" for no error.
func errorCode(t *testing.T, err error) (code, message string) {
	t.Helper()
	if err == nil {
		return "", ""
	}
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("error is not a smithy.APIError: %v", err)
	}
	return apiErr.ErrorCode(), apiErr.ErrorMessage()
}

type call func(context.Context, *apigateway.Client) error

func getAPIKey(id string) call {
	return func(ctx context.Context, c *apigateway.Client) error {
		_, err := c.GetApiKey(ctx, &apigateway.GetApiKeyInput{ApiKey: aws.String(id), IncludeValue: aws.Bool(true)})
		return err
	}
}

func createAPIKey(ctx context.Context, c *apigateway.Client) error {
	_, err := c.CreateApiKey(ctx, &apigateway.CreateApiKeyInput{
		Name: aws.String("ci key"), Enabled: true, Tags: map[string]string{"team": "a&b"},
	})
	return err
}

// TestSDKClient drives the real aws-sdk-go-v2 API Gateway client against a
// server that calls Verify.
func TestSDKClient(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name     string
		service  string // "" = apigateway
		now      func() time.Time
		anyCreds bool
		creds    aws.CredentialsProvider
		call     call
		wantCode string
		wantMsg  string // prefix; "" = do not check
		wantPath string // escaped path the server saw; "" = do not check
		wantRawQ string
	}{
		{
			name: "GetApiKey", call: getAPIKey("k1"),
			wantPath: "/apikeys/k1", wantRawQ: "includeValue=true",
		},
		{
			name: "GetApiKey with escaped id", call: getAPIKey("a b/c%d"),
			wantPath: "/apikeys/a%20b%2Fc%25d", wantRawQ: "includeValue=true",
		},
		{
			name: "GetStage with non-ASCII stage name",
			call: func(ctx context.Context, c *apigateway.Client) error {
				_, err := c.GetStage(ctx, &apigateway.GetStageInput{RestApiId: aws.String("abc"), StageName: aws.String("pröd v1")})
				return err
			},
			wantPath: "/restapis/abc/stages/pr%C3%B6d%20v1",
		},
		{
			name: "GetTags with an ARN label",
			call: func(ctx context.Context, c *apigateway.Client) error {
				_, err := c.GetTags(ctx, &apigateway.GetTagsInput{ResourceArn: aws.String("arn:aws:apigateway:eu-central-1::/restapis/abc/stages/prod")})
				return err
			},
			wantPath: "/tags/arn%3Aaws%3Aapigateway%3Aeu-central-1%3A%3A%2Frestapis%2Fabc%2Fstages%2Fprod",
		},
		{
			name: "GetResources with repeated query keys",
			call: func(ctx context.Context, c *apigateway.Client) error {
				_, err := c.GetResources(ctx, &apigateway.GetResourcesInput{RestApiId: aws.String("abc"), Embed: []string{"methods", "a b"}, Limit: aws.Int32(5)})
				return err
			},
			wantPath: "/restapis/abc/resources", wantRawQ: "embed=a%20b&embed=methods&limit=5",
		},
		{
			name: "GetApiKeys with a query that needs escaping",
			call: func(ctx context.Context, c *apigateway.Client) error {
				_, err := c.GetApiKeys(ctx, &apigateway.GetApiKeysInput{NameQuery: aws.String("ci key+/~*"), IncludeValues: aws.Bool(false)})
				return err
			},
			wantPath: "/apikeys",
		},
		{name: "CreateApiKey POST with JSON body", call: createAPIKey, wantPath: "/apikeys"},
		{name: "session token", creds: static(testKeyID, testSecret, "FwoGZXIvYXdzEtoken//+=="), call: createAPIKey},
		{
			name: "wrong secret", creds: static(testKeyID, "not-the-secret", ""), call: getAPIKey("k1"),
			wantCode: sigv4.CodeInvalidSignature, wantMsg: "The request signature we calculated does not match the signature you provided.",
		},
		{
			name: "wrong secret on POST", creds: static(testKeyID, "not-the-secret", ""), call: createAPIKey,
			wantCode: sigv4.CodeInvalidSignature,
		},
		{
			name: "unknown access key id", creds: static("AKIDUNKNOWN", testSecret, ""), call: getAPIKey("k1"),
			wantCode: sigv4.CodeUnrecognizedClient, wantMsg: "The security token included in the request is invalid.",
		},
		{
			name: "unsigned", creds: aws.AnonymousCredentials{}, call: getAPIKey("k1"),
			wantCode: sigv4.CodeMissingAuthenticationToken, wantMsg: "Missing Authentication Token",
		},
		{
			name:     "server clock 20 minutes ahead",
			now:      func() time.Time { return now.Add(20 * time.Minute) },
			call:     getAPIKey("k1"),
			wantCode: sigv4.CodeInvalidSignature, wantMsg: "Signature expired: ",
		},
		{
			name:     "server clock 20 minutes behind",
			now:      func() time.Time { return now.Add(-20 * time.Minute) },
			call:     getAPIKey("k1"),
			wantCode: sigv4.CodeInvalidSignature, wantMsg: "Signature not yet current: ",
		},
		{
			name: "server clock 4 minutes ahead is within the default skew",
			now:  func() time.Time { return now.Add(4 * time.Minute) },
			call: getAPIKey("k1"),
		},
		{
			name:     "other service name",
			service:  "execute-api",
			call:     getAPIKey("k1"),
			wantCode: sigv4.CodeIncompleteSignature, wantMsg: "Credential should be scoped to correct service: 'execute-api'.",
		},
		{
			name:     "AnyCredentials accepts an unknown key with any secret",
			anyCreds: true,
			creds:    static("AKIDANYTHING", "whatever", ""), call: createAPIKey,
		},
		{
			name:     "AnyCredentials still refuses unsigned requests",
			anyCreds: true,
			creds:    aws.AnonymousCredentials{}, call: createAPIKey,
			wantCode: sigv4.CodeMissingAuthenticationToken,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := &sigv4.Verifier{Service: "apigateway", Lookup: lookup, Now: tt.now, AnyCredentials: tt.anyCreds}
			if tt.service != "" {
				v.Service = tt.service
			}
			rec := newRecorder(t, v)
			creds := tt.creds
			if creds == nil {
				creds = static(testKeyID, testSecret, "")
			}
			err := tt.call(t.Context(), newClient(rec, creds))
			code, msg := errorCode(t, err)
			if code != tt.wantCode || !strings.HasPrefix(msg, tt.wantMsg) {
				t.Fatalf("SDK error = %q %q, want code %q, message starting %q (err: %v)", code, msg, tt.wantCode, tt.wantMsg, err)
			}
			got := rec.last(t)
			if tt.wantPath != "" && got.EscapedPath != tt.wantPath {
				t.Errorf("server saw path %q, want %q", got.EscapedPath, tt.wantPath)
			}
			if tt.wantRawQ != "" && got.RawQuery != tt.wantRawQ {
				t.Errorf("server saw query %q, want %q", got.RawQuery, tt.wantRawQ)
			}
			if tt.wantCode != "" {
				return
			}
			wantID := sigv4.Identity{AccessKeyID: testKeyID, Region: "eu-central-1"}
			if tt.anyCreds {
				wantID.AccessKeyID = "AKIDANYTHING"
			}
			if diff := cmp.Diff(wantID, got.Identity, cmpopts.IgnoreFields(sigv4.Identity{}, "SignedAt")); diff != "" {
				t.Errorf("Identity mismatch (-want +got):\n%s", diff)
			}
			if d := now.Sub(got.Identity.SignedAt); d < -time.Minute || d > time.Minute {
				t.Errorf("Identity.SignedAt = %v, want about %v", got.Identity.SignedAt, now)
			}
		})
	}
}

// resend sends a request the server captured again, byte for byte.
func resend(t *testing.T, rec *recorder, s seen) (status int, errType string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), s.Method, rec.URL+s.RequestURI, bytes.NewReader(s.Body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = s.Header.Clone()
	resp, err := rec.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType")
}

// TestReplay captures requests signed by the SDK and sends them again: a
// mutating request is refused, a read is accepted every time.
func TestReplay(t *testing.T) {
	v := &sigv4.Verifier{Service: "apigateway", Lookup: lookup}
	rec := newRecorder(t, v)
	c := newClient(rec, static(testKeyID, testSecret, ""))

	if err := createAPIKey(t.Context(), c); err != nil {
		t.Fatalf("CreateApiKey: %v", err)
	}
	post := rec.last(t)
	status, errType := resend(t, rec, post)
	if status != http.StatusForbidden || errType != sigv4.CodeInvalidSignature {
		t.Fatalf("replayed POST: status %d, error type %q; want 403 %s", status, errType, sigv4.CodeInvalidSignature)
	}
	var se *sigv4.Error
	if replayErr := rec.last(t).Err; !errors.As(replayErr, &se) || !strings.Contains(se.Message, "already been used") {
		t.Fatalf("replayed POST refused with %v, want a message saying the signature was already used", replayErr)
	}
	// A fresh signature for the same operation is not a replay.
	if err := createAPIKey(t.Context(), c); err != nil {
		t.Fatalf("second CreateApiKey with a new signature: %v", err)
	}

	if err := getAPIKey("k1")(t.Context(), c); err != nil {
		t.Fatalf("GetApiKey: %v", err)
	}
	get := rec.last(t)
	for i := range 2 {
		if status, errType := resend(t, rec, get); status != http.StatusOK {
			t.Fatalf("repeated GET #%d: status %d (%s), want 200", i+1, status, errType)
		}
	}
}
