package mockserver

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/oauthconform/oauthconform/profile"
)

// The RFC 6749 authorization endpoint (§3.1, §4.1.1-4.1.2, §4.2.1-4.2.2) with
// RFC 7636 PKCE and the RFC 9700 rules, strict wherever the RFCs let a server
// choose:
//
//   - GET (and, RFC 6749 §3.1 MAY, a form POST) of the authorization request.
//     The request is validated in this order: client_id, then redirect_uri.
//     Until both are valid every error is an HTML page (400), never a
//     redirect; after that errors go to the redirect URI (query for the code
//     flow, fragment for response_type=token).
//   - A valid request is kept server-side (pendingStore) under a random id;
//     the login and consent page carries that id and a CSRF token in hidden
//     fields. Its POST answers 303 See Other (RFC 9700 §4.12).
//   - state is echoed byte for byte on every redirect, success or error.
//   - For the out-of-band redirect URI of the oob-pkce dialect, the user is
//     sent to the provider's own oob page instead (see handleOOB).

// Size bounds of authorization requests: the whole query, and the values
// a pending request keeps (state and scope; the nonce, code_challenge and
// extension parameters have bounds of their own, and redirect_uri must
// match a registered one). A longer value is invalid_request.
const (
	maxAuthorizeQuery = 32 << 10
	maxStateLen       = 4 << 10
	maxScopeLen       = 4 << 10
)

// authzParams are the parameters of an authorization request or consent form
// submission. Empty values count as omitted (RFC 6749 §3.1) but a repeated
// name is recorded even when one of its values is empty.
type authzParams struct {
	vals map[string]string
	dups []string
}

func (a *authzParams) get(k string) string { return a.vals[k] }

func (a *authzParams) repeated(k string) bool { return slices.Contains(a.dups, k) }

// queryParams parses the request's query (bounded in size); on failure it
// has answered with the error page and ok is false.
func (p *Provider) queryParams(w http.ResponseWriter, r *http.Request) (*authzParams, bool) {
	if len(r.URL.RawQuery) > maxAuthorizeQuery {
		p.errorPage(w, r, http.StatusRequestURITooLong, errInvalidRequest, "The request URI is too long.")
		return nil, false
	}
	ap, desc := parseAuthzParams(r.URL.RawQuery)
	if ap == nil {
		p.errorPage(w, r, http.StatusBadRequest, errInvalidRequest, desc)
		return nil, false
	}
	return ap, true
}

// parseAuthzParams decodes application/x-www-form-urlencoded data (a query
// string or a form body) of at most maxParams pairs. Only "&" separates
// pairs; a malformed escape makes the whole request malformed. The last
// value of a repeated name is kept, for the authorize-duplicate-params
// quirk. On failure it returns nil and the error page's description.
func parseAuthzParams(raw string) (*authzParams, string) {
	a := &authzParams{vals: make(map[string]string, 8)}
	// seen counts each name, so that a repeated one joins dups once.
	seen := make(map[string]int, 8)
	for n := 0; raw != ""; {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		if n++; n > maxParams {
			return nil, descTooManyParams
		}
		k, v, _ := strings.Cut(pair, "=")
		k, err1 := url.QueryUnescape(k)
		v, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			return nil, descMalformed
		}
		if k == "" {
			continue
		}
		if seen[k]++; seen[k] == 2 {
			a.dups = append(a.dups, k)
		}
		if v != "" {
			a.vals[k] = v
		}
	}
	return a, ""
}

