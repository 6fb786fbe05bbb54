package target

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oauthconform/oauthconform/fixtures"
	"github.com/oauthconform/oauthconform/profile"
)

// clearEnv makes the example files fall back to their defaults even where
// the developer's shell sets the variables (":-" treats empty as unset).
func clearEnv(t *testing.T) {
	for _, v := range []string{"PRIMARY", "SECOND", "RESTRICTED", "RESERVED", "MULTI", "QUERY"} {
		t.Setenv("OAUTHCONFORM_"+v+"_SECRET", "")
	}
	t.Setenv("OAUTHCONFORM_USER_PASSWORD", "")
	t.Setenv("OAUTHCONFORM_API_KEY", "")
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
			if tg.Profile.Name != name || tg.Issuer != "http://127.0.0.1:8080" {
				t.Errorf("profile %q issuer %q", tg.Profile.Name, tg.Issuer)
			}
			if got, want := tg.URL(EndpointToken), "http://127.0.0.1:8080"+tg.Profile.Endpoints.Token; got != want {
				t.Errorf("token URL %q, want %q", got, want)
			}
			// Every client must match what the mock registers for this
			// profile, or the suites would test against wrong credentials.
			reg := profile.DefaultFixtures().ForProfile(tg.Profile)
			for role, c := range tg.Clients {
				fc, ok := reg.Client(c.ID)
				if !ok {
					t.Errorf("%s: client %q is not registered for %s", role, c.ID, name)
					continue
				}
				// Redirect URIs may be left out where the dialect has no
				// authorize endpoint.
				urisDiffer := len(c.RedirectURIs) > 0 && !slices.Equal(fc.RedirectURIs, c.RedirectURIs)
				if fc.Role != role || fc.Secret != c.Secret || urisDiffer {
					t.Errorf("%s: client %q differs from fixtures: role %q, redirect URIs %v vs %v, secrets equal %v",
						role, c.ID, fc.Role, fc.RedirectURIs, c.RedirectURIs, fc.Secret == c.Secret)
				}
				if !tg.Profile.HasAuthMethod(c.AuthMethod) {
					t.Errorf("%s: auth method %s not offered by %s", role, c.AuthMethod, name)
				}
			}
			if u := reg.Users[0]; tg.User == nil || tg.User.Username != u.Username || tg.User.Password != u.Password {
				t.Errorf("user does not match fixtures")
			}
			if h := tg.Profile.ClientAuth.APIKeyHeader; h != "" {
				if got := tg.HTTPOptions().Headers.Get(h); got != string(reg.APIKeys[0]) {
					t.Errorf("API key header %s = %q", h, got)
				}
			}
			if tg.Profile.Endpoints.Authorize != "" && tg.Driver.Kind == "" {
				t.Error("a profile with an authorize endpoint should name a driver")
			}
		})
	}
}

