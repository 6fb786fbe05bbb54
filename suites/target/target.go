// Package target describes the authorization server under test: where it is,
// which dialect (profile) it speaks, the credentials of the clients and user
// the suites act as, how codes are obtained, and declared policy.
//
// A target file is YAML; unknown keys are errors, so a misspelt key is caught
// rather than silently ignored:
//
//	profile: rfc6749                 # built-in profile name, or a profile file
//	issuer: https://as.example.com   # base URL; profile paths are appended
//	endpoints:                       # optional overrides: absolute URLs or paths
//	  token: /oauth2/v1/token        # also authorize, revocation, introspection,
//	                                 # jwks, resource, oob
//	clients:                         # by role; primary is required
//	  primary:
//	    id: conf-client
//	    secret: ${PRIMARY_SECRET}    # from the environment
//	    redirect_uri: https://client.example/cb   # or redirect_uris: [...]
//	    scopes: [read, write]
//	    auth_method: client_secret_basic          # or client_secret_post, none
//	  second: {...}                  # also public, restricted, reserved-chars,
//	                                 # multi-redirect, query-redirect
//	user: {username: alice, password: ${ALICE_PASSWORD}}
//	driver:                          # how authorization codes are obtained
//	  kind: form                     # mock | form | oob | command
//	  command: [./get-code.sh]       # kind command only
//	  fields: {username: login}      # kind form or oob: form field names
//	headers: {x-tenant: acme}        # sent on every request
//	api_key: ${API_KEY}              # sent in the profile's API key header
//	tls: {insecure: false, ca_file: ./staging-ca.pem}
//	timeout: 10s                     # per request
//	rate_limit: 5                    # requests per second; 0 = unlimited
//	scopes: {s1: read, s2: write, s3: admin}
//	code_lifetime: 60s               # declared policy
//	refresh_grace: 0s
//	metadata: true                   # RFC 8414 metadata published? omit to discover
//
// Every string value may use ${VAR} or ${VAR:-default} (the default applies
// when VAR is unset or empty; it is literal text up to the first "}"). A
// reference to an unset variable without a default is an error naming the
// variable and the field. Expansion happens on the decoded values, never on
// the YAML text, and its result is not expanded again, so a secret holding
// YAML syntax, quotes or "$" is taken verbatim. "$${" writes a literal "${";
// a "$" not followed by "{" is literal.
//
// Relative profile and ca_file paths are relative to the target file.
// docs/TARGETS.md describes each field and the roles in detail.
package target

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/harness"
)

// Target is a validated target description.
type Target struct {
	Profile *profile.Profile
	// Issuer is the base URL that profile paths are appended to.
	Issuer string
	// Endpoints override the profile's paths.
	Endpoints Endpoints
	// Clients by role (profile.RolePrimary, …).
	Clients map[string]*Client
	// User is the resource owner, nil when none is configured.
	User   *User
	Driver Driver
	// Headers are sent on every request.
	Headers map[string]profile.Secret
	// APIKey is sent in APIKeyHeader on every request.
	APIKey    profile.Secret
	TLS       TLS
	Timeout   time.Duration
	RateLimit float64
	Scopes    Scopes
	// CodeLifetime is the declared authorization code lifetime; zero means
	// unknown. Defaults to the profile's.
	CodeLifetime time.Duration
	// RefreshGrace is the declared window in which a rotated refresh token
	// still works.
	RefreshGrace time.Duration
	// Metadata declares whether the server publishes RFC 8414 metadata:
	// nil (unset) discovers it, true makes its absence a failure, false
	// skips the metadata checks and the gating by advertised capabilities.
	Metadata *bool
	// SecurityBCP overrides the profile's security_bcp: whether the server
	// claims RFC 9700, whose MUSTs (public-client refresh rotation, PKCE
	// downgrade protection, no CORS at /authorize, ...) are then checked.
	SecurityBCP *bool
}

// Endpoints are absolute URLs or paths appended to the issuer.
type Endpoints struct {
	Token         string `yaml:"token"`
	Authorize     string `yaml:"authorize"`
	Revocation    string `yaml:"revocation"`
	Introspection string `yaml:"introspection"`
	JWKS          string `yaml:"jwks"`
	Resource      string `yaml:"resource"`
	OOB           string `yaml:"oob"`
}