// Fixed descriptions of the error pages and redirects. None echoes input.
const (
	descMalformed          = "The request is not valid application/x-www-form-urlencoded data."
	descTooManyParams      = "The request has more than 100 parameters."
	descMissingClient      = "The client_id parameter is missing."
	descUnknownClient      = "The client_id does not name a registered client."
	descRepeatedClient     = "The client_id or redirect_uri parameter is repeated."
	descRedirectRequired   = "The redirect_uri parameter is required: the client has not registered exactly one redirect URI."
	descRedirectInvalid    = "The redirect_uri is not registered for this client."
	descRepeated           = "A request parameter is repeated (RFC 6749 Section 3.1)."
	descMissingRT          = "The response_type parameter is required."
	descUnsupportedRT      = "The response_type is not supported."
	descClientRT           = "The client is not allowed to use this response_type."
	descClientImplicitPKCE = "The client must use response_type code with PKCE."
	descMethodNoChallenge  = "code_challenge_method was sent without code_challenge."
	descChallengeRequired  = "The code_challenge parameter is required (RFC 7636 Section 4.4.1)."
	descMethodUnsupported  = "The code_challenge_method is not supported (RFC 7636 Section 4.4.1)."
	descChallengeMalformed = "The code_challenge is malformed (RFC 7636 Section 4.2)."
	descAccessDenied       = "The resource owner denied the request."
	descServer             = "The server could not complete the request."
	descUnavailable        = "The server is temporarily unable to store more codes or tokens; try again later."
	descLoginFailed        = "The username or password is incorrect."
	descChooseAction       = "Choose Approve or Deny."
	descTooManyAttempts    = "Too many failed sign-in attempts. Start the authorization again from the application."
	descPendingUnknown     = "The authorization request is unknown, expired or already answered. Start again from the application."
	descCSRF               = "The form submission could not be verified."
	descFormRepeated       = "A form field is repeated."
	descStateRequired      = "The state parameter is required."
	descStateTooLong       = "The state parameter is longer than 4096 bytes."
	descScopeTooLong       = "The scope parameter is longer than 4096 bytes."
	descDenyLinkOnly       = "This link can only deny the request."
)

// consentCOP rejects cross-origin browser submissions of the consent form
// (Sec-Fetch-Site / Origin). Scripted user agents send neither header and
// pass; the CSRF token protects them.
var consentCOP http.CrossOriginProtection

// handleAuthorize serves endpoints.authorize.
func (p *Provider) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	if p.rules.authz.cors && p.corsAuthorize(w, r) {
		return
	}
	switch r.Method {
	case http.MethodGet:
		if p.rules.authz.getNeedsHTML && !strings.Contains(r.Header.Get("Accept"), "text/html") {
			w.Header().Set("Allow", "POST")
			p.errorPage(w, r, http.StatusMethodNotAllowed, errInvalidRequest, "Use POST.")
			return
		}
		ap, ok := p.queryParams(w, r)
		if !ok {
			return
		}
		if p.settings.Authorize.Deny == DenyLink {
			if _, isDeny := ap.vals[fieldPendingRequest]; isDeny || ap.repeated(fieldPendingRequest) {
				p.denyLinkFollowed(w, r, ap)
				return
			}
		}
		p.authorizationRequest(w, r, ap, false)
	case http.MethodPost:
		ap, status, desc := p.readAuthzForm(w, r)
		if ap == nil {
			p.errorPage(w, r, status, errInvalidRequest, desc)
			return
		}
		if _, isConsent := ap.vals[fieldPendingRequest]; isConsent || ap.repeated(fieldPendingRequest) {
			p.consentSubmission(w, r, ap)
			return
		}
		p.authorizationRequest(w, r, ap, true)
	default:
		// OPTIONS included: no CORS at the authorization endpoint (RFC 9700 §2.6).
		w.Header().Set("Allow", "GET, POST")
		p.errorPage(w, r, http.StatusMethodNotAllowed, errInvalidRequest, "The authorization endpoint accepts GET and POST only.")
	}
}

// readAuthzForm reads a bounded application/x-www-form-urlencoded UTF-8
// body. Parameters in the URI of a POST are ignored.
func (p *Provider) readAuthzForm(w http.ResponseWriter, r *http.Request) (*authzParams, int, string) {
	mt, mp, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, http.StatusUnsupportedMediaType, "The request body must be application/x-www-form-urlencoded."
	}
	if cs, ok := mp["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
		return nil, http.StatusUnsupportedMediaType, "Only UTF-8 request bodies are accepted."
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, http.StatusRequestEntityTooLarge, "The request body is too large."
		}
		return nil, http.StatusBadRequest, "The request body could not be read."
	}
	ap, desc := parseAuthzParams(string(body))
	if ap == nil {
		return nil, http.StatusBadRequest, desc
	}
	return ap, 0, ""
}

