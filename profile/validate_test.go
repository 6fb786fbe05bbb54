package profile

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// minimal is the smallest dialect Validate accepts, with the freedoms
// applyDefaults would fill already explicit. Each call returns a new value.
func minimal() *Dialect {
	return &Dialect{
		Name:                "minimal",
		TokenRequest:        TokenRequest{Encodings: []string{EncodingForm}},
		ClientAuth:          ClientAuth{Methods: Set{Allowed: []string{AuthBasic}}},
		GrantTypes:          Set{Allowed: []string{GrantClientCredentials}},
		Scopes:              Scopes{Unknown: UnknownScopeAny},
		AccessToken:         AccessToken{Format: FormatAny},
		RefreshToken:        RefreshToken{Rotation: RotationAny},
		PKCE:                PKCE{Support: PKCEAny},
		TokenResponseSchema: "token-response.json",
	}
}

// baseNames are the starting points of the rule table: every built-in
// dialect and the minimal one.
func baseNames() []string { return append(Names(), "minimal") }

// base returns a fresh, independent copy of the named starting point: a new
// parse of a built-in, or a new minimal dialect.
func base(t *testing.T, name string) *Dialect {
	t.Helper()
	if name == "minimal" {
		return minimal()
	}
	d, err := Load(name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return d
}

func without(s []string, v string) []string {
	return slices.DeleteFunc(slices.Clone(s), func(x string) bool { return x == v })
}

func with(s []string, v string) []string {
	if slices.Contains(s, v) {
		return slices.Clone(s)
	}
	return append(slices.Clone(s), v)
}

// wantFieldError checks that err is a *FieldError for the dialect, naming
// field exactly, whose message holds msg, and whose text names the field.
func wantFieldError(t *testing.T, err error, profile, field, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted; want an error naming %s", field)
	}
	var fe *FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("err = %T %v, want a *FieldError", err, err)
	}
	if fe.Field != field {
		t.Errorf("field = %q, want %q (err %v)", fe.Field, field, err)
	}
	if fe.Profile != profile {
		t.Errorf("profile = %q, want %q", fe.Profile, profile)
	}
	if !strings.Contains(fe.Msg, msg) {
		t.Errorf("message %q does not contain %q", fe.Msg, msg)
	}
	if !strings.Contains(err.Error(), field+": ") {
		t.Errorf("err %q does not name %s", err, field)
	}
}

