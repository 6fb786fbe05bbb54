package mockserver

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/oauthconform/oauthconform/profile"
)

// Helpers for the metadata, revocation, introspection and resource tests.

var allProfiles = []string{"rfc6749", "oauth20-intents", "merchant-customer", "oob-pkce"}

const oobURI = "urn:ietf:wg:oauth:2.0:oob:auto"

// doAt sends one raw request to any URL of the server (doToken targets the
// token endpoint).
func doAt(t *testing.T, ts *TestServer, u string, r tokenReq) tokenResp {
	t.Helper()
	method := r.method
	if method == "" {
		method = http.MethodPost
	}
	if r.query != "" {
		u += "?" + r.query
	}
	req, err := http.NewRequest(method, u, strings.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	if method != http.MethodGet && method != http.MethodHead {
		ct := r.contentType
		if ct == "" {
			ct = "application/x-www-form-urlencoded"
		}
		req.Header.Set("Content-Type", ct)
	}
	req.Header.Set("Accept", "application/json")
	if r.basic[0] != "" {
		req.Header.Set("Authorization", basicHeader(r.basic[0], r.basic[1]))
	}
	if r.authz != "" {
		req.Header.Set("Authorization", r.authz)
	}
	for k, v := range r.headers {
		req.Header.Set(k, v)
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	out := tokenResp{status: resp.StatusCode, header: resp.Header, raw: string(b)}
	_ = json.Unmarshal(b, &out.body)
	return out
}

// ep is one profile's mock with the clients the endpoint tests use.
type ep struct {
	name    string
	ts      *TestServer
	c1, c2  [2]string // id, secret ("" for public clients)
	headers map[string]string
}

func newEP(t *testing.T, name string, opts ...TestOption) *ep {
	t.Helper()
	e := &ep{name: name, ts: NewTestServer(t, name, opts...), c1: conf, c2: conf2}
	if name == "oob-pkce" {
		e.c1, e.c2 = [2]string{"public-client", ""}, [2]string{"conf-client-2", ""}
		e.headers = map[string]string{"x-api-key": "demo-api-key"}
	}
	return e
}

// as builds a request of client c: Basic for confidential clients, client_id
// in the body for public ones; with the API key.
func (e *ep) as(c [2]string, body string) tokenReq {
	r := tokenReq{body: body, headers: e.headers}
	if c[1] != "" {
		r.basic = c
	} else {
		if r.body != "" {
			r.body += "&"
		}
		r.body += "client_id=" + url.QueryEscape(c[0])
	}
	return r
}

func (e *ep) req(body string) tokenReq { return e.as(e.c1, body) }

// tokens issues an access and a refresh token to c1 of a grant family.
func (e *ep) tokens(t *testing.T) (at, rt string) {
	t.Helper()
	return e.tokensFor(t, e.c1, "")
}

func (e *ep) tokensFor(t *testing.T, c [2]string, scope string) (at, rt string) {
	t.Helper()
	var res tokenResp
	if e.name == "oob-pkce" {
		code, err := e.ts.MintCode(context.Background(), CodeRequest{ClientID: c[0], RedirectURI: oobURI, CodeChallenge: s256(verifier), CodeChallengeMethod: "S256"})
		if err != nil {
			t.Fatal(err)
		}
		res = mustToken(t, e.ts, e.as(c, "grant_type=authorization_code&code="+url.QueryEscape(code)+"&redirect_uri="+url.QueryEscape(oobURI)+"&code_verifier="+verifier))
	} else {
		body := "grant_type=password&username=alice&password=alice-password"
		if scope != "" {
			body += "&scope=" + url.QueryEscape(scope)
		}
		res = mustToken(t, e.ts, e.as(c, body))
	}
	if res.str("refresh_token") == "" {
		t.Fatalf("no refresh token: %s", res.raw)
	}
	return res.str("access_token"), res.str("refresh_token")
}

// refresh uses a refresh token of c1.
func (e *ep) refresh(t *testing.T, rt string) tokenResp {
	t.Helper()
	return e.refreshAs(t, e.c1, rt)
}

func (e *ep) refreshAs(t *testing.T, c [2]string, rt string) tokenResp {
	t.Helper()
	body := "grant_type=refresh_token&refresh_token=" + url.QueryEscape(rt)
	if e.name == "oob-pkce" {
		body += "&redirect_uri=" + url.QueryEscape(oobURI)
	}
	return doToken(t, e.ts, e.as(c, body))
}

func (e *ep) revoke(t *testing.T, r tokenReq) tokenResp {
	t.Helper()
	return doAt(t, e.ts, e.ts.RevocationURL(), r)
}

func (e *ep) introspect(t *testing.T, r tokenReq) tokenResp {
	t.Helper()
	return doAt(t, e.ts, e.ts.IntrospectionURL(), r)
}

// active introspects tok as c1 and reports the active member (false unless
// it is the JSON boolean true).
func (e *ep) active(t *testing.T, tok string) bool {
	t.Helper()
	res := e.introspect(t, e.req("token="+url.QueryEscape(tok)))
	if res.status != http.StatusOK {
		t.Fatalf("introspection: %d %s", res.status, res.raw)
	}
	return res.body["active"] == true
}

// resource calls the generic protected resource with a bearer token.
func (e *ep) resource(t *testing.T, tok string) tokenResp {
	t.Helper()
	r := tokenReq{method: http.MethodGet}
	if tok != "" {
		r.authz = "Bearer " + tok
	}
	return doAt(t, e.ts, e.ts.ResourceURL(), r)
}

// newTestServerDialect is NewTestServer for a dialect value, with the
// built-in settings of its name.
func newTestServerDialect(t *testing.T, d *profile.Dialect, opts ...TestOption) *TestServer {
	t.Helper()
	set, _, err := readSettings(d.Name)
	if err != nil {
		t.Fatal(err)
	}
	return newTestServer(t, Config{Dialect: d, Settings: set}, opts)
}

// challengeHasError reports whether a WWW-Authenticate value carries an
// error attribute.
func challengeHasError(h string) bool { return strings.Contains(h, "error=") }
