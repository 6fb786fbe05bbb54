package harness

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// echoTarget is a target that reflects whatever it receives: the query, the
// body, the Authorization header (also base64-decoded) and the API key go
// into an error_description, a JSON member, response headers and, for a
// GET, an HTML page (escaped by html/template, and once raw). It also issues
// tokens and codes, which later requests carry back to it. issued lists
// them.
type echoTarget struct {
	*httptest.Server
	mu     sync.Mutex
	issued []string
}

func newEchoTarget(t *testing.T) *echoTarget {
	t.Helper()
	et := &echoTarget{}
	page := template.Must(template.New("page").Parse(`<html><body><p>You sent {{.Echo}}</p>
<p>Your code: <code id="code">{{.Code}}</code></p>
<form method="post"><input type="hidden" name="code" value="{{.Code2}}"><input type="hidden" name="access_token" value="{{.Token}}"></form>
<pre>{{.Raw}}</pre></body></html>`))
	et.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		auth := r.Header.Get("Authorization")
		decoded := ""
		if _, cred, ok := strings.Cut(auth, " "); ok {
			if b, err := base64.StdEncoding.DecodeString(cred); err == nil {
				decoded = string(b)
				if u, err := url.QueryUnescape(decoded); err == nil {
					decoded += " " + u
				}
			}
		}
		echo := fmt.Sprintf("query=%s body=%s authorization=%s basic=%s key=%s", r.URL.RawQuery, body, auth, decoded, r.Header.Get("X-Api-Key"))
		oneLine := strings.NewReplacer("\r", " ", "\n", " ").Replace(echo)
		w.Header().Set("X-Echo", oneLine)
		w.Header().Set("X-Echo-Body", strings.NewReplacer("\r", " ", "\n", " ").Replace(string(body)))
		w.Header().Set("X-Echo-Basic", decoded)
		form, _ := url.ParseQuery(string(body))
		switch {
		case r.Method == http.MethodGet:
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			data := struct{ Echo, Code, Code2, Token string }{echo, et.issue("code"), et.issue("code"), et.issue("at")}
			var b bytes.Buffer
			_ = page.Execute(&b, struct {
				Echo, Code, Code2, Token string
				Raw                      template.HTML
			}{data.Echo, data.Code, data.Code2, data.Token, template.HTML(echo)}) //nolint:gosec // the point: a page that reflects raw input
			_, _ = w.Write(b.Bytes())
		case form.Get("grant_type") == "client_credentials":
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"access_token": et.issue("at"), "token_type": "Bearer",
				"refresh_token": et.issue("rt"), "id_token": et.issue("id") + "." + et.issue("id"), "received": echo})
		default:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]any{"error": "invalid_client", "error_description": "received " + echo,
				"received": map[string]string{"query": r.URL.RawQuery, "body": string(body), "authorization": auth, "basic": decoded}})
		}
	}))
	t.Cleanup(et.Close)
	return et
}

func (et *echoTarget) issue(kind string) string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	v := kind + "-" + base64.RawURLEncoding.EncodeToString(b)
	et.mu.Lock()
	et.issued = append(et.issued, v)
	et.mu.Unlock()
	return v
}

func (et *echoTarget) tokens() []string {
	et.mu.Lock()
	defer et.mu.Unlock()
	return append([]string(nil), et.issued...)
}

// leakForms are the spellings in which an echo may show v.
func leakForms(v string) []string {
	var tpl bytes.Buffer
	_ = template.Must(template.New("").Parse("{{.}}")).Execute(&tpl, v)
	j, _ := json.Marshal(v)
	var plain bytes.Buffer
	enc := json.NewEncoder(&plain)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return []string{v, url.QueryEscape(v), url.PathEscape(v), tpl.String(), template.HTMLEscapeString(v),
		strings.Trim(string(j), `"`), strings.Trim(strings.TrimSpace(plain.String()), `"`)}
}

// basicForms are the base64 credentials of id and secret, as RFC 6749
// §2.3.1 and as many clients write them.
func basicForms(id, secret string) []string {
	var out []string
	for _, c := range []string{url.QueryEscape(id) + ":" + url.QueryEscape(secret), id + ":" + secret} {
		b := base64.StdEncoding.EncodeToString([]byte(c))
		out = append(out, b, strings.TrimRight(b, "="))
	}
	return out
}

