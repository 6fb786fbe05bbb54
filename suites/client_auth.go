package suites

import (
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/engine"
	"github.com/oauthconform/oauthconform/suites/harness"
	"github.com/oauthconform/oauthconform/suites/steps"
)

func init() {
	engine.Register(engine.Group{ID: "TOK-AUTH", Title: "client authentication at the token endpoint", Specs: clientAuthSpecs})
}

// authRoleSacrificial is the client role TOK-AUTH-013 may lock out. The
// default fixtures register sacrificial-client for it; a real target opts in
// by naming a client with this role, so nobody's working client is locked.
const authRoleSacrificial = profile.RoleSacrificial

// authRequireMethod skips unless the profile enables the client
// authentication method.
// authRequireMethod skips unless client authentication method m may be
// offered, and returns what is known of it: a refusal of a method nothing
// promised is the server's choice.
func authRequireMethod(c *engine.C, m string) engine.Support {
	s, why := c.Env.AuthMethod(m)
	if s == engine.Absent {
		c.Skipf("%s", why)
	}
	return s
}

// authTokens is Tokens for a request authenticated with method m: when
// nothing promised m, a refusal with invalid_client (the method is not
// accepted) skips rather than fails.
func authTokens(c *engine.C, m string, ex *harness.Exchange, what string) {
	if s, why := c.Env.AuthMethod(m); !s.Expected() && !engine.Issued(ex) && harness.ErrorCodeOf(ex) == "invalid_client" {
		c.Skipf("precondition not met: %s was refused with invalid_client, and nothing promised the %s method: %s", what, m, why)
	}
	c.Tokens(ex, what)
}

// authClientFor returns the confidential client of role when it may
// authenticate with method m: a client registered for another method (RFC
// 7591 token_endpoint_auth_method) may lawfully be refused m, so the
// spec then uses another confidential client registered for m, or skips.
func authClientFor(c *engine.C, role, m string) *engine.Client {
	cl := steps.ConfidentialClient(c, role)
	if cl.MayUse(m) {
		return cl
	}
	if role == profile.RolePrimary {
		for _, r := range []string{profile.RoleSecond, profile.RoleMultiRedirect, profile.RoleQueryRedirect} {
			if o := c.Env.Client(r); o != nil && !o.Public() && o.MayUse(m) {
				return o
			}
		}
	}
	c.Skipf("client %q may not use %s (registered for %s, or refused with it), and no other confidential client may: declare a client with auth_method %s to check it", cl.ID, m, cl.Method, m)
	return nil
}

// authRawBasic is an Authorization value with the scheme as given and the
// base64 of the exact bytes (no form encoding).
func authRawBasic(scheme, credentials string) string {
	return scheme + " " + base64.StdEncoding.EncodeToString([]byte(credentials))
}

