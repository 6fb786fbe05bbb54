package target

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/oauthconform/oauthconform/fixtures"
	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/harness"
)

// clearEnv makes the example files fall back to their defaults even where
// the developer's shell sets the variables (":-" treats empty as unset).
func clearEnv(t *testing.T) {
	for _, v := range []string{"PRIMARY", "SECOND", "RESTRICTED", "NO_CODE", "RESERVED", "MULTI", "QUERY"} {
		t.Setenv("OAUTHCONFORM_"+v+"_SECRET", "")
	}
	t.Setenv("OAUTHCONFORM_USER_PASSWORD", "")
	t.Setenv("OAUTHCONFORM_API_KEY", "")
}

// examplePorts are the ports of `oauthconform serve --profile NAME --addr
// 127.0.0.1:PORT` that the example targets and the README's curl examples
// use.
var examplePorts = map[string]string{
	"rfc6749":           "8080",
	"oauth20-intents":   "8081",
	"merchant-customer": "8082",
	"oob-pkce":          "8083",
}

// mockChoices is the part of fixtures/mock/NAME.yaml (the mock's built-in
// settings) that the example targets declare. It is read here with a loose
// decoder so that the target package does not depend on the mock; what the
// file leaves empty the mock takes from the dialect, as below.
type mockChoices struct {
	Endpoints struct {
		Resource string `yaml:"resource"`
	} `yaml:"endpoints"`
	ClientAuth struct {
		Methods []string `yaml:"methods"`
	} `yaml:"client_auth"`
	Scopes struct {
		Supported []string `yaml:"supported"`
		Default   *string  `yaml:"default"`
	} `yaml:"scopes"`
	AccessToken struct {
		Format string `yaml:"format"`
		Alg    string `yaml:"alg"`
		Typ    string `yaml:"typ"`
	} `yaml:"access_token"`
	RefreshToken struct {
		Rotation string `yaml:"rotation"`
	} `yaml:"refresh_token"`
	Code struct {
		Lifetime string `yaml:"lifetime"`
	} `yaml:"code"`
	PKCE struct {
		Mode string `yaml:"mode"`
	} `yaml:"pkce"`
	Authorize struct {
		LoopbackPorts string `yaml:"loopback_ports"`
	} `yaml:"authorize"`
	SecurityBCP bool `yaml:"security_bcp"`
}

func loadMockChoices(t *testing.T, d *profile.Dialect) *mockChoices {
	t.Helper()
	b, err := fixtures.FS.ReadFile("mock/" + d.Name + ".yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m mockChoices
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatalf("mock/%s.yaml: %v", d.Name, err)
	}
	if len(m.ClientAuth.Methods) == 0 {
		m.ClientAuth.Methods = d.ClientAuth.Methods.Allowed
	}
	if m.Scopes.Supported == nil {
		m.Scopes.Supported = d.Scopes.Supported
	}
	if m.Scopes.Default == nil {
		// The mock grants the dialect's default, or no scope at all.
		m.Scopes.Default = &d.Scopes.Default
	}
	if m.AccessToken.Format == "" && d.AccessToken.Format != profile.FormatAny {
		m.AccessToken.Format = d.AccessToken.Format
	}
	if m.AccessToken.Alg == "" {
		m.AccessToken.Alg = d.AccessToken.Alg
	}
	if m.AccessToken.Typ == "" && m.AccessToken.Format == profile.FormatJWTRFC9068 {
		m.AccessToken.Typ = "at+jwt"
	}
	if m.Authorize.LoopbackPorts == "" {
		m.Authorize.LoopbackPorts = "any" // every client's loopback port may vary
	}
	switch m.PKCE.Mode {
	case "optional":
		m.PKCE.Mode = profile.PKCESupported
	case "":
		t.Fatalf("mock/%s.yaml names no pkce.mode", d.Name)
	}
	return &m
}

func TestExampleTargets(t *testing.T) {
	clearEnv(t)
	files, _ := filepath.Glob("../../fixtures/targets/*.yaml")
	names := profile.Names()
	if len(files) != len(names) {
		t.Fatalf("have %d example targets for %d profiles", len(files), len(names))
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			tg, err := Load(filepath.Join("../../fixtures/targets", name+".yaml"))
			if err != nil {
				t.Fatal(err)
			}
			d := tg.Dialect
			port, ok := examplePorts[name]
			if !ok {
				t.Fatalf("no port assigned to %s", name)
			}
			issuer := "http://127.0.0.1:" + port
			if d.Name != name || tg.Issuer != issuer {
				t.Errorf("dialect %q issuer %q, want %s on %s (oauthconform serve --profile %s --addr 127.0.0.1:%s)",
					d.Name, tg.Issuer, name, issuer, name, port)
			}
			if got, want := tg.URL(EndpointToken), issuer+d.Endpoints.Token; got != want {
				t.Errorf("token URL %q, want %q", got, want)
			}
			if len(tg.Warnings) > 0 {
				t.Errorf("warnings: %q", tg.Warnings)
			}

			// The declarations are the mock's choices.
			m := loadMockChoices(t, d)
			if tg.AccessToken != (AccessToken{m.AccessToken.Format, m.AccessToken.Alg, m.AccessToken.Typ}) {
				t.Errorf("access_token %+v, the mock issues %+v", tg.AccessToken, m.AccessToken)
			}
			if len(d.Scopes.Supported) == 0 || tg.Scopes.Supported != nil {
				// Where the dialect fixes the vocabulary the target may
				// leave it out; where it declares one, it is the mock's.
				if !slices.Equal(tg.Scopes.Supported, m.Scopes.Supported) || (tg.Scopes.Supported == nil) != (m.Scopes.Supported == nil) {
					t.Errorf("scopes.supported %q, the mock's %q", tg.Scopes.Supported, m.Scopes.Supported)
				}
			}
			if d.Scopes.Default == "" || tg.Scopes.Default != nil {
				if !reflect.DeepEqual(tg.Scopes.Default, m.Scopes.Default) {
					t.Errorf("scopes.default %v, the mock's %v", ptrStr(tg.Scopes.Default), ptrStr(m.Scopes.Default))
				}
			}
			if tg.Rotation != m.RefreshToken.Rotation {
				t.Errorf("refresh_token.rotation %q, the mock's %q", tg.Rotation, m.RefreshToken.Rotation)
			}
			if tg.PKCE != m.PKCE.Mode {
				t.Errorf("pkce %q, the mock's %q", tg.PKCE, m.PKCE.Mode)
			}
			var lifetime time.Duration
			if m.Code.Lifetime != "" {
				lifetime, _ = time.ParseDuration(m.Code.Lifetime)
			}
			if d.Endpoints.Authorize != "" && tg.CodeLifetime != lifetime || d.Endpoints.Authorize == "" && tg.CodeLifetime != 0 {
				t.Errorf("code_lifetime %s, the mock's %s", tg.CodeLifetime, lifetime)
			}
			// security_bcp is declared where the mock claims RFC 9700, and
			// only there.
			if m.SecurityBCP != (tg.SecurityBCP != nil && *tg.SecurityBCP) || !m.SecurityBCP && tg.SecurityBCP != nil {
				t.Errorf("security_bcp %v, the mock claims it: %v", ptrBool(tg.SecurityBCP), m.SecurityBCP)
			}
			if got, want := tg.URL(EndpointResource), issuer+m.Endpoints.Resource; m.Endpoints.Resource != "" && got != want {
				t.Errorf("resource URL %q, want %q", got, want)
			}

			// Every client must match what the mock registers for this
			// dialect, or the suites would test against wrong credentials.
			oob := d.Authorize.OOBRedirectURI
			reg := profile.DefaultFixtures().ForDialect(m.ClientAuth.Methods, oob)
			for role, c := range tg.Clients {
				fc, ok := reg.Client(c.ID)
				if !ok {
					t.Errorf("%s: client %q is not registered for %s", role, c.ID, name)
					continue
				}
				// Redirect URIs may be left out where the dialect has no
				// authorize endpoint.
				urisDiffer := len(c.RedirectURIs) > 0 && !slices.Equal(fc.RedirectURIs, c.RedirectURIs)
				if d.Endpoints.Authorize != "" && len(c.RedirectURIs) == 0 {
					t.Errorf("%s: no redirect URI, but %s has an authorize endpoint", role, name)
				}
				if fc.Role != role || fc.Secret != c.Secret || urisDiffer {
					t.Errorf("%s: client %q differs from fixtures: role %q, redirect URIs %v vs %v, secrets equal %v",
						role, c.ID, fc.Role, fc.RedirectURIs, c.RedirectURIs, fc.Secret == c.Secret)
				}
				if c.AuthMethod != "" && !slices.Contains(m.ClientAuth.Methods, c.AuthMethod) {
					t.Errorf("%s: auth method %s not offered by the mock of %s", role, c.AuthMethod, name)
				}
				// A fixture restricted to some grants is declared with the
				// ones of them the dialect has (none at all is declared []).
				var wantGrants []string
				if fc.GrantTypes != nil {
					wantGrants = slices.DeleteFunc(slices.Clone(fc.GrantTypes), func(g string) bool { return !d.GrantTypes.Allows(g) })
				}
				if !slices.Equal(c.GrantTypes, wantGrants) || (c.GrantTypes == nil) != (wantGrants == nil) {
					t.Errorf("%s: grant_types %q, the fixture registers %q", role, c.GrantTypes, wantGrants)
				}
				if fc.RequirePKCE != (c.RequirePKCE != nil && *c.RequirePKCE) {
					t.Errorf("%s: require_pkce %v, the fixture says %v", role, ptrBool(c.RequirePKCE), fc.RequirePKCE)
				}
				// native is declared where the fixture says so, or where the
				// mock lets every client's loopback port vary.
				if c.Native && !fc.Native && m.Authorize.LoopbackPorts != "any" || !c.Native && fc.Native {
					t.Errorf("%s: native %v, the fixture says %v, the mock's loopback ports %q", role, c.Native, fc.Native, m.Authorize.LoopbackPorts)
				}
			}
			if u := reg.Users[0]; tg.User == nil || tg.User.Username != u.Username || tg.User.Password != u.Password {
				t.Errorf("user does not match fixtures")
			}
			if h := d.ClientAuth.APIKeyHeader; h != "" {
				if got := tg.HTTPOptions().Headers.Get(h); got != string(reg.APIKeys[0]) {
					t.Errorf("API key header %s = %q", h, got)
				}
			}
			// form works against `oauthconform serve` (its HTML login
			// page); mock exists only in process.
			switch {
			case d.Endpoints.Authorize != "" && tg.Driver.Kind != DriverForm:
				t.Errorf("driver %q: a dialect with an authorize endpoint should use the form driver", tg.Driver.Kind)
			case d.Endpoints.Authorize == "" && tg.Driver.Kind != "":
				t.Errorf("driver %q on a dialect without an authorize endpoint", tg.Driver.Kind)
			}
		})
	}
}

