package mockserver

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/oauthconform/oauthconform/fixtures"
	"github.com/oauthconform/oauthconform/profile"
)

// Tests of the mock's choices within a dialect (Settings): each choice is
// lawful under RFC 6749 and its family, and each is shown to act as its
// documentation says.

// ---------------------------------------------------------------------------
// Configuration: Config, LoadSettings, NewTestServer, WithSettings.

func TestConfigResolution(t *testing.T) {
	t.Run("zero config plays rfc6749 with its built-in settings", func(t *testing.T) {
		p, err := New(Config{})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		if p.Dialect().Name != "rfc6749" || p.Settings().Dialect != "rfc6749" || p.Settings().AccessToken.Format != profile.FormatJWTRFC9068 {
			t.Fatalf("dialect %q, settings %+v", p.Dialect().Name, p.Settings().AccessToken)
		}
	})
	t.Run("a dialect alone gets its built-in settings", func(t *testing.T) {
		p, err := New(Config{Dialect: profile.MustLoad("merchant-customer")})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		if s := p.Settings(); s.Dialect != "merchant-customer" || s.AccessToken.Format != profile.FormatOpaque || s.Endpoints.Token != "/oauth/token" {
			t.Fatalf("settings %+v", s)
		}
	})
	t.Run("settings alone name their dialect", func(t *testing.T) {
		set, _ := MustLoadSettings("oob-pkce")
		p, err := New(Config{Settings: set})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		if p.Dialect().Name != "oob-pkce" {
			t.Fatalf("dialect %q", p.Dialect().Name)
		}
	})
	t.Run("the caller's settings are resolved on a copy", func(t *testing.T) {
		raw, _, err := readSettings("rfc6749")
		if err != nil {
			t.Fatal(err)
		}
		before := raw.Clone()
		p, err := New(Config{Settings: raw})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		if raw.Endpoints.Token != before.Endpoints.Token || raw.AccessToken.Typ != "" || p.Settings().AccessToken.Typ != "at+jwt" {
			t.Fatalf("caller's settings changed: %+v", raw.AccessToken)
		}
	})
	t.Run("a dialect without built-in settings needs settings", func(t *testing.T) {
		d := profile.MustLoad("rfc6749")
		d.Name = "custom"
		_, err := New(Config{Dialect: d})
		if err == nil || !strings.Contains(err.Error(), "none built in") {
			t.Fatalf("err %v", err)
		}
		set, _ := MustLoadSettings("rfc6749")
		set.Dialect = "custom"
		p, err := New(Config{Dialect: d, Settings: set})
		if err != nil {
			t.Fatal(err)
		}
		p.Close()
	})
	t.Run("settings outside the dialect are refused, naming the field", func(t *testing.T) {
		set, d := MustLoadSettings("oauth20-intents")
		set.AccessToken.TokenType = "Bearer"
		_, err := New(Config{Dialect: d, Settings: set})
		var se *SettingsError
		if !errors.As(err, &se) || se.Field != "access_token.token_type" {
			t.Fatalf("err %v", err)
		}
	})
}

