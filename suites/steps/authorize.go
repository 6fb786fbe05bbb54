package steps

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
	"github.com/oauthconform/oauthconform/suites/drivers"
	"github.com/oauthconform/oauthconform/suites/engine"
	"github.com/oauthconform/oauthconform/suites/harness"
	"github.com/oauthconform/oauthconform/suites/target"
)

// UnsupportedResponseType is a response_type no server supports: a request carrying
// it is invalid, so a server that checks it before the redirect URI answers
// at once, and must still never redirect to a URI it has not validated.
const UnsupportedResponseType = "zz-unsupported"

// RequireAuthorize skips unless the target has an authorization endpoint
// with the code flow.
func RequireAuthorize(c *engine.C) {
	if c.Env.Endpoints.Authorize == "" {
		c.Skipf("the target has no authorization endpoint (none configured, advertised or in the %s dialect)", c.Env.Dialect.Name)
	}
	if s, why := c.Env.ResponseType(profile.ResponseCode); s == engine.Absent {
		c.Skipf("%s", why)
	}
	c.RequirePresent(target.EndpointAuthorize)
}

// AuthzClient is the client of a spec, or skips.
func AuthzClient(c *engine.C, role string) *engine.Client {
	RequireAuthorize(c)
	return c.RequireClient(role)
}

// ValidCodeQuery is a valid code-flow request of cl to redirect ("" omits
// redirect_uri) with a fresh state and the first scope; where the dialect
// has PKCE it carries an S256 challenge (clients may be required to use it),
// whose verifier is returned.
func ValidCodeQuery(c *engine.C, cl *engine.Client, redirect string) (q url.Values, state, verifier string) {
	o := CodeOpts{Scope: c.Env.Scopes.S1, RedirectURI: redirect, OmitRedirectURI: redirect == "", State: harness.RandomString(16)}
	if c.Env.UsesPKCE() {
		verifier = harness.NewVerifier()
		o.Challenge, o.Method = harness.S256(verifier), "S256"
	}
	return AuthzQuery(c.Env, cl, "code", o), o.State, verifier
}

