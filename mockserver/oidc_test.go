package mockserver

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/oauthconform/oauthconform/profile"
)

// OpenID Connect login against the mock, checked by off-the-shelf relying
// party libraries: go-oidc discovers the provider, verifies the ID token
// (signature through the discovered JWKS, iss, aud, exp), its nonce and
// at_hash, and reads the UserInfo endpoint; golang.org/x/oauth2 builds the
// authentication request and exchanges the code.

// oidcRP is a relying party of the test server: conf-client.
type oidcRP struct {
	ts       *TestServer
	ctx      context.Context // carries the test server's HTTP client
	provider *oidc.Provider
	cfg      *oauth2.Config
	verifier *oidc.IDTokenVerifier
}

func newOIDCRP(t *testing.T, ts *TestServer, scopes ...string) *oidcRP {
	t.Helper()
	ctx := oidc.ClientContext(context.Background(), ts.Client())
	provider, err := oidc.NewProvider(ctx, ts.Issuer())
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	alg := ts.Settings().AccessToken.Alg
	if alg == "" || alg == "HS256" {
		alg = "ES256"
	}
	return &oidcRP{
		ts: ts, ctx: ctx, provider: provider,
		cfg: &oauth2.Config{
			ClientID: "conf-client", ClientSecret: "conf-secret", Endpoint: provider.Endpoint(),
			RedirectURL: azR1, Scopes: scopes,
		},
		verifier: provider.Verifier(&oidc.Config{ClientID: "conf-client", SupportedSigningAlgs: []string{alg}, Now: ts.Clock.Now}),
	}
}

// login runs the authentication request through the real authorize
// endpoint: the login form is filled in as alice and approved.
func (rp *oidcRP) login(t *testing.T, state, nonce string, opts ...oauth2.AuthCodeOption) string {
	t.Helper()
	if nonce != "" {
		opts = append(opts, oidc.Nonce(nonce))
	}
	res := azDo(t, rp.ts, http.MethodGet, rp.cfg.AuthCodeURL(state, opts...), "", nil)
	if res.status != http.StatusOK {
		t.Fatalf("authorize: want the login page, got %d Location=%q %s", res.status, res.loc, res.body)
	}
	res = azSubmit(t, rp.ts, azParsePage(t, res.body), "alice", "alice-password", "approve", nil)
	return azWantOK(t, res, http.StatusSeeOther, azR1, state)
}

func (rp *oidcRP) exchange(t *testing.T, code string, opts ...oauth2.AuthCodeOption) *oauth2.Token {
	t.Helper()
	tok, err := rp.cfg.Exchange(rp.octx(), code, opts...)
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	return tok
}

func (rp *oidcRP) octx() context.Context {
	return context.WithValue(context.Background(), oauth2.HTTPClient, rp.ts.Client())
}

// idToken verifies the token response's id_token.
func (rp *oidcRP) idToken(t *testing.T, tok *oauth2.Token) (*oidc.IDToken, map[string]any) {
	t.Helper()
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		t.Fatalf("no id_token in the token response")
	}
	idt, err := rp.verifier.Verify(rp.ctx, raw)
	if err != nil {
		t.Fatalf("ID token does not verify: %v", err)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	return idt, claims
}

type userInfoClaims struct {
	Sub           string `json:"sub"`
	Name          string `json:"name"`
	Email         string `json:"email"`
	EmailVerified *bool  `json:"email_verified"`
}

