package mockserver_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/oauthconform/oauthconform/mockserver"
)

// An off-the-shelf verifier (go-oidc) checks the mock's JWT access tokens
// through the mock's own discovery document and JWKS, across a key rotation;
// then the token is revoked at the discovered revocation endpoint, and the
// discovered introspection endpoint and the protected resource refuse it.
//
// go-oidc verifies ID tokens, but an RFC 9068 access token passes its checks
// (signature by kid from jwks_uri, iss, exp; it does not look at typ) once the
// audience check is skipped: aud is the resource (the issuer), not a client.
// The discovery issuer equals the URL it is fetched from, so no
// InsecureIssuerURLContext is needed.
func TestOIDCVerifiesMockAccessTokens(t *testing.T) {
	for _, prof := range []string{"rfc6749", "oauth20-intents"} {
		t.Run(prof, func(t *testing.T) {
			ts := mockserver.NewTestServer(t, prof)
			ctx := oidc.ClientContext(context.Background(), ts.Client())
			provider, err := oidc.NewProvider(ctx, ts.Issuer())
			if err != nil {
				t.Fatal(err)
			}
			var meta struct {
				Revocation    string `json:"revocation_endpoint"`
				Introspection string `json:"introspection_endpoint"`
			}
			if err := provider.Claims(&meta); err != nil || meta.Revocation == "" || meta.Introspection == "" {
				t.Fatalf("discovery: %v %+v", err, meta)
			}
			verifier := provider.VerifierContext(ctx, &oidc.Config{SkipClientIDCheck: true, SupportedSigningAlgs: []string{"ES256"}})
			octx := context.WithValue(context.Background(), oauth2.HTTPClient, ts.Client())

			// A stateless client_credentials token, and one of a grant family.
			cc := clientcredentials.Config{ClientID: "conf-client", ClientSecret: "conf-secret", TokenURL: provider.Endpoint().TokenURL}
			tok1, err := cc.Token(octx)
			if err != nil {
				t.Fatal(err)
			}
			ts.RotateSigningKey()
			pw := &oauth2.Config{ClientID: "conf-client", ClientSecret: "conf-secret", Endpoint: provider.Endpoint()}
			tok2, err := pw.PasswordCredentialsToken(octx, "alice", "alice-password")
			if err != nil {
				t.Fatal(err)
			}
			for i, tok := range []*oauth2.Token{tok1, tok2} {
				idt, err := verifier.Verify(ctx, tok.AccessToken)
				if err != nil {
					t.Fatalf("token %d: %v", i, err)
				}
				var claims struct {
					ClientID string `json:"client_id"`
					Jti      string `json:"jti"`
				}
				// RFC 9068 tokens (rfc6749) and the plain JWTs of
				// oauth20-intents carry client_id and a jti.
				if err := idt.Claims(&claims); err != nil || idt.Issuer != ts.Issuer() || claims.ClientID != "conf-client" || claims.Jti == "" {
					t.Fatalf("token %d: %v %+v %+v", i, err, idt, claims)
				}
			}

			for i, tok := range []*oauth2.Token{tok1, tok2} {
				post := func(u, body string) (int, http.Header, string) {
					req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					req.SetBasicAuth("conf-client", "conf-secret")
					resp, err := ts.Client().Do(req)
					if err != nil {
						t.Fatal(err)
					}
					defer resp.Body.Close()
					b, _ := io.ReadAll(resp.Body)
					return resp.StatusCode, resp.Header, string(b)
				}
				form := "token=" + url.QueryEscape(tok.AccessToken) + "&token_type_hint=access_token"
				if _, _, body := post(meta.Introspection, form); !strings.Contains(body, `"active":true`) {
					t.Fatalf("token %d before revocation: %s", i, body)
				}
				if status, _, body := post(meta.Revocation, form); status != 200 || body != "" {
					t.Fatalf("token %d revocation: %d %s", i, status, body)
				}
				if _, _, body := post(meta.Introspection, form); body != `{"active":false}` {
					t.Fatalf("token %d after revocation: %s", i, body)
				}
				req, _ := http.NewRequest(http.MethodGet, ts.ResourceURL(), nil)
				req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
				resp, err := ts.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				var body map[string]string
				_ = json.NewDecoder(resp.Body).Decode(&body)
				resp.Body.Close()
				if resp.StatusCode != 401 || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="invalid_token"`) || body["error"] != "invalid_token" {
					t.Fatalf("token %d at the resource after revocation: %d %v %v", i, resp.StatusCode, resp.Header, body)
				}
				// A JWT is self-contained: an offline verifier still accepts
				// it. Revocation reaches only the server's own checks.
				if _, err := verifier.Verify(ctx, tok.AccessToken); err != nil {
					t.Fatalf("token %d offline: %v", i, err)
				}
			}
		})
	}
}
