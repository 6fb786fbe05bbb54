package mockserver

import (
	"bytes"
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

	"github.com/oauthconform/oauthconform/profile"
)

// jwtMembers decodes a JWT's payload (unverified) and lists its member names
// in order, repeats included (a well-formed token repeats none).
func jwtMembers(t *testing.T, tok string) (map[string]any, []string) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWS: %q", tok)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var names []string
	if tk, err := dec.Token(); err != nil || tk != json.Delim('{') {
		t.Fatalf("payload %s", raw)
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, k.(string))
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
	}
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatal(err)
	}
	return claims, names
}

func wantUnique(t *testing.T, names []string) {
	t.Helper()
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			t.Fatalf("claim %q written twice: %v", n, names)
		}
		seen[n] = true
	}
}

// introspectAs introspects tok as the primary client of the dialect.
func introspectAs(t *testing.T, e *ep, tok string) tokenResp {
	t.Helper()
	res := e.introspect(t, e.req("token="+url.QueryEscape(tok)))
	if res.status != http.StatusOK {
		t.Fatalf("introspection: %d %s", res.status, res.raw)
	}
	return res
}

// A token of IssueToken is one of the token endpoint: introspection and the
// resource server accept it, JWTs verify with the JWKS, revocation ends it,
// and its refresh token refreshes. For every dialect, for a client's own
// token and for a user's.
func TestIssueTokenLikeHTTP(t *testing.T) {
	for _, name := range allProfiles {
		for _, subject := range []string{"", "alice"} {
			t.Run(name+"/subject="+subject, func(t *testing.T) {
				e := newEP(t, name)
				ts := e.ts
				tok, err := ts.IssueToken(context.Background(), IssueRequest{ClientID: e.c1[0], Subject: subject})
				if err != nil {
					t.Fatal(err)
				}
				if tok.AccessToken == "" || tok.TokenType != ts.Settings().AccessToken.TokenType || tok.ExpiresIn != int64(ts.Settings().AccessToken.Lifetime.D()/time.Second) {
					t.Fatalf("%+v", tok)
				}
				wantSub := subject
				if wantSub == "" {
					wantSub = e.c1[0]
				}
				in := introspectAs(t, e, tok.AccessToken)
				if in.body["active"] != true || in.str("sub") != wantSub || in.str("client_id") != e.c1[0] || in.str("scope") != tok.Scope {
					t.Fatalf("introspection %s, token %+v", in.raw, tok)
				}
				if ts.ResourceURL() != "" {
					if res := e.resource(t, tok.AccessToken); res.status != 200 || res.str("sub") != wantSub {
						t.Fatalf("resource %d %s", res.status, res.raw)
					}
				}
				if ts.JWKSURL() != "" {
					if _, claims, err := verifyWithJWKS(tok.AccessToken, ts.Settings().AccessToken.Alg, fetchJWKS(t, ts)); err != nil || claims["sub"] != wantSub {
						t.Fatalf("JWKS verification: %v %v", err, claims)
					}
				}
				if tok.RefreshToken != "" {
					if res := e.refresh(t, tok.RefreshToken); res.status != 200 || res.str("access_token") == "" {
						t.Fatalf("refresh %d %s", res.status, res.raw)
					}
				}
				if res := e.revoke(t, e.req("token="+url.QueryEscape(tok.AccessToken))); res.status != 200 {
					t.Fatalf("revocation %d %s", res.status, res.raw)
				}
				if e.active(t, tok.AccessToken) {
					t.Fatal("active after revocation")
				}
				if ts.ResourceURL() != "" {
					wantBearer401(t, e.resource(t, tok.AccessToken), "invalid_token")
				}
			})
		}
	}
}

