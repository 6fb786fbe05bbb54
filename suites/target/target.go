// Package target describes the authorization server under test: where it is,
// which dialect it speaks, the credentials of the clients and user the suites
// act as, how codes are obtained, and — each optional — what the server
// declares of the choices its dialect leaves free (token format, scopes,
// lifetimes, rotation, per-client registrations). Nothing is assumed that is
// not declared here, required by the dialect, or (at run time) advertised by
// the server's metadata.
//
// A target file is YAML; unknown keys are errors, so a misspelt key is caught
// rather than silently ignored:
//
//	profile: rfc6749                 # the dialect: built-in name or a file
//	issuer: https://as.example.com   # base URL; dialect paths are appended
//	endpoints:                       # optional: absolute URLs, paths, or none
//	  token: /oauth2/v1/token        # also authorize, revocation, introspection,
//	  introspection: none            # jwks, resource, oob
//	clients:                         # by role; primary is required
//	  primary:
//	    id: conf-client
//	    secret: ${PRIMARY_SECRET}    # from the environment
//	    redirect_uri: https://client.example/cb   # or redirect_uris: [...]
//	    auth_method: client_secret_basic          # or client_secret_post, none
//	    grant_types: [authorization_code, refresh_token]
//	    scopes: [read, write]        # what it is registered for
//	    require_pkce: true
//	    native: false                # RFC 8252 native app (loopback ports vary)
//	user: {username: alice, password: ${ALICE_PASSWORD}}
//	driver: {kind: form}             # mock | form | oob | command
//	access_token: {format: opaque}   # opaque, jwt, jwt-rfc9068; alg, typ
//	scopes:
//	  supported: [openid, read, write, offline_access]
//	  default: read
//	  required: [openid]             # on every authorization request
//	  refresh: [offline_access]      # needed for a refresh token
//	authorize_params: {prompt: consent}
//	grant_types: [authorization_code, client_credentials, refresh_token]
//	pkce: supported                  # unsupported | supported | required
//	refresh_token: {rotation: public-only, grace: 0s}
//	code_lifetime: 5m
//	security_bcp: true               # claims RFC 9700
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
// Relative profile, ca_file and driver command paths are relative to the
// target file. docs/TARGETS.md describes each field and the roles in detail.
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
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/harness"
)

// Target is a validated target description.
type Target struct {
	Dialect *profile.Dialect
	// Issuer is the base URL that dialect paths are appended to; also the
	// issuer identifier the metadata is looked up for.
	Issuer string
	// Endpoints are the target's own endpoint settings: a URL or path, or
	// None to say the server has no such endpoint.
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

	Scopes Scopes
	// AuthorizeParams are added to every authorization request (e.g.
	// prompt=consent).
	AuthorizeParams map[string]string

	// GrantTypes, ResponseTypes and AuthMethods declare what the server
	// offers; nil: not declared (metadata or behaviour tells).
	GrantTypes    []string
	ResponseTypes []string
	AuthMethods   []string
	// AccessToken declares the access token format; empty: unknown.
	AccessToken AccessToken
	// PKCE: "", unsupported, supported or required.
	PKCE string
	// Rotation: "", always, public-only or never.
	Rotation string
	// CodeLifetime is the declared authorization code lifetime; zero means
	// undeclared.
	CodeLifetime time.Duration
	// RefreshGrace is the declared window in which a rotated refresh token
	// still works.
	RefreshGrace time.Duration
	// Metadata declares whether the server publishes RFC 8414 metadata:
	// nil (unset) discovers it, true makes its absence a failure, false
	// says there is none (the META checks skip).
	Metadata *bool
	// SecurityBCP: whether the server claims RFC 9700, whose MUSTs
	// (public-client refresh rotation, PKCE downgrade protection, no CORS at
	// /authorize, ...) are then checked. nil: the dialect's (false for
	// every built-in dialect).
	SecurityBCP *bool

	// Dir is the directory relative paths were resolved against.
	Dir string
	// Warnings are problems worth telling the user that do not stop a run
	// (a client secret outside VSCHAR).
	Warnings []string
}

// None as an endpoint value says the server has no such endpoint.
const None = "none"

// Endpoints are absolute URLs, paths appended to the issuer, or None.
type Endpoints struct {
	Token         string `yaml:"token"`
	Authorize     string `yaml:"authorize"`
	Revocation    string `yaml:"revocation"`
	Introspection string `yaml:"introspection"`
	JWKS          string `yaml:"jwks"`
	Resource      string `yaml:"resource"`
	OOB           string `yaml:"oob"`
}

