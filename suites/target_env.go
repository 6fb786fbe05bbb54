package suites

import (
	"fmt"
	"slices"

	"github.com/oauthconform/oauthconform/suites/harness"
	"github.com/oauthconform/oauthconform/suites/target"
)

// NewEnv describes a target file's server as an environment. name labels it
// in reports (the profile's name when empty).
//
// The authorization driver comes from driver.kind:
//   - form: the scripted user agent ([FormDriver]); on a profile with an
//     out-of-band redirect URI it reads the result page ([OOBDriver]);
//   - oob: the out-of-band reader ([OOBDriver]);
//   - command: the user's program ([CommandDriver]);
//   - mock: the embedded mock's minting hook exists only in process
//     ([EmbeddedEnv]); a target file pointing at a mock provider started with
//     `oauthconform serve` gets the form driver, which its login page serves;
//   - none: no driver; the specs that need one skip.
//
// The driver serves both as Driver (codes for the token specs) and Browser
// (the authorize endpoint's own specs).
func NewEnv(t *target.Target, name string) (*Env, error) {
	if t == nil || t.Profile == nil {
		return nil, fmt.Errorf("suites: no target")
	}
	// One connection pool for the env's client and every driver flow: each
	// flow keeps its own cookie jar but not its own TLS handshakes.
	pool := &harness.ConnPool{}
	hopts := t.HTTPOptions()
	hopts.Pool = pool
	if t.SecurityBCP != nil {
		p := *t.Profile
		p.SecurityBCP = *t.SecurityBCP
		t.Profile = &p
	}
	hc, err := harness.NewClient(hopts)
	if err != nil {
		return nil, fmt.Errorf("suites: %w", err)
	}
	if name == "" {
		name = t.Profile.Name
	}
	e := &Env{
		Name:    name,
		Profile: t.Profile,
		HTTP:    hc,
		Endpoints: Endpoints{
			Token: t.URL(target.EndpointToken), Authorize: t.URL(target.EndpointAuthorize),
			Revocation: t.URL(target.EndpointRevocation), Introspection: t.URL(target.EndpointIntrospection),
			JWKS: t.URL(target.EndpointJWKS), Resource: t.URL(target.EndpointResource), OOB: t.URL(target.EndpointOOB),
		},
		Clients:      map[string]*Client{},
		Scopes:       Scopes{S1: t.Scopes.S1, S2: t.Scopes.S2, S3: t.Scopes.S3},
		CodeLifetime: t.CodeLifetime,
		RefreshGrace: t.RefreshGrace,
		Issuer:       t.Issuer,
		HasMetadata:  t.Metadata,
	}
	oob := t.Profile.Authorize.OOBRedirectURI
	for role, c := range t.Clients {
		if c == nil {
			continue
		}
		redirects := slices.Clone(c.RedirectURIs)
		if len(redirects) == 0 && oob != "" {
			redirects = []string{oob}
		}
		e.Clients[role] = &Client{ID: c.ID, Secret: c.Secret, Method: c.AuthMethod, RedirectURIs: redirects}
	}
	if t.User != nil {
		e.User = &User{Username: t.User.Username, Password: t.User.Password}
	}
	d, err := targetDriver(t, e, hopts)
	if err != nil {
		return nil, err
	}
	if d != nil {
		e.Driver, e.Browser = d, d
	}
	return e, nil
}

// targetDriver builds the driver a target file asks for (nil for none).
func targetDriver(t *target.Target, e *Env, opts harness.Options) (Driver, error) {
	kind := t.Driver.Kind
	if kind == "" {
		return nil, nil
	}
	if e.Endpoints.Authorize == "" {
		return nil, fmt.Errorf("target: driver.kind %s: the target has no authorize endpoint", kind)
	}
	fields := FormFields{Username: t.Driver.Fields.Username, Password: t.Driver.Fields.Password, Consent: t.Driver.Fields.Consent}
	switch kind {
	case target.DriverCommand:
		return NewCommandDriver(t.Driver.Command, e.Endpoints.Authorize, e.User), nil
	case target.DriverOOB:
		return NewOOBDriver(opts, e.Endpoints.Authorize, e.User, fields), nil
	case target.DriverForm, target.DriverMock:
		if t.Profile.Authorize.OOBRedirectURI != "" {
			return NewOOBDriver(opts, e.Endpoints.Authorize, e.User, fields), nil
		}
		return NewFormDriver(opts, e.Endpoints.Authorize, e.User, fields), nil
	}
	return nil, fmt.Errorf("target: driver.kind %q is not one of mock, form, oob, command", kind)
}
