package mockserver

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xeipuuv/gojsonschema"

	"github.com/oauthconform/oauthconform/profile"
)

const testControlSecret = "test-control-secret-0123456789"

// ctl is a mock with its control API under DefaultControlPrefix.
type ctl struct {
	*ep
	url string
}

func newCtl(t *testing.T, name string, opts ...TestOption) *ctl {
	t.Helper()
	e := newEP(t, name, append(opts, WithControl(DefaultControlPrefix, testControlSecret))...)
	if got, want := e.ts.ControlURL(), e.ts.URL+DefaultControlPrefix; got != want {
		t.Fatalf("ControlURL %q, want %q", got, want)
	}
	return &ctl{ep: e, url: e.ts.ControlURL()}
}

// call sends a control request with the secret; body "" sends none.
func (c *ctl) call(t *testing.T, method, path, body string) tokenResp {
	t.Helper()
	return c.callAuth(t, method, path, body, "Bearer "+testControlSecret)
}

func (c *ctl) callAuth(t *testing.T, method, path, body, authz string) tokenResp {
	t.Helper()
	return doAt(t, c.ts, c.url+path, tokenReq{method: method, body: body, contentType: "application/json", authz: authz})
}

// must asserts the status of a control answer.
func (c *ctl) must(t *testing.T, status int, method, path, body string) tokenResp {
	t.Helper()
	res := c.call(t, method, path, body)
	if res.status != status {
		t.Fatalf("%s %s %s: %d %s, want %d", method, path, body, res.status, res.raw, status)
	}
	return res
}

// clientCredentials gets a (stateless, for rfc6749) access token of
// conf-client at the token endpoint.
func (c *ctl) clientCredentials(t *testing.T) string {
	t.Helper()
	return mustToken(t, c.ts, c.req("grant_type=client_credentials")).str("access_token")
}

func TestControlAuth(t *testing.T) {
	c := newCtl(t, "rfc6749")
	for _, tc := range []struct {
		name      string
		path      string
		authz     []string
		status    int
		challenge string
	}{
		{"no credentials", "/clock", nil, 401, `Bearer realm="oauthconform-control"`},
		{"no credentials, unknown path", "/nope", nil, 401, `Bearer realm="oauthconform-control"`},
		{"wrong secret", "/clock", []string{"Bearer wrong"}, 401, `Bearer realm="oauthconform-control", error="invalid_token"`},
		{"secret with a suffix", "/clock", []string{"Bearer " + testControlSecret + "x"}, 401, `error="invalid_token"`},
		{"secret prefix", "/clock", []string{"Bearer " + testControlSecret[:10]}, 401, `error="invalid_token"`},
		{"basic", "/clock", []string{basicHeader("x", testControlSecret)}, 401, `error="invalid_token"`},
		{"scheme only", "/clock", []string{"Bearer"}, 401, `error="invalid_token"`},
		{"two headers", "/clock", []string{"Bearer " + testControlSecret, "Bearer " + testControlSecret}, 401, `error="invalid_token"`},
		{"ok", "/clock", []string{"Bearer " + testControlSecret}, 200, ""},
		{"scheme in lower case", "/clock", []string{"bearer " + testControlSecret}, 200, ""},
		{"ok, unknown path", "/nope", []string{"Bearer " + testControlSecret}, 404, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, c.url+tc.path, nil)
			for _, a := range tc.authz {
				req.Header.Add("Authorization", a)
			}
			resp, err := c.ts.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d %s, want %d", resp.StatusCode, b, tc.status)
			}
			if got := resp.Header.Get("WWW-Authenticate"); !strings.Contains(got, tc.challenge) || tc.challenge == "" && got != "" {
				t.Errorf("WWW-Authenticate %q, want %q", got, tc.challenge)
			}
			var e struct{ Error string }
			if err := json.Unmarshal(b, &e); err != nil || (tc.status >= 400) != (e.Error != "") {
				t.Errorf("body %s", b)
			}
			if resp.Header.Get("Content-Type") != "application/json" || resp.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("headers %v", resp.Header)
			}
		})
	}

	// An empty secret opens nothing.
	p, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, authz := range []string{"", "Bearer", "Bearer "} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/clock", nil)
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		p.ControlHandler("").ServeHTTP(rec, req)
		if rec.Code != http.StatusUnauthorized {
			t.Errorf("empty secret, %q: %d", authz, rec.Code)
		}
	}
}