// corsAuthorize serves the cors-authorize quirk: it echoes any Origin and
// answers preflights. It reports whether the request was fully answered.
func (p *Provider) corsAuthorize(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Credentials", "true")
	h.Add("Vary", "Origin")
	if r.Method != http.MethodOptions {
		return false
	}
	h.Set("Access-Control-Allow-Methods", "GET, POST")
	if rh := r.Header.Get("Access-Control-Request-Headers"); rh != "" {
		h.Set("Access-Control-Allow-Headers", rh)
	}
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
	return true
}

// authzTarget is where the response to a validated request goes.
type authzTarget struct {
	// redirectURI is the URI the response goes to (see responseURI).
	redirectURI string
	// oob: show the result on the provider's oob page.
	oob bool
	// fragment: response parameters go in the fragment (response_type=token).
	fragment bool
	state    string
	// status of the redirect.
	status int
}

// authorizationRequest validates an authorization request (RFC 6749 §4.1.1,
// §4.2.1) and shows the login page, or answers the error.
func (p *Provider) authorizationRequest(w http.ResponseWriter, r *http.Request, ap *authzParams, viaPost bool) {
	lax := p.rules.authz.repeatedParams
	status := http.StatusFound
	if viaPost {
		status = http.StatusSeeOther
	}

	// 1. client_id and redirect_uri: errors are pages, never redirects.
	if !lax && (ap.repeated("client_id") || ap.repeated("redirect_uri")) {
		p.errorPage(w, r, http.StatusBadRequest, errInvalidRequest, descRepeatedClient)
		return
	}
	clientID, rawRedirect := ap.get("client_id"), ap.get("redirect_uri")
	rc := p.client(clientID)
	if rc == nil {
		desc := descUnknownClient
		if clientID == "" {
			desc = descMissingClient
		}
		if p.rules.authz.unknownClientRedirect && redirectTarget(rawRedirect) {
			p.authzError(w, r, authzTarget{redirectURI: rawRedirect, fragment: ap.get("response_type") == "token",
				state: ap.get("state"), status: status}, newError(errInvalidRequest, desc))
			return
		}
		p.errorPage(w, r, http.StatusBadRequest, errInvalidRequest, desc)
		return
	}
	redirect, redirectSent := rawRedirect, rawRedirect != ""
	var sendTo string
	if !redirectSent {
		multiDefault := p.rules.redirect.firstOfSeveral && len(rc.RedirectURIs) > 1
		if len(rc.RedirectURIs) != 1 && !multiDefault || p.rules.redirect.alwaysRequired {
			p.errorPage(w, r, http.StatusBadRequest, errInvalidRequest, descRedirectRequired)
			return
		}
		redirect = rc.RedirectURIs[0]
		sendTo = p.responseURI(redirect, redirect)
	} else if reg, ok := p.matchRedirect(rc.Client, redirect); ok {
		sendTo = p.responseURI(reg, redirect)
	} else {
		if !p.rules.redirect.fallbackRegistered || len(rc.RedirectURIs) != 1 {
			p.errorPage(w, r, http.StatusBadRequest, errInvalidRequest, descRedirectInvalid)
			return
		}
		redirect, redirectSent = rc.RedirectURIs[0], false
		sendTo = p.responseURI(redirect, redirect)
	}

	// 2. Everything else is answered at the redirect URI.
	rt := ap.get("response_type")
	t := authzTarget{
		redirectURI: sendTo,
		oob:         p.settings.Authorize.OOBRedirectURI != "" && redirect == p.settings.Authorize.OOBRedirectURI,
		fragment:    rt == "token",
		state:       ap.get("state"),
		status:      status,
	}
	fail := func(code, desc string) { p.authzError(w, r, t, newError(code, desc)) }
	if viaPost && p.rules.authz.postRefused {
		fail(errInvalidRequest, "Send the authorization request with GET.")
		return
	}
	if p.rules.authz.unknownParamRefused {
		for k := range ap.vals {
			known := slices.Contains([]string{"response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method"}, k) ||
				k == "nonce" && p.settings.OpenID()
			if !known && !slices.ContainsFunc(p.settings.Authorize.Extras, func(x profile.ExtraParam) bool { return x.Name == k }) {
				fail(errInvalidRequest, "The request has an unrecognized parameter.")
				return
			}
		}
	}

	if !lax && len(ap.dups) > 0 {
		fail(errInvalidRequest, descRepeated)
		return
	}
	if len(t.state) > maxStateLen {
		fail(errInvalidRequest, descStateTooLong)
		return
	}
	if len(ap.get("scope")) > maxScopeLen {
		fail(errInvalidRequest, descScopeTooLong)
		return
	}
	asCode := p.rules.authz.responseTypeDefaultsToCode && p.settings.HasResponseType("code")
	switch {
	case rt == "" && asCode, rt != "" && !p.settings.HasResponseType(rt) && asCode:
		rt, t.fragment = "code", false
	case rt == "":
		fail(errInvalidRequest, descMissingRT)
		return
	case !p.settings.HasResponseType(rt):
		fail(errUnsupportedResponseType, descUnsupportedRT)
		return
	}
	if rt == "token" && p.rules.authz.implicitAsCode {
		rt, t.fragment = "code", false
	}
	if rt == "code" && !p.settings.HasGrant(profile.GrantAuthorizationCode) || rt == "token" && t.oob {
		// The oob page shows codes only: out-of-band clients use the code flow.
		fail(errUnsupportedResponseType, descUnsupportedRT)
		return
	}
	// Both response types stand on the client's authorization_code
	// registration; the implicit grant is refused to clients that must use
	// PKCE, since a token in the fragment would bypass that policy.
	if !rc.AllowsGrant(profile.GrantAuthorizationCode) && !p.rules.authz.grantUnchecked {
		fail(errUnauthorizedClient, descClientRT)
		return
	}
	if rt == "token" && p.pkceRequired(rc.Client) {
		fail(errUnauthorizedClient, descClientImplicitPKCE)
		return
	}
	if t.state == "" && p.settings.Authorize.RequireState {
		fail(errInvalidRequest, descStateRequired)
		return
	}

	var challenge, method string
	if rt == "code" && p.settings.PKCE.Mode != PKCEUnsupported {
		challenge, method = ap.get("code_challenge"), ap.get("code_challenge_method")
		if oerr := p.checkChallenge(rc.Client, challenge, method); oerr != nil {
			p.authzError(w, r, t, oerr)
			return
		}
		if challenge != "" && method == "" || method == "S256" && p.rules.authz.s256RecordedPlain {
			method = "plain" // RFC 7636 §4.3
		}
	}

	claims, oerr := p.authorizeExtras(ap)
	if oerr != nil {
		p.authzError(w, r, t, oerr)
		return
	}
	emptyScope := p.rules.authz.emptyScopeIsValue && !viaPost && r.URL.Query().Has("scope")
	scope, oerr := p.grantScope(rc.Client, ap.get("scope"), emptyScope && ap.get("scope") == "")
	if oerr == nil {
		oerr = p.checkRequiredScope(scope)
	}
	if oerr != nil {
		p.authzError(w, r, t, oerr)
		return
	}
	// OpenID Connect: the nonce comes back in the ID token (OIDC Core
	// §3.1.2.1); other requests' nonce is an unknown parameter, ignored.
	var nonce string
	if rt == "code" && p.openIDScope(scope) {
		if nonce = ap.get("nonce"); !validNonce(nonce) {
			fail(errInvalidRequest, "The nonce parameter is malformed.")
			return
		}
	}

	// Copies: the values are substrings of the request's query, which
	// they would otherwise keep alive whole for the pending lifetime.
	redirect = strings.Clone(redirect)
	if sendTo != redirect {
		sendTo = strings.Clone(sendTo)
	} else {
		sendTo = redirect
	}
	pa := &pendingAuthz{
		id: randomToken(), csrf: randomToken(),
		client: rc, redirectURI: redirect, responseURI: sendTo, redirectSent: redirectSent, oob: t.oob,
		responseType: strings.Clone(rt), state: strings.Clone(t.state), scope: strings.Clone(scope),
		challenge: strings.Clone(challenge), method: strings.Clone(method), claims: claims, nonce: strings.Clone(nonce),
		expires: p.clock.Now().Add(pendingLifetime), source: requestSource(r),
	}
	p.pending.put(p.clock.Now(), pa)
	p.renderLogin(w, r, pa, "", "")
}

