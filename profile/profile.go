// Package profile is the dialect contract shared by the mock provider and the
// conformance suites. A dialect (one YAML file in fixtures/profiles) states
// what every server speaking it must do — paths, body encodings, client
// authentication, grants, scopes, token format, refresh rotation, PKCE — and,
// explicitly, where it leaves the server free. It never records what one
// server chose: the mock's choices are its own configuration (mockserver), and
// a real server's are what its target file declares or its metadata reveals
// (suites/target).
package profile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/oauthconform/oauthconform/fixtures"
)

// Grant types (RFC 6749 §4).
const (
	GrantAuthorizationCode = "authorization_code"
	GrantClientCredentials = "client_credentials"
	GrantPassword          = "password"
	GrantRefreshToken      = "refresh_token"
)

// Grants lists the grant types the harness knows, in RFC order.
var Grants = []string{GrantAuthorizationCode, GrantPassword, GrantClientCredentials, GrantRefreshToken}

// Response types of the authorization endpoint (RFC 6749 §3.1.1).
const (
	ResponseCode  = "code"
	ResponseToken = "token"
)

// Client authentication methods, named as in the RFC 8414 / IANA registry.
const (
	AuthBasic = "client_secret_basic"
	AuthPost  = "client_secret_post"
	AuthNone  = "none"
)

// Request body encodings accepted at the token endpoint.
const (
	EncodingForm = "form"
	EncodingJSON = "json"
)

// Access token formats. A dialect may leave the format free (FormatAny); a
// server declares, or the mock chooses, one of the others. FormatJWT is any
// JWS-compact JWT; FormatJWTRFC9068 is a JWT access token profile (RFC 9068)
// token, with its typ and seven required claims.
const (
	FormatAny        = "any"
	FormatJWT        = "jwt"
	FormatJWTRFC9068 = "jwt-rfc9068"
	FormatOpaque     = "opaque"
)

// IsJWT reports whether a format is a JWT of either kind.
func IsJWT(format string) bool { return format == FormatJWT || format == FormatJWTRFC9068 }

// Refresh token rotation policies (RFC 6749 §6 leaves rotation to the server;
// RFC 9700 §4.14.2 requires it, or sender-constraining, for public clients).
const (
	RotationAny        = "any"
	RotationAlways     = "always"
	RotationPublicOnly = "public-only"
	RotationNever      = "never"
)

// PKCE support (RFC 7636 is optional for an RFC 6749 server).
const (
	PKCEAny         = "any"
	PKCEUnsupported = "unsupported"
	// PKCESupported: code_challenge is honoured; whether it is required is
	// the server's per-client policy.
	PKCESupported = "supported"
	// PKCERequired: every authorization request must carry a code_challenge.
	PKCERequired = "required"
)

// How unknown or disallowed scope values are treated (RFC 6749 §3.3 lets the
// server either fail with invalid_scope or ignore them and report the scope).
const (
	UnknownScopeAny    = "any"
	UnknownScopeReject = "reject"
	UnknownScopeIgnore = "ignore"
)

// DefaultName is the dialect used when none is named.
const DefaultName = "rfc6749"

// Dialect is what every server speaking one OAuth 2.0 dialect must do, with
// the RFCs' freedoms left explicit.
type Dialect struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	// Seed names the source document the dialect comes from, if any.
	Seed string `yaml:"seed,omitempty"`

	// Endpoints are the paths the dialect documents (or, for rfc6749, the
	// conventional guesses): used only when neither the target nor its
	// metadata names the endpoint, and a 404 on a guessed path means the
	// target has no such endpoint, not a failure.
	Endpoints    Endpoints    `yaml:"endpoints"`
	TokenRequest TokenRequest `yaml:"token_request"`
	ClientAuth   ClientAuth   `yaml:"client_auth"`

	GrantTypes    Set `yaml:"grant_types"`
	ResponseTypes Set `yaml:"response_types"`

	Scopes       Scopes       `yaml:"scopes"`
	AccessToken  AccessToken  `yaml:"access_token"`
	RefreshToken RefreshToken `yaml:"refresh_token"`
	PKCE         PKCE         `yaml:"pkce"`
	Authorize    Authorize    `yaml:"authorize"`
	Resources    Resources    `yaml:"resources"`

	// SecurityBCP says the dialect itself requires RFC 9700 (the OAuth 2.0
	// Security BCP). None of the built-in dialects does: a target claims it.
	SecurityBCP bool `yaml:"security_bcp"`

	// TokenResponseSchema is the file in schemas/ that a success body of the
	// token endpoint validates against: the dialect's contract.
	TokenResponseSchema string `yaml:"token_response_schema"`

	// Choices records, in prose, how the dialect reads its source where the
	// source is ambiguous. Not used by code.
	Choices []string `yaml:"choices,omitempty"`
}

