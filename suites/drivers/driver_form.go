package drivers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/oauthconform/oauthconform/suites/harness"
	"github.com/oauthconform/oauthconform/suites/target"
)

// Defaults of the form driver.
const (
	defaultUsernameField = "username"
	defaultPasswordField = "password"
	// formMaxRedirects bounds the redirects followed inside the
	// authorization server in one flow.
	formMaxRedirects = 10
	// formMaxSubmissions bounds the forms submitted in one flow (login,
	// consent, a second factor page, ...).
	formMaxSubmissions = 5
)

// acceptHTML is what the scripted user agent asks for, like a browser.
const acceptHTML = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"

// FormDriver is a scripted user agent for the authorization endpoint of any
// provider that logs users in and asks for consent with HTML forms.
//
// Each Authorize call starts a fresh cookie jar (no session carries over),
// GETs the authorization request, and then:
//   - follows the provider's own redirects (same scheme, host and port as the
//     authorization endpoint, or relative), always with GET and never
//     re-sending a form, up to 10 hops;
//   - stops at the first redirect that leaves the authorization server (or
//     goes to the request's redirect_uri): that is the authorization
//     response, whose query and fragment it parses;
//   - on an HTML page with a form (the one holding a password input, else the
//     first with a submit control that does not refuse) fills the username
//     and password, keeps hidden inputs, ticks the consent checkbox if one is
//     named, presses the approve control (or the deny control when the
//     request says Deny), and submits to the form's action when that is on
//     the authorization server;
//   - when the request says Deny and the consent form has no deny control,
//     refuses the way the page offers instead: another form of the page whose
//     submit control or action means refusal (submitted with its own hidden
//     fields), else a link on the authorization server whose text or href
//     means refusal (followed with GET); a login form whose controls do not
//     read as consent gets the credentials first, the refusal waiting for
//     the consent page (see denyRoute);
//   - ends on a page without a form (an error page, an out-of-band page).
//
// Every request is kept as evidence, with the password redacted from the
// recorded form body. Errors come back with the partial result; the flow is
// bounded by ctx.
type FormDriver struct {
	// Options configure the user agent's HTTP client; Jar is replaced by a
	// fresh cookie jar on every call.
	Options harness.Options
	// AuthorizeURL is the absolute URL of the authorization endpoint.
	AuthorizeURL string
	// User logs in; nil means the flow fails at a login form.
	User   *target.User
	Fields target.FormFields
	// readOOB makes a flow that ends on a page read the result from it.
	readOOB bool
}

// NewFormDriver returns a form driver for the endpoint.
func NewFormDriver(opts harness.Options, authorizeURL string, user *target.User, fields target.FormFields) *FormDriver {
	return &FormDriver{Options: opts, AuthorizeURL: authorizeURL, User: user, Fields: fields}
}

// OOBDriver is the form driver for out-of-band redirect URIs
// (urn:ietf:wg:oauth:2.0:oob:auto): the provider shows the result on a page
// of its own instead of redirecting. When the flow ends on such a page, the
// driver reads the response from its <title>, in the form Google's installed
// app flow made common and the mock provider uses: "Success code=…&state=…"
// or "Denied error=…&state=…", the part after the first space being
// application/x-www-form-urlencoded. When the title has no such result and
// the page was reached by a redirect, the code, state and error parameters
// of the page's own URL are used instead. The values fill AuthzResult.Query;
// Redirect stays nil and Page is the result page.
type OOBDriver struct{ FormDriver }

// NewOOBDriver returns an out-of-band driver for the endpoint.
func NewOOBDriver(opts harness.Options, authorizeURL string, user *target.User, fields target.FormFields) *OOBDriver {
	return &OOBDriver{FormDriver{Options: opts, AuthorizeURL: authorizeURL, User: user, Fields: fields, readOOB: true}}
}

// Authorize performs the request as the user.
func (d *FormDriver) Authorize(ctx context.Context, req AuthzRequest) (*AuthzResult, error) {
	return d.run(ctx, req)
}