// Refresh tokens: where the settings issue them for the grant the token
// stands for, or when asked.
func TestIssueTokenRefresh(t *testing.T) {
	tests := []struct {
		dialect, subject string
		refresh          bool
		want             bool
		err              string
	}{
		{"rfc6749", "", false, false, ""},     // client_credentials: none (RFC 6749 §4.4.3)
		{"rfc6749", "", true, true, ""},       // asked for
		{"rfc6749", "alice", false, true, ""}, // authorization_code: one
		{"merchant-customer", "", false, true, ""},
		{"oob-pkce", "alice", false, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.dialect+"/"+tt.subject, func(t *testing.T) {
			e := newEP(t, tt.dialect)
			tok, err := e.ts.IssueToken(context.Background(), IssueRequest{ClientID: e.c1[0], Subject: tt.subject, Refresh: tt.refresh})
			if err != nil {
				t.Fatal(err)
			}
			if (tok.RefreshToken != "") != tt.want {
				t.Fatalf("refresh token %q, want one: %v", tok.RefreshToken, tt.want)
			}
			if tt.want {
				if res := e.refresh(t, tok.RefreshToken); res.status != 200 {
					t.Fatalf("refresh %d %s", res.status, res.raw)
				}
			}
		})
	}
	ts := NewTestServer(t, "rfc6749", WithSettings(func(s *Settings) {
		s.GrantTypes = []string{profile.GrantClientCredentials}
		s.OIDC = false
		s.ResponseTypes = []string{}
		s.RefreshToken.IssueFor = []string{}
	}))
	if _, err := ts.IssueToken(context.Background(), IssueRequest{Refresh: true}); err == nil || !strings.Contains(err.Error(), "refresh_token grant") {
		t.Fatalf("err %v", err)
	}
}

func TestIssueTokenValidates(t *testing.T) {
	ts := NewTestServer(t, "rfc6749")
	tests := map[string]struct {
		req  IssueRequest
		want string
	}{
		"unknown client":   {IssueRequest{ClientID: "nobody"}, "unknown client"},
		"unknown scope":    {IssueRequest{Scope: "read bogus"}, "scope"},
		"negative":         {IssueRequest{Lifetime: -time.Second}, "negative Lifetime"},
		"unencodable":      {IssueRequest{Claims: map[string]any{"c": make(chan int)}}, "claims"},
		"empty claim name": {IssueRequest{Claims: map[string]any{"": 1}}, "claims"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := ts.IssueToken(context.Background(), tt.req); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want %q", err, tt.want)
			}
		})
	}
	// The defaults: the primary client, the default scope.
	tok, err := ts.IssueToken(context.Background(), IssueRequest{})
	if err != nil || tok.Scope != ts.Settings().Scopes.Default {
		t.Fatalf("%+v %v", tok, err)
	}
	if c, _ := jwtMembers(t, tok.AccessToken); c["client_id"] != "conf-client" || c["sub"] != "conf-client" {
		t.Fatalf("claims %v", c)
	}
}

// Lifetime sets expires_in and exp; the provider's clock expires the token.
func TestIssueTokenLifetime(t *testing.T) {
	e := newEP(t, "rfc6749")
	tok, err := e.ts.IssueToken(context.Background(), IssueRequest{Subject: "alice", Lifetime: 90 * time.Second})
	if err != nil || tok.ExpiresIn != 90 {
		t.Fatalf("%+v %v", tok, err)
	}
	c, _ := jwtMembers(t, tok.AccessToken)
	if exp, _ := c["exp"].(float64); int64(exp)-e.ts.Clock.Now().Unix() > 90 {
		t.Fatalf("exp %v", c["exp"])
	}
	if !e.active(t, tok.AccessToken) {
		t.Fatal("inactive")
	}
	e.ts.Clock.Advance(91 * time.Second)
	if e.active(t, tok.AccessToken) {
		t.Fatal("active after its lifetime")
	}
}

