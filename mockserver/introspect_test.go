package mockserver

import (
	"math"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func wantInactive(t *testing.T, res tokenResp) {
	t.Helper()
	if res.status != http.StatusOK || res.raw != `{"active":false}` {
		t.Fatalf(`want 200 {"active":false}, got %d %s`, res.status, res.raw)
	}
	if res.header.Get("Cache-Control") != "no-store" || res.header.Get("Content-Type") != "application/json" {
		t.Fatalf("headers %v", res.header)
	}
}

func num(v any) int64 {
	f, _ := v.(float64)
	return int64(f)
}

func TestIntrospection(t *testing.T) {
	for _, prof := range allProfiles {
		t.Run(prof, func(t *testing.T) {
			for _, tt := range []struct {
				name string
				run  func(t *testing.T, e *ep)
			}{
				{"active access token", func(t *testing.T, e *ep) {
					at, _ := e.tokens(t)
					res := e.introspect(t, e.req("token="+url.QueryEscape(at)))
					if res.status != 200 || res.body["active"] != true || res.header.Get("Cache-Control") != "no-store" {
						t.Fatalf("%d %s", res.status, res.raw)
					}
					prof := e.ts.Settings()
					if res.str("client_id") != e.c1[0] || res.str("sub") != "alice" || res.str("token_type") != prof.AccessToken.TokenType {
						t.Fatalf("members: %s", res.raw)
					}
					if prof.Scopes.Default != "" && res.str("scope") != prof.Scopes.Default {
						t.Fatalf("scope: %s", res.raw)
					}
					exp, iat := num(res.body["exp"]), num(res.body["iat"])
					want := time.Now().Add(prof.AccessToken.Lifetime.D()).Unix()
					if math.Abs(float64(exp-want)) > 5 || exp-iat != int64(prof.AccessToken.Lifetime.D()/time.Second) {
						t.Fatalf("exp %d iat %d, want exp ≈ %d", exp, iat, want)
					}
					// A JWT adds iss; aud when its tokens carry one, and
					// the jti of a token known by its claims (one that
					// names its client: not a plain one of a record).
					isJWT, shape := prof.IsJWT(), e.ts.Provider.jwt
					if hasIss := res.str("iss") != ""; hasIss != isJWT || (isJWT && res.str("iss") != e.ts.Issuer()) {
						t.Fatalf("JWT members: %s", res.raw)
					}
					wantAud, wantJti := isJWT && shape.aud, isJWT && shape.selfContained()
					if hasAud, hasJti := res.str("aud") != "", res.str("jti") != ""; hasAud != wantAud || hasJti != wantJti || (wantAud && res.str("aud") != e.ts.Issuer()) {
						t.Fatalf("JWT members (aud, jti): %s", res.raw)
					}
				}},
				{"active refresh token, without token_type", func(t *testing.T, e *ep) {
					_, rt := e.tokens(t)
					res := e.introspect(t, e.req("token="+url.QueryEscape(rt)+"&token_type_hint=refresh_token"))
					if res.body["active"] != true || res.str("client_id") != e.c1[0] || res.body["token_type"] != nil || res.body["exp"] == nil {
						t.Fatalf("%d %s", res.status, res.raw)
					}
				}},
				{"hint is only an order", func(t *testing.T, e *ep) {
					at, rt := e.tokens(t)
					for _, hint := range []string{"refresh_token", "access_token", "bogus"} {
						res := e.introspect(t, e.req("token="+url.QueryEscape(at)+"&token_type_hint="+hint))
						res2 := e.introspect(t, e.req("token="+url.QueryEscape(rt)+"&token_type_hint="+hint))
						if res.body["active"] != true || res2.body["active"] != true {
							t.Fatalf("hint %s: %s / %s", hint, res.raw, res2.raw)
						}
					}
				}},
				{"unknown, garbage and near-miss tokens are inactive", func(t *testing.T, e *ep) {
					at, rt := e.tokens(t)
					for _, tok := range []string{"garbage", at + "x", rt + "x", strings.Repeat("a", 10000), "a.b.c", "\u00e9", at[:len(at)-2]} {
						wantInactive(t, e.introspect(t, e.req("token="+url.QueryEscape(tok))))
					}
				}},
				{"expired tokens are inactive", func(t *testing.T, e *ep) {
					at, rt := e.tokens(t)
					e.ts.Clock.Advance(e.ts.Settings().AccessToken.Lifetime.D() + time.Second)
					wantInactive(t, e.introspect(t, e.req("token="+url.QueryEscape(at))))
					e.ts.Clock.Advance(e.ts.Settings().RefreshToken.Lifetime.D())
					wantInactive(t, e.introspect(t, e.req("token="+url.QueryEscape(rt))))
				}},
				{"revoked tokens are inactive", func(t *testing.T, e *ep) {
					at, rt := e.tokens(t)
					wantRevoked200(t, e.revoke(t, e.req("token="+url.QueryEscape(rt))))
					wantInactive(t, e.introspect(t, e.req("token="+url.QueryEscape(rt))))
					wantInactive(t, e.introspect(t, e.req("token="+url.QueryEscape(at))))
				}},
				{"any authenticated client may introspect", func(t *testing.T, e *ep) {
					at, _ := e.tokens(t)
					if res := e.introspect(t, e.as(e.c2, "token="+url.QueryEscape(at))); res.body["active"] != true {
						t.Fatalf("%d %s", res.status, res.raw)
					}
				}},
				{"authentication is required", func(t *testing.T, e *ep) {
					at, _ := e.tokens(t)
					reqs := []tokenReq{{body: "token=" + at}}
					if e.c1[1] != "" {
						reqs = append(reqs, tokenReq{body: "token=" + at, basic: [2]string{e.c1[0], "nope"}}, tokenReq{body: "token=" + at + "&client_id=" + e.c1[0]})
					} else {
						reqs = append(reqs, tokenReq{body: "token=" + at + "&client_id=" + e.c1[0]}, tokenReq{body: "token=" + at, headers: e.headers})
					}
					for i, r := range reqs {
						res := e.introspect(t, r)
						wantError(t, res, 401, "invalid_client")
						if res.header.Get("WWW-Authenticate") == "" || res.body["active"] != nil {
							t.Fatalf("request %d: %v %s", i, res.header, res.raw)
						}
					}
				}},
				{"token is required; POST only", func(t *testing.T, e *ep) {
					wantError(t, e.introspect(t, e.req("")), 400, "invalid_request")
					wantError(t, e.introspect(t, e.req("token=a&token=a")), 400, "invalid_request")
					res := doAt(t, e.ts, e.ts.IntrospectionURL(), tokenReq{method: http.MethodGet})
					if res.status != 405 {
						t.Fatalf("GET %d", res.status)
					}
				}},
			} {
				t.Run(tt.name, func(t *testing.T) { tt.run(t, newEP(t, prof)) })
			}
		})
	}
}

// Public clients need an API key to introspect (none in rfc6749).
func TestIntrospectionPublicClient(t *testing.T) {
	e := newEP(t, "rfc6749")
	at, _ := e.tokens(t)
	res := e.introspect(t, tokenReq{body: "token=" + at + "&client_id=public-client"})
	wantError(t, res, 401, "invalid_client")
	if !strings.HasPrefix(res.header.Get("WWW-Authenticate"), "Basic ") {
		t.Fatalf("challenge %q", res.header.Get("WWW-Authenticate"))
	}
}

// A rotated-out refresh token is inactive; client_credentials tokens carry
// the client as subject; tokens of the refresh grant stay active.
func TestIntrospectionRotationAndClientCredentials(t *testing.T) {
	e := newEP(t, "rfc6749")
	at, rt := e.tokens(t)
	res := e.refresh(t, rt)
	if res.status != 200 || res.str("refresh_token") == rt {
		t.Fatalf("refresh %s", res.raw)
	}
	wantInactive(t, e.introspect(t, e.req("token="+rt)))
	if !e.active(t, at) || !e.active(t, res.str("access_token")) || !e.active(t, res.str("refresh_token")) {
		t.Fatal("family tokens inactive after a rotation")
	}
	cc := mustToken(t, e.ts, tokenReq{body: ccBody + "&scope=read+write", basic: conf}).str("access_token")
	got := e.introspect(t, e.req("token="+cc))
	if got.str("sub") != "conf-client" || got.str("client_id") != "conf-client" || got.str("scope") != "read write" {
		t.Fatalf("%s", got.raw)
	}
}