func TestLoadSettingsFile(t *testing.T) {
	dir := t.TempDir()
	b, err := fixtures.FS.ReadFile("profiles/rfc6749.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dialect := strings.Replace(string(b), "name: rfc6749", "name: custom", 1)
	if err := os.MkdirAll(filepath.Join(dir, "dialects"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, filepath.Join(dir, "dialects", "custom.yaml"), dialect)
	const custom = "dialect: dialects/custom.yaml\naccess_token: {format: opaque, lifetime: 5m}\nrefresh_token: {issue_for: [password, refresh_token], rotation: never, lifetime: 1h}\ncode: {lifetime: 30s, style: base32}\n"
	writeTestFile(t, filepath.Join(dir, "custom-mock.yaml"), custom)
	writeTestFile(t, filepath.Join(dir, "builtin-mock.yaml"), "dialect: oauth20-intents\naccess_token: {format: jwt, lifetime: 2m}\ncode: {lifetime: 60s}\n")

	s, d, err := LoadSettings(filepath.Join(dir, "custom-mock.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "custom" || s.Dialect != "custom" || s.Endpoints.Token != "/token" || s.Code.Style != CodeBase32 || s.AccessToken.Lifetime.D().Minutes() != 5 {
		t.Fatalf("dialect %q, settings %+v", d.Name, s)
	}
	s, d, err = LoadSettings(filepath.Join(dir, "builtin-mock.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "oauth20-intents" || s.Endpoints.Token != "/oauth20/token" || s.AccessToken.TokenType != "bearer" {
		t.Fatalf("dialect %q, settings %+v", d.Name, s)
	}

	// NewTestServer takes a settings file too.
	ts := NewTestServer(t, filepath.Join(dir, "custom-mock.yaml"))
	if ts.Dialect().Name != "custom" || ts.Settings().AccessToken.Format != profile.FormatOpaque {
		t.Fatalf("%q %+v", ts.Dialect().Name, ts.Settings().AccessToken)
	}
	res := mustToken(t, ts, tokenReq{body: "grant_type=password&username=alice&password=alice-password", basic: conf})
	if strings.Count(res.str("access_token"), ".") == 2 || res.body["expires_in"] != float64(300) {
		t.Fatalf("token %s", res.raw)
	}

	writeTestFile(t, filepath.Join(dir, "bad-mock.yaml"), strings.Replace(custom, "rotation: never", "rotation: sometimes", 1))
	if _, _, err := LoadSettings(filepath.Join(dir, "bad-mock.yaml")); err == nil || !strings.Contains(err.Error(), "refresh_token.rotation") {
		t.Fatalf("err %v", err)
	}
	writeTestFile(t, filepath.Join(dir, "lost-mock.yaml"), "dialect: nowhere/custom.yaml\n")
	if _, _, err := LoadSettings(filepath.Join(dir, "lost-mock.yaml")); err == nil || !strings.Contains(err.Error(), "dialect") {
		t.Fatalf("err %v", err)
	}
}

func writeTestFile(t *testing.T, name, body string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

// fatalTB records the Fatalf of a helper run in its own goroutine.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper()        {}
func (f *fatalTB) Cleanup(func()) {}
func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestWithSettingsInvalidFailsTheTest(t *testing.T) {
	ftb := &fatalTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		NewTestServer(ftb, "oauth20-intents", WithSettings(func(s *Settings) { s.RefreshToken.Rotation = "sometimes" }))
	}()
	<-done
	if !strings.Contains(ftb.msg, "refresh_token.rotation") || !strings.Contains(ftb.msg, "sometimes") {
		t.Fatalf("Fatalf message %q", ftb.msg)
	}
}

// ---------------------------------------------------------------------------
// refresh_token.rotation

func TestRefreshRotationChoices(t *testing.T) {
	for _, tc := range []struct {
		rotation                   string
		confidential, publicClient bool // whether each rotates
	}{
		{profile.RotationAlways, true, true},
		{profile.RotationPublicOnly, false, true},
		{profile.RotationNever, false, false},
	} {
		t.Run(tc.rotation, func(t *testing.T) {
			ts := NewTestServer(t, "rfc6749", WithSettings(func(s *Settings) {
				s.RefreshToken.Rotation = tc.rotation
				s.SecurityBCP = false // RFC 9700 would require public-client rotation
			}))
			for _, c := range []struct {
				req     func(body string) tokenReq
				rotates bool
			}{
				{func(b string) tokenReq { return tokenReq{body: b, basic: conf} }, tc.confidential},
				{func(b string) tokenReq { return tokenReq{body: b + "&client_id=public-client"} }, tc.publicClient},
			} {
				rt := mustToken(t, ts, c.req("grant_type=password&username=alice&password=alice-password")).str("refresh_token")
				refresh := func(tok string) tokenResp {
					return doToken(t, ts, c.req("grant_type=refresh_token&refresh_token="+url.QueryEscape(tok)))
				}
				res := refresh(rt)
				if res.status != 200 {
					t.Fatalf("refresh: %d %s", res.status, res.raw)
				}
				if rotated := res.str("refresh_token") != rt; rotated != c.rotates {
					t.Fatalf("rotated %v, want %v: %s", rotated, c.rotates, res.raw)
				}
				if !c.rotates {
					// The same token keeps working: nothing is reused.
					if res := refresh(rt); res.status != 200 || res.str("refresh_token") != rt {
						t.Fatalf("second refresh: %d %s", res.status, res.raw)
					}
					continue
				}
				// Reuse of the rotated-out token revokes the family.
				next := res.str("refresh_token")
				wantError(t, refresh(rt), 400, "invalid_grant")
				wantError(t, refresh(next), 400, "invalid_grant")
			}
		})
	}
	t.Run("never is refused with security_bcp and public clients", func(t *testing.T) {
		set, d := MustLoadSettings("rfc6749")
		set.RefreshToken.Rotation = profile.RotationNever
		var se *SettingsError
		if _, err := New(Config{Dialect: d, Settings: set}); !errors.As(err, &se) || se.Field != "refresh_token.rotation" {
			t.Fatalf("err %v", err)
		}
	})
}

// ---------------------------------------------------------------------------
// access_token.format

// jwtClaimNames decodes a JWT's payload and returns its claim names, sorted.
func jwtClaimNames(t *testing.T, tok string) ([]string, map[string]any) {
	t.Helper()
	cl := azJWTClaims(t, tok)
	var names []string
	for k := range cl {
		names = append(names, k)
	}
	slices.Sort(names)
	return names, cl
}

// wantOwnRevocation: another client cannot revoke tok, its own client can,
// and then neither introspection nor the resource accepts it.
func wantOwnRevocation(t *testing.T, e *ep, tok string) {
	t.Helper()
	wantError(t, e.revoke(t, e.as(conf2, "token="+url.QueryEscape(tok))), 400, "invalid_grant")
	if !e.active(t, tok) {
		t.Fatal("another client's revocation took effect")
	}
	wantRevoked200(t, e.revoke(t, e.req("token="+url.QueryEscape(tok))))
	if e.active(t, tok) || e.resource(t, tok).status != 401 {
		t.Fatal("revoked token still accepted")
	}
}

// wantDiesWithFamily: revoking a grant's refresh token ends its access
// token (RFC 7009 §2.1).
func wantDiesWithFamily(t *testing.T, e *ep) {
	t.Helper()
	at, rt := e.tokens(t)
	if !e.active(t, at) {
		t.Fatal("fresh token inactive")
	}
	wantRevoked200(t, e.revoke(t, e.req("token="+url.QueryEscape(rt)+"&token_type_hint=refresh_token")))
	if e.active(t, at) || e.resource(t, at).status != 401 {
		t.Fatal("access token of a revoked grant still accepted")
	}
}

func TestAccessTokenFormats(t *testing.T) {
	t.Run("jwt-rfc9068 carries the seven claims and scope", func(t *testing.T) {
		ts := NewTestServer(t, "rfc6749")
		tok := mustToken(t, ts, tokenReq{body: ccBody + "&scope=read", basic: conf}).str("access_token")
		names, _ := jwtClaimNames(t, tok)
		if want := []string{"aud", "client_id", "exp", "iat", "iss", "jti", "scope", "sub"}; !slices.Equal(names, want) {
			t.Fatalf("claims %v, want %v", names, want)
		}
	})
	t.Run("jwt is plain: iss, sub, iat, exp, scope, jti", func(t *testing.T) {
		ts := NewTestServer(t, "rfc6749", WithSettings(func(s *Settings) { s.AccessToken.Format = profile.FormatJWT }))
		if typ := ts.Settings().AccessToken.Typ; typ != "" {
			t.Fatalf("typ %q: a plain JWT is not claimed to be RFC 9068", typ)
		}
		e := &ep{name: "rfc6749", ts: ts, c1: conf, c2: conf2}
		tok := mustToken(t, ts, tokenReq{body: ccBody + "&scope=read", basic: conf}).str("access_token")
		names, cl := jwtClaimNames(t, tok)
		if want := []string{"exp", "iat", "iss", "jti", "scope", "sub"}; !slices.Equal(names, want) {
			t.Fatalf("claims %v, want %v", names, want)
		}
		if cl["iss"] != ts.Issuer() || cl["sub"] != "conf-client" {
			t.Fatalf("claims %v", cl)
		}
		if _, _, err := verifyWithJWKS(tok, "ES256", fetchJWKS(t, ts)); err != nil {
			t.Fatalf("JWKS: %v", err)
		}
		// Found by the token itself: introspection knows its client, the
		// resource accepts it, another client cannot revoke it, its own
		// client can.
		if _, n, _ := ts.Store().(*MemoryStore).Len(); n != 1 {
			t.Fatalf("%d token records, want the plain JWT's", n)
		}
		res := e.introspect(t, e.req("token="+url.QueryEscape(tok)))
		if res.body["active"] != true || res.str("client_id") != "conf-client" || res.str("iss") != ts.Issuer() || res.body["aud"] != nil || res.body["jti"] != nil {
			t.Fatalf("introspection %s", res.raw)
		}
		if e.resource(t, tok).status != 200 {
			t.Fatal("resource refuses the plain JWT")
		}
		wantOwnRevocation(t, e, tok)
	})
	t.Run("a plain JWT of a grant family dies with the family", func(t *testing.T) {
		ts := NewTestServer(t, "rfc6749", WithSettings(func(s *Settings) { s.AccessToken.Format = profile.FormatJWT }))
		wantDiesWithFamily(t, &ep{name: "rfc6749", ts: ts, c1: conf, c2: conf2})
	})
	t.Run("access_token.claims", func(t *testing.T) {
		wantValidSettings(t, "rfc6749", func(s *Settings) {
			s.AccessToken.Format, s.AccessToken.Claims = profile.FormatJWT, []string{"aud", "client_id"}
		})
		wantValidSettings(t, "oauth20-intents", func(s *Settings) { s.AccessToken.Claims = nil })
		wantSettingsError(t, "oauth20-intents", "access_token.claims", func(s *Settings) { s.AccessToken.Claims = []string{"tenant"} })
		wantSettingsError(t, "merchant-customer", "access_token.claims", func(s *Settings) { s.AccessToken.Claims = []string{"client_id"} })
		wantSettingsError(t, "rfc6749", "access_token.claims", func(s *Settings) { s.AccessToken.Claims = []string{"client_id"} }) // RFC 9068
		wantSettingsError(t, "oauth20-intents", "access_token.claims", func(s *Settings) { s.AccessToken.Claims = []string{"client_id", "client_id"} })
	})
	t.Run("a plain JWT that names its client is known by its claims", func(t *testing.T) {
		e := newEP(t, "oauth20-intents") // claims: [client_id]
		tok := mustToken(t, e.ts, tokenReq{body: ccBody, basic: conf}).str("access_token")
		names, cl := jwtClaimNames(t, tok)
		if want := []string{"client_id", "exp", "iat", "iss", "jti", "scope", "sub"}; !slices.Equal(names, want) || cl["client_id"] != "conf-client" {
			t.Fatalf("claims %v", cl)
		}
		if _, n, _ := e.ts.Store().(*MemoryStore).Len(); n != 0 {
			t.Fatalf("%d token records: a client_credentials token that names its client needs none", n)
		}
		res := e.introspect(t, e.req("token="+url.QueryEscape(tok)))
		if res.body["active"] != true || res.str("client_id") != "conf-client" || res.str("jti") != cl["jti"] {
			t.Fatalf("introspection %s", res.raw)
		}
		if e.resource(t, tok).status != 200 {
			t.Fatal("resource refuses the token")
		}
		// Known by its signature: the same signature over other claims is
		// no token of the provider's.
		parts := strings.Split(tok, ".")
		payload, err := base64.RawURLEncoding.DecodeString(parts[1])
		if err != nil {
			t.Fatal(err)
		}
		forged := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), `"accounts"`, `"payments"`, 1))) + "." + parts[2]
		if forged == tok || e.active(t, forged) || e.resource(t, forged).status != 401 {
			t.Fatal("a token with altered claims is accepted")
		}
		wantOwnRevocation(t, e, tok)
	})
	t.Run("a plain JWT that names its client dies with its grant family", func(t *testing.T) {
		wantDiesWithFamily(t, newEP(t, "oauth20-intents"))
	})
	t.Run("a plain JWT carries the extras' claims", func(t *testing.T) {
		ts := NewTestServer(t, "oauth20-intents")
		code, err := ts.MintCode(context.Background(), CodeRequest{ClientID: "conf-client", Claims: map[string]any{"intent_id": "i-1", "intent_type": "payments"}})
		if err != nil {
			t.Fatal(err)
		}
		tok := mustToken(t, ts, tokenReq{body: codeBody(code, r1), basic: conf}).str("access_token")
		names, cl := jwtClaimNames(t, tok)
		if want := []string{"client_id", "exp", "iat", "intent_id", "intent_type", "iss", "jti", "scope", "sub"}; !slices.Equal(names, want) || cl["intent_id"] != "i-1" {
			t.Fatalf("claims %v", cl)
		}
	})
	t.Run("a plain JWT carries the claims its dialect requires", func(t *testing.T) {
		d := profile.MustLoad("oob-pkce")
		d.AccessToken.Claims = append(d.AccessToken.Claims, "jti", "client_id", "aud")
		e := newEP(t, "oob-pkce")
		e.ts = newTestServerDialect(t, d)
		at, _ := e.tokens(t)
		names, cl := jwtClaimNames(t, at)
		if want := []string{"aud", "client_id", "exp", "iat", "iss", "jti", "sub"}; !slices.Equal(names, want) || cl["client_id"] != "public-client" {
			t.Fatalf("claims %v", cl)
		}
		if !e.active(t, at) {
			t.Fatal("token inactive")
		}
	})
	t.Run("opaque", func(t *testing.T) {
		ts := NewTestServer(t, "rfc6749", WithSettings(func(s *Settings) { s.AccessToken.Format = profile.FormatOpaque }))
		tok := mustToken(t, ts, tokenReq{body: ccBody, basic: conf}).str("access_token")
		if strings.Contains(tok, ".") || len(tok) != 43 {
			t.Fatalf("token %q", tok)
		}
	})
}

