package drivers

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/oauthconform/oauthconform/mockserver"
	"github.com/oauthconform/oauthconform/suites/harness"
	"github.com/oauthconform/oauthconform/suites/target"
)

// The shapes of refusal a consent page may offer, on a small provider: every
// shape but "combined" signs the user in on a login page first (which also
// has a Cancel link that must not be taken), then shows the consent page of
// the shape. Approving redirects to the client with code=c0de&state=...,
// refusing with error=access_denied&state=...; the login page's Cancel link
// adds error_description=cancelled-at-login.
const (
	fdnCSRF     = "csrf-7f3a9"
	fdnDenyCSRF = "deny-csrf-41c2" // the separate deny form's own token
	fdnUser     = "carol"
	fdnPassword = "carol-pw-93"
	fdnCallback = "https://client.example/cb"
)

var fdnConsentPages = map[string]string{
	// The existing shape: the deny button inside the consent form.
	"button": `<form method=post action=consent><input type=hidden name=csrf value=` + fdnCSRF + `>
<button name=decision value=allow>Allow</button> <button name=decision value=deny>Deny</button></form>`,
	// A second form with its own token and a Cancel submit.
	"form": `<form method=post action=consent><input type=hidden name=csrf value=` + fdnCSRF + `>
<button name=decision value=allow>Allow</button></form>
<form method=post action=consent/deny><input type=hidden name=csrf value=` + fdnDenyCSRF + `><input type=submit value="Cancel"></form>`,
	// The deny form first, its decision in a hidden field.
	"form-first": `<form method=post action=consent><input type=hidden name=csrf value=` + fdnCSRF + `>
<input type=hidden name=decision value=deny><button>Reject</button></form>
<form method=post action=consent><input type=hidden name=csrf value=` + fdnCSRF + `>
<button name=decision value=allow>Authorize</button></form>`,
	// A second form that refuses by its action only.
	"action": `<form method=post action=consent><input type=hidden name=csrf value=` + fdnCSRF + `>
<button name=decision value=allow>Allow</button></form>
<form method=post action="consent/reject"><input type=hidden name=csrf value=` + fdnCSRF + `><button type=submit>Back to the application</button></form>`,
	// A link styled as a button whose text refuses, after links that must
	// be ignored (another origin, javascript:, fragment, help).
	"link-text": `<form method=post action=consent><input type=hidden name=csrf value=` + fdnCSRF + `>
<button name=decision value=allow>Allow</button></form>
<a href="https://elsewhere.example/consent/deny">Cancel</a> <a href="javascript:history.back()">Cancel</a>
<a href="#">Deny</a> <a href="/help">Help</a>
<a class="btn btn-secondary" role="button" href="choice?c=n&amp;t=` + fdnCSRF + `">No thanks</a>`,
	// A link whose href refuses, its text a glyph.
	"link-href": `<form method=post action=consent><input type=hidden name=csrf value=` + fdnCSRF + `>
<button name=decision value=allow>Allow</button></form>
<a href="/help?topic=consent">What is this?</a> <a class=close href="consent?decision=deny&amp;csrf=` + fdnCSRF + `#top">&times;</a>`,
	// No way to refuse.
	"none": `<form method=post action=consent><input type=hidden name=csrf value=` + fdnCSRF + `>
<button name=decision value=allow>Allow</button></form><a href="/help">Help</a>`,
	// Refusals only off the authorization server: none to take.
	"offsite": `<form method=post action=consent><input type=hidden name=csrf value=` + fdnCSRF + `>
<button name=decision value=allow>Allow</button></form>
<form method=post action="https://elsewhere.example/deny"><button>Deny</button></form>
<a href="https://elsewhere.example/cancel">Cancel</a> <a href=" JavaScript:deny()">Deny</a>
<a href="` + fdnCallback + `?error=access_denied">Cancel</a>`,
	// Login and consent on one page, refused by a link without signing in.
	"combined": `<form method=post action=consent><input type=hidden name=csrf value=` + fdnCSRF + `>
<input name=username><input type=password name=password><button name=decision value=allow>Approve</button></form>
<a href="consent?decision=deny&amp;csrf=` + fdnCSRF + `">Cancel</a>`,
}

func fdnPage(w http.ResponseWriter, title, body string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, "<!DOCTYPE html><html><head><title>%s</title></head><body>\n%s\n</body></html>", title, body)
}

