package mockserver

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/oauthconform/oauthconform/profile"
)

// randomToken returns 256 bits from crypto/rand, base64url-encoded (43 chars).
func randomToken() string {
	var b [32]byte
	randomBytes(b[:])
	// Encoded on the stack: one allocation, the string (EncodeToString
	// makes two).
	var s [43]byte
	base64.RawURLEncoding.Encode(s[:], b[:])
	clear(b[:])
	return string(s[:])
}

// randBuf is crypto/rand output read ahead; off is where the unused part
// starts. Bytes before off have been handed out and zeroed.
type randBuf struct {
	b   [1024]byte
	off int
}

// randBufs keeps a randBuf per P: an opaque token costs three random
// values, and crypto/rand's fixed cost per call (a getrandom call or its
// vDSO state, locking) outweighed reading the 32 bytes, so one read now
// serves 32 tokens. sync.Pool keeps the buffers per P, without a lock.
var randBufs = sync.Pool{New: func() any { return &randBuf{off: 1024} }}

// randomBytes fills dst (at most 1024 bytes) from crypto/rand by way of
// randBufs; every byte is handed out once.
func randomBytes(dst []byte) {
	rb := randBufs.Get().(*randBuf)
	if len(rb.b)-rb.off < len(dst) {
		_, _ = rand.Read(rb.b[:]) // crypto/rand.Read never fails (Go 1.24+)
		rb.off = 0
	}
	used := rb.b[rb.off : rb.off+len(dst)]
	copy(dst, used)
	clear(used) // no copy of a handed-out value stays in memory
	rb.off += len(dst)
	randBufs.Put(rb)
}

// codeEncoding is RFC 4648 base32 without padding.
var codeEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// base32Code returns 25 characters of the RFC 4648 base32 alphabet (A-Z,
// 2-7): 125 bits from crypto/rand.
func base32Code() string {
	var b [16]byte
	randomBytes(b[:])
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
	// tokensPlain: both tokens are the mock's own base64url (and dots),
	// which JSON takes as they are: the response skips escaping them, the
	// longest strings it writes.
	tokensPlain bool
}

// issueSpec says what to issue.
type issueSpec struct {
	grant    *Grant // nil for a client_credentials token without refresh
	clientID string
	subject  string
	scope    string
	// claims are the extra claims of a token without a grant; a grant's
	// tokens carry the grant's (Grant.Claims) instead.
	claims    map[string]any
	grantType string
	// refresh asks for a new refresh token; keepRefresh returns this one
	// instead (no rotation).
	refresh     bool
	keepRefresh string
	// lifetime, when positive, replaces the settings' access token
	// lifetime (IssueToken).
	lifetime time.Duration
	// now is the time of issue when the caller took it already (to make
	// the grant, so that its expiry covers the refresh token's without
	// an ExtendGrant); zero: the clock's.
	now time.Time
}

// accessClaims is what an access token states: its record, and the claims
// of a JWT. extra are the claims beyond the provider's own; a registered
// claim among them replaces the provider's value (applyRegistered).
type accessClaims struct {
	clientID, subject, scope, jti string
	iat, exp                      time.Time
	extra                         map[string]any
}

// registeredClaims are the JWT claims the provider writes itself (RFC 7519
// §4.1, RFC 9068 §2.2, RFC 8693 scope and client_id), in the order it
// writes them. An extra claim of one of these names takes its place.
var registeredClaims = [...]string{"iss", "sub", "aud", "client_id", "scope", "iat", "exp", "nbf", "jti"}

func isRegisteredClaim(name string) bool {
	for _, r := range registeredClaims {
		if r == name {
			return true
		}
	}
	return false
}

