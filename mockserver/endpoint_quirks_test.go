package mockserver

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/oauthconform/oauthconform/suites/quirkids"
)

// endpointRule is one rule of the META, REV, INTR, JWT or BEAR groups, as a
// scenario on a profile that reports whether the rule held.
type endpointRule struct {
	profile string
	holds   func(t *testing.T, e *ep) bool
}

func jwtParts(t *testing.T, tok string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWS: %q", tok)
	}
	for i, into := range []*map[string]any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil || json.Unmarshal(b, into) != nil {
			t.Fatalf("JWS part %d: %v", i, err)
		}
	}
	return header, claims
}

func metadataDoc(t *testing.T, e *ep) map[string]any {
	t.Helper()
	doc, raw, resp := getMetadata(t, e.ts, WellKnownOAuth)
	if resp.StatusCode != 200 {
		t.Fatalf("metadata: %d %s", resp.StatusCode, raw)
	}
	return doc
}

var (
	ruleNoTokenChallenge = endpointRule{"rfc6749", func(t *testing.T, e *ep) bool {
		res := e.resource(t, "")
		c := res.header.Get("WWW-Authenticate")
		return res.status == 401 && strings.HasPrefix(c, "Bearer ") && !challengeHasError(c)
	}}
	ruleRevokedInactive = endpointRule{"rfc6749", func(t *testing.T, e *ep) bool {
		at, _ := e.tokens(t)
		e.revoke(t, e.req("token="+url.QueryEscape(at)))
		return e.introspect(t, e.req("token="+url.QueryEscape(at))).raw == `{"active":false}`
	}}
)