// fdnProvider serves /s/{shape}/...: authorize, login, cancel (the login
// page's link), consent, consent/deny, consent/reject and choice; shape
// "noconsent" redirects with a code right after the login.
func fdnProvider(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	// finish answers the pending request at the client's redirect URI.
	finish := func(w http.ResponseWriter, r *http.Request, v url.Values) {
		rc, err := r.Cookie("req")
		if err != nil {
			http.Error(w, "no pending request", http.StatusBadRequest)
			return
		}
		raw, _ := url.QueryUnescape(rc.Value)
		req, _ := url.ParseQuery(raw)
		v.Set("state", req.Get("state"))
		http.Redirect(w, r, req.Get("redirect_uri")+"?"+v.Encode(), http.StatusSeeOther)
	}
	denied := func(w http.ResponseWriter, r *http.Request) { finish(w, r, url.Values{"error": {"access_denied"}}) }
	signedIn := func(r *http.Request) bool {
		c, err := r.Cookie("sid")
		return err == nil && c.Value == fdnUser
	}
	mux.HandleFunc("/s/{shape}/{step...}", func(w http.ResponseWriter, r *http.Request) {
		shape, step := r.PathValue("shape"), r.PathValue("step")
		if _, ok := fdnConsentPages[shape]; !ok && shape != "noconsent" {
			http.NotFound(w, r)
			return
		}
		_ = r.ParseForm()
		switch {
		case step == "authorize" && r.Method == http.MethodGet:
			http.SetCookie(w, &http.Cookie{Name: "req", Value: url.QueryEscape(r.URL.RawQuery), Path: "/"})
			next := "login"
			if shape == "combined" {
				next = "consent"
			}
			http.Redirect(w, r, next, http.StatusFound)
		case step == "login" && r.Method == http.MethodGet:
			fdnPage(w, "Sign in", `<form method=post action=login><input type=hidden name=csrf value=`+fdnCSRF+`>
<input name=username><input type=password name=password><button type=submit>Sign in</button></form>
<p><a href="cancel">Cancel</a></p>`)
		case step == "login" && r.Method == http.MethodPost:
			if r.PostForm.Get("csrf") != fdnCSRF || r.PostForm.Get("username") != fdnUser || r.PostForm.Get("password") != fdnPassword {
				http.Error(w, "bad login", http.StatusBadRequest)
				return
			}
			http.SetCookie(w, &http.Cookie{Name: "sid", Value: fdnUser, Path: "/"})
			if shape == "noconsent" {
				finish(w, r, url.Values{"code": {"c0de"}})
				return
			}
			http.Redirect(w, r, "consent", http.StatusSeeOther)
		case step == "cancel":
			finish(w, r, url.Values{"error": {"access_denied"}, "error_description": {"cancelled-at-login"}})
		case !signedIn(r) && shape != "combined":
			http.Error(w, "not signed in", http.StatusUnauthorized)
		case step == "consent" && r.Method == http.MethodGet && r.URL.Query().Has("decision"):
			if r.URL.Query().Get("decision") != "deny" || r.URL.Query().Get("csrf") != fdnCSRF {
				http.Error(w, "bad deny link", http.StatusBadRequest)
				return
			}
			denied(w, r)
		case step == "consent" && r.Method == http.MethodGet:
			fdnPage(w, "Authorize the client", fdnConsentPages[shape])
		case step == "consent" && r.Method == http.MethodPost:
			if r.PostForm.Get("csrf") != fdnCSRF {
				http.Error(w, "bad csrf", http.StatusForbidden)
				return
			}
			switch r.PostForm.Get("decision") {
			case "deny":
				denied(w, r)
			case "allow":
				if shape == "combined" && (r.PostForm.Get("username") != fdnUser || r.PostForm.Get("password") != fdnPassword) {
					http.Error(w, "bad login", http.StatusBadRequest)
					return
				}
				finish(w, r, url.Values{"code": {"c0de"}})
			default:
				http.Error(w, "no decision", http.StatusBadRequest)
			}
		case step == "consent/deny" && r.Method == http.MethodPost:
			if r.PostForm.Get("csrf") != fdnDenyCSRF {
				http.Error(w, "bad csrf", http.StatusForbidden)
				return
			}
			denied(w, r)
		case step == "consent/reject" && r.Method == http.MethodPost:
			if r.PostForm.Get("csrf") != fdnCSRF {
				http.Error(w, "bad csrf", http.StatusForbidden)
				return
			}
			denied(w, r)
		case step == "choice" && r.Method == http.MethodGet:
			if r.URL.Query().Get("c") != "n" || r.URL.Query().Get("t") != fdnCSRF {
				http.Error(w, "bad choice", http.StatusBadRequest)
				return
			}
			denied(w, r)
		default:
			http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusBadRequest)
		}
	})
	mux.HandleFunc("/help", func(w http.ResponseWriter, r *http.Request) { fdnPage(w, "Help", "<p>Help.</p>") })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// fdnStep is an exchange as "METHOD /path" (the query left out).
