package engine

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/oauthconform/oauthconform/mockserver"
	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/target"
)

// fixtureTargetAt loads fixtures/targets/NAME.yaml with its issuer replaced
// by issuer, its secrets at their fixture values.
func fixtureTargetAt(t *testing.T, name, issuer string) *target.Target {
	t.Helper()
	for _, v := range []string{"PRIMARY", "SECOND", "RESTRICTED", "NO_CODE", "RESERVED", "MULTI", "QUERY"} {
		t.Setenv("OAUTHCONFORM_"+v+"_SECRET", "")
	}
	t.Setenv("OAUTHCONFORM_USER_PASSWORD", "")
	t.Setenv("OAUTHCONFORM_API_KEY", "")
	dir, _ := filepath.Abs("../../fixtures/targets")
	b, err := os.ReadFile(filepath.Join(dir, name+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	doc := regexp.MustCompile(`(?m)^issuer: .*$`).ReplaceAllString(string(b), "issuer: "+issuer)
	tg, err := target.Parse([]byte(doc), dir)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// TestPreflightWrongDialect: an example target pointed at the mock of
// another dialect (a port mixed up) stops in the preflight with exit 2's
// setup error, saying "wrong profile or issuer?" and why, instead of a
// cascade of failed checks; pointed at its own dialect's mock it passes
// without a word.
func TestPreflightWrongDialect(t *testing.T) {
	names := profile.Names()
	servers := map[string]*mockserver.TestServer{}
	for _, n := range names {
		servers[n] = mockserver.NewTestServer(t, n)
	}
	for _, tgt := range names {
		for _, srv := range names {
			t.Run(tgt+"@"+srv, func(t *testing.T) {
				tg := fixtureTargetAt(t, tgt, servers[srv].URL)
				e, err := NewEnv(context.Background(), tg, EnvOptions{Name: tgt})
				if tgt == srv {
					if err != nil {
						t.Fatalf("the right target is refused: %v", err)
					}
					for _, n := range e.Notes {
						if strings.Contains(n, wrongTargetHint) {
							t.Errorf("note on the right target: %s", n)
						}
					}
					return
				}
				var se *SetupError
				if !errors.As(err, &se) {
					t.Fatalf("err = %v, want a setup error", err)
				}
				if msg := err.Error(); !strings.Contains(msg, wrongTargetHint) || !strings.Contains(msg, "fix: check profile:") ||
					!strings.Contains(msg, "fixtures/targets/NAME.yaml") {
					t.Errorf("message:\n%s", msg)
				}
				if len(se.Evidence) == 0 {
					t.Error("no evidence")
				}
			})
		}
	}
}

// TestPreflightDialectSigns: two signs that the server is not the one
// described make a setup error; one is a note, since a server may really
// have that fault, and the checks report it.
func TestPreflightDialectSigns(t *testing.T) {
	type doc map[string]any
	tests := []struct {
		name    string
		prof    string
		meta    doc
		scopes  string // the target's scopes.supported
		declare bool   // the target names endpoints.resource
		signs   int
	}{
		{"nothing against", "merchant-customer", doc{"grant_types_supported": []string{"client_credentials", "password", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code"}, "scopes_supported": []string{"merchant", "openid"}}, "", false, 0},
		{"grant outside the dialect", "merchant-customer", doc{"grant_types_supported": []string{"authorization_code", "client_credentials"}}, "", false, 1},
		{"implicit outside the dialect", "oob-pkce", doc{"grant_types_supported": []string{"authorization_code", "implicit"}}, "", false, 1},
		{"OpenID response types say nothing", "oob-pkce", doc{"response_types_supported": []string{"code", "code id_token"}}, "", false, 0},
		{"no allowed method", "oob-pkce", doc{"token_endpoint_auth_methods_supported": []string{"client_secret_basic"}}, "", false, 1},
		{"no method for a secret", "rfc6749", doc{"token_endpoint_auth_methods_supported": []string{"none", "private_key_jwt"}}, "", false, 1},
		{"one fact is one sign", "merchant-customer", doc{"token_endpoint_auth_methods_supported": []string{"none"}}, "", false, 1},
		{"disjoint vocabularies", "rfc6749", doc{"scopes_supported": []string{"payments", "openid"}}, "read, write", false, 1},
		{"OpenID scopes alone say nothing", "rfc6749", doc{"scopes_supported": []string{"openid", "profile"}}, "read", false, 0},
		{"shared scope", "rfc6749", doc{"scopes_supported": []string{"payments", "read"}}, "read, write", false, 0},
		{"declared endpoint 404", "rfc6749", doc{}, "", true, 1},
		{"two signs", "merchant-customer", doc{"grant_types_supported": []string{"authorization_code"}, "scopes_supported": []string{"read"}}, "", false, 2},
		{"sign and 404", "rfc6749", doc{"scopes_supported": []string{"payments"}}, "read", true, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var srv *httptest.Server
			srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/.well-known/oauth-authorization-server":
					m := map[string]any{"issuer": srv.URL, "token_endpoint": srv.URL + "/oauth/token"}
					for k, v := range tt.meta {
						m[k] = v
					}
					w.Header().Set("Content-Type", "application/json")
					_ = json.NewEncoder(w).Encode(m)
				case "/oauth/token", "/token":
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusBadRequest)
					_, _ = w.Write([]byte(`{"error":"invalid_grant"}`))
				case "/api/me":
					w.Header().Set("WWW-Authenticate", `Bearer realm="x"`)
					w.WriteHeader(http.StatusUnauthorized)
				default:
					http.NotFound(w, r)
				}
			}))
			t.Cleanup(srv.Close)
			y := "profile: " + tt.prof + "\nissuer: " + srv.URL + "\nclients:\n  primary: {id: c1, secret: s1}\n"
			if tt.prof == "oob-pkce" {
				y = "profile: oob-pkce\nissuer: " + srv.URL + "\nclients:\n  primary: {id: c1}\n"
			}
			if tt.scopes != "" {
				y += "scopes: {supported: [" + tt.scopes + "]}\n"
			}
			if tt.declare {
				y += "endpoints: {resource: /missing}\n"
			} else {
				y += "endpoints: {resource: /api/me}\n"
			}
			tg, err := target.Parse([]byte(y), t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			e, err := NewEnv(context.Background(), tg, EnvOptions{})
			notes := 0
			if e != nil {
				for _, n := range e.Notes {
					if strings.Contains(n, wrongTargetHint) {
						notes++
					}
				}
			}
			switch {
			case tt.signs >= 2:
				if err == nil || !strings.Contains(err.Error(), wrongTargetHint) {
					t.Fatalf("err = %v, want a setup error saying %q", err, wrongTargetHint)
				}
			case err != nil:
				t.Fatalf("err = %v, want none", err)
			case tt.signs == 1 && notes != 1, tt.signs == 0 && notes != 0:
				t.Fatalf("%d notes, want %d: %q", notes, tt.signs, e.Notes)
			}
		})
	}
}
