// Package quirkids says which assertions of the catalogue (docs/CATALOGUE.md)
// must catch each quirk of the mock: the expectations of the quirk matrix
// (suites/matrix_test.go), of `oauthconform serve --list-quirks` and of the
// mock's own endpoint quirk tests. The mock's quirk table
// (mockserver/quirks.go) names and describes the quirks but knows nothing of
// the suites' assertion IDs; this table is the suites' side of it.
//
// Adding a quirk: declare it in mockserver (quirks.go, then a response
// filter in filters.go or a rule switch in rules.go), then add its name
// here with the assertion IDs whose checks fail (or, for a SHOULD, warn)
// with it alone. TestEveryQuirkHasIDs fails until both sides agree.
//
// This package imports nothing of the repository: the suites use it without
// depending on the mock, and the mock's tests without a cycle.
package quirkids

import (
	"slices"
	"sort"
)

// IDs returns the assertion IDs that must catch the quirk of this name, nil
// for a name this table does not know.
func IDs(quirk string) []string { return slices.Clone(table[quirk]) }

// Names lists every quirk the table knows, sorted.
func Names() []string {
	out := make([]string, 0, len(table))
	for n := range table {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// table maps a quirk's name (mockserver.QuirkInfo.Name) to its assertion
// IDs, in the order of the mock's quirk table.
var table = map[string][]string{
	"no-cache-control":                      {"TOK-RESP-003"},
	"no-pragma":                             {"TOK-RESP-004"},
	"basic-400":                             {"TOK-AUTH-005", "TOK-AUTH-006", "TOK-AUTH-009"},
	"no-www-authenticate":                   {"TOK-AUTH-005", "TOK-AUTH-006", "TOK-AUTH-009"},
	"expires-in-string":                     {"TOK-RESP-008", "TOK-RESP-012"},
	"reusable-codes":                        {"TOK-AC-004", "TOK-AC-006", "TOK-AC-014"},
	"no-reuse-revocation":                   {"TOK-AC-005"},
	"redirect-uri-unchecked":                {"TOK-AC-008"},
	"redirect-uri-optional":                 {"TOK-AC-009"},
	"duplicate-params":                      {"TOK-GEN-009"},
	"get-token":                             {"TOK-GEN-004"},
	"basic-not-form-decoded":                {"TOK-AUTH-002"},
	"two-auth-methods":                      {"TOK-AUTH-004"},
	"conflicting-client-id":                 {"TOK-AUTH-014"},
	"text-plain-token":                      {"TOK-RESP-002"},
	"error-text-plain":                      {"TOK-ERR-002"},
	"error-status-200":                      {"TOK-ERR-001", "TOK-AUTH-005", "TOK-AUTH-006", "TOK-AUTH-007", "TOK-AUTH-009"},
	"non-ascii-error-description":           {"TOK-ERR-004"},
	"unsupported-grant-invalid-request":     {"TOK-ERR-007"},
	"missing-grant-unsupported":             {"TOK-ERR-001"},
	"scope-not-reported":                    {"TOK-RESP-009", "AUTHZ-ERR-004", "TOK-CC-003"},
	"unknown-scope-granted":                 {"TOK-RESP-009", "TOK-CC-003", "AUTHZ-ERR-004"},
	"empty-scope-literal":                   {"TOK-GEN-008"},
	"scope-order-matters":                   {"TOK-CC-005"},
	"code-not-bound-to-client":              {"TOK-AC-007", "TOK-AC-013"},
	"code-never-expires":                    {"TOK-AC-011"},
	"pkce-wrong-verifier":                   {"TOK-PKCE-002", "TOK-PKCE-006", "TOK-PKCE-007"},
	"pkce-verifier-optional":                {"TOK-PKCE-003"},
	"pkce-downgrade":                        {"TOK-PKCE-004"},
	"pkce-plain-compare":                    {"TOK-PKCE-006"},
	"refresh-not-bound-to-client":           {"TOK-RT-004"},
	"refresh-scope-widening":                {"TOK-RT-008"},
	"refresh-scope-empty-on-omit":           {"TOK-RT-007", "TOK-RT-009"},
	"refresh-no-rotation":                   {"TOK-RT-010"},
	"refresh-reuse-undetected":              {"TOK-RT-011", "TOK-RT-012"},
	"refresh-for-client-credentials":        {"TOK-CC-002"},
	"confidential-without-secret":           {"TOK-AUTH-008", "TOK-PW-004", "TOK-RT-005"},
	"public-client-credentials":             {"TOK-AUTH-012"},
	"restricted-grant-ignored":              {"TOK-ERR-009"},
	"wrong-password-accepted":               {"TOK-PW-002"},
	"credentials-in-query":                  {"TOK-GEN-005"},
	"charset-rejected":                      {"TOK-GEN-006"},
	"unknown-param-rejected":                {"TOK-GEN-007"},
	"lowercase-basic-rejected":              {"TOK-AUTH-010"},
	"malformed-basic-500":                   {"TOK-AUTH-009"},
	"duplicate-json-members":                {"TOK-RESP-010"},
	"token-type-mac":                        {"TOK-RESP-007", "TOK-RESP-012"},
	"non-vschar-token":                      {"TOK-RESP-006", "TOK-RESP-012", "JWT-002", "JWT-003"},
	"token-type-confusion":                  {"TOK-RT-013"},
	"token-status-201":                      {"TOK-RESP-001"},
	"guessable-tokens":                      {"TOK-RESP-011", "JWT-002", "JWT-003"},
	"extra-response-member":                 {"TOK-RESP-012"},
	"missing-token-type":                    {"TOK-RESP-005", "TOK-RESP-007", "TOK-RESP-012"},
	"no-brute-force-protection":             {"TOK-AUTH-013", "TOK-PW-005"},
	"verifier-always-required":              {"TOK-AC-001"},
	"missing-code-invalid-grant":            {"TOK-AC-002"},
	"unknown-code-invalid-request":          {"TOK-AC-003"},
	"redirect-uri-always-required":          {"TOK-AC-010"},
	"code-client-inferred":                  {"TOK-AC-012"},
	"pkce-verifier-base64url-only":          {"TOK-PKCE-001"},
	"pkce-plain-broken":                     {"TOK-PKCE-005", "META-003"},
	"pkce-verifier-syntax-unchecked":        {"TOK-PKCE-007"},
	"form-unless-accept-json":               {"TOK-GEN-003", "TOK-AUTH-001"},
	"client-secret-post-rejected":           {"TOK-AUTH-003", "META-003"},
	"public-code-exchange-refused":          {"TOK-AUTH-011"},
	"error-echoes-input":                    {"TOK-ERR-003", "TOK-ERR-007"},
	"bad-error-uri":                         {"TOK-ERR-005"},
	"missing-grant-defaulted":               {"TOK-ERR-008"},
	"json-body-rejected":                    {"TOK-GEN-010"},
	"default-grant-ignored":                 {"TOK-GEN-011"},
	"anonymous-client-credentials":          {"TOK-CC-001"},
	"malformed-scope-accepted":              {"TOK-CC-004"},
	"omitted-scope-grants-all":              {"TOK-CC-006"},
	"omitted-scope-invalid-request":         {"TOK-CC-006"},
	"correct-password-rejected":             {"TOK-PW-001"},
	"missing-credentials-invalid-grant":     {"TOK-PW-003"},
	"refresh-same-access-token":             {"TOK-RT-001"},
	"missing-refresh-token-invalid-grant":   {"TOK-RT-002"},
	"unknown-refresh-token-invalid-request": {"TOK-RT-003"},
	"refresh-narrowing-refused":             {"TOK-RT-006"},
	"refresh-narrowed-scope-sticks":         {"TOK-RT-009"},
	"refresh-reuse-no-revocation":           {"TOK-RT-012"},
	"state-dropped-on-error":                {"AUTHZ-ERR-001"},
	"state-mangled":                         {"AUTHZ-RESP-002", "AUTHZ-IMP-002"},
	"open-redirect":                         {"AUTHZ-RURI-002", "AUTHZ-RURI-003", "AUTHZ-RURI-004", "AUTHZ-RURI-005", "AUTHZ-RURI-007"},
	"prefix-redirect-match":                 {"AUTHZ-RURI-003"},
	"unknown-client-redirect":               {"AUTHZ-REQ-009"},
	"code-in-fragment":                      {"AUTHZ-RESP-001"},
	"implicit-in-query":                     {"AUTHZ-IMP-002"},
	"implicit-refresh-token":                {"AUTHZ-IMP-003"},
	"cors-authorize":                        {"AUTHZ-REQ-010"},
	"no-frame-protection":                   {"AUTHZ-SEC-001"},
	"login-307":                             {"AUTHZ-SEC-002"},
	"authorize-duplicate-params":            {"AUTHZ-REQ-007"},
	"unsupported-response-type-issues-code": {"AUTHZ-REQ-005", "AUTHZ-REQ-006"},
	"pkce-method-ignored":                   {"AUTHZ-PKCE-002"},
	"deny-issues-code":                      {"AUTHZ-ERR-003"},
	"authorize-get-refused":                 {"AUTHZ-REQ-002"},
	"authorize-post-error-redirect":         {"AUTHZ-REQ-003"},
	"authorize-unknown-param-rejected":      {"AUTHZ-REQ-004"},
	"authorize-empty-scope-literal":         {"AUTHZ-REQ-008"},
	"registered-query-dropped":              {"AUTHZ-RURI-001", "AUTHZ-RURI-012"},
	"redirect-query-appended":               {"AUTHZ-RURI-006"},
	"redirect-fragment-accepted":            {"AUTHZ-RURI-007"},
	"redirect-fallback-registered":          {"AUTHZ-RURI-008"},
	"multi-redirect-default":                {"AUTHZ-RURI-009"},
	"redirect-uri-required":                 {"AUTHZ-RURI-010"},
	"loopback-port-exact":                   {"AUTHZ-RURI-011"},
	"state-invented":                        {"AUTHZ-RESP-003"},
	"non-vschar-code":                       {"AUTHZ-RESP-004"},
	"wrong-iss":                             {"AUTHZ-RESP-005"},
	"error-with-code":                       {"AUTHZ-ERR-002"},
	"code-for-unauthorized-client":          {"AUTHZ-ERR-005"},
	"implicit-as-code":                      {"AUTHZ-IMP-001", "AUTHZ-IMP-004"},
	"implicit-error-in-query":               {"AUTHZ-IMP-004"},
	"implicit-expires-in-decimal":           {"AUTHZ-IMP-005"},
	"pkce-s256-as-plain":                    {"AUTHZ-PKCE-001"},
	"pkce-challenge-not-required":           {"AUTHZ-PKCE-003"},
	"metadata-issuer-mismatch":              {"META-001"},
	"metadata-empty-arrays":                 {"META-002"},
	"metadata-unsupported-grant":            {"META-003"},
	"metadata-no-s256":                      {"META-004"},
	"metadata-omits-grant":                  {"META-006"},
	"revocation-keeps-refresh":              {"REV-001", "REV-005"},
	"revocation-unknown-400":                {"REV-002"},
	"revocation-no-client-auth":             {"REV-003"},
	"revocation-cross-client":               {"REV-004"},
	"revocation-hint-trusted":               {"REV-005"},
	"introspection-no-auth":                 {"INTR-001"},
	"introspection-active-string":           {"INTR-002"},
	"introspection-ignores-revocation":      {"INTR-003"},
	"introspection-inactive-details":        {"INTR-003"},
	"introspection-scope-mismatch":          {"INTR-004"},
	"jwt-typ-jwt":                           {"JWT-001"},
	"jwt-alg-none":                          {"JWT-002"},
	"jwt-missing-claims":                    {"JWT-003"},
	"jwt-no-scope-claim":                    {"JWT-004"},
	"jwt-exp-mismatch":                      {"JWT-005"},
	"resource-accepts-revoked":              {"BEAR-001"},
	"resource-no-challenge":                 {"BEAR-002"},
	"resource-error-without-token":          {"BEAR-002"},
	"resource-invalid-token-no-challenge":   {"BEAR-001", "RES-SCOPE-002"},
	"customer-token-accepted":               {"RES-SCOPE-002"},
	"customer-endpoints-merchant-only":      {"RES-SCOPE-001"},
	"customer-endpoints-customer-only":      {"RES-SCOPE-003"},
	"path-client-id-unchecked":              {"RES-SCOPE-004"},
	"metadata-http-endpoints":               {"META-005"},
	"plain-http-too":                        {"TOK-GEN-001", "AUTHZ-REQ-001"},
	"tls-legacy-versions":                   {"TOK-GEN-002"},
	"tls-wrong-host-cert":                   {"TOK-GEN-002"},
}
