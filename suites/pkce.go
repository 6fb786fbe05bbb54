package suites

import (
	"fmt"

	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/engine"
	"github.com/oauthconform/oauthconform/suites/harness"
	"github.com/oauthconform/oauthconform/suites/steps"
)

func init() {
	engine.Register(engine.Group{ID: "TOK-PKCE", Title: "PKCE at the token endpoint", Specs: pkceTokenSpecs})
}

// pkcePrimary is C1 for a token-side PKCE spec. It skips when the target has
// no authorization_code grant or no PKCE: an RFC 6749 server without RFC 7636
// legitimately ignores code_challenge and code_verifier (catalogue §2.6).
func pkcePrimary(c *engine.C) *engine.Client {
	c.RequireGrant(profile.GrantAuthorizationCode)
	if s, why := c.Env.PKCE(); !s.Expected() {
		c.Skipf("PKCE support is not declared or advertised (%s): a server without RFC 7636 legitimately ignores code_challenge and code_verifier; declare pkce: supported to check it", why)
	}
	return c.RequireClient(profile.RolePrimary)
}

// pkceS256Code obtains a code for cl with the S256 challenge of verifier.
func pkceS256Code(c *engine.C, cl *engine.Client, verifier string) string {
	code, _ := steps.Code(c, cl, steps.CodeOpts{Scope: c.Env.Scopes.S1, Challenge: harness.S256(verifier), Method: "S256"})
	return code
}

// pkceWideVerifier is a valid verifier of the maximum length, 128, that
// uses every unreserved character class of RFC 7636 §4.1, "." and "~"
// included (they are not in the base64url alphabet).
func pkceWideVerifier() string {
	b := []byte(harness.RandomString(96)) // 128 base64url characters
	copy(b[10:], ".~-_")
	copy(b[100:], "~.")
	return string(b)
}

