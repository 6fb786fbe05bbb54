package drivers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/oauthconform/oauthconform/mockserver"
	"github.com/oauthconform/oauthconform/suites/harness"
	"github.com/oauthconform/oauthconform/suites/target"
)

const (
	drvR1    = "http://127.0.0.1:8765/callback"
	drvOOB   = "urn:ietf:wg:oauth:2.0:oob:auto"
	drvNasty = "a b+c/d=e&f%g~h'i!j"
)

var drvAlice = &target.User{Username: "alice", Password: "alice-password"}

// drvMock starts the mock provider for a profile and returns it with a form
// (or, out of band, oob) driver as the fixtures' user.
func drvMock(t *testing.T, prof string, quirks ...string) (*mockserver.TestServer, Driver, harness.Options) {
	t.Helper()
	ts := mockserver.NewTestServer(t, prof, mockserver.WithQuirks(quirks...))
	opts := harness.Options{BaseURL: ts.URL}
	if h := ts.Settings().ClientAuth.APIKeyHeader; h != "" {
		opts.Headers = http.Header{h: {"demo-api-key"}}
	}
	if ts.Settings().Authorize.OOBRedirectURI != "" {
		return ts, NewOOBDriver(opts, ts.AuthorizeURL(), drvAlice, target.FormFields{}), opts
	}
	return ts, NewFormDriver(opts, ts.AuthorizeURL(), drvAlice, target.FormFields{}), opts
}

// drvIssued and drvStr read a token response as the engine's Issued and
// Str(Body(ex), k) do (the drivers cannot import the engine).
func drvIssued(ex *harness.Exchange) bool {
	return ex.Err == nil && ex.Status >= 200 && ex.Status < 300 && drvStr(ex, "access_token") != ""
}

func drvStr(ex *harness.Exchange, k string) string {
	var m map[string]any
	if json.Unmarshal(ex.Body, &m) != nil {
		return ""
	}
	s, _ := m[k].(string)
	return s
}

func drvCodeQuery(clientID, redirect, state string) url.Values {
	q := url.Values{"response_type": {"code"}, "client_id": {clientID}, "state": {state}}
	if redirect != "" {
		q.Set("redirect_uri", redirect)
	}
	return q
}

func drvRedeem(t *testing.T, opts harness.Options, tokenURL string, form url.Values, reqOpts ...harness.RequestOption) *harness.Exchange {
	t.Helper()
	hc, err := harness.NewClient(opts)
	if err != nil {
		t.Fatal(err)
	}
	return hc.PostForm(context.Background(), tokenURL, form, reqOpts...)
}

func TestFormDriverCodeFlow(t *testing.T) {
	ts, d, opts := drvMock(t, "rfc6749")
	q := drvCodeQuery("conf-client", drvR1, drvNasty)
	q.Set("scope", "read write")
	res, err := d.Authorize(context.Background(), AuthzRequest{Query: q})
	if err != nil {
		t.Fatal(err)
	}
	if res.Redirect == nil || !strings.HasPrefix(res.Redirect.String(), drvR1+"?") {
		t.Fatalf("redirect %v", res.Redirect)
	}
	if res.Code() == "" || res.Query.Get("state") != drvNasty || len(res.Fragment) != 0 {
		t.Fatalf("query %v fragment %v", res.Query, res.Fragment)
	}
	if res.LoginResponse == nil || res.LoginResponse.Status != http.StatusSeeOther || res.LoginResponse.Method != http.MethodPost {
		t.Fatalf("login response %+v", res.LoginResponse)
	}
	if len(res.Exchanges) != 2 || res.Page != nil {
		t.Fatalf("%d exchanges, page %v", len(res.Exchanges), res.Page)
	}
	body := string(res.LoginResponse.RequestBody)
	if strings.Contains(body, "alice-password") || !strings.Contains(body, "username=alice") || !strings.Contains(body, "action=approve") {
		t.Fatalf("recorded form body %q", body)
	}
	ex := drvRedeem(t, opts, ts.TokenURL(), url.Values{"grant_type": {"authorization_code"}, "code": {res.Code()}, "redirect_uri": {drvR1}},
		harness.WithBasicAuth("conf-client", "conf-secret"))
	if !drvIssued(ex) || !harness.SameScopes(drvStr(ex, "scope"), "read write") {
		t.Fatalf("code exchange:\n%s", ex)
	}
}