func TestOIDCLoginThroughAuthorizeEndpoint(t *testing.T) {
	ts := NewTestServer(t, "rfc6749") // the built-in settings are an OpenID Provider
	rp := newOIDCRP(t, ts, oidc.ScopeOpenID, "profile", "email")
	loginAt := ts.Clock.Now().Unix()
	const nonce = "n-0S6_WzA2Mj"
	code := rp.login(t, "xyz", nonce, oauth2.S256ChallengeOption(azVerifier))
	ts.Clock.Advance(5 * time.Second)
	tok := rp.exchange(t, code, oauth2.VerifierOption(azVerifier))

	idt, claims := rp.idToken(t, tok)
	if idt.Nonce != nonce {
		t.Errorf("nonce %q, want %q", idt.Nonce, nonce)
	}
	if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
		t.Errorf("at_hash: %v", err)
	}
	if idt.Issuer != ts.Issuer() || idt.Subject != "alice" || !slices.Equal(idt.Audience, []string{"conf-client"}) {
		t.Errorf("iss %q sub %q aud %q", idt.Issuer, idt.Subject, idt.Audience)
	}
	authTime, _ := claims["auth_time"].(float64)
	if int64(authTime) < loginAt || int64(authTime) > loginAt+1 || int64(authTime) >= idt.IssuedAt.Unix() {
		t.Errorf("auth_time %v: want the login time %d, before iat %d", claims["auth_time"], loginAt, idt.IssuedAt.Unix())
	}
	if claims["azp"] != "conf-client" || claims["name"] != "Alice Example" || claims["email"] != "alice@example.com" || claims["email_verified"] != true {
		t.Errorf("claims %v", claims)
	}
	if !idt.Expiry.After(ts.Clock.Now()) {
		t.Errorf("exp %v", idt.Expiry)
	}

	// UserInfo, at the discovered endpoint, with the access token.
	ui, err := rp.provider.UserInfo(rp.ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatalf("userinfo: %v", err)
	}
	var uc userInfoClaims
	if err := ui.Claims(&uc); err != nil {
		t.Fatal(err)
	}
	if ui.Subject != "alice" || ui.Email != "alice@example.com" || !ui.EmailVerified || uc.Name != "Alice Example" {
		t.Errorf("userinfo %+v %+v", ui, uc)
	}

	// A refresh returns a new ID token (OIDC Core §12.2): same iss, sub, aud,
	// azp and auth_time, a new iat, no nonce, at_hash of the new access token.
	ts.Clock.Advance(10 * time.Minute)
	tok.Expiry = time.Now().Add(-time.Minute)
	tok2, err := rp.cfg.TokenSource(rp.octx(), tok).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if tok2.AccessToken == tok.AccessToken {
		t.Fatal("refresh returned the same access token")
	}
	idt2, claims2 := rp.idToken(t, tok2)
	if idt2.Subject != idt.Subject || !slices.Equal(idt2.Audience, idt.Audience) || idt2.Issuer != idt.Issuer || claims2["azp"] != claims["azp"] {
		t.Errorf("refreshed ID token %+v %v", idt2, claims2)
	}
	if claims2["auth_time"] != claims["auth_time"] || !idt2.IssuedAt.After(idt.IssuedAt) {
		t.Errorf("auth_time %v (was %v), iat %v (was %v)", claims2["auth_time"], claims["auth_time"], idt2.IssuedAt, idt.IssuedAt)
	}
	if _, ok := claims2["nonce"]; ok {
		t.Errorf("refreshed ID token has a nonce: %v", claims2)
	}
	if err := idt2.VerifyAccessToken(tok2.AccessToken); err != nil {
		t.Errorf("at_hash after refresh: %v", err)
	}
	if err := idt2.VerifyAccessToken(tok.AccessToken); err == nil {
		t.Error("at_hash of the refreshed ID token matches the old access token")
	}
}

// The scope decides which user claims are released (OIDC Core §5.4), in the
// ID token and at the UserInfo endpoint alike; no nonce sent, none returned.
func TestOIDCScopeClaims(t *testing.T) {
	for _, tt := range []struct {
		scopes     []string
		want, none []string
	}{
		{[]string{"openid"}, nil, []string{"name", "email", "email_verified"}},
		{[]string{"openid", "email"}, []string{"email", "email_verified"}, []string{"name"}},
		{[]string{"openid", "profile", "read"}, []string{"name"}, []string{"email", "email_verified"}},
	} {
		t.Run(strings.Join(tt.scopes, "+"), func(t *testing.T) {
			ts := NewTestServer(t, "rfc6749")
			rp := newOIDCRP(t, ts, tt.scopes...)
			tok := rp.exchange(t, rp.login(t, "s", ""))
			_, claims := rp.idToken(t, tok)
			if _, ok := claims["nonce"]; ok {
				t.Errorf("nonce without one sent: %v", claims)
			}
			ui, err := rp.provider.UserInfo(rp.ctx, oauth2.StaticTokenSource(tok))
			if err != nil {
				t.Fatal(err)
			}
			var uinfo map[string]any
			if err := ui.Claims(&uinfo); err != nil {
				t.Fatal(err)
			}
			if uinfo["sub"] != "alice" {
				t.Errorf("userinfo sub: %v", uinfo)
			}
			for _, c := range tt.want {
				if claims[c] == nil || uinfo[c] == nil {
					t.Errorf("%s missing: ID token %v, userinfo %v", c, claims, uinfo)
				}
			}
			for _, c := range tt.none {
				if claims[c] != nil || uinfo[c] != nil {
					t.Errorf("%s released: ID token %v, userinfo %v", c, claims, uinfo)
				}
			}
		})
	}
}

