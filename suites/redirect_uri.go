package suites

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/drivers"
	"github.com/oauthconform/oauthconform/suites/engine"
	"github.com/oauthconform/oauthconform/suites/harness"
	"github.com/oauthconform/oauthconform/suites/steps"
)

func init() {
	engine.Register(engine.Group{ID: "AUTHZ-RURI", Title: "redirect URI validation and open-redirect protection", Specs: redirectURISpecs})
}

// The roles whose registrations the redirect URI probes may use, in order
// of preference.
var rurRoles = []string{profile.RolePrimary, profile.RoleMultiRedirect, profile.RoleQueryRedirect, profile.RoleSecond,
	profile.RolePublic, profile.RolePublic2, profile.RoleRestricted, profile.RoleReservedChars}

// findRedirect returns the first client (in role order) with a registered
// redirect URI satisfying ok, and that URI.
func findRedirect(e *engine.Env, roles []string, ok func(string) bool) (*engine.Client, string) {
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
func primaryWeb(c *engine.C) (*engine.Client, string) {
	cl := steps.AuthzClient(c, profile.RolePrimary)
	r := cl.RedirectURI()
	switch {
	case r == "":
		c.Skipf("the primary client has no configured redirect URI (clients.primary.redirect_uri, --redirect-uri)")
	case !steps.WebURI(r):
		c.Skipf("the primary client's redirect URI %q is not an http(s) URI (out of band): its variants cannot be probed", r)
	}
	return cl, r
}

// splitURI cuts r into its "scheme://authority" prefix, its path as
// written, and the rest (query); ok is false when r is not written plainly.
func splitURI(r string) (prefix, p, tail string, ok bool) {
	u := steps.ParseEndpoint(r)
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
	u := steps.ParseEndpoint(r)
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
	u := steps.ParseEndpoint(r)
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
	u := steps.ParseEndpoint(r)
	if u == nil {
		return want
	}
	if p := drivers.PortOf(u); p == strconv.Itoa(want) {
		return want + 1
	}
	return want
}

// checkLocationPrefix checks that a response Location is the registered
// URI with the response parameters added: the same scheme, authority and
// path, and every parameter of the registered query kept with its value.
// The registered parameters may come back in another order (RFC 6749
// §3.1.2 only says the query is retained), which is recorded.
func checkLocationPrefix(c *engine.C, h steps.Hop, r string, ev []*harness.Exchange, what string) {
	ru := steps.ParseEndpoint(r)
	if h.URL == nil || ru == nil {
		c.Failf(ev, "%s: the Location %s cannot be compared with the registered redirect URI %s", what, harness.RedactURL(h.Location), r)
	}
	c.Must(steps.OnEndpoint(h.URL, ru), h.Ex, "%s: the Location %s is not on the registered redirect URI %s (scheme, authority and path must be unchanged)", what, harness.RedactURL(h.Location), r)
	reg, _ := url.ParseQuery(ru.RawQuery)
	got := h.URL.Query()
	for k, vs := range reg {
		c.Must(len(got[k]) >= len(vs) && slices.Equal(got[k][:len(vs)], vs), h.Ex,
			"%s: the registered query parameter %s=%s is not in the Location %s", what, k, strings.Join(vs, ","), harness.RedactURL(h.Location))
	}
	if ru.RawQuery != "" && !strings.HasPrefix(h.Location, r) {
		c.Saw("%s: the registered query parameters came back in another order", what)
	}
}

func redirectURISpecs(e *engine.Env) {
	e.Assert(harness.Assertion{ID: "AUTHZ-RURI-001", Level: engine.MUST, Section: "RFC 6749 §3.1.2.3, §4.1.2",
		Requirement: "A response MUST be sent to exactly the registered redirect URI used in the request: the Location is that URI followed by ? (or & when it has a query) and the response parameters, its path, authority and query unchanged."}, func(c *engine.C) {
		steps.RequireAuthorize(c)
		type subject struct {
			cl *engine.Client
			r  string
		}
		var subjects []subject
		for _, role := range []string{profile.RolePrimary, profile.RoleQueryRedirect} {
			if cl, r := findRedirect(c.Env, []string{role}, steps.WebURI); cl != nil {
				subjects = append(subjects, subject{cl, r})
			}
		}
		if len(subjects) == 0 {
			c.Skipf("no client has an http(s) redirect URI: an out-of-band response is shown on a page of the server, with no Location to compare")
		}
		for _, s := range subjects {
			what := "the exact redirect URI " + s.r + " of " + s.cl.ID
			q, state, _ := steps.ValidCodeQuery(c, s.cl, s.r)
			// An error response goes to the same place as a code.
			inv := steps.AuthzGet(c, steps.WithUnsupportedResponseType(q))
			steps.RequireAnswer(c, inv, what+" with response_type="+steps.UnsupportedResponseType)
			if hops := steps.Hops(inv); len(hops) == 1 && steps.OnEndpoint(hops[0].URL, steps.ParseEndpoint(s.r)) {
				checkLocationPrefix(c, hops[0], s.r, engine.Exchanges(inv), what+", error response")
				c.AuthzDecided++
			} else {
				c.AuthzPending++
			}
			res, err, ok := steps.Browse(c, s.cl, q)
			if !ok {
				steps.NoBrowser(c, what)
				continue
			}
			steps.RequireCode(c, res, err, s.r, state, what)
			hops := steps.FlowHops(res)
			for i := len(hops) - 1; i >= 0; i-- {
				if steps.OnEndpoint(hops[i].URL, steps.ParseEndpoint(s.r)) {
					checkLocationPrefix(c, hops[i], s.r, res.Evidence(), what)
					break
				}
			}
			c.Saw("%s: the response went to exactly the registered URI", s.cl.ID)
		}
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-RURI-002", Level: engine.MUST, Section: "RFC 6749 §3.1.2.4, §4.1.2.1; RFC 9700 §2.1",
		Requirement: "The authorization server MUST NOT redirect the user agent to an unregistered redirect URI, neither before nor after the user logs in and consents."}, func(c *engine.C) {
		cl := steps.AuthzClient(c, profile.RolePrimary)
		const attacker = "https://attacker.example/cb"
		q, _, _ := steps.ValidCodeQuery(c, cl, attacker)
		p := steps.NoRedirect(c, cl, q, "redirect_uri="+attacker, steps.NewForbiddenRedirect(attacker, cl.RedirectURIs))
		if !p.Browsed {
			steps.NoBrowser(c, "the unregistered redirect URI")
		}
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-RURI-003", Level: engine.MUST, Section: "RFC 6749 §3.1.2.3; RFC 9700 §2.1, §4.1.3",
		Requirement: "Redirect URIs MUST be compared by exact string matching: R1 with a path suffix, dot segments, a trailing slash toggled, the path upper-cased or percent-encoded differently is never redirected to."}, func(c *engine.C) {
		cl, r := primaryWeb(c)
		variants := pathVariants(r)
		if len(variants) == 0 {
			c.Skipf("the redirect URI %q cannot be rewritten", r)
		}
		browsed := false
		for _, v := range variants {
			q, _, _ := steps.ValidCodeQuery(c, cl, v.uri)
			browsed = steps.NoRedirect(c, cl, q, v.what+" ("+v.uri+")", steps.NewForbiddenRedirect(v.uri, cl.RedirectURIs)).Browsed
		}
		if !browsed {
			steps.NoBrowser(c, "the path variants")
		}
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-RURI-004", Level: engine.MUST, Section: "RFC 6749 §3.1.2.3; RFC 9700 §2.1, §4.1.3",
		Requirement: "Redirect URIs MUST be compared by exact string matching: URIs on look-alike hosts, with R1's authority as userinfo, carrying R1 in their query, or (except for loopback URIs) on another port are never redirected to."}, func(c *engine.C) {
		steps.RequireAuthorize(c)
		probed, browsed := false, false
		noRedirect := func(cl *engine.Client, v uriVariant) {
			q, _, _ := steps.ValidCodeQuery(c, cl, v.uri)
			browsed = steps.NoRedirect(c, cl, q, v.what+" ("+v.uri+")", steps.NewForbiddenRedirect(v.uri, cl.RedirectURIs)).Browsed
			probed = true
		}
		if cl := c.Env.Client(profile.RolePrimary); cl != nil && steps.WebURI(cl.RedirectURI()) {
			for _, v := range hostVariants(cl.RedirectURI()) {
				noRedirect(cl, v)
			}
		}
		if cl := c.Env.Client(profile.RolePrimary); cl != nil && steps.LoopbackURI(cl.RedirectURI()) {
			c.Saw("the primary client's redirect URI %s is a loopback http URI, whose port may vary (RFC 8252 §7.3, RFC 9700 §4.1.3): the port probe uses another registration", cl.RedirectURI())
		}
		cl, r := findRedirect(c.Env, rurRoles, func(r string) bool { return steps.WebURI(r) && !steps.LoopbackURI(r) })
		if cl != nil {
			noRedirect(cl, uriVariant{"R on another port", portVariant(r, otherPort(r, 8443))})
		} else {
			c.Saw("no client has a non-loopback http(s) redirect URI: the port probe does not apply")
		}
		if !probed {
			c.Skipf("no client has an http(s) redirect URI (out-of-band registrations have no host to vary)")
		}
		if !browsed {
			steps.NoBrowser(c, "the host and port variants")
		}
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-RURI-005", Level: engine.MUST, Section: "RFC 9700 §2.6; RFC 6749 §3.1.2.3",
		Requirement: "A registered https redirect URI MUST NOT be matched by its http:// form (http is allowed only for loopback URIs of native apps)."}, func(c *engine.C) {
		c.RequireBCP()
		steps.RequireAuthorize(c)
		if cl := c.Env.Client(profile.RolePrimary); cl != nil && steps.LoopbackURI(cl.RedirectURI()) {
			c.Saw("the primary client's redirect URI %s is a loopback http URI, allowed for native apps (RFC 8252 §7.3): the probe uses another registration", cl.RedirectURI())
		}
		cl, r := findRedirect(c.Env, rurRoles, func(r string) bool { return steps.WebURI(r) && strings.HasPrefix(r, "https://") })
		if cl == nil {
			c.Skipf("no client has an https redirect URI to downgrade")
		}
		plain := "http://" + strings.TrimPrefix(r, "https://")
		q, _, _ := steps.ValidCodeQuery(c, cl, plain)
		if p := steps.NoRedirect(c, cl, q, "redirect_uri="+plain, steps.NewForbiddenRedirect(plain, cl.RedirectURIs)); !p.Browsed {
			steps.NoBrowser(c, "the http form of "+r)
		}
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-RURI-006", Level: engine.SHOULD, Section: "RFC 9700 §2.1; RFC 6749 §3.1.2.2",
		Requirement: "A registered redirect URI with a query added SHOULD be refused (RFC 9700 §2.1 makes exact string matching a MUST; RFC 6749 §3.1.2.2 alone lets the query vary); if accepted, the added query is kept."}, func(c *engine.C) {
		cl, r := primaryWeb(c)
		sep := "?"
		if strings.Contains(r, "?") {
			sep = "&"
		}
		v := r + sep + "foo=bar"
		q, _, _ := steps.ValidCodeQuery(c, cl, v)
		p := steps.ProbeAuthz(c, cl, q, "redirect_uri="+v)
		accepted := false
		for _, h := range p.Hops() {
			if !steps.OnEndpoint(h.URL, steps.ParseEndpoint(r)) {
				continue
			}
			if query, _ := h.Params(); query.Get("foo") == "bar" {
				if !accepted {
					c.Warnf(p.Evidence(h), "%s to %s: the registered redirect URI with a query added was accepted (RFC 9700 §2.1 requires exact matching)", p.Stage(h), harness.RedactURL(h.Location))
				}
				accepted = true
				continue
			}
			c.Infof("%s to the registered URI without foo=bar: a fallback to the registered URI (AUTHZ-RURI-008's business)", p.Stage(h))
		}
		if !accepted {
			c.Saw("refused %s: answered %s", v, steps.Outcome(c, p.First, ""))
		}
		if !p.Browsed {
			steps.TallyDecision(c, p.First)
			steps.NoBrowser(c, "the redirect URI with a query added")
		}
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-RURI-007", Level: engine.MUST, Section: "RFC 6749 §3.1.2, §3.1.2.4",
		Requirement: "A redirect URI with a fragment component MUST NOT be accepted: R1#frag is never redirected to."}, func(c *engine.C) {
		cl, r := primaryWeb(c)
		if strings.Contains(r, "#") {
			c.Skipf("the registered redirect URI %q already has a fragment", r)
		}
		v := r + "#frag"
		q, _, _ := steps.ValidCodeQuery(c, cl, v)
		p := steps.ProbeAuthz(c, cl, q, "redirect_uri="+v)
		for _, h := range p.Hops() {
			if !steps.OnEndpoint(h.URL, steps.ParseEndpoint(r)) {
				continue
			}
			if strings.Contains(h.Location, "#frag") || h.URL != nil && strings.Contains(h.URL.Fragment, "frag") {
				c.Failf(p.Evidence(h), "%s to %s: the redirect URI with a fragment was accepted", p.Stage(h), harness.RedactURL(h.Location))
			}
			c.Warnf(p.Evidence(h), "%s to the registered URI without the fragment: the server stripped the fragment, or fell back to the registered URI", p.Stage(h))
		}
		c.Saw("answered %s", steps.Outcome(c, p.First, ""))
		if !p.Browsed {
			steps.TallyDecision(c, p.First)
			steps.NoBrowser(c, "the redirect URI with a fragment")
		}
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-RURI-008", Level: engine.SHOULD, Section: "RFC 6749 §4.1.2.1, §3.1.2.4",
		Requirement: "On an invalid redirect_uri the authorization server SHOULD show an error page and not fall back to the registered redirect URI (RFC 6749 forbids only the invalid URI; the OpenID conformance suite fails the fallback)."}, func(c *engine.C) {
		cl := steps.AuthzClient(c, profile.RolePrimary)
		const attacker = "https://attacker.example/cb"
		q, _, _ := steps.ValidCodeQuery(c, cl, attacker)
		p := steps.ProbeAuthz(c, cl, q, "redirect_uri="+attacker)
		for _, h := range p.Hops() {
			for _, r := range cl.RedirectURIs {
				if steps.OnEndpoint(h.URL, steps.ResponseEndpoint(c, r)) {
					c.Warnf(p.Evidence(h), "%s to the registered redirect URI %s instead of showing an error page", p.Stage(h), r)
					return
				}
			}
		}
		if p.Browsed {
			for _, r := range cl.RedirectURIs {
				if query, _, found := steps.ResultParams(c, p.Result, r); found {
					c.Warnf(p.Result.Evidence(), "after login the flow answered the registered redirect URI %s (code %t, error %q)", r, query.Get("code") != "", query.Get("error"))
					return
				}
			}
		} else {
			steps.TallyDecision(c, p.First)
			steps.NoBrowser(c, "the fallback after login")
		}
		c.Saw("answered %s", steps.Outcome(c, p.First, ""))
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-RURI-009", Level: engine.SHOULD, Section: "RFC 6749 §3.1.2.3, §4.1.2.1",
		Requirement: "A request without redirect_uri from a client with several registered redirect URIs SHOULD NOT be redirected to any of them (RFC 6749 §3.1.2.3 makes the parameter REQUIRED of the client; sending the response to a registered default is not forbidden to the server)."}, func(c *engine.C) {
		cl := steps.AuthzClient(c, profile.RoleMultiRedirect)
		if len(cl.RedirectURIs) < 2 {
			c.Skipf("the multi-redirect client %s has %d registered redirect URI(s), not several", cl.ID, len(cl.RedirectURIs))
		}
		var bad []steps.ForbiddenRedirect
		for _, r := range cl.RedirectURIs {
			if e := steps.ResponseEndpoint(c, r); e != nil {
				bad = append(bad, steps.NewForbiddenRedirect(e.String(), nil))
			}
		}
		q, _, _ := steps.ValidCodeQuery(c, cl, "")
		if p := steps.NoRedirect(c, cl, q, "a request of "+cl.ID+" without redirect_uri", bad...); !p.Browsed {
			steps.NoBrowser(c, "the request without redirect_uri")
		}
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-RURI-010", Level: engine.SHOULD, Section: "RFC 6749 §4.1.1, §3.1.2.3",
		Requirement: "redirect_uri is OPTIONAL for a client with a single registered redirect URI: the request without it SHOULD succeed with a response to that URI (OpenID Connect makes it REQUIRED, so refusal only warns)."}, func(c *engine.C) {
		steps.RequireAuthorize(c)
		var cl *engine.Client
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
		with, _, _ := steps.ValidCodeQuery(c, cl, r)
		without, state, _ := steps.ValidCodeQuery(c, cl, "")
		exWith, exWithout := steps.AuthzGet(c, with), steps.AuthzGet(c, without)
		steps.RequireAnswer(c, exWith, "the request with redirect_uri")
		steps.RequireAnswer(c, exWithout, what)
		ow, oo := steps.Outcome(c, exWith, r), steps.Outcome(c, exWithout, r)
		if strings.HasPrefix(oo, "error=") && oo != ow {
			c.Warnf(engine.Exchanges(exWithout), "%s was refused with %s", what, oo)
			return
		}
		if oo != ow && exWithout.Status >= 400 {
			c.Warnf(engine.Exchanges(exWith, exWithout), "%s was refused: answered %s, the same request with redirect_uri %s", what, oo, ow)
			return
		}
		res, err, ok := steps.Browse(c, cl, without)
		if !ok {
			c.Saw("answered %s", oo)
			steps.TallyDecision(c, exWithout)
			steps.NoBrowser(c, what)
			return
		}
		if query, fragment, found := steps.ResultParams(c, res, r); found && err == nil {
			if _, _, ok := steps.CodeAndState(query, fragment); ok {
				steps.RequireCode(c, res, err, r, state, what)
				c.Saw("the response went to the single registered URI %s", r)
				return
			}
		}
		if res.Redirect != nil && !steps.OnEndpoint(res.Redirect, steps.ResponseEndpoint(c, r)) {
			c.Failf(res.Evidence(), "%s was answered at %s, not at the single registered redirect URI %s", what, harness.RedactURL(res.Redirect.String()), r)
		}
		if res.Redirect == nil && err == nil && res.Page != nil && res.Page.Status < 400 {
			// The control: the same flow naming the redirect URI. When it
			// ends on a page too, the driver cannot get past this server's
			// way back to the client (a script, say), which says nothing
			// about redirect_uri.
			ctl, cerr, ok := steps.Browse(c, cl, with)
			if _, _, found := steps.ResultParams(c, ctl, r); ok && !found && cerr == nil && ctl.Redirect == nil && ctl.Page != nil && ctl.Page.Status < 400 {
				c.Skipf("precondition not met: the flow with redirect_uri=%s also ended on a page the driver cannot get past (status %d; a script redirect?), so %s cannot be judged: a command driver can follow it", r, ctl.Page.Status, what)
			}
		}
		c.Warnf(res.Evidence(), "%s did not succeed: the flow ended on %s", what, steps.FlowOutcome(c, res, err, r))
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-RURI-011", Level: engine.MUST, Section: "RFC 9700 §4.1.3, §2.6; RFC 8252 §7.3",
		Requirement: "For a loopback http redirect URI of a native client the authorization server MUST allow any port: the request with another port succeeds with a response to that port."}, func(c *engine.C) {
		steps.RequireAuthorize(c)
		cl, r := findRedirect(c.Env, []string{profile.RolePublic, profile.RolePublic2, profile.RolePrimary, profile.RoleSecond,
			profile.RoleRestricted, profile.RoleReservedChars}, steps.LoopbackURI)
		if cl == nil {
			c.Skipf("no client has a loopback http redirect URI (a native app's, RFC 8252 §7.3)")
		}
		native := false
		for _, role := range rurRoles {
			if x := c.Env.Client(role); x != nil && x.Native && slices.ContainsFunc(x.RedirectURIs, steps.LoopbackURI) {
				cl, native = x, true
				r = x.RedirectURIs[slices.IndexFunc(x.RedirectURIs, steps.LoopbackURI)]
				break
			}
		}
		if !native {
			c.Skipf("no client with a loopback redirect URI is declared native (RFC 8252 §7.3's port rule is for native apps; a web client may be held to its exact port): declare native: true")
		}
		v := portVariant(r, otherPort(r, 51234))
		what := "redirect_uri=" + v + " for " + cl.ID + " (registered " + r + ")"
		base, _, _ := steps.ValidCodeQuery(c, cl, r)
		q, state, _ := steps.ValidCodeQuery(c, cl, v)
		exBase, exPort := steps.AuthzGet(c, base), steps.AuthzGet(c, q)
		steps.RequireAnswer(c, exBase, "the request with the registered port")
		steps.RequireAnswer(c, exPort, what)
		ob, op := steps.Outcome(c, exBase, r), steps.Outcome(c, exPort, v)
		if op != ob && (strings.HasPrefix(op, "error=") || exPort.Status >= 400) {
			c.Failf(engine.Exchanges(exBase, exPort), "%s was refused: answered %s, the same request with the registered port %s", what, op, ob)
		}
		res, err, ok := steps.Browse(c, cl, q)
		if !ok {
			c.Saw("answered %s", op)
			steps.TallyDecision(c, exPort)
			steps.NoBrowser(c, what)
			return
		}
		steps.RequireCode(c, res, err, v, state, what)
		c.Saw("the response went to port %s", res.Redirect.Port())
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-RURI-012", Level: engine.MUST, Section: "RFC 6749 §3.1.2, §4.1.2",
		Requirement: "The query component of a registered redirect URI MUST be retained when the response parameters are added: dummy1, dummy2, code and state all come back."}, func(c *engine.C) {
		steps.RequireAuthorize(c)
		cl, r := findRedirect(c.Env, []string{profile.RoleQueryRedirect}, func(r string) bool { return steps.WebURI(r) && strings.Contains(r, "?") })
		if cl == nil {
			c.Skipf("no client registered an http(s) redirect URI with a query (the query-redirect role)")
		}
		reg, _ := url.ParseQuery(steps.ParseEndpoint(r).RawQuery)
		keep := func(query url.Values, ev []*harness.Exchange, what string) {
			for k, vs := range reg {
				c.Must(slices.Equal(query[k], vs), lastOf(ev), "%s: the registered query parameter %s=%s was not retained (got %q)", what, k, strings.Join(vs, ","), query[k])
			}
		}
		q, state, _ := steps.ValidCodeQuery(c, cl, r)
		inv := steps.AuthzGet(c, steps.WithUnsupportedResponseType(q))
		steps.RequireAnswer(c, inv, "the request with response_type="+steps.UnsupportedResponseType)
		if hops := steps.Hops(inv); len(hops) == 1 && steps.OnEndpoint(hops[0].URL, steps.ParseEndpoint(r)) {
			query, _ := hops[0].Params()
			keep(query, engine.Exchanges(inv), "the error response")
			c.AuthzDecided++
		} else {
			c.AuthzPending++
		}
		res, err, ok := steps.Browse(c, cl, q)
		if !ok {
			steps.NoBrowser(c, "the success response to "+r)
			return
		}
		steps.RequireCode(c, res, err, r, state, "the request with "+r)
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
