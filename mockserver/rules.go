package mockserver

// Rule overrides: the quirks that relax (or tighten) a rule the server
// applies. newRules turns the enabled quirks into the rules struct once, at
// New; each rule's code reads its own switch (p.rules.code.reusable, ...)
// and no handler names a quirk. The zero value of every switch is the
// strict rule, so a provider without quirks has rules{} but for the PKCE
// functions (strictPKCE).
//
// Adding a quirk: declare it and its name in quirks.go; then, if it relaxes
// a rule, give the rule a switch in the struct of its group below and set it
// in newRules (one line), and read it where the rule is applied; if it
// changes a response's shape instead, add it to filterTable (filters.go).
// Last, give it the assertion IDs that must catch it in suites/quirkids
// (quirkids.go), which a test keeps in step with the quirks.

import (
	"crypto/subtle"
	"strings"
)

type rules struct {
	// noLockout: never throttles or locks out repeated wrong client secrets or passwords (no-brute-force-protection).
	noLockout bool
	authz     authzRules
	redirect  redirectRules
	client    clientRules
	token     tokenRules
	code      codeRules
	refresh   refreshRules
	scope     scopeRules
	intro     introRules
	revoke    revokeRules
	resource  resourceRules
	meta      metaRules
	jwt       jwtRules
	access    accessRules
	tls       tlsRules
	pkce      pkceRules
}

// authzRules relax the authorize endpoint (RFC 6749 §4.1, §4.2; RFC 7636 §4.3).
type authzRules struct {
	// cors answers CORS requests at the authorize endpoint (cors-authorize).
	cors bool
	// getNeedsHTML answers 405 to GET authorization requests whose Accept header does not name text/html (a gateway that lets only browsers through) (authorize-get-refused).
	getNeedsHTML bool
	// repeatedParams accepts repeated authorization request parameters (authorize-duplicate-params).
	repeatedParams bool
	// unknownClientRedirect redirects with an error when the client_id is missing or unknown (unknown-client-redirect).
	unknownClientRedirect bool
	// postRefused identifies the client of a POST authorization request, then refuses the valid request with an invalid_request redirect (authorize-post-error-redirect).
	postRefused bool
	// unknownParamRefused rejects unrecognized authorization request parameters with invalid_request (authorize-unknown-param-rejected).
	unknownParamRefused bool
	// responseTypeDefaultsToCode treats an unknown or missing response_type as code (unsupported-response-type-issues-code).
	responseTypeDefaultsToCode bool
	// implicitAsCode answers a response_type=token request as a code request: a code, or an error, in the query (implicit-as-code).
	implicitAsCode bool
	// grantUnchecked issues authorization codes to a client not registered for the authorization_code grant (code-for-unauthorized-client).
	grantUnchecked bool
	// emptyScopeIsValue treats an empty scope parameter of a GET authorization request as a value (invalid_scope) instead of as omitted (authorize-empty-scope-literal).
	emptyScopeIsValue bool
	// login307 answers the login form POST with a 307 redirect (login-307).
	login307 bool
	// denyIgnored issues a code although the user denied consent (deny-issues-code).
	denyIgnored bool
	// stateInvented adds a state of its own to the authorization response when the request carried none (state-invented).
	stateInvented bool
	// stateDroppedOnError drops state from error redirects (state-dropped-on-error).
	stateDroppedOnError bool
	// stateMangled returns state altered (decoded once too often) (state-mangled).
	stateMangled bool
	// errorWithCode adds a code to the access_denied error redirect (error-with-code).
	errorWithCode bool
	// wrongIss adds an RFC 9207 iss parameter naming another issuer to authorization responses (wrong-iss).
	wrongIss bool
	// codeInFragment returns the code in the fragment instead of the query (code-in-fragment).
	codeInFragment bool
	// codeNonVSCHAR issues authorization codes (through the authorize endpoint) with a character outside VSCHAR (non-vschar-code).
	codeNonVSCHAR bool
	// implicitInQuery returns implicit grant tokens in the query instead of the fragment (implicit-in-query).
	implicitInQuery bool
	// implicitErrorInQuery puts implicit grant error responses in the query instead of the fragment (implicit-error-in-query).
	implicitErrorInQuery bool
	// implicitExpiresDecimal writes expires_in of the implicit grant as a decimal ("3600.0") (implicit-expires-in-decimal).
	implicitExpiresDecimal bool
	// implicitRefresh issues a refresh token in the implicit grant (implicit-refresh-token).
	implicitRefresh bool
	// s256RecordedPlain records an S256 code_challenge of the authorize endpoint as plain, so the matching code_verifier is refused at the token endpoint (pkce-s256-as-plain).
	s256RecordedPlain bool
	// challengeOptional issues codes without a code_challenge to clients registered to require PKCE (pkce-challenge-not-required).
	challengeOptional bool
	// challengeMethodUnchecked accepts an unsupported code_challenge_method (pkce-method-ignored).
	challengeMethodUnchecked bool
}