// ---------------------------------------------------------------------------
// metadata

func TestMetadataChoice(t *testing.T) {
	ts := NewTestServer(t, "rfc6749", WithSettings(func(s *Settings) { s.Metadata = new(bool) }))
	for _, path := range []string{WellKnownOAuth, WellKnownOIDC} {
		if _, _, resp := getMetadata(t, ts, path); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
	}
	if ts.MetadataURL() != "" {
		t.Fatalf("MetadataURL %q", ts.MetadataURL())
	}
	mustToken(t, ts, tokenReq{body: ccBody, basic: conf})
}

// ---------------------------------------------------------------------------
// scopes.required

func TestRequiredScopes(t *testing.T) {
	ts := NewTestServer(t, "rfc6749", WithSettings(func(s *Settings) {
		s.Scopes.Required = []string{"read"}
		s.Scopes.Default = ""
	}))
	for name, q := range map[string]azReq{
		"scope omitted, no default": azCodeReq().del("scope"),
		"scope without the value":   azCodeReq().set("scope", "write"),
		"implicit too":              azCodeReq().set("scope", "write admin").set("response_type", "token"),
	} {
		t.Run(name, func(t *testing.T) {
			res := azGet(t, ts, q.enc())
			frag := strings.Contains(q.enc(), "response_type=token")
			sep := "?"
			if frag {
				sep = "#"
			}
			azWantErr(t, res, http.StatusFound, azR1+sep, "invalid_scope", azNasty, frag)
			v := res.query()
			if frag {
				v = res.fragment()
			}
			if !strings.Contains(v.Get("error_description"), "read") {
				t.Fatalf("description %q", v.Get("error_description"))
			}
		})
	}
	t.Run("the redirect URI is validated first", func(t *testing.T) {
		azWantPage(t, azGet(t, ts, azCodeReq().del("scope").set("redirect_uri", azAttacker).enc()), http.StatusBadRequest)
	})
	t.Run("a scope with the value", func(t *testing.T) {
		code := azWantOK(t, azFlow(t, ts, azCodeReq().set("scope", "write read"), "approve"), http.StatusSeeOther, azR1, azNasty)
		status, body := azExchange(t, ts, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {azR1}}, azConf, nil)
		if status != 200 || body["scope"] != "write read" {
			t.Fatalf("%d %v", status, body)
		}
	})
	t.Run("MintCode applies it", func(t *testing.T) {
		if _, err := ts.MintCode(context.Background(), CodeRequest{ClientID: "conf-client"}); err == nil {
			t.Fatal("code minted without the required scope")
		}
		if _, err := ts.MintCode(context.Background(), CodeRequest{ClientID: "conf-client", Scope: "read"}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a default holding the value", func(t *testing.T) {
		ts := NewTestServer(t, "rfc6749", WithSettings(func(s *Settings) { s.Scopes.Required = []string{"read"} }))
		azWantOK(t, azFlow(t, ts, azCodeReq().del("scope"), "approve"), http.StatusSeeOther, azR1, azNasty)
	})
	t.Run("an empty default without required values grants no scope", func(t *testing.T) {
		ts := NewTestServer(t, "rfc6749", WithSettings(func(s *Settings) { s.Scopes.Default = "" }))
		code := azWantOK(t, azFlow(t, ts, azCodeReq().del("scope"), "approve"), http.StatusSeeOther, azR1, azNasty)
		status, body := azExchange(t, ts, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {azR1}}, azConf, nil)
		if _, hasScope := body["scope"]; status != 200 || hasScope {
			t.Fatalf("%d %v", status, body)
		}
	})
	t.Run("a required value outside the vocabulary is refused", func(t *testing.T) {
		set, d := MustLoadSettings("rfc6749")
		set.Scopes.Required = []string{"offline_access"}
		var se *SettingsError
		if _, err := New(Config{Dialect: d, Settings: set}); !errors.As(err, &se) || se.Field != "scopes" {
			t.Fatalf("err %v", err)
		}
	})
}