// TestControlEndpoints calls each endpoint and checks its answer against
// the provider's state and against the schema the OpenAPI document gives.
func TestControlEndpoints(t *testing.T) {
	c := newCtl(t, "rfc6749")
	doc := loadControlOpenAPI(t)
	for _, tc := range []struct {
		name                string
		method, path, body  string
		status              int
		schema              string
		check               func(t *testing.T, res tokenResp)
		skipSchemaForReason string
	}{
		{name: "openapi at root", method: "GET", path: "", status: 200, check: func(t *testing.T, res tokenResp) {
			if res.body["openapi"] != "3.1.0" {
				t.Errorf("%.200s", res.raw)
			}
		}},
		{name: "openapi", method: "GET", path: "/openapi.json", status: 200, check: func(t *testing.T, res tokenResp) {
			if strings.TrimSpace(res.raw) != strings.TrimSpace(string(controlOpenAPI)) {
				t.Error("not the embedded document")
			}
		}},
		{name: "add client", method: "POST", path: "/clients", status: 201, schema: "RegisteredClient",
			body: `{"id":"svc","secret":"svc-secret","grant_types":["client_credentials"],"scopes":["read"],"access_token_claims":{"tenant":"acme","tier":3}}`,
			check: func(t *testing.T, res tokenResp) {
				if res.str("id") != "svc" || res.body["public"] != false || strings.Contains(res.raw, "svc-secret") {
					t.Errorf("%s", res.raw)
				}
				at := mustToken(t, c.ts, tokenReq{body: "grant_type=client_credentials", basic: [2]string{"svc", "svc-secret"}}).str("access_token")
				if claims := jwtPayload(t, at); claims["tenant"] != "acme" || claims["tier"] != float64(3) {
					t.Errorf("claims %v", claims)
				}
			}},
		{name: "add public client", method: "POST", path: "/clients", status: 201, schema: "RegisteredClient",
			body: `{"id":"spa","redirect_uris":["http://127.0.0.1:9999/cb"],"require_pkce":true,"native":true}`,
			check: func(t *testing.T, res tokenResp) {
				if res.body["public"] != true || res.body["require_pkce"] != true {
					t.Errorf("%s", res.raw)
				}
			}},
		{name: "add client twice", method: "POST", path: "/clients", body: `{"id":"svc","secret":"other-secret"}`, status: 409, schema: "Error"},
		{name: "add start-up client", method: "POST", path: "/clients", body: `{"id":"conf-client","secret":"other-secret"}`, status: 409, schema: "Error"},
		{name: "add invalid client", method: "POST", path: "/clients", body: `{"id":"bad","grant_types":["telepathy"]}`, status: 400, schema: "Error"},
		{name: "add client without id", method: "POST", path: "/clients", body: `{"secret":"s"}`, status: 400, schema: "Error"},
		{name: "add user", method: "POST", path: "/users", status: 201, schema: "User",
			body: `{"username":"bob","password":"bob-password","subject":"u-42","claims":{"name":"Bob"},"access_token_claims":{"roles":["admin"]}}`,
			check: func(t *testing.T, res tokenResp) {
				if res.str("subject") != "u-42" || strings.Contains(res.raw, "bob-password") {
					t.Errorf("%s", res.raw)
				}
				at := mustToken(t, c.ts, c.req("grant_type=password&username=bob&password=bob-password")).str("access_token")
				if claims := jwtPayload(t, at); claims["sub"] != "u-42" || fmt.Sprint(claims["roles"]) != "[admin]" {
					t.Errorf("claims %v", claims)
				}
			}},
		{name: "add user twice", method: "POST", path: "/users", body: `{"username":"bob","password":"x"}`, status: 409, schema: "Error"},
		{name: "add user without name", method: "POST", path: "/users", body: `{"password":"x"}`, status: 400, schema: "Error"},
		{name: "issue token", method: "POST", path: "/tokens", status: 200, schema: "Token",
			body: `{"client_id":"conf-client","subject":"alice","scope":"read","lifetime":"5m","claims":{"tenant":"acme","n":12345678901234567890,"deep":{"a":[1,true,null]}}}`,
			check: func(t *testing.T, res tokenResp) {
				if res.body["expires_in"] != float64(300) || res.str("refresh_token") == "" || res.str("scope") != "read" {
					t.Errorf("%s", res.raw)
				}
				at := res.str("access_token")
				if !c.active(t, at) {
					t.Error("issued token not active")
				}
				if p := strings.Split(at, "."); len(p) != 3 || !strings.Contains(string(must64(t, p[1])), `"n":12345678901234567890`) {
					t.Errorf("big number not kept exactly: %s", must64(t, p[1]))
				}
			}},
		{name: "issue token, defaults", method: "POST", path: "/tokens", body: "", status: 200, schema: "Token",
			check: func(t *testing.T, res tokenResp) {
				if res.str("token_type") != "Bearer" || res.body["expires_in"] != float64(3600) {
					t.Errorf("%s", res.raw)
				}
			}},
		{name: "issue token, lifetime in seconds", method: "POST", path: "/tokens", body: `{"lifetime":90}`, status: 200, schema: "Token",
			check: func(t *testing.T, res tokenResp) {
				if res.body["expires_in"] != float64(90) {
					t.Errorf("%s", res.raw)
				}
			}},
		{name: "issue token, unknown client", method: "POST", path: "/tokens", body: `{"client_id":"nobody"}`, status: 400, schema: "Error"},
		{name: "issue token, negative lifetime", method: "POST", path: "/tokens", body: `{"lifetime":"-1s"}`, status: 400, schema: "Error"},
		{name: "issue token, bad scope", method: "POST", path: "/tokens", body: `{"scope":"root"}`, status: 400, schema: "Error"},
		{name: "revoke", method: "POST", path: "/tokens/revoke", status: 200, schema: "Revoked",
			body: func() string {
				tok, err := c.ts.IssueToken(context.Background(), IssueRequest{Subject: "alice"})
				if err != nil {
					t.Fatal(err)
				}
				return `{"token":"` + tok.RefreshToken + `"}`
			}()},
		{name: "revoke unknown", method: "POST", path: "/tokens/revoke", body: `{"token":"nope"}`, status: 404, schema: "Error"},
		{name: "revoke without token", method: "POST", path: "/tokens/revoke", body: `{}`, status: 400, schema: "Error"},
		{name: "enqueue faults", method: "POST", path: "/faults", status: 200, schema: "Faults",
			body: `{"endpoint":"introspection","faults":[{"status":503,"retry_after":"1s"},{"error":"temporarily_unavailable","description":"later","status":400,"times":2},{"delay":"10ms"},{"malformed":true},{"drop":true,"times":1}]}`,
			check: func(t *testing.T, res tokenResp) {
				q := c.ts.Faults()
				if len(q) != 5 || q[0].Fault.RetryAfter != time.Second || q[1].Fault.Times != 2 || q[2].Fault.Delay != 10*time.Millisecond || !q[4].Fault.Drop {
					t.Errorf("queue %+v", q)
				}
				if !strings.Contains(res.raw, `"retry_after":"1s"`) {
					t.Errorf("%s", res.raw)
				}
				r := c.introspect(t, c.req("token=x"))
				if r.status != 503 || r.header.Get("Retry-After") != "1" {
					t.Errorf("first fault: %d %v", r.status, r.header)
				}
			}},
		{name: "list faults", method: "GET", path: "/faults", status: 200, schema: "Faults",
			check: func(t *testing.T, res tokenResp) {
				if fs, _ := res.body["faults"].([]any); len(fs) != 4 {
					t.Errorf("%s", res.raw)
				}
			}},
		{name: "enqueue for an unknown endpoint", method: "POST", path: "/faults", body: `{"endpoint":"nowhere","faults":[{"status":500}]}`, status: 400, schema: "Error"},
		{name: "enqueue a bad status", method: "POST", path: "/faults", body: `{"endpoint":"token","faults":[{"status":42}]}`, status: 400, schema: "Error"},
		{name: "enqueue nothing", method: "POST", path: "/faults", body: `{"endpoint":"token","faults":[]}`, status: 400, schema: "Error"},
		{name: "clear faults", method: "DELETE", path: "/faults", status: 200, schema: "Faults",
			check: func(t *testing.T, res tokenResp) {
				if len(c.ts.Faults()) != 0 || res.raw != "{\"faults\":[]}\n" {
					t.Errorf("%q, %v", res.raw, c.ts.Faults())
				}
			}},
		{name: "clock", method: "GET", path: "/clock", status: 200, schema: "Clock",
			check: func(t *testing.T, res tokenResp) {
				if res.str("offset") != "0s" || res.body["unix"].(float64) < float64(time.Now().Unix()-5) {
					t.Errorf("%s", res.raw)
				}
			}},
		{name: "advance the clock", method: "POST", path: "/clock/advance", body: `{"by":"90s"}`, status: 200, schema: "Clock",
			check: func(t *testing.T, res tokenResp) {
				if c.ts.Clock.Offset() != 90*time.Second || res.str("offset") != "1m30s" {
					t.Errorf("%s", res.raw)
				}
				now, err := time.Parse(time.RFC3339Nano, res.str("now"))
				if err != nil || time.Until(now) < 85*time.Second {
					t.Errorf("now %q", res.str("now"))
				}
			}},
		{name: "advance the clock in seconds", method: "POST", path: "/clock/advance", body: `{"by":0.5}`, status: 200, schema: "Clock",
			check: func(t *testing.T, res tokenResp) {
				if c.ts.Clock.Offset() != 90500*time.Millisecond {
					t.Errorf("%s", res.raw)
				}
			}},
		{name: "advance the clock back", method: "POST", path: "/clock/advance", body: `{"by":"-1s"}`, status: 400, schema: "Error"},
		{name: "advance the clock by nothing", method: "POST", path: "/clock/advance", body: `{}`, status: 400, schema: "Error"},
		{name: "advance the clock too far", method: "POST", path: "/clock/advance", body: `{"by":"900000h"}`, status: 400, schema: "Error"},
		{name: "advance the clock by a bad duration", method: "POST", path: "/clock/advance", body: `{"by":"soon"}`, status: 400, schema: "Error"},
		{name: "rotate the key", method: "POST", path: "/keys/rotate", status: 200, schema: "Kid",
			check: func(t *testing.T, res tokenResp) {
				if kid := res.str("kid"); kid == "" || kid != c.ts.keys.current().kid || kid == c.ts.keys.keys[0].kid {
					t.Errorf("%s", res.raw)
				}
			}},
		{name: "requests", method: "GET", path: "/requests", status: 200, schema: "Requests",
			check: func(t *testing.T, res tokenResp) {
				reqs, _ := res.body["requests"].([]any)
				if len(reqs) == 0 || len(reqs) != len(c.ts.Requests()) {
					t.Fatalf("%d requests, log has %d", len(reqs), len(c.ts.Requests()))
				}
				for _, secret := range []string{"bob-password", "conf-secret", testControlSecret} {
					if strings.Contains(res.raw, secret) {
						t.Errorf("%q not redacted", secret)
					}
				}
				if !strings.Contains(res.raw, `"password":["[REDACTED]"]`) || strings.Contains(res.raw, DefaultControlPrefix) {
					t.Errorf("log %.500s", res.raw)
				}
			}},
		{name: "clear requests", method: "DELETE", path: "/requests", status: 200, schema: "Requests",
			check: func(t *testing.T, res tokenResp) {
				if n := len(c.ts.Requests()); n != 0 {
					t.Errorf("%d requests left", n)
				}
			}},
		{name: "reset", method: "POST", path: "/reset", body: `{}`, status: 200, schema: "Reset",
			check: func(t *testing.T, res tokenResp) {
				if c.ts.Provider.client("svc") != nil || c.ts.user("bob") != nil || c.ts.keys.current() != c.ts.keys.keys[0] {
					t.Error("not back to the start state")
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := c.call(t, tc.method, tc.path, tc.body)
			if res.status != tc.status {
				t.Fatalf("%d %s, want %d", res.status, res.raw, tc.status)
			}
			if tc.schema != "" {
				validateControlSchema(t, doc, tc.schema, res.raw)
			}
			if tc.check != nil {
				tc.check(t, res)
			}
		})
	}
}

// TestControlBadInput: malformed or unknown input is a 400 (413 when too
// large, 404 and 405 for the wrong path or method), never a panic or a
// change.
func TestControlBadInput(t *testing.T) {
	c := newCtl(t, "rfc6749")
	big := `{"id":"x","secret":"` + strings.Repeat("a", maxControlBody) + `"}`
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		want                     string
	}{
		{"malformed JSON", "POST", "/clients", `{"id":`, 400, "malformed JSON"},
		{"not JSON", "POST", "/users", `username=bob`, 400, "malformed JSON"},
		{"not an object", "POST", "/tokens", `[1,2]`, 400, "the body must be an object"},
		{"two values", "POST", "/tokens", `{} {}`, 400, "more than one JSON value"},
		{"unknown member", "POST", "/clients", `{"id":"x","secret":"s","colour":"red"}`, 400, `unknown field "colour"`},
		{"unknown member of a fault", "POST", "/faults", `{"endpoint":"token","faults":[{"status":500,"when":"now"}]}`, 400, `unknown field "when"`},
		{"unknown member of a reset", "POST", "/reset", `{"all":true}`, 400, `unknown field "all"`},
		{"unknown member of a rotation", "POST", "/keys/rotate", `{"kid":"x"}`, 400, `unknown field "kid"`},
		{"wrong type", "POST", "/clients", `{"id":"x","redirect_uris":"http://a"}`, 400, "redirect_uris must be an array of strings, not string"},
		{"wrong type of a flag", "POST", "/tokens", `{"refresh":"yes"}`, 400, "refresh must be true or false"},
		{"bad lifetime", "POST", "/tokens", `{"lifetime":"forever"}`, 400, "a duration is"},
		{"infinite lifetime", "POST", "/tokens", `{"lifetime":1e400}`, 400, "duration"},
		{"missing body", "POST", "/clients", "", 400, "a JSON object body is required"},
		{"null body", "POST", "/faults", "null", 400, "a JSON object body is required"},
		{"oversized body", "POST", "/clients", big, 413, "larger than"},
		{"unknown path", "GET", "/tokens/list", "", 404, "no control endpoint"},
		{"trailing slash", "GET", "/clock/", "", 404, "no control endpoint"},
		{"wrong method", "GET", "/reset", "", 405, "/reset takes POST"},
		{"wrong method of several", "PUT", "/faults", "", 405, "GET or POST or DELETE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := c.call(t, tc.method, tc.path, tc.body)
			if res.status != tc.status || !strings.Contains(res.str("error_description"), tc.want) {
				t.Fatalf("%d %.300s, want %d with %q", res.status, res.raw, tc.status, tc.want)
			}
			if tc.status == 405 && res.header.Get("Allow") == "" {
				t.Error("no Allow header")
			}
		})
	}
	if c.ts.Provider.client("x") != nil || len(c.ts.Faults()) != 0 {
		t.Error("bad input changed the provider")
	}
}

