package engine

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/drivers"
	"github.com/oauthconform/oauthconform/suites/harness"
	"github.com/oauthconform/oauthconform/suites/target"
)

// SetupError is a misconfiguration found before any spec runs: the issuer
// cannot be reached, its TLS certificate is not trusted, the client's
// credentials are refused, the endpoints are not there. It names the fix;
// the command exits 2.
type SetupError struct {
	// Problem says what is wrong, Fix what to change.
	Problem, Fix string
	Evidence     []*harness.Exchange
}

func (e *SetupError) Error() string {
	if e.Fix == "" {
		return harness.Scrub(e.Problem)
	}
	return harness.Scrub(e.Problem + "\n  fix: " + e.Fix)
}

// EnvOptions adjust how NewEnv builds an environment.
type EnvOptions struct {
	// Name labels the environment in reports (default: the dialect's name).
	Name string
	// HTTP adjusts the harness client options (an in-memory CA, say).
	HTTP func(*harness.Options)
	// Driver and Browser, when set, replace the drivers the target's
	// driver.kind would build (the embedded mock's minting driver).
	Driver, Browser drivers.Driver
	// Clock is the target's clock when the harness controls it.
	Clock Clock
	// NoPreflight skips the setup checks (tests of hostile targets).
	NoPreflight bool
}