// Without openid the code flow is plain OAuth: no ID token, and the UserInfo
// endpoint refuses the access token with insufficient_scope.
func TestOIDCNotWithoutOpenIDScope(t *testing.T) {
	ts := NewTestServer(t, "rfc6749")
	rp := newOIDCRP(t, ts, "read", "profile")
	tok := rp.exchange(t, rp.login(t, "s", "n"))
	if v := tok.Extra("id_token"); v != nil {
		t.Fatalf("id_token without openid: %v", v)
	}
	res := azDo(t, ts, http.MethodGet, ts.URL+"/userinfo", "", map[string]string{"Authorization": "Bearer " + tok.AccessToken})
	if res.status != http.StatusForbidden || !strings.Contains(res.header.Get("WWW-Authenticate"), `error="insufficient_scope"`) ||
		!strings.Contains(res.header.Get("WWW-Authenticate"), `scope="openid"`) {
		t.Fatalf("userinfo without openid: %d %v %s", res.status, res.header, res.body)
	}
	// Refreshing it gives no ID token either.
	tok.Expiry = time.Now().Add(-time.Minute)
	tok2, err := rp.cfg.TokenSource(rp.octx(), tok).Token()
	if err != nil {
		t.Fatal(err)
	}
	if v := tok2.Extra("id_token"); v != nil {
		t.Fatalf("id_token on refresh without openid: %v", v)
	}
}

// A refresh narrowed to a scope without openid gets no ID token.
func TestOIDCRefreshNarrowedWithoutOpenID(t *testing.T) {
	ts := NewTestServer(t, "rfc6749")
	code, err := ts.MintCode(context.Background(), CodeRequest{ClientID: "conf-client", Scope: "openid read"})
	if err != nil {
		t.Fatal(err)
	}
	status, body := azExchange(t, ts, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {azR1}}, azConf, nil)
	if status != 200 || body["id_token"] == nil {
		t.Fatalf("%d %v", status, body)
	}
	rt, _ := body["refresh_token"].(string)
	status, body = azExchange(t, ts, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "scope": {"read"}}, azConf, nil)
	if status != 200 || body["id_token"] != nil || body["scope"] != "read" {
		t.Fatalf("narrowed refresh: %d %v", status, body)
	}
}

// The UserInfo endpoint is an RFC 6750 protected resource.
func TestOIDCUserInfoBearer(t *testing.T) {
	t.Run("rfc9068", func(t *testing.T) { oidcUserInfoBearer(t, NewTestServer(t, "rfc6749")) })
	// Plain JWTs that name their client are verified like RFC 9068 ones
	// but carry no typ at+jwt or aud to tell them from an ID token: their
	// client_id does.
	t.Run("plain JWT with client_id", func(t *testing.T) {
		oidcUserInfoBearer(t, NewTestServer(t, "rfc6749", WithSettings(func(s *Settings) {
			s.AccessToken.Format, s.AccessToken.Typ, s.AccessToken.Claims = profile.FormatJWT, "", []string{"client_id"}
		})))
	})
}

