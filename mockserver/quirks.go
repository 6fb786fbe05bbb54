package mockserver

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Quirk is a fault-injection switch: each breaks exactly one rule of the
// assertion catalogue (docs/CATALOGUE.md), so that the suites can be shown
// to catch it.
//
// Adding a quirk: a constant below and its entry in quirkTable (name and
// what it breaks); then what it does, in one place: a response filter in
// filterTable (filters.go) if it changes a response's shape, else a rule
// switch set in newRules (rules.go) and read where the rule is applied.
// The assertion IDs that must catch it go to suites/quirkids.
type Quirk int

// The quirks. Keep quirkTable below in step.
const (
	QuirkNoCacheControl Quirk = iota
	QuirkNoPragma
	QuirkBasic400
	QuirkNoWWWAuthenticate
	QuirkExpiresInString
	QuirkReusableCodes
	QuirkNoReuseRevocation
	QuirkRedirectURIUnchecked
	QuirkRedirectURIOptional
	QuirkDuplicateParams
	QuirkGetToken
	QuirkBasicNotFormDecoded
	QuirkTwoAuthMethods
	QuirkConflictingClientID
	QuirkTextPlainToken
	QuirkErrorTextPlain
	QuirkErrorStatus200
	QuirkNonASCIIErrorDescription
	QuirkUnsupportedGrantAsInvalidRequest
	QuirkMissingGrantUnsupported
	QuirkScopeNotReported
	QuirkUnknownScopeGranted
	QuirkEmptyScopeLiteral
	QuirkScopeOrderMatters
	QuirkCodeNotBoundToClient
	QuirkCodeNeverExpires
	QuirkPKCEWrongVerifierAccepted
	QuirkPKCEVerifierOptional
	QuirkPKCEDowngrade
	QuirkPKCEPlainCompare
	QuirkRefreshNotBoundToClient
	QuirkRefreshScopeWidening
	QuirkRefreshScopeEmptyOnOmit
	QuirkRefreshNoRotation
	QuirkRefreshReuseUndetected
	QuirkRefreshTokenForClientCredentials
	QuirkConfidentialWithoutSecret
	QuirkPublicClientCredentials
	QuirkRestrictedGrantIgnored
	QuirkWrongPasswordAccepted
	QuirkCredentialsInQuery
	QuirkCharsetRejected
	QuirkUnknownParamRejected
	QuirkLowercaseBasicRejected
	QuirkMalformedBasic500
	QuirkDuplicateJSONMembers
	QuirkTokenTypeMAC
	QuirkNonVSCHARToken
	QuirkTokenTypeConfusion
	QuirkTokenStatus201
	QuirkGuessableTokens
	QuirkExtraResponseMember
	QuirkMissingTokenType
	QuirkNoBruteForceProtection
	// Authorization code and PKCE at the token endpoint (TOK-AC, TOK-PKCE).
	QuirkVerifierAlwaysRequired
	QuirkMissingCodeInvalidGrant
	QuirkUnknownCodeInvalidRequest
	QuirkRedirectURIAlwaysRequired
	QuirkCodeClientInferred
	QuirkPKCEVerifierBase64URLOnly
	QuirkPKCEPlainBroken
	QuirkPKCEVerifierSyntaxUnchecked
	// Request encoding, client authentication, errors (TOK-GEN, TOK-AUTH, TOK-ERR).
	QuirkFormUnlessAcceptJSON
	QuirkSecretPostRejected
	QuirkPublicCodeExchangeRefused
	QuirkErrorEchoesInput
	QuirkBadErrorURI
	QuirkMissingGrantDefaulted
	QuirkJSONBodyRejected
	QuirkDefaultGrantIgnored
	// client_credentials, password and refresh_token grants (TOK-CC, TOK-PW, TOK-RT).
	QuirkAnonymousClientCredentials
	QuirkMalformedScopeAccepted
	QuirkOmittedScopeGrantsAll
	QuirkOmittedScopeInvalidRequest
	QuirkCorrectPasswordRejected
	QuirkMissingCredentialsInvalidGrant
	QuirkRefreshSameAccessToken
	QuirkMissingRefreshInvalidGrant
	QuirkUnknownRefreshInvalidRequest
	QuirkRefreshNarrowingRefused
	QuirkRefreshNarrowedScopeSticks
	QuirkRefreshReuseNoRevocation
	// Authorize endpoint.
	QuirkStateDroppedOnError
	QuirkStateMangled
	QuirkOpenRedirect
	QuirkPrefixRedirectMatch
	QuirkUnknownClientRedirect
	QuirkCodeInFragment
	QuirkImplicitInQuery
	QuirkImplicitRefreshToken
	QuirkCORSAuthorize
	QuirkNoFrameProtection
	QuirkLogin307
	QuirkAuthorizeDuplicateParams
	QuirkUnsupportedResponseTypeIssuesCode
	QuirkAuthorizePKCEMethodIgnored
	QuirkDenyIssuesCode
	QuirkAuthorizeGetRefused
	QuirkAuthorizePOSTErrorRedirect
	QuirkAuthorizeUnknownParamRejected
	QuirkAuthorizeEmptyScopeLiteral
	QuirkRegisteredQueryDropped
	QuirkRedirectQueryAppended
	QuirkRedirectFragmentAccepted
	QuirkRedirectFallbackRegistered
	QuirkMultiRedirectDefault
	QuirkRedirectURIRequired
	QuirkLoopbackPortExact
	// Authorize endpoint responses (AUTHZ-RESP, AUTHZ-ERR, AUTHZ-IMP, AUTHZ-PKCE).
	QuirkStateInvented
	QuirkNonVSCHARCode
	QuirkWrongIss
	QuirkErrorWithCode
	QuirkCodeForUnauthorizedClient
	QuirkImplicitAsCode
	QuirkImplicitErrorInQuery
	QuirkImplicitExpiresInDecimal
	QuirkPKCES256AsPlain
	QuirkPKCEChallengeNotRequired
	// Metadata, revocation, introspection, JWT access tokens and protected
	// resources (META, REV, INTR, JWT, BEAR).
	QuirkMetadataIssuerMismatch
	QuirkMetadataEmptyArrays
	QuirkMetadataUnsupportedGrant
	QuirkMetadataNoS256
	QuirkMetadataOmitsGrant
	QuirkRevocationKeepsRefresh
	QuirkRevocationUnknown400
	QuirkRevocationNoClientAuth
	QuirkRevocationCrossClient
	QuirkRevocationHintTrusted
	QuirkIntrospectionNoAuth
	QuirkIntrospectionActiveString
	QuirkIntrospectionIgnoresRevocation
	QuirkIntrospectionInactiveDetails
	QuirkIntrospectionScopeMismatch
	QuirkJWTTypJWT
	QuirkJWTAlgNone
	QuirkJWTMissingClaims
	QuirkJWTNoScope
	QuirkJWTExpMismatch
	QuirkResourceAcceptsRevoked
	QuirkResourceNoChallenge
	QuirkResourceErrorWithoutToken
	QuirkResourceInvalidTokenNoChallenge
	QuirkCustomerTokenAccepted
	QuirkCustomerEndpointsMerchantOnly
	QuirkCustomerEndpointsCustomerOnly
	QuirkPathClientIDUnchecked
	// Metadata over TLS (META-005); without TLS it changes nothing.
	QuirkMetadataHTTPEndpoints
	// Transport: the listener of a Server that serves TLS (TOK-GEN-001/002,
	// AUTHZ-REQ-001); without TLS they change nothing.
	QuirkPlainHTTPToo
	QuirkTLSLegacyVersions
	QuirkTLSWrongHostCert
	numQuirks
)