// ---------------------------------------------------------------------------
// code.style

var base32Code25 = regexp.MustCompile(`^[A-Z2-7]{25}$`)

func TestCodeStyleBase32(t *testing.T) {
	ts := NewTestServer(t, "rfc6749", WithSettings(func(s *Settings) { s.Code.Style = CodeBase32 }))
	seen := map[string]bool{}
	for range 50 {
		code, err := ts.MintCode(context.Background(), CodeRequest{ClientID: "conf-client"})
		if err != nil {
			t.Fatal(err)
		}
		if !base32Code25.MatchString(code) || seen[code] {
			t.Fatalf("code %q", code)
		}
		seen[code] = true
	}
	code := azWantOK(t, azFlow(t, ts, azCodeReq(), "approve"), http.StatusSeeOther, azR1, azNasty)
	if !base32Code25.MatchString(code) {
		t.Fatalf("code %q", code)
	}
	if status, body := azExchange(t, ts, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {azR1}}, azConf, nil); status != 200 {
		t.Fatalf("%d %v", status, body)
	}
	// The default style is 43 base64url characters.
	def := NewTestServer(t, "rfc6749")
	if code, _ := def.MintCode(context.Background(), CodeRequest{ClientID: "conf-client"}); len(code) != 43 || base32Code25.MatchString(code) {
		t.Fatalf("default code %q", code)
	}
	// Every character position takes every value (125 random bits).
	counts := map[byte]int{}
	for range 2000 {
		c := base32Code()
		counts[c[24]]++
	}
	if len(counts) != 32 {
		t.Fatalf("last character takes %d values", len(counts))
	}
}