// FuzzControl: no input panics the control API or answers 5xx.
func FuzzControl(f *testing.F) {
	p, err := New(Config{RecordRequests: true, Clock: NewOffsetClock()})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(p.Close)
	h := p.ControlHandler(testControlSecret)
	paths := []string{"/clients", "/users", "/tokens", "/tokens/revoke", "/faults", "/clock/advance", "/keys/rotate", "/reset"}
	for i, seed := range []string{
		`{"id":"a","secret":"b"}`, `{"username":"u","password":"p","claims":{"x":[1,{"y":null}]}}`,
		`{"client_id":"conf-client","claims":{"exp":"soon","iat":1e308,"aud":[1]},"lifetime":1e-9}`,
		`{"token":"\u0000"}`, `{"endpoint":"/x/","faults":[{"times":-1}]}`, `{"by":9.3e18}`, `{}`, `{"by":"9223372036s"}`,
	} {
		f.Add(uint8(i), seed)
	}
	f.Fuzz(func(t *testing.T, which uint8, body string) {
		path := paths[int(which)%len(paths)]
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testControlSecret)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 || !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s %q: %d %s", path, body, rec.Code, rec.Body)
		}
	})
}

// TestControlReset: a reset drops every kind of token (stateless JWTs
// included), the registrations, faults, lockouts, pending requests and
// the log, and the provider works at once, within the same second too.
func TestControlReset(t *testing.T) {
	c := newCtl(t, "rfc6749")
	ctx := context.Background()
	cc := c.clientCredentials(t) // stateless RFC 9068 JWT
	at, rt := c.tokens(t)        // of a grant family
	code, err := c.ts.MintCode(ctx, CodeRequest{ClientID: "conf-client", CodeChallenge: s256(verifier), CodeChallengeMethod: "S256"})
	if err != nil {
		t.Fatal(err)
	}
	future, err := c.ts.IssueToken(ctx, IssueRequest{Claims: map[string]any{"iat": time.Now().Add(time.Hour).Unix()}})
	if err != nil {
		t.Fatal(err)
	}
	c.must(t, 201, "POST", "/clients", `{"id":"svc","secret":"svc-secret"}`)
	c.must(t, 201, "POST", "/users", `{"username":"bob","password":"bob-password"}`)
	c.must(t, 200, "POST", "/keys/rotate", "")
	for range failureLimit {
		doToken(t, c.ts, tokenReq{body: "grant_type=client_credentials", basic: [2]string{"conf-client-2", "wrong"}})
	}
	if res := doToken(t, c.ts, c.as(conf2, "grant_type=client_credentials")); res.status == 200 {
		t.Fatal("no lockout to reset")
	}
	auth := doAt(t, c.ts, c.ts.AuthorizeURL(), tokenReq{method: http.MethodGet, query: "response_type=code&client_id=conf-client&state=s&code_challenge=" + s256(verifier) + "&code_challenge_method=S256"})
	if auth.status != 200 || c.ts.pending.len() != 1 {
		t.Fatalf("authorize: %d, %d pending", auth.status, c.ts.pending.len())
	}
	for _, tok := range []string{cc, at, future.AccessToken} {
		if !c.active(t, tok) {
			t.Fatalf("not active before the reset: %.40s", tok)
		}
	}
	c.must(t, 200, "POST", "/faults", `{"endpoint":"jwks","faults":[{"status":500}]}`)

	c.must(t, 200, "POST", "/reset", "")

	for name, tok := range map[string]string{"client_credentials": cc, "access": at, "future iat": future.AccessToken} {
		if c.active(t, tok) {
			t.Errorf("%s token active after the reset", name)
		}
		if res := c.resource(t, tok); res.status != http.StatusUnauthorized {
			t.Errorf("%s token at the resource: %d", name, res.status)
		}
	}
	wantError(t, c.refresh(t, rt), 400, "invalid_grant")
	wantError(t, doToken(t, c.ts, c.req("grant_type=authorization_code&code="+url.QueryEscape(code)+"&redirect_uri="+url.QueryEscape("http://127.0.0.1:8765/callback")+"&code_verifier="+verifier)), 400, "invalid_grant")
	if res := doToken(t, c.ts, tokenReq{body: "grant_type=client_credentials", basic: [2]string{"svc", "svc-secret"}}); res.status != 401 {
		t.Errorf("run-time client after the reset: %d", res.status)
	}
	if c.ts.user("bob") != nil || c.ts.pending.len() != 0 || len(c.ts.Faults()) != 0 || c.ts.keys.current() != c.ts.keys.keys[0] {
		t.Error("registrations, pending requests, faults or the key not reset")
	}
	if codes, tokens, grants := c.ts.Store().(*MemoryStore).Len(); codes+tokens+grants != 0 {
		t.Errorf("store holds %d codes, %d tokens, %d grants", codes, tokens, grants)
	}
	// At once (the same second, most likely) every kind works again, the
	// locked-out client too.
	cc2 := mustToken(t, c.ts, c.as(conf2, "grant_type=client_credentials")).str("access_token")
	at2, rt2 := c.tokens(t)
	past, err := c.ts.IssueToken(ctx, IssueRequest{Claims: map[string]any{"iat": time.Now().Add(-time.Hour).Unix()}})
	if err != nil {
		t.Fatal(err)
	}
	for name, tok := range map[string]string{"client_credentials": cc2, "access": at2, "past iat": past.AccessToken} {
		if !c.active(t, tok) || c.resource(t, tok).status != 200 {
			t.Errorf("new %s token not accepted", name)
		}
	}
	if res := c.refresh(t, rt2); res.status != 200 {
		t.Errorf("refresh after the reset: %d %s", res.status, res.raw)
	}
	// Revocation still reaches a token issued in the reset's second.
	c.must(t, 200, "POST", "/tokens/revoke", `{"token":"`+cc2+`"}`)
	if c.active(t, cc2) {
		t.Error("revoked token active")
	}
	if n := len(c.ts.Requests()); n == 0 || c.ts.Requests()[0].Time.Before(time.Now().Add(-time.Minute)) {
		t.Errorf("log: %d", n)
	}
	// Later seconds: stateless again.
	c.ts.Clock.Advance(2 * time.Second)
	_, before, _ := c.ts.Store().(*MemoryStore).Len()
	cc3 := c.clientCredentials(t)
	if !c.active(t, cc3) {
		t.Error("token of a later second not active")
	}
	if _, after, _ := c.ts.Store().(*MemoryStore).Len(); after != before {
		t.Errorf("a client_credentials token of a later second stored (%d records, %d before)", after, before)
	}
}

