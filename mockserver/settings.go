package mockserver

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/oauthconform/oauthconform/fixtures"
	"github.com/oauthconform/oauthconform/profile"
)

// Settings are the mock's choices within a dialect: where the dialect (and
// the RFCs) leave a server free, the mock picks one behaviour here — token
// format and algorithm, scopes and their default, lifetimes, rotation, PKCE
// policy, which optional endpoints exist. A dialect states requirements; the
// settings must lie inside them (Validate). Nothing here is a requirement on
// any other server: the conformance suites learn the mock's choices the way
// they learn a real server's, from what it declares (mocktarget).
//
// The built-in settings of a dialect are fixtures/mock/NAME.yaml; fields they
// leave empty are taken from the dialect (Resolve).
type Settings struct {
	// Dialect names the dialect played.
	Dialect string `yaml:"dialect"`

	Endpoints    profile.Endpoints `yaml:"endpoints"`
	TokenRequest TokenRequest      `yaml:"token_request"`
	ClientAuth   ClientAuth        `yaml:"client_auth"`

	// GrantTypes enabled at the token endpoint.
	GrantTypes []string `yaml:"grant_types"`
	// ResponseTypes enabled at the authorize endpoint ("code", "token").
	ResponseTypes []string `yaml:"response_types"`

	Scopes       Scopes       `yaml:"scopes"`
	AccessToken  AccessToken  `yaml:"access_token"`
	RefreshToken RefreshToken `yaml:"refresh_token"`
	Code         CodeSettings `yaml:"code"`
	PKCE         PKCE         `yaml:"pkce"`
	Authorize    Authorize    `yaml:"authorize"`
	// Resources are the dialect's scope-gated API (from the dialect).
	Resources profile.Resources `yaml:"resources"`

	// SecurityBCP makes the mock follow, and claim, RFC 9700.
	SecurityBCP bool `yaml:"security_bcp"`
	// OIDC makes the mock an OpenID Provider too (OpenID Connect Core 1.0,
	// authorization code flow): a code request whose scope holds openid
	// (which must then be in scopes.supported to be granted) is an
	// authentication request; its token response carries an ID token, the
	// UserInfo endpoint (endpoints.userinfo) answers its access tokens, and
	// the metadata lists the OpenID Provider members. Without it, openid
	// is a scope value like any other. It needs the authorization_code
	// grant and a token response schema that admits id_token; the ID token
	// keys are published at endpoints.jwks. Empty endpoints.jwks and
	// endpoints.userinfo get paths next to the token endpoint's.
	OIDC bool `yaml:"oidc,omitempty"`
	// Metadata serves RFC 8414 metadata (default true; false: none).
	Metadata *bool `yaml:"metadata,omitempty"`
	// PublicClientCredentialsError is the error a public client asking for
	// client_credentials gets: unauthorized_client (default) or
	// invalid_client; both are lawful (RFC 6749 §4.4, §5.2).
	PublicClientCredentialsError string `yaml:"public_client_credentials_error,omitempty"`
	// NotFound is how a path the mock does not serve is answered: "404"
	// (the default); "html", 200 text/html "<html>app</html>" for every
	// method, as a single-page application's front end on the same host
	// answers; "gateway-401", 401 with WWW-Authenticate: Basic
	// realm="gateway" and an HTML body, as a gateway in front of every
	// other path answers. No RFC fixes what a server answers outside its
	// endpoints (RFC 8414 §3 makes even the metadata optional).
	NotFound string `yaml:"not_found,omitempty"`
	// Introspection restricts who may use the introspection endpoint.
	Introspection IntrospectionSettings `yaml:"introspection,omitempty"`

	// TokenResponseSchema is the dialect's (from the dialect).
	TokenResponseSchema string `yaml:"token_response_schema"`

	// Choices records, in prose, what the mock chose; shown by serve.
	Choices []string `yaml:"choices,omitempty"`
}

// TokenRequest says which token request encodings the mock accepts.
type TokenRequest struct {
	Encodings        []string `yaml:"encodings"`
	DefaultGrantType string   `yaml:"default_grant_type,omitempty"`
	// CheckOrder is what the token endpoint checks first: "client-first"
	// (the default) authenticates the client, then looks at grant_type;
	// "grant-first" answers an unknown or disabled grant type with
	// unsupported_grant_type before (and whatever) the client credentials.
	// RFC 6749 §5.2 orders no checks.
	CheckOrder string `yaml:"check_order,omitempty"`
}

