package mockserver

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestTokenEndpointTransport(t *testing.T) {
	ts := NewTestServer(t, "rfc6749")
	cc := "grant_type=client_credentials"
	tests := []struct {
		name   string
		req    tokenReq
		status int
		code   string // "" means success
	}{
		{"basic", tokenReq{body: cc, basic: conf}, 200, ""},
		{"post credentials", tokenReq{body: cc + "&client_id=conf-client&client_secret=conf-secret"}, 200, ""},
		{"charset parameter", tokenReq{body: cc, basic: conf, contentType: "application/x-www-form-urlencoded; charset=UTF-8"}, 200, ""},
		{"unknown parameters ignored", tokenReq{body: cc + "&foo=bar&x_unknown=1", basic: conf}, 200, ""},
		{"empty scope is omitted", tokenReq{body: cc + "&scope=", basic: conf}, 200, ""},
		{"lower-case basic scheme", tokenReq{body: cc, authz: strings.Replace(basicHeader("conf-client", "conf-secret"), "Basic", "basic", 1)}, 200, ""},
		{"basic with same body client_id", tokenReq{body: cc + "&client_id=conf-client", basic: conf}, 200, ""},
		{"GET refused", tokenReq{method: "GET", query: cc, basic: conf}, 405, "invalid_request"},
		{"PUT refused", tokenReq{method: "PUT", body: cc, basic: conf}, 405, "invalid_request"},
		{"JSON body refused by a form-only profile", tokenReq{body: `{"grant_type":"client_credentials"}`, contentType: "application/json", basic: conf}, 400, "invalid_request"},
		{"no content type", tokenReq{body: cc, contentType: "text/plain", basic: conf}, 400, "invalid_request"},
		{"latin-1 charset", tokenReq{body: cc, basic: conf, contentType: "application/x-www-form-urlencoded; charset=ISO-8859-1"}, 400, "invalid_request"},
		{"duplicate grant_type", tokenReq{body: cc + "&" + cc, basic: conf}, 400, "invalid_request"},
		{"duplicate scope", tokenReq{body: cc + "&scope=read&scope=write", basic: conf}, 400, "invalid_request"},
		{"duplicate conflicting grant_type", tokenReq{body: "grant_type=password&" + cc, basic: conf}, 400, "invalid_request"},
		{"duplicate empty", tokenReq{body: cc + "&scope=&scope=read", basic: conf}, 400, "invalid_request"},
		{"bad percent-encoding", tokenReq{body: cc + "&scope=%zz", basic: conf}, 400, "invalid_request"},
		{"credentials in query", tokenReq{body: cc, query: "client_id=conf-client&client_secret=conf-secret"}, 400, "invalid_request"},
		{"missing grant_type", tokenReq{body: "scope=read", basic: conf}, 400, "invalid_request"},
		{"unknown grant_type", tokenReq{body: "grant_type=urn:example:not-a-grant", basic: conf}, 400, "unsupported_grant_type"},
		{"body too large", tokenReq{body: cc + "&pad=" + strings.Repeat("a", maxBodyBytes), basic: conf}, 400, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := doToken(t, ts, tt.req)
			if tt.code == "" {
				if res.status != 200 || res.str("access_token") == "" {
					t.Fatalf("want success, got %d %s", res.status, res.raw)
				}
				if res.header.Get("Cache-Control") != "no-store" || res.header.Get("Pragma") != "no-cache" {
					t.Fatalf("missing cache headers: %v", res.header)
				}
				if res.header.Get("Content-Type") != "application/json" {
					t.Fatalf("content type %q", res.header.Get("Content-Type"))
				}
				return
			}
			wantError(t, res, tt.status, tt.code)
			if tt.status == 405 && res.header.Get("Allow") != "POST" {
				t.Fatalf("405 without Allow: POST")
			}
		})
	}
}