// applyRegistered makes the extra claims that replace what the provider
// knows of the token (sub, client_id and scope of the right type, exp, iat,
// jti) the token's own, so its record, introspection and the resource
// server say what the JWT says. Of the wrong JSON type they go into the JWT
// only, which the provider's own verification then refuses.
func (a *accessClaims) applyRegistered() {
	x := a.extra
	if v, ok := x["sub"].(string); ok {
		a.subject = v
	}
	if v, ok := x["client_id"].(string); ok {
		a.clientID = v
	}
	if v, ok := x["scope"].(string); ok {
		a.scope = v
	}
	if v, ok := x["jti"]; ok {
		a.jti, _ = v.(string) // not a string: no jti to find the token by
	}
	if t, ok := claimTime(x["iat"]); ok {
		a.iat = t
	}
	if t, ok := claimTime(x["exp"]); ok {
		a.exp = t
	}
}

// claimTime reads a NumericDate claim value (RFC 7519 §2): a JSON number of
// seconds, as any Go number type or json.Number, or a time.Time.
func claimTime(v any) (time.Time, bool) {
	var secs float64
	switch n := v.(type) {
	case time.Time:
		return n, true
	case int:
		secs = float64(n)
	case int32:
		secs = float64(n)
	case int64:
		secs = float64(n)
	case uint:
		secs = float64(n)
	case uint32:
		secs = float64(n)
	case uint64:
		secs = float64(n)
	case float32:
		secs = float64(n)
	case float64:
		secs = n
	case json.Number:
		f, err := n.Float64()
		if err != nil {
			return time.Time{}, false
		}
		secs = f
	default:
		return time.Time{}, false
	}
	if math.IsNaN(secs) || math.IsInf(secs, 0) {
		return time.Time{}, false
	}
	return time.Unix(int64(secs), 0), true
}

var (
	claimsBufPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}
	jwsBufPool    = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}
)

// issue mints the access token (and refresh token) of a successful grant.
// Signing happens outside any store lock.
func (p *Provider) issue(ctx context.Context, s issueSpec) (*issued, error) {
	now := s.now
	if now.IsZero() {
		now = p.clock.Now()
	}
	life := p.settings.AccessToken.Lifetime.D()
	if s.lifetime > 0 {
		life = s.lifetime
	}
	a := accessClaims{clientID: s.clientID, subject: s.subject, scope: s.scope, iat: now, exp: now.Add(life), extra: s.claims}
	if s.grant != nil {
		a.extra = s.grant.Claims
	}
	a.jti = p.tokens.jti(s.grant != nil)
	drawnJTI := a.jti // from crypto/rand, unless a claim replaces it
	expiresIn := int64(life / time.Second)
	if len(a.extra) > 0 {
		a.applyRegistered()
		expiresIn = int64(a.exp.Sub(now) / time.Second)
	}
	out := &issued{scope: a.scope, expiresIn: expiresIn}

	m, err := p.tokens.mint(a)
	if err != nil {
		return nil, fmt.Errorf("sign access token: %w", err)
	}
	out.accessToken = m.token
	out.tokensPlain = m.asMade()
	// Opaque tokens and JWTs that do not name their client must be looked
	// up; self-contained JWTs (RFC 9068 ones, plain ones with client_id)
	// are stored only when they belong to a grant family that may be
	// revoked, keeping the client_credentials path free of store writes
	// (the strategy's recordKey has the details).
	if key, ok := p.tokens.recordKey(m, a.jti, a.iat, now, s.grant != nil); ok {
		t := Token{Kind: KindAccess, ClientID: a.clientID, Subject: a.subject, Scope: a.scope, Claims: a.extra, IssuedAt: a.iat, ExpiresAt: a.exp}
		if s.grant != nil {
			t.GrantID = s.grant.ID
		}
		// A token is a new store key when it was drawn from crypto/rand, or
		// is a JWT as signed around a drawn jti: no need to look for it.
		fresh := key == m.token && (m.drawn || m.asMade() && drawnJTI != "" && a.jti == drawnJTI)
		if err := p.saveToken(ctx, key, t, fresh); err != nil {
			return nil, fmt.Errorf("save access token: %w", err)
		}
	}

	switch {
	case s.keepRefresh != "":
		out.refreshToken = s.keepRefresh
		out.tokensPlain = false // as the client sent it
	case s.refresh && s.grant != nil:
		rt := randomToken()
		rexp := now.Add(p.settings.RefreshToken.Lifetime.D())
		t := Token{Kind: KindRefresh, GrantID: s.grant.ID, ClientID: s.clientID, Subject: s.subject, Scope: s.grant.Scope, Claims: s.grant.Claims, IssuedAt: now, ExpiresAt: rexp}
		if err := p.saveToken(ctx, rt, t, true); err != nil {
			return nil, fmt.Errorf("save refresh token: %w", err)
		}
		// A grant gone meanwhile (a Reset while the request ran) took its
		// tokens with it: the answer stands, as one of before the reset.
		// A grant's expiry only grows, so one that outlives rexp already
		// (a new grant, made at now) needs no store call.
		if rexp.After(s.grant.ExpiresAt) {
			if err := p.store.ExtendGrant(ctx, s.grant.ID, rexp); err != nil && !errors.Is(err, ErrNotFound) {
				return nil, fmt.Errorf("extend grant: %w", err)
			}
		}
		out.refreshToken = rt
	}
	if s.grant != nil && p.rules.refresh.sameAccessToken {
		// Hand the grant's earlier (still valid) access token back on refresh.
		if old, ok := p.lastAccess.Load(s.grant.ID); ok && s.grantType == profile.GrantRefreshToken {
			out.accessToken, out.tokensPlain = old.(string), false
		} else if !ok {
			p.lastAccess.Store(s.grant.ID, out.accessToken)
		}
	}
	return out, nil
}

