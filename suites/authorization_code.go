package suites

import (
	"net/url"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/engine"
	"github.com/oauthconform/oauthconform/suites/harness"
	"github.com/oauthconform/oauthconform/suites/steps"
)

func init() {
	engine.Register(engine.Group{ID: "TOK-AC", Title: "authorization_code grant", Specs: authorizationCodeSpecs})
}

// acConcurrent is how many redemptions of one code TOK-AC-006 races.
const acConcurrent = 5

// acReplayDelay is the OpenID conformance suite's pause before a second
// redemption (TOK-AC-014).
const acReplayDelay = 30 * time.Second

// acUsesPKCE reports whether the TOK-AC specs send an S256 challenge with
// cl's codes: when the dialect or the target requires PKCE of cl, and for
// public clients wherever PKCE may be supported (RFC 9700 §2.1.1: public
// clients MUST use it). A confidential client otherwise sends the plain
// RFC 6749 request, so that these specs do not depend on PKCE (the TOK-PKCE
// specs check it).
func acUsesPKCE(e *engine.Env, cl *engine.Client) bool {
	if !e.UsesPKCE() {
		return false
	}
	return cl.Public() || e.PKCERequiredFor(cl) == engine.Declared
}

// acCode obtains a code for cl, with an S256 challenge when acUsesPKCE, and
// returns it with the matching code_verifier ("" without PKCE). A flow that
// yields no code skips the spec (see steps.Code).
func acCode(c *engine.C, cl *engine.Client, o steps.CodeOpts) (code, verifier string) {
	if o.Scope == "" {
		o.Scope = c.Env.Scopes.S1
	}
	if acUsesPKCE(c.Env, cl) {
		verifier = harness.NewVerifier()
		o.Challenge, o.Method = harness.S256(verifier), "S256"
	}
	code, _ = steps.Code(c, cl, o)
	return code, verifier
}

// acPrimary is C1 for a code-grant spec: it skips when the target has no
// authorization_code grant or no primary client.
func acPrimary(c *engine.C) *engine.Client {
	c.RequireGrant(profile.GrantAuthorizationCode)
	return c.RequireClient(profile.RolePrimary)
}

// acFirst requires a code's redemption by its own client to have
// succeeded: a precondition of the specs about reuse and binding, whose
// failure is TOK-AC-001's (or TOK-AUTH-011's, for public clients) business,
// so the spec skips rather than fails.
func acFirst(c *engine.C, ex *harness.Exchange) map[string]any {
	if !engine.Issued(ex) {
		c.Skipf("precondition not met: a fresh code was not redeemed by the client it was issued to (status %d, error %q); TOK-AC-001 and TOK-AUTH-011 check redemption",
			ex.Status, harness.ErrorCodeOf(ex))
	}
	return engine.Body(ex)
}

// acSkipOOB skips specs about the redirect_uri comparison in a dialect
// whose redirect URI is fixed and required on every token request.
func acSkipOOB(c *engine.C) {
	if oob := c.Env.Dialect.Authorize.OOBRedirectURI; oob != "" {
		c.Skipf("the %s dialect fixes redirect_uri to %s and requires it on every token request, so the RFC 6749 §4.1.3 redirect_uri rules do not apply", c.Env.Dialect.Name, oob)
	}
}

// acSlow marks a spec that waits d on a real target: it is labelled slow
// and its timeout covers the wait. On the embedded mock the clock jumps.
func acSlow(e *engine.Env, d time.Duration) []any {
	if e.Clock != nil {
		return nil
	}
	return []any{Label(engine.LabelSlow), SpecTimeout(d + engine.DefaultSpecTimeout)}
}

// acCodeLifetime is the lifetime TOK-AC-011 waits out: the declared one, or
// the RECOMMENDED maximum of 10 minutes when none is declared, plus a margin
// (5 s for a declared lifetime, 30 s otherwise).
func acCodeLifetime(e *engine.Env) (lifetime, wait time.Duration, declared bool) {
	if e.CodeLifetime > 0 {
		return e.CodeLifetime, e.CodeLifetime + 5*time.Second, true
	}
	return 10 * time.Minute, 10*time.Minute + 30*time.Second, false
}