// ClientAuth says how clients authenticate at the token endpoint.
type ClientAuth struct {
	Methods      []string `yaml:"methods"`
	APIKeyHeader string   `yaml:"api_key_header,omitempty"`
	// InvalidClientStatus is the status of invalid_client when the client
	// did not use the Authorization header (credentials in the body, a
	// client_id alone, or none at all), at the token and revocation
	// endpoints: 401 (the default: 401 with a Basic challenge where Basic is
	// enabled, else 400, since a 401 must name a scheme) or 400 (always).
	// RFC 6749 §5.2 makes 401 a MUST only for a client that
	// "attempted to authenticate via the Authorization request header
	// field"; otherwise the server "MAY return an HTTP 401". Introspection
	// keeps 401 (RFC 7662 §2.3).
	InvalidClientStatus int `yaml:"invalid_client_status,omitempty"`
}

// IntrospectionSettings restrict the introspection endpoint to some
// clients (resource servers), as RFC 7662 §2.1 lets a server do ("the
// authorization server MUST require some form of authorization").
type IntrospectionSettings struct {
	// Clients, when set, are the client ids that may introspect every
	// token; other clients are answered as Unlisted says.
	Clients []string `yaml:"clients,omitempty"`
	// Unlisted is the answer to a client not in Clients: "invalid_client"
	// (the default: 401 invalid_client with a challenge, RFC 7662 §2.3),
	// "inactive" ({"active":false} for every token: RFC 7662 §2.2, "the
	// protected resource is not allowed to introspect this particular
	// token") or "own-tokens" (only tokens issued to that client are
	// introspected, others are inactive).
	Unlisted string `yaml:"unlisted,omitempty"`
}

// Scopes is the mock's scope vocabulary. It is not profile.Scopes, which has
// the same three first fields but states a dialect's contract: there an
// empty Default leaves the default to the server and Unknown may be "any",
// where here an empty Default grants no scope, Unknown is a choice (reject,
// ignore, accept) and Required has no counterpart (a dialect does not
// require scope values); one type would let a dialect file carry a
// required list that nothing reads.
type Scopes struct {
	Supported []string `yaml:"supported"`
	// Default is granted when the request has no scope (space-separated);
	// empty grants no scope.
	Default string `yaml:"default,omitempty"`
	// Required are scope values every authorization request must carry
	// (like OpenID Connect's openid): without them, invalid_scope.
	Required []string `yaml:"required,omitempty"`
	// Unknown: "reject" answers invalid_scope, "ignore" drops the value and
	// reports the granted scope, "accept" grants any well-formed
	// scope-token as requested (an open vocabulary: RFC 6749 §3.3, "The
	// strings are defined by the authorization server"); Supported still
	// lists the known ones (in the metadata) and limits the default and
	// Required. Only a dialect that fixes no vocabulary allows accept.
	Unknown string `yaml:"unknown"`
}

// AccessToken describes issued access tokens.
type AccessToken struct {
	// Format: opaque, jwt (a JWT with iss, sub, iat, exp, scope and jti,
	// and the claims below) or jwt-rfc9068 (typ at+jwt and RFC 9068's seven
	// claims).
	Format string `yaml:"format"`
	// Alg for JWTs: HS256, RS256, ES256 or EdDSA.
	Alg string `yaml:"alg,omitempty"`
	// Typ is the JWS typ header; empty omits it.
	Typ string `yaml:"typ,omitempty"`
	// TokenType is the exact spelling of token_type in responses.
	TokenType string `yaml:"token_type"`
	// Lifetime of access tokens.
	Lifetime profile.Duration `yaml:"lifetime"`
	// Audience is the aud claim; empty means the issuer URL.
	Audience string `yaml:"audience,omitempty"`
	// Claims are what plain JWTs (format jwt only) carry beyond iss, sub,
	// iat, exp, scope, jti and the dialect's claims: aud, client_id. A
	// plain JWT that names its client (client_id) is verified and known by
	// its claims, as an RFC 9068 one is, so a client_credentials token
	// needs no record; without it each token is stored and found by its
	// record.
	Claims []string `yaml:"claims,omitempty"`
}

// RefreshToken describes refresh token issuance and rotation.
type RefreshToken struct {
	// IssueFor lists the grants whose success response carries a refresh token.
	IssueFor []string `yaml:"issue_for"`
	// Rotation: always, public-only or never.
	Rotation string `yaml:"rotation"`
	// Lifetime of refresh tokens.
	Lifetime profile.Duration `yaml:"lifetime"`
}

// CodeSettings describe authorization codes (Code is the stored record).
type CodeSettings struct {
	Lifetime profile.Duration `yaml:"lifetime"`
	// Style: "default" (base64url of 32 random bytes) or "base32" (25
	// characters of the RFC 4648 base32 alphabet, 125 random bits).
	Style string `yaml:"style,omitempty"`
}

// PKCE (RFC 7636) support.
type PKCE struct {
	// Mode: "unsupported", "optional" (required only for clients registered
	// with require_pkce), "required" (every authorization request).
	Mode    string   `yaml:"mode"`
	Methods []string `yaml:"methods,omitempty"`
}

