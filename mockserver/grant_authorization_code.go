package mockserver

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"

	"github.com/oauthconform/oauthconform/profile"
)

var (
	errMissingCode      = newError(errInvalidRequest, "The code parameter is required.")
	errBadCode          = newError(errInvalidGrant, "The authorization code is invalid, expired or already used.")
	errCodeClient       = newError(errInvalidGrant, "The authorization code was issued to another client.")
	errRedirectMismatch = newError(errInvalidGrant, "The redirect_uri does not match the one of the authorization request.")
	errRedirectMissing  = newError(errInvalidRequest, "The redirect_uri parameter is required: the authorization request carried one.")
	errOOBRedirect      = newError(errInvalidRequest, "The redirect_uri must be the out-of-band URI.")
	errRedirectRequired = newError(errInvalidRequest, "The redirect_uri parameter is required.")
	errMalformedCode    = newError(errInvalidRequest, "The code parameter is malformed.")
	errVerifierMissing  = newError(errInvalidGrant, "The code_verifier is required for this code (RFC 7636 Section 4.5).")
	errVerifierWrong    = newError(errInvalidGrant, "The code_verifier does not match the code_challenge (RFC 7636 Section 4.6).")
	errVerifierUnwanted = newError(errInvalidGrant, "A code_verifier was sent for a code issued without a code_challenge (RFC 9700 Section 4.8.2).")
)

// grantAuthorizationCode is RFC 6749 §4.1.3 with RFC 7636 §4.6.
func (p *Provider) grantAuthorizationCode(ctx context.Context, tr *tokenRequest) (*issued, *oauthError) {
	ps := tr.params
	if p.rules.client.publicCodeExchangeRefused && tr.client.Public() &&
		(p.settings.HasAuthMethod(profile.AuthBasic) || p.settings.HasAuthMethod(profile.AuthPost)) {
		return nil, p.invalidClient("Client authentication failed: a client secret is required.", false)
	}
	code := ps.get("code")
	if code == "" {
		if p.rules.code.missingInvalidGrant {
			return nil, errBadCode
		}
		return nil, errMissingCode
	}
	if oerr := p.checkOOBRedirect(ps); oerr != nil {
		return nil, oerr
	}
	c, first, err := p.store.RedeemCode(ctx, code)
	if errors.Is(err, ErrNotFound) {
		if p.rules.code.refreshAccepted {
			return p.redeemConfused(ctx, tr, code)
		}
		if p.rules.code.unknownInvalidRequest {
			return nil, errMalformedCode
		}
		return nil, errBadCode
	}
	if err != nil {
		return nil, errServer
	}
	if !first && !p.rules.code.reusable {
		// RFC 6749 §4.1.2: deny, and revoke the tokens of the first redemption.
		if !p.rules.code.reuseKeepsTokens {
			_ = p.store.RevokeGrant(ctx, c.GrantID)
		}
		return nil, errBadCode
	}
	if p.clock.Now().After(c.ExpiresAt) && !p.rules.code.neverExpires {
		return nil, errBadCode
	}
	if tr.client == unidentifiedClient { // code-client-inferred quirk
		if rc := p.client(c.ClientID); rc != nil && rc.Public() {
			tr.client = rc
		}
	}
	if c.ClientID != tr.client.ID && !p.rules.code.unbound {
		return nil, errCodeClient
	}
	redirect := ps.get("redirect_uri")
	switch {
	case p.rules.code.redirectUnchecked && redirect != "":
	case p.rules.code.redirectAlwaysRequired && redirect == "":
		return nil, errRedirectRequired
	case c.RedirectURISent && redirect == "":
		if !p.rules.code.redirectOptional {
			return nil, errRedirectMissing
		}
	case redirect != "" && redirect != c.RedirectURI:
		return nil, errRedirectMismatch
	}
	if oerr := p.checkVerifier(c, ps.get("code_verifier")); oerr != nil {
		return nil, oerr
	}
	g, err := p.store.Grant(ctx, c.GrantID)
	if err != nil || g.Revoked {
		return nil, errBadCode
	}
	spec := issueSpec{grant: g, clientID: tr.client.ID, subject: g.Subject, scope: g.Scope, claims: g.Claims,
		grantType: profile.GrantAuthorizationCode, refresh: p.settings.IssuesRefreshFor(profile.GrantAuthorizationCode)}
	res, err := p.issue(ctx, spec)
	if err != nil {
		return nil, storeFailure(err)
	}
	if tr.idToken, err = p.idTokenFor(g, g.Scope, res.accessToken, true); err != nil {
		return nil, errServer
	}
	return res, nil
}

// checkOOBRedirect enforces the out-of-band dialect's fixed redirect_uri,
// required on every token request of seed 002.
func (p *Provider) checkOOBRedirect(ps *params) *oauthError {
	oob := p.settings.Authorize.OOBRedirectURI
	if oob == "" {
		return nil
	}
	if ps.get("redirect_uri") != oob {
		return errOOBRedirect
	}
	return nil
}

// checkVerifier applies RFC 7636 §4.6 and the RFC 9700 §4.8.2 downgrade rule.
func (p *Provider) checkVerifier(c *Code, verifier string) *oauthError {
	pk := &p.rules.pkce
	if c.CodeChallenge == "" {
		if verifier != "" && !pk.downgradeAllowed {
			return errVerifierUnwanted
		}
		if verifier == "" && pk.verifierAlwaysRequired {
			return errVerifierMissing
		}
		return nil
	}
	if verifier == "" {
		if pk.verifierOptional {
			return nil
		}
		return errVerifierMissing
	}
	if !pk.verifierSyntax(verifier) || !pk.verifierCompare(c, verifier) {
		return errVerifierWrong
	}
	return nil
}

// verifierMatches is RFC 7636 §4.6: the verifier, transformed by the code's
// method, equals the challenge (in constant time).
func verifierMatches(c *Code, verifier string) bool {
	computed := verifier
	if c.CodeChallengeMethod == "S256" {
		computed = pkceS256(verifier)
	}
	return subtle.ConstantTimeCompare([]byte(computed), []byte(c.CodeChallenge)) == 1
}

// validVerifier checks RFC 7636 §4.1: 43 to 128 unreserved characters.
func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	return true
}

// redeemConfused serves the token-type-confusion quirk: a refresh token
// presented as a code is accepted.
func (p *Provider) redeemConfused(ctx context.Context, tr *tokenRequest, code string) (*issued, *oauthError) {
	t, err := p.store.Token(ctx, code)
	if err != nil {
		return nil, errBadCode
	}
	g, err := p.store.Grant(ctx, t.GrantID)
	if err != nil {
		return nil, errBadCode
	}
	res, err := p.issue(ctx, issueSpec{grant: g, clientID: tr.client.ID, subject: g.Subject, scope: g.Scope, claims: g.Claims})
	if err != nil {
		return nil, storeFailure(err)
	}
	return res, nil
}

// pkceS256 computes the RFC 7636 §4.2 S256 challenge of a verifier.
func pkceS256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