// pkceRequired reports whether the client must send a code_challenge.
func (p *Provider) pkceRequired(c *profile.Client) bool {
	return p.settings.PKCE.Mode == PKCERequired || (p.settings.PKCE.Mode != PKCEUnsupported && c.RequirePKCE)
}

// checkChallenge applies RFC 7636 §4.3 and §4.4.1 to the request.
func (p *Provider) checkChallenge(c *profile.Client, challenge, method string) *oauthError {
	if challenge == "" {
		if method != "" {
			return newError(errInvalidRequest, descMethodNoChallenge)
		}
		if p.pkceRequired(c) && !p.rules.authz.challengeOptional {
			return newError(errInvalidRequest, descChallengeRequired)
		}
		return nil
	}
	if method == "" {
		method = "plain"
	}
	if !p.settings.SupportsPKCEMethod(method) && !p.rules.authz.challengeMethodUnchecked {
		return newError(errInvalidRequest, descMethodUnsupported)
	}
	if !validChallenge(challenge, method) {
		return newError(errInvalidRequest, descChallengeMalformed)
	}
	return nil
}

// validChallenge checks RFC 7636 §4.2: 43 to 128 unreserved characters; an
// S256 challenge is the base64url SHA-256 digest, exactly 43 characters.
func validChallenge(ch, method string) bool {
	if method == "S256" && len(ch) != 43 || len(ch) < 43 || len(ch) > 128 {
		return false
	}
	for i := 0; i < len(ch); i++ {
		c := ch[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
		case (c == '.' || c == '~') && method != "S256":
		default:
			return false
		}
	}
	return true
}

