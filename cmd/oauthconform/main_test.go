package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauthconform/oauthconform/fixtures"
	"github.com/oauthconform/oauthconform/mockserver"
	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/quirkids"
)

// syncBuffer is a bytes.Buffer safe for a writer goroutine and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runCmd runs the command line to completion.
func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestListQuirks(t *testing.T) {
	code, out, errOut := runCmd(t, "serve", "--list-quirks")
	if code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if !strings.HasPrefix(out, "QUIRK") {
		t.Errorf("no header: %q", firstLine(out))
	}
	for _, q := range mockserver.Quirks() {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(q.Name) + ` +` + regexp.QuoteMeta(strings.Join(quirkids.IDs(q.Name), ",")) + ` +` + regexp.QuoteMeta(q.Breaks) + `$`).MatchString(out) {
			t.Errorf("quirk %s not listed with its assertions and description", q.Name)
		}
	}
}

func TestListProfiles(t *testing.T) {
	code, out, errOut := runCmd(t, "serve", "--list-profiles")
	if code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for _, n := range profile.Names() {
		if !strings.Contains(out, n) {
			t.Errorf("profile %s not listed:\n%s", n, out)
		}
	}
	if !strings.Contains(out, "rfc6749 (default)") {
		t.Errorf("default profile not marked:\n%s", out)
	}
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	badFixtures := filepath.Join(dir, "bad.yaml")
	writeFile(t, badFixtures, "clients:\n  - secret: x\n")
	badProfile := filepath.Join(dir, "bad-profile.yaml")
	writeFile(t, badProfile, "name: broken\nendpoints: {token: token}\n")
	dialectFile := filepath.Join(dir, "custom.yaml")
	writeFile(t, dialectFile, customDialect(t))
	badSettings := filepath.Join(dir, "bad-mock.yaml")
	writeFile(t, badSettings, "dialect: rfc6749\naccess_token: {lifetime: 1h}\ncode: {lifetime: 1m}\nrefresh_token: {rotation: sometimes}\n")
	rfcSettings := filepath.Join(dir, "rfc-mock.yaml")
	writeFile(t, rfcSettings, "dialect: rfc6749\naccess_token: {lifetime: 1h}\ncode: {lifetime: 1m}\n")
	lostSettings := filepath.Join(dir, "lost-mock.yaml")
	writeFile(t, lostSettings, "dialect: nowhere/custom.yaml\n")

	for _, tc := range []struct {
		name string
		args []string
		want []string // substrings of stderr
	}{
		{"unknown profile", []string{"serve", "--profile", "nope"}, []string{"--profile", `"nope"`, "rfc6749"}},
		{"bad profile file", []string{"serve", "--profile", badProfile}, []string{"--profile", "endpoints.token"}},
		{"bad profile file with settings", []string{"serve", "--profile", badProfile, "--settings", rfcSettings}, []string{"--profile", "endpoints.token"}},
		{"dialect file without settings", []string{"serve", "--profile", dialectFile}, []string{"--settings", "required", dialectFile}},
		{"missing settings", []string{"serve", "--settings", filepath.Join(dir, "none.yaml")}, []string{"--settings", "none.yaml"}},
		{"bad settings", []string{"serve", "--settings", badSettings}, []string{"--settings", "refresh_token.rotation", `"sometimes"`}},
		{"settings of another dialect", []string{"serve", "--profile", "oob-pkce", "--settings", rfcSettings}, []string{"--settings", `"rfc6749"`, `"oob-pkce"`}},
		{"settings naming a missing dialect", []string{"serve", "--settings", lostSettings}, []string{"--settings", "dialect"}},
		{"unknown quirk", []string{"serve", "--quirk", "no-pragma,bogus"}, []string{"--quirk", `"bogus"`}},
		{"bad log level", []string{"serve", "--log-level", "loud"}, []string{"--log-level", `"loud"`}},
		{"bad log format", []string{"serve", "--log-format", "xml"}, []string{"--log-format", `"xml"`}},
		{"cert without key", []string{"serve", "--tls-cert", "c.pem"}, []string{"--tls-key", "required"}},
		{"key without cert", []string{"serve", "--tls-key", "k.pem"}, []string{"--tls-cert", "required"}},
		{"self-signed and files", []string{"serve", "--tls-self-signed", "--tls-cert", "c.pem", "--tls-key", "k.pem"}, []string{"--tls-self-signed"}},
		{"missing cert files", []string{"serve", "--tls-cert", filepath.Join(dir, "c.pem"), "--tls-key", filepath.Join(dir, "k.pem")}, []string{"--tls-cert"}},
		{"missing config", []string{"serve", "--config", filepath.Join(dir, "none.yaml")}, []string{"--config"}},
		{"bad config", []string{"serve", "--config", badFixtures}, []string{"--config", "clients[0].id"}},
		{"bad issuer scheme", []string{"serve", "--issuer", "ftp://example.com"}, []string{"--issuer"}},
		{"issuer with query", []string{"serve", "--issuer", "https://example.com/?a=b"}, []string{"--issuer", "query"}},
		{"bad addr", []string{"serve", "--addr", "8080"}, []string{"--addr"}},
		{"unknown flag", []string{"serve", "--bogus"}, []string{"--bogus"}},
		{"bad bool", []string{"serve", "--list-quirks=maybe"}, []string{"list-quirks"}},
		{"stray argument", []string{"serve", "extra"}, []string{"no arguments", "extra"}},
		{"unknown command", []string{"sevre"}, []string{`unknown command "sevre"`, "did you mean serve"}},
		{"version args", []string{"version", "x"}, []string{"no arguments"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errOut := usageFailure(t, tc.args, tc.want)
			if !strings.Contains(errOut, "--help' for usage") {
				t.Errorf("stderr %q has no usage hint", errOut)
			}
		})
	}
}