// QuirkInfo documents one quirk.
type QuirkInfo struct {
	Quirk Quirk
	// Name is the switch's name for `serve --quirk` and Config.Quirks.
	Name string
	// Breaks is what the quirk gets wrong. Which assertions of the suites
	// catch it is the suites' business (package suites/quirkids).
	Breaks string
}

var quirkTable = [numQuirks]QuirkInfo{
	QuirkNoCacheControl:                    {QuirkNoCacheControl, "no-cache-control", "omits Cache-Control: no-store from token responses"},
	QuirkNoPragma:                          {QuirkNoPragma, "no-pragma", "omits Pragma: no-cache from token responses"},
	QuirkBasic400:                          {QuirkBasic400, "basic-400", "answers 400 instead of 401 when HTTP Basic client authentication fails"},
	QuirkNoWWWAuthenticate:                 {QuirkNoWWWAuthenticate, "no-www-authenticate", "answers 401 without a WWW-Authenticate header"},
	QuirkExpiresInString:                   {QuirkExpiresInString, "expires-in-string", `sends expires_in as a JSON string ("3600")`},
	QuirkReusableCodes:                     {QuirkReusableCodes, "reusable-codes", "lets an authorization code be redeemed more than once"},
	QuirkNoReuseRevocation:                 {QuirkNoReuseRevocation, "no-reuse-revocation", "rejects a reused code but leaves the tokens of its first redemption valid"},
	QuirkRedirectURIUnchecked:              {QuirkRedirectURIUnchecked, "redirect-uri-unchecked", "does not compare redirect_uri at the token endpoint with the one of the authorization request"},
	QuirkRedirectURIOptional:               {QuirkRedirectURIOptional, "redirect-uri-optional", "accepts a code exchange without the redirect_uri the authorization request carried"},
	QuirkDuplicateParams:                   {QuirkDuplicateParams, "duplicate-params", "accepts repeated token request parameters (the last wins)"},
	QuirkGetToken:                          {QuirkGetToken, "get-token", "issues tokens for GET requests with parameters in the query"},
	QuirkBasicNotFormDecoded:               {QuirkBasicNotFormDecoded, "basic-not-form-decoded", "does not form-decode the HTTP Basic user-id and password"},
	QuirkTwoAuthMethods:                    {QuirkTwoAuthMethods, "two-auth-methods", "accepts HTTP Basic and client_secret in the body in one request"},
	QuirkConflictingClientID:               {QuirkConflictingClientID, "conflicting-client-id", "ignores a body client_id that differs from the Basic user-id"},
	QuirkTextPlainToken:                    {QuirkTextPlainToken, "text-plain-token", "sends successful token responses as text/plain"},
	QuirkErrorTextPlain:                    {QuirkErrorTextPlain, "error-text-plain", "sends token error responses as text/plain"},
	QuirkErrorStatus200:                    {QuirkErrorStatus200, "error-status-200", "sends token error responses with status 200"},
	QuirkNonASCIIErrorDescription:          {QuirkNonASCIIErrorDescription, "non-ascii-error-description", "puts non-ASCII characters in error_description"},
	QuirkUnsupportedGrantAsInvalidRequest:  {QuirkUnsupportedGrantAsInvalidRequest, "unsupported-grant-invalid-request", "answers invalid_request instead of unsupported_grant_type"},
	QuirkMissingGrantUnsupported:           {QuirkMissingGrantUnsupported, "missing-grant-unsupported", "answers 501 unsupported_grant_type instead of 400 invalid_request when grant_type is missing (oauth2orize#89); the code alone is only a WARN of TOK-ERR-008"},
	QuirkScopeNotReported:                  {QuirkScopeNotReported, "scope-not-reported", "omits scope from the token response even when the granted scope differs from the request"},
	QuirkUnknownScopeGranted:               {QuirkUnknownScopeGranted, "unknown-scope-granted", "grants scope values it does not know"},
	QuirkEmptyScopeLiteral:                 {QuirkEmptyScopeLiteral, "empty-scope-literal", "treats an empty scope parameter as a value instead of as omitted"},
	QuirkScopeOrderMatters:                 {QuirkScopeOrderMatters, "scope-order-matters", "rejects scope values that are not in the server's own order"},
	QuirkCodeNotBoundToClient:              {QuirkCodeNotBoundToClient, "code-not-bound-to-client", "redeems a code for a client other than the one it was issued to"},
	QuirkCodeNeverExpires:                  {QuirkCodeNeverExpires, "code-never-expires", "accepts authorization codes past their lifetime"},
	QuirkPKCEWrongVerifierAccepted:         {QuirkPKCEWrongVerifierAccepted, "pkce-wrong-verifier", "accepts a code_verifier that does not match the code_challenge"},
	QuirkPKCEVerifierOptional:              {QuirkPKCEVerifierOptional, "pkce-verifier-optional", "redeems a code issued with a code_challenge without any code_verifier"},
	QuirkPKCEDowngrade:                     {QuirkPKCEDowngrade, "pkce-downgrade", "accepts a code_verifier for a code issued without a code_challenge"},
	QuirkPKCEPlainCompare:                  {QuirkPKCEPlainCompare, "pkce-plain-compare", "also accepts an S256 challenge compared as if the method were plain (the challenge itself as code_verifier)"},
	QuirkRefreshNotBoundToClient:           {QuirkRefreshNotBoundToClient, "refresh-not-bound-to-client", "refreshes a token for a client other than the one it was issued to"},
	QuirkRefreshScopeWidening:              {QuirkRefreshScopeWidening, "refresh-scope-widening", "grants scope beyond the original grant on refresh"},
	QuirkRefreshScopeEmptyOnOmit:           {QuirkRefreshScopeEmptyOnOmit, "refresh-scope-empty-on-omit", "grants the default scope instead of the original one when a refresh omits scope"},
	QuirkRefreshNoRotation:                 {QuirkRefreshNoRotation, "refresh-no-rotation", "does not rotate refresh tokens of public clients"},
	QuirkRefreshReuseUndetected:            {QuirkRefreshReuseUndetected, "refresh-reuse-undetected", "keeps accepting a rotated-out refresh token and revokes nothing on its reuse"},
	QuirkRefreshTokenForClientCredentials:  {QuirkRefreshTokenForClientCredentials, "refresh-for-client-credentials", "issues a refresh token with client_credentials"},
	QuirkConfidentialWithoutSecret:         {QuirkConfidentialWithoutSecret, "confidential-without-secret", "lets a confidential client authenticate with client_id alone"},
	QuirkPublicClientCredentials:           {QuirkPublicClientCredentials, "public-client-credentials", "lets a public client use the client_credentials grant"},
	QuirkRestrictedGrantIgnored:            {QuirkRestrictedGrantIgnored, "restricted-grant-ignored", "lets a client use a grant type it is not registered for"},
	QuirkWrongPasswordAccepted:             {QuirkWrongPasswordAccepted, "wrong-password-accepted", "issues tokens for a wrong resource owner password"},
	QuirkCredentialsInQuery:                {QuirkCredentialsInQuery, "credentials-in-query", "honours client credentials sent in the request URI"},
	QuirkCharsetRejected:                   {QuirkCharsetRejected, "charset-rejected", "rejects a form body whose Content-Type carries a charset parameter"},
	QuirkUnknownParamRejected:              {QuirkUnknownParamRejected, "unknown-param-rejected", "rejects unrecognized token request parameters"},
	QuirkLowercaseBasicRejected:            {QuirkLowercaseBasicRejected, "lowercase-basic-rejected", `rejects the auth-scheme "basic" in lower case`},
	QuirkMalformedBasic500:                 {QuirkMalformedBasic500, "malformed-basic-500", "answers a malformed Authorization header with a 500"},
	QuirkDuplicateJSONMembers:              {QuirkDuplicateJSONMembers, "duplicate-json-members", "repeats a member name in the token response JSON"},
	QuirkTokenTypeMAC:                      {QuirkTokenTypeMAC, "token-type-mac", `answers token_type "mac" for bearer tokens`},
	QuirkNonVSCHARToken:                    {QuirkNonVSCHARToken, "non-vschar-token", "issues access tokens with characters outside VSCHAR (on a JWT profile, no longer a JWS)"},
	QuirkTokenTypeConfusion:                {QuirkTokenTypeConfusion, "token-type-confusion", "accepts a refresh token as an authorization code"},
	QuirkTokenStatus201:                    {QuirkTokenStatus201, "token-status-201", "answers successful token requests with 201 Created"},
	QuirkGuessableTokens:                   {QuirkGuessableTokens, "guessable-tokens", "issues short, sequential access tokens (on a JWT profile, not JWTs)"},
	QuirkMissingTokenType:                  {QuirkMissingTokenType, "missing-token-type", "omits token_type from the token response"},
	QuirkNoBruteForceProtection:            {QuirkNoBruteForceProtection, "no-brute-force-protection", "never throttles or locks out repeated wrong client secrets or passwords"},
	QuirkVerifierAlwaysRequired:            {QuirkVerifierAlwaysRequired, "verifier-always-required", "refuses to redeem a code issued without a code_challenge (demands a code_verifier on every exchange, although the authorization request was accepted without PKCE)"},
	QuirkMissingCodeInvalidGrant:           {QuirkMissingCodeInvalidGrant, "missing-code-invalid-grant", "answers invalid_grant instead of invalid_request when the code parameter is missing"},
	QuirkUnknownCodeInvalidRequest:         {QuirkUnknownCodeInvalidRequest, "unknown-code-invalid-request", "answers invalid_request instead of invalid_grant for an unknown authorization code"},
	QuirkRedirectURIAlwaysRequired:         {QuirkRedirectURIAlwaysRequired, "redirect-uri-always-required", "refuses a code exchange without redirect_uri even when the authorization request had none (RFC 6749 allows it)"},
	QuirkCodeClientInferred:                {QuirkCodeClientInferred, "code-client-inferred", "redeems a public client's code sent without client_id, taking the client from the code"},
	QuirkPKCEVerifierBase64URLOnly:         {QuirkPKCEVerifierBase64URLOnly, "pkce-verifier-base64url-only", `refuses the code_verifier characters "." and "~" that RFC 7636 Section 4.1 allows (accepts only the base64url alphabet)`},
	QuirkPKCEPlainBroken:                   {QuirkPKCEPlainBroken, "pkce-plain-broken", "accepts a plain code_challenge but checks the code_verifier against it as if the method were S256 (the metadata advertises plain)"},
	QuirkPKCEVerifierSyntaxUnchecked:       {QuirkPKCEVerifierSyntaxUnchecked, "pkce-verifier-syntax-unchecked", "accepts a code_verifier outside the RFC 7636 Section 4.1 syntax (shorter than 43 characters, or with other characters)"},
	QuirkFormUnlessAcceptJSON:              {QuirkFormUnlessAcceptJSON, "form-unless-accept-json", "answers a successful token request in form encoding unless its Accept header asks for application/json (as GitHub does), so RFC 6749's own example requests get no JSON"},
	QuirkSecretPostRejected:                {QuirkSecretPostRejected, "client-secret-post-rejected", "refuses client_secret_post authentication although the profile enables it (and the metadata advertises it)"},
	QuirkPublicCodeExchangeRefused:         {QuirkPublicCodeExchangeRefused, "public-code-exchange-refused", "refuses a public client's code exchange with client_id alone, demanding a secret (inert where every client is public)"},
	QuirkErrorEchoesInput:                  {QuirkErrorEchoesInput, "error-echoes-input", `answers an unsupported grant_type with a message quoting it in "error" instead of the unsupported_grant_type code`},
	QuirkBadErrorURI:                       {QuirkBadErrorURI, "bad-error-uri", "adds an error_uri with a space (outside the App. A.9 character set) to token errors"},
	QuirkMissingGrantDefaulted:             {QuirkMissingGrantDefaulted, "missing-grant-defaulted", "treats a token request without grant_type as client_credentials (merchant-customer's dialect) in profiles that make grant_type required"},
	QuirkJSONBodyRejected:                  {QuirkJSONBodyRejected, "json-body-rejected", "refuses application/json token request bodies with invalid_request, where the dialect requires them"},
	QuirkDefaultGrantIgnored:               {QuirkDefaultGrantIgnored, "default-grant-ignored", "ignores the dialect's default grant_type: a request without grant_type gets invalid_request"},
	QuirkAnonymousClientCredentials:        {QuirkAnonymousClientCredentials, "anonymous-client-credentials", "issues client_credentials tokens to a request without any client authentication"},
	QuirkMalformedScopeAccepted:            {QuirkMalformedScopeAccepted, "malformed-scope-accepted", "grants a scope value with characters outside the RFC 6749 Section 3.3 scope-token set (a double quote or backslash)"},
	QuirkOmittedScopeGrantsAll:             {QuirkOmittedScopeGrantsAll, "omitted-scope-grants-all", "grants every scope the client may have, instead of the documented default, to a client_credentials request without scope"},
	QuirkOmittedScopeInvalidRequest:        {QuirkOmittedScopeInvalidRequest, "omitted-scope-invalid-request", "refuses a client_credentials request without scope with invalid_request instead of applying a default or answering invalid_scope"},
	QuirkCorrectPasswordRejected:           {QuirkCorrectPasswordRejected, "correct-password-rejected", "refuses the password grant with invalid_grant even for the correct resource owner credentials"},
	QuirkMissingCredentialsInvalidGrant:    {QuirkMissingCredentialsInvalidGrant, "missing-credentials-invalid-grant", "answers invalid_grant instead of invalid_request when username or password is missing"},
	QuirkRefreshSameAccessToken:            {QuirkRefreshSameAccessToken, "refresh-same-access-token", "answers a refresh with the grant's earlier, still valid access token instead of a new one"},
	QuirkMissingRefreshInvalidGrant:        {QuirkMissingRefreshInvalidGrant, "missing-refresh-token-invalid-grant", "answers invalid_grant instead of invalid_request when the refresh_token parameter is missing"},
	QuirkUnknownRefreshInvalidRequest:      {QuirkUnknownRefreshInvalidRequest, "unknown-refresh-token-invalid-request", "answers invalid_request instead of invalid_grant for an unknown refresh token"},
	QuirkRefreshNarrowingRefused:           {QuirkRefreshNarrowingRefused, "refresh-narrowing-refused", "refuses a refresh that asks for a narrower scope than the grant (invalid_scope)"},
	QuirkRefreshNarrowedScopeSticks:        {QuirkRefreshNarrowedScopeSticks, "refresh-narrowed-scope-sticks", "makes a narrowed refresh shrink the grant, so later refreshes without scope get the narrowed scope"},
	QuirkRefreshReuseNoRevocation:          {QuirkRefreshReuseNoRevocation, "refresh-reuse-no-revocation", "refuses a replayed rotated-out refresh token but leaves the active refresh token of its grant valid"},
	QuirkExtraResponseMember:               {QuirkExtraResponseMember, "extra-response-member", "adds a member to the token response (legal in RFC 6749, but outside a closed profile schema)"},
	QuirkStateDroppedOnError:               {QuirkStateDroppedOnError, "state-dropped-on-error", "drops state from error redirects"},
	QuirkStateMangled:                      {QuirkStateMangled, "state-mangled", "returns state altered (decoded once too often)"},
	QuirkOpenRedirect:                      {QuirkOpenRedirect, "open-redirect", "redirects to any redirect_uri, registered or not"},
	QuirkPrefixRedirectMatch:               {QuirkPrefixRedirectMatch, "prefix-redirect-match", "accepts any redirect_uri that starts with a registered one"},
	QuirkUnknownClientRedirect:             {QuirkUnknownClientRedirect, "unknown-client-redirect", "redirects with an error when the client_id is missing or unknown"},
	QuirkCodeInFragment:                    {QuirkCodeInFragment, "code-in-fragment", "returns the code in the fragment instead of the query"},
	QuirkImplicitInQuery:                   {QuirkImplicitInQuery, "implicit-in-query", "returns implicit grant tokens in the query instead of the fragment"},
	QuirkImplicitRefreshToken:              {QuirkImplicitRefreshToken, "implicit-refresh-token", "issues a refresh token in the implicit grant"},
	QuirkCORSAuthorize:                     {QuirkCORSAuthorize, "cors-authorize", "answers CORS requests at the authorize endpoint"},
	QuirkNoFrameProtection:                 {QuirkNoFrameProtection, "no-frame-protection", "serves the login page without X-Frame-Options or frame-ancestors"},
	QuirkLogin307:                          {QuirkLogin307, "login-307", "answers the login form POST with a 307 redirect"},
	QuirkAuthorizeDuplicateParams:          {QuirkAuthorizeDuplicateParams, "authorize-duplicate-params", "accepts repeated authorization request parameters"},
	QuirkUnsupportedResponseTypeIssuesCode: {QuirkUnsupportedResponseTypeIssuesCode, "unsupported-response-type-issues-code", "treats an unknown or missing response_type as code"},
	QuirkAuthorizePKCEMethodIgnored:        {QuirkAuthorizePKCEMethodIgnored, "pkce-method-ignored", "accepts an unsupported code_challenge_method"},
	QuirkDenyIssuesCode:                    {QuirkDenyIssuesCode, "deny-issues-code", "issues a code although the user denied consent"},
	QuirkAuthorizeGetRefused:               {QuirkAuthorizeGetRefused, "authorize-get-refused", "answers 405 to GET authorization requests whose Accept header does not name text/html (a gateway that lets only browsers through)"},
	QuirkAuthorizePOSTErrorRedirect:        {QuirkAuthorizePOSTErrorRedirect, "authorize-post-error-redirect", "identifies the client of a POST authorization request, then refuses the valid request with an invalid_request redirect"},
	QuirkAuthorizeUnknownParamRejected:     {QuirkAuthorizeUnknownParamRejected, "authorize-unknown-param-rejected", "rejects unrecognized authorization request parameters with invalid_request"},
	QuirkAuthorizeEmptyScopeLiteral:        {QuirkAuthorizeEmptyScopeLiteral, "authorize-empty-scope-literal", "treats an empty scope parameter of a GET authorization request as a value (invalid_scope) instead of as omitted"},
	QuirkRegisteredQueryDropped:            {QuirkRegisteredQueryDropped, "registered-query-dropped", "drops the query component of the registered redirect URI when redirecting"},
	QuirkRedirectQueryAppended:             {QuirkRedirectQueryAppended, "redirect-query-appended", "accepts a registered redirect URI with a query appended (matches scheme, authority and path only)"},
	QuirkRedirectFragmentAccepted:          {QuirkRedirectFragmentAccepted, "redirect-fragment-accepted", "accepts a registered redirect URI with a fragment appended, and keeps the fragment"},
	QuirkRedirectFallbackRegistered:        {QuirkRedirectFallbackRegistered, "redirect-fallback-registered", "replaces an invalid redirect_uri by the client's single registered one instead of showing an error page"},
	QuirkMultiRedirectDefault:              {QuirkMultiRedirectDefault, "multi-redirect-default", "uses the first registered redirect URI when a client with several omits redirect_uri"},
	QuirkRedirectURIRequired:               {QuirkRedirectURIRequired, "redirect-uri-required", "refuses an authorization request without redirect_uri even when the client registered exactly one"},
	QuirkLoopbackPortExact:                 {QuirkLoopbackPortExact, "loopback-port-exact", "requires the registered port of a loopback redirect URI (no RFC 8252 port variation)"},
	QuirkStateInvented:                     {QuirkStateInvented, "state-invented", "adds a state of its own to the authorization response when the request carried none"},
	QuirkNonVSCHARCode:                     {QuirkNonVSCHARCode, "non-vschar-code", "issues authorization codes (through the authorize endpoint) with a character outside VSCHAR"},
	QuirkWrongIss:                          {QuirkWrongIss, "wrong-iss", "adds an RFC 9207 iss parameter naming another issuer to authorization responses"},
	QuirkErrorWithCode:                     {QuirkErrorWithCode, "error-with-code", "adds a code to the access_denied error redirect"},
	QuirkCodeForUnauthorizedClient:         {QuirkCodeForUnauthorizedClient, "code-for-unauthorized-client", "issues authorization codes to a client not registered for the authorization_code grant"},
	QuirkImplicitAsCode:                    {QuirkImplicitAsCode, "implicit-as-code", "answers a response_type=token request as a code request: a code, or an error, in the query"},
	QuirkImplicitErrorInQuery:              {QuirkImplicitErrorInQuery, "implicit-error-in-query", "puts implicit grant error responses in the query instead of the fragment"},
	QuirkImplicitExpiresInDecimal:          {QuirkImplicitExpiresInDecimal, "implicit-expires-in-decimal", `writes expires_in of the implicit grant as a decimal ("3600.0")`},
	QuirkPKCES256AsPlain:                   {QuirkPKCES256AsPlain, "pkce-s256-as-plain", "records an S256 code_challenge of the authorize endpoint as plain, so the matching code_verifier is refused at the token endpoint"},
	QuirkPKCEChallengeNotRequired:          {QuirkPKCEChallengeNotRequired, "pkce-challenge-not-required", "issues codes without a code_challenge to clients registered to require PKCE"},
	QuirkMetadataIssuerMismatch:            {QuirkMetadataIssuerMismatch, "metadata-issuer-mismatch", "serves metadata whose issuer is not the issuer identifier (a path /other-tenant added, where no metadata is served)"},
	QuirkMetadataEmptyArrays:               {QuirkMetadataEmptyArrays, "metadata-empty-arrays", "serves metadata with zero-element arrays instead of omitting them"},
	QuirkMetadataUnsupportedGrant:          {QuirkMetadataUnsupportedGrant, "metadata-unsupported-grant", "advertises a grant type in grant_types_supported that the token endpoint does not support"},
	QuirkMetadataNoS256:                    {QuirkMetadataNoS256, "metadata-no-s256", "advertises code_challenge_methods_supported with plain only (no S256)"},
	QuirkMetadataOmitsGrant:                {QuirkMetadataOmitsGrant, "metadata-omits-grant", "leaves refresh_token out of grant_types_supported although the token endpoint offers it (metadata is evidence, not a gate: its checks still run)"},
	QuirkRevocationKeepsRefresh:            {QuirkRevocationKeepsRefresh, "revocation-keeps-refresh", "answers 200 to the revocation of a refresh token but leaves it and its grant valid"},
	QuirkRevocationUnknown400:              {QuirkRevocationUnknown400, "revocation-unknown-400", "answers 400 instead of 200 to the revocation of an unknown or invalid token"},
	QuirkRevocationNoClientAuth:            {QuirkRevocationNoClientAuth, "revocation-no-client-auth", "revokes tokens for requests whose client authentication is missing or fails"},
	QuirkRevocationCrossClient:             {QuirkRevocationCrossClient, "revocation-cross-client", "revokes a token issued to another client"},
	QuirkRevocationHintTrusted:             {QuirkRevocationHintTrusted, "revocation-hint-trusted", "searches only the token type that token_type_hint names, and refuses an unknown hint with unsupported_token_type"},
	QuirkIntrospectionNoAuth:               {QuirkIntrospectionNoAuth, "introspection-no-auth", "answers introspection requests without any client authentication"},
	QuirkIntrospectionActiveString:         {QuirkIntrospectionActiveString, "introspection-active-string", `sends active as the JSON string "true" for active tokens`},
	QuirkIntrospectionIgnoresRevocation:    {QuirkIntrospectionIgnoresRevocation, "introspection-ignores-revocation", "reports revoked tokens (and tokens of revoked grants) as active"},
	QuirkIntrospectionInactiveDetails:      {QuirkIntrospectionInactiveDetails, "introspection-inactive-details", "adds a reason member to the answer for inactive tokens"},
	QuirkIntrospectionScopeMismatch:        {QuirkIntrospectionScopeMismatch, "introspection-scope-mismatch", "reports the profile's whole scope vocabulary instead of the token's scope"},
	QuirkJWTTypJWT:                         {QuirkJWTTypJWT, "jwt-typ-jwt", `signs access tokens with the JWS typ "JWT" instead of at+jwt`},
	QuirkJWTAlgNone:                        {QuirkJWTAlgNone, "jwt-alg-none", `issues unsigned access tokens (alg "none")`},
	QuirkJWTMissingClaims:                  {QuirkJWTMissingClaims, "jwt-missing-claims", "leaves the jti and client_id claims out of JWT access tokens"},
	QuirkJWTNoScope:                        {QuirkJWTNoScope, "jwt-no-scope-claim", "leaves the scope claim out of JWT access tokens"},
	QuirkJWTExpMismatch:                    {QuirkJWTExpMismatch, "jwt-exp-mismatch", "sets the JWT exp claim to half the lifetime that expires_in announces (the server still honours expires_in)"},
	QuirkResourceAcceptsRevoked:            {QuirkResourceAcceptsRevoked, "resource-accepts-revoked", "the protected resource accepts revoked access tokens"},
	QuirkResourceNoChallenge:               {QuirkResourceNoChallenge, "resource-no-challenge", "the protected resource answers a request without a token with 401 but no WWW-Authenticate"},
	QuirkResourceErrorWithoutToken:         {QuirkResourceErrorWithoutToken, "resource-error-without-token", `the protected resource puts error="invalid_token" in its challenge to a request that carried no token`},
	QuirkResourceInvalidTokenNoChallenge:   {QuirkResourceInvalidTokenNoChallenge, "resource-invalid-token-no-challenge", "the protected resource refuses an invalid token with 401 but no WWW-Authenticate challenge"},
	QuirkCustomerTokenAccepted:             {QuirkCustomerTokenAccepted, "customer-token-accepted", "the scope-gated API accepts a token whose scope the endpoint does not allow (merchant-customer: a customer token on a merchant-only endpoint)"},
	QuirkCustomerEndpointsMerchantOnly:     {QuirkCustomerEndpointsMerchantOnly, "customer-endpoints-merchant-only", "the scope-gated API accepts only the default (merchant) scope everywhere, refusing customer tokens on the customer-facing endpoints"},
	QuirkCustomerEndpointsCustomerOnly:     {QuirkCustomerEndpointsCustomerOnly, "customer-endpoints-customer-only", "the customer-facing endpoints of the scope-gated API accept only customer tokens, refusing merchant tokens that the seed makes valid everywhere"},
	QuirkPathClientIDUnchecked:             {QuirkPathClientIDUnchecked, "path-client-id-unchecked", "the scope-gated API serves /client-id/{client_id}/... to a token of another client"},
	QuirkMetadataHTTPEndpoints:             {QuirkMetadataHTTPEndpoints, "metadata-http-endpoints", "advertises its endpoint URLs (each *_endpoint and jwks_uri) with http:// although the issuer is https, as behind a TLS-terminating proxy; needs a server with TLS"},
	QuirkPlainHTTPToo:                      {QuirkPlainHTTPToo, "plain-http-too", "also answers plain HTTP on its HTTPS port (the token and authorize endpoints work without TLS); needs a server with TLS"},
	QuirkTLSLegacyVersions:                 {QuirkTLSLegacyVersions, "tls-legacy-versions", "accepts TLS 1.0 and 1.1 handshakes (BCP 195 deprecates them; a WARN of TOK-GEN-002); needs a server with TLS"},
	QuirkTLSWrongHostCert:                  {QuirkTLSWrongHostCert, "tls-wrong-host-cert", "serves a certificate issued for " + FixtureWrongHostName + " only, not valid for the host it is reached by; needs a server with TLS"},
}

