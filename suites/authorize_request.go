package suites

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/engine"
	"github.com/oauthconform/oauthconform/suites/harness"
	"github.com/oauthconform/oauthconform/suites/steps"
)

func init() {
	engine.Register(engine.Group{ID: "AUTHZ-REQ", Title: "authorization request handling", Specs: authorizeRequestSpecs})
}

// azRefused checks AZ-ERR(codes) with "page allowed" for a request that must
// be refused: no code is ever issued for it, before or after login; an
// error response at r names one of codes (another code fails, or only warns
// when codeIsShould, catalogue §0.3).
func azRefused(c *engine.C, cl *engine.Client, q url.Values, r string, codeIsShould bool, what string, codes ...string) {
	first := steps.AuthzGet(c, q)
	steps.RequireAnswer(c, first, what)
	c.Must(first.Status < 500, first, "%s: answered with the server error %d (not a refusal)", what, first.Status)
	check := func(query, fragment url.Values, ev []*harness.Exchange) {
		if code, _, ok := steps.CodeAndState(query, fragment); ok && code != "" {
			c.Failf(ev, "%s: the server issued an authorization code; it must refuse the request", what)
		}
		got := steps.ParamError(query, fragment)
		if slices.Contains(codes, got) {
			c.Saw("%s: answered error=%s at the redirect URI", what, got)
			return
		}
		msg := "%s: refused at the redirect URI with error %q, want %s"
		if codeIsShould {
			c.Warnf(ev, msg, what, got, strings.Join(codes, " or "))
		} else {
			c.Failf(ev, msg, what, got, strings.Join(codes, " or "))
		}
	}
	if hops := steps.Hops(first); len(hops) == 1 && steps.OnEndpoint(hops[0].URL, steps.ResponseEndpoint(c, r)) {
		query, fragment := hops[0].Params()
		check(query, fragment, engine.Exchanges(first))
		return
	}
	res, err, ok := steps.Browse(c, cl, q)
	if !ok {
		steps.TallyDecision(c, first)
		c.Saw("%s: answered %s", what, steps.Outcome(c, first, r))
		steps.NoBrowser(c, what+" (whether a code follows login)")
		return
	}
	if query, fragment, found := steps.ResultParams(c, res, r); found {
		check(query, fragment, append(engine.Exchanges(first), res.Exchanges...))
		return
	}
	if last, broke := res.BrokeAtServer(); broke {
		c.Failf(append(engine.Exchanges(first), res.Exchanges...), "%s: the flow ended on a server error or no answer (status %d, %v): not a refusal", what, last.Status, last.Err)
	}
	c.Saw("%s: answered %s, and the flow ended on %s", what, steps.Outcome(c, first, r), steps.FlowOutcome(c, res, err, r))
}