// jtiKey is the store key of a JWT access token.
func jtiKey(jti string) string { return "jti:" + jti }

// newGrant records a grant family of a client for a subject: a user's
// (whose claims the grant's tokens carry, with the client's and those of
// the request), or an IssueToken subject of no registered user.
func (p *Provider) newGrant(ctx context.Context, clientID, subject, scope string, claims map[string]any) (*Grant, error) {
	var client, user map[string]any
	if rc := p.client(clientID); rc != nil {
		client = rc.AccessTokenClaims
	}
	if u := p.userBySubject(subject); u != nil {
		user = u.user.AccessTokenClaims
	}
	return p.saveGrant(ctx, p.clock.Now(), clientID, subject, scope, mergeClaims(client, user, claims))
}

// issueRefreshable mints spec's tokens; with refresh, a refresh token too,
// under a new grant of spec's client, subject, scope and claims made now.
// A store failure is a server error (storeFailure).
func (p *Provider) issueRefreshable(ctx context.Context, spec issueSpec, refresh bool) (*issued, *oauthError) {
	if refresh {
		spec.now = p.clock.Now()
		g, err := p.saveGrant(ctx, spec.now, spec.clientID, spec.subject, spec.scope, spec.claims)
		if err != nil {
			return nil, storeFailure(err)
		}
		spec.grant, spec.refresh = g, true
	}
	res, err := p.issue(ctx, spec)
	if err != nil {
		return nil, storeFailure(err)
	}
	return res, nil
}

// saveGrant stores a new grant made at now with exactly these claims.
func (p *Provider) saveGrant(ctx context.Context, now time.Time, clientID, subject, scope string, claims map[string]any) (*Grant, error) {
	g := &Grant{
		ID: randomToken(), ClientID: clientID, Subject: subject, Scope: scope, Claims: claims,
		ExpiresAt: now.Add(max(p.settings.RefreshToken.Lifetime.D(), p.settings.Code.Lifetime.D(), p.settings.AccessToken.Lifetime.D())),
	}
	var err error
	if p.fresh != nil {
		err = p.fresh.saveFreshGrant(g)
	} else {
		err = p.store.SaveGrant(ctx, g)
	}
	if err != nil {
		return nil, fmt.Errorf("save grant: %w", err)
	}
	return g, nil
}

