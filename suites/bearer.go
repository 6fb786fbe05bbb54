package suites

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/engine"
	"github.com/oauthconform/oauthconform/suites/harness"
	"github.com/oauthconform/oauthconform/suites/steps"
)

func init() {
	engine.Register(engine.Group{ID: "BEAR", Title: "RFC 6750 bearer token use at a protected resource", Specs: bearerSpecs})
}

// requireResource returns the protected resource URL, or skips.
func requireResource(c *engine.C) string {
	if r := c.Env.Endpoints.Resource; r != "" {
		return r
	}
	c.Skipf("the target configuration names no protected resource (endpoints.resource)")
	return ""
}

func bearerSpecs(e *engine.Env) {
	e.Assert(harness.Assertion{ID: "BEAR-001", Level: engine.MUST, Section: "RFC 6750 §3, §3.1",
		Requirement: "A protected resource MUST refuse a garbage or revoked bearer token with a WWW-Authenticate Bearer challenge; it SHOULD answer 401 with error=\"invalid_token\" (RFC 6750 §3.1)."}, func(c *engine.C) {
		res := requireResource(c)
		type probe struct {
			what, tok string
			revoked   bool
		}
		probes := []probe{{what: "a garbage token", tok: "oauthconform-garbage-" + harness.RandomString(16)}}
		if rev := steps.RevocationURL(c); rev != "" {
			cl := c.RequireClient(profile.RolePrimary)
			// A token the resource never accepted proves nothing revoked:
			// a resource may take only some grants' tokens (a UserInfo
			// endpoint wants a user's), so each grant is tried.
			accepted := func(g *steps.TokenGrant) string {
				before := c.Env.HTTP.Get(c, res, harness.WithAuthorization("Bearer "+g.AccessToken))
				if before.Err != nil || before.Status < 200 || before.Status >= 300 {
					return fmt.Sprintf("the resource does not accept its access token even before revocation (status %d)", before.Status)
				}
				return ""
			}
			if g, why := steps.TryAccessTokenFor(c, cl, c.Env.Scopes.S1, accepted); g == nil {
				c.Saw("no access token the resource accepts, to revoke: %s; only a garbage token is sent", why)
			} else {
				ex := steps.EndpointPost(c, rev, cl, url.Values{"token": {g.AccessToken}, "token_type_hint": {"access_token"}})
				if ex.Err == nil && ex.Status == http.StatusOK {
					probes = append(probes, probe{what: "a revoked access token", tok: g.AccessToken, revoked: true})
					c.Saw("an access token of the %s grant, accepted by the resource, was revoked and is sent too", g.Via)
				} else {
					c.Saw("the access token could not be revoked (status %d, error %q): only a garbage token is sent", ex.Status, harness.ErrorCodeOf(ex))
				}
			}
		} else {
			c.Saw("no revocation endpoint: only a garbage token is sent")
		}
		for _, p := range probes {
			ex := c.Env.HTTP.Get(c, res, harness.WithAuthorization("Bearer "+p.tok))
			c.Must(ex.Err == nil, ex, "%s: the request failed: %v", p.what, ex.Err)
			if p.revoked && ex.Status >= 200 && ex.Status < 300 {
				// RFC 7009 §2: access token revocation is a SHOULD, and a
				// self-contained token checked locally may outlive it (§3).
				c.Warnf(engine.Exchanges(ex), "%s is still accepted by the protected resource (RFC 7009 §2: SHOULD support revoking access tokens)", p.what)
				continue
			}
			c.Must(ex.Status >= 400 && ex.Status < 500, ex, "%s: the protected resource answered %d: it must refuse the token", p.what, ex.Status)
			ch, ok := steps.BearerChallenge(ex.Header.Values("WWW-Authenticate"))
			c.Must(ok, ex, "%s: the refusal (%d) has no WWW-Authenticate Bearer challenge (RFC 6750 §3: MUST)", p.what, ex.Status)
			code := steps.ChallengeError(ch)
			c.Should(ex.Status == http.StatusUnauthorized, ex, "%s: answered %d; RFC 6750 §3.1 says SHOULD 401 for invalid_token", p.what, ex.Status)
			c.Should(code == "invalid_token", ex, "%s: the challenge's error is %q, not invalid_token (RFC 6750 §3.1)", p.what, code)
		}
	})

	e.Assert(harness.Assertion{ID: "BEAR-002", Level: engine.MUST, Section: "RFC 6750 §3, §3.1",
		Requirement: "A request without a token MUST be refused with a WWW-Authenticate Bearer challenge (RFC 6750 §3); 401 is the expected status, and the challenge SHOULD NOT carry an error code (the request lacked authentication)."}, func(c *engine.C) {
		res := requireResource(c)
		ex := c.Env.HTTP.Get(c, res)
		c.Must(ex.Err == nil, ex, "the request failed: %v", ex.Err)
		c.Must(ex.Status >= 400 && ex.Status < 500, ex, "a request without a token got status %d: it must be refused", ex.Status)
		ch, ok := steps.BearerChallenge(ex.Header.Values("WWW-Authenticate"))
		c.Must(ok, ex, "the refusal (%d) has no WWW-Authenticate Bearer challenge (RFC 6750 §3: MUST)", ex.Status)
		if ex.Status != http.StatusUnauthorized {
			c.Warnf(engine.Exchanges(ex), "a request without a token got status %d; 401 is the status of a missing authentication (RFC 6750 §3, RFC 9110 §15.5.2)", ex.Status)
		}
		if code := steps.ChallengeError(ch); code != "" {
			c.Warnf(engine.Exchanges(ex), "the challenge to a request without a token carries error=%q (RFC 6750 §3.1: SHOULD NOT)", code)
		}
	})
}
