package suites

import (
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
	engine.Register(engine.Group{ID: "REV", Title: "RFC 7009 token revocation", Specs: revocationSpecs})
}

// revoke sends an RFC 7009 revocation request as cl.
func revoke(c *engine.C, u string, cl *engine.Client, tok, hint string, opts ...harness.RequestOption) *harness.Exchange {
	form := url.Values{"token": {tok}}
	if hint != "" {
		form.Set("token_type_hint", hint)
	}
	return steps.EndpointPost(c, u, cl, form, opts...)
}

// revRefresh obtains a refresh token of the primary client (RT1), or skips.
func revRefresh(c *engine.C) *steps.RefreshGrant {
	return steps.ObtainRefreshGrant(c, c.RequireClient(profile.RolePrimary), c.Env.Scopes.S1)
}

// revGone requires that a revoked refresh token no longer refreshes.
// Which error code the refusal carries is the token endpoint's business
// (TOK-RT-003): a wrong one only warns here.
func revGone(c *engine.C, g *steps.RefreshGrant, what string, rev *harness.Exchange) {
	// One try: a refresh that succeeds consumes (or rotates) the token, so
	// asking again would measure the rotation, not the revocation.
	ex := c.Env.Refresh(c, g.Client, g.RefreshToken, "")
	c.Must(!engine.Issued(ex), ex, "%s: the revocation was answered %d, but the refresh token still refreshes", what, rev.Status)
	c.Refused(ex, true, "invalid_grant")
}

