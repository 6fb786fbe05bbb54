package suites

import (
	"net/url"
	"slices"
	"strings"

	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/drivers"
	"github.com/oauthconform/oauthconform/suites/engine"
	"github.com/oauthconform/oauthconform/suites/harness"
	"github.com/oauthconform/oauthconform/suites/steps"
)

func init() {
	engine.Register(engine.Group{ID: "AUTHZ-RESP", Title: "successful authorization response (code flow)", Specs: authorizeResponseSpecs})
	engine.Register(engine.Group{ID: "AUTHZ-ERR", Title: "authorization error responses", Specs: authorizeErrorSpecs})
}

// arUnsupportedRT is a response_type no server supports, to provoke an error
// redirect.
const arUnsupportedRT = "zz_unsupported_type"

// arErrorProbes are requests of the primary client that a correct server
// answers with an error redirect after the redirect URI is validated: the
// user denies consent, and an unsupported response_type.
func arErrorProbes(c *engine.C, cl *engine.Client, state string) []drivers.AuthzRequest {
	deny := steps.CodeFlowRequest(c, cl, state)
	deny.Deny = true
	unsupported := steps.CodeFlowRequest(c, cl, state)
	unsupported.Query.Set("response_type", arUnsupportedRT)
	return []drivers.AuthzRequest{deny, unsupported}
}

// arKnownErrorParams may appear in an error response (OpenID conformance
// suite's list: RFC 6749 §4.1.2.1, RFC 9207, OpenID session management).
var arKnownErrorParams = []string{"error", "error_description", "error_uri", "state", "iss", "session_state"}

func authorizeResponseSpecs(e *engine.Env) {
	e.Assert(harness.Assertion{ID: "AUTHZ-RESP-001", Level: engine.MUST, Section: "RFC 6749 §4.1.2",
		Requirement: "The code flow's response parameters MUST be added to the query component of the redirect URI (form-encoded), never to the fragment."}, func(c *engine.C) {
		cl := steps.BrowserClient(c)
		res, _, _ := steps.RequireCodeIssued(c, steps.CodeFlowRequest(c, cl, harness.RandomString(16)))
		ev := steps.LastExchange(res)
		c.Must(res.Fragment.Get("code") == "", ev, "the code is in the fragment of %s", steps.DescribeEnd(res))
		c.Must(!res.Fragment.Has("state"), ev, "state is in the fragment of a code-flow response")
		c.Must(res.Query.Get("code") != "", ev, "the code is not in the query of %s", steps.DescribeEnd(res))
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-RESP-002", Level: engine.MUST, Section: "RFC 6749 §4.1.2, App. A.5",
		Requirement: "state MUST be returned exactly as received: a VSCHAR value with space, +, /, =, &, %, ~, ', !, # and ? decodes to the same bytes."}, func(c *engine.C) {
		cl := steps.BrowserClient(c)
		res, _, where := steps.RequireCodeIssued(c, steps.CodeFlowRequest(c, cl, steps.NastyState))
		got, present := where["state"]
		c.Must(present, steps.LastExchange(res), "the response has no state; %q was sent", steps.NastyState)
		c.Must(len(got) == 1 && got[0] == steps.NastyState, steps.LastExchange(res), "state came back as %q; sent %q", got, steps.NastyState)
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-RESP-003", Level: engine.SHOULD, Section: "RFC 6749 §4.1.2",
		Requirement: "A response to a request without state SHOULD carry no state (state is required only if the request had one; an invented value misleads clients)."}, func(c *engine.C) {
		cl := steps.BrowserClient(c)
		req := steps.CodeFlowRequest(c, cl, "")
		if probe := steps.RequireFlow(c, req); probe.Query.Get("code") == "" && probe.Fragment.Get("code") == "" {
			if e, _ := steps.ResultError(probe); e != "" {
				// Requiring state is stricter than RFC 6749 §4.1.1 (state is
				// RECOMMENDED), not a breach of this rule.
				c.Saw("the server requires state: the request without it was refused with %s (%s)", e, probe.Query.Get("error_description"))
				return
			}
		}
		res, _, where := steps.RequireCodeIssued(c, steps.CodeFlowRequest(c, cl, ""))
		if res.Query.Has("state") || res.Fragment.Has("state") {
			c.Warnf(res.Exchanges, "the request had no state, the response has state %q", where.Get("state"))
			return
		}
		c.Saw("no state in the response, as none was sent")
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-RESP-004", Level: engine.MUST, Section: "RFC 6749 App. A.11, §10.10",
		Requirement: "The authorization code MUST consist of VSCHAR characters (%x20-7E); it SHOULD be unguessable (at least 16 characters, about 96 bits of estimated entropy)."}, func(c *engine.C) {
		cl := steps.BrowserClient(c)
		res, code, _ := steps.RequireCodeIssued(c, steps.CodeFlowRequest(c, cl, harness.RandomString(16)))
		err := harness.CheckVSChar("code", code)
		c.Must(err == nil, steps.LastExchange(res), "%v", err)
		if bits := steps.EntropyBits(code); len(code) < 16 || bits < 96 {
			c.Warnf(res.Exchanges, "the code looks guessable: %d characters, about %.0f bits of entropy", len(code), bits)
		}
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-RESP-005", Level: engine.MUST, Section: "RFC 9207 §2, §2.4; RFC 9700 §4.4.2.1",
		Requirement: "An iss parameter in an authorization response (success or error), when present, MUST equal the issuer identifier."}, func(c *engine.C) {
		cl := steps.BrowserClient(c)
		issuer := c.Env.IssuerID()
		// RFC 9207 §2.4 compares exactly; only when the issuer was not
		// declared (the base URL stands in for it) is a trailing slash let go.
		sameIssuer := func(iss string) bool {
			if c.Env.Issuer != "" {
				return iss == issuer
			}
			return strings.TrimRight(iss, "/") == strings.TrimRight(issuer, "/")
		}
		// No metadata is read yet: without authorization_response_iss_parameter_supported
		// the parameter is optional, and only a wrong value is a failure.
		var results []*drivers.AuthzResult
		if ok, _, supported := steps.TryFlow(c, steps.CodeFlowRequest(c, cl, harness.RandomString(16))); supported {
			results = append(results, ok)
		}
		deny := steps.CodeFlowRequest(c, cl, harness.RandomString(16))
		deny.Deny = true
		if res, err, supported := steps.TryFlow(c, deny); supported && err == nil {
			results = append(results, res)
		}
		seen, answered := 0, 0
		for _, res := range results {
			if len(res.Query)+len(res.Fragment) > 0 {
				answered++
			}
			for _, where := range []url.Values{res.Query, res.Fragment} {
				for _, iss := range where["iss"] {
					seen++
					c.Must(sameIssuer(iss), steps.LastExchange(res), "iss is %q; the issuer is %q", iss, issuer)
				}
			}
		}
		if answered == 0 {
			c.Skipf("no authorization response reached the client (the flows ended on pages), so there is no iss to check")
		}
		if seen == 0 {
			c.Saw("no iss parameter (RFC 9207 not used)")
		} else {
			c.Saw("iss present and equal to the issuer")
		}
	})
}

