package fositeserver_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	fositeserver "github.com/oauthconform/oauthconform/interop/fosite"
)

// newTestServer serves fosite over TLS for the glue tests below, with a
// client that does not follow redirects.
func newTestServer(t *testing.T) (string, *http.Client) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	iss := "https://" + srv.Listener.Addr().String()
	fs, err := fositeserver.New(fositeserver.Options{Issuer: iss, CodeLifetime: time.Minute, RefreshTokenScopes: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = fs
	srv.StartTLS()
	t.Cleanup(srv.Close)
	hc := srv.Client()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return iss, hc
}

const authzQuery = "response_type=code&client_id=fosite-primary&scope=read+write&state=state-123456" +
	"&redirect_uri=http%3A%2F%2F127.0.0.1%3A8765%2Fcallback"

func TestLoginAndConsentForm(t *testing.T) {
	iss, hc := newTestServer(t)
	authz := iss + fositeserver.PathAuthorize + "?" + authzQuery

	resp, err := hc.Get(authz)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`name="username"`, `type="password"`, `value="approve"`, `value="deny"`, `method="post"`} {
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), want) {
			t.Fatalf("GET: status %d, page lacks %s:\n%s", resp.StatusCode, want, page)
		}
	}

	post := func(user, pass, consent string) *http.Response {
		t.Helper()
		resp, err := hc.PostForm(authz, url.Values{"username": {user}, "password": {pass}, "consent": {consent}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if r := post(fositeserver.Username, "wrong", "approve"); r.StatusCode != http.StatusOK || r.Header.Get("Location") != "" {
		t.Fatalf("wrong password: status %d, Location %q; want the form again", r.StatusCode, r.Header.Get("Location"))
	}
	r := post(fositeserver.Username, fositeserver.Password, "deny")
	loc, _ := url.Parse(r.Header.Get("Location"))
	if r.StatusCode != http.StatusSeeOther || loc == nil || loc.Query().Get("error") != "access_denied" || loc.Query().Get("state") != "state-123456" {
		t.Fatalf("deny: status %d, Location %q; want 303 with error=access_denied and the state", r.StatusCode, r.Header.Get("Location"))
	}
	r = post(fositeserver.Username, fositeserver.Password, "approve")
	loc, _ = url.Parse(r.Header.Get("Location"))
	code := loc.Query().Get("code")
	if r.StatusCode != http.StatusSeeOther || code == "" || loc.Query().Get("state") != "state-123456" {
		t.Fatalf("approve: status %d, Location %q; want 303 with a code and the state", r.StatusCode, r.Header.Get("Location"))
	}

	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {fositeserver.RedirectURI}}
	req, _ := http.NewRequest(http.MethodPost, iss+fositeserver.PathToken, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("fosite-primary", fositeserver.Clients[0].Secret)
	resp, err = hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		Scope        string `json:"scope"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("code exchange: status %d, %v", resp.StatusCode, err)
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" || tok.Scope != "read write" {
		t.Fatalf("code exchange: got %+v", tok)
	}
}

func TestMetadata(t *testing.T) {
	iss, hc := newTestServer(t)
	resp, err := hc.Get(iss + fositeserver.PathMetadata)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var md map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&md); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, %v", resp.StatusCode, err)
	}
	if md["issuer"] != iss || md["token_endpoint"] != iss+fositeserver.PathToken {
		t.Fatalf("metadata: %v", md)
	}
	if got := md["code_challenge_methods_supported"]; len(got.([]any)) != 1 {
		t.Fatalf("plain is off by default, got code_challenge_methods_supported %v", got)
	}
}
