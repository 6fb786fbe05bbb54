package suites

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/harness"
)

func init() {
	register(Group{ID: "AUTHZ-RURI", Title: "redirect URI validation and open-redirect protection", Specs: redirectURISpecs})
}

// The roles whose registrations the redirect URI probes may use, in order
// of preference.
var rurRoles = []string{profile.RolePrimary, profile.RoleMultiRedirect, profile.RoleQueryRedirect, profile.RoleSecond,
	profile.RolePublic, profile.RolePublic2, profile.RoleRestricted, profile.RoleReservedChars}

// findRedirect returns the first client (in role order) with a registered
// redirect URI satisfying ok, and that URI.
func findRedirect(e *Env, roles []string, ok func(string) bool) (*Client, string) {
	for _, role := range roles {
		cl := e.Client(role)
		if cl == nil {
			continue
		}
		for _, r := range cl.RedirectURIs {
			if ok(r) {
				return cl, r
			}
		}
	}
	return nil, ""
}

// primaryWeb returns the primary client and its http(s) redirect URI, or
// skips: an out-of-band URI has no variants to probe.
func (c *C) primaryWeb() (*Client, string) {
	cl := c.azClient(profile.RolePrimary)
	r := cl.RedirectURI()
	switch {
	case r == "":
		c.Skipf("the primary client has no configured redirect URI (clients.primary.redirect_uri, --redirect-uri)")
	case !webURI(r):
		c.Skipf("the primary client's redirect URI %q is not an http(s) URI (out of band): its variants cannot be probed", r)
	}
	return cl, r
}

// splitURI cuts r into its "scheme://authority" prefix, its path as
// written, and the rest (query); ok is false when r is not written plainly.
func splitURI(r string) (prefix, p, tail string, ok bool) {
	u := endpointOf(r)
	if u == nil {
		return "", "", "", false
	}
	prefix = u.Scheme + "://" + u.Host
	rest, found := strings.CutPrefix(r, prefix)
	if !found {
		return "", "", "", false
	}
	end := strings.IndexAny(rest, "?#")
	if end < 0 {
		end = len(rest)
	}
	return prefix, rest[:end], rest[end:], true
}

type uriVariant struct{ what, uri string }

// pathVariants are R1 with its path changed in ways a string comparison
// must catch (catalogue AUTHZ-RURI-003).
func pathVariants(r string) []uriVariant {
	prefix, p, tail, ok := splitURI(r)
	if !ok {
		return nil
	}
	v := func(what, np string) uriVariant { return uriVariant{what, prefix + np + tail} }
	out := []uriVariant{
		v("R1 + /extra", p+"/extra"),
		v("R1 + x", p+"x"),
		v("R1 + /../evil", p+"/../evil"),
		v("R1 + %2F", p+"%2F"),
	}
	if strings.HasSuffix(p, "/") && len(p) > 1 {
		out = append(out, v("R1 without its trailing /", strings.TrimSuffix(p, "/")))
	} else {
		out = append(out, v("R1 + trailing /", p+"/"))
	}
	if up := strings.ToUpper(p); up != p {
		out = append(out, v("R1 with the path upper-cased", up))
	}
	for i := 0; i < len(p); i++ {
		if ch := p[i]; ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' {
			out = append(out, v("R1 with a path character percent-encoded", p[:i]+fmt.Sprintf("%%%02X", ch)+p[i+1:]))
			break
		}
	}
	return out
}

// hostVariants are URIs on another host that a loose comparison of R1's
// authority would accept (catalogue AUTHZ-RURI-004), the port aside.
func hostVariants(r string) []uriVariant {
	u := endpointOf(r)
	prefix, _, _, ok := splitURI(r)
	if u == nil || !ok {
		return nil
	}
	after := r[len(prefix):]
	host, port := u.Hostname(), u.Port()
	if port != "" {
		port = ":" + port
	}
	out := []uriVariant{
		{"a URI on the host " + host + ".evil.example", u.Scheme + "://" + host + ".evil.example" + port + after},
		{"a URI whose userinfo is R1's authority", u.Scheme + "://" + u.Host + "@evil.example" + after},
		{"a URI on another host carrying R1 in its query", "https://evil.example/cb?" + r},
	}
	if !strings.Contains(host, ":") { // not an IPv6 literal
		out = append([]uriVariant{{"a URI on the host evil." + host, u.Scheme + "://evil." + host + port + after}}, out...)
	}
	return out
}