// usageFailure runs the command with args and requires a usage error
// (exit 2) that prints nothing on stdout and mentions every want on
// stderr, which it returns.
func usageFailure(t *testing.T, args, want []string) string {
	t.Helper()
	code, out, errOut := runCmd(t, args...)
	if code != exitUsage {
		t.Fatalf("exit %d, want %d; stderr %q", code, exitUsage, errOut)
	}
	for _, w := range want {
		if !strings.Contains(errOut, w) {
			t.Errorf("stderr %q does not mention %q", errOut, w)
		}
	}
	if out != "" {
		t.Errorf("stdout not empty: %q", out)
	}
	return errOut
}

func TestListenFailureIsRuntimeError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	code, _, errOut := runCmd(t, "serve", "--addr", ln.Addr().String())
	if code != exitRuntime {
		t.Fatalf("exit %d, want %d; stderr %q", code, exitRuntime, errOut)
	}
	if !strings.Contains(errOut, "listen") || strings.Contains(errOut, "--help") {
		t.Errorf("stderr %q", errOut)
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{nil, {"--help"}, {"serve", "--help"}} {
		code, out, errOut := runCmd(t, args...)
		if code != exitOK || errOut != "" {
			t.Fatalf("%v: exit %d, stderr %q", args, code, errOut)
		}
		if !strings.Contains(out, "Usage:") {
			t.Errorf("%v: no usage in %q", args, out)
		}
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := runCmd(t, "version")
	if code != exitOK || !strings.HasPrefix(out, "oauthconform ") {
		t.Fatalf("exit %d, out %q", code, out)
	}
	old := version
	version = "v9.9.9-test"
	defer func() { version = old }()
	_, out, _ = runCmd(t, "version")
	if !strings.HasPrefix(out, "oauthconform v9.9.9-test (go") {
		t.Errorf("ldflags override not used: %q", out)
	}
}

// served is one `serve` run in the background.
type served struct {
	issuer string
	stdout *syncBuffer
	stderr *syncBuffer
	cancel context.CancelFunc
	done   chan int
}

var issuerLine = regexp.MustCompile(`(?m)^  issuer +(\S+)$`)

// startServe runs `serve --addr 127.0.0.1:0 args...` until the banner is out.
func startServe(t *testing.T, args ...string) *served {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &served{stdout: &syncBuffer{}, stderr: &syncBuffer{}, cancel: cancel, done: make(chan int, 1)}
	go func() {
		s.done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), s.stdout, s.stderr)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop")
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := issuerLine.FindStringSubmatch(s.stdout.String()); m != nil {
			s.issuer = m[1]
			return s
		}
		select {
		case code := <-s.done:
			t.Fatalf("serve exited with %d; stderr %q", code, s.stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatalf("no banner; stdout %q stderr %q", s.stdout.String(), s.stderr.String())
	return nil
}

// stop cancels the context and returns the exit code.
func (s *served) stop(t *testing.T) int {
	t.Helper()
	s.cancel()
	select {
	case code := <-s.done:
		s.done <- code // for the cleanup
		return code
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop after cancel")
		return -1
	}
}

type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    any    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	Error        string `json:"error"`
}

func postToken(t *testing.T, c *http.Client, req *http.Request) (int, tokenResponse) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var tr tokenResponse
	if err := json.Unmarshal(body, &tr); err != nil {
		t.Fatalf("status %d, body %q: %v", resp.StatusCode, body, err)
	}
	return resp.StatusCode, tr
}