// redirectRules relax redirect URI matching and defaults (RFC 6749 §3.1.2; RFC 8252 §7.3).
type redirectRules struct {
	// firstOfSeveral uses the first registered redirect URI when a client with several omits redirect_uri (multi-redirect-default).
	firstOfSeveral bool
	// alwaysRequired refuses an authorization request without redirect_uri even when the client registered exactly one (redirect-uri-required).
	alwaysRequired bool
	// fallbackRegistered replaces an invalid redirect_uri by the client's single registered one instead of showing an error page (redirect-fallback-registered).
	fallbackRegistered bool
	// queryDropped drops the query component of the registered redirect URI when redirecting (registered-query-dropped).
	queryDropped bool
	// anyAccepted redirects to any redirect_uri, registered or not (open-redirect).
	anyAccepted bool
	// fragmentAccepted accepts a registered redirect URI with a fragment appended, and keeps the fragment (redirect-fragment-accepted).
	fragmentAccepted bool
	// exactLoopbackPort requires the registered port of a loopback redirect URI (no RFC 8252 port variation) (loopback-port-exact).
	exactLoopbackPort bool
	// prefixMatch accepts any redirect_uri that starts with a registered one (prefix-redirect-match).
	prefixMatch bool
	// queryAppended accepts a registered redirect URI with a query appended (matches scheme, authority and path only) (redirect-query-appended).
	queryAppended bool
}

// clientRules relax client authentication (RFC 6749 §2.3, §3.2.1).
type clientRules struct {
	// credentialsInQuery honours client credentials sent in the request URI (credentials-in-query).
	credentialsInQuery bool
	// twoMethods accepts HTTP Basic and client_secret in the body in one request (two-auth-methods).
	twoMethods bool
	// conflictingIDIgnored ignores a body client_id that differs from the Basic user-id (conflicting-client-id).
	conflictingIDIgnored bool
	// secretPostRefused refuses client_secret_post authentication although the profile enables it (and the metadata advertises it) (client-secret-post-rejected).
	secretPostRefused bool
	// secretOptional lets a confidential client authenticate with client_id alone (confidential-without-secret).
	secretOptional bool
	// inferFromCode redeems a public client's code sent without client_id, taking the client from the code (code-client-inferred).
	inferFromCode bool
	// anonymousClientCredentials issues client_credentials tokens to a request without any client authentication (anonymous-client-credentials).
	anonymousClientCredentials bool
	// malformedBasic500 answers a malformed Authorization header with a 500 (malformed-basic-500).
	malformedBasic500 bool
	// lowercaseBasicRefused rejects the auth-scheme "basic" in lower case (lowercase-basic-rejected).
	lowercaseBasicRefused bool
	// basicNotFormDecoded does not form-decode the HTTP Basic user-id and password (basic-not-form-decoded).
	basicNotFormDecoded bool
	// publicClientCredentials lets a public client use the client_credentials grant (public-client-credentials).
	publicClientCredentials bool
	// grantUnchecked lets a client use a grant type it is not registered for (restricted-grant-ignored).
	grantUnchecked bool
	// publicCodeExchangeRefused refuses a public client's code exchange with client_id alone, demanding a secret (inert where every client is public) (public-code-exchange-refused).
	publicCodeExchangeRefused bool
}

