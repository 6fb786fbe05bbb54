package suites

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/oauthconform/oauthconform/mockserver"
	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/harness"
)

// Client is a registered client of the target, as the specs use it.
type Client struct {
	ID     string
	Secret profile.Secret
	// Method is how it authenticates: client_secret_basic, client_secret_post
	// or none.
	Method       string
	RedirectURIs []string
}

// Public reports whether the client has no secret.
func (c *Client) Public() bool { return c.Secret == "" }

// RedirectURI returns the first registered redirect URI.
func (c *Client) RedirectURI() string {
	if len(c.RedirectURIs) == 0 {
		return ""
	}
	return c.RedirectURIs[0]
}

// User is a resource owner the driver and the password grant log in as.
type User struct {
	Username string
	Password profile.Secret
}

// Endpoints are absolute URLs; empty when the target has none.
type Endpoints struct {
	Token, Authorize, Revocation, Introspection, JWKS, Resource, OOB string
}

// Scopes are the scope values scope tests use: S1 and S2 are allowed for the
// primary client, S3 is allowed but not part of grants made with S1 alone.
// Empty when the dialect has no scopes.
type Scopes struct{ S1, S2, S3 string }

// Env is one target under test, as the specs see it.
type Env struct {
	// Name labels the environment in reports, e.g. "rfc6749" or a target
	// file's name.
	Name      string
	Profile   *profile.Profile
	HTTP      *harness.Client
	Endpoints Endpoints
	// Clients by role (profile.RolePrimary, RoleSecond, ...).
	Clients map[string]*Client
	User    *User
	// Driver obtains authorization responses; nil when none is configured.
	Driver Driver
	Scopes Scopes
	// CodeLifetime and RefreshGrace are the target's declared policy.
	CodeLifetime time.Duration
	RefreshGrace time.Duration
	// Strict turns WARN verdicts into failures.
	Strict bool
	// Browser performs authorization requests through the real authorize
	// endpoint (a scripted user agent); nil when none is configured.
	Browser Driver
	// Mock is set when the target is the embedded mock provider, and Clock
	// is its clock: specs move it instead of sleeping.
	// collectOnly makes Assert record the assertion without declaring a
	// spec (Catalogue).
	collectOnly bool

	Mock  *mockserver.Server
	Clock *mockserver.OffsetClock
	// Issuer is the issuer identifier (RFC 8414 §2): the metadata document
	// is looked up from it (see Env.Metadata) and must name it.
	Issuer string
	// HasMetadata declares whether the target publishes RFC 8414 metadata:
	// nil discovers it, true makes a missing document a failure, false
	// skips the META specs and the gating by metadata.
	HasMetadata *bool
	// meta caches the metadata document, fetched on first use (shared by
	// copies of the Env).
	meta *metadataCache
}

// Client returns the client playing role, or nil.
func (e *Env) Client(role string) *Client {
	return e.Clients[role]
}

// Wait lets d pass on the target: the embedded mock's clock jumps, a real
// target is waited for.
func (e *Env) Wait(ctx context.Context, d time.Duration) error {
	if e.Clock != nil {
		e.Clock.Advance(d)
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// HasGrant reports whether the target's profile enables grant g.
func (e *Env) HasGrant(g string) bool { return e.Profile.HasGrant(g) }

// TokenForm adds what the dialect wants on every token request to form: the
// out-of-band redirect_uri for seed 002.
func (e *Env) tokenDefaults(form url.Values) url.Values {
	if oob := e.Profile.Authorize.OOBRedirectURI; oob != "" && form.Get("redirect_uri") == "" && !form.Has("redirect_uri") {
		form.Set("redirect_uri", oob)
	}
	return form
}

// Token sends a token request authenticated as c (by its method); c may be
// nil for an unauthenticated request.
func (e *Env) Token(ctx context.Context, c *Client, form url.Values, opts ...harness.RequestOption) *harness.Exchange {
	form = e.tokenDefaults(cloneValues(form))
	auth := clientAuth(c, form)
	return e.HTTP.PostForm(ctx, e.Endpoints.Token, form, append(auth, opts...)...)
}

// clientAuth authenticates a request of c (nil: none) by its method, as at
// the token endpoint (RFC 6749 §2.3): client_id in form for a public
// client (unless form already names one), client_id and client_secret in
// form for client_secret_post, else the returned HTTP Basic option.
func clientAuth(c *Client, form url.Values) []harness.RequestOption {
	switch {
	case c == nil:
	case c.Public() || c.Method == profile.AuthNone:
		if !form.Has("client_id") {
			form.Set("client_id", c.ID)
		}
	case c.Method == profile.AuthPost:
		form.Set("client_id", c.ID)
		form.Set("client_secret", string(c.Secret))
	default:
		return []harness.RequestOption{harness.WithBasicAuth(c.ID, string(c.Secret))}
	}
	return nil
}

// ClientCredentials requests a token for c with scope ("" omits it).
func (e *Env) ClientCredentials(ctx context.Context, c *Client, scope string) *harness.Exchange {
	form := url.Values{"grant_type": {"client_credentials"}}
	if scope != "" {
		form.Set("scope", scope)
	}
	return e.Token(ctx, c, form)
}

// Refresh uses a refresh token as c.
func (e *Env) Refresh(ctx context.Context, c *Client, rt, scope string) *harness.Exchange {
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
	if scope != "" {
		form.Set("scope", scope)
	}
	return e.Token(ctx, c, form)
}

// ExchangeCode redeems a code as c; redirect "" omits redirect_uri.
func (e *Env) ExchangeCode(ctx context.Context, c *Client, code, redirect, verifier string) *harness.Exchange {
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}}
	if redirect != "" {
		form.Set("redirect_uri", redirect)
	}
	if verifier != "" {
		form.Set("code_verifier", verifier)
	}
	return e.Token(ctx, c, form)
}

// Password requests a token with the resource owner password grant.
func (e *Env) Password(ctx context.Context, c *Client, username, password, scope string) *harness.Exchange {
	form := url.Values{"grant_type": {"password"}}
	if username != "" {
		form.Set("username", username)
	}
	if password != "" {
		form.Set("password", password)
	}
	if scope != "" {
		form.Set("scope", scope)
	}
	return e.Token(ctx, c, form)
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// joinScopes joins non-empty scope values.
func joinScopes(s ...string) string {
	var out []string
	for _, v := range s {
		if v != "" {
			out = append(out, v)
		}
	}
	return strings.Join(out, " ")
}