// Set is what a dialect allows of a kind (grants, response types, client
// authentication methods) and which of those every server must offer.
type Set struct {
	Allowed  []string `yaml:"allowed"`
	Required []string `yaml:"required,omitempty"`
}

// Allows reports whether v is allowed.
func (s Set) Allows(v string) bool { return slices.Contains(s.Allowed, v) }

// Requires reports whether every server must offer v.
func (s Set) Requires(v string) bool { return slices.Contains(s.Required, v) }

// Endpoints are paths relative to the issuer URL. An empty path means the
// dialect documents no such endpoint.
type Endpoints struct {
	Token         string `yaml:"token"`
	Authorize     string `yaml:"authorize,omitempty"`
	Revocation    string `yaml:"revocation,omitempty"`
	Introspection string `yaml:"introspection,omitempty"`
	JWKS          string `yaml:"jwks,omitempty"`
	// Resource is a bearer-protected resource (RFC 6750); no RFC names one.
	Resource string `yaml:"resource,omitempty"`
	// OOB is where codes issued to the out-of-band redirect URI are shown.
	OOB string `yaml:"oob,omitempty"`
	// UserInfo is the OpenID Connect UserInfo endpoint (OIDC Core 1.0 §5.3).
	UserInfo string `yaml:"userinfo,omitempty"`
}

// TokenRequest says how token requests are encoded.
type TokenRequest struct {
	// Encodings every server of the dialect must accept: "form" (RFC 6749
	// §3.2), "json".
	Encodings []string `yaml:"encodings"`
	// DefaultGrantType applies when grant_type is absent (a dialect
	// departure; RFC 6749 makes grant_type REQUIRED). Empty means none.
	DefaultGrantType string `yaml:"default_grant_type,omitempty"`
}

// ClientAuth says how clients authenticate at the token endpoint.
type ClientAuth struct {
	// Methods: client_secret_basic, client_secret_post, none.
	Methods Set `yaml:"methods"`
	// APIKeyHeader, when set, names a header that must carry an API key on
	// every token request (seed 002's x-api-key).
	APIKeyHeader string `yaml:"api_key_header,omitempty"`
}

// Scopes is what the dialect fixes of the scope vocabulary.
type Scopes struct {
	// Supported is the vocabulary every server of the dialect has; empty
	// leaves it to the server.
	Supported []string `yaml:"supported"`
	// Default is granted when a request has no scope; empty leaves it to
	// the server (RFC 6749 §3.3: its own documented default, or
	// invalid_scope).
	Default string `yaml:"default,omitempty"`
	// Unknown: any (RFC 6749 §3.3: refuse or ignore), reject, ignore.
	Unknown string `yaml:"unknown"`
}

// AccessToken is what the dialect fixes of access tokens.
type AccessToken struct {
	// Format: any, jwt, jwt-rfc9068 or opaque.
	Format string `yaml:"format"`
	// Alg is the JWS alg every JWT access token uses; empty: any.
	Alg string `yaml:"alg,omitempty"`
	// Typ is the JWS typ header required; empty: none required (a
	// jwt-rfc9068 token always needs at+jwt).
	Typ string `yaml:"typ,omitempty"`
	// Claims every JWT access token carries, beyond the format's own.
	Claims []string `yaml:"claims,omitempty"`
	// TokenType is the exact spelling of token_type the dialect requires;
	// empty: Bearer in any case (RFC 6749 §5.1, RFC 6750 §4).
	TokenType string `yaml:"token_type,omitempty"`
}