// tokenRules relax the token request (RFC 6749 §3.2, §4.3, §4.4).
type tokenRules struct {
	// getAllowed issues tokens for GET requests with parameters in the query (get-token).
	getAllowed bool
	// unknownParamRefused rejects unrecognized token request parameters (unknown-param-rejected).
	unknownParamRefused bool
	// defaultGrantIgnored ignores the dialect's default grant_type: a request without grant_type gets invalid_request (default-grant-ignored).
	defaultGrantIgnored bool
	// missingGrantDefaulted treats a token request without grant_type as client_credentials (merchant-customer's dialect) in profiles that make grant_type required (missing-grant-defaulted).
	missingGrantDefaulted bool
	// charsetRefused rejects a form body whose Content-Type carries a charset parameter (charset-rejected).
	charsetRefused bool
	// emptyScopeIsValue treats an empty scope parameter as a value instead of as omitted (empty-scope-literal).
	emptyScopeIsValue bool
	// jsonBodyRefused refuses application/json token request bodies with invalid_request, where the dialect requires them (json-body-rejected).
	jsonBodyRefused bool
	// repeatedParams accepts repeated token request parameters (the last wins) (duplicate-params).
	repeatedParams bool
	// refreshForClientCredentials issues a refresh token with client_credentials (refresh-for-client-credentials).
	refreshForClientCredentials bool
	// omittedScopeRefused refuses a client_credentials request without scope with invalid_request instead of applying a default or answering invalid_scope (omitted-scope-invalid-request).
	omittedScopeRefused bool
	// omittedScopeGrantsAll grants every scope the client may have, instead of the documented default, to a client_credentials request without scope (omitted-scope-grants-all).
	omittedScopeGrantsAll bool
	// missingCredentialsInvalidGrant answers invalid_grant instead of invalid_request when username or password is missing (missing-credentials-invalid-grant).
	missingCredentialsInvalidGrant bool
	// correctPasswordRefused refuses the password grant with invalid_grant even for the correct resource owner credentials (correct-password-rejected).
	correctPasswordRefused bool
	// wrongPasswordAccepted issues tokens for a wrong resource owner password (wrong-password-accepted).
	wrongPasswordAccepted bool
}

// codeRules relax the authorization code grant at the token endpoint (RFC 6749 §4.1.3).
type codeRules struct {
	// missingInvalidGrant answers invalid_grant instead of invalid_request when the code parameter is missing (missing-code-invalid-grant).
	missingInvalidGrant bool
	// refreshAccepted accepts a refresh token as an authorization code (token-type-confusion).
	refreshAccepted bool
	// unknownInvalidRequest answers invalid_request instead of invalid_grant for an unknown authorization code (unknown-code-invalid-request).
	unknownInvalidRequest bool
	// reusable lets an authorization code be redeemed more than once (reusable-codes).
	reusable bool
	// reuseKeepsTokens rejects a reused code but leaves the tokens of its first redemption valid (no-reuse-revocation).
	reuseKeepsTokens bool
	// neverExpires accepts authorization codes past their lifetime (code-never-expires).
	neverExpires bool
	// unbound redeems a code for a client other than the one it was issued to (code-not-bound-to-client).
	unbound bool
	// redirectUnchecked does not compare redirect_uri at the token endpoint with the one of the authorization request (redirect-uri-unchecked).
	redirectUnchecked bool
	// redirectAlwaysRequired refuses a code exchange without redirect_uri even when the authorization request had none (RFC 6749 allows it) (redirect-uri-always-required).
	redirectAlwaysRequired bool
	// redirectOptional accepts a code exchange without the redirect_uri the authorization request carried (redirect-uri-optional).
	redirectOptional bool
}

