package mockserver

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func lastRequest(t *testing.T, ts *TestServer) RecordedRequest {
	t.Helper()
	rs := ts.Requests()
	if len(rs) == 0 {
		t.Fatal("no request recorded")
	}
	return rs[len(rs)-1]
}

// The log keeps bodies with their credentials redacted, so a test can
// assert what its client sent; WithRecordSecrets keeps them.
func TestRecordedBodies(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		dialect  string
		secrets  bool
		req      func(ts *TestServer) tokenReq
		wantForm map[string]string
		wantBody []string // substrings
		hidden   []string // never in Body, Form or headers
	}{
		{
			name: "code exchange", dialect: "rfc6749",
			req: func(ts *TestServer) tokenReq {
				code, err := ts.MintCode(ctx, CodeRequest{ClientID: "conf-client", CodeChallenge: s256(verifier), CodeChallengeMethod: "S256"})
				if err != nil {
					t.Fatal(err)
				}
				return tokenReq{body: "grant_type=authorization_code&code=" + code + "&code_verifier=" + verifier +
					"&redirect_uri=" + url.QueryEscape("http://127.0.0.1:8765/callback") + "&client_id=conf-client&client_secret=conf-secret"}
			},
			wantForm: map[string]string{"grant_type": "authorization_code", "code_verifier": redactedValue, "code": redactedValue,
				"client_secret": redactedValue, "client_id": "conf-client", "redirect_uri": "http://127.0.0.1:8765/callback"},
			wantBody: []string{"grant_type=authorization_code&code=[REDACTED]&code_verifier=[REDACTED]&redirect_uri=http%3A%2F%2F127.0.0.1%3A8765%2Fcallback&client_id=conf-client&client_secret=[REDACTED]"},
			hidden:   []string{verifier, "conf-secret"},
		},
		{
			name: "password grant with Basic", dialect: "rfc6749",
			req: func(*TestServer) tokenReq {
				return tokenReq{body: "grant_type=password&username=alice&password=alice-password", basic: conf}
			},
			wantForm: map[string]string{"grant_type": "password", "username": "alice", "password": redactedValue},
			hidden:   []string{"alice-password", basicHeader("conf-client", "conf-secret")},
		},
		{
			name: "JSON body", dialect: "merchant-customer",
			req: func(*TestServer) tokenReq {
				return tokenReq{contentType: "application/json", body: `{"client_id":"conf-client","client_secret":"conf-secret","scope":"customer","n":1}`}
			},
			wantForm: map[string]string{"client_id": "conf-client", "client_secret": redactedValue, "scope": "customer", "n": "1"},
			wantBody: []string{`{"client_id":"conf-client","client_secret":"[REDACTED]","scope":"customer","n":1}`},
			hidden:   []string{"conf-secret"},
		},
		{
			name: "API key header", dialect: "oob-pkce",
			req: func(*TestServer) tokenReq {
				return tokenReq{body: "grant_type=refresh_token&refresh_token=rt-secret&client_id=public-client", headers: map[string]string{"x-api-key": "demo-api-key"}}
			},
			wantForm: map[string]string{"refresh_token": redactedValue, "client_id": "public-client"},
			hidden:   []string{"rt-secret", "demo-api-key"},
		},
		{
			name: "secrets kept", dialect: "rfc6749", secrets: true,
			req: func(*TestServer) tokenReq {
				return tokenReq{body: "grant_type=password&username=alice&password=alice-password", basic: conf}
			},
			wantForm: map[string]string{"password": "alice-password"},
			wantBody: []string{"password=alice-password"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []TestOption
			if tt.secrets {
				opts = append(opts, WithRecordSecrets())
			}
			ts := NewTestServer(t, tt.dialect, opts...)
			doToken(t, ts, tt.req(ts))
			rec := lastRequest(t, ts)
			for k, v := range tt.wantForm {
				if got := rec.Form.Get(k); got != v {
					t.Errorf("Form[%s] = %q, want %q", k, got, v)
				}
			}
			for _, s := range tt.wantBody {
				if !strings.Contains(rec.Body, s) {
					t.Errorf("Body %q lacks %q", rec.Body, s)
				}
			}
			all := rec.Body + " " + rec.Form.Encode()
			for _, vs := range rec.Header {
				all += " " + strings.Join(vs, " ")
			}
			for _, s := range tt.hidden {
				if strings.Contains(all, s) || strings.Contains(all, url.QueryEscape(s)) {
					t.Errorf("%q recorded: %s", s, all)
				}
			}
			if tt.secrets && rec.Header.Get("Authorization") != basicHeader("conf-client", "conf-secret") {
				t.Errorf("Authorization %q", rec.Header.Get("Authorization"))
			}
			if rec.Status == 0 || rec.BodyTruncated {
				t.Errorf("status %d truncated %v", rec.Status, rec.BodyTruncated)
			}
		})
	}
}

