package mockserver

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/oauthconform/oauthconform/profile"
)

func getMetadata(t *testing.T, ts *TestServer, path string) (map[string]any, string, *http.Response) {
	t.Helper()
	resp, err := ts.Client().Get(ts.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var doc map[string]any
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("metadata is not JSON: %v: %s", err, b)
		}
	}
	return doc, string(b), resp
}

func strList(v any) []string {
	arr, _ := v.([]any)
	var out []string
	for _, x := range arr {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func TestMetadataPerProfile(t *testing.T) {
	for _, tt := range []struct {
		profile    string
		authorize  bool
		jwks       bool
		responses  []string
		grants     []string
		pkce       []string
		scopes     []string
		intrMethod []string
	}{
		{"rfc6749", true, true, []string{"code", "token"}, []string{"authorization_code", "client_credentials", "password", "refresh_token", "implicit"}, []string{"S256", "plain"}, []string{"read", "write", "admin", "openid", "profile", "email"}, []string{"client_secret_basic", "client_secret_post"}},
		{"oauth20-intents", true, true, []string{"code", "token"}, []string{"authorization_code", "password", "client_credentials", "refresh_token", "implicit"}, []string{"S256", "plain"}, []string{"payments", "rewards", "redemptions", "accounts", "customers"}, []string{"client_secret_basic", "client_secret_post"}},
		{"merchant-customer", false, false, nil, []string{"password", "refresh_token", "client_credentials"}, nil, []string{"merchant", "customer"}, []string{"client_secret_basic", "client_secret_post"}},
		{"oob-pkce", true, false, []string{"code"}, []string{"authorization_code", "refresh_token"}, []string{"S256", "plain"}, nil, []string{"none"}},
	} {
		t.Run(tt.profile, func(t *testing.T) {
			ts := NewTestServer(t, tt.profile)
			e := ts.Settings().Endpoints
			doc, raw, resp := getMetadata(t, ts, WellKnownOAuth)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("%d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age=") {
				t.Fatalf("Cache-Control %q", cc)
			}
			_, rawOIDC, _ := getMetadata(t, ts, WellKnownOIDC)
			if rawOIDC != raw {
				t.Fatalf("openid-configuration differs:\n%s\n%s", raw, rawOIDC)
			}
			if doc["issuer"] != ts.Issuer() || ts.MetadataURL() != ts.URL+WellKnownOAuth {
				t.Fatalf("issuer %v, metadata URL %s", doc["issuer"], ts.MetadataURL())
			}
			for k, v := range doc {
				if arr, ok := v.([]any); ok && len(arr) == 0 {
					t.Errorf("%s is a zero-element array", k)
				}
			}
			wantURL := map[string]string{"token_endpoint": e.Token, "revocation_endpoint": e.Revocation, "introspection_endpoint": e.Introspection}
			if tt.authorize {
				wantURL["authorization_endpoint"] = e.Authorize
			}
			if tt.jwks {
				wantURL["jwks_uri"] = e.JWKS
			}
			for k, path := range wantURL {
				if doc[k] != ts.Issuer()+path {
					t.Errorf("%s = %v, want %s", k, doc[k], ts.Issuer()+path)
				}
			}
			for _, k := range []string{"authorization_endpoint", "jwks_uri"} {
				if _, ok := wantURL[k]; !ok && doc[k] != nil {
					t.Errorf("%s advertised: %v", k, doc[k])
				}
			}
			lists := map[string][]string{
				"response_types_supported": tt.responses, "grant_types_supported": tt.grants,
				"code_challenge_methods_supported": tt.pkce, "scopes_supported": tt.scopes,
				"token_endpoint_auth_methods_supported":         ts.Settings().ClientAuth.Methods,
				"revocation_endpoint_auth_methods_supported":    ts.Settings().ClientAuth.Methods,
				"introspection_endpoint_auth_methods_supported": tt.intrMethod,
			}
			for k, want := range lists {
				if got := strList(doc[k]); !slices.Equal(got, want) {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			// Every advertised endpoint is routed.
			for k, v := range doc {
				if s, ok := v.(string); ok && (strings.HasSuffix(k, "_endpoint") || k == "jwks_uri") {
					if res := doAt(t, ts, strings.Replace(s, ts.Issuer(), ts.URL, 1), tokenReq{method: http.MethodGet}); res.status == http.StatusNotFound {
						t.Errorf("%s %s: 404", k, s)
					}
				}
			}
			if res := doAt(t, ts, ts.URL+WellKnownOAuth, tokenReq{}); res.status != http.StatusMethodNotAllowed {
				t.Errorf("POST metadata: %d", res.status)
			}
			if res := doAt(t, ts, ts.URL+WellKnownOAuth, tokenReq{method: http.MethodHead}); res.status != 200 || res.raw != "" {
				t.Errorf("HEAD metadata: %d %q", res.status, res.raw)
			}
		})
	}
}

// An issuer with a path: metadata at /.well-known/oauth-authorization-server
// plus the path (RFC 8414 §3.1), OpenID's under the path, and the advertised
// endpoint URLs reachable.
func TestMetadataIssuerWithPath(t *testing.T) {
	p, err := New(Config{Dialect: profile.MustLoad("rfc6749"), Issuer: "https://as.example/tenant/a/"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	get := func(method, path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		p.ServeHTTP(rec, httptest.NewRequest(method, "https://as.example"+path, nil))
		return rec
	}
	if p.MetadataURL() != "https://as.example/.well-known/oauth-authorization-server/tenant/a" {
		t.Fatalf("MetadataURL %s", p.MetadataURL())
	}
	for _, path := range []string{"/.well-known/oauth-authorization-server/tenant/a", "/tenant/a/.well-known/openid-configuration"} {
		rec := get("GET", path)
		var doc map[string]any
		if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &doc) != nil || doc["issuer"] != "https://as.example/tenant/a" {
			t.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
		}
		if doc["token_endpoint"] != "https://as.example/tenant/a/token" {
			t.Fatalf("token_endpoint %v", doc["token_endpoint"])
		}
	}
	if rec := get("GET", "/.well-known/oauth-authorization-server"); rec.Code != http.StatusNotFound {
		t.Fatalf("root metadata for a path issuer: %d", rec.Code)
	}
	for _, path := range []string{"/tenant/a/token", "/token", "/tenant/a/jwks", "/tenant/a/revoke"} {
		if rec := get("POST", path); rec.Code == http.StatusNotFound {
			t.Errorf("%s: 404", path)
		}
	}
	if rec := get("GET", "/tenant/a/nothing"); rec.Code != http.StatusNotFound {
		t.Errorf("unknown path: %d", rec.Code)
	}
}