// Endpoint names an endpoint.
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

// AllEndpoints lists the endpoints in a fixed order.
var AllEndpoints = []Endpoint{EndpointToken, EndpointAuthorize, EndpointRevocation, EndpointIntrospection,
	EndpointJWKS, EndpointResource, EndpointOOB}

// Field returns the setting of endpoint e.
func (e *Endpoints) Field(name Endpoint) *string {
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

// DialectPath returns the dialect's path of endpoint e ("" when none).
func DialectPath(d *profile.Dialect, e Endpoint) string {
	if d == nil {
		return ""
	}
	pe := d.Endpoints
	f := (&Endpoints{Token: pe.Token, Authorize: pe.Authorize, Revocation: pe.Revocation,
		Introspection: pe.Introspection, JWKS: pe.JWKS, Resource: pe.Resource, OOB: pe.OOB}).Field(e)
	if f == nil {
		return ""
	}
	return *f
}

// Client is a registered client the suites act as.
type Client struct {
	ID string
	// Secret is empty for a public client.
	Secret       profile.Secret
	RedirectURIs []string
	// Scopes the client is registered for; nil: not declared.
	Scopes []string
	// AuthMethod: client_secret_basic, client_secret_post or none; empty:
	// not declared (chosen at run time from the metadata and the dialect).
	AuthMethod string
	// GrantTypes and ResponseTypes the client is registered for; nil: not
	// declared.
	GrantTypes    []string
	ResponseTypes []string
	// RequirePKCE declares that the server refuses this client's
	// authorization requests without code_challenge; nil: not declared.
	RequirePKCE *bool
	// Native marks a native application (RFC 8252): the loopback redirect
	// port rule (§7.3) applies to it only.
	Native bool
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
	DriverMock    = "mock"    // the mock provider's test hook (in process only)
	DriverForm    = "form"    // log in and consent through the HTML form
	DriverOOB     = "oob"     // read the code from the out-of-band page
	DriverCommand = "command" // run an external command
)

// Driver says how authorization codes are obtained. An empty Kind means
// none: specs that need a code are skipped.
type Driver struct {
	Kind string `yaml:"kind"`
	// Command is the argv of the command driver; Command[0] is resolved
	// against the target file's directory when it holds a path separator
	// or names a file there, else looked up in PATH.
	Command []string `yaml:"command"`
	// Fields override the form driver's field names; empty means its
	// defaults.
	Fields FormFields `yaml:"fields"`
}

// FormFields name the inputs of the provider's login and consent form where
// they differ from what the form driver detects by itself.
type FormFields struct {
	// Username and Password name the credential inputs. Defaults:
	// "username" and "password"; failing those, the first type=password
	// input and the text input before it.
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// Consent names the approve control: a submit button or input, or a
	// checkbox that must be ticked. Default: a submit control whose name,
	// value or label reads like approve/allow/accept (action=approve on the
	// mock provider).
	Consent string `yaml:"consent"`
}

// TLS options.
type TLS struct {
	Insecure bool
	CAFile   string
}

// Scopes is what the target declares of its scope vocabulary.
type Scopes struct {
	// S1, S2 and S3 are the values the scope tests use: S1 and S2 are
	// granted to the primary client, S3 is a valid scope it is not granted.
	// Empty: taken from the client's scopes, then Supported.
	S1 string
	S2 string
	S3 string
	// Supported is the vocabulary; nil: not declared.
	Supported []string
	// Default is what a request without scope is granted; nil: not
	// declared ("" declares that no scope is granted).
	Default *string
	// Required are added to every authorization request (e.g. openid).
	Required []string
	// Refresh are added where a refresh token is wanted (e.g.
	// offline_access).
	Refresh []string
}

// Declared reports whether the target names any scope value to use.
func (s Scopes) Declared() bool {
	return s.S1 != "" || s.S2 != "" || s.S3 != "" || s.Supported != nil
}

// AccessToken declares the access token format.
type AccessToken struct {
	// Format: opaque, jwt or jwt-rfc9068; empty: not declared.
	Format string
	// Alg and Typ declare the JWS alg and typ; empty: not declared.
	Alg, Typ string
}

// roles are the client roles the suites know (docs/TARGETS.md, Client roles).
var roles = []string{profile.RolePrimary, profile.RoleSecond, profile.RolePublic, profile.RolePublic2, profile.RoleRestricted,
	profile.RoleNoCode, profile.RoleReservedChars, profile.RoleMultiRedirect, profile.RoleQueryRedirect, profile.RoleSacrificial}

// Roles lists the client roles the suites know.
func Roles() []string { return slices.Clone(roles) }

// DefaultAPIKeyHeader carries APIKey when the dialect names no header.
const DefaultAPIKeyHeader = "x-api-key"

// FieldError names the field at fault and, for a target read from YAML,
// the line that holds it and the file.
type FieldError struct {
	// Field is the path of the field (clients.primary.secret); empty for a
	// problem of the document itself (a YAML syntax error).
	Field string
	Msg   string
	// Line is the line of the document (from 1) that holds the field; 0
	// when unknown, or when the document lacks the field (issuer:
	// required).
	Line int
	// File is the target file, set by Load.
	File string
}

// Error reads "FILE:LINE: FIELD: MSG" for a target file (Load), as compilers
// and editors expect, else "target: FIELD: MSG (line LINE)".
func (e *FieldError) Error() string {
	msg := e.Msg
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	switch {
	case e.File != "" && e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, msg)
	case e.File != "":
		return e.File + ": " + msg
	case e.Line > 0:
		return fmt.Sprintf("target: %s (line %d)", msg, e.Line)
	}
	return "target: " + msg
}

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
	Timeout         string            `yaml:"timeout"`
	RateLimit       string            `yaml:"rate_limit"`
	Scopes          fileScopes        `yaml:"scopes"`
	AuthorizeParams map[string]string `yaml:"authorize_params"`
	GrantTypes      []string          `yaml:"grant_types"`
	ResponseTypes   []string          `yaml:"response_types"`
	AuthMethods     []string          `yaml:"auth_methods"`
	AccessToken     struct {
		Format string `yaml:"format"`
		Alg    string `yaml:"alg"`
		Typ    string `yaml:"typ"`
	} `yaml:"access_token"`
	PKCE         string `yaml:"pkce"`
	RefreshToken struct {
		Rotation string `yaml:"rotation"`
		Grace    string `yaml:"grace"`
	} `yaml:"refresh_token"`
	CodeLifetime string `yaml:"code_lifetime"`
	RefreshGrace string `yaml:"refresh_grace"`
	Metadata     string `yaml:"metadata"`
	SecurityBCP  string `yaml:"security_bcp"`
}