// Endpoint names an endpoint for [Target.URL].
type Endpoint string

// Endpoints.
const (
	EndpointToken         Endpoint = "token"
	EndpointAuthorize     Endpoint = "authorize"
	EndpointRevocation    Endpoint = "revocation"
	EndpointIntrospection Endpoint = "introspection"
	EndpointJWKS          Endpoint = "jwks"
	EndpointResource      Endpoint = "resource"
	EndpointOOB           Endpoint = "oob"
)

func (e *Endpoints) field(name Endpoint) *string {
	switch name {
	case EndpointToken:
		return &e.Token
	case EndpointAuthorize:
		return &e.Authorize
	case EndpointRevocation:
		return &e.Revocation
	case EndpointIntrospection:
		return &e.Introspection
	case EndpointJWKS:
		return &e.JWKS
	case EndpointResource:
		return &e.Resource
	case EndpointOOB:
		return &e.OOB
	}
	return nil
}

var allEndpoints = []Endpoint{EndpointToken, EndpointAuthorize, EndpointRevocation, EndpointIntrospection,
	EndpointJWKS, EndpointResource, EndpointOOB}

// Client is a registered client the suites act as.
type Client struct {
	ID string
	// Secret is empty for a public client.
	Secret       profile.Secret
	RedirectURIs []string
	Scopes       []string
	// AuthMethod: client_secret_basic, client_secret_post or none.
	AuthMethod string
}

// Public reports whether the client has no secret.
func (c *Client) Public() bool { return c.Secret == "" }

// RedirectURI returns the first registered redirect URI, or "".
func (c *Client) RedirectURI() string {
	if len(c.RedirectURIs) == 0 {
		return ""
	}
	return c.RedirectURIs[0]
}

// User is the resource owner (U1).
type User struct {
	Username string         `yaml:"username"`
	Password profile.Secret `yaml:"password"`
}

// Driver kinds: how the suites obtain authorization codes.
const (
	DriverMock    = "mock"    // the mock provider's test hook
	DriverForm    = "form"    // log in and consent through the HTML form
	DriverOOB     = "oob"     // read the code from the out-of-band page
	DriverCommand = "command" // run an external command
)

// Driver says how authorization codes are obtained. An empty Kind means
// none: specs that need a code are skipped.
type Driver struct {
	Kind string `yaml:"kind"`
	// Command is the argv of the command driver.
	Command []string `yaml:"command"`
	// Fields override the form driver's field names; empty means its
	// defaults.
	Fields FormFields `yaml:"fields"`
}

// FormFields name the login form's inputs.
type FormFields struct {
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// Consent is the name of the approve button or input.
	Consent string `yaml:"consent"`
}

// TLS options.
type TLS struct {
	Insecure bool
	CAFile   string
}

// Scopes used by the scope tests: S1 and S2 are granted to the primary
// client, S3 is a valid scope it is not granted.
type Scopes struct {
	S1 string `yaml:"s1"`
	S2 string `yaml:"s2"`
	S3 string `yaml:"s3"`
}

// roles are the client roles the suites know (assertions.md §0.1).
var roles = []string{profile.RolePrimary, profile.RoleSecond, profile.RolePublic, profile.RolePublic2, profile.RoleRestricted,
	profile.RoleNoCode, profile.RoleReservedChars, profile.RoleMultiRedirect, profile.RoleQueryRedirect, profile.RoleSacrificial}

// DefaultAPIKeyHeader carries APIKey when the profile names no header.
const DefaultAPIKeyHeader = "x-api-key"