// maxExtraLen bounds an extension parameter value.
const maxExtraLen = 512

// authorizeExtras validates the settings' extension parameters and returns
// the claims they carry into the tokens.
func (p *Provider) authorizeExtras(ap *authzParams) (map[string]any, *oauthError) {
	var claims map[string]any
	for _, x := range p.settings.Authorize.Extras {
		v := ap.get(x.Name)
		if v == "" {
			if x.Required {
				return nil, newError(errInvalidRequest, "The "+x.Name+" parameter is required.")
			}
			continue
		}
		if len(x.Enum) > 0 && !slices.Contains(x.Enum, v) {
			return nil, newError(errInvalidRequest, "The "+x.Name+" parameter is not one of the allowed values.")
		}
		if len(v) > maxExtraLen || !utf8.ValidString(v) || strings.ContainsFunc(v, isControl) {
			return nil, newError(errInvalidRequest, "The "+x.Name+" parameter is malformed.")
		}
		if x.Claim != "" {
			if claims == nil {
				claims = make(map[string]any, len(p.settings.Authorize.Extras))
			}
			claims[x.Claim] = strings.Clone(v) // not a substring of the query
		}
	}
	return claims, nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// consentSubmission handles the POST of the login and consent form (and of
// the separate deny form).
func (p *Provider) consentSubmission(w http.ResponseWriter, r *http.Request, ap *authzParams) {
	if err := consentCOP.Check(r); err != nil {
		p.errorPage(w, r, http.StatusForbidden, errAccessDenied, descCSRF)
		return
	}
	p.answerPending(w, r, ap, false)
}

// denyLinkFollowed handles the GET of the consent page's deny link (deny:
// link). The link carries the pending request id and its CSRF token, so it
// cannot be made up elsewhere; it can only deny, never approve, and a
// browser following it from another site (Sec-Fetch-Site) is refused.
func (p *Provider) denyLinkFollowed(w http.ResponseWriter, r *http.Request, ap *authzParams) {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		p.errorPage(w, r, http.StatusForbidden, errAccessDenied, descCSRF)
		return
	}
	if ap.get(fieldAction) != actionDeny && !ap.repeated(fieldAction) {
		p.errorPage(w, r, http.StatusBadRequest, errInvalidRequest, descDenyLinkOnly)
		return
	}
	p.answerPending(w, r, ap, true)
}

