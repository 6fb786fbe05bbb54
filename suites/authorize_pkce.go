package suites

import (
	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/engine"
	"github.com/oauthconform/oauthconform/suites/harness"
	"github.com/oauthconform/oauthconform/suites/steps"
)

func init() {
	engine.Register(engine.Group{ID: "AUTHZ-PKCE", Title: "PKCE at the authorize endpoint", Specs: authorizePKCESpecs})
}

// pkceDeclaredRequired reports whether the target declares that cl must use
// PKCE: the dialect or the target requires it of every client, or the
// client is declared require_pkce. Enforcing PKCE is policy (RFC 7636
// §4.4.1, catalogue §4.12), so it is checked only where declared.
func pkceDeclaredRequired(c *engine.C, cl *engine.Client) bool {
	return c.Env.UsesPKCE() && c.Env.PKCERequiredFor(cl) == engine.Declared
}

func authorizePKCESpecs(e *engine.Env) {
	e.Assert(harness.Assertion{ID: "AUTHZ-PKCE-001", Level: engine.MUST, Section: "RFC 7636 §4.2, §4.3, §4.4, §4.6; RFC 9700 §2.1.1; RFC 6749 §3.1",
		Requirement: "S256 is mandatory to implement: an authorization request with an S256 code_challenge MUST get a code, and that code MUST redeem with the matching code_verifier (a server without PKCE ignores both)."}, func(c *engine.C) {
		cl := steps.BrowserClient(c)
		req := steps.CodeFlowRequest(c, cl, harness.RandomString(16))
		v := harness.NewVerifier()
		req.Query.Set("code_challenge", harness.S256(v))
		req.Query.Set("code_challenge_method", "S256")
		_, code, _ := steps.RequireCodeIssued(c, req)
		c.Tokens(c.Env.ExchangeCode(c, cl, code, req.Query.Get("redirect_uri"), v), "redeeming the S256 code with its code_verifier")
		c.Saw("issued a code for an S256 challenge, redeemed with the verifier")
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-PKCE-002", Level: engine.MUST, Section: "RFC 7636 §4.4.1",
		Requirement: "A code_challenge_method the server does not support MUST be refused with invalid_request (or an error page), never answered with a code."}, func(c *engine.C) {
		cl := steps.BrowserClient(c)
		if s, why := c.Env.PKCE(); !s.Expected() {
			c.Skipf("PKCE support is not known (%s); a server without PKCE legitimately ignores code_challenge_method (RFC 6749 §3.1)", why)
		}
		req := steps.CodeFlowRequest(c, cl, harness.RandomString(16))
		req.Query.Set("code_challenge", harness.S256(harness.NewVerifier()))
		req.Query.Set("code_challenge_method", "S512")
		steps.RequireAuthzRefused(c, steps.RequireFlow(c, req), false, "invalid_request")
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-PKCE-003", Level: engine.MUST, Section: "RFC 7636 §4.4.1; RFC 9700 §2.1.1",
		Requirement: "When the server requires PKCE of a client, a request of that client without code_challenge MUST be refused with invalid_request (or an error page), never answered with a code."}, func(c *engine.C) {
		c.RequireBrowser()
		var cl *engine.Client
		for _, role := range []string{profile.RolePublic, profile.RolePrimary, profile.RolePublic2, profile.RoleSecond} {
			if x := c.Env.Client(role); x != nil && pkceDeclaredRequired(c, x) {
				cl = x
				break
			}
		}
		if cl == nil {
			c.Skipf("the target declares no client that must use PKCE (enforcing PKCE is policy; RFC 7636 §4.4.1): declare pkce: required or a client's require_pkce")
		}
		req := steps.CodeFlowRequest(c, cl, harness.RandomString(16))
		req.Query.Del("code_challenge")
		req.Query.Del("code_challenge_method")
		steps.RequireAuthzRefused(c, steps.RequireFlow(c, req), false, "invalid_request")
	})
}