func TestFormDriverIntents(t *testing.T) {
	_, d, _ := drvMock(t, "oauth20-intents")
	q := drvCodeQuery("conf-client", drvR1, "s1")
	q.Set("intent_id", "intent-42")
	q.Set("intent_type", "payments")
	res, err := d.Authorize(context.Background(), AuthzRequest{Query: q})
	if err != nil || res.Code() == "" || res.Query.Get("state") != "s1" {
		t.Fatalf("code flow: %v %v", err, res.Query)
	}
	q.Set("response_type", "token")
	res, err = d.Authorize(context.Background(), AuthzRequest{Query: q})
	if err != nil || res.Fragment.Get("access_token") == "" || res.Fragment.Get("state") != "s1" || len(res.Query) != 0 {
		t.Fatalf("implicit: %v query %v fragment %v", err, res.Query, res.Fragment)
	}
}

func TestOOBDriver(t *testing.T) {
	ts, d, opts := drvMock(t, "oob-pkce")
	v := harness.NewVerifier()
	q := drvCodeQuery("conf-client", drvOOB, drvNasty)
	q.Set("code_challenge", harness.S256(v))
	q.Set("code_challenge_method", "S256")
	res, err := d.Authorize(context.Background(), AuthzRequest{Query: q})
	if err != nil {
		t.Fatal(err)
	}
	if res.Redirect != nil || res.Page == nil || res.Page.Status != http.StatusOK {
		t.Fatalf("redirect %v page %v", res.Redirect, res.Page)
	}
	if res.Code() == "" || res.Query.Get("state") != drvNasty {
		t.Fatalf("query %v", res.Query)
	}
	ex := drvRedeem(t, opts, ts.TokenURL(), url.Values{"grant_type": {"authorization_code"}, "code": {res.Code()},
		"redirect_uri": {drvOOB}, "client_id": {"conf-client"}, "code_verifier": {v}})
	if !drvIssued(ex) {
		t.Fatalf("code exchange:\n%s", ex)
	}

	// Errors are shown on the page too.
	res, err = d.Authorize(context.Background(), AuthzRequest{Query: drvCodeQuery("conf-client", drvOOB, "s2"), Deny: true})
	if err != nil || res.Error() != "access_denied" || res.Query.Get("state") != "s2" || res.Code() != "" {
		t.Fatalf("deny: %v %v", err, res.Query)
	}
	// An error page before the redirect URI is known holds no result, even
	// though its URL carries the request's state.
	res, err = d.Authorize(context.Background(), AuthzRequest{Query: drvCodeQuery("no-such-client", drvOOB, "s3")})
	if err != nil || res.Page == nil || res.Page.Status != http.StatusBadRequest || len(res.Query) != 0 {
		t.Fatalf("error page: %v %v", err, res.Query)
	}
}

