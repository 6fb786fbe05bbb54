package mockserver

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Quirk is a fault-injection switch: each breaks exactly one rule of the
// assertion catalogue (shared/assertions.md), so that the suites can be shown
// to catch it.
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
	numQuirks
)

// QuirkInfo documents one quirk.
type QuirkInfo struct {
	Quirk Quirk
	// Name is the switch's name for `serve --quirk` and Config.Quirks.
	Name string
	// Breaks is what the quirk gets wrong.
	Breaks string
	// Assertions are the catalogue IDs whose checks must catch it.
	Assertions []string
}

var quirkTable = [numQuirks]QuirkInfo{
	QuirkNoCacheControl:                    {QuirkNoCacheControl, "no-cache-control", "omits Cache-Control: no-store from token responses", []string{"TOK-RESP-003"}},
	QuirkNoPragma:                          {QuirkNoPragma, "no-pragma", "omits Pragma: no-cache from token responses", []string{"TOK-RESP-004"}},
	QuirkBasic400:                          {QuirkBasic400, "basic-400", "answers 400 instead of 401 when HTTP Basic client authentication fails", []string{"TOK-AUTH-005", "TOK-AUTH-006"}},
	QuirkNoWWWAuthenticate:                 {QuirkNoWWWAuthenticate, "no-www-authenticate", "answers 401 without a WWW-Authenticate header", []string{"TOK-AUTH-005", "TOK-AUTH-006"}},
	QuirkExpiresInString:                   {QuirkExpiresInString, "expires-in-string", `sends expires_in as a JSON string ("3600")`, []string{"TOK-RESP-008", "TOK-RESP-012"}},
	QuirkReusableCodes:                     {QuirkReusableCodes, "reusable-codes", "lets an authorization code be redeemed more than once", []string{"TOK-AC-004", "TOK-AC-006"}},
	QuirkNoReuseRevocation:                 {QuirkNoReuseRevocation, "no-reuse-revocation", "rejects a reused code but leaves the tokens of its first redemption valid", []string{"TOK-AC-005"}},
	QuirkRedirectURIUnchecked:              {QuirkRedirectURIUnchecked, "redirect-uri-unchecked", "does not compare redirect_uri at the token endpoint with the one of the authorization request", []string{"TOK-AC-008"}},
	QuirkRedirectURIOptional:               {QuirkRedirectURIOptional, "redirect-uri-optional", "accepts a code exchange without the redirect_uri the authorization request carried", []string{"TOK-AC-009"}},
	QuirkDuplicateParams:                   {QuirkDuplicateParams, "duplicate-params", "accepts repeated token request parameters (the last wins)", []string{"TOK-GEN-009"}},
	QuirkGetToken:                          {QuirkGetToken, "get-token", "issues tokens for GET requests with parameters in the query", []string{"TOK-GEN-004"}},
	QuirkBasicNotFormDecoded:               {QuirkBasicNotFormDecoded, "basic-not-form-decoded", "does not form-decode the HTTP Basic user-id and password", []string{"TOK-AUTH-002"}},
	QuirkTwoAuthMethods:                    {QuirkTwoAuthMethods, "two-auth-methods", "accepts HTTP Basic and client_secret in the body in one request", []string{"TOK-AUTH-004"}},
	QuirkConflictingClientID:               {QuirkConflictingClientID, "conflicting-client-id", "ignores a body client_id that differs from the Basic user-id", []string{"TOK-AUTH-014"}},
	QuirkTextPlainToken:                    {QuirkTextPlainToken, "text-plain-token", "sends successful token responses as text/plain", []string{"TOK-RESP-002"}},
	QuirkErrorTextPlain:                    {QuirkErrorTextPlain, "error-text-plain", "sends token error responses as text/plain", []string{"TOK-ERR-002"}},
	QuirkErrorStatus200:                    {QuirkErrorStatus200, "error-status-200", "sends token error responses with status 200", []string{"TOK-ERR-001"}},
	QuirkNonASCIIErrorDescription:          {QuirkNonASCIIErrorDescription, "non-ascii-error-description", "puts non-ASCII characters in error_description", []string{"TOK-ERR-004"}},
	QuirkUnsupportedGrantAsInvalidRequest:  {QuirkUnsupportedGrantAsInvalidRequest, "unsupported-grant-invalid-request", "answers invalid_request instead of unsupported_grant_type", []string{"TOK-ERR-007"}},
	QuirkMissingGrantUnsupported:           {QuirkMissingGrantUnsupported, "missing-grant-unsupported", "answers unsupported_grant_type instead of invalid_request when grant_type is missing", []string{"TOK-ERR-008"}},
	QuirkScopeNotReported:                  {QuirkScopeNotReported, "scope-not-reported", "omits scope from the token response even when the granted scope differs from the request", []string{"TOK-RESP-009"}},
	QuirkUnknownScopeGranted:               {QuirkUnknownScopeGranted, "unknown-scope-granted", "grants scope values it does not know", []string{"TOK-RESP-009", "TOK-CC-003"}},
	QuirkEmptyScopeLiteral:                 {QuirkEmptyScopeLiteral, "empty-scope-literal", "treats an empty scope parameter as a value instead of as omitted", []string{"TOK-GEN-008"}},
	QuirkScopeOrderMatters:                 {QuirkScopeOrderMatters, "scope-order-matters", "rejects scope values that are not in the server's own order", []string{"TOK-CC-005"}},
	QuirkCodeNotBoundToClient:              {QuirkCodeNotBoundToClient, "code-not-bound-to-client", "redeems a code for a client other than the one it was issued to", []string{"TOK-AC-007"}},
	QuirkCodeNeverExpires:                  {QuirkCodeNeverExpires, "code-never-expires", "accepts authorization codes past their lifetime", []string{"TOK-AC-011"}},
	QuirkPKCEWrongVerifierAccepted:         {QuirkPKCEWrongVerifierAccepted, "pkce-wrong-verifier", "accepts a code_verifier that does not match the code_challenge", []string{"TOK-PKCE-002"}},
	QuirkPKCEVerifierOptional:              {QuirkPKCEVerifierOptional, "pkce-verifier-optional", "redeems a code issued with a code_challenge without any code_verifier", []string{"TOK-PKCE-003"}},
	QuirkPKCEDowngrade:                     {QuirkPKCEDowngrade, "pkce-downgrade", "accepts a code_verifier for a code issued without a code_challenge", []string{"TOK-PKCE-004"}},
	QuirkPKCEPlainCompare:                  {QuirkPKCEPlainCompare, "pkce-plain-compare", "compares the verifier to an S256 challenge as if the method were plain", []string{"TOK-PKCE-006"}},
	QuirkRefreshNotBoundToClient:           {QuirkRefreshNotBoundToClient, "refresh-not-bound-to-client", "refreshes a token for a client other than the one it was issued to", []string{"TOK-RT-004"}},
	QuirkRefreshScopeWidening:              {QuirkRefreshScopeWidening, "refresh-scope-widening", "grants scope beyond the original grant on refresh", []string{"TOK-RT-008"}},
	QuirkRefreshScopeEmptyOnOmit:           {QuirkRefreshScopeEmptyOnOmit, "refresh-scope-empty-on-omit", "grants the default scope instead of the original one when a refresh omits scope", []string{"TOK-RT-007"}},
	QuirkRefreshNoRotation:                 {QuirkRefreshNoRotation, "refresh-no-rotation", "does not rotate refresh tokens of public clients", []string{"TOK-RT-010"}},
	QuirkRefreshReuseUndetected:            {QuirkRefreshReuseUndetected, "refresh-reuse-undetected", "keeps accepting a rotated-out refresh token and revokes nothing on its reuse", []string{"TOK-RT-011", "TOK-RT-012"}},
	QuirkRefreshTokenForClientCredentials:  {QuirkRefreshTokenForClientCredentials, "refresh-for-client-credentials", "issues a refresh token with client_credentials", []string{"TOK-CC-002"}},
	QuirkConfidentialWithoutSecret:         {QuirkConfidentialWithoutSecret, "confidential-without-secret", "lets a confidential client authenticate with client_id alone", []string{"TOK-AUTH-008", "TOK-PW-004", "TOK-RT-005"}},
	QuirkPublicClientCredentials:           {QuirkPublicClientCredentials, "public-client-credentials", "lets a public client use the client_credentials grant", []string{"TOK-AUTH-012"}},
	QuirkRestrictedGrantIgnored:            {QuirkRestrictedGrantIgnored, "restricted-grant-ignored", "lets a client use a grant type it is not registered for", []string{"TOK-ERR-009"}},
	QuirkWrongPasswordAccepted:             {QuirkWrongPasswordAccepted, "wrong-password-accepted", "issues tokens for a wrong resource owner password", []string{"TOK-PW-002"}},
	QuirkCredentialsInQuery:                {QuirkCredentialsInQuery, "credentials-in-query", "honours client credentials sent in the request URI", []string{"TOK-GEN-005"}},
	QuirkCharsetRejected:                   {QuirkCharsetRejected, "charset-rejected", "rejects a form body whose Content-Type carries a charset parameter", []string{"TOK-GEN-006"}},
	QuirkUnknownParamRejected:              {QuirkUnknownParamRejected, "unknown-param-rejected", "rejects unrecognized token request parameters", []string{"TOK-GEN-007"}},
	QuirkLowercaseBasicRejected:            {QuirkLowercaseBasicRejected, "lowercase-basic-rejected", `rejects the auth-scheme "basic" in lower case`, []string{"TOK-AUTH-010"}},
	QuirkMalformedBasic500:                 {QuirkMalformedBasic500, "malformed-basic-500", "answers a malformed Authorization header with a 500", []string{"TOK-AUTH-009"}},
	QuirkDuplicateJSONMembers:              {QuirkDuplicateJSONMembers, "duplicate-json-members", "repeats a member name in the token response JSON", []string{"TOK-RESP-010"}},
	QuirkTokenTypeMAC:                      {QuirkTokenTypeMAC, "token-type-mac", `answers token_type "mac" for bearer tokens`, []string{"TOK-RESP-007", "TOK-RESP-012"}},
	QuirkNonVSCHARToken:                    {QuirkNonVSCHARToken, "non-vschar-token", "issues access tokens with characters outside VSCHAR", []string{"TOK-RESP-006", "TOK-RESP-012"}},
	QuirkTokenTypeConfusion:                {QuirkTokenTypeConfusion, "token-type-confusion", "accepts a refresh token as an authorization code", []string{"TOK-RT-013"}},
	QuirkTokenStatus201:                    {QuirkTokenStatus201, "token-status-201", "answers successful token requests with 201 Created", []string{"TOK-RESP-001"}},
	QuirkGuessableTokens:                   {QuirkGuessableTokens, "guessable-tokens", "issues short, sequential access tokens", []string{"TOK-RESP-011"}},
	QuirkMissingTokenType:                  {QuirkMissingTokenType, "missing-token-type", "omits token_type from the token response", []string{"TOK-RESP-005", "TOK-RESP-007", "TOK-RESP-012"}},
	QuirkExtraResponseMember:               {QuirkExtraResponseMember, "extra-response-member", "adds a member to the token response (legal in RFC 6749, but outside a closed profile schema)", []string{"TOK-RESP-012"}},
	QuirkStateDroppedOnError:               {QuirkStateDroppedOnError, "state-dropped-on-error", "drops state from error redirects", []string{"AUTHZ-ERR-001"}},
	QuirkStateMangled:                      {QuirkStateMangled, "state-mangled", "returns state altered (decoded once too often)", []string{"AUTHZ-RESP-002"}},
	QuirkOpenRedirect:                      {QuirkOpenRedirect, "open-redirect", "redirects to any redirect_uri, registered or not", []string{"AUTHZ-RURI-002", "AUTHZ-RURI-004", "AUTHZ-RURI-005", "AUTHZ-RURI-007"}},
	QuirkPrefixRedirectMatch:               {QuirkPrefixRedirectMatch, "prefix-redirect-match", "accepts any redirect_uri that starts with a registered one", []string{"AUTHZ-RURI-003"}},
	QuirkUnknownClientRedirect:             {QuirkUnknownClientRedirect, "unknown-client-redirect", "redirects with an error when the client_id is missing or unknown", []string{"AUTHZ-REQ-009"}},
	QuirkCodeInFragment:                    {QuirkCodeInFragment, "code-in-fragment", "returns the code in the fragment instead of the query", []string{"AUTHZ-RESP-001"}},
	QuirkImplicitInQuery:                   {QuirkImplicitInQuery, "implicit-in-query", "returns implicit grant tokens in the query instead of the fragment", []string{"AUTHZ-IMP-002"}},
	QuirkImplicitRefreshToken:              {QuirkImplicitRefreshToken, "implicit-refresh-token", "issues a refresh token in the implicit grant", []string{"AUTHZ-IMP-003"}},
	QuirkCORSAuthorize:                     {QuirkCORSAuthorize, "cors-authorize", "answers CORS requests at the authorize endpoint", []string{"AUTHZ-REQ-010"}},
	QuirkNoFrameProtection:                 {QuirkNoFrameProtection, "no-frame-protection", "serves the login page without X-Frame-Options or frame-ancestors", []string{"AUTHZ-SEC-001"}},
	QuirkLogin307:                          {QuirkLogin307, "login-307", "answers the login form POST with a 307 redirect", []string{"AUTHZ-SEC-002"}},
	QuirkAuthorizeDuplicateParams:          {QuirkAuthorizeDuplicateParams, "authorize-duplicate-params", "accepts repeated authorization request parameters", []string{"AUTHZ-REQ-007"}},
	QuirkUnsupportedResponseTypeIssuesCode: {QuirkUnsupportedResponseTypeIssuesCode, "unsupported-response-type-issues-code", "treats an unknown or missing response_type as code", []string{"AUTHZ-REQ-005", "AUTHZ-REQ-006"}},
	QuirkAuthorizePKCEMethodIgnored:        {QuirkAuthorizePKCEMethodIgnored, "pkce-method-ignored", "accepts an unsupported code_challenge_method", []string{"AUTHZ-PKCE-002"}},
	QuirkDenyIssuesCode:                    {QuirkDenyIssuesCode, "deny-issues-code", "issues a code although the user denied consent", []string{"AUTHZ-ERR-003"}},
}

func init() {
	for i, q := range quirkTable {
		if int(q.Quirk) != i || q.Name == "" || len(q.Assertions) == 0 {
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