func TestClientAuthentication(t *testing.T) {
	ts := NewTestServer(t, "rfc6749")
	cc := "grant_type=client_credentials"
	tests := []struct {
		name      string
		req       tokenReq
		status    int
		code      string
		challenge bool
	}{
		{"reserved characters form-encoded in Basic", tokenReq{body: cc, basic: [2]string{"special client+1", "a+b:c%/ d=~&"}}, 200, "", false},
		{"wrong secret", tokenReq{body: cc, basic: [2]string{"conf-client", "wrong"}}, 401, "invalid_client", true},
		{"unknown client", tokenReq{body: cc, basic: [2]string{"nobody", "x"}}, 401, "invalid_client", true},
		{"public client via Basic", tokenReq{body: cc, basic: [2]string{"public-client", ""}}, 401, "invalid_client", true},
		{"wrong secret in body", tokenReq{body: cc + "&client_id=conf-client&client_secret=wrong"}, 401, "invalid_client", true},
		{"confidential client without secret", tokenReq{body: cc + "&client_id=conf-client"}, 401, "invalid_client", true},
		{"no authentication", tokenReq{body: cc}, 401, "invalid_client", true},
		{"two methods", tokenReq{body: cc + "&client_id=conf-client&client_secret=conf-secret", basic: conf}, 400, "invalid_request", false},
		{"conflicting client_id", tokenReq{body: cc + "&client_id=conf-client-2", basic: conf}, 400, "invalid_request", false},
		{"malformed base64", tokenReq{body: cc, authz: "Basic !!!not-base64"}, 401, "invalid_client", true},
		{"no colon", tokenReq{body: cc, authz: "Basic bm9jb2xvbg=="}, 401, "invalid_client", true},
		{"bearer scheme", tokenReq{body: cc, authz: "Bearer xyz"}, 401, "invalid_client", true},
		{"public client may not use client_credentials", tokenReq{body: cc + "&client_id=public-client"}, 400, "unauthorized_client", false},
		{"restricted client", tokenReq{body: cc, basic: [2]string{"restricted-client", "restricted-secret"}}, 400, "unauthorized_client", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := doToken(t, ts, tt.req)
			if tt.code == "" {
				if res.status != 200 {
					t.Fatalf("want 200, got %d %s", res.status, res.raw)
				}
				return
			}
			wantError(t, res, tt.status, tt.code)
			if got := res.header.Get("WWW-Authenticate"); tt.challenge != (got != "") || (tt.challenge && !strings.HasPrefix(got, "Basic ")) {
				t.Fatalf("WWW-Authenticate = %q", got)
			}
		})
	}
}

func TestScopes(t *testing.T) {
	ts := NewTestServer(t, "rfc6749")
	tests := []struct {
		scope string
		want  string // granted, or error code
		err   bool
	}{
		{"", "read", false},
		{"read", "read", false},
		{"read write", "read write", false},
		{"write read", "write read", false},
		{"read read", "read", false},
		{"read zz-unknown", "invalid_scope", true},
		{`bad"scope`, "invalid_scope", true},
		{`a\b`, "invalid_scope", true},
	}
	for _, tt := range tests {
		t.Run(tt.scope, func(t *testing.T) {
			body := "grant_type=client_credentials"
			if tt.scope != "" {
				body += "&scope=" + url.QueryEscape(tt.scope)
			}
			res := doToken(t, ts, tokenReq{body: body, basic: conf})
			if tt.err {
				wantError(t, res, 400, tt.want)
				return
			}
			if res.status != 200 || !sameScope(res.str("scope"), tt.want) {
				t.Fatalf("want scope %q, got %d %s", tt.want, res.status, res.raw)
			}
		})
	}
}

func TestPasswordGrant(t *testing.T) {
	ts := NewTestServer(t, "rfc6749")
	tests := []struct {
		name, body string
		status     int
		code       string
	}{
		{"ok", "grant_type=password&username=alice&password=alice-password&scope=read", 200, ""},
		{"wrong password", "grant_type=password&username=alice&password=nope", 400, "invalid_grant"},
		{"unknown user", "grant_type=password&username=mallory&password=nope", 400, "invalid_grant"},
		{"missing password", "grant_type=password&username=alice", 400, "invalid_request"},
		{"missing username", "grant_type=password&password=alice-password", 400, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := doToken(t, ts, tokenReq{body: tt.body, basic: conf})
			if tt.code == "" {
				if res.status != 200 || res.str("refresh_token") == "" {
					t.Fatalf("want tokens, got %d %s", res.status, res.raw)
				}
				return
			}
			wantError(t, res, tt.status, tt.code)
		})
	}
	res := doToken(t, ts, tokenReq{body: "grant_type=password&username=alice&password=alice-password&client_id=conf-client"})
	wantError(t, res, 401, "invalid_client")
}

