package suites

import (
	"net/http"
	"strings"

	"github.com/oauthconform/oauthconform/suites/drivers"
	"github.com/oauthconform/oauthconform/suites/engine"
	"github.com/oauthconform/oauthconform/suites/harness"
	"github.com/oauthconform/oauthconform/suites/steps"
)

func init() {
	engine.Register(engine.Group{ID: "AUTHZ-SEC", Title: "browser-facing security of /authorize", Specs: authorizeSecuritySpecs})
}

// secFlow runs a valid code request through the browser driver and keeps
// what it saw even if the flow did not complete: these specs judge the pages
// and redirects on the way, not the outcome.
func secFlow(c *engine.C) *drivers.AuthzResult {
	cl := steps.BrowserClient(c)
	res, err, ok := steps.TryFlow(c, steps.CodeFlowRequest(c, cl, harness.RandomString(16)))
	if !ok {
		c.Skipf("the authorization driver cannot perform this request: %v", err)
	}
	if len(res.Exchanges) == 0 {
		c.Skipf("the authorization driver records no HTTP exchanges (e.g. a command driver)")
	}
	return res
}

// formPages are the HTML pages of the flow that hold a form: the login and
// consent pages.
func formPages(res *drivers.AuthzResult) []*harness.Exchange {
	var out []*harness.Exchange
	for _, ex := range res.Exchanges {
		if ex.Status >= 200 && ex.Status < 300 && drivers.HoldsForm(ex) {
			out = append(out, ex)
		}
	}
	return out
}

// frameProtected reports whether a response forbids framing by other sites:
// X-Frame-Options DENY or SAMEORIGIN, or a CSP frame-ancestors directive
// that is not the wildcard.
func frameProtected(h http.Header) (bool, string) {
	for _, line := range h.Values("X-Frame-Options") {
		for _, v := range strings.Split(line, ",") {
			if v = strings.TrimSpace(v); strings.EqualFold(v, "DENY") || strings.EqualFold(v, "SAMEORIGIN") {
				return true, "X-Frame-Options: " + v
			}
		}
	}
	for _, line := range h.Values("Content-Security-Policy") {
		for _, d := range strings.Split(line, ";") {
			fields := strings.Fields(d)
			if len(fields) == 0 || !strings.EqualFold(fields[0], "frame-ancestors") {
				continue
			}
			if len(fields) == 1 || (len(fields) == 2 && fields[1] == "*") {
				continue // no source list, or any site
			}
			return true, "CSP " + strings.TrimSpace(d)
		}
	}
	return false, ""
}

func authorizeSecuritySpecs(e *engine.Env) {
	e.Assert(harness.Assertion{ID: "AUTHZ-SEC-001", Level: engine.SHOULD, Section: "RFC 9700 §4.16; RFC 6749 §10.13",
		Requirement: "The login and consent pages MUST NOT be framable by other sites; they SHOULD say so with X-Frame-Options (DENY or SAMEORIGIN) or CSP frame-ancestors."}, func(c *engine.C) {
		res := secFlow(c)
		pages := formPages(res)
		if len(pages) == 0 {
			c.Skipf("the flow showed no login or consent page (no HTML form)")
		}
		for _, ex := range pages {
			ok, how := frameProtected(ex.Header)
			if !ok {
				c.Warnf(engine.Exchanges(ex), "the page with the login or consent form (%s) has neither X-Frame-Options DENY/SAMEORIGIN nor CSP frame-ancestors (frame-busting script, which headers cannot show, would also satisfy RFC 6749 §10.13)", harness.RedactURL(ex.URL))
				continue
			}
			c.Saw("framing forbidden by %s", how)
		}
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-SEC-002", Level: engine.MUST, Section: "RFC 9700 §4.12",
		Requirement: "The redirect answering the login/consent form POST MUST NOT use status 307 (the browser would re-send the credentials to the client); 303 is RECOMMENDED."}, func(c *engine.C) {
		c.RequireBCP()
		res := secFlow(c)
		posts := 0
		for _, ex := range res.Exchanges {
			if ex.Method != http.MethodPost || ex.Err != nil {
				continue
			}
			posts++
			switch s := ex.Status; {
			case s == http.StatusTemporaryRedirect:
				c.Failf(engine.Exchanges(ex), "the form POST was answered with 307 Temporary Redirect, which re-sends the credentials to %s", harness.RedactURL(ex.Location()))
			case s == http.StatusPermanentRedirect:
				c.Warnf(engine.Exchanges(ex), "the form POST was answered with 308 Permanent Redirect, which, like 307, re-sends the form")
			case s == http.StatusSeeOther:
				c.Saw("form POST answered with 303")
			case s >= 300 && s < 400:
				c.Infof("the form POST was answered with %d rather than the RECOMMENDED 303 See Other", s)
			}
		}
		if posts == 0 {
			c.Skipf("the flow had no form POST")
		}
	})
}
