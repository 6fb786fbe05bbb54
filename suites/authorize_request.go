package suites

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/harness"
	"github.com/oauthconform/oauthconform/suites/target"
)

func init() {
	register(Group{ID: "AUTHZ-REQ", Title: "authorization request handling", Specs: authorizeRequestSpecs})
}

// ---------------------------------------------------------------------------
// The authorize endpoint as the AUTHZ-REQ and AUTHZ-RURI specs see it: AUTHZ(q)
// (one GET, no redirect followed), the flow after login and consent through
// the browser-like driver, and the standard checks of catalogue §0.2
// (AZ-OK, AZ-ERR with "page allowed", NO-REDIRECT).

// azUnsupportedRT is a response_type no server supports: a request carrying
// it is invalid, so a server that checks it before the redirect URI answers
// at once, and must still never redirect to a URI it has not validated.
const azUnsupportedRT = "zz-unsupported"

// requireAuthorize skips unless the target has an authorization endpoint
// with the code flow.
func (c *C) requireAuthorize() {
	if c.Env.Endpoints.Authorize == "" {
		c.Skipf("the target has no authorization endpoint (none configured, advertised or in the %s dialect)", c.Env.Dialect.Name)
	}
	if s, why := c.Env.ResponseType(profile.ResponseCode); s == Absent {
		c.Skipf("%s", why)
	}
	c.requirePresent(target.EndpointAuthorize)
}

// azClient is the client of a spec, or skips.
func (c *C) azClient(role string) *Client {
	c.requireAuthorize()
	return c.RequireClient(role)
}

// azQuery is a valid code-flow request of cl to redirect ("" omits
// redirect_uri) with a fresh state and the first scope; where the dialect
// has PKCE it carries an S256 challenge (clients may be required to use it),
// whose verifier is returned.
func (c *C) azQuery(cl *Client, redirect string) (q url.Values, state, verifier string) {
	o := CodeOpts{Scope: c.Env.Scopes.S1, RedirectURI: redirect, OmitRedirectURI: redirect == "", State: harness.RandomString(16)}
	if c.Env.UsesPKCE() {
		verifier = harness.NewVerifier()
		o.Challenge, o.Method = harness.S256(verifier), "S256"
	}
	return c.Env.AuthzQuery(cl, "code", o), o.State, verifier
}

// azGet sends AUTHZ(q): a GET of the authorization request that does not
// follow redirects.
func (c *C) azGet(q url.Values, opts ...harness.RequestOption) *harness.Exchange {
	target := c.Env.Endpoints.Authorize
	if enc := q.Encode(); enc != "" {
		sep := "?"
		if strings.Contains(target, "?") {
			sep = "&"
		}
		target += sep + enc
	}
	return c.Env.HTTP.Get(c, target, opts...)
}

// azSent requires a response: a transport failure is a failed check.
func (c *C) azSent(ex *harness.Exchange, what string) {
	if ex.Err != nil {
		c.Failf(exchanges(ex), "%s: no response: %v", what, ex.Err)
	}
}

// azInvalid is q made invalid by an unsupported response_type.
func azInvalid(q url.Values) url.Values {
	out := cloneValues(q)
	out.Set("response_type", azUnsupportedRT)
	return out
}

// azBrowse runs the request through the browser-like driver as the user:
// log in, consent, stop at the first URL outside the server. ok is false
// when no such driver is configured (or it cannot make this request).
func (c *C) azBrowse(cl *Client, q url.Values) (res *AuthzResult, err error, ok bool) {
	if c.Env.Browser == nil {
		return nil, nil, false
	}
	res, err = c.Env.Browser.Authorize(c, AuthzRequest{Client: cl, Query: q})
	if errors.Is(err, ErrNotSupported) {
		return nil, nil, false
	}
	if res == nil {
		res = &AuthzResult{Query: url.Values{}, Fragment: url.Values{}}
	}
	res.Request, res.Client = q, cl
	return res, err, true
}