// FieldError names the field at fault.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return "target: " + e.Field + ": " + e.Msg }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// file is the YAML shape. Leaves that are not strings in Target are strings
// here, so that ${VAR} can stand in for a number, duration or boolean.
type file struct {
	Profile   string                `yaml:"profile"`
	Issuer    string                `yaml:"issuer"`
	Endpoints Endpoints             `yaml:"endpoints"`
	Clients   map[string]fileClient `yaml:"clients"`
	User      *User                 `yaml:"user"`
	Driver    Driver                `yaml:"driver"`
	Headers   map[string]string     `yaml:"headers"`
	APIKey    string                `yaml:"api_key"`
	TLS       struct {
		Insecure string `yaml:"insecure"`
		CAFile   string `yaml:"ca_file"`
	} `yaml:"tls"`
	Timeout      string `yaml:"timeout"`
	RateLimit    string `yaml:"rate_limit"`
	Scopes       Scopes `yaml:"scopes"`
	CodeLifetime string `yaml:"code_lifetime"`
	RefreshGrace string `yaml:"refresh_grace"`
	Metadata     string `yaml:"metadata"`
	SecurityBCP  string `yaml:"security_bcp"`
}

type fileClient struct {
	ID           string   `yaml:"id"`
	Secret       string   `yaml:"secret"`
	RedirectURI  string   `yaml:"redirect_uri"`
	RedirectURIs []string `yaml:"redirect_uris"`
	Scopes       []string `yaml:"scopes"`
	AuthMethod   string   `yaml:"auth_method"`
}

// Load reads, expands and validates a target file.
func Load(file string) (*Target, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("target: %w", err)
	}
	t, err := Parse(b, filepath.Dir(file))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return t, nil
}

// Parse decodes, expands and validates a target document; relative paths in
// it are resolved against dir.
func Parse(data []byte, dir string) (*Target, error) {
	var f file
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("target: empty document")
		}
		return nil, fmt.Errorf("target: %w", err)
	}
	t, err := f.build(dir)
	if err != nil {
		return nil, err
	}
	t.applyDefaults()
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return t, nil
}

// FromFlags builds a target for the common command-line case: one
// confidential (or, without a secret, public) primary client.
func FromFlags(issuer, clientID, clientSecret, profileName string) (*Target, error) {
	p, err := profile.Load(profileName)
	if err != nil {
		return nil, fieldErr("profile", "%v", err)
	}
	t := &Target{
		Profile: p,
		Issuer:  issuer,
		Clients: map[string]*Client{profile.RolePrimary: {ID: clientID, Secret: profile.Secret(clientSecret)}},
	}
	t.applyDefaults()
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return t, nil
}

// builder expands and converts values, keeping the first error.
type builder struct{ err error }

func (b *builder) str(field, v string) string {
	if b.err != nil {
		return v
	}
	out, err := expand(v)
	if err != nil {
		b.err = fieldErr(field, "%v", err)
	}
	return out
}

func (b *builder) strs(field string, vs []string) []string {
	out := make([]string, 0, len(vs))
	for i, v := range vs {
		out = append(out, b.str(fmt.Sprintf("%s[%d]", field, i), v))
	}
	return out
}

func (b *builder) duration(field, v string) time.Duration {
	v = b.str(field, v)
	if b.err != nil || v == "" {
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		b.err = fieldErr(field, "%q is not a duration such as 10s or 1m", v)
	}
	return d
}

func (b *builder) float(field, v string) float64 {
	v = b.str(field, v)
	if b.err != nil || v == "" {
		return 0
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		b.err = fieldErr(field, "%q is not a number", v)
	}
	return f
}

func (b *builder) bool(field, v string) bool {
	v = b.str(field, v)
	if b.err != nil || v == "" {
		return false
	}
	x, err := strconv.ParseBool(v)
	if err != nil {
		b.err = fieldErr(field, "%q is not true or false", v)
	}
	return x
}