// saveToken stores t under key; fresh says key is new (randomToken's own,
// or a JWT signed around a drawn jti). t comes by value so that the
// MemoryStore's path, which keeps no pointer to it, allocates nothing: only
// the copy handed to another Store escapes.
func (p *Provider) saveToken(ctx context.Context, key string, t Token, fresh bool) error {
	if fresh && p.fresh != nil {
		return p.fresh.saveFreshToken(key, &t)
	}
	escaped := t
	return p.store.SaveToken(ctx, key, &escaped)
}

// mergeClaims combines claim sets, a later one's claim replacing an earlier
// one's of the same name. A single non-empty set is returned as it is (all
// are read-only), none as nil.
func mergeClaims(sets ...map[string]any) map[string]any {
	var out map[string]any
	shared := false
	for _, m := range sets {
		switch {
		case len(m) == 0:
		case out == nil:
			out, shared = m, true
		default:
			if shared {
				out, shared = maps.Clone(out), false
			}
			maps.Copy(out, m)
		}
	}
	return out
}

// signAccessToken builds the JWT: header from the provider's cache, claims
// appended by hand (no reflection), signature by the active key. An RFC 9068
// token carries iss, sub, aud, client_id, scope, iat, exp and jti; a plain
// one iss, sub, scope, iat, exp and jti (and aud or client_id only where
// the dialect or the settings name them). Both add the extra claims (the
// client's, the user's, the request's, the dialect's extras): see
// appendExtraClaims.
func (p *Provider) signAccessToken(a *accessClaims) (string, error) {
	key := p.keys.current()
	bp := claimsBufPool.Get().(*[]byte)
	claims := (*bp)[:0]
	if len(a.extra) > 0 {
		var err error
		if claims, err = p.appendExtraClaims(claims, a); err != nil {
			*bp = claims[:0]
			claimsBufPool.Put(bp)
			return "", err
		}
	} else {
		claims = append(claims, `{"iss":`...)
		claims = appendJSONString(claims, p.issuer)
		claims = append(claims, `,"sub":`...)
		claims = appendJSONString(claims, a.subject)
		if p.jwt.aud {
			claims = append(claims, `,"aud":`...)
			claims = appendJSONString(claims, p.audience)
		}
		if p.jwt.clientID && !p.rules.jwt.noIDClaims {
			claims = append(claims, `,"client_id":`...)
			claims = appendJSONString(claims, a.clientID)
		}
		if a.scope != "" && !p.rules.jwt.noScope {
			claims = append(claims, `,"scope":`...)
			claims = appendJSONString(claims, a.scope)
		}
		claims = append(claims, `,"iat":`...)
		claims = strconv.AppendInt(claims, a.iat.Unix(), 10)
		claims = append(claims, `,"exp":`...)
		claims = strconv.AppendInt(claims, p.accessTokenExpClaim(a.iat, a.exp).Unix(), 10)
		if a.jti != "" && !p.rules.jwt.noIDClaims {
			claims = append(claims, `,"jti":`...)
			claims = appendJSONString(claims, a.jti)
		}
		claims = append(claims, '}')
	}

	// The JWS is put together in a pooled buffer too: the string it
	// becomes is its one allocation.
	jp := jwsBufPool.Get().(*[]byte)
	out := append((*jp)[:0], p.headers[key.kid]...)
	out = base64.RawURLEncoding.AppendEncode(out, claims)
	*bp = claims
	claimsBufPool.Put(bp)
	signingInput := out
	out = append(out, '.')
	var err error
	if !p.rules.jwt.algNone { // else an unsecured JWS: empty signature
		out, err = key.sign(out, signingInput)
	}
	tok := string(out)
	*jp = out
	jwsBufPool.Put(jp)
	if err != nil {
		return "", err
	}
	return tok, nil
}