func oidcUserInfoBearer(t *testing.T, ts *TestServer) {
	code, err := ts.MintCode(context.Background(), CodeRequest{ClientID: "conf-client", Scope: "openid email", Nonce: "abc"})
	if err != nil {
		t.Fatal(err)
	}
	status, body := azExchange(t, ts, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {azR1}}, azConf, nil)
	if status != 200 {
		t.Fatalf("%d %v", status, body)
	}
	at, _ := body["access_token"].(string)
	idToken, _ := body["id_token"].(string)
	if azJWTClaims(t, idToken)["nonce"] != "abc" {
		t.Fatalf("MintCode nonce not in the ID token: %v", azJWTClaims(t, idToken))
	}
	ui := ts.URL + "/userinfo"
	bearer := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }
	wantJSON := func(res azResult) map[string]any {
		t.Helper()
		var m map[string]any
		if res.status != 200 || !strings.HasPrefix(res.header.Get("Content-Type"), "application/json") || json.Unmarshal([]byte(res.body), &m) != nil {
			t.Fatalf("userinfo: %d %v %s", res.status, res.header, res.body)
		}
		return m
	}
	if m := wantJSON(azDo(t, ts, http.MethodGet, ui, "", bearer(at))); m["sub"] != "alice" || m["email"] != "alice@example.com" || m["name"] != nil {
		t.Errorf("GET: %v", m)
	}
	// POST, with the token in the header or in the form body (RFC 6750 §2.2).
	if m := wantJSON(azDo(t, ts, http.MethodPost, ui, "", bearer(at))); m["sub"] != "alice" {
		t.Errorf("POST: %v", m)
	}
	if m := wantJSON(azDo(t, ts, http.MethodPost, ui, url.Values{"access_token": {at}}.Encode(), nil)); m["sub"] != "alice" {
		t.Errorf("POST form: %v", m)
	}
	if res := azDo(t, ts, http.MethodPut, ui, "", bearer(at)); res.status != http.StatusMethodNotAllowed {
		t.Errorf("PUT: %d", res.status)
	}

	invalid := func(name string, res azResult) {
		t.Helper()
		if res.status != http.StatusUnauthorized || !strings.Contains(res.header.Get("WWW-Authenticate"), `error="invalid_token"`) {
			t.Errorf("%s: %d %v %s", name, res.status, res.header, res.body)
		}
	}
	if res := azDo(t, ts, http.MethodGet, ui, "", nil); res.status != http.StatusUnauthorized ||
		!strings.HasPrefix(res.header.Get("WWW-Authenticate"), "Bearer ") || strings.Contains(res.header.Get("WWW-Authenticate"), "error=") {
		t.Errorf("no token: %d %v", res.status, res.header)
	}
	invalid("garbage", azDo(t, ts, http.MethodGet, ui, "", bearer("not-a-token")))
	invalid("the ID token as an access token", azDo(t, ts, http.MethodGet, ui, "", bearer(idToken)))
	if res := azDo(t, ts, http.MethodGet, ts.ResourceURL(), "", bearer(idToken)); res.status != http.StatusUnauthorized {
		t.Errorf("the ID token at the resource: %d", res.status)
	}
	intro := azDo(t, ts, http.MethodPost, ts.URL+"/introspect", url.Values{"token": {idToken}}.Encode(),
		map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("conf-client:conf-secret"))})
	if intro.status != 200 || !strings.Contains(intro.body, `"active":false`) {
		t.Errorf("the ID token introspected: %d %s", intro.status, intro.body)
	}

	// A client's own token names no end-user.
	cc := clientcredentials.Config{ClientID: "conf-client", ClientSecret: "conf-secret", TokenURL: ts.TokenURL(), Scopes: []string{"openid"}}
	cct, err := cc.Token(context.WithValue(context.Background(), oauth2.HTTPClient, ts.Client()))
	if err != nil {
		t.Fatal(err)
	}
	if cct.Extra("id_token") != nil {
		t.Error("id_token for client_credentials")
	}
	invalid("client_credentials token", azDo(t, ts, http.MethodGet, ui, "", bearer(cct.AccessToken)))

	// Revoked: invalid.
	rev := azDo(t, ts, http.MethodPost, ts.URL+"/revoke", url.Values{"token": {at}}.Encode(),
		map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("conf-client:conf-secret"))})
	if rev.status != 200 {
		t.Fatalf("revoke: %d %s", rev.status, rev.body)
	}
	invalid("revoked", azDo(t, ts, http.MethodGet, ui, "", bearer(at)))
}