func fdnStep(ex *harness.Exchange) string {
	u, err := url.Parse(ex.URL)
	if err != nil {
		return ex.Method + " " + ex.URL
	}
	return ex.Method + " " + u.Path
}

func TestFormDenyShapes(t *testing.T) {
	srv := fdnProvider(t)
	for _, tt := range []struct {
		shape string
		deny  bool
		// want is "code", "access_denied" or "" for errNoDenyControl.
		want string
		// decision is the exchange answered by the redirect to the client.
		decision string
		// login: the credentials were posted to the login page.
		login bool
	}{
		{"button", true, "access_denied", "POST /s/button/consent", true},
		{"button", false, "code", "POST /s/button/consent", true},
		{"form", true, "access_denied", "POST /s/form/consent/deny", true},
		{"form", false, "code", "POST /s/form/consent", true},
		{"form-first", true, "access_denied", "POST /s/form-first/consent", true},
		{"form-first", false, "code", "POST /s/form-first/consent", true},
		{"action", true, "access_denied", "POST /s/action/consent/reject", true},
		{"action", false, "code", "POST /s/action/consent", true},
		{"link-text", true, "access_denied", "GET /s/link-text/choice", true},
		{"link-text", false, "code", "POST /s/link-text/consent", true},
		{"link-href", true, "access_denied", "GET /s/link-href/consent", true},
		{"link-href", false, "code", "POST /s/link-href/consent", true},
		{"none", true, "", "", true},
		{"none", false, "code", "POST /s/none/consent", true},
		{"offsite", true, "", "", true},
		{"offsite", false, "code", "POST /s/offsite/consent", true},
		{"combined", true, "access_denied", "GET /s/combined/consent", false},
		{"combined", false, "code", "POST /s/combined/consent", false},
		// No consent step: the Cancel link of the login page is not taken,
		// and the code that follows the login is no refusal.
		{"noconsent", true, "", "", true},
		{"noconsent", false, "code", "POST /s/noconsent/login", true},
	} {
		name := tt.shape + "/approve"
		if tt.deny {
			name = tt.shape + "/deny"
		}
		t.Run(name, func(t *testing.T) {
			d := NewFormDriver(harness.Options{}, srv.URL+"/s/"+tt.shape+"/authorize", &target.User{Username: fdnUser, Password: fdnPassword}, target.FormFields{})
			state := "st-" + tt.shape
			q := url.Values{"response_type": {"code"}, "client_id": {"c"}, "redirect_uri": {fdnCallback}, "state": {state}}
			res, err := d.Authorize(context.Background(), AuthzRequest{Query: q, Deny: tt.deny})
			var steps []string
			for _, ex := range res.Exchanges {
				steps = append(steps, fdnStep(ex))
				if u, _ := url.Parse(ex.URL); u == nil || "http://"+u.Host != srv.URL {
					t.Errorf("left the authorization server: %s %s", ex.Method, ex.URL)
				}
				if strings.Contains(ex.URL, "/cancel") || strings.Contains(ex.URL, "/help") {
					t.Errorf("followed %s", ex.URL)
				}
				if strings.Contains(ex.URL+string(ex.RequestBody), fdnPassword) {
					t.Errorf("password in the evidence: %s %s", ex.URL, ex.RequestBody)
				}
			}
			trace := strings.Join(steps, ", ")
			if tt.want == "" {
				if !errors.Is(err, errNoDenyControl) || !errors.Is(err, ErrNotSupported) {
					t.Fatalf("err %v, want errNoDenyControl; %s", err, trace)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v; %s", err, trace)
			}
			if res.Redirect == nil || res.Redirect.Host != "client.example" || res.Query.Get("state") != state || res.Query.Has("error_description") {
				t.Fatalf("redirect %v query %v; %s", res.Redirect, res.Query, trace)
			}
			switch tt.want {
			case "code":
				if res.Code() != "c0de" || res.Error() != "" {
					t.Fatalf("query %v; %s", res.Query, trace)
				}
			default:
				if res.Error() != tt.want || res.Code() != "" {
					t.Fatalf("query %v; %s", res.Query, trace)
				}
			}
			last := res.Exchanges[len(res.Exchanges)-1]
			if got := fdnStep(last); got != tt.decision {
				t.Fatalf("decided by %s, want %s; %s", got, tt.decision, trace)
			}
			if res.LoginResponse == nil {
				t.Fatalf("no login response; %s", trace)
			}
			if got := strings.Contains(trace, "POST /s/"+tt.shape+"/login"); got != tt.login {
				t.Fatalf("signed in: %v, want %v; %s", got, tt.login, trace)
			}
			if tt.shape == "combined" && tt.deny && strings.Contains(trace, "POST") {
				t.Fatalf("posted the credentials to refuse; %s", trace)
			}
			if strings.HasPrefix(tt.decision, "GET") && tt.deny {
				// The followed link is evidence like any other exchange, and
				// its fragment is not sent.
				if strings.Contains(last.URL, "#") || last.Status != http.StatusSeeOther {
					t.Fatalf("link exchange %s %d", last.URL, last.Status)
				}
			}
		})
	}
}

func TestFormDenyLinkChoice(t *testing.T) {
	as, _ := url.Parse("https://as.example/authorize")
	page, _ := url.Parse("https://as.example/consent/page?x=1")
	cb, _ := url.Parse("https://as.example/cb")
	for _, tt := range []struct {
		links, want string
	}{
		{`<a href="/x">Cancel</a>`, "https://as.example/x"},
		{`<a href="step2">DECLINE</a>`, "https://as.example/consent/step2"},
		{`<a href="/x">No</a>`, "https://as.example/x"},
		{`<a href="/x">Don&#39;t allow</a>`, "https://as.example/x"},
		{`<a href="/x" aria-label="Reject access"><svg></svg></a>`, "https://as.example/x"},
		{`<a href="/consent?decision=deny&amp;csrf=t">&times;</a>`, "https://as.example/consent?decision=deny&csrf=t"},
		{`<a href="/oauth/access_denied">Back</a>`, "https://as.example/oauth/access_denied"},
		{`<a href="/x#frag">Deny</a>`, "https://as.example/x"},
		// Text and href together win over text alone, text over href.
		{`<a href="/home">Cancel</a> <a href="/c?action=deny">Deny</a>`, "https://as.example/c?action=deny"},
		{`<a href="/c?action=deny">Back</a> <a href="/home">Cancel</a>`, "https://as.example/home"},
		// Ignored.
		{`<a href="/x?lang=no">Norsk</a> <a href="/signup">No account? Sign up</a>`, ""},
		{`<a href="/allow?cancel_url=/x">Allow</a>`, ""},
		{`<a href="https://elsewhere.example/deny">Deny</a> <a href="//elsewhere.example/cancel">Cancel</a>`, ""},
		{`<a href="http://as.example/deny">Deny</a> <a href="https://as.example:8443/deny">Deny</a>`, ""},
		{`<a href="javascript:deny()">Deny</a> <a href=" JAVASCRIPT:void(0)">Cancel</a> <a href="#">Cancel</a>`, ""},
		{`<a href="mailto:deny@as.example">Deny</a>`, ""},
		{`<a href="/cb?error=access_denied">Cancel</a>`, ""},
		{`<a href="/help">Help</a> <a>Cancel</a>`, ""},
	} {
		pg := parseHTMLPage([]byte(tt.links))
		got := ""
		if u := pg.denyLink(page, as, cb); u != nil {
			got = u.String()
		}
		if got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.links, got, tt.want)
		}
	}
}