// answerPending answers a pending request as the submission ap says; a
// followed deny link (viaLink) only denies.
func (p *Provider) answerPending(w http.ResponseWriter, r *http.Request, ap *authzParams, viaLink bool) {
	if len(ap.dups) > 0 {
		p.errorPage(w, r, http.StatusBadRequest, errInvalidRequest, descFormRepeated)
		return
	}
	now := p.clock.Now()
	id := ap.get(fieldPendingRequest)
	pa, found, csrfOK := p.pending.lookup(now, id, ap.get(fieldCSRFToken))
	if !found {
		p.errorPage(w, r, http.StatusBadRequest, errInvalidRequest, descPendingUnknown)
		return
	}
	if !csrfOK {
		p.errorPage(w, r, http.StatusForbidden, errAccessDenied, descCSRF)
		return
	}
	t := authzTarget{redirectURI: pa.responseURI, oob: pa.oob, fragment: pa.responseType == "token", state: pa.state, status: http.StatusSeeOther}
	if p.rules.authz.login307 {
		t.status = http.StatusTemporaryRedirect
	}
	username, password := ap.get(fieldUsername), ap.get(fieldPassword)
	var user *registeredUser
	switch ap.get(fieldAction) {
	case actionDeny:
		if !p.rules.authz.denyIgnored {
			if !p.pending.take(id) {
				p.errorPage(w, r, http.StatusBadRequest, errInvalidRequest, descPendingUnknown)
				return
			}
			p.authzError(w, r, t, newError(errAccessDenied, descAccessDenied))
			return
		}
		// The quirk: the denial is ignored and the request approved for the
		// signed-in user (or, without valid credentials, the first user).
		if u, ok := p.checkUser(username, password); ok {
			user = u
		} else if len(p.fixtures.Users) > 0 {
			user = p.user(p.fixtures.Users[0].Username)
		}
		if user == nil {
			p.renderLogin(w, r, &pa, username, descLoginFailed)
			return
		}
	case actionApprove:
		if viaLink {
			p.errorPage(w, r, http.StatusBadRequest, errInvalidRequest, descDenyLinkOnly)
			return
		}
		// The password grant's per-user throttle: a wrong password here
		// counts against the same budget, and a locked-out user is
		// refused whatever the password (checked first).
		key, throttled := userThrottleKey(username), username != "" && !p.rules.noLockout
		if locked, wait := p.failures.locked(key, now); locked && throttled {
			w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(wait)))
			p.renderLoginStatus(w, r, &pa, username, lockedOutMessage(wait), http.StatusTooManyRequests)
			return
		}
		u, ok := p.checkUser(username, password)
		if !ok {
			if throttled {
				p.failures.fail(key, now)
			}
			if !p.pending.failLogin(id) {
				p.errorPage(w, r, http.StatusBadRequest, errAccessDenied, descTooManyAttempts)
				return
			}
			p.renderLogin(w, r, &pa, username, descLoginFailed)
			return
		}
		p.failures.succeed(key)
		user = u
	default:
		p.renderLogin(w, r, &pa, username, descChooseAction)
		return
	}
	if !p.pending.take(id) {
		p.errorPage(w, r, http.StatusBadRequest, errInvalidRequest, descPendingUnknown)
		return
	}
	p.authzSuccess(w, r, t, &pa, user)
}

