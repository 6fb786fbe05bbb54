package suites

import (
	"math"
	"net/http"
	"net/url"
	"strings"

	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/engine"
	"github.com/oauthconform/oauthconform/suites/harness"
	"github.com/oauthconform/oauthconform/suites/steps"
	"github.com/oauthconform/oauthconform/suites/target"
)

func init() {
	engine.Register(engine.Group{ID: "INTR", Title: "RFC 7662 token introspection", Specs: introspectionSpecs})
}

// introspectOwn introspects a token of cl as the introspector, skipping
// when a public caller is refused: RFC 7662 §2.1 lets the server decide
// who may introspect.
func introspectOwn(c *engine.C, u string, cl *engine.Client, tok, hint string) *harness.Exchange {
	who := steps.Introspector(c, cl)
	ex := steps.Introspect(c, u, who, tok, hint)
	if ex.Status == http.StatusUnauthorized || ex.Status == http.StatusForbidden {
		c.Skipf("client %q was refused at the introspection endpoint (status %d, error %q): RFC 7662 §2.1 lets the server decide who may introspect (a protected resource, say)", who.ID, ex.Status, harness.ErrorCodeOf(ex))
	}
	return ex
}

func introspectionSpecs(e *engine.Env) {
	e.Assert(harness.Assertion{ID: "INTR-001", Level: engine.MUST, Section: "RFC 7662 §2.1, §2.3",
		Requirement: "The introspection endpoint MUST require authorization: a request without any credentials is refused (400 or 401, RFC 6749 §5.2's invalid_client) and reveals nothing about the token."}, func(c *engine.C) {
		u := steps.RequireEndpoint(c, target.EndpointIntrospection)
		g := steps.ObtainAccessToken(c, c.RequireClient(profile.RolePrimary), c.Env.Scopes.S1)
		opts := []harness.RequestOption{}
		if h := c.Env.APIKeyHeader(); h != "" {
			opts = append(opts, harness.WithoutHeader(h))
		}
		ex := steps.EndpointPost(c, u, nil, url.Values{"token": {g.AccessToken}}, opts...)
		c.Must(ex.Err == nil, ex, "the request failed: %v", ex.Err)
		b := engine.Body(ex)
		var leaked []string
		for _, k := range []string{"active", "scope", "client_id", "sub", "exp", "username"} {
			if _, ok := b[k]; ok {
				leaked = append(leaked, k)
			}
		}
		c.Must(len(leaked) == 0, ex, "an unauthenticated introspection request got token information (%s)", strings.Join(leaked, ", "))
		c.Must(ex.Status == http.StatusUnauthorized || ex.Status == http.StatusBadRequest, ex, "an unauthenticated introspection request got status %d, want 400 or 401 (RFC 7662 §2.3, RFC 6749 §5.2)", ex.Status)
		c.Saw("refused with %d %q", ex.Status, engine.Str(b, "error"))
	})

	e.Assert(harness.Assertion{ID: "INTR-002", Level: engine.MUST, Section: "RFC 7662 §2.2",
		Requirement: "Introspecting a fresh access token MUST answer 200 with a JSON object whose active member is the boolean true."}, func(c *engine.C) {
		u := steps.RequireEndpoint(c, target.EndpointIntrospection)
		cl := c.RequireClient(profile.RolePrimary)
		g := steps.ObtainAccessToken(c, cl, c.Env.Scopes.S1)
		ex := introspectOwn(c, u, cl, g.AccessToken, "access_token")
		c.Must(ex.Err == nil && ex.Status == http.StatusOK, ex, "introspection of a fresh access token got status %d (%v), want 200", ex.Status, ex.Err)
		m, err := harness.DecodeJSONObject(ex.Body)
		c.Must(m != nil, ex, "the introspection answer is not a JSON object: %v", err)
		if m["active"] == false {
			// RFC 7662 §2.2: active is false also when "the protected
			// resource is not allowed to introspect this particular token".
			c.Skipf("the token was introspected as inactive: client %q may not be allowed to introspect it (RFC 7662 §2.2), so this cannot be told from a broken introspection", steps.Introspector(c, cl).ID)
		}
		c.Must(m["active"] == true, ex, "active is %#v (%T), want the JSON boolean true", m["active"], m["active"])
	})

	e.Assert(harness.Assertion{ID: "INTR-003", Level: engine.MUST, Section: "RFC 7662 §2.2",
		Requirement: "An unknown or revoked token MUST be introspected as {\"active\":false}; the answer SHOULD NOT carry any other information about it."}, func(c *engine.C) {
		u := steps.RequireEndpoint(c, target.EndpointIntrospection)
		cl := c.RequireClient(profile.RolePrimary)
		type probe struct {
			what string
			ex   *harness.Exchange
		}
		probes := []probe{{"an unknown token", introspectOwn(c, u, cl, "oauthconform-garbage-"+harness.RandomString(16), "")}}
		if rev := steps.RevocationURL(c); rev != "" {
			if what, tok, hint := revokedToken(c, rev, cl); tok != "" {
				probes = append(probes, probe{what, introspectOwn(c, u, cl, tok, hint)})
			}
		} else {
			c.Saw("no revocation endpoint: only an unknown token is introspected")
		}
		for _, p := range probes {
			ex := p.ex
			c.Must(ex.Err == nil && ex.Status == http.StatusOK, ex, "%s: status %d (%v), want 200", p.what, ex.Status, ex.Err)
			m, err := harness.DecodeJSONObject(ex.Body)
			c.Must(m != nil, ex, "%s: the answer is not a JSON object: %v", p.what, err)
			c.Must(m["active"] == false, ex, "%s: active is %#v, want false", p.what, m["active"])
			if len(m) > 1 {
				c.Warnf(engine.Exchanges(ex), "%s: the inactive answer carries more than active (RFC 7662 §2.2 SHOULD NOT): %s", p.what, strings.TrimSpace(string(ex.Body)))
			}
		}
	})

	e.Assert(harness.Assertion{ID: "INTR-004", Level: engine.MAY, Section: "RFC 7662 §2.2",
		Requirement: "The optional members of an active token's introspection MAY be present; when they are, scope, client_id and exp SHOULD agree with the token response (same scope set, same client, exp within 60 s of issue time plus expires_in)."}, func(c *engine.C) {
		u := steps.RequireEndpoint(c, target.EndpointIntrospection)
		cl := c.RequireClient(profile.RolePrimary)
		issued := c.Env.Now()
		g := steps.ObtainAccessToken(c, cl, engine.JoinScopes(c.Env.Scopes.S1, c.Env.Scopes.S2))
		ex := introspectOwn(c, u, cl, g.AccessToken, "access_token")
		m, _ := harness.DecodeJSONObject(ex.Body)
		if ex.Status != http.StatusOK || m["active"] != true {
			c.Skipf("the fresh access token was not introspected as active (INTR-002's business)")
		}
		var notes []string
		if s, ok := m["scope"].(string); ok {
			if g.Scope != "" && !harness.SameScopes(s, g.Scope) {
				c.Warnf(engine.Exchanges(g.Ex, ex), "introspection scope %q differs from the granted scope %q", s, g.Scope)
			}
		} else {
			notes = append(notes, "no scope")
		}
		if id, ok := m["client_id"].(string); ok {
			if id != cl.ID {
				c.Warnf(engine.Exchanges(ex), "introspection client_id %q is not the client %q the token was issued to", id, cl.ID)
			}
		} else {
			notes = append(notes, "no client_id")
		}
		exp, hasExp := steps.JSONNumber(m["exp"])
		ei, hasEI := steps.JSONNumber(engine.Body(g.Ex)["expires_in"])
		switch {
		case !hasExp:
			notes = append(notes, "no exp")
		case !hasEI:
			notes = append(notes, "exp not compared: the token response has no numeric expires_in")
		default:
			base := float64(issued.Unix())
			if iat, ok := steps.JSONNumber(m["iat"]); ok {
				base = iat
			}
			if d := exp - (base + ei); math.Abs(d) > 60 {
				c.Warnf(engine.Exchanges(g.Ex, ex), "introspection exp %.0f is %.0f s away from issue time plus expires_in (%.0f + %.0f)", exp, d, base, ei)
			}
		}
		if len(notes) > 0 {
			c.Saw("optional members: %s", strings.Join(notes, ", "))
		}
	})
}