// A body over 8 KiB keeps its first 8 KiB, marked; a secret cut short is
// redacted all the same. A request the handler refuses unread is recorded.
func TestRecordedBodyBounds(t *testing.T) {
	ts := NewTestServer(t, "rfc6749")
	pad := strings.Repeat("x", maxRecordedBody-len("grant_type=client_credentials&pad=&client_secret=ab"))
	doToken(t, ts, tokenReq{body: "grant_type=client_credentials&pad=" + pad + "&client_secret=abcdefgh", basic: [2]string{"", ""}})
	rec := lastRequest(t, ts)
	if !rec.BodyTruncated || !strings.HasSuffix(rec.Body, "&client_secret=[REDACTED]"+TruncatedBody) || strings.Contains(rec.Body, "abc") {
		t.Fatalf("truncated %v, tail %q", rec.BodyTruncated, rec.Body[len(rec.Body)-60:])
	}
	// The token endpoint refuses GET before reading anything; the log has
	// the body anyway (a GET with a body, as odd clients send).
	req, _ := http.NewRequest(http.MethodGet, ts.TokenURL(), strings.NewReader("token=abc&x=1"))
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if rec := lastRequest(t, ts); rec.Body != "token=[REDACTED]&x=1" || rec.Status != http.StatusMethodNotAllowed {
		t.Fatalf("%+v", rec)
	}
}

// The log's memory stays bounded by the count and by the bodies' size.
func TestRequestLogBounded(t *testing.T) {
	l := &requestLog{}
	for i := 0; i < maxRecorded*2; i++ {
		l.add(RecordedRequest{size: 1})
	}
	if len(l.reqs) > maxRecorded {
		t.Fatalf("%d records", len(l.reqs))
	}
	l = &requestLog{}
	for i := 0; i < 5000; i++ {
		l.add(RecordedRequest{size: 2 * maxRecordedBody})
	}
	if l.bodies > maxRecordedBodies || len(l.reqs) == 0 {
		t.Fatalf("%d bytes of bodies in %d records", l.bodies, len(l.reqs))
	}
}

func TestRedactBodies(t *testing.T) {
	tests := []struct{ in, form, json string }{
		{"a=1&code=xyz&b=2", "a=1&code=[REDACTED]&b=2", ""},
		{"code&code=&password=p%20q&pass%77ord=z", "code&code=[REDACTED]&password=[REDACTED]&pass%77ord=[REDACTED]", ""},
		{"client_secret=abc", "client_secret=[REDACTED]", ""},
		{`{"token":"t","n":{"password":12,"x":[1,{"code":"c\"d"}]},"ok":true}`, "",
			`{"token":"[REDACTED]","n":{"password":"[REDACTED]","x":[1,{"code":"[REDACTED]"}]},"ok":true}`},
		{`{"assertion" : {"a":"}"} , "k":"v"}`, "", `{"assertion" : "[REDACTED]" , "k":"v"}`},
		{`{"refresh_token":"abc`, "", `{"refresh_token":"[REDACTED]"`}, // truncated in the value
		{`{"x":"code","y":"code:"}`, "", `{"x":"code","y":"code:"}`},   // values, not names
		{`{"access_token":`, "", `{"access_token":`},                   // nothing to redact yet
		{`{"code\u0020":1,"client_assertion":null}`, "", `{"code\u0020":1,"client_assertion":"[REDACTED]"}`},
	}
	for _, tt := range tests {
		if tt.form != "" {
			if got := redactForm(tt.in); got != tt.form {
				t.Errorf("redactForm(%q) = %q, want %q", tt.in, got, tt.form)
			}
		}
		if tt.json != "" {
			if got := redactJSON(tt.in); got != tt.json {
				t.Errorf("redactJSON(%q) = %q, want %q", tt.in, got, tt.json)
			}
		}
	}
}