func revocationSpecs(e *engine.Env) {
	e.Assert(harness.Assertion{ID: "REV-001", Level: engine.MUST, Section: "RFC 7009 §2, §2.1, §2.2",
		Requirement: "The server MUST support revoking refresh tokens: the revocation answers 200 and the refresh token is refused afterwards; the access tokens of the same grant SHOULD stop working too."}, func(c *engine.C) {
		u := steps.RequireEndpoint(c, target.EndpointRevocation)
		g := revRefresh(c)
		live := steps.LiveOracles(c, g.AccessToken, "access_token", g.Client)
		ex := revoke(c, u, g.Client, g.RefreshToken, "refresh_token")
		c.Must(ex.Err == nil && ex.Status == http.StatusOK, ex, "the revocation of a refresh token got status %d (%v, error %q), want 200", ex.Status, ex.Err, harness.ErrorCodeOf(ex))
		revGone(c, g, "refresh token revoked", ex)
		via, ev := steps.StillActive(steps.TokenStates(c, g.AccessToken, "access_token", g.Client, live))
		if len(via) > 0 {
			c.Warnf(append(engine.Exchanges(ex), ev...), "the access token of the revoked grant is still active according to %s (RFC 7009 §2.1: SHOULD also be invalidated)", strings.Join(via, " and "))
		}
	})

	e.Assert(harness.Assertion{ID: "REV-002", Level: engine.MUST, Section: "RFC 7009 §2.2",
		Requirement: "The revocation of an invalid or unknown token MUST be answered 200."}, func(c *engine.C) {
		u := steps.RequireEndpoint(c, target.EndpointRevocation)
		cl := c.RequireClient(profile.RolePrimary)
		ex := revoke(c, u, cl, "oauthconform-garbage-"+harness.RandomString(16), "")
		c.Must(ex.Err == nil, ex, "the request failed: %v", ex.Err)
		c.Must(ex.Status == http.StatusOK, ex, "the revocation of an unknown token got status %d (error %q), want 200 (RFC 7009 §2.2)", ex.Status, harness.ErrorCodeOf(ex))
	})

	e.Assert(harness.Assertion{ID: "REV-003", Level: engine.MUST, Section: "RFC 7009 §2.1, §2.2.1; RFC 6749 §5.2",
		Requirement: "The revocation endpoint MUST authenticate confidential clients: a wrong secret gets invalid_client (401 with WWW-Authenticate when sent with HTTP Basic) and revokes nothing."}, func(c *engine.C) {
		u := steps.RequireEndpoint(c, target.EndpointRevocation)
		cl := c.RequireClient(profile.RolePrimary)
		if cl.Public() {
			c.Skipf("the primary client is public: there is no secret to get wrong")
		}
		g, why := steps.TryRefreshGrant(c, cl, c.Env.Scopes.S1)
		tok := "oauthconform-garbage-" + harness.RandomString(16)
		if g != nil && c.Env.HasGrant(profile.GrantRefreshToken) {
			tok = g.RefreshToken
		} else {
			c.Saw("no refresh token to offer (%s): an unknown token is sent", why)
		}
		wrong := *cl
		wrong.Secret = cl.Secret + "-wrong"
		ex := revoke(c, u, &wrong, tok, "refresh_token")
		c.Must(ex.Err == nil, ex, "the request failed: %v", ex.Err)
		c.Must(ex.Status != http.StatusOK, ex, "a revocation request with a wrong client secret was answered 200")
		c.Must(harness.ErrorCodeOf(ex) == "invalid_client", ex, "a wrong client secret got error %q, want invalid_client", harness.ErrorCodeOf(ex))
		if cl.Method == profile.AuthPost {
			c.Must(ex.Status == http.StatusBadRequest || ex.Status == http.StatusUnauthorized, ex, "invalid_client got status %d, want 400 or 401", ex.Status)
		} else {
			c.Must(ex.Status == http.StatusUnauthorized, ex, "invalid_client for HTTP Basic credentials got status %d, want 401 (RFC 6749 §5.2)", ex.Status)
			c.Must(len(ex.Header.Values("WWW-Authenticate")) > 0, ex, "the 401 carries no WWW-Authenticate header (RFC 6749 §5.2)")
		}
		if g == nil || tok != g.RefreshToken {
			return
		}
		after := c.Env.Refresh(c, cl, g.RefreshToken, "")
		c.Must(engine.Issued(after), after, "the refresh token no longer refreshes: the revocation request with a wrong secret revoked it")
	})

	e.Assert(harness.Assertion{ID: "REV-004", Level: engine.MUST, Section: "RFC 7009 §2.1",
		Requirement: "A client MUST NOT revoke another client's token: the token stays valid; the request SHOULD be refused with an error (200 is tolerated: it avoids an oracle)."}, func(c *engine.C) {
		u := steps.RequireEndpoint(c, target.EndpointRevocation)
		c2 := c.RequireClient(profile.RoleSecond)
		g := revRefresh(c)
		if c2.ID == g.Client.ID {
			c.Skipf("the second client is the primary one")
		}
		ex := revoke(c, u, c2, g.RefreshToken, "refresh_token")
		c.Must(ex.Err == nil, ex, "the request failed: %v", ex.Err)
		after := c.Env.Refresh(c, g.Client, g.RefreshToken, "")
		c.Must(engine.Issued(after), after, "client %q revoked a refresh token of client %q (the revocation was answered %d)", c2.ID, g.Client.ID, ex.Status)
		if ex.Status == http.StatusOK {
			c.Warnf(engine.Exchanges(ex), "the revocation of another client's token was answered 200 (RFC 7009 §2.1: the request is refused and the client informed)")
			return
		}
		c.Saw("the revocation of another client's token was refused (status %d, error %q)", ex.Status, harness.ErrorCodeOf(ex))
	})

	e.Assert(harness.Assertion{ID: "REV-005", Level: engine.MUST, Section: "RFC 7009 §2.1, §2.2",
		Requirement: "token_type_hint is only a hint: a refresh token sent with the hint access_token MUST still be revoked (200: the server extends its search); one sent with an unknown hint SHOULD be (the server MAY ignore the parameter, and no sentence forbids refusing an unknown value)."}, func(c *engine.C) {
		u := steps.RequireEndpoint(c, target.EndpointRevocation)
		g := revRefresh(c)
		ex := revoke(c, u, g.Client, g.RefreshToken, "access_token")
		c.Must(ex.Err == nil && ex.Status == http.StatusOK, ex, "a refresh token revoked with token_type_hint=access_token got status %d (%v, error %q), want 200", ex.Status, ex.Err, harness.ErrorCodeOf(ex))
		revGone(c, g, "revoked with token_type_hint=access_token", ex)

		g = revRefresh(c)
		ex = revoke(c, u, g.Client, g.RefreshToken, "oauthconform-bogus")
		if ex.Err != nil || ex.Status != http.StatusOK {
			c.NotIssued(ex, "the revocation with an unknown token_type_hint")
			c.Warnf(engine.Exchanges(ex), "a refresh token sent with an unknown token_type_hint was not revoked: status %d, error %q (RFC 7009 §2.1: the hint MAY be ignored)", ex.Status, harness.ErrorCodeOf(ex))
			return
		}
		revGone(c, g, "revoked with token_type_hint=oauthconform-bogus", ex)
	})
}