func (f *file) build(dir string) (*Target, error) {
	b := &builder{}
	t := &Target{Clients: map[string]*Client{}}

	ref := b.str("profile", f.Profile)
	if looksLikeFile(ref) && !filepath.IsAbs(ref) {
		ref = filepath.Join(dir, ref)
	}
	t.Issuer = b.str("issuer", f.Issuer)
	for _, e := range allEndpoints {
		*t.Endpoints.field(e) = b.str("endpoints."+string(e), *f.Endpoints.field(e))
	}
	for _, role := range sortedKeys(f.Clients) {
		fc, field := f.Clients[role], "clients."+role
		c := &Client{
			ID:         b.str(field+".id", fc.ID),
			Secret:     profile.Secret(b.str(field+".secret", fc.Secret)),
			Scopes:     b.strs(field+".scopes", fc.Scopes),
			AuthMethod: b.str(field+".auth_method", fc.AuthMethod),
		}
		if fc.RedirectURI != "" {
			c.RedirectURIs = append(c.RedirectURIs, b.str(field+".redirect_uri", fc.RedirectURI))
		}
		c.RedirectURIs = append(c.RedirectURIs, b.strs(field+".redirect_uris", fc.RedirectURIs)...)
		t.Clients[role] = c
	}
	if f.User != nil {
		t.User = &User{
			Username: b.str("user.username", f.User.Username),
			Password: profile.Secret(b.str("user.password", string(f.User.Password))),
		}
	}
	t.Driver = Driver{
		Kind:    b.str("driver.kind", f.Driver.Kind),
		Command: b.strs("driver.command", f.Driver.Command),
		Fields: FormFields{
			Username: b.str("driver.fields.username", f.Driver.Fields.Username),
			Password: b.str("driver.fields.password", f.Driver.Fields.Password),
			Consent:  b.str("driver.fields.consent", f.Driver.Fields.Consent),
		},
	}
	if len(f.Driver.Command) == 0 {
		t.Driver.Command = nil
	}
	if len(f.Headers) > 0 {
		t.Headers = map[string]profile.Secret{}
		for _, k := range sortedKeys(f.Headers) {
			t.Headers[k] = profile.Secret(b.str("headers."+k, f.Headers[k]))
		}
	}
	t.APIKey = profile.Secret(b.str("api_key", f.APIKey))
	t.TLS.Insecure = b.bool("tls.insecure", f.TLS.Insecure)
	t.TLS.CAFile = b.str("tls.ca_file", f.TLS.CAFile)
	if t.TLS.CAFile != "" && !filepath.IsAbs(t.TLS.CAFile) {
		t.TLS.CAFile = filepath.Join(dir, t.TLS.CAFile)
	}
	t.Timeout = b.duration("timeout", f.Timeout)
	t.RateLimit = b.float("rate_limit", f.RateLimit)
	t.Scopes = Scopes{S1: b.str("scopes.s1", f.Scopes.S1), S2: b.str("scopes.s2", f.Scopes.S2), S3: b.str("scopes.s3", f.Scopes.S3)}
	t.CodeLifetime = b.duration("code_lifetime", f.CodeLifetime)
	t.RefreshGrace = b.duration("refresh_grace", f.RefreshGrace)
	if v := b.str("metadata", f.Metadata); v != "" && b.err == nil {
		x, err := strconv.ParseBool(v)
		if err != nil {
			b.err = fieldErr("metadata", "%q is not true or false", v)
		}
		t.Metadata = &x
	}
	if v := b.str("security_bcp", f.SecurityBCP); v != "" && b.err == nil {
		x, err := strconv.ParseBool(v)
		if err != nil {
			b.err = fieldErr("security_bcp", "%q is not true or false", v)
		}
		t.SecurityBCP = &x
	}
	if b.err != nil {
		return nil, b.err
	}

	p, err := profile.Load(ref)
	if err != nil {
		return nil, fieldErr("profile", "%v", err)
	}
	t.Profile = p
	return t, nil
}

// looksLikeFile mirrors profile.Load's test for a file rather than a name.
func looksLikeFile(ref string) bool {
	return strings.HasSuffix(ref, ".yaml") || strings.HasSuffix(ref, ".yml") || strings.ContainsRune(ref, os.PathSeparator)
}

// applyDefaults fills what the profile implies.
func (t *Target) applyDefaults() {
	if t.Timeout == 0 {
		t.Timeout = harness.DefaultTimeout
	}
	if t.Scopes == (Scopes{}) && t.Profile != nil {
		sup := t.Profile.Scopes.Supported
		for i, s := range []*string{&t.Scopes.S1, &t.Scopes.S2, &t.Scopes.S3} {
			if i < len(sup) {
				*s = sup[i]
			}
		}
	}
	if t.CodeLifetime == 0 && t.Profile != nil {
		t.CodeLifetime = t.Profile.Code.Lifetime.D()
	}
	for _, c := range t.Clients {
		if c != nil && c.AuthMethod == "" {
			c.AuthMethod = t.defaultAuthMethod(c)
		}
	}
}

