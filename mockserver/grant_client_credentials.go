package mockserver

import (
	"context"
	"strings"

	"github.com/oauthconform/oauthconform/profile"
)

// anonymousClient stands for a client_credentials request that carried no
// client authentication at all (the anonymous-client-credentials quirk).
var anonymousClient = &registeredClient{Client: &profile.Client{ID: "anonymous", Secret: "anonymous"}}

// grantClientCredentials is RFC 6749 §4.4.
func (p *Provider) grantClientCredentials(ctx context.Context, tr *tokenRequest) (*issued, *oauthError) {
	c := tr.client
	if c.Public() && !p.rules.client.publicClientCredentials {
		// §4.4: "MUST only be used by confidential clients". Which error is
		// the settings' choice: unauthorized_client (§5.2: the client is
		// not authorized for the grant type) or invalid_client (it cannot
		// authenticate as the grant requires).
		const desc = "Public clients may not use the client_credentials grant."
		if p.settings.PublicClientCredentialsError == errInvalidClient {
			return nil, p.invalidClient(desc, tr.method == profile.AuthBasic)
		}
		return nil, newError(errUnauthorizedClient, desc)
	}
	requested := tr.params.get("scope")
	if requested == "" && p.rules.token.omittedScopeRefused {
		return nil, newError(errInvalidRequest, "The scope parameter is required.")
	}
	if requested == "" && p.rules.token.omittedScopeGrantsAll {
		requested = strings.Join(p.allowedScopes(c.Client), " ")
	}
	scope, oerr := p.grantScope(c.Client, requested, tr.params.has("scope"))
	if oerr != nil {
		return nil, oerr
	}
	spec := issueSpec{clientID: c.ID, subject: c.ID, scope: scope, claims: c.AccessTokenClaims, grantType: profile.GrantClientCredentials}
	// §4.4.3: a refresh token SHOULD NOT be included, unless the dialect
	// demands one (merchant-customer).
	return p.issueRefreshable(ctx, spec, p.settings.IssuesRefreshFor(profile.GrantClientCredentials) || p.rules.token.refreshForClientCredentials)
}
