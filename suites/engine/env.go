package engine

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/drivers"
	"github.com/oauthconform/oauthconform/suites/harness"
	"github.com/oauthconform/oauthconform/suites/target"
)

// Client is a registered client of the target as resolved for the run (see
// drivers.Client): an alias, so that specs name it with the rest of the
// engine while an AuthzRequest can carry it without the drivers importing
// the engine.
type Client = drivers.Client

// Where an endpoint URL came from.
const (
	FromTarget   = "target"
	FromMetadata = "metadata"
	FromDialect  = "dialect"
)

// Scopes are the scope values scope tests use: S1 and S2 are allowed for the
// primary client, S3 is allowed but not part of grants made with S1 alone.
// Empty when nothing names a scope: the specs then send none.
type Scopes struct {
	S1, S2, S3 string
	// Declared: the values come from the target or the dialect, so a
	// refusal of them is the server's fault; otherwise they were taken from
	// the metadata's scopes_supported and a refusal only skips.
	Declared bool
	// Default is the declared default scope, when DefaultKnown.
	Default      string
	DefaultKnown bool
	// Required are added to every authorization request, Refresh where a
	// refresh token is wanted.
	Required, Refresh []string
}

// Clock is the target's clock where the harness controls it (the embedded
// mock): specs move it instead of sleeping.
type Clock interface {
	Now() time.Time
	Advance(time.Duration)
}

// Env is one target under test, as the specs see it: the dialect's
// requirements, the target's declarations, and what its metadata advertises.
type Env struct {
	// Name labels the environment in reports.
	Name    string
	Dialect *profile.Dialect
	// Target holds the declarations; read-only.
	Target *target.Target
	HTTP   *harness.Client
	// Endpoints are the resolved endpoint URLs: absolute, empty when the
	// target has none (known). The type is the target file's, whose values
	// may also be paths or none; here they never are.
	Endpoints target.Endpoints
	// EndpointFrom says where each endpoint came from (FromTarget,
	// FromMetadata, FromDialect); a 404 on one FromDialect is a guess that
	// missed, not a failure.
	EndpointFrom map[target.Endpoint]string
	// Clients by role (profile.RolePrimary, RoleSecond, ...).
	Clients map[string]*Client
	User    *target.User
	// Driver obtains authorization responses; nil when none is configured.
	Driver drivers.Driver
	// Browser performs authorization requests through the real authorize
	// endpoint (a scripted user agent); nil when none is configured.
	Browser drivers.Driver
	Scopes  Scopes
	// AuthorizeParams are added to every authorization request.
	AuthorizeParams url.Values
	// CodeLifetime and RefreshGrace are the target's declared policy; zero:
	// not declared.
	CodeLifetime time.Duration
	RefreshGrace time.Duration
	// Strict turns WARN verdicts into failures.
	Strict bool
	// Clock is set when the harness controls the target's clock.
	Clock Clock
	// Issuer is the issuer identifier (RFC 8414 §2): the metadata document
	// is looked up from it (see Env.Metadata) and must name it.
	Issuer string
	// HasMetadata declares whether the target publishes RFC 8414 metadata:
	// nil discovers it, true makes a missing document a failure, false
	// skips the META specs.
	HasMetadata *bool
	// Notes are setup observations, reported once.
	Notes []string

	// collectOnly makes Assert record the assertion without declaring a
	// spec (Catalogue).
	collectOnly bool
	// meta caches the metadata document (shared by copies of the Env).
	meta *metadataCache
	// absent records guessed endpoints that answered 404.
	absent *sync.Map
	// dryRun: specs send nothing (see dryrun.go).
	dryRun bool
	// breaker trips when the target stops answering: the specs not yet run
	// then end at once as not run (see harness.Breaker).
	breaker *harness.Breaker
}

// Client returns the client playing role, or nil.
func (e *Env) Client(role string) *Client {
	return e.Clients[role]
}

