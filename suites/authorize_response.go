package suites

import (
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/harness"
)

func init() {
	register(Group{ID: "AUTHZ-RESP", Title: "successful authorization response (code flow)", Specs: authorizeResponseSpecs})
	register(Group{ID: "AUTHZ-ERR", Title: "authorization error responses", Specs: authorizeErrorSpecs})
}

// The authorize endpoint's response specs run through the browser-like
// driver (c.RequireBrowser): a flow ends either at the client (Redirect set,
// parameters in Query and Fragment), on an out-of-band page whose result the
// driver read into Query, or on a page of the server (an error page, which
// the catalogue's "page allowed" accepts wherever an error is expected).

// arNastyState is a VSCHAR state with every character form encoding can get
// wrong (AUTHZ-RESP-002).
const arNastyState = "a b+c/d=e&f%g~h'i!j#k?l"

// arUnsupportedRT is a response_type no server supports, to provoke an error
// redirect.
const arUnsupportedRT = "zz_unsupported_type"

// arUnknownScope is a scope value no server knows.
const arUnknownScope = "zz-unknown-scope"

// arTry runs req through the browser driver and returns what it got, even
// when the driver stopped with an error; ok is false when the driver cannot
// perform such a request at all (e.g. no deny control).
func (c *C) arTry(req AuthzRequest) (res *AuthzResult, err error, ok bool) {
	d := c.RequireBrowser()
	res, err = d.Authorize(c, req)
	if errors.Is(err, ErrNotSupported) {
		return res, err, false
	}
	if res == nil {
		res = &AuthzResult{}
	}
	if res.Query == nil {
		res.Query = url.Values{}
	}
	if res.Fragment == nil {
		res.Fragment = url.Values{}
	}
	res.Request, res.Client = req.Query, req.Client
	return res, err, true
}

// arFlow runs req and requires the driver to complete it: a driver that
// cannot perform the request skips the spec, a broken flow fails it.
//
// A flow broken by the server (no answer, a server error) fails; one the
// driver could not follow (a login page it does not understand) skips.
func (c *C) arFlow(req AuthzRequest) *AuthzResult {
	res, err, ok := c.arTry(req)
	if !ok {
		c.Skipf("the authorization driver cannot perform this request: %v", err)
	}
	if last, broke := res.brokeAtServer(); broke {
		c.Failf(res.Exchanges, "the authorization flow broke at the server (status %d, %v): no answer or a server error is never a refusal", last.Status, err)
	}
	if err != nil {
		c.Skipf("precondition not met: the authorization driver could not complete the flow: %v", err)
	}
	return res
}

// arPrimary is the client the response specs act as.
func (c *C) arPrimary() *Client {
	c.RequireBrowser()
	return c.RequireClient(profile.RolePrimary)
}

// arCodeRequest is a valid code-flow request of cl with the given state
// ("" sends none) and the first scope of the plan; wherever PKCE may be
// supported it carries an S256 challenge (a server may require PKCE of any
// client), whose verifier is req.Verifier.
func (c *C) arCodeRequest(cl *Client, state string) AuthzRequest {
	o := CodeOpts{Scope: c.Env.Scopes.S1, State: state}
	v := ""
	if c.Env.UsesPKCE() {
		v = harness.NewVerifier()
		o.Challenge, o.Method = harness.S256(v), "S256"
	}
	q := c.Env.AuthzQuery(cl, "code", o)
	if state == "" {
		q.Del("state")
	}
	return AuthzRequest{Client: cl, Query: q, Verifier: v}
}

// arCode returns the code wherever the response put it: where it should be
// is AUTHZ-RESP-001's business alone.
func arCode(res *AuthzResult) (code string, where url.Values) {
	if v := res.Query.Get("code"); v != "" {
		return v, res.Query
	}
	if v := res.Fragment.Get("code"); v != "" {
		return v, res.Fragment
	}
	return "", nil
}

// arError returns the error parameter wherever the response put it.
func arError(res *AuthzResult) (code string, where url.Values) {
	if v := res.Query.Get("error"); v != "" {
		return v, res.Query
	}
	if v := res.Fragment.Get("error"); v != "" {
		return v, res.Fragment
	}
	return "", nil
}

// arIssuedToken reports whether the response carries an access token.
func arIssuedToken(res *AuthzResult) bool {
	return res.Query.Get("access_token") != "" || res.Fragment.Get("access_token") != ""
}

