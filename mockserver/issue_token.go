package mockserver

import (
	"context"
	"fmt"
	"time"

	"github.com/oauthconform/oauthconform/profile"
)

// IssueRequest describes an access token to issue without an HTTP flow
// (IssueToken), e.g. for the tests of a resource server.
type IssueRequest struct {
	// ClientID is the registered client the token is issued to; "" is the
	// primary one (profile.RolePrimary).
	ClientID string
	// Subject is the resource owner the token is for (its sub claim): a
	// registered user's subject brings that user's access token claims, any
	// other value is taken as it is. "" issues the client's own token, as
	// the client_credentials grant does (sub is the client id).
	Subject string
	// Scope is checked like a token request's against the client's scopes
	// and the settings' vocabulary; "" is the settings' default scope.
	Scope string
	// Claims are extra access token claims, of any JSON type: strings,
	// numbers, bools, []any, map[string]any, json.RawMessage (written as
	// it is), any value encoding/json encodes, and time.Time (written as a
	// NumericDate, seconds). They add to the client's and the user's
	// (profile.Client and profile.User AccessTokenClaims), replacing those
	// of the same name (request over user over client).
	//
	// A registered claim (sub, aud, iss, exp, iat, nbf, jti, client_id,
	// scope) replaces the provider's own value: no claim is ever written
	// twice (RFC 7519 §4). Of the right type (sub, client_id, scope and jti
	// strings; exp and iat numbers or time.Time) it is also what the
	// provider knows of the token, so its introspection, resource server
	// and revocation treat the token as the claims describe it: a sub of
	// "bob" is bob's token, an exp in the past an expired one. Where the
	// provider verifies its JWTs (format jwt-rfc9068, or jwt with client_id
	// among its claims), it refuses one whose claims it would not have
	// issued (iss another issuer, an aud without its audience, nbf in the
	// future, a registered claim of the wrong type), as its resource
	// server must; a test that wants such a token for its own verifier
	// gets it signed all the same. Opaque tokens carry
	// no claims: the provider keeps them in the token's record
	// (Token.Claims).
	Claims map[string]any
	// Lifetime replaces the settings' access token lifetime when positive.
	Lifetime time.Duration
	// Refresh asks for a refresh token also where the settings issue none
	// for the grant the token stands for (client_credentials without
	// Subject, else authorization_code, or password where the code grant
	// is off). It needs the refresh_token grant.
	Refresh bool
}

// IssuedToken is what IssueToken issued: the members of an RFC 6749 §5.1
// token response.
type IssuedToken struct {
	AccessToken string
	// TokenType is the settings' spelling (e.g. "Bearer").
	TokenType string
	// ExpiresIn is the access token's lifetime in seconds.
	ExpiresIn int64
	// RefreshToken is "" when none was issued.
	RefreshToken string
	// Scope is the granted scope.
	Scope string
}

// IssueToken issues an access token (and a refresh token where the
// settings issue one for the grant it stands for, or Refresh asks) as the
// token endpoint would, with no HTTP request: it is stored, signed and
// shaped exactly like one of a token response, so the provider's
// introspection, resource server, revocation and JWKS accept it, and its
// refresh token works at the token endpoint. The client and the scope are
// checked as a token request's (not the client's registered grant types);
// a token for a Subject belongs to a grant family, as a code's does.
// Quirks that shape tokens apply as they do to any token.
func (p *Provider) IssueToken(ctx context.Context, req IssueRequest) (IssuedToken, error) {
	fail := func(format string, args ...any) (IssuedToken, error) {
		return IssuedToken{}, fmt.Errorf("mockserver: issue token: "+format, args...)
	}
	id := req.ClientID
	if id == "" {
		c, ok := p.ClientByRole(profile.RolePrimary)
		if !ok {
			return fail("no ClientID, and no primary client is registered")
		}
		id = c.ID
	}
	rc := p.client(id)
	if rc == nil {
		return fail("unknown client %q", id)
	}
	if req.Lifetime < 0 {
		return fail("negative Lifetime %v (an expired token: an exp claim in the past, or Clock.Advance)", req.Lifetime)
	}
	if err := profile.ValidClaims(req.Claims); err != nil {
		return fail("claims: %v", err)
	}
	grantType := profile.GrantClientCredentials
	if req.Subject != "" {
		grantType = profile.GrantAuthorizationCode
		if !p.settings.HasGrant(grantType) && p.settings.HasGrant(profile.GrantPassword) {
			grantType = profile.GrantPassword
		}
	}
	scope, oerr := p.grantScope(rc.Client, req.Scope, false)
	if oerr == nil && grantType == profile.GrantAuthorizationCode && p.settings.HasGrant(grantType) {
		oerr = p.checkRequiredScope(scope)
	}
	if oerr != nil {
		return fail("%s", oerr.Description)
	}
	if req.Refresh && !p.settings.HasGrant(profile.GrantRefreshToken) {
		return fail("Refresh, but the settings do not enable the refresh_token grant")
	}
	spec := issueSpec{
		clientID: rc.ID, subject: req.Subject, scope: scope, grantType: grantType,
		refresh: req.Refresh || p.settings.IssuesRefreshFor(grantType), lifetime: req.Lifetime,
	}
	var err error
	if req.Subject == "" {
		spec.subject = rc.ID
		spec.claims = mergeClaims(rc.AccessTokenClaims, req.Claims)
		if spec.refresh {
			spec.grant, err = p.saveGrant(ctx, p.clock.Now(), rc.ID, rc.ID, scope, spec.claims)
		}
	} else {
		spec.grant, err = p.newGrant(ctx, rc.ID, req.Subject, scope, req.Claims)
	}
	if err != nil {
		return fail("%v", err)
	}
	res, err := p.issue(ctx, spec)
	if err != nil {
		return fail("%v", err)
	}
	return IssuedToken{
		AccessToken: res.accessToken, TokenType: p.settings.AccessToken.TokenType, ExpiresIn: res.expiresIn,
		RefreshToken: res.refreshToken, Scope: res.scope,
	}, nil
}

// Revoke revokes a token the provider issued, as its revocation endpoint
// does for the token's client (RFC 7009 §2.1), whatever the quirks: a
// refresh token with its whole grant family, an access token alone. It
// returns ErrNotFound for a token the provider does not know (unknown,
// badly signed, or expired and swept).
func (p *Provider) Revoke(ctx context.Context, token string) error {
	ref, err := p.findToken(ctx, token, refreshFirst)
	if err != nil {
		return err
	}
	if ref == nil {
		return ErrNotFound
	}
	return p.revoke(ctx, ref, false)
}
