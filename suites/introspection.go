package suites

import (
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/harness"
	"github.com/oauthconform/oauthconform/suites/target"
)

func init() {
	register(Group{ID: "INTR", Title: "RFC 7662 token introspection", Specs: introspectionSpecs})
}

// endpointPost posts a form to a revocation or introspection endpoint,
// authenticated as cl authenticates at the token endpoint (RFC 7009 §2.1,
// RFC 7662 §2.1 defer to RFC 6749 §2.3); cl nil sends no client
// credentials. The client's default headers (an API key) go along.
//
// Where the metadata lists the endpoint's own methods
// (revocation_endpoint_auth_methods_supported,
// introspection_endpoint_auth_methods_supported, RFC 8414 §2) and the
// client's method is not among them, a listed one is used instead.
func (e *Env) endpointPost(c *C, u string, cl *Client, form url.Values, opts ...harness.RequestOption) *harness.Exchange {
	form = cloneValues(form)
	if cl != nil && !cl.Public() {
		member := ""
		switch u {
		case e.Endpoints.Revocation:
			member = "revocation_endpoint_auth_methods_supported"
		case e.Endpoints.Introspection:
			member = "introspection_endpoint_auth_methods_supported"
		}
		if vals, ok := e.usableMetadataDoc().Strings(member); member != "" && ok && !slices.Contains(vals, cl.Method) {
			for _, m := range []string{profile.AuthBasic, profile.AuthPost} {
				if slices.Contains(vals, m) {
					as := *cl
					as.Method = m
					cl = &as
					break
				}
			}
		}
	}
	auth := clientAuth(cl, form)
	return e.HTTP.PostForm(c, u, form, append(auth, opts...)...)
}

// introspectionURL returns the introspection endpoint, configured or
// advertised, or "".
func (c *C) introspectionURL() string {
	if !c.present(target.EndpointIntrospection) {
		return ""
	}
	return c.Env.Endpoints.Introspection
}

// introspector is the client that asks the introspection endpoint about
// tokens of owner: a confidential client (RFC 7662 §2.1 wants the caller
// authorized; a resource server is one), else owner itself.
func (c *C) introspector(owner *Client) *Client {
	for _, role := range []string{profile.RolePrimary, profile.RoleSecond} {
		if cl := c.Env.Client(role); cl != nil && !cl.Public() {
			return cl
		}
	}
	return owner
}

// introspect asks the introspection endpoint u about tok as cl.
func (c *C) introspect(u string, cl *Client, tok, hint string) *harness.Exchange {
	form := url.Values{"token": {tok}}
	if hint != "" {
		form.Set("token_type_hint", hint)
	}
	return c.Env.endpointPost(c, u, cl, form)
}

// tokenState is one oracle's verdict on whether a token still works.
type tokenState struct {
	via    string
	active bool
	ex     *harness.Exchange
}

// Oracles: the introspection endpoint (RFC 7662) and, for access tokens,
// the protected resource (RFC 6750) tell whether a token still works. An
// oracle counts only if it called the token active before the event that
// should end it: one that refuses every token (a client not allowed to
// introspect others' tokens, a resource that takes only some grants'
// tokens) would otherwise make every revocation look done.
const (
	oracleIntrospection = "introspection"
	oracleResource      = "the protected resource"
)

// liveOracles asks the target's oracles about tok now, before the event, and
// returns those that call it active.
func (c *C) liveOracles(tok, hint string, owner *Client) []string {
	var live []string
	for _, s := range c.askOracles(tok, hint, owner, nil) {
		if s.active {
			live = append(live, s.via)
		} else {
			c.Infof("%s does not call the %s active even before it should end: it is no evidence here", s.via, hintName(hint))
		}
	}
	return live
}

// tokenStates asks the oracles in live (from liveOracles) whether tok (of
// owner) is still usable. Oracles that give no clear answer are left out
// (noted as INFO).
func (c *C) tokenStates(tok, hint string, owner *Client, live []string) []tokenState {
	if len(live) == 0 {
		return nil
	}
	return c.askOracles(tok, hint, owner, live)
}

