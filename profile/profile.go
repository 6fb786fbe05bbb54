// Package profile is the dialect contract shared by the mock provider and the
// conformance suites: one YAML document describes how a provider speaks OAuth
// 2.0 (paths, encodings, client authentication, grants, scopes, token format,
// refresh rotation, PKCE), so the mock can play it and the suites can expect it.
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

	"gopkg.in/yaml.v3"

	"github.com/oauthconform/oauthconform/fixtures"
)

// Grant types (RFC 6749 §4).
const (
	GrantAuthorizationCode = "authorization_code"
	GrantClientCredentials = "client_credentials"
	GrantPassword          = "password"
	GrantRefreshToken      = "refresh_token"
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

// Access token formats.
const (
	FormatJWT    = "jwt"
	FormatOpaque = "opaque"
)

// PKCE modes.
const (
	PKCEUnsupported = "unsupported"
	PKCEOptional    = "optional"
	PKCERequired    = "required"
)

// How unknown or disallowed scope values are treated (RFC 6749 §3.3 lets the
// server either fail with invalid_scope or ignore them and report the scope).
const (
	UnknownScopeReject = "reject"
	UnknownScopeIgnore = "ignore"
)

// DefaultName is the profile used when none is named.
const DefaultName = "rfc6749"

// Profile describes one provider dialect.
type Profile struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	// Seed names the source document the dialect comes from, if any.
	Seed string `yaml:"seed,omitempty"`

	Endpoints    Endpoints    `yaml:"endpoints"`
	TokenRequest TokenRequest `yaml:"token_request"`
	ClientAuth   ClientAuth   `yaml:"client_auth"`

	// GrantTypes enabled at the token endpoint.
	GrantTypes []string `yaml:"grant_types"`
	// ResponseTypes enabled at the authorize endpoint ("code", "token").
	ResponseTypes []string `yaml:"response_types"`

	Scopes       Scopes       `yaml:"scopes"`
	AccessToken  AccessToken  `yaml:"access_token"`
	RefreshToken RefreshToken `yaml:"refresh_token"`
	Code         Code         `yaml:"code"`
	PKCE         PKCE         `yaml:"pkce"`
	Authorize    Authorize    `yaml:"authorize"`
	Resources    Resources    `yaml:"resources"`

	// SecurityBCP says the dialect follows RFC 9700 (the OAuth 2.0 Security
	// BCP): the suites then check its MUSTs too, beyond RFC 6749's.
	SecurityBCP bool `yaml:"security_bcp"`

	// TokenResponseSchema is the file in schemas/ that a success body of the
	// token endpoint validates against.
	TokenResponseSchema string `yaml:"token_response_schema"`

	// Choices records, in prose, where the seed was ambiguous and what the
	// profile chose. Not used by code; shown by `oauthconform serve` and docs.
	Choices []string `yaml:"choices,omitempty"`
}

// Endpoints are paths relative to the issuer URL. An empty path means the
// dialect has no such endpoint.
type Endpoints struct {
	Token         string `yaml:"token"`
	Authorize     string `yaml:"authorize,omitempty"`
	Revocation    string `yaml:"revocation,omitempty"`
	Introspection string `yaml:"introspection,omitempty"`
	JWKS          string `yaml:"jwks,omitempty"`
	// Resource is a generic bearer-protected resource (RFC 6750).
	Resource string `yaml:"resource,omitempty"`
	// OOB is where the mock shows codes issued to the out-of-band redirect URI.
	OOB string `yaml:"oob,omitempty"`
}

// TokenRequest says how token requests are encoded.
type TokenRequest struct {
	// Encodings accepted for the request body: "form", "json".
	Encodings []string `yaml:"encodings"`
	// DefaultGrantType applies when grant_type is absent (a dialect departure;
	// RFC 6749 makes grant_type REQUIRED). Empty means none.
	DefaultGrantType string `yaml:"default_grant_type,omitempty"`
}

