package engine

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/harness"
	"github.com/oauthconform/oauthconform/suites/target"
)

// knowEnv is an environment without a server: the metadata is given (or
// none), nothing is fetched.
func knowEnv(t *testing.T, dialect string, tg func(*target.Target), doc map[string]any) *Env {
	t.Helper()
	d := profile.MustLoad(dialect)
	tt := &target.Target{Dialect: d, Issuer: "https://as.example", Clients: map[string]*target.Client{}}
	if tg != nil {
		tg(tt)
	}
	e := &Env{Name: dialect, Dialect: d, Target: tt, Issuer: tt.Issuer, Clients: map[string]*Client{}, meta: &metadataCache{md: &Metadata{Disabled: true}}}
	if doc != nil {
		if _, ok := doc["issuer"]; !ok {
			doc["issuer"] = tt.Issuer
		}
		e.meta.md = &Metadata{Published: true, Doc: doc, URL: "https://as.example/.well-known/oauth-authorization-server"}
	}
	return e
}

func TestSupport(t *testing.T) {
	list := func(vs ...string) []any {
		out := make([]any, len(vs))
		for i, v := range vs {
			out[i] = v
		}
		return out
	}
	tests := []struct {
		name    string
		dialect string
		tg      func(*target.Target)
		doc     map[string]any
		got     func(*Env) Support
		want    Support
	}{
		{"rfc6749 grant, nothing said", "rfc6749", nil, nil,
			func(e *Env) Support { s, _ := e.Grant(profile.GrantPassword); return s }, Unknown},
		{"grant the metadata lists", "rfc6749", nil, map[string]any{"grant_types_supported": list("refresh_token")},
			func(e *Env) Support { s, _ := e.Grant(profile.GrantRefreshToken); return s }, Advertised},
		{"grant the metadata omits is still unknown (evidence, not a gate)", "rfc6749", nil, map[string]any{"grant_types_supported": list("authorization_code")},
			func(e *Env) Support { s, _ := e.Grant(profile.GrantRefreshToken); return s }, Unknown},
		{"the RFC 8414 default of an omitted member is no promise", "rfc6749", nil, map[string]any{},
			func(e *Env) Support { s, _ := e.Grant(profile.GrantAuthorizationCode); return s }, Unknown},
		{"metadata naming another issuer is not used", "rfc6749", nil, map[string]any{"issuer": "https://other.example", "grant_types_supported": list("password")},
			func(e *Env) Support { s, _ := e.Grant(profile.GrantPassword); return s }, Unknown},
		{"declared grant", "rfc6749", func(t *target.Target) { t.GrantTypes = []string{"client_credentials"} }, nil,
			func(e *Env) Support { s, _ := e.Grant(profile.GrantClientCredentials); return s }, Declared},
		{"grant left out of a declared list", "rfc6749", func(t *target.Target) { t.GrantTypes = []string{"client_credentials"} }, nil,
			func(e *Env) Support { s, _ := e.Grant(profile.GrantPassword); return s }, Absent},
		{"grant the dialect requires", "merchant-customer", nil, nil,
			func(e *Env) Support { s, _ := e.Grant(profile.GrantPassword); return s }, Declared},
		{"grant the dialect lacks", "oob-pkce", func(t *target.Target) { t.GrantTypes = []string{"password"} }, nil,
			func(e *Env) Support { s, _ := e.Grant(profile.GrantPassword); return s }, Absent},
		{"Basic is required by RFC 6749 §2.3.1", "rfc6749", nil, nil,
			func(e *Env) Support { s, _ := e.AuthMethod(profile.AuthBasic); return s }, Declared},
		{"post is unknown", "rfc6749", nil, nil,
			func(e *Env) Support { s, _ := e.AuthMethod(profile.AuthPost); return s }, Unknown},
		{"PKCE unknown", "rfc6749", nil, nil, func(e *Env) Support { s, _ := e.PKCE(); return s }, Unknown},
		{"PKCE advertised", "rfc6749", nil, map[string]any{"code_challenge_methods_supported": list("S256")},
			func(e *Env) Support { s, _ := e.PKCE(); return s }, Advertised},
		{"PKCE from the RFC 9700 claim", "rfc6749", func(t *target.Target) { t.SecurityBCP = new(true) }, nil,
			func(e *Env) Support { s, _ := e.PKCE(); return s }, Declared},
		{"PKCE the dialect requires", "oob-pkce", nil, nil, func(e *Env) Support { s, _ := e.PKCE(); return s }, Declared},
		{"PKCE declared unsupported", "rfc6749", func(t *target.Target) { t.PKCE = profile.PKCEUnsupported }, nil,
			func(e *Env) Support { s, _ := e.PKCE(); return s }, Absent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := knowEnv(t, tt.dialect, tt.tg, tt.doc)
			if got := tt.got(e); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestDeclaredChoices(t *testing.T) {
	e := knowEnv(t, "rfc6749", nil, nil)
	if f, _ := e.TokenFormat(); f != "" || e.SecurityBCP() || e.Rotation() != "" || e.JWTTyp() != "" {
		t.Fatalf("rfc6749 with nothing declared assumes format %q, BCP %v, rotation %q, typ %q", f, e.SecurityBCP(), e.Rotation(), e.JWTTyp())
	}
	e = knowEnv(t, "rfc6749", func(t *target.Target) { t.AccessToken.Format = profile.FormatJWTRFC9068 }, nil)
	if e.JWTTyp() != "at+jwt" {
		t.Errorf("an RFC 9068 token's typ: %q", e.JWTTyp())
	}
	e = knowEnv(t, "oob-pkce", nil, nil)
	if f, _ := e.TokenFormat(); f != profile.FormatJWT || e.JWTAlg() != "HS256" {
		t.Errorf("oob-pkce: format %q alg %q", f, e.JWTAlg())
	}
}

// TestLawfulRefusal: a refusal of something nobody promised skips; one of
// something promised is the server's fault.
func TestLawfulRefusal(t *testing.T) {
	refusal := func(form url.Values, code string) *harness.Exchange {
		return &harness.Exchange{Method: http.MethodPost, RequestBody: []byte(form.Encode()), RequestHeader: http.Header{},
			Status: 400, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{"error":"` + code + `"}`)}
	}
	cc := url.Values{"grant_type": {"client_credentials"}, "client_id": {"c1"}, "scope": {"read"}}
	advertised := map[string]any{"grant_types_supported": []any{"authorization_code", "client_credentials"}}
	tests := []struct {
		name string
		tg   func(*target.Target)
		doc  map[string]any
		ex   *harness.Exchange
		skip bool
	}{
		// The metadata's grant list is the server's, not the client's.
		{"advertised grant refused to an undeclared client", nil, advertised, refusal(cc, "invalid_request"), true},
		{"advertised grant refused with unauthorized_client", nil, advertised, refusal(cc, "unauthorized_client"), true},
		{"advertised grant refused to a client registered for it", func(t *target.Target) {
			t.Clients["primary"] = &target.Client{ID: "c1", Secret: "s", GrantTypes: []string{"client_credentials"}}
		}, advertised, refusal(cc, "invalid_request"), false},
		{"advertised grant, invalid_grant is the server's", nil, advertised, refusal(cc, "invalid_grant"), false},
		{"unsupported grant, nothing promised", nil, nil, refusal(cc, "unsupported_grant_type"), true},
		{"unsupported grant, declared", func(t *target.Target) { t.GrantTypes = []string{"client_credentials"} }, nil, refusal(cc, "unsupported_grant_type"), false},
		{"unauthorized client, grants undeclared", nil, nil, refusal(cc, "unauthorized_client"), true},
		{"unauthorized client, registered for it", func(t *target.Target) {
			t.Clients["primary"] = &target.Client{ID: "c1", Secret: "s", GrantTypes: []string{"client_credentials"}}
		}, nil, refusal(cc, "unauthorized_client"), false},
		{"invalid scope, guessed", nil, nil, refusal(cc, "invalid_scope"), true},
		{"invalid scope, a value of the server's vocabulary", func(t *target.Target) { t.Scopes.Supported = []string{"read"} }, nil, refusal(cc, "invalid_scope"), true},
		{"invalid scope, registered for the client", func(t *target.Target) {
			t.Clients["primary"] = &target.Client{ID: "c1", Secret: "s", Scopes: []string{"read"}}
		}, nil, refusal(cc, "invalid_scope"), false},
		{"invalid grant is always the server's", nil, nil, refusal(cc, "invalid_grant"), false},
		{"a server error is never lawful", nil, nil, &harness.Exchange{RequestBody: []byte(cc.Encode()), RequestHeader: http.Header{}, Status: 500}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := knowEnv(t, "rfc6749", tt.tg, tt.doc)
			e.Target.ApplyDefaults()
			e.resolveClients()
			e.resolveScopes()
			if got := e.lawfulRefusal(tt.ex) != ""; got != tt.skip {
				t.Errorf("lawful %v, want %v (%q)", got, tt.skip, e.lawfulRefusal(tt.ex))
			}
		})
	}
}

func TestResolveScopes(t *testing.T) {
	def := "read"
	tests := []struct {
		name     string
		dialect  string
		tg       func(*target.Target)
		doc      map[string]any
		s1, s2   string
		declared bool
	}{
		{"nothing: no scope is sent", "rfc6749", nil, nil, "", "", false},
		{"a server vocabulary names values, not what the client may get", "rfc6749", func(t *target.Target) { t.Scopes.Supported = []string{"a", "b", "c"} }, nil, "a", "b", false},
		{"the client's registered scopes", "rfc6749", func(t *target.Target) {
			t.Clients["primary"] = &target.Client{ID: "c", Secret: "s", Scopes: []string{"b", "c"}}
			t.Scopes.Supported = []string{"a", "b", "c"}
		}, nil, "b", "c", true},
		{"required, refresh and OpenID scopes are not test values", "rfc6749", func(t *target.Target) {
			t.Scopes.Supported = []string{"openid", "a", "offline_access", "profile", "b"}
			t.Scopes.Required, t.Scopes.Refresh = []string{"openid"}, []string{"offline_access"}
		}, nil, "a", "b", false},
		{"the dialect's vocabulary", "merchant-customer", nil, nil, "merchant", "customer", true},
		{"guessed from the metadata, without OpenID's", "rfc6749", nil, map[string]any{"scopes_supported": []any{"openid", "profile", "x", "y"}}, "x", "y", false},
		{"explicit s1 and s2", "rfc6749", func(t *target.Target) { t.Scopes.S1, t.Scopes.S2, t.Scopes.Default = "p", "q", &def }, nil, "p", "q", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := knowEnv(t, tt.dialect, tt.tg, tt.doc)
			e.resolveScopes()
			if e.Scopes.S1 != tt.s1 || e.Scopes.S2 != tt.s2 || e.Scopes.Declared != tt.declared {
				t.Errorf("scopes %+v, want s1 %q s2 %q declared %v", e.Scopes, tt.s1, tt.s2, tt.declared)
			}
		})
	}
}