// authzSuccess issues the code or the implicit grant's token and redirects.
func (p *Provider) authzSuccess(w http.ResponseWriter, r *http.Request, t authzTarget, pa *pendingAuthz, u *registeredUser) {
	ctx := r.Context()
	state := p.echoState(t.state)
	if state == "" && p.rules.authz.stateInvented {
		state = randomToken()[:16]
	}
	if pa.responseType == "token" {
		res, err := p.issueImplicit(ctx, pa, u)
		if err != nil {
			p.log.ErrorContext(ctx, "implicit grant failed", "client_id", pa.client.ID, "err", err)
			p.authzError(w, r, t, authzStoreFailure(err))
			return
		}
		expiresIn := strconv.FormatInt(res.expiresIn, 10)
		if p.rules.authz.implicitExpiresDecimal {
			expiresIn += ".0"
		}
		params := []redirectParam{
			{"access_token", res.accessToken},
			{"token_type", p.settings.AccessToken.TokenType},
			{"expires_in", expiresIn},
			{"scope", res.scope},
			{"refresh_token", res.refreshToken}, // only with the implicit-refresh-token quirk
			{"state", state},
		}
		p.redirect(w, t, params, !p.rules.authz.implicitInQuery)
		return
	}
	code, err := p.issueCode(ctx, codeParams{
		client: pa.client.Client, subject: u.subject, redirectURI: pa.redirectURI, redirectSent: pa.redirectSent,
		scope: pa.scope, challenge: pa.challenge, method: pa.method, claims: pa.claims, nonce: pa.nonce,
		nonVSCHAR: p.rules.authz.codeNonVSCHAR && !t.oob, // the oob page refuses to show it
	})
	if err != nil {
		p.log.ErrorContext(ctx, "authorization code not issued", "client_id", pa.client.ID, "err", err)
		p.authzError(w, r, t, authzStoreFailure(err))
		return
	}
	if p.log.Enabled(ctx, levelDebug) {
		p.log.DebugContext(ctx, "authorization code issued", "client_id", pa.client.ID, "scope", pa.scope)
	}
	p.redirect(w, t, []redirectParam{{"code", code}, {"state", state}}, p.rules.authz.codeInFragment && !t.oob)
}

// authzStoreFailure is the error redirect for a code or token that could
// not be stored: temporarily_unavailable when the store is full (RFC 6749
// §4.1.2.1), else server_error.
func authzStoreFailure(err error) *oauthError {
	if errors.Is(err, ErrStoreFull) {
		return newError(errTemporarilyUnavailable, descUnavailable)
	}
	return newError(errServerError, descServer)
}

// issueImplicit mints the access token of the implicit grant (RFC 6749
// §4.2.2): never a refresh token, unless the quirk says otherwise.
func (p *Provider) issueImplicit(ctx context.Context, pa *pendingAuthz, u *registeredUser) (*issued, error) {
	g, err := p.newGrant(ctx, pa.client.ID, u.subject, pa.scope, pa.claims)
	if err != nil {
		return nil, err
	}
	return p.issue(ctx, issueSpec{
		grant: g, clientID: pa.client.ID, subject: u.subject, scope: pa.scope, claims: pa.claims,
		grantType: "implicit", refresh: p.rules.authz.implicitRefresh,
	})
}

// authzError sends an RFC 6749 §4.1.2.1 / §4.2.2.1 error response to the
// redirect URI (or the oob page), with state.
func (p *Provider) authzError(w http.ResponseWriter, r *http.Request, t authzTarget, e *oauthError) {
	state := ""
	if !p.rules.authz.stateDroppedOnError {
		state = p.echoState(t.state)
	}
	if p.log.Enabled(r.Context(), levelDebug) {
		p.log.DebugContext(r.Context(), "authorization error", "error", e.Code)
	}
	params := []redirectParam{{"error", e.Code}, {"error_description", e.Description}, {"state", state}}
	if e.Code == errAccessDenied && p.rules.authz.errorWithCode {
		params = append(params, redirectParam{"code", randomToken()})
	}
	p.redirect(w, t, params, t.fragment && !p.rules.authz.implicitErrorInQuery)
}

