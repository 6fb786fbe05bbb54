package mockserver

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Proofs of the authorize quirks of the AUTHZ-RESP, AUTHZ-ERR, AUTHZ-IMP and
// AUTHZ-PKCE groups: each scenario reports whether the quirk's broken
// behaviour shows; it must not on the strict provider and must with the
// quirk alone.

var respQuirkScenarios = []struct {
	quirk   Quirk
	profile string
	broken  func(t *testing.T, ts *TestServer) bool
}{
	{QuirkStateInvented, "", func(t *testing.T, ts *TestServer) bool {
		res := azFlow(t, ts, azCodeReq().del("state"), "approve")
		if res.query().Get("code") == "" {
			t.Fatalf("no code: %q", res.loc)
		}
		return res.query().Has("state")
	}},
	{QuirkStateInvented, "oob-pkce", func(t *testing.T, ts *TestServer) bool {
		res := azFlow(t, ts, azReq{{"response_type", "code"}, {"client_id", "conf-client"}}, "approve")
		return res.query().Has("state")
	}},
	{QuirkNonVSCHARCode, "", func(t *testing.T, ts *TestServer) bool {
		code := azFlow(t, ts, azCodeReq(), "approve").query().Get("code")
		if code == "" {
			t.Fatal("no code")
		}
		return !validVSCHAR(code)
	}},
	{QuirkWrongIss, "", func(t *testing.T, ts *TestServer) bool {
		ok := azFlow(t, ts, azCodeReq(), "approve").query()
		denied := azFlow(t, ts, azCodeReq(), "deny").query()
		return ok.Has("iss") && ok.Get("iss") != ts.URL && denied.Has("iss") && denied.Get("iss") != ts.URL
	}},
	{QuirkErrorWithCode, "", func(t *testing.T, ts *TestServer) bool {
		v := azFlow(t, ts, azCodeReq(), "deny").query()
		if v.Get("error") != "access_denied" {
			t.Fatalf("deny: %v", v)
		}
		return v.Has("code")
	}},
	{QuirkCodeForUnauthorizedClient, "", func(t *testing.T, ts *TestServer) bool {
		res, ok := azTryFlow(t, ts, azCodeReq().set("client_id", "no-code-client"))
		return ok && res.query().Get("code") != ""
	}},
	{QuirkCodeForUnauthorizedClient, "oob-pkce", func(t *testing.T, ts *TestServer) bool {
		res, ok := azTryFlow(t, ts, azReq{{"response_type", "code"}, {"client_id", "no-code-client"}, {"state", "s"}})
		return ok && strings.Contains(res.loc, "code=")
	}},
	{QuirkImplicitAsCode, "", func(t *testing.T, ts *TestServer) bool {
		res := azFlow(t, ts, azCodeReq().set("response_type", "token"), "approve")
		return res.query().Get("code") != "" && res.fragment().Get("access_token") == ""
	}},
	{QuirkImplicitErrorInQuery, "", func(t *testing.T, ts *TestServer) bool {
		res := azGet(t, ts, azCodeReq().set("response_type", "token").set("scope", "zz-unknown").enc())
		if res.query().Get("error") == "" && res.fragment().Get("error") == "" {
			t.Fatalf("no error: %d %q", res.status, res.loc)
		}
		return res.query().Get("error") == "invalid_scope" && !strings.Contains(res.loc, "#")
	}},
	{QuirkImplicitExpiresInDecimal, "", func(t *testing.T, ts *TestServer) bool {
		f := azFlow(t, ts, azCodeReq().set("response_type", "token"), "approve").fragment()
		if f.Get("access_token") == "" {
			t.Fatalf("no token: %v", f)
		}
		return strings.ContainsFunc(f.Get("expires_in"), func(r rune) bool { return r < '0' || r > '9' })
	}},
	{QuirkPKCES256AsPlain, "", func(t *testing.T, ts *TestServer) bool {
		res := azFlow(t, ts, azCodeReq().add("code_challenge", pkceS256(azVerifier)).add("code_challenge_method", "S256"), "approve")
		form := url.Values{"grant_type": {"authorization_code"}, "code": {res.query().Get("code")}, "redirect_uri": {azR1}, "code_verifier": {azVerifier}}
		status, _ := azExchange(t, ts, form, azConf, nil)
		return status != http.StatusOK
	}},
	{QuirkPKCES256AsPlain, "oob-pkce", func(t *testing.T, ts *TestServer) bool {
		q := azReq{{"response_type", "code"}, {"client_id", "conf-client"}, {"code_challenge", pkceS256(azVerifier)}, {"code_challenge_method", "S256"}}
		loc := azFlow(t, ts, q, "approve").loc
		_, raw, _ := strings.Cut(loc, "?")
		v, _ := url.ParseQuery(raw)
		form := url.Values{"grant_type": {"authorization_code"}, "code": {v.Get("code")}, "redirect_uri": {azOOB},
			"client_id": {"conf-client"}, "code_verifier": {azVerifier}}
		status, _ := azExchange(t, ts, form, [2]string{}, map[string]string{"x-api-key": "demo-api-key"})
		return status != http.StatusOK
	}},
	{QuirkPKCEChallengeNotRequired, "", func(t *testing.T, ts *TestServer) bool {
		res, ok := azTryFlow(t, ts, azCodeReq().set("client_id", "public-client"))
		return ok && res.query().Get("code") != ""
	}},
	// The scope quirks of the token endpoint act on authorization requests too.
	{QuirkUnknownScopeGranted, "", func(t *testing.T, ts *TestServer) bool {
		res, ok := azTryFlow(t, ts, azCodeReq().set("scope", "read zz-unknown"))
		if !ok {
			return false
		}
		status, body := azExchange(t, ts, url.Values{"grant_type": {"authorization_code"}, "code": {res.query().Get("code")}, "redirect_uri": {azR1}}, azConf, nil)
		return status == http.StatusOK && strings.Contains(body["scope"].(string), "zz-unknown")
	}},
	{QuirkScopeNotReported, "", func(t *testing.T, ts *TestServer) bool {
		res, ok := azTryFlow(t, ts, azCodeReq().set("scope", "read zz-unknown"))
		if !ok {
			return false
		}
		status, body := azExchange(t, ts, url.Values{"grant_type": {"authorization_code"}, "code": {res.query().Get("code")}, "redirect_uri": {azR1}}, azConf, nil)
		_, reported := body["scope"]
		return status == http.StatusOK && !reported
	}},
}