func init() {
	for i, q := range quirkTable {
		if int(q.Quirk) != i || q.Name == "" || q.Breaks == "" {
			panic(fmt.Sprintf("mockserver: quirkTable[%d] out of step", i))
		}
	}
}

// Quirks lists every quirk, sorted by name.
func Quirks() []QuirkInfo {
	out := slices.Clone(quirkTable[:])
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// LookupQuirk finds a quirk by name.
func LookupQuirk(name string) (QuirkInfo, bool) {
	for _, q := range quirkTable {
		if q.Name == name {
			return q, true
		}
	}
	return QuirkInfo{}, false
}

func (q Quirk) String() string {
	if q >= 0 && q < numQuirks {
		return quirkTable[q].Name
	}
	return fmt.Sprintf("Quirk(%d)", int(q))
}

// quirkSet is a bitset of enabled quirks; a lookup is one load and a mask.
type quirkSet [(int(numQuirks) + 63) / 64]uint64

func (s *quirkSet) add(q Quirk)      { s[q/64] |= 1 << (uint(q) % 64) }
func (s *quirkSet) has(q Quirk) bool { return s[q/64]&(1<<(uint(q)%64)) != 0 }

func parseQuirks(names []string) (quirkSet, error) {
	var s quirkSet
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		q, ok := LookupQuirk(n)
		if !ok {
			return s, fmt.Errorf("unknown quirk %q (see `oauthconform serve --list-quirks`)", n)
		}
		s.add(q.Quirk)
	}
	return s, nil
}
