// Package mocktarget runs the embedded mock provider as one more conformance
// target: it starts a mockserver, declares the mock's own choices (its
// Settings) the way a real server's target file declares its own, and hands
// the suites two things only the mock can give: a driver that mints codes
// without a browser, and the mock's clock. The suites never import the
// mock; this package, wired in by the command and the matrix tests, is where
// the two faces meet.
package mocktarget

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/oauthconform/oauthconform/mockserver"
	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/drivers"
	"github.com/oauthconform/oauthconform/suites/engine"
	"github.com/oauthconform/oauthconform/suites/harness"
	"github.com/oauthconform/oauthconform/suites/target"
)

// Options shape one embedded target.
type Options struct {
	// Quirks break the mock on purpose.
	Quirks []string
	// Settings changes the mock's built-in choices (one lawful variant).
	Settings func(*mockserver.Settings)
	// Fixtures replace the default clients and users.
	Fixtures *profile.Fixtures
	// Declare changes the declaration the mock makes of itself, e.g. to
	// declare only what a real server would publish.
	Declare func(*target.Target)
	// NoMint leaves codes to the login form, as on a real server.
	NoMint bool
	// Name labels the environment (default: the dialect, plus the quirks).
	Name string
}

// Start runs the mock of a dialect over HTTPS (the fixture certificate,
// trusted through the fixture CA alone, so the TLS checks run for real) and
// returns it as an environment. Call stop when done.
func Start(ctx context.Context, dialect string, o Options) (env *engine.Env, stop func(), err error) {
	set, d, err := mockserver.LoadSettings(dialect)
	if err != nil {
		return nil, nil, err
	}
	if o.Settings != nil {
		set = set.Clone()
		o.Settings(set)
		if err := set.Resolve(d); err != nil {
			return nil, nil, err
		}
	}
	clock := mockserver.NewOffsetClock()
	tlsConf, roots, err := mockserver.FixtureTLS()
	if err != nil {
		return nil, nil, err
	}
	srv, err := mockserver.NewServer(mockserver.Config{Dialect: d, Settings: set, Fixtures: o.Fixtures, Quirks: o.Quirks, Clock: clock}, mockserver.WithTLS(tlsConf))
	if err != nil {
		return nil, nil, err
	}
	// Reached by 127.0.0.1, a server with a certificate for another name
	// fails every request unless the client verifies that name instead (as
	// an operator would configure): TOK-GEN-002 still judges the URL's host.
	serverName := ""
	if slices.Contains(o.Quirks, mockserver.QuirkTLSWrongHostCert.String()) {
		serverName = mockserver.FixtureWrongHostName
	}
	decl := Declaration(srv)
	if set.Endpoints.Authorize != "" {
		decl.Driver.Kind = target.DriverForm
	}
	if o.Declare != nil {
		o.Declare(decl)
	}
	name := o.Name
	if name == "" {
		name = d.Name
		if len(o.Quirks) > 0 {
			name += "+" + strings.Join(o.Quirks, "+")
		}
	}
	eo := engine.EnvOptions{
		Name:  name,
		Clock: clock,
		HTTP: func(h *harness.Options) {
			h.RootCAs, h.ServerName = roots, serverName
		},
	}
	if !o.NoMint && set.HasResponseType(profile.ResponseCode) {
		eo.Driver = mintDriver{srv: srv}
	}
	env, err = engine.NewEnv(ctx, decl, eo)
	if err != nil {
		srv.Close()
		return nil, nil, fmt.Errorf("embedded %s: %w", d.Name, err)
	}
	return env, srv.Close, nil
}