func TestAuthorizeResponseQuirks(t *testing.T) {
	for _, tt := range respQuirkScenarios {
		prof := tt.profile
		if prof == "" {
			prof = "rfc6749"
		}
		t.Run(prof+"/"+tt.quirk.String(), func(t *testing.T) {
			if tt.broken(t, NewTestServer(t, prof)) {
				t.Fatal("strict provider shows the broken behaviour")
			}
			if !tt.broken(t, NewTestServer(t, prof, WithQuirks(tt.quirk.String()))) {
				t.Fatal("the quirk does not change the behaviour")
			}
		})
	}
}

// respQuirks are the quirks added for the response groups; each leaves a
// plain code flow working (the code still redeems).
var respQuirks = []Quirk{
	QuirkStateInvented, QuirkNonVSCHARCode, QuirkWrongIss, QuirkErrorWithCode, QuirkCodeForUnauthorizedClient,
	QuirkImplicitAsCode, QuirkImplicitErrorInQuery, QuirkImplicitExpiresInDecimal, QuirkPKCES256AsPlain,
	QuirkPKCEChallengeNotRequired,
}

func TestAuthorizeResponseQuirksKeepTheHappyPath(t *testing.T) {
	for _, q := range respQuirks {
		t.Run(q.String(), func(t *testing.T) {
			ts := NewTestServer(t, "rfc6749", WithQuirks(q.String()))
			res := azFlow(t, ts, azCodeReq().set("state", "plain-state"), "approve")
			v := res.query()
			if res.status != http.StatusSeeOther || v.Get("code") == "" || v.Get("state") != "plain-state" {
				t.Fatalf("flow broken: %d %q", res.status, res.loc)
			}
			status, body := azExchange(t, ts, url.Values{"grant_type": {"authorization_code"}, "code": {v.Get("code")}, "redirect_uri": {azR1}}, azConf, nil)
			if status != http.StatusOK {
				t.Fatalf("exchange: %d %v", status, body)
			}
			// Client and redirect errors stay pages.
			azWantPageOrQuirk(t, azGet(t, ts, azCodeReq().set("redirect_uri", azAttacker).enc()))
		})
	}
}
