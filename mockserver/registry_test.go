package mockserver

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/oauthconform/oauthconform/profile"
)

func TestAddClientAndUser(t *testing.T) {
	ts := NewTestServer(t, "rfc6749")
	err := ts.AddClient(profile.Client{ID: "svc", Secret: "svc-secret", GrantTypes: []string{profile.GrantClientCredentials, profile.GrantPassword},
		AccessTokenClaims: map[string]any{"tenant": "t1"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := ts.AddUser(profile.User{Username: "bob", Password: "bob-pw", Subject: "u-42", AccessTokenClaims: map[string]any{"level": 2}}); err != nil {
		t.Fatal(err)
	}
	svc := [2]string{"svc", "svc-secret"}
	tok := mustToken(t, ts, tokenReq{body: "grant_type=password&username=bob&password=bob-pw", basic: svc}).str("access_token")
	if c, _ := jwtMembers(t, tok); c["sub"] != "u-42" || c["tenant"] != "t1" || c["level"] != float64(2) || c["client_id"] != "svc" {
		t.Fatalf("claims %v", c)
	}
	wantError(t, doToken(t, ts, tokenReq{body: "grant_type=authorization_code&code=x", basic: svc}), http.StatusBadRequest, "unauthorized_client")
	if _, ok := ts.Fixtures().Client("svc"); !ok || len(ts.Fixtures().Users) != 2 {
		t.Fatal("Fixtures lacks the added registrations")
	}
	if _, err := ts.IssueToken(context.Background(), IssueRequest{ClientID: "svc", Subject: "u-42"}); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		dialect string
		add     func(ts *TestServer) error
		want    string
	}{
		{"duplicate client", "rfc6749", func(ts *TestServer) error { return ts.AddClient(profile.Client{ID: "conf-client", Secret: "x"}) }, "registered twice"},
		{"duplicate user", "rfc6749", func(ts *TestServer) error { return ts.AddUser(profile.User{Username: "alice"}) }, "registered twice"},
		{"no id", "rfc6749", func(ts *TestServer) error { return ts.AddClient(profile.Client{Secret: "x"}) }, "required"},
		{"no username", "rfc6749", func(ts *TestServer) error { return ts.AddUser(profile.User{}) }, "required"},
		{"non-VSCHAR secret", "rfc6749", func(ts *TestServer) error { return ts.AddClient(profile.Client{ID: "c", Secret: "s\u00e9"}) }, "VSCHAR"},
		{"unknown grant", "rfc6749", func(ts *TestServer) error {
			return ts.AddClient(profile.Client{ID: "c", Secret: "s", GrantTypes: []string{"implicit"}})
		}, "not a grant type"},
		{"bad claims", "rfc6749", func(ts *TestServer) error {
			return ts.AddUser(profile.User{Username: "u", AccessTokenClaims: map[string]any{"f": func() {}}})
		}, "access_token_claims"},
		{"public client without none", "merchant-customer", func(ts *TestServer) error { return ts.AddClient(profile.Client{ID: "pub"}) }, "no public client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := NewTestServer(t, tt.dialect)
			if err := tt.add(ts); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want %q", err, tt.want)
			}
		})
	}
}

// Clients added to an out-of-band dialect get its redirect URI and lose
// their secret, as the fixtures do.
func TestAddClientAdapted(t *testing.T) {
	ts := NewTestServer(t, "oob-pkce")
	if err := ts.AddClient(profile.Client{ID: "native", Secret: "ignored", RedirectURIs: []string{"http://127.0.0.1/cb"}}); err != nil {
		t.Fatal(err)
	}
	c, ok := ts.Fixtures().Client("native")
	if !ok || c.Secret != "" || len(c.RedirectURIs) != 1 || c.RedirectURIs[0] != oobURI {
		t.Fatalf("%+v", c)
	}
	if _, err := ts.MintCode(context.Background(), CodeRequest{ClientID: "native", CodeChallenge: s256(verifier), CodeChallengeMethod: "S256"}); err != nil {
		t.Fatal(err)
	}
}

// Registrations while requests are in flight (run with -race).
func TestAddClientConcurrent(t *testing.T) {
	ts := NewTestServer(t, "rfc6749")
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				id := fmt.Sprintf("c-%d-%d", w, i)
				if err := ts.AddClient(profile.Client{ID: id, Secret: "s"}); err != nil {
					t.Error(err)
					return
				}
				if err := ts.AddUser(profile.User{Username: id, Password: "p"}); err != nil {
					t.Error(err)
					return
				}
				req, _ := http.NewRequest(http.MethodPost, ts.TokenURL(), strings.NewReader("grant_type=password&username="+id+"&password=p"))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Authorization", basicHeader(id, "s"))
				resp, err := ts.Client().Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Errorf("%s: %d", id, resp.StatusCode)
					return
				}
			}
		}()
	}
	for i := 0; i < 40; i++ {
		mustToken(t, ts, tokenReq{body: ccBody, basic: conf})
	}
	wg.Wait()
	if n := len(ts.Fixtures().Clients); n != len(profile.DefaultFixtures().Clients)+80 {
		t.Fatalf("%d clients", n)
	}
}