// noBrowser notes what a spec could not check without a browser-like
// driver. A spec one of whose requests got no decision (it was answered
// with a login page or a redirect to one) did not check its whole
// requirement, and skips rather than pass hollow: the server may still
// break the rule after login.
func (c *C) noBrowser(what string) {
	if c.azPending > 0 {
		decided := ""
		if c.azDecided > 0 {
			decided = fmt.Sprintf(" (%d of its %d requests got a decision at once, the rest only a login page)", c.azDecided, c.azDecided+c.azPending)
		}
		c.Skipf("precondition not met: %s: the server answered with a login or consent page (or a redirect to one)%s, and no browser-like authorization driver is configured to go past it, so the outcome could not be seen (configure a driver: docs/TARGETS.md)", what, decided)
	}
	c.Infof("%s: not checked after login and consent: no browser-like authorization driver is configured", what)
}

// azTally records whether the server decided an authorization request in
// its first answer (see C.azDecided): an error page (4xx), or a redirect
// whose URL carries code or error. A 2xx page or a redirect elsewhere
// (typically a login page) is pending. It returns whether it was decided.
func (c *C) azTally(ex *harness.Exchange) bool {
	if ex == nil || ex.Err != nil {
		return false
	}
	decided := ex.Status >= 400
	if hops := azHops(ex); len(hops) == 1 {
		q, f := hops[0].params()
		decided = q.Has("code") || q.Has("error") || f.Has("code") || f.Has("error") || f.Has("access_token")
	}
	if decided {
		c.azDecided++
	} else {
		c.azPending++
	}
	return decided
}

// azHop is one redirect of a flow: the exchange, its raw Location and the
// Location resolved (nil when it does not parse).
type azHop struct {
	ex  *harness.Exchange
	loc string
	u   *url.URL
}

// azHops lists the redirects among exs.
func azHops(exs ...*harness.Exchange) []azHop {
	var out []azHop
	for _, ex := range exs {
		if ex == nil || ex.Err != nil || ex.Status < 300 || ex.Status >= 400 || ex.Location() == "" {
			continue
		}
		u, err := ex.RedirectURL()
		if err != nil {
			u = nil
		}
		out = append(out, azHop{ex: ex, loc: ex.Location(), u: u})
	}
	return out
}

// flowHops lists the redirects of a driver's flow, its final Redirect
// included.
func flowHops(res *AuthzResult) []azHop {
	if res == nil {
		return nil
	}
	hops := azHops(res.Exchanges...)
	if res.Redirect != nil && !slices.ContainsFunc(hops, func(h azHop) bool { return h.u != nil && h.u.String() == res.Redirect.String() }) {
		var last *harness.Exchange
		if n := len(res.Exchanges); n > 0 {
			last = res.Exchanges[n-1]
		}
		hops = append(hops, azHop{ex: last, loc: res.Redirect.String(), u: res.Redirect})
	}
	return hops
}

// params returns the response parameters a redirect carries: query and
// fragment, each parsed leniently.
func (h azHop) params() (query, fragment url.Values) {
	before, frag, _ := strings.Cut(h.loc, "#")
	_, q, _ := strings.Cut(before, "?")
	query, _ = url.ParseQuery(q)
	fragment, _ = url.ParseQuery(frag)
	return query, fragment
}

// endpointOf parses an absolute URI with a host, for comparing redirects by
// scheme, host, port and path; nil otherwise (an out-of-band URN).
func endpointOf(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return nil
	}
	return u
}

// onEndpoint reports whether u is on e's scheme, host, port and path.
func onEndpoint(u, e *url.URL) bool {
	return u != nil && e != nil && sameOrigin(u, e) && u.EscapedPath() == e.EscapedPath()
}

// cleanPath is u's path percent-decoded with dot segments removed.
func cleanPath(u *url.URL) string { return path.Clean("/" + u.Path) }

// webURI reports whether a redirect URI is an http(s) URI with a host: one
// whose variants can be probed.
func webURI(s string) bool {
	u := endpointOf(s)
	return u != nil && (u.Scheme == "http" || u.Scheme == "https")
}

// loopbackURI reports whether s is an http URI on a loopback host: RFC 8252
// §7.3 lets its port vary and RFC 9700 §2.6 allows its http scheme.
func loopbackURI(s string) bool {
	u := endpointOf(s)
	return u != nil && u.Scheme == "http" && loopbackHost(u.Hostname())
}

func loopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// responseEndpoint is where responses for redirect URI r arrive: r itself,
// or for the dialect's out-of-band URI the server's own result page.
func (c *C) responseEndpoint(r string) *url.URL {
	if c.isOOB(r) {
		return endpointOf(c.Env.Endpoints.OOB)
	}
	return endpointOf(r)
}

// isOOB reports whether r is the dialect's out-of-band redirect URI.
func (c *C) isOOB(r string) bool {
	oob := c.Env.Dialect.Authorize.OOBRedirectURI
	return oob != "" && r == oob
}

// resultParams returns the authorization response a driver's flow reached
// at r: the parameters of its Redirect there, or those read from the
// out-of-band page; found is false when the flow ended elsewhere.
func (c *C) resultParams(res *AuthzResult, r string) (query, fragment url.Values, found bool) {
	if res == nil {
		return nil, nil, false
	}
	if c.isOOB(r) && res.Redirect == nil {
		return res.Query, url.Values{}, len(res.Query) > 0
	}
	if res.Redirect != nil && onEndpoint(res.Redirect, c.responseEndpoint(r)) {
		return res.Query, res.Fragment, true
	}
	return nil, nil, false
}

// codeAndState finds the code and the state beside it, in the query or the
// fragment: which of the two is right is AUTHZ-RESP-001's business.
func codeAndState(query, fragment url.Values) (code, state string, ok bool) {
	for _, v := range []url.Values{query, fragment} {
		if c := v.Get("code"); c != "" {
			return c, v.Get("state"), true
		}
	}
	return "", "", false
}

func errorOf(query, fragment url.Values) string {
	if e := query.Get("error"); e != "" {
		return e
	}
	return fragment.Get("error")
}

// azSuccess checks AZ-OK on a driver's flow: it delivered a code to r, with
// the state byte for byte. Where the code sits is AUTHZ-RESP-001's business
// and the exact Location prefix AUTHZ-RURI-001's; here success counts.
// It returns the code.
//
// A flow the driver could not follow (an error of the driver, a page it
// cannot get past) skips, as does a refusal nothing promised against; no
// answer or a server error fails.
func (c *C) azSuccess(res *AuthzResult, err error, r, state, what string) string {
	ev := res.Evidence()
	if err != nil {
		if _, broke := res.brokeAtServer(); broke {
			c.Failf(ev, "%s: the authorization flow broke at the server: %v", what, err)
		}
		c.Skipf("precondition not met: %s: the authorization driver could not complete the flow: %v", what, err)
	}
	query, fragment, found := c.resultParams(res, r)
	if !found {
		if last, broke := res.brokeAtServer(); broke {
			c.Failf(ev, "%s: the flow ended on a server error (status %d)", what, last.Status)
		}
		if res.Redirect == nil && res.Page != nil && res.Page.Status < 400 {
			c.Skipf("precondition not met: %s: the flow ended on a page the driver cannot get past (status %d; a script or meta refresh redirect?): a command driver can follow it", what, res.Page.Status)
		}
		where := "a page of the server"
		if res.Redirect != nil {
			where = harness.RedactURL(res.Redirect.String())
		} else if res.Page != nil {
			where += fmt.Sprintf(" (status %d)", res.Page.Status)
		}
		c.Failf(ev, "%s: the flow ended at %s, not with a response to the redirect URI %s", what, where, r)
	}
	code, gotState, ok := codeAndState(query, fragment)
	if !ok {
		e := errorOf(query, fragment)
		if why := c.Env.lawfulAuthzRefusal(res.Client, res.Request, e); e != "" && why != "" {
			c.Skipf("precondition not met: %s: %s", what, why)
		}
		c.Failf(ev, "%s: the response to %s carries no code (error %q)", what, r, e)
	}
	c.Must(gotState == state, res.LoginResponse, "%s: state %q came back as %q", what, state, gotState)
	return code
}