// ---------------------------------------------------------------------------
// authorize.require_state

func TestRequireState(t *testing.T) {
	ts := NewTestServer(t, "rfc6749", WithSettings(func(s *Settings) { s.Authorize.RequireState = true }))
	res := azGet(t, ts, azCodeReq().del("state").enc())
	azWantErr(t, res, http.StatusFound, azR1+"?", "invalid_request", "", false)
	if d := res.query().Get("error_description"); !strings.Contains(d, "state") {
		t.Fatalf("description %q", d)
	}
	res = azGet(t, ts, azCodeReq().del("state").set("response_type", "token").enc())
	azWantErr(t, res, http.StatusFound, azR1+"#", "invalid_request", "", true)
	azWantPage(t, azGet(t, ts, azCodeReq().del("state").set("redirect_uri", azAttacker).enc()), http.StatusBadRequest)
	azWantOK(t, azFlow(t, ts, azCodeReq(), "approve"), http.StatusSeeOther, azR1, azNasty)

	// By default state stays optional (RFC 6749 §4.1.1 RECOMMENDED).
	def := NewTestServer(t, "rfc6749")
	azWantOK(t, azFlow(t, def, azCodeReq().del("state"), "approve"), http.StatusSeeOther, azR1, "")
}

// ---------------------------------------------------------------------------
// authorize.loopback_ports

