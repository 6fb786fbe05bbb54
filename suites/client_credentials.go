package suites

import (
	"net/url"

	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/engine"
	"github.com/oauthconform/oauthconform/suites/harness"
	"github.com/oauthconform/oauthconform/suites/steps"
)

func init() {
	engine.Register(engine.Group{ID: "TOK-CC", Title: "client_credentials grant", Specs: clientCredentialsSpecs})
}

func clientCredentialsSpecs(e *engine.Env) {
	e.Assert(harness.Assertion{ID: "TOK-CC-001", Level: engine.MUST, Section: "RFC 6749 §4.4.2, §4.4.3",
		Requirement: "The client_credentials grant MUST require client authentication: an authenticated confidential client receives an access token, a request without client authentication receives none."}, func(c *engine.C) {
		cl := steps.ClientCredentialsClient(c)
		ex := c.Env.ClientCredentials(c, cl, c.Env.Scopes.S1)
		c.Tokens(ex, "client_credentials as the authenticated primary client")

		// The same request with no client authentication at all: no
		// Authorization header, no client_id, no client_secret.
		form := url.Values{"grant_type": {"client_credentials"}}
		if s := c.Env.Scopes.S1; s != "" {
			form.Set("scope", s)
		}
		anon := c.Env.Token(c, nil, form)
		c.Must(!engine.Issued(anon), anon, "client_credentials issued tokens to a request without any client authentication (RFC 6749 §4.4.2: the client MUST authenticate)")
		// §5.2 names invalid_client for "no client authentication included";
		// invalid_request is common too (catalogue §4.8). Other codes warn.
		c.Refused(anon, true, "invalid_client", "invalid_request")
	})

	e.Assert(harness.Assertion{ID: "TOK-CC-002", Level: engine.SHOULD, Section: "RFC 6749 §4.4.3",
		Requirement: "A refresh token SHOULD NOT be included in a client_credentials token response."}, func(c *engine.C) {
		cl := steps.ClientCredentialsClient(c)
		ex := c.Env.ClientCredentials(c, cl, c.Env.Scopes.S1)
		if !engine.Issued(ex) {
			c.Skipf("client_credentials issued no token to inspect (status %d, error %q): TOK-CC-001's business", ex.Status, harness.ErrorCodeOf(ex))
		}
		if engine.Str(engine.Body(ex), "refresh_token") == "" {
			c.Saw("no refresh_token in the client_credentials response")
			return
		}
		if c.Env.RequiresRefreshFor(profile.GrantClientCredentials) {
			c.Saw("the client_credentials response carries a refresh_token, as the %s dialect requires (a departure from RFC 6749 §4.4.3's SHOULD NOT that the dialect documents)", c.Env.Dialect.Name)
			return
		}
		c.Warnf(engine.Exchanges(ex), "the client_credentials response carries a refresh_token (RFC 6749 §4.4.3: SHOULD NOT)")
	})

	e.Assert(harness.Assertion{ID: "TOK-CC-003", Level: engine.MUST, Section: "RFC 6749 §3.3, §5.2",
		Requirement: "An unknown requested scope value MUST be refused with invalid_scope, or ignored with the granted scope reported without it."}, func(c *engine.C) {
		cl := steps.ClientCredentialsClient(c)
		const unknown = "zz-unknown-scope"
		ex := c.Env.ClientCredentials(c, cl, unknown)
		if !engine.Issued(ex) {
			c.Refused(ex, false, "invalid_scope")
			c.Saw("refused the unknown scope with invalid_scope (status %d)", ex.Status)
			return
		}
		c.RequireClosedVocabulary(unknown)
		scope, reported := steps.ScopeGranted(engine.Body(ex), unknown)
		c.Must(reported, ex, "tokens were issued for scope %q and the response has no scope member: it claims the unknown value was granted (RFC 6749 §3.3 requires scope when the grant differs)", unknown)
		c.Must(!harness.ScopeSet(scope)[unknown], ex, "the unknown scope value was granted (scope %q)", scope)
		c.Saw("ignored the unknown scope value and reported scope %q", scope)
	})

	e.Assert(harness.Assertion{ID: "TOK-CC-004", Level: engine.MUST, Section: "RFC 6749 §3.3, §5.2",
		Requirement: "A malformed scope (a scope-token with a character outside %x21 / %x23-5B / %x5D-7E) MUST NOT be granted; it is refused with invalid_scope (or invalid_request)."}, func(c *engine.C) {
		cl := steps.ClientCredentialsClient(c)
		for _, bad := range []string{`bad"scope`, `a\b`} {
			ex := c.Env.ClientCredentials(c, cl, bad)
			if !engine.Issued(ex) {
				c.Refused(ex, true, "invalid_scope", "invalid_request")
				continue
			}
			scope, reported := steps.ScopeGranted(engine.Body(ex), bad)
			c.Must(reported, ex, "tokens were issued for the malformed scope %q and the response has no scope member: it claims the malformed value was granted", bad)
			c.Must(!harness.ScopeSet(scope)[bad], ex, "the malformed scope value %q was granted (scope %q)", bad, scope)
			c.Warnf(engine.Exchanges(ex), "the malformed scope %q was ignored and tokens were issued for %q; RFC 6749 §5.2 defines invalid_scope for a malformed scope", bad, scope)
		}
	})

	e.Assert(harness.Assertion{ID: "TOK-CC-005", Level: engine.MUST, Section: "RFC 6749 §3.3",
		Requirement: "The order of space-delimited scope values MUST NOT matter: \"s1 s2\" and \"s2 s1\" are granted alike."}, func(c *engine.C) {
		cl := steps.ClientCredentialsClient(c)
		s1, s2 := c.Env.Scopes.S1, c.Env.Scopes.S2
		if s1 == "" || s2 == "" {
			c.Skipf("fewer than two scope values are known (declare scopes to check it)")
		}
		fwd, rev := s1+" "+s2, s2+" "+s1
		exA := c.Env.ClientCredentials(c, cl, fwd)
		exB := c.Env.ClientCredentials(c, cl, rev)
		switch okA, okB := engine.Issued(exA), engine.Issued(exB); {
		case okA != okB:
			c.Failf(engine.Exchanges(exA, exB), "scope %q issued tokens: %v, scope %q: %v; the order of scope values changed the outcome", fwd, okA, rev, okB)
		case !okA:
			// Both refused: alike, as long as each is a real refusal.
			c.NotIssued(exA, "scope "+fwd)
			c.NotIssued(exB, "scope "+rev)
			ea, eb := harness.ErrorCodeOf(exA), harness.ErrorCodeOf(exB)
			c.Must(ea == eb, exB, "scope %q was refused with %q but scope %q with %q", fwd, ea, rev, eb)
			c.Skipf("precondition not met: both orders were refused alike (%q), so the client may not hold both scopes; declare scopes the primary client is registered for", ea)
		}
		a, b := engine.Body(exA), engine.Body(exB)
		ga, _ := steps.ScopeGranted(a, fwd)
		gb, _ := steps.ScopeGranted(b, rev)
		if !harness.SameScopes(ga, gb) {
			c.Failf(engine.Exchanges(exA, exB), "scope %q was granted %q but scope %q was granted %q: the order of scope values changed the grant", fwd, ga, rev, gb)
		}
		c.Saw("both orders granted %q", ga)
	})

	e.Assert(harness.Assertion{ID: "TOK-CC-006", Level: engine.MUST, Section: "RFC 6749 §3.3",
		Requirement: "A request without scope MUST be processed with the pre-defined default scope or refused with invalid_scope."}, func(c *engine.C) {
		cl := steps.ClientCredentialsClient(c)
		ex := c.Env.ClientCredentials(c, cl, "")
		if !engine.Issued(ex) {
			c.Refused(ex, false, "invalid_scope")
			c.Saw("refused the request without scope with invalid_scope (status %d)", ex.Status)
			return
		}
		scope, reported := steps.ScopeGranted(engine.Body(ex), "")
		def, known := c.Env.Scopes.Default, c.Env.Scopes.DefaultKnown
		switch {
		case !reported:
			c.Saw("processed with a default; the response does not report the scope")
		case !known:
			c.Saw("processed with a default nothing declares: scope %q", scope)
		default:
			// The default is declared (§3.3 "SHOULD document its scope
			// requirements and default value"): a grant beyond it is not the
			// pre-defined default. A WARN: the declaration may be stale.
			c.Should(harness.SubsetScopes(scope, def), ex, "without a scope the server granted %q, beyond the declared default %q", scope, def)
			c.Saw("processed with the default scope %q", scope)
		}
	})
}