func TestFormDenyPickAndRoute(t *testing.T) {
	as, _ := url.Parse("https://as.example/authorize")
	page, _ := url.Parse("https://as.example/consent")
	d := &FormDriver{User: &target.User{Username: "u", Password: "p"}}
	for _, tt := range []struct {
		html string
		// approve is the body of the approve submission; deny that of the
		// refusal ("" for none, "link" for a link).
		approve, deny string
	}{
		{`<form method=post><input type=hidden name=h value=1><button name=a value=allow>Allow</button><button name=a value=deny>Deny</button></form>`, "h=1&a=allow", "h=1&a=deny"},
		{`<form method=post action=/deny><input type=hidden name=h value=2><button>Deny</button></form><form method=post><input type=hidden name=h value=1><button>Allow</button></form>`, "h=1", "h=2"},
		{`<form method=post action=/consent/cancel><input type=hidden name=h value=2><input type=submit name=s value=Go></form><form method=post><input type=hidden name=h value=1><button>Allow</button></form>`, "h=1", "h=2&s=Go"},
		// "Don't allow" refuses, though it says allow.
		{`<form method=post><button name=a value=n>Don&rsquo;t allow</button><button name=a value=y>Allow</button></form>`, "a=y", "a=n"},
		// A language picker's value=no does not refuse.
		{`<form method=post><input type=hidden name=h value=1><button>Allow</button></form><form><button name=lang value=no>Norsk</button></form>`, "h=1", ""},
		{`<form method=post><input type=hidden name=h value=1><button>Allow</button></form><a href="/c">Cancel</a>`, "h=1", "link"},
		// A login page: the credentials first, whatever else it offers.
		{`<form method=post><input name=username><input type=password name=password><button>Sign in</button></form><form action=/x><button>Cancel</button></form><a href="/c">Cancel</a>`, "username=u&password=p", "username=u&password=p"},
		// A combined login and consent page refuses without them.
		{`<form method=post><input name=username><input type=password name=password><button>Approve</button></form><form action=/x><input type=hidden name=h value=2><button>Cancel</button></form>`, "username=u&password=p", "h=2"},
	} {
		pg := parseHTMLPage([]byte(tt.html))
		f := pg.pickForm()
		sub, err := d.fill(f, false)
		if err != nil || sub.encode() != tt.approve {
			t.Errorf("%s: approve %v %v, want %s", tt.html, sub, err, tt.approve)
			continue
		}
		g, byAction, link := d.denyRoute(pg, f, page, as, nil)
		got := ""
		switch {
		case link != nil:
			got = "link"
		default:
			sub, err := d.fillAs(g, true, byAction)
			if err == nil {
				got = sub.encode()
			} else if !errors.Is(err, errNoDenyControl) {
				t.Errorf("%s: deny: %v", tt.html, err)
			}
		}
		if got != tt.deny {
			t.Errorf("%s: deny %q, want %q", tt.html, got, tt.deny)
		}
	}
}

