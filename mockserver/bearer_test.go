package mockserver

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oauthconform/oauthconform/profile"
)

// wantBearer401 asserts a 401 with a Bearer challenge carrying the error
// (or, for code "", no error attribute at all).
func wantBearer401(t *testing.T, res tokenResp, code string) {
	t.Helper()
	c := res.header.Get("WWW-Authenticate")
	if res.status != http.StatusUnauthorized || !strings.HasPrefix(strings.ToLower(c), "bearer ") || !strings.Contains(c, `realm="oauthconform"`) {
		t.Fatalf("want 401 with a Bearer challenge, got %d %q %s", res.status, c, res.raw)
	}
	if code == "" {
		if challengeHasError(c) || res.raw != "" {
			t.Fatalf("error reported for a request without a token: %q %s", c, res.raw)
		}
		return
	}
	if !strings.Contains(c, `error="`+code+`"`) || !strings.Contains(c, `error_description="`) || res.str("error") != code {
		t.Fatalf("want error %s, got %q %s", code, c, res.raw)
	}
}

func TestBearerTokenExtraction(t *testing.T) {
	for _, prof := range allProfiles {
		t.Run(prof, func(t *testing.T) {
			e := newEP(t, prof)
			at, rt := e.tokens(t)
			u := e.ts.ResourceURL()
			ok := func(res tokenResp) {
				t.Helper()
				if res.status != 200 || res.body["ok"] != true || res.str("client_id") != e.c1[0] || res.str("sub") != "alice" || res.header.Get("Cache-Control") != "no-store" {
					t.Fatalf("%d %s", res.status, res.raw)
				}
			}
			form := "application/x-www-form-urlencoded"
			ok(doAt(t, e.ts, u, tokenReq{method: "GET", authz: "Bearer " + at}))
			ok(doAt(t, e.ts, u, tokenReq{method: "GET", authz: "bearer " + at}))
			ok(doAt(t, e.ts, u, tokenReq{method: "GET", authz: "BEARER   " + at + " "}))
			ok(doAt(t, e.ts, u, tokenReq{method: "POST", authz: "Bearer " + at, body: "x=1"}))
			ok(doAt(t, e.ts, u, tokenReq{method: "POST", contentType: form, body: "access_token=" + url.QueryEscape(at) + "&x=1"}))
			ok(doAt(t, e.ts, u, tokenReq{method: "POST", contentType: form + "; charset=utf-8", body: "access_token=" + url.QueryEscape(at)}))

			// No token: 401 without error (RFC 6750 §3.1), also for another
			// scheme, a token in the query (§2.3 not supported), or in a JSON
			// body.
			for _, r := range []tokenReq{
				{method: "GET"},
				{method: "GET", basic: conf},
				{method: "GET", query: "access_token=" + url.QueryEscape(at)},
				{method: "POST", contentType: "application/json", body: `{"access_token":"` + at + `"}`},
				{method: "GET", body: "access_token=" + url.QueryEscape(at), contentType: form},
			} {
				wantBearer401(t, doAt(t, e.ts, u, r), "")
			}
			// Invalid tokens.
			for _, tok := range []string{"garbage", at + "x", rt, "a.b.c", strings.Repeat("A", 20000)} {
				wantBearer401(t, doAt(t, e.ts, u, tokenReq{method: "GET", authz: "Bearer " + tok}), "invalid_token")
			}
			// Malformed requests: 400 invalid_request.
			for _, r := range []tokenReq{
				{method: "GET", authz: "Bearer"},
				{method: "GET", authz: "Bearer "},
				{method: "GET", authz: "Bearer a b"},
				{method: "POST", authz: "Bearer " + at, contentType: form, body: "access_token=" + url.QueryEscape(at)},
				{method: "POST", contentType: form, body: "access_token=a&access_token=b"},
				{method: "POST", contentType: form, body: "access_token=%zz"},
			} {
				res := doAt(t, e.ts, u, r)
				if res.status != 400 || res.str("error") != "invalid_request" {
					t.Fatalf("%+v: %d %s", r, res.status, res.raw)
				}
			}
			// Expired.
			e.ts.Clock.Advance(e.ts.Settings().AccessToken.Lifetime.D() + time.Second)
			wantBearer401(t, doAt(t, e.ts, u, tokenReq{method: "GET", authz: "Bearer " + at}), "invalid_token")
		})
	}
}