func TestExampleTargetsTakeSecretsFromEnv(t *testing.T) {
	clearEnv(t)
	t.Setenv("OAUTHCONFORM_PRIMARY_SECRET", "from-env")
	tg, err := Load("../../fixtures/targets/rfc6749.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := tg.Client(profile.RolePrimary); c.Secret != "from-env" {
		t.Errorf("secret not taken from the environment")
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

func TestParseErrorsNameTheField(t *testing.T) {
	os.Unsetenv("TGT_UNSET")
	dir := t.TempDir()
	tests := []struct {
		name, doc, want string
	}{
		{"empty", "", "target: empty document"},
		{"unknown key", minimal + "isuer: x\n", "field isuer not found"},
		{"unknown nested key", "issuer: https://as.example\nclients:\n  primary: {id: c1, secret: s1, scope: x}\n", "field scope not found"},
		{"wrong type", minimal + "driver: {command: x}\n", "cannot unmarshal"},
		{"unknown profile", minimal + "profile: nope\n", "target: profile: "},
		{"missing profile file", minimal + "profile: ./nope.yaml\n", "target: profile: "},
		{"no issuer", "clients:\n  primary: {id: c1, secret: s1}\n", "target: issuer: required"},
		{"bad issuer", "issuer: ftp://as.example\nclients:\n  primary: {id: c1, secret: s1}\n", "target: issuer: "},
		{"issuer with query", "issuer: https://as.example/?x=1\nclients:\n  primary: {id: c1, secret: s1}\n", "target: issuer: "},
		{"bad endpoint", minimal + "endpoints: {token: token}\n", "target: endpoints.token: "},
		{"no primary", "issuer: https://as.example\nclients:\n  second: {id: c2, secret: s2}\n", "target: clients.primary: required"},
		{"no client id", "issuer: https://as.example\nclients:\n  primary: {secret: s1}\n", "target: clients.primary.id: required"},
		{"unknown role", minimal + "  tertiary: {id: c3}\n", "target: clients.tertiary: unknown role"},
		{"basic without secret", "issuer: https://as.example\nclients:\n  primary: {id: c1, auth_method: client_secret_basic}\n", "target: clients.primary.secret: required"},
		{"none with secret", "issuer: https://as.example\nclients:\n  primary: {id: c1, secret: s, auth_method: none}\n", "target: clients.primary.auth_method: "},
		{"bad auth method", "issuer: https://as.example\nclients:\n  primary: {id: c1, secret: s, auth_method: private_key_jwt}\n", "target: clients.primary.auth_method: "},
		{"bad redirect", "issuer: https://as.example\nclients:\n  primary: {id: c1, secret: s, redirect_uris: [/cb]}\n", "target: clients.primary.redirect_uris[0]: "},
		{"bad client scope", "issuer: https://as.example\nclients:\n  primary: {id: c1, secret: s, scopes: [\"a b\"]}\n", "target: clients.primary.scopes[0]: "},
		{"missing env", "issuer: https://as.example\nclients:\n  primary: {id: c1, secret: \"${TGT_UNSET}\"}\n", "target: clients.primary.secret: environment variable TGT_UNSET is not set"},
		{"missing env in list", minimal + "driver: {kind: command, command: [x, \"${TGT_UNSET}\"]}\n", "target: driver.command[1]: environment variable TGT_UNSET"},
		{"empty user", minimal + "user: {password: p}\n", "target: user.username: required"},
		{"bad driver", minimal + "driver: {kind: selenium}\n", "target: driver.kind: "},
		{"command without argv", minimal + "driver: {kind: command}\n", "target: driver.command: required"},
		{"argv without command", minimal + "driver: {kind: form, command: [x]}\n", "target: driver.command: only"},
		{"fields without form", minimal + "driver: {kind: mock, fields: {username: u}}\n", "target: driver.fields: only"},
		{"bad header", minimal + "headers: {\"x key\": v}\n", "target: headers.x key: "},
		{"bad timeout", minimal + "timeout: soon\n", "target: timeout: "},
		{"negative timeout", minimal + "timeout: -1s\n", "target: timeout: "},
		{"bad rate", minimal + "rate_limit: fast\n", "target: rate_limit: "},
		{"negative rate", minimal + "rate_limit: -1\n", "target: rate_limit: "},
		{"bad insecure", minimal + "tls: {insecure: maybe}\n", "target: tls.insecure: "},
		{"missing ca file", minimal + "tls: {ca_file: none.pem}\n", "target: tls.ca_file: "},
		{"bad scope", minimal + "scopes: {s1: \"a\\\\b\"}\n", "target: scopes.s1: "},
		{"bad code lifetime", minimal + "code_lifetime: 1\n", "target: code_lifetime: "},
		{"negative grace", minimal + "refresh_grace: -5s\n", "target: refresh_grace: "},
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

func TestDefaultsAndOverrides(t *testing.T) {
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

	tests := []struct {
		name  string
		doc   string
		check func(*testing.T, *Target)
	}{
		{"defaults", minimal, func(t *testing.T, tg *Target) {
			if tg.Profile.Name != profile.DefaultName || tg.Timeout != 10*time.Second || tg.RateLimit != 0 {
				t.Errorf("profile %s timeout %s rate %v", tg.Profile.Name, tg.Timeout, tg.RateLimit)
			}
			if tg.Scopes != (Scopes{"read", "write", "admin"}) || tg.CodeLifetime != time.Minute {
				t.Errorf("scopes %v code lifetime %s", tg.Scopes, tg.CodeLifetime)
			}
			if c, _ := tg.Client(profile.RolePrimary); c.AuthMethod != profile.AuthBasic {
				t.Errorf("auth method %s", c.AuthMethod)
			}
			if _, ok := tg.Client(profile.RoleSecond); ok {
				t.Error("second client invented")
			}
			if tg.Driver.Kind != "" || tg.User != nil {
				t.Errorf("driver %q user %v", tg.Driver.Kind, tg.User)
			}
		}},
		{"public client", "issuer: https://as.example\nclients:\n  primary: {id: p}\n", func(t *testing.T, tg *Target) {
			if c, _ := tg.Client(profile.RolePrimary); !c.Public() || c.AuthMethod != profile.AuthNone {
				t.Errorf("auth method %s", c.AuthMethod)
			}
		}},
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
		{"explicit scopes kept", minimal + "scopes: {s1: a}\n", func(t *testing.T, tg *Target) {
			if tg.Scopes != (Scopes{S1: "a"}) {
				t.Errorf("scopes %v", tg.Scopes)
			}
		}},
		{"redirect_uri and redirect_uris merge", "issuer: https://as.example\nclients:\n  primary: {id: c, secret: s, redirect_uri: \"https://c/1\", redirect_uris: [\"https://c/2\"]}\n",
			func(t *testing.T, tg *Target) {
				if c, _ := tg.Client(profile.RolePrimary); !slices.Equal(c.RedirectURIs, []string{"https://c/1", "https://c/2"}) || c.RedirectURI() != "https://c/1" {
					t.Errorf("redirect URIs %v", c.RedirectURIs)
				}
			}},
		{"profile file relative to the target", minimal + "profile: custom.yaml\n", func(t *testing.T, tg *Target) {
			if tg.Profile.Name != "custom" || tg.URL(EndpointToken) != "https://as.example/t" {
				t.Errorf("profile %s token %s", tg.Profile.Name, tg.URL(EndpointToken))
			}
		}},
		{"headers and api key", minimal + "profile: oob-pkce\napi_key: k\nheaders: {X-Tenant: acme}\n", func(t *testing.T, tg *Target) {
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
		{"https://as.example", Endpoints{}, EndpointOOB, ""}, // rfc6749 has no OOB page
		{"https://as.example", Endpoints{}, Endpoint("nope"), ""},
	}
	for _, tt := range tests {
		tg := &Target{Profile: profile.MustLoad("rfc6749"), Issuer: tt.issuer, Endpoints: tt.endpoints,
			Clients: map[string]*Client{profile.RolePrimary: {ID: "c", Secret: "s"}}}
		tg.applyDefaults()
		if err := tg.Validate(); err != nil {
			t.Fatal(err)
		}
		if got := tg.URL(tt.e); got != tt.want {
			t.Errorf("URL(%s) with issuer %s = %q, want %q", tt.e, tt.issuer, got, tt.want)
		}
	}
}

func TestFromFlags(t *testing.T) {
	tests := []struct {
		issuer, id, secret, profile string
		wantMethod, wantErr         string
	}{
		{"http://127.0.0.1:8080", "conf-client", "conf-secret", "", profile.AuthBasic, ""},
		{"http://127.0.0.1:8080", "conf-client", "${NOT_EXPANDED}", "merchant-customer", profile.AuthBasic, ""},
		{"http://127.0.0.1:8080", "conf-client", "", "oob-pkce", profile.AuthNone, ""},
		{"http://127.0.0.1:8080", "", "s", "", "", "target: clients.primary.id: required"},
		{"", "c", "s", "", "", "target: issuer: required"},
		{"http://127.0.0.1:8080", "c", "s", "nope", "", "target: profile: "},
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
		if c.ID != tt.id || string(c.Secret) != tt.secret || c.AuthMethod != tt.wantMethod || tg.Timeout != 10*time.Second {
			t.Errorf("FromFlags: client %+v timeout %s", c, tg.Timeout)
		}
	}
}