// revokedToken obtains a fresh token of cl and revokes it at rev: the
// access token when the endpoint revokes access tokens, else the refresh
// token. It returns what was revoked, the token and its type hint, or ""
// when nothing could be revoked.
func revokedToken(c *engine.C, rev string, cl *engine.Client) (what, tok, hint string) {
	g, why := steps.TryAccessToken(c, cl, c.Env.Scopes.S1)
	if g == nil {
		c.Saw("no token to revoke: %s", why)
		return "", "", ""
	}
	ex := steps.EndpointPost(c, rev, cl, url.Values{"token": {g.AccessToken}, "token_type_hint": {"access_token"}})
	if ex.Err == nil && ex.Status == http.StatusOK {
		return "a revoked access token", g.AccessToken, "access_token"
	}
	if g.RefreshToken != "" {
		ex2 := steps.EndpointPost(c, rev, cl, url.Values{"token": {g.RefreshToken}, "token_type_hint": {"refresh_token"}})
		if ex2.Err == nil && ex2.Status == http.StatusOK {
			return "a revoked refresh token", g.RefreshToken, "refresh_token"
		}
	}
	c.Saw("the revocation endpoint did not revoke a fresh token (status %d, error %q)", ex.Status, harness.ErrorCodeOf(ex))
	return "", "", ""
}