// authorizeTarget appends the request to the endpoint URL.
func authorizeTarget(endpoint string, req AuthzRequest) string {
	q := req.RawQuery
	if q == "" {
		q = req.Query.Encode()
	}
	if q == "" {
		return endpoint
	}
	sep := "?"
	if strings.Contains(endpoint, "?") {
		sep = "&"
	}
	return endpoint + sep + q
}

// requestRedirectURI is the redirect_uri the request names, if any.
func requestRedirectURI(req AuthzRequest) string {
	if req.RawQuery != "" {
		if v, err := url.ParseQuery(req.RawQuery); err == nil {
			return v.Get("redirect_uri")
		}
		return ""
	}
	return req.Query.Get("redirect_uri")
}

func (d *FormDriver) run(ctx context.Context, req AuthzRequest) (*AuthzResult, error) {
	res := &AuthzResult{Query: url.Values{}, Fragment: url.Values{}}
	if d.AuthorizeURL == "" {
		return res, errors.New("form driver: no authorization endpoint is configured")
	}
	as, err := url.Parse(d.AuthorizeURL)
	if err != nil || !as.IsAbs() {
		return res, fmt.Errorf("form driver: the authorization endpoint %q is not an absolute URL", d.AuthorizeURL)
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		return res, fmt.Errorf("form driver: cookie jar: %w", err)
	}
	opts := d.Options
	opts.Jar = jar
	hc, err := harness.NewClient(opts)
	if err != nil {
		return res, fmt.Errorf("form driver: %w", err)
	}
	var clientRedirect *url.URL
	if r := requestRedirectURI(req); r != "" {
		clientRedirect, _ = url.Parse(r)
	}

	ex := hc.Get(ctx, authorizeTarget(d.AuthorizeURL, req), harness.WithHeader("Accept", acceptHTML))
	hops, submissions := 0, 0
	viaRedirect, sentPassword, denied := false, false, false
	// A redirect leaves the flow when it goes outside the server or to the
	// client's redirect URI: that is the response.
	leaves := func(next *url.URL) bool { return !SameOrigin(as, next) || sameEndpoint(clientRedirect, next) }
	leave := func(next *url.URL, raw string) (*AuthzResult, error) {
		res.Redirect = next
		res.Query, res.Fragment = splitResponseParams(raw)
		if req.Deny && !denied && (res.Query.Has("code") || res.Fragment.Has("code") || res.Fragment.Has("access_token")) {
			// The server never asked: the user had no way to refuse.
			return res, errNoDenyControl
		}
		return res, nil
	}
	for {
		res.Exchanges = append(res.Exchanges, ex)
		if ex.Err != nil {
			return res, fmt.Errorf("form driver: %s %s: %w", ex.Method, harness.RedactURL(ex.URL), ex.Err)
		}
		if err := ctx.Err(); err != nil {
			return res, fmt.Errorf("form driver: %w", err)
		}
		if isRedirectStatus(ex.Status) && ex.Location() != "" {
			next, err := ex.RedirectURL()
			if err != nil {
				return res, fmt.Errorf("form driver: unusable redirect: %w", err)
			}
			if leaves(next) {
				return leave(next, ex.Location())
			}
			if hops++; hops > formMaxRedirects {
				return res, fmt.Errorf("form driver: more than %d redirects inside the authorization server", formMaxRedirects)
			}
			ex = hc.Get(ctx, next.String(), harness.WithHeader("Accept", acceptHTML))
			viaRedirect = true
			continue
		}
		var pg *htmlPage
		if ex.Status >= 200 && ex.Status < 300 && looksHTML(ex) {
			pg = parseHTMLPage(ex.Body)
		}
		f := pg.pickForm()
		if f == nil && pg != nil && pg.refresh != "" {
			// A browser follows a meta refresh like a redirect (RFC 6749
			// §1.7: "any other method available via the user-agent").
			page, perr := url.Parse(ex.URL)
			next, nerr := url.Parse(pg.refresh)
			if perr == nil && nerr == nil {
				next = page.ResolveReference(next)
				if leaves(next) {
					return leave(next, next.String())
				}
				if hops++; hops > formMaxRedirects {
					return res, fmt.Errorf("form driver: more than %d redirects inside the authorization server", formMaxRedirects)
				}
				ex = hc.Get(ctx, next.String(), harness.WithHeader("Accept", acceptHTML))
				viaRedirect = true
				continue
			}
		}
		if f == nil {
			res.Page = ex
			if d.readOOB && pg != nil {
				res.Query = oobResult(pg, ex, viaRedirect)
				if req.Deny && !denied && res.Query.Has("code") {
					return res, errNoDenyControl
				}
			}
			return res, nil
		}
		if sentPassword && f.passwordField(d.Fields.Password) >= 0 {
			res.Page = ex
			return res, errors.New("form driver: the login form was shown again after the credentials were submitted (wrong username or password?)")
		}
		if submissions++; submissions > formMaxSubmissions {
			res.Page = ex
			return res, fmt.Errorf("form driver: more than %d forms in one flow", formMaxSubmissions)
		}
		page, err := url.Parse(ex.URL)
		if err != nil {
			res.Page = ex
			return res, fmt.Errorf("form driver: page URL: %w", err)
		}
		byAction := false
		if req.Deny && !denied {
			var link *url.URL
			f, byAction, link = d.denyRoute(pg, f, page, as, clientRedirect)
			if link != nil {
				// The page refuses with a link: follow it like a click.
				ex = hc.Get(ctx, link.String(), harness.WithHeader("Accept", acceptHTML))
				if res.LoginResponse == nil {
					res.LoginResponse = ex
				}
				denied, viaRedirect = true, false
				continue
			}
		}
		sub, err := d.fillAs(f, req.Deny, byAction)
		if err != nil {
			res.Page = ex
			return res, err
		}
		denied = denied || sub.deny
		action, err := f.actionURL(page)
		if err != nil {
			res.Page = ex
			return res, err
		}
		if !SameOrigin(as, action) {
			res.Page = ex
			return res, fmt.Errorf("form driver: the form submits to %s, outside the authorization server; not following", harness.RedactURL(action.String()))
		}
		sentPassword = sentPassword || sub.pwIndex >= 0
		if f.method == http.MethodGet {
			u := *action
			u.RawQuery, u.Fragment, u.RawFragment = sub.encode(), "", ""
			ex = hc.Get(ctx, u.String(), harness.WithHeader("Accept", acceptHTML))
			u.RawQuery = sub.evidence()
			ex.URL = u.String()
		} else {
			ex = hc.Do(ctx, http.MethodPost, action.String(),
				harness.WithRawBody("application/x-www-form-urlencoded", sub.encode()),
				harness.WithHeader("Accept", acceptHTML))
			ex.RequestBody = []byte(sub.evidence())
		}
		if res.LoginResponse == nil {
			res.LoginResponse = ex
		}
		viaRedirect = false
	}
}