// defaultAuthMethod: none for a public client, else Basic, which RFC 6749
// §2.3.1 makes mandatory to support, unless the profile only knows POST.
func (t *Target) defaultAuthMethod(c *Client) string {
	switch {
	case c.Public():
		return profile.AuthNone
	case t.Profile != nil && !t.Profile.HasAuthMethod(profile.AuthBasic) && t.Profile.HasAuthMethod(profile.AuthPost):
		return profile.AuthPost
	}
	return profile.AuthBasic
}

// Validate checks the target, naming the first bad field. Load, Parse and
// FromFlags call it; call it again after changing a Target by hand.
func (t *Target) Validate() error {
	if t.Profile == nil {
		return fieldErr("profile", "required")
	}
	if t.Issuer == "" {
		return fieldErr("issuer", "required")
	}
	if err := checkHTTPURL(t.Issuer, false); err != nil {
		return fieldErr("issuer", "%v", err)
	}
	for _, e := range allEndpoints {
		v := *t.Endpoints.field(e)
		if v == "" || strings.HasPrefix(v, "/") {
			continue
		}
		if err := checkHTTPURL(v, true); err != nil {
			return fieldErr("endpoints."+string(e), "%q is neither a path starting with / nor an absolute URL: %v", v, err)
		}
	}
	if t.Clients[profile.RolePrimary] == nil {
		return fieldErr("clients.primary", "required")
	}
	for _, role := range sortedKeys(t.Clients) {
		if err := t.validateClient(role, t.Clients[role]); err != nil {
			return err
		}
	}
	if t.User != nil && t.User.Username == "" {
		return fieldErr("user.username", "required")
	}
	switch t.Driver.Kind {
	case "", DriverMock, DriverForm, DriverOOB, DriverCommand:
	default:
		return fieldErr("driver.kind", "%q is not one of %s, %s, %s, %s", t.Driver.Kind, DriverMock, DriverForm, DriverOOB, DriverCommand)
	}
	if t.Driver.Kind == DriverCommand && (len(t.Driver.Command) == 0 || t.Driver.Command[0] == "") {
		return fieldErr("driver.command", "required for kind command")
	}
	if t.Driver.Kind != DriverCommand && len(t.Driver.Command) > 0 {
		return fieldErr("driver.command", "only used with kind command")
	}
	if t.Driver.Kind != DriverForm && t.Driver.Kind != DriverOOB && t.Driver.Fields != (FormFields{}) {
		return fieldErr("driver.fields", "only used with kind form or oob")
	}
	for _, k := range sortedKeys(t.Headers) {
		if !validHeaderName(k) {
			return fieldErr("headers."+k, "not a valid header name")
		}
		if strings.ContainsAny(string(t.Headers[k]), "\r\n") {
			return fieldErr("headers."+k, "value holds a line break")
		}
	}
	if strings.ContainsAny(string(t.APIKey), "\r\n") {
		return fieldErr("api_key", "value holds a line break")
	}
	if t.TLS.CAFile != "" {
		if _, err := os.Stat(t.TLS.CAFile); err != nil {
			return fieldErr("tls.ca_file", "%v", err)
		}
	}
	if t.Timeout <= 0 {
		return fieldErr("timeout", "must be positive")
	}
	if t.RateLimit < 0 || math.IsNaN(t.RateLimit) || math.IsInf(t.RateLimit, 0) {
		return fieldErr("rate_limit", "must be a non-negative number of requests per second")
	}
	for field, s := range map[string]string{"scopes.s1": t.Scopes.S1, "scopes.s2": t.Scopes.S2, "scopes.s3": t.Scopes.S3} {
		if s != "" && !profile.ValidScopeToken(s) {
			return fieldErr(field, "%q is not a scope-token (RFC 6749 §3.3)", s)
		}
	}
	if t.CodeLifetime < 0 {
		return fieldErr("code_lifetime", "must not be negative")
	}
	if t.RefreshGrace < 0 {
		return fieldErr("refresh_grace", "must not be negative")
	}
	return nil
}

