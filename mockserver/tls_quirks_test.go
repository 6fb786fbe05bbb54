package mockserver

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oauthconform/oauthconform/profile"
)

// The transport quirks act on the listener of a Server that serves TLS with
// the fixture certificate (FixtureTLS).

// newTLSServer starts the rfc6749 mock over HTTPS with the fixture
// certificate and the quirks; it returns the server and the fixture CA.
func newTLSServer(t *testing.T, quirks ...string) (*Server, *x509.CertPool) {
	t.Helper()
	conf, pool, err := FixtureTLS()
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewServer(Config{Quirks: quirks}, WithTLS(conf))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	if !strings.HasPrefix(s.URL, "https://127.0.0.1:") {
		t.Fatalf("URL %q, want https on 127.0.0.1", s.URL)
	}
	return s, pool
}

// verifyingClient trusts only the fixture CA and verifies the certificate
// (for serverName, or the URL's host when empty).
func verifyingClient(pool *x509.CertPool, serverName string) *http.Client {
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: serverName, MinVersion: tls.VersionTLS12}}
	return &http.Client{
		Transport:     tr,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// ccRequest sends a client_credentials request of the primary client to u.
func ccRequest(t *testing.T, s *Server, hc *http.Client, u string) (int, map[string]any, error) {
	t.Helper()
	cl, ok := s.ClientByRole(profile.RolePrimary)
	if !ok {
		t.Fatal("no primary client")
	}
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", basicHeader(cl.ID, string(cl.Secret)))
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var body map[string]any
	_ = json.Unmarshal(b, &body)
	return resp.StatusCode, body, nil
}

// plainURL is the http:// form of an https URL on the same port.
func plainURL(u string) string { return "http://" + strings.TrimPrefix(u, "https://") }

func plainClient() *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}}
}

// handshake dials addr with conf and returns the negotiated version.
func handshake(addr string, conf *tls.Config) (uint16, error) {
	d := tls.Dialer{NetDialer: &net.Dialer{Timeout: 5 * time.Second}, Config: conf}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	return c.(*tls.Conn).ConnectionState().Version, nil
}

func serverAddr(s *Server) string { return strings.TrimPrefix(s.URL, "https://") }

func TestFixtureTLSCorrect(t *testing.T) {
	s, pool := newTLSServer(t)
	// Valid for the loopback names, with only the fixture CA trusted.
	st, body, err := ccRequest(t, s, verifyingClient(pool, ""), s.TokenURL())
	if err != nil || st != http.StatusOK || body["access_token"] == nil {
		t.Fatalf("https token request: %d %v %v", st, body, err)
	}
	for _, name := range []string{"localhost", "::1"} {
		if _, err := handshake(serverAddr(s), &tls.Config{RootCAs: pool, ServerName: name, MinVersion: tls.VersionTLS12}); err != nil {
			t.Errorf("certificate for %s: %v", name, err)
		}
	}
	// Not trusted by the system roots.
	if _, err := handshake(serverAddr(s), &tls.Config{MinVersion: tls.VersionTLS12}); err == nil {
		t.Error("the fixture certificate validated against the system roots")
	}
	// Plain HTTP on the TLS port is refused (Go answers 400), without tokens.
	st, body, err = ccRequest(t, s, plainClient(), plainURL(s.TokenURL()))
	if err == nil && (st < 400 || body["access_token"] != nil) {
		t.Errorf("plain HTTP on the HTTPS port answered %d %v", st, body)
	}
	// TLS 1.0/1.1 refused.
	for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11} {
		if _, err := handshake(serverAddr(s), &tls.Config{MinVersion: v, MaxVersion: v, InsecureSkipVerify: true}); err == nil { //nolint:gosec // version probe
			t.Errorf("%s accepted", tls.VersionName(v))
		}
	}
}

func TestTLSQuirkPlainHTTPToo(t *testing.T) {
	s, pool := newTLSServer(t, "plain-http-too")
	// A silent connection is sniffed in its own goroutine: it blocks no one.
	silent, err := net.Dial("tcp", serverAddr(s))
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	st, body, err := ccRequest(t, s, plainClient(), plainURL(s.TokenURL()))
	if err != nil || st != http.StatusOK || body["access_token"] == nil {
		t.Fatalf("plain HTTP token request: %d %v %v, want tokens", st, body, err)
	}
	st, body, err = ccRequest(t, s, verifyingClient(pool, ""), s.TokenURL())
	if err != nil || st != http.StatusOK || body["access_token"] == nil {
		t.Fatalf("https token request: %d %v %v", st, body, err)
	}
	// The authorize endpoint answers too: its login page, over plain HTTP.
	cl, _ := s.ClientByRole(profile.RolePrimary)
	q := url.Values{"response_type": {"code"}, "client_id": {cl.ID}, "redirect_uri": {cl.RedirectURIs[0]}, "state": {"s"}}
	resp, err := plainClient().Get(plainURL(s.AuthorizeURL()) + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Errorf("plain HTTP authorization request: %d %s, want the login page", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

func TestTLSQuirkLegacyVersions(t *testing.T) {
	s, pool := newTLSServer(t, "tls-legacy-versions")
	for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11} {
		got, err := handshake(serverAddr(s), &tls.Config{MinVersion: v, MaxVersion: v, InsecureSkipVerify: true}) //nolint:gosec // version probe
		if err != nil || got != v {
			t.Errorf("%s: negotiated %s, %v", tls.VersionName(v), tls.VersionName(got), err)
		}
	}
	got, err := handshake(serverAddr(s), &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12})
	if err != nil || got != tls.VersionTLS13 {
		t.Errorf("modern client: negotiated %s, %v", tls.VersionName(got), err)
	}
}

func TestTLSQuirkWrongHostCert(t *testing.T) {
	s, pool := newTLSServer(t, "tls-wrong-host-cert")
	_, err := handshake(serverAddr(s), &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12})
	var herr x509.HostnameError
	if !errors.As(err, &herr) {
		t.Fatalf("handshake for 127.0.0.1: %v, want a hostname error", err)
	}
	// The chain is the fixture CA's: verified for its own name, it works.
	st, body, err := ccRequest(t, s, verifyingClient(pool, FixtureWrongHostName), s.TokenURL())
	if err != nil || st != http.StatusOK || body["access_token"] == nil {
		t.Fatalf("token request verifying %s: %d %v %v", FixtureWrongHostName, st, body, err)
	}
}

// Without TLS the transport quirks change nothing: plain HTTP as always.
func TestTLSQuirksWithoutTLS(t *testing.T) {
	ts := NewTestServer(t, "rfc6749", WithQuirks("plain-http-too", "tls-legacy-versions", "tls-wrong-host-cert"))
	if !strings.HasPrefix(ts.URL, "http://") {
		t.Fatalf("URL %q, want plain http", ts.URL)
	}
	st, body, err := ccRequest(t, ts.Server, ts.Client(), ts.TokenURL())
	if err != nil || st != http.StatusOK || body["access_token"] == nil {
		t.Fatalf("token request: %d %v %v", st, body, err)
	}
}