func formRequest(t *testing.T, u string, form url.Values) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

// confClientCredentials is a token request of form from conf-client,
// authenticated with Basic.
func confClientCredentials(form url.Values) func(t *testing.T, u string) *http.Request {
	return func(t *testing.T, u string) *http.Request {
		req := formRequest(t, u, form)
		req.SetBasicAuth("conf-client", "conf-secret")
		return req
	}
}

// issuedTokenType checks that a token response issued an access token of
// exactly token_type typ.
func issuedTokenType(typ string) func(t *testing.T, tr tokenResponse) {
	return func(t *testing.T, tr tokenResponse) {
		if tr.AccessToken == "" || tr.TokenType != typ {
			t.Errorf("%+v", tr)
		}
	}
}

// TestServeProfiles starts the mock for each profile, makes the token
// request the README shows for it, and stops it by cancelling the context.
func TestServeProfiles(t *testing.T) {
	for _, tc := range []struct {
		profile string
		request func(t *testing.T, tokenURL string) *http.Request
		status  int
		check   func(t *testing.T, tr tokenResponse)
	}{
		{
			profile: "rfc6749",
			request: confClientCredentials(url.Values{"grant_type": {"client_credentials"}}),
			status:  http.StatusOK,
			check:   issuedTokenType("Bearer"),
		},
		{
			profile: "oauth20-intents",
			request: confClientCredentials(url.Values{"grant_type": {"client_credentials"}, "scope": {"payments"}}),
			status:  http.StatusOK,
			check:   issuedTokenType("bearer"),
		},
		{
			profile: "merchant-customer",
			request: func(t *testing.T, u string) *http.Request {
				req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(
					`{"client_id":"conf-client","client_secret":"conf-secret","scope":"customer"}`))
				req.Header.Set("Content-Type", "application/json")
				return req
			},
			status: http.StatusOK,
			check: func(t *testing.T, tr tokenResponse) {
				if tr.AccessToken == "" || tr.RefreshToken == "" {
					t.Errorf("%+v", tr)
				}
			},
		},
		{
			// A code exchange with an unknown code: the API key and the
			// out-of-band redirect URI pass, the code does not.
			profile: "oob-pkce",
			request: func(t *testing.T, u string) *http.Request {
				req := formRequest(t, u, url.Values{
					"grant_type": {"authorization_code"}, "client_id": {"public-client"},
					"redirect_uri": {"urn:ietf:wg:oauth:2.0:oob:auto"}, "code": {"no-such-code"},
					"code_verifier": {strings.Repeat("v", 43)},
				})
				req.Header.Set("x-api-key", "demo-api-key")
				return req
			},
			status: http.StatusBadRequest,
			check: func(t *testing.T, tr tokenResponse) {
				if tr.Error != "invalid_grant" {
					t.Errorf("%+v", tr)
				}
			},
		},
	} {
		t.Run(tc.profile, func(t *testing.T) {
			t.Parallel()
			s := startServe(t, "--profile", tc.profile)
			set, p := mockserver.MustLoadSettings(tc.profile)
			out := s.stdout.String()
			for _, want := range []string{
				"profile  " + p.Name + ": " + p.Description,
				s.issuer + p.Endpoints.Token,
				"conf-client-2", "alice-password", "demo-api-key",
				"quirks   none",
				"Choices of the " + p.Name + " dialect",
				p.Choices[0],
				"Choices of the mock (built-in settings of " + p.Name + ")",
				set.Choices[0],
			} {
				if !strings.Contains(out, want) {
					t.Errorf("banner lacks %q:\n%s", want, out)
				}
			}
			status, tr := postToken(t, http.DefaultClient, tc.request(t, s.issuer+p.Endpoints.Token))
			if status != tc.status {
				t.Fatalf("status %d, want %d: %+v", status, tc.status, tr)
			}
			tc.check(t, tr)
			if code := s.stop(t); code != exitOK {
				t.Fatalf("exit %d after cancel; stderr %q", code, s.stderr.String())
			}
			if !strings.Contains(s.stderr.String(), "msg=stopped") {
				t.Errorf("no clean stop in log: %q", s.stderr.String())
			}
		})
	}
}