// refreshRules relax the refresh token grant (RFC 6749 §6; RFC 9700 §4.14).
type refreshRules struct {
	// missingInvalidGrant answers invalid_grant instead of invalid_request when the refresh_token parameter is missing (missing-refresh-token-invalid-grant).
	missingInvalidGrant bool
	// unknownInvalidRequest answers invalid_request instead of invalid_grant for an unknown refresh token (unknown-refresh-token-invalid-request).
	unknownInvalidRequest bool
	// unbound refreshes a token for a client other than the one it was issued to (refresh-not-bound-to-client).
	unbound bool
	// reuseUndetected keeps accepting a rotated-out refresh token and revokes nothing on its reuse (refresh-reuse-undetected).
	reuseUndetected bool
	// reuseNoRevocation refuses a replayed rotated-out refresh token but leaves the active refresh token of its grant valid (refresh-reuse-no-revocation).
	reuseNoRevocation bool
	// scopeWidening grants scope beyond the original grant on refresh (refresh-scope-widening).
	scopeWidening bool
	// narrowingRefused refuses a refresh that asks for a narrower scope than the grant (invalid_scope) (refresh-narrowing-refused).
	narrowingRefused bool
	// narrowedScopeSticks makes a narrowed refresh shrink the grant, so later refreshes without scope get the narrowed scope (refresh-narrowed-scope-sticks).
	narrowedScopeSticks bool
	// defaultScopeOnOmit grants the default scope instead of the original one when a refresh omits scope (refresh-scope-empty-on-omit).
	defaultScopeOnOmit bool
	// publicNotRotated does not rotate refresh tokens of public clients (refresh-no-rotation).
	publicNotRotated bool
	// sameAccessToken answers a refresh with the grant's earlier, still valid access token instead of a new one (refresh-same-access-token).
	sameAccessToken bool
}

// scopeRules relax scope (RFC 6749 §3.3).
type scopeRules struct {
	// malformedAccepted grants a scope value with characters outside the RFC 6749 Section 3.3 scope-token set (a double quote or backslash) (malformed-scope-accepted).
	malformedAccepted bool
	// unknownGranted grants scope values it does not know (unknown-scope-granted).
	unknownGranted bool
	// unknownSilentlyDropped drops an unknown scope value silently where the settings refuse it, and omits scope from the token response (scope-not-reported, whose filter does the latter).
	unknownSilentlyDropped bool
	// orderMatters rejects scope values that are not in the server's own order (scope-order-matters).
	orderMatters bool
}

// introRules relax introspection (RFC 7662).
type introRules struct {
	// noAuth answers introspection requests without any client authentication (introspection-no-auth).
	noAuth bool
	// ignoresRevocation reports revoked tokens (and tokens of revoked grants) as active (introspection-ignores-revocation).
	ignoresRevocation bool
	// inactiveReason adds a reason member to the answer for inactive tokens (introspection-inactive-details).
	inactiveReason bool
}

// revokeRules relax revocation (RFC 7009).
type revokeRules struct {
	// keepsRefresh answers 200 to the revocation of a refresh token but leaves it and its grant valid (revocation-keeps-refresh).
	keepsRefresh bool
	// unknown400 answers 400 instead of 200 to the revocation of an unknown or invalid token (revocation-unknown-400).
	unknown400 bool
	// noClientAuth revokes tokens for requests whose client authentication is missing or fails (revocation-no-client-auth).
	noClientAuth bool
	// crossClient revokes a token issued to another client (revocation-cross-client).
	crossClient bool
	// hintTrusted searches only the token type that token_type_hint names, and refuses an unknown hint with unsupported_token_type (revocation-hint-trusted).
	hintTrusted bool
}

// resourceRules relax the protected resources (RFC 6750).
type resourceRules struct {
	// acceptsRevoked the protected resource accepts revoked access tokens (resource-accepts-revoked).
	acceptsRevoked bool
	// scopeUnchecked the scope-gated API accepts a token whose scope the endpoint does not allow (merchant-customer: a customer token on a merchant-only endpoint) (customer-token-accepted).
	scopeUnchecked bool
	// defaultScopeOnly the scope-gated API accepts only the default (merchant) scope everywhere, refusing customer tokens on the customer-facing endpoints (customer-endpoints-merchant-only).
	defaultScopeOnly bool
	// narrowScopeOnly the customer-facing endpoints of the scope-gated API accept only customer tokens, refusing merchant tokens that the seed makes valid everywhere (customer-endpoints-customer-only).
	narrowScopeOnly bool
	// pathClientUnchecked the scope-gated API serves /client-id/{client_id}/... to a token of another client (path-client-id-unchecked).
	pathClientUnchecked bool
}