// NewEnv describes a target's server as an environment: it builds the HTTP
// client, reads the metadata (unless the target says there is none),
// resolves each endpoint (the target's own setting, else the metadata's,
// else the dialect's path), chooses undeclared client authentication
// methods and the scope values, and runs the preflight checks.
//
// The authorization driver comes from driver.kind:
//   - form: the scripted user agent ([FormDriver]); on a dialect with an
//     out-of-band redirect URI it reads the result page ([OOBDriver]);
//   - oob: the out-of-band reader ([OOBDriver]);
//   - command: the user's program ([CommandDriver]);
//   - mock: the embedded mock's minting hook exists only in process
//     (EnvOptions.Driver); a target file pointing at `oauthconform serve`
//     gets the form driver, which its login page serves;
//   - none: no driver; the specs that need one skip.
func NewEnv(ctx context.Context, t *target.Target, o EnvOptions) (*Env, error) {
	if t == nil || t.Dialect == nil {
		return nil, errors.New("suites: no target")
	}
	// Scrubbed by value from all evidence, wherever a target echoes them.
	for _, c := range t.Clients {
		if c != nil {
			harness.RegisterClientSecret(c.ID, string(c.Secret))
		}
	}
	if t.User != nil {
		harness.RegisterSecret(string(t.User.Password))
	}
	harness.RegisterSecret(string(t.APIKey))
	for _, v := range t.Headers {
		harness.RegisterSecret(string(v))
	}
	// One connection pool for the env's client and every driver flow: each
	// flow keeps its own cookie jar but not its own TLS handshakes.
	hopts := t.HTTPOptions()
	hopts.Pool = &harness.ConnPool{}
	hopts.Breaker = &harness.Breaker{}
	hopts.Breaker.Watch(t.Issuer)
	if o.HTTP != nil {
		o.HTTP(&hopts)
	}
	hc, err := harness.NewClient(hopts)
	if err != nil {
		return nil, &SetupError{Problem: fmt.Sprintf("the HTTP client cannot be built: %v", err), Fix: "check tls.ca_file (--ca-file): it must be a PEM file of CA certificates"}
	}
	name := o.Name
	if name == "" {
		name = t.Dialect.Name
	}
	e := &Env{
		Name:         name,
		Dialect:      t.Dialect,
		Target:       t,
		HTTP:         hc,
		EndpointFrom: map[target.Endpoint]string{},
		Clients:      map[string]*Client{},
		CodeLifetime: t.CodeLifetime,
		RefreshGrace: t.RefreshGrace,
		Issuer:       strings.TrimRight(t.Issuer, "/"),
		HasMetadata:  t.Metadata,
		Clock:        o.Clock,
		absent:       &sync.Map{},
		breaker:      hopts.Breaker,
	}
	if strings.HasSuffix(t.Issuer, "/") && len(t.Issuer) > len(e.Issuer) {
		// The issuer identifier is compared exactly (RFC 8414 §3.3): keep
		// the one given, trailing slash and all.
		e.Issuer = t.Issuer
	}
	e.Notes = append(e.Notes, t.Warnings...)
	md := e.Metadata(ctx)
	if !o.NoPreflight {
		if err := e.preflightReach(ctx, md); err != nil {
			return nil, err
		}
	}
	e.resolveEndpoints()
	ep := e.Endpoints
	e.breaker.Watch(ep.Token, ep.Authorize, ep.Revocation, ep.Introspection, ep.JWKS, ep.Resource)
	e.resolveClients()
	e.resolveScopes()
	if len(t.AuthorizeParams) > 0 {
		e.AuthorizeParams = url.Values{}
		for k, v := range t.AuthorizeParams {
			e.AuthorizeParams.Set(k, v)
		}
	}
	if t.User != nil {
		e.User = &target.User{Username: t.User.Username, Password: t.User.Password}
	}
	if !o.NoPreflight {
		if err := e.preflightDialect(ctx); err != nil {
			return nil, err
		}
	}
	// The target's driver serves both as Driver (codes for the token specs)
	// and Browser (the authorize endpoint's own specs), unless the caller
	// brings its own.
	d, err := targetDriver(t, e, hopts)
	if err != nil {
		return nil, err
	}
	e.Driver, e.Browser = o.Driver, o.Browser
	if e.Driver == nil {
		e.Driver = d
	}
	if e.Browser == nil {
		e.Browser = d
	}
	if !o.NoPreflight {
		if err := e.preflightToken(ctx); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// metadataMember is the metadata member advertising an endpoint.
var metadataMember = map[target.Endpoint]string{
	target.EndpointToken:         "token_endpoint",
	target.EndpointAuthorize:     "authorization_endpoint",
	target.EndpointRevocation:    "revocation_endpoint",
	target.EndpointIntrospection: "introspection_endpoint",
	target.EndpointJWKS:          "jwks_uri",
}

// MetadataMember returns the metadata member advertising endpoint ep
// (RFC 8414 §2), or "" when the metadata has none for it.
func MetadataMember(ep target.Endpoint) string { return metadataMember[ep] }

// resolveEndpoints takes each endpoint from the target's own setting, else
// the metadata, else the dialect's path.
func (e *Env) resolveEndpoints() {
	t := e.Target
	md := e.UsableMetadata()
	for _, ep := range target.AllEndpoints {
		dst := e.Endpoints.Field(ep)
		if u, set := t.Explicit(ep); set {
			*dst = u
			if u != "" {
				e.EndpointFrom[ep] = FromTarget
			}
			if mu := md.String(metadataMember[ep]); u != "" && mu != "" && mu != u {
				e.Notes = append(e.Notes, fmt.Sprintf("endpoints.%s is %s, but the metadata advertises %s; the target's setting is used", ep, u, mu))
			}
			continue
		}
		if m := metadataMember[ep]; m != "" {
			if u := md.String(m); u != "" {
				*dst, e.EndpointFrom[ep] = u, FromMetadata
				continue
			}
			if md != nil && ep != target.EndpointToken {
				// Usable metadata that omits an optional endpoint says the
				// server has none: no guess.
				continue
			}
		}
		if p := target.DialectPath(t.Dialect, ep); p != "" {
			*dst, e.EndpointFrom[ep] = t.Abs(p), FromDialect
		}
	}
	if e.Endpoints.OOB == "" && t.Dialect.Authorize.OOBRedirectURI != "" && e.Endpoints.Authorize != "" {
		// No result page is named: the out-of-band reader will find the
		// code on whatever page the flow ends.
		e.EndpointFrom[target.EndpointOOB] = FromDialect
	}
}

// resolveClients copies the configured clients, choosing how undeclared
// ones authenticate: none without a secret; else what the metadata lists
// (Basic first, which RFC 6749 §2.3.1 makes mandatory), else what the
// dialect requires.
func (e *Env) resolveClients() {
	t := e.Target
	oob := t.Dialect.Authorize.OOBRedirectURI
	for role, c := range t.Clients {
		if c == nil {
			continue
		}
		redirects := slices.Clone(c.RedirectURIs)
		if len(redirects) == 0 && oob != "" {
			redirects = []string{oob}
		}
		cl := &Client{ID: c.ID, Secret: c.Secret, Method: c.AuthMethod, MethodDeclared: c.AuthMethod != "",
			RedirectURIs: redirects, Scopes: slices.Clone(c.Scopes), GrantTypes: slices.Clone(c.GrantTypes),
			ResponseTypes: slices.Clone(c.ResponseTypes), Native: c.Native}
		if c.RequirePKCE != nil {
			cl.RequirePKCE = *c.RequirePKCE
		}
		if cl.Method == "" {
			cl.Method = e.defaultMethod(cl)
		}
		e.Clients[role] = cl
	}
}

func (e *Env) defaultMethod(c *Client) string {
	if c.Public() {
		return profile.AuthNone
	}
	d := e.Dialect.ClientAuth.Methods
	if md := e.UsableMetadata(); md != nil {
		if vals, ok := md.Strings("token_endpoint_auth_methods_supported"); ok {
			for _, m := range []string{profile.AuthBasic, profile.AuthPost} {
				if slices.Contains(vals, m) && d.Allows(m) {
					return m
				}
			}
		}
	}
	if e.Target.AuthMethods != nil {
		for _, m := range []string{profile.AuthBasic, profile.AuthPost} {
			if slices.Contains(e.Target.AuthMethods, m) {
				return m
			}
		}
	}
	switch {
	case d.Requires(profile.AuthBasic):
		return profile.AuthBasic
	case d.Requires(profile.AuthPost):
		return profile.AuthPost
	case d.Allows(profile.AuthBasic):
		return profile.AuthBasic
	}
	return profile.AuthPost
}

// wellKnownScopes are OpenID Connect's scope values: a vocabulary taken from
// the metadata leaves them out, since they ask for more than access.
var wellKnownScopes = []string{"openid", "profile", "email", "address", "phone", "offline_access", "offline"}

// resolveScopes picks S1, S2 and S3: the target's s1/s2/s3, else the
// primary client's registered scopes and the vocabulary (the target's, the
// dialect's), else — as a guess whose refusal only skips — the metadata's
// scopes_supported.
func (e *Env) resolveScopes() {
	t := e.Target
	sc := Scopes{Required: slices.Clone(t.Scopes.Required), Refresh: slices.Clone(t.Scopes.Refresh)}
	// Declared means the client may ask for the values: its registered
	// scopes, explicit s1/s2/s3, or a dialect's fixed vocabulary. A server's
	// vocabulary alone (scopes.supported) names what exists, not what this
	// client may get (RFC 6749 §3.3: "based on the authorization server
	// policy"), so a refusal of one of those values only skips.
	vocab := t.Scopes.Supported
	declared := t.Scopes.S1 != "" || t.Scopes.S2 != "" || t.Scopes.S3 != ""
	if vocab == nil && len(t.Dialect.Scopes.Supported) > 0 {
		vocab, declared = t.Dialect.Scopes.Supported, true
	}
	var granted []string
	if p := t.Clients[profile.RolePrimary]; p != nil && p.Scopes != nil {
		granted, declared = p.Scopes, true
	}
	skip := func(s string) bool {
		return slices.Contains(sc.Required, s) || slices.Contains(sc.Refresh, s) ||
			slices.Contains(wellKnownScopes, s) && !slices.Contains(granted, s)
	}
	if vocab == nil && !declared {
		if vals, ok := e.UsableMetadata().Strings("scopes_supported"); ok {
			for _, s := range vals {
				if !slices.Contains(wellKnownScopes, s) && profile.ValidScopeToken(s) {
					vocab = append(vocab, s)
				}
			}
			if len(vocab) > 0 {
				e.Notes = append(e.Notes, fmt.Sprintf("no scope is declared: the scope checks use %q from the metadata's scopes_supported, and a refusal of them skips a check instead of failing it", vocab))
			}
		}
	}
	var pick []string
	for _, s := range append(slices.Clone(granted), vocab...) {
		if !skip(s) && !slices.Contains(pick, s) {
			pick = append(pick, s)
		}
	}
	// S3 is a valid scope the grant of S1 does not include: prefer one
	// outside the primary's registration.
	var s3 string
	for _, s := range vocab {
		if !skip(s) && !slices.Contains(granted, s) && (len(pick) == 0 || s != pick[0]) {
			s3 = s
			break
		}
	}
	at := func(i int) string {
		if i < len(pick) {
			return pick[i]
		}
		return ""
	}
	sc.S1, sc.S2 = at(0), at(1)
	if s3 == "" || s3 == sc.S2 {
		s3 = at(2)
	}
	sc.S3 = s3
	if t.Scopes.S1 != "" || t.Scopes.S2 != "" || t.Scopes.S3 != "" {
		sc.S1, sc.S2, sc.S3 = t.Scopes.S1, t.Scopes.S2, t.Scopes.S3
	}
	sc.Declared = declared
	switch {
	case t.Scopes.Default != nil:
		sc.Default, sc.DefaultKnown = *t.Scopes.Default, true
	case t.Dialect.Scopes.Default != "":
		sc.Default, sc.DefaultKnown = t.Dialect.Scopes.Default, true
	}
	e.Scopes = sc
}

// targetDriver builds the driver a target file asks for (nil for none).
func targetDriver(t *target.Target, e *Env, opts harness.Options) (drivers.Driver, error) {
	kind := t.Driver.Kind
	if kind == "" {
		return nil, nil
	}
	if e.Endpoints.Authorize == "" {
		return nil, &SetupError{Problem: fmt.Sprintf("driver.kind %s: the target has no authorization endpoint", kind),
			Fix: "set endpoints.authorize, or remove the driver"}
	}
	fields := t.Driver.Fields
	switch kind {
	case target.DriverCommand:
		return drivers.NewCommandDriver(t.Driver.Command, e.Endpoints.Authorize, e.User), nil
	case target.DriverOOB:
		return drivers.NewOOBDriver(opts, e.Endpoints.Authorize, e.User, fields), nil
	case target.DriverForm, target.DriverMock:
		if t.Dialect.Authorize.OOBRedirectURI != "" {
			return drivers.NewOOBDriver(opts, e.Endpoints.Authorize, e.User, fields), nil
		}
		return drivers.NewFormDriver(opts, e.Endpoints.Authorize, e.User, fields), nil
	}
	return nil, fmt.Errorf("target: driver.kind %q is not one of mock, form, oob, command", kind)
}

// preflightReach turns a metadata request or a first token endpoint request
// that cannot reach the server into a setup error naming the fix, and
// recognises a wrong issuer from the metadata.
func (e *Env) preflightReach(ctx context.Context, md *Metadata) error {
	// A metadata request that cannot reach the issuer is fatal only when
	// the metadata is declared, or needed (the token endpoint is not given
	// as an absolute URL): the token endpoint's own probe says the rest.
	needed := e.HasMetadata != nil && *e.HasMetadata || !strings.HasPrefix(e.Target.Endpoints.Token, "http")
	for _, ex := range md.Tried {
		if se := transportSetupError(ex, e.Target); se != nil && needed {
			return se
		}
	}
	if md.Published && md.Doc != nil {
		iss := md.String("issuer")
		// An issuer that differs only by a trailing slash names this very
		// document (RFC 8414 §3 drops the slash before inserting the
		// well-known path): the harness cannot tell a typo of the
		// configuration from a server that misstates its issuer, so it
		// asks for the exact identifier rather than failing META-001.
		if iss != "" && iss != e.IssuerID() && strings.TrimRight(iss, "/") == strings.TrimRight(e.IssuerID(), "/") {
			return &SetupError{
				Problem:  fmt.Sprintf("the metadata at %s names the issuer %s, and the configured issuer is %s: they differ only by a trailing slash", md.URL, iss, e.IssuerID()),
				Fix:      fmt.Sprintf("give the exact issuer identifier: --issuer %s (issuer: in the target file). If %s is right, the server's metadata misstates it (RFC 8414 §3.3 compares exactly)", iss, e.IssuerID()),
				Evidence: []*harness.Exchange{md.Ex},
			}
		}
		// Only an issuer whose metadata lives elsewhere can be a wrong
		// --issuer otherwise.
		if iss != "" && iss != e.IssuerID() && !slices.Equal(metadataURLs(iss), metadataURLs(e.IssuerID())) {
			// A wrong --issuer, or a server that misstates its issuer
			// (META-001's business)? If the named issuer serves metadata
			// naming itself, the configuration is what is wrong.
			for _, u := range metadataURLs(iss) {
				ex := e.HTTP.Get(ctx, u, harness.WithHeader("Accept", "application/json"))
				if ex.Err != nil || ex.Status != http.StatusOK {
					continue
				}
				if doc, err := harness.DecodeJSONObject(ex.Body); err == nil {
					if s, _ := doc["issuer"].(string); s == iss {
						return &SetupError{
							Problem:  fmt.Sprintf("the metadata at %s names the issuer %s, not %s: %s", md.URL, iss, e.IssuerID(), wrongTargetHint),
							Fix:      fmt.Sprintf("use --issuer %s (issuer: %s in the target file): the issuer identifier is compared exactly (RFC 8414 §3.3)", iss, iss),
							Evidence: []*harness.Exchange{md.Ex, ex},
						}
					}
				}
			}
		}
	}
	return nil
}

// preflightToken checks the token endpoint once before the specs: that it
// answers (not 404, not a TLS or connection failure) and that each
// configured client's credentials are accepted. A client whose method is not
// declared and is refused with it is tried with the other, and the setup
// error says which to declare. A garbage answer is left to the specs, which
// fail it with the evidence.
func (e *Env) preflightToken(ctx context.Context) error {
	tok := e.Endpoints.Token
	if tok == "" {
		return &SetupError{Problem: "the target has no token endpoint", Fix: "set endpoints.token (--token-endpoint)"}
	}
	primary := e.Client(profile.RolePrimary)
	if primary == nil {
		return nil
	}
	probe := e.authProbe(ctx, primary)
	if se := transportSetupError(probe, e.Target); se != nil {
		return se
	}
	if probe.Status == http.StatusNotFound && harness.ErrorCodeOf(probe) == "" {
		fix := "check the issuer URL (its path too), or set endpoints.token (--token-endpoint)"
		if e.EndpointFrom[target.EndpointToken] == FromDialect {
			fix = fmt.Sprintf("the token endpoint path %s is the %s dialect's; is that the dialect this server speaks (profile:)? Otherwise set endpoints.token (--token-endpoint), or check the issuer URL",
				target.DialectPath(e.Dialect, target.EndpointToken), e.Dialect.Name)
		}
		return &SetupError{Problem: fmt.Sprintf("the token endpoint %s answered 404 Not Found: %s", tok, wrongTargetHint), Fix: fix, Evidence: []*harness.Exchange{probe}}
	}
	for _, role := range slices.Sorted(maps.Keys(e.Clients)) {
		cl := e.Clients[role]
		if role == profile.RoleSacrificial {
			continue // the brute-force checks' client; may be locked
		}
		ex := probe
		if role != profile.RolePrimary {
			ex = e.authProbe(ctx, cl)
		}
		if harness.ErrorCodeOf(ex) != "invalid_client" {
			continue
		}
		if role != profile.RolePrimary {
			// Only the primary client gates the run: another client's
			// refusal may be the very bug a check is about (Basic with
			// reserved characters not form-decoded), so it is noted and
			// left to the specs. A client with an undeclared method that
			// the server holds to the other one uses that one (never the
			// reserved-chars client, whose Basic credentials are the test).
			if !cl.Public() && !cl.MethodDeclared && role != profile.RoleReservedChars {
				alt := profile.AuthPost
				if cl.Method == profile.AuthPost {
					alt = profile.AuthBasic
				}
				try := *cl
				try.Method = alt
				if ax := e.authProbe(ctx, &try); ax != nil && ax.Err == nil && ax.Status < 500 && harness.ErrorCodeOf(ax) != "invalid_client" {
					e.Notes = append(e.Notes, fmt.Sprintf("client %q (%s) was refused with %s but accepted with %s, which it now uses (declare auth_method to say so)", cl.ID, role, cl.Method, alt))
					cl.Method, cl.MethodDeclared = alt, true
					continue
				}
			}
			e.Notes = append(e.Notes, fmt.Sprintf("the server refused the credentials of client %q (%s) in the preflight (invalid_client with %s): the checks using it will fail if the configuration is wrong; check clients.%s", cl.ID, role, cl.Method, role))
			continue
		}
		if !cl.Public() && !cl.MethodDeclared {
			// A server may hold each client to its registered method (RFC
			// 7591 token_endpoint_auth_method). Only a declaration may
			// excuse a refused method, so name the one that works.
			alt := profile.AuthPost
			if cl.Method == profile.AuthPost {
				alt = profile.AuthBasic
			}
			try := *cl
			try.Method = alt
			if ax := e.authProbe(ctx, &try); ax.Err == nil && ax.Status < 500 && harness.ErrorCodeOf(ax) != "invalid_client" {
				return &SetupError{
					Problem:  fmt.Sprintf("the server refused client %q (%s) with %s (invalid_client, status %d) but accepted it with %s", cl.ID, role, cl.Method, ex.Status, alt),
					Fix:      fmt.Sprintf("if the client is registered for %s, declare clients.%s.auth_method: %s (--auth-method %s); a server that refuses %s to every client fails the checks of it", alt, role, alt, alt, cl.Method),
					Evidence: []*harness.Exchange{ex, ax},
				}
			}
		}
		what := "secret"
		switch {
		case cl.Public() && e.APIKeyHeader() != "":
			what = "API key (api_key, sent in " + e.APIKeyHeader() + ")"
		case cl.Public():
			what = "client_id (it was sent as a public client, without a secret)"
		}
		fix := fmt.Sprintf("check the %s client's %s", role, what)
		if !cl.Public() {
			fix += fmt.Sprintf(" (clients.%s.secret", role)
			if role == profile.RolePrimary {
				fix += ", or OAUTHCONFORM_CLIENT_SECRET with --issuer"
			}
			fix += fmt.Sprintf("), and its auth_method (%s was tried)", cl.Method)
		}
		return &SetupError{Problem: fmt.Sprintf("the server refused the credentials of client %q (%s; invalid_client, status %d)", cl.ID, role, ex.Status),
			Fix: fix, Evidence: []*harness.Exchange{ex}}
	}
	return nil
}

// authProbe sends token requests that can succeed at nothing but client
// authentication (placeholder refresh tokens and codes with the client's
// redirect URI, a client_credentials request where the grant may exist, an
// unknown grant type) and returns the answer that says most about the
// credentials: issued tokens, then invalid_client (refused), then
// invalid_grant (the grant was looked at), then anything else
// (inconclusive).
//
// A refusal outweighs an invalid_grant because some servers look the grant
// up before (or without) authenticating the client on one grant type. When
// the answers disagree, each invalid_grant is sent again with a wrong
// secret: a probe that still gets invalid_grant never authenticated the
// client and proves nothing; one that then gets invalid_client shows the
// credentials were accepted, and the other grant's refusal is the server's
// per-grant policy, left to the specs.
func (e *Env) authProbe(ctx context.Context, cl *Client) *harness.Exchange {
	var issued, refused, looked, other *harness.Exchange
	var lookedForm url.Values
	var probes []url.Values
	for _, g := range []string{profile.GrantRefreshToken, profile.GrantAuthorizationCode} {
		if e.HasGrant(g) && ClientGrant(cl, g) != Absent {
			probes = append(probes, GrantProbe(g, cl))
		}
	}
	if !cl.Public() && e.HasGrant(profile.GrantClientCredentials) && ClientGrant(cl, profile.GrantClientCredentials) != Absent {
		probes = append(probes, url.Values{"grant_type": {profile.GrantClientCredentials}})
	}
	probes = append(probes, url.Values{"grant_type": {"urn:oauthconform:preflight"}})
	for _, form := range probes {
		ex := e.Token(ctx, cl, form)
		switch code := harness.ErrorCodeOf(ex); {
		case ex.Err != nil || ex.Status == http.StatusNotFound:
			return ex // transport failure or a missing endpoint: said at once
		case Issued(ex):
			issued = ex
		case code == "invalid_client":
			if refused == nil {
				refused = ex
			}
		case code == "invalid_grant":
			if looked == nil {
				looked, lookedForm = ex, form
			}
		case other == nil:
			other = ex
		}
		if issued != nil {
			return issued
		}
	}
	if looked != nil && !cl.Public() {
		wrong := *cl
		wrong.Secret = profile.Secret(string(cl.Secret) + "-oauthconform-wrong")
		ax := e.Token(ctx, &wrong, lookedForm)
		switch {
		case ax.Err == nil && harness.ErrorCodeOf(ax) == "invalid_client":
			return looked // the grant authenticates, and took these credentials
		case refused != nil:
			return refused
		case ax.Err == nil && ax.Status < 500:
			// The probe is answered alike with a wrong secret: it never
			// authenticated the client, and nothing else told.
			if n := fmt.Sprintf("the preflight could not verify the credentials of client %q: the server answered its probes alike with a wrong secret (it looks up the %s before authenticating the client); a wrong secret shows as failed checks", cl.ID, lookedForm.Get("grant_type")); !slices.Contains(e.Notes, n) {
				e.Notes = append(e.Notes, n)
			}
			if other != nil {
				return other
			}
		}
		return looked
	}
	if refused != nil && looked != nil {
		return looked // a public client: no secret to get wrong, the doubt favours it
	}
	for _, ex := range []*harness.Exchange{refused, looked, other} {
		if ex != nil {
			return ex
		}
	}
	return nil
}

// transportSetupError classifies a request that got no response because of
// the configuration: TLS trust, a host that does not resolve, a refused
// connection. Other failures (a timeout, a reset) are the target's, and the
// specs report them.
func transportSetupError(ex *harness.Exchange, t *target.Target) *SetupError {
	if ex == nil || ex.Err == nil {
		return nil
	}
	err := ex.Err
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var certErr *tls.CertificateVerificationError
	var dnsErr *net.DNSError
	var opErr *net.OpError
	switch {
	case errors.As(err, &unknownCA) || errors.As(err, &certErr) && !errors.As(err, &hostErr):
		return &SetupError{Problem: fmt.Sprintf("the TLS certificate of %s is not trusted: %v", hostOf(ex.URL), err),
			Fix:      "trust the server's CA with --ca-file FILE (tls.ca_file), or, for a throw-away test server only, --insecure (tls.insecure: true)",
			Evidence: []*harness.Exchange{ex}}
	case errors.As(err, &hostErr):
		return &SetupError{Problem: fmt.Sprintf("the TLS certificate of %s is not valid for that host name: %v", hostOf(ex.URL), err),
			Fix:      "use the host name the certificate names in the issuer URL, or --insecure for a throw-away test server",
			Evidence: []*harness.Exchange{ex}}
	case errors.As(err, &dnsErr):
		return &SetupError{Problem: fmt.Sprintf("the host of %s does not resolve: %v", ex.URL, err),
			Fix: "check the issuer URL (--issuer, issuer:)", Evidence: []*harness.Exchange{ex}}
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return &SetupError{Problem: fmt.Sprintf("cannot connect to %s: %v", hostOf(ex.URL), err),
			Fix: "is the server running? check the issuer URL and its port (--issuer, issuer:)", Evidence: []*harness.Exchange{ex}}
	case strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return &SetupError{Problem: fmt.Sprintf("%s speaks plain HTTP, not HTTPS", hostOf(ex.URL)),
			Fix: "use an http:// issuer URL", Evidence: []*harness.Exchange{ex}}
	}
	_ = t
	return nil
}

func hostOf(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		return u.Host
	}
	return raw
}

// RequirePresent skips when endpoint ep is only the dialect's guess and the
// server answers 404 there: the guess missed, which says nothing against the
// server (an endpoint nobody configured).
func (c *C) RequirePresent(ep target.Endpoint) {
	if !c.Present(ep) {
		c.Skipf("the target names no %s endpoint (not configured, not in its metadata), and the %s dialect's path %s does not answer like one: it has none there",
			ep, c.Env.Dialect.Name, target.DialectPath(c.Env.Dialect, ep))
	}
}

// Present reports whether endpoint ep is there: named by the target or the
// metadata, or a dialect's guess that answers like such an endpoint.
func (c *C) Present(ep target.Endpoint) bool {
	e := c.Env
	u := *e.Endpoints.Field(ep)
	if u == "" {
		return false
	}
	if e.EndpointFrom[ep] != FromDialect || e.absent == nil {
		return true
	}
	v, seen := e.absent.Load(ep)
	if !seen {
		// A guess counts only if it answers like such an endpoint: an OAuth
		// error or a JSON answer (revocation, introspection), a JWK Set,
		// anything but a 404 (authorize). A gateway's 401 page, a 405 or
		// an HTML catch-all is not one.
		var ex *harness.Exchange
		absent := false
		switch ep {
		case target.EndpointRevocation, target.EndpointIntrospection:
			ex = e.HTTP.PostForm(c, u, url.Values{})
			doc, err := harness.DecodeJSONObject(ex.Body)
			absent = ex.Err == nil && (err != nil || ex.MediaType() != "application/json" ||
				(ex.Status >= 300 && Str(doc, "error") == ""))
		case target.EndpointJWKS:
			ex = e.HTTP.Get(c, u, harness.WithHeader("Accept", "application/json"))
			doc, err := harness.DecodeJSONObject(ex.Body)
			_, keys := doc["keys"]
			absent = ex.Err == nil && (err != nil || !keys)
		default:
			ex = e.HTTP.Get(c, u)
			absent = ex.Err == nil && ex.Status == http.StatusNotFound
		}
		v = absent
		e.absent.Store(ep, v)
	}
	return !v.(bool)
}
