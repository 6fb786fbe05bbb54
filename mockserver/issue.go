package mockserver

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/oauthconform/oauthconform/profile"
)

// randomToken returns 256 bits from crypto/rand, base64url-encoded (43 chars).
func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// codeEncoding is RFC 4648 base32 without padding.
var codeEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// base32Code returns 25 characters of the RFC 4648 base32 alphabet (A-Z,
// 2-7): 125 bits from crypto/rand.
func base32Code() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return codeEncoding.EncodeToString(b[:])[:25]
}

// newCode returns a fresh authorization code in the settings' style.
func (p *Provider) newCode() string {
	if p.settings.Code.Style == CodeBase32 {
		return base32Code()
	}
	return randomToken()
}

// issued is what a grant handler hands back for the response.
type issued struct {
	accessToken  string
	refreshToken string
	scope        string
	expiresIn    int64
}

// issueSpec says what to issue.
type issueSpec struct {
	grant     *Grant // nil for a client_credentials token without refresh
	clientID  string
	subject   string
	scope     string
	claims    map[string]string
	grantType string
	// refresh asks for a new refresh token; keepRefresh returns this one
	// instead (no rotation).
	refresh     bool
	keepRefresh string
}

var claimsBufPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// issue mints the access token (and refresh token) of a successful grant.
// Signing happens outside any store lock.
func (p *Provider) issue(ctx context.Context, s issueSpec) (*issued, error) {
	now := p.clock.Now()
	life := p.settings.AccessToken.Lifetime.D()
	exp := now.Add(life)
	out := &issued{scope: s.scope, expiresIn: int64(life / time.Second)}

	var jti, signed string
	if p.keys != nil {
		if p.jwt.jti {
			jti = randomToken()
		}
		tok, err := p.signAccessToken(s, jti, now, exp)
		if err != nil {
			return nil, fmt.Errorf("sign access token: %w", err)
		}
		out.accessToken, signed = tok, tok
	} else {
		out.accessToken = randomToken()
	}
	if p.quirk(QuirkGuessableTokens) {
		out.accessToken = "tok-" + strconv.FormatInt(p.seq.Add(1), 10)
	}
	if p.quirk(QuirkNonVSCHARToken) {
		out.accessToken += "\u00e9"
	}
	// Opaque tokens and plain JWTs must be looked up; RFC 9068 JWTs are
	// stored only when they belong to a grant family that may be revoked,
	// keeping the client_credentials path free of store writes
	// (accessTokenKey has the details).
	if key, ok := p.accessTokenKey(out.accessToken, signed, jti, s.grant != nil); ok {
		t := &Token{Kind: KindAccess, ClientID: s.clientID, Subject: s.subject, Scope: s.scope, Claims: s.claims, IssuedAt: now, ExpiresAt: exp}
		if s.grant != nil {
			t.GrantID = s.grant.ID
		}
		if err := p.store.SaveToken(ctx, key, t); err != nil {
			return nil, fmt.Errorf("save access token: %w", err)
		}
	}

	switch {
	case s.keepRefresh != "":
		out.refreshToken = s.keepRefresh
	case s.refresh && s.grant != nil:
		rt := randomToken()
		rexp := now.Add(p.settings.RefreshToken.Lifetime.D())
		t := &Token{Kind: KindRefresh, GrantID: s.grant.ID, ClientID: s.clientID, Subject: s.subject, Scope: s.grant.Scope, Claims: s.claims, IssuedAt: now, ExpiresAt: rexp}
		if err := p.store.SaveToken(ctx, rt, t); err != nil {
			return nil, fmt.Errorf("save refresh token: %w", err)
		}
		if err := p.store.ExtendGrant(ctx, s.grant.ID, rexp); err != nil {
			return nil, fmt.Errorf("extend grant: %w", err)
		}
		out.refreshToken = rt
	}
	if s.grant != nil && p.quirk(QuirkRefreshSameAccessToken) {
		// Hand the grant's earlier (still valid) access token back on refresh.
		if old, ok := p.lastAccess.Load(s.grant.ID); ok && s.grantType == profile.GrantRefreshToken {
			out.accessToken = old.(string)
		} else if !ok {
			p.lastAccess.Store(s.grant.ID, out.accessToken)
		}
	}
	return out, nil
}

// jtiKey is the store key of a JWT access token.
func jtiKey(jti string) string { return "jti:" + jti }

// newGrant records a grant family.
func (p *Provider) newGrant(ctx context.Context, clientID, subject, scope string, claims map[string]string) (*Grant, error) {
	g := &Grant{
		ID: randomToken(), ClientID: clientID, Subject: subject, Scope: scope, Claims: claims,
		ExpiresAt: p.clock.Now().Add(max(p.settings.RefreshToken.Lifetime.D(), p.settings.Code.Lifetime.D(), p.settings.AccessToken.Lifetime.D())),
	}
	if err := p.store.SaveGrant(ctx, g); err != nil {
		return nil, fmt.Errorf("save grant: %w", err)
	}
	return g, nil
}