// metaRules relax metadata (RFC 8414).
type metaRules struct {
	// issuerMismatch serves metadata whose issuer is not the issuer identifier (a path /other-tenant added, where no metadata is served) (metadata-issuer-mismatch).
	issuerMismatch bool
	// emptyArrays serves metadata with zero-element arrays instead of omitting them (metadata-empty-arrays).
	emptyArrays bool
	// unsupportedGrant advertises a grant type in grant_types_supported that the token endpoint does not support (metadata-unsupported-grant).
	unsupportedGrant bool
	// noS256 advertises code_challenge_methods_supported with plain only (no S256) (metadata-no-s256).
	noS256 bool
	// omitsRefresh leaves refresh_token out of grant_types_supported although the token endpoint offers it (metadata is evidence, not a gate: its checks still run) (metadata-omits-grant).
	omitsRefresh bool
	// httpEndpoints advertises its endpoint URLs (each *_endpoint and jwks_uri) with http:// although the issuer is https, as behind a TLS-terminating proxy; needs a server with TLS (metadata-http-endpoints).
	httpEndpoints bool
}

// jwtRules relax JWT access tokens (RFC 9068).
type jwtRules struct {
	// typJWT signs access tokens with the JWS typ "JWT" instead of at+jwt (jwt-typ-jwt).
	typJWT bool
	// algNone issues unsigned access tokens (alg "none") (jwt-alg-none).
	algNone bool
	// noIDClaims leaves the jti and client_id claims out of JWT access tokens (jwt-missing-claims).
	noIDClaims bool
	// noScope leaves the scope claim out of JWT access tokens (jwt-no-scope-claim).
	noScope bool
	// halfExp sets the JWT exp claim to half the lifetime that expires_in announces (the server still honours expires_in) (jwt-exp-mismatch).
	halfExp bool
}

// accessRules relax every access token (RFC 6749 §10.10, App. A.12).
type accessRules struct {
	// sequential issues short, sequential access tokens (on a JWT profile, not JWTs) (guessable-tokens).
	sequential bool
	// nonVSCHAR issues access tokens with characters outside VSCHAR (on a JWT profile, no longer a JWS) (non-vschar-token).
	nonVSCHAR bool
}

// tlsRules relax the transport (RFC 6749 §1.6, BCP 195).
type tlsRules struct {
	// legacyVersions accepts TLS 1.0 and 1.1 handshakes (BCP 195 deprecates them; a WARN of TOK-GEN-002); needs a server with TLS (tls-legacy-versions).
	legacyVersions bool
	// wrongHostCert serves a certificate issued for FixtureWrongHostName only (tls-wrong-host-cert).
	wrongHostCert bool
	// plainHTTPToo also answers plain HTTP on its HTTPS port (the token and authorize endpoints work without TLS); needs a server with TLS (plain-http-too).
	plainHTTPToo bool
}