func TestLoopbackPortsNative(t *testing.T) {
	fx := profile.DefaultFixtures()
	for i := range fx.Clients {
		if fx.Clients[i].ID == "public-client" {
			fx.Clients[i].Native = true
		}
	}
	other := "http://127.0.0.1:49152/callback"
	ts := NewTestServer(t, "rfc6749", WithFixtures(fx), WithSettings(func(s *Settings) { s.Authorize.LoopbackPorts = LoopbackNative }))
	// A confidential web client: exact match only.
	azWantPage(t, azGet(t, ts, azCodeReq().set("redirect_uri", other).enc()), http.StatusBadRequest)
	azWantOK(t, azFlow(t, ts, azCodeReq(), "approve"), http.StatusSeeOther, azR1, azNasty)
	if _, err := ts.MintCode(context.Background(), CodeRequest{ClientID: "conf-client", RedirectURI: other}); err == nil {
		t.Fatal("MintCode accepted another port for a web client")
	}
	// The native client may use any port (RFC 8252 §7.3).
	pub := azCodeReq().set("client_id", "public-client").add("code_challenge", pkceS256(azVerifier)).add("code_challenge_method", "S256")
	azWantOK(t, azFlow(t, ts, pub.set("redirect_uri", other), "approve"), http.StatusSeeOther, other, azNasty)
	azWantOK(t, azFlow(t, ts, pub.set("redirect_uri", "http://127.0.0.1/callback"), "approve"), http.StatusSeeOther, "http://127.0.0.1/callback", azNasty)
	// Only the port: the path still counts.
	azWantPage(t, azGet(t, ts, pub.set("redirect_uri", "http://127.0.0.1:49152/other").enc()), http.StatusBadRequest)

	// With any (the default), every client varies the port.
	def := NewTestServer(t, "rfc6749")
	azWantOK(t, azFlow(t, def, azCodeReq().set("redirect_uri", other), "approve"), http.StatusSeeOther, other, azNasty)
}

// ---------------------------------------------------------------------------
// authorize.redirect_query

func TestRedirectQuerySet(t *testing.T) {
	const (
		registered = "https://client.example/cb?dummy1=lorem&dummy2=ipsum"
		reordered  = "https://client.example/cb?dummy2=ipsum&dummy1=lorem"
	)
	query := [2]string{"query-client", "query-secret"}
	ts := NewTestServer(t, "rfc6749", WithSettings(func(s *Settings) { s.Authorize.RedirectQuery = QuerySet }))
	base := azCodeReq().set("client_id", "query-client")
	for _, sent := range []string{registered, reordered, "https://client.example/cb?dummy2=ipsum&dummy1=%6Corem"} {
		t.Run(sent, func(t *testing.T) {
			res := azFlow(t, ts, base.set("redirect_uri", sent), "approve")
			// The response goes to the registered URI, its parameters in
			// another order, then the response's.
			code := azWantOK(t, res, http.StatusSeeOther, reordered, azNasty)
			if !strings.HasPrefix(res.loc, reordered+"&code=") {
				t.Fatalf("Location %q", res.loc)
			}
			// The token request repeats the authorization request's value.
			status, body := azExchange(t, ts, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {sent}}, query, nil)
			if status != 200 {
				t.Fatalf("%d %v", status, body)
			}
		})
	}
	t.Run("errors go there too", func(t *testing.T) {
		azWantErr(t, azGet(t, ts, base.set("redirect_uri", reordered).set("scope", "nope").enc()), http.StatusFound, reordered+"&error=", "invalid_scope", azNasty, false)
	})
	t.Run("redirect_uri omitted", func(t *testing.T) {
		res := azFlow(t, ts, base.del("redirect_uri"), "approve")
		azWantOK(t, res, http.StatusSeeOther, reordered, azNasty)
	})
	for _, bad := range []string{
		"https://client.example/cb?dummy2=ipsum",
		"https://client.example/cb?dummy2=ipsum&dummy1=lorem&x=1",
		"https://client.example/cb?dummy2=ipsum&dummy1=Lorem",
		"https://client.example/cb?dummy2=ipsum&dummy1=lorem&dummy1=lorem",
		"https://client.example/cb/?dummy2=ipsum&dummy1=lorem",
		"https://CLIENT.example/cb?dummy2=ipsum&dummy1=lorem",
		"https://client.example/cb?dummy2=ipsum&dummy1=%zz",
		"https://client.example/cb?dummy2=ipsum&dummy1=lorem#f",
	} {
		t.Run("refused "+bad, func(t *testing.T) {
			azWantPage(t, azGet(t, ts, base.set("redirect_uri", bad).enc()), http.StatusBadRequest)
		})
	}
	t.Run("exact (the default) compares the query as a string", func(t *testing.T) {
		def := NewTestServer(t, "rfc6749")
		azWantPage(t, azGet(t, def, base.set("redirect_uri", reordered).enc()), http.StatusBadRequest)
		azWantOK(t, azFlow(t, def, base.set("redirect_uri", registered), "approve"), http.StatusSeeOther, registered, azNasty)
	})
}

func TestReorderQuery(t *testing.T) {
	for in, want := range map[string]string{
		"a=1&b=2":     "b=2&a=1",
		"a=1&b=2&c=3": "c=3&b=2&a=1",
		"a=1&b=2&a=1": "b=2&a=1&a=1", // a palindrome is rotated
		"a=1":         "a=1",
		"a=1&a=1":     "a=1&a=1",
	} {
		if got := reorderQuery(in); got != want {
			t.Errorf("reorderQuery(%q) = %q, want %q", in, got, want)
		}
	}
}

// ---------------------------------------------------------------------------
// authorize.deny

// consentPage is the structure of a consent page: its forms and links.
type consentPage struct {
	forms []consentForm
	links map[string]string // id -> href
}

type consentForm struct {
	method, action string
	hidden         map[string]string
	buttons        []string // name=value of the submit buttons
	password       bool
}

