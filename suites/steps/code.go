package steps

import (
	"errors"
	"fmt"
	"net/url"

	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/drivers"
	"github.com/oauthconform/oauthconform/suites/engine"
	"github.com/oauthconform/oauthconform/suites/harness"
)

// CodeOpts shapes the authorization request behind a code.
type CodeOpts struct {
	Scope string
	// RedirectURI defaults to the client's first registered one.
	RedirectURI     string
	OmitRedirectURI bool
	// Challenge and Method are the PKCE code_challenge and its method.
	Challenge, Method string
	State             string
	Extra             url.Values
}

// authzQuery builds a code-flow authorization request for cl.
func authzQuery(cl *engine.Client, responseType string, o CodeOpts) url.Values {
	q := url.Values{"response_type": {responseType}, "client_id": {cl.ID}}
	if !o.OmitRedirectURI {
		r := o.RedirectURI
		if r == "" {
			r = cl.RedirectURI()
		}
		if r != "" {
			q.Set("redirect_uri", r)
		}
	}
	state := o.State
	if state == "" {
		state = harness.RandomString(16)
	}
	q.Set("state", state)
	if o.Scope != "" {
		q.Set("scope", o.Scope)
	}
	if o.Challenge != "" {
		q.Set("code_challenge", o.Challenge)
		if o.Method != "" {
			q.Set("code_challenge_method", o.Method)
		}
	}
	for k, vs := range o.Extra {
		q[k] = vs
	}
	return q
}

// AuthzQuery is an authorization request of cl for responseType plus what
// the target wants on every authorization request: its required scopes
// (e.g. openid) and extra parameters (e.g. prompt=consent).
func AuthzQuery(e *engine.Env, cl *engine.Client, responseType string, o CodeOpts) url.Values {
	if len(e.Scopes.Required) > 0 {
		o.Scope = engine.JoinScopes(append([]string{o.Scope}, e.Scopes.Required...)...)
	}
	q := authzQuery(cl, responseType, o)
	for k, vs := range e.AuthorizeParams {
		if !q.Has(k) {
			q[k] = vs
		}
	}
	return q
}

// Code obtains an authorization code for cl through the driver, or skips:
// for the token endpoint's specs a code is a precondition, and a flow that
// yields none (the driver failed, or the server refused) skips with the
// reason. The authorize endpoint's own specs judge the flow itself.
func Code(c *engine.C, cl *engine.Client, o CodeOpts) (string, *drivers.AuthzResult) {
	d := c.RequireDriver()
	res, err := d.Authorize(c, drivers.AuthzRequest{Client: cl, Query: AuthzQuery(c.Env, cl, "code", o)})
	if errors.Is(err, drivers.ErrNotSupported) {
		c.Skipf("the authorization driver cannot perform this request")
	}
	if err != nil {
		c.Skipf("precondition not met: no authorization code was obtained: %v", err)
	}
	code := res.Code()
	if code == "" {
		why := fmt.Sprintf("the authorization response carried no code (error %q, %s)", res.Error(), res.Query.Get("error_description"))
		if hint := c.Env.LawfulAuthzRefusal(cl, AuthzQuery(c.Env, cl, "code", o), res.Error()); hint != "" {
			why += ": " + hint
		}
		c.Skipf("precondition not met: %s", why)
	}
	return code, res
}

// CodeTokens obtains a code for cl and redeems it, requiring success.
func CodeTokens(c *engine.C, cl *engine.Client, o CodeOpts, verifier string) (map[string]any, *harness.Exchange) {
	code, _ := Code(c, cl, o)
	redirect := o.RedirectURI
	if redirect == "" && !o.OmitRedirectURI {
		redirect = cl.RedirectURI()
	}
	ex := c.Env.ExchangeCode(c, cl, code, redirect, verifier)
	return c.Tokens(ex, "code exchange"), ex
}

