package suites

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/harness"
)

func init() {
	register(Group{ID: "BEAR", Title: "RFC 6750 bearer token use at a protected resource", Specs: bearerSpecs})
}

// atGrant is an access token obtained for a spec.
type atGrant struct {
	client *Client
	at, rt string
	// scope is the granted scope: the response's scope member, else the
	// requested one.
	scope string
	via   string
	ex    *harness.Exchange
}

// tryAT obtains an access token for cl with scope ("" omits it) by the
// cheapest grant the target offers: client_credentials, password, then the
// authorization code flow through the driver (with PKCE S256 where
// supported). It returns nil and what was tried when none succeeded.
func (c *C) tryAT(cl *Client, scope string) (*atGrant, string) {
	return c.tryATFor(cl, scope, nil)
}

// tryATFor is tryAT taking only a token that accept approves (nil: any),
// trying the next grant otherwise; accept says why it refused one.
func (c *C) tryATFor(cl *Client, scope string, accept func(*atGrant) string) (*atGrant, string) {
	e := c.Env
	var tried []string
	take := func(via string, ex *harness.Exchange) *atGrant {
		if !Issued(ex) {
			tried = append(tried, fmt.Sprintf("%s: no tokens (status %d, error %q)", via, ex.Status, Str(Body(ex), "error")))
			return nil
		}
		b := Body(ex)
		s, _ := scopeGranted(b, scope)
		g := &atGrant{client: cl, at: Str(b, "access_token"), rt: Str(b, "refresh_token"), scope: s, via: via, ex: ex}
		if accept != nil {
			if why := accept(g); why != "" {
				tried = append(tried, via+": "+why)
				return nil
			}
		}
		return g
	}
	if e.HasGrant(profile.GrantClientCredentials) && !cl.Public() {
		if g := take("client_credentials", e.ClientCredentials(c, cl, scope)); g != nil {
			return g, ""
		}
	}
	if e.HasGrant(profile.GrantPassword) && e.User != nil {
		if g := take("password", e.Password(c, cl, e.User.Username, string(e.User.Password), scope)); g != nil {
			return g, ""
		}
	}
	if e.HasGrant(profile.GrantAuthorizationCode) {
		code, verifier, why := c.rtFreshCode(cl, scope)
		if code == "" {
			tried = append(tried, "authorization_code: "+why)
		} else if g := take("authorization_code", e.ExchangeCode(c, cl, code, cl.RedirectURI(), verifier)); g != nil {
			return g, ""
		}
	}
	if len(tried) == 0 {
		return nil, fmt.Sprintf("the target offers no grant client %q can use here", cl.ID)
	}
	return nil, strings.Join(tried, "; ")
}

// obtainAT is tryAT that skips the spec when no access token comes: issuing
// tokens is other groups' business.
func (c *C) obtainAT(cl *Client, scope string) *atGrant {
	g, why := c.tryAT(cl, scope)
	if g == nil {
		c.Skipf("no access token for client %q with scope %q: %s", cl.ID, scope, why)
	}
	return g
}

// requireResource returns the protected resource URL, or skips.
func (c *C) requireResource() string {
	if r := c.Env.Endpoints.Resource; r != "" {
		return r
	}
	c.Skipf("the target configuration names no protected resource (endpoints.resource)")
	return ""
}

var challengeErrorRE = regexp.MustCompile(`(?i)(?:^|[\s,])error\s*=\s*(?:"([^"]*)"|([^\s,]+))`)

// bearerChallenge returns the Bearer challenge of the WWW-Authenticate
// lines (the scheme compared case-insensitively, RFC 9110 §11.1), and
// whether there is one.
func bearerChallenge(values []string) (string, bool) {
	for _, v := range values {
		if i := strings.Index(strings.ToLower(v), "bearer"); i >= 0 && harness.HasAuthScheme([]string{v}, "Bearer") {
			return v[i:], true
		}
	}
	return "", false
}

// challengeError returns the error attribute of a challenge ("" if none).
func challengeError(challenge string) string {
	m := challengeErrorRE.FindStringSubmatch(challenge)
	if m == nil {
		return ""
	}
	if m[1] != "" {
		return m[1]
	}
	return m[2]
}

