package mockserver

import (
	"context"
	"encoding/json"
	"errors"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/oauthconform/oauthconform/profile"
)

// Tests of the lawful behaviours real servers show that the settings can
// play: an open scope vocabulary (scopes.unknown accept), a catch-all for
// unknown paths (not_found), a script redirect (authorize.redirect page),
// introspection restricted to resource servers (introspection), grant type
// checked before the client (token_request.check_order) and 400 for
// invalid_client without the Authorization header
// (client_auth.invalid_client_status).

// settingsError resolves the dialect's built-in settings changed by edit
// and returns the settings error (nil when they are valid).
func settingsError(t *testing.T, dialect string, edit func(*Settings)) *SettingsError {
	t.Helper()
	set, d, err := readSettings(dialect)
	if err != nil {
		t.Fatal(err)
	}
	edit(set)
	err = set.Resolve(d)
	if err == nil {
		return nil
	}
	var se *SettingsError
	if !errors.As(err, &se) {
		t.Fatalf("not a settings error: %v", err)
	}
	return se
}

func wantSettingsError(t *testing.T, dialect, field string, edit func(*Settings)) {
	t.Helper()
	se := settingsError(t, dialect, edit)
	if se == nil || se.Field != field {
		t.Fatalf("want a settings error on %s, got %v", field, se)
	}
}

func wantValidSettings(t *testing.T, dialect string, edit func(*Settings)) {
	t.Helper()
	if se := settingsError(t, dialect, edit); se != nil {
		t.Fatalf("want valid settings, got %v", se)
	}
}

// ---------------------------------------------------------------------------
// scopes.unknown: accept