func ptrStr(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%q", *p)
}

func ptrBool(p *bool) string {
	if p == nil {
		return "<nil>"
	}
	return fmt.Sprint(*p)
}

func TestExampleTargetsTakeSecretsFromEnv(t *testing.T) {
	clearEnv(t)
	t.Setenv("OAUTHCONFORM_PRIMARY_SECRET", "from-env")
	t.Setenv("OAUTHCONFORM_NO_CODE_SECRET", "no-code-from-env")
	tg, err := Load("../../fixtures/targets/rfc6749.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := tg.Client(profile.RolePrimary); c.Secret != "from-env" {
		t.Errorf("secret not taken from the environment")
	}
	if c, _ := tg.Client(profile.RoleNoCode); c.Secret != "no-code-from-env" {
		t.Errorf("no-code secret not taken from the environment")
	}
}

func TestExpand(t *testing.T) {
	t.Setenv("TGT_SET", "value")
	t.Setenv("TGT_EMPTY", "")
	t.Setenv("TGT_NESTED", "x${TGT_SET}$$y")
	os.Unsetenv("TGT_UNSET")
	tests := []struct {
		in, want, err string
	}{
		{in: "plain", want: "plain"},
		{in: "${TGT_SET}", want: "value"},
		{in: "a-${TGT_SET}-${TGT_SET}-b", want: "a-value-value-b"},
		{in: "${TGT_UNSET:-def ault}", want: "def ault"},
		{in: "${TGT_EMPTY:-def}", want: "def"},
		{in: "${TGT_SET:-def}", want: "value"},
		{in: "${TGT_UNSET:-}", want: ""},
		{in: "${TGT_EMPTY}", want: ""},
		{in: "${TGT_NESTED}", want: "x${TGT_SET}$$y"}, // no second pass
		{in: "$${TGT_SET}", want: "${TGT_SET}"},
		{in: "pa$$word$", want: "pa$$word$"},
		{in: "${TGT_UNSET:-a:-b}", want: "a:-b"},
		{in: "${TGT_UNSET:-a+b:c%/ d=~&}", want: "a+b:c%/ d=~&"},
		{in: "${TGT_UNSET}", err: "environment variable TGT_UNSET is not set"},
		{in: "${TGT_SET", err: "unterminated"},
		{in: "${}", err: "not a valid environment variable name"},
		{in: "${1X}", err: "not a valid environment variable name"},
		{in: "${A B}", err: "not a valid environment variable name"},
	}
	for _, tt := range tests {
		got, err := expand(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("expand(%q) = %q, %v; want error %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("expand(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// minimal is a valid document that tests extend.
const minimal = "issuer: https://as.example\nclients:\n  primary: {id: c1, secret: s1}\n"

// minimalPublic is minimal for a dialect of public clients only (oob-pkce).
const minimalPublic = "issuer: https://as.example\nclients:\n  primary: {id: c1}\n"

// writeProgram writes an executable script (or, with mode 0o644, a plain
// file) at dir/rel.
func writeProgram(t *testing.T, dir, rel string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("#!/bin/sh\necho code=x\n"), mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestParseErrorsNameTheField(t *testing.T) {
	os.Unsetenv("TGT_UNSET")
	dir := t.TempDir()
	writeProgram(t, dir, "plain.txt", 0o644)
	if err := os.Mkdir(filepath.Join(dir, "adir"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, doc, want string
	}{
		{"empty", "", "target: empty document"},
		{"unknown key", minimal + "isuer: x\n", `target: isuer: unknown field; did you mean "issuer"? (line 4)`},
		{"unknown nested key", "issuer: https://as.example\nclients:\n  primary: {id: c1, secret: s1, scope: x}\n", `target: clients.primary.scope: unknown field; did you mean "scopes"?`},
		{"unknown access_token key", minimal + "access_token: {format: jwt, claims: [sub]}\n", "target: access_token.claims: unknown field (known: alg, format, typ)"},
		{"wrong type", minimal + "driver: {command: x}\n", "target: driver.command: must be a list, e.g. [x], not the value \"x\""},
		{"unknown profile", minimal + "profile: nope\n", "target: profile: "},
		{"missing profile file", minimal + "profile: ./nope.yaml\n", "target: profile: "},
		{"no issuer", "clients:\n  primary: {id: c1, secret: s1}\n", "target: issuer: required"},
		{"bad issuer", "issuer: ftp://as.example\nclients:\n  primary: {id: c1, secret: s1}\n", "target: issuer: "},
		{"issuer with query", "issuer: https://as.example/?x=1\nclients:\n  primary: {id: c1, secret: s1}\n", "target: issuer: "},
		{"bad endpoint", minimal + "endpoints: {token: token}\n", "target: endpoints.token: "},
		{"bad none spelling", minimal + "endpoints: {revocation: None}\n", "target: endpoints.revocation: "},
		{"endpoint with fragment", minimal + "endpoints: {jwks: \"https://as.example/jwks#x\"}\n", "target: endpoints.jwks: "},
		{"no token endpoint", minimal + "endpoints: {token: none}\n", "target: endpoints.token: every server has a token endpoint"},
		{"no primary", "issuer: https://as.example\nclients:\n  second: {id: c2, secret: s2}\n", "target: clients.primary: required"},
		{"no client id", "issuer: https://as.example\nclients:\n  primary: {secret: s1}\n", "target: clients.primary.id: required"},
		{"unknown role", minimal + "  tertiary: {id: c3}\n", "target: clients.tertiary: unknown role"},
		{"basic without secret", "issuer: https://as.example\nclients:\n  primary: {id: c1, auth_method: client_secret_basic}\n", "target: clients.primary.secret: required"},
		{"post without secret", "issuer: https://as.example\nclients:\n  primary: {id: c1, auth_method: client_secret_post}\n", "target: clients.primary.secret: required"},
		{"none with secret", "issuer: https://as.example\nclients:\n  primary: {id: c1, secret: s, auth_method: none}\n", "target: clients.primary.auth_method: "},
		{"bad auth method", "issuer: https://as.example\nclients:\n  primary: {id: c1, secret: s, auth_method: private_key_jwt}\n", "target: clients.primary.auth_method: "},
		{"bad redirect", "issuer: https://as.example\nclients:\n  primary: {id: c1, secret: s, redirect_uris: [/cb]}\n", "target: clients.primary.redirect_uris[0]: "},
		{"bad client scope", "issuer: https://as.example\nclients:\n  primary: {id: c1, secret: s, scopes: [\"a b\"]}\n", "target: clients.primary.scopes[0]: "},
		{"bad client grant", "issuer: https://as.example\nclients:\n  primary: {id: c1, secret: s, grant_types: [authorization_code, device_code]}\n", "target: clients.primary.grant_types[1]: \"device_code\" is not one of"},
		{"bad client response type", "issuer: https://as.example\nclients:\n  primary: {id: c1, secret: s, response_types: [id_token]}\n", "target: clients.primary.response_types[0]: "},
		{"bad require_pkce", "issuer: https://as.example\nclients:\n  primary: {id: c1, require_pkce: sometimes}\n", "target: clients.primary.require_pkce: \"sometimes\" is not true or false"},
		{"bad require_pkce from env", "issuer: https://as.example\nclients:\n  primary:\n    id: c1\n    require_pkce: ${TGT_UNSET:-yes please}\n", "target: clients.primary.require_pkce: \"yes please\""},
		{"bad native", "issuer: https://as.example\nclients:\n  primary: {id: c1, native: 2}\n", "target: clients.primary.native: "},
		{"missing env", "issuer: https://as.example\nclients:\n  primary: {id: c1, secret: \"${TGT_UNSET}\"}\n", "target: clients.primary.secret: environment variable TGT_UNSET is not set"},
		{"missing env in bool", "issuer: https://as.example\nclients:\n  primary: {id: c1, native: \"${TGT_UNSET}\"}\n", "target: clients.primary.native: environment variable TGT_UNSET"},
		{"missing env in list", minimal + "driver: {kind: command, command: [sh, \"${TGT_UNSET}\"]}\n", "target: driver.command[1]: environment variable TGT_UNSET"},
		{"missing env in duration", minimal + "code_lifetime: \"${TGT_UNSET}\"\n", "target: code_lifetime: environment variable TGT_UNSET"},
		{"empty user", minimal + "user: {password: p}\n", "target: user.username: required"},
		{"bad driver", minimal + "driver: {kind: selenium}\n", "target: driver.kind: "},
		{"command without argv", minimal + "driver: {kind: command}\n", "target: driver.command: required"},
		{"argv without command", minimal + "driver: {kind: form, command: [x]}\n", "target: driver.command: only"},
		{"fields without form", minimal + "driver: {kind: mock, fields: {username: u}}\n", "target: driver.fields: only"},
		{"missing program", minimal + "driver: {kind: command, command: [./login.sh]}\n", "target: driver.command[0]: the program " + filepath.Join(dir, "login.sh") + " does not exist (a relative path is relative to the target file)"},
		{"missing program in subdir", minimal + "driver: {kind: command, command: [scripts/login.sh]}\n", "relative to the target file"},
		{"program not executable", minimal + "driver: {kind: command, command: [./plain.txt]}\n", "target: driver.command[0]: " + filepath.Join(dir, "plain.txt") + " is not executable"},
		{"program is a directory", minimal + "driver: {kind: command, command: [./adir]}\n", "target: driver.command[0]: " + filepath.Join(dir, "adir") + " is a directory"},
		{"program nowhere", minimal + "driver: {kind: command, command: [oauthconform-no-such-program]}\n", "target: driver.command[0]: the program \"oauthconform-no-such-program\" is neither beside the target file nor in PATH"},
		{"bad header", minimal + "headers: {\"x key\": v}\n", "target: headers.x key: "},
		{"bad timeout", minimal + "timeout: soon\n", "target: timeout: "},
		{"negative timeout", minimal + "timeout: -1s\n", "target: timeout: "},
		{"bad rate", minimal + "rate_limit: fast\n", "target: rate_limit: "},
		{"negative rate", minimal + "rate_limit: -1\n", "target: rate_limit: "},
		{"bad insecure", minimal + "tls: {insecure: maybe}\n", "target: tls.insecure: "},
		{"missing ca file", minimal + "tls: {ca_file: none.pem}\n", "target: tls.ca_file: "},
		{"bad scope", minimal + "scopes: {s1: \"a\\\\b\"}\n", "target: scopes.s1: "},
		{"bad supported scope", minimal + "scopes: {supported: [read, \"a\\\"b\"]}\n", "target: scopes.supported[1]: "},
		{"bad required scope", minimal + "scopes: {required: [\"\"]}\n", "target: scopes.required[0]: "},
		{"bad refresh scope", minimal + "scopes: {refresh: [\"off line\"]}\n", "target: scopes.refresh[0]: "},
		{"bad default scope", minimal + "scopes: {default: \"read \\\\x\"}\n", "target: scopes.default: "},
		{"bad authorize param", minimal + "authorize_params: {prompt: \"a\\nb\"}\n", "target: authorize_params.prompt: "},
		{"missing env in authorize param", minimal + "authorize_params: {prompt: \"${TGT_UNSET}\"}\n", "target: authorize_params.prompt: environment variable"},
		{"bad grant type", minimal + "grant_types: [client_credentials, device_code]\n", "target: grant_types[1]: \"device_code\" is not one of authorization_code, password, client_credentials, refresh_token"},
		{"grant outside the dialect", minimal + "profile: merchant-customer\ngrant_types: [authorization_code]\n", "target: grant_types: \"authorization_code\" is not a grant of the merchant-customer dialect"},
		{"bad response type", minimal + "response_types: [code, id_token]\n", "target: response_types[1]: "},
		{"bad auth methods", minimal + "auth_methods: [client_secret_basic, private_key_jwt]\n", "target: auth_methods[1]: "},
		{"bad format", minimal + "access_token: {format: jwe}\n", "target: access_token.format: \"jwe\" is not one of opaque, jwt, jwt-rfc9068"},
		{"format any is not a declaration", minimal + "access_token: {format: any}\n", "target: access_token.format: "},
		{"opaque on oob-pkce", minimalPublic + "profile: oob-pkce\naccess_token: {format: opaque}\n", "target: access_token.format: \"opaque\" contradicts the oob-pkce dialect, whose access tokens are jwt"},
		{"opaque on oauth20-intents", minimal + "profile: oauth20-intents\naccess_token: {format: opaque}\n", "target: access_token.format: \"opaque\" contradicts the oauth20-intents dialect"},
		{"alg on opaque", minimal + "access_token: {format: opaque, alg: RS256}\n", "target: access_token: alg and typ describe JWTs"},
		{"typ on opaque", minimal + "access_token: {format: opaque, typ: at+jwt}\n", "target: access_token: "},
		{"bad pkce", minimal + "pkce: optional\n", "target: pkce: \"optional\" is not one of unsupported, supported, required"},
		{"pkce any", minimal + "pkce: any\n", "target: pkce: "},
		{"bad rotation", minimal + "refresh_token: {rotation: sometimes}\n", "target: refresh_token.rotation: \"sometimes\" is not one of always, public-only, never"},
		{"rotation any", minimal + "refresh_token: {rotation: any}\n", "target: refresh_token.rotation: "},
		{"bad grace", minimal + "refresh_token: {grace: soon}\n", "target: refresh_token.grace: "},
		{"bad code lifetime", minimal + "code_lifetime: 1\n", "target: code_lifetime: "},
		{"negative code lifetime", minimal + "code_lifetime: -1m\n", "target: code_lifetime: must not be negative"},
		{"negative grace", minimal + "refresh_grace: -5s\n", "target: refresh_grace: "},
		{"bad metadata", minimal + "metadata: perhaps\n", "target: metadata: "},
		{"bad security_bcp", minimal + "security_bcp: mostly\n", "target: security_bcp: \"mostly\" is not true or false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg, err := Parse([]byte(tt.doc), dir)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
			if tg != nil {
				t.Error("a target returned with an error")
			}
		})
	}
}

func TestLoadNamesTheFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "t.yaml")
	if err := os.WriteFile(file, []byte(minimal+"pkce: maybe\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(file)
	if err == nil || !strings.HasPrefix(err.Error(), file+":4: pkce: ") {
		t.Errorf("err = %v", err)
	}
	if _, err := Load(filepath.Join(dir, "nope.yaml")); err == nil || !strings.HasPrefix(err.Error(), "target: ") {
		t.Errorf("missing file: err = %v", err)
	}
}

func TestSecretsSurviveYAMLAndStayRedacted(t *testing.T) {
	nasty := "a: b #c - \"q\" 'q' ${NOT_EXPANDED} {x}: [y] & *z % @ `"
	t.Setenv("TGT_NASTY", nasty)
	t.Setenv("TGT_NASTY_NL", nasty+"\n- item")
	doc := minimal + "user: {username: alice, password: \"${TGT_NASTY_NL}\"}\napi_key: \"${TGT_NASTY}\"\nheaders:\n  x-extra: ${TGT_NASTY}\n"
	tg, err := Parse([]byte(doc), ".")
	if err != nil {
		t.Fatal(err)
	}
	if string(tg.User.Password) != nasty+"\n- item" || string(tg.APIKey) != nasty || string(tg.Headers["x-extra"]) != nasty {
		t.Errorf("secret changed: %q", tg.User.Password)
	}
	// A line break would smuggle a header: refused, without echoing the value.
	_, err = Parse([]byte(minimal+"headers:\n  x-extra: ${TGT_NASTY_NL}\n"), ".")
	if err == nil || !strings.Contains(err.Error(), "target: headers.x-extra: value holds a line break") || strings.Contains(err.Error(), "NOT_EXPANDED") {
		t.Errorf("err = %v", err)
	}
	printed := fmt.Sprintf("%v %+v %#v %s", tg.User, *tg.User, tg.APIKey, tg.Headers)
	if strings.Contains(printed, "NOT_EXPANDED") {
		t.Errorf("secret printed: %s", printed)
	}
}

// TestNothingAssumed: a minimal target declares nothing, and nothing is
// filled in but the request timeout.
func TestNothingAssumed(t *testing.T) {
	for _, doc := range []string{minimal, "issuer: https://as.example\nclients:\n  primary: {id: p}\n"} {
		tg, err := Parse([]byte(doc), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		if tg.Dialect.Name != profile.DefaultName || tg.Timeout != harness.DefaultTimeout || tg.RateLimit != 0 {
			t.Errorf("dialect %s timeout %s rate %v", tg.Dialect.Name, tg.Timeout, tg.RateLimit)
		}
		if !reflect.DeepEqual(tg.Scopes, Scopes{}) || tg.Scopes.Declared() {
			t.Errorf("scopes invented: %+v", tg.Scopes)
		}
		if tg.CodeLifetime != 0 || tg.RefreshGrace != 0 {
			t.Errorf("code lifetime %s grace %s", tg.CodeLifetime, tg.RefreshGrace)
		}
		c, _ := tg.Client(profile.RolePrimary)
		if c.AuthMethod != "" || c.GrantTypes != nil || c.ResponseTypes != nil || c.Scopes != nil || c.RequirePKCE != nil || c.Native {
			t.Errorf("client registration invented: %+v", c)
		}
		if tg.GrantTypes != nil || tg.ResponseTypes != nil || tg.AuthMethods != nil {
			t.Errorf("grants %v response types %v methods %v", tg.GrantTypes, tg.ResponseTypes, tg.AuthMethods)
		}
		if tg.AccessToken != (AccessToken{}) || tg.PKCE != "" || tg.Rotation != "" || tg.Metadata != nil || tg.SecurityBCP != nil {
			t.Errorf("format %+v pkce %q rotation %q metadata %v bcp %v", tg.AccessToken, tg.PKCE, tg.Rotation, tg.Metadata, tg.SecurityBCP)
		}
		if tg.AuthorizeParams != nil || tg.Headers != nil || tg.APIKey != "" || tg.Endpoints != (Endpoints{}) {
			t.Errorf("params %v headers %v endpoints %+v", tg.AuthorizeParams, tg.Headers, tg.Endpoints)
		}
		if _, ok := tg.Client(profile.RoleSecond); ok {
			t.Error("second client invented")
		}
		if tg.Driver.Kind != "" || tg.User != nil || len(tg.Warnings) > 0 {
			t.Errorf("driver %q user %v warnings %q", tg.Driver.Kind, tg.User, tg.Warnings)
		}
	}
}

func TestDeclarations(t *testing.T) {
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	prof, _ := fixtures.FS.ReadFile("profiles/rfc6749.yaml")
	custom := strings.Replace(string(prof), "name: rfc6749", "name: custom", 1)
	custom = strings.Replace(custom, "token: /token", "token: /t", 1)
	if err := os.WriteFile(filepath.Join(dir, "custom.yaml"), []byte(custom), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TGT_RATE", "2.5")
	t.Setenv("TGT_TRUE", "true")
	t.Setenv("TGT_FALSE", "false")
	t.Setenv("TGT_LIFETIME", "5m")
	t.Setenv("TGT_FORMAT", "jwt-rfc9068")
	t.Setenv("TGT_SCOPE", "offline_access")
	os.Unsetenv("TGT_UNSET")
	cl := func(fields string) string {
		return "issuer: https://as.example\nclients:\n  primary:\n    id: c\n    secret: s\n" + fields
	}

	tests := []struct {
		name  string
		doc   string
		check func(*testing.T, *Target)
	}{
		{"typed values from env", minimal + "rate_limit: ${TGT_RATE}\ntimeout: \"${TGT_UNSET:-3s}\"\ntls: {insecure: \"${TGT_UNSET:-true}\", ca_file: ca.pem}\ncode_lifetime: 10m\nrefresh_grace: 30s\n",
			func(t *testing.T, tg *Target) {
				if tg.RateLimit != 2.5 || tg.Timeout != 3*time.Second || !tg.TLS.Insecure || tg.TLS.CAFile != ca {
					t.Errorf("rate %v timeout %s tls %+v", tg.RateLimit, tg.Timeout, tg.TLS)
				}
				if tg.CodeLifetime != 10*time.Minute || tg.RefreshGrace != 30*time.Second {
					t.Errorf("code lifetime %s grace %s", tg.CodeLifetime, tg.RefreshGrace)
				}
				o := tg.HTTPOptions()
				if o.RateLimit != 2.5 || o.Timeout != 3*time.Second || !o.Insecure || o.CAFile != ca || o.BaseURL != "https://as.example" {
					t.Errorf("HTTPOptions %+v", o)
				}
			}},
		{"access token", minimal + "access_token: {format: jwt, alg: RS256, typ: JWT}\n", func(t *testing.T, tg *Target) {
			if tg.AccessToken != (AccessToken{profile.FormatJWT, "RS256", "JWT"}) {
				t.Errorf("access token %+v", tg.AccessToken)
			}
		}},
		{"access token format from env", minimal + "access_token:\n  format: ${TGT_FORMAT}\n  typ: ${TGT_UNSET:-at+jwt}\n", func(t *testing.T, tg *Target) {
			if tg.AccessToken != (AccessToken{Format: profile.FormatJWTRFC9068, Typ: "at+jwt"}) {
				t.Errorf("access token %+v", tg.AccessToken)
			}
		}},
		{"opaque", minimal + "access_token: {format: opaque}\n", func(t *testing.T, tg *Target) {
			if tg.AccessToken.Format != profile.FormatOpaque {
				t.Errorf("format %q", tg.AccessToken.Format)
			}
		}},
		{"rfc9068 satisfies a jwt dialect", minimalPublic + "profile: oob-pkce\naccess_token: {format: jwt-rfc9068}\n", func(t *testing.T, tg *Target) {
			if tg.AccessToken.Format != profile.FormatJWTRFC9068 {
				t.Errorf("format %q", tg.AccessToken.Format)
			}
		}},
		{"scopes", minimal + "scopes:\n  supported: [openid, read, write, offline_access]\n  default: read write\n  required: [openid]\n  refresh: [\"${TGT_SCOPE}\"]\n  s1: read\n  s2: write\n  s3: \"${TGT_UNSET:-admin}\"\n",
			func(t *testing.T, tg *Target) {
				want := Scopes{S1: "read", S2: "write", S3: "admin", Supported: []string{"openid", "read", "write", "offline_access"},
					Default: new("read write"), Required: []string{"openid"}, Refresh: []string{"offline_access"}}
				if !reflect.DeepEqual(tg.Scopes, want) || !tg.Scopes.Declared() {
					t.Errorf("scopes %+v", tg.Scopes)
				}
			}},
		{"explicit s1 only", minimal + "scopes: {s1: a}\n", func(t *testing.T, tg *Target) {
			if !reflect.DeepEqual(tg.Scopes, Scopes{S1: "a"}) || !tg.Scopes.Declared() {
				t.Errorf("scopes %+v", tg.Scopes)
			}
		}},
		{"empty vocabulary is declared", minimal + "scopes: {supported: []}\n", func(t *testing.T, tg *Target) {
			if tg.Scopes.Supported == nil || len(tg.Scopes.Supported) != 0 || !tg.Scopes.Declared() {
				t.Errorf("supported %#v declared %v", tg.Scopes.Supported, tg.Scopes.Declared())
			}
		}},
		{"authorize params", minimal + "authorize_params:\n  prompt: consent\n  acr_values: \"${TGT_UNSET:-urn:mace:incommon:iap:silver}\"\n", func(t *testing.T, tg *Target) {
			if !reflect.DeepEqual(tg.AuthorizeParams, map[string]string{"prompt": "consent", "acr_values": "urn:mace:incommon:iap:silver"}) {
				t.Errorf("authorize params %v", tg.AuthorizeParams)
			}
		}},
		{"grants, response types and methods", minimal + "grant_types: [authorization_code, refresh_token]\nresponse_types: [code]\nauth_methods: [client_secret_post]\n", func(t *testing.T, tg *Target) {
			if !slices.Equal(tg.GrantTypes, []string{"authorization_code", "refresh_token"}) || !slices.Equal(tg.ResponseTypes, []string{"code"}) ||
				!slices.Equal(tg.AuthMethods, []string{"client_secret_post"}) {
				t.Errorf("grants %v response types %v methods %v", tg.GrantTypes, tg.ResponseTypes, tg.AuthMethods)
			}
		}},
		{"empty lists are declarations", minimal + "grant_types: [client_credentials]\nresponse_types: []\n", func(t *testing.T, tg *Target) {
			if tg.ResponseTypes == nil || len(tg.ResponseTypes) != 0 {
				t.Errorf("response types %#v", tg.ResponseTypes)
			}
		}},
		{"pkce and rotation", minimal + "pkce: required\nrefresh_token: {rotation: public-only, grace: 10s}\n", func(t *testing.T, tg *Target) {
			if tg.PKCE != profile.PKCERequired || tg.Rotation != profile.RotationPublicOnly || tg.RefreshGrace != 10*time.Second {
				t.Errorf("pkce %q rotation %q grace %s", tg.PKCE, tg.Rotation, tg.RefreshGrace)
			}
		}},
		{"pkce unsupported and rotation never", minimal + "pkce: unsupported\nrefresh_token: {rotation: never}\n", func(t *testing.T, tg *Target) {
			if tg.PKCE != profile.PKCEUnsupported || tg.Rotation != profile.RotationNever {
				t.Errorf("pkce %q rotation %q", tg.PKCE, tg.Rotation)
			}
		}},
		{"pkce and rotation from env", minimal + "pkce: \"${TGT_UNSET:-supported}\"\nrefresh_token:\n  rotation: ${TGT_UNSET:-always}\n  grace: ${TGT_UNSET:-2s}\n", func(t *testing.T, tg *Target) {
			if tg.PKCE != profile.PKCESupported || tg.Rotation != profile.RotationAlways || tg.RefreshGrace != 2*time.Second {
				t.Errorf("pkce %q rotation %q grace %s", tg.PKCE, tg.Rotation, tg.RefreshGrace)
			}
		}},
		{"code lifetime from env", minimal + "code_lifetime: ${TGT_LIFETIME}\n", func(t *testing.T, tg *Target) {
			if tg.CodeLifetime != 5*time.Minute {
				t.Errorf("code lifetime %s", tg.CodeLifetime)
			}
		}},
		{"security_bcp and metadata", minimal + "security_bcp: ${TGT_TRUE}\nmetadata: ${TGT_FALSE}\n", func(t *testing.T, tg *Target) {
			if tg.SecurityBCP == nil || !*tg.SecurityBCP || tg.Metadata == nil || *tg.Metadata {
				t.Errorf("security_bcp %s metadata %s", ptrBool(tg.SecurityBCP), ptrBool(tg.Metadata))
			}
		}},
		{"security_bcp false", minimal + "security_bcp: false\n", func(t *testing.T, tg *Target) {
			if tg.SecurityBCP == nil || *tg.SecurityBCP {
				t.Errorf("security_bcp %s", ptrBool(tg.SecurityBCP))
			}
		}},
		{"client registration", cl("    redirect_uri: https://c/cb\n    scopes: [read]\n    auth_method: client_secret_post\n    grant_types: [authorization_code]\n    response_types: [code]\n    require_pkce: true\n    native: true\n"),
			func(t *testing.T, tg *Target) {
				c, _ := tg.Client(profile.RolePrimary)
				want := &Client{ID: "c", Secret: "s", RedirectURIs: []string{"https://c/cb"}, Scopes: []string{"read"}, AuthMethod: profile.AuthPost,
					GrantTypes: []string{"authorization_code"}, ResponseTypes: []string{"code"}, RequirePKCE: new(true), Native: true}
				if !reflect.DeepEqual(c, want) {
					t.Errorf("client %+v", c)
				}
			}},
		{"client booleans from env", cl("    require_pkce: ${TGT_TRUE}\n    native: \"${TGT_UNSET:-true}\"\n"), func(t *testing.T, tg *Target) {
			c, _ := tg.Client(profile.RolePrimary)
			if c.RequirePKCE == nil || !*c.RequirePKCE || !c.Native {
				t.Errorf("require_pkce %s native %v", ptrBool(c.RequirePKCE), c.Native)
			}
		}},
		{"client booleans false from env", cl("    require_pkce: ${TGT_FALSE}\n    native: ${TGT_UNSET:-false}\n"), func(t *testing.T, tg *Target) {
			c, _ := tg.Client(profile.RolePrimary)
			if c.RequirePKCE == nil || *c.RequirePKCE || c.Native {
				t.Errorf("require_pkce %s native %v", ptrBool(c.RequirePKCE), c.Native)
			}
		}},
		{"require_pkce empty from env is undeclared", cl("    require_pkce: \"${TGT_UNSET:-}\"\n"), func(t *testing.T, tg *Target) {
			if c, _ := tg.Client(profile.RolePrimary); c.RequirePKCE != nil {
				t.Errorf("require_pkce %s", ptrBool(c.RequirePKCE))
			}
		}},
		{"client grant types from env", cl("    grant_types: [\"${TGT_UNSET:-client_credentials}\"]\n"), func(t *testing.T, tg *Target) {
			if c, _ := tg.Client(profile.RolePrimary); !slices.Equal(c.GrantTypes, []string{"client_credentials"}) {
				t.Errorf("grant types %v", c.GrantTypes)
			}
		}},
		{"client registered for no grant", cl("    grant_types: []\n"), func(t *testing.T, tg *Target) {
			if c, _ := tg.Client(profile.RolePrimary); c.GrantTypes == nil || len(c.GrantTypes) != 0 {
				t.Errorf("grant types %#v", c.GrantTypes)
			}
		}},
		{"redirect_uri and redirect_uris merge", cl("    redirect_uri: \"https://c/1\"\n    redirect_uris: [\"https://c/2\"]\n"),
			func(t *testing.T, tg *Target) {
				if c, _ := tg.Client(profile.RolePrimary); !slices.Equal(c.RedirectURIs, []string{"https://c/1", "https://c/2"}) || c.RedirectURI() != "https://c/1" {
					t.Errorf("redirect URIs %v", c.RedirectURIs)
				}
			}},
		{"oob redirect URI", "profile: oob-pkce\n" + minimalPublic + "  public: {id: p, redirect_uri: \"urn:ietf:wg:oauth:2.0:oob:auto\"}\n", func(t *testing.T, tg *Target) {
			if c, _ := tg.Client(profile.RolePublic); c.RedirectURI() != "urn:ietf:wg:oauth:2.0:oob:auto" || !c.Public() {
				t.Errorf("public client %+v", c)
			}
		}},
		{"profile file relative to the target", minimal + "profile: custom.yaml\n", func(t *testing.T, tg *Target) {
			if tg.Dialect.Name != "custom" || tg.URL(EndpointToken) != "https://as.example/t" || tg.Dir != dir {
				t.Errorf("dialect %s token %s dir %s", tg.Dialect.Name, tg.URL(EndpointToken), tg.Dir)
			}
		}},
		{"headers and api key", minimalPublic + "profile: oob-pkce\napi_key: k\nheaders: {X-Tenant: acme}\n", func(t *testing.T, tg *Target) {
			h := tg.HTTPOptions().Headers
			if h.Get("x-api-key") != "k" || h.Get("x-tenant") != "acme" || tg.APIKeyHeader() != "x-api-key" {
				t.Errorf("headers %v", h)
			}
		}},
		{"api key without profile header", minimal + "api_key: k\n", func(t *testing.T, tg *Target) {
			if tg.HTTPOptions().Headers.Get(DefaultAPIKeyHeader) != "k" {
				t.Error("api key not sent in the default header")
			}
		}},
		{"form fields", minimal + "driver: {kind: form, fields: {username: login, password: pw, consent: allow}}\n", func(t *testing.T, tg *Target) {
			if tg.Driver.Kind != DriverForm || tg.Driver.Fields != (FormFields{"login", "pw", "allow"}) || tg.Driver.Command != nil {
				t.Errorf("driver %+v", tg.Driver)
			}
		}},
		{"oob and mock drivers", minimal + "driver: {kind: oob}\n", func(t *testing.T, tg *Target) {
			if tg.Driver.Kind != DriverOOB {
				t.Errorf("driver %+v", tg.Driver)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg, err := Parse([]byte(tt.doc), dir)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, tg)
		})
	}
}

func TestScopesDefault(t *testing.T) {
	t.Setenv("TGT_EMPTY", "")
	os.Unsetenv("TGT_UNSET")
	tests := []struct {
		line string
		want *string
	}{
		{"", nil},
		{"scopes: {supported: [read]}\n", nil},
		{"scopes: {default: null}\n", nil},
		{"scopes: {default: \"\"}\n", new("")},
		{"scopes: {default: \"${TGT_EMPTY}\"}\n", new("")},
		{"scopes: {default: \"${TGT_UNSET:-}\"}\n", new("")},
		{"scopes: {default: read}\n", new("read")},
		{"scopes: {default: read write}\n", new("read write")},
		{"scopes: {default: \"${TGT_UNSET:-read}\"}\n", new("read")},
	}
	for _, tt := range tests {
		tg, err := Parse([]byte(minimal+tt.line), ".")
		if err != nil {
			t.Fatalf("%q: %v", tt.line, err)
		}
		if !reflect.DeepEqual(tg.Scopes.Default, tt.want) {
			t.Errorf("%q: Default %s, want %s", tt.line, ptrStr(tg.Scopes.Default), ptrStr(tt.want))
		}
	}
}

func TestEndpoints(t *testing.T) {
	doc := minimal + `endpoints:
  token: /oauth2/token
  authorize: https://login.example/authorize?tenant=t
  revocation: none
  introspection: "${TGT_UNSET:-none}"
  jwks: https://keys.example/jwks.json
  resource: /api/me
`
	os.Unsetenv("TGT_UNSET")
	tg, err := Parse([]byte(strings.Replace(doc, "issuer: https://as.example", "issuer: https://as.example/tenant", 1)), ".")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		e       Endpoint
		wantURL string
		wantSet bool
		url     string // URL(e)
	}{
		{EndpointToken, "https://as.example/tenant/oauth2/token", true, "https://as.example/tenant/oauth2/token"},
		{EndpointAuthorize, "https://login.example/authorize?tenant=t", true, "https://login.example/authorize?tenant=t"},
		{EndpointRevocation, "", true, ""},    // none: the server has none
		{EndpointIntrospection, "", true, ""}, // none from the environment's default
		{EndpointJWKS, "https://keys.example/jwks.json", true, "https://keys.example/jwks.json"},
		{EndpointResource, "https://as.example/tenant/api/me", true, "https://as.example/tenant/api/me"},
		{EndpointOOB, "", false, ""}, // unset, and rfc6749 has no out-of-band page
	}
	for _, tt := range tests {
		u, set := tg.Explicit(tt.e)
		if u != tt.wantURL || set != tt.wantSet {
			t.Errorf("Explicit(%s) = %q, %v; want %q, %v", tt.e, u, set, tt.wantURL, tt.wantSet)
		}
		if got := tg.URL(tt.e); got != tt.url {
			t.Errorf("URL(%s) = %q, want %q", tt.e, got, tt.url)
		}
	}
	if tg.Endpoints.Revocation != None || tg.Endpoints.Introspection != None {
		t.Errorf("endpoints %+v", tg.Endpoints)
	}
}

func TestURL(t *testing.T) {
	tests := []struct {
		issuer    string
		endpoints Endpoints
		e         Endpoint
		want      string
	}{
		{"https://as.example", Endpoints{}, EndpointToken, "https://as.example/token"},
		{"https://as.example/", Endpoints{}, EndpointAuthorize, "https://as.example/authorize"},
		{"https://as.example/tenant/", Endpoints{}, EndpointJWKS, "https://as.example/tenant/jwks"},
		{"https://as.example/tenant", Endpoints{Token: "/oauth2/token"}, EndpointToken, "https://as.example/tenant/oauth2/token"},
		{"https://as.example", Endpoints{Token: "https://login.example/t?api-version=2"}, EndpointToken, "https://login.example/t?api-version=2"},
		{"https://as.example", Endpoints{Revocation: None}, EndpointRevocation, ""},
		{"https://as.example", Endpoints{}, EndpointResource, ""}, // rfc6749 names no resource
		{"https://as.example", Endpoints{}, EndpointOOB, ""},      // rfc6749 has no OOB page
	}
	for _, tt := range tests {
		tg := &Target{Dialect: profile.MustLoad("rfc6749"), Issuer: tt.issuer, Endpoints: tt.endpoints,
			Clients: map[string]*Client{profile.RolePrimary: {ID: "c", Secret: "s"}}}
		tg.ApplyDefaults()
		if err := tg.Validate(); err != nil {
			t.Fatal(err)
		}
		if got := tg.URL(tt.e); got != tt.want {
			t.Errorf("URL(%s) with issuer %s = %q, want %q", tt.e, tt.issuer, got, tt.want)
		}
	}
	if DialectPath(nil, EndpointToken) != "" {
		t.Error("DialectPath of no dialect")
	}
	if got := DialectPath(profile.MustLoad("oob-pkce"), EndpointOOB); got != "/oauth/oob" {
		t.Errorf("DialectPath(oob-pkce, oob) = %q", got)
	}
}

// TestUnknownEndpoint: an endpoint name that is not one of AllEndpoints
// names nothing.
func TestUnknownEndpoint(t *testing.T) {
	tg, err := FromQuick(Quick{Issuer: "https://as.example", ClientID: "c"})
	if err != nil {
		t.Fatal(err)
	}
	if u, set := tg.Explicit(Endpoint("nope")); u != "" || set {
		t.Errorf("Explicit(nope) = %q, %v", u, set)
	}
	if tg.URL(Endpoint("nope")) != "" || DialectPath(tg.Dialect, Endpoint("nope")) != "" {
		t.Error("an unknown endpoint has a URL")
	}
}

func TestValidateAfterEditing(t *testing.T) {
	tg, err := Parse([]byte(minimal), ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		edit func(*Target)
		want string
	}{
		{func(t *Target) { t.Dialect = nil }, "target: profile: required"},
		{func(t *Target) { t.Endpoints.Token = None }, "target: endpoints.token: "},
		{func(t *Target) { t.AccessToken.Format = "jwe" }, "target: access_token.format: "},
		{func(t *Target) { t.Rotation = profile.RotationAny }, "target: refresh_token.rotation: "},
		{func(t *Target) { t.PKCE = profile.PKCEAny }, "target: pkce: "},
		{func(t *Target) { t.Clients[profile.RolePrimary].GrantTypes = []string{"device_code"} }, "target: clients.primary.grant_types[0]: "},
		{func(t *Target) { t.Clients[profile.RolePrimary] = nil }, "target: clients.primary: required"},
		{func(t *Target) { t.Clients[profile.RoleSecond] = nil }, "target: clients.second: empty"},
		{func(t *Target) { t.Timeout = 0 }, "target: timeout: "},
		{func(t *Target) { t.RefreshGrace = -time.Second }, "target: refresh_grace: "},
		{func(t *Target) { t.AuthorizeParams = map[string]string{"": "x"} }, "target: authorize_params.: "},
	} {
		cp := *tg
		cp.Clients = map[string]*Client{}
		for k, v := range tg.Clients {
			c := *v
			cp.Clients[k] = &c
		}
		tt.edit(&cp)
		if err := cp.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("err = %v, want %q", err, tt.want)
		}
	}
}

func TestAuthMethodUndeclared(t *testing.T) {
	tests := []struct {
		name, doc, role, want string
	}{
		{"confidential", minimal, profile.RolePrimary, ""},
		{"public", "issuer: https://as.example\nclients:\n  primary: {id: p}\n", profile.RolePrimary, ""},
		{"public on a public-only dialect", "profile: oob-pkce\nissuer: https://as.example\nclients:\n  primary: {id: p}\n", profile.RolePrimary, ""},
		{"post on a post-only client", "issuer: https://as.example\nclients:\n  primary: {id: c, secret: s, auth_method: client_secret_post}\n", profile.RolePrimary, profile.AuthPost},
		{"declared none", "issuer: https://as.example\nclients:\n  primary: {id: c, secret: s}\n  public: {id: p, auth_method: none}\n", profile.RolePublic, profile.AuthNone},
		{"from env", "issuer: https://as.example\nclients:\n  primary: {id: c, secret: s, auth_method: \"${TGT_UNSET:-client_secret_basic}\"}\n", profile.RolePrimary, profile.AuthBasic},
	}
	os.Unsetenv("TGT_UNSET")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg, err := Parse([]byte(tt.doc), ".")
			if err != nil {
				t.Fatal(err)
			}
			if c, _ := tg.Client(tt.role); c.AuthMethod != tt.want {
				t.Errorf("auth method %q, want %q", c.AuthMethod, tt.want)
			}
		})
	}
}

func TestDriverCommandResolvedAgainstTheTargetFile(t *testing.T) {
	dir := t.TempDir()
	here := writeProgram(t, dir, "login.sh", 0o755)
	sub := writeProgram(t, dir, "scripts/headless.sh", 0o755)
	abs := writeProgram(t, t.TempDir(), "elsewhere.sh", 0o755)
	tests := []struct {
		name, prog, want string
	}{
		{"bare name beside the target", "login.sh", here},
		{"dot-slash path", "./login.sh", here},
		{"relative path with a directory", "scripts/headless.sh", sub},
		{"parent-relative path", "../" + filepath.Base(dir) + "/login.sh", here},
		{"absolute path", abs, abs},
		{"from the environment", "${TGT_UNSET:-./scripts/headless.sh}", sub},
		{"bare name from PATH", "sh", "sh"},
	}
	os.Unsetenv("TGT_UNSET")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(dir, "target.yaml")
			doc := minimal + fmt.Sprintf("driver:\n  kind: command\n  command: [%q, --flag]\n", tt.prog)
			if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
				t.Fatal(err)
			}
			tg, err := Load(file)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(tg.Driver.Command, []string{tt.want, "--flag"}) {
				t.Errorf("command %q, want [%q --flag]", tg.Driver.Command, tt.want)
			}
		})
	}
	// A target file given by a relative path from its own directory: the
	// resolved program must still be the file beside it, not a PATH lookup.
	t.Run("target file in the working directory", func(t *testing.T) {
		t.Chdir(dir)
		if err := os.WriteFile("target.yaml", []byte(minimal+"driver: {kind: command, command: [./login.sh]}\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		tg, err := Load("target.yaml")
		if err != nil {
			t.Fatal(err)
		}
		if p := tg.Driver.Command[0]; !strings.ContainsRune(p, os.PathSeparator) {
			t.Errorf("command %q would be looked up in PATH", p)
		}
	})
}

func TestWarnings(t *testing.T) {
	t.Setenv("TGT_SECRET", "caf\u00e9")
	tests := []struct {
		name, doc string
		want      []string // substrings, one per warning
	}{
		{"VSCHAR only", "issuer: https://as.example\nclients:\n  primary: {id: c, secret: \"a+b:c%/ d=~&\"}\n", nil},
		{"non-VSCHAR secret", "issuer: https://as.example\nclients:\n  primary: {id: c, secret: s}\n  reserved-chars: {id: \"special client+1\", secret: \"a+b:c%/ d=\u00e9\"}\n",
			[]string{"clients.reserved-chars: the client_id or secret has characters outside VSCHAR"}},
		{"non-VSCHAR secret from env", "issuer: https://as.example\nclients:\n  primary: {id: c, secret: \"${TGT_SECRET}\"}\n",
			[]string{"clients.primary: "}},
		{"control character in id", "issuer: https://as.example\nclients:\n  primary: {id: \"c\\t1\", secret: s}\n",
			[]string{"clients.primary: "}},
		{"two clients", "issuer: https://as.example\nclients:\n  primary: {id: \"\u00e9\", secret: s}\n  second: {id: c2, secret: \"\u00e9\"}\n",
			[]string{"clients.primary: ", "clients.second: "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg, err := Parse([]byte(tt.doc), ".")
			if err != nil {
				t.Fatal(err)
			}
			if len(tg.Warnings) != len(tt.want) {
				t.Fatalf("warnings %q, want %d", tg.Warnings, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.Contains(tg.Warnings[i], w) || !strings.Contains(tg.Warnings[i], "RFC 6749 App. A.1, A.2") {
					t.Errorf("warning %q, want it to contain %q", tg.Warnings[i], w)
				}
				if strings.Contains(tg.Warnings[i], "\u00e9") {
					t.Errorf("warning %q shows the secret", tg.Warnings[i])
				}
			}
		})
	}
	// ApplyDefaults recomputes the warnings rather than adding to them.
	tg, _ := Parse([]byte(tests[1].doc), ".")
	tg.ApplyDefaults()
	if len(tg.Warnings) != 1 {
		t.Errorf("warnings after a second ApplyDefaults: %q", tg.Warnings)
	}
	tg.Clients[profile.RoleReservedChars].Secret = "ok"
	tg.ApplyDefaults()
	if len(tg.Warnings) != 0 {
		t.Errorf("warnings after the fix: %q", tg.Warnings)
	}
}

func TestFromQuick(t *testing.T) {
	tests := []struct {
		name  string
		q     Quick
		err   string
		check func(*testing.T, *Target)
	}{
		{name: "bare", q: Quick{Issuer: "https://as.example", ClientID: "ci", ClientSecret: "s"}, check: func(t *testing.T, tg *Target) {
			c, _ := tg.Client(profile.RolePrimary)
			if tg.Dialect.Name != profile.DefaultName || c.ID != "ci" || c.Secret != "s" || c.AuthMethod != "" || c.RedirectURIs != nil {
				t.Errorf("dialect %s client %+v", tg.Dialect.Name, c)
			}
			if len(tg.Clients) != 1 || tg.Scopes.Declared() || tg.Scopes.Default != nil || tg.Endpoints != (Endpoints{}) {
				t.Errorf("clients %d scopes %+v endpoints %+v", len(tg.Clients), tg.Scopes, tg.Endpoints)
			}
			// It claims nothing it was not told.
			if tg.SecurityBCP != nil || tg.AccessToken != (AccessToken{}) || tg.Metadata != nil || tg.CodeLifetime != 0 ||
				tg.PKCE != "" || tg.Rotation != "" || tg.GrantTypes != nil || tg.AuthMethods != nil || tg.Driver.Kind != "" || tg.User != nil {
				t.Errorf("claims: %+v", tg)
			}
			if tg.Timeout != harness.DefaultTimeout || tg.URL(EndpointToken) != "https://as.example/token" {
				t.Errorf("timeout %s token %s", tg.Timeout, tg.URL(EndpointToken))
			}
		}},
		{name: "public", q: Quick{Issuer: "https://as.example", ClientID: "spa"}, check: func(t *testing.T, tg *Target) {
			if c, _ := tg.Client(profile.RolePrimary); !c.Public() || c.AuthMethod != "" {
				t.Errorf("client %+v", c)
			}
		}},
		{name: "scopes split on spaces", q: Quick{Issuer: "https://as.example", ClientID: "c", Scopes: []string{"openid profile", "read", "  write\tadmin "}},
			check: func(t *testing.T, tg *Target) {
				c, _ := tg.Client(profile.RolePrimary)
				if want := []string{"openid", "profile", "read", "write", "admin"}; !slices.Equal(c.Scopes, want) {
					t.Errorf("client scopes %q, want %q", c.Scopes, want)
				}
				// The client's scopes say nothing of the server's vocabulary:
				// an open-vocabulary server must not fail the unknown-scope
				// checks.
				if tg.Scopes.Supported != nil || tg.Scopes.Default != nil || tg.Scopes.Required != nil {
					t.Errorf("scopes %+v", tg.Scopes)
				}
			}},
		{name: "redirect URI", q: Quick{Issuer: "https://as.example", ClientID: "c", RedirectURI: "https://client.example/cb"}, check: func(t *testing.T, tg *Target) {
			if c, _ := tg.Client(profile.RolePrimary); !slices.Equal(c.RedirectURIs, []string{"https://client.example/cb"}) {
				t.Errorf("redirect URIs %q", c.RedirectURIs)
			}
		}},
		{name: "endpoint overrides", q: Quick{Issuer: "https://as.example/t", ClientID: "c", Endpoints: map[Endpoint]string{
			EndpointToken: "/oauth2/token", EndpointAuthorize: "https://login.example/authorize", EndpointRevocation: None, EndpointIntrospection: "/introspect2"}},
			check: func(t *testing.T, tg *Target) {
				for e, want := range map[Endpoint]string{EndpointToken: "https://as.example/t/oauth2/token", EndpointAuthorize: "https://login.example/authorize",
					EndpointRevocation: "", EndpointIntrospection: "https://as.example/t/introspect2"} {
					if u, set := tg.Explicit(e); u != want || !set {
						t.Errorf("Explicit(%s) = %q, %v; want %q", e, u, set, want)
					}
				}
				if _, set := tg.Explicit(EndpointJWKS); set {
					t.Error("jwks set")
				}
			}},
		{name: "profile", q: Quick{Issuer: "https://as.example", ClientID: "c", Profile: "oob-pkce"}, check: func(t *testing.T, tg *Target) {
			if tg.Dialect.Name != "oob-pkce" || tg.URL(EndpointToken) != "https://as.example/oauth/token" {
				t.Errorf("dialect %s token %s", tg.Dialect.Name, tg.URL(EndpointToken))
			}
		}},
		{name: "secret taken verbatim", q: Quick{Issuer: "https://as.example", ClientID: "c", ClientSecret: "${NOT_EXPANDED}"}, check: func(t *testing.T, tg *Target) {
			if c, _ := tg.Client(profile.RolePrimary); c.Secret != "${NOT_EXPANDED}" {
				t.Errorf("secret expanded")
			}
		}},
		{name: "warning", q: Quick{Issuer: "https://as.example", ClientID: "c", ClientSecret: "caf\u00e9"}, check: func(t *testing.T, tg *Target) {
			if len(tg.Warnings) != 1 || !strings.Contains(tg.Warnings[0], "clients.primary") {
				t.Errorf("warnings %q", tg.Warnings)
			}
		}},
		{name: "no token endpoint", q: Quick{Issuer: "https://as.example", ClientID: "c", Endpoints: map[Endpoint]string{EndpointToken: None}}, err: "target: endpoints.token: "},
		{name: "bad endpoint", q: Quick{Issuer: "https://as.example", ClientID: "c", Endpoints: map[Endpoint]string{EndpointRevocation: "revoke"}}, err: "target: endpoints.revocation: "},
		{name: "bad scope", q: Quick{Issuer: "https://as.example", ClientID: "c", Scopes: []string{"a\"b"}}, err: "target: clients.primary.scopes[0]: "},
		{name: "bad redirect URI", q: Quick{Issuer: "https://as.example", ClientID: "c", RedirectURI: "/cb"}, err: "target: clients.primary.redirect_uris[0]: "},
		{name: "no client id", q: Quick{Issuer: "https://as.example"}, err: "target: clients.primary.id: required"},
		{name: "no issuer", q: Quick{ClientID: "c"}, err: "target: issuer: required"},
		{name: "bad profile", q: Quick{Issuer: "https://as.example", ClientID: "c", Profile: "nope"}, err: "target: profile: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg, err := FromQuick(tt.q)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || tg != nil {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, tg)
		})
	}
}

func TestFromFlags(t *testing.T) {
	tests := []struct {
		issuer, id, secret, profile string
		wantErr                     string
	}{
		{"http://127.0.0.1:8080", "conf-client", "conf-secret", "", ""},
		{"http://127.0.0.1:8082", "conf-client", "${NOT_EXPANDED}", "merchant-customer", ""},
		{"http://127.0.0.1:8083", "conf-client", "", "oob-pkce", ""},
		{"http://127.0.0.1:8080", "", "s", "", "target: clients.primary.id: required"},
		{"", "c", "s", "", "target: issuer: required"},
		{"http://127.0.0.1:8080", "c", "s", "nope", "target: profile: "},
	}
	for _, tt := range tests {
		tg, err := FromFlags(tt.issuer, tt.id, tt.secret, tt.profile)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("FromFlags(%q, %q, _, %q) err = %v, want %q", tt.issuer, tt.id, tt.profile, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("FromFlags(%q, %q, _, %q): %v", tt.issuer, tt.id, tt.profile, err)
			continue
		}
		c, _ := tg.Client(profile.RolePrimary)
		want := tt.profile
		if want == "" {
			want = profile.DefaultName
		}
		if c.ID != tt.id || string(c.Secret) != tt.secret || c.AuthMethod != "" || tg.Timeout != harness.DefaultTimeout || tg.Dialect.Name != want {
			t.Errorf("FromFlags: client %+v timeout %s dialect %s", c, tg.Timeout, tg.Dialect.Name)
		}
		if u, _ := url.Parse(tg.Issuer); u.Host == "" {
			t.Errorf("issuer %q", tg.Issuer)
		}
	}
}

func TestRoles(t *testing.T) {
	r := Roles()
	for _, want := range []string{profile.RolePrimary, profile.RoleSecond, profile.RolePublic, profile.RolePublic2, profile.RoleRestricted,
		profile.RoleNoCode, profile.RoleReservedChars, profile.RoleMultiRedirect, profile.RoleQueryRedirect, profile.RoleSacrificial} {
		if !slices.Contains(r, want) {
			t.Errorf("role %s missing", want)
		}
	}
	r[0] = "changed"
	if Roles()[0] == "changed" {
		t.Error("Roles returns the package's slice")
	}
}

// TestImplicitGrantRegistration: RFC 7591 lists "implicit" among a client's
// grant types; a target copied from a registration keeps working, the value
// being the token response type rather than a token endpoint grant.
func TestImplicitGrantRegistration(t *testing.T) {
	tg, err := Parse([]byte("issuer: https://as.example\ngrant_types: [authorization_code, implicit]\nclients:\n  primary: {id: c1, secret: s, grant_types: [authorization_code, implicit, refresh_token]}\n"), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := tg.Client(profile.RolePrimary); !slices.Equal(c.GrantTypes, []string{"authorization_code", "refresh_token"}) || !slices.Equal(tg.GrantTypes, []string{"authorization_code"}) {
		t.Errorf("grants %v, client %v", tg.GrantTypes, c.GrantTypes)
	}
}