func parseConsentPage(t *testing.T, body string) consentPage {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	pg := consentPage{links: map[string]string{}}
	get := func(n *html.Node, k string) string {
		for _, a := range n.Attr {
			if a.Key == k {
				return a.Val
			}
		}
		return ""
	}
	var cur *consentForm
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "form":
				pg.forms = append(pg.forms, consentForm{method: get(n, "method"), action: get(n, "action"), hidden: map[string]string{}})
				cur = &pg.forms[len(pg.forms)-1]
			case "input":
				switch get(n, "type") {
				case "hidden":
					cur.hidden[get(n, "name")] = get(n, "value")
				case "password":
					cur.password = true
				}
			case "button":
				cur.buttons = append(cur.buttons, get(n, "name")+"="+get(n, "value"))
			case "a":
				pg.links[get(n, "id")] = get(n, "href")
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return pg
}

func TestDenyChoices(t *testing.T) {
	for _, mode := range []string{DenyButton, DenyForm, DenyLink} {
		t.Run(mode, func(t *testing.T) {
			ts := NewTestServer(t, "rfc6749", WithSettings(func(s *Settings) { s.Authorize.Deny = mode }))
			res := azGet(t, ts, azCodeReq().enc())
			if res.status != 200 {
				t.Fatalf("%d %s", res.status, res.body)
			}
			pg := parseConsentPage(t, res.body)
			login := pg.forms[0]
			if !login.password || login.method != "post" || login.hidden[fieldPendingRequest] == "" {
				t.Fatalf("login form %+v", login)
			}
			var deny func() azResult
			switch mode {
			case DenyButton:
				if len(pg.forms) != 1 || !slices.Equal(login.buttons, []string{"action=approve", "action=deny"}) || len(pg.links) != 0 {
					t.Fatalf("page %+v", pg)
				}
				deny = func() azResult { return azSubmit(t, ts, azParsePage(t, res.body), "", "", actionDeny, nil) }
			case DenyForm:
				if len(pg.forms) != 2 || !slices.Equal(login.buttons, []string{"action=approve"}) || len(pg.links) != 0 {
					t.Fatalf("page %+v", pg)
				}
				f := pg.forms[1]
				if f.method != "post" || f.action != login.action || f.password || !slices.Equal(f.buttons, []string{"action=deny"}) ||
					f.hidden[fieldPendingRequest] != login.hidden[fieldPendingRequest] || f.hidden[fieldCSRFToken] != login.hidden[fieldCSRFToken] {
					t.Fatalf("deny form %+v", f)
				}
				deny = func() azResult {
					form := url.Values{fieldAction: {actionDeny}}
					for k, v := range f.hidden {
						form.Set(k, v)
					}
					return azDo(t, ts, http.MethodPost, ts.URL+f.action, form.Encode(), nil)
				}
			case DenyLink:
				href := pg.links["deny"]
				if len(pg.forms) != 1 || !slices.Equal(login.buttons, []string{"action=approve"}) || href == "" {
					t.Fatalf("page %+v", pg)
				}
				u, err := url.Parse(href)
				if err != nil || u.Path != login.action || u.Query().Get(fieldPendingRequest) != login.hidden[fieldPendingRequest] ||
					u.Query().Get(fieldCSRFToken) != login.hidden[fieldCSRFToken] || u.Query().Get(fieldAction) != actionDeny {
					t.Fatalf("deny link %q", href)
				}
				// The link's safety: it only denies, only with the right
				// token, and not from another site.
				q := u.Query()
				for name, mod := range map[string]func(url.Values){
					"approve":    func(v url.Values) { v.Set(fieldAction, actionApprove) },
					"no action":  func(v url.Values) { v.Del(fieldAction) },
					"wrong csrf": func(v url.Values) { v.Set(fieldCSRFToken, "x") },
					"no csrf":    func(v url.Values) { v.Del(fieldCSRFToken) },
					"repeated":   func(v url.Values) { v.Add(fieldAction, actionDeny) },
				} {
					v := url.Values{}
					for k, vs := range q {
						v[k] = slices.Clone(vs)
					}
					mod(v)
					if r := azGet(t, ts, v.Encode()); r.status < 400 || r.loc != "" {
						t.Fatalf("%s: %d %q", name, r.status, r.loc)
					}
				}
				if r := azDo(t, ts, http.MethodGet, ts.URL+href, "", map[string]string{"Sec-Fetch-Site": "cross-site"}); r.status != http.StatusForbidden || r.loc != "" {
					t.Fatalf("cross-site: %d %q", r.status, r.loc)
				}
				deny = func() azResult {
					return azDo(t, ts, http.MethodGet, ts.URL+href, "", map[string]string{"Sec-Fetch-Site": "same-origin"})
				}
			}
			r := deny()
			azWantErr(t, r, http.StatusSeeOther, azR1+"?", "access_denied", azNasty, false)
			// Each pending request yields one answer.
			if again := deny(); again.status != http.StatusBadRequest || again.loc != "" {
				t.Fatalf("second denial: %d %q", again.status, again.loc)
			}
			// Approving still works with every variant.
			azWantOK(t, azFlow(t, ts, azCodeReq(), "approve"), http.StatusSeeOther, azR1, azNasty)
		})
	}
	t.Run("without the link choice a GET with pending_request is an authorization request", func(t *testing.T) {
		ts := NewTestServer(t, "rfc6749")
		pg := azLoginPage(t, ts, azCodeReq())
		q := url.Values{fieldPendingRequest: {pg.inputs[fieldPendingRequest]}, fieldCSRFToken: {pg.inputs[fieldCSRFToken]}, fieldAction: {actionDeny}}
		azWantPage(t, azGet(t, ts, q.Encode()), http.StatusBadRequest)
	})
}