// ClientAuth says how clients authenticate at the token endpoint.
type ClientAuth struct {
	// Methods: client_secret_basic, client_secret_post, none. With "none",
	// public clients identify themselves by client_id alone.
	Methods []string `yaml:"methods"`
	// APIKeyHeader, when set, names a header that must carry a registered API
	// key on every token request (seed 002's x-api-key).
	APIKeyHeader string `yaml:"api_key_header,omitempty"`
}

// Scopes is the scope vocabulary of the dialect.
type Scopes struct {
	Supported []string `yaml:"supported"`
	// Default is granted when the request has no scope (space-separated). An
	// empty default with a request lacking scope grants no scope.
	Default string `yaml:"default,omitempty"`
	// Unknown: "reject" answers invalid_scope, "ignore" drops the value and
	// reports the granted scope.
	Unknown string `yaml:"unknown"`
}

// AccessToken describes issued access tokens.
type AccessToken struct {
	// Format: "jwt" or "opaque".
	Format string `yaml:"format"`
	// Alg for JWTs: HS256, RS256, ES256 or EdDSA.
	Alg string `yaml:"alg,omitempty"`
	// Typ is the JWS typ header ("at+jwt" per RFC 9068); empty omits it.
	Typ string `yaml:"typ,omitempty"`
	// TokenType is the exact spelling of token_type in responses.
	TokenType string `yaml:"token_type"`
	// Lifetime of access tokens.
	Lifetime Duration `yaml:"lifetime"`
	// Audience is the aud claim; empty means the issuer URL.
	Audience string `yaml:"audience,omitempty"`
}

// RefreshToken describes refresh token issuance and rotation.
type RefreshToken struct {
	// IssueFor lists the grants whose success response carries a refresh token.
	IssueFor []string `yaml:"issue_for"`
	// Rotate makes every refresh of a confidential client return a new refresh
	// token and retire the old one. Public clients always rotate.
	Rotate bool `yaml:"rotate"`
	// Lifetime of refresh tokens.
	Lifetime Duration `yaml:"lifetime"`
}

// Code describes authorization codes.
type Code struct {
	Lifetime Duration `yaml:"lifetime"`
}

// PKCE (RFC 7636) support.
type PKCE struct {
	// Mode: "unsupported", "optional" (required only for clients registered
	// so), "required" (every authorization request).
	Mode    string   `yaml:"mode"`
	Methods []string `yaml:"methods,omitempty"`
}

// Authorize describes dialect extras of the authorize endpoint.
type Authorize struct {
	// Extras are additional request parameters (seed 000's intent_id, intent_type).
	Extras []ExtraParam `yaml:"extras,omitempty"`
	// OOBRedirectURI, when set, is the only redirect URI of every client; codes
	// are shown on a page instead of redirected.
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
	// Prefix is the path space the rules govern; requests under it matching no
	// rule need DefaultScopes.
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

// Names lists the built-in profiles, sorted.
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

// Load returns the built-in profile of that name, or reads the file when name
// ends in .yaml/.yml or contains a path separator.
func Load(name string) (*Profile, error) {
	if name == "" {
		name = DefaultName
	}
	if strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml") || strings.ContainsRune(name, os.PathSeparator) {
		return LoadFile(name)
	}
	b, err := fs.ReadFile(fixtures.FS, path.Join("profiles", name+".yaml"))
	if err != nil {
		return nil, fmt.Errorf("profile %q: not a built-in profile (have %s)", name, strings.Join(Names(), ", "))
	}
	return Parse(b)
}

// MustLoad is Load for tests and fixed names; it panics on error.
func MustLoad(name string) *Profile {
	p, err := Load(name)
	if err != nil {
		panic(err)
	}
	return p
}

// LoadFile reads and validates a profile file.
func LoadFile(file string) (*Profile, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("profile: %w", err)
	}
	p, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return p, nil
}