func TestUnknownScopeAccept(t *testing.T) {
	accept := func(s *Settings) { s.Scopes.Unknown = UnknownScopeAccept }
	t.Run("validation", func(t *testing.T) {
		for _, d := range []string{"rfc6749", "oauth20-intents", "oob-pkce"} {
			wantValidSettings(t, d, accept)
		}
		// merchant-customer fixes its vocabulary (merchant, customer).
		wantSettingsError(t, "merchant-customer", "scopes.unknown", accept)
		wantSettingsError(t, "rfc6749", "scopes.unknown", func(s *Settings) { s.Scopes.Unknown = "grant" })
	})

	fx := profile.DefaultFixtures()
	fx.Clients = append(fx.Clients, profile.Client{ID: "read-only-client", Secret: "read-only-secret", Scopes: []string{"read"}})
	ts := NewTestServer(t, "rfc6749", WithSettings(accept), WithFixtures(fx))
	cc := func(c [2]string, scope string) tokenResp {
		return doToken(t, ts, tokenReq{body: ccBody + "&scope=" + url.QueryEscape(scope), basic: c})
	}
	t.Run("any well-formed value is granted as requested", func(t *testing.T) {
		for _, scope := range []string{"zz-custom", "read urn:example:api:orders.write", "https://api.example/x read"} {
			res := cc(conf, scope)
			if res.status != http.StatusOK || !sameScope(res.str("scope"), scope) {
				t.Fatalf("scope %q: %d %s", scope, res.status, res.raw)
			}
			tok := res.str("access_token")
			e := &ep{name: "rfc6749", ts: ts, c1: conf, c2: conf2}
			in := e.introspect(t, e.req("token="+url.QueryEscape(tok)))
			if got, _ := in.body["scope"].(string); !sameScope(got, scope) {
				t.Fatalf("introspection scope %q, want %q", got, scope)
			}
			claims := azJWTClaims(t, tok)
			if got, _ := claims["scope"].(string); !sameScope(got, scope) {
				t.Fatalf("JWT scope %q, want %q", got, scope)
			}
		}
	})
	t.Run("no scope still gets the default", func(t *testing.T) {
		res := mustToken(t, ts, tokenReq{body: ccBody, basic: conf})
		if res.str("scope") != "read" {
			t.Fatalf("%s", res.raw)
		}
	})
	t.Run("a malformed value is still refused", func(t *testing.T) {
		wantError(t, cc(conf, "read \"quoted\""), http.StatusBadRequest, errInvalidScope)
	})
	t.Run("a known value the client is not registered for is still refused", func(t *testing.T) {
		ro := [2]string{"read-only-client", "read-only-secret"}
		wantError(t, cc(ro, "write"), http.StatusBadRequest, errInvalidScope)
		if res := cc(ro, "read zz-custom"); res.status != http.StatusOK || !sameScope(res.str("scope"), "read zz-custom") {
			t.Fatalf("%d %s", res.status, res.raw)
		}
	})
	t.Run("refresh cannot widen to an unknown value", func(t *testing.T) {
		res := mustToken(t, ts, tokenReq{body: "grant_type=password&username=alice&password=alice-password&scope=zz-a", basic: conf})
		rt := res.str("refresh_token")
		wantError(t, doToken(t, ts, tokenReq{body: "grant_type=refresh_token&scope=zz-a+zz-b&refresh_token=" + url.QueryEscape(rt), basic: conf}), http.StatusBadRequest, errInvalidScope)
	})
	t.Run("the authorize endpoint grants it too", func(t *testing.T) {
		code := azWantOK(t, azFlow(t, ts, azCodeReq().set("scope", "read zz-custom"), actionApprove), http.StatusSeeOther, azR1, azNasty)
		status, body := azExchange(t, ts, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {azR1}}, azConf, nil)
		if got, _ := body["scope"].(string); status != http.StatusOK || !sameScope(got, "read zz-custom") {
			t.Fatalf("%d %v", status, body)
		}
		if _, err := ts.MintCode(context.Background(), CodeRequest{ClientID: "conf-client", Scope: "zz-minted"}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("the metadata lists the known values only", func(t *testing.T) {
		doc, _, _ := getMetadata(t, ts, WellKnownOAuth)
		var got []string
		for _, v := range doc["scopes_supported"].([]any) {
			got = append(got, v.(string))
		}
		if !slices.Equal(got, ts.Settings().Scopes.Supported) {
			t.Fatalf("scopes_supported %v", got)
		}
	})
}

// ---------------------------------------------------------------------------
// not_found

func TestNotFoundChoices(t *testing.T) {
	t.Run("validation", func(t *testing.T) {
		for _, v := range []string{"", NotFound404, NotFoundHTML, NotFoundGateway401} {
			wantValidSettings(t, "rfc6749", func(s *Settings) { s.NotFound = v })
		}
		wantSettingsError(t, "rfc6749", "not_found", func(s *Settings) { s.NotFound = "403" })
	})
	get := func(t *testing.T, ts *TestServer, method, path string) tokenResp {
		t.Helper()
		return doAt(t, ts, ts.URL+path, tokenReq{method: method})
	}
	unknown := []string{"/", "/app/settings", "/revoke", "/.well-known/oauth-authorization-server/other", "/a/../b//c"}
	t.Run("default: 404", func(t *testing.T) {
		ts := NewTestServer(t, "rfc6749", WithSettings(func(s *Settings) { s.Endpoints.Revocation = "" }))
		for _, p := range unknown {
			if res := get(t, ts, http.MethodGet, p); res.status != http.StatusNotFound && res.status != http.StatusTemporaryRedirect {
				t.Fatalf("%s: %d", p, res.status)
			}
		}
	})
	t.Run("html: the application's page", func(t *testing.T) {
		ts := NewTestServer(t, "rfc6749", WithSettings(func(s *Settings) {
			s.NotFound, s.Metadata = NotFoundHTML, new(false)
			s.Endpoints.Revocation = ""
		}))
		for _, p := range append(unknown, WellKnownOAuth, WellKnownOIDC) {
			for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut} {
				res := get(t, ts, m, p)
				if res.status != http.StatusOK || res.raw != "<html>app</html>" || !strings.HasPrefix(res.header.Get("Content-Type"), "text/html") {
					t.Fatalf("%s %s: %d %q %q", m, p, res.status, res.header.Get("Content-Type"), res.raw)
				}
			}
		}
		if res := get(t, ts, http.MethodHead, "/x"); res.status != http.StatusOK || res.raw != "" {
			t.Fatalf("HEAD: %d %q", res.status, res.raw)
		}
		// What the provider serves is unchanged.
		mustToken(t, ts, tokenReq{body: ccBody, basic: conf})
		if res := get(t, ts, http.MethodGet, "/token"); res.status != http.StatusMethodNotAllowed {
			t.Fatalf("GET /token: %d", res.status)
		}
		if res := get(t, ts, http.MethodGet, "/resource/a/b"); res.status != http.StatusUnauthorized {
			t.Fatalf("resource subtree: %d %s", res.status, res.raw)
		}
		if res := get(t, ts, http.MethodGet, "/jwks"); res.status != http.StatusOK || res.body["keys"] == nil {
			t.Fatalf("jwks: %d %s", res.status, res.raw)
		}
	})
	t.Run("gateway-401: the gateway's challenge", func(t *testing.T) {
		ts := NewTestServer(t, "merchant-customer", WithSettings(func(s *Settings) { s.NotFound = NotFoundGateway401 }))
		for _, p := range unknown {
			res := get(t, ts, http.MethodPost, p)
			if res.status != http.StatusUnauthorized || res.header.Get("WWW-Authenticate") != `Basic realm="gateway"` ||
				!strings.HasPrefix(res.header.Get("Content-Type"), "text/html") || !strings.Contains(res.raw, "<html>") || res.body != nil {
				t.Fatalf("%s: %d %v %q", p, res.status, res.header, res.raw)
			}
		}
		// The metadata is served; the API under /client-id/ answers its own 404.
		if doc, _, resp := getMetadata(t, ts, WellKnownOAuth); resp.StatusCode != http.StatusOK || doc["issuer"] == nil {
			t.Fatalf("metadata %d", resp.StatusCode)
		}
		at := mustToken(t, ts, tokenReq{body: ccBody, basic: conf}).str("access_token")
		res := doAt(t, ts, ts.URL+"/client-id/conf-client/nothing-here", tokenReq{method: http.MethodGet, authz: "Bearer " + at})
		if res.status != http.StatusNotFound {
			t.Fatalf("API 404: %d %s", res.status, res.raw)
		}
	})
	t.Run("an issuer with a path still routes its endpoints", func(t *testing.T) {
		ts := NewTestServer(t, "rfc6749", WithIssuer("http://proxy.example/tenant"), WithSettings(func(s *Settings) { s.NotFound = NotFoundHTML }))
		res := doAt(t, ts, ts.URL+"/tenant/token", tokenReq{body: ccBody, basic: conf})
		if res.status != http.StatusOK || res.str("access_token") == "" {
			t.Fatalf("/tenant/token: %d %s", res.status, res.raw)
		}
		if res := get(t, ts, http.MethodGet, "/tenant/nothing"); res.status != http.StatusOK || res.raw != "<html>app</html>" {
			t.Fatalf("/tenant/nothing: %d %q", res.status, res.raw)
		}
	})
}

// ---------------------------------------------------------------------------
// authorize.redirect: page

var (
	refreshRE = regexp.MustCompile(`<meta http-equiv="refresh" content="0;url=([^"]*)">`)
	scriptRE  = regexp.MustCompile(`<script nonce="([^"]+)">location\.replace\(("(?:[^"\\]|\\.)*")\);</script>`)
)

// azWantPageRedirect asserts the page of authorize.redirect page and
// returns where it sends the user agent (the same URL in the meta refresh
// and the script).
func azWantPageRedirect(t *testing.T, res azResult) string {
	t.Helper()
	if res.status != http.StatusOK || res.loc != "" || !strings.HasPrefix(res.header.Get("Content-Type"), "text/html") {
		t.Fatalf("want a 200 redirect page, got %d Location=%q %q", res.status, res.loc, res.header.Get("Content-Type"))
	}
	m := refreshRE.FindStringSubmatch(res.body)
	s := scriptRE.FindStringSubmatch(res.body)
	if m == nil || s == nil {
		t.Fatalf("no meta refresh or script in %s", res.body)
	}
	viaMeta := html.UnescapeString(m[1])
	var viaScript string
	if err := json.Unmarshal([]byte(s[2]), &viaScript); err != nil {
		t.Fatal(err)
	}
	if viaMeta != viaScript {
		t.Fatalf("meta refresh %q, script %q", viaMeta, viaScript)
	}
	csp := res.header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'nonce-"+s[1]+"'") || !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Fatalf("CSP %q (nonce %q)", csp, s[1])
	}
	if res.header.Get("Cache-Control") != "no-store" || res.header.Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("headers %v", res.header)
	}
	return viaScript
}

