package mockserver

import (
	"context"

	"github.com/oauthconform/oauthconform/profile"
)

var (
	errMissingCredentials = newError(errInvalidRequest, "The username and password parameters are required.")
	errBadCredentials     = newError(errInvalidGrant, "The resource owner credentials are invalid.")
)

// grantPassword is RFC 6749 §4.3.
func (p *Provider) grantPassword(ctx context.Context, tr *tokenRequest) (*issued, *oauthError) {
	username, password := tr.params.get("username"), tr.params.get("password")
	if username == "" || password == "" {
		if p.rules.token.missingCredentialsInvalidGrant {
			return nil, errBadCredentials
		}
		return nil, errMissingCredentials
	}
	key := userThrottleKey(username)
	now := p.clock.Now()
	if locked, wait := p.failures.locked(key, now); locked && !p.rules.noLockout {
		return nil, lockedError(errBadCredentials, wait)
	}
	u, ok := p.checkUser(username, password)
	if ok && p.rules.token.correctPasswordRefused {
		return nil, errBadCredentials
	}
	if !ok {
		p.failures.fail(key, now)
		if !p.rules.token.wrongPasswordAccepted || u == nil {
			return nil, errBadCredentials
		}
	} else {
		p.failures.succeed(key)
	}
	c := tr.client
	scope, oerr := p.grantScope(c.Client, tr.params.get("scope"), tr.params.has("scope"))
	if oerr != nil {
		return nil, oerr
	}
	claims := mergeClaims(c.AccessTokenClaims, u.user.AccessTokenClaims)
	spec := issueSpec{clientID: c.ID, subject: u.subject, scope: scope, claims: claims, grantType: profile.GrantPassword}
	return p.issueRefreshable(ctx, spec, p.settings.IssuesRefreshFor(profile.GrantPassword))
}
