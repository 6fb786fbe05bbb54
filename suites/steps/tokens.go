package steps

import (
	"encoding/json"
	"fmt"
	"math"
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

// TryAccessTokenFor is TryAccessToken taking only a token that accept
// approves (nil: any), trying the next grant otherwise; accept says why it
// refused one.
func TryAccessTokenFor(c *engine.C, cl *engine.Client, scope string, accept func(*TokenGrant) string) (*TokenGrant, string) {
	e := c.Env
	var tried []string
	take := func(via string, ex *harness.Exchange) *TokenGrant {
		if !engine.Issued(ex) {
			tried = append(tried, fmt.Sprintf("%s: no tokens (status %d, error %q)", via, ex.Status, harness.ErrorCodeOf(ex)))
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

// ObtainAccessToken is TryAccessToken that skips the spec when no access
// token comes: issuing tokens is other groups' business.
func ObtainAccessToken(c *engine.C, cl *engine.Client, scope string) *TokenGrant {
	g, why := TryAccessToken(c, cl, scope)
	if g == nil {
		c.Skipf("no access token for client %q with scope %q: %s", cl.ID, scope, why)
	}
	return g
}

// ScopeGranted is the scope a success response grants: its scope member, or,
// when absent, the requested scope (RFC 6749 §5.1: "OPTIONAL, if identical
// to the scope requested by the client"). reported says which.
func ScopeGranted(body map[string]any, requested string) (scope string, reported bool) {
	if s, ok := body["scope"].(string); ok {
		return s, true
	}
	return requested, false
}

// JSONNumber reads a JSON number member (json.Number or float64) as float.
func JSONNumber(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case float64:
		return n, true
	}
	return 0, false
}

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
			tried = append(tried, fmt.Sprintf("%s: no tokens (status %d, error %q)", via, ex.Status, harness.ErrorCodeOf(ex)))
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

// ObtainRefreshGrant is TryRefreshGrant that skips the spec when no refresh
// token comes.
func ObtainRefreshGrant(c *engine.C, cl *engine.Client, scope string) *RefreshGrant {
	c.RequireGrant(profile.GrantRefreshToken)
	g, why := TryRefreshGrant(c, cl, scope)
	if g == nil {
		c.Skipf("no refresh token for client %q with scope %q: %s", cl.ID, scope, why)
	}
	return g
}

// Sample is one successful token response of some grant.
type Sample struct {
	What string
	Ex   *harness.Exchange
}

// EntropyBits estimates how many bits of randomness a token of this shape
// can hold, from the token alone. The token is read in the smallest common
// alphabet holding it (digits, hex, base32, base64url, printable): when it
// uses about as many distinct characters as random draws from that alphabet
// would, it is credited the alphabet's entropy per character (25 random
// base32 characters: 125 bits), since one short sample's Shannon entropy
// underestimates a random token's; otherwise (a repetitive or counter-like
// token) its Shannon entropy with the Miller–Madow correction. It cannot
// prove randomness, only flag its absence.
func EntropyBits(s string) float64 {
	if s == "" {
		return 0
	}
	counts := map[rune]float64{}
	n := 0.0
	for _, r := range s {
		counts[r]++
		n++
	}
	h := 0.0
	for _, c := range counts {
		p := c / n
		h -= p * math.Log2(p)
	}
	k := alphabetSize(s)
	// As many distinct characters as n random draws from the alphabet
	// give (within four standard deviations): take the alphabet's entropy.
	q1, q2 := math.Pow(1-1/k, n), math.Pow(1-2/k, n)
	expect := k * (1 - q1)
	sd := math.Sqrt(math.Max(0, k*(k-1)*q2+k*q1-k*k*q1*q1))
	if float64(len(counts)) >= expect-4*sd {
		return math.Log2(k) * n
	}
	h += float64(len(counts)-1) / (2 * n * math.Ln2)
	return math.Min(h, math.Log2(k)) * n
}

// alphabetSize is the size of the smallest of the usual token alphabets
// that holds every character of s.
func alphabetSize(s string) float64 {
	in := func(set string) bool {
		for _, r := range s {
			if !strings.ContainsRune(set, r) {
				return false
			}
		}
		return true
	}
	const digits = "0123456789"
	switch {
	case in(digits):
		return 10
	case in(digits+"abcdef") || in(digits+"ABCDEF"):
		return 16
	case in("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567=") || in("abcdefghijklmnopqrstuvwxyz234567="):
		return 32
	case in(digits+"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_=.") || in(digits+"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz+/="):
		return 64
	}
	return 95
}