func TestAuthorizeRedirectPage(t *testing.T) {
	page := func(s *Settings) { s.Authorize.Redirect = RedirectPage }
	t.Run("validation", func(t *testing.T) {
		wantValidSettings(t, "oob-pkce", page)
		wantSettingsError(t, "rfc6749", "authorize.redirect", func(s *Settings) { s.Authorize.Redirect = "js" })
	})
	ts := NewTestServer(t, "rfc6749", WithSettings(page))
	t.Run("approval", func(t *testing.T) {
		to := azWantPageRedirect(t, azFlow(t, ts, azCodeReq(), actionApprove))
		code := azWantOK(t, azResult{status: http.StatusSeeOther, loc: to}, http.StatusSeeOther, azR1, azNasty)
		status, body := azExchange(t, ts, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {azR1}}, azConf, nil)
		if status != http.StatusOK || body["access_token"] == nil {
			t.Fatalf("%d %v", status, body)
		}
	})
	t.Run("denial", func(t *testing.T) {
		to := azWantPageRedirect(t, azFlow(t, ts, azCodeReq(), actionDeny))
		azWantErr(t, azResult{status: http.StatusFound, loc: to}, http.StatusFound, azR1, errAccessDenied, azNasty, false)
	})
	t.Run("an error sent to the client", func(t *testing.T) {
		to := azWantPageRedirect(t, azGet(t, ts, azCodeReq().set("response_type", "id_token").enc()))
		azWantErr(t, azResult{status: http.StatusFound, loc: to}, http.StatusFound, azR1, errUnsupportedResponseType, azNasty, false)
	})
	t.Run("implicit", func(t *testing.T) {
		to := azWantPageRedirect(t, azFlow(t, ts, azCodeReq().set("response_type", "token"), actionApprove))
		if f := (azResult{loc: to}).fragment(); f.Get("access_token") == "" || f.Get("state") != azNasty {
			t.Fatalf("fragment of %q", to)
		}
	})
	t.Run("an untrusted redirect URI still gets an error page", func(t *testing.T) {
		azWantPage(t, azGet(t, ts, azCodeReq().set("redirect_uri", azAttacker).enc()), http.StatusBadRequest)
	})
	t.Run("the out-of-band page is still reached by a redirect", func(t *testing.T) {
		oob := NewTestServer(t, "oob-pkce", WithSettings(page))
		q := azReq{{"response_type", "code"}, {"client_id", "public-client"}, {"redirect_uri", azOOB},
			{"code_challenge", s256(azVerifier)}, {"code_challenge_method", "S256"}}
		res := azFlow(t, oob, q, actionApprove)
		if res.status != http.StatusSeeOther || !strings.HasPrefix(res.loc, oob.Settings().Endpoints.OOB+"?") {
			t.Fatalf("%d Location=%q", res.status, res.loc)
		}
	})
}