func newRules(q quirkSet) rules {
	r := rules{pkce: strictPKCE()}
	r.noLockout = q.has(QuirkNoBruteForceProtection)
	r.authz.cors = q.has(QuirkCORSAuthorize)
	r.authz.getNeedsHTML = q.has(QuirkAuthorizeGetRefused)
	r.authz.repeatedParams = q.has(QuirkAuthorizeDuplicateParams)
	r.authz.unknownClientRedirect = q.has(QuirkUnknownClientRedirect)
	r.authz.postRefused = q.has(QuirkAuthorizePOSTErrorRedirect)
	r.authz.unknownParamRefused = q.has(QuirkAuthorizeUnknownParamRejected)
	r.authz.responseTypeDefaultsToCode = q.has(QuirkUnsupportedResponseTypeIssuesCode)
	r.authz.implicitAsCode = q.has(QuirkImplicitAsCode)
	r.authz.grantUnchecked = q.has(QuirkCodeForUnauthorizedClient)
	r.authz.emptyScopeIsValue = q.has(QuirkAuthorizeEmptyScopeLiteral)
	r.authz.login307 = q.has(QuirkLogin307)
	r.authz.denyIgnored = q.has(QuirkDenyIssuesCode)
	r.authz.stateInvented = q.has(QuirkStateInvented)
	r.authz.stateDroppedOnError = q.has(QuirkStateDroppedOnError)
	r.authz.stateMangled = q.has(QuirkStateMangled)
	r.authz.errorWithCode = q.has(QuirkErrorWithCode)
	r.authz.wrongIss = q.has(QuirkWrongIss)
	r.authz.codeInFragment = q.has(QuirkCodeInFragment)
	r.authz.codeNonVSCHAR = q.has(QuirkNonVSCHARCode)
	r.authz.implicitInQuery = q.has(QuirkImplicitInQuery)
	r.authz.implicitErrorInQuery = q.has(QuirkImplicitErrorInQuery)
	r.authz.implicitExpiresDecimal = q.has(QuirkImplicitExpiresInDecimal)
	r.authz.implicitRefresh = q.has(QuirkImplicitRefreshToken)
	r.authz.s256RecordedPlain = q.has(QuirkPKCES256AsPlain)
	r.authz.challengeOptional = q.has(QuirkPKCEChallengeNotRequired)
	r.authz.challengeMethodUnchecked = q.has(QuirkAuthorizePKCEMethodIgnored)
	r.redirect.firstOfSeveral = q.has(QuirkMultiRedirectDefault)
	r.redirect.alwaysRequired = q.has(QuirkRedirectURIRequired)
	r.redirect.fallbackRegistered = q.has(QuirkRedirectFallbackRegistered)
	r.redirect.queryDropped = q.has(QuirkRegisteredQueryDropped)
	r.redirect.anyAccepted = q.has(QuirkOpenRedirect)
	r.redirect.fragmentAccepted = q.has(QuirkRedirectFragmentAccepted)
	r.redirect.exactLoopbackPort = q.has(QuirkLoopbackPortExact)
	r.redirect.prefixMatch = q.has(QuirkPrefixRedirectMatch)
	r.redirect.queryAppended = q.has(QuirkRedirectQueryAppended)
	r.client.credentialsInQuery = q.has(QuirkCredentialsInQuery)
	r.client.twoMethods = q.has(QuirkTwoAuthMethods)
	r.client.conflictingIDIgnored = q.has(QuirkConflictingClientID)
	r.client.secretPostRefused = q.has(QuirkSecretPostRejected)
	r.client.secretOptional = q.has(QuirkConfidentialWithoutSecret)
	r.client.inferFromCode = q.has(QuirkCodeClientInferred)
	r.client.anonymousClientCredentials = q.has(QuirkAnonymousClientCredentials)
	r.client.malformedBasic500 = q.has(QuirkMalformedBasic500)
	r.client.lowercaseBasicRefused = q.has(QuirkLowercaseBasicRejected)
	r.client.basicNotFormDecoded = q.has(QuirkBasicNotFormDecoded)
	r.client.publicClientCredentials = q.has(QuirkPublicClientCredentials)
	r.client.grantUnchecked = q.has(QuirkRestrictedGrantIgnored)
	r.client.publicCodeExchangeRefused = q.has(QuirkPublicCodeExchangeRefused)
	r.token.getAllowed = q.has(QuirkGetToken)
	r.token.unknownParamRefused = q.has(QuirkUnknownParamRejected)
	r.token.defaultGrantIgnored = q.has(QuirkDefaultGrantIgnored)
	r.token.missingGrantDefaulted = q.has(QuirkMissingGrantDefaulted)
	r.token.charsetRefused = q.has(QuirkCharsetRejected)
	r.token.emptyScopeIsValue = q.has(QuirkEmptyScopeLiteral)
	r.token.jsonBodyRefused = q.has(QuirkJSONBodyRejected)
	r.token.repeatedParams = q.has(QuirkDuplicateParams)
	r.token.refreshForClientCredentials = q.has(QuirkRefreshTokenForClientCredentials)
	r.token.omittedScopeRefused = q.has(QuirkOmittedScopeInvalidRequest)
	r.token.omittedScopeGrantsAll = q.has(QuirkOmittedScopeGrantsAll)
	r.token.missingCredentialsInvalidGrant = q.has(QuirkMissingCredentialsInvalidGrant)
	r.token.correctPasswordRefused = q.has(QuirkCorrectPasswordRejected)
	r.token.wrongPasswordAccepted = q.has(QuirkWrongPasswordAccepted)
	r.code.missingInvalidGrant = q.has(QuirkMissingCodeInvalidGrant)
	r.code.refreshAccepted = q.has(QuirkTokenTypeConfusion)
	r.code.unknownInvalidRequest = q.has(QuirkUnknownCodeInvalidRequest)
	r.code.reusable = q.has(QuirkReusableCodes)
	r.code.reuseKeepsTokens = q.has(QuirkNoReuseRevocation)
	r.code.neverExpires = q.has(QuirkCodeNeverExpires)
	r.code.unbound = q.has(QuirkCodeNotBoundToClient)
	r.code.redirectUnchecked = q.has(QuirkRedirectURIUnchecked)
	r.code.redirectAlwaysRequired = q.has(QuirkRedirectURIAlwaysRequired)
	r.code.redirectOptional = q.has(QuirkRedirectURIOptional)
	r.refresh.missingInvalidGrant = q.has(QuirkMissingRefreshInvalidGrant)
	r.refresh.unknownInvalidRequest = q.has(QuirkUnknownRefreshInvalidRequest)
	r.refresh.unbound = q.has(QuirkRefreshNotBoundToClient)
	r.refresh.reuseUndetected = q.has(QuirkRefreshReuseUndetected)
	r.refresh.reuseNoRevocation = q.has(QuirkRefreshReuseNoRevocation)
	r.refresh.scopeWidening = q.has(QuirkRefreshScopeWidening)
	r.refresh.narrowingRefused = q.has(QuirkRefreshNarrowingRefused)
	r.refresh.narrowedScopeSticks = q.has(QuirkRefreshNarrowedScopeSticks)
	r.refresh.defaultScopeOnOmit = q.has(QuirkRefreshScopeEmptyOnOmit)
	r.refresh.publicNotRotated = q.has(QuirkRefreshNoRotation)
	r.refresh.sameAccessToken = q.has(QuirkRefreshSameAccessToken)
	r.scope.malformedAccepted = q.has(QuirkMalformedScopeAccepted)
	r.scope.unknownGranted = q.has(QuirkUnknownScopeGranted)
	r.scope.unknownSilentlyDropped = q.has(QuirkScopeNotReported)
	r.scope.orderMatters = q.has(QuirkScopeOrderMatters)
	r.intro.noAuth = q.has(QuirkIntrospectionNoAuth)
	r.intro.ignoresRevocation = q.has(QuirkIntrospectionIgnoresRevocation)
	r.intro.inactiveReason = q.has(QuirkIntrospectionInactiveDetails)
	r.revoke.keepsRefresh = q.has(QuirkRevocationKeepsRefresh)
	r.revoke.unknown400 = q.has(QuirkRevocationUnknown400)
	r.revoke.noClientAuth = q.has(QuirkRevocationNoClientAuth)
	r.revoke.crossClient = q.has(QuirkRevocationCrossClient)
	r.revoke.hintTrusted = q.has(QuirkRevocationHintTrusted)
	r.resource.acceptsRevoked = q.has(QuirkResourceAcceptsRevoked)
	r.resource.scopeUnchecked = q.has(QuirkCustomerTokenAccepted)
	r.resource.defaultScopeOnly = q.has(QuirkCustomerEndpointsMerchantOnly)
	r.resource.narrowScopeOnly = q.has(QuirkCustomerEndpointsCustomerOnly)
	r.resource.pathClientUnchecked = q.has(QuirkPathClientIDUnchecked)
	r.meta.issuerMismatch = q.has(QuirkMetadataIssuerMismatch)
	r.meta.emptyArrays = q.has(QuirkMetadataEmptyArrays)
	r.meta.unsupportedGrant = q.has(QuirkMetadataUnsupportedGrant)
	r.meta.noS256 = q.has(QuirkMetadataNoS256)
	r.meta.omitsRefresh = q.has(QuirkMetadataOmitsGrant)
	r.meta.httpEndpoints = q.has(QuirkMetadataHTTPEndpoints)
	r.jwt.typJWT = q.has(QuirkJWTTypJWT)
	r.jwt.algNone = q.has(QuirkJWTAlgNone)
	r.jwt.noIDClaims = q.has(QuirkJWTMissingClaims)
	r.jwt.noScope = q.has(QuirkJWTNoScope)
	r.jwt.halfExp = q.has(QuirkJWTExpMismatch)
	r.access.sequential = q.has(QuirkGuessableTokens)
	r.access.nonVSCHAR = q.has(QuirkNonVSCHARToken)
	r.tls.legacyVersions = q.has(QuirkTLSLegacyVersions)
	r.tls.wrongHostCert = q.has(QuirkTLSWrongHostCert)
	r.tls.plainHTTPToo = q.has(QuirkPlainHTTPToo)
	r.pkce.relax(q)
	return r
}