// The mock provider's three deny controls (a button in the login and consent
// form, a separate form, a link) under the form and out-of-band drivers.
func TestFormDenyMock(t *testing.T) {
	for _, tt := range []struct{ dialect, redirect, mode string }{
		{"rfc6749", "http://127.0.0.1:8765/callback", mockserver.DenyButton},
		{"rfc6749", "http://127.0.0.1:8765/callback", mockserver.DenyForm},
		{"rfc6749", "http://127.0.0.1:8765/callback", mockserver.DenyLink},
		{"oob-pkce", "urn:ietf:wg:oauth:2.0:oob:auto", mockserver.DenyForm},
		{"oob-pkce", "urn:ietf:wg:oauth:2.0:oob:auto", mockserver.DenyLink},
	} {
		t.Run(tt.dialect+"/"+tt.mode, func(t *testing.T) {
			ts := mockserver.NewTestServer(t, tt.dialect, mockserver.WithSettings(func(s *mockserver.Settings) { s.Authorize.Deny = tt.mode }))
			user := &target.User{Username: "alice", Password: "alice-password"}
			var d Driver = NewFormDriver(harness.Options{}, ts.AuthorizeURL(), user, target.FormFields{})
			if strings.HasPrefix(tt.redirect, "urn:") {
				d = NewOOBDriver(harness.Options{}, ts.AuthorizeURL(), user, target.FormFields{})
			}
			sum := sha256.Sum256([]byte("fdn-verifier-0123456789-0123456789-0123456789"))
			q := url.Values{"response_type": {"code"}, "client_id": {"conf-client"}, "redirect_uri": {tt.redirect}, "state": {"s-deny"},
				"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
			res, err := d.Authorize(context.Background(), AuthzRequest{Query: q, Deny: true})
			if err != nil || res.Error() != "access_denied" || res.Query.Get("state") != "s-deny" || res.Code() != "" {
				t.Fatalf("deny: %v %v", err, res.Query)
			}
			q.Set("state", "s-ok")
			res, err = d.Authorize(context.Background(), AuthzRequest{Query: q})
			if err != nil || res.Code() == "" || res.Query.Get("state") != "s-ok" {
				t.Fatalf("approve: %v %v", err, res.Query)
			}
		})
	}
}