// TestEchoingTargetLeaksNothing: whatever a target echoes, in whichever
// encoding, no secret the harness sent or received reaches the evidence or
// a check's report.
func TestEchoingTargetLeaksNothing(t *testing.T) {
	const (
		id       = "echo client+1"
		secret   = "echo+S3cr3t/with:reserved&chars=%~ é"
		password = "echo-user-pa55word!"
		apiKey   = "echo-api-key-0123456789"
		verifier = "echo-verifier-dBjftJeZ4CVP-mB92K27uhbUJU1p1r"
	)
	et := newEchoTarget(t)
	c := newClient(t, Options{BaseURL: et.URL, Headers: http.Header{"X-Api-Key": {apiKey}}})
	ctx := context.Background()

	tok := c.PostForm(ctx, "/token", url.Values{"grant_type": {"client_credentials"}}, WithBasicAuth(id, secret))
	var issued struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	if err := json.Unmarshal(tok.Body, &issued); err != nil || issued.AccessToken == "" {
		t.Fatalf("no token from the echo target: %v\n%s", err, tok)
	}
	page := c.Get(ctx, "/authorize?client_id="+url.QueryEscape(id)+"&state=xyz")
	code := strings.SplitN(strings.SplitN(string(page.Body), `<code id="code">`, 2)[1], "<", 2)[0]
	raw := "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))

	tests := []struct {
		name string
		do   func() *Exchange
	}{
		{"Basic, form-encoded", func() *Exchange {
			return c.PostForm(ctx, "/token", url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier}},
				WithBasicAuth(id, secret))
		}},
		{"Basic, not form-encoded", func() *Exchange {
			return c.PostForm(ctx, "/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {issued.RefreshToken}},
				WithAuthorization(raw))
		}},
		{"client_secret_post", func() *Exchange {
			return c.PostForm(ctx, "/token", url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {password},
				"client_id": {id}, "client_secret": {secret}})
		}},
		{"JSON body", func() *Exchange {
			return c.PostForm(ctx, "/token", nil, WithJSON(map[string]string{"client_id": id, "client_secret": secret, "refresh_token": issued.RefreshToken}))
		}},
		{"secret in the query", func() *Exchange {
			return c.PostForm(ctx, "/token", url.Values{"grant_type": {"x"}}, WithQuery(url.Values{"client_id": {id}, "client_secret": {secret}}))
		}},
		{"bearer token", func() *Exchange {
			return c.Do(ctx, http.MethodPost, "/resource", WithAuthorization("Bearer "+issued.AccessToken))
		}},
		{"revocation", func() *Exchange {
			return c.PostForm(ctx, "/revoke", url.Values{"token": {issued.AccessToken}}, WithBasicAuth(id, secret))
		}},
		{"an HTML page reflecting the query", func() *Exchange {
			return c.Get(ctx, "/authorize", WithQuery(url.Values{"client_secret": {secret}, "code": {code}, "x": {issued.RefreshToken}}))
		}},
		{"the token response", func() *Exchange { return tok }},
		{"the page showing codes", func() *Exchange { return page }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := tt.do()
			if x.Err != nil {
				t.Fatal(x.Err)
			}
			desc := member(x.Body, "error_description")
			chk := Check{Assertion: Assertion{ID: "ECHO-001", Level: LevelMust}, Verdict: VerdictFail,
				Message: fmt.Sprintf("the server said %q", desc), Evidence: []*Exchange{x}}
			report := chk.Report()
			leaks := append(leakForms(secret), leakForms(password)...)
			leaks = append(leaks, leakForms(apiKey)...)
			leaks = append(leaks, leakForms(verifier)...)
			leaks = append(leaks, basicForms(id, secret)...)
			leaks = append(leaks, et.tokens()...)
			for _, leak := range leaks {
				if strings.Contains(report, leak) {
					t.Errorf("the report shows %q:\n%s", leak, report)
				}
			}
			// Still evidence: the rest of the echo is there to read.
			for _, keep := range []string{"X-Echo: query=", "<-- ", "[REDACTED#"} {
				if !strings.Contains(report, keep) {
					t.Errorf("the report lacks %q:\n%s", keep, report)
				}
			}
			if x.Status == http.StatusBadRequest && !strings.Contains(report, `"error":"invalid_client"`) {
				t.Errorf("the error code is gone:\n%s", report)
			}
		})
	}
}

// member is a string member of a JSON object body, "" when there is none.
func member(body []byte, k string) string {
	var m map[string]any
	_ = json.Unmarshal(body, &m)
	s, _ := m[k].(string)
	return s
}