// PKCE modes of the mock.
const (
	PKCEUnsupported = "unsupported"
	PKCEOptional    = "optional"
	PKCERequired    = "required"
)

// Authorize describes the authorize endpoint's behaviour.
type Authorize struct {
	// Extras are the dialect's additional request parameters.
	Extras []profile.ExtraParam `yaml:"extras,omitempty"`
	// OOBRedirectURI is the dialect's out-of-band redirect URI.
	OOBRedirectURI string `yaml:"oob_redirect_uri,omitempty"`
	// RequireState refuses requests without state (invalid_request).
	RequireState bool `yaml:"require_state,omitempty"`
	// LoopbackPorts: "any" lets every client's loopback http redirect URI
	// vary its port (RFC 8252 §7.3); "native" only a client registered
	// native, others are matched exactly.
	LoopbackPorts string `yaml:"loopback_ports,omitempty"`
	// RedirectQuery: "exact" compares a registered redirect URI's query as a
	// string; "set" compares its parameters as a set and sends the response
	// to the registered URI with its parameters re-encoded in another order.
	RedirectQuery string `yaml:"redirect_query,omitempty"`
	// Deny is how the consent page offers refusal: "button" (a second
	// submit button of the consent form, the default), "form" (a separate
	// form) or "link" (a link).
	Deny string `yaml:"deny,omitempty"`
	// Redirect is how the authorization response (after approval, and an
	// error sent to the client) reaches the redirect URI: "http" (a 302,
	// or 303 after a POST; the default) or "page" (200 text/html whose
	// <meta http-equiv="refresh"> and script location.replace(...) send the
	// user agent there). RFC 6749 §3.1.2 leaves the means open ("the
	// authorization server directs the resource owner's user-agent to the
	// client's redirection endpoint"), and §1.7 allows "any other method
	// available via the user-agent". The out-of-band result page is always
	// reached by an HTTP redirect.
	Redirect string `yaml:"redirect,omitempty"`
}

// Values of Settings fields.
const (
	LoopbackAny    = "any"
	LoopbackNative = "native"
	QueryExact     = "exact"
	QuerySet       = "set"
	DenyButton     = "button"
	DenyForm       = "form"
	DenyLink       = "link"
	CodeDefault    = "default"
	CodeBase32     = "base32"

	// UnknownScopeAccept (scopes.unknown) grants unknown scope values.
	UnknownScopeAccept = "accept"

	RedirectHTTP = "http"
	RedirectPage = "page"

	NotFound404        = "404"
	NotFoundHTML       = "html"
	NotFoundGateway401 = "gateway-401"

	CheckClientFirst = "client-first"
	CheckGrantFirst  = "grant-first"

	IntrospectionRefuse    = "invalid_client"
	IntrospectionInactive  = "inactive"
	IntrospectionOwnTokens = "own-tokens"
)

// LoadSettings returns the built-in settings of a dialect, resolved against
// it, or reads a settings file (a name ending in .yaml or holding a path
// separator). A file names its dialect in its dialect field: a built-in
// dialect name, or a dialect file, relative to the settings file's directory
// unless absolute.
func LoadSettings(name string) (*Settings, *profile.Dialect, error) {
	s, d, err := readSettings(name)
	if err != nil {
		return nil, nil, err
	}
	if err := s.Resolve(d); err != nil {
		return nil, nil, err
	}
	return s, d, nil
}

// readSettings is LoadSettings without Resolve: the settings as written
// (their dialect field set to the dialect's name), and the dialect.
func readSettings(name string) (*Settings, *profile.Dialect, error) {
	if name == "" {
		name = profile.DefaultName
	}
	file := profile.LooksLikeFile(name)
	var b []byte
	var err error
	if file {
		if b, err = os.ReadFile(name); err != nil {
			return nil, nil, fmt.Errorf("mock settings: %w", err)
		}
	} else if b, err = builtinSettings(name); err != nil {
		if _, derr := profile.Load(name); derr != nil {
			return nil, nil, derr // no such dialect at all
		}
		return nil, nil, err
	}
	s, err := ParseSettings(b)
	if err != nil {
		if file {
			return nil, nil, fmt.Errorf("%s: %w", name, err)
		}
		return nil, nil, err
	}
	ref := s.Dialect
	if file && profile.LooksLikeFile(ref) && !filepath.IsAbs(ref) {
		ref = filepath.Join(filepath.Dir(name), ref)
	}
	d, err := profile.Load(ref)
	if err != nil {
		if file {
			return nil, nil, fmt.Errorf("%s: dialect: %w", name, err)
		}
		return nil, nil, fmt.Errorf("mock settings: dialect: %w", err)
	}
	if profile.LooksLikeFile(s.Dialect) {
		s.Dialect = d.Name
	}
	return s, d, nil
}