// The nonce is returned exactly, and bounded.
func TestOIDCNonce(t *testing.T) {
	ts := NewTestServer(t, "rfc6749")
	rp := newOIDCRP(t, ts, oidc.ScopeOpenID)
	for _, n := range []string{"a b+c/d=e&f%g~h'i!j", "ünïcödé ☃", strings.Repeat("n", maxNonceLen)} {
		tok := rp.exchange(t, rp.login(t, "s", n))
		if idt, _ := rp.idToken(t, tok); idt.Nonce != n {
			t.Errorf("nonce %q, want %q", idt.Nonce, n)
		}
	}
	for _, n := range []string{strings.Repeat("n", maxNonceLen+1), "a\x00b", "a\nb"} {
		res := azDo(t, ts, http.MethodGet, rp.cfg.AuthCodeURL("s", oidc.Nonce(n)), "", nil)
		azWantErr(t, res, http.StatusFound, azR1, errInvalidRequest, "s", false)
		if _, err := ts.MintCode(context.Background(), CodeRequest{ClientID: "conf-client", Scope: "openid", Nonce: n}); err == nil {
			t.Errorf("MintCode took the nonce %q", n)
		}
	}
	// Without openid the nonce is an unknown parameter: ignored.
	if _, err := ts.MintCode(context.Background(), CodeRequest{ClientID: "conf-client", Scope: "read", Nonce: "a\x00b"}); err != nil {
		t.Errorf("MintCode without openid: %v", err)
	}
}

// The ID token key: the access token key where it is asymmetric (across a
// rotation), an ES256 fixture key published in the JWKS where access tokens
// are opaque or HS256, never an HMAC key.
func TestOIDCSigningKeys(t *testing.T) {
	for _, tt := range []struct {
		name     string
		dialect  string
		settings func(*Settings)
		alg      string
		noKeys   bool // the access token key is not in the JWKS
	}{
		{"ES256", "rfc6749", nil, "ES256", false},
		{"RS256", "rfc6749", func(s *Settings) { s.AccessToken.Alg = "RS256" }, "RS256", false},
		{"EdDSA", "rfc6749", func(s *Settings) { s.AccessToken.Alg = "EdDSA" }, "EdDSA", false},
		{"HS256 access tokens", "rfc6749", func(s *Settings) { s.AccessToken.Alg = "HS256" }, "ES256", true},
		{"opaque access tokens", "rfc6749", func(s *Settings) {
			s.AccessToken.Format, s.AccessToken.Alg, s.AccessToken.Typ = profile.FormatOpaque, "", ""
		}, "ES256", true},
		{"oob-pkce", "oob-pkce", nil, "ES256", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			opts := []TestOption{WithOIDC()}
			if tt.settings != nil {
				opts = append(opts, WithSettings(tt.settings))
			}
			ts := NewTestServer(t, tt.dialect, opts...)
			ctx := oidc.ClientContext(context.Background(), ts.Client())
			provider, err := oidc.NewProvider(ctx, ts.Issuer())
			if err != nil {
				t.Fatal(err)
			}
			var meta struct {
				Algs     []string `json:"id_token_signing_alg_values_supported"`
				JWKS     string   `json:"jwks_uri"`
				UserInfo string   `json:"userinfo_endpoint"`
			}
			if err := provider.Claims(&meta); err != nil || !slices.Equal(meta.Algs, []string{tt.alg}) || meta.JWKS == "" || meta.UserInfo == "" {
				t.Fatalf("metadata %v %+v", err, meta)
			}
			set := fetchJWKS(t, ts)
			for _, k := range set.Keys {
				if k.Algorithm != tt.alg || !k.IsPublic() || !k.Valid() {
					t.Errorf("JWKS key %s: alg %s, public %v", k.KeyID, k.Algorithm, k.IsPublic())
				}
			}
			verifier := provider.Verifier(&oidc.Config{ClientID: "public-client", SupportedSigningAlgs: []string{tt.alg}, Now: ts.Clock.Now})
			redirect := azR1
			var hdr map[string]string
			if tt.dialect == "oob-pkce" {
				redirect, hdr = azOOB, map[string]string{"x-api-key": "demo-api-key"}
			}
			exchange := func() (*oidc.IDToken, string) {
				t.Helper()
				code, err := ts.MintCode(context.Background(), CodeRequest{ClientID: "public-client", RedirectURI: redirect,
					Scope: "openid profile", Nonce: "n1", CodeChallenge: pkceS256(azVerifier), CodeChallengeMethod: "S256"})
				if err != nil {
					t.Fatal(err)
				}
				status, body := azExchange(t, ts, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect},
					"client_id": {"public-client"}, "code_verifier": {azVerifier}}, [2]string{}, hdr)
				raw, _ := body["id_token"].(string)
				if status != 200 || raw == "" {
					t.Fatalf("%d %v", status, body)
				}
				idt, err := verifier.Verify(ctx, raw)
				if err != nil {
					t.Fatalf("verify: %v", err)
				}
				at, _ := body["access_token"].(string)
				if err := idt.VerifyAccessToken(at); err != nil || idt.Nonce != "n1" {
					t.Fatalf("at_hash %v, nonce %q", err, idt.Nonce)
				}
				var c map[string]any
				_ = idt.Claims(&c)
				if c["name"] != "Alice Example" || c["email"] != nil {
					t.Errorf("claims %v", c)
				}
				if tt.noKeys && strings.Count(at, ".") == 2 {
					// HS256 access tokens must not verify with the published keys.
					if _, err := verifier.Verify(ctx, at); err == nil {
						t.Error("an HS256 access token verifies with the JWKS")
					}
				}
				return idt, raw
			}
			_, raw1 := exchange()
			if !tt.noKeys {
				// After a rotation the new key signs; the old token still verifies.
				ts.RotateSigningKey()
				_, raw2 := exchange()
				if jwsKid(t, raw1) == jwsKid(t, raw2) {
					t.Error("the rotated key does not sign ID tokens")
				}
				if _, err := verifier.Verify(ctx, raw1); err != nil {
					t.Errorf("old ID token after rotation: %v", err)
				}
			}
			if h := jwsHeader(t, raw1); h["typ"] != "JWT" || h["alg"] != tt.alg {
				t.Errorf("header %v", h)
			}
		})
	}
}

