package mockserver

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// tokenReq describes one raw token request in a test.
type tokenReq struct {
	method      string
	body        string // raw body; form unless contentType says otherwise
	contentType string
	basic       [2]string // id, secret (form-encoded before base64)
	authz       string    // raw Authorization header
	headers     map[string]string
	query       string
}

type tokenResp struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func basicHeader(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}

func doToken(t *testing.T, ts *TestServer, r tokenReq) tokenResp {
	t.Helper()
	return doAt(t, ts, ts.TokenURL(), r)
}

func (r tokenResp) str(k string) string {
	s, _ := r.body[k].(string)
	return s
}

var conf = [2]string{"conf-client", "conf-secret"}
var conf2 = [2]string{"conf-client-2", "conf-secret-2"}

// mustToken asserts a 200 and returns the response.
func mustToken(t *testing.T, ts *TestServer, r tokenReq) tokenResp {
	t.Helper()
	res := doToken(t, ts, r)
	if res.status != http.StatusOK || res.str("access_token") == "" {
		t.Fatalf("want 200 with a token, got %d %s", res.status, res.raw)
	}
	return res
}

// wantError asserts an RFC 6749 error with the code and status.
func wantError(t *testing.T, res tokenResp, status int, code string) {
	t.Helper()
	if res.status != status || res.str("error") != code {
		t.Fatalf("want %d %s, got %d %s", status, code, res.status, res.raw)
	}
	if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("error Content-Type %q", ct)
	}
	if res.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("error without Cache-Control: no-store")
	}
}

// s256 returns the S256 challenge of v.
func s256(v string) string {
	return pkceS256(v)
}

const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