// endpointQuirkRules maps each endpoint quirk to the rule it breaks.
var endpointQuirkRules = map[Quirk]endpointRule{
	QuirkMetadataIssuerMismatch: {"rfc6749", func(t *testing.T, e *ep) bool {
		return metadataDoc(t, e)["issuer"] == e.ts.Issuer()
	}},
	QuirkMetadataEmptyArrays: {"oob-pkce", func(t *testing.T, e *ep) bool {
		for _, v := range metadataDoc(t, e) {
			if arr, ok := v.([]any); ok && len(arr) == 0 {
				return false
			}
		}
		return true
	}},
	QuirkMetadataUnsupportedGrant: {"rfc6749", func(t *testing.T, e *ep) bool {
		for _, g := range strList(metadataDoc(t, e)["grant_types_supported"]) {
			if g != "implicit" && doToken(t, e.ts, e.req("grant_type="+url.QueryEscape(g))).str("error") == "unsupported_grant_type" {
				return false
			}
		}
		return true
	}},
	QuirkMetadataNoS256: {"rfc6749", func(t *testing.T, e *ep) bool {
		return slices.Contains(strList(metadataDoc(t, e)["code_challenge_methods_supported"]), "S256")
	}},
	QuirkMetadataOmitsGrant: {"rfc6749", func(t *testing.T, e *ep) bool {
		return slices.Contains(strList(metadataDoc(t, e)["grant_types_supported"]), "refresh_token")
	}},
	QuirkRevocationKeepsRefresh: {"rfc6749", func(t *testing.T, e *ep) bool {
		_, rt := e.tokens(t)
		return e.revoke(t, e.req("token="+url.QueryEscape(rt)+"&token_type_hint=refresh_token")).status == 200 &&
			!refreshes(t, e, rt)
	}},
	QuirkRevocationUnknown400: {"rfc6749", func(t *testing.T, e *ep) bool {
		return e.revoke(t, e.req("token=garbage")).status == 200
	}},
	QuirkRevocationNoClientAuth: {"rfc6749", func(t *testing.T, e *ep) bool {
		_, rt := e.tokens(t)
		res := e.revoke(t, tokenReq{body: "token=" + url.QueryEscape(rt), basic: [2]string{e.c1[0], "wrong"}})
		return res.status == 401 && res.str("error") == "invalid_client" && res.header.Get("WWW-Authenticate") != "" && refreshes(t, e, rt)
	}},
	QuirkRevocationCrossClient: {"rfc6749", func(t *testing.T, e *ep) bool {
		_, rt := e.tokens(t)
		e.revoke(t, e.as(e.c2, "token="+url.QueryEscape(rt)))
		return refreshes(t, e, rt)
	}},
	QuirkRevocationHintTrusted: {"rfc6749", func(t *testing.T, e *ep) bool {
		for _, hint := range []string{"access_token", "bogus"} {
			_, rt := e.tokens(t)
			if e.revoke(t, e.req("token="+url.QueryEscape(rt)+"&token_type_hint="+hint)).status != 200 || refreshes(t, e, rt) {
				return false
			}
		}
		return true
	}},
	QuirkIntrospectionNoAuth: {"rfc6749", func(t *testing.T, e *ep) bool {
		at, _ := e.tokens(t)
		res := e.introspect(t, tokenReq{body: "token=" + url.QueryEscape(at)})
		return res.status == 401 && res.body["active"] == nil
	}},
	QuirkIntrospectionActiveString: {"rfc6749", func(t *testing.T, e *ep) bool {
		at, _ := e.tokens(t)
		return e.introspect(t, e.req("token="+url.QueryEscape(at))).body["active"] == true
	}},
	QuirkIntrospectionIgnoresRevocation: ruleRevokedInactive,
	QuirkIntrospectionInactiveDetails: {"rfc6749", func(t *testing.T, e *ep) bool {
		return e.introspect(t, e.req("token=garbage")).raw == `{"active":false}`
	}},
	QuirkIntrospectionScopeMismatch: {"rfc6749", func(t *testing.T, e *ep) bool {
		at, _ := e.tokensFor(t, e.c1, "read")
		return sameScope(e.introspect(t, e.req("token="+url.QueryEscape(at))).str("scope"), "read")
	}},
	QuirkJWTTypJWT: {"rfc6749", func(t *testing.T, e *ep) bool {
		at, _ := e.tokens(t)
		h, _ := jwtParts(t, at)
		return h["typ"] == "at+jwt"
	}},
	QuirkJWTAlgNone: {"rfc6749", func(t *testing.T, e *ep) bool {
		at, _ := e.tokens(t)
		_, _, err := verifyWithJWKS(at, "ES256", fetchJWKS(t, e.ts))
		return err == nil
	}},
	QuirkJWTMissingClaims: {"rfc6749", func(t *testing.T, e *ep) bool {
		at, _ := e.tokens(t)
		_, c := jwtParts(t, at)
		for _, k := range []string{"iss", "exp", "aud", "sub", "client_id", "iat", "jti"} {
			if c[k] == nil {
				return false
			}
		}
		return c["iss"] == e.ts.Issuer() && c["client_id"] == e.c1[0] && num(c["exp"]) > num(c["iat"])
	}},
	QuirkJWTNoScope: {"rfc6749", func(t *testing.T, e *ep) bool {
		at, _ := e.tokensFor(t, e.c1, "read write")
		_, c := jwtParts(t, at)
		s, _ := c["scope"].(string)
		return sameScope(s, "read write")
	}},
	QuirkJWTExpMismatch: {"rfc6749", func(t *testing.T, e *ep) bool {
		res := mustToken(t, e.ts, e.req("grant_type=password&username=alice&password=alice-password"))
		_, c := jwtParts(t, res.str("access_token"))
		d := num(c["exp"]) - num(c["iat"]) - num(res.body["expires_in"])
		return d >= -60 && d <= 60
	}},
	QuirkResourceAcceptsRevoked: {"rfc6749", func(t *testing.T, e *ep) bool {
		at, _ := e.tokens(t)
		e.revoke(t, e.req("token="+url.QueryEscape(at)))
		res := e.resource(t, at)
		return res.status == 401 && strings.Contains(res.header.Get("WWW-Authenticate"), `error="invalid_token"`)
	}},
	QuirkResourceNoChallenge:       ruleNoTokenChallenge,
	QuirkResourceErrorWithoutToken: ruleNoTokenChallenge,
	QuirkResourceInvalidTokenNoChallenge: {"rfc6749", func(t *testing.T, e *ep) bool {
		res := e.resource(t, "garbage-token")
		return res.status == 401 && strings.Contains(res.header.Get("WWW-Authenticate"), `error="invalid_token"`)
	}},
	QuirkCustomerTokenAccepted: {"merchant-customer", func(t *testing.T, e *ep) bool {
		customer := mustToken(t, e.ts, e.req(ccBody+"&scope=customer")).str("access_token")
		res := doAt(t, e.ts, e.ts.URL+"/client-id/conf-client/transactions", tokenReq{method: "GET", authz: "Bearer " + customer})
		return res.status == 401 && strings.Contains(res.header.Get("WWW-Authenticate"), `error="invalid_token"`)
	}},
	QuirkCustomerEndpointsMerchantOnly: {"merchant-customer", func(t *testing.T, e *ep) bool {
		customer := mustToken(t, e.ts, e.req(ccBody+"&scope=customer")).str("access_token")
		return doAt(t, e.ts, e.ts.URL+"/client-id/conf-client/apply", tokenReq{method: "POST", authz: "Bearer " + customer}).status == 200
	}},
	QuirkCustomerEndpointsCustomerOnly: {"merchant-customer", func(t *testing.T, e *ep) bool {
		merchant := mustToken(t, e.ts, e.req(ccBody+"&scope=merchant")).str("access_token")
		return doAt(t, e.ts, e.ts.URL+"/client-id/conf-client/apply", tokenReq{method: "POST", authz: "Bearer " + merchant}).status == 200
	}},
	QuirkPathClientIDUnchecked: {"merchant-customer", func(t *testing.T, e *ep) bool {
		merchant := mustToken(t, e.ts, e.req(ccBody)).str("access_token")
		res := doAt(t, e.ts, e.ts.URL+"/client-id/conf-client-2/apply", tokenReq{method: "POST", authz: "Bearer " + merchant})
		return res.status == 401
	}},
}

