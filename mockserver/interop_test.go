package mockserver_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/oauthconform/oauthconform/mockserver"
)

// These tests use golang.org/x/oauth2, an off-the-shelf client, against the
// embedded mock of every profile where the flow applies.

func clientCtx(ts *mockserver.TestServer, header http.Header) context.Context {
	c := &http.Client{Transport: headerTransport{base: ts.Client().Transport, header: header}}
	return context.WithValue(context.Background(), oauth2.HTTPClient, c)
}

type headerTransport struct {
	base   http.RoundTripper
	header http.Header
}

func (t headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range t.header {
		r.Header[k] = v
	}
	return t.base.RoundTrip(r)
}

func TestOAuth2ClientCredentials(t *testing.T) {
	for _, tt := range []struct {
		profile string
		style   oauth2.AuthStyle
		scopes  []string
	}{
		{"rfc6749", oauth2.AuthStyleInHeader, []string{"read", "write"}},
		{"rfc6749", oauth2.AuthStyleInParams, nil},
		{"oauth20-intents", oauth2.AuthStyleInHeader, []string{"payments"}},
		{"merchant-customer", oauth2.AuthStyleInHeader, []string{"customer"}},
		{"merchant-customer", oauth2.AuthStyleInParams, nil},
	} {
		t.Run(tt.profile, func(t *testing.T) {
			ts := mockserver.NewTestServer(t, tt.profile)
			cfg := clientcredentials.Config{ClientID: "conf-client", ClientSecret: "conf-secret", TokenURL: ts.TokenURL(), Scopes: tt.scopes, AuthStyle: tt.style}
			tok, err := cfg.Token(clientCtx(ts, nil))
			if err != nil {
				t.Fatal(err)
			}
			if tok.AccessToken == "" || tok.Expiry.Before(time.Now()) || !tokenTypeIsBearer(tok) {
				t.Fatalf("token %+v", tok)
			}
		})
	}
}

func tokenTypeIsBearer(tok *oauth2.Token) bool { return tok.Type() == "Bearer" }

func TestOAuth2CodeExchangeWithPKCEAndRefresh(t *testing.T) {
	for _, tt := range []struct {
		profile, client, secret, redirect string
		header                            http.Header
		rotates                           bool
	}{
		{"rfc6749", "conf-client", "conf-secret", "http://127.0.0.1:8765/callback", nil, true},
		{"rfc6749", "public-client", "", "http://127.0.0.1:8765/callback", nil, true},
		{"oauth20-intents", "conf-client", "conf-secret", "http://127.0.0.1:8765/callback", nil, false},
		{"oob-pkce", "public-client", "", "urn:ietf:wg:oauth:2.0:oob:auto", http.Header{"X-Api-Key": {"demo-api-key"}}, true},
	} {
		t.Run(tt.profile+"/"+tt.client, func(t *testing.T) {
			ts := mockserver.NewTestServer(t, tt.profile)
			ctx := clientCtx(ts, tt.header)
			style := oauth2.AuthStyleInHeader
			if tt.secret == "" {
				style = oauth2.AuthStyleInParams
			}
			cfg := &oauth2.Config{
				ClientID: tt.client, ClientSecret: tt.secret, RedirectURL: tt.redirect,
				Endpoint: oauth2.Endpoint{AuthURL: ts.AuthorizeURL(), TokenURL: ts.TokenURL(), AuthStyle: style},
			}
			verifier := oauth2.GenerateVerifier()
			code, err := ts.MintCode(ctx, mockserver.CodeRequest{
				ClientID: tt.client, RedirectURI: tt.redirect,
				CodeChallenge: oauth2.S256ChallengeFromVerifier(verifier), CodeChallengeMethod: "S256",
			})
			if err != nil {
				t.Fatal(err)
			}
			opts := []oauth2.AuthCodeOption{oauth2.VerifierOption(verifier)}
			if tt.profile == "oob-pkce" {
				// The dialect wants redirect_uri on every request, refresh too:
				// x/oauth2 sends it on the exchange only.
				opts = append(opts, oauth2.SetAuthURLParam("redirect_uri", tt.redirect))
			}
			tok, err := cfg.Exchange(ctx, code, opts...)
			if err != nil {
				t.Fatal(err)
			}
			if tok.RefreshToken == "" {
				t.Fatal("no refresh token")
			}
			if tt.profile == "oob-pkce" {
				return // its refresh needs redirect_uri, which TokenSource does not send
			}
			// Expire the token so TokenSource refreshes it.
			old := *tok
			tok.Expiry = time.Now().Add(-time.Minute)
			fresh, err := cfg.TokenSource(ctx, tok).Token()
			if err != nil {
				t.Fatal(err)
			}
			if fresh.AccessToken == old.AccessToken {
				t.Fatal("refresh returned the same access token")
			}
			if rotated := fresh.RefreshToken != old.RefreshToken; rotated != tt.rotates {
				t.Fatalf("refresh token rotated = %v, want %v", rotated, tt.rotates)
			}
		})
	}
}

func TestOAuth2PasswordGrant(t *testing.T) {
	for _, prof := range []string{"rfc6749", "oauth20-intents", "merchant-customer"} {
		t.Run(prof, func(t *testing.T) {
			ts := mockserver.NewTestServer(t, prof)
			cfg := &oauth2.Config{ClientID: "conf-client", ClientSecret: "conf-secret", Endpoint: oauth2.Endpoint{TokenURL: ts.TokenURL(), AuthStyle: oauth2.AuthStyleInHeader}}
			tok, err := cfg.PasswordCredentialsToken(clientCtx(ts, nil), "alice", "alice-password")
			if err != nil {
				t.Fatal(err)
			}
			if tok.RefreshToken == "" {
				t.Fatal("no refresh token")
			}
			if _, err := cfg.PasswordCredentialsToken(clientCtx(ts, nil), "alice", "wrong"); err == nil {
				t.Fatal("wrong password accepted")
			} else if re, ok := err.(*oauth2.RetrieveError); !ok || re.ErrorCode != "invalid_grant" {
				t.Fatalf("error %v", err)
			}
		})
	}
}