// azOutcome classifies a response to an authorization request, for
// comparing two requests: "code", "error=<code>" (a response at r),
// "redirect" (elsewhere, e.g. a login URL), "page <status>".
func (c *C) azOutcome(ex *harness.Exchange, r string) string {
	if hops := azHops(ex); len(hops) == 1 {
		h := hops[0]
		if onEndpoint(h.u, c.responseEndpoint(r)) {
			q, f := h.params()
			if _, _, ok := codeAndState(q, f); ok {
				return "code"
			}
			return "error=" + errorOf(q, f)
		}
		return "redirect"
	}
	switch {
	case ex.Status >= 200 && ex.Status < 300:
		return "page 2xx"
	default:
		return "page " + http.StatusText(ex.Status)
	}
}

// flowOutcome classifies where a driver's flow ended, as azOutcome.
func (c *C) flowOutcome(res *AuthzResult, err error, r string) string {
	if q, f, found := c.resultParams(res, r); found {
		if _, _, ok := codeAndState(q, f); ok {
			return "code"
		}
		return "error=" + errorOf(q, f)
	}
	if res.Redirect != nil {
		return "redirect elsewhere"
	}
	if err != nil {
		return "flow error"
	}
	return "page"
}

// azRefused checks AZ-ERR(codes) with "page allowed" for a request that must
// be refused: no code is ever issued for it, before or after login; an
// error response at r names one of codes (another code fails, or only warns
// when codeIsShould, catalogue §0.3).
func (c *C) azRefused(cl *Client, q url.Values, r string, codeIsShould bool, what string, codes ...string) {
	first := c.azGet(q)
	c.azSent(first, what)
	c.Must(first.Status < 500, first, "%s: answered with the server error %d (not a refusal)", what, first.Status)
	check := func(query, fragment url.Values, ev []*harness.Exchange) {
		if code, _, ok := codeAndState(query, fragment); ok && code != "" {
			c.Failf(ev, "%s: the server issued an authorization code; it must refuse the request", what)
		}
		got := errorOf(query, fragment)
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
	if hops := azHops(first); len(hops) == 1 && onEndpoint(hops[0].u, c.responseEndpoint(r)) {
		query, fragment := hops[0].params()
		check(query, fragment, exchanges(first))
		return
	}
	res, err, ok := c.azBrowse(cl, q)
	if !ok {
		c.azTally(first)
		c.Saw("%s: answered %s", what, c.azOutcome(first, r))
		c.noBrowser(what + " (whether a code follows login)")
		return
	}
	if query, fragment, found := c.resultParams(res, r); found {
		check(query, fragment, append(exchanges(first), res.Exchanges...))
		return
	}
	if last, broke := res.brokeAtServer(); broke {
		c.Failf(append(exchanges(first), res.Exchanges...), "%s: the flow ended on a server error or no answer (status %d, %v): not a refusal", what, last.Status, last.Err)
	}
	c.Saw("%s: answered %s, and the flow ended on %s", what, c.azOutcome(first, r), c.flowOutcome(res, err, r))
}

// azBad is a URI no response of a flow may be redirected to (NO-REDIRECT):
// matched by scheme, host, port and path, and also by its normalised path
// (dot segments removed, percent-decoded) unless that is a registered URI's.
type azBad struct {
	raw string
	u   *url.URL
	alt string
}

func newAzBad(raw string, registered []string) azBad {
	b := azBad{raw: raw, u: endpointOf(raw)}
	if b.u == nil {
		return b
	}
	b.alt = cleanPath(b.u)
	if b.alt == b.u.EscapedPath() {
		b.alt = ""
	}
	for _, r := range registered {
		if ru := endpointOf(r); ru != nil && sameOrigin(ru, b.u) && cleanPath(ru) == b.alt {
			b.alt = ""
		}
	}
	return b
}

func (b azBad) hit(h azHop) bool {
	if h.u == nil || b.u == nil {
		return strings.HasPrefix(h.loc, b.raw)
	}
	if !sameOrigin(h.u, b.u) {
		return false
	}
	return h.u.EscapedPath() == b.u.EscapedPath() || b.alt != "" && cleanPath(h.u) == b.alt
}

// azProbe is what one authorization request led to: the request itself and
// the same request made invalid, each without following redirects, and —
// with a browser-like driver — the flow after login and consent.
type azProbe struct {
	first, invalid *harness.Exchange
	res            *AuthzResult
	err            error
	browsed        bool
}

// probe sends q as AUTHZ(q), then azInvalid(q), then through the driver.
func (c *C) probe(cl *Client, q url.Values, what string) *azProbe {
	p := &azProbe{first: c.azGet(q)}
	c.azSent(p.first, what)
	p.invalid = c.azGet(azInvalid(q))
	c.azSent(p.invalid, what+" with response_type="+azUnsupportedRT)
	p.res, p.err, p.browsed = c.azBrowse(cl, q)
	return p
}

func (p *azProbe) hops() []azHop {
	return append(azHops(p.first, p.invalid), flowHops(p.res)...)
}

func (p *azProbe) evidence(h azHop) []*harness.Exchange {
	if h.ex == p.first || h.ex == p.invalid {
		return exchanges(h.ex)
	}
	return p.res.Evidence()
}

// stage names where in the probe a redirect happened.
func (p *azProbe) stage(h azHop) string {
	switch h.ex {
	case p.first:
		return "the authorization request was redirected"
	case p.invalid:
		return "its error (response_type=" + azUnsupportedRT + ") was redirected"
	}
	return "after login and consent, the user agent was redirected"
}

// noRedirect checks NO-REDIRECT: no response to q, to q made invalid, or of
// the flow after login and consent, is a redirect to any of bad. It returns
// the probe for further checks.
func (c *C) noRedirect(cl *Client, q url.Values, what string, bad ...azBad) *azProbe {
	p := c.probe(cl, q, what)
	for _, h := range p.hops() {
		for _, b := range bad {
			if b.hit(h) {
				c.Failf(p.evidence(h), "%s: %s to %s, a redirect URI that is not valid for the request (Location %s)",
					what, p.stage(h), b.raw, harness.RedactURL(h.loc))
			}
		}
	}
	if p.browsed {
		c.Saw("%s: answered %s; after login the flow ended on %s", what, c.azOutcome(p.first, ""), c.flowOutcome(p.res, p.err, ""))
	} else {
		c.azTally(p.first)
		c.Saw("%s: answered %s", what, c.azOutcome(p.first, ""))
	}
	return p
}

// ---------------------------------------------------------------------------

func authorizeRequestSpecs(e *Env) {
	e.Assert(harness.Assertion{ID: "AUTHZ-REQ-001", Level: MUST, Section: "RFC 6749 §3.1, §10.9",
		Requirement: "The authorization server MUST require TLS at the authorization endpoint: a request to its http:// form is refused or redirected to https without OAuth processing, and never yields a code."}, func(c *C) {
		c.requireAuthorize()
		a, err := url.Parse(c.Env.Endpoints.Authorize)
		if err != nil || !a.IsAbs() {
			c.Skipf("the authorization endpoint %q is not an absolute URL", c.Env.Endpoints.Authorize)
		}
		cl := c.RequireClient(profile.RolePrimary)
		loopback := loopbackHost(a.Hostname())
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
		q, _, _ := c.azQuery(cl, cl.RedirectURI())
		for _, h := range forms {
			plain := *a
			plain.Scheme, plain.Host, plain.RawQuery = "http", h, q.Encode()
			ex := c.Env.HTTP.Get(c, plain.String())
			if ex.Err != nil {
				c.Saw("http://%s refused the request: %v", h, ex.Err)
				continue
			}
			hops := azHops(ex)
			if len(hops) == 1 && hops[0].u != nil && hops[0].u.Scheme == "https" && hops[0].u.Hostname() == a.Hostname() && hops[0].u.Path == a.Path {
				c.Saw("http://%s redirects to https (%d)", h, ex.Status)
				continue
			}
			if len(hops) == 1 {
				if q, f := hops[0].params(); q.Get("code") != "" || f.Get("code") != "" {
					c.Failf(exchanges(ex), "the authorization request sent over plain http to http://%s was answered with a code", h)
				}
				if onEndpoint(hops[0].u, endpointOf(cl.RedirectURI())) {
					c.Warnf(exchanges(ex), "the authorization request sent over plain http to http://%s was processed: answered at the redirect URI (no code)", h)
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
				c.Failf(exchanges(ex), "the authorization endpoint processed the request over plain http at http://%s: it answered %d with a page (a login page?) instead of refusing or redirecting to https (RFC 6749 §3.1: MUST require TLS)", h, ex.Status)
			}
			c.Saw("http://%s answered %d", h, ex.Status)
		}
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-REQ-002", Level: MUST, Section: "RFC 6749 §3.1",
		Requirement: "The authorization server MUST support the HTTP GET method at the authorization endpoint: a valid GET request gets the login/consent page, a redirect to a login URL, or a code; never 405 or an error."}, func(c *C) {
		cl := c.azClient(profile.RolePrimary)
		r := cl.RedirectURI()
		if r == "" {
			c.Skipf("the primary client has no configured redirect URI: a refusal of its request would say nothing about GET support")
		}
		q, _, _ := c.azQuery(cl, r)
		// A user agent other than a browser (Accept: */*) is still a user
		// agent: "accepts anything" includes the login page.
		ex := c.azGet(q, harness.WithHeader("Accept", "*/*"))
		c.azSent(ex, "GET of a valid authorization request")
		// Only a 405 says GET is not supported: an error response shows the
		// GET was processed (the refusal is about the request, judged
		// elsewhere).
		c.Must(ex.Status != http.StatusMethodNotAllowed, ex, "a valid GET authorization request was answered 405 Method Not Allowed")
		c.Must(ex.Status < 500, ex, "a valid GET authorization request was answered with the server error %d", ex.Status)
		switch out := c.azOutcome(ex, r); {
		case out == "page 2xx":
			c.Saw("answered a page (status %d)", ex.Status)
		case out == "code":
			c.Saw("answered with a code at once (a session existed)")
		case out == "redirect":
			h := azHops(ex)[0]
			c.Saw("redirected to %s (a login URL)", harness.RedactURL(h.loc))
		default:
			c.Saw("processed the GET and answered %s (status %d); whether the request was right is for other checks", out, ex.Status)
		}
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-REQ-003", Level: MAY, Section: "RFC 6749 §3.1",
		Requirement: "The authorization server MAY support POST (application/x-www-form-urlencoded) at the authorization endpoint; if it processes a POST request, a valid one succeeds."}, func(c *C) {
		cl := c.azClient(profile.RolePrimary)
		r := cl.RedirectURI()
		q, _, _ := c.azQuery(cl, r)
		ex := c.Env.HTTP.Do(c, http.MethodPost, c.Env.Endpoints.Authorize, harness.WithForm(q), harness.WithHeader("Accept", "*/*"))
		if ex.Err != nil {
			c.Warnf(exchanges(ex), "the POST authorization request got no response: %v", ex.Err)
			return
		}
		switch out := c.azOutcome(ex, r); {
		case out == "code":
			c.Infof("POST is supported: a code was issued at once")
		case strings.HasPrefix(out, "error="):
			c.Warnf(exchanges(ex), "the server processed the POST authorization request (it answered at the client's redirect URI) but refused the valid request with %s", out)
		case out == "redirect" || out == "page 2xx":
			c.Skipf("precondition not met: POST appears supported (answered %s, status %d), but the flow after login is not followed (the drivers start flows with GET), so whether a valid POST succeeds could not be seen", out, ex.Status)
		default:
			c.Infof("POST is not supported: answered %s (%d)", out, ex.Status)
		}
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-REQ-004", Level: MUST, Section: "RFC 6749 §3.1",
		Requirement: "The authorization server MUST ignore unrecognized request parameters: a valid request with extra=foobar succeeds (AZ-OK)."}, func(c *C) {
		cl := c.azClient(profile.RolePrimary)
		r := cl.RedirectURI()
		base, _, _ := c.azQuery(cl, r)
		q, state, _ := c.azQuery(cl, r)
		q.Set("extra", "foobar")
		before, with := c.azGet(base), c.azGet(q)
		c.azSent(before, "the request without the unknown parameter")
		c.azSent(with, "the request with extra=foobar")
		ob, ow := c.azOutcome(before, r), c.azOutcome(with, r)
		if ow != ob && (strings.HasPrefix(ow, "error=") || with.Status >= 400) {
			c.Failf(exchanges(before, with), "the unknown parameter changed the answer from %s to %s", ob, ow)
		}
		res, err, ok := c.azBrowse(cl, q)
		if !ok {
			c.azTally(with)
			c.noBrowser("the request with extra=foobar")
			return
		}
		c.azSuccess(res, err, r, state, "the request with extra=foobar")
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-REQ-005", Level: MUST, Section: "RFC 6749 §3.1.1, §4.1.2.1",
		Requirement: "A request without response_type MUST get an error response (invalid_request or unsupported_response_type) at the redirect URI or an error page, and never a code."}, func(c *C) {
		cl := c.azClient(profile.RolePrimary)
		r := cl.RedirectURI()
		q, _, _ := c.azQuery(cl, r)
		q.Del("response_type")
		c.azRefused(cl, q, r, false, "a request without response_type", "invalid_request", "unsupported_response_type")
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-REQ-006", Level: MUST, Section: "RFC 6749 §3.1.1, §4.1.2.1",
		Requirement: "A request with an unknown response_type MUST get unsupported_response_type (or invalid_request) at the redirect URI or an error page, and never a code."}, func(c *C) {
		cl := c.azClient(profile.RolePrimary)
		r := cl.RedirectURI()
		q, _, _ := c.azQuery(cl, r)
		q.Set("response_type", "foo")
		c.azRefused(cl, q, r, false, "response_type=foo", "unsupported_response_type", "invalid_request")
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-REQ-007", Level: SHOULD, Section: "RFC 6749 §3.1, §4.1.2.1",
		Requirement: "A request repeating state, scope or client_id with conflicting values SHOULD get invalid_request or an error page, not a code, and a repeated client_id SHOULD NOT be redirected (RFC 6749 §3.1 forbids the repetition to clients; no sentence binds the server, so a server taking the first value only warns)."}, func(c *C) {
		cl := c.azClient(profile.RolePrimary)
		r := cl.RedirectURI()
		q, _, _ := c.azQuery(cl, r)
		q["state"] = []string{"a" + harness.RandomString(8), "b" + harness.RandomString(8)}
		c.azRefused(cl, q, r, true, "state=a&state=b", "invalid_request")

		if s1, s2 := c.Env.Scopes.S1, c.Env.Scopes.S2; s1 != "" && s2 != "" {
			q, _, _ = c.azQuery(cl, r)
			q["scope"] = []string{s1, s2}
			c.azRefused(cl, q, r, true, "scope="+s1+"&scope="+s2, "invalid_request")
		} else {
			c.Saw("the dialect has fewer than two scopes: the repeated-scope probe does not apply")
		}

		other := otherClient(c.Env, cl, r)
		if other == nil {
			c.Saw("the target has no second client: the repeated-client_id probe does not apply")
			return
		}
		q, _, _ = c.azQuery(cl, r)
		q["client_id"] = []string{cl.ID, other.ID}
		what := "client_id=" + cl.ID + "&client_id=" + other.ID
		p := c.probe(cl, q, what)
		for _, h := range p.hops() {
			qq, ff := h.params()
			registered := slices.ContainsFunc(append(slices.Clone(cl.RedirectURIs), other.RedirectURIs...), func(u string) bool {
				return onEndpoint(h.u, c.responseEndpoint(u))
			})
			if !registered {
				continue
			}
			if code, _, ok := codeAndState(qq, ff); ok && code != "" {
				c.Failf(p.evidence(h), "%s: %s with an authorization code although client_id is ambiguous", what, p.stage(h))
			}
			c.Warnf(p.evidence(h), "%s: %s with error %q; with an ambiguous client_id the error should be a page, not a redirect", what, p.stage(h), errorOf(qq, ff))
		}
		if !p.browsed {
			c.azTally(p.first)
			c.noBrowser(what)
		}
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-REQ-008", Level: MUST, Section: "RFC 6749 §3.1",
		Requirement: "Parameters sent without a value MUST be treated as if they were omitted: a request with scope= gets the same outcome as one without scope (a default scope, or invalid_scope)."}, func(c *C) {
		cl := c.azClient(profile.RolePrimary)
		r := cl.RedirectURI()
		omit, stOmit, vOmit := c.azQuery(cl, r)
		omit.Del("scope")
		empty, stEmpty, vEmpty := c.azQuery(cl, r)
		empty.Set("scope", "")
		exOmit, exEmpty := c.azGet(omit), c.azGet(empty)
		c.azSent(exOmit, "the request without scope")
		c.azSent(exEmpty, "the request with scope=")
		oo, oe := c.azOutcome(exOmit, r), c.azOutcome(exEmpty, r)
		c.Must(oo == oe, exEmpty, "scope= was not treated as omitted: without scope the server answered %s, with scope= it answered %s", oo, oe)

		resOmit, errOmit, ok := c.azBrowse(cl, omit)
		if !ok {
			c.Saw("both answered %s", oo)
			c.azTally(exOmit)
			c.noBrowser("the outcome after login")
			return
		}
		resEmpty, errEmpty, _ := c.azBrowse(cl, empty)
		fo, fe := c.flowOutcome(resOmit, errOmit, r), c.flowOutcome(resEmpty, errEmpty, r)
		if fo != fe {
			c.Failf(append(resOmit.Evidence(), resEmpty.Evidence()...), "scope= was not treated as omitted: after login, without scope the flow ended on %s, with scope= on %s", fo, fe)
		}
		c.Saw("both ended on %s", fo)
		if fo != "code" {
			return
		}
		// Both issued codes: the scopes they grant must be the same.
		codeOmit := c.azSuccess(resOmit, errOmit, r, stOmit, "the request without scope")
		codeEmpty := c.azSuccess(resEmpty, errEmpty, r, stEmpty, "the request with scope=")
		tOmit := c.Env.ExchangeCode(c, cl, codeOmit, r, vOmit)
		tEmpty := c.Env.ExchangeCode(c, cl, codeEmpty, r, vEmpty)
		sOmit, okOmit := Body(tOmit)["scope"].(string)
		sEmpty, okEmpty := Body(tEmpty)["scope"].(string)
		if !Issued(tOmit) || !Issued(tEmpty) || !okOmit || !okEmpty {
			c.Infof("the granted scopes could not be compared (the code exchanges did not both report scope)")
			return
		}
		c.Must(harness.SameScopes(sOmit, sEmpty), tEmpty, "scope= granted %q, but omitting scope granted %q", sEmpty, sOmit)
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-REQ-009", Level: MUST, Section: "RFC 6749 §4.1.2.1, §3.1.2.4",
		Requirement: "If the client identifier is missing or invalid, the authorization server MUST NOT automatically redirect the user agent to the redirect URI, and SHOULD inform the resource owner."}, func(c *C) {
		c.requireAuthorize()
		const attacker = "https://attacker.example/cb"
		bad := newAzBad(attacker, nil)
		base := url.Values{"response_type": {"code"}, "redirect_uri": {attacker}, "state": {harness.RandomString(16)}}
		c.noRedirect(nil, base, "a request without client_id", bad)
		unknown := cloneValues(base)
		unknown.Set("client_id", "unknown-"+harness.RandomString(8))
		p := c.noRedirect(nil, unknown, "a request with an unknown client_id", bad)
		if !p.browsed {
			c.noBrowser("the unknown-client requests")
		}
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-REQ-010", Level: MUST, Section: "RFC 9700 §2.6",
		Requirement: "CORS MUST NOT be supported at the authorization endpoint: neither a request with an Origin nor a preflight gets Access-Control-Allow-Origin for that origin or *."}, func(c *C) {
		c.RequireBCP()
		cl := c.azClient(profile.RolePrimary)
		const origin = "https://evil.example"
		q, _, _ := c.azQuery(cl, cl.RedirectURI())
		get := c.azGet(q, harness.WithHeader("Origin", origin))
		c.azSent(get, "GET with Origin")
		pre := c.Env.HTTP.Do(c, http.MethodOptions, c.Env.Endpoints.Authorize,
			harness.WithHeader("Origin", origin), harness.WithHeader("Access-Control-Request-Method", "GET"))
		c.azSent(pre, "the OPTIONS preflight")
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
func otherClient(e *Env, cl *Client, r string) *Client {
	var fallback *Client
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
