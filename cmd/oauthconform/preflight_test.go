package main

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oauthconform/oauthconform/mockserver"
)

// TestPreflightSetupErrors: a misconfiguration stops the run before any
// spec with exit 2 and a message that names the fix, never as a cascade of
// failed checks. The suites do not run (Ginkgo allows one run per process),
// so these all end in the preflight.
func TestPreflightSetupErrors(t *testing.T) {
	// A port with nothing listening.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()

	tlsSrv := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(tlsSrv.Close)

	notFound := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(notFound.Close)

	// Metadata at the given issuer names another issuer, which serves
	// metadata naming itself: the issuer flag is wrong.
	var moved *httptest.Server
	moved = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		iss := moved.URL + "/realms/main"
		if r.URL.Path == "/.well-known/oauth-authorization-server" || strings.HasPrefix(r.URL.Path, "/.well-known/oauth-authorization-server/") {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]string{"issuer": iss, "token_endpoint": iss + "/token"})
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(moved.Close)

	mock := mockserver.NewTestServer(t, "rfc6749")

	// The oauth20-intents example target on the port where the rfc6749
	// mock runs: a newcomer's mixed-up ports.
	b, err := os.ReadFile("../../fixtures/targets/oauth20-intents.yaml")
	if err != nil {
		t.Fatal(err)
	}
	mixed := filepath.Join(t.TempDir(), "oauth20-intents.yaml")
	doc := strings.Replace(string(b), "issuer: http://127.0.0.1:8081", "issuer: "+mock.URL, 1)
	if err := os.WriteFile(mixed, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"unreachable issuer", []string{"--issuer", closed, "--client-id", "c", "--client-secret", "s"},
			[]string{"cannot connect", "fix:", "issuer"}},
		{"untrusted TLS", []string{"--issuer", tlsSrv.URL, "--client-id", "c", "--client-secret", "s"},
			[]string{"not trusted", "--ca-file", "--insecure"}},
		{"token endpoint 404", []string{"--issuer", notFound.URL, "--client-id", "c", "--client-secret", "s"},
			[]string{"answered 404", "wrong profile or issuer?", "fix:", "--token-endpoint"}},
		{"wrong secret", []string{"--issuer", mock.URL, "--client-id", "conf-client", "--client-secret", "s3cr3t-not-this-one"},
			[]string{"refused the credentials", "conf-client", "fix:", "secret"}},
		{"wrong issuer", []string{"--issuer", moved.URL, "--client-id", "c", "--client-secret", "s"},
			[]string{"names the issuer", "/realms/main", "wrong profile or issuer?", "fix: use --issuer"}},
		{"target of another dialect", []string{"--target", mixed},
			[]string{"does not look like the oauth20-intents server", "wrong profile or issuer?", "scopes_supported", "answers 404", "fix: check profile:", "fixtures/targets/NAME.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, stderr := runCmd(t, append([]string{"test"}, tt.args...)...)
			if code != exitUsage {
				t.Fatalf("exit %d, want %d\nstdout %s\nstderr %s", code, exitUsage, out, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if strings.Contains(stderr+out, "s3cr3t-not-this-one") {
				t.Error("the message shows the secret")
			}
		})
	}
}

// TestQuickFormFlags: the quick-form flags go with --issuer only.
func TestQuickFormFlags(t *testing.T) {
	for _, args := range [][]string{
		{"test", "--scope", "read"},
		{"test", "--redirect-uri", "https://c/cb"},
		{"test", "--token-endpoint", "/t"},
		{"test", "--auth-method", "client_secret_post"},
		{"test", "--target", "x.yaml", "--scope", "read"},
		{"test", "--issuer", "https://x", "--client-id", "c", "--auth-method", "bogus"},
	} {
		code, _, stderr := runCmd(t, args...)
		if code != exitUsage {
			t.Errorf("%q: exit %d, want %d (%s)", args, code, exitUsage, stderr)
		}
	}
}
