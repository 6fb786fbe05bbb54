package mockserver

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/oauthconform/oauthconform/profile"
)

// ---------------------------------------------------------------------------
// Helpers: a scripted user agent for the authorize endpoint.

const (
	azR1       = "http://127.0.0.1:8765/callback"
	azNasty    = "a b+c/d=e&f%g~h'i!j"
	azVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	azOOB      = "urn:ietf:wg:oauth:2.0:oob:auto"
	azAttacker = "https://attacker.example/cb"
)

// azReq is an ordered parameter list, so tests can repeat names.
type azReq [][2]string

func (q azReq) set(k, v string) azReq {
	out := make(azReq, 0, len(q)+1)
	done := false
	for _, kv := range q {
		if kv[0] == k {
			if !done {
				out = append(out, [2]string{k, v})
				done = true
			}
			continue
		}
		out = append(out, kv)
	}
	if !done {
		out = append(out, [2]string{k, v})
	}
	return out
}

func (q azReq) del(k string) azReq {
	out := make(azReq, 0, len(q))
	for _, kv := range q {
		if kv[0] != k {
			out = append(out, kv)
		}
	}
	return out
}

func (q azReq) add(k, v string) azReq { return append(append(azReq{}, q...), [2]string{k, v}) }

func (q azReq) enc() string {
	var b strings.Builder
	for i, kv := range q {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(kv[0]))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(kv[1]))
	}
	return b.String()
}

// azCodeReq is a valid code request of conf-client with the nasty state.
func azCodeReq() azReq {
	return azReq{{"response_type", "code"}, {"client_id", "conf-client"}, {"redirect_uri", azR1}, {"state", azNasty}, {"scope", "read"}}
}

type azResult struct {
	status int
	header http.Header
	body   string
	// loc is the raw Location header.
	loc string
}

// query and fragment parse the Location's raw components.
func (r azResult) query() url.Values {
	before, _, _ := strings.Cut(r.loc, "#")
	_, q, _ := strings.Cut(before, "?")
	v, _ := url.ParseQuery(q)
	return v
}

func (r azResult) fragment() url.Values {
	_, f, _ := strings.Cut(r.loc, "#")
	v, _ := url.ParseQuery(f)
	return v
}

func (r azResult) redirected() bool { return r.status >= 300 && r.status < 400 }

func azDo(t *testing.T, ts *TestServer, method, target, body string, hdr map[string]string) azResult {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, target, rd)
	if err != nil {
		t.Fatal(err)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return azResult{status: resp.StatusCode, header: resp.Header, body: string(b), loc: resp.Header.Get("Location")}
}

func azGet(t *testing.T, ts *TestServer, rawQuery string) azResult {
	t.Helper()
	return azDo(t, ts, http.MethodGet, ts.AuthorizeURL()+"?"+rawQuery, "", nil)
}

// azPage is what the scripted user agent reads from a page.
type azPage struct {
	title   string
	method  string
	action  string
	inputs  map[string]string // name -> value
	types   map[string]string // name -> type
	buttons map[string][]string
	text    string
}

func azParsePage(t *testing.T, body string) azPage {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatalf("page does not parse: %v", err)
	}
	pg := azPage{inputs: map[string]string{}, types: map[string]string{}, buttons: map[string][]string{}}
	attr := func(n *html.Node, k string) (string, bool) {
		for _, a := range n.Attr {
			if a.Key == k {
				return a.Val, true
			}
		}
		return "", false
	}
	var text strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			text.WriteString(n.Data)
		}
		if n.Type == html.ElementNode {
			switch n.Data {
			case "title":
				if n.FirstChild != nil {
					pg.title = n.FirstChild.Data
				}
			case "form":
				pg.method, _ = attr(n, "method")
				pg.action, _ = attr(n, "action")
			case "input":
				name, _ := attr(n, "name")
				val, _ := attr(n, "value")
				typ, _ := attr(n, "type")
				pg.inputs[name] = val
				pg.types[name] = typ
			case "button":
				name, _ := attr(n, "name")
				val, _ := attr(n, "value")
				pg.buttons[name] = append(pg.buttons[name], val)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	pg.text = text.String()
	return pg
}

// azSubmit posts the login form the way a browser would.
func azSubmit(t *testing.T, ts *TestServer, pg azPage, username, password, action string, hdr map[string]string) azResult {
	t.Helper()
	if !strings.EqualFold(pg.method, "post") {
		t.Fatalf("form method %q", pg.method)
	}
	base, _ := url.Parse(ts.AuthorizeURL())
	act, err := url.Parse(pg.action)
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{}
	for name, v := range pg.inputs {
		if pg.types[name] == "hidden" {
			form.Set(name, v)
		}
	}
	form.Set("username", username)
	form.Set("password", password)
	form.Set("action", action)
	return azDo(t, ts, http.MethodPost, base.ResolveReference(act).String(), form.Encode(), hdr)
}

// azLoginPage GETs the request and asserts the login page.
func azLoginPage(t *testing.T, ts *TestServer, q azReq) azPage {
	t.Helper()
	res := azGet(t, ts, q.enc())
	if res.status != http.StatusOK {
		t.Fatalf("GET authorize: want the login page, got %d Location=%q %s", res.status, res.loc, res.body)
	}
	return azParsePage(t, res.body)
}

// azFlow runs GET → login → approve/deny and returns the answer to the POST.
func azFlow(t *testing.T, ts *TestServer, q azReq, action string) azResult {
	t.Helper()
	return azSubmit(t, ts, azLoginPage(t, ts, q), "alice", "alice-password", action, nil)
}

// azExchange posts a token request.
func azExchange(t *testing.T, ts *TestServer, form url.Values, basic [2]string, hdr map[string]string) (int, map[string]any) {
	t.Helper()
	h := map[string]string{}
	for k, v := range hdr {
		h[k] = v
	}
	if basic[0] != "" {
		h["Authorization"] = "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(basic[0])+":"+url.QueryEscape(basic[1])))
	}
	res := azDo(t, ts, http.MethodPost, ts.TokenURL(), form.Encode(), h)
	var body map[string]any
	_ = json.Unmarshal([]byte(res.body), &body)
	return res.status, body
}

var azConf = [2]string{"conf-client", "conf-secret"}

func azJWTClaims(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", tok)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// azWantOK asserts AZ-OK: a redirect to exactly base with code and state in
// the query and nothing in the fragment.
func azWantOK(t *testing.T, res azResult, status int, base, state string) string {
	t.Helper()
	if res.status != status {
		t.Fatalf("want %d, got %d Location=%q body=%s", status, res.status, res.loc, res.body)
	}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	if !strings.HasPrefix(res.loc, base+sep) {
		t.Fatalf("Location %q does not start with %q", res.loc, base+sep)
	}
	if strings.Contains(res.loc, "#") {
		t.Fatalf("Location has a fragment: %q", res.loc)
	}
	q := res.query()
	code := q.Get("code")
	if code == "" || len(q["code"]) != 1 {
		t.Fatalf("no single code in %q", res.loc)
	}
	azWantState(t, q, state)
	if q.Get("error") != "" || q.Get("access_token") != "" {
		t.Fatalf("unexpected parameters in %q", res.loc)
	}
	return code
}

func azWantState(t *testing.T, v url.Values, state string) {
	t.Helper()
	if state == "" {
		if _, ok := v["state"]; ok {
			t.Fatalf("state sent back although none was sent: %q", v["state"])
		}
		return
	}
	if got := v["state"]; len(got) != 1 || got[0] != state {
		t.Fatalf("state = %q, want %q", got, state)
	}
}

// azWantErr asserts AZ-ERR: a redirect to base with error and state in the
// query (or fragment), and no code or token anywhere.
func azWantErr(t *testing.T, res azResult, status int, base, code, state string, fragment bool) {
	t.Helper()
	if res.status != status {
		t.Fatalf("want %d redirect, got %d Location=%q body=%s", status, res.status, res.loc, res.body)
	}
	if !strings.HasPrefix(res.loc, base) {
		t.Fatalf("Location %q is not on %q", res.loc, base)
	}
	v, other := res.query(), res.fragment()
	if fragment {
		v, other = other, v
	}
	if got := v.Get("error"); got != code {
		t.Fatalf("error = %q, want %q (Location %q)", got, code, res.loc)
	}
	if d := v.Get("error_description"); !validErrorCode(d) {
		t.Fatalf("error_description %q outside the RFC 6749 charset", d)
	}
	azWantState(t, v, state)
	for _, k := range []string{"error", "state", "code", "access_token"} {
		if other.Get(k) != "" {
			t.Fatalf("%s in the wrong component of %q", k, res.loc)
		}
	}
	if v.Get("code") != "" || v.Get("access_token") != "" {
		t.Fatalf("error redirect carries a code or token: %q", res.loc)
	}
}

// azWantPage asserts an HTML error page: no redirect at all.
func azWantPage(t *testing.T, res azResult, status int) {
	t.Helper()
	if res.status != status || res.loc != "" {
		t.Fatalf("want an error page %d, got %d Location=%q", status, res.status, res.loc)
	}
	if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("error page Content-Type %q", ct)
	}
	azWantPageHeaders(t, res.header, true)
}

func azWantPageHeaders(t *testing.T, h http.Header, frameProtected bool) {
	t.Helper()
	csp := h.Get("Content-Security-Policy")
	for _, d := range []string{"default-src 'none'", "form-action ", "base-uri 'none'"} {
		if !strings.Contains(csp, d) {
			t.Errorf("CSP %q lacks %q", csp, d)
		}
	}
	if frameProtected {
		if h.Get("X-Frame-Options") != "DENY" || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("no framing protection: XFO=%q CSP=%q", h.Get("X-Frame-Options"), csp)
		}
	}
	if h.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q", h.Get("Cache-Control"))
	}
	if h.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("Referrer-Policy %q", h.Get("Referrer-Policy"))
	}
	if h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("X-Content-Type-Options %q", h.Get("X-Content-Type-Options"))
	}
	for k := range h {
		if strings.HasPrefix(k, "Access-Control-") {
			t.Errorf("CORS header %s at the authorize endpoint", k)
		}
	}
}

