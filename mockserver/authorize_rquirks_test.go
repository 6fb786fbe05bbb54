package mockserver

import (
	"net/http"
	"strings"
	"testing"
)

// Proofs of the authorize quirks of the AUTHZ-REQ and AUTHZ-RURI groups: each
// scenario reports whether the quirk's broken behaviour shows; it must not on
// the strict provider and must with the quirk alone.

const (
	azMultiCB1 = "https://client.example/cb1"
	azQueryCB  = "https://client.example/cb?dummy1=lorem&dummy2=ipsum"
)

var rquirkScenarios = []struct {
	quirk  Quirk
	broken func(t *testing.T, ts *TestServer) bool
}{
	{QuirkAuthorizeGetRefused, func(t *testing.T, ts *TestServer) bool {
		plain := azGet(t, ts, azCodeReq().enc())
		browser := azDo(t, ts, http.MethodGet, ts.AuthorizeURL()+"?"+azCodeReq().enc(), "", map[string]string{"Accept": "text/html,*/*;q=0.8"})
		if browser.status != http.StatusOK {
			t.Fatalf("a browser's GET is refused: %d", browser.status)
		}
		return plain.status == http.StatusMethodNotAllowed
	}},
	{QuirkAuthorizePOSTErrorRedirect, func(t *testing.T, ts *TestServer) bool {
		res := azDo(t, ts, http.MethodPost, ts.AuthorizeURL(), azCodeReq().enc(), nil)
		return res.redirected() && strings.HasPrefix(res.loc, azR1+"?error=invalid_request")
	}},
	{QuirkAuthorizeUnknownParamRejected, func(t *testing.T, ts *TestServer) bool {
		if azGet(t, ts, azCodeReq().enc()).status != http.StatusOK {
			t.Fatal("a request without unknown parameters is refused")
		}
		res := azGet(t, ts, azCodeReq().add("extra", "foobar").enc())
		return res.redirected() && res.query().Get("error") == "invalid_request"
	}},
	{QuirkAuthorizeEmptyScopeLiteral, func(t *testing.T, ts *TestServer) bool {
		if azGet(t, ts, azCodeReq().del("scope").enc()).status != http.StatusOK {
			t.Fatal("a request without scope is refused")
		}
		res := azGet(t, ts, azCodeReq().set("scope", "").enc())
		return res.redirected() && res.query().Get("error") == "invalid_scope"
	}},
	{QuirkRegisteredQueryDropped, func(t *testing.T, ts *TestServer) bool {
		q := azReq{{"response_type", "code"}, {"client_id", "query-client"}, {"redirect_uri", azQueryCB}, {"state", "s"}}
		res := azFlow(t, ts, q, "approve")
		return res.query().Get("code") != "" && res.query().Get("dummy1") == ""
	}},
	{QuirkRedirectQueryAppended, func(t *testing.T, ts *TestServer) bool {
		res, ok := azTryFlow(t, ts, azCodeReq().set("redirect_uri", azR1+"?foo=bar"))
		return ok && strings.HasPrefix(res.loc, azR1+"?foo=bar&code=")
	}},
	{QuirkRedirectFragmentAccepted, func(t *testing.T, ts *TestServer) bool {
		res, ok := azTryFlow(t, ts, azCodeReq().set("redirect_uri", azR1+"#frag"))
		return ok && strings.HasPrefix(res.loc, azR1+"?code=") && strings.HasSuffix(res.loc, "#frag")
	}},
	{QuirkRedirectFallbackRegistered, func(t *testing.T, ts *TestServer) bool {
		res, ok := azTryFlow(t, ts, azCodeReq().set("redirect_uri", azAttacker))
		return ok && strings.HasPrefix(res.loc, azR1+"?code=")
	}},
	{QuirkMultiRedirectDefault, func(t *testing.T, ts *TestServer) bool {
		q := azReq{{"response_type", "code"}, {"client_id", "multi-client"}, {"state", "s"}}
		res, ok := azTryFlow(t, ts, q)
		return ok && strings.HasPrefix(res.loc, azMultiCB1+"?code=")
	}},
	{QuirkRedirectURIRequired, func(t *testing.T, ts *TestServer) bool {
		return azGet(t, ts, azCodeReq().del("redirect_uri").enc()).status == http.StatusBadRequest
	}},
	{QuirkLoopbackPortExact, func(t *testing.T, ts *TestServer) bool {
		q := azCodeReq().set("client_id", "public-client").set("redirect_uri", "http://127.0.0.1:51234/callback").
			add("code_challenge", pkceS256(azVerifier)).add("code_challenge_method", "S256")
		return azGet(t, ts, q.enc()).status == http.StatusBadRequest
	}},
}

func TestAuthorizeRedirectAndRequestQuirks(t *testing.T) {
	for _, sc := range rquirkScenarios {
		t.Run(sc.quirk.String(), func(t *testing.T) {
			if sc.broken(t, NewTestServer(t, "rfc6749")) {
				t.Fatal("the strict provider shows the broken behaviour")
			}
			if !sc.broken(t, NewTestServer(t, "rfc6749", WithQuirks(sc.quirk.String()))) {
				t.Fatal("the quirk does not change the behaviour")
			}
		})
	}
}
