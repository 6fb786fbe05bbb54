package suites

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/go-jose/go-jose/v4"

	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/engine"
	"github.com/oauthconform/oauthconform/suites/harness"
	"github.com/oauthconform/oauthconform/suites/steps"
	"github.com/oauthconform/oauthconform/suites/target"
)

func init() {
	engine.Register(engine.Group{ID: "JWT", Title: "JWT access tokens (RFC 9068)", Specs: jwtSpecs})
}

// jwtToken is an access token of a JWT profile, taken apart.
type jwtToken struct {
	g   *steps.TokenGrant
	raw string
	// header and claims are the decoded JOSE header and payload; err says
	// why the token is not a compact JWS with JSON header and claims.
	header, claims map[string]any
	err            error
}

// jwtAccessToken obtains an access token (scope "" omits it) of a target
// whose dialect requires, or which declares, JWT access tokens, and parses
// it. It skips otherwise: clients treat access tokens as opaque (RFC 6749
// §1.4), so their format is a declaration, not the RFC's.
func jwtAccessToken(c *engine.C, scope string) *jwtToken {
	if f, why := c.Env.TokenFormat(); !profile.IsJWT(f) {
		c.Skipf("the JWT rules apply to JWT access tokens only: %s (declare access_token.format: jwt or jwt-rfc9068 to check them)", why)
	}
	g := steps.ObtainAccessToken(c, c.RequireClient(profile.RolePrimary), scope)
	t := &jwtToken{g: g, raw: g.AccessToken}
	t.header, t.claims, t.err = parseCompactJWS(g.AccessToken)
	return t
}

// parseCompactJWS splits a JWS Compact Serialization (RFC 7515 §7.1): three
// base64url parts, the first two JSON objects.
func parseCompactJWS(raw string) (header, claims map[string]any, err error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil, nil, fmt.Errorf("it has %d dot-separated parts, not the 3 of a JWS", len(parts))
	}
	dec := func(i int, what string) (map[string]any, error) {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			return nil, fmt.Errorf("the %s is not base64url: %w", what, err)
		}
		if i == 2 {
			return nil, nil
		}
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		var m map[string]any
		if err := d.Decode(&m); err != nil || m == nil {
			return nil, fmt.Errorf("the %s is not a JSON object", what)
		}
		return m, nil
	}
	if header, err = dec(0, "JOSE header"); err != nil {
		return nil, nil, err
	}
	if claims, err = dec(1, "payload"); err != nil {
		return nil, nil, err
	}
	if _, err = dec(2, "signature"); err != nil {
		return nil, nil, err
	}
	return header, claims, nil
}

// requireJWT skips when the token is not a JWT: only JWT-002 and JWT-003
// fail for that (see jwtMustParse).
func requireJWT(c *engine.C, t *jwtToken) {
	if t.err != nil {
		c.Skipf("the access token is not a JWT (%v): JWT-002 and JWT-003 report it", t.err)
	}
}

// jwtMustParse fails when the token of a JWT profile is not a JWT.
func jwtMustParse(c *engine.C, t *jwtToken) {
	if t.err != nil {
		_, why := c.Env.TokenFormat()
		c.Failf(engine.Exchanges(t.g.Ex), "%s, but the access token is not a JWS compact serialization: %v", why, t.err)
	}
}

// normTyp compares typ values case-insensitively, with the optional
// "application/" prefix (RFC 7515 §4.1.9).
func normTyp(s string) string {
	return strings.TrimPrefix(strings.ToLower(s), "application/")
}

// jwksURL returns the JWK Set URL: configured, else the metadata's jwks_uri.
func jwksURL(c *engine.C) string {
	if !c.Present(target.EndpointJWKS) {
		return ""
	}
	return c.Env.Endpoints.JWKS
}

// fetchJWKS reads the key set; keys the JOSE library cannot read are left
// out.
func fetchJWKS(c *engine.C, u string) ([]jose.JSONWebKey, *harness.Exchange) {
	ex := c.Env.HTTP.Get(c, u, harness.WithHeader("Accept", "application/json"))
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if ex.Err != nil || ex.Status != 200 || json.Unmarshal(ex.Body, &set) != nil {
		return nil, ex
	}
	var keys []jose.JSONWebKey
	for _, raw := range set.Keys {
		var k jose.JSONWebKey
		if k.UnmarshalJSON(raw) == nil {
			keys = append(keys, k)
		}
	}
	return keys, ex
}