// portVariant is r on another port, or "" when r cannot be rewritten.
func portVariant(r string, port int) string {
	u := endpointOf(r)
	prefix, _, _, ok := splitURI(r)
	if u == nil || !ok {
		return ""
	}
	host := u.Hostname()
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return u.Scheme + "://" + host + ":" + strconv.Itoa(port) + r[len(prefix):]
}

// otherPort picks a port other than r's.
func otherPort(r string, want int) int {
	u := endpointOf(r)
	if u == nil {
		return want
	}
	if p := portOf(u); p == strconv.Itoa(want) {
		return want + 1
	}
	return want
}

// checkLocationPrefix checks that a response Location is the registered
// URI with the response parameters added: the same scheme, authority and
// path, and every parameter of the registered query kept with its value.
// The registered parameters may come back in another order (RFC 6749
// §3.1.2 only says the query is retained), which is recorded.
func (c *C) checkLocationPrefix(h azHop, r string, ev []*harness.Exchange, what string) {
	ru := endpointOf(r)
	if h.u == nil || ru == nil {
		c.Failf(ev, "%s: the Location %s cannot be compared with the registered redirect URI %s", what, harness.RedactURL(h.loc), r)
	}
	c.Must(onEndpoint(h.u, ru), h.ex, "%s: the Location %s is not on the registered redirect URI %s (scheme, authority and path must be unchanged)", what, harness.RedactURL(h.loc), r)
	reg, _ := url.ParseQuery(ru.RawQuery)
	got := h.u.Query()
	for k, vs := range reg {
		c.Must(len(got[k]) >= len(vs) && slices.Equal(got[k][:len(vs)], vs), h.ex,
			"%s: the registered query parameter %s=%s is not in the Location %s", what, k, strings.Join(vs, ","), harness.RedactURL(h.loc))
	}
	if ru.RawQuery != "" && !strings.HasPrefix(h.loc, r) {
		c.Saw("%s: the registered query parameters came back in another order", what)
	}
}

