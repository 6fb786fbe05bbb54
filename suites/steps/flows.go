package steps

import (
	"errors"
	"fmt"
	"net/url"

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

// AuthzQuery is a code-flow authorization request for cl (authzQuery) plus
// what the target wants on
// every authorization request: its required scopes (e.g. openid) and extra
// parameters (e.g. prompt=consent).
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
