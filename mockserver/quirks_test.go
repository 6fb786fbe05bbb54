package mockserver

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"
)

// ruleHolds runs one scenario and reports whether the rule it probes held.
type ruleHolds func(t *testing.T, ts *TestServer) bool

func mintFor(t *testing.T, ts *TestServer, req CodeRequest) string {
	t.Helper()
	if req.ClientID == "" {
		req.ClientID = "conf-client"
	}
	code, err := ts.MintCode(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func statusIs(res tokenResp, status int, codes ...string) bool {
	if res.status != status {
		return false
	}
	for _, c := range codes {
		if res.str("error") == c {
			return true
		}
	}
	return len(codes) == 0
}

const ccBody = "grant_type=client_credentials"

// tokenQuirkScenarios maps each token-endpoint quirk to a scenario whose rule
// it breaks. The authorize-endpoint quirks are covered in authorize_test.go.
var tokenQuirkScenarios = map[Quirk]ruleHolds{
	QuirkNoCacheControl: func(t *testing.T, ts *TestServer) bool {
		return mustToken(t, ts, tokenReq{body: ccBody, basic: conf}).header.Get("Cache-Control") == "no-store"
	},
	QuirkNoPragma: func(t *testing.T, ts *TestServer) bool {
		return mustToken(t, ts, tokenReq{body: ccBody, basic: conf}).header.Get("Pragma") == "no-cache"
	},
	QuirkBasic400: func(t *testing.T, ts *TestServer) bool {
		return doToken(t, ts, tokenReq{body: ccBody, basic: [2]string{"conf-client", "x"}}).status == 401
	},
	QuirkNoWWWAuthenticate: func(t *testing.T, ts *TestServer) bool {
		return doToken(t, ts, tokenReq{body: ccBody, basic: [2]string{"conf-client", "x"}}).header.Get("WWW-Authenticate") != ""
	},
	QuirkExpiresInString: func(t *testing.T, ts *TestServer) bool {
		_, isNum := mustToken(t, ts, tokenReq{body: ccBody, basic: conf}).body["expires_in"].(float64)
		return isNum
	},
	QuirkReusableCodes: func(t *testing.T, ts *TestServer) bool {
		code := mintFor(t, ts, CodeRequest{})
		mustToken(t, ts, tokenReq{body: codeBody(code, r1), basic: conf})
		return doToken(t, ts, tokenReq{body: codeBody(code, r1), basic: conf}).status == 400
	},
	QuirkNoReuseRevocation: func(t *testing.T, ts *TestServer) bool {
		code := mintFor(t, ts, CodeRequest{})
		rt := mustToken(t, ts, tokenReq{body: codeBody(code, r1), basic: conf}).str("refresh_token")
		doToken(t, ts, tokenReq{body: codeBody(code, r1), basic: conf})
		return doToken(t, ts, tokenReq{body: "grant_type=refresh_token&refresh_token=" + rt, basic: conf}).status == 400
	},
	QuirkRedirectURIUnchecked: func(t *testing.T, ts *TestServer) bool {
		return doToken(t, ts, tokenReq{body: codeBody(mintFor(t, ts, CodeRequest{}), r1+"x"), basic: conf}).status == 400
	},
	QuirkRedirectURIOptional: func(t *testing.T, ts *TestServer) bool {
		return doToken(t, ts, tokenReq{body: codeBody(mintFor(t, ts, CodeRequest{}), ""), basic: conf}).status == 400
	},
	QuirkDuplicateParams: func(t *testing.T, ts *TestServer) bool {
		return statusIs(doToken(t, ts, tokenReq{body: ccBody + "&scope=read&scope=write", basic: conf}), 400, "invalid_request")
	},
	QuirkGetToken: func(t *testing.T, ts *TestServer) bool {
		return doToken(t, ts, tokenReq{method: "GET", query: ccBody, basic: conf}).status != 200
	},
	QuirkBasicNotFormDecoded: func(t *testing.T, ts *TestServer) bool {
		return doToken(t, ts, tokenReq{body: ccBody, basic: [2]string{"special client+1", "a+b:c%/ d=~&"}}).status == 200
	},
	QuirkTwoAuthMethods: func(t *testing.T, ts *TestServer) bool {
		return doToken(t, ts, tokenReq{body: ccBody + "&client_id=conf-client&client_secret=conf-secret", basic: conf}).status == 400
	},
	QuirkConflictingClientID: func(t *testing.T, ts *TestServer) bool {
		return doToken(t, ts, tokenReq{body: ccBody + "&client_id=conf-client-2", basic: conf}).status == 400
	},
	QuirkTextPlainToken: func(t *testing.T, ts *TestServer) bool {
		return mustToken(t, ts, tokenReq{body: ccBody, basic: conf}).header.Get("Content-Type") == "application/json"
	},
	QuirkErrorTextPlain: func(t *testing.T, ts *TestServer) bool {
		return doToken(t, ts, tokenReq{body: "grant_type=nope", basic: conf}).header.Get("Content-Type") == "application/json"
	},
	QuirkErrorStatus200: func(t *testing.T, ts *TestServer) bool {
		return doToken(t, ts, tokenReq{body: "grant_type=nope", basic: conf}).status == 400
	},
	QuirkNonASCIIErrorDescription: func(t *testing.T, ts *TestServer) bool {
		d := doToken(t, ts, tokenReq{body: "grant_type=nope", basic: conf}).str("error_description")
		return strings.IndexFunc(d, func(r rune) bool { return r > 0x7e }) < 0
	},
	QuirkUnsupportedGrantAsInvalidRequest: func(t *testing.T, ts *TestServer) bool {
		return statusIs(doToken(t, ts, tokenReq{body: "grant_type=nope", basic: conf}), 400, "unsupported_grant_type")
	},
	QuirkMissingGrantUnsupported: func(t *testing.T, ts *TestServer) bool {
		return statusIs(doToken(t, ts, tokenReq{body: "scope=read", basic: conf}), 400, "invalid_request")
	},
	QuirkScopeNotReported: func(t *testing.T, ts *TestServer) bool {
		res := doToken(t, ts, tokenReq{body: ccBody + "&scope=read+zz-unknown", basic: conf})
		return res.status == 400 || res.str("scope") != ""
	},
	QuirkUnknownScopeGranted: func(t *testing.T, ts *TestServer) bool {
		return doToken(t, ts, tokenReq{body: ccBody + "&scope=zz-unknown", basic: conf}).status == 400
	},
	QuirkEmptyScopeLiteral: func(t *testing.T, ts *TestServer) bool {
		return doToken(t, ts, tokenReq{body: ccBody + "&scope=", basic: conf}).status == 200
	},
	QuirkScopeOrderMatters: func(t *testing.T, ts *TestServer) bool {
		return doToken(t, ts, tokenReq{body: ccBody + "&scope=write+read", basic: conf}).status == 200
	},
	QuirkCodeNotBoundToClient: func(t *testing.T, ts *TestServer) bool {
		return doToken(t, ts, tokenReq{body: codeBody(mintFor(t, ts, CodeRequest{}), r1), basic: conf2}).status == 400
	},
	QuirkCodeNeverExpires: func(t *testing.T, ts *TestServer) bool {
		code := mintFor(t, ts, CodeRequest{})
		ts.Clock.Advance(2 * time.Minute)
		return doToken(t, ts, tokenReq{body: codeBody(code, r1), basic: conf}).status == 400
	},
	QuirkPKCEWrongVerifierAccepted: func(t *testing.T, ts *TestServer) bool {
		code := mintFor(t, ts, CodeRequest{CodeChallenge: s256(verifier), CodeChallengeMethod: "S256"})
		return doToken(t, ts, tokenReq{body: codeBody(code, r1, "code_verifier=x"+verifier[1:]), basic: conf}).status == 400
	},
	QuirkPKCEVerifierOptional: func(t *testing.T, ts *TestServer) bool {
		code := mintFor(t, ts, CodeRequest{CodeChallenge: s256(verifier), CodeChallengeMethod: "S256"})
		return doToken(t, ts, tokenReq{body: codeBody(code, r1), basic: conf}).status == 400
	},
	QuirkPKCEDowngrade: func(t *testing.T, ts *TestServer) bool {
		return doToken(t, ts, tokenReq{body: codeBody(mintFor(t, ts, CodeRequest{}), r1, "code_verifier="+verifier), basic: conf}).status == 400
	},
	QuirkPKCEPlainCompare: func(t *testing.T, ts *TestServer) bool {
		code := mintFor(t, ts, CodeRequest{CodeChallenge: s256(verifier), CodeChallengeMethod: "S256"})
		return doToken(t, ts, tokenReq{body: codeBody(code, r1, "code_verifier="+s256(verifier)), basic: conf}).status == 400
	},
	QuirkRefreshNotBoundToClient: func(t *testing.T, ts *TestServer) bool {
		rt := mustToken(t, ts, tokenReq{body: codeBody(mintFor(t, ts, CodeRequest{}), r1), basic: conf}).str("refresh_token")
		return doToken(t, ts, tokenReq{body: "grant_type=refresh_token&refresh_token=" + rt, basic: conf2}).status == 400
	},
	QuirkRefreshScopeWidening: func(t *testing.T, ts *TestServer) bool {
		rt := mustToken(t, ts, tokenReq{body: codeBody(mintFor(t, ts, CodeRequest{Scope: "read"}), r1), basic: conf}).str("refresh_token")
		return doToken(t, ts, tokenReq{body: "grant_type=refresh_token&scope=read+write&refresh_token=" + rt, basic: conf}).status == 400
	},
	QuirkRefreshScopeEmptyOnOmit: func(t *testing.T, ts *TestServer) bool {
		rt := mustToken(t, ts, tokenReq{body: codeBody(mintFor(t, ts, CodeRequest{Scope: "read write"}), r1), basic: conf}).str("refresh_token")
		return sameScope(mustToken(t, ts, tokenReq{body: "grant_type=refresh_token&refresh_token=" + rt, basic: conf}).str("scope"), "read write")
	},
	QuirkRefreshNoRotation: func(t *testing.T, ts *TestServer) bool {
		// oauth20-intents does not rotate for confidential clients, so only
		// the public client's rotation is in play.
		code := mintFor(t, ts, CodeRequest{ClientID: "public-client", CodeChallenge: s256(verifier), CodeChallengeMethod: "S256"})
		rt := mustToken(t, ts, tokenReq{body: codeBody(code, r1, "client_id=public-client", "code_verifier="+verifier)}).str("refresh_token")
		return mustToken(t, ts, tokenReq{body: "grant_type=refresh_token&client_id=public-client&refresh_token=" + rt}).str("refresh_token") != rt
	},
	QuirkRefreshReuseUndetected: func(t *testing.T, ts *TestServer) bool {
		rt := mustToken(t, ts, tokenReq{body: codeBody(mintFor(t, ts, CodeRequest{}), r1), basic: conf}).str("refresh_token")
		mustToken(t, ts, tokenReq{body: "grant_type=refresh_token&refresh_token=" + rt, basic: conf})
		return doToken(t, ts, tokenReq{body: "grant_type=refresh_token&refresh_token=" + rt, basic: conf}).status == 400
	},
	QuirkRefreshTokenForClientCredentials: func(t *testing.T, ts *TestServer) bool {
		return mustToken(t, ts, tokenReq{body: ccBody, basic: conf}).str("refresh_token") == ""
	},
	QuirkConfidentialWithoutSecret: func(t *testing.T, ts *TestServer) bool {
		return doToken(t, ts, tokenReq{body: ccBody + "&client_id=conf-client"}).status != 200
	},
	QuirkPublicClientCredentials: func(t *testing.T, ts *TestServer) bool {
		return doToken(t, ts, tokenReq{body: ccBody + "&client_id=public-client"}).status != 200
	},
	QuirkRestrictedGrantIgnored: func(t *testing.T, ts *TestServer) bool {
		return doToken(t, ts, tokenReq{body: ccBody, basic: [2]string{"restricted-client", "restricted-secret"}}).status != 200
	},
	QuirkWrongPasswordAccepted: func(t *testing.T, ts *TestServer) bool {
		return doToken(t, ts, tokenReq{body: "grant_type=password&username=alice&password=wrong", basic: conf}).status == 400
	},
	QuirkCredentialsInQuery: func(t *testing.T, ts *TestServer) bool {
		return doToken(t, ts, tokenReq{body: ccBody, query: "client_id=conf-client&client_secret=conf-secret"}).status != 200
	},
	QuirkCharsetRejected: func(t *testing.T, ts *TestServer) bool {
		return doToken(t, ts, tokenReq{body: ccBody, basic: conf, contentType: "application/x-www-form-urlencoded; charset=UTF-8"}).status == 200
	},
	QuirkUnknownParamRejected: func(t *testing.T, ts *TestServer) bool {
		return doToken(t, ts, tokenReq{body: ccBody + "&foo=bar", basic: conf}).status == 200
	},
	QuirkLowercaseBasicRejected: func(t *testing.T, ts *TestServer) bool {
		return doToken(t, ts, tokenReq{body: ccBody, authz: "basic " + strings.TrimPrefix(basicHeader("conf-client", "conf-secret"), "Basic ")}).status == 200
	},
	QuirkMalformedBasic500: func(t *testing.T, ts *TestServer) bool {
		return doToken(t, ts, tokenReq{body: ccBody, authz: "Basic !!!"}).status < 500
	},
	QuirkDuplicateJSONMembers: func(t *testing.T, ts *TestServer) bool {
		return strings.Count(mustToken(t, ts, tokenReq{body: ccBody, basic: conf}).raw, `"token_type"`) == 1
	},
	QuirkTokenTypeMAC: func(t *testing.T, ts *TestServer) bool {
		return strings.EqualFold(mustToken(t, ts, tokenReq{body: ccBody, basic: conf}).str("token_type"), "bearer")
	},
	QuirkNonVSCHARToken: func(t *testing.T, ts *TestServer) bool {
		at := mustToken(t, ts, tokenReq{body: ccBody, basic: conf}).str("access_token")
		return strings.IndexFunc(at, func(r rune) bool { return r < 0x20 || r > 0x7e }) < 0
	},
	QuirkFormUnlessAcceptJSON: func(t *testing.T, ts *TestServer) bool {
		res := doToken(t, ts, tokenReq{body: ccBody, basic: conf, headers: map[string]string{"Accept": "*/*"}})
		return res.status == 200 && strings.HasPrefix(res.header.Get("Content-Type"), "application/json")
	},
	QuirkSecretPostRejected: func(t *testing.T, ts *TestServer) bool {
		return doToken(t, ts, tokenReq{body: ccBody + "&client_id=conf-client&client_secret=conf-secret"}).status == 200
	},
	QuirkPublicCodeExchangeRefused: func(t *testing.T, ts *TestServer) bool {
		code := mintFor(t, ts, CodeRequest{ClientID: "public-client", CodeChallenge: s256(verifier), CodeChallengeMethod: "S256"})
		return doToken(t, ts, tokenReq{body: codeBody(code, r1, "client_id=public-client", "code_verifier="+verifier)}).status == 200
	},
	QuirkErrorEchoesInput: func(t *testing.T, ts *TestServer) bool {
		return statusIs(doToken(t, ts, tokenReq{body: "grant_type=nope", basic: conf}), 400, "unsupported_grant_type")
	},
	QuirkBadErrorURI: func(t *testing.T, ts *TestServer) bool {
		u, present := doToken(t, ts, tokenReq{body: "grant_type=nope", basic: conf}).body["error_uri"].(string)
		return !present || !strings.ContainsAny(u, " \"\\")
	},
	QuirkMissingGrantDefaulted: func(t *testing.T, ts *TestServer) bool {
		return statusIs(doToken(t, ts, tokenReq{body: "scope=read", basic: conf}), 400, "invalid_request")
	},
	QuirkAnonymousClientCredentials: func(t *testing.T, ts *TestServer) bool {
		return doToken(t, ts, tokenReq{body: ccBody + "&scope=read"}).status != 200
	},
	QuirkMalformedScopeAccepted: func(t *testing.T, ts *TestServer) bool {
		return statusIs(doToken(t, ts, tokenReq{body: ccBody + "&scope=bad%22scope", basic: conf}), 400, "invalid_scope")
	},
	QuirkOmittedScopeInvalidRequest: func(t *testing.T, ts *TestServer) bool {
		return doToken(t, ts, tokenReq{body: ccBody, basic: conf}).status == 200
	},
	QuirkOmittedScopeGrantsAll: func(t *testing.T, ts *TestServer) bool {
		return mustToken(t, ts, tokenReq{body: ccBody, basic: conf}).str("scope") == "read"
	},
	QuirkCorrectPasswordRejected: func(t *testing.T, ts *TestServer) bool {
		return doToken(t, ts, tokenReq{body: "grant_type=password&username=alice&password=alice-password", basic: conf}).status == 200
	},
	QuirkMissingCredentialsInvalidGrant: func(t *testing.T, ts *TestServer) bool {
		return statusIs(doToken(t, ts, tokenReq{body: "grant_type=password&username=alice", basic: conf}), 400, "invalid_request")
	},
	QuirkRefreshSameAccessToken: func(t *testing.T, ts *TestServer) bool {
		first := mustToken(t, ts, tokenReq{body: codeBody(mintFor(t, ts, CodeRequest{}), r1), basic: conf})
		next := mustToken(t, ts, tokenReq{body: "grant_type=refresh_token&refresh_token=" + first.str("refresh_token"), basic: conf})
		return next.str("access_token") != first.str("access_token")
	},
	QuirkMissingRefreshInvalidGrant: func(t *testing.T, ts *TestServer) bool {
		return statusIs(doToken(t, ts, tokenReq{body: "grant_type=refresh_token", basic: conf}), 400, "invalid_request")
	},
	QuirkUnknownRefreshInvalidRequest: func(t *testing.T, ts *TestServer) bool {
		return statusIs(doToken(t, ts, tokenReq{body: "grant_type=refresh_token&refresh_token=garbage", basic: conf}), 400, "invalid_grant")
	},
	QuirkRefreshNarrowingRefused: func(t *testing.T, ts *TestServer) bool {
		rt := mustToken(t, ts, tokenReq{body: codeBody(mintFor(t, ts, CodeRequest{Scope: "read write"}), r1), basic: conf}).str("refresh_token")
		return doToken(t, ts, tokenReq{body: "grant_type=refresh_token&scope=read&refresh_token=" + rt, basic: conf}).status == 200
	},
	QuirkRefreshNarrowedScopeSticks: func(t *testing.T, ts *TestServer) bool {
		rt := mustToken(t, ts, tokenReq{body: codeBody(mintFor(t, ts, CodeRequest{Scope: "read write"}), r1), basic: conf}).str("refresh_token")
		rt2 := mustToken(t, ts, tokenReq{body: "grant_type=refresh_token&scope=read&refresh_token=" + rt, basic: conf}).str("refresh_token")
		return sameScope(mustToken(t, ts, tokenReq{body: "grant_type=refresh_token&refresh_token=" + rt2, basic: conf}).str("scope"), "read write")
	},
	QuirkRefreshReuseNoRevocation: func(t *testing.T, ts *TestServer) bool {
		rt := mustToken(t, ts, tokenReq{body: codeBody(mintFor(t, ts, CodeRequest{}), r1), basic: conf}).str("refresh_token")
		rt2 := mustToken(t, ts, tokenReq{body: "grant_type=refresh_token&refresh_token=" + rt, basic: conf}).str("refresh_token")
		doToken(t, ts, tokenReq{body: "grant_type=refresh_token&refresh_token=" + rt, basic: conf})
		return doToken(t, ts, tokenReq{body: "grant_type=refresh_token&refresh_token=" + rt2, basic: conf}).status == 400
	},
	QuirkTokenTypeConfusion: func(t *testing.T, ts *TestServer) bool {
		rt := mustToken(t, ts, tokenReq{body: codeBody(mintFor(t, ts, CodeRequest{}), r1), basic: conf}).str("refresh_token")
		return doToken(t, ts, tokenReq{body: codeBody(rt, r1), basic: conf}).status == 400
	},
	QuirkVerifierAlwaysRequired: func(t *testing.T, ts *TestServer) bool {
		return doToken(t, ts, tokenReq{body: codeBody(mintFor(t, ts, CodeRequest{}), r1), basic: conf}).status == 200
	},
	QuirkMissingCodeInvalidGrant: func(t *testing.T, ts *TestServer) bool {
		return statusIs(doToken(t, ts, tokenReq{body: codeBody("", r1), basic: conf}), 400, "invalid_request")
	},
	QuirkUnknownCodeInvalidRequest: func(t *testing.T, ts *TestServer) bool {
		return statusIs(doToken(t, ts, tokenReq{body: codeBody("garbage-code", r1), basic: conf}), 400, "invalid_grant")
	},
	QuirkRedirectURIAlwaysRequired: func(t *testing.T, ts *TestServer) bool {
		return doToken(t, ts, tokenReq{body: codeBody(mintFor(t, ts, CodeRequest{OmitRedirectURI: true}), ""), basic: conf}).status == 200
	},
	QuirkCodeClientInferred: func(t *testing.T, ts *TestServer) bool {
		code := mintFor(t, ts, CodeRequest{ClientID: "public-client", CodeChallenge: s256(verifier), CodeChallengeMethod: "S256"})
		return doToken(t, ts, tokenReq{body: codeBody(code, r1, "code_verifier="+verifier)}).status != 200
	},
	QuirkPKCEVerifierBase64URLOnly: func(t *testing.T, ts *TestServer) bool {
		v := verifier[:41] + ".~"
		code := mintFor(t, ts, CodeRequest{CodeChallenge: s256(v), CodeChallengeMethod: "S256"})
		return doToken(t, ts, tokenReq{body: codeBody(code, r1, "code_verifier="+v), basic: conf}).status == 200
	},
	QuirkPKCEPlainBroken: func(t *testing.T, ts *TestServer) bool {
		code := mintFor(t, ts, CodeRequest{CodeChallenge: verifier, CodeChallengeMethod: "plain"})
		return doToken(t, ts, tokenReq{body: codeBody(code, r1, "code_verifier="+verifier), basic: conf}).status == 200
	},
	QuirkPKCEVerifierSyntaxUnchecked: func(t *testing.T, ts *TestServer) bool {
		v := verifier[:42]
		code := mintFor(t, ts, CodeRequest{CodeChallenge: s256(v), CodeChallengeMethod: "S256"})
		return doToken(t, ts, tokenReq{body: codeBody(code, r1, "code_verifier="+v), basic: conf}).status == 400
	},
}

// TestTokenQuirks proves each token quirk breaks its rule: the rule holds on
// the correct mock and fails with the quirk alone.
func TestTokenQuirks(t *testing.T) {
	for q, scenario := range tokenQuirkScenarios {
		t.Run(q.String(), func(t *testing.T) {
			prof := "rfc6749"
			if q == QuirkRefreshNoRotation {
				prof = "oauth20-intents"
			}
			if !scenario(t, NewTestServer(t, prof)) {
				t.Fatal("rule broken on the correct mock")
			}
			if scenario(t, NewTestServer(t, prof, WithQuirks(q.String()))) {
				t.Fatal("rule still holds with the quirk")
			}
		})
	}
}

func TestQuirkTable(t *testing.T) {
	if _, err := parseQuirks([]string{"no-such-quirk"}); err == nil {
		t.Fatal("unknown quirk accepted")
	}
	seen := map[string]bool{}
	for _, q := range Quirks() {
		if seen[q.Name] {
			t.Fatalf("duplicate quirk name %s", q.Name)
		}
		seen[q.Name] = true
	}
	if len(seen) < 25 {
		t.Fatalf("only %d quirks", len(seen))
	}
	_ = url.Values{}
}