func pkceTokenSpecs(e *engine.Env) {
	e.Assert(harness.Assertion{ID: "TOK-PKCE-001", Level: engine.MUST, Section: "RFC 7636 §4.5, §4.6, §4.1",
		Requirement: "A code issued with an S256 code_challenge MUST be exchanged for tokens when the matching code_verifier is sent, for any verifier of 43 to 128 unreserved characters."}, func(c *engine.C) {
		cl := pkcePrimary(c)
		for _, v := range []string{harness.NewVerifier(), pkceWideVerifier()} {
			code := pkceS256Code(c, cl, v)
			c.Tokens(c.Env.ExchangeCode(c, cl, code, cl.RedirectURI(), v),
				fmt.Sprintf("S256 exchange with a %d-character verifier", len(v)))
		}
	})

	e.Assert(harness.Assertion{ID: "TOK-PKCE-002", Level: engine.MUST, Section: "RFC 7636 §4.6",
		Requirement: "A code_verifier that does not match the code's S256 challenge MUST be refused with invalid_grant."}, func(c *engine.C) {
		cl := pkcePrimary(c)
		code := pkceS256Code(c, cl, harness.NewVerifier())
		c.Refused(c.Env.ExchangeCode(c, cl, code, cl.RedirectURI(), harness.NewVerifier()), false, "invalid_grant")
	})

	e.Assert(harness.Assertion{ID: "TOK-PKCE-003", Level: engine.MUST, Section: "RFC 9700 §2.1.1; RFC 7636 §4.5",
		Requirement: "A code issued with a code_challenge MUST NOT be redeemed without a code_verifier (invalid_grant or invalid_request)."}, func(c *engine.C) {
		cl := pkcePrimary(c)
		code := pkceS256Code(c, cl, harness.NewVerifier())
		c.Refused(c.Env.ExchangeCode(c, cl, code, cl.RedirectURI(), ""), true, "invalid_grant", "invalid_request")
	})

	e.Assert(harness.Assertion{ID: "TOK-PKCE-004", Level: engine.MUST, Section: "RFC 9700 §2.1.1, §4.8.2",
		Requirement: "A code issued without a code_challenge MUST NOT be redeemed with a code_verifier (PKCE downgrade); any error code is accepted."}, func(c *engine.C) {
		c.RequireBCP()
		cl := pkcePrimary(c)
		code, res := steps.TryCode(c, cl, steps.CodeOpts{Scope: c.Env.Scopes.S1})
		if code == "" {
			c.Skipf("the authorization request without code_challenge was refused (error %q): PKCE is required, so no downgrade is possible", res.Error())
		}
		ex := c.Env.ExchangeCode(c, cl, code, cl.RedirectURI(), harness.NewVerifier())
		c.Must(!engine.Issued(ex), ex, "a code issued without code_challenge was redeemed with a code_verifier: PKCE downgrade (RFC 9700 §4.8.2)")
		c.NotIssued(ex, "the redemption with a code_verifier")
		c.Saw("refused with %q (status %d)", harness.ErrorCodeOf(ex), ex.Status)
	})

	e.Assert(harness.Assertion{ID: "TOK-PKCE-005", Level: engine.MAY, Section: "RFC 7636 §4.2, §4.3, §4.4.1",
		Requirement: "The plain method MAY be supported: a plain code_challenge (method plain, or no method) is either refused at the authorize endpoint, or its code MUST then be redeemed with the matching code_verifier."}, func(c *engine.C) {
		cl := pkcePrimary(c)
		for _, m := range []struct{ method, what string }{
			{"plain", "code_challenge_method=plain"},
			{"", "a code_challenge without code_challenge_method (plain, RFC 7636 §4.3)"},
		} {
			v := harness.NewVerifier()
			code, res := steps.TryCode(c, cl, steps.CodeOpts{Scope: c.Env.Scopes.S1, Challenge: v, Method: m.method})
			if code == "" {
				c.Saw("%s: refused at the authorize endpoint (error %q): plain is not supported", m.what, res.Error())
				continue
			}
			ex := c.Env.ExchangeCode(c, cl, code, cl.RedirectURI(), v)
			c.Must(engine.Issued(ex), ex, "%s: the authorize endpoint accepted the plain challenge, but the exchange with the matching code_verifier failed (error %q)", m.what, harness.ErrorCodeOf(ex))
			c.Saw("%s: accepted and redeemed", m.what)
			if s, _ := c.Env.PKCEMethod("plain"); s != engine.Declared && s != engine.Advertised {
				c.Infof("%s was accepted although nothing declares or advertises plain", m.what)
			}
		}
	})

	e.Assert(harness.Assertion{ID: "TOK-PKCE-006", Level: engine.MUST, Section: "RFC 7636 §4.4, §4.6",
		Requirement: "The server MUST apply the challenge method recorded with the code: sending an S256 challenge itself as code_verifier (a plain comparison) is refused with invalid_grant."}, func(c *engine.C) {
		cl := pkcePrimary(c)
		v := harness.NewVerifier()
		code := pkceS256Code(c, cl, v)
		c.Refused(c.Env.ExchangeCode(c, cl, code, cl.RedirectURI(), harness.S256(v)), false, "invalid_grant")
	})

	e.Assert(harness.Assertion{ID: "TOK-PKCE-007", Level: engine.SHOULD, Section: "RFC 7636 §4.1",
		Requirement: "The server SHOULD refuse a code_verifier outside the RFC 7636 syntax (43 to 128 unreserved characters) even when it matches the challenge; the syntax binds the client, so this is hardening (WARN)."}, func(c *engine.C) {
		cl := pkcePrimary(c)
		v := harness.NewVerifier()
		for _, bad := range []struct{ v, what string }{
			{v[:42], "a 42-character verifier"},
			{v[:20] + "+/" + v[22:], `a verifier containing "+" and "/"`},
		} {
			code := pkceS256Code(c, cl, bad.v)
			ex := c.Env.ExchangeCode(c, cl, code, cl.RedirectURI(), bad.v)
			if engine.Issued(ex) {
				c.Warnf(engine.Exchanges(ex), "%s was accepted; RFC 7636 §4.1 allows only 43 to 128 unreserved characters", bad.what)
				continue
			}
			c.Saw("%s: refused with %q (status %d)", bad.what, harness.ErrorCodeOf(ex), ex.Status)
		}
	})
}