// pkceRules are RFC 7636 §4.6 and RFC 9700 §4.8.2 at the token endpoint
// (checkVerifier).
type pkceRules struct {
	// downgradeAllowed accepts a code_verifier for a code issued without a
	// code_challenge (pkce-downgrade).
	downgradeAllowed bool
	// verifierAlwaysRequired wants a code_verifier even for a code issued
	// without a code_challenge (verifier-always-required).
	verifierAlwaysRequired bool
	// verifierOptional redeems a code issued with a code_challenge without
	// any code_verifier (pkce-verifier-optional).
	verifierOptional bool
	// verifierSyntax is RFC 7636 §4.1's syntax of a code_verifier:
	// validVerifier, loosened by pkce-verifier-syntax-unchecked and
	// pkce-wrong-verifier, narrowed by pkce-verifier-base64url-only.
	verifierSyntax func(verifier string) bool
	// verifierCompare says whether a verifier proves the code's challenge:
	// verifierMatches, but for pkce-wrong-verifier (anything),
	// pkce-plain-compare (an S256 challenge also compared as plain) and
	// pkce-plain-broken (a plain challenge compared as S256).
	verifierCompare func(c *Code, verifier string) bool
}

func strictPKCE() pkceRules {
	return pkceRules{verifierSyntax: validVerifier, verifierCompare: verifierMatches}
}