// ---------------------------------------------------------------------------
// The whole loop.

func TestAuthorizeCodeFlowEndToEnd(t *testing.T) {
	tests := []struct {
		name      string
		profile   string
		req       azReq
		redirect  string // where the code goes
		exchange  url.Values
		basic     [2]string
		tokenType string
		claims    map[string]string
	}{
		{
			name: "rfc6749", profile: "rfc6749", req: azCodeReq(), redirect: azR1,
			exchange: url.Values{"redirect_uri": {azR1}}, basic: azConf, tokenType: "Bearer",
		},
		{
			name: "rfc6749 PKCE S256", profile: "rfc6749",
			req:      azCodeReq().add("code_challenge", pkceS256(azVerifier)).add("code_challenge_method", "S256"),
			redirect: azR1, exchange: url.Values{"redirect_uri": {azR1}, "code_verifier": {azVerifier}}, basic: azConf, tokenType: "Bearer",
		},
		{
			name: "rfc6749 PKCE plain by default", profile: "rfc6749", req: azCodeReq().add("code_challenge", azVerifier),
			redirect: azR1, exchange: url.Values{"redirect_uri": {azR1}, "code_verifier": {azVerifier}}, basic: azConf, tokenType: "Bearer",
		},
		{
			name: "rfc6749 redirect_uri omitted (single registered)", profile: "rfc6749", req: azCodeReq().del("redirect_uri"),
			redirect: azR1, exchange: url.Values{}, basic: azConf, tokenType: "Bearer",
		},
		{
			name: "rfc6749 loopback port varies", profile: "rfc6749", req: azCodeReq().set("redirect_uri", "http://127.0.0.1:51234/callback"),
			redirect: "http://127.0.0.1:51234/callback", exchange: url.Values{"redirect_uri": {"http://127.0.0.1:51234/callback"}}, basic: azConf, tokenType: "Bearer",
		},
		{
			name: "rfc6749 registered query kept", profile: "rfc6749",
			req:      azCodeReq().set("client_id", "query-client").set("redirect_uri", "https://client.example/cb?dummy1=lorem&dummy2=ipsum"),
			redirect: "https://client.example/cb?dummy1=lorem&dummy2=ipsum",
			exchange: url.Values{"redirect_uri": {"https://client.example/cb?dummy1=lorem&dummy2=ipsum"}},
			basic:    [2]string{"query-client", "query-secret"}, tokenType: "Bearer",
		},
		{
			name: "rfc6749 reserved-char client, unknown parameter ignored, empty scope omitted", profile: "rfc6749",
			req:      azCodeReq().set("client_id", "special client+1").set("scope", "").add("extra", "foobar"),
			redirect: azR1, exchange: url.Values{"redirect_uri": {azR1}}, basic: [2]string{"special client+1", "a+b:c%/ d=~&"}, tokenType: "Bearer",
		},
		{
			name: "rfc6749 public client with PKCE", profile: "rfc6749",
			req:      azCodeReq().set("client_id", "public-client").add("code_challenge", pkceS256(azVerifier)).add("code_challenge_method", "S256"),
			redirect: azR1, exchange: url.Values{"redirect_uri": {azR1}, "code_verifier": {azVerifier}, "client_id": {"public-client"}},
			tokenType: "Bearer",
		},
		{
			name: "oauth20-intents with intent", profile: "oauth20-intents",
			req:      azCodeReq().set("scope", "payments").add("intent_id", "int-42 é").add("intent_type", "payments"),
			redirect: azR1, exchange: url.Values{"redirect_uri": {azR1}}, basic: azConf, tokenType: "bearer",
			claims: map[string]string{"intent_id": "int-42 é", "intent_type": "payments"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := NewTestServer(t, tt.profile)
			res := azGet(t, ts, tt.req.enc())
			if res.status != http.StatusOK {
				t.Fatalf("GET: %d %q %s", res.status, res.loc, res.body)
			}
			azWantPageHeaders(t, res.header, true)
			pg := azParsePage(t, res.body)
			if pg.action != ts.Settings().Endpoints.Authorize {
				t.Fatalf("form action %q", pg.action)
			}
			if pg.types["username"] != "text" || pg.types["password"] != "password" {
				t.Fatalf("form fields: %v", pg.types)
			}
			if got := pg.buttons["action"]; len(got) != 2 || got[0] != "approve" || got[1] != "deny" {
				t.Fatalf("buttons: %v", pg.buttons)
			}
			if pg.inputs["pending_request"] == "" || pg.inputs["csrf_token"] == "" {
				t.Fatalf("hidden fields: %v", pg.inputs)
			}
			if csp := res.header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' "+cspSource(tt.redirect)) {
				t.Fatalf("CSP form-action does not allow the redirect origin: %q", csp)
			}

			post := azSubmit(t, ts, pg, "alice", "alice-password", "approve", nil)
			code := azWantOK(t, post, http.StatusSeeOther, tt.redirect, azNasty)
			if post.header.Get("Cache-Control") != "no-store" {
				t.Fatalf("redirect without Cache-Control: no-store")
			}
			if strings.Contains(tt.redirect, "dummy1") {
				q := post.query()
				if q.Get("dummy1") != "lorem" || q.Get("dummy2") != "ipsum" {
					t.Fatalf("registered query lost: %q", post.loc)
				}
			}

			form := url.Values{"grant_type": {"authorization_code"}, "code": {code}}
			for k, v := range tt.exchange {
				form[k] = v
			}
			status, body := azExchange(t, ts, form, tt.basic, nil)
			if status != http.StatusOK {
				t.Fatalf("exchange: %d %v", status, body)
			}
			if body["token_type"] != tt.tokenType {
				t.Fatalf("token_type %v", body["token_type"])
			}
			if tt.claims != nil {
				cl := azJWTClaims(t, body["access_token"].(string))
				for k, v := range tt.claims {
					if cl[k] != v {
						t.Fatalf("claim %s = %v, want %q", k, cl[k], v)
					}
				}
			}
			// The code is single-use.
			if status, _ := azExchange(t, ts, form, tt.basic, nil); status != http.StatusBadRequest {
				t.Fatalf("code redeemed twice: %d", status)
			}
		})
	}
}