func TestFormDriverDenyAndErrors(t *testing.T) {
	_, d, _ := drvMock(t, "rfc6749")
	res, err := d.Authorize(context.Background(), AuthzRequest{Query: drvCodeQuery("conf-client", drvR1, "s"), Deny: true})
	if err != nil || res.Redirect == nil || res.Error() != "access_denied" || res.Query.Get("state") != "s" || res.Code() != "" {
		t.Fatalf("deny: %v %v", err, res.Query)
	}
	if !strings.Contains(string(res.LoginResponse.RequestBody), "action=deny") {
		t.Fatalf("deny body %q", res.LoginResponse.RequestBody)
	}
	// An error redirect before any login.
	q := drvCodeQuery("conf-client", drvR1, "s")
	q.Set("response_type", "zz")
	res, err = d.Authorize(context.Background(), AuthzRequest{Query: q})
	if err != nil || res.Error() != "unsupported_response_type" || res.LoginResponse != nil || len(res.Exchanges) != 1 {
		t.Fatalf("unsupported response type: %v %v", err, res.Query)
	}
	// An error page: the flow ends on the server.
	res, err = d.Authorize(context.Background(), AuthzRequest{Query: drvCodeQuery("conf-client", "https://attacker.example/cb", "s")})
	if err != nil || res.Redirect != nil || res.Page == nil || res.Page.Status != http.StatusBadRequest {
		t.Fatalf("error page: %v %+v", err, res)
	}
	// RawQuery is sent verbatim.
	res, err = d.Authorize(context.Background(), AuthzRequest{RawQuery: "response_type=code&client_id=conf-client&state=a&state=b&redirect_uri=" + url.QueryEscape(drvR1)})
	if err != nil || res.Error() != "invalid_request" {
		t.Fatalf("raw query: %v %v", err, res.Query)
	}
	// Wrong credentials: the login form comes back.
	bad := NewFormDriver(harness.Options{}, d.(*FormDriver).AuthorizeURL, &target.User{Username: "alice", Password: "wrong"}, target.FormFields{})
	res, err = bad.Authorize(context.Background(), AuthzRequest{Query: drvCodeQuery("conf-client", drvR1, "s")})
	if err == nil || res.Page == nil || len(res.Exchanges) != 2 {
		t.Fatalf("wrong password: %v %+v", err, res)
	}
	// No user at all.
	none := NewFormDriver(harness.Options{}, d.(*FormDriver).AuthorizeURL, nil, target.FormFields{})
	if _, err := none.Authorize(context.Background(), AuthzRequest{Query: drvCodeQuery("conf-client", drvR1, "s")}); err == nil {
		t.Fatal("logged in without a user")
	}
}

func TestFormDriverLogin307(t *testing.T) {
	// A 307 is recorded as the login response and not re-posted.
	_, d, _ := drvMock(t, "oob-pkce", "login-307")
	res, err := d.Authorize(context.Background(), AuthzRequest{Query: drvCodeQuery("conf-client", drvOOB, "s")})
	if err != nil || res.LoginResponse.Status != http.StatusTemporaryRedirect || res.Code() == "" {
		t.Fatalf("%v %v %v", err, res.LoginResponse, res.Query)
	}
	if last := res.Exchanges[len(res.Exchanges)-1]; last.Method != http.MethodGet {
		t.Fatalf("followed the 307 with %s", last.Method)
	}
}

