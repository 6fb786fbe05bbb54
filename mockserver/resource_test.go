package mockserver

import (
	"net/http"
	"strings"
	"testing"

	"github.com/oauthconform/oauthconform/profile"
)

func TestGenericResource(t *testing.T) {
	for _, prof := range allProfiles {
		t.Run(prof, func(t *testing.T) {
			e := newEP(t, prof)
			at, _ := e.tokens(t)
			u := e.ts.ResourceURL()
			if res := doAt(t, e.ts, u, tokenReq{method: "PUT", authz: "Bearer " + at}); res.status != 405 || res.header.Get("Allow") != "GET, POST" {
				t.Fatalf("PUT: %d %v", res.status, res.header)
			}
			if res := doAt(t, e.ts, u+"/a/b", tokenReq{method: "GET", authz: "Bearer " + at}); res.status != 404 {
				t.Fatalf("deep path: %d", res.status)
			}
			// {resource}/{scope} gates on that scope.
			granted := e.ts.Settings().Scopes.Default
			if granted != "" {
				if res := doAt(t, e.ts, u+"/"+granted, tokenReq{method: "GET", authz: "Bearer " + at}); res.status != 200 {
					t.Fatalf("own scope: %d %s", res.status, res.raw)
				}
			}
			res := doAt(t, e.ts, u+"/zz-other", tokenReq{method: "GET", authz: "Bearer " + at})
			c := res.header.Get("WWW-Authenticate")
			if res.status != 403 || !strings.Contains(c, `error="insufficient_scope"`) || !strings.Contains(c, `scope="zz-other"`) || res.str("error") != "insufficient_scope" {
				t.Fatalf("other scope: %d %q %s", res.status, c, res.raw)
			}
			// The token check comes first.
			wantBearer401(t, doAt(t, e.ts, u+"/zz-other", tokenReq{method: "GET"}), "")
		})
	}
}

// The merchant-customer API (seed 001): merchant tokens everywhere, customer
// tokens on the seven customer endpoints only, the path's client_id bound to
// the token's client.
func TestMerchantCustomerAPI(t *testing.T) {
	e := newEP(t, "merchant-customer")
	merchant := mustToken(t, e.ts, tokenReq{body: ccBody + "&scope=merchant", basic: conf}).str("access_token")
	customer := mustToken(t, e.ts, tokenReq{body: ccBody + "&scope=customer", basic: conf}).str("access_token")
	both := mustToken(t, e.ts, tokenReq{body: ccBody + "&scope=merchant+customer", basic: conf}).str("access_token")
	other := mustToken(t, e.ts, tokenReq{body: ccBody + "&scope=merchant", basic: conf2}).str("access_token")
	call := func(method, path, tok string) tokenResp {
		r := tokenReq{method: method}
		if tok != "" {
			r.authz = "Bearer " + tok
		}
		if method == "POST" {
			r.contentType, r.body = "application/json", `{"amount":"10.00"}`
		}
		return doAt(t, e.ts, e.ts.URL+path, r)
	}
	customerEndpoints := []struct{ method, path string }{
		{"POST", "/client-id/conf-client/merchants/login"},
		{"POST", "/client-id/conf-client/widget/init"},
		{"POST", "/client-id/conf-client/apply"},
		{"GET", "/client-id/conf-client/terms-and-conditions"},
		{"POST", "/client-id/conf-client/information"},
		{"POST", "/client-id/conf-client/accounts/ACC-1234/calculate-interest"},
		{"POST", "/client-id/conf-client/authorization"},
	}
	for _, ce := range customerEndpoints {
		for _, tok := range []string{merchant, customer, both} {
			res := call(ce.method, ce.path, tok)
			if res.status != 200 || res.body["ok"] != true || res.str("client_id") != "conf-client" {
				t.Fatalf("%s %s: %d %s", ce.method, ce.path, res.status, res.raw)
			}
		}
		wantBearer401(t, call(ce.method, ce.path, ""), "")
		wantBearer401(t, call(ce.method, ce.path, "garbage"), "invalid_token")
		// Another client's id in the path: invalid_token.
		wantBearer401(t, call(ce.method, strings.Replace(ce.path, "conf-client", "conf-client-2", 1), merchant), "invalid_token")
		wrong := "GET"
		if ce.method == "GET" {
			wrong = "POST"
		}
		if res := call(wrong, ce.path, merchant); res.status != 405 || res.header.Get("Allow") != ce.method {
			t.Fatalf("%s %s: %d %v", wrong, ce.path, res.status, res.header)
		}
	}
	if res := call("POST", "/client-id/conf-client/accounts/ACC-1234/calculate-interest", customer); res.str("account_number") != "ACC-1234" {
		t.Fatalf("placeholder not captured: %s", res.raw)
	}
	// Merchant-only (undocumented) endpoints: customer tokens are invalid
	// there (seed 001), merchant tokens get 404.
	for _, path := range []string{"/client-id/conf-client/transactions", "/client-id/conf-client/apply/extra", "/client-id/", "/client-id/conf-client"} {
		wantBearer401(t, call("GET", path, customer), "invalid_token")
		if res := call("GET", path, merchant); res.status != 404 || res.str("error") != "not_found" {
			t.Fatalf("merchant on %s: %d %s", path, res.status, res.raw)
		}
	}
	// Another client's own path works for it.
	if res := call("POST", "/client-id/conf-client-2/apply", other); res.status != 200 {
		t.Fatalf("%d %s", res.status, res.raw)
	}
	// Revoked tokens are refused.
	wantRevoked200(t, e.revoke(t, e.req("token="+merchant)))
	wantBearer401(t, call("POST", "/client-id/conf-client/apply", merchant), "invalid_token")
}

// A profile whose rules use the default scope error answers 403.
func TestResourceRulesInsufficientScope(t *testing.T) {
	d := profile.MustLoad("merchant-customer")
	d.Resources.ScopeError = "" // the RFC 6750 default
	e := &ep{name: d.Name, ts: newTestServerDialect(t, d), c1: conf, c2: conf2}
	customer := mustToken(t, e.ts, tokenReq{body: ccBody + "&scope=customer", basic: conf}).str("access_token")
	res := doAt(t, e.ts, e.ts.URL+"/client-id/conf-client/settlements", tokenReq{method: http.MethodGet, authz: "Bearer " + customer})
	if res.status != 403 || !strings.Contains(res.header.Get("WWW-Authenticate"), `scope="merchant"`) {
		t.Fatalf("%d %v %s", res.status, res.header, res.raw)
	}
}