// askOracles asks the oracles the target has (only those in only, unless
// nil).
func (c *C) askOracles(tok, hint string, owner *Client, only []string) []tokenState {
	var out []tokenState
	if tok == "" {
		return nil
	}
	ask := func(o string) bool { return only == nil || slices.Contains(only, o) }
	if u := c.introspectionURL(); u != "" && ask(oracleIntrospection) {
		if who := c.introspector(owner); who != nil {
			ex := c.introspect(u, who, tok, hint)
			active, ok := Body(ex)["active"].(bool)
			if ex.Err == nil && ex.Status == http.StatusOK && ok {
				out = append(out, tokenState{oracleIntrospection, active, ex})
			} else {
				c.Infof("introspection gave no clear answer about the %s (status %d, %v)", hintName(hint), ex.Status, ex.Err)
			}
		}
	}
	if r := c.Env.Endpoints.Resource; r != "" && hint == "access_token" && ask(oracleResource) {
		ex := c.Env.HTTP.Get(c, r, harness.WithAuthorization("Bearer "+tok))
		switch {
		case ex.Err == nil && ex.Status >= 200 && ex.Status < 300:
			out = append(out, tokenState{oracleResource, true, ex})
		case ex.Err == nil && ex.Status == http.StatusUnauthorized:
			out = append(out, tokenState{oracleResource, false, ex})
		default:
			c.Infof("the protected resource gave no clear answer about the access token (status %d, %v)", ex.Status, ex.Err)
		}
	}
	return out
}

func hintName(hint string) string {
	if hint == "" {
		return "token"
	}
	return strings.ReplaceAll(hint, "_", " ")
}

// stillActive lists the oracles that call the token active, with their
// exchanges.
func stillActive(states []tokenState) (via []string, ev []*harness.Exchange) {
	for _, s := range states {
		if s.active {
			via = append(via, s.via)
			ev = append(ev, s.ex)
		}
	}
	return via, ev
}

// requireIntrospection returns the introspection endpoint or skips.
func (c *C) requireIntrospection() string {
	u := c.requireEndpoint("introspection", c.Env.Endpoints.Introspection, "introspection_endpoint")
	c.requirePresent(target.EndpointIntrospection)
	return u
}

// introspectOwn introspects a token of cl as the introspector, skipping
// when a public caller is refused: RFC 7662 §2.1 lets the server decide
// who may introspect.
func (c *C) introspectOwn(u string, cl *Client, tok, hint string) *harness.Exchange {
	who := c.introspector(cl)
	ex := c.introspect(u, who, tok, hint)
	if ex.Status == http.StatusUnauthorized || ex.Status == http.StatusForbidden {
		c.Skipf("client %q was refused at the introspection endpoint (status %d, error %q): RFC 7662 §2.1 lets the server decide who may introspect (a protected resource, say)", who.ID, ex.Status, Str(Body(ex), "error"))
	}
	return ex
}