// TestControlResetConcurrent resets while requests run (go test -race).
func TestControlResetConcurrent(t *testing.T) {
	c := newCtl(t, "rfc6749")
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	errs := make(chan string, 100)
	for i := range 4 {
		wg.Go(func() {
			for n := 0; ctx.Err() == nil; n++ {
				switch (i + n) % 4 {
				case 0:
					if res := doToken(t, c.ts, c.req("grant_type=client_credentials")); res.status != 200 {
						errs <- "client_credentials: " + res.raw
					}
				case 1:
					if res := doToken(t, c.ts, c.req("grant_type=password&username=alice&password=alice-password")); res.status != 200 {
						errs <- "password: " + res.raw
					}
				case 2:
					id := fmt.Sprintf("c-%d-%d", i, n)
					_ = c.ts.AddClient(profile.Client{ID: id, Secret: profile.Secret("s-" + id)})
				case 3:
					c.resource(t, "x")
				}
			}
		})
	}
	for range 20 {
		c.must(t, 200, "POST", "/reset", "")
		time.Sleep(2 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	c.must(t, 200, "POST", "/reset", "")
	if tok := c.clientCredentials(t); !c.active(t, tok) {
		t.Error("token after the last reset not active")
	}
}

// TestControlUnsupported: what the provider's configuration does not
// allow is a 409, not a failure.
func TestControlUnsupported(t *testing.T) {
	p, err := New(Config{}) // the system clock, no request log
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	mc, _ := MustLoadSettings("merchant-customer")
	opaque, err := New(Config{Settings: mc})
	if err != nil {
		t.Fatal(err)
	}
	defer opaque.Close()
	other, err := New(Config{Store: storeWithoutReset{NewMemoryStore()}})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	for _, tc := range []struct {
		p            *Provider
		method, path string
		body         string
	}{
		{p, "POST", "/clock/advance", `{"by":"1s"}`},
		{p, "GET", "/requests", ""},
		{p, "DELETE", "/requests", ""},
		{opaque, "POST", "/keys/rotate", ""},
		{other, "POST", "/reset", ""},
	} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
		req.Header.Set("Authorization", "Bearer s")
		tc.p.ControlHandler("s").ServeHTTP(rec, req)
		var e controlError
		if rec.Code != http.StatusConflict || json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Error != ctlUnsupported {
			t.Errorf("%s %s: %d %s", tc.method, tc.path, rec.Code, rec.Body)
		}
	}
	// GET /clock works with any clock.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/clock", nil)
	req.Header.Set("Authorization", "Bearer s")
	p.ControlHandler("s").ServeHTTP(rec, req)
	if rec.Code != 200 || strings.Contains(rec.Body.String(), "offset") {
		t.Errorf("clock: %d %s", rec.Code, rec.Body)
	}
	if err := other.Reset(context.Background()); err == nil {
		t.Error("Reset of a store without Reset succeeded")
	}
}

// storeWithoutReset is a Store that is no ResettableStore.
type storeWithoutReset struct{ Store }

func TestWithControlOptions(t *testing.T) {
	for _, tc := range []struct {
		name, prefix, secret, want string
	}{
		{"root", "/", "s", "not a path"},
		{"relative", "_control", "s", "not a path"},
		{"query", "/_control?x", "s", "not a path"},
		{"dot segment", "/a/..", "s", ". or .."},
		{"empty secret", "/_control", "", "empty secret"},
		{"over the token endpoint", "/token", "s", "serves /token"},
		{"over the metadata", "/.well-known", "s", "serves /.well-known/"},
		{"under the resource", "/resource/x", "s", "covers it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewServer(Config{}, WithControl(tc.prefix, tc.secret))
			if err == nil {
				s.Close()
				t.Fatalf("no error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%v, want %q", err, tc.want)
			}
		})
	}
	// A trailing slash is dropped; without WithControl there is no URL.
	s, err := NewServer(Config{}, WithControl("/admin/mock/", "s"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.ControlURL() != s.URL+"/admin/mock" {
		t.Errorf("ControlURL %q", s.ControlURL())
	}
	plain := NewTestServer(t, "rfc6749")
	if plain.ControlURL() != "" {
		t.Errorf("ControlURL without WithControl: %q", plain.ControlURL())
	}
	if res := doAt(t, plain, plain.URL+DefaultControlPrefix+"/clock", tokenReq{method: "GET", authz: "Bearer s"}); res.status != 404 {
		t.Errorf("control API without WithControl: %d", res.status)
	}
}

// TestControlNotRecordedNorFaulted: the control API is outside the
// provider's log and fault queue, and its secret and bodies are never
// logged.
func TestControlNotRecordedNorFaulted(t *testing.T) {
	var logs bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := newCtl(t, "rfc6749", func(cfg *Config) { cfg.Logger = logger })
	c.must(t, 200, "POST", "/faults", `{"endpoint":"/","faults":[{"status":500,"times":100}]}`)
	c.must(t, 201, "POST", "/users", `{"username":"carol","password":"carol-secret-pw"}`)
	c.must(t, 200, "GET", "/faults", "")
	c.callAuth(t, "GET", "/clock", "", "Bearer guess-"+testControlSecret)
	if n := len(c.ts.Requests()); n != 0 {
		t.Errorf("%d control requests recorded", n)
	}
	if q := c.ts.Faults(); len(q) != 1 || q[0].Fault.Times != 100 {
		t.Errorf("control requests took faults: %+v", q)
	}
	mu.Lock()
	out := logs.String()
	mu.Unlock()
	if !strings.Contains(out, "control request") || !strings.Contains(out, "path=/users") {
		t.Errorf("control requests not logged: %s", out)
	}
	for _, s := range []string{testControlSecret, "carol-secret-pw"} {
		if strings.Contains(out, s) {
			t.Errorf("%q logged: %s", s, out)
		}
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// TestControlOpenAPIRoutes: the document describes exactly the routes the
// handler serves.
func TestControlOpenAPIRoutes(t *testing.T) {
	doc := loadControlOpenAPI(t)
	if doc["openapi"] != "3.1.0" {
		t.Fatalf("openapi %v", doc["openapi"])
	}
	p, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	h := p.ControlHandler("s").(*control)
	var served, documented []string
	for path, methods := range h.routes {
		for m := range methods {
			served = append(served, strings.ToLower(m)+" "+path)
		}
	}
	for path, item := range doc["paths"].(map[string]any) {
		for m, op := range item.(map[string]any) {
			documented = append(documented, m+" "+path)
			o := op.(map[string]any)
			if o["operationId"] == "" || o["responses"].(map[string]any)["401"] == nil {
				t.Errorf("%s %s: no operationId or 401", m, path)
			}
		}
	}
	slices.Sort(served)
	slices.Sort(documented)
	if !slices.Equal(served, documented) {
		t.Errorf("served %v\ndocumented %v", served, documented)
	}
}

func loadControlOpenAPI(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(controlOpenAPI, &doc); err != nil {
		t.Fatalf("control_openapi.json: %v", err)
	}
	return doc
}

// validateControlSchema checks an answer against a schema of the document's
// components (JSON Schema; the keywords used mean the same in draft 7).
func validateControlSchema(t *testing.T, doc map[string]any, name, body string) {
	t.Helper()
	schema := map[string]any{"$ref": "#/components/schemas/" + name, "components": doc["components"]}
	res, err := gojsonschema.Validate(gojsonschema.NewGoLoader(schema), gojsonschema.NewStringLoader(body))
	if err != nil {
		t.Fatalf("schema %s: %v", name, err)
	}
	if !res.Valid() {
		t.Errorf("answer does not match schema %s: %v\n%.500s", name, res.Errors(), body)
	}
}

func must64(t *testing.T, seg string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func jwtPayload(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %.40s", tok)
	}
	var m map[string]any
	if err := json.Unmarshal(must64(t, parts[1]), &m); err != nil {
		t.Fatal(err)
	}
	return m
}