func TestAuthorizeCodeBoundToRedirectURI(t *testing.T) {
	ts := NewTestServer(t, "rfc6749")
	other := "http://127.0.0.1:51234/callback"
	code := azWantOK(t, azFlow(t, ts, azCodeReq().set("redirect_uri", other), "approve"), http.StatusSeeOther, other, azNasty)
	status, body := azExchange(t, ts, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {azR1}}, azConf, nil)
	if status != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Fatalf("code bound to %s redeemed with %s: %d %v", other, azR1, status, body)
	}
}

func TestAuthorizeImplicit(t *testing.T) {
	ts := NewTestServer(t, "rfc6749")
	req := azCodeReq().set("response_type", "token").set("scope", "read write")
	res := azFlow(t, ts, req, "approve")
	if res.status != http.StatusSeeOther || !strings.HasPrefix(res.loc, azR1+"#") {
		t.Fatalf("want 303 to %s#..., got %d %q", azR1, res.status, res.loc)
	}
	f := res.fragment()
	if f.Get("access_token") == "" || f.Get("token_type") != "Bearer" || f.Get("scope") != "read write" {
		t.Fatalf("fragment %v", f)
	}
	if !regexp.MustCompile(`^[0-9]+$`).MatchString(f.Get("expires_in")) {
		t.Fatalf("expires_in %q", f.Get("expires_in"))
	}
	azWantState(t, f, azNasty)
	if _, ok := f["refresh_token"]; ok {
		t.Fatal("implicit grant issued a refresh token (RFC 6749 §4.2.2)")
	}
	if strings.Contains(strings.SplitN(res.loc, "#", 2)[0], "?") {
		t.Fatalf("parameters in the query: %q", res.loc)
	}
	cl := azJWTClaims(t, f.Get("access_token"))
	if cl["client_id"] != "conf-client" || cl["sub"] != "alice" || cl["scope"] != "read write" {
		t.Fatalf("token claims %v", cl)
	}

	// Errors of the implicit flow go in the fragment (RFC 6749 §4.2.2.1).
	azWantErr(t, azGet(t, ts, req.set("scope", "zz-unknown").enc()), http.StatusFound, azR1+"#", "invalid_scope", azNasty, true)
	azWantErr(t, azFlow(t, ts, req, "deny"), http.StatusSeeOther, azR1+"#", "access_denied", azNasty, true)

	// oauth20-intents has the implicit grant too, with its extras.
	ti := NewTestServer(t, "oauth20-intents")
	res = azFlow(t, ti, req.set("scope", "rewards").add("intent_type", "rewards").add("intent_id", "i1"), "approve")
	f = res.fragment()
	if f.Get("token_type") != "bearer" || f.Get("access_token") == "" {
		t.Fatalf("intents implicit: %q", res.loc)
	}
	if cl := azJWTClaims(t, f.Get("access_token")); cl["intent_type"] != "rewards" || cl["intent_id"] != "i1" {
		t.Fatalf("intents implicit claims %v", cl)
	}
}

// ---------------------------------------------------------------------------
// Validation: errors before the redirect URI is trusted are pages.

func TestAuthorizeErrorPages(t *testing.T) {
	base := azCodeReq()
	tests := []struct {
		name string
		q    string
	}{
		{"no parameters", ""},
		{"client_id missing", base.del("client_id").enc()},
		{"client_id missing, attacker redirect", base.del("client_id").set("redirect_uri", azAttacker).enc()},
		{"client_id unknown, attacker redirect", base.set("client_id", "unknown-8f3a").set("redirect_uri", azAttacker).enc()},
		{"client_id unknown, registered redirect", base.set("client_id", "unknown-8f3a").enc()},
		{"client_id repeated", base.add("client_id", "conf-client-2").enc()},
		{"client_id repeated identically", base.add("client_id", "conf-client").enc()},
		{"client_id repeated, empty", base.add("client_id", "").enc()},
		{"redirect_uri repeated", base.add("redirect_uri", azAttacker).enc()},
		{"redirect_uri missing, several registered", base.set("client_id", "multi-client").del("redirect_uri").enc()},
		{"redirect_uri unregistered", base.set("redirect_uri", azAttacker).enc()},
		{"redirect_uri of another client", base.set("redirect_uri", "http://127.0.0.1:8765/callback2").enc()},
		{"redirect_uri suffix", base.set("redirect_uri", azR1+"/extra").enc()},
		{"redirect_uri traversal", base.set("redirect_uri", azR1+"/../evil").enc()},
		{"redirect_uri trailing slash", base.set("redirect_uri", azR1+"/").enc()},
		{"redirect_uri fragment", base.set("redirect_uri", azR1+"#frag").enc()},
		{"redirect_uri added query", base.set("redirect_uri", azR1+"?foo=bar").enc()},
		{"redirect_uri https", base.set("redirect_uri", "https://127.0.0.1:8765/callback").enc()},
		{"redirect_uri userinfo", base.set("redirect_uri", "http://127.0.0.1:8765@attacker.example/callback").enc()},
		{"https client: other port", base.set("client_id", "multi-client").set("redirect_uri", "https://client.example:8443/cb1").enc()},
		{"https client: http", base.set("client_id", "multi-client").set("redirect_uri", "http://client.example/cb1").enc()},
		{"https client: evil. prefix", base.set("client_id", "multi-client").set("redirect_uri", "https://evil.client.example/cb1").enc()},
		{"https client: %2F", base.set("client_id", "multi-client").set("redirect_uri", "https:%2F%2Fclient.example/cb1").enc()},
		{"https client: case", base.set("client_id", "multi-client").set("redirect_uri", "https://client.example/CB1").enc()},
		{"malformed escape", "client_id=conf-client&state=%zz"},
		{"bad response_type does not matter first", base.set("client_id", "nope").set("response_type", "foo").enc()},
	}
	ts := NewTestServer(t, "rfc6749")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := azGet(t, ts, tt.q)
			azWantPage(t, res, http.StatusBadRequest)
			if pg := azParsePage(t, res.body); !strings.HasPrefix(pg.title, "Authorization error") {
				t.Fatalf("title %q", pg.title)
			}
			// The same as a POST of the authorization request.
			azWantPage(t, azDo(t, ts, http.MethodPost, ts.AuthorizeURL(), tt.q, nil), http.StatusBadRequest)
		})
	}
}