// arDescribe says where a flow ended, for messages.
func arDescribe(res *AuthzResult) string {
	switch {
	case res.Redirect != nil:
		return "a redirect to " + harness.RedactURL(res.Redirect.String())
	case res.Page != nil && len(res.Query) > 0:
		return "an out-of-band result page"
	case res.Page != nil:
		return "a page of the server (status " + strconv.Itoa(res.Page.Status) + ")"
	}
	return "no response"
}

// arCodeIssued runs a valid code request and requires a code: a server that
// refuses a valid request fails AZ-OK.
//
// An error the target never promised to avoid (a response type, client
// registration or scope nothing declared) skips instead.
func (c *C) arCodeIssued(req AuthzRequest) (*AuthzResult, string, url.Values) {
	res := c.arFlow(req)
	code, where := arCode(res)
	if code == "" {
		e, _ := arError(res)
		if why := c.Env.lawfulAuthzRefusal(req.Client, req.Query, e); e != "" && why != "" {
			c.Skipf("precondition not met: %s", why)
		}
		if e == "" && res.Redirect == nil && res.Page != nil && res.Page.Status < 400 && !c.isOOB(req.Query.Get("redirect_uri")) {
			// RFC 6749 §1.7: the redirection may use any method of the user
			// agent; a page with no form and no error (a script redirect)
			// is beyond the form driver, not a refusal.
			c.Skipf("precondition not met: the flow ended on a page the driver cannot get past (status %d; a script or meta refresh redirect?): a command driver can follow it", res.Page.Status)
		}
		c.Failf(res.Exchanges, "a valid authorization request got no code: the flow ended with %s (error %q)", arDescribe(res), e)
	}
	return res, code, where
}

// arRefused checks a request the server must refuse with one of codes, an
// error page being allowed (catalogue §0.2 "page allowed", RFC 9700 §4.11):
// no code or token may be issued; a wrong error code fails, or only warns
// when codeIsShould.
func (c *C) arRefused(res *AuthzResult, codeIsShould bool, codes ...string) {
	got, _ := arError(res)
	code, _ := arCode(res)
	switch {
	case got == "" && (code != "" || arIssuedToken(res)):
		c.Failf(res.Exchanges, "the server issued a code or token; it must refuse with %s (or show an error page)", strings.Join(codes, " or "))
	case got == "" && res.Redirect != nil:
		c.Failf(res.Exchanges, "the server sent the user back to the client with neither an error nor a result; it must refuse with %s", strings.Join(codes, " or "))
	case got == "":
		c.Saw("refused with %s", arDescribe(res))
	case slices.Contains(codes, got):
		c.Saw("refused with error %s", got)
	case codeIsShould:
		c.Warnf(res.Exchanges, "refused, but with error %q instead of %s", got, strings.Join(codes, " or "))
	default:
		c.Failf(res.Exchanges, "refused with error %q; expected %s", got, strings.Join(codes, " or "))
	}
}

// arErrorProbes are requests of the primary client that a correct server
// answers with an error redirect after the redirect URI is validated: the
// user denies consent, and an unsupported response_type.
func (c *C) arErrorProbes(cl *Client, state string) []AuthzRequest {
	deny := c.arCodeRequest(cl, state)
	deny.Deny = true
	unsupported := c.arCodeRequest(cl, state)
	unsupported.Query.Set("response_type", arUnsupportedRT)
	return []AuthzRequest{deny, unsupported}
}

// arKnownErrorParams may appear in an error response (OpenID conformance
// suite's list: RFC 6749 §4.1.2.1, RFC 9207, OpenID session management).
var arKnownErrorParams = []string{"error", "error_description", "error_uri", "state", "iss", "session_state"}

