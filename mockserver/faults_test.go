package mockserver

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// faultProbe sends a GET (a token request, for token) and returns the status,
// the headers and the body, or the transport error.
func faultProbe(ts *TestServer, endpoint string) (int, http.Header, string, error) {
	var req *http.Request
	switch endpoint {
	case EndpointToken:
		req, _ = http.NewRequest(http.MethodPost, ts.TokenURL(), strings.NewReader(ccBody))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("conf-client", "conf-secret")
	case EndpointJWKS:
		req, _ = http.NewRequest(http.MethodGet, ts.JWKSURL(), nil)
	case EndpointMetadata:
		req, _ = http.NewRequest(http.MethodGet, ts.MetadataURL(), nil)
	default:
		req, _ = http.NewRequest(http.MethodGet, ts.URL+endpoint, nil)
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		return 0, nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b), err
}

func TestFaults(t *testing.T) {
	tests := []struct {
		name     string
		endpoint string
		fault    Fault
		check    func(t *testing.T, status int, h http.Header, body string, err error)
	}{
		{"error", EndpointToken, Fault{Error: "temporarily_unavailable", Description: "try later", Status: 503},
			func(t *testing.T, status int, h http.Header, body string, err error) {
				var e struct{ Error, ErrorDescription string }
				_ = json.Unmarshal([]byte(strings.ReplaceAll(body, "error_description", "ErrorDescription")), &e)
				if err != nil || status != 503 || e.Error != "temporarily_unavailable" || e.ErrorDescription != "try later" || h.Get("Cache-Control") != "no-store" || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
					t.Fatalf("%d %v %s %v", status, h, body, err)
				}
			}},
		{"error with the default status", EndpointToken, Fault{Error: "invalid_grant"},
			func(t *testing.T, status int, _ http.Header, body string, err error) {
				if err != nil || status != 400 || body != `{"error":"invalid_grant"}` {
					t.Fatalf("%d %s %v", status, body, err)
				}
			}},
		{"bare 500", EndpointJWKS, Fault{Status: 500},
			func(t *testing.T, status int, h http.Header, body string, err error) {
				if err != nil || status != 500 || body != "Internal Server Error\n" || !strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
					t.Fatalf("%d %s %v", status, body, err)
				}
			}},
		{"Retry-After alone is a 503", EndpointMetadata, Fault{RetryAfter: 1500 * time.Millisecond},
			func(t *testing.T, status int, h http.Header, _ string, err error) {
				if err != nil || status != 503 || h.Get("Retry-After") != "2" {
					t.Fatalf("%d %v %v", status, h, err)
				}
			}},
		{"429 with Retry-After", EndpointToken, Fault{Status: 429, RetryAfter: 3 * time.Second},
			func(t *testing.T, status int, h http.Header, _ string, err error) {
				if err != nil || status != 429 || h.Get("Retry-After") != "3" {
					t.Fatalf("%d %v %v", status, h, err)
				}
			}},
		{"malformed", EndpointToken, Fault{Malformed: true},
			func(t *testing.T, status int, _ http.Header, body string, err error) {
				if err != nil || status != 200 || json.Valid([]byte(body)) {
					t.Fatalf("%d %s %v", status, body, err)
				}
			}},
		{"drop", EndpointToken, Fault{Drop: true},
			func(t *testing.T, _ int, _ http.Header, _ string, err error) {
				if err == nil {
					t.Fatal("answered")
				}
			}},
		{"resource error with a challenge", "/resource", Fault{Error: "invalid_token", Status: 401},
			func(t *testing.T, status int, h http.Header, _ string, err error) {
				if err != nil || status != 401 || !strings.Contains(h.Get("WWW-Authenticate"), `error="invalid_token"`) {
					t.Fatalf("%d %v %v", status, h, err)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := NewTestServer(t, "rfc6749")
			endpoint := tt.endpoint
			if endpoint == "/resource" {
				endpoint = EndpointResource
			}
			f := tt.fault
			f.Times = 2
			if err := ts.Enqueue(endpoint, f); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 2; i++ {
				status, h, body, err := faultProbe(ts, tt.endpoint)
				tt.check(t, status, h, body, err)
			}
			if n := len(ts.Faults()); n != 0 {
				t.Fatalf("%d faults left", n)
			}
			// Normal service resumes.
			status, _, body, err := faultProbe(ts, tt.endpoint)
			want := http.StatusOK
			if tt.endpoint == "/resource" {
				want = http.StatusUnauthorized // no token
			}
			if err != nil || status != want {
				t.Fatalf("after the faults: %d %s %v", status, body, err)
			}
		})
	}
}