func authorizeErrorSpecs(e *engine.Env) {
	e.Assert(harness.Assertion{ID: "AUTHZ-ERR-001", Level: engine.MUST, Section: "RFC 6749 §4.1.2.1, App. A.7-A.9",
		Requirement: "An error redirect of the code flow MUST carry error (and error_description, error_uri) in the RFC 6749 character sets, in the query, with state exactly as received."}, func(c *engine.C) {
		cl := steps.BrowserClient(c)
		checked := 0
		for _, req := range arErrorProbes(c, cl, harness.RandomString(16)) {
			res, _, ok := steps.TryFlow(c, req)
			if !ok {
				continue
			}
			if res.Query.Get("error") == "" && res.Fragment.Get("error") != "" {
				if req.Query.Get("response_type") != "code" {
					// For an unknown response type the server cannot know
					// which flow's encoding applies (RFC 6749 §4.1.2.1,
					// §4.2.2.1 both define the error).
					c.Saw("the error %q for response_type=%s is in the fragment", res.Fragment.Get("error"), req.Query.Get("response_type"))
					continue
				}
				c.Failf(res.Exchanges, "the error %q of a code-flow request is in the fragment, not the query", res.Fragment.Get("error"))
			}
			q := res.Query
			if q.Get("error") == "" {
				continue // a page, or not refused: other specs judge that
			}
			checked++
			ev := steps.LastExchange(res)
			c.Must(harness.CheckErrorCode(q.Get("error")) == nil, ev, "%v", harness.CheckErrorCode(q.Get("error")))
			if q.Has("error_description") {
				d := q.Get("error_description")
				if err := harness.CheckErrorDescription(d); err != nil {
					if harness.CheckErrorDescription(strings.NewReplacer("\t", " ", "\r", " ", "\n", " ").Replace(d)) == nil {
						c.Warnf(engine.Exchanges(ev), "error_description holds TAB, CR or LF (outside the RFC 6749 set; tolerated): %v", err)
					} else {
						c.Failf(engine.Exchanges(ev), "%v", err)
					}
				}
			}
			if q.Has("error_uri") {
				c.Must(harness.CheckErrorURI(q.Get("error_uri")) == nil, ev, "%v", harness.CheckErrorURI(q.Get("error_uri")))
			}
			want := req.Query.Get("state")
			c.Must(q.Has("state"), ev, "the error response (%s) has no state; the request had %q", q.Get("error"), want)
			c.Must(q.Get("state") == want, ev, "the error response has state %q; the request had %q", q.Get("state"), want)
			for k := range q {
				if !slices.Contains(arKnownErrorParams, k) {
					c.Warnf(engine.Exchanges(ev), "the error response carries the unexpected parameter %q", k)
				}
			}
			c.Saw("error %s redirected with state", q.Get("error"))
		}
		if checked == 0 {
			c.Skipf("no error redirect to the client was observed (errors were shown as pages, or not produced)")
		}
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-ERR-002", Level: engine.MUST, Section: "RFC 6749 §4.1.2.1, §4.2.2.1",
		Requirement: "An error response MUST NOT carry a code or an access_token alongside the error."}, func(c *engine.C) {
		cl := steps.BrowserClient(c)
		probes := arErrorProbes(c, cl, harness.RandomString(16))
		if c.Env.HasResponseType(profile.ResponseToken) {
			imp := steps.CodeFlowRequest(c, cl, harness.RandomString(16))
			imp.Query.Set("response_type", "token")
			imp.Deny = true
			probes = append(probes, imp)
		}
		checked := 0
		for _, req := range probes {
			res, _, ok := steps.TryFlow(c, req)
			if !ok {
				continue
			}
			errCode, _ := steps.ResultError(res)
			if errCode == "" {
				continue
			}
			checked++
			code, _ := steps.ResultCode(res)
			c.Must(code == "", steps.LastExchange(res), "the %s error response also carries a code", errCode)
			c.Must(!steps.IssuedToken(res), steps.LastExchange(res), "the %s error response also carries an access_token", errCode)
		}
		if checked == 0 {
			c.Skipf("no error response was observed (errors were shown as pages, or not produced)")
		}
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-ERR-003", Level: engine.MUST, Section: "RFC 6749 §4.1.2.1; RFC 9700 §4.11",
		Requirement: "When the resource owner denies the request, the server MUST answer access_denied (or show an error page) and MUST NOT issue a code."}, func(c *engine.C) {
		cl := steps.BrowserClient(c)
		req := steps.CodeFlowRequest(c, cl, harness.RandomString(16))
		req.Deny = true
		steps.RequireAuthzRefused(c, steps.RequireFlow(c, req), false, "access_denied")
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-ERR-004", Level: engine.MUST, Section: "RFC 6749 §3.3, §4.1.2.1, §5.1",
		Requirement: "A request with an unknown scope value MUST be refused (invalid_scope, or an error page), or the value MUST be left out of the grant and the token response MUST report the scope granted."}, func(c *engine.C) {
		cl := steps.BrowserClient(c)
		req := steps.CodeFlowRequest(c, cl, harness.RandomString(16))
		scope := engine.JoinScopes(c.Env.Scopes.S1, steps.UnknownScope)
		req.Query.Set("scope", scope)
		res := steps.RequireFlow(c, req)
		code, _ := steps.ResultCode(res)
		if errCode, _ := steps.ResultError(res); code == "" {
			switch {
			case errCode == "invalid_scope":
				c.Saw("refused with invalid_scope")
			case errCode != "":
				c.Warnf(res.Exchanges, "refused, but with error %q instead of invalid_scope", errCode)
			case steps.IssuedToken(res):
				c.Failf(res.Exchanges, "a code-flow request was answered with an access token")
			case res.Redirect != nil:
				c.Failf(res.Exchanges, "the server sent the user back to the client with neither an error nor a code")
			default:
				c.Saw("refused with %s", steps.DescribeEnd(res))
			}
			return
		}
		// Accepted: the unknown value must be dropped and the grant reported.
		c.RequireClosedVocabulary(steps.UnknownScope)
		ex := c.Env.ExchangeCode(c, cl, code, req.Query.Get("redirect_uri"), req.Verifier)
		body := c.Tokens(ex, "code exchange for the accepted request")
		granted, present := body["scope"].(string)
		c.Must(present, ex, "scope %q was requested, the server did not refuse the unknown value, and the token response has no scope member: it claims the unknown value was granted", scope)
		c.Must(!harness.ScopeSet(granted)[steps.UnknownScope], ex, "the unknown scope value was granted (scope %q)", granted)
		c.Saw("ignored the unknown scope value and reported scope %q", granted)
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-ERR-005", Level: engine.SHOULD, Section: "RFC 6749 §4.1.2.1",
		Requirement: "A client not allowed the authorization code flow SHOULD be refused (unauthorized_client or unsupported_response_type, or an error page) rather than given a code it cannot redeem (RFC 6749 defines the error but no sentence requires the check at the authorization endpoint)."}, func(c *engine.C) {
		c.RequireBrowser()
		cl := c.RequireClient(profile.RoleNoCode)
		if slices.Contains(cl.ResponseTypes, profile.ResponseCode) || slices.Contains(cl.GrantTypes, profile.GrantAuthorizationCode) {
			c.Skipf("the %q client (%s) is declared for the code flow", profile.RoleNoCode, cl.ID)
		}
		steps.RequireAuthzRefused(c, steps.RequireFlow(c, steps.CodeFlowRequest(c, cl, harness.RandomString(16))), true, "unauthorized_client", "unsupported_response_type")
	})
}