// builtinSettings returns the document of a built-in dialect's settings.
func builtinSettings(name string) ([]byte, error) {
	b, err := fs.ReadFile(fixtures.FS, path.Join("mock", name+".yaml"))
	if err != nil {
		return nil, fmt.Errorf("mock settings for %q: none built in (a dialect of a file needs a settings file)", name)
	}
	return b, nil
}

// MustLoadSettings is LoadSettings for tests and fixed names.
func MustLoadSettings(name string) (*Settings, *profile.Dialect) {
	s, d, err := LoadSettings(name)
	if err != nil {
		panic(err)
	}
	return s, d
}

// ParseSettings decodes a settings document; unknown fields are errors.
func ParseSettings(b []byte) (*Settings, error) {
	var s Settings
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("mock settings: empty document")
		}
		return nil, fmt.Errorf("mock settings: %w", err)
	}
	if s.Dialect == "" {
		return nil, &SettingsError{Field: "dialect", Msg: "required"}
	}
	return &s, nil
}

// Clone returns a deep copy, for changing one choice in a test.
func (s *Settings) Clone() *Settings {
	out := *s
	out.TokenRequest.Encodings = slices.Clone(s.TokenRequest.Encodings)
	out.ClientAuth.Methods = slices.Clone(s.ClientAuth.Methods)
	out.GrantTypes = slices.Clone(s.GrantTypes)
	out.ResponseTypes = slices.Clone(s.ResponseTypes)
	out.Scopes.Supported = slices.Clone(s.Scopes.Supported)
	out.Scopes.Required = slices.Clone(s.Scopes.Required)
	out.AccessToken.Claims = slices.Clone(s.AccessToken.Claims)
	out.RefreshToken.IssueFor = slices.Clone(s.RefreshToken.IssueFor)
	out.PKCE.Methods = slices.Clone(s.PKCE.Methods)
	out.Authorize.Extras = slices.Clone(s.Authorize.Extras)
	for i := range out.Authorize.Extras {
		out.Authorize.Extras[i].Enum = slices.Clone(s.Authorize.Extras[i].Enum)
	}
	out.Resources.Rules = slices.Clone(s.Resources.Rules)
	for i := range out.Resources.Rules {
		out.Resources.Rules[i].Scopes = slices.Clone(s.Resources.Rules[i].Scopes)
	}
	out.Resources.DefaultScopes = slices.Clone(s.Resources.DefaultScopes)
	out.Choices = slices.Clone(s.Choices)
	out.Introspection.Clients = slices.Clone(s.Introspection.Clients)
	if s.Metadata != nil {
		m := *s.Metadata
		out.Metadata = &m
	}
	return &out
}