// Wait lets d pass on the target: a controlled clock jumps, a real target is
// waited for, telling the user what for (why, e.g. "for the authorization
// code to expire").
func (e *Env) Wait(ctx context.Context, d time.Duration, why string) error {
	if e.Clock != nil {
		e.Clock.Advance(d)
		return nil
	}
	id := "a check"
	if c, ok := ctx.(*C); ok {
		if c.dry != nil {
			c.dryAttempt()
			return nil
		}
		id = c.A.ID
	}
	noticeWait(id, d, why)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Now is the target's time as far as the harness knows it.
func (e *Env) Now() time.Time {
	if e.Clock != nil {
		return e.Clock.Now()
	}
	return time.Now()
}

// TokenDefaults adds what the dialect wants on every token request: the
// out-of-band redirect_uri for seed 002.
func (e *Env) TokenDefaults(form url.Values) url.Values {
	if oob := e.Dialect.Authorize.OOBRedirectURI; oob != "" && !form.Has("redirect_uri") {
		form.Set("redirect_uri", oob)
	}
	return form
}

// Token sends a token request authenticated as c (by its method); c may be
// nil for an unauthenticated request.
func (e *Env) Token(ctx context.Context, c *Client, form url.Values, opts ...harness.RequestOption) *harness.Exchange {
	form = e.TokenDefaults(CloneValues(form))
	auth := ClientAuth(c, form)
	ex := e.HTTP.PostForm(ctx, e.Endpoints.Token, form, append(auth, opts...)...)
	e.noteGrant(ex)
	return ex
}

// noteGrant remembers that the server issued tokens to a client with a
// grant: evidence that a later refusal of the same is not a lawful choice.
func (e *Env) noteGrant(ex *harness.Exchange) {
	if e.absent == nil || !Issued(ex) {
		return
	}
	form := requestForm(ex)
	if cl := e.clientOf(ex, form); cl != nil {
		e.absent.Store("issued:"+cl.ID+":"+form.Get("grant_type"), true)
	}
}

// grantShown reports whether the server issued tokens to client id with
// grant g in this run.
func (e *Env) grantShown(id, g string) bool {
	if e.absent == nil {
		return false
	}
	_, ok := e.absent.Load("issued:" + id + ":" + g)
	return ok
}

// ClientAuth authenticates a request of c (nil: none) by its method, as at
// the token endpoint (RFC 6749 §2.3): client_id in form for a public
// client (unless form already names one), client_id and client_secret in
// form for client_secret_post, else the returned HTTP Basic option.
func ClientAuth(c *Client, form url.Values) []harness.RequestOption {
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
	form := url.Values{"grant_type": {profile.GrantClientCredentials}}
	if scope != "" {
		form.Set("scope", scope)
	}
	return e.Token(ctx, c, form)
}

// Refresh uses a refresh token as c.
func (e *Env) Refresh(ctx context.Context, c *Client, rt, scope string) *harness.Exchange {
	form := url.Values{"grant_type": {profile.GrantRefreshToken}, "refresh_token": {rt}}
	if scope != "" {
		form.Set("scope", scope)
	}
	return e.Token(ctx, c, form)
}

// ExchangeCode redeems a code as c; redirect "" omits redirect_uri.
func (e *Env) ExchangeCode(ctx context.Context, c *Client, code, redirect, verifier string) *harness.Exchange {
	form := url.Values{"grant_type": {profile.GrantAuthorizationCode}, "code": {code}}
	if redirect != "" {
		form.Set("redirect_uri", redirect)
	}
	if verifier != "" {
		form.Set("code_verifier", verifier)
	}
	return e.Token(ctx, c, form)
}

// Password requests a token with the resource owner password grant. The
// target's refresh scopes are added to a non-empty scope.
func (e *Env) Password(ctx context.Context, c *Client, username, password, scope string) *harness.Exchange {
	form := url.Values{"grant_type": {profile.GrantPassword}}
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

// RefreshScope is scope with the scopes a refresh token needs (e.g.
// offline_access) added, when the target declares some.
func (e *Env) RefreshScope(scope string) string {
	return JoinScopes(append([]string{scope}, e.Scopes.Refresh...)...)
}

// CloneValues copies v deeply, so that a spec may vary a request without
// changing the one it came from.
func CloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// JoinScopes joins non-empty scope values, each once.
func JoinScopes(s ...string) string {
	var out []string
	for _, v := range s {
		for _, f := range strings.Fields(v) {
			if !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
	}
	return strings.Join(out, " ")
}