// RefreshToken is what the dialect fixes of refresh tokens.
type RefreshToken struct {
	// IssueFor lists the grants whose success response MUST carry a refresh
	// token (seed 001: all of them).
	IssueFor []string `yaml:"issue_for,omitempty"`
	// Rotation: any, always, public-only, never.
	Rotation string `yaml:"rotation"`
}

// PKCE is what the dialect fixes of RFC 7636.
type PKCE struct {
	// Support: any, unsupported, supported, required.
	Support string `yaml:"support"`
	// Methods every server must accept when it supports PKCE (S256 is
	// mandatory to implement, RFC 7636 §4.2).
	Methods []string `yaml:"methods,omitempty"`
}

// Authorize describes dialect extras of the authorize endpoint.
type Authorize struct {
	// Extras are additional request parameters (seed 000's intent_id,
	// intent_type).
	Extras []ExtraParam `yaml:"extras,omitempty"`
	// OOBRedirectURI, when set, is the only redirect URI of every client;
	// codes are shown on a page instead of redirected.
	OOBRedirectURI string `yaml:"oob_redirect_uri,omitempty"`
}

// ExtraParam is an extension parameter of the authorization request.
type ExtraParam struct {
	Name     string   `yaml:"name"`
	Required bool     `yaml:"required,omitempty"`
	Enum     []string `yaml:"enum,omitempty"`
	// Claim names the access token claim the value is carried into.
	Claim string `yaml:"claim,omitempty"`
}

// Resources describes scope-gated protected endpoints (seed 001).
type Resources struct {
	// Rules are matched in order; the first match decides which scopes are
	// accepted. Paths may hold {client_id} and other {placeholders}.
	Rules []ResourceRule `yaml:"rules,omitempty"`
	// Prefix is the path space the rules govern; requests under it matching
	// no rule need DefaultScopes.
	Prefix        string   `yaml:"prefix,omitempty"`
	DefaultScopes []string `yaml:"default_scopes,omitempty"`
	// ScopeError answers a valid token whose scope the endpoint does not
	// accept: "insufficient_scope" (403, RFC 6750 §3.1; the default) or
	// "invalid_token" (401; seed 001 calls such a token invalid).
	ScopeError string `yaml:"scope_error,omitempty"`
}

// Values of Resources.ScopeError.
const (
	ScopeErrorInsufficientScope = "insufficient_scope"
	ScopeErrorInvalidToken      = "invalid_token"
)

// ResourceRule gates one endpoint.
type ResourceRule struct {
	Method string   `yaml:"method"`
	Path   string   `yaml:"path"`
	Scopes []string `yaml:"scopes"`
}

// Duration is a time.Duration written as "60s", "1h".
type Duration time.Duration

// UnmarshalYAML parses a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration such as 60s or 1h", n.Line, s)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as a string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Names lists the built-in dialects, sorted.
func Names() []string {
	entries, err := fs.ReadDir(fixtures.FS, "profiles")
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".yaml"); ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// LooksLikeFile reports whether a dialect reference names a file rather
// than a built-in dialect.
func LooksLikeFile(ref string) bool {
	return strings.HasSuffix(ref, ".yaml") || strings.HasSuffix(ref, ".yml") || strings.ContainsRune(ref, os.PathSeparator)
}

// Load returns the built-in dialect of that name, or reads the file when name
// ends in .yaml/.yml or contains a path separator.
func Load(name string) (*Dialect, error) {
	if name == "" {
		name = DefaultName
	}
	if LooksLikeFile(name) {
		return LoadFile(name)
	}
	b, err := fs.ReadFile(fixtures.FS, path.Join("profiles", name+".yaml"))
	if err != nil {
		return nil, fmt.Errorf("profile %q: not a built-in profile (have %s)", name, strings.Join(Names(), ", "))
	}
	return Parse(b)
}

// MustLoad is Load for tests and fixed names; it panics on error.
func MustLoad(name string) *Dialect {
	d, err := Load(name)
	if err != nil {
		panic(err)
	}
	return d
}

// LoadFile reads and validates a dialect file.
func LoadFile(file string) (*Dialect, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("profile: %w", err)
	}
	d, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return d, nil
}

// Parse decodes and validates a dialect document. Unknown fields are errors,
// so a misspelt key is caught rather than silently ignored.
func Parse(b []byte) (*Dialect, error) {
	var d Dialect
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&d); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("profile: empty document")
		}
		return nil, fmt.Errorf("profile: %w", err)
	}
	d.applyDefaults()
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return &d, nil
}