// actionURL resolves the form's action against the page URL; no action
// submits to the page itself.
func (f *htmlForm) actionURL(page *url.URL) (*url.URL, error) {
	if f.action == "" {
		return page, nil
	}
	ref, err := url.Parse(strings.TrimSpace(f.action))
	if err != nil {
		return nil, fmt.Errorf("form driver: form action %q: %w", f.action, err)
	}
	return page.ResolveReference(ref), nil
}

func isRedirectStatus(s int) bool { return s >= 300 && s < 400 && s != http.StatusNotModified }

// SameOrigin compares scheme, host and port (default ports filled in).
func SameOrigin(a, b *url.URL) bool {
	if a == nil || b == nil || !strings.EqualFold(a.Scheme, b.Scheme) {
		return false
	}
	return strings.EqualFold(a.Hostname(), b.Hostname()) && PortOf(a) == PortOf(b)
}

// PortOf returns u's port, or the default port of its scheme (80, 443).
func PortOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "http":
		return "80"
	case "https":
		return "443"
	}
	return ""
}

// sameEndpoint reports whether u goes to the redirect URI r (same origin and
// path): a client callback hosted beside the authorization server is still
// the end of the flow.
func sameEndpoint(r, u *url.URL) bool {
	return r != nil && r.Host != "" && SameOrigin(r, u) && r.EscapedPath() == u.EscapedPath()
}