func jwsHeader(t *testing.T, raw string) map[string]any {
	t.Helper()
	seg, _, _ := strings.Cut(raw, ".")
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]any
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	return h
}

func jwsKid(t *testing.T, raw string) string {
	t.Helper()
	kid, _ := jwsHeader(t, raw)["kid"].(string)
	return kid
}

// The discovery document lists the OpenID Provider members; it stays a
// valid RFC 8414 document at both locations. With oidc off, openid is a
// plain scope: no member, no ID token, no UserInfo endpoint.
func TestOIDCMetadata(t *testing.T) {
	ts := NewTestServer(t, "rfc6749")
	oidcDoc, _, _ := getMetadata(t, ts, WellKnownOIDC)
	oauthDoc, _, _ := getMetadata(t, ts, WellKnownOAuth)
	for _, doc := range []map[string]any{oidcDoc, oauthDoc} {
		if doc["issuer"] != ts.Issuer() || doc["userinfo_endpoint"] != ts.URL+"/userinfo" || doc["jwks_uri"] != ts.URL+"/jwks" ||
			doc["token_endpoint"] != ts.TokenURL() || doc["authorization_endpoint"] != ts.AuthorizeURL() {
			t.Errorf("endpoints: %v", doc)
		}
		if !slices.Equal(strList(doc["id_token_signing_alg_values_supported"]), []string{"ES256"}) ||
			!slices.Equal(strList(doc["subject_types_supported"]), []string{"public"}) ||
			!slices.Contains(strList(doc["response_types_supported"]), "code") {
			t.Errorf("OP members: %v", doc)
		}
		for _, s := range []string{"openid", "profile", "email", "read"} {
			if !slices.Contains(strList(doc["scopes_supported"]), s) {
				t.Errorf("scopes_supported lacks %s: %v", s, doc["scopes_supported"])
			}
		}
		for _, c := range []string{"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "name", "email", "email_verified"} {
			if !slices.Contains(strList(doc["claims_supported"]), c) {
				t.Errorf("claims_supported lacks %s: %v", c, doc["claims_supported"])
			}
		}
		for k, v := range doc { // RFC 8414 §3.2: no empty arrays
			if a, ok := v.([]any); ok && len(a) == 0 {
				t.Errorf("%s is an empty array", k)
			}
		}
	}

	off := NewTestServer(t, "rfc6749", WithSettings(func(s *Settings) { s.OIDC = false }))
	doc, _, _ := getMetadata(t, off, WellKnownOIDC)
	for _, k := range []string{"userinfo_endpoint", "id_token_signing_alg_values_supported", "subject_types_supported", "claims_supported"} {
		if _, ok := doc[k]; ok {
			t.Errorf("oidc off: %s advertised", k)
		}
	}
	code, err := off.MintCode(context.Background(), CodeRequest{ClientID: "conf-client", Scope: "openid profile", Nonce: "n"})
	if err != nil {
		t.Fatal(err)
	}
	status, body := azExchange(t, off, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {azR1}}, azConf, nil)
	if status != 200 || body["id_token"] != nil || body["scope"] != "openid profile" {
		t.Errorf("oidc off: %d %v", status, body)
	}
	at, _ := body["access_token"].(string)
	if res := azDo(t, off, http.MethodGet, off.URL+"/userinfo", "", map[string]string{"Authorization": "Bearer " + at}); res.status != http.StatusNotFound {
		t.Errorf("oidc off: userinfo answers %d", res.status)
	}
}