func introspectionSpecs(e *Env) {
	e.Assert(harness.Assertion{ID: "INTR-001", Level: MUST, Section: "RFC 7662 §2.1, §2.3",
		Requirement: "The introspection endpoint MUST require authorization: a request without any credentials is refused (400 or 401, RFC 6749 §5.2's invalid_client) and reveals nothing about the token."}, func(c *C) {
		u := c.requireIntrospection()
		g := c.obtainAT(c.RequireClient(profile.RolePrimary), c.Env.Scopes.S1)
		opts := []harness.RequestOption{}
		if h := c.Env.APIKeyHeader(); h != "" {
			opts = append(opts, harness.WithoutHeader(h))
		}
		ex := c.Env.endpointPost(c, u, nil, url.Values{"token": {g.at}}, opts...)
		c.Must(ex.Err == nil, ex, "the request failed: %v", ex.Err)
		b := Body(ex)
		var leaked []string
		for _, k := range []string{"active", "scope", "client_id", "sub", "exp", "username"} {
			if _, ok := b[k]; ok {
				leaked = append(leaked, k)
			}
		}
		c.Must(len(leaked) == 0, ex, "an unauthenticated introspection request got token information (%s)", strings.Join(leaked, ", "))
		c.Must(ex.Status == http.StatusUnauthorized || ex.Status == http.StatusBadRequest, ex, "an unauthenticated introspection request got status %d, want 400 or 401 (RFC 7662 §2.3, RFC 6749 §5.2)", ex.Status)
		c.Saw("refused with %d %q", ex.Status, Str(b, "error"))
	})

	e.Assert(harness.Assertion{ID: "INTR-002", Level: MUST, Section: "RFC 7662 §2.2",
		Requirement: "Introspecting a fresh access token MUST answer 200 with a JSON object whose active member is the boolean true."}, func(c *C) {
		u := c.requireIntrospection()
		cl := c.RequireClient(profile.RolePrimary)
		g := c.obtainAT(cl, c.Env.Scopes.S1)
		ex := c.introspectOwn(u, cl, g.at, "access_token")
		c.Must(ex.Err == nil && ex.Status == http.StatusOK, ex, "introspection of a fresh access token got status %d (%v), want 200", ex.Status, ex.Err)
		m, err := harness.DecodeJSONObject(ex.Body)
		c.Must(m != nil, ex, "the introspection answer is not a JSON object: %v", err)
		if m["active"] == false {
			// RFC 7662 §2.2: active is false also when "the protected
			// resource is not allowed to introspect this particular token".
			c.Skipf("the token was introspected as inactive: client %q may not be allowed to introspect it (RFC 7662 §2.2), so this cannot be told from a broken introspection", c.introspector(cl).ID)
		}
		c.Must(m["active"] == true, ex, "active is %#v (%T), want the JSON boolean true", m["active"], m["active"])
	})

	e.Assert(harness.Assertion{ID: "INTR-003", Level: MUST, Section: "RFC 7662 §2.2",
		Requirement: "An unknown or revoked token MUST be introspected as {\"active\":false}; the answer SHOULD NOT carry any other information about it."}, func(c *C) {
		u := c.requireIntrospection()
		cl := c.RequireClient(profile.RolePrimary)
		type probe struct {
			what string
			ex   *harness.Exchange
		}
		probes := []probe{{"an unknown token", c.introspectOwn(u, cl, "oauthconform-garbage-"+harness.RandomString(16), "")}}
		if rev := c.revocationURL(); rev != "" {
			if what, tok, hint := c.revokedToken(rev, cl); tok != "" {
				probes = append(probes, probe{what, c.introspectOwn(u, cl, tok, hint)})
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
				c.Warnf(exchanges(ex), "%s: the inactive answer carries more than active (RFC 7662 §2.2 SHOULD NOT): %s", p.what, strings.TrimSpace(string(ex.Body)))
			}
		}
	})

	e.Assert(harness.Assertion{ID: "INTR-004", Level: MAY, Section: "RFC 7662 §2.2",
		Requirement: "The optional members of an active token's introspection MAY be present; when they are, scope, client_id and exp SHOULD agree with the token response (same scope set, same client, exp within 60 s of issue time plus expires_in)."}, func(c *C) {
		u := c.requireIntrospection()
		cl := c.RequireClient(profile.RolePrimary)
		issued := c.Env.Now()
		g := c.obtainAT(cl, joinScopes(c.Env.Scopes.S1, c.Env.Scopes.S2))
		ex := c.introspectOwn(u, cl, g.at, "access_token")
		m, _ := harness.DecodeJSONObject(ex.Body)
		if ex.Status != http.StatusOK || m["active"] != true {
			c.Skipf("the fresh access token was not introspected as active (INTR-002's business)")
		}
		var notes []string
		if s, ok := m["scope"].(string); ok {
			if g.scope != "" && !harness.SameScopes(s, g.scope) {
				c.Warnf(exchanges(g.ex, ex), "introspection scope %q differs from the granted scope %q", s, g.scope)
			}
		} else {
			notes = append(notes, "no scope")
		}
		if id, ok := m["client_id"].(string); ok {
			if id != cl.ID {
				c.Warnf(exchanges(ex), "introspection client_id %q is not the client %q the token was issued to", id, cl.ID)
			}
		} else {
			notes = append(notes, "no client_id")
		}
		exp, hasExp := jsonNumber(m["exp"])
		ei, hasEI := jsonNumber(Body(g.ex)["expires_in"])
		switch {
		case !hasExp:
			notes = append(notes, "no exp")
		case !hasEI:
			notes = append(notes, "exp not compared: the token response has no numeric expires_in")
		default:
			base := float64(issued.Unix())
			if iat, ok := jsonNumber(m["iat"]); ok {
				base = iat
			}
			if d := exp - (base + ei); math.Abs(d) > 60 {
				c.Warnf(exchanges(g.ex, ex), "introspection exp %.0f is %.0f s away from issue time plus expires_in (%.0f + %.0f)", exp, d, base, ei)
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
func (c *C) revokedToken(rev string, cl *Client) (what, tok, hint string) {
	g, why := c.tryAT(cl, c.Env.Scopes.S1)
	if g == nil {
		c.Saw("no token to revoke: %s", why)
		return "", "", ""
	}
	ex := c.Env.endpointPost(c, rev, cl, url.Values{"token": {g.at}, "token_type_hint": {"access_token"}})
	if ex.Err == nil && ex.Status == http.StatusOK {
		return "a revoked access token", g.at, "access_token"
	}
	if g.rt != "" {
		ex2 := c.Env.endpointPost(c, rev, cl, url.Values{"token": {g.rt}, "token_type_hint": {"refresh_token"}})
		if ex2.Err == nil && ex2.Status == http.StatusOK {
			return "a revoked refresh token", g.rt, "refresh_token"
		}
	}
	c.Saw("the revocation endpoint did not revoke a fresh token (status %d, error %q)", ex.Status, Str(Body(ex), "error"))
	return "", "", ""
}