// splitResponseParams parses the query and fragment of a raw Location as
// application/x-www-form-urlencoded, leniently: pairs that do not decode are
// left out.
func splitResponseParams(loc string) (query, fragment url.Values) {
	before, frag, _ := strings.Cut(loc, "#")
	_, q, _ := strings.Cut(before, "?")
	query, _ = url.ParseQuery(q)
	fragment, _ = url.ParseQuery(frag)
	return query, fragment
}

// looksHTML reports whether ex is an HTML page: by its media type, or for
// one without, by an <html tag near the start.
func looksHTML(ex *harness.Exchange) bool {
	switch ex.MediaType() {
	case "text/html", "application/xhtml+xml":
		return true
	case "":
		return strings.Contains(strings.ToLower(string(ex.Body[:min(len(ex.Body), 512)])), "<html")
	}
	return false
}

type htmlPage struct {
	title string
	forms []*htmlForm
	links []htmlLink
	// refresh is the target of a <meta http-equiv="refresh"> with a URL,
	// which a browser follows like a redirect ("" for none).
	refresh string
}

// metaRefreshURL returns the URL of a refresh directive's content
// ("0; url=https://…", quotes optional), or "" when it has none (a plain
// reload).
func metaRefreshURL(content string) string {
	_, rest, ok := strings.Cut(content, ";")
	if !ok {
		if _, rest, ok = strings.Cut(content, ","); !ok {
			return ""
		}
	}
	rest = strings.TrimSpace(rest)
	if len(rest) < 4 || !strings.EqualFold(rest[:3], "url") {
		return ""
	}
	rest = strings.TrimSpace(rest[3:])
	if !strings.HasPrefix(rest, "=") {
		return ""
	}
	rest = strings.TrimSpace(rest[1:])
	if len(rest) > 0 && (rest[0] == '\'' || rest[0] == '"') {
		q := rest[0]
		rest = rest[1:]
		if i := strings.IndexByte(rest, q); i >= 0 {
			rest = rest[:i]
		}
	}
	return strings.TrimSpace(rest)
}

// htmlLink is an <a href>, in document order.
type htmlLink struct {
	href string
	// text is the lower-cased visible text, aria-label and title.
	text string
}

type htmlForm struct {
	method, action string
	fields         []formField
}

// formField is an input, select, textarea or button, in document order.
type formField struct {
	tag, typ, name, value string
	// label is the lower-cased visible text or value of a control.
	label    string
	checked  bool
	disabled bool
	// autocomplete hints at the username input.
	autocomplete string
}

func (f formField) submit() bool {
	return (f.tag == "button" && (f.typ == "" || f.typ == "submit")) || (f.tag == "input" && (f.typ == "submit" || f.typ == "image"))
}

func (f formField) textLike() bool {
	if f.tag != "input" {
		return false
	}
	switch f.typ {
	case "", "text", "email", "tel":
		return true
	}
	return false
}

// HoldsForm reports whether ex is an HTML page (2xx or not) with at least
// one form, as the form driver reads pages: the login and consent pages of
// a flow. Exported for the specs that judge those pages (AUTHZ-SEC).
func HoldsForm(ex *harness.Exchange) bool {
	if ex == nil || ex.Err != nil || !looksHTML(ex) {
		return false
	}
	pg := parseHTMLPage(ex.Body)
	return pg != nil && len(pg.forms) > 0
}