// oidc needs the code grant, a JWKS path and an open token response.
func TestOIDCSettingsValidation(t *testing.T) {
	for _, tt := range []struct {
		dialect, field string
		f              func(*Settings)
	}{
		{"merchant-customer", "oidc", func(s *Settings) { s.OIDC = true }},
		{"oauth20-intents", "oidc", func(s *Settings) { s.OIDC = true }},
		{"rfc6749", "endpoints.userinfo", func(s *Settings) { s.Endpoints.UserInfo = "userinfo" }},
		{"rfc6749", "oidc", func(s *Settings) {
			s.GrantTypes, s.ResponseTypes = []string{profile.GrantClientCredentials}, []string{}
			s.RefreshToken.IssueFor = nil
		}},
	} {
		t.Run(tt.dialect+"/"+tt.field, func(t *testing.T) {
			set, d, err := readSettings(tt.dialect)
			if err != nil {
				t.Fatal(err)
			}
			tt.f(set)
			var se *SettingsError
			if _, err := New(Config{Dialect: d, Settings: set}); !errors.As(err, &se) || se.Field != tt.field {
				t.Fatalf("err %v", err)
			}
		})
	}
	// Resolve gives oidc a JWKS path; Validate insists on one.
	set, d := MustLoadSettings("oob-pkce")
	set.OIDC, set.Scopes.Supported = true, []string{"openid"}
	set.Endpoints.JWKS, set.Endpoints.UserInfo = "", ""
	if err := set.Resolve(d); err != nil || set.Endpoints.JWKS != "/oauth/jwks" || set.Endpoints.UserInfo != "/oauth/userinfo" {
		t.Fatalf("resolve: %v %+v", err, set.Endpoints)
	}
	set.Endpoints.JWKS = ""
	var se *SettingsError
	if err := set.Validate(d); !errors.As(err, &se) || se.Field != "endpoints.jwks" {
		t.Fatalf("validate without jwks: %v", err)
	}
	// Without openid in the vocabulary oidc has nothing to act on.
	ts := NewTestServer(t, "rfc6749", WithSettings(func(s *Settings) { s.Scopes.Supported = []string{"read", "write"} }))
	if ts.Settings().OpenID() {
		t.Fatal("OpenID without openid in the vocabulary")
	}
	if doc, _, _ := getMetadata(t, ts, WellKnownOIDC); doc["userinfo_endpoint"] != nil {
		t.Errorf("userinfo advertised: %v", doc)
	}
}
