package mockserver

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The field Clock and the Provider's Clock method name the same clock; a
// shared clock moves every server on it.
func TestWithClock(t *testing.T) {
	clock := NewOffsetClock()
	a := NewTestServer(t, "rfc6749", WithClock(clock))
	b := NewTestServer(t, "merchant-customer", WithClock(clock))
	own := NewTestServer(t, "rfc6749")
	if a.Clock != clock || b.Clock != clock || a.Provider.Clock() != Clock(clock) || own.Clock == clock || own.Provider.Clock() != Clock(own.Clock) {
		t.Fatal("clocks are not the ones given")
	}
	ea, eb := &ep{name: "rfc6749", ts: a, c1: conf}, &ep{name: "merchant-customer", ts: b, c1: conf}
	ta, err := a.IssueToken(context.Background(), IssueRequest{})
	if err != nil {
		t.Fatal(err)
	}
	tb, err := b.IssueToken(context.Background(), IssueRequest{})
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Hour)
	if ea.active(t, ta.AccessToken) || eb.active(t, tb.AccessToken) {
		t.Fatal("a token outlived the shared clock's advance")
	}
	// A custom option may set another Clock: the field is nil then.
	fixed := NewTestServer(t, "rfc6749", func(c *Config) { c.Clock = SystemClock{} })
	if fixed.Clock != nil {
		t.Fatal("Clock field set for a non-offset clock")
	}
}

// WithTLS(): HTTPS under a CA of the server's own, which Client alone
// trusts.
func TestWithTLSGenerated(t *testing.T) {
	ts := NewTestServer(t, "rfc6749", WithTLS())
	if !strings.HasPrefix(ts.URL, "https://") || ts.Issuer() != ts.URL || !strings.HasPrefix(ts.TokenURL(), "https://") {
		t.Fatalf("URL %s, issuer %s", ts.URL, ts.Issuer())
	}
	if ca := ts.Certificate(); ca == nil || !ca.IsCA {
		t.Fatal("no CA certificate")
	}
	mustToken(t, ts, tokenReq{body: ccBody, basic: conf})
	req := func(c *http.Client) error {
		resp, err := c.Get(ts.MetadataURL())
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	// The system roots do not know the CA; another test server's CA is not
	// this one's.
	var unknown x509.UnknownAuthorityError
	if err := req(&http.Client{}); !errors.As(err, &unknown) {
		t.Fatalf("system roots: %v", err)
	}
	other := NewTestServer(t, "rfc6749", WithTLS())
	if err := req(other.Client()); !errors.As(err, &unknown) {
		t.Fatalf("another server's client: %v", err)
	}
	own := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ts.RootCAs(), MinVersion: tls.VersionTLS12}}}
	if err := req(own); err != nil {
		t.Fatal(err)
	}
	if tr, ok := ts.Client().Transport.(*http.Transport); !ok || tr.TLSClientConfig.InsecureSkipVerify {
		t.Fatal("Client skips verification")
	}
	if NewTestServer(t, "rfc6749").RootCAs() != nil {
		t.Fatal("RootCAs without TLS")
	}
}