func authorizeRequestSpecs(e *engine.Env) {
	e.Assert(harness.Assertion{ID: "AUTHZ-REQ-001", Level: engine.MUST, Section: "RFC 6749 §3.1, §10.9",
		Requirement: "The authorization server MUST require TLS at the authorization endpoint: a request to its http:// form is refused or redirected to https without OAuth processing, and never yields a code."}, func(c *engine.C) {
		steps.RequireAuthorize(c)
		a, err := url.Parse(c.Env.Endpoints.Authorize)
		if err != nil || !a.IsAbs() {
			c.Skipf("the authorization endpoint %q is not an absolute URL", c.Env.Endpoints.Authorize)
		}
		cl := c.RequireClient(profile.RolePrimary)
		loopback := steps.LoopbackHost(a.Hostname())
		if a.Scheme == "http" && loopback {
			c.Skipf("the authorization endpoint is served over plain http on a loopback address (%s): there is no TLS to require (catalogue §4.20)", a.Host)
		}
		// The http:// forms: the endpoint itself when it is plain http;
		// else its port spoken in plain (a server may sniff the protocol),
		// and port 80 of a host that is not this machine.
		host := a.Hostname()
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
		var forms []string
		switch {
		case a.Scheme == "http":
			forms = append(forms, a.Host)
		default:
			if p := a.Port(); p != "" && p != "443" {
				forms = append(forms, host+":"+p)
			}
			if !loopback {
				forms = append(forms, host)
			}
		}
		if len(forms) == 0 {
			c.Skipf("the authorization endpoint is on a loopback address at the default https port: its plain-http port would be another server")
		}
		q, _, _ := steps.ValidCodeQuery(c, cl, cl.RedirectURI())
		for _, h := range forms {
			plain := *a
			plain.Scheme, plain.Host, plain.RawQuery = "http", h, q.Encode()
			ex := c.Env.HTTP.Get(c, plain.String())
			if ex.Err != nil {
				c.Saw("http://%s refused the request: %v", h, ex.Err)
				continue
			}
			hops := steps.Hops(ex)
			if len(hops) == 1 && hops[0].URL != nil && hops[0].URL.Scheme == "https" && hops[0].URL.Hostname() == a.Hostname() && hops[0].URL.Path == a.Path {
				c.Saw("http://%s redirects to https (%d)", h, ex.Status)
				continue
			}
			if len(hops) == 1 {
				if q, f := hops[0].Params(); q.Get("code") != "" || f.Get("code") != "" {
					c.Failf(engine.Exchanges(ex), "the authorization request sent over plain http to http://%s was answered with a code", h)
				}
				if steps.OnEndpoint(hops[0].URL, steps.ParseEndpoint(cl.RedirectURI())) {
					c.Warnf(engine.Exchanges(ex), "the authorization request sent over plain http to http://%s was processed: answered at the redirect URI (no code)", h)
					continue
				}
			}
			if ex.Status >= 400 {
				c.Saw("http://%s refused the request (%d)", h, ex.Status)
				continue
			}
			// Answered over plain http. The harness never logs in there
			// (the password would cross the network in clear): a page
			// for a valid request means the endpoint processes it over
			// plain http, which RFC 6749 §3.1 forbids.
			if ex.Status >= 200 && ex.Status < 300 {
				c.Failf(engine.Exchanges(ex), "the authorization endpoint processed the request over plain http at http://%s: it answered %d with a page (a login page?) instead of refusing or redirecting to https (RFC 6749 §3.1: MUST require TLS)", h, ex.Status)
			}
			c.Saw("http://%s answered %d", h, ex.Status)
		}
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-REQ-002", Level: engine.MUST, Section: "RFC 6749 §3.1",
		Requirement: "The authorization server MUST support the HTTP GET method at the authorization endpoint: a valid GET request gets the login/consent page, a redirect to a login URL, or a code; never 405 or an error."}, func(c *engine.C) {
		cl := steps.AuthzClient(c, profile.RolePrimary)
		r := cl.RedirectURI()
		if r == "" {
			c.Skipf("the primary client has no configured redirect URI: a refusal of its request would say nothing about GET support")
		}
		q, _, _ := steps.ValidCodeQuery(c, cl, r)
		// A user agent other than a browser (Accept: */*) is still a user
		// agent: "accepts anything" includes the login page.
		ex := steps.AuthzGet(c, q, harness.WithHeader("Accept", "*/*"))
		steps.RequireAnswer(c, ex, "GET of a valid authorization request")
		// Only a 405 says GET is not supported: an error response shows the
		// GET was processed (the refusal is about the request, judged
		// elsewhere).
		c.Must(ex.Status != http.StatusMethodNotAllowed, ex, "a valid GET authorization request was answered 405 Method Not Allowed")
		c.Must(ex.Status < 500, ex, "a valid GET authorization request was answered with the server error %d", ex.Status)
		switch out := steps.Outcome(c, ex, r); {
		case out == "page 2xx":
			c.Saw("answered a page (status %d)", ex.Status)
		case out == "code":
			c.Saw("answered with a code at once (a session existed)")
		case out == "redirect":
			h := steps.Hops(ex)[0]
			c.Saw("redirected to %s (a login URL)", harness.RedactURL(h.Location))
		default:
			c.Saw("processed the GET and answered %s (status %d); whether the request was right is for other checks", out, ex.Status)
		}
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-REQ-003", Level: engine.MAY, Section: "RFC 6749 §3.1",
		Requirement: "The authorization server MAY support POST (application/x-www-form-urlencoded) at the authorization endpoint; if it processes a POST request, a valid one succeeds."}, func(c *engine.C) {
		cl := steps.AuthzClient(c, profile.RolePrimary)
		r := cl.RedirectURI()
		q, _, _ := steps.ValidCodeQuery(c, cl, r)
		ex := c.Env.HTTP.Do(c, http.MethodPost, c.Env.Endpoints.Authorize, harness.WithForm(q), harness.WithHeader("Accept", "*/*"))
		if ex.Err != nil {
			c.Warnf(engine.Exchanges(ex), "the POST authorization request got no response: %v", ex.Err)
			return
		}
		switch out := steps.Outcome(c, ex, r); {
		case out == "code":
			c.Infof("POST is supported: a code was issued at once")
		case strings.HasPrefix(out, "error="):
			c.Warnf(engine.Exchanges(ex), "the server processed the POST authorization request (it answered at the client's redirect URI) but refused the valid request with %s", out)
		case out == "redirect" || out == "page 2xx":
			c.Skipf("precondition not met: POST appears supported (answered %s, status %d), but the flow after login is not followed (the drivers start flows with GET), so whether a valid POST succeeds could not be seen", out, ex.Status)
		default:
			c.Infof("POST is not supported: answered %s (%d)", out, ex.Status)
		}
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-REQ-004", Level: engine.MUST, Section: "RFC 6749 §3.1",
		Requirement: "The authorization server MUST ignore unrecognized request parameters: a valid request with extra=foobar succeeds (AZ-OK)."}, func(c *engine.C) {
		cl := steps.AuthzClient(c, profile.RolePrimary)
		r := cl.RedirectURI()
		base, _, _ := steps.ValidCodeQuery(c, cl, r)
		q, state, _ := steps.ValidCodeQuery(c, cl, r)
		q.Set("extra", "foobar")
		before, with := steps.AuthzGet(c, base), steps.AuthzGet(c, q)
		steps.RequireAnswer(c, before, "the request without the unknown parameter")
		steps.RequireAnswer(c, with, "the request with extra=foobar")
		ob, ow := steps.Outcome(c, before, r), steps.Outcome(c, with, r)
		if ow != ob && (strings.HasPrefix(ow, "error=") || with.Status >= 400) {
			c.Failf(engine.Exchanges(before, with), "the unknown parameter changed the answer from %s to %s", ob, ow)
		}
		res, err, ok := steps.Browse(c, cl, q)
		if !ok {
			steps.TallyDecision(c, with)
			steps.NoBrowser(c, "the request with extra=foobar")
			return
		}
		steps.RequireCode(c, res, err, r, state, "the request with extra=foobar")
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-REQ-005", Level: engine.MUST, Section: "RFC 6749 §3.1.1, §4.1.2.1",
		Requirement: "A request without response_type MUST get an error response (invalid_request or unsupported_response_type) at the redirect URI or an error page, and never a code."}, func(c *engine.C) {
		cl := steps.AuthzClient(c, profile.RolePrimary)
		r := cl.RedirectURI()
		q, _, _ := steps.ValidCodeQuery(c, cl, r)
		q.Del("response_type")
		azRefused(c, cl, q, r, false, "a request without response_type", "invalid_request", "unsupported_response_type")
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-REQ-006", Level: engine.MUST, Section: "RFC 6749 §3.1.1, §4.1.2.1",
		Requirement: "A request with an unknown response_type MUST get unsupported_response_type (or invalid_request) at the redirect URI or an error page, and never a code."}, func(c *engine.C) {
		cl := steps.AuthzClient(c, profile.RolePrimary)
		r := cl.RedirectURI()
		q, _, _ := steps.ValidCodeQuery(c, cl, r)
		q.Set("response_type", "foo")
		azRefused(c, cl, q, r, false, "response_type=foo", "unsupported_response_type", "invalid_request")
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-REQ-007", Level: engine.SHOULD, Section: "RFC 6749 §3.1, §4.1.2.1",
		Requirement: "A request repeating state, scope or client_id with conflicting values SHOULD get invalid_request or an error page, not a code, and a repeated client_id SHOULD NOT be redirected (RFC 6749 §3.1 forbids the repetition to clients; no sentence binds the server, so a server taking the first value only warns)."}, func(c *engine.C) {
		cl := steps.AuthzClient(c, profile.RolePrimary)
		r := cl.RedirectURI()
		q, _, _ := steps.ValidCodeQuery(c, cl, r)
		q["state"] = []string{"a" + harness.RandomString(8), "b" + harness.RandomString(8)}
		azRefused(c, cl, q, r, true, "state=a&state=b", "invalid_request")

		if s1, s2 := c.Env.Scopes.S1, c.Env.Scopes.S2; s1 != "" && s2 != "" {
			q, _, _ = steps.ValidCodeQuery(c, cl, r)
			q["scope"] = []string{s1, s2}
			azRefused(c, cl, q, r, true, "scope="+s1+"&scope="+s2, "invalid_request")
		} else {
			c.Saw("the dialect has fewer than two scopes: the repeated-scope probe does not apply")
		}

		other := otherClient(c.Env, cl, r)
		if other == nil {
			c.Saw("the target has no second client: the repeated-client_id probe does not apply")
			return
		}
		q, _, _ = steps.ValidCodeQuery(c, cl, r)
		q["client_id"] = []string{cl.ID, other.ID}
		what := "client_id=" + cl.ID + "&client_id=" + other.ID
		p := steps.ProbeAuthz(c, cl, q, what)
		for _, h := range p.Hops() {
			qq, ff := h.Params()
			registered := slices.ContainsFunc(append(slices.Clone(cl.RedirectURIs), other.RedirectURIs...), func(u string) bool {
				return steps.OnEndpoint(h.URL, steps.ResponseEndpoint(c, u))
			})
			if !registered {
				continue
			}
			if code, _, ok := steps.CodeAndState(qq, ff); ok && code != "" {
				c.Failf(p.Evidence(h), "%s: %s with an authorization code although client_id is ambiguous", what, p.Stage(h))
			}
			c.Warnf(p.Evidence(h), "%s: %s with error %q; with an ambiguous client_id the error should be a page, not a redirect", what, p.Stage(h), steps.ParamError(qq, ff))
		}
		if !p.Browsed {
			steps.TallyDecision(c, p.First)
			steps.NoBrowser(c, what)
		}
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-REQ-008", Level: engine.MUST, Section: "RFC 6749 §3.1",
		Requirement: "Parameters sent without a value MUST be treated as if they were omitted: a request with scope= gets the same outcome as one without scope (a default scope, or invalid_scope)."}, func(c *engine.C) {
		cl := steps.AuthzClient(c, profile.RolePrimary)
		r := cl.RedirectURI()
		omit, stOmit, vOmit := steps.ValidCodeQuery(c, cl, r)
		omit.Del("scope")
		empty, stEmpty, vEmpty := steps.ValidCodeQuery(c, cl, r)
		empty.Set("scope", "")
		exOmit, exEmpty := steps.AuthzGet(c, omit), steps.AuthzGet(c, empty)
		steps.RequireAnswer(c, exOmit, "the request without scope")
		steps.RequireAnswer(c, exEmpty, "the request with scope=")
		oo, oe := steps.Outcome(c, exOmit, r), steps.Outcome(c, exEmpty, r)
		c.Must(oo == oe, exEmpty, "scope= was not treated as omitted: without scope the server answered %s, with scope= it answered %s", oo, oe)

		resOmit, errOmit, ok := steps.Browse(c, cl, omit)
		if !ok {
			c.Saw("both answered %s", oo)
			steps.TallyDecision(c, exOmit)
			steps.NoBrowser(c, "the outcome after login")
			return
		}
		resEmpty, errEmpty, _ := steps.Browse(c, cl, empty)
		fo, fe := steps.FlowOutcome(c, resOmit, errOmit, r), steps.FlowOutcome(c, resEmpty, errEmpty, r)
		if fo != fe {
			c.Failf(append(resOmit.Evidence(), resEmpty.Evidence()...), "scope= was not treated as omitted: after login, without scope the flow ended on %s, with scope= on %s", fo, fe)
		}
		c.Saw("both ended on %s", fo)
		if fo != "code" {
			return
		}
		// Both issued codes: the scopes they grant must be the same.
		codeOmit := steps.RequireCode(c, resOmit, errOmit, r, stOmit, "the request without scope")
		codeEmpty := steps.RequireCode(c, resEmpty, errEmpty, r, stEmpty, "the request with scope=")
		tOmit := c.Env.ExchangeCode(c, cl, codeOmit, r, vOmit)
		tEmpty := c.Env.ExchangeCode(c, cl, codeEmpty, r, vEmpty)
		sOmit, okOmit := engine.Body(tOmit)["scope"].(string)
		sEmpty, okEmpty := engine.Body(tEmpty)["scope"].(string)
		if !engine.Issued(tOmit) || !engine.Issued(tEmpty) || !okOmit || !okEmpty {
			c.Infof("the granted scopes could not be compared (the code exchanges did not both report scope)")
			return
		}
		c.Must(harness.SameScopes(sOmit, sEmpty), tEmpty, "scope= granted %q, but omitting scope granted %q", sEmpty, sOmit)
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-REQ-009", Level: engine.MUST, Section: "RFC 6749 §4.1.2.1, §3.1.2.4",
		Requirement: "If the client identifier is missing or invalid, the authorization server MUST NOT automatically redirect the user agent to the redirect URI, and SHOULD inform the resource owner."}, func(c *engine.C) {
		steps.RequireAuthorize(c)
		const attacker = "https://attacker.example/cb"
		bad := steps.NewForbiddenRedirect(attacker, nil)
		base := url.Values{"response_type": {"code"}, "redirect_uri": {attacker}, "state": {harness.RandomString(16)}}
		steps.NoRedirect(c, nil, base, "a request without client_id", bad)
		unknown := engine.CloneValues(base)
		unknown.Set("client_id", "unknown-"+harness.RandomString(8))
		p := steps.NoRedirect(c, nil, unknown, "a request with an unknown client_id", bad)
		if !p.Browsed {
			steps.NoBrowser(c, "the unknown-client requests")
		}
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-REQ-010", Level: engine.MUST, Section: "RFC 9700 §2.6",
		Requirement: "CORS MUST NOT be supported at the authorization endpoint: neither a request with an Origin nor a preflight gets Access-Control-Allow-Origin for that origin or *."}, func(c *engine.C) {
		c.RequireBCP()
		cl := steps.AuthzClient(c, profile.RolePrimary)
		const origin = "https://evil.example"
		q, _, _ := steps.ValidCodeQuery(c, cl, cl.RedirectURI())
		get := steps.AuthzGet(c, q, harness.WithHeader("Origin", origin))
		steps.RequireAnswer(c, get, "GET with Origin")
		pre := c.Env.HTTP.Do(c, http.MethodOptions, c.Env.Endpoints.Authorize,
			harness.WithHeader("Origin", origin), harness.WithHeader("Access-Control-Request-Method", "GET"))
		steps.RequireAnswer(c, pre, "the OPTIONS preflight")
		for _, ex := range []*harness.Exchange{get, pre} {
			for _, v := range ex.Header.Values("Access-Control-Allow-Origin") {
				v = strings.TrimSpace(v)
				c.Must(v != "*" && !strings.EqualFold(v, origin), ex, "%s answered Access-Control-Allow-Origin: %s", ex.Method, v)
				c.Saw("%s answered Access-Control-Allow-Origin %q (not the requesting origin)", ex.Method, v)
			}
		}
	})
}

// otherClient is a second client for the repeated-client_id probe,
// preferably one that registered r as well (so only the repetition is
// wrong).
func otherClient(e *engine.Env, cl *engine.Client, r string) *engine.Client {
	var fallback *engine.Client
	for _, role := range []string{profile.RolePublic, profile.RoleRestricted, profile.RoleReservedChars, profile.RoleSecond, profile.RoleMultiRedirect, profile.RoleQueryRedirect} {
		o := e.Client(role)
		if o == nil || o.ID == cl.ID {
			continue
		}
		if slices.Contains(o.RedirectURIs, r) {
			return o
		}
		if fallback == nil {
			fallback = o
		}
	}
	return fallback
}
