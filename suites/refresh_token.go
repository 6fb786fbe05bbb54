package suites

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/engine"
	"github.com/oauthconform/oauthconform/suites/harness"
	"github.com/oauthconform/oauthconform/suites/steps"
)

func init() {
	engine.Register(engine.Group{ID: "TOK-RT", Title: "refresh_token grant, rotation, reuse detection", Specs: refreshTokenSpecs})
}

// withoutRefreshScopes drops the scopes the harness adds on its own (those
// a refresh token needs, those every authorization request carries) from a
// granted scope, for comparing it with what a spec asked for.
func withoutRefreshScopes(e *engine.Env, scope string) string {
	var out []string
	for _, s := range strings.Fields(scope) {
		if !slices.Contains(e.Scopes.Refresh, s) && !slices.Contains(e.Scopes.Required, s) {
			out = append(out, s)
		}
	}
	return strings.Join(out, " ")
}

// rtPublic returns the public client of the rotation specs, or skips.
func rtPublic(c *engine.C) *engine.Client {
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
func rtRotated(c *engine.C, g *steps.RefreshGrant) (string, *harness.Exchange) {
	ex := c.Env.Refresh(c, g.Client, g.RefreshToken, "")
	if !engine.Issued(ex) {
		c.Skipf("the first refresh failed (status %d, error %q): TOK-RT-010's business", ex.Status, harness.ErrorCodeOf(ex))
	}
	rt2 := engine.Str(engine.Body(ex), "refresh_token")
	if rt2 == "" || rt2 == g.RefreshToken {
		c.Skipf("the refresh token was not rotated: TOK-RT-010's business")
	}
	return rt2, ex
}

// rtGrace waits out the target's declared refresh-token grace window, during
// which a rotated-out token may still be honoured.
func rtGrace(c *engine.C) {
	if g := c.Env.RefreshGrace; g > 0 {
		if err := c.Env.Wait(c, g+time.Second, "for the refresh token grace window to pass"); err != nil {
			c.Skipf("interrupted while waiting out the grace window: %v", err)
		}
	}
}

// rtTwoScopes returns "S1 S2", or skips when the dialect has fewer scopes.
func rtTwoScopes(c *engine.C) (s1, both string) {
	s1, s2 := c.Env.Scopes.S1, c.Env.Scopes.S2
	if s1 == "" || s2 == "" {
		c.Skipf("fewer than two scope values are known (declare scopes to check it)")
	}
	return s1, s1 + " " + s2
}

// rtObtainExact obtains a refresh token granted exactly scope, or skips.
func rtObtainExact(c *engine.C, cl *engine.Client, scope string) *steps.RefreshGrant {
	g := steps.ObtainRefreshGrant(c, cl, scope)
	if !harness.SameScopes(withoutRefreshScopes(c.Env, g.Scope), scope) {
		c.Skipf("the %s grant was for scope %q, not the requested %q", g.Via, g.Scope, scope)
	}
	return g
}

// rtNarrowed obtains a refresh token of the primary client granted exactly
// "S1 S2" and refreshes it asking for S1 alone (or skips).
func rtNarrowed(c *engine.C) (cl *engine.Client, g *steps.RefreshGrant, s1 string, ex *harness.Exchange) {
	cl = c.RequireClient(profile.RolePrimary)
	s1, both := rtTwoScopes(c)
	g = rtObtainExact(c, cl, both)
	return cl, g, s1, c.Env.Refresh(c, cl, g.RefreshToken, s1)
}

func refreshTokenSpecs(e *engine.Env) {
	e.Assert(harness.Assertion{ID: "TOK-RT-001", Level: engine.MUST, Section: "RFC 6749 §1.5, §6",
		Requirement: "A valid refresh request from the client the refresh token was issued to MUST be answered with a new access token."}, func(c *engine.C) {
		cl := c.RequireClient(profile.RolePrimary)
		g := steps.ObtainRefreshGrant(c, cl, c.Env.Scopes.S1)
		ex := c.Env.Refresh(c, cl, g.RefreshToken, "")
		b := c.Tokens(ex, "refresh with the refresh token of the "+g.Via+" grant")
		if engine.Str(b, "access_token") != g.AccessToken {
			c.Saw("a new access token was issued (refresh token from the %s grant)", g.Via)
			return
		}
		// The same string again. A token built only from claims with
		// one-second resolution may repeat within a second, so ask once more
		// a little later before concluding the old token was handed back.
		next := engine.Str(b, "refresh_token")
		if next == "" {
			next = g.RefreshToken
		}
		if err := c.Env.Wait(c, 2*time.Second, "to tell a rotated refresh token from a repeated one"); err != nil {
			c.Skipf("interrupted while waiting: %v", err)
		}
		ex2 := c.Env.Refresh(c, cl, next, "")
		b2 := c.Tokens(ex2, "second refresh")
		if engine.Str(b2, "access_token") == g.AccessToken {
			c.Failf(engine.Exchanges(g.Ex, ex, ex2), "two refreshes returned the access token issued by the %s grant instead of a new one (RFC 6749 §1.5: the server issues a new access token)", g.Via)
		}
		c.Saw("the first refresh repeated the access token, the second (2 s later) issued a new one")
	})

	e.Assert(harness.Assertion{ID: "TOK-RT-002", Level: engine.MUST, Section: "RFC 6749 §6, §5.2",
		Requirement: "A refresh request without the REQUIRED refresh_token parameter MUST be refused with invalid_request."}, func(c *engine.C) {
		c.RequireGrant(profile.GrantRefreshToken)
		cl := c.RequireClient(profile.RolePrimary)
		ex := c.Env.Token(c, cl, url.Values{"grant_type": {"refresh_token"}})
		c.Refused(ex, false, "invalid_request")
	})

	e.Assert(harness.Assertion{ID: "TOK-RT-003", Level: engine.MUST, Section: "RFC 6749 §5.2, §6",
		Requirement: "An unknown (invalid) refresh token MUST be refused with invalid_grant."}, func(c *engine.C) {
		c.RequireGrant(profile.GrantRefreshToken)
		cl := c.RequireClient(profile.RolePrimary)
		ex := c.Env.Refresh(c, cl, "zz-not-a-refresh-token-"+harness.RandomString(16), "")
		c.Refused(ex, false, "invalid_grant")
	})

	e.Assert(harness.Assertion{ID: "TOK-RT-004", Level: engine.MUST, Section: "RFC 6749 §6, §10.4, §5.2",
		Requirement: "A refresh token MUST only be honoured for the client it was issued to: another authenticated client is refused with invalid_grant."}, func(c *engine.C) {
		cl := c.RequireClient(profile.RolePrimary)
		other := c.RequireClient(profile.RoleSecond)
		g := steps.ObtainRefreshGrant(c, cl, c.Env.Scopes.S1)
		ex := c.Env.Refresh(c, other, g.RefreshToken, "")
		c.Must(!engine.Issued(ex), ex, "client %q refreshed a refresh token issued to %q", other.ID, cl.ID)
		c.Refused(ex, false, "invalid_grant")
	})

	e.Assert(harness.Assertion{ID: "TOK-RT-005", Level: engine.MUST, Section: "RFC 6749 §6, §3.2.1",
		Requirement: "A refresh request of a confidential client MUST be authenticated: client_id without the secret is refused with invalid_client (or invalid_request)."}, func(c *engine.C) {
		cl := c.RequireClient(profile.RolePrimary)
		if cl.Public() {
			c.Skipf("the primary client is public: it has no credentials to leave out")
		}
		g := steps.ObtainRefreshGrant(c, cl, c.Env.Scopes.S1)
		ex := c.Env.Token(c, nil, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {g.RefreshToken}, "client_id": {cl.ID}})
		c.Refused(ex, false, "invalid_client", "invalid_request")
	})

	e.Assert(harness.Assertion{ID: "TOK-RT-006", Level: engine.MUST, Section: "RFC 6749 §1.5, §6, §3.3",
		Requirement: "A refresh request MAY narrow the scope: it MUST succeed within the original grant, and a granted scope other than the requested one MUST be reported."}, func(c *engine.C) {
		_, g, s1, ex := rtNarrowed(c)
		b := c.Tokens(ex, fmt.Sprintf("refresh narrowing %q to %q", g.Scope, s1))
		got, reported := steps.ScopeGranted(b, s1)
		c.Must(harness.SubsetScopes(got, g.Scope), ex, "the narrowed refresh granted %q, beyond the original %q", got, g.Scope)
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

	e.Assert(harness.Assertion{ID: "TOK-RT-007", Level: engine.MUST, Section: "RFC 6749 §6",
		Requirement: "A refresh request without scope MUST be treated as asking for the scope originally granted."}, func(c *engine.C) {
		cl := c.RequireClient(profile.RolePrimary)
		orig := engine.JoinScopes(c.Env.Scopes.S1, c.Env.Scopes.S2)
		if orig == "" {
			c.Skipf("no scope value is known (declare scopes to check it)")
		}
		g := rtObtainExact(c, cl, orig)
		ex := c.Env.Refresh(c, cl, g.RefreshToken, "")
		b := c.Tokens(ex, "refresh without scope")
		got, reported := steps.ScopeGranted(b, g.Scope)
		if !reported {
			c.Saw("scope not reported (equal to the original %q)", g.Scope)
			return
		}
		// The scopes the harness adds (offline_access, openid) may be
		// dropped on refresh (OpenID Connect servers do): the comparison is
		// of the rest.
		c.Must(harness.SameScopes(withoutRefreshScopes(c.Env, got), withoutRefreshScopes(c.Env, g.Scope)), ex, "a refresh without scope granted %q instead of the original %q", got, g.Scope)
		c.Saw("granted the original scope %q", got)
	})

	e.Assert(harness.Assertion{ID: "TOK-RT-008", Level: engine.MUST, Section: "RFC 6749 §6, §5.2; RFC 9700 §4.14.2",
		Requirement: "A refresh request MUST NOT obtain scope beyond the original grant: it is refused with invalid_scope, or answered with a reported scope within the original."}, func(c *engine.C) {
		cl := c.RequireClient(profile.RolePrimary)
		s1, extra := c.Env.Scopes.S1, c.Env.Scopes.S3
		if extra == "" {
			extra = c.Env.Scopes.S2
		}
		if s1 == "" || extra == "" {
			c.Skipf("fewer than two scope values are known (declare scopes to check it)")
		}
		g := steps.ObtainRefreshGrant(c, cl, s1)
		if harness.ScopeSet(g.Scope)[extra] {
			c.Skipf("the %s grant for %q already includes %q", g.Via, s1, extra)
		}
		req := g.Scope + " " + extra
		ex := c.Env.Refresh(c, cl, g.RefreshToken, req)
		if !engine.Issued(ex) {
			c.Refused(ex, true, "invalid_scope")
			c.Saw("refused the widening with %q (status %d)", harness.ErrorCodeOf(ex), ex.Status)
			return
		}
		got, reported := steps.ScopeGranted(engine.Body(ex), req)
		c.Must(reported, ex, "a refresh asking for %q (original grant %q) succeeded without a scope member: it claims the wider scope was granted", req, g.Scope)
		c.Must(!harness.ScopeSet(got)[extra] && harness.SubsetScopes(got, g.Scope), ex, "a refresh granted %q, beyond the original grant %q", got, g.Scope)
		c.Saw("ignored the extra value and reported scope %q", got)
	})

	e.Assert(harness.Assertion{ID: "TOK-RT-009", Level: engine.MUST, Section: "RFC 6749 §6",
		Requirement: "The refresh token issued by a narrowed refresh MUST keep the scope of the refresh token presented: refreshing it without scope grants the original scope."}, func(c *engine.C) {
		cl, g, s1, ex1 := rtNarrowed(c)
		if !engine.Issued(ex1) {
			c.Skipf("the narrowing refresh was refused (status %d, error %q): TOK-RT-006's business", ex1.Status, harness.ErrorCodeOf(ex1))
		}
		rt2, which := engine.Str(engine.Body(ex1), "refresh_token"), "the new refresh token"
		if rt2 == "" {
			rt2, which = g.RefreshToken, "the unchanged refresh token (no new one was issued)"
		}
		ex2 := c.Env.Refresh(c, cl, rt2, "")
		b := c.Tokens(ex2, "refresh without scope after a narrowed refresh")
		got, reported := steps.ScopeGranted(b, g.Scope)
		if !reported {
			c.Saw("refreshed %s; scope not reported (equal to the original %q)", which, g.Scope)
			return
		}
		if !harness.SameScopes(withoutRefreshScopes(c.Env, got), withoutRefreshScopes(c.Env, g.Scope)) {
			c.Failf(engine.Exchanges(ex1, ex2), "after a refresh narrowed to %q, refreshing %s without scope granted %q instead of the original %q", s1, which, got, g.Scope)
		}
		c.Saw("refreshing %s granted the original scope %q", which, got)
	})

	e.Assert(harness.Assertion{ID: "TOK-RT-010", Level: engine.MUST, Section: "RFC 9700 §2.2.2, §4.14.2",
		Requirement: "Refresh tokens of public clients MUST be rotated (or sender-constrained): a refresh returns a new refresh token."}, func(c *engine.C) {
		c.RequireBCP()
		pub := rtPublic(c)
		g := steps.ObtainRefreshGrant(c, pub, c.Env.Scopes.S1)
		ex := c.Env.Refresh(c, pub, g.RefreshToken, "")
		b := c.Tokens(ex, "refresh by the public client")
		rt2 := engine.Str(b, "refresh_token")
		c.Must(rt2 != "", ex, "the public client's refresh returned no refresh token: it was not rotated (RFC 9700 §2.2.2; sender-constrained refresh tokens are outside this harness)")
		c.Must(rt2 != g.RefreshToken, ex, "the public client's refresh returned the same refresh token: it was not rotated (RFC 9700 §2.2.2)")
		c.Saw("the public client's refresh token was rotated")

		// Confidential clients MAY be rotated or not (RFC 6749 §6): record it.
		if conf := c.Env.Client(profile.RolePrimary); conf != nil && !conf.Public() {
			if cg, _ := steps.TryRefreshGrant(c, conf, c.Env.Scopes.S1); cg != nil {
				cex := c.Env.Refresh(c, conf, cg.RefreshToken, "")
				switch n := engine.Str(engine.Body(cex), "refresh_token"); {
				case !engine.Issued(cex):
					c.Saw("the confidential client's refresh failed (status %d): see TOK-RT-001", cex.Status)
				case n == "" || n == cg.RefreshToken:
					c.Saw("the confidential client's refresh token is not rotated (MAY)")
				default:
					c.Saw("the confidential client's refresh token is rotated too (MAY)")
				}
			}
		}
	})

	e.Assert(harness.Assertion{ID: "TOK-RT-011", Level: engine.MUST, Section: "RFC 9700 §4.14.2",
		Requirement: "Once a public client's refresh token is rotated out, it MUST be refused with invalid_grant after the declared grace window."}, func(c *engine.C) {
		c.RequireBCP()
		pub := rtPublic(c)
		g := steps.ObtainRefreshGrant(c, pub, c.Env.Scopes.S1)
		live := steps.LiveOracles(c, g.RefreshToken, "refresh_token", pub)
		rtRotated(c, g)
		rtGrace(c)
		ex := c.Env.Refresh(c, pub, g.RefreshToken, "")
		c.Must(!engine.Issued(ex), ex, "the rotated-out refresh token was accepted again (declared grace window %s)", c.Env.RefreshGrace)
		c.Refused(ex, false, "invalid_grant")
		// Where the target has introspection, it should agree (a WARN).
		if via, ev := steps.StillActive(steps.TokenStates(c, g.RefreshToken, "refresh_token", pub, live)); len(via) > 0 {
			c.Warnf(append(engine.Exchanges(ex), ev...), "the rotated-out refresh token is refused at the token endpoint but still active according to %s", strings.Join(via, " and "))
		}
	})

	e.Assert(harness.Assertion{ID: "TOK-RT-012", Level: engine.MUST, Section: "RFC 9700 §4.14.2",
		Requirement: "When a rotated-out refresh token of a public client is replayed, the server MUST revoke the active refresh token of that grant (invalid_grant)."}, func(c *engine.C) {
		c.RequireBCP()
		pub := rtPublic(c)
		g := steps.ObtainRefreshGrant(c, pub, c.Env.Scopes.S1)
		rt2, ex1 := rtRotated(c, g)
		at2 := engine.Str(engine.Body(ex1), "access_token")
		live := steps.LiveOracles(c, at2, "access_token", pub)
		rtGrace(c)
		replay := c.Env.Refresh(c, pub, g.RefreshToken, "")
		if engine.Issued(replay) {
			c.Saw("the replayed refresh token was accepted (TOK-RT-011's business)")
		}
		ex := c.Env.Refresh(c, pub, rt2, "")
		c.Must(!engine.Issued(ex), ex, "after the rotated-out refresh token was replayed, the active one still works: the grant was not revoked (RFC 9700 §4.14.2)")
		c.Refused(ex, false, "invalid_grant")
		rtFamilyAccessToken(c, at2, pub, live)
	})

	e.Assert(harness.Assertion{ID: "TOK-RT-013", Level: engine.MUST, Section: "RFC 6749 §5.2",
		Requirement: "Tokens MUST NOT be accepted as another type: an access token or an authorization code as a refresh token, or a refresh token as a code, are refused (invalid_grant)."}, func(c *engine.C) {
		cl := c.RequireClient(profile.RolePrimary)
		g := steps.ObtainRefreshGrant(c, cl, c.Env.Scopes.S1)
		if g.AccessToken != "" {
			ex := c.Env.Refresh(c, cl, g.AccessToken, "")
			c.Must(!engine.Issued(ex), ex, "(a) an access token was accepted as a refresh token")
			c.Refused(ex, true, "invalid_grant")
		}
		if !c.Env.HasGrant(profile.GrantAuthorizationCode) {
			c.Saw("(b) and (c) not applicable: the target has no authorization_code grant")
			return
		}
		if code, _, why := steps.FreshCode(c, cl, c.Env.Scopes.S1); code != "" {
			ex := c.Env.Refresh(c, cl, code, "")
			c.Must(!engine.Issued(ex), ex, "(b) an authorization code was accepted as a refresh token")
			c.Refused(ex, true, "invalid_grant")
		} else {
			c.Saw("(b) skipped: %s", why)
		}
		ex := c.Env.ExchangeCode(c, cl, g.RefreshToken, cl.RedirectURI(), "")
		c.Must(!engine.Issued(ex), ex, "(c) a refresh token was accepted as an authorization code")
		c.Refused(ex, true, "invalid_grant")
	})
}

// rtFamilyAccessToken asks the target's oracles, where it has them
// (introspection, the protected resource), whether an access token of a
// revoked refresh family is still active: RFC 9700 §4.14.2 revokes the
// grant, and RFC 7009 §2.1's reasoning says its access tokens should go
// too. It only warns.
func rtFamilyAccessToken(c *engine.C, at string, owner *engine.Client, live []string) {
	for _, s := range steps.TokenStates(c, at, "access_token", owner, live) {
		if s.Active {
			c.Warnf(engine.Exchanges(s.Ex), "the access token issued with the revoked refresh token is still active according to %s after the reuse was detected", s.Via)
		} else {
			c.Saw("%s no longer accepts the family's access token after the reuse", s.Via)
		}
	}
}