// A TLS configuration of the caller's is served as before.
func TestWithTLSConfig(t *testing.T) {
	conf, roots, err := FixtureTLS()
	if err != nil {
		t.Fatal(err)
	}
	ts := NewTestServer(t, "rfc6749", WithTLS(conf))
	if !strings.HasPrefix(ts.URL, "https://") || ts.Certificate() != nil {
		t.Fatal(ts.URL)
	}
	mustToken(t, ts, tokenReq{body: ccBody, basic: conf2})
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}}}
	resp, err := c.Get(ts.MetadataURL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

// WithIssuer: the tokens and the metadata name the issuer, requests go to
// URL; with WithTLS() the certificate holds the issuer's host too.
func TestWithIssuer(t *testing.T) {
	ts := NewTestServer(t, "rfc6749", WithIssuer("https://auth.docker.internal:8443/tenant/"), WithTLS())
	if ts.Issuer() != "https://auth.docker.internal:8443/tenant" || !strings.HasPrefix(ts.TokenURL(), ts.URL) {
		t.Fatalf("issuer %s, token URL %s", ts.Issuer(), ts.TokenURL())
	}
	tok := mustToken(t, ts, tokenReq{body: ccBody, basic: conf}).str("access_token")
	if c, _ := jwtMembers(t, tok); c["iss"] != ts.Issuer() {
		t.Fatalf("iss %v", c["iss"])
	}
	res := doAt(t, ts, ts.MetadataURL(), tokenReq{method: http.MethodGet})
	if res.status != 200 || res.str("issuer") != ts.Issuer() || res.str("token_endpoint") != ts.Issuer()+"/token" {
		t.Fatalf("metadata at %s: %d %s", ts.MetadataURL(), res.status, res.raw)
	}
	if ts.Provider.MetadataURL() != "https://auth.docker.internal:8443/.well-known/oauth-authorization-server/tenant" {
		t.Fatal(ts.Provider.MetadataURL())
	}
	// The certificate also names the issuer's host (a client that reaches
	// the server by that name).
	host := strings.TrimPrefix(ts.URL, "https://")
	c := &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: ts.RootCAs(), ServerName: "auth.docker.internal", MinVersion: tls.VersionTLS12},
	}}
	resp, err := c.Get("https://" + host + "/jwks")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	for _, bad := range []string{"auth.example", "ftp://x", "https://x/?q=1", "https://u@x", "/path"} {
		if _, err := NewServer(Config{}, WithIssuer(bad)); err == nil {
			t.Errorf("WithIssuer(%q) accepted", bad)
		}
	}
	if _, err := NewServer(Config{}, WithTLS(nil, nil)); err == nil {
		t.Error("two TLS configurations accepted")
	}
}

func TestJWKSURL(t *testing.T) {
	tests := []struct {
		dialect string
		edit    func(*Settings)
		want    bool
	}{
		{"rfc6749", nil, true},
		{"oauth20-intents", nil, true},
		{"oob-pkce", nil, false},          // HS256: no public key
		{"merchant-customer", nil, false}, // opaque, no jwks endpoint
		{"rfc6749", func(s *Settings) { s.Endpoints.JWKS = ""; s.OIDC = false }, false},
	}
	for _, tt := range tests {
		t.Run(tt.dialect, func(t *testing.T) {
			var opts []TestOption
			if tt.edit != nil {
				opts = append(opts, WithSettings(tt.edit))
			}
			ts := NewTestServer(t, tt.dialect, opts...)
			u := ts.JWKSURL()
			if (u != "") != tt.want {
				t.Fatalf("JWKSURL %q", u)
			}
			if u != "" {
				if !strings.HasPrefix(u, ts.URL) {
					t.Fatal(u)
				}
				if set := fetchJWKS(t, ts); len(set.Keys) == 0 {
					t.Fatal("empty key set")
				}
			}
		})
	}
}

// Options work with NewServer too; WithSettings never changes the caller's
// settings.
func TestServerOptions(t *testing.T) {
	set, d := MustLoadSettings("rfc6749")
	clock := NewOffsetClock()
	s, err := NewServer(Config{Dialect: d, Settings: set}, WithClock(clock), WithQuirks("expires-in-string"),
		WithSettings(func(s *Settings) { s.Scopes.Default = "write" }), WithRecordSecrets())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if set.Scopes.Default != "read" || s.Settings().Scopes.Default != "write" || s.Clock() != Clock(clock) || len(s.Quirks()) != 1 {
		t.Fatalf("caller's default %q, server's %q", set.Scopes.Default, s.Settings().Scopes.Default)
	}
	tok, err := s.IssueToken(context.Background(), IssueRequest{})
	if err != nil || tok.Scope != "write" {
		t.Fatalf("%+v %v", tok, err)
	}
	req, _ := http.NewRequest(http.MethodPost, s.TokenURL(), strings.NewReader(ccBody))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("conf-client", "conf-secret")
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if rs := s.Requests(); len(rs) != 1 || rs[0].Header.Get("Authorization") == redactedValue {
		t.Fatalf("records %+v", rs)
	}
	// New applies WithSettings' edits too, from the built-in settings.
	p, err := New(Config{settingsEdits: []func(*Settings){func(s *Settings) { s.Scopes.Default = "admin" }}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p.Settings().Scopes.Default != "admin" {
		t.Fatal(p.Settings().Scopes.Default)
	}
}