// redirect writes the redirect to the client (or, out of band, to the oob
// page, always with parameters in its query).
func (p *Provider) redirect(w http.ResponseWriter, t authzTarget, params []redirectParam, fragment bool) {
	if p.rules.authz.wrongIss {
		params = append(params, redirectParam{"iss", "https://issuer.invalid"})
	}
	var loc string
	if t.oob {
		loc = buildRedirect(p.settings.Endpoints.OOB, params, false)
	} else if base, _, hasQuery := strings.Cut(t.redirectURI, "?"); hasQuery && p.rules.redirect.queryDropped {
		loc = buildRedirect(base, params, fragment)
	} else {
		loc = buildRedirect(t.redirectURI, params, fragment)
	}
	if !t.oob && p.settings.Authorize.Redirect == RedirectPage {
		p.redirectPage(w, loc)
		return
	}
	h := w.Header()
	h.Set("Location", loc)
	h["Cache-Control"] = noStore
	h["Pragma"] = noCache
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(t.status)
}

// echoState returns the state to send back: the exact value received, or
// with the state-mangled quirk the value decoded once more (or with "+" read
// as a space where it does not decode).
func (p *Provider) echoState(s string) string {
	if s == "" || !p.rules.authz.stateMangled {
		return s
	}
	if d, err := url.QueryUnescape(s); err == nil {
		return d
	}
	return strings.ReplaceAll(s, "+", " ")
}

// maxOOBValue bounds what the oob page shows.
const maxOOBValue = 2048

// handleOOB serves endpoints.oob: the page an out-of-band client reads the
// result from. Its <title> is "Success " or "Denied " followed by the result
// as application/x-www-form-urlencoded data: "Success code=<code>" or
// "Denied error=<error>", each with "&state=<state>" when a state was sent,
// so a client reads it with url.ParseQuery.
func (p *Provider) handleOOB(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		p.errorPage(w, r, http.StatusMethodNotAllowed, errInvalidRequest, "This page accepts GET only.")
		return
	}
	ap, ok := p.queryParams(w, r)
	if !ok {
		return
	}
	if len(ap.dups) > 0 {
		p.errorPage(w, r, http.StatusBadRequest, errInvalidRequest, descMalformed)
		return
	}
	code, errCode, state := ap.get("code"), ap.get("error"), ap.get("state")
	page := oobPage{State: displayable(state, maxOOBValue)}
	var title strings.Builder
	switch {
	case code != "" && errCode == "":
		if len(code) > maxOOBValue || !validVSCHAR(code) {
			p.errorPage(w, r, http.StatusBadRequest, errInvalidRequest, "The code is malformed.")
			return
		}
		page.Code = code
		title.WriteString("Success code=")
		title.WriteString(url.QueryEscape(code))
	case errCode != "" && code == "":
		desc := ap.get("error_description")
		if len(errCode) > 128 || !validErrorCode(errCode) || len(desc) > maxOOBValue {
			p.errorPage(w, r, http.StatusBadRequest, errInvalidRequest, "The error is malformed.")
			return
		}
		page.Error, page.Description = errCode, displayable(desc, maxOOBValue)
		title.WriteString("Denied error=")
		title.WriteString(url.QueryEscape(errCode))
	default:
		p.errorPage(w, r, http.StatusBadRequest, errInvalidRequest, "There is no authorization result to show.")
		return
	}
	if state != "" {
		title.WriteString("&state=")
		title.WriteString(url.QueryEscape(state))
	}
	page.Title = title.String()
	p.writePage(w, r, http.StatusOK, oobTemplate(), page, "'none'")
}
