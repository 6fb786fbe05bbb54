package steps

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/engine"
	"github.com/oauthconform/oauthconform/suites/harness"
)

// TokenGrant is an access token obtained for a spec.
type TokenGrant struct {
	Client                    *engine.Client
	AccessToken, RefreshToken string
	// scope is the granted scope: the response's scope member, else the
	// requested one.
	Scope string
	Via   string
	Ex    *harness.Exchange
}

// TryAccessToken obtains an access token for cl with scope ("" omits it) by the
// cheapest grant the target offers: client_credentials, password, then the
// authorization code flow through the driver (with PKCE S256 where
// supported). It returns nil and what was tried when none succeeded.
func TryAccessToken(c *engine.C, cl *engine.Client, scope string) (*TokenGrant, string) {
	return TryAccessTokenFor(c, cl, scope, nil)
}

// TryAccessTokenFor is TryAccessToken taking only a token that accept approves (nil: any),
// trying the next grant otherwise; accept says why it refused one.
func TryAccessTokenFor(c *engine.C, cl *engine.Client, scope string, accept func(*TokenGrant) string) (*TokenGrant, string) {
	e := c.Env
	var tried []string
	take := func(via string, ex *harness.Exchange) *TokenGrant {
		if !engine.Issued(ex) {
			tried = append(tried, fmt.Sprintf("%s: no tokens (status %d, error %q)", via, ex.Status, engine.Str(engine.Body(ex), "error")))
			return nil
		}
		b := engine.Body(ex)
		s, _ := ScopeGranted(b, scope)
		g := &TokenGrant{Client: cl, AccessToken: engine.Str(b, "access_token"), RefreshToken: engine.Str(b, "refresh_token"), Scope: s, Via: via, Ex: ex}
		if accept != nil {
			if why := accept(g); why != "" {
				tried = append(tried, via+": "+why)
				return nil
			}
		}
		return g
	}
	if e.HasGrant(profile.GrantClientCredentials) && !cl.Public() {
		if g := take("client_credentials", e.ClientCredentials(c, cl, scope)); g != nil {
			return g, ""
		}
	}
	if e.HasGrant(profile.GrantPassword) && e.User != nil {
		if g := take("password", e.Password(c, cl, e.User.Username, string(e.User.Password), scope)); g != nil {
			return g, ""
		}
	}
	if e.HasGrant(profile.GrantAuthorizationCode) {
		code, verifier, why := FreshCode(c, cl, scope)
		if code == "" {
			tried = append(tried, "authorization_code: "+why)
		} else if g := take("authorization_code", e.ExchangeCode(c, cl, code, cl.RedirectURI(), verifier)); g != nil {
			return g, ""
		}
	}
	if len(tried) == 0 {
		return nil, fmt.Sprintf("the target offers no grant client %q can use here", cl.ID)
	}
	return nil, strings.Join(tried, "; ")
}

// ObtainAccessToken is TryAccessToken that skips the spec when no access token comes: issuing
// tokens is other groups' business.
func ObtainAccessToken(c *engine.C, cl *engine.Client, scope string) *TokenGrant {
	g, why := TryAccessToken(c, cl, scope)
	if g == nil {
		c.Skipf("no access token for client %q with scope %q: %s", cl.ID, scope, why)
	}
	return g
}

var challengeErrorRE = regexp.MustCompile(`(?i)(?:^|[\s,])error\s*=\s*(?:"([^"]*)"|([^\s,]+))`)

// BearerChallenge returns the Bearer challenge of the WWW-Authenticate
// lines (the scheme compared case-insensitively, RFC 9110 §11.1), and
// whether there is one.
func BearerChallenge(values []string) (string, bool) {
	for _, v := range values {
		if i := strings.Index(strings.ToLower(v), "bearer"); i >= 0 && harness.HasAuthScheme([]string{v}, "Bearer") {
			return v[i:], true
		}
	}
	return "", false
}

// ChallengeError returns the error attribute of a challenge ("" if none).
func ChallengeError(challenge string) string {
	m := challengeErrorRE.FindStringSubmatch(challenge)
	if m == nil {
		return ""
	}
	if m[1] != "" {
		return m[1]
	}
	return m[2]
}