func (t *Target) validateClient(role string, c *Client) error {
	field := "clients." + role
	if !slices.Contains(roles, role) {
		return fieldErr(field, "unknown role (known: %s)", strings.Join(roles, ", "))
	}
	if c == nil {
		return fieldErr(field, "empty")
	}
	if c.ID == "" {
		return fieldErr(field+".id", "required")
	}
	switch c.AuthMethod {
	case profile.AuthBasic, profile.AuthPost:
		if c.Public() {
			return fieldErr(field+".secret", "required for auth_method %s", c.AuthMethod)
		}
	case profile.AuthNone:
		if !c.Public() {
			return fieldErr(field+".auth_method", "is none, but a secret is set")
		}
	default:
		return fieldErr(field+".auth_method", "%q is not one of %s, %s, %s", c.AuthMethod, profile.AuthBasic, profile.AuthPost, profile.AuthNone)
	}
	for i, u := range c.RedirectURIs {
		if p, err := url.Parse(u); err != nil || p.Scheme == "" {
			return fieldErr(fmt.Sprintf("%s.redirect_uris[%d]", field, i), "%q is not an absolute URI", u)
		}
	}
	for i, s := range c.Scopes {
		if !profile.ValidScopeToken(s) {
			return fieldErr(fmt.Sprintf("%s.scopes[%d]", field, i), "%q is not a scope-token (RFC 6749 §3.3)", s)
		}
	}
	return nil
}

// URL resolves an endpoint: the target's override, else the profile's path,
// appended to the issuer (whose own path is kept, so a tenant prefix
// survives). It returns "" when the endpoint is unknown to both.
func (t *Target) URL(e Endpoint) string {
	v := ""
	if p := t.Endpoints.field(e); p != nil {
		v = *p
	}
	if v == "" && t.Profile != nil {
		v = profilePath(&t.Profile.Endpoints, e)
	}
	if v == "" || !strings.HasPrefix(v, "/") {
		return v
	}
	return strings.TrimRight(t.Issuer, "/") + v
}

func profilePath(pe *profile.Endpoints, e Endpoint) string {
	switch e {
	case EndpointToken:
		return pe.Token
	case EndpointAuthorize:
		return pe.Authorize
	case EndpointRevocation:
		return pe.Revocation
	case EndpointIntrospection:
		return pe.Introspection
	case EndpointJWKS:
		return pe.JWKS
	case EndpointResource:
		return pe.Resource
	case EndpointOOB:
		return pe.OOB
	}
	return ""
}

// Client returns the client of a role.
func (t *Target) Client(role string) (*Client, bool) {
	c, ok := t.Clients[role]
	return c, ok && c != nil
}

// APIKeyHeader is the header that carries APIKey: the profile's, else
// DefaultAPIKeyHeader.
func (t *Target) APIKeyHeader() string {
	if t.Profile != nil && t.Profile.ClientAuth.APIKeyHeader != "" {
		return t.Profile.ClientAuth.APIKeyHeader
	}
	return DefaultAPIKeyHeader
}

// HTTPOptions returns the harness client options for this target.
func (t *Target) HTTPOptions() harness.Options {
	h := http.Header{}
	for k, v := range t.Headers {
		h.Set(k, string(v))
	}
	if t.APIKey != "" {
		h.Set(t.APIKeyHeader(), string(t.APIKey))
	}
	return harness.Options{
		BaseURL:   t.Issuer,
		Timeout:   t.Timeout,
		Insecure:  t.TLS.Insecure,
		CAFile:    t.TLS.CAFile,
		Headers:   h,
		RateLimit: t.RateLimit,
	}
}

// checkHTTPURL accepts an absolute http(s) URL; a query is allowed on an
// endpoint (some servers need e.g. ?api-version=) but not on the issuer.
func checkHTTPURL(s string, allowQuery bool) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%q is not an http or https URL", s)
	}
	if u.Host == "" {
		return fmt.Errorf("%q has no host", s)
	}
	if u.Fragment != "" || (u.RawQuery != "" && !allowQuery) {
		return fmt.Errorf("%q must not have a query or fragment", s)
	}
	return nil
}

// validHeaderName: an RFC 9110 token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
