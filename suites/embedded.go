package suites

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/oauthconform/oauthconform/mockserver"
	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/harness"
)

// EmbeddedEnv starts the mock provider for a profile (with quirks, if any)
// on a loopback port and describes it as a target. Call stop when done.
func EmbeddedEnv(profileName string, quirks ...string) (env *Env, stop func(), err error) {
	prof, err := profile.Load(profileName)
	if err != nil {
		return nil, nil, err
	}
	clock := mockserver.NewOffsetClock()
	// HTTPS with the fixture certificate (127.0.0.1), trusted through the
	// fixture CA alone, so the TLS specs run for real.
	tlsConf, roots, err := mockserver.FixtureTLS()
	if err != nil {
		return nil, nil, err
	}
	srv, err := mockserver.NewServer(mockserver.Config{Profile: prof, Quirks: quirks, Clock: clock, SweepInterval: 0}, mockserver.WithTLS(tlsConf))
	if err != nil {
		return nil, nil, err
	}
	// Reached by 127.0.0.1, a server with a certificate for another name
	// fails every request unless the client verifies that name instead (as
	// an operator would configure): TOK-GEN-002 still judges the URL's host.
	serverName := ""
	if slices.Contains(quirks, mockserver.QuirkTLSWrongHostCert.String()) {
		serverName = mockserver.FixtureWrongHostName
	}
	fx := srv.Fixtures()
	headers := http.Header{}
	if h := prof.ClientAuth.APIKeyHeader; h != "" && len(fx.APIKeys) > 0 {
		headers.Set(h, string(fx.APIKeys[0]))
	}
	// One connection pool for the env's client and the form driver's
	// per-flow clients: a TLS handshake per connection, not per flow.
	hopts := harness.Options{BaseURL: srv.URL, Headers: headers, RootCAs: roots, ServerName: serverName, Pool: &harness.ConnPool{}}
	hc, err := harness.NewClient(hopts)
	if err != nil {
		srv.Close()
		return nil, nil, fmt.Errorf("harness client: %w", err)
	}
	name := prof.Name
	if len(quirks) > 0 {
		name += "+" + strings.Join(quirks, "+")
	}
	e := &Env{
		Name:         name,
		Profile:      prof,
		HTTP:         hc,
		Endpoints:    endpointsFor(srv.URL, prof),
		Clients:      map[string]*Client{},
		Scopes:       scopePlan(prof),
		CodeLifetime: prof.Code.Lifetime.D(),
		Mock:         srv,
		Clock:        clock,
		Issuer:       srv.Issuer(),
		HasMetadata:  new(true), // the mock always serves RFC 8414 metadata
	}
	for _, c := range fx.Clients {
		if c.Role == "" {
			continue
		}
		e.Clients[c.Role] = &Client{ID: c.ID, Secret: c.Secret, Method: defaultMethod(prof, c.Public()), RedirectURIs: c.RedirectURIs}
	}
	if len(fx.Users) > 0 {
		e.User = &User{Username: fx.Users[0].Username, Password: fx.Users[0].Password}
	}
	if prof.HasResponseType("code") {
		e.Driver = mintDriver{mock: srv}
	}
	// The authorize endpoint's own specs go through its login form, as the
	// fixtures' user; out-of-band profiles end on the result page.
	if e.Endpoints.Authorize != "" {
		opts := hopts
		if prof.Authorize.OOBRedirectURI != "" {
			e.Browser = NewOOBDriver(opts, e.Endpoints.Authorize, e.User, FormFields{})
		} else {
			e.Browser = NewFormDriver(opts, e.Endpoints.Authorize, e.User, FormFields{})
		}
	}
	return e, srv.Close, nil
}

func endpointsFor(base string, p *profile.Profile) Endpoints {
	abs := func(path string) string {
		if path == "" {
			return ""
		}
		return base + path
	}
	ep := p.Endpoints
	return Endpoints{
		Token: abs(ep.Token), Authorize: abs(ep.Authorize), Revocation: abs(ep.Revocation),
		Introspection: abs(ep.Introspection), JWKS: abs(ep.JWKS), Resource: abs(ep.Resource), OOB: abs(ep.OOB),
	}
}

// defaultMethod picks how a client authenticates: Basic where the dialect
// has it (RFC 6749 §2.3.1 makes it mandatory to support), else the body.
func defaultMethod(p *profile.Profile, public bool) string {
	switch {
	case public:
		return profile.AuthNone
	case p.HasAuthMethod(profile.AuthBasic):
		return profile.AuthBasic
	case p.HasAuthMethod(profile.AuthPost):
		return profile.AuthPost
	default:
		return profile.AuthNone
	}
}

// scopePlan takes the first three scopes of the dialect.
func scopePlan(p *profile.Profile) Scopes {
	var s Scopes
	sup := p.Scopes.Supported
	if len(sup) > 0 {
		s.S1 = sup[0]
	}
	if len(sup) > 1 {
		s.S2 = sup[1]
	}
	if len(sup) > 2 {
		s.S3 = sup[2]
	}
	return s
}
