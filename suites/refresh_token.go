package suites

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/harness"
)

func init() {
	register(Group{ID: "TOK-RT", Title: "refresh_token grant, rotation, reuse detection", Specs: refreshTokenSpecs})
}

// rtGrant is a refresh token obtained for a spec, with the response that
// carried it.
type rtGrant struct {
	client *Client
	rt, at string
	// scope is the granted scope: the response's scope member, or the
	// requested scope when the member is absent.
	scope string
	// via names the grant that issued it.
	via string
	ex  *harness.Exchange
}

// rtFreshCode gets an unredeemed authorization code for cl through the
// driver, with PKCE S256 wherever PKCE may be supported (public clients
// need it). It returns the code_verifier to redeem it with, or why there is no
// code.
func (c *C) rtFreshCode(cl *Client, scope string) (code, verifier, why string) {
	e := c.Env
	if !e.HasGrant(profile.GrantAuthorizationCode) || e.Driver == nil {
		return "", "", "no authorization_code grant or no authorization driver"
	}
	verifier = harness.NewVerifier()
	o := CodeOpts{Scope: scope}
	if e.UsesPKCE() {
		o.Challenge, o.Method = harness.S256(verifier), "S256"
	} else {
		verifier = ""
	}
	res, err := e.Driver.Authorize(c, AuthzRequest{Client: cl, Query: c.Env.AuthzQuery(cl, "code", o)})
	if err != nil {
		return "", "", fmt.Sprintf("the authorization request failed: %v", err)
	}
	if res.Code() == "" {
		return "", "", fmt.Sprintf("the authorization response carried no code (error %q)", res.Error())
	}
	return res.Code(), verifier, ""
}

// rtTry obtains a refresh token for cl with scope ("" omits it) by the
// grants the target may offer: the authorization code flow through the
// driver, then the password grant, then client_credentials. Where the
// target declares scopes a refresh token needs (offline_access), they are
// requested too. It returns nil and what was tried when none did.
func (c *C) rtTry(cl *Client, scope string) (*rtGrant, string) {
	e := c.Env
	var tried []string
	req := scope
	if scope != "" || len(e.Scopes.Refresh) > 0 {
		req = e.refreshScope(scope)
	}
	take := func(via string, ex *harness.Exchange) *rtGrant {
		if !Issued(ex) {
			tried = append(tried, fmt.Sprintf("%s: no tokens (status %d, error %q)", via, ex.Status, Str(Body(ex), "error")))
			return nil
		}
		b := Body(ex)
		rt := Str(b, "refresh_token")
		if rt == "" {
			tried = append(tried, via+": no refresh_token in the response")
			return nil
		}
		s, _ := scopeGranted(b, req)
		return &rtGrant{client: cl, rt: rt, at: Str(b, "access_token"), scope: s, via: via, ex: ex}
	}
	if e.HasGrant(profile.GrantAuthorizationCode) && clientGrant(cl, profile.GrantAuthorizationCode) != Absent {
		code, verifier, why := c.rtFreshCode(cl, req)
		if code == "" {
			tried = append(tried, "authorization_code: "+why)
		} else if g := take("authorization_code", e.ExchangeCode(c, cl, code, cl.RedirectURI(), verifier)); g != nil {
			return g, ""
		}
	}
	if e.HasGrant(profile.GrantPassword) && clientGrant(cl, profile.GrantPassword) != Absent && e.User != nil {
		if g := take("password", e.Password(c, cl, e.User.Username, string(e.User.Password), req)); g != nil {
			return g, ""
		}
	}
	if e.ccWorks(c, cl) {
		if g := take("client_credentials", e.ClientCredentials(c, cl, req)); g != nil {
			return g, ""
		}
	}
	if len(tried) == 0 {
		return nil, fmt.Sprintf("no grant of the target issues refresh tokens to client %q", cl.ID)
	}
	return nil, strings.Join(tried, "; ")
}