type fileScopes struct {
	S1        string   `yaml:"s1"`
	S2        string   `yaml:"s2"`
	S3        string   `yaml:"s3"`
	Supported []string `yaml:"supported"`
	Default   *string  `yaml:"default"`
	Required  []string `yaml:"required"`
	Refresh   []string `yaml:"refresh"`
}

type fileClient struct {
	ID            string   `yaml:"id"`
	Secret        string   `yaml:"secret"`
	RedirectURI   string   `yaml:"redirect_uri"`
	RedirectURIs  []string `yaml:"redirect_uris"`
	Scopes        []string `yaml:"scopes"`
	AuthMethod    string   `yaml:"auth_method"`
	GrantTypes    []string `yaml:"grant_types"`
	ResponseTypes []string `yaml:"response_types"`
	RequirePKCE   string   `yaml:"require_pkce"`
	Native        string   `yaml:"native"`
}

// Load reads, expands and validates a target file.
func Load(file string) (*Target, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("target: %w", err)
	}
	dir := filepath.Dir(file)
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	t, err := Parse(b, dir)
	if err != nil {
		var fe *FieldError
		if errors.As(err, &fe) {
			named := *fe
			named.File = file
			return nil, &named
		}
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return t, nil
}

// Parse decodes, expands and validates a target document; relative paths in
// it are resolved against dir.
//
// Errors are *FieldError values naming the field's path and, where the
// document has it, its line: an unknown key with the nearest known one
// (`clients.primary.secert: unknown field; did you mean "secret"?`), a
// value of the wrong shape, then whatever validation finds.
func Parse(data []byte, dir string) (*Target, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlErr(err)
	}
	if root.Kind == 0 || root.Kind == yaml.DocumentNode && len(root.Content) == 0 {
		return nil, &FieldError{Msg: "empty document"}
	}
	doc := &root
	if doc.Kind == yaml.DocumentNode {
		doc = doc.Content[0]
	}
	pos := positions{}
	if err := checkNode(doc, reflect.TypeFor[file](), "", pos); err != nil {
		return nil, err
	}
	// The walk above explains what it finds; the strict decoder stays the
	// last word on what the file may hold.
	var f file
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &FieldError{Msg: "empty document"}
		}
		return nil, yamlErr(err)
	}
	withLine := func(err error) error {
		var fe *FieldError
		if errors.As(err, &fe) && fe.Line == 0 {
			fe.Line = pos.line(fe.Field)
		}
		return err
	}
	t, err := f.build(dir)
	if err != nil {
		return nil, withLine(err)
	}
	t.ApplyDefaults()
	if err := t.Validate(); err != nil {
		return nil, withLine(err)
	}
	return t, nil
}