// AuthzGet sends AUTHZ(q): a GET of the authorization request that does not
// follow redirects.
func AuthzGet(c *engine.C, q url.Values, opts ...harness.RequestOption) *harness.Exchange {
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

// RequireAnswer requires a response: a transport failure is a failed check.
func RequireAnswer(c *engine.C, ex *harness.Exchange, what string) {
	if ex.Err != nil {
		c.Failf(engine.Exchanges(ex), "%s: no response: %v", what, ex.Err)
	}
}

// WithUnsupportedResponseType is q made invalid by an unsupported response_type.
func WithUnsupportedResponseType(q url.Values) url.Values {
	out := engine.CloneValues(q)
	out.Set("response_type", UnsupportedResponseType)
	return out
}

// Browse runs the request through the browser-like driver as the user:
// log in, consent, stop at the first URL outside the server. ok is false
// when no such driver is configured (or it cannot make this request).
func Browse(c *engine.C, cl *engine.Client, q url.Values) (res *drivers.AuthzResult, err error, ok bool) {
	if c.Env.Browser == nil {
		return nil, nil, false
	}
	res, err = c.Env.Browser.Authorize(c, drivers.AuthzRequest{Client: cl, Query: q})
	if errors.Is(err, drivers.ErrNotSupported) {
		return nil, nil, false
	}
	if res == nil {
		res = &drivers.AuthzResult{Query: url.Values{}, Fragment: url.Values{}}
	}
	res.Request, res.Client = q, cl
	return res, err, true
}

// NoBrowser notes what a spec could not check without a browser-like
// driver. A spec one of whose requests got no decision (it was answered
// with a login page or a redirect to one) did not check its whole
// requirement, and skips rather than pass hollow: the server may still
// break the rule after login.
func NoBrowser(c *engine.C, what string) {
	if c.AuthzPending > 0 {
		decided := ""
		if c.AuthzDecided > 0 {
			decided = fmt.Sprintf(" (%d of its %d requests got a decision at once, the rest only a login page)", c.AuthzDecided, c.AuthzDecided+c.AuthzPending)
		}
		c.Skipf("precondition not met: %s: the server answered with a login or consent page (or a redirect to one)%s, and no browser-like authorization driver is configured to go past it, so the outcome could not be seen (configure a driver: docs/TARGETS.md)", what, decided)
	}
	c.Infof("%s: not checked after login and consent: no browser-like authorization driver is configured", what)
}

// TallyDecision records whether the server decided an authorization request in
// its first answer (see C.AuthzDecided): an error page (4xx), or a redirect
// whose URL carries code or error. A 2xx page or a redirect elsewhere
// (typically a login page) is pending. It returns whether it was decided.
func TallyDecision(c *engine.C, ex *harness.Exchange) bool {
	if ex == nil || ex.Err != nil {
		return false
	}
	decided := ex.Status >= 400
	if hops := Hops(ex); len(hops) == 1 {
		q, f := hops[0].Params()
		decided = q.Has("code") || q.Has("error") || f.Has("code") || f.Has("error") || f.Has("access_token")
	}
	if decided {
		c.AuthzDecided++
	} else {
		c.AuthzPending++
	}
	return decided
}

// Hop is one redirect of a flow: the exchange, its raw Location and the
// Location resolved (nil when it does not parse).
type Hop struct {
	Ex       *harness.Exchange
	Location string
	URL      *url.URL
}

// Hops lists the redirects among exs.
func Hops(exs ...*harness.Exchange) []Hop {
	var out []Hop
	for _, ex := range exs {
		if ex == nil || ex.Err != nil || ex.Status < 300 || ex.Status >= 400 || ex.Location() == "" {
			continue
		}
		u, err := ex.RedirectURL()
		if err != nil {
			u = nil
		}
		out = append(out, Hop{Ex: ex, Location: ex.Location(), URL: u})
	}
	return out
}

// FlowHops lists the redirects of a driver's flow, its final Redirect
// included.
func FlowHops(res *drivers.AuthzResult) []Hop {
	if res == nil {
		return nil
	}
	hops := Hops(res.Exchanges...)
	if res.Redirect != nil && !slices.ContainsFunc(hops, func(h Hop) bool { return h.URL != nil && h.URL.String() == res.Redirect.String() }) {
		var last *harness.Exchange
		if n := len(res.Exchanges); n > 0 {
			last = res.Exchanges[n-1]
		}
		hops = append(hops, Hop{Ex: last, Location: res.Redirect.String(), URL: res.Redirect})
	}
	return hops
}

// Params returns the response parameters a redirect carries: query and
// fragment, each parsed leniently.
func (h Hop) Params() (query, fragment url.Values) {
	before, frag, _ := strings.Cut(h.Location, "#")
	_, q, _ := strings.Cut(before, "?")
	query, _ = url.ParseQuery(q)
	fragment, _ = url.ParseQuery(frag)
	return query, fragment
}

// ParseEndpoint parses an absolute URI with a host, for comparing redirects by
// scheme, host, port and path; nil otherwise (an out-of-band URN).
func ParseEndpoint(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return nil
	}
	return u
}

// OnEndpoint reports whether u is on e's scheme, host, port and path.
func OnEndpoint(u, e *url.URL) bool {
	return u != nil && e != nil && drivers.SameOrigin(u, e) && u.EscapedPath() == e.EscapedPath()
}

// cleanPath is u's path percent-decoded with dot segments removed.
func cleanPath(u *url.URL) string { return path.Clean("/" + u.Path) }

// WebURI reports whether a redirect URI is an http(s) URI with a host: one
// whose variants can be probed.
func WebURI(s string) bool {
	u := ParseEndpoint(s)
	return u != nil && (u.Scheme == "http" || u.Scheme == "https")
}

// LoopbackURI reports whether s is an http URI on a loopback host: RFC 8252
// §7.3 lets its port vary and RFC 9700 §2.6 allows its http scheme.
func LoopbackURI(s string) bool {
	u := ParseEndpoint(s)
	return u != nil && u.Scheme == "http" && LoopbackHost(u.Hostname())
}