// A provider with its own field names, a separate consent page with a
// checkbox, relative redirects and a session cookie.
func drvCustomProvider(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/authorize", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "req", Value: url.QueryEscape(r.URL.RawQuery), Path: "/"})
		http.Redirect(w, r, "/login", http.StatusFound)
	})
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, `<html><head><title>Log in</title></head><body>
<form id="lang" action="/lang"><select name="lang"><option value="en">en</option></select><button>Go</button></form>
<form method="POST" action="login"><input type="hidden" name="csrf" value="tok">
<input name="email" type="email" autocomplete="username"><input name="secret" type="password">
<input type="checkbox" name="remember" value="1"><button type="submit" name="go" value="1">Sign in</button></form></body></html>`)
			return
		}
		_ = r.ParseForm()
		if r.PostForm.Get("csrf") != "tok" || r.PostForm.Get("email") != "bob" || r.PostForm.Get("secret") != "pw" || r.PostForm.Has("remember") || r.PostForm.Get("go") != "1" {
			http.Error(w, "bad login "+r.PostForm.Encode(), http.StatusBadRequest)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: "bob", Path: "/"})
		http.Redirect(w, r, "/consent", http.StatusSeeOther)
	})
	mux.HandleFunc("/consent", func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("sid"); err != nil || c.Value != "bob" {
			http.Error(w, "no session", http.StatusUnauthorized)
			return
		}
		if r.Method == http.MethodGet {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, `<!DOCTYPE html><form method=post><label><input type=checkbox name=agree value=yes> I agree</label>
<input type=submit name=decision value="Cancel"><input type=submit name=decision value="Allow access"></form>`)
			return
		}
		_ = r.ParseForm()
		rc, _ := r.Cookie("req")
		raw, _ := url.QueryUnescape(rc.Value)
		req, _ := url.ParseQuery(raw)
		target := req.Get("redirect_uri") + "?state=" + url.QueryEscape(req.Get("state"))
		switch {
		case r.PostForm.Get("decision") == "Cancel":
			target += "&error=access_denied"
		case r.PostForm.Get("agree") == "yes" && r.PostForm.Get("decision") == "Allow access":
			target += "&code=c0de"
		default:
			http.Error(w, "bad consent "+r.PostForm.Encode(), http.StatusBadRequest)
			return
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
	})
	mux.HandleFunc("/auto", func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, `<form method=post><input name=username><input type=password name=password><button>Sign in</button></form>`)
			return
		}
		http.Redirect(w, r, "https://client.example/cb?code=auto&state=st", http.StatusSeeOther)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	mux.HandleFunc("/away", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<form method=post action="https://elsewhere.example/login"><input type=password name=password><button>Sign in</button></form>`)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestFormDriverCustomProvider(t *testing.T) {
	srv := drvCustomProvider(t)
	user := &target.User{Username: "bob", Password: "pw"}
	d := NewFormDriver(harness.Options{}, srv.URL+"/authorize", user, target.FormFields{Password: "secret", Consent: "agree"})
	res, err := d.Authorize(context.Background(), AuthzRequest{Query: drvCodeQuery("c", "https://client.example/cb", "st")})
	if err != nil {
		t.Fatalf("%v\n%s", err, res.Exchanges[len(res.Exchanges)-1])
	}
	if res.Redirect == nil || res.Redirect.Host != "client.example" || res.Code() != "c0de" || res.Query.Get("state") != "st" {
		t.Fatalf("%+v", res)
	}
	if len(res.Exchanges) != 5 || res.LoginResponse != res.Exchanges[2] {
		t.Fatalf("%d exchanges", len(res.Exchanges))
	}
	if strings.Contains(string(res.LoginResponse.RequestBody), "secret=pw") {
		t.Fatalf("password in the evidence: %s", res.LoginResponse.RequestBody)
	}

	res, err = d.Authorize(context.Background(), AuthzRequest{Query: drvCodeQuery("c", "https://client.example/cb", "st"), Deny: true})
	if err != nil || res.Error() != "access_denied" {
		t.Fatalf("deny: %v %v", err, res.Query)
	}

	// A server that never asks for consent cannot be refused.
	auto := NewFormDriver(harness.Options{}, srv.URL+"/auto", user, target.FormFields{})
	if res, err := auto.Authorize(context.Background(), AuthzRequest{Query: url.Values{}}); err != nil || res.Code() != "auto" {
		t.Fatalf("auto consent: %v", err)
	}
	if _, err := auto.Authorize(context.Background(), AuthzRequest{Query: url.Values{}, Deny: true}); !errors.Is(err, ErrNotSupported) {
		t.Fatalf("auto consent, deny: %v", err)
	}

	// The redirect loop, the form posting elsewhere, the context.
	loop := NewFormDriver(harness.Options{}, srv.URL+"/loop", user, target.FormFields{})
	if res, err := loop.Authorize(context.Background(), AuthzRequest{Query: url.Values{}}); err == nil || len(res.Exchanges) != formMaxRedirects+1 {
		t.Fatalf("loop: %v", err)
	}
	away := NewFormDriver(harness.Options{}, srv.URL+"/away", user, target.FormFields{})
	if res, err := away.Authorize(context.Background(), AuthzRequest{Query: url.Values{}}); err == nil || len(res.Exchanges) != 1 {
		t.Fatalf("away: %v", err)
	}
	slow := NewFormDriver(harness.Options{}, srv.URL+"/slow", user, target.FormFields{})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := slow.Authorize(ctx, AuthzRequest{Query: url.Values{}}); err == nil {
		t.Fatal("slow: no error")
	}
}

func TestFormPageParsing(t *testing.T) {
	pg := parseHTMLPage([]byte(`<title> Success code=a%2Bb&amp;state=x+y </title><p>no form</p>`))
	if pg.pickForm() != nil {
		t.Fatal("form found")
	}
	v := oobResult(pg, &harness.Exchange{URL: "http://as/oob?code=zzz"}, true)
	if v.Get("code") != "a+b" || v.Get("state") != "x y" {
		t.Fatalf("%v", v)
	}
	// Without a result in the title, the URL of a redirect target is read.
	pg = parseHTMLPage([]byte(`<title>Your code</title>`))
	if v := oobResult(pg, &harness.Exchange{URL: "http://as/oob?code=zzz&state=s&other=1"}, true); v.Get("code") != "zzz" || v.Has("other") {
		t.Fatalf("%v", v)
	}
	if v := oobResult(pg, &harness.Exchange{URL: "http://as/oob?code=zzz"}, false); len(v) != 0 {
		t.Fatalf("%v", v)
	}
	for _, tt := range []struct {
		html            string
		deny            bool
		want            string
		wantUnsupported bool
	}{
		{`<form method=post><input name=username><input type=password name=password><button name=action value=approve>Approve</button><button name=action value=deny>Deny</button></form>`, false, "username=u&password=p&action=approve", false},
		{`<form method=post><input name=username><input type=password name=password><button name=action value=approve>Approve</button><button name=action value=deny>Deny</button></form>`, true, "username=u&password=p&action=deny", false},
		{`<form method=post><input name=login><input type=password name=pw><input type=submit value="Log in"></form>`, false, "login=u&pw=p", false},
		{`<form method=post><input name=login><input type=password name=pw><input type=submit value="Log in"></form>`, true, "login=u&pw=p", false},
		{`<form method=post><input type=hidden name=h value=1><button name=ok value=yes>Allow</button></form>`, true, "", true},
		{`<form method=post><input type=hidden name=h value=1><input disabled name=d value=2><select name=s><option>a<option selected value=b>B</select><textarea name=t>x</textarea><button type=button name=b>x</button><button name=ok value=yes>Allow</button></form>`, false, "h=1&s=b&t=x&ok=yes", false},
	} {
		f := parseHTMLPage([]byte(tt.html)).pickForm()
		d := &FormDriver{User: &target.User{Username: "u", Password: "p"}}
		sub, err := d.fill(f, tt.deny)
		if tt.wantUnsupported {
			if !errors.Is(err, ErrNotSupported) {
				t.Fatalf("%s: %v", tt.html, err)
			}
			continue
		}
		if err != nil || sub.encode() != tt.want {
			t.Fatalf("%s deny=%v: got %v %v, want %s", tt.html, tt.deny, sub, err, tt.want)
		}
	}
}

func drvScript(t *testing.T, body string) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("shell scripts")
	}
	p := filepath.Join(t.TempDir(), "driver.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCommandDriver(t *testing.T) {
	ctx := context.Background()
	req := AuthzRequest{Query: drvCodeQuery("c", "https://client.example/cb", "st")}
	// The URL arrives as the last argument and in the environment.
	script := drvScript(t, `test "$2" = "$OAUTHCONFORM_AUTHORIZE_URL" || exit 1
test "$1" = "extra" || exit 1
echo "opening $2"
case "$2" in *state=st*) ;; *) exit 1;; esac
if [ "$OAUTHCONFORM_DENY" = 1 ]; then echo "$OAUTHCONFORM_REDIRECT_URI?error=access_denied&state=st"; exit 0; fi
echo "$OAUTHCONFORM_REDIRECT_URI?code=c0de&state=st#frag=1"
echo`)
	d := NewCommandDriver([]string{script, "extra"}, "https://as.example/authorize", &target.User{Username: "u", Password: "p"})
	res, err := d.Authorize(ctx, req)
	if err != nil || res.Redirect == nil || res.Code() != "c0de" || res.Query.Get("state") != "st" || res.Fragment.Get("frag") != "1" {
		t.Fatalf("%v %+v", err, res)
	}
	if len(res.Exchanges) != 1 || !strings.HasPrefix(res.Exchanges[0].URL, "https://as.example/authorize?") {
		t.Fatalf("evidence %+v", res.Exchanges)
	}
	req.Deny = true
	if res, err := d.Authorize(ctx, req); err != nil || res.Error() != "access_denied" {
		t.Fatalf("deny: %v %v", err, res.Query)
	}
	req.Deny = false

	for out, want := range map[string]func(*AuthzResult) bool{
		"c0de":                                  func(r *AuthzResult) bool { return r.Code() == "c0de" && r.Redirect == nil && !r.Query.Has("state") },
		"abc==":                                 func(r *AuthzResult) bool { return r.Code() == "abc==" },
		"code=c0de&state=st":                    func(r *AuthzResult) bool { return r.Code() == "c0de" && r.Query.Get("state") == "st" },
		"?error=access_denied":                  func(r *AuthzResult) bool { return r.Error() == "access_denied" },
		"#access_token=t&state=st":              func(r *AuthzResult) bool { return r.Fragment.Get("access_token") == "t" && len(r.Query) == 0 },
		"urn:ietf:wg:oauth:2.0:oob:auto?code=x": func(r *AuthzResult) bool { return r.Code() == "x" && r.Redirect != nil },
	} {
		d := NewCommandDriver([]string{drvScript(t, "echo '"+out+"'")}, "https://as.example/authorize", nil)
		res, err := d.Authorize(ctx, req)
		if err != nil || !want(res) {
			t.Fatalf("%q: %v %+v", out, err, res)
		}
	}

	// Exit 3 declines; other failures are errors; the context kills it.
	if _, err := NewCommandDriver([]string{drvScript(t, "exit 3")}, "https://as.example/a", nil).Authorize(ctx, req); !errors.Is(err, ErrNotSupported) {
		t.Fatalf("exit 3: %v", err)
	}
	if _, err := NewCommandDriver([]string{drvScript(t, "echo oops >&2; exit 1")}, "https://as.example/a", nil).Authorize(ctx, req); err == nil || !strings.Contains(err.Error(), "oops") {
		t.Fatalf("exit 1: %v", err)
	}
	// Its standard error reaches reports: the password and codes are redacted.
	leaky := NewCommandDriver([]string{drvScript(t, `echo "login as u with $OAUTHCONFORM_PASSWORD failed; code=abc123" >&2; exit 1`)},
		"https://as.example/a", &target.User{Username: "u", Password: "hunter2-secret"})
	if _, err := leaky.Authorize(ctx, req); err == nil || strings.Contains(err.Error(), "hunter2-secret") || strings.Contains(err.Error(), "abc123") {
		t.Fatalf("stderr not redacted: %v", err)
	}
	if _, err := NewCommandDriver([]string{drvScript(t, "true")}, "https://as.example/a", nil).Authorize(ctx, req); err == nil {
		t.Fatal("no output accepted")
	}
	slow := NewCommandDriver([]string{drvScript(t, "sleep 10")}, "https://as.example/a", nil)
	slow.Timeout = 200 * time.Millisecond
	start := time.Now()
	if _, err := slow.Authorize(ctx, req); err == nil || time.Since(start) > 8*time.Second {
		t.Fatalf("timeout: %v after %s", err, time.Since(start))
	}
}

// The command driver against the real mock: a script that completes the
// flow with curl would need a browser; here the script hands back a code
// minted by the test, proving the result feeds the token endpoint.
func TestCommandDriverWithMock(t *testing.T) {
	ts := mockserver.NewTestServer(t, "rfc6749")
	code, err := ts.MintCode(context.Background(), mockserver.CodeRequest{ClientID: "conf-client"})
	if err != nil {
		t.Fatal(err)
	}
	d := NewCommandDriver([]string{drvScript(t, `echo "$OAUTHCONFORM_REDIRECT_URI?code=`+code+`&state=s"`)}, ts.AuthorizeURL(), nil)
	res, err := d.Authorize(context.Background(), AuthzRequest{Query: drvCodeQuery("conf-client", drvR1, "s")})
	if err != nil || res.Code() != code {
		t.Fatalf("%v %v", err, res.Query)
	}
	ex := drvRedeem(t, harness.Options{}, ts.TokenURL(), url.Values{"grant_type": {"authorization_code"}, "code": {res.Code()}, "redirect_uri": {drvR1}},
		harness.WithBasicAuth("conf-client", "conf-secret"))
	if !drvIssued(ex) {
		t.Fatalf("%s", ex)
	}
}

// TestCommandResultLines: the four result forms of the command driver's last
// line, the error page among them.
func TestCommandResultLines(t *testing.T) {
	tests := []struct {
		line     string
		code     string
		frag     string
		page     int
		pageText string
		redirect bool
	}{
		{line: "https://client.example/cb?code=c1&state=s", code: "c1", redirect: true},
		{line: "code=c2&state=s", code: "c2"},
		{line: "#access_token=t&state=s", frag: "t"},
		{line: "c3", code: "c3"},
		{line: "page: 400 Invalid redirect URI", page: 400, pageText: "Invalid redirect URI"},
		{line: "page: the client is unknown", page: 200, pageText: "the client is unknown"},
	}
	for _, tt := range tests {
		res := &AuthzResult{Query: url.Values{}, Fragment: url.Values{}}
		parseCommandResult(tt.line, res)
		if res.Code() != tt.code || res.Fragment.Get("access_token") != tt.frag || (res.Redirect != nil) != tt.redirect {
			t.Errorf("%q: %+v", tt.line, res)
		}
		if tt.page != 0 {
			if res.Page == nil || res.Page.Status != tt.page || string(res.Page.Body) != tt.pageText {
				t.Errorf("%q: page %+v", tt.line, res.Page)
			}
		} else if res.Page != nil {
			t.Errorf("%q: a page", tt.line)
		}
	}
}

func TestMetaRefresh(t *testing.T) {
	for _, tt := range []struct{ content, want string }{
		{"0;url=https://c.example/cb?code=a", "https://c.example/cb?code=a"},
		{"0; URL='https://c.example/cb?x=1'", "https://c.example/cb?x=1"},
		{`5 ; url = "/next"`, "/next"},
		{"0,url=/n", "/n"},
		{"0", ""},
		{"0; nothing", ""},
		{"", ""},
	} {
		if got := metaRefreshURL(tt.content); got != tt.want {
			t.Errorf("metaRefreshURL(%q) = %q, want %q", tt.content, got, tt.want)
		}
	}

	// A server that answers the approval with a meta refresh page, first to
	// a page of its own, then to the client: a browser follows both.
	mux := http.NewServeMux()
	mux.HandleFunc("/authorize", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		if r.Method == http.MethodGet {
			fmt.Fprint(w, `<form method=post><input name=username><input type=password name=password><button>Log in</button></form>`)
			return
		}
		fmt.Fprint(w, `<meta http-equiv="refresh" content="0;url=/done">`)
	})
	mux.HandleFunc("/done", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<html><head><meta http-equiv="Refresh" content="0; URL='https://client.example/cb?code=m%2B1&amp;state=st'"></head></html>`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	d := NewFormDriver(harness.Options{}, srv.URL+"/authorize", &target.User{Username: "u", Password: "p"}, target.FormFields{})
	res, err := d.Authorize(context.Background(), AuthzRequest{Query: drvCodeQuery("c", "https://client.example/cb", "st")})
	if err != nil {
		t.Fatal(err)
	}
	if res.Redirect == nil || res.Redirect.Host != "client.example" || res.Code() != "m+1" || res.Query.Get("state") != "st" || len(res.Exchanges) != 3 {
		t.Fatalf("redirect %v query %v, %d exchanges", res.Redirect, res.Query, len(res.Exchanges))
	}
}