// withoutRefreshScopes drops the scopes the harness adds on its own (those
// a refresh token needs, those every authorization request carries) from a
// granted scope, for comparing it with what a spec asked for.
func (e *Env) withoutRefreshScopes(scope string) string {
	var out []string
	for _, s := range strings.Fields(scope) {
		if !slices.Contains(e.Scopes.Refresh, s) && !slices.Contains(e.Scopes.Required, s) {
			out = append(out, s)
		}
	}
	return strings.Join(out, " ")
}

// rtObtain is rtTry that skips the spec when no refresh token comes.
func (c *C) rtObtain(cl *Client, scope string) *rtGrant {
	c.RequireGrant(profile.GrantRefreshToken)
	g, why := c.rtTry(cl, scope)
	if g == nil {
		c.Skipf("no refresh token for client %q with scope %q: %s", cl.ID, scope, why)
	}
	return g
}

// rtPublic returns the public client of the rotation specs, or skips.
func (c *C) rtPublic() *Client {
	c.RequireGrant(profile.GrantRefreshToken)
	cl := c.RequireClient(profile.RolePublic)
	if !cl.Public() {
		c.Skipf("the client registered as public has a secret")
	}
	return cl
}

// rtRotated refreshes g once and returns the new refresh token, skipping when
// the refresh fails or does not rotate: the later steps of rotation (TOK-RT-011,
// TOK-RT-012) start from a rotation, which TOK-RT-010 checks.
func (c *C) rtRotated(g *rtGrant) (string, *harness.Exchange) {
	ex := c.Env.Refresh(c, g.client, g.rt, "")
	if !Issued(ex) {
		c.Skipf("the first refresh failed (status %d, error %q): TOK-RT-010's business", ex.Status, Str(Body(ex), "error"))
	}
	rt2 := Str(Body(ex), "refresh_token")
	if rt2 == "" || rt2 == g.rt {
		c.Skipf("the refresh token was not rotated: TOK-RT-010's business")
	}
	return rt2, ex
}

// rtGrace waits out the target's declared refresh-token grace window, during
// which a rotated-out token may still be honoured.
func (c *C) rtGrace() {
	if g := c.Env.RefreshGrace; g > 0 {
		if err := c.Env.Wait(c, g+time.Second, "for the refresh token grace window to pass"); err != nil {
			c.Skipf("interrupted while waiting out the grace window: %v", err)
		}
	}
}

// rtTwoScopes returns "S1 S2", or skips when the dialect has fewer scopes.
func (c *C) rtTwoScopes() (s1, both string) {
	s1, s2 := c.Env.Scopes.S1, c.Env.Scopes.S2
	if s1 == "" || s2 == "" {
		c.Skipf("fewer than two scope values are known (declare scopes to check it)")
	}
	return s1, s1 + " " + s2
}

// rtObtainExact obtains a refresh token granted exactly scope, or skips.
func (c *C) rtObtainExact(cl *Client, scope string) *rtGrant {
	g := c.rtObtain(cl, scope)
	if !harness.SameScopes(c.Env.withoutRefreshScopes(g.scope), scope) {
		c.Skipf("the %s grant was for scope %q, not the requested %q", g.via, g.scope, scope)
	}
	return g
}