// Parse decodes and validates a profile document. Unknown fields are errors,
// so a misspelt key is caught rather than silently ignored.
func Parse(b []byte) (*Profile, error) {
	var p Profile
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("profile: empty document")
		}
		return nil, fmt.Errorf("profile: %w", err)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &p, nil
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

// Validate checks the profile for consistency, naming the first bad field.
func (p *Profile) Validate() error {
	bad := func(field, format string, args ...any) error {
		return &FieldError{Profile: p.Name, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	oneOf := func(field, v string, allowed ...string) error {
		if !slices.Contains(allowed, v) {
			return bad(field, "%q is not one of %s", v, strings.Join(allowed, ", "))
		}
		return nil
	}
	if p.Name == "" {
		return bad("name", "required")
	}
	for field, v := range map[string]string{
		"endpoints.token": p.Endpoints.Token, "endpoints.authorize": p.Endpoints.Authorize,
		"endpoints.revocation": p.Endpoints.Revocation, "endpoints.introspection": p.Endpoints.Introspection,
		"endpoints.jwks": p.Endpoints.JWKS, "endpoints.resource": p.Endpoints.Resource, "endpoints.oob": p.Endpoints.OOB,
	} {
		if v != "" && !strings.HasPrefix(v, "/") {
			return bad(field, "%q must be a path starting with /", v)
		}
	}
	if p.Endpoints.Token == "" {
		return bad("endpoints.token", "required")
	}
	if len(p.TokenRequest.Encodings) == 0 {
		return bad("token_request.encodings", "at least one of form, json")
	}
	for _, e := range p.TokenRequest.Encodings {
		if err := oneOf("token_request.encodings", e, EncodingForm, EncodingJSON); err != nil {
			return err
		}
	}
	if len(p.GrantTypes) == 0 {
		return bad("grant_types", "at least one grant type")
	}
	for _, g := range p.GrantTypes {
		if err := oneOf("grant_types", g, GrantAuthorizationCode, GrantClientCredentials, GrantPassword, GrantRefreshToken); err != nil {
			return err
		}
	}
	if d := p.TokenRequest.DefaultGrantType; d != "" && !p.HasGrant(d) {
		return bad("token_request.default_grant_type", "%q is not in grant_types", d)
	}
	if len(p.ClientAuth.Methods) == 0 {
		return bad("client_auth.methods", "at least one method")
	}
	for _, m := range p.ClientAuth.Methods {
		if err := oneOf("client_auth.methods", m, AuthBasic, AuthPost, AuthNone); err != nil {
			return err
		}
	}
	for _, rt := range p.ResponseTypes {
		if err := oneOf("response_types", rt, "code", "token"); err != nil {
			return err
		}
	}
	if len(p.ResponseTypes) > 0 && p.Endpoints.Authorize == "" {
		return bad("endpoints.authorize", "required when response_types are enabled")
	}
	if p.HasGrant(GrantAuthorizationCode) && !p.HasResponseType("code") {
		return bad("response_types", "authorization_code grant needs response type code")
	}
	if err := oneOf("scopes.unknown", p.Scopes.Unknown, UnknownScopeReject, UnknownScopeIgnore); err != nil {
		return err
	}
	for _, s := range p.Scopes.Supported {
		if !ValidScopeToken(s) {
			return bad("scopes.supported", "%q is not a valid scope-token (RFC 6749 §3.3)", s)
		}
	}
	for _, s := range strings.Fields(p.Scopes.Default) {
		if !slices.Contains(p.Scopes.Supported, s) {
			return bad("scopes.default", "%q is not in scopes.supported", s)
		}
	}
	if err := oneOf("access_token.format", p.AccessToken.Format, FormatJWT, FormatOpaque); err != nil {
		return err
	}
	if p.AccessToken.Format == FormatJWT {
		if err := oneOf("access_token.alg", p.AccessToken.Alg, "HS256", "RS256", "ES256", "EdDSA"); err != nil {
			return err
		}
	}
	if !strings.EqualFold(p.AccessToken.TokenType, "bearer") {
		return bad("access_token.token_type", "%q: only Bearer tokens are supported (any case)", p.AccessToken.TokenType)
	}
	if p.AccessToken.Lifetime <= 0 {
		return bad("access_token.lifetime", "must be positive")
	}
	for _, g := range p.RefreshToken.IssueFor {
		if !p.HasGrant(g) {
			return bad("refresh_token.issue_for", "%q is not in grant_types", g)
		}
	}
	if len(p.RefreshToken.IssueFor) > 0 {
		if !p.HasGrant(GrantRefreshToken) {
			return bad("refresh_token.issue_for", "refresh tokens are issued but the refresh_token grant is not enabled")
		}
		if p.RefreshToken.Lifetime <= 0 {
			return bad("refresh_token.lifetime", "must be positive")
		}
	}
	if p.HasGrant(GrantAuthorizationCode) && p.Code.Lifetime <= 0 {
		return bad("code.lifetime", "must be positive")
	}
	if err := oneOf("pkce.mode", p.PKCE.Mode, PKCEUnsupported, PKCEOptional, PKCERequired); err != nil {
		return err
	}
	if p.PKCE.Mode != PKCEUnsupported && !slices.Contains(p.PKCE.Methods, "S256") {
		return bad("pkce.methods", "S256 is mandatory to implement (RFC 7636 §4.2)")
	}
	for _, m := range p.PKCE.Methods {
		if err := oneOf("pkce.methods", m, "S256", "plain"); err != nil {
			return err
		}
	}
	for i, x := range p.Authorize.Extras {
		if x.Name == "" {
			return bad(fmt.Sprintf("authorize.extras[%d].name", i), "required")
		}
	}
	if p.Authorize.OOBRedirectURI != "" && p.Endpoints.OOB == "" {
		return bad("endpoints.oob", "required with authorize.oob_redirect_uri")
	}
	for i, r := range p.Resources.Rules {
		if r.Path == "" || !strings.HasPrefix(r.Path, "/") {
			return bad(fmt.Sprintf("resources.rules[%d].path", i), "must be a path starting with /")
		}
		if len(r.Scopes) == 0 {
			return bad(fmt.Sprintf("resources.rules[%d].scopes", i), "at least one scope")
		}
	}
	if se := p.Resources.ScopeError; se != "" {
		if err := oneOf("resources.scope_error", se, ScopeErrorInsufficientScope, ScopeErrorInvalidToken); err != nil {
			return err
		}
	}
	if p.TokenResponseSchema == "" {
		return bad("token_response_schema", "required")
	}
	return nil
}

// HasGrant reports whether the grant type is enabled.
func (p *Profile) HasGrant(g string) bool { return slices.Contains(p.GrantTypes, g) }

// HasResponseType reports whether the response type is enabled.
func (p *Profile) HasResponseType(rt string) bool { return slices.Contains(p.ResponseTypes, rt) }

// HasAuthMethod reports whether the client authentication method is enabled.
func (p *Profile) HasAuthMethod(m string) bool { return slices.Contains(p.ClientAuth.Methods, m) }

// HasEncoding reports whether the token request body encoding is accepted.
func (p *Profile) HasEncoding(e string) bool { return slices.Contains(p.TokenRequest.Encodings, e) }

// IssuesRefreshFor reports whether a success of grant g carries a refresh token.
func (p *Profile) IssuesRefreshFor(g string) bool { return slices.Contains(p.RefreshToken.IssueFor, g) }

// SupportsPKCEMethod reports whether the code_challenge_method is supported.
func (p *Profile) SupportsPKCEMethod(m string) bool {
	return p.PKCE.Mode != PKCEUnsupported && slices.Contains(p.PKCE.Methods, m)
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