// TryCode is Code for requests the authorization server may lawfully
// refuse: a flow that ends without a code returns "" and its result (the
// refusal) instead of failing. It skips when the driver cannot perform the
// request, and fails when the flow could not be run at all.
func TryCode(c *engine.C, cl *engine.Client, o CodeOpts) (string, *drivers.AuthzResult) {
	d := c.RequireDriver()
	res, err := d.Authorize(c, drivers.AuthzRequest{Client: cl, Query: AuthzQuery(c.Env, cl, "code", o)})
	if errors.Is(err, drivers.ErrNotSupported) {
		c.Skipf("the authorization driver cannot perform this request")
	}
	if res == nil {
		res = &drivers.AuthzResult{Query: url.Values{}, Fragment: url.Values{}}
	}
	if last, broke := res.BrokeAtServer(); broke {
		c.Failf(res.Exchanges, "the authorization flow broke at the server (status %d, %v)", last.Status, err)
	}
	if err != nil {
		c.Skipf("precondition not met: the authorization request could not be run: %v", err)
	}
	return res.Code(), res
}

// FreshCode gets an unredeemed authorization code for cl through the
// driver, with PKCE S256 wherever PKCE may be supported (public clients
// need it). It returns the code_verifier to redeem it with, or why there is no
// code.
func FreshCode(c *engine.C, cl *engine.Client, scope string) (code, verifier, why string) {
	e := c.Env
	if !e.HasGrant(profile.GrantAuthorizationCode) || e.Driver == nil {
		return "", "", "no authorization_code grant or no authorization driver"
	}
	verifier = harness.NewVerifier()
	o := CodeOpts{Scope: scope}
	if e.UsesPKCE() {
		o.Challenge, o.Method = harness.S256(verifier), "S256"
	} else {
		verifier = ""
	}
	res, err := e.Driver.Authorize(c, drivers.AuthzRequest{Client: cl, Query: AuthzQuery(c.Env, cl, "code", o)})
	if err != nil {
		return "", "", fmt.Sprintf("the authorization request failed: %v", err)
	}
	if res.Code() == "" {
		return "", "", fmt.Sprintf("the authorization response carried no code (error %q)", res.Error())
	}
	return res.Code(), verifier, ""
}

// CodeBaseline returns the body of a token request that should succeed for
// cl once Env.Token adds its client authentication, and names the grant:
// client_credentials when the target offers it to cl (declared, advertised,
// or shown by one successful request), else the redemption of a fresh
// authorization code (PKCE S256 where PKCE may be supported). It skips when
// neither is possible. Each call returns a new body (with a new code), so
// the caller may change it.
func CodeBaseline(c *engine.C, cl *engine.Client) (url.Values, string) {
	e := c.Env
	if e.ClientCredentialsWork(c, cl) {
		form := url.Values{"grant_type": {profile.GrantClientCredentials}}
		if e.Scopes.S1 != "" {
			form.Set("scope", e.Scopes.S1)
		}
		return form, profile.GrantClientCredentials
	}
	if e.HasGrant(profile.GrantAuthorizationCode) && engine.ClientGrant(cl, profile.GrantAuthorizationCode) != engine.Absent && e.Driver != nil {
		return genCodeForm(c, cl), profile.GrantAuthorizationCode
	}
	c.Skipf("client %q can use neither client_credentials (public: %v; %s) nor an authorization code exchange (no driver or no code grant)",
		cl.ID, cl.Public(), e.ClientCredentialsWhy(cl))
	return nil, ""
}

// genCodeForm obtains a fresh code for cl and returns the body redeeming it.
func genCodeForm(c *engine.C, cl *engine.Client) url.Values {
	o := CodeOpts{Scope: c.Env.Scopes.S1}
	verifier := ""
	if c.Env.UsesPKCE() {
		verifier = harness.NewVerifier()
		o.Challenge, o.Method = harness.S256(verifier), "S256"
	}
	code, _ := Code(c, cl, o)
	form := url.Values{"grant_type": {profile.GrantAuthorizationCode}, "code": {code}}
	if r := cl.RedirectURI(); r != "" {
		form.Set("redirect_uri", r)
	}
	if verifier != "" {
		form.Set("code_verifier", verifier)
	}
	return form
}