func codeBody(code, redirect string, extra ...string) string {
	v := "grant_type=authorization_code&code=" + url.QueryEscape(code)
	if redirect != "" {
		v += "&redirect_uri=" + url.QueryEscape(redirect)
	}
	for _, e := range extra {
		v += "&" + e
	}
	return v
}

const r1 = "http://127.0.0.1:8765/callback"

func TestAuthorizationCodeGrant(t *testing.T) {
	ctx := context.Background()
	ts := NewTestServer(t, "rfc6749")
	mint := func(req CodeRequest) string {
		t.Helper()
		if req.ClientID == "" {
			req.ClientID = "conf-client"
		}
		code, err := ts.MintCode(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		return code
	}

	t.Run("exchange", func(t *testing.T) {
		res := mustToken(t, ts, tokenReq{body: codeBody(mint(CodeRequest{Scope: "read write"}), r1), basic: conf})
		if res.str("refresh_token") == "" || !sameScope(res.str("scope"), "read write") {
			t.Fatalf("got %s", res.raw)
		}
	})
	t.Run("missing code", func(t *testing.T) {
		wantError(t, doToken(t, ts, tokenReq{body: "grant_type=authorization_code&redirect_uri=" + r1, basic: conf}), 400, "invalid_request")
	})
	t.Run("garbage code", func(t *testing.T) {
		wantError(t, doToken(t, ts, tokenReq{body: codeBody("garbage-123", r1), basic: conf}), 400, "invalid_grant")
	})
	t.Run("reuse denied and first tokens revoked", func(t *testing.T) {
		code := mint(CodeRequest{})
		first := mustToken(t, ts, tokenReq{body: codeBody(code, r1), basic: conf})
		wantError(t, doToken(t, ts, tokenReq{body: codeBody(code, r1), basic: conf}), 400, "invalid_grant")
		wantError(t, doToken(t, ts, tokenReq{body: "grant_type=refresh_token&refresh_token=" + first.str("refresh_token"), basic: conf}), 400, "invalid_grant")
	})
	t.Run("concurrent redemptions: one wins", func(t *testing.T) {
		code := mint(CodeRequest{})
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok := 0
		for range 5 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if doToken(t, ts, tokenReq{body: codeBody(code, r1), basic: conf}).status == 200 {
					mu.Lock()
					ok++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if ok != 1 {
			t.Fatalf("%d redemptions succeeded", ok)
		}
	})
	t.Run("bound to client", func(t *testing.T) {
		wantError(t, doToken(t, ts, tokenReq{body: codeBody(mint(CodeRequest{}), r1), basic: conf2}), 400, "invalid_grant")
	})
	t.Run("redirect mismatch", func(t *testing.T) {
		wantError(t, doToken(t, ts, tokenReq{body: codeBody(mint(CodeRequest{}), r1+"x"), basic: conf}), 400, "invalid_grant")
	})
	t.Run("redirect missing", func(t *testing.T) {
		wantError(t, doToken(t, ts, tokenReq{body: codeBody(mint(CodeRequest{}), ""), basic: conf}), 400, "invalid_request")
	})
	t.Run("redirect omitted in both", func(t *testing.T) {
		mustToken(t, ts, tokenReq{body: codeBody(mint(CodeRequest{OmitRedirectURI: true}), ""), basic: conf})
	})
	t.Run("expired", func(t *testing.T) {
		ts := NewTestServer(t, "rfc6749")
		code, _ := ts.MintCode(ctx, CodeRequest{ClientID: "conf-client"})
		ts.Clock.Advance(61 * time.Second)
		wantError(t, doToken(t, ts, tokenReq{body: codeBody(code, r1), basic: conf}), 400, "invalid_grant")
	})
	t.Run("refresh token is not a code", func(t *testing.T) {
		rt := mustToken(t, ts, tokenReq{body: codeBody(mint(CodeRequest{}), r1), basic: conf}).str("refresh_token")
		wantError(t, doToken(t, ts, tokenReq{body: codeBody(rt, r1), basic: conf}), 400, "invalid_grant")
	})
}

func TestPKCE(t *testing.T) {
	ctx := context.Background()
	ts := NewTestServer(t, "rfc6749")
	mint := func(challenge, method string) string {
		code, err := ts.MintCode(ctx, CodeRequest{ClientID: "conf-client", CodeChallenge: challenge, CodeChallengeMethod: method})
		if err != nil {
			t.Fatal(err)
		}
		return code
	}
	other := "x" + verifier[1:]
	tests := []struct {
		name, challenge, method, verifier string
		code                              string
	}{
		{"S256", s256(verifier), "S256", verifier, ""},
		{"plain", verifier, "plain", verifier, ""},
		{"wrong verifier", s256(verifier), "S256", other, "invalid_grant"},
		{"missing verifier", s256(verifier), "S256", "", "invalid_grant"},
		{"downgrade", "", "", verifier, "invalid_grant"},
		{"challenge as verifier", s256(verifier), "S256", s256(verifier), "invalid_grant"},
		{"short verifier", s256(verifier[:42]), "S256", verifier[:42], "invalid_grant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := codeBody(mint(tt.challenge, tt.method), r1)
			if tt.verifier != "" {
				body += "&code_verifier=" + tt.verifier
			}
			res := doToken(t, ts, tokenReq{body: body, basic: conf})
			if tt.code == "" {
				if res.status != 200 {
					t.Fatalf("got %d %s", res.status, res.raw)
				}
				return
			}
			wantError(t, res, 400, tt.code)
		})
	}
}

func TestRefreshTokenGrant(t *testing.T) {
	ctx := context.Background()
	ts := NewTestServer(t, "rfc6749")
	start := func(client [2]string, scope string) string {
		t.Helper()
		code, err := ts.MintCode(ctx, CodeRequest{ClientID: client[0], Scope: scope})
		if err != nil {
			t.Fatal(err)
		}
		return mustToken(t, ts, tokenReq{body: codeBody(code, r1), basic: client}).str("refresh_token")
	}
	refresh := func(rt string, extra string, client [2]string) tokenResp {
		return doToken(t, ts, tokenReq{body: "grant_type=refresh_token&refresh_token=" + url.QueryEscape(rt) + extra, basic: client})
	}

	t.Run("refresh rotates", func(t *testing.T) {
		rt := start(conf, "read write")
		res := refresh(rt, "", conf)
		if res.status != 200 || res.str("refresh_token") == "" || res.str("refresh_token") == rt || !sameScope(res.str("scope"), "read write") {
			t.Fatalf("got %d %s", res.status, res.raw)
		}
	})
	t.Run("narrowing then original scope again", func(t *testing.T) {
		rt := start(conf, "read write")
		res := refresh(rt, "&scope=read", conf)
		if res.status != 200 || res.str("scope") != "read" {
			t.Fatalf("narrow: %d %s", res.status, res.raw)
		}
		res = refresh(res.str("refresh_token"), "", conf)
		if res.status != 200 || !sameScope(res.str("scope"), "read write") {
			t.Fatalf("after narrowing: %d %s", res.status, res.raw)
		}
	})
	t.Run("widening refused", func(t *testing.T) {
		wantError(t, refresh(start(conf, "read"), "&scope=read+write", conf), 400, "invalid_scope")
	})
	t.Run("missing", func(t *testing.T) {
		wantError(t, doToken(t, ts, tokenReq{body: "grant_type=refresh_token", basic: conf}), 400, "invalid_request")
	})
	t.Run("garbage", func(t *testing.T) {
		wantError(t, refresh("garbage", "", conf), 400, "invalid_grant")
	})
	t.Run("other client", func(t *testing.T) {
		wantError(t, refresh(start(conf, ""), "", conf2), 400, "invalid_grant")
	})
	t.Run("confidential client must authenticate", func(t *testing.T) {
		rt := start(conf, "")
		wantError(t, doToken(t, ts, tokenReq{body: "grant_type=refresh_token&client_id=conf-client&refresh_token=" + url.QueryEscape(rt)}), 401, "invalid_client")
	})
	t.Run("reuse revokes the family", func(t *testing.T) {
		rt1 := start(conf, "")
		rt2 := refresh(rt1, "", conf).str("refresh_token")
		wantError(t, refresh(rt1, "", conf), 400, "invalid_grant")
		wantError(t, refresh(rt2, "", conf), 400, "invalid_grant")
	})
	t.Run("access token is not a refresh token", func(t *testing.T) {
		code, _ := ts.MintCode(ctx, CodeRequest{ClientID: "conf-client"})
		at := mustToken(t, ts, tokenReq{body: codeBody(code, r1), basic: conf}).str("access_token")
		wantError(t, refresh(at, "", conf), 400, "invalid_grant")
	})
	t.Run("public client rotation", func(t *testing.T) {
		code, err := ts.MintCode(ctx, CodeRequest{ClientID: "public-client", CodeChallenge: s256(verifier), CodeChallengeMethod: "S256"})
		if err != nil {
			t.Fatal(err)
		}
		res := mustToken(t, ts, tokenReq{body: codeBody(code, r1, "client_id=public-client", "code_verifier="+verifier)})
		rt1 := res.str("refresh_token")
		res = doToken(t, ts, tokenReq{body: "grant_type=refresh_token&client_id=public-client&refresh_token=" + url.QueryEscape(rt1)})
		if res.status != 200 || res.str("refresh_token") == rt1 {
			t.Fatalf("public refresh: %d %s", res.status, res.raw)
		}
	})
}

func TestNoRotationProfile(t *testing.T) {
	ts := NewTestServer(t, "oauth20-intents")
	code, err := ts.MintCode(context.Background(), CodeRequest{ClientID: "conf-client", Claims: map[string]any{"intent_id": "i-1"}})
	if err != nil {
		t.Fatal(err)
	}
	rt := mustToken(t, ts, tokenReq{body: codeBody(code, r1), basic: conf}).str("refresh_token")
	for range 2 {
		res := mustToken(t, ts, tokenReq{body: "grant_type=refresh_token&refresh_token=" + url.QueryEscape(rt), basic: conf})
		if res.str("refresh_token") != rt {
			t.Fatalf("refresh token rotated in a non-rotating profile: %s", res.raw)
		}
		if res.str("token_type") != "bearer" {
			t.Fatalf("token_type %q", res.str("token_type"))
		}
	}
}

func TestMerchantCustomerDialect(t *testing.T) {
	ts := NewTestServer(t, "merchant-customer")
	tests := []struct {
		name   string
		req    tokenReq
		status int
		code   string
		scope  string
	}{
		{"JSON body, default grant and scope", tokenReq{body: `{"client_id":"conf-client","client_secret":"conf-secret"}`, contentType: "application/json"}, 200, "", "merchant"},
		{"JSON body customer", tokenReq{body: `{"client_id":"conf-client","client_secret":"conf-secret","grant_type":"client_credentials","scope":"customer"}`, contentType: "application/json"}, 200, "", "customer"},
		{"form body", tokenReq{body: "scope=merchant", basic: conf}, 200, "", "merchant"},
		{"JSON duplicate member", tokenReq{body: `{"client_id":"conf-client","client_secret":"conf-secret","scope":"merchant","scope":"customer"}`, contentType: "application/json"}, 400, "invalid_request", ""},
		{"JSON not an object", tokenReq{body: `["x"]`, contentType: "application/json", basic: conf}, 400, "invalid_request", ""},
		{"JSON number value", tokenReq{body: `{"grant_type":1}`, contentType: "application/json", basic: conf}, 400, "invalid_request", ""},
		{"JSON trailing garbage", tokenReq{body: `{"grant_type":"client_credentials"} x`, contentType: "application/json", basic: conf}, 400, "invalid_request", ""},
		{"unknown scope", tokenReq{body: "scope=admin", basic: conf}, 400, "invalid_scope", ""},
		{"authorization_code unsupported", tokenReq{body: "grant_type=authorization_code&code=x", basic: conf}, 400, "unsupported_grant_type", ""},
		{"public clients unknown", tokenReq{body: "client_id=public-client"}, 401, "invalid_client", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := doToken(t, ts, tt.req)
			if tt.code != "" {
				wantError(t, res, tt.status, tt.code)
				return
			}
			if res.status != 200 || res.str("refresh_token") == "" || res.str("scope") != tt.scope {
				t.Fatalf("got %d %s", res.status, res.raw)
			}
		})
	}
}