// LoopbackHost reports whether h is localhost or a loopback IP address.
func LoopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// ResponseEndpoint is where responses for redirect URI r arrive: r itself,
// or for the dialect's out-of-band URI the server's own result page.
func ResponseEndpoint(c *engine.C, r string) *url.URL {
	if IsOOB(c, r) {
		return ParseEndpoint(c.Env.Endpoints.OOB)
	}
	return ParseEndpoint(r)
}

// IsOOB reports whether r is the dialect's out-of-band redirect URI.
func IsOOB(c *engine.C, r string) bool {
	oob := c.Env.Dialect.Authorize.OOBRedirectURI
	return oob != "" && r == oob
}

// ResultParams returns the authorization response a driver's flow reached
// at r: the parameters of its Redirect there, or those read from the
// out-of-band page; found is false when the flow ended elsewhere.
func ResultParams(c *engine.C, res *drivers.AuthzResult, r string) (query, fragment url.Values, found bool) {
	if res == nil {
		return nil, nil, false
	}
	if IsOOB(c, r) && res.Redirect == nil {
		return res.Query, url.Values{}, len(res.Query) > 0
	}
	if res.Redirect != nil && OnEndpoint(res.Redirect, ResponseEndpoint(c, r)) {
		return res.Query, res.Fragment, true
	}
	return nil, nil, false
}

// CodeAndState finds the code and the state beside it, in the query or the
// fragment: which of the two is right is AUTHZ-RESP-001's business.
func CodeAndState(query, fragment url.Values) (code, state string, ok bool) {
	for _, v := range []url.Values{query, fragment} {
		if c := v.Get("code"); c != "" {
			return c, v.Get("state"), true
		}
	}
	return "", "", false
}

// ParamError returns the error parameter of an authorization response,
// from the query or the fragment.
func ParamError(query, fragment url.Values) string {
	if e := query.Get("error"); e != "" {
		return e
	}
	return fragment.Get("error")
}