func refreshTokenSpecs(e *Env) {
	e.Assert(harness.Assertion{ID: "TOK-RT-001", Level: MUST, Section: "RFC 6749 §1.5, §6",
		Requirement: "A valid refresh request from the client the refresh token was issued to MUST be answered with a new access token."}, func(c *C) {
		cl := c.RequireClient(profile.RolePrimary)
		g := c.rtObtain(cl, c.Env.Scopes.S1)
		ex := c.Env.Refresh(c, cl, g.rt, "")
		b := c.Tokens(ex, "refresh with the refresh token of the "+g.via+" grant")
		if Str(b, "access_token") != g.at {
			c.Saw("a new access token was issued (refresh token from the %s grant)", g.via)
			return
		}
		// The same string again. A token built only from claims with
		// one-second resolution may repeat within a second, so ask once more
		// a little later before concluding the old token was handed back.
		next := Str(b, "refresh_token")
		if next == "" {
			next = g.rt
		}
		if err := c.Env.Wait(c, 2*time.Second, "to tell a rotated refresh token from a repeated one"); err != nil {
			c.Skipf("interrupted while waiting: %v", err)
		}
		ex2 := c.Env.Refresh(c, cl, next, "")
		b2 := c.Tokens(ex2, "second refresh")
		if Str(b2, "access_token") == g.at {
			c.Failf(exchanges(g.ex, ex, ex2), "two refreshes returned the access token issued by the %s grant instead of a new one (RFC 6749 §1.5: the server issues a new access token)", g.via)
		}
		c.Saw("the first refresh repeated the access token, the second (2 s later) issued a new one")
	})

	e.Assert(harness.Assertion{ID: "TOK-RT-002", Level: MUST, Section: "RFC 6749 §6, §5.2",
		Requirement: "A refresh request without the REQUIRED refresh_token parameter MUST be refused with invalid_request."}, func(c *C) {
		c.RequireGrant(profile.GrantRefreshToken)
		cl := c.RequireClient(profile.RolePrimary)
		ex := c.Env.Token(c, cl, url.Values{"grant_type": {"refresh_token"}})
		c.Refused(ex, false, "invalid_request")
	})

	e.Assert(harness.Assertion{ID: "TOK-RT-003", Level: MUST, Section: "RFC 6749 §5.2, §6",
		Requirement: "An unknown (invalid) refresh token MUST be refused with invalid_grant."}, func(c *C) {
		c.RequireGrant(profile.GrantRefreshToken)
		cl := c.RequireClient(profile.RolePrimary)
		ex := c.Env.Refresh(c, cl, "zz-not-a-refresh-token-"+harness.RandomString(16), "")
		c.Refused(ex, false, "invalid_grant")
	})

	e.Assert(harness.Assertion{ID: "TOK-RT-004", Level: MUST, Section: "RFC 6749 §6, §10.4, §5.2",
		Requirement: "A refresh token MUST only be honoured for the client it was issued to: another authenticated client is refused with invalid_grant."}, func(c *C) {
		cl := c.RequireClient(profile.RolePrimary)
		other := c.RequireClient(profile.RoleSecond)
		g := c.rtObtain(cl, c.Env.Scopes.S1)
		ex := c.Env.Refresh(c, other, g.rt, "")
		c.Must(!Issued(ex), ex, "client %q refreshed a refresh token issued to %q", other.ID, cl.ID)
		c.Refused(ex, false, "invalid_grant")
	})

	e.Assert(harness.Assertion{ID: "TOK-RT-005", Level: MUST, Section: "RFC 6749 §6, §3.2.1",
		Requirement: "A refresh request of a confidential client MUST be authenticated: client_id without the secret is refused with invalid_client (or invalid_request)."}, func(c *C) {
		cl := c.RequireClient(profile.RolePrimary)
		if cl.Public() {
			c.Skipf("the primary client is public: it has no credentials to leave out")
		}
		g := c.rtObtain(cl, c.Env.Scopes.S1)
		ex := c.Env.Token(c, nil, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {g.rt}, "client_id": {cl.ID}})
		c.Refused(ex, false, "invalid_client", "invalid_request")
	})

	e.Assert(harness.Assertion{ID: "TOK-RT-006", Level: MUST, Section: "RFC 6749 §1.5, §6, §3.3",
		Requirement: "A refresh request MAY narrow the scope: it MUST succeed within the original grant, and a granted scope other than the requested one MUST be reported."}, func(c *C) {
		cl := c.RequireClient(profile.RolePrimary)
		s1, both := c.rtTwoScopes()
		g := c.rtObtainExact(cl, both)
		ex := c.Env.Refresh(c, cl, g.rt, s1)
		b := c.Tokens(ex, fmt.Sprintf("refresh narrowing %q to %q", g.scope, s1))
		got, reported := scopeGranted(b, s1)
		c.Must(harness.SubsetScopes(got, g.scope), ex, "the narrowed refresh granted %q, beyond the original %q", got, g.scope)
		switch {
		case !reported:
			c.Saw("narrowed to %q; scope not reported (equal to the request)", s1)
		case harness.SubsetScopes(got, s1):
			c.Saw("narrowed and reported scope %q", got)
		default:
			// RFC 6749 §3.3: the server MAY ignore the requested scope, and
			// then MUST report it, which it did.
			c.Saw("the narrowing to %q was ignored and the granted scope %q reported (RFC 6749 §3.3 allows it)", s1, got)
		}
	})

	e.Assert(harness.Assertion{ID: "TOK-RT-007", Level: MUST, Section: "RFC 6749 §6",
		Requirement: "A refresh request without scope MUST be treated as asking for the scope originally granted."}, func(c *C) {
		cl := c.RequireClient(profile.RolePrimary)
		orig := joinScopes(c.Env.Scopes.S1, c.Env.Scopes.S2)
		if orig == "" {
			c.Skipf("no scope value is known (declare scopes to check it)")
		}
		g := c.rtObtainExact(cl, orig)
		ex := c.Env.Refresh(c, cl, g.rt, "")
		b := c.Tokens(ex, "refresh without scope")
		got, reported := scopeGranted(b, g.scope)
		if !reported {
			c.Saw("scope not reported (equal to the original %q)", g.scope)
			return
		}
		// The scopes the harness adds (offline_access, openid) may be
		// dropped on refresh (OpenID Connect servers do): the comparison is
		// of the rest.
		c.Must(harness.SameScopes(c.Env.withoutRefreshScopes(got), c.Env.withoutRefreshScopes(g.scope)), ex, "a refresh without scope granted %q instead of the original %q", got, g.scope)
		c.Saw("granted the original scope %q", got)
	})

	e.Assert(harness.Assertion{ID: "TOK-RT-008", Level: MUST, Section: "RFC 6749 §6, §5.2; RFC 9700 §4.14.2",
		Requirement: "A refresh request MUST NOT obtain scope beyond the original grant: it is refused with invalid_scope, or answered with a reported scope within the original."}, func(c *C) {
		cl := c.RequireClient(profile.RolePrimary)
		s1, extra := c.Env.Scopes.S1, c.Env.Scopes.S3
		if extra == "" {
			extra = c.Env.Scopes.S2
		}
		if s1 == "" || extra == "" {
			c.Skipf("fewer than two scope values are known (declare scopes to check it)")
		}
		g := c.rtObtain(cl, s1)
		if harness.ScopeSet(g.scope)[extra] {
			c.Skipf("the %s grant for %q already includes %q", g.via, s1, extra)
		}
		req := g.scope + " " + extra
		ex := c.Env.Refresh(c, cl, g.rt, req)
		if !Issued(ex) {
			c.Refused(ex, true, "invalid_scope")
			c.Saw("refused the widening with %q (status %d)", Str(Body(ex), "error"), ex.Status)
			return
		}
		got, reported := scopeGranted(Body(ex), req)
		c.Must(reported, ex, "a refresh asking for %q (original grant %q) succeeded without a scope member: it claims the wider scope was granted", req, g.scope)
		c.Must(!harness.ScopeSet(got)[extra] && harness.SubsetScopes(got, g.scope), ex, "a refresh granted %q, beyond the original grant %q", got, g.scope)
		c.Saw("ignored the extra value and reported scope %q", got)
	})

	e.Assert(harness.Assertion{ID: "TOK-RT-009", Level: MUST, Section: "RFC 6749 §6",
		Requirement: "The refresh token issued by a narrowed refresh MUST keep the scope of the refresh token presented: refreshing it without scope grants the original scope."}, func(c *C) {
		cl := c.RequireClient(profile.RolePrimary)
		s1, both := c.rtTwoScopes()
		g := c.rtObtainExact(cl, both)
		ex1 := c.Env.Refresh(c, cl, g.rt, s1)
		if !Issued(ex1) {
			c.Skipf("the narrowing refresh was refused (status %d, error %q): TOK-RT-006's business", ex1.Status, Str(Body(ex1), "error"))
		}
		rt2, which := Str(Body(ex1), "refresh_token"), "the new refresh token"
		if rt2 == "" {
			rt2, which = g.rt, "the unchanged refresh token (no new one was issued)"
		}
		ex2 := c.Env.Refresh(c, cl, rt2, "")
		b := c.Tokens(ex2, "refresh without scope after a narrowed refresh")
		got, reported := scopeGranted(b, g.scope)
		if !reported {
			c.Saw("refreshed %s; scope not reported (equal to the original %q)", which, g.scope)
			return
		}
		if !harness.SameScopes(c.Env.withoutRefreshScopes(got), c.Env.withoutRefreshScopes(g.scope)) {
			c.Failf(exchanges(ex1, ex2), "after a refresh narrowed to %q, refreshing %s without scope granted %q instead of the original %q", s1, which, got, g.scope)
		}
		c.Saw("refreshing %s granted the original scope %q", which, got)
	})

	e.Assert(harness.Assertion{ID: "TOK-RT-010", Level: MUST, Section: "RFC 9700 §2.2.2, §4.14.2",
		Requirement: "Refresh tokens of public clients MUST be rotated (or sender-constrained): a refresh returns a new refresh token."}, func(c *C) {
		c.RequireBCP()
		pub := c.rtPublic()
		g := c.rtObtain(pub, c.Env.Scopes.S1)
		ex := c.Env.Refresh(c, pub, g.rt, "")
		b := c.Tokens(ex, "refresh by the public client")
		rt2 := Str(b, "refresh_token")
		c.Must(rt2 != "", ex, "the public client's refresh returned no refresh token: it was not rotated (RFC 9700 §2.2.2; sender-constrained refresh tokens are outside this harness)")
		c.Must(rt2 != g.rt, ex, "the public client's refresh returned the same refresh token: it was not rotated (RFC 9700 §2.2.2)")
		c.Saw("the public client's refresh token was rotated")

		// Confidential clients MAY be rotated or not (RFC 6749 §6): record it.
		if conf := c.Env.Client(profile.RolePrimary); conf != nil && !conf.Public() {
			if cg, _ := c.rtTry(conf, c.Env.Scopes.S1); cg != nil {
				cex := c.Env.Refresh(c, conf, cg.rt, "")
				switch n := Str(Body(cex), "refresh_token"); {
				case !Issued(cex):
					c.Saw("the confidential client's refresh failed (status %d): see TOK-RT-001", cex.Status)
				case n == "" || n == cg.rt:
					c.Saw("the confidential client's refresh token is not rotated (MAY)")
				default:
					c.Saw("the confidential client's refresh token is rotated too (MAY)")
				}
			}
		}
	})

	e.Assert(harness.Assertion{ID: "TOK-RT-011", Level: MUST, Section: "RFC 9700 §4.14.2",
		Requirement: "Once a public client's refresh token is rotated out, it MUST be refused with invalid_grant after the declared grace window."}, func(c *C) {
		c.RequireBCP()
		pub := c.rtPublic()
		g := c.rtObtain(pub, c.Env.Scopes.S1)
		live := c.liveOracles(g.rt, "refresh_token", pub)
		c.rtRotated(g)
		c.rtGrace()
		ex := c.Env.Refresh(c, pub, g.rt, "")
		c.Must(!Issued(ex), ex, "the rotated-out refresh token was accepted again (declared grace window %s)", c.Env.RefreshGrace)
		c.Refused(ex, false, "invalid_grant")
		// Where the target has introspection, it should agree (a WARN).
		if via, ev := stillActive(c.tokenStates(g.rt, "refresh_token", pub, live)); len(via) > 0 {
			c.Warnf(append(exchanges(ex), ev...), "the rotated-out refresh token is refused at the token endpoint but still active according to %s", strings.Join(via, " and "))
		}
	})

	e.Assert(harness.Assertion{ID: "TOK-RT-012", Level: MUST, Section: "RFC 9700 §4.14.2",
		Requirement: "When a rotated-out refresh token of a public client is replayed, the server MUST revoke the active refresh token of that grant (invalid_grant)."}, func(c *C) {
		c.RequireBCP()
		pub := c.rtPublic()
		g := c.rtObtain(pub, c.Env.Scopes.S1)
		rt2, ex1 := c.rtRotated(g)
		at2 := Str(Body(ex1), "access_token")
		live := c.liveOracles(at2, "access_token", pub)
		c.rtGrace()
		replay := c.Env.Refresh(c, pub, g.rt, "")
		if Issued(replay) {
			c.Saw("the replayed refresh token was accepted (TOK-RT-011's business)")
		}
		ex := c.Env.Refresh(c, pub, rt2, "")
		c.Must(!Issued(ex), ex, "after the rotated-out refresh token was replayed, the active one still works: the grant was not revoked (RFC 9700 §4.14.2)")
		c.Refused(ex, false, "invalid_grant")
		c.rtFamilyAccessToken(at2, pub, live)
	})

	e.Assert(harness.Assertion{ID: "TOK-RT-013", Level: MUST, Section: "RFC 6749 §5.2",
		Requirement: "Tokens MUST NOT be accepted as another type: an access token or an authorization code as a refresh token, or a refresh token as a code, are refused (invalid_grant)."}, func(c *C) {
		cl := c.RequireClient(profile.RolePrimary)
		g := c.rtObtain(cl, c.Env.Scopes.S1)
		if g.at != "" {
			ex := c.Env.Refresh(c, cl, g.at, "")
			c.Must(!Issued(ex), ex, "(a) an access token was accepted as a refresh token")
			c.Refused(ex, true, "invalid_grant")
		}
		if !c.Env.HasGrant(profile.GrantAuthorizationCode) {
			c.Saw("(b) and (c) not applicable: the target has no authorization_code grant")
			return
		}
		if code, _, why := c.rtFreshCode(cl, c.Env.Scopes.S1); code != "" {
			ex := c.Env.Refresh(c, cl, code, "")
			c.Must(!Issued(ex), ex, "(b) an authorization code was accepted as a refresh token")
			c.Refused(ex, true, "invalid_grant")
		} else {
			c.Saw("(b) skipped: %s", why)
		}
		ex := c.Env.ExchangeCode(c, cl, g.rt, cl.RedirectURI(), "")
		c.Must(!Issued(ex), ex, "(c) a refresh token was accepted as an authorization code")
		c.Refused(ex, true, "invalid_grant")
	})
}

// rtFamilyAccessToken asks the target's oracles, where it has them
// (introspection, the protected resource), whether an access token of a
// revoked refresh family is still active: RFC 9700 §4.14.2 revokes the
// grant, and RFC 7009 §2.1's reasoning says its access tokens should go
// too. It only warns.
func (c *C) rtFamilyAccessToken(at string, owner *Client, live []string) {
	for _, s := range c.tokenStates(at, "access_token", owner, live) {
		if s.active {
			c.Warnf(exchanges(s.ex), "the access token issued with the revoked refresh token is still active according to %s after the reuse was detected", s.via)
		} else {
			c.Saw("%s no longer accepts the family's access token after the reuse", s.via)
		}
	}
}
