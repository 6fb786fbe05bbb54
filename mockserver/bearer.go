package mockserver

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// tokenRef is a token the provider recognises, with what it knows of it.
type tokenRef struct {
	kind TokenKind
	// key is the store key of rec; rec is nil for a stateless JWT.
	key string
	rec *Token
	// jwt is set for a verified JWT access token, with its claims.
	jwt      *jwtClaims
	jti      string
	clientID string
	subject  string
	scope    string
	iat, exp time.Time
}

// searchOrder is the order in which token kinds are looked for.
type searchOrder []TokenKind

var (
	accessFirst  = searchOrder{KindAccess, KindRefresh}
	refreshFirst = searchOrder{KindRefresh, KindAccess}
	accessOnly   = searchOrder{KindAccess}
	refreshOnly  = searchOrder{KindRefresh}
)

// findToken looks a token up among the kinds in order: stored tokens by
// themselves (refresh tokens, opaque access tokens, JWTs that do not name
// their client), then access tokens as the token strategy knows them
// (self-contained JWTs by signature and their jti's record). It returns
// nil for anything it did not issue; the error is a store failure. Expiry and revocation are not
// checked here (tokenActive does).
func (p *Provider) findToken(ctx context.Context, raw string, order searchOrder) (*tokenRef, error) {
	if raw == "" || len(raw) > maxTokenLen {
		return nil, nil
	}
	rec, err := p.store.Token(ctx, raw)
	if errors.Is(err, ErrNotFound) {
		rec = nil
	} else if err != nil {
		return nil, err
	}
	for _, kind := range order {
		if rec != nil && rec.Kind == kind {
			return refFromRecord(raw, rec), nil
		}
		if kind != KindAccess {
			continue
		}
		if ref, err := p.tokens.lookup(ctx, raw); ref != nil || err != nil {
			return ref, err
		}
	}
	return nil, nil
}

func refFromRecord(key string, rec *Token) *tokenRef {
	return &tokenRef{
		kind: rec.Kind, key: key, rec: rec, clientID: rec.ClientID, subject: rec.Subject, scope: rec.Scope,
		iat: rec.IssuedAt, exp: rec.ExpiresAt,
	}
}

// tokenActive reports whether the token may be used now: not expired, not a
// rotated-out refresh token, and (unless ignoreRevocation) neither revoked
// itself nor through its grant family.
func (p *Provider) tokenActive(ctx context.Context, ref *tokenRef, ignoreRevocation bool) (bool, error) {
	if !p.clock.Now().Before(ref.exp) {
		return false, nil
	}
	if ref.rec != nil && ref.rec.Retired {
		return false, nil
	}
	if ref.rec == nil && ref.jwt != nil && p.issuedBeforeReset(ref.iat) {
		return false, nil // dropped by Reset, like an unknown token
	}
	if ignoreRevocation {
		return true, nil
	}
	if ref.rec != nil && ref.rec.Revoked {
		return false, nil
	}
	if ref.jti != "" {
		if revoked, err := p.store.JTIRevoked(ctx, ref.jti); err != nil || revoked {
			return false, err
		}
	}
	if ref.rec != nil && ref.rec.GrantID != "" {
		g, err := p.store.Grant(ctx, ref.rec.GrantID)
		if errors.Is(err, ErrNotFound) {
			return false, nil
		}
		if err != nil || g.Revoked {
			return false, err
		}
	}
	return true, nil
}

// bearerError is an RFC 6750 §3 error of a protected resource. An empty code
// is the answer to a request without a token (§3.1: no error attribute).
type bearerError struct {
	status int
	code   string
	desc   string
	// scope lists the scopes that would have been accepted (§3).
	scope string
}

var (
	errNoToken        = &bearerError{status: http.StatusUnauthorized}
	errInvalidToken   = &bearerError{status: http.StatusUnauthorized, code: "invalid_token", desc: "The access token is invalid, expired or revoked."}
	errTwoTokens      = &bearerError{status: http.StatusBadRequest, code: "invalid_request", desc: "The access token was sent by more than one method (RFC 6750 Section 2)."}
	errMalformedAuthz = &bearerError{status: http.StatusBadRequest, code: "invalid_request", desc: "The Authorization header is not a valid Bearer credential."}
	errBadBearerBody  = &bearerError{status: http.StatusBadRequest, code: "invalid_request", desc: "The request body is not valid form encoding, or repeats access_token."}
	errResourceServer = &bearerError{status: http.StatusInternalServerError, code: "server_error", desc: "The server could not complete the request."}
)

