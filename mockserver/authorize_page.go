package mockserver

import (
	"bytes"
	"crypto/subtle"
	"html/template"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// The browser-facing pages of the authorize endpoint: the login and consent
// form, the error page shown instead of redirecting to an untrusted URI, and
// the out-of-band result page. All are html/template documents (every value
// escaped) served with the headers of authorizeSecurityHeaders. They are
// parsed on first use, not at start: `serve` answers its first token
// sooner.

// Form field names the harness's scripted user agent fills in.
const (
	fieldPendingRequest = "pending_request"
	fieldCSRFToken      = "csrf_token"
	fieldUsername       = "username"
	fieldPassword       = "password"
	fieldAction         = "action"
	actionApprove       = "approve"
	actionDeny          = "deny"
)

const pageStyle = `body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#222}
h1{font-size:1.4rem}label{display:block;margin-top:.8rem}input[type=text],input[type=password]{width:100%;padding:.4rem;box-sizing:border-box}
.buttons{margin-top:1.2rem;display:flex;gap:.6rem}button{padding:.5rem 1.2rem}.error{color:#a00;font-weight:bold}
code{background:#f2f2f2;padding:.1rem .3rem;word-break:break-all}`

// pageTemplate parses an HTML page of the mock: the pages' frame (UTF-8,
// no referrer, pageStyle; viewport adds the mobile viewport) around title
// and main, the content of <main>, both template text.
func pageTemplate(name string, viewport bool, title, main string) *template.Template {
	meta := ""
	if viewport {
		meta = `<meta name="viewport" content="width=device-width, initial-scale=1">` + "\n"
	}
	return template.Must(template.New(name).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
` + meta + `<meta name="referrer" content="no-referrer">
<title>` + title + `</title>
<style>` + pageStyle + `</style>
</head>
<body>
<main>
` + main + `</main>
</body>
</html>
`))
}

var loginTemplate = sync.OnceValue(func() *template.Template {
	return pageTemplate("login", true, "Sign in to authorize {{.ClientID}}", `<h1>Authorize {{.ClientID}}</h1>
<p>The application <strong>{{.ClientID}}</strong> asks to access your account{{if .Scopes}} with this scope:{{else}}.{{end}}</p>
{{- if .Scopes}}
<ul>{{range .Scopes}}<li><code>{{.}}</code></li>{{end}}</ul>
{{- end}}
{{- if .Error}}
<p class="error" role="alert">{{.Error}}</p>
{{- end}}
<form method="post" action="{{.Action}}">
<input type="hidden" name="`+fieldPendingRequest+`" value="{{.RequestID}}">
<input type="hidden" name="`+fieldCSRFToken+`" value="{{.CSRF}}">
<label for="username">Username</label>
<input id="username" name="`+fieldUsername+`" type="text" autocomplete="username" autocapitalize="none" value="{{.Username}}">
<label for="password">Password</label>
<input id="password" name="`+fieldPassword+`" type="password" autocomplete="current-password">
<div class="buttons">
<button type="submit" name="`+fieldAction+`" value="`+actionApprove+`">Approve</button>
{{- if eq .Deny "`+DenyButton+`"}}
<button type="submit" name="`+fieldAction+`" value="`+actionDeny+`">Deny</button>
{{- end}}
</div>
</form>
{{- if eq .Deny "`+DenyForm+`"}}
<form method="post" action="{{.Action}}" id="deny-form">
<input type="hidden" name="`+fieldPendingRequest+`" value="{{.RequestID}}">
<input type="hidden" name="`+fieldCSRFToken+`" value="{{.CSRF}}">
<div class="buttons">
<button type="submit" name="`+fieldAction+`" value="`+actionDeny+`">Deny</button>
</div>
</form>
{{- else if eq .Deny "`+DenyLink+`"}}
<p class="buttons"><a id="deny" href="{{.DenyURL}}" rel="nofollow">Deny</a></p>
{{- end}}
`)
})

var errorTemplate = sync.OnceValue(func() *template.Template {
	return pageTemplate("error", false, "Authorization error: {{.Code}}", `<h1>The authorization request cannot be processed</h1>
<p class="error">error: <code id="error">{{.Code}}</code></p>
<p id="error_description">{{.Description}}</p>
<p>You have not been sent back to the application, because it could not be identified safely.</p>
`)
})

var oobTemplate = sync.OnceValue(func() *template.Template {
	return pageTemplate("oob", false, "{{.Title}}", `{{- if .Code}}
<h1>Success</h1>
<p>Copy this code into the application:</p>
<p><code id="code">{{.Code}}</code></p>
{{- else}}
<h1>Denied</h1>
<p class="error">error: <code id="error">{{.Error}}</code></p>
{{- if .Description}}
<p id="error_description">{{.Description}}</p>
{{- end}}
{{- end}}
{{- if .State}}
<p>state: <code id="state">{{.State}}</code></p>
{{- end}}
`)
})

type loginPage struct {
	ClientID  string
	Scopes    []string
	Error     string
	Action    string
	RequestID string
	CSRF      string
	Username  string
	// Deny is the settings' deny control (button, form or link); DenyURL
	// the link's target.
	Deny    string
	DenyURL string
}

type errorPage struct {
	Code        string
	Description string
}

type oobPage struct {
	Title       string
	Code        string
	Error       string
	Description string
	State       string
}

// authorizeSecurityHeaders sets the headers of every page the authorize and
// out-of-band endpoints serve (RFC 9700 §4.16, RFC 6749 §10.13): no framing,
// no caching, no referrer, no sniffing, and a CSP that allows only inline
// style and a form posted to formAction (a list of CSP sources).
func (p *Provider) authorizeSecurityHeaders(h http.Header, formAction string) {
	csp := "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action " + formAction
	csp += "; frame-ancestors 'none'"
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", csp)
	h["Cache-Control"] = noStore
	h["Pragma"] = noCache
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	if len(p.filters[respPage]) > 0 {
		p.runFilters(respPage, &response{header: h})
	}
}

// writePage renders t into a buffer first, so a failure never leaves half a
// page; the status is the intended one in any case.
func (p *Provider) writePage(w http.ResponseWriter, r *http.Request, status int, t *template.Template, data any, formAction string) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		p.log.ErrorContext(r.Context(), "authorize page", "template", t.Name(), "err", err)
		buf.Reset()
		buf.WriteString("<!DOCTYPE html><title>Error</title><p>The page could not be shown.</p>\n")
	}
	h := w.Header()
	p.authorizeSecurityHeaders(h, formAction)
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}

// errorPage answers with an HTML error page instead of a redirect (RFC 6749
// §4.1.2.1, §3.1.2.4; RFC 9700 §4.11). Descriptions are fixed strings: no
// request input is reflected.
func (p *Provider) errorPage(w http.ResponseWriter, r *http.Request, status int, code, desc string) {
	p.writePage(w, r, status, errorTemplate(), errorPage{Code: code, Description: desc}, "'none'")
}

// renderLogin shows the login and consent form of a pending request.
func (p *Provider) renderLogin(w http.ResponseWriter, r *http.Request, pa *pendingAuthz, username, msg string) {
	p.renderLoginStatus(w, r, pa, username, msg, http.StatusOK)
}

// lockedOutMessage is the login form's error while the user is locked out.
func lockedOutMessage(wait time.Duration) string {
	return "Too many failed sign-in attempts for this account. Try again in " + strconv.Itoa(retryAfterSeconds(wait)) + " seconds."
}

// renderLoginStatus is renderLogin with another status (429 for a
// lockout).
func (p *Provider) renderLoginStatus(w http.ResponseWriter, r *http.Request, pa *pendingAuthz, username, msg string, status int) {
	formAction := "'self'"
	if !pa.oob {
		if src := cspSource(pa.redirectURI); src != "" {
			formAction += " " + src
		}
	}
	page := loginPage{
		ClientID:  pa.client.ID,
		Scopes:    strings.Fields(pa.scope),
		Error:     msg,
		Action:    p.settings.Endpoints.Authorize,
		RequestID: pa.id,
		CSRF:      pa.csrf,
		Username:  displayable(username, 256),
		Deny:      p.settings.Authorize.Deny,
	}
	if page.Deny == DenyLink {
		// The ids are base64url: nothing to escape.
		page.DenyURL = page.Action + "?" + fieldPendingRequest + "=" + pa.id + "&" + fieldCSRFToken + "=" + pa.csrf +
			"&" + fieldAction + "=" + actionDeny
	}
	p.writePage(w, r, status, loginTemplate(), page, formAction)
}

// displayable makes request input safe to show: valid UTF-8, bounded.
func displayable(s string, limit int) string {
	if len(s) > limit {
		s = s[:limit]
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// Pending authorization requests: a validated request waits here, under a
// random id carried in a hidden field, until the user approves or denies it.
//
// Anyone can create one with a GET, so the store is bounded in count and in
// bytes (each entry holds only copies of the few values it needs, each of
// bounded length), entries expire, and a flood must not cost anyone else
// their login in progress:
//   - one source (an IPv4 address or an IPv6 /64, as the connection shows
//     it: behind a proxy, all clients are one source) may hold only
//     1/pendingShares of the count and of the bytes, so a flood from one
//     source never touches the requests of others;
//   - when a source's share or the whole store is full, the newest entry
//     (of that source, or overall) is evicted, never the oldest: requests
//     already in progress survive a flood until they expire, while the
//     flood churns through its own latest entries, and new requests work
//     again as soon as it stops. Evicting the oldest would instead drop
//     every real user's login within the first seconds of a flood.
//
// An evicted or expired request is answered like an unknown one: an error
// page telling the user to start again from the application.
const (
	maxPending       = 10000
	maxPendingBytes  = 8 << 20
	pendingShares    = 8
	pendingLifetime  = 10 * time.Minute
	maxLoginAttempts = 5
	// pendingOverhead is what an entry costs besides its strings: the
	// struct, its map slot, the id and CSRF strings.
	pendingOverhead = 512
)

// pendingAuthz is a validated authorization request.
type pendingAuthz struct {
	id   string
	csrf string
	// client and the redirect URI of the request (recorded with the code);
	// responseURI is where the response goes (see responseURI);
	// redirectSent says whether the request carried redirect_uri.
	client       *registeredClient
	redirectURI  string
	responseURI  string
	redirectSent bool
	oob          bool
	// responseType is "code" or "token".
	responseType string
	state        string
	// scope is the scope to grant (already decided by grantScope).
	scope     string
	challenge string
	method    string
	claims    map[string]any
	// nonce is an OpenID Connect request's nonce.
	nonce    string
	attempts int
	expires  time.Time

	// source is who sent the request (see pendingStore); size what the
	// entry takes (retainedSize). prev and next link every entry, srcPrev
	// and srcNext the source's, oldest first.
	source           netip.Prefix
	size             int
	prev, next       *pendingAuthz
	srcPrev, srcNext *pendingAuthz
}

// retainedSize estimates the bytes the entry keeps alive.
func (pa *pendingAuthz) retainedSize() int {
	n := pendingOverhead + len(pa.redirectURI) + len(pa.state) + len(pa.scope) + len(pa.challenge) + len(pa.method) + len(pa.nonce)
	if pa.responseURI != pa.redirectURI {
		n += len(pa.responseURI)
	}
	for k, v := range pa.claims {
		n += len(k) + 64 // the map slot and the interface value
		if s, ok := v.(string); ok {
			n += len(s)
		}
	}
	return n
}

// requestSource is the source of a request for the pending store's shares:
// the client's IPv4 address or IPv6 /64 (one person easily holds a /64). An
// address it cannot parse (a Unix socket) is the zero prefix, one source.
func requestSource(r *http.Request) netip.Prefix {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Prefix{}
	}
	a := ap.Addr().Unmap()
	bits := 32
	if a.Is6() {
		bits = 64
	}
	p, _ := a.Prefix(bits)
	return p
}

// pendingSource is one source's part of the store.
type pendingSource struct {
	oldest, newest *pendingAuthz
	count, bytes   int
}

// pendingStore is safe for concurrent use; its zero value is ready.
type pendingStore struct {
	mu      sync.Mutex
	m       map[string]*pendingAuthz
	sources map[netip.Prefix]*pendingSource
	// oldest and newest end the list of every entry, in the order put:
	// the order they expire in, the lifetime being fixed.
	oldest, newest *pendingAuthz
	bytes          int
	// evicted counts the entries dropped to make room (tests).
	evicted int
}

// put stores pa for its source: first dropping expired entries, then, as
// long as pa does not fit, the source's newest entry while the source is
// over its share, and the newest overall while the store is full.
func (s *pendingStore) put(now time.Time, pa *pendingAuthz) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[string]*pendingAuthz)
		s.sources = make(map[netip.Prefix]*pendingSource)
	}
	s.sweepLocked(now)
	pa.size = pa.retainedSize()
	src := s.sources[pa.source]
	if src == nil {
		src = &pendingSource{}
		s.sources[pa.source] = src
	}
	for src.newest != nil && (src.count >= maxPending/pendingShares || src.bytes+pa.size > maxPendingBytes/pendingShares) {
		s.remove(src.newest)
		s.evicted++
	}
	for s.newest != nil && (len(s.m) >= maxPending || s.bytes+pa.size > maxPendingBytes) {
		s.remove(s.newest)
		s.evicted++
	}
	if s.sources[pa.source] == nil { // remove dropped the emptied source
		s.sources[pa.source] = src
	}
	pa.prev, pa.next = s.newest, nil
	if s.newest != nil {
		s.newest.next = pa
	} else {
		s.oldest = pa
	}
	s.newest = pa
	pa.srcPrev, pa.srcNext = src.newest, nil
	if src.newest != nil {
		src.newest.srcNext = pa
	} else {
		src.oldest = pa
	}
	src.newest = pa
	src.count++
	src.bytes += pa.size
	s.bytes += pa.size
	s.m[pa.id] = pa
}

// remove unlinks x and forgets it. The caller holds mu.
func (s *pendingStore) remove(x *pendingAuthz) {
	if x.prev != nil {
		x.prev.next = x.next
	} else {
		s.oldest = x.next
	}
	if x.next != nil {
		x.next.prev = x.prev
	} else {
		s.newest = x.prev
	}
	if src := s.sources[x.source]; src != nil {
		if x.srcPrev != nil {
			x.srcPrev.srcNext = x.srcNext
		} else {
			src.oldest = x.srcNext
		}
		if x.srcNext != nil {
			x.srcNext.srcPrev = x.srcPrev
		} else {
			src.newest = x.srcPrev
		}
		src.count--
		src.bytes -= x.size
		if src.count == 0 {
			delete(s.sources, x.source)
		}
	}
	x.prev, x.next, x.srcPrev, x.srcNext = nil, nil, nil, nil
	s.bytes -= x.size
	delete(s.m, x.id)
}

// sweep drops the entries expired at now.
func (s *pendingStore) sweep(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked(now)
}

// sweepLocked drops expired entries from the oldest on; one put later than
// an unexpired one (a clock set back) waits for lookup or its turn.
func (s *pendingStore) sweepLocked(now time.Time) {
	for s.oldest != nil && now.After(s.oldest.expires) {
		s.remove(s.oldest)
	}
}

// reset drops every entry (Provider.Reset).
func (s *pendingStore) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m, s.sources, s.oldest, s.newest, s.bytes, s.evicted = nil, nil, nil, nil, 0, 0
}

// lookup returns a copy of the live pending request id if csrf matches its
// token; found reports whether the id was live at all.
func (s *pendingStore) lookup(now time.Time, id, csrf string) (pa pendingAuthz, found, csrfOK bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	x, ok := s.m[id]
	if !ok {
		return pa, false, false
	}
	if now.After(x.expires) {
		s.remove(x)
		return pa, false, false
	}
	pa = *x
	pa.prev, pa.next, pa.srcPrev, pa.srcNext = nil, nil, nil, nil
	return pa, true, subtle.ConstantTimeCompare([]byte(x.csrf), []byte(csrf)) == 1
}

// failLogin counts a failed login; after maxLoginAttempts the request is
// dropped and false is returned.
func (s *pendingStore) failLogin(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	x, ok := s.m[id]
	if !ok {
		return false
	}
	x.attempts++
	if x.attempts >= maxLoginAttempts {
		s.remove(x)
		return false
	}
	return true
}

// take removes the pending request; false when another submission already
// took it (each request yields at most one response).
func (s *pendingStore) take(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	x, ok := s.m[id]
	if !ok {
		return false
	}
	s.remove(x)
	return true
}

// len reports the number of pending requests (tests).
func (s *pendingStore) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

// usage reports the bytes the pending requests hold and how many were
// evicted (tests).
func (s *pendingStore) usage() (bytes, evicted int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bytes, s.evicted
}

// validVSCHAR reports whether s is 1*VSCHAR (%x20-7E), RFC 6749 App. A.
func validVSCHAR(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// validErrorCode reports whether s fits the RFC 6749 §4.1.2.1 error charset.
func validErrorCode(s string) bool {
	if s == "" || !utf8.ValidString(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// redirectPage sends the user agent to loc with a page instead of an HTTP
// redirect (authorize.redirect: page): 200 text/html with a
// <meta http-equiv="refresh"> and a script calling location.replace, as
// some servers end the authorization (RFC 6749 §3.1.2 leaves the means of
// the user-agent redirection open). loc is the redirect URI the response
// goes to, with its parameters; it is HTML-escaped in the attribute and a
// JSON string (with <, > and & escaped) in the script. The CSP allows that
// script alone, by its nonce.
func (p *Provider) redirectPage(w http.ResponseWriter, loc string) {
	nonce := randomToken()[:22]
	var b bytes.Buffer
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"referrer\" content=\"no-referrer\">\n")
	b.WriteString(`<meta http-equiv="refresh" content="0;url=`)
	template.HTMLEscape(&b, []byte(loc))
	b.WriteString("\">\n<title>Returning to the application</title>\n</head>\n<body>\n<p>Returning to the application…</p>\n")
	b.WriteString(`<script nonce="` + nonce + `">location.replace(`)
	b.Write(appendJSONString(nil, loc))
	b.WriteString(");</script>\n</body>\n</html>\n")
	h := w.Header()
	p.authorizeSecurityHeaders(h, "'none'")
	h.Set("Content-Security-Policy", h.Get("Content-Security-Policy")+"; script-src 'nonce-"+nonce+"'")
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b.Bytes())
}