// Errors once client and redirect URI are valid go to the redirect URI.
func TestAuthorizeErrorRedirects(t *testing.T) {
	fx := profile.DefaultFixtures().Merge(&profile.Fixtures{Clients: []profile.Client{{
		ID: "cc-only", Secret: "cc-secret", GrantTypes: []string{profile.GrantClientCredentials}, RedirectURIs: []string{azR1},
	}}})
	base := azCodeReq()
	s256 := pkceS256(azVerifier)
	tests := []struct {
		name     string
		q        azReq
		code     string
		fragment bool
	}{
		{"response_type missing", base.del("response_type"), "invalid_request", false},
		{"response_type empty", base.set("response_type", ""), "invalid_request", false},
		{"response_type foo", base.set("response_type", "foo"), "unsupported_response_type", false},
		{"response_type code token", base.set("response_type", "code token"), "unsupported_response_type", false},
		{"response_type upper case", base.set("response_type", "CODE"), "unsupported_response_type", false},
		{"state repeated", base.add("state", "other"), "invalid_request", false},
		{"scope repeated", base.add("scope", "write"), "invalid_request", false},
		{"response_type repeated", base.add("response_type", "code"), "invalid_request", false},
		{"unknown parameter repeated", base.add("x", "1").add("x", "2"), "invalid_request", false},
		{"scope unknown", base.set("scope", "read zz-unknown"), "invalid_scope", false},
		{"scope malformed", base.set("scope", "read\"x"), "invalid_scope", false},
		{"PKCE method S512", base.add("code_challenge", s256).add("code_challenge_method", "S512"), "invalid_request", false},
		{"PKCE method lower case", base.add("code_challenge", s256).add("code_challenge_method", "s256"), "invalid_request", false},
		{"PKCE method without challenge", base.add("code_challenge_method", "S256"), "invalid_request", false},
		{"PKCE challenge too short", base.add("code_challenge", "abc").add("code_challenge_method", "plain"), "invalid_request", false},
		{"PKCE challenge too long", base.add("code_challenge", strings.Repeat("a", 129)), "invalid_request", false},
		{"PKCE challenge with +/", base.add("code_challenge", strings.Repeat("a+/", 15)), "invalid_request", false},
		{"PKCE S256 challenge not 43 chars", base.add("code_challenge", s256+"A").add("code_challenge_method", "S256"), "invalid_request", false},
		{"PKCE S256 challenge padded", base.add("code_challenge", s256[:42]+"=").add("code_challenge_method", "S256"), "invalid_request", false},
		{"PKCE required for public-client", base.set("client_id", "public-client"), "invalid_request", false},
		{"unauthorized client (code)", base.set("client_id", "cc-only"), "unauthorized_client", false},
		{"unauthorized client (token)", base.set("client_id", "cc-only").set("response_type", "token"), "unauthorized_client", true},
		{"implicit refused to a PKCE-bound client", base.set("client_id", "public-client").set("response_type", "token"), "unauthorized_client", true},
		{"implicit: scope unknown", base.set("response_type", "token").set("scope", "zz"), "invalid_scope", true},
		{"implicit: repeated", base.set("response_type", "token").add("scope", "x"), "invalid_request", true},
	}
	ts := NewTestServer(t, "rfc6749", WithFixtures(fx))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			state := azNasty
			if tt.name == "state repeated" {
				state = "other" // the last value
			}
			want := azR1
			if tt.fragment {
				want += "#"
			} else {
				want += "?"
			}
			azWantErr(t, azGet(t, ts, tt.q.enc()), http.StatusFound, want, tt.code, state, tt.fragment)
			// A POSTed authorization request gets the same answer with 303.
			azWantErr(t, azDo(t, ts, http.MethodPost, ts.AuthorizeURL(), tt.q.enc(), nil), http.StatusSeeOther, want, tt.code, state, tt.fragment)
		})
	}

	t.Run("no state sent, none returned", func(t *testing.T) {
		for _, q := range []azReq{base.del("state"), base.set("state", "")} {
			res := azGet(t, ts, q.set("response_type", "foo").enc())
			azWantErr(t, res, http.StatusFound, azR1+"?", "unsupported_response_type", "", false)
		}
	})
	t.Run("deny", func(t *testing.T) {
		azWantErr(t, azFlow(t, ts, base, "deny"), http.StatusSeeOther, azR1+"?", "access_denied", azNasty, false)
	})
	t.Run("deny without credentials", func(t *testing.T) {
		res := azSubmit(t, ts, azLoginPage(t, ts, base), "", "", "deny", nil)
		azWantErr(t, res, http.StatusSeeOther, azR1+"?", "access_denied", azNasty, false)
	})
	t.Run("registered query kept on errors", func(t *testing.T) {
		rq := "https://client.example/cb?dummy1=lorem&dummy2=ipsum"
		res := azGet(t, ts, base.set("client_id", "query-client").set("redirect_uri", rq).set("response_type", "foo").enc())
		azWantErr(t, res, http.StatusFound, rq+"&", "unsupported_response_type", azNasty, false)
	})
}

func TestAuthorizeStateEcho(t *testing.T) {
	states := []string{
		azNasty,
		"xyz",
		"%41%42",       // must come back as %41%42, not AB
		"a+b",          // not "a b"
		"é ünïcödé ☃",  // not VSCHAR, still echoed exactly
		"\xff\xfe bad", // invalid UTF-8, echoed byte for byte
		strings.Repeat("s", 4000),
	}
	ts := NewTestServer(t, "rfc6749")
	for _, s := range states {
		q := azCodeReq().set("state", s)
		azWantOK(t, azFlow(t, ts, q, "approve"), http.StatusSeeOther, azR1, s)
		azWantErr(t, azGet(t, ts, q.set("scope", "nope").enc()), http.StatusFound, azR1, "invalid_scope", s, false)
		f := azFlow(t, ts, q.set("response_type", "token"), "approve").fragment()
		azWantState(t, f, s)
	}
}

// ---------------------------------------------------------------------------
// The login form.

