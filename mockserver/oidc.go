package mockserver

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-jose/go-jose/v4"

	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/schemas"
)

// OpenID Connect Core 1.0, the authorization code flow only (the "basic"
// flow, §3.1), when the settings turn it on (Settings.OIDC) and a code
// request's scope holds openid:
//
//   - the authorize endpoint (and MintCode) records the request's nonce and
//     the time the user authenticated on the grant (recordAuthentication);
//   - the token response of its code carries an id_token (§3.1.3.3): a JWS
//     signed by the provider's asymmetric access token key, or, where access
//     tokens are opaque or HS256, by an ES256 key of its own (a fixture or
//     generated, as Config.Keys says) published in the JWKS (never by an
//     HMAC key a client could hold); a refresh of the grant
//     returns a new one (§12.2: same iss, sub, aud, azp and auth_time, no
//     nonce);
//   - the UserInfo endpoint (§5.3) answers the user's claims to a bearer
//     token whose scope holds openid;
//   - the metadata lists the OpenID Provider members (OpenID Connect
//     Discovery 1.0 §3).
//
// The claims of the profile, email, address and phone scopes (§5.4) come
// from the user's fixture claims (profile.User.Claims), in the ID token and
// at the UserInfo endpoint alike; claims outside those scopes are never
// released.

// scopeOpenID is the scope value of an OpenID Connect request (§3.1.2.1).
const scopeOpenID = "openid"

// maxNonceLen bounds the nonce a request may carry.
const maxNonceLen = 512

// scopeClaims are the standard claims each scope value releases (§5.4).
var scopeClaims = []struct {
	scope  string
	claims []string
}{
	{"profile", []string{"name", "family_name", "given_name", "middle_name", "nickname", "preferred_username",
		"profile", "picture", "website", "gender", "birthdate", "zoneinfo", "locale", "updated_at"}},
	{"email", []string{"email", "email_verified"}},
	{"address", []string{"address"}},
	{"phone", []string{"phone_number", "phone_number_verified"}},
}

// idTokenClaims are the claims an ID token may carry besides the user's.
var idTokenClaims = []string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "azp"}

// validateOIDC checks what OpenID Connect needs of the other settings.
func (s *Settings) validateOIDC(d *profile.Dialect) error {
	if !s.OIDC {
		return nil
	}
	bad := func(field, msg string) error { return &SettingsError{Dialect: d.Name, Field: field, Msg: msg} }
	if !s.HasGrant(profile.GrantAuthorizationCode) {
		return bad("oidc", "OpenID Connect (the authorization code flow) needs the authorization_code grant")
	}
	if s.Endpoints.JWKS == "" {
		return bad("endpoints.jwks", "required with oidc: ID tokens are verified with the keys it publishes")
	}
	if closed, err := closedSchema(s.TokenResponseSchema); err != nil {
		return bad("token_response_schema", err.Error())
	} else if closed {
		return bad("oidc", fmt.Sprintf("the dialect's token response schema %s is closed: an id_token member would breach it", s.TokenResponseSchema))
	}
	return nil
}

