package steps

import (
	"fmt"
	"strings"

	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/drivers"
	"github.com/oauthconform/oauthconform/suites/engine"
	"github.com/oauthconform/oauthconform/suites/harness"
)

// RefreshGrant is a refresh token obtained for a spec, with the response that
// carried it.
type RefreshGrant struct {
	Client                    *engine.Client
	RefreshToken, AccessToken string
	// scope is the granted scope: the response's scope member, or the
	// requested scope when the member is absent.
	Scope string
	// via names the grant that issued it.
	Via string
	Ex  *harness.Exchange
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

// TryRefreshGrant obtains a refresh token for cl with scope ("" omits it) by the
// grants the target may offer: the authorization code flow through the
// driver, then the password grant, then client_credentials. Where the
// target declares scopes a refresh token needs (offline_access), they are
// requested too. It returns nil and what was tried when none did.
func TryRefreshGrant(c *engine.C, cl *engine.Client, scope string) (*RefreshGrant, string) {
	e := c.Env
	var tried []string
	req := scope
	if scope != "" || len(e.Scopes.Refresh) > 0 {
		req = e.RefreshScope(scope)
	}
	take := func(via string, ex *harness.Exchange) *RefreshGrant {
		if !engine.Issued(ex) {
			tried = append(tried, fmt.Sprintf("%s: no tokens (status %d, error %q)", via, ex.Status, engine.Str(engine.Body(ex), "error")))
			return nil
		}
		b := engine.Body(ex)
		rt := engine.Str(b, "refresh_token")
		if rt == "" {
			tried = append(tried, via+": no refresh_token in the response")
			return nil
		}
		s, _ := ScopeGranted(b, req)
		return &RefreshGrant{Client: cl, RefreshToken: rt, AccessToken: engine.Str(b, "access_token"), Scope: s, Via: via, Ex: ex}
	}
	if e.HasGrant(profile.GrantAuthorizationCode) && engine.ClientGrant(cl, profile.GrantAuthorizationCode) != engine.Absent {
		code, verifier, why := FreshCode(c, cl, req)
		if code == "" {
			tried = append(tried, "authorization_code: "+why)
		} else if g := take("authorization_code", e.ExchangeCode(c, cl, code, cl.RedirectURI(), verifier)); g != nil {
			return g, ""
		}
	}
	if e.HasGrant(profile.GrantPassword) && engine.ClientGrant(cl, profile.GrantPassword) != engine.Absent && e.User != nil {
		if g := take("password", e.Password(c, cl, e.User.Username, string(e.User.Password), req)); g != nil {
			return g, ""
		}
	}
	if e.ClientCredentialsWork(c, cl) {
		if g := take("client_credentials", e.ClientCredentials(c, cl, req)); g != nil {
			return g, ""
		}
	}
	if len(tried) == 0 {
		return nil, fmt.Sprintf("no grant of the target issues refresh tokens to client %q", cl.ID)
	}
	return nil, strings.Join(tried, "; ")
}

// ObtainRefreshGrant is TryRefreshGrant that skips the spec when no refresh token comes.
func ObtainRefreshGrant(c *engine.C, cl *engine.Client, scope string) *RefreshGrant {
	c.RequireGrant(profile.GrantRefreshToken)
	g, why := TryRefreshGrant(c, cl, scope)
	if g == nil {
		c.Skipf("no refresh token for client %q with scope %q: %s", cl.ID, scope, why)
	}
	return g
}