func clientAuthSpecs(e *engine.Env) {
	e.Assert(harness.Assertion{ID: "TOK-AUTH-001", Level: engine.MUST, Section: "RFC 6749 §2.3.1",
		Requirement: "The authorization server MUST support HTTP Basic client authentication: a confidential client's token request with Basic credentials (RFC 6749's example request, no Accept header) succeeds."}, func(c *engine.C) {
		authRequireMethod(c, profile.AuthBasic)
		cl := authClientFor(c, profile.RolePrimary, profile.AuthBasic)
		form, what := steps.CodeBaseline(c, cl)
		ex := c.Env.Token(c, nil, form, harness.WithBasicAuth(cl.ID, string(cl.Secret)), harness.WithoutHeader("Accept"))
		authTokens(c, profile.AuthBasic, ex, what+" with HTTP Basic client authentication")
	})

	e.Assert(harness.Assertion{ID: "TOK-AUTH-002", Level: engine.MUST, Section: "RFC 6749 §2.3.1, App. B; RFC 7617",
		Requirement: "The authorization server MUST form-decode the HTTP Basic user-id and password: a client whose id and secret hold reserved characters authenticates with them form-encoded."}, func(c *engine.C) {
		authRequireMethod(c, profile.AuthBasic)
		cl := authClientFor(c, profile.RoleReservedChars, profile.AuthBasic)
		form, what := steps.CodeBaseline(c, cl)
		ex := c.Env.Token(c, nil, form, harness.WithBasicAuth(cl.ID, string(cl.Secret)))
		authTokens(c, profile.AuthBasic, ex, what+" for client "+strconv.Quote(cl.ID)+" with form-encoded Basic credentials")
	})

	e.Assert(harness.Assertion{ID: "TOK-AUTH-003", Level: engine.MAY, Section: "RFC 6749 §2.3.1",
		Requirement: "Where the server supports client_secret_post, a confidential client sending client_id and client_secret in the form body MUST be authenticated."}, func(c *engine.C) {
		authRequireMethod(c, profile.AuthPost)
		cl := authClientFor(c, profile.RolePrimary, profile.AuthPost)
		form, what := steps.CodeBaseline(c, cl)
		form.Set("client_id", cl.ID)
		form.Set("client_secret", string(cl.Secret))
		ex := c.Env.Token(c, nil, form)
		authTokens(c, profile.AuthPost, ex, what+" with client_secret_post")
	})

	e.Assert(harness.Assertion{ID: "TOK-AUTH-004", Level: engine.SHOULD, Section: "RFC 6749 §2.3, §5.2",
		Requirement: "A request using two client authentication methods (HTTP Basic and client_secret in the body) SHOULD be refused with invalid_request, above all when the two disagree (RFC 6749 §2.3 forbids the client to send both; no sentence binds the server, so a server that lets Basic win only warns)."}, func(c *engine.C) {
		authRequireMethod(c, profile.AuthBasic)
		cl := authClientFor(c, profile.RolePrimary, profile.AuthBasic)
		send := func(bodySecret string) *harness.Exchange {
			form, _ := steps.CodeBaseline(c, cl)
			form.Set("client_id", cl.ID)
			form.Set("client_secret", bodySecret)
			return c.Env.Token(c, nil, form, harness.WithBasicAuth(cl.ID, string(cl.Secret)))
		}
		// Conflicting values: tokens would mean one credential was ignored.
		c.Refused(send("wrong-"+harness.RandomString(9)), true, "invalid_request", "invalid_client")
		// The same credentials twice: not unsafe, so a WARN (catalogue §4.16).
		same := send(string(cl.Secret))
		if engine.Issued(same) {
			c.Warnf(engine.Exchanges(same), "HTTP Basic plus the same client_secret in the body was accepted; RFC 6749 §2.3 allows one method per request (invalid_request, §5.2)")
			return
		}
		c.Refused(same, true, "invalid_request")
	})

	basicFailure := func(c *engine.C, ex *harness.Exchange) {
		c.Refused(ex, false, "invalid_client")
		c.Must(ex.Status == 401, ex, "failed HTTP Basic authentication answered status %d, want 401", ex.Status)
		c.Must(harness.HasAuthScheme(ex.Header.Values("WWW-Authenticate"), "Basic"), ex,
			"the 401 carries no WWW-Authenticate challenge with the Basic scheme (got %q)", ex.Header.Values("WWW-Authenticate"))
	}

	e.Assert(harness.Assertion{ID: "TOK-AUTH-005", Level: engine.MUST, Section: "RFC 6749 §5.2",
		Requirement: "A failed HTTP Basic client authentication (wrong secret) MUST be answered 401 invalid_client with a WWW-Authenticate header using the Basic scheme."}, func(c *engine.C) {
		authRequireMethod(c, profile.AuthBasic)
		cl := authClientFor(c, profile.RolePrimary, profile.AuthBasic)
		form, _ := steps.CodeBaseline(c, cl)
		ex := c.Env.Token(c, nil, form, harness.WithBasicAuth(cl.ID, "wrong-"+harness.RandomString(9)))
		basicFailure(c, ex)
	})

	e.Assert(harness.Assertion{ID: "TOK-AUTH-006", Level: engine.MUST, Section: "RFC 6749 §5.2",
		Requirement: "HTTP Basic authentication with an unknown client_id MUST be answered 401 invalid_client with a WWW-Authenticate header using the Basic scheme."}, func(c *engine.C) {
		authRequireMethod(c, profile.AuthBasic)
		primary := c.RequireClient(profile.RolePrimary)
		form, _ := steps.CodeBaseline(c, primary)
		ex := c.Env.Token(c, nil, form, harness.WithBasicAuth("oauthconform-unknown-"+harness.RandomString(6), "any-secret"))
		basicFailure(c, ex)
	})

	e.Assert(harness.Assertion{ID: "TOK-AUTH-007", Level: engine.MUST, Section: "RFC 6749 §5.2; RFC 9110 §15.5.2",
		Requirement: "A wrong client_secret sent in the body MUST be refused with invalid_client and status 400 or 401; a 401 SHOULD carry WWW-Authenticate (HTTP requires it)."}, func(c *engine.C) {
		authRequireMethod(c, profile.AuthPost)
		cl := authClientFor(c, profile.RolePrimary, profile.AuthPost)
		form, _ := steps.CodeBaseline(c, cl)
		form.Set("client_id", cl.ID)
		form.Set("client_secret", "wrong-"+harness.RandomString(9))
		ex := c.Env.Token(c, nil, form)
		c.Refused(ex, false, "invalid_client")
		c.Must(ex.Status == 400 || ex.Status == 401, ex, "invalid_client answered with status %d, want 400 or 401", ex.Status)
		if ex.Status == 401 && len(ex.Header.Values("WWW-Authenticate")) == 0 {
			c.Warnf(engine.Exchanges(ex), "401 without a WWW-Authenticate header (RFC 9110 §15.5.2 requires one on every 401)")
		}
		c.Saw("invalid_client answered with status %d", ex.Status)
	})

	e.Assert(harness.Assertion{ID: "TOK-AUTH-008", Level: engine.MUST, Section: "RFC 6749 §3.2.1, §4.1.3, §5.2",
		Requirement: "A confidential client MUST authenticate: a request with its client_id alone (no secret, no Authorization header) is refused with invalid_client or invalid_request."}, func(c *engine.C) {
		cl := steps.ConfidentialClient(c, profile.RolePrimary)
		form, _ := steps.CodeBaseline(c, cl)
		form.Set("client_id", cl.ID)
		ex := c.Env.Token(c, nil, form)
		c.Refused(ex, false, "invalid_client", "invalid_request")
	})

	e.Assert(harness.Assertion{ID: "TOK-AUTH-009", Level: engine.MUST, Section: "RFC 6749 §5.2",
		Requirement: "A malformed Authorization header (not base64, no colon, or another scheme) MUST be answered 400 invalid_request or 401 invalid_client with WWW-Authenticate, never with tokens or a 5xx."}, func(c *engine.C) {
		authRequireMethod(c, profile.AuthBasic)
		primary := c.RequireClient(profile.RolePrimary)
		cases := []struct{ name, header string }{
			{"(a) Basic !!!not-base64", "Basic !!!not-base64"},
			{`(b) Basic base64("nocolon")`, authRawBasic("Basic", "nocolon")},
			{"(c) Bearer xyz", "Bearer xyz"},
		}
		for _, k := range cases {
			form, _ := steps.CodeBaseline(c, primary)
			ex := c.Env.Token(c, nil, form, harness.WithAuthorization(k.header))
			c.Must(ex.Err == nil, ex, "%s: the request failed at the transport level: %v", k.name, ex.Err)
			c.Must(!engine.Issued(ex), ex, "%s: the server issued tokens", k.name)
			c.Must(ex.Status < 500, ex, "%s: answered with server error status %d", k.name, ex.Status)
			code := harness.ErrorCodeOf(ex)
			switch {
			case ex.Status == 400 && code == "invalid_request":
			case ex.Status == 401 && code == "invalid_client":
				c.Must(len(ex.Header.Values("WWW-Authenticate")) > 0, ex, "%s: 401 invalid_client without a WWW-Authenticate header", k.name)
			default:
				c.Failf(engine.Exchanges(ex), "%s: answered %d %q, want 400 invalid_request or 401 invalid_client", k.name, ex.Status, code)
			}
			c.Saw("%s: %d %s", k.name, ex.Status, code)
		}
	})

	e.Assert(harness.Assertion{ID: "TOK-AUTH-010", Level: engine.MUST, Section: "RFC 9110 §11.1; RFC 7617 §2",
		Requirement: "The HTTP auth-scheme MUST be matched case-insensitively: \"basic\" in lower case authenticates like \"Basic\"."}, func(c *engine.C) {
		authRequireMethod(c, profile.AuthBasic)
		cl := authClientFor(c, profile.RolePrimary, profile.AuthBasic)
		form, what := steps.CodeBaseline(c, cl)
		_, cred, _ := strings.Cut(harness.BasicAuthHeader(cl.ID, string(cl.Secret)), " ")
		ex := c.Env.Token(c, nil, form, harness.WithAuthorization("basic "+cred))
		authTokens(c, profile.AuthBasic, ex, what+` with the auth-scheme "basic" in lower case`)
	})

	e.Assert(harness.Assertion{ID: "TOK-AUTH-011", Level: engine.MUST, Section: "RFC 6749 §3.2.1, §4.1.3; RFC 7636 §4.5",
		Requirement: "A public client MUST be able to redeem its authorization code identifying itself with client_id alone (no secret), with PKCE."}, func(c *engine.C) {
		c.RequireGrant(profile.GrantAuthorizationCode)
		p1 := c.RequireClient(profile.RolePublic)
		if !p1.Public() {
			c.Skipf("the %q client (%s) has a secret", profile.RolePublic, p1.ID)
		}
		verifier := ""
		o := steps.CodeOpts{Scope: c.Env.Scopes.S1}
		if c.Env.UsesPKCE() {
			verifier = harness.NewVerifier()
			o.Challenge, o.Method = harness.S256(verifier), "S256"
		}
		code, _ := steps.Code(c, p1, o)
		ex := c.Env.ExchangeCode(c, p1, code, p1.RedirectURI(), verifier)
		c.Tokens(ex, "public client code exchange with client_id and code_verifier")
	})

	e.Assert(harness.Assertion{ID: "TOK-AUTH-012", Level: engine.MUST, Section: "RFC 6749 §4.4",
		Requirement: "The client_credentials grant MUST only be used by confidential clients: a public client's request gets no tokens (any OAuth error refuses it)."}, func(c *engine.C) {
		c.RequireGrant(profile.GrantClientCredentials)
		p1 := c.RequireClient(profile.RolePublic)
		if !p1.Public() {
			c.Skipf("the %q client (%s) has a secret", profile.RolePublic, p1.ID)
		}
		ex := c.Env.Token(c, p1, url.Values{"grant_type": {profile.GrantClientCredentials}})
		// Only tokens breach the rule: any OAuth error refuses the request
		// (RFC 6749 §5.2 does not tie this case to one code).
		c.NotIssued(ex, "client_credentials by the public client")
		c.Saw("refused with %q (status %d)", harness.ErrorCodeOf(ex), ex.Status)
	})

	e.Assert(harness.Assertion{ID: "TOK-AUTH-013", Level: engine.SHOULD, Section: "RFC 6749 §2.3.1, §4.3.2",
		Requirement: "The authorization server MUST protect client authentication against brute force; the mechanism is unspecified, so repeated wrong secrets SHOULD visibly meet throttling, a lockout or a delay (only observed: INFO, or WARN when nothing changes)."}, func(c *engine.C) {
		cl := c.RequireClient(authRoleSacrificial)
		if cl.Public() {
			c.Skipf("the sacrificial client %s is public: it has no secret to guess", cl.ID)
		}
		const attempts = 50
		form, _ := steps.CodeBaseline(c, cl)
		auth := func(secret string) []harness.RequestOption {
			if cl.Method == profile.AuthPost {
				return nil
			}
			return []harness.RequestOption{harness.WithBasicAuth(cl.ID, secret)}
		}
		send := func(secret string) *harness.Exchange {
			f := engine.CloneValues(form)
			if cl.Method == profile.AuthPost {
				f.Set("client_id", cl.ID)
				f.Set("client_secret", secret)
			}
			return c.Env.Token(c, nil, f, auth(secret)...)
		}
		var first, changed *harness.Exchange
		var early, late time.Duration
		for i := 0; i < attempts && c.Err() == nil; i++ {
			ex := send("wrong-" + harness.RandomString(9))
			if engine.Issued(ex) {
				c.Warnf(engine.Exchanges(ex), "attempt %d: a wrong secret was accepted (TOK-AUTH-005's failure); the probe stops", i+1)
				return
			}
			if first == nil {
				first = ex
			}
			if i < 5 {
				early += ex.Duration
			}
			if i >= attempts-5 {
				late += ex.Duration
			}
			if changed == nil && (ex.Status == 429 || ex.Header.Get("Retry-After") != "" || ex.Status != first.Status || ex.Err != nil) {
				changed = ex
				c.Infof("attempt %d: answered %d (Retry-After %q, error %q, transport %v), first answer was %d",
					i+1, ex.Status, ex.Header.Get("Retry-After"), harness.ErrorCodeOf(ex), ex.Err, first.Status)
			}
		}
		if c.Err() != nil {
			c.Failf(nil, "interrupted: %v", c.Err())
		}
		slowed := late > 3*early && late-early > 500*time.Millisecond
		if slowed {
			c.Infof("the last 5 wrong attempts took %s, the first 5 took %s: failures are delayed", late, early)
		}
		right := send(string(cl.Secret))
		if !engine.Issued(right) {
			c.Infof("after %d wrong secrets, the right one is refused too (status %d, error %q): the client is locked out", attempts, right.Status, harness.ErrorCodeOf(right))
		}
		if changed == nil && !slowed && engine.Issued(right) {
			c.Warnf(engine.Exchanges(first, right), "%d consecutive wrong secrets met no visible throttling, lockout or delay (alerting alone would also satisfy the MUST, invisibly)", attempts)
		}
	}, Label(engine.LabelIntrusive))

	e.Assert(harness.Assertion{ID: "TOK-AUTH-014", Level: engine.SHOULD, Section: "RFC 6749 §2.3, §3.2.1, §5.2",
		Requirement: "A body client_id that conflicts with the client authenticated by HTTP Basic SHOULD be refused with invalid_request or invalid_client (no sentence binds the server, so a server that lets the authenticated client win only warns)."}, func(c *engine.C) {
		authRequireMethod(c, profile.AuthBasic)
		cl := authClientFor(c, profile.RolePrimary, profile.AuthBasic)
		other := "oauthconform-other-client"
		if c2 := c.Env.Client(profile.RoleSecond); c2 != nil && c2.ID != cl.ID {
			other = c2.ID
		}
		form, _ := steps.CodeBaseline(c, cl)
		form.Set("client_id", other)
		ex := c.Env.Token(c, nil, form, harness.WithBasicAuth(cl.ID, string(cl.Secret)))
		c.Refused(ex, true, "invalid_request", "invalid_client")
	})
}
