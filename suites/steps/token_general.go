package steps

import (
	"net/url"

	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/engine"
	"github.com/oauthconform/oauthconform/suites/harness"
)

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
