package main

import (
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/oauthconform/oauthconform/mockserver"
)

var (
	controlURLLine    = regexp.MustCompile(`(?m)^Control API .*\n  url +(\S+)$`)
	controlSecretLine = regexp.MustCompile(`(?m)^  header +Authorization: Bearer (\S+)$`)
)

// controlOf reads the control API's URL and secret off the banner.
func controlOf(t *testing.T, s *served) (u, secret string) {
	t.Helper()
	out := s.stdout.String()
	m := controlURLLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no control URL in the banner:\n%s", out)
	}
	sm := controlSecretLine.FindStringSubmatch(out)
	if sm == nil {
		t.Fatalf("no control secret in the banner:\n%s", out)
	}
	return m[1], sm[1]
}

// controlCall sends one control request and decodes the answer.
func controlCall(t *testing.T, c *http.Client, method, u, secret, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s %s: %d, not JSON: %q", method, u, resp.StatusCode, b)
	}
	return resp.StatusCode, v
}

func introspectActive(t *testing.T, c *http.Client, issuer, tok string) bool {
	t.Helper()
	req := formRequest(t, issuer+"/introspect", url.Values{"token": {tok}})
	req.SetBasicAuth("conf-client", "conf-secret")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct{ Active bool }
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || resp.StatusCode != 200 {
		t.Fatalf("introspection: %d %v", resp.StatusCode, err)
	}
	return v.Active
}

