package mockserver

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/oauthconform/oauthconform/profile"
)

var (
	errMissingRefresh = newError(errInvalidRequest, "The refresh_token parameter is required.")
	errBadRefresh     = newError(errInvalidGrant, "The refresh token is invalid, expired or revoked.")
	errRefreshClient  = newError(errInvalidGrant, "The refresh token was issued to another client.")
	errRefreshScope   = newError(errInvalidScope, "The requested scope exceeds the scope originally granted.")
)

// grantRefreshToken is RFC 6749 §6 with RFC 9700 §4.14.2 rotation and reuse
// detection.
func (p *Provider) grantRefreshToken(ctx context.Context, tr *tokenRequest) (*issued, *oauthError) {
	ps := tr.params
	rt := ps.get("refresh_token")
	if rt == "" {
		if p.rules.refresh.missingInvalidGrant {
			return nil, errBadRefresh
		}
		return nil, errMissingRefresh
	}
	if oerr := p.checkOOBRedirect(ps); oerr != nil {
		return nil, oerr
	}
	t, err := p.store.Token(ctx, rt)
	if errors.Is(err, ErrNotFound) && p.rules.refresh.unknownInvalidRequest {
		return nil, newError(errInvalidRequest, "The refresh_token parameter is malformed.")
	}
	if errors.Is(err, ErrNotFound) || (err == nil && t.Kind != KindRefresh) {
		return nil, errBadRefresh
	}
	if err != nil {
		return nil, errServer
	}
	if p.clock.Now().After(t.ExpiresAt) || t.Revoked {
		return nil, errBadRefresh
	}
	if t.ClientID != tr.client.ID && !p.rules.refresh.unbound {
		return nil, errRefreshClient
	}
	g, err := p.store.Grant(ctx, t.GrantID)
	if err != nil || g.Revoked {
		return nil, errBadRefresh
	}
	if t.Retired && !p.rules.refresh.reuseUndetected {
		// A rotated-out token came back: someone holds a copy. Revoke the
		// whole family (RFC 9700 §4.14.2).
		if !p.rules.refresh.reuseNoRevocation {
			_ = p.store.RevokeGrant(ctx, g.ID)
		}
		return nil, errBadRefresh
	}

	scope := g.Scope
	if req := ps.get("scope"); req != "" {
		if !validScopeSyntax(req) {
			return nil, errMalformedScope
		}
		if !scopeSubset(req, g.Scope) && !p.rules.refresh.scopeWidening {
			return nil, errRefreshScope
		}
		if p.rules.refresh.narrowingRefused && !sameScope(req, g.Scope) {
			return nil, errRefreshScope
		}
		scope = normalizeScope(req)
		if p.rules.refresh.narrowedScopeSticks && !sameScope(scope, g.Scope) {
			g.Scope = scope
			if err := p.store.SaveGrant(ctx, g); err != nil {
				return nil, storeFailure(err)
			}
		}
	} else if p.rules.refresh.defaultScopeOnOmit {
		scope = p.settings.Scopes.Default
	}

	spec := issueSpec{grant: g, clientID: tr.client.ID, subject: g.Subject, scope: scope, claims: g.Claims, grantType: profile.GrantRefreshToken}
	// Rotation is the settings' choice (RFC 6749 §6): always, for public
	// clients only, or never; without it the same refresh token is
	// returned and nothing can be detected as reused.
	rotate := p.settings.Rotates(tr.client.Public())
	if tr.client.Public() && p.rules.refresh.publicNotRotated {
		rotate = false
	}
	if rotate && p.settings.IssuesRefreshFor(profile.GrantRefreshToken) {
		ok, err := p.store.RetireToken(ctx, rt)
		switch {
		case errors.Is(err, ErrNotFound):
			return nil, errBadRefresh // gone meanwhile (a Reset)
		case err != nil:
			return nil, errServer
		}
		if !ok && !p.rules.refresh.reuseUndetected {
			// Lost a race with a concurrent use of the same token: reuse.
			_ = p.store.RevokeGrant(ctx, g.ID)
			return nil, errBadRefresh
		}
		spec.refresh = true
	} else if p.settings.IssuesRefreshFor(profile.GrantRefreshToken) {
		spec.keepRefresh = rt
	}
	res, err := p.issue(ctx, spec)
	if err != nil {
		return nil, storeFailure(err)
	}
	// OIDC Core §12.2: a new ID token for a grant that was an OpenID
	// Connect authentication, as long as the scope keeps openid.
	if tr.idToken, err = p.idTokenFor(g, scope, res.accessToken, false); err != nil {
		return nil, errServer
	}
	return res, nil
}

// normalizeScope drops repeated values and extra spaces.
func normalizeScope(s string) string {
	var out []string
	for _, v := range strings.Fields(s) {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return strings.Join(out, " ")
}