// Resolve fills what the settings leave empty from the dialect d, then
// validates the result against d.
func (s *Settings) Resolve(d *profile.Dialect) error {
	if s.Dialect == "" {
		s.Dialect = d.Name
	}
	fill := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	fill(&s.Endpoints.Token, d.Endpoints.Token)
	fill(&s.Endpoints.Authorize, d.Endpoints.Authorize)
	fill(&s.Endpoints.OOB, d.Endpoints.OOB)
	fill(&s.Endpoints.UserInfo, d.Endpoints.UserInfo)
	s.resolveOIDC()
	if len(s.TokenRequest.Encodings) == 0 {
		s.TokenRequest.Encodings = slices.Clone(d.TokenRequest.Encodings)
	}
	fill(&s.TokenRequest.DefaultGrantType, d.TokenRequest.DefaultGrantType)
	fill(&s.TokenRequest.CheckOrder, CheckClientFirst)
	if s.ClientAuth.InvalidClientStatus == 0 {
		s.ClientAuth.InvalidClientStatus = http.StatusUnauthorized
	}
	if len(s.ClientAuth.Methods) == 0 {
		s.ClientAuth.Methods = slices.Clone(d.ClientAuth.Methods.Allowed)
	}
	fill(&s.ClientAuth.APIKeyHeader, d.ClientAuth.APIKeyHeader)
	if s.GrantTypes == nil {
		s.GrantTypes = slices.Clone(d.GrantTypes.Allowed)
	}
	if s.ResponseTypes == nil {
		s.ResponseTypes = slices.Clone(d.ResponseTypes.Allowed)
	}
	if s.Scopes.Supported == nil {
		s.Scopes.Supported = slices.Clone(d.Scopes.Supported)
	}
	fill(&s.Scopes.Default, d.Scopes.Default)
	if s.Scopes.Unknown == "" && d.Scopes.Unknown != profile.UnknownScopeAny {
		s.Scopes.Unknown = d.Scopes.Unknown
	}
	fill(&s.Scopes.Unknown, profile.UnknownScopeReject)
	if s.AccessToken.Format == "" && d.AccessToken.Format != profile.FormatAny {
		s.AccessToken.Format = d.AccessToken.Format
	}
	fill(&s.AccessToken.Format, profile.FormatOpaque)
	fill(&s.AccessToken.Alg, d.AccessToken.Alg)
	fill(&s.AccessToken.Typ, d.AccessToken.Typ)
	if s.AccessToken.Format == profile.FormatJWTRFC9068 {
		fill(&s.AccessToken.Typ, "at+jwt")
	}
	if profile.IsJWT(s.AccessToken.Format) {
		fill(&s.AccessToken.Alg, "ES256")
	}
	fill(&s.AccessToken.TokenType, d.AccessToken.TokenType)
	fill(&s.AccessToken.TokenType, "Bearer")
	if s.RefreshToken.IssueFor == nil {
		s.RefreshToken.IssueFor = slices.Clone(d.RefreshToken.IssueFor)
	}
	if s.RefreshToken.Rotation == "" && d.RefreshToken.Rotation != profile.RotationAny {
		s.RefreshToken.Rotation = d.RefreshToken.Rotation
	}
	fill(&s.RefreshToken.Rotation, profile.RotationAlways)
	fill(&s.Code.Style, CodeDefault)
	if s.PKCE.Mode == "" {
		switch d.PKCE.Support {
		case profile.PKCEUnsupported:
			s.PKCE.Mode = PKCEUnsupported
		case profile.PKCERequired:
			s.PKCE.Mode = PKCERequired
		default:
			s.PKCE.Mode = PKCEOptional
		}
	}
	if s.PKCE.Methods == nil && s.PKCE.Mode != PKCEUnsupported {
		s.PKCE.Methods = []string{"S256", "plain"}
	}
	if s.Authorize.Extras == nil {
		s.Authorize.Extras = slices.Clone(d.Authorize.Extras)
	}
	fill(&s.Authorize.OOBRedirectURI, d.Authorize.OOBRedirectURI)
	fill(&s.Authorize.LoopbackPorts, LoopbackAny)
	fill(&s.Authorize.RedirectQuery, QueryExact)
	fill(&s.Authorize.Deny, DenyButton)
	fill(&s.Authorize.Redirect, RedirectHTTP)
	fill(&s.NotFound, NotFound404)
	if len(s.Introspection.Clients) > 0 {
		fill(&s.Introspection.Unlisted, IntrospectionRefuse)
	}
	if len(s.Resources.Rules) == 0 {
		s.Resources = d.Resources
		s.Resources.Rules = slices.Clone(d.Resources.Rules)
		s.Resources.DefaultScopes = slices.Clone(d.Resources.DefaultScopes)
	}
	fill(&s.PublicClientCredentialsError, "unauthorized_client")
	fill(&s.TokenResponseSchema, d.TokenResponseSchema)
	if d.SecurityBCP {
		s.SecurityBCP = true
	}
	return s.Validate(d)
}

// SettingsError names the invalid settings field.
type SettingsError struct {
	Dialect string
	Field   string
	Msg     string
}

func (e *SettingsError) Error() string {
	if e.Dialect == "" {
		return fmt.Sprintf("mock settings: %s: %s", e.Field, e.Msg)
	}
	return fmt.Sprintf("mock settings for %q: %s: %s", e.Dialect, e.Field, e.Msg)
}