// bearerToken extracts the access token (RFC 6750 §2): from the
// Authorization header with the Bearer scheme (case-insensitive, §2.1), or
// from an access_token parameter of a form-encoded body of a request that is
// not GET or HEAD (§2.2). The URI query parameter (§2.3) is not supported
// (RFC 9700 §2.4 discourages it): a token there counts as no token. An
// Authorization header of another scheme counts as no token too (§3.1).
func bearerToken(r *http.Request) (string, *bearerError) {
	var tok string
	switch vs := r.Header.Values("Authorization"); {
	case len(vs) > 1:
		return "", errMalformedAuthz
	case len(vs) == 1:
		scheme, rest, _ := strings.Cut(vs[0], " ")
		if strings.EqualFold(scheme, "Bearer") {
			tok = strings.Trim(rest, " ")
			if tok == "" || strings.ContainsAny(tok, " \t") {
				return "", errMalformedAuthz
			}
		}
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead || r.Body == nil {
		return tok, nil
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return tok, nil
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBodyBytes))
	if err != nil {
		return "", errBadBearerBody
	}
	var ps params
	if parseForm(body, &ps, false) != nil {
		return "", errBadBearerBody
	}
	if bt := ps.get("access_token"); bt != "" {
		if tok != "" {
			return "", errTwoTokens
		}
		tok = bt
	}
	return tok, nil
}

// authenticateBearer finds and validates the request's access token.
func (p *Provider) authenticateBearer(r *http.Request) (*tokenRef, *bearerError) {
	raw, berr := bearerToken(r)
	if berr != nil {
		return nil, berr
	}
	if raw == "" {
		return nil, errNoToken
	}
	ref, err := p.findToken(r.Context(), raw, accessOnly)
	if err != nil {
		return nil, errResourceServer
	}
	if ref == nil {
		return nil, errInvalidToken
	}
	ok, err := p.tokenActive(r.Context(), ref, p.rules.resource.acceptsRevoked)
	if err != nil {
		return nil, errResourceServer
	}
	if !ok {
		return nil, errInvalidToken
	}
	return ref, nil
}

// writeBearerError answers with the RFC 6750 §3 challenge, and the error as
// JSON when there is one.
func (p *Provider) writeBearerError(w http.ResponseWriter, e *bearerError) {
	h := w.Header()
	if e.status == http.StatusUnauthorized || e.status == http.StatusForbidden || e.status == http.StatusBadRequest {
		h.Set("WWW-Authenticate", p.bearerChallenge(e))
	}
	if len(p.filters[respBearerError]) > 0 {
		p.runFilters(respBearerError, &response{status: e.status, header: h, bearer: e})
	}
	h["Cache-Control"] = noStore
	if e.code == "" {
		h.Set("Content-Length", "0")
		w.WriteHeader(e.status)
		return
	}
	b := append([]byte(`{"error":`), appendJSONString(nil, e.code)...)
	b = append(b, `,"error_description":`...)
	b = appendJSONString(b, e.desc)
	b = append(b, '}')
	h["Content-Type"] = jsonCT
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(e.status)
	_, _ = w.Write(b)
}

// bearerChallenge is the WWW-Authenticate value of a refusal.
func (p *Provider) bearerChallenge(e *bearerError) string {
	c := `Bearer realm="` + p.realm + `"`
	if e.code != "" {
		c += `, error="` + e.code + `"`
	}
	if e.desc != "" {
		c += `, error_description="` + e.desc + `"`
	}
	if e.scope != "" {
		c += `, scope="` + e.scope + `"`
	}
	return c
}

// hasAnyScope reports whether the space-separated scope holds one of want.
func hasAnyScope(scope string, want []string) bool {
	for _, s := range strings.Fields(scope) {
		for _, v := range want {
			if s == v {
				return true
			}
		}
	}
	return false
}