// refreshes reports whether the refresh token still yields an access token
// (by the body: a token quirk may send errors with status 200).
func refreshes(t *testing.T, e *ep, rt string) bool {
	t.Helper()
	return e.refresh(t, rt).str("access_token") != ""
}

// sharesAssertion reports whether two quirks name a common assertion (in
// suites/quirkids, the suites' side of the quirk table).
func sharesAssertion(a, b Quirk) bool {
	for _, id := range quirkids.IDs(a.String()) {
		if slices.Contains(quirkids.IDs(b.String()), id) {
			return true
		}
	}
	return false
}

// TestEndpointQuirks proves that each endpoint quirk flips its rule and only
// it: the rule holds on the correct mock and fails with the quirk, and every
// other endpoint rule (except those of the same assertion) still holds with
// the quirk on.
func TestEndpointQuirks(t *testing.T) {
	for q := QuirkMetadataIssuerMismatch; q <= QuirkPathClientIDUnchecked; q++ {
		if _, ok := endpointQuirkRules[q]; !ok {
			t.Errorf("quirk %s has no scenario", q)
		}
	}
	for q, rule := range endpointQuirkRules {
		t.Run(q.String(), func(t *testing.T) {
			t.Parallel()
			if !rule.holds(t, newEP(t, rule.profile)) {
				t.Fatal("rule broken on the correct mock")
			}
			if rule.holds(t, newEP(t, rule.profile, WithQuirks(q.String()))) {
				t.Fatal("rule still holds with the quirk")
			}
			for other, r := range endpointQuirkRules {
				if other == q || sharesAssertion(q, other) {
					continue
				}
				if !r.holds(t, newEP(t, r.profile, WithQuirks(q.String()))) {
					t.Errorf("the quirk also breaks the rule of %s (%s)", other, strings.Join(quirkids.IDs(other.String()), ","))
				}
			}
		})
	}
}

// The token endpoint's quirks leave the endpoint rules alone: the JWT a quirk
// mangles is still known to its issuer, and the endpoints do not share the
// token endpoint's error format or encoding quirks.
func TestTokenQuirksSpareEndpoints(t *testing.T) {
	for _, q := range []Quirk{
		QuirkGuessableTokens, QuirkNonVSCHARToken, QuirkErrorStatus200, QuirkBasic400, QuirkNoWWWAuthenticate,
		QuirkErrorTextPlain, QuirkNoCacheControl, QuirkCharsetRejected, QuirkDuplicateParams,
	} {
		t.Run(q.String(), func(t *testing.T) {
			t.Parallel()
			for other, r := range endpointQuirkRules {
				if (q == QuirkGuessableTokens || q == QuirkNonVSCHARToken) && strings.HasPrefix(quirkids.IDs(other.String())[0], "JWT-") {
					// These quirks replace or extend the JWT itself: the JWT
					// group's checks of its shape cannot pass.
					continue
				}
				if !r.holds(t, newEP(t, r.profile, WithQuirks(q.String()))) {
					t.Errorf("breaks the rule of %s (%s)", other, strings.Join(quirkids.IDs(other.String()), ","))
				}
			}
		})
	}
}