// closedSchema reports whether a token response schema forbids members it
// does not name.
func closedSchema(name string) (bool, error) {
	if name == "" {
		return false, nil
	}
	b, err := schemas.Read(name)
	if err != nil {
		return false, err
	}
	var doc struct {
		AdditionalProperties *bool `json:"additionalProperties"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return false, fmt.Errorf("schema %s: %w", name, err)
	}
	return doc.AdditionalProperties != nil && !*doc.AdditionalProperties, nil
}

// openIDScope reports whether a grant of this scope is an OpenID Connect
// authentication.
func (p *Provider) openIDScope(scope string) bool {
	return p.settings.OpenID() && hasAnyScope(scope, []string{scopeOpenID})
}

// validNonce bounds a nonce and keeps it printable UTF-8: it comes back
// verbatim in the ID token.
func validNonce(n string) bool {
	return len(n) <= maxNonceLen && utf8.ValidString(n) && !strings.ContainsFunc(n, isControl)
}

var errBadNonce = errors.New("the nonce is longer than 512 bytes, or not printable UTF-8")

// recordAuthentication marks a new code grant of an OpenID Connect request
// with the time the user authenticated (now: the login and the code are one
// request) and the request's nonce. It runs before the code exists, so no
// one else holds the grant yet.
func (p *Provider) recordAuthentication(ctx context.Context, g *Grant, nonce string) error {
	if !p.openIDScope(g.Scope) {
		return nil
	}
	if !validNonce(nonce) {
		return errBadNonce
	}
	g.AuthTime, g.Nonce = p.clock.Now(), nonce
	if err := p.store.SaveGrant(ctx, g); err != nil {
		return fmt.Errorf("save grant: %w", err)
	}
	return nil
}

// idTokenKey is the key that signs ID tokens: the active access token key
// when it is asymmetric, else the first ES256 key of idTokenFallbackKeys
// (New makes them).
func (p *Provider) idTokenKey() (*signingKey, error) {
	if p.keys != nil {
		if k := p.keys.current(); k.priv != nil {
			return k, nil
		}
	}
	if len(p.idKeys) == 0 {
		return nil, errors.New("no ID token key") // unreachable: New makes them with OpenID Connect on
	}
	return p.idKeys[0], nil
}

// halfHash is the at_hash of an access token for a JWS alg (§3.1.3.6): the
// left half of its hash, base64url. SHA-256 for ES256 and RS256, SHA-512
// for EdDSA (Ed25519).
func halfHash(alg, token string) string {
	var h hash.Hash
	switch alg {
	case "EdDSA":
		h = sha512.New()
	default:
		h = sha256.New()
	}
	h.Write([]byte(token))
	sum := h.Sum(nil)
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}

// oidcSession is what an ID token states: the authentication a grant
// recorded, the scope that decides which user claims are released, and the
// access token issued with it (at_hash).
type oidcSession struct {
	clientID, subject, scope, accessToken, nonce string
	authTime                                     int64
}

// signIDToken builds and signs the ID token (§2, §3.1.3.3). Its claims are
// written here, by hand and in a fixed order: iss, sub, aud, exp, iat,
// auth_time, nonce (when the request had one), at_hash, azp, then the
// user's claims the scope releases. It lives as long as an access token.
func (p *Provider) signIDToken(s oidcSession) (string, error) {
	key, err := p.idTokenKey()
	if err != nil {
		return "", err
	}
	now := p.clock.Now()
	exp := now.Add(p.settings.AccessToken.Lifetime.D())
	c := []byte(`{"iss":`)
	c = appendJSONString(c, p.issuer)
	c = append(c, `,"sub":`...)
	c = appendJSONString(c, s.subject)
	c = append(c, `,"aud":`...)
	c = appendJSONString(c, s.clientID)
	c = append(c, `,"exp":`...)
	c = strconv.AppendInt(c, exp.Unix(), 10)
	c = append(c, `,"iat":`...)
	c = strconv.AppendInt(c, now.Unix(), 10)
	if s.authTime != 0 {
		c = append(c, `,"auth_time":`...)
		c = strconv.AppendInt(c, s.authTime, 10)
	}
	if s.nonce != "" {
		c = append(c, `,"nonce":`...)
		c = appendJSONString(c, s.nonce)
	}
	if s.accessToken != "" {
		c = append(c, `,"at_hash":`...)
		c = appendJSONString(c, halfHash(key.alg, s.accessToken))
	}
	c = append(c, `,"azp":`...)
	c = appendJSONString(c, s.clientID)
	c, err = p.appendUserClaims(c, s.subject, s.scope)
	if err != nil {
		return "", err
	}
	c = append(c, '}')

	hdr := key.buildHeader("JWT")
	out := make([]byte, len(hdr), len(hdr)+base64.RawURLEncoding.EncodedLen(len(c))+1+base64.RawURLEncoding.EncodedLen(512))
	copy(out, hdr)
	out = base64.RawURLEncoding.AppendEncode(out, c)
	signingInput := out
	out = append(out, '.')
	out, err = key.sign(out, signingInput)
	if err != nil {
		return "", fmt.Errorf("sign ID token: %w", err)
	}
	return string(out), nil
}

// idTokenFor returns the ID token of a code exchange or refresh of grant g
// for the access token just issued, or "" when g is no OpenID Connect
// authentication or scope no longer holds openid. The nonce goes only into
// the first (withNonce: the code exchange, §3.1.3.6); a refresh's token
// carries the original auth_time (§12.2).
func (p *Provider) idTokenFor(g *Grant, scope, accessToken string, withNonce bool) (string, error) {
	if g == nil || g.AuthTime.IsZero() || !p.openIDScope(scope) {
		return "", nil
	}
	s := oidcSession{clientID: g.ClientID, subject: g.Subject, scope: scope, accessToken: accessToken, authTime: g.AuthTime.Unix()}
	if withNonce {
		s.nonce = g.Nonce
	}
	return p.signIDToken(s)
}

// appendIDTokenMember adds "id_token" to an RFC 6749 §5.1 JSON success body.
func appendIDTokenMember(body []byte, idToken string) []byte {
	if idToken == "" || len(body) == 0 || body[len(body)-1] != '}' {
		return body
	}
	body = append(body[:len(body)-1], `,"id_token":`...)
	body = appendJSONString(body, idToken)
	return append(body, '}')
}

// endUser returns the registered user whose subject is sub, or nil.
func (p *Provider) endUser(sub string) *profile.User {
	if u := p.userBySubject(sub); u != nil {
		return u.user
	}
	return nil
}

// releasedClaims lists the claims the scope releases (§5.4), in a fixed
// order.
func releasedClaims(scope string) []string {
	var out []string
	for _, sc := range scopeClaims {
		if hasAnyScope(scope, []string{sc.scope}) {
			out = append(out, sc.claims...)
		}
	}
	return out
}

// appendUserClaims appends ,"name":value for each claim of the user's the
// scope releases.
func (p *Provider) appendUserClaims(b []byte, sub, scope string) ([]byte, error) {
	u := p.endUser(sub)
	if u == nil || len(u.Claims) == 0 {
		return b, nil
	}
	for _, name := range releasedClaims(scope) {
		v, ok := u.Claims[name]
		if !ok {
			continue
		}
		js, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("user %q: claim %s: %w", u.Username, name, err)
		}
		b = append(b, ',')
		b = appendJSONString(b, name)
		b = append(b, ':')
		b = append(b, js...)
	}
	return b, nil
}

// oidcRoutes registers the UserInfo endpoint and, where the access token
// keys are not asymmetric, publishes the ID token keys at endpoints.jwks.
func (p *Provider) oidcRoutes() {
	if !p.settings.OpenID() {
		return
	}
	e := p.settings.Endpoints
	if e.UserInfo != "" {
		p.mux.HandleFunc(e.UserInfo, p.handleUserInfo)
	}
	switch {
	case p.keys == nil:
		// Opaque access tokens: the provider has no JWKS route of its own.
		ring := &keyring{published: p.idKeys}
		p.mux.HandleFunc(e.JWKS, func(w http.ResponseWriter, r *http.Request) { writeJWKS(w, r, ring.publicJWKS()) })
	case p.keys.current().priv == nil:
		// HS256 access tokens: their secret is never published, the ID
		// token keys are.
		p.keys.publish(p.idKeys)
	}
}

// publishesJWKS reports whether endpoints.jwks serves a non-empty key set.
func (p *Provider) publishesJWKS() bool {
	if p.settings.Endpoints.JWKS == "" {
		return false
	}
	if p.keys != nil {
		return len(p.keys.publicJWKS().Keys) > 0
	}
	return p.settings.OpenID()
}

// writeJWKS serves a public key set (RFC 7517).
func writeJWKS(w http.ResponseWriter, r *http.Request, set jose.JSONWebKeySet) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	b, err := json.Marshal(set)
	if err != nil {
		http.Error(w, "the key set could not be encoded", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/jwk-set+json")
	h.Set("Cache-Control", "max-age=60")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	if r.Method != http.MethodHead {
		_, _ = w.Write(b)
	}
}

// handleUserInfo is the UserInfo endpoint (§5.3), an RFC 6750 protected
// resource: GET or POST with a bearer access token whose scope holds openid
// answers {"sub":…} and the claims the scope releases (§5.3.2). A missing or
// bad token is 401 (invalid_token), a token without openid 403
// insufficient_scope (§5.3.3), a token that names no end-user (a client's
// own) 401 invalid_token.
func (p *Provider) handleUserInfo(w http.ResponseWriter, r *http.Request) {
	ref := p.resourceRequest(w, r)
	if ref == nil {
		return
	}
	if !p.requireScope(w, ref, scopeOpenID, "The access token does not carry the openid scope.") {
		return
	}
	if p.endUser(ref.subject) == nil {
		p.writeBearerError(w, &bearerError{status: http.StatusUnauthorized, code: "invalid_token", desc: "The access token does not identify an end-user."})
		return
	}
	b := append([]byte(`{"sub":`), appendJSONString(nil, ref.subject)...)
	b, err := p.appendUserClaims(b, ref.subject, ref.scope)
	if err != nil {
		p.log.ErrorContext(r.Context(), "userinfo", "err", err)
		p.writeBearerError(w, errResourceServer)
		return
	}
	p.writeResourceJSON(w, http.StatusOK, append(b, '}'))
}

// oidcMetadata adds the OpenID Provider members (OpenID Connect Discovery
// 1.0 §3) to the metadata; scopes_supported, response_types_supported and
// jwks_uri are already there.
func (p *Provider) oidcMetadata(add func(string, any), addList func(string, []string)) {
	if !p.settings.OpenID() {
		return
	}
	if e := p.settings.Endpoints.UserInfo; e != "" {
		add("userinfo_endpoint", p.URL(e))
	}
	alg := "ES256"
	if k, err := p.idTokenKey(); err == nil {
		alg = k.alg
	}
	addList("id_token_signing_alg_values_supported", []string{alg})
	addList("subject_types_supported", []string{"public"})
	claims := slices.Clone(idTokenClaims)
	claims = append(claims, releasedClaims(strings.Join(p.settings.Scopes.Supported, " "))...)
	addList("claims_supported", claims)
}

// WithOIDC makes NewTestServer's provider an OpenID Provider (Settings.OIDC,
// through WithSettings): openid, profile and email join the scope
// vocabulary where missing. For rfc6749, whose built-in settings are already
// an OpenID Provider, it changes nothing. A dialect that cannot be one (no
// authorization_code grant, a closed token response) fails the test with
// the settings error.
func WithOIDC() TestOption {
	return WithSettings(func(s *Settings) {
		s.OIDC = true
		for _, v := range []string{scopeOpenID, "profile", "email"} {
			if !slices.Contains(s.Scopes.Supported, v) {
				s.Scopes.Supported = append(s.Scopes.Supported, v)
			}
		}
	})
}

// resolveOIDC fills, for oidc, the JWKS and UserInfo paths the settings
// leave empty: next to the token endpoint's (/jwks and /userinfo for
// rfc6749, /oauth/jwks and /oauth/userinfo for oob-pkce).
func (s *Settings) resolveOIDC() {
	if !s.OIDC || s.Endpoints.Token == "" {
		return
	}
	dir := strings.TrimSuffix(path.Dir(s.Endpoints.Token), "/")
	if s.Endpoints.JWKS == "" {
		s.Endpoints.JWKS = dir + "/jwks"
	}
	if s.Endpoints.UserInfo == "" {
		s.Endpoints.UserInfo = dir + "/userinfo"
	}
}