func redirectURISpecs(e *Env) {
	e.Assert(harness.Assertion{ID: "AUTHZ-RURI-001", Level: MUST, Section: "RFC 6749 §3.1.2.3, §4.1.2",
		Requirement: "A response MUST be sent to exactly the registered redirect URI used in the request: the Location is that URI followed by ? (or & when it has a query) and the response parameters, its path, authority and query unchanged."}, func(c *C) {
		c.requireAuthorize()
		type subject struct {
			cl *Client
			r  string
		}
		var subjects []subject
		for _, role := range []string{profile.RolePrimary, profile.RoleQueryRedirect} {
			if cl, r := findRedirect(c.Env, []string{role}, webURI); cl != nil {
				subjects = append(subjects, subject{cl, r})
			}
		}
		if len(subjects) == 0 {
			c.Skipf("no client has an http(s) redirect URI: an out-of-band response is shown on a page of the server, with no Location to compare")
		}
		for _, s := range subjects {
			what := "the exact redirect URI " + s.r + " of " + s.cl.ID
			q, state, _ := c.azQuery(s.cl, s.r)
			// An error response goes to the same place as a code.
			inv := c.azGet(azInvalid(q))
			c.azSent(inv, what+" with response_type="+azUnsupportedRT)
			if hops := azHops(inv); len(hops) == 1 && onEndpoint(hops[0].u, endpointOf(s.r)) {
				c.checkLocationPrefix(hops[0], s.r, exchanges(inv), what+", error response")
				c.azDecided++
			} else {
				c.azPending++
			}
			res, err, ok := c.azBrowse(s.cl, q)
			if !ok {
				c.noBrowser(what)
				continue
			}
			c.azSuccess(res, err, s.r, state, what)
			hops := flowHops(res)
			for i := len(hops) - 1; i >= 0; i-- {
				if onEndpoint(hops[i].u, endpointOf(s.r)) {
					c.checkLocationPrefix(hops[i], s.r, res.Evidence(), what)
					break
				}
			}
			c.Saw("%s: the response went to exactly the registered URI", s.cl.ID)
		}
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-RURI-002", Level: MUST, Section: "RFC 6749 §3.1.2.4, §4.1.2.1; RFC 9700 §2.1",
		Requirement: "The authorization server MUST NOT redirect the user agent to an unregistered redirect URI, neither before nor after the user logs in and consents."}, func(c *C) {
		cl := c.azClient(profile.RolePrimary)
		const attacker = "https://attacker.example/cb"
		q, _, _ := c.azQuery(cl, attacker)
		p := c.noRedirect(cl, q, "redirect_uri="+attacker, newAzBad(attacker, cl.RedirectURIs))
		if !p.browsed {
			c.noBrowser("the unregistered redirect URI")
		}
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-RURI-003", Level: MUST, Section: "RFC 6749 §3.1.2.3; RFC 9700 §2.1, §4.1.3",
		Requirement: "Redirect URIs MUST be compared by exact string matching: R1 with a path suffix, dot segments, a trailing slash toggled, the path upper-cased or percent-encoded differently is never redirected to."}, func(c *C) {
		cl, r := c.primaryWeb()
		variants := pathVariants(r)
		if len(variants) == 0 {
			c.Skipf("the redirect URI %q cannot be rewritten", r)
		}
		browsed := false
		for _, v := range variants {
			q, _, _ := c.azQuery(cl, v.uri)
			browsed = c.noRedirect(cl, q, v.what+" ("+v.uri+")", newAzBad(v.uri, cl.RedirectURIs)).browsed
		}
		if !browsed {
			c.noBrowser("the path variants")
		}
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-RURI-004", Level: MUST, Section: "RFC 6749 §3.1.2.3; RFC 9700 §2.1, §4.1.3",
		Requirement: "Redirect URIs MUST be compared by exact string matching: URIs on look-alike hosts, with R1's authority as userinfo, carrying R1 in their query, or (except for loopback URIs) on another port are never redirected to."}, func(c *C) {
		c.requireAuthorize()
		probed, browsed := false, false
		noRedirect := func(cl *Client, v uriVariant) {
			q, _, _ := c.azQuery(cl, v.uri)
			browsed = c.noRedirect(cl, q, v.what+" ("+v.uri+")", newAzBad(v.uri, cl.RedirectURIs)).browsed
			probed = true
		}
		if cl := c.Env.Client(profile.RolePrimary); cl != nil && webURI(cl.RedirectURI()) {
			for _, v := range hostVariants(cl.RedirectURI()) {
				noRedirect(cl, v)
			}
		}
		if cl := c.Env.Client(profile.RolePrimary); cl != nil && loopbackURI(cl.RedirectURI()) {
			c.Saw("the primary client's redirect URI %s is a loopback http URI, whose port may vary (RFC 8252 §7.3, RFC 9700 §4.1.3): the port probe uses another registration", cl.RedirectURI())
		}
		cl, r := findRedirect(c.Env, rurRoles, func(r string) bool { return webURI(r) && !loopbackURI(r) })
		if cl != nil {
			noRedirect(cl, uriVariant{"R on another port", portVariant(r, otherPort(r, 8443))})
		} else {
			c.Saw("no client has a non-loopback http(s) redirect URI: the port probe does not apply")
		}
		if !probed {
			c.Skipf("no client has an http(s) redirect URI (out-of-band registrations have no host to vary)")
		}
		if !browsed {
			c.noBrowser("the host and port variants")
		}
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-RURI-005", Level: MUST, Section: "RFC 9700 §2.6; RFC 6749 §3.1.2.3",
		Requirement: "A registered https redirect URI MUST NOT be matched by its http:// form (http is allowed only for loopback URIs of native apps)."}, func(c *C) {
		c.RequireBCP()
		c.requireAuthorize()
		if cl := c.Env.Client(profile.RolePrimary); cl != nil && loopbackURI(cl.RedirectURI()) {
			c.Saw("the primary client's redirect URI %s is a loopback http URI, allowed for native apps (RFC 8252 §7.3): the probe uses another registration", cl.RedirectURI())
		}
		cl, r := findRedirect(c.Env, rurRoles, func(r string) bool { return webURI(r) && strings.HasPrefix(r, "https://") })
		if cl == nil {
			c.Skipf("no client has an https redirect URI to downgrade")
		}
		plain := "http://" + strings.TrimPrefix(r, "https://")
		q, _, _ := c.azQuery(cl, plain)
		if p := c.noRedirect(cl, q, "redirect_uri="+plain, newAzBad(plain, cl.RedirectURIs)); !p.browsed {
			c.noBrowser("the http form of " + r)
		}
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-RURI-006", Level: SHOULD, Section: "RFC 9700 §2.1; RFC 6749 §3.1.2.2",
		Requirement: "A registered redirect URI with a query added SHOULD be refused (RFC 9700 §2.1 makes exact string matching a MUST; RFC 6749 §3.1.2.2 alone lets the query vary); if accepted, the added query is kept."}, func(c *C) {
		cl, r := c.primaryWeb()
		sep := "?"
		if strings.Contains(r, "?") {
			sep = "&"
		}
		v := r + sep + "foo=bar"
		q, _, _ := c.azQuery(cl, v)
		p := c.probe(cl, q, "redirect_uri="+v)
		accepted := false
		for _, h := range p.hops() {
			if !onEndpoint(h.u, endpointOf(r)) {
				continue
			}
			if query, _ := h.params(); query.Get("foo") == "bar" {
				if !accepted {
					c.Warnf(p.evidence(h), "%s to %s: the registered redirect URI with a query added was accepted (RFC 9700 §2.1 requires exact matching)", p.stage(h), harness.RedactURL(h.loc))
				}
				accepted = true
				continue
			}
			c.Infof("%s to the registered URI without foo=bar: a fallback to the registered URI (AUTHZ-RURI-008's business)", p.stage(h))
		}
		if !accepted {
			c.Saw("refused %s: answered %s", v, c.azOutcome(p.first, ""))
		}
		if !p.browsed {
			c.azTally(p.first)
			c.noBrowser("the redirect URI with a query added")
		}
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-RURI-007", Level: MUST, Section: "RFC 6749 §3.1.2, §3.1.2.4",
		Requirement: "A redirect URI with a fragment component MUST NOT be accepted: R1#frag is never redirected to."}, func(c *C) {
		cl, r := c.primaryWeb()
		if strings.Contains(r, "#") {
			c.Skipf("the registered redirect URI %q already has a fragment", r)
		}
		v := r + "#frag"
		q, _, _ := c.azQuery(cl, v)
		p := c.probe(cl, q, "redirect_uri="+v)
		for _, h := range p.hops() {
			if !onEndpoint(h.u, endpointOf(r)) {
				continue
			}
			if strings.Contains(h.loc, "#frag") || h.u != nil && strings.Contains(h.u.Fragment, "frag") {
				c.Failf(p.evidence(h), "%s to %s: the redirect URI with a fragment was accepted", p.stage(h), harness.RedactURL(h.loc))
			}
			c.Warnf(p.evidence(h), "%s to the registered URI without the fragment: the server stripped the fragment, or fell back to the registered URI", p.stage(h))
		}
		c.Saw("answered %s", c.azOutcome(p.first, ""))
		if !p.browsed {
			c.azTally(p.first)
			c.noBrowser("the redirect URI with a fragment")
		}
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-RURI-008", Level: SHOULD, Section: "RFC 6749 §4.1.2.1, §3.1.2.4",
		Requirement: "On an invalid redirect_uri the authorization server SHOULD show an error page and not fall back to the registered redirect URI (RFC 6749 forbids only the invalid URI; the OpenID conformance suite fails the fallback)."}, func(c *C) {
		cl := c.azClient(profile.RolePrimary)
		const attacker = "https://attacker.example/cb"
		q, _, _ := c.azQuery(cl, attacker)
		p := c.probe(cl, q, "redirect_uri="+attacker)
		for _, h := range p.hops() {
			for _, r := range cl.RedirectURIs {
				if onEndpoint(h.u, c.responseEndpoint(r)) {
					c.Warnf(p.evidence(h), "%s to the registered redirect URI %s instead of showing an error page", p.stage(h), r)
					return
				}
			}
		}
		if p.browsed {
			for _, r := range cl.RedirectURIs {
				if query, _, found := c.resultParams(p.res, r); found {
					c.Warnf(p.res.Evidence(), "after login the flow answered the registered redirect URI %s (code %t, error %q)", r, query.Get("code") != "", query.Get("error"))
					return
				}
			}
		} else {
			c.azTally(p.first)
			c.noBrowser("the fallback after login")
		}
		c.Saw("answered %s", c.azOutcome(p.first, ""))
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-RURI-009", Level: SHOULD, Section: "RFC 6749 §3.1.2.3, §4.1.2.1",
		Requirement: "A request without redirect_uri from a client with several registered redirect URIs SHOULD NOT be redirected to any of them (RFC 6749 §3.1.2.3 makes the parameter REQUIRED of the client; sending the response to a registered default is not forbidden to the server)."}, func(c *C) {
		cl := c.azClient(profile.RoleMultiRedirect)
		if len(cl.RedirectURIs) < 2 {
			c.Skipf("the multi-redirect client %s has %d registered redirect URI(s), not several", cl.ID, len(cl.RedirectURIs))
		}
		var bad []azBad
		for _, r := range cl.RedirectURIs {
			if e := c.responseEndpoint(r); e != nil {
				bad = append(bad, newAzBad(e.String(), nil))
			}
		}
		q, _, _ := c.azQuery(cl, "")
		if p := c.noRedirect(cl, q, "a request of "+cl.ID+" without redirect_uri", bad...); !p.browsed {
			c.noBrowser("the request without redirect_uri")
		}
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-RURI-010", Level: SHOULD, Section: "RFC 6749 §4.1.1, §3.1.2.3",
		Requirement: "redirect_uri is OPTIONAL for a client with a single registered redirect URI: the request without it SHOULD succeed with a response to that URI (OpenID Connect makes it REQUIRED, so refusal only warns)."}, func(c *C) {
		c.requireAuthorize()
		var cl *Client
		var r string
		for _, role := range rurRoles {
			if x := c.Env.Client(role); x != nil && len(x.RedirectURIs) == 1 {
				cl, r = x, x.RedirectURIs[0]
				break
			}
		}
		if cl == nil {
			c.Skipf("no client has exactly one registered redirect URI")
		}
		what := "a request of " + cl.ID + " without redirect_uri"
		with, _, _ := c.azQuery(cl, r)
		without, state, _ := c.azQuery(cl, "")
		exWith, exWithout := c.azGet(with), c.azGet(without)
		c.azSent(exWith, "the request with redirect_uri")
		c.azSent(exWithout, what)
		ow, oo := c.azOutcome(exWith, r), c.azOutcome(exWithout, r)
		if strings.HasPrefix(oo, "error=") && oo != ow {
			c.Warnf(exchanges(exWithout), "%s was refused with %s", what, oo)
			return
		}
		if oo != ow && exWithout.Status >= 400 {
			c.Warnf(exchanges(exWith, exWithout), "%s was refused: answered %s, the same request with redirect_uri %s", what, oo, ow)
			return
		}
		res, err, ok := c.azBrowse(cl, without)
		if !ok {
			c.Saw("answered %s", oo)
			c.azTally(exWithout)
			c.noBrowser(what)
			return
		}
		if query, fragment, found := c.resultParams(res, r); found && err == nil {
			if _, _, ok := codeAndState(query, fragment); ok {
				c.azSuccess(res, err, r, state, what)
				c.Saw("the response went to the single registered URI %s", r)
				return
			}
		}
		if res.Redirect != nil && !onEndpoint(res.Redirect, c.responseEndpoint(r)) {
			c.Failf(res.Evidence(), "%s was answered at %s, not at the single registered redirect URI %s", what, harness.RedactURL(res.Redirect.String()), r)
		}
		if res.Redirect == nil && err == nil && res.Page != nil && res.Page.Status < 400 {
			// The control: the same flow naming the redirect URI. When it
			// ends on a page too, the driver cannot get past this server's
			// way back to the client (a script, say), which says nothing
			// about redirect_uri.
			ctl, cerr, ok := c.azBrowse(cl, with)
			if _, _, found := c.resultParams(ctl, r); ok && !found && cerr == nil && ctl.Redirect == nil && ctl.Page != nil && ctl.Page.Status < 400 {
				c.Skipf("precondition not met: the flow with redirect_uri=%s also ended on a page the driver cannot get past (status %d; a script redirect?), so %s cannot be judged: a command driver can follow it", r, ctl.Page.Status, what)
			}
		}
		c.Warnf(res.Evidence(), "%s did not succeed: the flow ended on %s", what, c.flowOutcome(res, err, r))
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-RURI-011", Level: MUST, Section: "RFC 9700 §4.1.3, §2.6; RFC 8252 §7.3",
		Requirement: "For a loopback http redirect URI of a native client the authorization server MUST allow any port: the request with another port succeeds with a response to that port."}, func(c *C) {
		c.requireAuthorize()
		cl, r := findRedirect(c.Env, []string{profile.RolePublic, profile.RolePublic2, profile.RolePrimary, profile.RoleSecond,
			profile.RoleRestricted, profile.RoleReservedChars}, loopbackURI)
		if cl == nil {
			c.Skipf("no client has a loopback http redirect URI (a native app's, RFC 8252 §7.3)")
		}
		native := false
		for _, role := range rurRoles {
			if x := c.Env.Client(role); x != nil && x.Native && slices.ContainsFunc(x.RedirectURIs, loopbackURI) {
				cl, native = x, true
				r = x.RedirectURIs[slices.IndexFunc(x.RedirectURIs, loopbackURI)]
				break
			}
		}
		if !native {
			c.Skipf("no client with a loopback redirect URI is declared native (RFC 8252 §7.3's port rule is for native apps; a web client may be held to its exact port): declare native: true")
		}
		v := portVariant(r, otherPort(r, 51234))
		what := "redirect_uri=" + v + " for " + cl.ID + " (registered " + r + ")"
		base, _, _ := c.azQuery(cl, r)
		q, state, _ := c.azQuery(cl, v)
		exBase, exPort := c.azGet(base), c.azGet(q)
		c.azSent(exBase, "the request with the registered port")
		c.azSent(exPort, what)
		ob, op := c.azOutcome(exBase, r), c.azOutcome(exPort, v)
		if op != ob && (strings.HasPrefix(op, "error=") || exPort.Status >= 400) {
			c.Failf(exchanges(exBase, exPort), "%s was refused: answered %s, the same request with the registered port %s", what, op, ob)
		}
		res, err, ok := c.azBrowse(cl, q)
		if !ok {
			c.Saw("answered %s", op)
			c.azTally(exPort)
			c.noBrowser(what)
			return
		}
		c.azSuccess(res, err, v, state, what)
		c.Saw("the response went to port %s", res.Redirect.Port())
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-RURI-012", Level: MUST, Section: "RFC 6749 §3.1.2, §4.1.2",
		Requirement: "The query component of a registered redirect URI MUST be retained when the response parameters are added: dummy1, dummy2, code and state all come back."}, func(c *C) {
		c.requireAuthorize()
		cl, r := findRedirect(c.Env, []string{profile.RoleQueryRedirect}, func(r string) bool { return webURI(r) && strings.Contains(r, "?") })
		if cl == nil {
			c.Skipf("no client registered an http(s) redirect URI with a query (the query-redirect role)")
		}
		reg, _ := url.ParseQuery(endpointOf(r).RawQuery)
		keep := func(query url.Values, ev []*harness.Exchange, what string) {
			for k, vs := range reg {
				c.Must(slices.Equal(query[k], vs), lastOf(ev), "%s: the registered query parameter %s=%s was not retained (got %q)", what, k, strings.Join(vs, ","), query[k])
			}
		}
		q, state, _ := c.azQuery(cl, r)
		inv := c.azGet(azInvalid(q))
		c.azSent(inv, "the request with response_type="+azUnsupportedRT)
		if hops := azHops(inv); len(hops) == 1 && onEndpoint(hops[0].u, endpointOf(r)) {
			query, _ := hops[0].params()
			keep(query, exchanges(inv), "the error response")
			c.azDecided++
		} else {
			c.azPending++
		}
		res, err, ok := c.azBrowse(cl, q)
		if !ok {
			c.noBrowser("the success response to " + r)
			return
		}
		c.azSuccess(res, err, r, state, "the request with "+r)
		keep(res.Query, res.Evidence(), "the success response")
		c.Saw("the registered query was retained beside the code and state")
	})
}

func lastOf(ev []*harness.Exchange) *harness.Exchange {
	if len(ev) == 0 {
		return nil
	}
	return ev[len(ev)-1]
}