// TestValidateRules breaks each rule of Dialect.Validate, one per case, from
// dialects that validate, and checks the error names the rule's field. A case
// with no bases runs from every built-in dialect and the minimal one.
func TestValidateRules(t *testing.T) {
	tests := []struct {
		name   string
		bases  []string // empty: every base
		mutate func(*Dialect)
		field  string
		// fieldOf names the field when it depends on the base (an index
		// into a list the mutation appended to).
		fieldOf func(*Dialect) string
		msg     string
	}{
		// name
		{name: "name required", mutate: func(d *Dialect) { d.Name = "" }, field: "name", msg: "required"},

		// endpoints.*: a path starting with /
		{name: "token endpoint relative", mutate: func(d *Dialect) { d.Endpoints.Token = "token" }, field: "endpoints.token", msg: "must be a path starting with /"},
		{name: "token endpoint absolute URL", mutate: func(d *Dialect) { d.Endpoints.Token = "https://as.example/token" }, field: "endpoints.token", msg: "must be a path starting with /"},
		{name: "authorize endpoint relative", mutate: func(d *Dialect) { d.Endpoints.Authorize = "authorize" }, field: "endpoints.authorize", msg: "must be a path starting with /"},
		{name: "revocation endpoint relative", mutate: func(d *Dialect) { d.Endpoints.Revocation = "revoke" }, field: "endpoints.revocation", msg: "must be a path starting with /"},
		{name: "introspection endpoint relative", mutate: func(d *Dialect) { d.Endpoints.Introspection = "introspect" }, field: "endpoints.introspection", msg: "must be a path starting with /"},
		{name: "jwks endpoint relative", mutate: func(d *Dialect) { d.Endpoints.JWKS = "jwks" }, field: "endpoints.jwks", msg: "must be a path starting with /"},
		{name: "resource endpoint relative", mutate: func(d *Dialect) { d.Endpoints.Resource = "api" }, field: "endpoints.resource", msg: "must be a path starting with /"},
		{name: "oob endpoint relative", mutate: func(d *Dialect) { d.Endpoints.OOB = "oob" }, field: "endpoints.oob", msg: "must be a path starting with /"},
		{name: "userinfo endpoint relative", mutate: func(d *Dialect) { d.Endpoints.UserInfo = "userinfo" }, field: "endpoints.userinfo", msg: "must be a path starting with /"},

		// token_request
		{name: "unknown encoding", mutate: func(d *Dialect) { d.TokenRequest.Encodings = append(d.TokenRequest.Encodings, "xml") }, field: "token_request.encodings", msg: `"xml" is not one of form, json`},
		{name: "encoding is case-sensitive", mutate: func(d *Dialect) { d.TokenRequest.Encodings = []string{"JSON"} }, field: "token_request.encodings", msg: `"JSON" is not one of`},

		// grant_types
		{name: "no grant type", mutate: func(d *Dialect) { d.GrantTypes = Set{} }, field: "grant_types.allowed", msg: "at least one grant type"},
		{name: "empty grant type list", mutate: func(d *Dialect) { d.GrantTypes.Allowed = []string{} }, field: "grant_types.allowed", msg: "at least one grant type"},
		{name: "unknown grant type", mutate: func(d *Dialect) {
			d.GrantTypes.Allowed = append(d.GrantTypes.Allowed, "urn:ietf:params:oauth:grant-type:device_code")
		}, field: "grant_types.allowed", msg: "is not one of authorization_code, password, client_credentials, refresh_token"},
		{name: "required grant not allowed", mutate: func(d *Dialect) { d.GrantTypes.Required = append(d.GrantTypes.Required, "implicit") }, field: "grant_types.required", msg: `"implicit" is not in grant_types.allowed`},
		{name: "required known grant not allowed", bases: []string{"merchant-customer", "oob-pkce", "minimal"}, mutate: func(d *Dialect) {
			g := GrantPassword
			if d.GrantTypes.Allows(g) {
				g = GrantAuthorizationCode
			}
			d.GrantTypes.Required = append(d.GrantTypes.Required, g)
		}, field: "grant_types.required", msg: "is not in grant_types.allowed"},
		{name: "default grant unknown", mutate: func(d *Dialect) { d.TokenRequest.DefaultGrantType = "implicit" }, field: "token_request.default_grant_type", msg: `"implicit" is not in grant_types.allowed`},
		{name: "default grant not allowed", bases: []string{"merchant-customer"}, mutate: func(d *Dialect) { d.TokenRequest.DefaultGrantType = GrantAuthorizationCode }, field: "token_request.default_grant_type", msg: "is not in grant_types.allowed"},

		// client_auth.methods
		{name: "no client auth method", mutate: func(d *Dialect) { d.ClientAuth.Methods = Set{} }, field: "client_auth.methods.allowed", msg: "at least one method"},
		{name: "unknown client auth method", mutate: func(d *Dialect) {
			d.ClientAuth.Methods.Allowed = append(d.ClientAuth.Methods.Allowed, "private_key_jwt")
		}, field: "client_auth.methods.allowed", msg: `"private_key_jwt" is not one of client_secret_basic, client_secret_post, none`},
		{name: "required method not allowed", mutate: func(d *Dialect) {
			d.ClientAuth.Methods.Required = append(d.ClientAuth.Methods.Required, "tls_client_auth")
		}, field: "client_auth.methods.required", msg: `"tls_client_auth" is not in client_auth.methods.allowed`},
		{name: "required known method not allowed", bases: []string{"oob-pkce"}, mutate: func(d *Dialect) {
			d.ClientAuth.Methods.Required = append(d.ClientAuth.Methods.Required, AuthBasic)
		}, field: "client_auth.methods.required", msg: "is not in client_auth.methods.allowed"},

		// response_types
		{name: "unknown response type", mutate: func(d *Dialect) { d.ResponseTypes.Allowed = append(d.ResponseTypes.Allowed, "id_token") }, field: "response_types.allowed", msg: `"id_token" is not one of code, token`},
		{name: "required response type not allowed", mutate: func(d *Dialect) { d.ResponseTypes.Required = append(d.ResponseTypes.Required, "id_token") }, field: "response_types.required", msg: `"id_token" is not in response_types.allowed`},
		{name: "code grant without code response", bases: []string{"rfc6749", "oauth20-intents", "oob-pkce"}, mutate: func(d *Dialect) {
			d.ResponseTypes = Set{Allowed: []string{ResponseToken}}
		}, field: "response_types.allowed", msg: "the authorization_code grant needs response type code"},
		{name: "code grant without any response type", bases: []string{"rfc6749", "oob-pkce"}, mutate: func(d *Dialect) {
			d.ResponseTypes = Set{}
		}, field: "response_types.allowed", msg: "needs response type code"},
		{name: "code grant added without code response", bases: []string{"merchant-customer", "minimal"}, mutate: func(d *Dialect) {
			d.GrantTypes.Allowed = append(d.GrantTypes.Allowed, GrantAuthorizationCode)
		}, field: "response_types.allowed", msg: "needs response type code"},
		{name: "code grant required, code response not", bases: []string{"rfc6749", "oauth20-intents", "oob-pkce"}, mutate: func(d *Dialect) {
			d.GrantTypes.Required = with(d.GrantTypes.Required, GrantAuthorizationCode)
			d.ResponseTypes.Required = without(d.ResponseTypes.Required, ResponseCode)
		}, field: "response_types.required", msg: "the authorization_code grant is required, so response type code is too"},

		// scopes
		{name: "unknown-scope policy", mutate: func(d *Dialect) { d.Scopes.Unknown = "drop" }, field: "scopes.unknown", msg: `"drop" is not one of any, reject, ignore`},
		{name: "unknown-scope policy empty", mutate: func(d *Dialect) { d.Scopes.Unknown = "" }, field: "scopes.unknown", msg: `"" is not one of`},
		{name: "unknown-scope policy case", mutate: func(d *Dialect) { d.Scopes.Unknown = "Reject" }, field: "scopes.unknown", msg: "is not one of"},
		{name: "scope with space", mutate: func(d *Dialect) { d.Scopes.Supported = append(d.Scopes.Supported, "a b") }, field: "scopes.supported", msg: "is not a valid scope-token"},
		{name: "scope with quote", mutate: func(d *Dialect) { d.Scopes.Supported = append(d.Scopes.Supported, `a"b`) }, field: "scopes.supported", msg: "is not a valid scope-token"},
		{name: "scope with backslash", mutate: func(d *Dialect) { d.Scopes.Supported = append(d.Scopes.Supported, `a\b`) }, field: "scopes.supported", msg: "is not a valid scope-token"},
		{name: "empty scope", mutate: func(d *Dialect) { d.Scopes.Supported = append(d.Scopes.Supported, "") }, field: "scopes.supported", msg: "is not a valid scope-token"},
		{name: "non-ASCII scope", mutate: func(d *Dialect) { d.Scopes.Supported = append(d.Scopes.Supported, "lecture-é") }, field: "scopes.supported", msg: "is not a valid scope-token"},
		{name: "default scope outside vocabulary", bases: []string{"merchant-customer"}, mutate: func(d *Dialect) { d.Scopes.Default = "merchant admin" }, field: "scopes.default", msg: `"admin" is not in scopes.supported`},
		{name: "default scope outside vocabulary from minimal", bases: []string{"minimal"}, mutate: func(d *Dialect) {
			d.Scopes.Supported = []string{"read"}
			d.Scopes.Default = "write"
		}, field: "scopes.default", msg: `"write" is not in scopes.supported`},

		// access_token
		{name: "unknown format", mutate: func(d *Dialect) { d.AccessToken.Format = "macaroon" }, field: "access_token.format", msg: `"macaroon" is not one of any, jwt, jwt-rfc9068, opaque`},
		{name: "format empty", mutate: func(d *Dialect) { d.AccessToken.Format = "" }, field: "access_token.format", msg: `"" is not one of`},
		{name: "format case", mutate: func(d *Dialect) { d.AccessToken.Format = "JWT" }, field: "access_token.format", msg: "is not one of"},
		{name: "alg without JWT format", bases: []string{"rfc6749", "merchant-customer", "minimal"}, mutate: func(d *Dialect) { d.AccessToken.Alg = "RS256" }, field: "access_token", msg: `alg, typ and claims need format jwt or jwt-rfc9068, not "any"`},
		{name: "typ on opaque", mutate: func(d *Dialect) { d.AccessToken = AccessToken{Format: FormatOpaque, Typ: "at+jwt"} }, field: "access_token", msg: `need format jwt or jwt-rfc9068, not "opaque"`},
		{name: "claims on any", mutate: func(d *Dialect) { d.AccessToken = AccessToken{Format: FormatAny, Claims: []string{"sub"}} }, field: "access_token", msg: `not "any"`},
		{name: "JWT dialect made opaque", bases: []string{"oob-pkce"}, mutate: func(d *Dialect) { d.AccessToken.Format = FormatOpaque }, field: "access_token", msg: `not "opaque"`},
		{name: "alg none", mutate: func(d *Dialect) { d.AccessToken.Format, d.AccessToken.Alg = FormatJWT, "none" }, field: "access_token.alg", msg: `"none" is not one of HS256, RS256, ES256, EdDSA`},
		{name: "alg case", mutate: func(d *Dialect) { d.AccessToken.Format, d.AccessToken.Alg = FormatJWTRFC9068, "hs256" }, field: "access_token.alg", msg: "is not one of"},
		{name: "alg unlisted", bases: []string{"oob-pkce"}, mutate: func(d *Dialect) { d.AccessToken.Alg = "PS256" }, field: "access_token.alg", msg: "is not one of"},
		{name: "RFC 9068 typ JWT", mutate: func(d *Dialect) { d.AccessToken.Format, d.AccessToken.Typ = FormatJWTRFC9068, "JWT" }, field: "access_token.typ", msg: `an RFC 9068 token has typ at+jwt, not "JWT"`},
		{name: "RFC 9068 typ with another media type", mutate: func(d *Dialect) { d.AccessToken.Format, d.AccessToken.Typ = FormatJWTRFC9068, "application/jwt" }, field: "access_token.typ", msg: "at+jwt"},
		{name: "RFC 9068 typ with another prefix", mutate: func(d *Dialect) { d.AccessToken.Format, d.AccessToken.Typ = FormatJWTRFC9068, "text/at+jwt" }, field: "access_token.typ", msg: "at+jwt"},
		{name: "token type mac", mutate: func(d *Dialect) { d.AccessToken.TokenType = "mac" }, field: "access_token.token_type", msg: `"mac": only Bearer tokens are supported`},
		{name: "token type DPoP", mutate: func(d *Dialect) { d.AccessToken.TokenType = "DPoP" }, field: "access_token.token_type", msg: "only Bearer"},

		// refresh_token
		{name: "refresh for unknown grant", mutate: func(d *Dialect) { d.RefreshToken.IssueFor = append(d.RefreshToken.IssueFor, "implicit") }, field: "refresh_token.issue_for", msg: `"implicit" is not in grant_types.allowed`},
		{name: "refresh for grant not allowed", bases: []string{"merchant-customer", "oob-pkce"}, mutate: func(d *Dialect) {
			g := GrantAuthorizationCode
			if d.GrantTypes.Allows(g) {
				g = GrantPassword
			}
			d.RefreshToken.IssueFor = append(d.RefreshToken.IssueFor, g)
		}, field: "refresh_token.issue_for", msg: "is not in grant_types.allowed"},
		{name: "refresh required without refresh grant", bases: []string{"rfc6749", "oauth20-intents", "minimal"}, mutate: func(d *Dialect) {
			d.GrantTypes.Required = without(d.GrantTypes.Required, GrantRefreshToken)
			d.RefreshToken.IssueFor = []string{d.GrantTypes.Allowed[0]}
		}, field: "refresh_token.issue_for", msg: "the refresh_token grant is not in grant_types.required"},
		{name: "refresh grant no longer required", bases: []string{"merchant-customer", "oob-pkce"}, mutate: func(d *Dialect) {
			d.GrantTypes.Required = without(d.GrantTypes.Required, GrantRefreshToken)
		}, field: "refresh_token.issue_for", msg: "not in grant_types.required"},
		{name: "unknown rotation", mutate: func(d *Dialect) { d.RefreshToken.Rotation = "sometimes" }, field: "refresh_token.rotation", msg: `"sometimes" is not one of any, always, public-only, never`},
		{name: "rotation empty", mutate: func(d *Dialect) { d.RefreshToken.Rotation = "" }, field: "refresh_token.rotation", msg: `"" is not one of`},
		{name: "rotation spelling", mutate: func(d *Dialect) { d.RefreshToken.Rotation = "public_only" }, field: "refresh_token.rotation", msg: "is not one of"},

		// pkce
		{name: "unknown PKCE support", mutate: func(d *Dialect) { d.PKCE.Support = "maybe" }, field: "pkce.support", msg: `"maybe" is not one of any, unsupported, supported, required`},
		{name: "PKCE support empty", mutate: func(d *Dialect) { d.PKCE.Support = "" }, field: "pkce.support", msg: `"" is not one of`},
		{name: "PKCE support case", mutate: func(d *Dialect) { d.PKCE.Support = "Required" }, field: "pkce.support", msg: "is not one of"},
		{name: "unknown PKCE method", mutate: func(d *Dialect) { d.PKCE.Methods = append(d.PKCE.Methods, "S512") }, field: "pkce.methods", msg: `"S512" is not one of S256, plain`},
		{name: "PKCE method case", mutate: func(d *Dialect) { d.PKCE.Methods = []string{"s256"} }, field: "pkce.methods", msg: "is not one of"},
		{name: "methods of unsupported PKCE", bases: []string{"rfc6749", "oauth20-intents", "oob-pkce"}, mutate: func(d *Dialect) { d.PKCE.Support = PKCEUnsupported }, field: "pkce.methods", msg: "PKCE is unsupported, so no method can be required"},
		{name: "method added to unsupported PKCE", mutate: func(d *Dialect) { d.PKCE = PKCE{Support: PKCEUnsupported, Methods: []string{"plain"}} }, field: "pkce.methods", msg: "unsupported"},

		// authorize
		{name: "extra without name", mutate: func(d *Dialect) { d.Authorize.Extras = append(d.Authorize.Extras, ExtraParam{Required: true}) }, fieldOf: func(d *Dialect) string {
			return fmt.Sprintf("authorize.extras[%d].name", len(d.Authorize.Extras)-1)
		}, msg: "required"},
		{name: "second extra loses its name", bases: []string{"oauth20-intents"}, mutate: func(d *Dialect) { d.Authorize.Extras[1].Name = "" }, field: "authorize.extras[1].name", msg: "required"},
		{name: "oob redirect without oob page", bases: []string{"oob-pkce"}, mutate: func(d *Dialect) { d.Endpoints.OOB = "" }, field: "endpoints.oob", msg: "required with authorize.oob_redirect_uri"},
		{name: "oob redirect added without page", bases: []string{"rfc6749", "merchant-customer", "oauth20-intents", "minimal"}, mutate: func(d *Dialect) {
			d.Authorize.OOBRedirectURI = "urn:ietf:wg:oauth:2.0:oob"
		}, field: "endpoints.oob", msg: "required with authorize.oob_redirect_uri"},

		// resources
		{name: "rule without path", bases: []string{"merchant-customer"}, mutate: func(d *Dialect) { d.Resources.Rules[2].Path = "" }, field: "resources.rules[2].path", msg: "must be a path starting with /"},
		{name: "rule with relative path", bases: []string{"merchant-customer"}, mutate: func(d *Dialect) { d.Resources.Rules[6].Path = "client-id/{client_id}/authorization" }, field: "resources.rules[6].path", msg: "must be a path starting with /"},
		{name: "rule added without path", mutate: func(d *Dialect) {
			d.Resources.Rules = append(d.Resources.Rules, ResourceRule{Method: "GET", Scopes: []string{"s"}})
		}, fieldOf: lastRule("path"), msg: "must be a path starting with /"},
		{name: "rule without scopes", bases: []string{"merchant-customer"}, mutate: func(d *Dialect) { d.Resources.Rules[0].Scopes = nil }, field: "resources.rules[0].scopes", msg: "at least one scope"},
		{name: "rule added with empty scopes", mutate: func(d *Dialect) {
			d.Resources.Rules = append(d.Resources.Rules, ResourceRule{Method: "GET", Path: "/x", Scopes: []string{}})
		}, fieldOf: lastRule("scopes"), msg: "at least one scope"},
		{name: "unknown scope error", mutate: func(d *Dialect) { d.Resources.ScopeError = "forbidden" }, field: "resources.scope_error", msg: `"forbidden" is not one of insufficient_scope, invalid_token`},

		// token_response_schema
		{name: "schema required", mutate: func(d *Dialect) { d.TokenResponseSchema = "" }, field: "token_response_schema", msg: "required"},
	}
	for _, tt := range tests {
		eachBase(t, tt.name, tt.bases, func(t *testing.T, d *Dialect) {
			if err := d.Validate(); err != nil {
				t.Fatalf("base does not validate: %v", err)
			}
			tt.mutate(d)
			field := tt.field
			if tt.fieldOf != nil {
				field = tt.fieldOf(d)
			}
			wantFieldError(t, d.Validate(), d.Name, field, tt.msg)
		})
	}
}