func TestAuthorizeLoginForm(t *testing.T) {
	ts := NewTestServer(t, "rfc6749")

	t.Run("wrong password re-renders the page", func(t *testing.T) {
		pg := azLoginPage(t, ts, azCodeReq())
		res := azSubmit(t, ts, pg, "alice", "wrong", "approve", nil)
		if res.status != http.StatusOK || res.loc != "" {
			t.Fatalf("want 200 page, got %d %q", res.status, res.loc)
		}
		azWantPageHeaders(t, res.header, true)
		again := azParsePage(t, res.body)
		if !strings.Contains(again.text, descLoginFailed) || again.inputs["username"] != "alice" {
			t.Fatalf("no error message on the page: %s", res.body)
		}
		for _, who := range [][2]string{{"bob", "alice-password"}, {"", ""}, {"alice", ""}} {
			if res := azSubmit(t, ts, again, who[0], who[1], "approve", nil); res.status != http.StatusOK || res.loc != "" {
				t.Fatalf("%v: want 200 page, got %d", who, res.status)
			}
		}
		azWantOK(t, azSubmit(t, ts, again, "alice", "alice-password", "approve", nil), http.StatusSeeOther, azR1, azNasty)
	})

	t.Run("too many attempts end the request", func(t *testing.T) {
		pg := azLoginPage(t, ts, azCodeReq())
		var res azResult
		for range maxLoginAttempts {
			res = azSubmit(t, ts, pg, "alice", "wrong", "approve", nil)
		}
		azWantPage(t, res, http.StatusBadRequest)
		azWantPage(t, azSubmit(t, ts, pg, "alice", "alice-password", "approve", nil), http.StatusBadRequest)
	})

	t.Run("no action chosen", func(t *testing.T) {
		pg := azLoginPage(t, ts, azCodeReq())
		res := azSubmit(t, ts, pg, "alice", "alice-password", "", nil)
		if res.status != http.StatusOK || !strings.Contains(res.body, descChooseAction) {
			t.Fatalf("got %d", res.status)
		}
	})

	t.Run("a pending request answers once", func(t *testing.T) {
		pg := azLoginPage(t, ts, azCodeReq())
		azWantOK(t, azSubmit(t, ts, pg, "alice", "alice-password", "approve", nil), http.StatusSeeOther, azR1, azNasty)
		azWantPage(t, azSubmit(t, ts, pg, "alice", "alice-password", "approve", nil), http.StatusBadRequest)
		azWantPage(t, azSubmit(t, ts, pg, "alice", "alice-password", "deny", nil), http.StatusBadRequest)
	})

	t.Run("concurrent approvals issue one code", func(t *testing.T) {
		pg := azLoginPage(t, ts, azCodeReq())
		var wg sync.WaitGroup
		results := make([]azResult, 8)
		for i := range results {
			wg.Go(func() { results[i] = azSubmit(t, ts, pg, "alice", "alice-password", "approve", nil) })
		}
		wg.Wait()
		n := 0
		for _, r := range results {
			if r.redirected() {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d redirects for one pending request", n)
		}
	})

	t.Run("CSRF token", func(t *testing.T) {
		pg := azLoginPage(t, ts, azCodeReq())
		bad := pg
		bad.inputs = map[string]string{"pending_request": pg.inputs["pending_request"], "csrf_token": "forged"}
		azWantPage(t, azSubmit(t, ts, bad, "alice", "alice-password", "approve", nil), http.StatusForbidden)
		bad.inputs = map[string]string{"pending_request": pg.inputs["pending_request"]}
		azWantPage(t, azSubmit(t, ts, bad, "alice", "alice-password", "approve", nil), http.StatusForbidden)
		// The request survives a forged submission.
		azWantOK(t, azSubmit(t, ts, pg, "alice", "alice-password", "approve", nil), http.StatusSeeOther, azR1, azNasty)
	})

	t.Run("cross-origin submission refused", func(t *testing.T) {
		pg := azLoginPage(t, ts, azCodeReq())
		azWantPage(t, azSubmit(t, ts, pg, "alice", "alice-password", "approve", map[string]string{"Sec-Fetch-Site": "cross-site"}), http.StatusForbidden)
		azWantPage(t, azSubmit(t, ts, pg, "alice", "alice-password", "approve", map[string]string{"Origin": "https://evil.example"}), http.StatusForbidden)
		azWantOK(t, azSubmit(t, ts, pg, "alice", "alice-password", "approve", map[string]string{"Sec-Fetch-Site": "same-origin"}), http.StatusSeeOther, azR1, azNasty)
	})

	t.Run("unknown pending request", func(t *testing.T) {
		pg := azLoginPage(t, ts, azCodeReq())
		pg.inputs["pending_request"] = "nope"
		azWantPage(t, azSubmit(t, ts, pg, "alice", "alice-password", "approve", nil), http.StatusBadRequest)
	})

	t.Run("pending request expires", func(t *testing.T) {
		tx := NewTestServer(t, "rfc6749")
		pg := azLoginPage(t, tx, azCodeReq())
		tx.Clock.Advance(pendingLifetime + time.Second)
		azWantPage(t, azSubmit(t, tx, pg, "alice", "alice-password", "approve", nil), http.StatusBadRequest)
	})

	t.Run("repeated form field", func(t *testing.T) {
		pg := azLoginPage(t, ts, azCodeReq())
		body := url.Values{"pending_request": {pg.inputs["pending_request"]}, "csrf_token": {pg.inputs["csrf_token"]},
			"username": {"alice"}, "password": {"alice-password"}, "action": {"deny", "approve"}}.Encode()
		azWantPage(t, azDo(t, ts, http.MethodPost, ts.AuthorizeURL(), body, nil), http.StatusBadRequest)
	})

	t.Run("page escapes what it shows", func(t *testing.T) {
		pg := azLoginPage(t, ts, azCodeReq())
		res := azSubmit(t, ts, pg, `"><script>alert(1)</script>`, "x", "approve", nil)
		if strings.Contains(res.body, "<script>") || !strings.Contains(res.body, "&lt;script&gt;") {
			t.Fatalf("username not escaped: %s", res.body)
		}
		res = azGet(t, ts, azCodeReq().set("client_id", "special client+1").enc())
		if !strings.Contains(azParsePage(t, res.body).title, "special client+1") {
			t.Fatalf("title %q", azParsePage(t, res.body).title)
		}
	})
}

func TestAuthorizePendingStoreBounded(t *testing.T) {
	var s pendingStore
	now := time.Now()
	for i := range maxPending + 50 {
		s.put(now, &pendingAuthz{id: randomToken(), expires: now.Add(time.Duration(i) * time.Millisecond)})
	}
	if n := s.len(); n > maxPending {
		t.Fatalf("%d pending requests kept", n)
	}
	later := now.Add(time.Hour)
	s.put(later, &pendingAuthz{id: "x", expires: later.Add(time.Minute)})
	if n := s.len(); n != 1 {
		t.Fatalf("expired requests not dropped: %d", n)
	}
}

// ---------------------------------------------------------------------------
// Methods, POST requests, CORS.

func TestAuthorizeMethods(t *testing.T) {
	ts := NewTestServer(t, "rfc6749")
	q := azCodeReq().enc()
	for _, m := range []string{http.MethodOptions, http.MethodPut, http.MethodDelete, http.MethodHead, http.MethodPatch} {
		res := azDo(t, ts, m, ts.AuthorizeURL()+"?"+q, "", map[string]string{
			"Origin": "https://evil.example", "Access-Control-Request-Method": "POST",
		})
		if res.status != http.StatusMethodNotAllowed {
			t.Fatalf("%s: %d", m, res.status)
		}
		for k := range res.header {
			if strings.HasPrefix(k, "Access-Control-") {
				t.Fatalf("%s: CORS header %s", m, k)
			}
		}
		if res.header.Get("Allow") != "GET, POST" {
			t.Fatalf("%s: Allow %q", m, res.header.Get("Allow"))
		}
	}
	res := azDo(t, ts, http.MethodGet, ts.AuthorizeURL()+"?"+q, "", map[string]string{"Origin": "https://evil.example"})
	if res.status != http.StatusOK {
		t.Fatalf("GET with Origin: %d", res.status)
	}
	azWantPageHeaders(t, res.header, true)
}

func TestAuthorizePOSTRequest(t *testing.T) {
	ts := NewTestServer(t, "rfc6749")
	res := azDo(t, ts, http.MethodPost, ts.AuthorizeURL(), azCodeReq().enc(), nil)
	if res.status != http.StatusOK {
		t.Fatalf("POST authorization request: %d %s", res.status, res.body)
	}
	code := azWantOK(t, azSubmit(t, ts, azParsePage(t, res.body), "alice", "alice-password", "approve", nil), http.StatusSeeOther, azR1, azNasty)
	status, body := azExchange(t, ts, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {azR1}}, azConf, nil)
	if status != http.StatusOK {
		t.Fatalf("exchange: %d %v", status, body)
	}
	// Parameters of a POST come from the body only.
	res = azDo(t, ts, http.MethodPost, ts.AuthorizeURL()+"?"+azCodeReq().enc(), "x=1", nil)
	azWantPage(t, res, http.StatusBadRequest)

	for name, tc := range map[string]struct {
		ct     string
		body   string
		status int
	}{
		"json":       {"application/json", `{"client_id":"conf-client"}`, http.StatusUnsupportedMediaType},
		"multipart":  {"multipart/form-data; boundary=x", "--x--", http.StatusUnsupportedMediaType},
		"latin1":     {"application/x-www-form-urlencoded; charset=latin1", azCodeReq().enc(), http.StatusUnsupportedMediaType},
		"no type":    {"", azCodeReq().enc(), http.StatusUnsupportedMediaType},
		"too large":  {"application/x-www-form-urlencoded", azCodeReq().enc() + "&pad=" + strings.Repeat("a", maxBodyBytes), http.StatusRequestEntityTooLarge},
		"bad escape": {"application/x-www-form-urlencoded", "client_id=%zz", http.StatusBadRequest},
	} {
		req, _ := http.NewRequest(http.MethodPost, ts.AuthorizeURL(), strings.NewReader(tc.body))
		if tc.ct != "" {
			req.Header.Set("Content-Type", tc.ct)
		}
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status || resp.Header.Get("Location") != "" {
			t.Fatalf("%s: %d %q", name, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
}

// ---------------------------------------------------------------------------
// PKCE modes and extras.

func TestAuthorizePKCEModes(t *testing.T) {
	t.Run("unsupported: parameters ignored", func(t *testing.T) {
		ts := NewTestServer(t, "rfc6749", WithSettings(func(s *Settings) {
			s.PKCE = PKCE{Mode: PKCEUnsupported}
			s.SecurityBCP = false // RFC 9700 §2.1.1 requires PKCE support
		}))
		q := azCodeReq().add("code_challenge", "not-even-valid").add("code_challenge_method", "S512")
		code := azWantOK(t, azFlow(t, ts, q, "approve"), http.StatusSeeOther, azR1, azNasty)
		status, body := azExchange(t, ts, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {azR1}}, azConf, nil)
		if status != http.StatusOK {
			t.Fatalf("exchange: %d %v", status, body)
		}
		// public-client's require_pkce means nothing without PKCE support.
		azWantOK(t, azFlow(t, ts, azCodeReq().set("client_id", "public-client"), "approve"), http.StatusSeeOther, azR1, azNasty)
	})
	t.Run("required for every client", func(t *testing.T) {
		ts := NewTestServer(t, "rfc6749", WithSettings(func(s *Settings) { s.PKCE.Mode = PKCERequired }))
		azWantErr(t, azGet(t, ts, azCodeReq().enc()), http.StatusFound, azR1+"?", "invalid_request", azNasty, false)
		azWantErr(t, azGet(t, ts, azCodeReq().set("response_type", "token").enc()), http.StatusFound, azR1+"#", "unauthorized_client", azNasty, true)
		azWantOK(t, azFlow(t, ts, azCodeReq().add("code_challenge", pkceS256(azVerifier)).add("code_challenge_method", "S256"), "approve"), http.StatusSeeOther, azR1, azNasty)
	})
	t.Run("S256 only", func(t *testing.T) {
		ts := NewTestServer(t, "rfc6749", WithSettings(func(s *Settings) { s.PKCE.Methods = []string{"S256"} }))
		azWantErr(t, azGet(t, ts, azCodeReq().add("code_challenge", azVerifier).enc()), http.StatusFound, azR1+"?", "invalid_request", azNasty, false)
		azWantErr(t, azGet(t, ts, azCodeReq().add("code_challenge", azVerifier).add("code_challenge_method", "plain").enc()), http.StatusFound, azR1+"?", "invalid_request", azNasty, false)
	})
}

func TestAuthorizeIntentsExtras(t *testing.T) {
	ts := NewTestServer(t, "oauth20-intents")
	base := azCodeReq().set("scope", "accounts")
	for _, tt := range []struct {
		name string
		q    azReq
		code string
	}{
		{"intent_type outside the enum", base.add("intent_type", "bogus"), "invalid_request"},
		{"intent_type case differs", base.add("intent_type", "Payments"), "invalid_request"},
		{"intent_id with a control character", base.add("intent_id", "a\nb"), "invalid_request"},
		{"intent_id too long", base.add("intent_id", strings.Repeat("i", maxExtraLen+1)), "invalid_request"},
		{"intent_id repeated", base.add("intent_id", "a").add("intent_id", "b"), "invalid_request"},
		{"scope outside the vocabulary", base.set("scope", "read"), "invalid_scope"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			azWantErr(t, azGet(t, ts, tt.q.enc()), http.StatusFound, azR1+"?", tt.code, azNasty, false)
		})
	}
	t.Run("intent parameters optional, empty means omitted", func(t *testing.T) {
		code := azWantOK(t, azFlow(t, ts, base.add("intent_type", "").add("intent_id", ""), "approve"), http.StatusSeeOther, azR1, azNasty)
		status, body := azExchange(t, ts, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {azR1}}, azConf, nil)
		if status != http.StatusOK {
			t.Fatalf("exchange: %d %v", status, body)
		}
		cl := azJWTClaims(t, body["access_token"].(string))
		if _, ok := cl["intent_type"]; ok {
			t.Fatalf("claims %v", cl)
		}
	})
	t.Run("required extra", func(t *testing.T) {
		d := profile.MustLoad("oauth20-intents")
		d.Authorize.Extras[0].Required = true
		tr := newTestServerDialect(t, d)
		azWantErr(t, azGet(t, tr, base.enc()), http.StatusFound, azR1+"?", "invalid_request", azNasty, false)
		azWantOK(t, azFlow(t, tr, base.add("intent_id", "x"), "approve"), http.StatusSeeOther, azR1, azNasty)
	})
}