func TestOOBPKCEDialect(t *testing.T) {
	ts := NewTestServer(t, "oob-pkce")
	oob := "urn:ietf:wg:oauth:2.0:oob:auto"
	key := map[string]string{"x-api-key": "demo-api-key"}
	code, err := ts.MintCode(context.Background(), CodeRequest{ClientID: "public-client", CodeChallenge: s256(verifier), CodeChallengeMethod: "S256"})
	if err != nil {
		t.Fatal(err)
	}
	body := codeBody(code, oob, "client_id=public-client", "code_verifier="+verifier)
	wantError(t, doToken(t, ts, tokenReq{body: body}), 401, "invalid_client")
	wantError(t, doToken(t, ts, tokenReq{body: body, headers: map[string]string{"x-api-key": "wrong"}}), 401, "invalid_client")
	res := mustToken(t, ts, tokenReq{body: body, headers: key})
	if res.str("token_type") != "Bearer" || res.str("refresh_token") == "" {
		t.Fatalf("got %s", res.raw)
	}
	wantError(t, doToken(t, ts, tokenReq{headers: key, body: "grant_type=refresh_token&client_id=public-client&refresh_token=" + res.str("refresh_token")}), 400, "invalid_request")
	res2 := mustToken(t, ts, tokenReq{headers: key, contentType: "application/json",
		body: `{"grant_type":"refresh_token","client_id":"public-client","redirect_uri":"` + oob + `","refresh_token":"` + res.str("refresh_token") + `"}`})
	if res2.str("refresh_token") == res.str("refresh_token") {
		t.Fatal("oob-pkce refresh tokens must rotate")
	}
	wantError(t, doToken(t, ts, tokenReq{body: "grant_type=client_credentials&client_id=conf-client", headers: key}), 400, "unsupported_grant_type")
}