func (pk *pkceRules) relax(q quirkSet) {
	pk.downgradeAllowed = q.has(QuirkPKCEDowngrade)
	pk.verifierAlwaysRequired = q.has(QuirkVerifierAlwaysRequired)
	pk.verifierOptional = q.has(QuirkPKCEVerifierOptional)
	if q.has(QuirkPKCEVerifierSyntaxUnchecked) {
		pk.verifierSyntax = func(string) bool { return true }
	}
	if q.has(QuirkPKCEVerifierBase64URLOnly) {
		syntax := pk.verifierSyntax
		pk.verifierSyntax = func(v string) bool { return syntax(v) && !strings.ContainsAny(v, ".~") }
	}
	plainCompare, plainBroken := q.has(QuirkPKCEPlainCompare), q.has(QuirkPKCEPlainBroken)
	if plainCompare || plainBroken {
		pk.verifierCompare = func(c *Code, v string) bool {
			if c.CodeChallengeMethod == "S256" && plainCompare && v == c.CodeChallenge {
				return true // falls back to a plain comparison
			}
			computed := v
			if c.CodeChallengeMethod == "S256" || c.CodeChallengeMethod == "plain" && plainBroken {
				computed = pkceS256(v)
			}
			return subtle.ConstantTimeCompare([]byte(computed), []byte(c.CodeChallenge)) == 1
		}
	}
	if q.has(QuirkPKCEWrongVerifierAccepted) {
		pk.verifierSyntax = func(string) bool { return true }
		pk.verifierCompare = func(*Code, string) bool { return true }
	}
}