// acPublic requires the authorization code grant and returns the public
// client (P1), or skips when that role's client is not public.
func acPublic(c *engine.C) *engine.Client {
	c.RequireGrant(profile.GrantAuthorizationCode)
	p1 := c.RequireClient(profile.RolePublic)
	if !p1.Public() {
		c.Skipf("the %q client is not public", profile.RolePublic)
	}
	return p1
}

// acOtherPublic returns a public client other than p1 (P2): the public-2
// role, else another role that is public in this dialect.
func acOtherPublic(c *engine.C, p1 *engine.Client) *engine.Client {
	for _, role := range []string{profile.RolePublic2, profile.RoleSecond, profile.RolePrimary} {
		if cl := c.Env.Client(role); cl != nil && cl.Public() && cl.ID != p1.ID {
			return cl
		}
	}
	c.Skipf("the target configuration has no second public client (role %q)", profile.RolePublic2)
	return nil
}

func authorizationCodeSpecs(e *engine.Env) {
	e.Assert(harness.Assertion{ID: "TOK-AC-001", Level: engine.MUST, Section: "RFC 6749 §4.1.3, §4.1.4",
		Requirement: "A valid authorization code, redeemed by the client it was issued to with the redirect_uri of its authorization request, MUST be exchanged for an access token (a refresh token is optional)."}, func(c *engine.C) {
		cl := acPrimary(c)
		code, v := acCode(c, cl, steps.CodeOpts{Scope: c.Env.Scopes.S1})
		c.Tokens(c.Env.ExchangeCode(c, cl, code, cl.RedirectURI(), v), "code exchange")
		if v != "" {
			c.Saw("the code carried an S256 challenge (public client or PKCE required)")
		}
	})

	e.Assert(harness.Assertion{ID: "TOK-AC-002", Level: engine.MUST, Section: "RFC 6749 §4.1.3, §5.2",
		Requirement: "A code exchange without the REQUIRED code parameter MUST be refused with invalid_request."}, func(c *engine.C) {
		cl := acPrimary(c)
		form := url.Values{"grant_type": {profile.GrantAuthorizationCode}}
		if r := cl.RedirectURI(); r != "" {
			form.Set("redirect_uri", r)
		}
		c.Refused(c.Env.Token(c, cl, form), false, "invalid_request")
	})

	e.Assert(harness.Assertion{ID: "TOK-AC-003", Level: engine.MUST, Section: "RFC 6749 §5.2",
		Requirement: "An invalid (unknown) authorization code MUST be refused with invalid_grant."}, func(c *engine.C) {
		cl := acPrimary(c)
		// A verifier where PKCE may be supported: a server requiring it may
		// check for a missing one before it looks the code up.
		v := ""
		if c.Env.UsesPKCE() {
			v = harness.NewVerifier()
		}
		if cl.RedirectURI() == "" {
			// Without a configured redirect URI the request lacks one a
			// server may require first (invalid_request).
			c.Refused(c.Env.ExchangeCode(c, cl, "garbage-"+harness.RandomString(16), "", v), true, "invalid_grant", "invalid_request")
			return
		}
		c.Refused(c.Env.ExchangeCode(c, cl, "garbage-"+harness.RandomString(16), cl.RedirectURI(), v), false, "invalid_grant")
	})

	e.Assert(harness.Assertion{ID: "TOK-AC-014", Level: engine.MUST, Section: "RFC 6749 §4.1.2, §10.5; RFC 9700 §4.2.4",
		Requirement: "An authorization code MUST stay single-use over time: redeemed again 30 s after its first redemption, it is refused with invalid_grant."}, func(c *engine.C) {
		cl := acPrimary(c)
		if l := c.Env.CodeLifetime; l > 0 && l <= acReplayDelay+5*time.Second {
			c.Skipf("the declared code lifetime %s is too short to tell a refused replay from an expired code", l)
		}
		code, v := acCode(c, cl, steps.CodeOpts{})
		acFirst(c, c.Env.ExchangeCode(c, cl, code, cl.RedirectURI(), v))
		if err := c.Env.Wait(c, acReplayDelay, "before replaying a redeemed code"); err != nil {
			c.Failf(nil, "interrupted while waiting %s: %v", acReplayDelay, err)
		}
		c.Refused(c.Env.ExchangeCode(c, cl, code, cl.RedirectURI(), v), false, "invalid_grant")
	}, acSlow(e, acReplayDelay)...)

	e.Assert(harness.Assertion{ID: "TOK-AC-004", Level: engine.MUST, Section: "RFC 6749 §4.1.2, §10.5; RFC 9700 §4.2.4",
		Requirement: "An authorization code MUST be single-use: a second redemption right after the first is refused with invalid_grant."}, func(c *engine.C) {
		cl := acPrimary(c)
		code, v := acCode(c, cl, steps.CodeOpts{})
		acFirst(c, c.Env.ExchangeCode(c, cl, code, cl.RedirectURI(), v))
		c.Refused(c.Env.ExchangeCode(c, cl, code, cl.RedirectURI(), v), false, "invalid_grant")
	})

	e.Assert(harness.Assertion{ID: "TOK-AC-005", Level: engine.SHOULD, Section: "RFC 6749 §4.1.2, §10.5",
		Requirement: "When a code is redeemed a second time, the server SHOULD revoke the tokens issued on its first redemption: its refresh token is refused, and introspection and the protected resource (where the target has them) no longer accept its access token."}, func(c *engine.C) {
		cl := acPrimary(c)
		code, v := acCode(c, cl, steps.CodeOpts{})
		first := c.Env.ExchangeCode(c, cl, code, cl.RedirectURI(), v)
		b := acFirst(c, first)
		rt, at := engine.Str(b, "refresh_token"), engine.Str(b, "access_token")
		live := steps.LiveOracles(c, at, "access_token", cl)
		replay := c.Env.ExchangeCode(c, cl, code, cl.RedirectURI(), v)
		if engine.Issued(replay) {
			c.Skipf("the replayed code was redeemed again (TOK-AC-004 fails), so there was no refused reuse to react to")
		}
		probes := 0
		var active []string
		ev := engine.Exchanges(first, replay)
		if rt != "" && c.Env.HasGrant(profile.GrantRefreshToken) {
			probes++
			ex := c.Env.Refresh(c, cl, rt, "")
			if engine.Issued(ex) {
				active, ev = append(active, "the refresh token still refreshes"), append(ev, ex)
			} else {
				c.Saw("the first redemption's refresh token was refused with %q (status %d)", harness.ErrorCodeOf(ex), ex.Status)
			}
		}
		for _, s := range steps.TokenStates(c, at, "access_token", cl, live) {
			probes++
			if s.Active {
				active, ev = append(active, "the access token is still active according to "+s.Via), append(ev, s.Ex)
			} else {
				c.Saw("%s no longer accepts the first redemption's access token", s.Via)
			}
		}
		if probes == 0 {
			c.Skipf("no revocation probe is available: no refresh token was issued, and the target has no introspection endpoint or protected resource that accepted the access token before the replay")
		}
		if len(active) > 0 {
			c.Warnf(ev, "after the code was replayed, the tokens issued from it were not revoked: %s", strings.Join(active, "; "))
		}
	})

	e.Assert(harness.Assertion{ID: "TOK-AC-006", Level: engine.MUST, Section: "RFC 6749 §4.1.2, §10.5",
		Requirement: "Concurrent redemptions of one code MUST issue tokens at most once; the others are refused with invalid_grant."}, func(c *engine.C) {
		cl := acPrimary(c)
		code, v := acCode(c, cl, steps.CodeOpts{})
		exs := make([]*harness.Exchange, acConcurrent)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range exs {
			wg.Go(func() {
				<-start
				exs[i] = c.Env.ExchangeCode(c, cl, code, cl.RedirectURI(), v)
			})
		}
		close(start)
		wg.Wait()
		var won []*harness.Exchange
		for _, ex := range exs {
			if engine.Issued(ex) {
				won = append(won, ex)
			}
		}
		if len(won) > 1 {
			c.Failf(won, "%d of %d concurrent redemptions of one code issued tokens", len(won), acConcurrent)
		}
		if len(won) == 0 {
			c.Skipf("none of the %d concurrent redemptions succeeded, so single use under concurrency cannot be judged; TOK-AC-001 checks redemption", acConcurrent)
		}
		for _, ex := range exs {
			if !engine.Issued(ex) {
				c.Refused(ex, false, "invalid_grant")
			}
		}
	})

	e.Assert(harness.Assertion{ID: "TOK-AC-007", Level: engine.MUST, Section: "RFC 6749 §4.1.3, §5.2, §10.5",
		Requirement: "A code issued to one client MUST be refused with invalid_grant when another authenticated confidential client redeems it."}, func(c *engine.C) {
		c1 := acPrimary(c)
		c2 := c.RequireClient(profile.RoleSecond)
		if c2.Public() {
			c.Skipf("the second client is public in this dialect; TOK-AC-013 checks codes presented by another public client")
		}
		code, v := acCode(c, c1, steps.CodeOpts{})
		c.Refused(c.Env.ExchangeCode(c, c2, code, c1.RedirectURI(), v), false, "invalid_grant")

		// Variant: C2's credentials with body client_id=C1. No check order is
		// specified, so invalid_client, invalid_grant and invalid_request
		// (conflicting identities) are all compliant; tokens are not.
		if c2.Method != profile.AuthBasic {
			return
		}
		code, v = acCode(c, c1, steps.CodeOpts{})
		form := url.Values{"grant_type": {profile.GrantAuthorizationCode}, "code": {code}, "client_id": {c1.ID}}
		if r := c1.RedirectURI(); r != "" {
			form.Set("redirect_uri", r)
		}
		if v != "" {
			form.Set("code_verifier", v)
		}
		c.Refused(c.Env.Token(c, c2, form), true, "invalid_grant", "invalid_client", "invalid_request")
	})

	e.Assert(harness.Assertion{ID: "TOK-AC-008", Level: engine.MUST, Section: "RFC 6749 §4.1.3, §5.2, §10.6; RFC 9700 §4.5.2",
		Requirement: "A code exchange whose redirect_uri differs from the authorization request's MUST be refused with invalid_grant."}, func(c *engine.C) {
		cl, r := acPrimaryRedirect(c)
		code, v := acCode(c, cl, steps.CodeOpts{RedirectURI: r})
		c.Refused(c.Env.ExchangeCode(c, cl, code, r+"x", v), false, "invalid_grant")

		// With a second registered URI of the same client (CM), when there is one.
		cm := c.Env.Client(profile.RoleMultiRedirect)
		if cm == nil || len(cm.RedirectURIs) < 2 {
			return
		}
		code, v = acCode(c, cm, steps.CodeOpts{RedirectURI: cm.RedirectURIs[0]})
		c.Refused(c.Env.ExchangeCode(c, cm, code, cm.RedirectURIs[1], v), false, "invalid_grant")
	})

	e.Assert(harness.Assertion{ID: "TOK-AC-009", Level: engine.MUST, Section: "RFC 6749 §4.1.3",
		Requirement: "When the authorization request carried redirect_uri, a code exchange without it MUST be refused (invalid_request or invalid_grant)."}, func(c *engine.C) {
		cl, r := acPrimaryRedirect(c)
		code, v := acCode(c, cl, steps.CodeOpts{RedirectURI: r})
		c.Refused(c.Env.ExchangeCode(c, cl, code, "", v), true, "invalid_request", "invalid_grant")
	})

	e.Assert(harness.Assertion{ID: "TOK-AC-010", Level: engine.MAY, Section: "RFC 6749 §4.1.1, §4.1.3",
		Requirement: "A client with a single registered redirect URI MAY leave redirect_uri out of the authorization request, and then out of the code exchange, which is expected to succeed (stricter profiles such as OIDC require it: WARN)."}, func(c *engine.C) {
		acSkipOOB(c)
		c.RequireGrant(profile.GrantAuthorizationCode)
		var cs *engine.Client
		for _, role := range []string{profile.RolePrimary, profile.RoleSecond, profile.RolePublic} {
			if cl := c.Env.Client(role); cl != nil && len(cl.RedirectURIs) == 1 {
				cs = cl
				break
			}
		}
		if cs == nil {
			c.Skipf("the target configuration has no client with exactly one registered redirect URI")
		}
		o := steps.CodeOpts{OmitRedirectURI: true}
		var v string
		if acUsesPKCE(c.Env, cs) {
			v = harness.NewVerifier()
			o.Challenge, o.Method = harness.S256(v), "S256"
		}
		code, res := steps.TryCode(c, cs, o)
		if code == "" {
			c.Warnf(res.Evidence(), "the authorization request without redirect_uri was refused (error %q); RFC 6749 §4.1.1 makes it OPTIONAL for a client with one registered URI", res.Error())
			return
		}
		ex := c.Env.ExchangeCode(c, cs, code, "", v)
		if !engine.Issued(ex) {
			c.Warnf(engine.Exchanges(ex), "a code requested without redirect_uri was not redeemed without redirect_uri (error %q); RFC 6749 §4.1.3 requires it only when the authorization request carried it", harness.ErrorCodeOf(ex))
			return
		}
		c.Saw("redeemed a code without redirect_uri for a client with one registered URI")
	})

	lifetime, wait, declared := acCodeLifetime(e)
	e.Assert(harness.Assertion{ID: "TOK-AC-011", Level: engine.MUST, Section: "RFC 6749 §4.1.2, §10.5",
		Requirement: "An authorization code MUST expire shortly after issue: redeemed once its declared lifetime has passed, it is refused with invalid_grant; a lifetime over 10 minutes is against the RECOMMENDED maximum (WARN)."}, func(c *engine.C) {
		cl := acPrimary(c)
		if lifetime > 10*time.Minute {
			c.Warnf(nil, "the declared code lifetime %s exceeds the RECOMMENDED maximum of 10 minutes", lifetime)
		}
		if !declared {
			c.Infof("no code lifetime is declared: assuming the RECOMMENDED maximum of 10 minutes")
		}
		code, v := acCode(c, cl, steps.CodeOpts{Scope: c.Env.Scopes.S1})
		if err := c.Env.Wait(c, wait, "for the authorization code to expire"); err != nil {
			c.Skipf("interrupted while waiting %s: %v", wait, err)
		}
		ex := c.Env.ExchangeCode(c, cl, code, cl.RedirectURI(), v)
		if !declared && engine.Issued(ex) {
			// Without a declared lifetime only the RECOMMENDED maximum is
			// known: a longer-lived code breaches a SHOULD, not a MUST.
			c.Warnf(engine.Exchanges(ex), "the code was still redeemed %s after issue; RFC 6749 §4.1.2 RECOMMENDS at most 10 minutes (declare code_lifetime to check the server's own)", wait)
			return
		}
		c.Refused(ex, false, "invalid_grant")
	}, acSlow(e, wait)...)

	e.Assert(harness.Assertion{ID: "TOK-AC-012", Level: engine.MUST, Section: "RFC 6749 §3.2.1, §4.1.3",
		Requirement: "A public client's code exchange that carries neither client_id nor credentials MUST be refused (invalid_request or invalid_client): an unauthenticated client MUST send its client_id."}, func(c *engine.C) {
		p1 := acPublic(c)
		code, v := acCode(c, p1, steps.CodeOpts{})
		form := url.Values{"grant_type": {profile.GrantAuthorizationCode}, "code": {code}}
		if r := p1.RedirectURI(); r != "" {
			form.Set("redirect_uri", r)
		}
		if v != "" {
			form.Set("code_verifier", v)
		}
		c.Refused(c.Env.Token(c, nil, form), true, "invalid_request", "invalid_client")
	})

	e.Assert(harness.Assertion{ID: "TOK-AC-013", Level: engine.MUST, Section: "RFC 6749 §4.1.3",
		Requirement: "A public client's code presented with another public client's client_id MUST be refused with invalid_grant."}, func(c *engine.C) {
		p1 := acPublic(c)
		p2 := acOtherPublic(c, p1)
		// Precondition: P2 can redeem codes of its own, so that a refusal
		// below is about the code's binding, not about P2.
		own, ownV := acCode(c, p2, steps.CodeOpts{})
		acFirst(c, c.Env.ExchangeCode(c, p2, own, p2.RedirectURI(), ownV))
		code, v := acCode(c, p1, steps.CodeOpts{})
		form := url.Values{"grant_type": {profile.GrantAuthorizationCode}, "code": {code}, "client_id": {p2.ID}}
		if r := p1.RedirectURI(); r != "" {
			form.Set("redirect_uri", r)
		}
		if v != "" {
			form.Set("code_verifier", v)
		}
		c.Refused(c.Env.Token(c, p2, form), false, "invalid_grant")
	})
}

// acPrimaryRedirect returns the primary client and its registered redirect
// URI, skipping for the out-of-band dialect (its redirect_uri is fixed) and
// for a client with none.
func acPrimaryRedirect(c *engine.C) (*engine.Client, string) {
	acSkipOOB(c)
	cl := acPrimary(c)
	r := cl.RedirectURI()
	if r == "" {
		c.Skipf("the primary client has no registered redirect URI")
	}
	return cl, r
}