// Declaration is what the running mock declares of itself: every choice of
// its settings, every fixture client with its registration, its user and API
// key.
func Declaration(srv *mockserver.Server) *target.Target {
	set, d, fx := srv.Settings(), srv.Dialect(), srv.Fixtures()
	abs := func(p string) string {
		if p == "" {
			return target.None
		}
		return srv.URL + p
	}
	ep := set.Endpoints
	jwks := ""
	if set.IsJWT() && !strings.HasPrefix(set.AccessToken.Alg, "HS") {
		jwks = ep.JWKS
	}
	t := &target.Target{
		Dialect: d,
		Issuer:  srv.Issuer(),
		Endpoints: target.Endpoints{
			Token: abs(ep.Token), Authorize: abs(ep.Authorize), Revocation: abs(ep.Revocation),
			Introspection: abs(ep.Introspection), JWKS: abs(jwks), Resource: abs(ep.Resource), OOB: abs(ep.OOB),
		},
		Clients:       map[string]*target.Client{},
		GrantTypes:    slices.Clone(set.GrantTypes),
		ResponseTypes: nonNil(set.ResponseTypes),
		AuthMethods:   slices.Clone(set.ClientAuth.Methods),
		AccessToken:   target.AccessToken{Format: set.AccessToken.Format},
		Rotation:      set.RefreshToken.Rotation,
		CodeLifetime:  set.Code.Lifetime.D(),
		Metadata:      ptr(set.ServesMetadata()),
		SecurityBCP:   ptr(set.SecurityBCP),
		Scopes: target.Scopes{
			Supported: nonNil(set.Scopes.Supported),
			Default:   ptr(set.Scopes.Default),
			Required:  slices.Clone(set.Scopes.Required),
		},
	}
	if set.IsJWT() {
		t.AccessToken.Alg, t.AccessToken.Typ = set.AccessToken.Alg, set.AccessToken.Typ
	}
	switch set.PKCE.Mode {
	case mockserver.PKCEUnsupported:
		t.PKCE = profile.PKCEUnsupported
	case mockserver.PKCERequired:
		t.PKCE = profile.PKCERequired
	default:
		t.PKCE = profile.PKCESupported
	}
	if h := set.ClientAuth.APIKeyHeader; h != "" && len(fx.APIKeys) > 0 {
		t.APIKey = fx.APIKeys[0]
	}
	for _, c := range fx.Clients {
		if c.Role == "" {
			continue
		}
		grants := slices.Clone(set.GrantTypes)
		if len(c.GrantTypes) > 0 {
			grants = slices.DeleteFunc(slices.Clone(c.GrantTypes), func(g string) bool { return !set.HasGrant(g) })
		}
		var rts []string
		if slices.Contains(grants, profile.GrantAuthorizationCode) {
			rts = slices.Clone(set.ResponseTypes)
		}
		scopes := slices.Clone(c.Scopes)
		if len(scopes) == 0 {
			// Registered for every scope of the settings.
			scopes = nonNil(set.Scopes.Supported)
		}
		tc := &target.Client{
			ID: c.ID, Secret: c.Secret, RedirectURIs: slices.Clone(c.RedirectURIs), Scopes: scopes,
			AuthMethod: c.AuthMethod, GrantTypes: grants, ResponseTypes: nonNil(rts),
			RequirePKCE: ptr(c.RequirePKCE || set.PKCE.Mode == mockserver.PKCERequired),
			Native:      c.Native || set.Authorize.LoopbackPorts == mockserver.LoopbackAny,
		}
		if tc.AuthMethod == "" && c.Public() {
			tc.AuthMethod = profile.AuthNone
		}
		t.Clients[c.Role] = tc
	}
	if len(fx.Users) > 0 {
		t.User = &target.User{Username: fx.Users[0].Username, Password: fx.Users[0].Password}
	}
	t.ApplyDefaults()
	return t
}

func ptr[T any](v T) *T { return &v }

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return slices.Clone(s)
}

// mintDriver asks the embedded mock for codes directly: fast, and only for
// valid code-flow requests. Specs of the authorize endpoint itself use the
// login form instead.
type mintDriver struct{ srv *mockserver.Server }

func (d mintDriver) Authorize(ctx context.Context, req drivers.AuthzRequest) (*drivers.AuthzResult, error) {
	q := req.Query
	if req.RawQuery != "" || req.Deny || q.Get("response_type") != profile.ResponseCode {
		return nil, drivers.ErrNotSupported
	}
	redirect := q.Get("redirect_uri")
	cr := mockserver.CodeRequest{
		ClientID: q.Get("client_id"), RedirectURI: redirect, OmitRedirectURI: redirect == "",
		Scope: q.Get("scope"), CodeChallenge: q.Get("code_challenge"), CodeChallengeMethod: q.Get("code_challenge_method"),
	}
	if redirect == "" && req.Client != nil {
		redirect = req.Client.RedirectURI()
	}
	for _, x := range d.srv.Settings().Authorize.Extras {
		if v := q.Get(x.Name); v != "" {
			if cr.Claims == nil {
				cr.Claims = map[string]any{}
			}
			cr.Claims[x.Claim] = v
		}
	}
	code, err := d.srv.MintCode(ctx, cr)
	if err != nil {
		return nil, fmt.Errorf("mint code: %w", err)
	}
	u, err := url.Parse(redirect)
	if err != nil {
		return nil, err
	}
	params := url.Values{"code": {code}}
	if s := q.Get("state"); s != "" {
		params.Set("state", s)
	}
	return &drivers.AuthzResult{Redirect: u, Query: params, Fragment: url.Values{}}, nil
}
