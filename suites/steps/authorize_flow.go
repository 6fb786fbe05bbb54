package steps

import (
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/drivers"
	"github.com/oauthconform/oauthconform/suites/engine"
	"github.com/oauthconform/oauthconform/suites/harness"
)

// NastyState is a VSCHAR state with every character form encoding can get
// wrong (AUTHZ-RESP-002).
const NastyState = "a b+c/d=e&f%g~h'i!j#k?l"

// UnknownScope is a scope value no server knows.
const UnknownScope = "zz-unknown-scope"

// TryFlow runs req through the browser driver and returns what it got, even
// when the driver stopped with an error; ok is false when the driver cannot
// perform such a request at all (e.g. no deny control).
func TryFlow(c *engine.C, req drivers.AuthzRequest) (res *drivers.AuthzResult, err error, ok bool) {
	d := c.RequireBrowser()
	res, err = d.Authorize(c, req)
	if errors.Is(err, drivers.ErrNotSupported) {
		return res, err, false
	}
	if res == nil {
		res = &drivers.AuthzResult{}
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

// RequireFlow runs req and requires the driver to complete it: a driver that
// cannot perform the request skips the spec, a broken flow fails it.
//
// A flow broken by the server (no answer, a server error) fails; one the
// driver could not follow (a login page it does not understand) skips.
func RequireFlow(c *engine.C, req drivers.AuthzRequest) *drivers.AuthzResult {
	res, err, ok := TryFlow(c, req)
	if !ok {
		c.Skipf("the authorization driver cannot perform this request: %v", err)
	}
	if last, broke := res.BrokeAtServer(); broke {
		c.Failf(res.Exchanges, "the authorization flow broke at the server (status %d, %v): no answer or a server error is never a refusal", last.Status, err)
	}
	if err != nil {
		c.Skipf("precondition not met: the authorization driver could not complete the flow: %v", err)
	}
	return res
}

// BrowserClient is the client the response specs act as.
func BrowserClient(c *engine.C) *engine.Client {
	c.RequireBrowser()
	return c.RequireClient(profile.RolePrimary)
}

// CodeFlowRequest is a valid code-flow request of cl with the given state
// ("" sends none) and the first scope of the plan; wherever PKCE may be
// supported it carries an S256 challenge (a server may require PKCE of any
// client), whose verifier is req.Verifier.
func CodeFlowRequest(c *engine.C, cl *engine.Client, state string) drivers.AuthzRequest {
	o := CodeOpts{Scope: c.Env.Scopes.S1, State: state}
	v := ""
	if c.Env.UsesPKCE() {
		v = harness.NewVerifier()
		o.Challenge, o.Method = harness.S256(v), "S256"
	}
	q := AuthzQuery(c.Env, cl, "code", o)
	if state == "" {
		q.Del("state")
	}
	return drivers.AuthzRequest{Client: cl, Query: q, Verifier: v}
}

// ResultCode returns the code wherever the response put it: where it should be
// is AUTHZ-RESP-001's business alone.
func ResultCode(res *drivers.AuthzResult) (code string, where url.Values) {
	return resultParam(res, "code")
}

// ResultError returns the error parameter wherever the response put it.
func ResultError(res *drivers.AuthzResult) (code string, where url.Values) {
	return resultParam(res, "error")
}

// resultParam returns parameter name of the query, else of the fragment,
// and the part it came from.
func resultParam(res *drivers.AuthzResult, name string) (string, url.Values) {
	for _, part := range []url.Values{res.Query, res.Fragment} {
		if v := part.Get(name); v != "" {
			return v, part
		}
	}
	return "", nil
}

// IssuedToken reports whether the response carries an access token.
func IssuedToken(res *drivers.AuthzResult) bool {
	return res.Query.Get("access_token") != "" || res.Fragment.Get("access_token") != ""
}

// DescribeEnd says where a flow ended, for messages.
func DescribeEnd(res *drivers.AuthzResult) string {
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

// RequireCodeIssued runs a valid code request and requires a code: a server that
// refuses a valid request fails AZ-OK.
//
// An error the target never promised to avoid (a response type, client
// registration or scope nothing declared) skips instead.
func RequireCodeIssued(c *engine.C, req drivers.AuthzRequest) (*drivers.AuthzResult, string, url.Values) {
	res := RequireFlow(c, req)
	code, where := ResultCode(res)
	if code == "" {
		e, _ := ResultError(res)
		if why := c.Env.LawfulAuthzRefusal(req.Client, req.Query, e); e != "" && why != "" {
			c.Skipf("precondition not met: %s", why)
		}
		if e == "" && res.Redirect == nil && res.Page != nil && res.Page.Status < 400 && !IsOOB(c, req.Query.Get("redirect_uri")) {
			// RFC 6749 §1.7: the redirection may use any method of the user
			// agent; a page with no form and no error (a script redirect)
			// is beyond the form driver, not a refusal.
			c.Skipf("precondition not met: the flow ended on a page the driver cannot get past (status %d; a script or meta refresh redirect?): a command driver can follow it", res.Page.Status)
		}
		c.Failf(res.Exchanges, "a valid authorization request got no code: the flow ended with %s (error %q)", DescribeEnd(res), e)
	}
	return res, code, where
}

// RequireAuthzRefused checks a request the server must refuse with one of codes, an
// error page being allowed (catalogue §0.2 "page allowed", RFC 9700 §4.11):
// no code or token may be issued; a wrong error code fails, or only warns
// when codeIsShould.
func RequireAuthzRefused(c *engine.C, res *drivers.AuthzResult, codeIsShould bool, codes ...string) {
	got, _ := ResultError(res)
	code, _ := ResultCode(res)
	switch {
	case got == "" && (code != "" || IssuedToken(res)):
		c.Failf(res.Exchanges, "the server issued a code or token; it must refuse with %s (or show an error page)", strings.Join(codes, " or "))
	case got == "" && res.Redirect != nil:
		c.Failf(res.Exchanges, "the server sent the user back to the client with neither an error nor a result; it must refuse with %s", strings.Join(codes, " or "))
	case got == "":
		c.Saw("refused with %s", DescribeEnd(res))
	case slices.Contains(codes, got):
		c.Saw("refused with error %s", got)
	case codeIsShould:
		c.Warnf(res.Exchanges, "refused, but with error %q instead of %s", got, strings.Join(codes, " or "))
	default:
		c.Failf(res.Exchanges, "refused with error %q; expected %s", got, strings.Join(codes, " or "))
	}
}

// LastExchange is the response that delivered the result: the redirect to
// the client, or the result page.
func LastExchange(res *drivers.AuthzResult) *harness.Exchange {
	if res == nil || len(res.Exchanges) == 0 {
		return nil
	}
	return res.Exchanges[len(res.Exchanges)-1]
}
