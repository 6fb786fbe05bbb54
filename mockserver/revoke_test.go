package mockserver

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func wantRevoked200(t *testing.T, res tokenResp) {
	t.Helper()
	if res.status != http.StatusOK || res.raw != "" {
		t.Fatalf("want 200 with an empty body, got %d %s", res.status, res.raw)
	}
}

func TestRevocation(t *testing.T) {
	for _, prof := range allProfiles {
		t.Run(prof, func(t *testing.T) {
			for _, tt := range []struct {
				name string
				run  func(t *testing.T, e *ep)
			}{
				{"refresh token revokes its grant family", func(t *testing.T, e *ep) {
					at, rt := e.tokens(t)
					wantRevoked200(t, e.revoke(t, e.req("token="+url.QueryEscape(rt)+"&token_type_hint=refresh_token")))
					wantError(t, e.refresh(t, rt), 400, "invalid_grant")
					if e.active(t, at) || e.active(t, rt) {
						t.Fatal("a token of the revoked family is still active")
					}
					if res := e.resource(t, at); res.status != 401 {
						t.Fatalf("resource accepts an access token of the revoked family: %d", res.status)
					}
				}},
				{"access token revokes that token only", func(t *testing.T, e *ep) {
					at, rt := e.tokens(t)
					wantRevoked200(t, e.revoke(t, e.req("token="+url.QueryEscape(at)+"&token_type_hint=access_token")))
					if e.active(t, at) || e.resource(t, at).status != 401 {
						t.Fatal("revoked access token still works")
					}
					if !e.active(t, rt) {
						t.Fatal("refresh token revoked with the access token")
					}
					if res := e.refresh(t, rt); res.status != 200 || !e.active(t, res.str("access_token")) {
						t.Fatalf("refresh after access token revocation: %d %s", res.status, res.raw)
					}
				}},
				{"wrong or unknown hint is ignored", func(t *testing.T, e *ep) {
					for _, hint := range []string{"access_token", "bogus", "REFRESH_TOKEN"} {
						_, rt := e.tokens(t)
						wantRevoked200(t, e.revoke(t, e.req("token="+url.QueryEscape(rt)+"&token_type_hint="+hint)))
						if e.active(t, rt) {
							t.Fatalf("hint %s: refresh token not revoked", hint)
						}
					}
					at, _ := e.tokens(t)
					wantRevoked200(t, e.revoke(t, e.req("token="+url.QueryEscape(at)+"&token_type_hint=refresh_token")))
					if e.active(t, at) {
						t.Fatal("access token sent with the refresh_token hint not revoked")
					}
				}},
				{"unknown and invalid tokens answer 200", func(t *testing.T, e *ep) {
					at, _ := e.tokens(t)
					for _, tok := range []string{"garbage", strings.Repeat("x", 9000), at + "x", "a.b.c", "é"} {
						wantRevoked200(t, e.revoke(t, e.req("token="+url.QueryEscape(tok))))
					}
					if !e.active(t, at) {
						t.Fatal("a near miss revoked the token")
					}
				}},
				{"revoking twice, and an expired token, answer 200", func(t *testing.T, e *ep) {
					at, rt := e.tokens(t)
					wantRevoked200(t, e.revoke(t, e.req("token="+url.QueryEscape(rt))))
					wantRevoked200(t, e.revoke(t, e.req("token="+url.QueryEscape(rt))))
					e.ts.Clock.Advance(e.ts.Settings().AccessToken.Lifetime.D() + time.Minute)
					wantRevoked200(t, e.revoke(t, e.req("token="+url.QueryEscape(at))))
				}},
				{"another client's token is refused and left untouched", func(t *testing.T, e *ep) {
					at, rt := e.tokens(t)
					wantError(t, e.revoke(t, e.as(e.c2, "token="+url.QueryEscape(rt))), 400, "invalid_grant")
					wantError(t, e.revoke(t, e.as(e.c2, "token="+url.QueryEscape(at))), 400, "invalid_grant")
					if !e.active(t, at) || e.refresh(t, rt).status != 200 {
						t.Fatal("another client revoked the tokens")
					}
				}},
				{"token is required", func(t *testing.T, e *ep) {
					wantError(t, e.revoke(t, e.req("token_type_hint=access_token")), 400, "invalid_request")
					wantError(t, e.revoke(t, e.req("token=")), 400, "invalid_request")
					wantError(t, e.revoke(t, e.req("token=a&token=b")), 400, "invalid_request")
				}},
				{"client authentication is required", func(t *testing.T, e *ep) {
					_, rt := e.tokens(t)
					var bad []tokenReq
					if e.c1[1] != "" {
						bad = append(bad,
							tokenReq{body: "token=" + rt, basic: [2]string{e.c1[0], "wrong"}},
							tokenReq{body: "token=" + rt},
							tokenReq{body: "token=" + rt + "&client_id=" + e.c1[0]},
							tokenReq{body: "token=" + rt + "&client_id=nobody&client_secret=x"})
					} else {
						bad = append(bad,
							tokenReq{body: "token=" + rt + "&client_id=" + e.c1[0]},                                               // no API key
							tokenReq{body: "token=" + rt + "&client_id=" + e.c1[0], headers: map[string]string{"x-api-key": "x"}}, // wrong key
							tokenReq{body: "token=" + rt, headers: e.headers},                                                     // no client
							tokenReq{body: "token=" + rt + "&client_id=nobody", headers: e.headers})
					}
					for i, r := range bad {
						res := e.revoke(t, r)
						wantError(t, res, 401, "invalid_client")
						if res.header.Get("WWW-Authenticate") == "" {
							t.Fatalf("request %d: 401 without WWW-Authenticate", i)
						}
					}
					if e.refresh(t, rt).status != 200 {
						t.Fatal("an unauthenticated request revoked the token")
					}
				}},
				{"only POST", func(t *testing.T, e *ep) {
					res := doAt(t, e.ts, e.ts.RevocationURL(), tokenReq{method: http.MethodGet, query: "token=x"})
					if res.status != http.StatusMethodNotAllowed || res.header.Get("Allow") != "POST" {
						t.Fatalf("GET: %d %v", res.status, res.header)
					}
				}},
				{"body encodings of the profile", func(t *testing.T, e *ep) {
					_, rt := e.tokens(t)
					r := e.req("")
					r.contentType = "application/json"
					r.body = `{"token":"` + rt + `"`
					if e.c1[1] == "" {
						r.body += `,"client_id":"` + e.c1[0] + `"`
					}
					r.body += `}`
					res := e.revoke(t, r)
					if e.ts.Settings().HasEncoding("json") {
						wantRevoked200(t, res)
						if e.active(t, rt) {
							t.Fatal("JSON revocation did not revoke")
						}
					} else {
						wantError(t, res, 400, "invalid_request")
					}
					r = e.req("token=x")
					r.contentType = "text/plain"
					wantError(t, e.revoke(t, r), 400, "invalid_request")
				}},
			} {
				t.Run(tt.name, func(t *testing.T) { tt.run(t, newEP(t, prof)) })
			}
		})
	}
}