// eachBase runs f, as subtest name/base, on a fresh copy of each base
// dialect in bases (every base when empty).
func eachBase(t *testing.T, name string, bases []string, f func(t *testing.T, d *Dialect)) {
	if len(bases) == 0 {
		bases = baseNames()
	}
	for _, b := range bases {
		t.Run(name+"/"+b, func(t *testing.T) { f(t, base(t, b)) })
	}
}

func lastRule(sub string) func(*Dialect) string {
	return func(d *Dialect) string { return fmt.Sprintf("resources.rules[%d].%s", len(d.Resources.Rules)-1, sub) }
}

// TestValidateAccepts pins the edges of the rules: variations of valid
// dialects that each rule must let through.
func TestValidateAccepts(t *testing.T) {
	tests := []struct {
		name   string
		bases  []string // empty: every base
		mutate func(*Dialect)
	}{
		{"no endpoints at all", nil, func(d *Dialect) { d.Endpoints, d.Authorize.OOBRedirectURI = Endpoints{}, "" }},
		{"every endpoint a path", nil, func(d *Dialect) {
			d.Endpoints = Endpoints{Token: "/t", Authorize: "/a", Revocation: "/r", Introspection: "/i", JWKS: "/j", Resource: "/api", OOB: "/o", UserInfo: "/u"}
		}},
		{"no encodings (Validate leaves the default to Parse)", nil, func(d *Dialect) { d.TokenRequest.Encodings = nil }},
		{"both encodings", nil, func(d *Dialect) { d.TokenRequest.Encodings = []string{EncodingJSON, EncodingForm} }},
		{"every grant allowed and required", []string{"rfc6749", "oauth20-intents"}, func(d *Dialect) {
			d.GrantTypes = Set{Allowed: slices.Clone(Grants), Required: slices.Clone(Grants)}
			d.ResponseTypes.Required = with(d.ResponseTypes.Required, ResponseCode)
		}},
		{"default grant allowed", nil, func(d *Dialect) { d.TokenRequest.DefaultGrantType = d.GrantTypes.Allowed[len(d.GrantTypes.Allowed)-1] }},
		{"every client auth method", nil, func(d *Dialect) { d.ClientAuth.Methods.Allowed = []string{AuthBasic, AuthPost, AuthNone} }},
		{"no response types without the code grant", []string{"merchant-customer", "minimal"}, func(d *Dialect) { d.ResponseTypes = Set{} }},
		{"token response type alone without the code grant", []string{"merchant-customer", "minimal"}, func(d *Dialect) {
			d.ResponseTypes = Set{Allowed: []string{ResponseToken}, Required: []string{ResponseToken}}
		}},
		{"code grant allowed but not required, code response optional", []string{"rfc6749"}, func(d *Dialect) { d.ResponseTypes = Set{Allowed: []string{ResponseCode}} }},
		{"valid scope-tokens", nil, func(d *Dialect) {
			d.Scopes.Supported, d.Scopes.Default = []string{"read", "!#$%&'()*+,-./:;<=>?@[]^_`{|}~", "urn:x:y"}, "read"
		}},
		{"default scope with no vocabulary is the server's", nil, func(d *Dialect) { d.Scopes.Supported, d.Scopes.Default = nil, "anything at all" }},
		{"default scopes in the vocabulary, spaced loosely", nil, func(d *Dialect) {
			d.Scopes.Supported, d.Scopes.Default = []string{"a", "b"}, "  a   b "
		}},
		{"JWT with claims", nil, func(d *Dialect) {
			d.AccessToken = AccessToken{Format: FormatJWT, Alg: "ES256", Typ: "JWT", Claims: []string{"sub", "aud"}}
		}},
		{"RFC 9068 typ spellings", nil, func(d *Dialect) { d.AccessToken = AccessToken{Format: FormatJWTRFC9068, Typ: "at+jwt"} }},
		{"RFC 9068 typ upper case", nil, func(d *Dialect) { d.AccessToken = AccessToken{Format: FormatJWTRFC9068, Typ: "AT+JWT"} }},
		{"RFC 9068 typ as a media type", nil, func(d *Dialect) {
			d.AccessToken = AccessToken{Format: FormatJWTRFC9068, Typ: "Application/At+JWT", Alg: "EdDSA"}
		}},
		{"RFC 9068 without typ", nil, func(d *Dialect) { d.AccessToken = AccessToken{Format: FormatJWTRFC9068} }},
		{"plain JWT with any typ", nil, func(d *Dialect) { d.AccessToken = AccessToken{Format: FormatJWT, Typ: "whatever"} }},
		{"token type Bearer", nil, func(d *Dialect) { d.AccessToken.TokenType = "Bearer" }},
		{"token type BEARER", nil, func(d *Dialect) { d.AccessToken.TokenType = "BEARER" }},
		{"refresh for every grant", []string{"rfc6749", "oauth20-intents"}, func(d *Dialect) {
			d.GrantTypes.Required = with(d.GrantTypes.Required, GrantRefreshToken)
			d.RefreshToken.IssueFor = slices.Clone(Grants)
		}},
		{"unsupported PKCE without methods", nil, func(d *Dialect) { d.PKCE = PKCE{Support: PKCEUnsupported} }},
		{"both PKCE methods", nil, func(d *Dialect) { d.PKCE = PKCE{Support: PKCERequired, Methods: []string{"S256", "plain"}} }},
		{"named extras", nil, func(d *Dialect) {
			d.Authorize.Extras = append(d.Authorize.Extras, ExtraParam{Name: "x", Required: true, Enum: []string{"a"}})
		}},
		{"oob redirect with its page", nil, func(d *Dialect) {
			d.Endpoints.OOB, d.Authorize.OOBRedirectURI = "/oob", "urn:ietf:wg:oauth:2.0:oob"
		}},
		{"oob page alone", nil, func(d *Dialect) { d.Endpoints.OOB, d.Authorize.OOBRedirectURI = "/oob", "" }},
		{"rule with placeholders", nil, func(d *Dialect) {
			d.Resources.Rules = append(d.Resources.Rules, ResourceRule{Path: "/{client_id}/x", Scopes: []string{"s"}})
		}},
		{"scope error insufficient_scope", nil, func(d *Dialect) { d.Resources.ScopeError = ScopeErrorInsufficientScope }},
		{"scope error invalid_token", nil, func(d *Dialect) { d.Resources.ScopeError = ScopeErrorInvalidToken }},
		{"scope error left to the default", nil, func(d *Dialect) { d.Resources.ScopeError = "" }},
		{"prose fields are free", nil, func(d *Dialect) {
			d.Description, d.Seed, d.Choices, d.SecurityBCP = "", "", nil, true
			d.ClientAuth.APIKeyHeader = "x-key"
		}},
	}
	for _, tt := range tests {
		eachBase(t, tt.name, tt.bases, func(t *testing.T, d *Dialect) {
			tt.mutate(d)
			if err := d.Validate(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestEnumerations checks every value of each enumerated field is accepted,
// that near misses are refused naming the field, and that Parse fills an
// omitted freedom with its "any" value.
func TestEnumerations(t *testing.T) {
	jwt := func(d *Dialect) { d.AccessToken.Format = FormatJWT }
	tests := []struct {
		field   string
		set     func(*Dialect, string)
		prepare func(*Dialect)
		values  []string
		refused []string
		omitted string // the value Parse fills in when the key is absent; "" if none
	}{
		{field: "token_request.encodings", set: func(d *Dialect, v string) { d.TokenRequest.Encodings = []string{v} },
			values: []string{EncodingForm, EncodingJSON}, refused: []string{"", "Form", "xml", "multipart"}, omitted: EncodingForm},
		{field: "grant_types.allowed", set: func(d *Dialect, v string) { d.GrantTypes.Allowed = []string{v} },
			prepare: func(d *Dialect) { d.ResponseTypes.Allowed = []string{ResponseCode} },
			values:  Grants, refused: []string{"", "implicit", "Password", "urn:ietf:params:oauth:grant-type:jwt-bearer"}},
		{field: "client_auth.methods.allowed", set: func(d *Dialect, v string) { d.ClientAuth.Methods.Allowed = []string{v} },
			values: []string{AuthBasic, AuthPost, AuthNone}, refused: []string{"", "basic", "private_key_jwt", "client_secret_jwt"}},
		{field: "response_types.allowed", set: func(d *Dialect, v string) { d.ResponseTypes.Allowed = []string{v} },
			values: []string{ResponseCode, ResponseToken}, refused: []string{"", "id_token", "code token", "Code"}},
		{field: "scopes.unknown", set: func(d *Dialect, v string) { d.Scopes.Unknown = v },
			values: []string{UnknownScopeAny, UnknownScopeReject, UnknownScopeIgnore}, refused: []string{"", "drop", "IGNORE"}, omitted: UnknownScopeAny},
		{field: "access_token.format", set: func(d *Dialect, v string) { d.AccessToken.Format = v },
			values: []string{FormatAny, FormatJWT, FormatJWTRFC9068, FormatOpaque}, refused: []string{"", "jws", "rfc9068", "Opaque"}, omitted: FormatAny},
		{field: "access_token.alg", set: func(d *Dialect, v string) { d.AccessToken.Alg = v }, prepare: jwt,
			values: []string{"HS256", "RS256", "ES256", "EdDSA"}, refused: []string{"none", "HS384", "PS256", "eddsa"}},
		{field: "refresh_token.rotation", set: func(d *Dialect, v string) { d.RefreshToken.Rotation = v },
			values: []string{RotationAny, RotationAlways, RotationPublicOnly, RotationNever}, refused: []string{"", "sometimes", "public", "Always"}, omitted: RotationAny},
		{field: "pkce.support", set: func(d *Dialect, v string) { d.PKCE.Support = v },
			values: []string{PKCEAny, PKCEUnsupported, PKCESupported, PKCERequired}, refused: []string{"", "optional", "mandatory", "Supported"}, omitted: PKCEAny},
		{field: "pkce.methods", set: func(d *Dialect, v string) { d.PKCE.Methods = []string{v} },
			values: []string{"S256", "plain"}, refused: []string{"", "s256", "PLAIN", "S512"}},
		{field: "resources.scope_error", set: func(d *Dialect, v string) { d.Resources.ScopeError = v },
			values: []string{"", ScopeErrorInsufficientScope, ScopeErrorInvalidToken}, refused: []string{"forbidden", "invalid_scope", "Invalid_Token"}},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			for _, v := range tt.values {
				d := minimal()
				if tt.prepare != nil {
					tt.prepare(d)
				}
				tt.set(d, v)
				if err := d.Validate(); err != nil {
					t.Errorf("%q refused: %v", v, err)
				}
			}
			for _, v := range tt.refused {
				d := minimal()
				if tt.prepare != nil {
					tt.prepare(d)
				}
				tt.set(d, v)
				err := d.Validate()
				var fe *FieldError
				if !errors.As(err, &fe) || fe.Field != tt.field {
					t.Errorf("%q: err = %v, want one naming %s", v, err, tt.field)
				} else if !strings.Contains(fe.Msg, "is not one of") {
					t.Errorf("%q: message %q does not list the values", v, fe.Msg)
				}
			}
			if tt.omitted != "" {
				d, err := Parse([]byte(minimalYAML))
				if err != nil {
					t.Fatal(err)
				}
				got := map[string]string{
					"token_request.encodings": strings.Join(d.TokenRequest.Encodings, ","),
					"scopes.unknown":          d.Scopes.Unknown,
					"access_token.format":     d.AccessToken.Format,
					"refresh_token.rotation":  d.RefreshToken.Rotation,
					"pkce.support":            d.PKCE.Support,
				}[tt.field]
				if got != tt.omitted {
					t.Errorf("omitted %s parsed as %q, want %q", tt.field, got, tt.omitted)
				}
			}
		})
	}
}

// minimalYAML is minimal() as a document, its freedoms omitted.
const minimalYAML = `name: minimal
grant_types: {allowed: [client_credentials]}
client_auth: {methods: {allowed: [client_secret_basic]}}
token_response_schema: token-response.json
`

func TestMinimalYAMLIsMinimal(t *testing.T) {
	d, err := Parse([]byte(minimalYAML))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(d, minimal()) {
		t.Errorf("Parse(minimalYAML) = %+v\nminimal() = %+v", d, minimal())
	}
}

// TestValidateNamesTheFirstBadField: rules are checked in the order of the
// document, and the first broken one is reported.
func TestValidateNamesTheFirstBadField(t *testing.T) {
	d := minimal()
	d.TokenResponseSchema = ""
	d.PKCE.Support = "maybe"
	d.Endpoints.Token = "token"
	wantFieldError(t, d.Validate(), "minimal", "endpoints.token", "must be a path")
	d.Name = ""
	wantFieldError(t, d.Validate(), "", "name", "required")
}

func TestFieldErrorText(t *testing.T) {
	err := error(&FieldError{Profile: "p", Field: "a.b", Msg: "broken"})
	if got, want := err.Error(), `profile "p": a.b: broken`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// TestBuiltInsValidate loads each built-in dialect, checks it validates as
// loaded, survives a YAML round trip unchanged, and names a schema that
// exists.
func TestBuiltInsValidate(t *testing.T) {
	names := Names()
	onDisk, err := filepath.Glob(filepath.Join("..", "fixtures", "profiles", "*.yaml"))
	if err != nil || len(onDisk) == 0 {
		t.Fatalf("fixtures/profiles: %v %v", onDisk, err)
	}
	if len(names) != len(onDisk) {
		t.Fatalf("Names() = %v, but fixtures/profiles holds %v", names, onDisk)
	}
	if !slices.IsSorted(names) {
		t.Errorf("Names() not sorted: %v", names)
	}
	for _, n := range names {
		t.Run(n, func(t *testing.T) {
			d, err := Load(n)
			if err != nil {
				t.Fatal(err)
			}
			if d.Name != n {
				t.Errorf("name %q in %s.yaml", d.Name, n)
			}
			if err := d.Validate(); err != nil {
				t.Errorf("Validate after Load: %v", err)
			}
			if d.Description == "" || d.Endpoints.Token == "" {
				t.Errorf("no description or token endpoint: %+v", d)
			}
			if _, err := os.Stat(filepath.Join("..", "schemas", d.TokenResponseSchema)); err != nil {
				t.Errorf("token_response_schema: %v", err)
			}
			// Round trip: what Parse returns marshals back to a document
			// that parses to the same dialect, and marshals identically.
			b, err := yaml.Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			again, err := Parse(b)
			if err != nil {
				t.Fatalf("re-parse: %v\n%s", err, b)
			}
			if !reflect.DeepEqual(d, again) {
				t.Errorf("round trip changed the dialect:\n%+v\n%+v", d, again)
			}
			b2, err := yaml.Marshal(again)
			if err != nil || !bytes.Equal(b, b2) {
				t.Errorf("second marshal differs (%v):\n%s\n---\n%s", err, b, b2)
			}
			// The file on disk is what is embedded.
			f, err := LoadFile(filepath.Join("..", "fixtures", "profiles", n+".yaml"))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(d, f) {
				t.Errorf("LoadFile differs from Load")
			}
			// Every load is a new value: changing one leaves the next intact.
			d.GrantTypes.Allowed[0] = "mutated"
			d.Endpoints.Token = "mutated"
			if next := MustLoad(n); next.GrantTypes.Allowed[0] == "mutated" || next.Endpoints.Token == "mutated" {
				t.Error("Load shares state between calls")
			}
		})
	}
}