// Quick is the command line's short form of a target: one primary client
// and, optionally, the few declarations most servers need.
type Quick struct {
	Issuer, ClientID, ClientSecret string
	// Profile is the dialect; empty: rfc6749.
	Profile string
	// Scopes to request (the scope vocabulary the client may use).
	Scopes []string
	// RedirectURI of the primary client.
	RedirectURI string
	// AuthMethod of the primary client; empty: chosen from the metadata.
	AuthMethod string
	// Endpoints overrides, by name.
	Endpoints map[Endpoint]string
}

// FromQuick builds a target for the common command-line case: one
// confidential (or, without a secret, public) primary client. It claims
// nothing it was not told: no token format, no RFC 9700, no scopes.
func FromQuick(q Quick) (*Target, error) {
	d, err := profile.Load(q.Profile)
	if err != nil {
		return nil, fieldErr("profile", "%v", err)
	}
	c := &Client{ID: q.ClientID, Secret: profile.Secret(q.ClientSecret), AuthMethod: q.AuthMethod}
	if q.RedirectURI != "" {
		c.RedirectURIs = []string{q.RedirectURI}
	}
	t := &Target{Dialect: d, Issuer: q.Issuer, Clients: map[string]*Client{profile.RolePrimary: c}}
	for e, v := range q.Endpoints {
		if p := t.Endpoints.Field(e); p != nil {
			*p = v
		}
	}
	if len(q.Scopes) > 0 {
		var all []string
		for _, s := range q.Scopes {
			all = append(all, strings.Fields(s)...)
		}
		// The client's scopes, not the server's vocabulary: a server may
		// accept values beyond them (RFC 6749 §3.3), so the scope checks
		// that need a closed vocabulary still skip.
		c.Scopes = all
	}
	t.ApplyDefaults()
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return t, nil
}