// RequireCode checks AZ-OK on a driver's flow: it delivered a code to r, with
// the state byte for byte. Where the code sits is AUTHZ-RESP-001's business
// and the exact Location prefix AUTHZ-RURI-001's; here success counts.
// It returns the code.
//
// A flow the driver could not follow (an error of the driver, a page it
// cannot get past) skips, as does a refusal nothing promised against; no
// answer or a server error fails.
func RequireCode(c *engine.C, res *drivers.AuthzResult, err error, r, state, what string) string {
	ev := res.Evidence()
	if err != nil {
		if _, broke := res.BrokeAtServer(); broke {
			c.Failf(ev, "%s: the authorization flow broke at the server: %v", what, err)
		}
		c.Skipf("precondition not met: %s: the authorization driver could not complete the flow: %v", what, err)
	}
	query, fragment, found := ResultParams(c, res, r)
	if !found {
		if last, broke := res.BrokeAtServer(); broke {
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
	code, gotState, ok := CodeAndState(query, fragment)
	if !ok {
		e := ParamError(query, fragment)
		if why := c.Env.LawfulAuthzRefusal(res.Client, res.Request, e); e != "" && why != "" {
			c.Skipf("precondition not met: %s: %s", what, why)
		}
		c.Failf(ev, "%s: the response to %s carries no code (error %q)", what, r, e)
	}
	c.Must(gotState == state, res.LoginResponse, "%s: state %q came back as %q", what, state, gotState)
	return code
}

// Outcome classifies a response to an authorization request, for
// comparing two requests: "code", "error=<code>" (a response at r),
// "redirect" (elsewhere, e.g. a login URL), "page <status>".
func Outcome(c *engine.C, ex *harness.Exchange, r string) string {
	if hops := Hops(ex); len(hops) == 1 {
		h := hops[0]
		if OnEndpoint(h.URL, ResponseEndpoint(c, r)) {
			q, f := h.Params()
			if _, _, ok := CodeAndState(q, f); ok {
				return "code"
			}
			return "error=" + ParamError(q, f)
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

// FlowOutcome classifies where a driver's flow ended, as Outcome.
func FlowOutcome(c *engine.C, res *drivers.AuthzResult, err error, r string) string {
	if q, f, found := ResultParams(c, res, r); found {
		if _, _, ok := CodeAndState(q, f); ok {
			return "code"
		}
		return "error=" + ParamError(q, f)
	}
	if res.Redirect != nil {
		return "redirect elsewhere"
	}
	if err != nil {
		return "flow error"
	}
	return "page"
}

// ForbiddenRedirect is a URI no response of a flow may be redirected to (NO-REDIRECT):
// matched by scheme, host, port and path, and also by its normalised path
// (dot segments removed, percent-decoded) unless that is a registered URI's.
type ForbiddenRedirect struct {
	raw string
	u   *url.URL
	alt string
}

// NewForbiddenRedirect makes raw a URI no response may be redirected to;
// registered are the client's redirect URIs, whose normalised paths are not
// forbidden.
func NewForbiddenRedirect(raw string, registered []string) ForbiddenRedirect {
	b := ForbiddenRedirect{raw: raw, u: ParseEndpoint(raw)}
	if b.u == nil {
		return b
	}
	b.alt = cleanPath(b.u)
	if b.alt == b.u.EscapedPath() {
		b.alt = ""
	}
	for _, r := range registered {
		if ru := ParseEndpoint(r); ru != nil && drivers.SameOrigin(ru, b.u) && cleanPath(ru) == b.alt {
			b.alt = ""
		}
	}
	return b
}

func (b ForbiddenRedirect) hit(h Hop) bool {
	if h.URL == nil || b.u == nil {
		return strings.HasPrefix(h.Location, b.raw)
	}
	if !drivers.SameOrigin(h.URL, b.u) {
		return false
	}
	return h.URL.EscapedPath() == b.u.EscapedPath() || b.alt != "" && cleanPath(h.URL) == b.alt
}

// Probe is what one authorization request led to: the request itself and
// the same request made invalid, each without following redirects, and —
// with a browser-like driver — the flow after login and consent.
type Probe struct {
	First, invalid *harness.Exchange
	Result         *drivers.AuthzResult
	err            error
	Browsed        bool
}

// ProbeAuthz sends q as AUTHZ(q), then WithUnsupportedResponseType(q), then through the driver.
func ProbeAuthz(c *engine.C, cl *engine.Client, q url.Values, what string) *Probe {
	p := &Probe{First: AuthzGet(c, q)}
	RequireAnswer(c, p.First, what)
	p.invalid = AuthzGet(c, WithUnsupportedResponseType(q))
	RequireAnswer(c, p.invalid, what+" with response_type="+UnsupportedResponseType)
	p.Result, p.err, p.Browsed = Browse(c, cl, q)
	return p
}

// Hops lists the redirects of every stage of the probe.
func (p *Probe) Hops() []Hop {
	return append(Hops(p.First, p.invalid), FlowHops(p.Result)...)
}

// Evidence returns the exchanges that show hop h.
func (p *Probe) Evidence(h Hop) []*harness.Exchange {
	if h.Ex == p.First || h.Ex == p.invalid {
		return engine.Exchanges(h.Ex)
	}
	return p.Result.Evidence()
}

// Stage names where in the probe a redirect happened.
func (p *Probe) Stage(h Hop) string {
	switch h.Ex {
	case p.First:
		return "the authorization request was redirected"
	case p.invalid:
		return "its error (response_type=" + UnsupportedResponseType + ") was redirected"
	}
	return "after login and consent, the user agent was redirected"
}

// NoRedirect checks NO-REDIRECT: no response to q, to q made invalid, or of
// the flow after login and consent, is a redirect to any of bad. It returns
// the probe for further checks.
func NoRedirect(c *engine.C, cl *engine.Client, q url.Values, what string, bad ...ForbiddenRedirect) *Probe {
	p := ProbeAuthz(c, cl, q, what)
	for _, h := range p.Hops() {
		for _, b := range bad {
			if b.hit(h) {
				c.Failf(p.Evidence(h), "%s: %s to %s, a redirect URI that is not valid for the request (Location %s)",
					what, p.Stage(h), b.raw, harness.RedactURL(h.Location))
			}
		}
	}
	if p.Browsed {
		c.Saw("%s: answered %s; after login the flow ended on %s", what, Outcome(c, p.First, ""), FlowOutcome(c, p.Result, p.err, ""))
	} else {
		TallyDecision(c, p.First)
		c.Saw("%s: answered %s", what, Outcome(c, p.First, ""))
	}
	return p
}