// A public client revokes its own tokens with client_id alone.
func TestRevocationPublicClient(t *testing.T) {
	e := newEP(t, "rfc6749")
	e.c1 = [2]string{"public-client", ""}
	code := mintFor(t, e.ts, CodeRequest{ClientID: "public-client", CodeChallenge: s256(verifier), CodeChallengeMethod: "S256"})
	rt := mustToken(t, e.ts, tokenReq{body: codeBody(code, r1, "client_id=public-client", "code_verifier="+verifier)}).str("refresh_token")
	wantRevoked200(t, e.revoke(t, e.req("token="+rt)))
	if e.refresh(t, rt).status != 400 {
		t.Fatal("public client's refresh token not revoked")
	}
}

// Stateless JWT access tokens (client_credentials tokens that name their
// client: RFC 9068 ones, oauth20-intents' plain ones; not stored) are
// revoked through the jti set, which the sweep empties once they expire.
// (Plain JWTs without client_id are stored: TestAccessTokenFormats.)
func TestRevocationStatelessJWT(t *testing.T) {
	for _, prof := range []string{"rfc6749", "oauth20-intents"} {
		t.Run(prof, func(t *testing.T) {
			e := newEP(t, prof)
			at := mustToken(t, e.ts, tokenReq{body: ccBody, basic: conf}).str("access_token")
			st := e.ts.Store().(*MemoryStore)
			if _, n, _ := st.Len(); n != 0 {
				t.Fatalf("client_credentials token stored (%d records)", n)
			}
			if !e.active(t, at) || e.resource(t, at).status != 200 {
				t.Fatal("fresh token not accepted")
			}
			wantRevoked200(t, e.revoke(t, e.req("token="+at)))
			if e.active(t, at) || e.resource(t, at).status != 401 {
				t.Fatal("revoked stateless token still accepted")
			}
			if st.RevokedJTIs() != 1 {
				t.Fatalf("%d jtis remembered", st.RevokedJTIs())
			}
			// Garbage never grows the set.
			for range 20 {
				e.revoke(t, e.req("token=garbage"))
			}
			if st.RevokedJTIs() != 1 {
				t.Fatalf("%d jtis remembered", st.RevokedJTIs())
			}
			e.ts.Clock.Advance(2 * time.Hour)
			st.Sweep(context.Background(), e.ts.Clock.Now())
			if st.RevokedJTIs() != 0 {
				t.Fatal("expired jti not swept")
			}
		})
	}
}

func TestMemoryStoreJTIs(t *testing.T) {
	ctx := context.Background()
	s := NewMemoryStore()
	now := time.Now()
	_ = s.RevokeJTI(ctx, "a", now.Add(time.Minute))
	_ = s.RevokeJTI(ctx, "b", now.Add(-time.Second))
	if ok, _ := s.JTIRevoked(ctx, "a"); !ok {
		t.Fatal("a not revoked")
	}
	if ok, _ := s.JTIRevoked(ctx, "c"); ok {
		t.Fatal("c revoked")
	}
	if n := s.Sweep(ctx, now); n != 1 || s.RevokedJTIs() != 1 {
		t.Fatalf("swept %d, %d left", n, s.RevokedJTIs())
	}
}

// Brute-force lockout is shared with the token endpoint: after repeated
// wrong secrets, revocation answers 401 with Retry-After too.
func TestRevocationLockout(t *testing.T) {
	e := newEP(t, "rfc6749")
	var res tokenResp
	for range 12 {
		res = e.revoke(t, tokenReq{body: "token=x", basic: [2]string{"conf-client", "wrong"}})
	}
	wantError(t, res, 401, "invalid_client")
	if res.header.Get("Retry-After") == "" {
		t.Fatalf("no Retry-After after repeated failures: %v", res.header)
	}
}