func parseHTMLPage(body []byte) *htmlPage {
	doc, err := html.Parse(strings.NewReader(string(body)))
	if err != nil {
		return nil
	}
	pg := &htmlPage{}
	var cur *htmlForm
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		entered := false
		if n.Type == html.ElementNode {
			switch n.DataAtom {
			case atom.Meta:
				if strings.EqualFold(strings.TrimSpace(attr(n, "http-equiv")), "refresh") && pg.refresh == "" {
					pg.refresh = metaRefreshURL(attr(n, "content"))
				}
			case atom.Title:
				if pg.title == "" {
					pg.title = strings.TrimSpace(textOf(n))
				}
			case atom.Form:
				if cur == nil {
					method := strings.ToUpper(strings.TrimSpace(attr(n, "method")))
					if method != http.MethodPost {
						method = http.MethodGet
					}
					cur = &htmlForm{method: method, action: attr(n, "action")}
					pg.forms = append(pg.forms, cur)
					entered = true
				}
			case atom.Input, atom.Button, atom.Select, atom.Textarea:
				if cur != nil {
					cur.fields = append(cur.fields, fieldOf(n))
				}
			case atom.A:
				if href, ok := attrOK(n, "href"); ok {
					text := strings.Join([]string{textOf(n), attr(n, "aria-label"), attr(n, "title")}, " ")
					pg.links = append(pg.links, htmlLink{href: href, text: strings.ToLower(strings.Join(strings.Fields(text), " "))})
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
		if entered {
			cur = nil
		}
	}
	walk(doc)
	return pg
}

func fieldOf(n *html.Node) formField {
	_, disabled := attrOK(n, "disabled")
	_, checked := attrOK(n, "checked")
	f := formField{
		tag: n.Data, typ: strings.ToLower(strings.TrimSpace(attr(n, "type"))), name: attr(n, "name"), value: attr(n, "value"),
		checked: checked, disabled: disabled, autocomplete: strings.ToLower(attr(n, "autocomplete")),
	}
	switch n.DataAtom {
	case atom.Button:
		f.label = strings.ToLower(strings.TrimSpace(textOf(n)))
	case atom.Input:
		f.label = strings.ToLower(f.value)
		if f.typ == "image" {
			f.label = strings.ToLower(attr(n, "alt"))
		}
	case atom.Textarea:
		f.value = textOf(n)
	case atom.Select:
		f.value = selectedOption(n)
	}
	return f
}

// selectedOption is the value of the selected option, else the first.
func selectedOption(sel *html.Node) string {
	first, found := "", false
	var walk func(n *html.Node) (string, bool)
	walk = func(n *html.Node) (string, bool) {
		if n.Type == html.ElementNode && n.DataAtom == atom.Option {
			v, ok := attrOK(n, "value")
			if !ok {
				v = strings.TrimSpace(textOf(n))
			}
			if !found {
				first, found = v, true
			}
			if _, sel := attrOK(n, "selected"); sel {
				return v, true
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if v, ok := walk(c); ok {
				return v, true
			}
		}
		return "", false
	}
	if v, ok := walk(sel); ok {
		return v
	}
	return first
}

func attr(n *html.Node, key string) string {
	v, _ := attrOK(n, key)
	return v
}

func attrOK(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Namespace == "" && strings.EqualFold(a.Key, key) {
			return a.Val, true
		}
	}
	return "", false
}

func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// pickForm chooses the form to submit: the first with a password input,
// else the first with a submit control that does not refuse (a separate deny
// form may come first), else the first with a submit control; nil on a page
// without one.
func (pg *htmlPage) pickForm() *htmlForm {
	if pg == nil {
		return nil
	}
	for _, f := range pg.forms {
		for _, fl := range f.fields {
			if fl.tag == "input" && fl.typ == "password" && !fl.disabled {
				return f
			}
		}
	}
	for _, f := range pg.forms {
		if !hrefRefuses(f.action) && f.hasControl(func(fl formField) bool { return !isDenyControl(fl) }) {
			return f
		}
	}
	for _, f := range pg.forms {
		if f.hasControl(func(formField) bool { return true }) {
			return f
		}
	}
	return nil
}

// hasControl reports whether the form has an enabled submit control for
// which ok holds.
func (f *htmlForm) hasControl(ok func(formField) bool) bool {
	for _, fl := range f.fields {
		if fl.submit() && !fl.disabled && ok(fl) {
			return true
		}
	}
	return false
}

// denyRoute chooses how the user refuses on a page whose chosen form is f:
//   - f itself when it has a deny control (the existing choice);
//   - f when it is a login form whose controls do not read as consent: the
//     credentials go first, the refusal waits for the consent page (a server
//     that then redirects with a code gave no chance to refuse:
//     errNoDenyControl);
//   - else another form of the page, on the authorization server, whose
//     submit control clearly refuses, or whose action does (byAction: any of
//     its submit controls refuses);
//   - else a link that refuses (see denyLink);
//   - else f, which fill answers with errNoDenyControl.
func (d *FormDriver) denyRoute(pg *htmlPage, f *htmlForm, page, as, clientRedirect *url.URL) (form *htmlForm, byAction bool, link *url.URL) {
	if f.hasControl(isDenyControl) {
		return f, false, nil
	}
	if f.passwordField(d.Fields.Password) >= 0 && !d.consentForm(f) {
		return f, false, nil
	}
	for _, g := range pg.forms {
		if g == f {
			continue
		}
		action, err := g.actionURL(page)
		if err != nil || !SameOrigin(as, action) || sameEndpoint(clientRedirect, action) {
			continue
		}
		if g.hasControl(clearlyRefuses) {
			return g, false, nil
		}
		if hrefRefuses(g.action) && g.hasControl(func(formField) bool { return true }) {
			return g, true, nil
		}
	}
	if u := pg.denyLink(page, as, clientRedirect); u != nil {
		return f, false, u
	}
	return f, false, nil
}

// consentWords are the approve words that ask for consent rather than for
// signing in (a combined login and consent form says Approve, not Sign in).
var consentWords = map[string]bool{"approve": true, "allow": true, "accept": true, "authorize": true, "authorise": true,
	"consent": true, "grant": true, "agree": true}

// consentForm reports whether the form asks for consent: a submit control
// reads like it, or it holds the configured consent control.
func (d *FormDriver) consentForm(f *htmlForm) bool {
	for _, fl := range f.fields {
		if fl.disabled {
			continue
		}
		if d.Fields.Consent != "" && fl.name == d.Fields.Consent {
			return true
		}
		if fl.submit() && hasAny(controlWords(fl), consentWords) {
			return true
		}
	}
	return false
}

// denyLink is the page's link that best means refusal, resolved against the
// page URL: by its text (or aria-label, title) and by the words of its href,
// a link matching both first, then by text, then by href, each in document
// order. Links off the authorization server, to the client's redirect URI,
// javascript: links, fragment-only links and links whose text reads as
// approval are ignored. nil if none.
func (pg *htmlPage) denyLink(page, as, clientRedirect *url.URL) *url.URL {
	var best *url.URL
	bestScore := 0
	for _, l := range pg.links {
		href := strings.TrimSpace(l.href)
		if href == "" || strings.HasPrefix(href, "#") || strings.HasPrefix(strings.ToLower(href), "javascript:") {
			continue
		}
		score := 0
		if textRefuses(l.text) {
			score += 2
		} else if hasAny(textWords(l.text), approveWords) {
			continue
		}
		if hrefRefuses(href) {
			score++
		}
		if score <= bestScore {
			continue
		}
		ref, err := url.Parse(href)
		if err != nil {
			continue
		}
		u := page.ResolveReference(ref)
		if !strings.EqualFold(u.Scheme, "http") && !strings.EqualFold(u.Scheme, "https") ||
			!SameOrigin(as, u) || sameEndpoint(clientRedirect, u) {
			continue
		}
		u.Fragment, u.RawFragment = "", ""
		best, bestScore = u, score
	}
	return best
}

// passwordField is the index of the password input: the one named name
// (default "password"), else the first type=password input; -1 if none.
func (f *htmlForm) passwordField(name string) int {
	if name == "" {
		name = defaultPasswordField
	}
	first := -1
	for i, fl := range f.fields {
		if fl.tag != "input" || fl.disabled {
			continue
		}
		if fl.name == name && (fl.typ == "password" || fl.textLike()) {
			return i
		}
		if fl.typ == "password" && first < 0 {
			first = i
		}
	}
	return first
}

// usernameField is the index of the username input: the one named name
// (default "username"), else one marked autocomplete=username, else the
// text input right before the password input; -1 if none.
func (f *htmlForm) usernameField(name string, password int) int {
	if name == "" {
		name = defaultUsernameField
	}
	for i, fl := range f.fields {
		if fl.name == name && fl.textLike() && !fl.disabled {
			return i
		}
	}
	for i, fl := range f.fields {
		if fl.autocomplete == "username" && fl.textLike() && !fl.disabled {
			return i
		}
	}
	for i := password - 1; i >= 0; i-- {
		if fl := f.fields[i]; fl.textLike() && !fl.disabled && fl.name != "" {
			return i
		}
	}
	return -1
}

var (
	approveWords = map[string]bool{"approve": true, "allow": true, "accept": true, "authorize": true, "authorise": true,
		"consent": true, "grant": true, "yes": true, "confirm": true, "continue": true, "submit": true, "login": true,
		"signin": true, "next": true, "ok": true, "agree": true}
	// denyWords, where pairs of words are also joined: "Don't allow" gives
	// dontallow, "No thanks" nothanks, "access_denied" accessdenied.
	denyWords = map[string]bool{"deny": true, "reject": true, "decline": true, "cancel": true, "refuse": true,
		"disallow": true, "no": true, "abort": true, "denied": true, "rejected": true, "declined": true,
		"cancelled": true, "canceled": true, "refused": true, "dontallow": true, "nothanks": true, "notnow": true,
		"accessdenied": true}
)

// textWords splits text into lower-case words, pairs of words also joined
// ("Sign in" gives sign, in and signin); apostrophes join ("don't": dont).
func textWords(s string) map[string]bool {
	words := map[string]bool{}
	s = strings.NewReplacer("'", "", "\u2019", "").Replace(strings.ToLower(s))
	fields := strings.FieldsFunc(s, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') })
	for i, w := range fields {
		words[w] = true
		if i > 0 {
			words[fields[i-1]+w] = true
		}
	}
	return words
}

// controlWords splits a control's name, value and label into words.
func controlWords(fl formField) map[string]bool {
	return textWords(fl.name + " " + fl.value + " " + fl.label)
}

// strongRefusal: the words refuse without a bare "no", which alone is too
// weak outside the consent form (a language picker's value=no is Norwegian).
func strongRefusal(words map[string]bool) bool {
	delete(words, "no")
	return hasAny(words, denyWords)
}

// clearlyRefuses is a deny control of a form other than the approve form:
// its words refuse, a bare "no" counting only as its whole visible label.
func clearlyRefuses(fl formField) bool {
	return strongRefusal(controlWords(fl)) || strings.TrimSpace(fl.label) == "no"
}

// textRefuses: a link's text refuses ("Cancel", "No thanks", "No").
func textRefuses(text string) bool {
	return strongRefusal(textWords(text)) || strings.TrimSpace(text) == "no"
}

// hrefRefuses: the words of a URL reference (its path and query, decoded)
// refuse: /consent/deny, ?decision=deny, error=access_denied.
func hrefRefuses(ref string) bool {
	if ref == "" {
		return false
	}
	s := ref
	if u, err := url.Parse(strings.TrimSpace(ref)); err == nil {
		s = u.Path + " " + u.RawQuery
		if q, err := url.QueryUnescape(u.RawQuery); err == nil {
			s = u.Path + " " + q
		}
	}
	return strongRefusal(textWords(s))
}

func hasAny(words, set map[string]bool) bool {
	for w := range words {
		if set[w] {
			return true
		}
	}
	return false
}

func isDenyControl(fl formField) bool { return hasAny(controlWords(fl), denyWords) }

func isApproveControl(fl formField) bool {
	w := controlWords(fl)
	return hasAny(w, approveWords) && !hasAny(w, denyWords)
}

// submission is a filled form, in document order.
type submission struct {
	pairs [][2]string
	// pwIndex is the pair holding the password, -1 if none.
	pwIndex  int
	password string
	// deny: the chosen control refuses consent.
	deny bool
}

func (s *submission) add(k, v string) { s.pairs = append(s.pairs, [2]string{k, v}) }

func (s *submission) encodeWith(password string) string {
	var b strings.Builder
	for i, kv := range s.pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		v := kv[1]
		if i == s.pwIndex {
			v = password
		}
		b.WriteString(url.QueryEscape(kv[0]))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(v))
	}
	return b.String()
}

func (s *submission) encode() string { return s.encodeWith(s.password) }

// evidence is the body with the password redacted, whatever its field name.
func (s *submission) evidence() string { return s.encodeWith(harness.Redacted(s.password)) }

// errNoDenyControl: the page offers no way to refuse.
var errNoDenyControl = fmt.Errorf("%w: the consent page has no deny control", ErrNotSupported)

// fill fills a form as the user: credentials, hidden inputs, the consent
// checkbox and the chosen submit control.
func (d *FormDriver) fill(f *htmlForm, deny bool) (*submission, error) {
	return d.fillAs(f, deny, false)
}

// fillAs is fill; byAction says the form refuses by its action (a separate
// deny form), so that without a deny control its first submit control
// refuses.
func (d *FormDriver) fillAs(f *htmlForm, deny, byAction bool) (*submission, error) {
	pw := f.passwordField(d.Fields.Password)
	un := f.usernameField(d.Fields.Username, pw)
	if (pw >= 0 || un >= 0) && d.User == nil {
		return nil, fmt.Errorf("%w: the page asks the user to log in, but no user is configured", ErrNotSupported)
	}
	// The submit control.
	chosen := -1
	var controls []int
	for i, fl := range f.fields {
		if fl.submit() && !fl.disabled {
			controls = append(controls, i)
		}
	}
	pick := func(ok func(formField) bool) int {
		for _, i := range controls {
			if ok(f.fields[i]) {
				return i
			}
		}
		return -1
	}
	named := func(fl formField) bool { return d.Fields.Consent != "" && fl.name == d.Fields.Consent }
	if deny {
		if chosen = pick(func(fl formField) bool { return named(fl) && isDenyControl(fl) }); chosen < 0 {
			chosen = pick(isDenyControl)
		}
		if chosen < 0 && byAction && len(controls) > 0 {
			chosen = controls[0]
		}
		if chosen < 0 {
			if pw < 0 {
				return nil, errNoDenyControl
			}
			// A login-only page: sign in, and refuse on the consent page.
			deny = false
		}
	}
	if !deny {
		if chosen = pick(func(fl formField) bool { return named(fl) && !isDenyControl(fl) }); chosen < 0 {
			if chosen = pick(isApproveControl); chosen < 0 {
				chosen = pick(func(fl formField) bool { return !isDenyControl(fl) })
			}
		}
		if chosen < 0 && len(controls) > 0 {
			return nil, errors.New("form driver: the form offers only controls that refuse")
		}
	}

	sub := &submission{pwIndex: -1, deny: deny && chosen >= 0}
	for i, fl := range f.fields {
		if fl.disabled || fl.name == "" {
			continue
		}
		switch {
		case i == pw:
			sub.password, sub.pwIndex = string(d.User.Password), len(sub.pairs)
			sub.add(fl.name, sub.password)
		case i == un:
			sub.add(fl.name, d.User.Username)
		case fl.tag == "button", fl.tag == "input" && (fl.submit() || fl.typ == "button" || fl.typ == "reset" || fl.typ == "file"):
			if i == chosen {
				sub.add(fl.name, fl.value)
			}
		case fl.typ == "checkbox" || fl.typ == "radio":
			consent := !deny && d.Fields.Consent != "" && fl.name == d.Fields.Consent
			if fl.checked || consent {
				v := fl.value
				if v == "" {
					v = "on"
				}
				sub.add(fl.name, v)
			}
		default:
			sub.add(fl.name, fl.value)
		}
	}
	return sub, nil
}

// oobResult reads an out-of-band result page: "Success code=…&state=…" or
// "Denied error=…" in the title; else, for a page reached by a redirect, the
// response parameters of its URL.
func oobResult(pg *htmlPage, ex *harness.Exchange, viaRedirect bool) url.Values {
	if head, rest, ok := strings.Cut(pg.title, " "); ok && (strings.EqualFold(head, "Success") || strings.EqualFold(head, "Denied")) {
		v, _ := url.ParseQuery(strings.TrimSpace(rest))
		if v.Get("code") != "" || v.Get("error") != "" {
			return v
		}
	}
	out := url.Values{}
	if !viaRedirect {
		return out
	}
	u, err := url.Parse(ex.URL)
	if err != nil {
		return out
	}
	q, _ := url.ParseQuery(u.RawQuery)
	for _, k := range []string{"code", "state", "error", "error_description", "error_uri"} {
		if vs, ok := q[k]; ok {
			out[k] = vs
		}
	}
	if out.Get("code") == "" && out.Get("error") == "" {
		return url.Values{}
	}
	return out
}