// signAccessToken builds the JWT: header from the provider's cache, claims
// appended by hand (no reflection), signature by the active key. An RFC 9068
// token carries iss, sub, aud, client_id, scope, iat, exp and jti; a plain
// one iss, sub, scope, iat and exp (and aud, client_id or jti only where the
// dialect requires them). Both add the claims of the dialect's extras.
func (p *Provider) signAccessToken(s issueSpec, jti string, iat, exp time.Time) (string, error) {
	key := p.keys.current()
	bp := claimsBufPool.Get().(*[]byte)
	claims := (*bp)[:0]
	claims = append(claims, `{"iss":`...)
	claims = appendJSONString(claims, p.issuer)
	claims = append(claims, `,"sub":`...)
	claims = appendJSONString(claims, s.subject)
	if p.jwt.aud {
		claims = append(claims, `,"aud":`...)
		claims = appendJSONString(claims, p.audience)
	}
	if p.jwt.clientID && !p.quirk(QuirkJWTMissingClaims) {
		claims = append(claims, `,"client_id":`...)
		claims = appendJSONString(claims, s.clientID)
	}
	if s.scope != "" && !p.quirk(QuirkJWTNoScope) {
		claims = append(claims, `,"scope":`...)
		claims = appendJSONString(claims, s.scope)
	}
	claims = append(claims, `,"iat":`...)
	claims = strconv.AppendInt(claims, iat.Unix(), 10)
	claims = append(claims, `,"exp":`...)
	claims = strconv.AppendInt(claims, p.accessTokenExpClaim(iat, exp).Unix(), 10)
	if jti != "" && !p.quirk(QuirkJWTMissingClaims) {
		claims = append(claims, `,"jti":`...)
		claims = appendJSONString(claims, jti)
	}
	if len(s.claims) > 0 {
		for _, k := range slices.Sorted(maps.Keys(s.claims)) {
			claims = append(claims, ',')
			claims = appendJSONString(claims, k)
			claims = append(claims, ':')
			claims = appendJSONString(claims, s.claims[k])
		}
	}
	claims = append(claims, '}')

	hdr := p.headers[key.kid]
	n := base64.RawURLEncoding.EncodedLen(len(claims))
	out := make([]byte, len(hdr)+n, len(hdr)+n+1+base64.RawURLEncoding.EncodedLen(512))
	copy(out, hdr)
	base64.RawURLEncoding.Encode(out[len(hdr):], claims)
	*bp = claims
	claimsBufPool.Put(bp)
	signingInput := out
	out = append(out, '.')
	if p.quirk(QuirkJWTAlgNone) {
		return string(out), nil // unsecured JWS: empty signature
	}
	out, err := key.sign(out, signingInput)
	if err != nil {
		return "", err
	}
	return string(out), nil
}

// appendTokenResponse writes the RFC 6749 §5.1 success body.
func (p *Provider) appendTokenResponse(b []byte, t *issued, requestedScope string) []byte {
	b = append(b, `{"access_token":`...)
	b = appendJSONString(b, t.accessToken)
	switch {
	case p.quirk(QuirkMissingTokenType):
	case p.quirk(QuirkTokenTypeMAC):
		b = append(b, `,"token_type":"mac"`...)
	default:
		b = append(b, `,"token_type":`...)
		b = append(b, p.tokenTypeJSON...)
	}
	b = append(b, `,"expires_in":`...)
	if p.quirk(QuirkExpiresInString) {
		b = append(b, '"')
		b = strconv.AppendInt(b, t.expiresIn, 10)
		b = append(b, '"')
	} else {
		b = strconv.AppendInt(b, t.expiresIn, 10)
	}
	if t.refreshToken != "" {
		b = append(b, `,"refresh_token":`...)
		b = appendJSONString(b, t.refreshToken)
	}
	// Strict choice: scope is always sent when one was granted, not only
	// when it differs from the request (RFC 6749 §3.3, §5.1).
	if t.scope != "" && !(p.quirk(QuirkScopeNotReported) && !sameScope(t.scope, requestedScope)) {
		b = append(b, `,"scope":`...)
		b = appendJSONString(b, t.scope)
	}
	if p.quirk(QuirkExtraResponseMember) {
		b = append(b, `,"x_issued_by":"oauthconform"`...)
	}
	if p.quirk(QuirkDuplicateJSONMembers) {
		b = append(b, `,"token_type":`...)
		b = append(b, p.tokenTypeJSON...)
	}
	return append(b, '}')
}