// TestServeControl runs serve with the control API on a listener of its
// own: register a client, issue a token for it, reset, and stop both
// listeners.
func TestServeControl(t *testing.T) {
	s := startServe(t, "--control", "127.0.0.1:0")
	cu, secret := controlOf(t, s)
	if cu == s.issuer || !strings.HasPrefix(cu, "http://127.0.0.1:") || len(secret) < 40 {
		t.Fatalf("control %q, secret %q", cu, secret)
	}
	c := http.DefaultClient
	if st, v := controlCall(t, c, "GET", cu+"/clock", "", ""); st != 401 || v["error"] != "unauthorized" {
		t.Fatalf("no secret: %d %v", st, v)
	}
	if st, v := controlCall(t, c, "GET", cu+"/openapi.json", secret, ""); st != 200 || v["openapi"] != "3.1.0" {
		t.Fatalf("openapi: %d", st)
	}
	if st, v := controlCall(t, c, "POST", cu+"/clients", secret, `{"id":"svc","secret":"svc-secret-77","grant_types":["client_credentials"]}`); st != 201 {
		t.Fatalf("add client: %d %v", st, v)
	}
	req := formRequest(t, s.issuer+"/token", url.Values{"grant_type": {"client_credentials"}})
	req.SetBasicAuth("svc", "svc-secret-77")
	if st, tr := postToken(t, c, req); st != 200 {
		t.Fatalf("token of the registered client: %d %+v", st, tr)
	}
	st, tok := controlCall(t, c, "POST", cu+"/tokens", secret, `{"subject":"alice","lifetime":"2m"}`)
	if st != 200 || tok["expires_in"] != float64(120) {
		t.Fatalf("issue: %d %v", st, tok)
	}
	at, _ := tok["access_token"].(string)
	if !introspectActive(t, c, s.issuer, at) {
		t.Fatal("issued token not active")
	}
	if st, v := controlCall(t, c, "POST", cu+"/clock/advance", secret, `{"by":"3m"}`); st != 200 || v["offset"] != "3m0s" {
		t.Fatalf("advance: %d %v", st, v)
	}
	if introspectActive(t, c, s.issuer, at) {
		t.Fatal("token active after its lifetime on the moved clock")
	}
	if st, v := controlCall(t, c, "GET", cu+"/requests", secret, ""); st != 200 || len(v["requests"].([]any)) < 3 || strings.Contains(jsonText(v), "svc-secret-77") {
		t.Fatalf("requests: %d %v", st, v)
	}
	if st, _ := controlCall(t, c, "POST", cu+"/reset", secret, ""); st != 200 {
		t.Fatalf("reset: %d", st)
	}
	req = formRequest(t, s.issuer+"/token", url.Values{"grant_type": {"client_credentials"}})
	req.SetBasicAuth("svc", "svc-secret-77")
	if st, _ := postToken(t, c, req); st != 401 {
		t.Fatalf("registered client after the reset: %d", st)
	}
	// The provider's own routes are not on the control listener.
	if st, _ := controlCall(t, c, "POST", cu+"/token", secret, ""); st != 404 {
		t.Errorf("token endpoint on the control listener: %d", st)
	}

	if code := s.stop(t); code != exitOK {
		t.Fatalf("exit %d; stderr %q", code, s.stderr.String())
	}
	logs := s.stderr.String()
	for _, want := range []string{"control API listening", "msg=stopped", "path=/clients"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q: %s", want, logs)
		}
	}
	for _, secret := range []string{secret, "svc-secret-77"} {
		if strings.Contains(logs, secret) {
			t.Errorf("secret %q logged: %s", secret, logs)
		}
	}
	host := strings.TrimPrefix(cu, "http://")
	if conn, err := net.DialTimeout("tcp", host, time.Second); err == nil {
		conn.Close()
		t.Error("control listener still open after the stop")
	}
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestServeControlPrefix serves the control API under a path of the
// provider's listener, with the secret of a file or the environment,
// which the banner does not print.
func TestServeControlPrefix(t *testing.T) {
	secretFile := filepath.Join(t.TempDir(), "secret")
	writeFile(t, secretFile, "file-secret-0123456789\n")
	t.Setenv(controlSecretEnv, "")
	for _, tc := range []struct {
		name   string
		args   []string
		env    string
		path   string
		secret string // "" for a generated one, read off the banner
	}{
		{"default prefix", []string{"--control-prefix"}, "", mockserver.DefaultControlPrefix, ""},
		{"prefix as the next argument", []string{"--control-prefix", "/admin/mock", "--log-level", "debug"}, "", "/admin/mock", ""},
		{"prefix with =, secret file", []string{"--control-prefix=/ctl", "--control-secret-file", secretFile}, "", "/ctl", "file-secret-0123456789"},
		{"secret from the environment", []string{"--control-prefix"}, "env-secret-0123456789", mockserver.DefaultControlPrefix, "env-secret-0123456789"},
		{"file over environment", []string{"--control-prefix", "--control-secret-file", secretFile}, "env-secret-0123456789", mockserver.DefaultControlPrefix, "file-secret-0123456789"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(controlSecretEnv, tc.env)
			s := startServe(t, tc.args...)
			out := s.stdout.String()
			m := controlURLLine.FindStringSubmatch(out)
			if m == nil || m[1] != s.issuer+tc.path {
				t.Fatalf("control URL %v, want %s:\n%s", m, s.issuer+tc.path, out)
			}
			secret := tc.secret
			if secret == "" {
				_, secret = controlOf(t, s)
			} else {
				if strings.Contains(out, secret) {
					t.Errorf("supplied secret printed:\n%s", out)
				}
				if !strings.Contains(out, "Authorization: Bearer <the secret of ") {
					t.Errorf("banner does not say where the secret is:\n%s", out)
				}
			}
			if st, v := controlCall(t, http.DefaultClient, "POST", m[1]+"/tokens", secret, `{}`); st != 200 || v["access_token"] == "" {
				t.Fatalf("issue: %d %v", st, v)
			}
			if st, _ := controlCall(t, http.DefaultClient, "GET", m[1]+"/clock", "wrong-secret", ""); st != 401 {
				t.Fatalf("wrong secret: %d", st)
			}
			// The provider still answers beside it, and its log does not
			// hold the control requests.
			req := formRequest(t, s.issuer+"/token", url.Values{"grant_type": {"client_credentials"}})
			req.SetBasicAuth("conf-client", "conf-secret")
			if st, _ := postToken(t, http.DefaultClient, req); st != 200 {
				t.Fatalf("token: %d", st)
			}
			st, v := controlCall(t, http.DefaultClient, "GET", m[1]+"/requests", secret, "")
			if reqs, _ := v["requests"].([]any); st != 200 || len(reqs) != 1 {
				t.Fatalf("requests: %d %v", st, v)
			}
			if code := s.stop(t); code != exitOK {
				t.Fatalf("exit %d", code)
			}
			if strings.Contains(s.stderr.String(), secret) {
				t.Errorf("secret logged: %s", s.stderr.String())
			}
		})
	}
}