// ---------------------------------------------------------------------------
// introspection.clients

func TestIntrospectionClients(t *testing.T) {
	t.Run("validation", func(t *testing.T) {
		wantValidSettings(t, "rfc6749", func(s *Settings) { s.Introspection.Clients = []string{"rs"} })
		wantSettingsError(t, "rfc6749", "introspection", func(s *Settings) {
			s.Introspection.Clients, s.Endpoints.Introspection = []string{"rs"}, ""
		})
		wantSettingsError(t, "rfc6749", "introspection.clients", func(s *Settings) { s.Introspection.Unlisted = IntrospectionInactive })
		wantSettingsError(t, "rfc6749", "introspection.clients", func(s *Settings) { s.Introspection.Clients = []string{""} })
		wantSettingsError(t, "rfc6749", "introspection.unlisted", func(s *Settings) {
			s.Introspection = IntrospectionSettings{Clients: []string{"rs"}, Unlisted: "403"}
		})
		if se := settingsError(t, "rfc6749", func(s *Settings) {}); se != nil {
			t.Fatal(se)
		}
	})
	rs := [2]string{"resource-server", "rs-secret"}
	fx := profile.DefaultFixtures()
	fx.Clients = append(fx.Clients, profile.Client{ID: rs[0], Secret: profile.Secret(rs[1])})
	server := func(t *testing.T, unlisted string) *ep {
		return newEP(t, "rfc6749", WithFixtures(fx), WithSettings(func(s *Settings) {
			s.Introspection = IntrospectionSettings{Clients: []string{rs[0]}, Unlisted: unlisted}
		}))
	}
	introspect := func(t *testing.T, e *ep, c [2]string, tok string) tokenResp {
		t.Helper()
		return e.introspect(t, e.as(c, "token="+url.QueryEscape(tok)))
	}
	wantActive := func(t *testing.T, res tokenResp, active bool) {
		t.Helper()
		if res.status != http.StatusOK || res.body["active"] != active {
			t.Fatalf("want active %v, got %d %s", active, res.status, res.raw)
		}
		if !active && res.raw != `{"active":false}` {
			t.Fatalf("inactive answer %s", res.raw)
		}
	}
	for _, unlisted := range []string{"", IntrospectionRefuse, IntrospectionInactive, IntrospectionOwnTokens} {
		t.Run("unlisted "+unlisted, func(t *testing.T) {
			e := server(t, unlisted)
			at, rt := e.tokens(t)
			at2, _ := e.tokensFor(t, conf2, "")
			// The resource server sees every token.
			for _, tok := range []string{at, rt, at2} {
				wantActive(t, introspect(t, e, rs, tok), true)
			}
			// A request without token is still malformed.
			if res := e.introspect(t, e.as(conf, "")); unlisted != "" && unlisted != IntrospectionRefuse && res.status != http.StatusBadRequest {
				t.Fatalf("no token: %d %s", res.status, res.raw)
			}
			switch unlisted {
			case "", IntrospectionRefuse:
				res := introspect(t, e, conf, at)
				if res.status != http.StatusUnauthorized || res.str("error") != errInvalidClient || !strings.HasPrefix(res.header.Get("WWW-Authenticate"), "Basic ") {
					t.Fatalf("%d %v %s", res.status, res.header, res.raw)
				}
				if _, leaked := res.body["active"]; leaked {
					t.Fatalf("refusal carries active: %s", res.raw)
				}
			case IntrospectionInactive:
				for _, tok := range []string{at, rt, at2} {
					wantActive(t, introspect(t, e, conf, tok), false)
				}
			case IntrospectionOwnTokens:
				wantActive(t, introspect(t, e, conf, at), true)
				wantActive(t, introspect(t, e, conf, rt), true)
				wantActive(t, introspect(t, e, conf, at2), false)
				wantActive(t, introspect(t, e, conf2, at2), true)
			}
			// Wrong credentials are refused as before.
			if res := introspect(t, e, [2]string{rs[0], "wrong"}, at); res.status != http.StatusUnauthorized {
				t.Fatalf("wrong secret: %d", res.status)
			}
		})
	}
}

