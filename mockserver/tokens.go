package mockserver

// Token strategies: how the provider makes its access tokens and knows them
// again, chosen once at New from the settings' access_token.format (the
// pluggable token strategies of ory/fosite are the model). issue, findToken
// and the introspection answer go through p.tokens and never ask which
// format the settings chose; refresh tokens are opaque under every
// strategy (randomToken, stored under themselves).
//
//   - opaqueTokens: random strings, each stored under itself.
//   - jwtTokens: signed JWTs (jwt.go, issue.go's signAccessToken), stored
//     as recordKey says (self-contained ones, which name their client, of
//     a grant family under their jti, the rest stateless; others under
//     themselves); a presented self-contained JWT is verified and found by
//     its jti.
//   - alteredTokens wraps either for the quirks that change a token after
//     it is made (guessable-tokens, non-vschar-token), so that the
//     strategies know nothing of quirks.
//
// Adding a quirk touches none of this: see rules.go and filters.go.

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// tokenStrategy issues and recognises access tokens.
type tokenStrategy interface {
	// jti draws the jti of a new token ("" for tokens that carry none);
	// family: the token belongs to a grant that may be revoked.
	jti(family bool) string
	// mint makes the access token that states a.
	mint(a accessClaims) (mintedToken, error)
	// recordKey says whether and under which key issue stores the record
	// of a token minted at now; family: it belongs to a grant that may be
	// revoked.
	recordKey(m mintedToken, jti string, iat, now time.Time, family bool) (string, bool)
	// lookup finds an access token that the store does not hold under the
	// token itself (a JWT known by its signature and jti); nil when raw is
	// none of the strategy's. The error is a store failure.
	lookup(ctx context.Context, raw string) (*tokenRef, error)
	// introspect adds what the strategy's tokens state beyond their record
	// to the introspection answer of access token ref (RFC 7662 §2.2).
	introspect(str func(name, v string), ref *tokenRef)
}

// mintedToken is an access token as made.
type mintedToken struct {
	// token is what the client receives; signed the JWS as signed ("" for
	// an opaque token).
	token, signed string
	// drawn: token is randomToken's own, a store key nobody else holds
	// (saveFreshToken).
	drawn bool
}

// asMade reports whether the token is the mock's own, unaltered:
// randomToken's, or the JWS as signed (base64url and dots either way).
func (m mintedToken) asMade() bool { return m.drawn || m.token == m.signed }

// newTokenStrategy is the strategy of the provider's settings (p.keys set
// for JWTs), wrapped for the quirks that alter tokens after they are made.
func newTokenStrategy(p *Provider) tokenStrategy {
	var s tokenStrategy = opaqueTokens{}
	if p.keys != nil {
		s = &jwtTokens{p: p, misstated: p.rules.jwt.typJWT || p.rules.jwt.algNone || p.rules.jwt.noIDClaims ||
			p.rules.jwt.noScope || p.rules.jwt.halfExp}
	}
	if a := p.rules.access; a.sequential || a.nonVSCHAR {
		s = &alteredTokens{tokenStrategy: s, sequential: a.sequential, nonVSCHAR: a.nonVSCHAR}
	}
	return s
}

// opaqueTokens are random strings (RFC 6749 §10.10), each with its record.
type opaqueTokens struct{}

func (opaqueTokens) jti(bool) string { return "" }

func (opaqueTokens) mint(accessClaims) (mintedToken, error) {
	return mintedToken{token: randomToken(), drawn: true}, nil
}

func (opaqueTokens) recordKey(m mintedToken, _ string, _, _ time.Time, _ bool) (string, bool) {
	return m.token, true
}

func (opaqueTokens) lookup(context.Context, string) (*tokenRef, error) { return nil, nil }

func (opaqueTokens) introspect(func(name, v string), *tokenRef) {}

// jwtTokens are JWT access tokens of the settings' format (p.jwt).
type jwtTokens struct {
	p *Provider
	// misstated: a quirk makes the header or claims misstate what the
	// server knows of its tokens (jwt-typ-jwt, jwt-alg-none, ...).
	misstated bool
}

func (s *jwtTokens) jti(family bool) string {
	switch {
	case !s.p.jwt.jti:
		return ""
	case family:
		return familyJTIPrefix + randomToken()
	}
	return randomToken()
}