// TestServeControlTLS: the control listener speaks HTTPS when the mock
// does.
func TestServeControlTLS(t *testing.T) {
	s := startServe(t, "--tls-self-signed", "--control", "127.0.0.1:0")
	cu, secret := controlOf(t, s)
	if !strings.HasPrefix(cu, "https://") {
		t.Fatalf("control URL %q", cu)
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // the test's self-signed certificate
	if st, _ := controlCall(t, c, "GET", cu+"/clock", secret, ""); st != 200 {
		t.Fatalf("clock: %d", st)
	}
}

func TestServeControlUsageErrors(t *testing.T) {
	dir := t.TempDir()
	short := filepath.Join(dir, "short")
	writeFile(t, short, "short\n")
	spaced := filepath.Join(dir, "spaced")
	writeFile(t, spaced, "a secret with spaces in it\n")
	for _, tc := range []struct {
		name string
		args []string
		env  string
		want []string
	}{
		{"both", []string{"--control", "127.0.0.1:0", "--control-prefix"}, "", []string{"--control-prefix", "cannot be combined with --control"}},
		{"bad address", []string{"--control", "8090"}, "", []string{"--control", "8090"}},
		{"secret file alone", []string{"--control-secret-file", short}, "", []string{"--control-secret-file", "needs --control"}},
		{"missing secret file", []string{"--control-prefix", "--control-secret-file", filepath.Join(dir, "none")}, "", []string{"--control-secret-file", "none"}},
		{"short secret", []string{"--control-prefix", "--control-secret-file", short}, "", []string{"--control-secret-file", "16 to 1024 characters"}},
		{"spaces in the secret", []string{"--control-prefix", "--control-secret-file", spaced}, "", []string{"--control-secret-file", "visible ASCII"}},
		{"short secret in the environment", []string{"--control-prefix"}, "short", []string{"$" + controlSecretEnv, "16 to 1024"}},
		{"prefix over an endpoint", []string{"--control-prefix", "/token"}, "", []string{"--control-prefix", `"/token"`, "serves /token"}},
		{"prefix not a path", []string{"--control-prefix", "admin"}, "", []string{"--control-prefix", `"admin" is not a path`}},
		{"bad prefix", []string{"--control-prefix=/a b"}, "", []string{"--control-prefix", "plain segments"}},
		{"empty prefix", []string{"--control-prefix="}, "", []string{"--control-prefix", "empty"}},
		{"a second argument", []string{"--control-prefix", "/a", "/b"}, "", []string{"no arguments", "/a", "/b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(controlSecretEnv, tc.env)
			errOut := usageFailure(t, append([]string{"serve", "--addr", "127.0.0.1:0"}, tc.args...), tc.want)
			if strings.Contains(errOut, "secret with spaces") {
				t.Errorf("secret quoted: %q", errOut)
			}
		})
	}
}

func TestServeControlListenFailure(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	code, _, errOut := runCmd(t, "serve", "--addr", "127.0.0.1:0", "--control", ln.Addr().String())
	if code != exitRuntime || !strings.Contains(errOut, "control API: listen") {
		t.Fatalf("exit %d; stderr %q", code, errOut)
	}
}
