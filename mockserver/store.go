package mockserver

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned for unknown (or swept) codes, tokens and grants.
var ErrNotFound = errors.New("mockserver: not found")

// Grant is one authorization: a resource owner's (or a client's own) consent
// to a client for a scope. Every token issued from it belongs to its family,
// so revoking the grant revokes them all (code reuse, refresh token reuse).
type Grant struct {
	ID       string
	ClientID string
	Subject  string
	// Scope is the originally granted scope (space-separated); refreshes may
	// narrow but never widen it.
	Scope string
	// Claims are the extra access token claims of the grant's tokens, of
	// any JSON type: the client's, the user's and the request's (e.g.
	// intent_id) together. Treat them as read-only.
	Claims map[string]any
	// AuthTime is when the end-user authenticated for an OpenID Connect
	// authentication request (OIDC Core 1.0 §2 auth_time); zero for any
	// other grant. Nonce is that request's nonce ("" when none was sent).
	AuthTime  time.Time
	Nonce     string
	Revoked   bool
	ExpiresAt time.Time
}

// Code is an issued authorization code and what it is bound to.
type Code struct {
	GrantID     string
	ClientID    string
	RedirectURI string
	// RedirectURISent records whether the authorization request carried
	// redirect_uri (RFC 6749 §4.1.3 then requires it at the token endpoint).
	RedirectURISent     bool
	CodeChallenge       string
	CodeChallengeMethod string
	ExpiresAt           time.Time
	// Used is set by the first redemption.
	Used bool
}

// TokenKind tells access tokens from refresh tokens.
type TokenKind uint8

// Token kinds.
const (
	KindAccess TokenKind = iota + 1
	KindRefresh
)

// Token is a stored token: every refresh token, every opaque access token and
// every access token that belongs to a grant family.
type Token struct {
	Kind      TokenKind
	GrantID   string
	ClientID  string
	Subject   string
	Scope     string
	Claims    map[string]any
	IssuedAt  time.Time
	ExpiresAt time.Time
	// Retired marks a rotated-out refresh token, kept to detect its reuse.
	Retired bool
	Revoked bool
}

// Store keeps the provider's state. Implementations must be safe for
// concurrent use; records returned are copies the caller may keep. A
// bounded store may forget records to make room (as MemoryStore does, see
// there) and refuse a save with ErrStoreFull, which the provider answers
// with 503 temporarily_unavailable.
type Store interface {
	SaveGrant(ctx context.Context, g *Grant) error
	Grant(ctx context.Context, id string) (*Grant, error)
	// RevokeGrant marks the grant, and so every token of its family, revoked.
	RevokeGrant(ctx context.Context, id string) error
	// ExtendGrant moves the grant's expiry to at least t.
	ExtendGrant(ctx context.Context, id string, t time.Time) error

	SaveCode(ctx context.Context, code string, c *Code) error
	// RedeemCode marks the code used and returns it; first is false when it
	// had been redeemed before (a replay).
	RedeemCode(ctx context.Context, code string) (c *Code, first bool, err error)

	SaveToken(ctx context.Context, token string, t *Token) error
	Token(ctx context.Context, token string) (*Token, error)
	// RetireToken marks a refresh token rotated out; it reports false when
	// the token was already retired (a concurrent or repeated use).
	RetireToken(ctx context.Context, token string) (bool, error)
	RevokeToken(ctx context.Context, token string) error

	// RevokeJTI records the revocation of a JWT access token that has no
	// stored record (a stateless one, e.g. client_credentials), by its jti,
	// until exp: after it the token is expired anyway and Sweep drops the
	// entry. Callers only record jtis of tokens whose signature verified, so
	// the set stays bounded by the tokens actually issued and still alive.
	RevokeJTI(ctx context.Context, jti string, exp time.Time) error
	// JTIRevoked reports whether RevokeJTI recorded the jti.
	JTIRevoked(ctx context.Context, jti string) (bool, error)

	// Sweep drops records that expired before now and returns how many.
	Sweep(ctx context.Context, now time.Time) int
}