// ---------------------------------------------------------------------------
// token_request.check_order

func TestTokenCheckOrder(t *testing.T) {
	t.Run("validation", func(t *testing.T) {
		wantValidSettings(t, "merchant-customer", func(s *Settings) { s.TokenRequest.CheckOrder = CheckGrantFirst })
		wantSettingsError(t, "rfc6749", "token_request.check_order", func(s *Settings) { s.TokenRequest.CheckOrder = "random" })
	})
	bad := [2]string{"conf-client", "wrong"}
	unknownGrant := tokenReq{body: "grant_type=urn%3Aexample%3Agrant", basic: bad}
	t.Run("client-first (default)", func(t *testing.T) {
		ts := NewTestServer(t, "rfc6749")
		wantError(t, doToken(t, ts, unknownGrant), http.StatusUnauthorized, errInvalidClient)
		wantError(t, doToken(t, ts, tokenReq{body: "grant_type=urn%3Aexample%3Agrant", basic: conf}), http.StatusBadRequest, errUnsupportedGrantType)
	})
	t.Run("grant-first", func(t *testing.T) {
		ts := NewTestServer(t, "rfc6749", WithSettings(func(s *Settings) {
			s.TokenRequest.CheckOrder = CheckGrantFirst
			s.GrantTypes = []string{profile.GrantAuthorizationCode, profile.GrantClientCredentials, profile.GrantRefreshToken}
			s.RefreshToken.IssueFor = []string{profile.GrantAuthorizationCode, profile.GrantRefreshToken}
		}))
		wantError(t, doToken(t, ts, unknownGrant), http.StatusBadRequest, errUnsupportedGrantType)
		// A grant the settings disable, with no credentials at all.
		wantError(t, doToken(t, ts, tokenReq{body: "grant_type=password&username=alice&password=alice-password"}), http.StatusBadRequest, errUnsupportedGrantType)
		// An enabled grant still authenticates the client first.
		wantError(t, doToken(t, ts, tokenReq{body: ccBody, basic: bad}), http.StatusUnauthorized, errInvalidClient)
		wantError(t, doToken(t, ts, tokenReq{body: "grant_type=refresh_token&refresh_token=x", basic: bad}), http.StatusUnauthorized, errInvalidClient)
		// A missing grant_type is still invalid_request.
		wantError(t, doToken(t, ts, tokenReq{body: "scope=read", basic: bad}), http.StatusBadRequest, errInvalidRequest)
		mustToken(t, ts, tokenReq{body: ccBody, basic: conf})
	})
	t.Run("grant-first keeps the API key first", func(t *testing.T) {
		ts := NewTestServer(t, "oob-pkce", WithSettings(func(s *Settings) { s.TokenRequest.CheckOrder = CheckGrantFirst }))
		wantError(t, doToken(t, ts, tokenReq{body: "grant_type=password&client_id=public-client"}), http.StatusUnauthorized, errInvalidClient)
		wantError(t, doToken(t, ts, tokenReq{body: "grant_type=password&client_id=nobody", headers: map[string]string{"x-api-key": "demo-api-key"}}), http.StatusBadRequest, errUnsupportedGrantType)
	})
}