func authorizeResponseSpecs(e *Env) {
	e.Assert(harness.Assertion{ID: "AUTHZ-RESP-001", Level: MUST, Section: "RFC 6749 §4.1.2",
		Requirement: "The code flow's response parameters MUST be added to the query component of the redirect URI (form-encoded), never to the fragment."}, func(c *C) {
		cl := c.arPrimary()
		res, _, _ := c.arCodeIssued(c.arCodeRequest(cl, harness.RandomString(16)))
		ev := lastExchange(res)
		c.Must(res.Fragment.Get("code") == "", ev, "the code is in the fragment of %s", arDescribe(res))
		c.Must(!res.Fragment.Has("state"), ev, "state is in the fragment of a code-flow response")
		c.Must(res.Query.Get("code") != "", ev, "the code is not in the query of %s", arDescribe(res))
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-RESP-002", Level: MUST, Section: "RFC 6749 §4.1.2, App. A.5",
		Requirement: "state MUST be returned exactly as received: a VSCHAR value with space, +, /, =, &, %, ~, ', !, # and ? decodes to the same bytes."}, func(c *C) {
		cl := c.arPrimary()
		res, _, where := c.arCodeIssued(c.arCodeRequest(cl, arNastyState))
		got, present := where["state"]
		c.Must(present, lastExchange(res), "the response has no state; %q was sent", arNastyState)
		c.Must(len(got) == 1 && got[0] == arNastyState, lastExchange(res), "state came back as %q; sent %q", got, arNastyState)
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-RESP-003", Level: SHOULD, Section: "RFC 6749 §4.1.2",
		Requirement: "A response to a request without state SHOULD carry no state (state is required only if the request had one; an invented value misleads clients)."}, func(c *C) {
		cl := c.arPrimary()
		req := c.arCodeRequest(cl, "")
		if probe := c.arFlow(req); probe.Query.Get("code") == "" && probe.Fragment.Get("code") == "" {
			if e, _ := arError(probe); e != "" {
				// Requiring state is stricter than RFC 6749 §4.1.1 (state is
				// RECOMMENDED), not a breach of this rule.
				c.Saw("the server requires state: the request without it was refused with %s (%s)", e, probe.Query.Get("error_description"))
				return
			}
		}
		res, _, where := c.arCodeIssued(c.arCodeRequest(cl, ""))
		if res.Query.Has("state") || res.Fragment.Has("state") {
			c.Warnf(res.Exchanges, "the request had no state, the response has state %q", where.Get("state"))
			return
		}
		c.Saw("no state in the response, as none was sent")
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-RESP-004", Level: MUST, Section: "RFC 6749 App. A.11, §10.10",
		Requirement: "The authorization code MUST consist of VSCHAR characters (%x20-7E); it SHOULD be unguessable (at least 16 characters, about 96 bits of estimated entropy)."}, func(c *C) {
		cl := c.arPrimary()
		res, code, _ := c.arCodeIssued(c.arCodeRequest(cl, harness.RandomString(16)))
		err := harness.CheckVSChar("code", code)
		c.Must(err == nil, lastExchange(res), "%v", err)
		if bits := entropyBits(code); len(code) < 16 || bits < 96 {
			c.Warnf(res.Exchanges, "the code looks guessable: %d characters, about %.0f bits of entropy", len(code), bits)
		}
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-RESP-005", Level: MUST, Section: "RFC 9207 §2, §2.4; RFC 9700 §4.4.2.1",
		Requirement: "An iss parameter in an authorization response (success or error), when present, MUST equal the issuer identifier."}, func(c *C) {
		cl := c.arPrimary()
		issuer := c.Env.issuerID()
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
		var results []*AuthzResult
		if ok, _, supported := c.arTry(c.arCodeRequest(cl, harness.RandomString(16))); supported {
			results = append(results, ok)
		}
		deny := c.arCodeRequest(cl, harness.RandomString(16))
		deny.Deny = true
		if res, err, supported := c.arTry(deny); supported && err == nil {
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
					c.Must(sameIssuer(iss), lastExchange(res), "iss is %q; the issuer is %q", iss, issuer)
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

func authorizeErrorSpecs(e *Env) {
	e.Assert(harness.Assertion{ID: "AUTHZ-ERR-001", Level: MUST, Section: "RFC 6749 §4.1.2.1, App. A.7-A.9",
		Requirement: "An error redirect of the code flow MUST carry error (and error_description, error_uri) in the RFC 6749 character sets, in the query, with state exactly as received."}, func(c *C) {
		cl := c.arPrimary()
		checked := 0
		for _, req := range c.arErrorProbes(cl, harness.RandomString(16)) {
			res, _, ok := c.arTry(req)
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
			ev := lastExchange(res)
			c.Must(harness.CheckErrorCode(q.Get("error")) == nil, ev, "%v", harness.CheckErrorCode(q.Get("error")))
			if q.Has("error_description") {
				d := q.Get("error_description")
				if err := harness.CheckErrorDescription(d); err != nil {
					if harness.CheckErrorDescription(strings.NewReplacer("\t", " ", "\r", " ", "\n", " ").Replace(d)) == nil {
						c.Warnf(exchanges(ev), "error_description holds TAB, CR or LF (outside the RFC 6749 set; tolerated): %v", err)
					} else {
						c.Failf(exchanges(ev), "%v", err)
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
					c.Warnf(exchanges(ev), "the error response carries the unexpected parameter %q", k)
				}
			}
			c.Saw("error %s redirected with state", q.Get("error"))
		}
		if checked == 0 {
			c.Skipf("no error redirect to the client was observed (errors were shown as pages, or not produced)")
		}
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-ERR-002", Level: MUST, Section: "RFC 6749 §4.1.2.1, §4.2.2.1",
		Requirement: "An error response MUST NOT carry a code or an access_token alongside the error."}, func(c *C) {
		cl := c.arPrimary()
		probes := c.arErrorProbes(cl, harness.RandomString(16))
		if c.Env.HasResponseType(profile.ResponseToken) {
			imp := c.arCodeRequest(cl, harness.RandomString(16))
			imp.Query.Set("response_type", "token")
			imp.Deny = true
			probes = append(probes, imp)
		}
		checked := 0
		for _, req := range probes {
			res, _, ok := c.arTry(req)
			if !ok {
				continue
			}
			errCode, _ := arError(res)
			if errCode == "" {
				continue
			}
			checked++
			code, _ := arCode(res)
			c.Must(code == "", lastExchange(res), "the %s error response also carries a code", errCode)
			c.Must(!arIssuedToken(res), lastExchange(res), "the %s error response also carries an access_token", errCode)
		}
		if checked == 0 {
			c.Skipf("no error response was observed (errors were shown as pages, or not produced)")
		}
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-ERR-003", Level: MUST, Section: "RFC 6749 §4.1.2.1; RFC 9700 §4.11",
		Requirement: "When the resource owner denies the request, the server MUST answer access_denied (or show an error page) and MUST NOT issue a code."}, func(c *C) {
		cl := c.arPrimary()
		req := c.arCodeRequest(cl, harness.RandomString(16))
		req.Deny = true
		c.arRefused(c.arFlow(req), false, "access_denied")
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-ERR-004", Level: MUST, Section: "RFC 6749 §3.3, §4.1.2.1, §5.1",
		Requirement: "A request with an unknown scope value MUST be refused (invalid_scope, or an error page), or the value MUST be left out of the grant and the token response MUST report the scope granted."}, func(c *C) {
		cl := c.arPrimary()
		req := c.arCodeRequest(cl, harness.RandomString(16))
		scope := joinScopes(c.Env.Scopes.S1, arUnknownScope)
		req.Query.Set("scope", scope)
		res := c.arFlow(req)
		code, _ := arCode(res)
		if errCode, _ := arError(res); code == "" {
			switch {
			case errCode == "invalid_scope":
				c.Saw("refused with invalid_scope")
			case errCode != "":
				c.Warnf(res.Exchanges, "refused, but with error %q instead of invalid_scope", errCode)
			case arIssuedToken(res):
				c.Failf(res.Exchanges, "a code-flow request was answered with an access token")
			case res.Redirect != nil:
				c.Failf(res.Exchanges, "the server sent the user back to the client with neither an error nor a code")
			default:
				c.Saw("refused with %s", arDescribe(res))
			}
			return
		}
		// Accepted: the unknown value must be dropped and the grant reported.
		c.requireClosedVocabulary(arUnknownScope)
		ex := c.Env.ExchangeCode(c, cl, code, req.Query.Get("redirect_uri"), req.Verifier)
		body := c.Tokens(ex, "code exchange for the accepted request")
		granted, present := body["scope"].(string)
		c.Must(present, ex, "scope %q was requested, the server did not refuse the unknown value, and the token response has no scope member: it claims the unknown value was granted", scope)
		c.Must(!harness.ScopeSet(granted)[arUnknownScope], ex, "the unknown scope value was granted (scope %q)", granted)
		c.Saw("ignored the unknown scope value and reported scope %q", granted)
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-ERR-005", Level: SHOULD, Section: "RFC 6749 §4.1.2.1",
		Requirement: "A client not allowed the authorization code flow SHOULD be refused (unauthorized_client or unsupported_response_type, or an error page) rather than given a code it cannot redeem (RFC 6749 defines the error but no sentence requires the check at the authorization endpoint)."}, func(c *C) {
		c.RequireBrowser()
		cl := c.RequireClient(profile.RoleNoCode)
		if slices.Contains(cl.ResponseTypes, profile.ResponseCode) || slices.Contains(cl.GrantTypes, profile.GrantAuthorizationCode) {
			c.Skipf("the %q client (%s) is declared for the code flow", profile.RoleNoCode, cl.ID)
		}
		c.arRefused(c.arFlow(c.arCodeRequest(cl, harness.RandomString(16))), true, "unauthorized_client", "unsupported_response_type")
	})
}

// lastExchange is the response that delivered the result: the redirect to
// the client, or the result page.
func lastExchange(res *AuthzResult) *harness.Exchange {
	if res == nil || len(res.Exchanges) == 0 {
		return nil
	}
	return res.Exchanges[len(res.Exchanges)-1]
}