func TestGarbageNeverFails5xx(t *testing.T) {
	for _, prof := range []string{"rfc6749", "merchant-customer", "oob-pkce", "oauth20-intents"} {
		ts := NewTestServer(t, prof)
		bodies := []tokenReq{
			{body: "\x00\xff\xfe"},
			{body: "%"},
			{body: "=&=&&="},
			{body: "grant_type=\xff", basic: conf},
			{body: "grant_type=authorization_code&code=\xff&redirect_uri=\x00", basic: conf},
			{body: "{", contentType: "application/json"},
			{body: `{"a":{"b":1}}`, contentType: "application/json"},
			{body: "x", contentType: ";;;"},
			{body: "grant_type=refresh_token&refresh_token=%00", basic: conf},
			{authz: "Basic " + strings.Repeat("A", 5000)},
			{authz: "Basic"},
		}
		for i, b := range bodies {
			res := doToken(t, ts, b)
			if res.status >= 500 || res.str("error") == "" {
				t.Errorf("%s #%d: %d %s", prof, i, res.status, res.raw)
			}
		}
	}
}

func TestParallelServersShareNoState(t *testing.T) {
	a := NewTestServer(t, "rfc6749")
	b := NewTestServer(t, "rfc6749")
	code, _ := a.MintCode(context.Background(), CodeRequest{ClientID: "conf-client"})
	wantError(t, doToken(t, b, tokenReq{body: codeBody(code, r1), basic: conf}), 400, "invalid_grant")
	mustToken(t, a, tokenReq{body: codeBody(code, r1), basic: conf})
	if len(a.Requests()) == 0 || len(b.Requests()) != 1 {
		t.Fatalf("request logs: %d %d", len(a.Requests()), len(b.Requests()))
	}
	if got := a.Requests()[0].Header.Get("Authorization"); got != "[REDACTED]" {
		t.Fatalf("recorded Authorization %q", got)
	}
	_ = http.StatusOK
}