// A delay alone is the normal answer, late; queued faults answer in order;
// other endpoints are not affected; the log records faulted requests.
func TestFaultQueue(t *testing.T) {
	ts := NewTestServer(t, "rfc6749")
	if err := ts.Enqueue(EndpointToken, Fault{Delay: 50 * time.Millisecond}, Fault{Status: 502}, Fault{Drop: true}); err != nil {
		t.Fatal(err)
	}
	if err := ts.Enqueue("/introspect", Fault{Status: 500, Times: 3}); err != nil {
		t.Fatal(err)
	}
	q := ts.Faults()
	if len(q) != 4 || q[0].Endpoint != EndpointToken || q[3].Fault.Times != 3 {
		t.Fatalf("%+v", q)
	}
	if status, _, _, err := faultProbe(ts, EndpointJWKS); err != nil || status != 200 {
		t.Fatalf("jwks %d %v", status, err)
	}
	start := time.Now()
	if status, _, body, err := faultProbe(ts, EndpointToken); err != nil || status != 200 || !strings.Contains(body, "access_token") || time.Since(start) < 50*time.Millisecond {
		t.Fatalf("delayed: %d %s %v after %v", status, body, err, time.Since(start))
	}
	if status, _, _, _ := faultProbe(ts, EndpointToken); status != 502 {
		t.Fatalf("second: %d", status)
	}
	if _, _, _, err := faultProbe(ts, EndpointToken); err == nil {
		t.Fatal("third: not dropped")
	}
	if status, _, _, _ := faultProbe(ts, EndpointToken); status != 200 {
		t.Fatalf("fourth: %d", status)
	}
	// The dropped request's record may come after the client saw the
	// drop (and sent the next request): wait for it, compare as a set.
	var statuses map[int]int
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		statuses = map[int]int{}
		for _, r := range ts.Requests() {
			if r.Path == "/token" {
				statuses[r.Status]++
			}
		}
		if statuses[0] == 1 {
			break
		}
	}
	if statuses[200] != 2 || statuses[502] != 1 || statuses[0] != 1 {
		t.Fatalf("recorded statuses %v", statuses)
	}
	ts.ClearFaults()
	if len(ts.Faults()) != 0 {
		t.Fatal("not cleared")
	}
	if status, _, _, _ := faultProbe(ts, "/introspect"); status == 500 {
		t.Fatal("cleared fault answered")
	}
}

// Faults are independent of quirks, and of the issuer's path; a client
// library sees them as a server's failures.
func TestFaultsWithClientLibrary(t *testing.T) {
	ts := NewTestServer(t, "rfc6749", WithQuirks("expires-in-string"), WithIssuer("http://proxy.example/tenant"))
	if err := ts.Enqueue(EndpointToken, Fault{Error: "invalid_client", Status: 401}); err != nil {
		t.Fatal(err)
	}
	cc := clientcredentials.Config{ClientID: "conf-client", ClientSecret: "conf-secret", TokenURL: ts.URL + "/tenant/token", AuthStyle: oauth2.AuthStyleInHeader}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, ts.Client())
	_, err := cc.Token(ctx)
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_client" || re.Response.StatusCode != 401 {
		t.Fatalf("err %v", err)
	}
	if _, err := cc.Token(ctx); err != nil {
		t.Fatalf("after the fault: %v", err)
	}
}

func TestEnqueueValidates(t *testing.T) {
	tests := []struct {
		dialect, endpoint string
		fault             Fault
		want              string
	}{
		{"rfc6749", "tokens", Fault{}, "not an endpoint name"},
		{"rfc6749", EndpointToken, Fault{Times: -1}, "negative Times"},
		{"rfc6749", EndpointToken, Fault{Status: 42}, "not an HTTP status"},
		{"rfc6749", EndpointToken, Fault{Delay: -time.Second}, "negative"},
		{"merchant-customer", EndpointJWKS, Fault{}, "no JWKS"},
		{"merchant-customer", EndpointUserInfo, Fault{}, "no UserInfo"},
		{"oob-pkce", EndpointAuthorize, Fault{}, ""},
		{"merchant-customer", EndpointResource, Fault{}, ""},
		{"rfc6749", "/anything/", Fault{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.dialect+"/"+tt.endpoint, func(t *testing.T) {
			ts := NewTestServer(t, tt.dialect)
			err := ts.Enqueue(tt.endpoint, tt.fault)
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("err %v, want %q", err, tt.want)
			}
		})
	}
}

// The dialect's resource API counts as the resource; a path with a
// trailing slash covers its subtree.
func TestFaultMatching(t *testing.T) {
	ts := NewTestServer(t, "merchant-customer")
	if err := ts.Enqueue(EndpointResource, Fault{Status: 503}); err != nil {
		t.Fatal(err)
	}
	if status, _, _, _ := faultProbe(ts, "/client-id/conf-client/apply"); status != 503 {
		t.Fatalf("resource API: %d", status)
	}
	if err := ts.Enqueue("/client-id/", Fault{Status: 504}); err != nil {
		t.Fatal(err)
	}
	if status, _, _, _ := faultProbe(ts, "/client-id/x/y"); status != 504 {
		t.Fatalf("subtree: %d", status)
	}
	if status, _, _, _ := faultProbe(ts, "/client-id/x/y"); status == 504 {
		t.Fatal("answered twice")
	}
}