// Validate checks that the settings are consistent and lie inside the
// dialect's requirements, naming the first bad field.
func (s *Settings) Validate(d *profile.Dialect) error {
	bad := func(field, format string, args ...any) error {
		return &SettingsError{Dialect: d.Name, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	oneOf := func(field, v string, allowed ...string) error {
		if !slices.Contains(allowed, v) {
			return bad(field, "%q is not one of %s", v, strings.Join(allowed, ", "))
		}
		return nil
	}
	within := func(field string, have []string, set profile.Set) error {
		for _, v := range have {
			if !set.Allows(v) {
				return bad(field, "%q is not allowed by the dialect (allowed: %s)", v, strings.Join(set.Allowed, ", "))
			}
		}
		for _, v := range set.Required {
			if !slices.Contains(have, v) {
				return bad(field, "the dialect requires %q", v)
			}
		}
		return nil
	}
	if s.Dialect != d.Name {
		return bad("dialect", "%q, but resolved against %q", s.Dialect, d.Name)
	}
	ep := s.Endpoints
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
	if ep.Token == "" {
		return bad("endpoints.token", "required")
	}
	if len(s.TokenRequest.Encodings) == 0 {
		return bad("token_request.encodings", "at least one of form, json")
	}
	for _, e := range s.TokenRequest.Encodings {
		if err := oneOf("token_request.encodings", e, profile.EncodingForm, profile.EncodingJSON); err != nil {
			return err
		}
	}
	for _, e := range d.TokenRequest.Encodings {
		if !slices.Contains(s.TokenRequest.Encodings, e) {
			return bad("token_request.encodings", "the dialect requires %q", e)
		}
	}
	if s.TokenRequest.DefaultGrantType != d.TokenRequest.DefaultGrantType {
		return bad("token_request.default_grant_type", "%q, but the dialect says %q", s.TokenRequest.DefaultGrantType, d.TokenRequest.DefaultGrantType)
	}
	if err := oneOf("token_request.check_order", s.TokenRequest.CheckOrder, CheckClientFirst, CheckGrantFirst); err != nil {
		return err
	}
	if len(s.GrantTypes) == 0 {
		return bad("grant_types", "at least one grant type")
	}
	if err := within("grant_types", s.GrantTypes, d.GrantTypes); err != nil {
		return err
	}
	if len(s.ClientAuth.Methods) == 0 {
		return bad("client_auth.methods", "at least one method")
	}
	if err := within("client_auth.methods", s.ClientAuth.Methods, d.ClientAuth.Methods); err != nil {
		return err
	}
	if s.ClientAuth.APIKeyHeader != d.ClientAuth.APIKeyHeader {
		return bad("client_auth.api_key_header", "%q, but the dialect says %q", s.ClientAuth.APIKeyHeader, d.ClientAuth.APIKeyHeader)
	}
	if st := s.ClientAuth.InvalidClientStatus; st != http.StatusUnauthorized && st != http.StatusBadRequest {
		return bad("client_auth.invalid_client_status", "%d is not one of 400, 401", st)
	}
	if err := within("response_types", s.ResponseTypes, d.ResponseTypes); err != nil {
		return err
	}
	if len(s.ResponseTypes) > 0 && ep.Authorize == "" {
		return bad("endpoints.authorize", "required when response_types are enabled")
	}
	if s.HasGrant(profile.GrantAuthorizationCode) && !s.HasResponseType(profile.ResponseCode) {
		return bad("response_types", "the authorization_code grant needs response type code")
	}
	if err := oneOf("scopes.unknown", s.Scopes.Unknown, profile.UnknownScopeReject, profile.UnknownScopeIgnore, UnknownScopeAccept); err != nil {
		return err
	}
	if d.Scopes.Unknown != profile.UnknownScopeAny && s.Scopes.Unknown != d.Scopes.Unknown {
		return bad("scopes.unknown", "%q, but the dialect says %q", s.Scopes.Unknown, d.Scopes.Unknown)
	}
	if s.Scopes.Unknown == UnknownScopeAccept && len(d.Scopes.Supported) > 0 {
		return bad("scopes.unknown", "accept, but the dialect's vocabulary is fixed (%v): an unknown value may not be granted", d.Scopes.Supported)
	}
	for _, v := range s.Scopes.Supported {
		if !profile.ValidScopeToken(v) {
			return bad("scopes.supported", "%q is not a valid scope-token (RFC 6749 §3.3)", v)
		}
	}
	if len(d.Scopes.Supported) > 0 && !sameSet(s.Scopes.Supported, d.Scopes.Supported) {
		return bad("scopes.supported", "%v, but the dialect's vocabulary is %v", s.Scopes.Supported, d.Scopes.Supported)
	}
	for _, v := range append(strings.Fields(s.Scopes.Default), s.Scopes.Required...) {
		if !slices.Contains(s.Scopes.Supported, v) {
			return bad("scopes", "%q (default or required) is not in scopes.supported", v)
		}
	}
	if d.Scopes.Default != "" && !sameSet(strings.Fields(s.Scopes.Default), strings.Fields(d.Scopes.Default)) {
		return bad("scopes.default", "%q, but the dialect's default is %q", s.Scopes.Default, d.Scopes.Default)
	}
	at := s.AccessToken
	if err := oneOf("access_token.format", at.Format, profile.FormatOpaque, profile.FormatJWT, profile.FormatJWTRFC9068); err != nil {
		return err
	}
	switch df := d.AccessToken.Format; {
	case df == profile.FormatAny:
	case df == profile.FormatJWT && profile.IsJWT(at.Format):
	case df != at.Format:
		return bad("access_token.format", "%q, but the dialect requires %q", at.Format, df)
	}
	if profile.IsJWT(at.Format) {
		if err := oneOf("access_token.alg", at.Alg, "HS256", "RS256", "ES256", "EdDSA"); err != nil {
			return err
		}
		if d.AccessToken.Alg != "" && at.Alg != d.AccessToken.Alg {
			return bad("access_token.alg", "%q, but the dialect requires %q", at.Alg, d.AccessToken.Alg)
		}
		if d.AccessToken.Typ != "" && !strings.EqualFold(at.Typ, d.AccessToken.Typ) {
			return bad("access_token.typ", "%q, but the dialect requires %q", at.Typ, d.AccessToken.Typ)
		}
		if at.Format == profile.FormatJWTRFC9068 && !strings.EqualFold(strings.TrimPrefix(strings.ToLower(at.Typ), "application/"), "at+jwt") {
			return bad("access_token.typ", "an RFC 9068 token has typ at+jwt, not %q", at.Typ)
		}
		if at.Format == profile.FormatJWTRFC9068 && len(at.Claims) > 0 {
			return bad("access_token.claims", "an RFC 9068 token carries aud and client_id already")
		}
		for i, c := range at.Claims {
			if err := oneOf("access_token.claims", c, "aud", "client_id"); err != nil {
				return err
			}
			if slices.Contains(at.Claims[:i], c) {
				return bad("access_token.claims", "%q twice", c)
			}
		}
	} else if len(at.Claims) > 0 {
		return bad("access_token.claims", "claims need format jwt, not %q", at.Format)
	}
	if !strings.EqualFold(at.TokenType, "bearer") {
		return bad("access_token.token_type", "%q: only Bearer tokens are supported (any case)", at.TokenType)
	}
	if d.AccessToken.TokenType != "" && at.TokenType != d.AccessToken.TokenType {
		return bad("access_token.token_type", "%q, but the dialect requires exactly %q", at.TokenType, d.AccessToken.TokenType)
	}
	if at.Lifetime <= 0 {
		return bad("access_token.lifetime", "must be positive")
	}
	for _, g := range s.RefreshToken.IssueFor {
		if !s.HasGrant(g) {
			return bad("refresh_token.issue_for", "%q is not in grant_types", g)
		}
	}
	for _, g := range d.RefreshToken.IssueFor {
		if !s.IssuesRefreshFor(g) {
			return bad("refresh_token.issue_for", "the dialect requires a refresh token for %q", g)
		}
	}
	if len(s.RefreshToken.IssueFor) > 0 {
		if !s.HasGrant(profile.GrantRefreshToken) {
			return bad("refresh_token.issue_for", "refresh tokens are issued but the refresh_token grant is not enabled")
		}
		if s.RefreshToken.Lifetime <= 0 {
			return bad("refresh_token.lifetime", "must be positive")
		}
	}
	if err := oneOf("refresh_token.rotation", s.RefreshToken.Rotation, profile.RotationAlways, profile.RotationPublicOnly, profile.RotationNever); err != nil {
		return err
	}
	if dr := d.RefreshToken.Rotation; dr != profile.RotationAny && s.RefreshToken.Rotation != dr {
		return bad("refresh_token.rotation", "%q, but the dialect requires %q", s.RefreshToken.Rotation, dr)
	}
	if s.SecurityBCP && s.RefreshToken.Rotation == profile.RotationNever && slices.Contains(s.ClientAuth.Methods, profile.AuthNone) {
		return bad("refresh_token.rotation", "never, but RFC 9700 §4.14.2 (security_bcp) requires rotation for public clients")
	}
	if s.HasGrant(profile.GrantAuthorizationCode) && s.Code.Lifetime <= 0 {
		return bad("code.lifetime", "must be positive")
	}
	if err := oneOf("code.style", s.Code.Style, CodeDefault, CodeBase32); err != nil {
		return err
	}
	if err := oneOf("pkce.mode", s.PKCE.Mode, PKCEUnsupported, PKCEOptional, PKCERequired); err != nil {
		return err
	}
	switch d.PKCE.Support {
	case profile.PKCEUnsupported:
		if s.PKCE.Mode != PKCEUnsupported {
			return bad("pkce.mode", "the dialect does not support PKCE")
		}
	case profile.PKCESupported:
		if s.PKCE.Mode == PKCEUnsupported {
			return bad("pkce.mode", "the dialect requires PKCE support")
		}
	case profile.PKCERequired:
		if s.PKCE.Mode != PKCERequired {
			return bad("pkce.mode", "the dialect requires PKCE on every request")
		}
	}
	if s.SecurityBCP && s.PKCE.Mode == PKCEUnsupported && s.HasGrant(profile.GrantAuthorizationCode) {
		return bad("pkce.mode", "RFC 9700 §2.1.1 (security_bcp) requires PKCE support")
	}
	for _, m := range s.PKCE.Methods {
		if err := oneOf("pkce.methods", m, "S256", "plain"); err != nil {
			return err
		}
	}
	if s.PKCE.Mode != PKCEUnsupported {
		for _, m := range d.PKCE.Methods {
			if !slices.Contains(s.PKCE.Methods, m) {
				return bad("pkce.methods", "the dialect requires %q", m)
			}
		}
		if !slices.Contains(s.PKCE.Methods, "S256") {
			return bad("pkce.methods", "S256 is mandatory to implement (RFC 7636 §4.2)")
		}
	}
	if s.Authorize.OOBRedirectURI != d.Authorize.OOBRedirectURI {
		return bad("authorize.oob_redirect_uri", "%q, but the dialect says %q", s.Authorize.OOBRedirectURI, d.Authorize.OOBRedirectURI)
	}
	if s.Authorize.OOBRedirectURI != "" && ep.OOB == "" {
		return bad("endpoints.oob", "required with authorize.oob_redirect_uri")
	}
	if err := oneOf("authorize.loopback_ports", s.Authorize.LoopbackPorts, LoopbackAny, LoopbackNative); err != nil {
		return err
	}
	if err := oneOf("authorize.redirect_query", s.Authorize.RedirectQuery, QueryExact, QuerySet); err != nil {
		return err
	}
	if err := oneOf("authorize.deny", s.Authorize.Deny, DenyButton, DenyForm, DenyLink); err != nil {
		return err
	}
	if err := oneOf("authorize.redirect", s.Authorize.Redirect, RedirectHTTP, RedirectPage); err != nil {
		return err
	}
	if err := oneOf("not_found", s.NotFound, NotFound404, NotFoundHTML, NotFoundGateway401); err != nil {
		return err
	}
	if in := s.Introspection; len(in.Clients) > 0 || in.Unlisted != "" {
		if ep.Introspection == "" {
			return bad("introspection", "restricts the introspection endpoint, but endpoints.introspection is empty")
		}
		if len(in.Clients) == 0 {
			return bad("introspection.clients", "required with introspection.unlisted")
		}
		for _, id := range in.Clients {
			if id == "" || !profile.VSChars(id) {
				return bad("introspection.clients", "%q is not a client_id (VSCHAR, RFC 6749 App. A.1)", id)
			}
		}
		if err := oneOf("introspection.unlisted", in.Unlisted, IntrospectionRefuse, IntrospectionInactive, IntrospectionOwnTokens); err != nil {
			return err
		}
	}
	if err := oneOf("public_client_credentials_error", s.PublicClientCredentialsError, "unauthorized_client", "invalid_client"); err != nil {
		return err
	}
	if s.TokenResponseSchema != d.TokenResponseSchema {
		return bad("token_response_schema", "%q, but the dialect's is %q", s.TokenResponseSchema, d.TokenResponseSchema)
	}
	return s.validateOIDC(d)
}

func sameSet(a, b []string) bool {
	return len(a) == len(b) && !slices.ContainsFunc(a, func(v string) bool { return !slices.Contains(b, v) })
}

// HasGrant reports whether the grant type is enabled.
func (s *Settings) HasGrant(g string) bool { return slices.Contains(s.GrantTypes, g) }

// HasResponseType reports whether the response type is enabled.
func (s *Settings) HasResponseType(rt string) bool { return slices.Contains(s.ResponseTypes, rt) }

// HasAuthMethod reports whether the client authentication method is enabled.
func (s *Settings) HasAuthMethod(m string) bool { return slices.Contains(s.ClientAuth.Methods, m) }

// HasEncoding reports whether the token request body encoding is accepted.
func (s *Settings) HasEncoding(e string) bool { return slices.Contains(s.TokenRequest.Encodings, e) }

// IssuesRefreshFor reports whether a success of grant g carries a refresh token.
func (s *Settings) IssuesRefreshFor(g string) bool {
	return slices.Contains(s.RefreshToken.IssueFor, g)
}

// SupportsPKCEMethod reports whether the code_challenge_method is supported.
func (s *Settings) SupportsPKCEMethod(m string) bool {
	return s.PKCE.Mode != PKCEUnsupported && slices.Contains(s.PKCE.Methods, m)
}

// Rotates reports whether refreshing as a public (or confidential) client
// returns a new refresh token.
func (s *Settings) Rotates(public bool) bool {
	switch s.RefreshToken.Rotation {
	case profile.RotationAlways:
		return true
	case profile.RotationPublicOnly:
		return public
	}
	return false
}

// ServesMetadata reports whether RFC 8414 metadata is served.
func (s *Settings) ServesMetadata() bool { return s.Metadata == nil || *s.Metadata }

// OpenID reports whether OpenID Connect is on and can be asked for: oidc
// set, and openid in the scope vocabulary.
func (s *Settings) OpenID() bool {
	return s.OIDC && s.HasGrant(profile.GrantAuthorizationCode) && slices.Contains(s.Scopes.Supported, scopeOpenID)
}

// IsJWT reports whether access tokens are JWTs.
func (s *Settings) IsJWT() bool { return profile.IsJWT(s.AccessToken.Format) }