// familyJTIPrefix marks the jti of a token that has a record (one of a
// grant family, or one whose extra claims chose such a jti): randomToken's
// jtis hold no '.'. A verified token of that mark whose record is gone
// (evicted from a full store, or a Reset) is unknown, as its record would
// be, and not taken for a stateless one: eviction fails closed.
const familyJTIPrefix = "g."

// hasRecord reports whether a self-contained token of this jti was stored.
func hasRecord(jti string) bool { return strings.HasPrefix(jti, familyJTIPrefix) }

func (s *jwtTokens) mint(a accessClaims) (mintedToken, error) {
	tok, err := s.p.signAccessToken(&a)
	return mintedToken{token: tok, signed: tok}, err
}

// recordKey: where and whether a JWT is stored.
//   - JWTs that do not name their client (plain ones without client_id,
//     see jwtShape.selfContained) are looked up by themselves, like opaque
//     tokens: the record is what tells their client.
//   - A JWT that a quirk altered after signing, or whose header or claims a
//     quirk made wrong, is stored under itself too: the server's own
//     validation then rests on its record, so such a quirk breaks only the
//     token's shape, never revocation, introspection or the resource server.
//   - Other (self-contained) JWTs of a grant family, and those whose jti
//     carries the family mark (hasRecord), are stored under their jti, so
//     that revoking the family reaches them and eviction fails closed.
//     A grant's token is stored under itself when an extra claim left it
//     no string jti; a string jti an extra claim chose carries no mark, so
//     such a token, once evicted, passes for a stateless one.
//   - The rest are stateless (revocable through the store's jti set), but
//     for those whose iat would not tell them from the tokens of before a
//     Reset (statelessRecordKey).
func (s *jwtTokens) recordKey(m mintedToken, jti string, iat, now time.Time, family bool) (string, bool) {
	switch {
	case !s.p.jwt.selfContained(), !m.asMade(), s.misstated, family && jti == "":
		return m.token, true
	case family, hasRecord(jti):
		return jtiKey(jti), true
	}
	return s.p.statelessRecordKey(m.token, jti, iat, now)
}

// lookup verifies a self-contained JWT as the provider's own resource
// server and finds its record by its jti; a verified token without one is
// stateless. Other JWTs, like opaque tokens, are known by their record
// only.
func (s *jwtTokens) lookup(ctx context.Context, raw string) (*tokenRef, error) {
	if !s.p.jwt.selfContained() {
		return nil, nil
	}
	c, ok := s.p.verifyAccessJWT(raw)
	if !ok {
		return nil, nil
	}
	if c.Jti != "" {
		jrec, err := s.p.store.Token(ctx, jtiKey(c.Jti))
		switch {
		case err == nil && jrec.Kind == KindAccess:
			ref := refFromRecord(jtiKey(c.Jti), jrec)
			ref.jwt, ref.jti = c, c.Jti
			return ref, nil
		case err != nil && !errors.Is(err, ErrNotFound):
			return nil, err
		case hasRecord(c.Jti):
			return nil, nil // its record is gone
		}
	}
	return &tokenRef{
		kind: KindAccess, jwt: c, jti: c.Jti, clientID: c.ClientID, subject: c.Sub, scope: c.Scope,
		iat: numericDate(c.Iat), exp: numericDate(c.Exp),
	}, nil
}

// introspect: a JWT access token (also one a quirk made unverifiable, found
// by its record) states the server's own iss, aud when its tokens carry
// one, and its jti.
func (s *jwtTokens) introspect(str func(name, v string), ref *tokenRef) {
	str("iss", s.p.issuer)
	if s.p.jwt.aud {
		str("aud", s.p.audience)
	}
	str("jti", ref.jti)
}

// alteredTokens changes each token its strategy makes: short and sequential
// (guessable-tokens), or with a character outside VSCHAR (non-vschar-token).
// Neither is then randomToken's own, nor the JWT as signed.
type alteredTokens struct {
	tokenStrategy
	sequential, nonVSCHAR bool
	seq                   atomic.Int64
}

func (s *alteredTokens) mint(a accessClaims) (mintedToken, error) {
	m, err := s.tokenStrategy.mint(a)
	if err != nil {
		return m, err
	}
	if s.sequential {
		m.token = "tok-" + strconv.FormatInt(s.seq.Add(1), 10)
	}
	if s.nonVSCHAR {
		m.token += "\u00e9"
	}
	m.drawn = false
	return m, nil
}