// applyDefaults makes omitted freedoms explicit.
func (d *Dialect) applyDefaults() {
	if d.Scopes.Unknown == "" {
		d.Scopes.Unknown = UnknownScopeAny
	}
	if d.AccessToken.Format == "" {
		d.AccessToken.Format = FormatAny
	}
	if d.RefreshToken.Rotation == "" {
		d.RefreshToken.Rotation = RotationAny
	}
	if d.PKCE.Support == "" {
		d.PKCE.Support = PKCEAny
	}
	if len(d.TokenRequest.Encodings) == 0 {
		d.TokenRequest.Encodings = []string{EncodingForm}
	}
}

// FieldError names the invalid field.
type FieldError struct {
	Profile string
	Field   string
	Msg     string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("profile %q: %s: %s", e.Profile, e.Field, e.Msg)
}

// Validate checks the dialect for consistency, naming the first bad field.
func (d *Dialect) Validate() error {
	bad := func(field, format string, args ...any) error {
		return &FieldError{Profile: d.Name, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	oneOf := func(field, v string, allowed ...string) error {
		if !slices.Contains(allowed, v) {
			return bad(field, "%q is not one of %s", v, strings.Join(allowed, ", "))
		}
		return nil
	}
	set := func(field string, s Set, known ...string) error {
		for _, v := range s.Allowed {
			if err := oneOf(field+".allowed", v, known...); err != nil {
				return err
			}
		}
		for _, v := range s.Required {
			if !s.Allows(v) {
				return bad(field+".required", "%q is not in %s.allowed", v, field)
			}
		}
		return nil
	}
	if d.Name == "" {
		return bad("name", "required")
	}
	ep := d.Endpoints
	for _, f := range []struct{ field, v string }{
		{"endpoints.token", ep.Token}, {"endpoints.authorize", ep.Authorize},
		{"endpoints.revocation", ep.Revocation}, {"endpoints.introspection", ep.Introspection},
		{"endpoints.jwks", ep.JWKS}, {"endpoints.resource", ep.Resource}, {"endpoints.oob", ep.OOB},
		{"endpoints.userinfo", ep.UserInfo},
	} {
		if f.v != "" && !strings.HasPrefix(f.v, "/") {
			return bad(f.field, "%q must be a path starting with /", f.v)
		}
	}
	for _, e := range d.TokenRequest.Encodings {
		if err := oneOf("token_request.encodings", e, EncodingForm, EncodingJSON); err != nil {
			return err
		}
	}
	if len(d.GrantTypes.Allowed) == 0 {
		return bad("grant_types.allowed", "at least one grant type")
	}
	if err := set("grant_types", d.GrantTypes, Grants...); err != nil {
		return err
	}
	if g := d.TokenRequest.DefaultGrantType; g != "" && !d.GrantTypes.Allows(g) {
		return bad("token_request.default_grant_type", "%q is not in grant_types.allowed", g)
	}
	if len(d.ClientAuth.Methods.Allowed) == 0 {
		return bad("client_auth.methods.allowed", "at least one method")
	}
	if err := set("client_auth.methods", d.ClientAuth.Methods, AuthBasic, AuthPost, AuthNone); err != nil {
		return err
	}
	if err := set("response_types", d.ResponseTypes, ResponseCode, ResponseToken); err != nil {
		return err
	}
	if d.GrantTypes.Allows(GrantAuthorizationCode) && !d.ResponseTypes.Allows(ResponseCode) {
		return bad("response_types.allowed", "the authorization_code grant needs response type code")
	}
	if d.GrantTypes.Requires(GrantAuthorizationCode) && !d.ResponseTypes.Requires(ResponseCode) {
		return bad("response_types.required", "the authorization_code grant is required, so response type code is too")
	}
	if err := oneOf("scopes.unknown", d.Scopes.Unknown, UnknownScopeAny, UnknownScopeReject, UnknownScopeIgnore); err != nil {
		return err
	}
	for _, s := range d.Scopes.Supported {
		if !ValidScopeToken(s) {
			return bad("scopes.supported", "%q is not a valid scope-token (RFC 6749 §3.3)", s)
		}
	}
	for _, s := range strings.Fields(d.Scopes.Default) {
		if len(d.Scopes.Supported) > 0 && !slices.Contains(d.Scopes.Supported, s) {
			return bad("scopes.default", "%q is not in scopes.supported", s)
		}
	}
	at := d.AccessToken
	if err := oneOf("access_token.format", at.Format, FormatAny, FormatJWT, FormatJWTRFC9068, FormatOpaque); err != nil {
		return err
	}
	if (at.Alg != "" || at.Typ != "" || len(at.Claims) > 0) && !IsJWT(at.Format) {
		return bad("access_token", "alg, typ and claims need format jwt or jwt-rfc9068, not %q", at.Format)
	}
	if at.Alg != "" {
		if err := oneOf("access_token.alg", at.Alg, "HS256", "RS256", "ES256", "EdDSA"); err != nil {
			return err
		}
	}
	if at.Format == FormatJWTRFC9068 && at.Typ != "" && !strings.EqualFold(strings.TrimPrefix(strings.ToLower(at.Typ), "application/"), "at+jwt") {
		return bad("access_token.typ", "an RFC 9068 token has typ at+jwt, not %q", at.Typ)
	}
	if tt := at.TokenType; tt != "" && !strings.EqualFold(tt, "bearer") {
		return bad("access_token.token_type", "%q: only Bearer tokens are supported (any case)", tt)
	}
	for _, g := range d.RefreshToken.IssueFor {
		if !d.GrantTypes.Allows(g) {
			return bad("refresh_token.issue_for", "%q is not in grant_types.allowed", g)
		}
	}
	if len(d.RefreshToken.IssueFor) > 0 && !d.GrantTypes.Requires(GrantRefreshToken) {
		return bad("refresh_token.issue_for", "refresh tokens are required but the refresh_token grant is not in grant_types.required")
	}
	if err := oneOf("refresh_token.rotation", d.RefreshToken.Rotation, RotationAny, RotationAlways, RotationPublicOnly, RotationNever); err != nil {
		return err
	}
	if err := oneOf("pkce.support", d.PKCE.Support, PKCEAny, PKCEUnsupported, PKCESupported, PKCERequired); err != nil {
		return err
	}
	for _, m := range d.PKCE.Methods {
		if err := oneOf("pkce.methods", m, "S256", "plain"); err != nil {
			return err
		}
	}
	if d.PKCE.Support == PKCEUnsupported && len(d.PKCE.Methods) > 0 {
		return bad("pkce.methods", "PKCE is unsupported, so no method can be required")
	}
	for i, x := range d.Authorize.Extras {
		if x.Name == "" {
			return bad(fmt.Sprintf("authorize.extras[%d].name", i), "required")
		}
	}
	if d.Authorize.OOBRedirectURI != "" && d.Endpoints.OOB == "" {
		return bad("endpoints.oob", "required with authorize.oob_redirect_uri")
	}
	for i, r := range d.Resources.Rules {
		if r.Path == "" || !strings.HasPrefix(r.Path, "/") {
			return bad(fmt.Sprintf("resources.rules[%d].path", i), "must be a path starting with /")
		}
		if len(r.Scopes) == 0 {
			return bad(fmt.Sprintf("resources.rules[%d].scopes", i), "at least one scope")
		}
	}
	if se := d.Resources.ScopeError; se != "" {
		if err := oneOf("resources.scope_error", se, ScopeErrorInsufficientScope, ScopeErrorInvalidToken); err != nil {
			return err
		}
	}
	if d.TokenResponseSchema == "" {
		return bad("token_response_schema", "required")
	}
	return nil
}

// RequiresRefreshFor reports whether every success of grant g must carry a
// refresh token.
func (d *Dialect) RequiresRefreshFor(g string) bool {
	return slices.Contains(d.RefreshToken.IssueFor, g)
}

// ValidScopeToken reports whether s is a scope-token: 1*( %x21 / %x23-5B / %x5D-7E ).
func ValidScopeToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// VSChars reports whether s consists of VSCHAR (%x20-7E) only: the syntax
// of client_id and client_secret (RFC 6749 App. A.1, A.2).
func VSChars(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
