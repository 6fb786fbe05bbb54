package target

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestYAMLErrorsNameLineAndPath: a mistake in a target file is reported as
// FILE:LINE: FIELD: what is wrong, with the nearest known key for a
// misspelt one, before any validation (so a misspelt role is not reported
// as a missing one).
func TestYAMLErrorsNameLineAndPath(t *testing.T) {
	const head = "profile: rfc6749\nissuer: https://as.example\n"
	tests := []struct {
		name, doc, want string
	}{
		{"misspelt client key", head + "clients:\n  primary:\n    id: c1\n    secert: s1\n",
			`:6: clients.primary.secert: unknown field; did you mean "secret"?`},
		{"misspelt role", head + "clients:\n  primray:\n    id: c1\n    secret: s1\n",
			`:4: clients.primray: unknown role; did you mean "primary"?`},
		{"unknown role far from any", head + "clients:\n  primary: {id: c1}\n  tertiary: {id: c3}\n",
			`:5: clients.tertiary: unknown role (known: primary, second, public, public-2, restricted, no-code, reserved-chars, multi-redirect, query-redirect, sacrificial)`},
		{"misspelt top-level key", "profile: rfc6749\nisuer: https://as.example\nclients:\n  primary: {id: c1}\n",
			`:2: isuer: unknown field; did you mean "issuer"?`},
		{"misspelt section", head + "clients:\n  primary: {id: c1}\nrefresh_tokens:\n  rotation: always\n",
			`:5: refresh_tokens: unknown field; did you mean "refresh_token"?`},
		{"misspelt nested key", head + "clients:\n  primary: {id: c1}\nrefresh_token:\n  rotaton: always\n",
			`:6: refresh_token.rotaton: unknown field; did you mean "rotation"?`},
		{"case slip", head + "clients:\n  primary: {id: c1, Secret: s}\n",
			`:4: clients.primary.Secret: unknown field; did you mean "secret"?`},
		{"nothing near", head + "clients:\n  primary: {id: c1}\nbananas: 3\n",
			`:5: bananas: unknown field (known: access_token, api_key, auth_methods, authorize_params, clients, code_lifetime, driver, endpoints, grant_types, headers, issuer, metadata, pkce, profile, rate_limit, refresh_grace, refresh_token, response_types, scopes, security_bcp, timeout, tls, user)`},
		{"string for a list", head + "clients:\n  primary:\n    id: c1\n    grant_types: client_credentials\n",
			`:6: clients.primary.grant_types: must be a list, e.g. [client_credentials], not the value "client_credentials"`},
		{"list for a value", head + "clients:\n  primary:\n    id: [c1, c2]\n",
			`:5: clients.primary.id: must be a single value, not a list`},
		{"value for a mapping", head + "clients: primary\n",
			`:3: clients: must be a mapping (name: value), not the value "primary"`},
		{"value for a section", head + "clients:\n  primary: {id: c1}\ntls: true\n",
			`:5: tls: must be a mapping (key: value), not the value "true"`},
		{"list item of the wrong shape", head + "clients:\n  primary: {id: c1}\nscopes:\n  supported:\n    - read\n    - {write: true}\n",
			`:8: scopes.supported[1]: must be a single value, not a mapping`},
		{"syntax error", head + "clients:\n  primary: {id: c1}\n  second: id: c2\n",
			`:5: mapping values are not allowed in this context`},
		{"duplicate key", head + "issuer: https://other.example\nclients:\n  primary: {id: c1}\n",
			`:3: mapping key "issuer" already defined at line 2`},
		{"not a mapping", "- issuer\n",
			`:1: a target file is a mapping (profile:, issuer:, clients:, ...), not a list`},
		{"validation error on its line", head + "clients:\n  primary: {id: c1}\npkce: optional\n",
			`:5: pkce: "optional" is not one of unsupported, supported, required`},
		{"validation error of a nested field", head + "clients:\n  primary:\n    id: c1\n    require_pkce: sometimes\n",
			`:6: clients.primary.require_pkce: "sometimes" is not true or false`},
		{"validation error of a list item", head + "clients:\n  primary: {id: c1}\ngrant_types:\n  - client_credentials\n  - device_code\n",
			`:7: grant_types[1]: "device_code" is not one of`},
		{"a missing field points at its section", head + "clients:\n  second: {id: c2, secret: s}\n",
			`:3: clients.primary: required`},
		{"a missing field has no line", "profile: rfc6749\nclients:\n  primary: {id: c1}\n",
			`target.yaml: issuer: required`},
		{"an anchor is checked where it is used", head + "x-base: &base {id: c1}\nclients:\n  primary: *base\n",
			`:3: x-base: unknown field`},
		{"a merged mapping is checked as part of its target", head + "clients:\n  primary:\n    <<: {id: c1, secert: s}\n",
			`:5: clients.primary.secert: unknown field; did you mean "secret"?`},
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "target.yaml")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.WriteFile(file, []byte(tt.doc), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Load(file)
			if err == nil || !strings.HasPrefix(err.Error(), file) || !strings.Contains(err.Error(), tt.want) ||
				!strings.HasPrefix(tt.want, ":") && err.Error() != file+": "+strings.TrimPrefix(tt.want, "target.yaml: ") {
				t.Fatalf("err = %v\nwant %s%s", err, file, tt.want)
			}
		})
	}
}

// TestYAMLStrictnessKept: what the walk lets through, the strict decoder
// still refuses, and every key of the documented example targets is known.
func TestYAMLStrictnessKept(t *testing.T) {
	clearEnv(t)
	files, _ := filepath.Glob("../../fixtures/targets/*.yaml")
	for _, f := range files {
		if _, err := Load(f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	// A well-formed document of the right shape loads.
	doc := "profile: rfc6749\nissuer: https://as.example\nclients:\n  primary:\n    id: c1\n    secret: s1\n    grant_types: [client_credentials]\nscopes: {supported: [read], default: read}\nuser: ~\n"
	if _, err := Parse([]byte(doc), t.TempDir()); err != nil {
		t.Fatal(err)
	}
}