// customDialect is the rfc6749 dialect renamed custom, as a file.
func customDialect(t *testing.T) string {
	t.Helper()
	b, err := fixtures.FS.ReadFile("profiles/rfc6749.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Replace(string(b), "name: rfc6749", "name: custom", 1)
}

// TestServeSettingsFile plays a dialect file with a settings file naming it
// by a path relative to the settings file.
func TestServeSettingsFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "dialects"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "dialects", "custom.yaml"), customDialect(t))
	settings := filepath.Join(dir, "mock.yaml")
	writeFile(t, settings, `dialect: dialects/custom.yaml
access_token: {format: opaque, lifetime: 10m}
refresh_token: {issue_for: [password], rotation: never, lifetime: 1h}
code: {lifetime: 30s, style: base32}
choices:
  - "Opaque tokens valid 10 minutes; codes in base32."
`)
	for _, args := range [][]string{
		{"--settings", settings},
		{"--settings", settings, "--profile", filepath.Join(dir, "dialects", "custom.yaml")},
	} {
		s := startServe(t, args...)
		out := s.stdout.String()
		for _, want := range []string{
			"profile  custom: ",
			s.issuer + "/token",
			"Choices of the custom dialect",
			"Choices of the mock (" + settings + ")",
			"Opaque tokens valid 10 minutes; codes in base32.",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("%v: banner lacks %q:\n%s", args, want, out)
			}
		}
		req := formRequest(t, s.issuer+"/token", url.Values{"grant_type": {"client_credentials"}})
		req.SetBasicAuth("conf-client", "conf-secret")
		status, tr := postToken(t, http.DefaultClient, req)
		if status != http.StatusOK || strings.Count(tr.AccessToken, ".") == 2 || tr.ExpiresIn != float64(600) {
			t.Fatalf("%v: status %d: %+v", args, status, tr)
		}
		if code := s.stop(t); code != exitOK {
			t.Fatalf("exit %d", code)
		}
	}
}

func TestServeBannerDefaultSecrets(t *testing.T) {
	s := startServe(t)
	out := s.stdout.String()
	for _, c := range profile.DefaultFixtures().Clients {
		line := regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(show(c.ID)) + ` +(\S.*)$`).FindStringSubmatch(out)
		if line == nil {
			t.Errorf("client %q not printed", c.ID)
			continue
		}
		want := "(public)"
		if !c.Public() {
			want = show(string(c.Secret))
		}
		if !strings.HasPrefix(line[1], want) {
			t.Errorf("client %q: got %q, want secret %q first", c.ID, line[1], want)
		}
	}
}