// appendExtraClaims writes the claims of a token with extra claims: the
// provider's own in their usual order, each replaced by the extra claim of
// its name when there is one (also where the provider would not write it,
// e.g. nbf, or aud in a plain JWT), then the other extra claims sorted by
// name. No member is written twice (RFC 7519 §4). Strings are written as
// JSON strings, a time.Time as a NumericDate, anything else as
// encoding/json encodes it (json.RawMessage verbatim).
func (p *Provider) appendExtraClaims(b []byte, a *accessClaims) ([]byte, error) {
	x := a.extra
	var err error
	// member writes name with the extra value, else (when mine) with the
	// provider's, else not at all.
	member := func(name string, mine bool, value func([]byte) []byte) {
		v, given := x[name]
		if err != nil || !given && !mine {
			return
		}
		if name != "iss" {
			b = append(b, ',')
		}
		b = appendJSONString(b, name)
		b = append(b, ':')
		if given {
			b, err = appendClaimValue(b, name, v)
		} else {
			b = value(b)
		}
	}
	str := func(s string) func([]byte) []byte { return func(b []byte) []byte { return appendJSONString(b, s) } }
	date := func(t time.Time) func([]byte) []byte {
		return func(b []byte) []byte { return strconv.AppendInt(b, t.Unix(), 10) }
	}
	b = append(b, '{')
	member("iss", true, str(p.issuer))
	member("sub", true, str(a.subject))
	member("aud", p.jwt.aud, str(p.audience))
	member("client_id", p.jwt.clientID && !p.rules.jwt.noIDClaims, str(a.clientID))
	member("scope", a.scope != "" && !p.rules.jwt.noScope, str(a.scope))
	member("iat", true, date(a.iat))
	member("exp", true, date(p.accessTokenExpClaim(a.iat, a.exp)))
	member("nbf", false, nil)
	member("jti", a.jti != "" && !p.rules.jwt.noIDClaims, str(a.jti))
	for _, k := range slices.Sorted(maps.Keys(x)) {
		if err != nil {
			break
		}
		if isRegisteredClaim(k) {
			continue
		}
		b = append(b, ',')
		b = appendJSONString(b, k)
		b = append(b, ':')
		b, err = appendClaimValue(b, k, x[k])
	}
	if err != nil {
		return b, err
	}
	return append(b, '}'), nil
}

// appendClaimValue appends one claim value as JSON.
func appendClaimValue(b []byte, name string, v any) ([]byte, error) {
	switch t := v.(type) {
	case string:
		return appendJSONString(b, t), nil
	case time.Time:
		return strconv.AppendInt(b, t.Unix(), 10), nil
	}
	js, err := json.Marshal(v)
	if err != nil {
		return b, fmt.Errorf("claim %s: %w", name, err)
	}
	return append(b, js...), nil
}

// appendToken appends a token of t as a JSON string.
func (t *issued) appendToken(b []byte, tok string) []byte {
	if t.tokensPlain {
		b = append(b, '"')
		b = append(b, tok...)
		return append(b, '"')
	}
	return appendJSONString(b, tok)
}

// appendTokenResponse writes the RFC 6749 §5.1 success body (the response
// filters of the quirks rewrite it, see filters.go).
func (p *Provider) appendTokenResponse(b []byte, t *issued) []byte {
	b = append(b, `{"access_token":`...)
	b = t.appendToken(b, t.accessToken)
	b = append(b, `,"token_type":`...)
	b = append(b, p.tokenTypeJSON...)
	b = append(b, `,"expires_in":`...)
	b = strconv.AppendInt(b, t.expiresIn, 10)
	if t.refreshToken != "" {
		b = append(b, `,"refresh_token":`...)
		b = t.appendToken(b, t.refreshToken)
	}
	// Strict choice: scope is always sent when one was granted, not only
	// when it differs from the request (RFC 6749 §3.3, §5.1).
	if t.scope != "" {
		b = append(b, `,"scope":`...)
		b = appendJSONString(b, t.scope)
	}
	return append(b, '}')
}