// ---------------------------------------------------------------------------
// Out of band (oob-pkce).

func TestAuthorizeOOB(t *testing.T) {
	ts := NewTestServer(t, "oob-pkce")
	apiKey := map[string]string{"x-api-key": "demo-api-key"}
	base := azReq{{"response_type", "code"}, {"client_id", "conf-client"}, {"redirect_uri", azOOB}, {"state", azNasty},
		{"code_challenge", pkceS256(azVerifier)}, {"code_challenge_method", "S256"}}
	oobURL := ts.URL + ts.Settings().Endpoints.OOB

	readOOB := func(t *testing.T, loc string) (azPage, url.Values) {
		t.Helper()
		if !strings.HasPrefix(loc, ts.Settings().Endpoints.OOB+"?") {
			t.Fatalf("not sent to the oob page: %q", loc)
		}
		res := azDo(t, ts, http.MethodGet, ts.URL+loc, "", nil)
		if res.status != http.StatusOK {
			t.Fatalf("oob page: %d", res.status)
		}
		azWantPageHeaders(t, res.header, true)
		pg := azParsePage(t, res.body)
		_, rest, _ := strings.Cut(pg.title, " ")
		v, err := url.ParseQuery(rest)
		if err != nil {
			t.Fatalf("title %q: %v", pg.title, err)
		}
		return pg, v
	}

	for _, q := range []azReq{base, base.del("redirect_uri")} {
		res := azFlow(t, ts, q, "approve")
		if res.status != http.StatusSeeOther {
			t.Fatalf("approve: %d", res.status)
		}
		pg, v := readOOB(t, res.loc)
		if !strings.HasPrefix(pg.title, "Success code=") || v.Get("code") == "" || v.Get("state") != azNasty {
			t.Fatalf("title %q", pg.title)
		}
		if !strings.Contains(pg.text, v.Get("code")) {
			t.Fatal("code not shown in the page body")
		}
		form := url.Values{"grant_type": {"authorization_code"}, "code": {v.Get("code")}, "redirect_uri": {azOOB},
			"client_id": {"conf-client"}, "code_verifier": {azVerifier}}
		status, body := azExchange(t, ts, form, [2]string{}, apiKey)
		if status != http.StatusOK || body["token_type"] != "Bearer" {
			t.Fatalf("exchange: %d %v", status, body)
		}
	}

	t.Run("no state, no state in the title", func(t *testing.T) {
		_, v := readOOB(t, azFlow(t, ts, base.del("state"), "approve").loc)
		if _, ok := v["state"]; ok || v.Get("code") == "" {
			t.Fatalf("title values %v", v)
		}
	})
	t.Run("deny", func(t *testing.T) {
		res := azFlow(t, ts, base, "deny")
		pg, v := readOOB(t, res.loc)
		if pg.title != "Denied error=access_denied&state="+url.QueryEscape(azNasty) || v.Get("state") != azNasty {
			t.Fatalf("title %q", pg.title)
		}
		if strings.Contains(res.loc, "code=") {
			t.Fatal("code on denial")
		}
	})
	t.Run("errors at the oob page", func(t *testing.T) {
		for q, code := range map[string]string{
			base.set("scope", "anything").enc():                                                             "invalid_scope",
			base.set("response_type", "token").enc():                                                        "unsupported_response_type",
			base.set("code_challenge_method", "S512").enc():                                                 "invalid_request",
			base.set("client_id", "public-client").del("code_challenge").del("code_challenge_method").enc(): "invalid_request",
		} {
			res := azGet(t, ts, q)
			if res.status != http.StatusFound {
				t.Fatalf("%s: %d", code, res.status)
			}
			pg, v := readOOB(t, res.loc)
			if !strings.HasPrefix(pg.title, "Denied error="+code) || v.Get("error") != code || v.Get("state") != azNasty {
				t.Fatalf("title %q, want error %s", pg.title, code)
			}
		}
	})
	t.Run("implicit is refused to oob clients", func(t *testing.T) {
		d := profile.MustLoad("oob-pkce")
		d.ResponseTypes.Allowed = []string{"code", "token"}
		tt := newTestServerDialect(t, d, WithSettings(func(s *Settings) { s.ResponseTypes = []string{"code", "token"} }))
		res := azGet(t, tt, base.set("response_type", "token").enc())
		if res.status != http.StatusFound || !strings.HasPrefix(res.loc, tt.Settings().Endpoints.OOB+"?error=unsupported_response_type&") {
			t.Fatalf("%d %q", res.status, res.loc)
		}
	})
	t.Run("the urn is never redirected to", func(t *testing.T) {
		for _, q := range []azReq{base.set("redirect_uri", "urn:ietf:wg:oauth:2.0:oob"), base.set("redirect_uri", azR1)} {
			azWantPage(t, azGet(t, ts, q.enc()), http.StatusBadRequest)
		}
	})
	t.Run("oob page input", func(t *testing.T) {
		for q, status := range map[string]int{
			"":                           http.StatusBadRequest,
			"code=a%0Ab":                 http.StatusBadRequest,
			"code=a&error=access_denied": http.StatusBadRequest,
			"error=%22":                  http.StatusBadRequest,
			"code=a&code=b":              http.StatusBadRequest,
			"%zz":                        http.StatusBadRequest,
			"code=%3Cscript%3E":          http.StatusOK,
		} {
			res := azDo(t, ts, http.MethodGet, oobURL+"?"+q, "", nil)
			if res.status != status || strings.Contains(res.body, "<script>") {
				t.Fatalf("%q: %d", q, res.status)
			}
			azWantPageHeaders(t, res.header, true)
		}
		if res := azDo(t, ts, http.MethodPost, oobURL, "code=x", nil); res.status != http.StatusMethodNotAllowed {
			t.Fatalf("POST oob: %d", res.status)
		}
	})
}