// ---------------------------------------------------------------------------
// public_client_credentials_error

func TestPublicClientCredentialsError(t *testing.T) {
	pub := tokenReq{body: ccBody + "&client_id=public-client"}
	wantError(t, doToken(t, NewTestServer(t, "rfc6749"), pub), 400, "unauthorized_client")

	ts := NewTestServer(t, "rfc6749", WithSettings(func(s *Settings) { s.PublicClientCredentialsError = "invalid_client" }))
	res := doToken(t, ts, pub)
	wantError(t, res, 401, "invalid_client")
	if !strings.HasPrefix(res.header.Get("WWW-Authenticate"), "Basic ") {
		t.Fatalf("challenge %q", res.header.Get("WWW-Authenticate"))
	}
	// Without Basic among the methods: 400 and no challenge (RFC 6749 §5.2).
	d := profile.MustLoad("rfc6749")
	d.ClientAuth.Methods.Required = nil
	ts = newTestServerDialect(t, d, WithSettings(func(s *Settings) {
		s.PublicClientCredentialsError = "invalid_client"
		s.ClientAuth.Methods = []string{profile.AuthPost, profile.AuthNone}
	}))
	res = doToken(t, ts, pub)
	wantError(t, res, 400, "invalid_client")
	if res.header.Get("WWW-Authenticate") != "" {
		t.Fatalf("challenge %q", res.header.Get("WWW-Authenticate"))
	}
}

// ---------------------------------------------------------------------------
// Per-client auth_method (fixtures)

func TestClientRegisteredAuthMethod(t *testing.T) {
	fx := profile.DefaultFixtures()
	for i := range fx.Clients {
		switch fx.Clients[i].ID {
		case "conf-client":
			fx.Clients[i].AuthMethod = profile.AuthPost
		case "conf-client-2":
			fx.Clients[i].AuthMethod = profile.AuthBasic
		}
	}
	ts := NewTestServer(t, "rfc6749", WithFixtures(fx))
	post := func(id, secret string) tokenReq {
		return tokenReq{body: ccBody + "&client_id=" + url.QueryEscape(id) + "&client_secret=" + url.QueryEscape(secret)}
	}
	mustToken(t, ts, post("conf-client", "conf-secret"))
	res := doToken(t, ts, tokenReq{body: ccBody, basic: conf})
	wantError(t, res, 401, "invalid_client")
	if !strings.HasPrefix(res.header.Get("WWW-Authenticate"), "Basic ") {
		t.Fatalf("challenge %q", res.header.Get("WWW-Authenticate"))
	}
	mustToken(t, ts, tokenReq{body: ccBody, basic: conf2})
	wantError(t, doToken(t, ts, post("conf-client-2", "conf-secret-2")), 401, "invalid_client")
	// A client without one uses either method.
	mustToken(t, ts, tokenReq{body: ccBody, basic: [2]string{"multi-client", "multi-secret"}})
	mustToken(t, ts, post("multi-client", "multi-secret"))
	// The other endpoints authenticate clients the same way.
	e := &ep{name: "rfc6749", ts: ts, c1: conf2, c2: conf}
	if res := e.introspect(t, post("conf-client-2", "conf-secret-2")); res.status != 401 || res.str("error") != "invalid_client" {
		t.Fatalf("introspection: %d %s", res.status, res.raw)
	}
	// A wrong secret is still just a failed authentication.
	wantError(t, doToken(t, ts, post("conf-client", "wrong")), 401, "invalid_client")
}

// TestSettingsCloneSharesNoSlice fills every slice of Settings (in nested
// structs and in slice elements too) and checks that Clone copies each, so
// that a field added later without its line in Clone fails here.
func TestSettingsCloneSharesNoSlice(t *testing.T) {
	var s Settings
	var fill func(v reflect.Value)
	fill = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Struct:
			for i := range v.NumField() {
				fill(v.Field(i))
			}
		case reflect.Slice:
			v.Set(reflect.MakeSlice(v.Type(), 1, 1))
			fill(v.Index(0))
		}
	}
	fill(reflect.ValueOf(&s).Elem())
	c := s.Clone()
	var check func(path string, a, b reflect.Value)
	check = func(path string, a, b reflect.Value) {
		switch a.Kind() {
		case reflect.Struct:
			for i := range a.NumField() {
				check(path+"."+a.Type().Field(i).Name, a.Field(i), b.Field(i))
			}
		case reflect.Slice:
			if a.Pointer() == b.Pointer() {
				t.Errorf("Clone shares %s", path)
			}
			check(path+"[0]", a.Index(0), b.Index(0))
		}
	}
	check("Settings", reflect.ValueOf(&s).Elem(), reflect.ValueOf(c).Elem())
}