func TestServeConfigRedactsSecrets(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "fixtures.yaml")
	writeFile(t, cfg, `clients:
  - id: conf-client
    secret: overridden-secret-1
    role: primary
    redirect_uris: ["http://127.0.0.1:8765/callback"]
  - id: extra-client
    secret: extra-secret-2
users:
  - username: bob
    password: bob-password-3
api_keys: [extra-api-key-4]
`)
	s := startServe(t, "--config", cfg, "--quirk", "no-pragma", "--quirk", "basic-400,no-pragma", "--log-level", "debug")
	out := s.stdout.String()
	for _, secret := range []string{"overridden-secret-1", "extra-secret-2", "bob-password-3", "extra-api-key-4"} {
		if strings.Contains(out, secret) {
			t.Errorf("configured secret %q printed:\n%s", secret, out)
		}
	}
	for _, want := range []string{"extra-client", "bob", "conf-secret-2", "alice-password", "(as configured)", "quirks   no-pragma, basic-400"} {
		if !strings.Contains(out, want) {
			t.Errorf("banner lacks %q:\n%s", want, out)
		}
	}
	// The configured credentials work.
	req := formRequest(t, s.issuer+"/token", url.Values{"grant_type": {"client_credentials"}})
	req.SetBasicAuth("extra-client", "extra-secret-2")
	if status, tr := postToken(t, http.DefaultClient, req); status != http.StatusOK {
		t.Fatalf("status %d: %+v", status, tr)
	}
	if code := s.stop(t); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	logs := s.stderr.String()
	for _, secret := range []string{"overridden-secret-1", "extra-secret-2", "bob-password-3", "extra-api-key-4"} {
		if strings.Contains(logs, secret) {
			t.Errorf("secret %q logged: %s", secret, logs)
		}
	}
}

func TestServeSelfSignedJSONLogs(t *testing.T) {
	s := startServe(t, "--tls-self-signed", "--log-format", "json", "--issuer", "https://auth.example.test")
	out := s.stdout.String()
	if s.issuer != "https://auth.example.test" {
		t.Fatalf("issuer %q", s.issuer)
	}
	if !strings.Contains(out, "https://auth.example.test/token") {
		t.Errorf("endpoints not under the issuer:\n%s", out)
	}
	m := regexp.MustCompile(`(?m)^  listening +(https://\S+)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no listening URL:\n%s", out)
	}
	fp := regexp.MustCompile(`SHA-256 ([0-9A-F:]{95})`).FindStringSubmatch(out)
	if fp == nil {
		t.Fatalf("no fingerprint:\n%s", out)
	}
	var seen tls.Certificate
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
		InsecureSkipVerify: true, //nolint:gosec // checked against the printed fingerprint below
		VerifyConnection: func(cs tls.ConnectionState) error {
			seen.Certificate = [][]byte{cs.PeerCertificates[0].Raw}
			if cs.PeerCertificates[0].VerifyHostname("127.0.0.1") != nil || cs.PeerCertificates[0].VerifyHostname("localhost") != nil {
				t.Error("certificate does not cover 127.0.0.1 and localhost")
			}
			return nil
		},
	}}}
	req := formRequest(t, m[1]+"/token", url.Values{"grant_type": {"client_credentials"}})
	req.SetBasicAuth("conf-client", "conf-secret")
	if status, tr := postToken(t, c, req); status != http.StatusOK {
		t.Fatalf("status %d: %+v", status, tr)
	}
	if got := certFingerprint(seen); got != fp[1] {
		t.Errorf("served certificate %s, printed %s", got, fp[1])
	}
	if code := s.stop(t); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, line := range strings.Split(strings.TrimSpace(s.stderr.String()), "\n") {
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Errorf("log line is not JSON: %q", line)
		}
	}
}

func TestShow(t *testing.T) {
	for in, want := range map[string]string{
		"conf-secret":      "conf-secret",
		"special client+1": `"special client+1"`,
		"a+b:c%/ d=é":      `"a+b:c%/ d=é"`,
		"":                 `""`,
	} {
		if got := show(in); got != want {
			t.Errorf("show(%q) = %s, want %s", in, got, want)
		}
	}
}

func writeFile(t *testing.T, name, body string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