// Revoke revokes like the endpoint: an access token alone, a refresh token
// with its family; an unknown token is ErrNotFound.
func TestRevoke(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{"rfc6749", "merchant-customer"} {
		t.Run(name, func(t *testing.T) {
			e := newEP(t, name)
			stateless, err := e.ts.IssueToken(ctx, IssueRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if err := e.ts.Revoke(ctx, stateless.AccessToken); err != nil || e.active(t, stateless.AccessToken) {
				t.Fatalf("revoke: %v", err)
			}
			fam, err := e.ts.IssueToken(ctx, IssueRequest{Subject: "alice"})
			if err != nil || fam.RefreshToken == "" {
				t.Fatalf("%+v %v", fam, err)
			}
			if err := e.ts.Revoke(ctx, fam.RefreshToken); err != nil {
				t.Fatal(err)
			}
			if e.active(t, fam.AccessToken) || e.active(t, fam.RefreshToken) {
				t.Fatal("family still active")
			}
			if err := e.ts.Revoke(ctx, "not-a-token"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("unknown: %v", err)
			}
		})
	}
}

// clientClaimsFixtures gives conf-client and alice access token claims of
// every JSON type.
func clientClaimsFixtures() *profile.Fixtures {
	fx := profile.DefaultFixtures()
	for i := range fx.Clients {
		if fx.Clients[i].ID == "conf-client" {
			fx.Clients[i].AccessTokenClaims = map[string]any{
				"tenant": "acme", "tier": 3, "beta": true, "roles": []any{"reader"}, "who": "client",
			}
		}
	}
	fx.Users[0].AccessTokenClaims = map[string]any{
		"roles": []any{"admin", "reader"}, "address": map[string]any{"country": "NL"}, "who": "user",
	}
	return fx
}

// Claims of the client, the user and the request reach the access tokens of
// every grant, with their JSON types; the request's override the user's,
// which override the client's; refreshing keeps them.
func TestClaimsOnEveryGrant(t *testing.T) {
	ctx := context.Background()
	ts := NewTestServer(t, "rfc6749", WithFixtures(clientClaimsFixtures()))
	e := &ep{name: "rfc6749", ts: ts, c1: conf, c2: conf2}
	code, err := ts.MintCode(ctx, CodeRequest{ClientID: "conf-client", Claims: map[string]any{"who": "request", "n": 1.5}})
	if err != nil {
		t.Fatal(err)
	}
	codeRes := mustToken(t, ts, tokenReq{body: "grant_type=authorization_code&code=" + url.QueryEscape(code) + "&redirect_uri=" + url.QueryEscape("http://127.0.0.1:8765/callback"), basic: conf})
	pwRes := mustToken(t, ts, tokenReq{body: "grant_type=password&username=alice&password=alice-password", basic: conf})
	issued, err := ts.IssueToken(ctx, IssueRequest{Subject: "alice", Claims: map[string]any{"who": "request"}})
	if err != nil {
		t.Fatal(err)
	}
	client := map[string]any{"tenant": "acme", "tier": float64(3), "beta": true}
	user := map[string]any{"roles": []any{"admin", "reader"}, "address": map[string]any{"country": "NL"}}
	tests := []struct {
		name string
		tok  string
		want map[string]any
	}{
		{"client_credentials", mustToken(t, ts, tokenReq{body: ccBody, basic: conf}).str("access_token"), map[string]any{"roles": []any{"reader"}, "who": "client"}},
		{"password", pwRes.str("access_token"), map[string]any{"who": "user"}},
		{"authorization_code", codeRes.str("access_token"), map[string]any{"who": "request", "n": 1.5}},
		{"refresh of the code's", e.refresh(t, codeRes.str("refresh_token")).str("access_token"), map[string]any{"who": "request", "n": 1.5}},
		{"refresh of password's", e.refresh(t, pwRes.str("refresh_token")).str("access_token"), map[string]any{"who": "user"}},
		{"IssueToken", issued.AccessToken, map[string]any{"who": "request"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, names := jwtMembers(t, tt.tok)
			wantUnique(t, names)
			want := maps2(client, tt.want)
			if tt.name != "client_credentials" {
				want = maps2(client, user, tt.want)
			}
			for k, v := range want {
				if g, _ := json.Marshal(got[k]); string(g) != mustJSON(t, v) {
					t.Errorf("claim %s = %s, want %s", k, g, mustJSON(t, v))
				}
			}
			if !e.active(t, tt.tok) {
				t.Fatal("inactive")
			}
		})
	}
}

func maps2(ms ...map[string]any) map[string]any {
	out := map[string]any{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Registered claims given by the test replace the provider's: each is
// written once, and the provider's own introspection and resource server
// go by them where it can still accept the token.
func TestRegisteredClaimsReplace(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	tests := []struct {
		name    string
		dialect string
		claims  map[string]any
		// accepted: the provider's introspection and resource accept it.
		accepted bool
		check    func(t *testing.T, c map[string]any, in tokenResp)
	}{
		{"sub", "rfc6749", map[string]any{"sub": "bob"}, true, func(t *testing.T, c map[string]any, in tokenResp) {
			if c["sub"] != "bob" || in.str("sub") != "bob" {
				t.Fatalf("%v %s", c, in.raw)
			}
		}},
		{"aud list with the audience", "rfc6749", map[string]any{"aud": []any{"https://api.example", "AUD"}}, true, func(t *testing.T, c map[string]any, _ tokenResp) {
			if a, _ := c["aud"].([]any); len(a) != 2 {
				t.Fatalf("aud %v", c["aud"])
			}
		}},
		{"aud without the audience", "rfc6749", map[string]any{"aud": "https://api.example"}, false, nil},
		{"other issuer", "rfc6749", map[string]any{"iss": "https://evil.example"}, false, nil},
		{"scope", "rfc6749", map[string]any{"scope": "read write"}, true, func(t *testing.T, c map[string]any, in tokenResp) {
			if c["scope"] != "read write" || in.str("scope") != "read write" {
				t.Fatalf("%v %s", c, in.raw)
			}
		}},
		{"exp as a time", "rfc6749", map[string]any{"exp": now.Add(10 * time.Minute)}, true, func(t *testing.T, c map[string]any, in tokenResp) {
			if int64(c["exp"].(float64)) != now.Add(10*time.Minute).Unix() || int64(in.body["exp"].(float64)) != now.Add(10*time.Minute).Unix() {
				t.Fatalf("%v %s", c, in.raw)
			}
		}},
		{"exp in the past", "rfc6749", map[string]any{"exp": now.Add(-time.Minute).Unix()}, false, nil},
		{"iat and jti", "rfc6749", map[string]any{"iat": 1700000000, "jti": "my-jti"}, true, func(t *testing.T, c map[string]any, in tokenResp) {
			if c["iat"] != float64(1700000000) || c["jti"] != "my-jti" || in.str("jti") != "my-jti" {
				t.Fatalf("%v %s", c, in.raw)
			}
		}},
		{"nbf in the past", "rfc6749", map[string]any{"nbf": now.Add(-time.Minute).Unix()}, true, nil},
		{"nbf in the future", "rfc6749", map[string]any{"nbf": now.Add(time.Hour).Unix()}, false, nil},
		{"sub of the wrong type", "rfc6749", map[string]any{"sub": 42}, false, nil},
		{"client_id", "rfc6749", map[string]any{"client_id": "conf-client"}, true, nil},
		{"plain JWT: sub and aud", "oauth20-intents", map[string]any{"sub": "bob", "aud": "x", "intent_id": "i-9"}, true, func(t *testing.T, c map[string]any, in tokenResp) {
			if c["sub"] != "bob" || c["aud"] != "x" || c["intent_id"] != "i-9" || in.str("sub") != "bob" {
				t.Fatalf("%v %s", c, in.raw)
			}
		}},
		{"HS256: raw JSON", "oob-pkce", map[string]any{"sub": "bob", "ctx": json.RawMessage(`{"a":[1,2]}`)}, true, func(t *testing.T, c map[string]any, in tokenResp) {
			if mustJSON(t, c["ctx"]) != `{"a":[1,2]}` || in.str("sub") != "bob" {
				t.Fatalf("%v %s", c, in.raw)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEP(t, tt.dialect)
			claims := maps2(tt.claims)
			if a, ok := claims["aud"].([]any); ok {
				claims["aud"] = []any{a[0], e.ts.Issuer()} // the provider's audience is its issuer
			}
			for _, subject := range []string{"", "alice"} {
				tok, err := e.ts.IssueToken(ctx, IssueRequest{ClientID: e.c1[0], Subject: subject, Claims: claims})
				if err != nil {
					t.Fatal(err)
				}
				c, names := jwtMembers(t, tok.AccessToken)
				wantUnique(t, names)
				for k, v := range claims {
					if tt, ok := v.(time.Time); ok {
						v = tt.Unix()
					}
					if got, want := mustJSON(t, c[k]), mustJSON(t, v); got != want && k != "aud" {
						t.Fatalf("claim %s = %s, want %s", k, got, want)
					}
				}
				in := introspectAs(t, e, tok.AccessToken)
				if active := in.body["active"] == true; active != tt.accepted {
					t.Fatalf("subject %q: active %v, want %v: %s", subject, active, tt.accepted, in.raw)
				}
				if e.ts.ResourceURL() != "" {
					if res := e.resource(t, tok.AccessToken); (res.status == 200) != tt.accepted {
						t.Fatalf("resource %d %s", res.status, res.raw)
					}
				}
				if tt.check != nil {
					tt.check(t, c, in)
				}
			}
		})
	}
}

// Opaque tokens keep their claims in their record; the registered ones
// still decide what introspection says.
func TestClaimsOfOpaqueTokens(t *testing.T) {
	e := newEP(t, "merchant-customer")
	tok, err := e.ts.IssueToken(context.Background(), IssueRequest{Subject: "alice", Claims: map[string]any{"sub": "bob", "tenant": "acme"}})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := e.ts.Store().Token(context.Background(), tok.AccessToken)
	if err != nil || rec.Subject != "bob" || rec.Claims["tenant"] != "acme" {
		t.Fatalf("%+v %v", rec, err)
	}
	if in := introspectAs(t, e, tok.AccessToken); in.str("sub") != "bob" {
		t.Fatal(in.raw)
	}
}

// Claims in the fixtures file: any YAML type, validated.
func TestFixtureClaimsYAML(t *testing.T) {
	fx, err := profile.ParseFixtures([]byte(`
clients:
  - id: c
    secret: s
    access_token_claims: {tenant: acme, tier: 3, ratio: 0.5, beta: true, roles: [a, b], org: {id: 7}}
users:
  - username: u
    password: p
    access_token_claims: {groups: [x]}
`))
	if err != nil {
		t.Fatal(err)
	}
	ts := NewTestServer(t, "rfc6749", WithFixtures(fx))
	tok, err := ts.IssueToken(context.Background(), IssueRequest{ClientID: "c", Subject: "u"})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := jwtMembers(t, tok.AccessToken)
	if mustJSON(t, c["org"]) != `{"id":7}` || c["ratio"] != 0.5 || c["tier"] != float64(3) || mustJSON(t, c["groups"]) != `["x"]` {
		t.Fatalf("%v", c)
	}
	if _, err := profile.ParseFixtures([]byte("clients:\n  - id: c\n    access_token_claims: {m: {1: x}}\n")); err == nil || !strings.Contains(err.Error(), "access_token_claims") {
		t.Fatalf("err %v", err)
	}
}

// A token without extra claims is the same as before (the pooled fast
// path): only the provider's members, in its order.
func TestNoExtraClaimsShape(t *testing.T) {
	ts := NewTestServer(t, "rfc6749")
	tok := mustToken(t, ts, tokenReq{body: ccBody, basic: conf}).str("access_token")
	_, names := jwtMembers(t, tok)
	if want := []string{"iss", "sub", "aud", "client_id", "scope", "iat", "exp", "jti"}; !slices.Equal(names, want) {
		t.Fatalf("%v", names)
	}
}