func jwtSpecs(e *engine.Env) {
	e.Assert(harness.Assertion{ID: "JWT-001", Level: engine.MUST, Section: "RFC 9068 §2.1; RFC 8725 §3.11",
		Requirement: "An RFC 9068 JWT access token MUST carry the JWS typ header at+jwt (or application/at+jwt); where the dialect or the target declares another typ, that one."}, func(c *engine.C) {
		t := jwtAccessToken(c, c.Env.Scopes.S1)
		requireJWT(c, t)
		typ, _ := t.header["typ"].(string)
		want := c.Env.JWTTyp()
		if want == "" {
			c.Skipf("no typ is required: the tokens are not declared RFC 9068 tokens and no typ is declared (the token has typ %q)", typ)
		}
		c.Must(normTyp(typ) == normTyp(want), t.g.Ex, "the JWS typ is %q, want %s", typ, want)
		c.Saw("typ %q", typ)
	})

	e.Assert(harness.Assertion{ID: "JWT-002", Level: engine.MUST, Section: "RFC 9068 §2.1, §4; RFC 8725 §3.1, §3.2",
		Requirement: "A JWT access token MUST be signed: alg is not none, and the signature verifies with a key of the server's JWK Set (chosen by kid when present); for a symmetric alg, which no JWK Set publishes, only alg is checked."}, func(c *engine.C) {
		t := jwtAccessToken(c, c.Env.Scopes.S1)
		jwtMustParse(c, t)
		alg, _ := t.header["alg"].(string)
		c.Must(alg != "" && !strings.EqualFold(alg, "none"), t.g.Ex, "the JWS alg is %q: the access token is not signed (RFC 8725 §3.1)", alg)
		if want := c.Env.JWTAlg(); want != "" {
			c.Must(alg == want, t.g.Ex, "the JWS alg is %q; %s is required (dialect or target)", alg, want)
		}
		if strings.HasPrefix(strings.ToUpper(alg), "HS") {
			c.Saw("alg %s is symmetric: its key is not published in a JWK Set, so only alg≠none is checked", alg)
			return
		}
		u := jwksURL(c)
		if u == "" {
			c.Skipf("alg is %s (not none), but the target has no JWK Set URL (jwks endpoint or jwks_uri) to verify the signature with", alg)
		}
		// Verification against the JWK Set is RFC 9068 §4's rule; a JWT
		// not claimed to be an RFC 9068 token may be signed with a key the
		// server keeps for its resource servers (the JWK Set then holds,
		// say, only ID token keys): a mismatch only warns there.
		format, _ := c.Env.TokenFormat()
		bad := func(ev []*harness.Exchange, f string, args ...any) {
			if format == profile.FormatJWTRFC9068 {
				c.Failf(ev, f, args...)
			}
			c.WarnStop(ev, f+" (not an RFC 9068 token, so RFC 9068 §4 does not bind it)", args...)
		}
		keys, jex := fetchJWKS(c, u)
		if len(keys) == 0 {
			bad(engine.Exchanges(jex), "the JWK Set at %s holds no usable key (status %d)", u, jex.Status)
		}
		kid, _ := t.header["kid"].(string)
		var cands []jose.JSONWebKey
		for _, k := range keys {
			if kid == "" || k.KeyID == kid {
				cands = append(cands, k)
			}
		}
		if len(cands) == 0 {
			bad(engine.Exchanges(t.g.Ex, jex), "no key of the JWK Set has the token's kid %q", kid)
		}
		jws, err := jose.ParseSignedCompact(t.raw, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)})
		c.Must(err == nil, t.g.Ex, "the token does not parse as a JWS signed with %s: %v", alg, err)
		for _, k := range cands {
			if _, err := jws.Verify(k.Key); err == nil {
				c.Saw("signature %s verified with key %q of %s", alg, k.KeyID, u)
				return
			}
		}
		bad(engine.Exchanges(t.g.Ex, jex), "the %s signature verifies with none of the %d candidate keys of %s (kid %q)", alg, len(cands), u, kid)
	})

	e.Assert(harness.Assertion{ID: "JWT-003", Level: engine.MUST, Section: "RFC 9068 §2.2, §3; RFC 8725 §3.8, §3.9",
		Requirement: "An RFC 9068 JWT access token MUST carry iss, exp, aud, sub, client_id, iat and jti (iss the issuer, client_id the requesting client, exp after iat); a dialect's JWT MUST carry the claims the dialect names."}, func(c *engine.C) {
		t := jwtAccessToken(c, c.Env.Scopes.S1)
		jwtMustParse(c, t)
		format, _ := c.Env.TokenFormat()
		want := slices.Clone(c.Env.Dialect.AccessToken.Claims)
		rfc9068 := format == profile.FormatJWTRFC9068
		if rfc9068 {
			want = append(want, "iss", "exp", "aud", "sub", "client_id", "iat", "jti")
		}
		if len(want) == 0 {
			c.Skipf("no claim is required: the tokens are not declared RFC 9068 tokens, and the %s dialect names no claims", c.Env.Dialect.Name)
		}
		var missing []string
		for _, k := range want {
			if v, ok := t.claims[k]; (!ok || v == nil || v == "") && !slices.Contains(missing, k) {
				missing = append(missing, k)
			}
		}
		c.Must(len(missing) == 0, t.g.Ex, "the JWT access token lacks the required claims %s", strings.Join(missing, ", "))
		if rfc9068 {
			iss, _ := t.claims["iss"].(string)
			c.Must(iss == c.Env.IssuerID(), t.g.Ex, "iss is %q, want the issuer %q", iss, c.Env.IssuerID())
			cid, _ := t.claims["client_id"].(string)
			c.Must(cid == t.g.Client.ID, t.g.Ex, "client_id is %q, want the requesting client %q", cid, t.g.Client.ID)
		}
		_, hasExp := t.claims["exp"]
		_, hasIat := t.claims["iat"]
		if hasExp && hasIat {
			exp, ok1 := steps.JSONNumber(t.claims["exp"])
			iat, ok2 := steps.JSONNumber(t.claims["iat"])
			c.Must(ok1 && ok2, t.g.Ex, "exp or iat is not a NumericDate (a JSON number)")
			c.Must(exp > iat, t.g.Ex, "exp %.0f is not after iat %.0f", exp, iat)
		}
	})

	e.Assert(harness.Assertion{ID: "JWT-004", Level: engine.SHOULD, Section: "RFC 9068 §2.2.3",
		Requirement: "When the token request carried scope, the JWT access token SHOULD carry a scope claim equal to the granted scope set."}, func(c *engine.C) {
		if f, _ := c.Env.TokenFormat(); f != profile.FormatJWTRFC9068 {
			c.Skipf("the scope claim is RFC 9068's; the tokens are not declared RFC 9068 tokens")
		}
		scope := engine.JoinScopes(c.Env.Scopes.S1, c.Env.Scopes.S2)
		if scope == "" {
			c.Skipf("no scope value is known to request (declare scopes to check it)")
		}
		t := jwtAccessToken(c, scope)
		requireJWT(c, t)
		claim, ok := t.claims["scope"].(string)
		if !ok {
			c.Warnf(engine.Exchanges(t.g.Ex), "scope %q was requested, but the JWT has no scope claim (RFC 9068 §2.2.3)", scope)
			return
		}
		c.Should(harness.SameScopes(claim, t.g.Scope), t.g.Ex, "the scope claim %q differs from the granted scope %q", claim, t.g.Scope)
	})

	e.Assert(harness.Assertion{ID: "JWT-005", Level: engine.SHOULD, Section: "RFC 9068 §2.2; RFC 6749 §5.1",
		Requirement: "The JWT's lifetime (exp − iat) SHOULD agree with the expires_in of the token response, within 60 s."}, func(c *engine.C) {
		t := jwtAccessToken(c, c.Env.Scopes.S1)
		requireJWT(c, t)
		ei, ok := steps.JSONNumber(engine.Body(t.g.Ex)["expires_in"])
		if !ok {
			c.Skipf("the token response has no numeric expires_in to compare with (TOK-RESP-008's business)")
		}
		exp, ok1 := steps.JSONNumber(t.claims["exp"])
		iat, ok2 := steps.JSONNumber(t.claims["iat"])
		if !ok1 || !ok2 {
			c.Skipf("the JWT lacks a numeric exp or iat (JWT-003's business)")
		}
		if d := exp - iat - ei; math.Abs(d) > 60 {
			c.Warnf(engine.Exchanges(t.g.Ex), "exp − iat is %.0f s but expires_in is %.0f s", exp-iat, ei)
			return
		}
		c.Saw("exp − iat = %.0f s, expires_in = %.0f s", exp-iat, ei)
	})
}