func TestAuthorizeAbsentInMerchantCustomer(t *testing.T) {
	ts := NewTestServer(t, "merchant-customer")
	if ts.AuthorizeURL() != "" {
		t.Fatalf("AuthorizeURL %q", ts.AuthorizeURL())
	}
	for _, path := range []string{"/authorize", "/oauth/authorize", "/oauth20/authorize", "/oauth/oob"} {
		res := azDo(t, ts, http.MethodGet, ts.URL+path+"?"+azCodeReq().enc(), "", nil)
		if res.status != http.StatusNotFound {
			t.Fatalf("%s: %d", path, res.status)
		}
	}
}

// ---------------------------------------------------------------------------
// Quirks: each flips exactly the behaviour it names.

func TestAuthorizeQuirks(t *testing.T) {
	type check func(t *testing.T, ts *TestServer) (broken bool)
	tests := []struct {
		quirk   string
		profile string
		broken  check
	}{
		{"state-dropped-on-error", "", func(t *testing.T, ts *TestServer) bool {
			res := azGet(t, ts, azCodeReq().set("response_type", "foo").enc())
			return res.query().Get("error") != "" && res.query().Get("state") == ""
		}},
		{"state-mangled", "", func(t *testing.T, ts *TestServer) bool {
			res := azFlow(t, ts, azCodeReq(), "approve")
			return res.query().Get("code") != "" && res.query().Get("state") != azNasty
		}},
		{"open-redirect", "", func(t *testing.T, ts *TestServer) bool {
			res := azGet(t, ts, azCodeReq().set("redirect_uri", azAttacker).set("response_type", "foo").enc())
			return res.redirected() && strings.HasPrefix(res.loc, azAttacker)
		}},
		{"prefix-redirect-match", "", func(t *testing.T, ts *TestServer) bool {
			res := azGet(t, ts, azCodeReq().set("redirect_uri", azR1+"/extra").set("response_type", "foo").enc())
			return res.redirected() && strings.HasPrefix(res.loc, azR1+"/extra?")
		}},
		{"unknown-client-redirect", "", func(t *testing.T, ts *TestServer) bool {
			res := azGet(t, ts, azCodeReq().set("client_id", "unknown-1").set("redirect_uri", azAttacker).enc())
			return res.redirected() && strings.HasPrefix(res.loc, azAttacker)
		}},
		{"code-in-fragment", "", func(t *testing.T, ts *TestServer) bool {
			res := azFlow(t, ts, azCodeReq(), "approve")
			return res.fragment().Get("code") != "" && res.query().Get("code") == ""
		}},
		{"implicit-in-query", "", func(t *testing.T, ts *TestServer) bool {
			res := azFlow(t, ts, azCodeReq().set("response_type", "token"), "approve")
			return res.query().Get("access_token") != ""
		}},
		{"implicit-refresh-token", "", func(t *testing.T, ts *TestServer) bool {
			res := azFlow(t, ts, azCodeReq().set("response_type", "token"), "approve")
			return res.fragment().Get("refresh_token") != ""
		}},
		{"cors-authorize", "", func(t *testing.T, ts *TestServer) bool {
			pre := azDo(t, ts, http.MethodOptions, ts.AuthorizeURL(), "", map[string]string{"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})
			get := azDo(t, ts, http.MethodGet, ts.AuthorizeURL()+"?"+azCodeReq().enc(), "", map[string]string{"Origin": "https://evil.example"})
			return pre.status < 300 && pre.header.Get("Access-Control-Allow-Origin") == "https://evil.example" &&
				get.header.Get("Access-Control-Allow-Origin") == "https://evil.example"
		}},
		{"no-frame-protection", "", func(t *testing.T, ts *TestServer) bool {
			res := azGet(t, ts, azCodeReq().enc())
			return res.status == http.StatusOK && res.header.Get("X-Frame-Options") == "" &&
				!strings.Contains(res.header.Get("Content-Security-Policy"), "frame-ancestors")
		}},
		{"login-307", "", func(t *testing.T, ts *TestServer) bool {
			return azFlow(t, ts, azCodeReq(), "approve").status == http.StatusTemporaryRedirect
		}},
		{"authorize-duplicate-params", "", func(t *testing.T, ts *TestServer) bool {
			res := azGet(t, ts, azCodeReq().add("scope", "write").add("client_id", "conf-client-2").set("redirect_uri", "http://127.0.0.1:8765/callback2").enc())
			return res.status == http.StatusOK
		}},
		{"unsupported-response-type-issues-code", "", func(t *testing.T, ts *TestServer) bool {
			missing := azGet(t, ts, azCodeReq().del("response_type").enc())
			foo := azGet(t, ts, azCodeReq().set("response_type", "foo").enc())
			if missing.status != http.StatusOK || foo.status != http.StatusOK {
				return false
			}
			return azFlow(t, ts, azCodeReq().set("response_type", "foo"), "approve").query().Get("code") != ""
		}},
		{"pkce-method-ignored", "", func(t *testing.T, ts *TestServer) bool {
			res := azGet(t, ts, azCodeReq().add("code_challenge", pkceS256(azVerifier)).add("code_challenge_method", "S512").enc())
			return res.status == http.StatusOK
		}},
		{"deny-issues-code", "", func(t *testing.T, ts *TestServer) bool {
			return azFlow(t, ts, azCodeReq(), "deny").query().Get("code") != ""
		}},
		{"unsupported-response-type-issues-code", "oob-pkce", func(t *testing.T, ts *TestServer) bool {
			q := azReq{{"response_type", "token"}, {"client_id", "conf-client"}, {"state", "s"}}
			res, ok := azTryFlow(t, ts, q)
			return ok && strings.Contains(res.loc, "code=")
		}},
		{"open-redirect", "oob-pkce", func(t *testing.T, ts *TestServer) bool {
			q := azReq{{"response_type", "code"}, {"client_id", "conf-client"}, {"redirect_uri", azAttacker}, {"state", "s"}}
			res, ok := azTryFlow(t, ts, q)
			return ok && strings.HasPrefix(res.loc, azAttacker+"?code=")
		}},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.quirk] = true
	}
	for _, q := range azQuirks {
		if !covered[q.String()] {
			t.Errorf("quirk %s has no proof here", q)
		}
	}
	for _, tt := range tests {
		prof := tt.profile
		if prof == "" {
			prof = "rfc6749"
		}
		t.Run(prof+"/"+tt.quirk, func(t *testing.T) {
			if _, ok := LookupQuirk(tt.quirk); !ok {
				t.Fatalf("no quirk %q", tt.quirk)
			}
			if tt.broken(t, NewTestServer(t, prof)) {
				t.Fatal("strict provider shows the broken behaviour")
			}
			if !tt.broken(t, NewTestServer(t, prof, WithQuirks(tt.quirk))) {
				t.Fatal("the quirk does not change the behaviour")
			}
		})
	}
}

// azQuirks are the quirks of the authorize endpoint.
var azQuirks = []Quirk{
	QuirkStateDroppedOnError, QuirkStateMangled, QuirkOpenRedirect, QuirkPrefixRedirectMatch, QuirkUnknownClientRedirect,
	QuirkCodeInFragment, QuirkImplicitInQuery, QuirkImplicitRefreshToken, QuirkCORSAuthorize, QuirkNoFrameProtection,
	QuirkLogin307, QuirkAuthorizeDuplicateParams, QuirkUnsupportedResponseTypeIssuesCode, QuirkAuthorizePKCEMethodIgnored,
	QuirkDenyIssuesCode,
}

// Every authorize quirk leaves the rest of a normal flow alone.
func TestAuthorizeQuirksKeepTheHappyPath(t *testing.T) {
	for _, quirk := range azQuirks {
		q := quirkTable[quirk]
		t.Run(q.Name, func(t *testing.T) {
			ts := NewTestServer(t, "rfc6749", WithQuirks(q.Name))
			req := azCodeReq().set("state", "plain-state")
			res := azFlow(t, ts, req, "approve")
			status := http.StatusSeeOther
			if q.Quirk == QuirkLogin307 {
				status = http.StatusTemporaryRedirect
			}
			v := res.query()
			if q.Quirk == QuirkCodeInFragment {
				v = res.fragment()
			}
			if res.status != status || v.Get("code") == "" || v.Get("state") != "plain-state" {
				t.Fatalf("flow broken: %d %q", res.status, res.loc)
			}
			status2, body := azExchange(t, ts, url.Values{"grant_type": {"authorization_code"}, "code": {v.Get("code")}, "redirect_uri": {azR1}}, azConf, nil)
			if status2 != http.StatusOK {
				t.Fatalf("exchange: %d %v", status2, body)
			}
			// Client and redirect errors stay pages, except where the quirk is about them.
			if q.Quirk != QuirkUnknownClientRedirect {
				azWantPageOrQuirk(t, azGet(t, ts, req.del("client_id").set("redirect_uri", azAttacker).enc()))
			}
			if q.Quirk != QuirkOpenRedirect {
				azWantPageOrQuirk(t, azGet(t, ts, req.set("redirect_uri", azAttacker).enc()))
			}
		})
	}
}

// azTryFlow approves the request if it gets as far as the login page.
func azTryFlow(t *testing.T, ts *TestServer, q azReq) (azResult, bool) {
	t.Helper()
	res := azGet(t, ts, q.enc())
	if res.status != http.StatusOK {
		return res, false
	}
	return azSubmit(t, ts, azParsePage(t, res.body), "alice", "alice-password", "approve", nil), true
}

func azWantPageOrQuirk(t *testing.T, res azResult) {
	t.Helper()
	if res.status != http.StatusBadRequest || res.loc != "" {
		t.Fatalf("want an error page, got %d %q", res.status, res.loc)
	}
}

// ---------------------------------------------------------------------------
// Robustness: no input yields a 5xx or a panic.

var azGarbage = []string{
	"",
	"%",
	"%zz",
	"&&&&",
	"=&=&==",
	";;;",
	"client_id",
	"client_id=",
	"client_id=%ff%fe%00",
	"client_id=conf-client&redirect_uri=%00",
	"client_id=conf-client&redirect_uri=http://127.0.0.1:8765/callback%0d%0aSet-Cookie:x=y",
	"client_id=conf-client&response_type=code&state=%ff%00%0a",
	"client_id=conf-client&response_type=code&scope=%ff",
	"client_id=conf-client&response_type=code&scope=" + strings.Repeat("read+", 2000),
	"client_id=conf-client&response_type=code&code_challenge=%00%00&code_challenge_method=%ff",
	"client_id=conf-client&response_type=token&scope=%20%20%20",
	"client_id=conf-client&response_type=code&" + strings.Repeat("a=1&", 3000),
	"client_id=multi-client",
	"client_id=conf-client&redirect_uri=" + strings.Repeat("%", 5000),
	"client_id=conf-client&redirect_uri=javascript:alert(1)",
	"pending_request=x&csrf_token=y&action=approve",
	"client_id=" + strings.Repeat("x", maxAuthorizeQuery),
	"\x00\x01\x02",
	"client_id=%E2%80%AE&response_type=%E2%80%AE",
}

func TestAuthorizeRobustness(t *testing.T) {
	for _, prof := range []string{"rfc6749", "oauth20-intents", "oob-pkce"} {
		for _, quirks := range [][]string{nil, {"open-redirect", "unknown-client-redirect", "authorize-duplicate-params", "unsupported-response-type-issues-code", "pkce-method-ignored", "cors-authorize"}} {
			p, err := New(Config{Dialect: profile.MustLoad(prof), Quirks: quirks})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			ep, oob := p.Settings().Endpoints.Authorize, p.Settings().Endpoints.OOB
			for _, g := range azGarbage {
				for _, req := range []*http.Request{
					azRawRequest(http.MethodGet, ep, g, ""),
					azRawRequest(http.MethodPost, ep, "", g),
					azRawRequest(http.MethodOptions, ep, g, ""),
				} {
					if oob != "" {
						azServe(t, p, azRawRequest(http.MethodGet, oob, g, ""))
					}
					azServe(t, p, req)
				}
			}
		}
	}
}

func azRawRequest(method, path, rawQuery, body string) *http.Request {
	r := httptest.NewRequest(method, "http://mock.example/", strings.NewReader(body))
	r.URL.Path = path
	r.URL.RawQuery = rawQuery
	r.RequestURI = ""
	if method == http.MethodPost {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	r.Header.Set("Origin", "https://evil.example")
	return r
}

func azServe(t *testing.T, p *Provider, r *http.Request) {
	t.Helper()
	w := httptest.NewRecorder()
	p.ServeHTTP(w, r)
	if w.Code >= 500 {
		t.Fatalf("%s %s?%.80q: %d %s", r.Method, r.URL.Path, r.URL.RawQuery, w.Code, w.Body.String())
	}
	if loc := w.Header().Get("Location"); loc != "" && strings.ContainsAny(loc, "\r\n") {
		t.Fatalf("Location with a line break: %q", loc)
	}
}

func FuzzAuthorizeQuery(f *testing.F) {
	for _, g := range azGarbage {
		f.Add(g, false)
	}
	f.Add(azCodeReq().enc(), false)
	f.Add(azCodeReq().enc(), true)
	p, err := New(Config{})
	if err != nil {
		f.Fatal(err)
	}
	defer p.Close()
	f.Fuzz(func(t *testing.T, q string, post bool) {
		if post {
			azServe(t, p, azRawRequest(http.MethodPost, "/authorize", "", q))
		} else {
			azServe(t, p, azRawRequest(http.MethodGet, "/authorize", q, ""))
		}
	})
}

// MintCode shares the redirect matching of the endpoint.
func TestAuthorizeMintCodeRedirectMatching(t *testing.T) {
	p, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	code, err := p.MintCode(context.Background(), CodeRequest{ClientID: "conf-client", RedirectURI: "http://127.0.0.1:4444/callback"})
	if err != nil || code == "" {
		t.Fatalf("MintCode with a loopback port: %v", err)
	}
	if _, err := p.MintCode(context.Background(), CodeRequest{ClientID: "conf-client", RedirectURI: azR1 + "#x"}); err == nil {
		t.Fatal("MintCode accepted a fragment")
	}
}

// azFailStore fails every write of a grant or code.
type azFailStore struct{ *MemoryStore }

func (azFailStore) SaveGrant(context.Context, *Grant) error       { return io.ErrClosedPipe }
func (azFailStore) SaveCode(context.Context, string, *Code) error { return io.ErrClosedPipe }

// A failing store is a server_error at the redirect URI, never a 500.
func TestAuthorizeStoreFailure(t *testing.T) {
	ts := NewTestServer(t, "rfc6749", WithStore(azFailStore{NewMemoryStore()}))
	azWantErr(t, azFlow(t, ts, azCodeReq(), "approve"), http.StatusSeeOther, azR1+"?", "server_error", azNasty, false)
	azWantErr(t, azFlow(t, ts, azCodeReq().set("response_type", "token"), "approve"), http.StatusSeeOther, azR1+"#", "server_error", azNasty, true)
}
