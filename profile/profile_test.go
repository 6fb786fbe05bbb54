package profile

import (
	"strings"
	"testing"
)

func TestBuiltInDialects(t *testing.T) {
	names := Names()
	if len(names) != 4 {
		t.Fatalf("dialects %v", names)
	}
	for _, n := range names {
		d, err := Load(n)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if d.Name != n || d.TokenResponseSchema == "" || d.Endpoints.Token == "" {
			t.Errorf("%s: %+v", n, d)
		}
	}
	// The generic dialect leaves every freedom open and claims nothing
	// beyond RFC 6749's own requirements.
	d := MustLoad(DefaultName)
	if d.AccessToken.Format != FormatAny || d.RefreshToken.Rotation != RotationAny || d.PKCE.Support != PKCEAny ||
		d.Scopes.Unknown != UnknownScopeAny || len(d.Scopes.Supported) != 0 || d.SecurityBCP {
		t.Errorf("rfc6749 fixes a free choice: %+v", d)
	}
	if len(d.GrantTypes.Required) != 0 || !d.ClientAuth.Methods.Requires(AuthBasic) {
		t.Errorf("rfc6749 requirements: grants %v, methods %v", d.GrantTypes, d.ClientAuth.Methods)
	}
	// The seeds keep theirs.
	if m := MustLoad("merchant-customer"); m.TokenRequest.DefaultGrantType != GrantClientCredentials || !m.RequiresRefreshFor(GrantClientCredentials) {
		t.Errorf("merchant-customer: %+v", m)
	}
	if o := MustLoad("oob-pkce"); o.AccessToken.Alg != "HS256" || o.ClientAuth.APIKeyHeader != "x-api-key" || o.Authorize.OOBRedirectURI == "" {
		t.Errorf("oob-pkce: %+v", o)
	}
}

func TestDialectValidate(t *testing.T) {
	const base = "name: t\nendpoints: {token: /token}\ngrant_types: {allowed: [client_credentials]}\nclient_auth: {methods: {allowed: [client_secret_basic]}}\ntoken_response_schema: token-response.json\n"
	tests := []struct {
		name, doc, field string
	}{
		{"valid", base, ""},
		{"no name", strings.Replace(base, "name: t\n", "", 1), "name"},
		{"relative path", strings.Replace(base, "token: /token", "token: token", 1), "endpoints.token"},
		{"unknown grant", strings.Replace(base, "[client_credentials]", "[device_code]", 1), "grant_types.allowed"},
		{"required not allowed", strings.Replace(base, "{allowed: [client_credentials]}", "{allowed: [client_credentials], required: [password]}", 1), "grant_types.required"},
		{"no method", strings.Replace(base, "[client_secret_basic]", "[]", 1), "client_auth.methods.allowed"},
		{"code grant without code response", strings.Replace(base, "[client_credentials]", "[authorization_code]", 1), "response_types.allowed"},
		{"bad format", base + "access_token: {format: macaroon}\n", "access_token.format"},
		{"alg on opaque", base + "access_token: {format: opaque, alg: HS256}\n", "access_token"},
		{"bad alg", base + "access_token: {format: jwt, alg: none}\n", "access_token.alg"},
		{"9068 typ", base + "access_token: {format: jwt-rfc9068, typ: JWT}\n", "access_token.typ"},
		{"not bearer", base + "access_token: {token_type: mac}\n", "access_token.token_type"},
		{"bad rotation", base + "refresh_token: {rotation: sometimes}\n", "refresh_token.rotation"},
		{"refresh required without grant", base + "refresh_token: {issue_for: [client_credentials]}\n", "refresh_token.issue_for"},
		{"bad pkce", base + "pkce: {support: maybe}\n", "pkce.support"},
		{"methods without pkce", base + "pkce: {support: unsupported, methods: [S256]}\n", "pkce.methods"},
		{"bad scope", base + "scopes: {supported: [\"a b\"]}\n", "scopes.supported"},
		{"default outside vocabulary", base + "scopes: {supported: [a], default: b}\n", "scopes.default"},
		{"bad unknown policy", base + "scopes: {unknown: drop}\n", "scopes.unknown"},
		{"oob without page", base + "authorize: {oob_redirect_uri: urn:x}\n", "endpoints.oob"},
		{"rule without scopes", base + "resources: {rules: [{method: GET, path: /x}]}\n", "resources.rules[0].scopes"},
		{"no schema", strings.Replace(base, "token_response_schema: token-response.json\n", "", 1), "token_response_schema"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse([]byte(tt.doc))
			if tt.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				if d.AccessToken.Format != FormatAny || d.RefreshToken.Rotation != RotationAny || d.TokenRequest.Encodings[0] != EncodingForm {
					t.Errorf("omitted freedoms not made explicit: %+v", d)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.field+":") {
				t.Errorf("err = %v, want one naming %s", err, tt.field)
			}
		})
	}
	if _, err := Parse([]byte(base + "extra_key: 1\n")); err == nil {
		t.Error("an unknown key was accepted")
	}
}

func TestValidScopeTokenAndVSChars(t *testing.T) {
	for s, want := range map[string]bool{"read": true, "": false, "a b": false, `a"b`: false, `a\b`: false, "é": false, "!#$": true} {
		if ValidScopeToken(s) != want {
			t.Errorf("ValidScopeToken(%q) = %v", s, !want)
		}
	}
	for s, want := range map[string]bool{"a+b:c%/ d=~&": true, "é": false, "\t": false, "": true} {
		if VSChars(s) != want {
			t.Errorf("VSChars(%q) = %v", s, !want)
		}
	}
}