// ---------------------------------------------------------------------------
// client_auth.invalid_client_status

func TestInvalidClientStatus(t *testing.T) {
	t.Run("validation", func(t *testing.T) {
		for _, st := range []int{0, 400, 401} {
			wantValidSettings(t, "rfc6749", func(s *Settings) { s.ClientAuth.InvalidClientStatus = st })
		}
		wantSettingsError(t, "rfc6749", "client_auth.invalid_client_status", func(s *Settings) { s.ClientAuth.InvalidClientStatus = 403 })
		set, _ := MustLoadSettings("rfc6749")
		if set.ClientAuth.InvalidClientStatus != http.StatusUnauthorized {
			t.Fatalf("default %d", set.ClientAuth.InvalidClientStatus)
		}
	})
	post := func(id, secret string) tokenReq {
		return tokenReq{body: ccBody + "&client_id=" + url.QueryEscape(id) + "&client_secret=" + url.QueryEscape(secret)}
	}
	noChallenge := func(t *testing.T, res tokenResp) {
		t.Helper()
		if h := res.header.Get("WWW-Authenticate"); h != "" {
			t.Fatalf("a 400 with a challenge %q", h)
		}
	}
	t.Run("401 (default) with Basic enabled", func(t *testing.T) {
		ts := NewTestServer(t, "rfc6749")
		wantError(t, doToken(t, ts, post("conf-client", "wrong")), http.StatusUnauthorized, errInvalidClient)
		wantError(t, doToken(t, ts, tokenReq{body: ccBody}), http.StatusUnauthorized, errInvalidClient)
	})
	for _, d := range []string{"rfc6749", "merchant-customer"} {
		t.Run("400 for "+d, func(t *testing.T) {
			e := newEP(t, d, WithSettings(func(s *Settings) { s.ClientAuth.InvalidClientStatus = http.StatusBadRequest }))
			ts := e.ts
			for name, r := range map[string]tokenReq{
				"wrong secret in the body": post("conf-client", "wrong"),
				"unknown client":           post("nobody", "x"),
				"no credentials":           {body: ccBody},
				"client_id alone":          {body: ccBody + "&client_id=conf-client"},
			} {
				res := doToken(t, ts, r)
				if res.status != http.StatusBadRequest || res.str("error") != errInvalidClient {
					t.Fatalf("%s: %d %s", name, res.status, res.raw)
				}
				noChallenge(t, res)
			}
			// The Authorization header still gets 401 and a challenge (RFC 6749 §5.2 MUST).
			res := doToken(t, ts, tokenReq{body: ccBody, basic: [2]string{"conf-client", "wrong"}})
			wantError(t, res, http.StatusUnauthorized, errInvalidClient)
			if !strings.HasPrefix(res.header.Get("WWW-Authenticate"), "Basic ") {
				t.Fatalf("challenge %q", res.header.Get("WWW-Authenticate"))
			}
			mustToken(t, ts, post("conf-client", "conf-secret"))
			// Revocation answers as the token endpoint; introspection keeps 401.
			rev := e.revoke(t, tokenReq{body: "token=x&client_id=conf-client&client_secret=wrong"})
			if rev.status != http.StatusBadRequest || rev.str("error") != errInvalidClient {
				t.Fatalf("revocation: %d %s", rev.status, rev.raw)
			}
			noChallenge(t, rev)
			in := e.introspect(t, tokenReq{body: "token=x&client_id=conf-client&client_secret=wrong"})
			if in.status != http.StatusUnauthorized || in.str("error") != errInvalidClient {
				t.Fatalf("introspection: %d %s", in.status, in.raw)
			}
		})
	}
}