// Two Authorization headers are refused.
func TestBearerTwoAuthorizationHeaders(t *testing.T) {
	e := newEP(t, "rfc6749")
	at, _ := e.tokens(t)
	req, _ := http.NewRequest("GET", e.ts.ResourceURL(), nil)
	req.Header.Add("Authorization", "Bearer "+at)
	req.Header.Add("Authorization", "Bearer "+at)
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Fatalf("%d", resp.StatusCode)
	}
}

// FuzzEndpoints: whatever a client sends to metadata, revocation,
// introspection or the protected resources, the answer is never a 5xx or a
// panic. The seed corpus runs in every `go test`; `go test -fuzz
// FuzzEndpoints` explores.
func FuzzEndpoints(f *testing.F) {
	seeds := []struct{ method, path, ct, auth, body string }{
		{"POST", "revocation", "application/x-www-form-urlencoded", basicHeader("conf-client", "conf-secret"), "token=x&token_type_hint=refresh_token"},
		{"POST", "introspection", "application/x-www-form-urlencoded", basicHeader("conf-client", "conf-secret"), "token=a.b.c"},
		{"POST", "introspection", "application/json", "", `{"token":["x"],"client_id":"conf-client"}`},
		{"POST", "revocation", "application/json", "", `{"token":"x","client_id":"conf-client","client_secret":"conf-secret"}`},
		{"POST", "revocation", "application/x-www-form-urlencoded; charset=latin1", "Basic Og==", "token=%ff"},
		{"POST", "introspection", "multipart/form-data; boundary=x", "Bearer x", "--x--"},
		{"GET", "resource", "", "Bearer eyJhbGciOiJub25lIn0.e30.", ""},
		{"POST", "resource", "application/x-www-form-urlencoded", "", "access_token=%zz&access_token"},
		{"GET", "resource/x y", "", "Bearer \x7f", ""},
		{"DELETE", "/client-id/conf-client/accounts/%2F/calculate-interest", "", "bearer x", ""},
		{"GET", "/client-id/../client-id/conf-client/apply", "", "Bearer", ""},
		{"GET", "/.well-known/oauth-authorization-server", "", "", ""},
		{"OPTIONS", "/.well-known/openid-configuration", "", "", "\x00"},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.ct, s.auth, s.body)
	}
	var providers []*Provider
	for _, name := range allProfiles {
		p, err := New(Config{Dialect: profile.MustLoad(name)})
		if err != nil {
			f.Fatal(err)
		}
		f.Cleanup(p.Close)
		providers = append(providers, p)
	}
	f.Fuzz(func(t *testing.T, method, path, ct, auth, body string) {
		for _, p := range providers {
			e, path := p.settings.Endpoints, path
			switch {
			case path == "revocation":
				path = e.Revocation
			case path == "introspection":
				path = e.Introspection
			case strings.HasPrefix(path, "resource"):
				path = e.Resource + strings.TrimPrefix(path, "resource")
			}
			u, err := url.Parse("http://localhost" + path)
			if err != nil || !validMethod(method) {
				continue
			}
			r := httptest.NewRequest(http.MethodGet, "http://localhost/", strings.NewReader(body))
			r.Method, r.URL, r.RequestURI = method, u, ""
			if ct != "" {
				r.Header.Set("Content-Type", ct)
			}
			if auth != "" {
				r.Header.Set("Authorization", auth)
			}
			w := httptest.NewRecorder()
			p.ServeHTTP(w, r)
			if w.Code >= 500 {
				t.Fatalf("%s %s %s: %d %s", p.settings.Dialect, method, path, w.Code, w.Body)
			}
		}
	})
}

func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for _, c := range m {
		if c <= ' ' || c >= 0x7f || strings.ContainsRune(`()<>@,;:\"/[]?={}`, c) {
			return false
		}
	}
	return true
}