// FromFlags is FromQuick with the four basic values.
func FromFlags(issuer, clientID, clientSecret, profileName string) (*Target, error) {
	return FromQuick(Quick{Issuer: issuer, ClientID: clientID, ClientSecret: clientSecret, Profile: profileName})
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
	if vs == nil {
		return nil
	}
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

// optBool parses an optional boolean: nil when unset.
func (b *builder) optBool(field, v string) *bool {
	v = b.str(field, v)
	if b.err != nil || v == "" {
		return nil
	}
	x, err := strconv.ParseBool(v)
	if err != nil {
		b.err = fieldErr(field, "%q is not true or false", v)
		return nil
	}
	return &x
}

func (f *file) build(dir string) (*Target, error) {
	b := &builder{}
	t := &Target{Clients: map[string]*Client{}, Dir: dir}

	ref := b.str("profile", f.Profile)
	if profile.LooksLikeFile(ref) && !filepath.IsAbs(ref) {
		ref = filepath.Join(dir, ref)
	}
	t.Issuer = b.str("issuer", f.Issuer)
	for _, e := range AllEndpoints {
		*t.Endpoints.Field(e) = b.str("endpoints."+string(e), *f.Endpoints.Field(e))
	}
	for _, role := range sortedKeys(f.Clients) {
		fc, field := f.Clients[role], "clients."+role
		c := &Client{
			ID:            b.str(field+".id", fc.ID),
			Secret:        profile.Secret(b.str(field+".secret", fc.Secret)),
			Scopes:        b.strs(field+".scopes", fc.Scopes),
			AuthMethod:    b.str(field+".auth_method", fc.AuthMethod),
			GrantTypes:    b.strs(field+".grant_types", fc.GrantTypes),
			ResponseTypes: b.strs(field+".response_types", fc.ResponseTypes),
			RequirePKCE:   b.optBool(field+".require_pkce", fc.RequirePKCE),
		}
		// RFC 7591 lists "implicit" among a client's grant types; here it is
		// the token response type, not a token endpoint grant.
		if i := slices.Index(c.GrantTypes, "implicit"); i >= 0 {
			c.GrantTypes = slices.Delete(c.GrantTypes, i, i+1)
		}
		if n := b.optBool(field+".native", fc.Native); n != nil {
			c.Native = *n
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
	if len(t.Driver.Command) > 0 {
		t.Driver.Command[0] = resolveProgram(dir, t.Driver.Command[0])
	}
	if len(f.Headers) > 0 {
		t.Headers = map[string]profile.Secret{}
		for _, k := range sortedKeys(f.Headers) {
			t.Headers[k] = profile.Secret(b.str("headers."+k, f.Headers[k]))
		}
	}
	t.APIKey = profile.Secret(b.str("api_key", f.APIKey))
	if ins := b.optBool("tls.insecure", f.TLS.Insecure); ins != nil {
		t.TLS.Insecure = *ins
	}
	t.TLS.CAFile = b.str("tls.ca_file", f.TLS.CAFile)
	if t.TLS.CAFile != "" && !filepath.IsAbs(t.TLS.CAFile) {
		t.TLS.CAFile = filepath.Join(dir, t.TLS.CAFile)
	}
	t.Timeout = b.duration("timeout", f.Timeout)
	t.RateLimit = b.float("rate_limit", f.RateLimit)
	t.Scopes = Scopes{
		S1: b.str("scopes.s1", f.Scopes.S1), S2: b.str("scopes.s2", f.Scopes.S2), S3: b.str("scopes.s3", f.Scopes.S3),
		Supported: b.strs("scopes.supported", f.Scopes.Supported),
		Required:  b.strs("scopes.required", f.Scopes.Required),
		Refresh:   b.strs("scopes.refresh", f.Scopes.Refresh),
	}
	if f.Scopes.Default != nil {
		d := b.str("scopes.default", *f.Scopes.Default)
		t.Scopes.Default = &d
	}
	if len(f.AuthorizeParams) > 0 {
		t.AuthorizeParams = map[string]string{}
		for _, k := range sortedKeys(f.AuthorizeParams) {
			t.AuthorizeParams[k] = b.str("authorize_params."+k, f.AuthorizeParams[k])
		}
	}
	t.GrantTypes = b.strs("grant_types", f.GrantTypes)
	if i := slices.Index(t.GrantTypes, "implicit"); i >= 0 {
		t.GrantTypes = slices.Delete(t.GrantTypes, i, i+1)
	}
	t.ResponseTypes = b.strs("response_types", f.ResponseTypes)
	t.AuthMethods = b.strs("auth_methods", f.AuthMethods)
	t.AccessToken = AccessToken{
		Format: b.str("access_token.format", f.AccessToken.Format),
		Alg:    b.str("access_token.alg", f.AccessToken.Alg),
		Typ:    b.str("access_token.typ", f.AccessToken.Typ),
	}
	t.PKCE = b.str("pkce", f.PKCE)
	t.Rotation = b.str("refresh_token.rotation", f.RefreshToken.Rotation)
	t.CodeLifetime = b.duration("code_lifetime", f.CodeLifetime)
	t.RefreshGrace = b.duration("refresh_grace", f.RefreshGrace)
	if f.RefreshToken.Grace != "" {
		t.RefreshGrace = b.duration("refresh_token.grace", f.RefreshToken.Grace)
	}
	t.Metadata = b.optBool("metadata", f.Metadata)
	t.SecurityBCP = b.optBool("security_bcp", f.SecurityBCP)
	if b.err != nil {
		return nil, b.err
	}

	d, err := profile.Load(ref)
	if err != nil {
		return nil, fieldErr("profile", "%v", err)
	}
	t.Dialect = d
	return t, nil
}

// resolveProgram finds a driver program relative to the target file: a
// relative path with a separator is joined to dir, a bare name is taken from
// dir when such a file is there, else left for PATH.
func resolveProgram(dir, prog string) string {
	switch {
	case prog == "" || filepath.IsAbs(prog):
		return prog
	case strings.ContainsRune(prog, '/') || strings.ContainsRune(prog, os.PathSeparator):
		return filepath.Join(dir, prog)
	}
	if st, err := os.Stat(filepath.Join(dir, prog)); err == nil && !st.IsDir() {
		return filepath.Join(dir, prog)
	}
	return prog
}

// ApplyDefaults fills what is not a declaration: the request timeout.
// Client authentication methods left undeclared are chosen at run time,
// when the metadata is known.
func (t *Target) ApplyDefaults() {
	if t.Timeout == 0 {
		t.Timeout = harness.DefaultTimeout
	}
	t.Warnings = nil
	for _, role := range sortedKeys(t.Clients) {
		c := t.Clients[role]
		if c == nil {
			continue
		}
		if !profile.VSChars(c.ID) || !profile.VSChars(string(c.Secret)) {
			t.Warnings = append(t.Warnings, fmt.Sprintf("clients.%s: the client_id or secret has characters outside VSCHAR (%%x20-7E); RFC 6749 App. A.1, A.2 allow only those, so a compliant server may refuse it", role))
		}
	}
}

// Validate checks the target, naming the first bad field. Load, Parse and
// FromQuick call it; call it again after changing a Target by hand.
func (t *Target) Validate() error {
	if t.Dialect == nil {
		return fieldErr("profile", "required")
	}
	if t.Issuer == "" {
		return fieldErr("issuer", "required")
	}
	if err := checkHTTPURL(t.Issuer, false); err != nil {
		return fieldErr("issuer", "%v", err)
	}
	for _, e := range AllEndpoints {
		v := *t.Endpoints.Field(e)
		if v == "" || v == None || strings.HasPrefix(v, "/") {
			continue
		}
		if err := checkHTTPURL(v, true); err != nil {
			return fieldErr("endpoints."+string(e), "%q is neither a path starting with /, an absolute URL, nor none: %v", v, err)
		}
	}
	if t.Endpoints.Token == None {
		return fieldErr("endpoints.token", "every server has a token endpoint")
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
	if t.Driver.Kind == DriverCommand {
		if len(t.Driver.Command) == 0 || t.Driver.Command[0] == "" {
			return fieldErr("driver.command", "required for kind command")
		}
		if err := checkProgram(t.Driver.Command[0]); err != nil {
			return fieldErr("driver.command[0]", "%v", err)
		}
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
	sc := t.Scopes
	for _, f := range []struct{ field, v string }{{"scopes.s1", sc.S1}, {"scopes.s2", sc.S2}, {"scopes.s3", sc.S3}} {
		if f.v != "" && !profile.ValidScopeToken(f.v) {
			return fieldErr(f.field, "%q is not a scope-token (RFC 6749 §3.3)", f.v)
		}
	}
	for _, l := range []struct {
		field string
		vs    []string
	}{{"scopes.supported", sc.Supported}, {"scopes.required", sc.Required}, {"scopes.refresh", sc.Refresh}} {
		for i, v := range l.vs {
			if !profile.ValidScopeToken(v) {
				return fieldErr(fmt.Sprintf("%s[%d]", l.field, i), "%q is not a scope-token (RFC 6749 §3.3)", v)
			}
		}
	}
	if sc.Default != nil {
		for _, v := range strings.Fields(*sc.Default) {
			if !profile.ValidScopeToken(v) {
				return fieldErr("scopes.default", "%q is not a scope-token (RFC 6749 §3.3)", v)
			}
		}
	}
	for k, v := range t.AuthorizeParams {
		if k == "" || strings.ContainsAny(k+v, "\r\n") {
			return fieldErr("authorize_params."+k, "not a valid parameter")
		}
	}
	if err := checkValues("grant_types", t.GrantTypes, profile.Grants...); err != nil {
		return err
	}
	if err := checkValues("response_types", t.ResponseTypes, profile.ResponseCode, profile.ResponseToken); err != nil {
		return err
	}
	if err := checkValues("auth_methods", t.AuthMethods, profile.AuthBasic, profile.AuthPost, profile.AuthNone); err != nil {
		return err
	}
	d := t.Dialect
	for _, l := range []struct {
		field string
		vs    []string
		set   profile.Set
		what  string
	}{{"grant_types", t.GrantTypes, d.GrantTypes, "grant"}, {"response_types", t.ResponseTypes, d.ResponseTypes, "response type"},
		{"auth_methods", t.AuthMethods, d.ClientAuth.Methods, "client authentication method"}} {
		for _, v := range l.vs {
			if !l.set.Allows(v) {
				return fieldErr(l.field, "%q is not a %s of the %s dialect (allowed: %s)", v, l.what, d.Name, strings.Join(l.set.Allowed, ", "))
			}
		}
	}
	for _, role := range sortedKeys(t.Clients) {
		c := t.Clients[role]
		for _, g := range c.GrantTypes {
			if !d.GrantTypes.Allows(g) {
				return fieldErr("clients."+role+".grant_types", "%q is not a grant of the %s dialect", g, d.Name)
			}
		}
		if m := c.AuthMethod; m != "" && !d.ClientAuth.Methods.Allows(m) {
			return fieldErr("clients."+role+".auth_method", "%q is not a client authentication method of the %s dialect (allowed: %s)", m, d.Name, strings.Join(d.ClientAuth.Methods.Allowed, ", "))
		}
		if c.Public() && !d.ClientAuth.Methods.Allows(profile.AuthNone) {
			return fieldErr("clients."+role+".secret", "required: the %s dialect has no public clients", d.Name)
		}
		if !c.Public() && !d.ClientAuth.Methods.Allows(profile.AuthBasic) && !d.ClientAuth.Methods.Allows(profile.AuthPost) {
			return fieldErr("clients."+role+".secret", "the %s dialect's clients are public: leave the secret out", d.Name)
		}
	}
	if t.Endpoints.Authorize == None && (d.GrantTypes.Requires(profile.GrantAuthorizationCode) || len(d.ResponseTypes.Required) > 0) {
		return fieldErr("endpoints.authorize", "none, but the %s dialect requires the authorization endpoint", d.Name)
	}
	if err := checkOne("access_token.format", t.AccessToken.Format, "", profile.FormatOpaque, profile.FormatJWT, profile.FormatJWTRFC9068); err != nil {
		return err
	}
	if df := t.Dialect.AccessToken.Format; df != profile.FormatAny && t.AccessToken.Format != "" &&
		!(df == profile.FormatJWT && profile.IsJWT(t.AccessToken.Format)) && df != t.AccessToken.Format {
		return fieldErr("access_token.format", "%q contradicts the %s dialect, whose access tokens are %s", t.AccessToken.Format, t.Dialect.Name, df)
	}
	at := t.AccessToken
	if (at.Alg != "" || at.Typ != "") && at.Format == profile.FormatOpaque {
		return fieldErr("access_token", "alg and typ describe JWTs, but the format is opaque")
	}
	if err := checkOne("access_token.alg", at.Alg, "", "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"); err != nil {
		return err
	}
	if at.Alg != "" && d.AccessToken.Alg != "" && at.Alg != d.AccessToken.Alg {
		return fieldErr("access_token.alg", "%q contradicts the %s dialect, whose JWTs are signed %s", at.Alg, d.Name, d.AccessToken.Alg)
	}
	if at.Typ != "" && (at.Format == profile.FormatJWTRFC9068 || d.AccessToken.Format == profile.FormatJWTRFC9068) &&
		strings.TrimPrefix(strings.ToLower(at.Typ), "application/") != "at+jwt" {
		return fieldErr("access_token.typ", "an RFC 9068 token has typ at+jwt, not %q", at.Typ)
	}
	if err := checkOne("pkce", t.PKCE, "", profile.PKCEUnsupported, profile.PKCESupported, profile.PKCERequired); err != nil {
		return err
	}
	switch ds := d.PKCE.Support; {
	case t.PKCE == profile.PKCEUnsupported && (ds == profile.PKCESupported || ds == profile.PKCERequired):
		return fieldErr("pkce", "unsupported, but the %s dialect requires PKCE support", d.Name)
	case t.PKCE != "" && t.PKCE != profile.PKCEUnsupported && ds == profile.PKCEUnsupported:
		return fieldErr("pkce", "%s, but the %s dialect has no PKCE", t.PKCE, d.Name)
	case t.PKCE != "" && t.PKCE != profile.PKCERequired && ds == profile.PKCERequired:
		return fieldErr("pkce", "%s, but the %s dialect requires PKCE on every request", t.PKCE, d.Name)
	}
	if err := checkOne("refresh_token.rotation", t.Rotation, "", profile.RotationAlways, profile.RotationPublicOnly, profile.RotationNever); err != nil {
		return err
	}
	if dr := d.RefreshToken.Rotation; t.Rotation != "" && dr != profile.RotationAny && t.Rotation != dr {
		return fieldErr("refresh_token.rotation", "%s, but the %s dialect requires %s", t.Rotation, d.Name, dr)
	}
	if t.SecurityBCP != nil && *t.SecurityBCP {
		if t.Rotation == profile.RotationNever {
			return fieldErr("security_bcp", "claims RFC 9700, whose §4.14.2 requires rotating public clients' refresh tokens, but refresh_token.rotation is never")
		}
		if t.PKCE == profile.PKCEUnsupported {
			return fieldErr("security_bcp", "claims RFC 9700, whose §2.1.1 requires PKCE support, but pkce is unsupported")
		}
	}
	if v := d.Scopes.Supported; len(v) > 0 && sc.Supported != nil {
		for _, s := range sc.Supported {
			if !slices.Contains(v, s) {
				return fieldErr("scopes.supported", "%q is not in the %s dialect's vocabulary (%s)", s, d.Name, strings.Join(v, ", "))
			}
		}
	}
	if sc.Default != nil && sc.Supported != nil {
		for _, s := range strings.Fields(*sc.Default) {
			if !slices.Contains(sc.Supported, s) {
				return fieldErr("scopes.default", "%q is not in scopes.supported", s)
			}
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

func checkValues(field string, vs []string, known ...string) error {
	for i, v := range vs {
		if !slices.Contains(known, v) {
			return fieldErr(fmt.Sprintf("%s[%d]", field, i), "%q is not one of %s", v, strings.Join(known, ", "))
		}
	}
	return nil
}

func checkOne(field, v string, known ...string) error {
	if !slices.Contains(known, v) {
		return fieldErr(field, "%q is not one of %s", v, strings.Join(known[1:], ", "))
	}
	return nil
}

// checkProgram makes sure the driver's program exists and is executable.
func checkProgram(prog string) error {
	if strings.ContainsRune(prog, '/') || strings.ContainsRune(prog, os.PathSeparator) {
		st, err := os.Stat(prog)
		switch {
		case err != nil:
			return fmt.Errorf("the program %s does not exist (a relative path is relative to the target file)", prog)
		case st.IsDir():
			return fmt.Errorf("%s is a directory, not a program", prog)
		case st.Mode()&0o111 == 0:
			return fmt.Errorf("%s is not executable (chmod +x %s)", prog, prog)
		}
		return nil
	}
	if _, err := exec.LookPath(prog); err != nil {
		return fmt.Errorf("the program %q is neither beside the target file nor in PATH", prog)
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
	case "":
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
	if err := checkValues(field+".grant_types", c.GrantTypes, profile.Grants...); err != nil {
		return err
	}
	return checkValues(field+".response_types", c.ResponseTypes, profile.ResponseCode, profile.ResponseToken)
}

// Explicit returns the target's own setting of endpoint e resolved to an
// absolute URL: set is false when the target says nothing of it; url is ""
// with set true when the target says it has none.
func (t *Target) Explicit(e Endpoint) (u string, set bool) {
	f := t.Endpoints.Field(e)
	if f == nil {
		return "", false
	}
	v := *f
	switch {
	case v == "":
		return "", false
	case v == None:
		return "", true
	}
	return t.Abs(v), true
}

// Abs resolves a path against the issuer (keeping the issuer's own path, so
// a tenant prefix survives); an absolute URL is returned as is.
func (t *Target) Abs(v string) string {
	if v == "" || !strings.HasPrefix(v, "/") {
		return v
	}
	return strings.TrimRight(t.Issuer, "/") + v
}

// URL resolves an endpoint without metadata: the target's own setting, else
// the dialect's path appended to the issuer; "" when neither names it (or
// the target says none).
func (t *Target) URL(e Endpoint) string {
	if u, set := t.Explicit(e); set {
		return u
	}
	return t.Abs(DialectPath(t.Dialect, e))
}

// Client returns the client of a role.
func (t *Target) Client(role string) (*Client, bool) {
	c, ok := t.Clients[role]
	return c, ok && c != nil
}

// APIKeyHeader is the header that carries APIKey: the dialect's, else
// DefaultAPIKeyHeader.
func (t *Target) APIKeyHeader() string {
	if t.Dialect != nil && t.Dialect.ClientAuth.APIKeyHeader != "" {
		return t.Dialect.ClientAuth.APIKeyHeader
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