func bearerSpecs(e *Env) {
	e.Assert(harness.Assertion{ID: "BEAR-001", Level: MUST, Section: "RFC 6750 §3, §3.1",
		Requirement: "A protected resource MUST refuse a garbage or revoked bearer token with a WWW-Authenticate Bearer challenge; it SHOULD answer 401 with error=\"invalid_token\" (RFC 6750 §3.1)."}, func(c *C) {
		res := c.requireResource()
		type probe struct {
			what, tok string
			revoked   bool
		}
		probes := []probe{{what: "a garbage token", tok: "oauthconform-garbage-" + harness.RandomString(16)}}
		if rev := c.revocationURL(); rev != "" {
			cl := c.RequireClient(profile.RolePrimary)
			// A token the resource never accepted proves nothing revoked:
			// a resource may take only some grants' tokens (a UserInfo
			// endpoint wants a user's), so each grant is tried.
			accepted := func(g *atGrant) string {
				before := c.Env.HTTP.Get(c, res, harness.WithAuthorization("Bearer "+g.at))
				if before.Err != nil || before.Status < 200 || before.Status >= 300 {
					return fmt.Sprintf("the resource does not accept its access token even before revocation (status %d)", before.Status)
				}
				return ""
			}
			if g, why := c.tryATFor(cl, c.Env.Scopes.S1, accepted); g == nil {
				c.Saw("no access token the resource accepts, to revoke: %s; only a garbage token is sent", why)
			} else {
				ex := c.Env.endpointPost(c, rev, cl, url.Values{"token": {g.at}, "token_type_hint": {"access_token"}})
				if ex.Err == nil && ex.Status == http.StatusOK {
					probes = append(probes, probe{what: "a revoked access token", tok: g.at, revoked: true})
					c.Saw("an access token of the %s grant, accepted by the resource, was revoked and is sent too", g.via)
				} else {
					c.Saw("the access token could not be revoked (status %d, error %q): only a garbage token is sent", ex.Status, Str(Body(ex), "error"))
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
				c.Warnf(exchanges(ex), "%s is still accepted by the protected resource (RFC 7009 §2: SHOULD support revoking access tokens)", p.what)
				continue
			}
			c.Must(ex.Status >= 400 && ex.Status < 500, ex, "%s: the protected resource answered %d: it must refuse the token", p.what, ex.Status)
			ch, ok := bearerChallenge(ex.Header.Values("WWW-Authenticate"))
			c.Must(ok, ex, "%s: the refusal (%d) has no WWW-Authenticate Bearer challenge (RFC 6750 §3: MUST)", p.what, ex.Status)
			code := challengeError(ch)
			c.Should(ex.Status == http.StatusUnauthorized, ex, "%s: answered %d; RFC 6750 §3.1 says SHOULD 401 for invalid_token", p.what, ex.Status)
			c.Should(code == "invalid_token", ex, "%s: the challenge's error is %q, not invalid_token (RFC 6750 §3.1)", p.what, code)
		}
	})

	e.Assert(harness.Assertion{ID: "BEAR-002", Level: MUST, Section: "RFC 6750 §3, §3.1",
		Requirement: "A request without a token MUST be refused with a WWW-Authenticate Bearer challenge (RFC 6750 §3); 401 is the expected status, and the challenge SHOULD NOT carry an error code (the request lacked authentication)."}, func(c *C) {
		res := c.requireResource()
		ex := c.Env.HTTP.Get(c, res)
		c.Must(ex.Err == nil, ex, "the request failed: %v", ex.Err)
		c.Must(ex.Status >= 400 && ex.Status < 500, ex, "a request without a token got status %d: it must be refused", ex.Status)
		ch, ok := bearerChallenge(ex.Header.Values("WWW-Authenticate"))
		c.Must(ok, ex, "the refusal (%d) has no WWW-Authenticate Bearer challenge (RFC 6750 §3: MUST)", ex.Status)
		if ex.Status != http.StatusUnauthorized {
			c.Warnf(exchanges(ex), "a request without a token got status %d; 401 is the status of a missing authentication (RFC 6750 §3, RFC 9110 §15.5.2)", ex.Status)
		}
		if code := challengeError(ch); code != "" {
			c.Warnf(exchanges(ex), "the challenge to a request without a token carries error=%q (RFC 6750 §3.1: SHOULD NOT)", code)
		}
	})
}
