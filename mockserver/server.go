package mockserver

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/oauthconform/oauthconform/profile"
)

// Server is a Provider listening on a loopback port, in the manner of
// httptest.Server.
type Server struct {
	*Provider
	// URL is the base URL the server listens at, e.g.
	// http://127.0.0.1:41234: the issuer too, unless Config.Issuer (or
	// WithIssuer) names another. The URL methods of Server (TokenURL,
	// JWKSURL, MetadataURL, ...) are under it; the issuer's are in the
	// metadata and the tokens.
	URL string

	listener net.Listener
	srv      *http.Server
	client   *http.Client
	done     chan struct{}
	// ca issued the certificate of WithTLS() (nil otherwise).
	ca *x509.Certificate
	// controlPrefix is where WithControl serves the control API ("" for
	// nowhere).
	controlPrefix string
}

// TestOption adjusts NewTestServer, and NewServer, which takes the same
// options (ServerOption). An option is a function of the Config, so a test
// may write its own: func(c *mockserver.Config) { c.SweepInterval = time.Second }.
type TestOption func(*Config)

// ServerOption adjusts NewServer. It is TestOption: every option works with
// both NewServer and NewTestServer.
type ServerOption = TestOption

// serverOptions are what the listening options set (Config.server).
type serverOptions struct {
	addr      string
	tlsConfig *tls.Config
	// generateTLS: WithTLS without a configuration.
	generateTLS bool
	// err is an invalid option's, returned by NewServer.
	err error
	// controlPrefix and controlSecret are WithControl's.
	controlPrefix, controlSecret string
}

// WithAddr listens on addr instead of 127.0.0.1:0.
func WithAddr(addr string) ServerOption { return func(c *Config) { c.server.addr = addr } }

// WithTLS serves HTTPS; URL, and the issuer unless one is set, start with
// https.
//   - Without a configuration (WithTLS()), the server gets a certificate
//     for 127.0.0.1, ::1, localhost and the issuer's host, issued by a CA
//     generated in memory for this server alone (ECDSA P-256, valid for a
//     year). Client trusts that CA and nothing else, not even the system
//     roots; RootCAs and Certificate hand it to other clients.
//   - With one (it must hold a certificate, e.g. FixtureTLS's), the server
//     uses it, and Client does not verify the certificate: it is the
//     caller's, who knows its CA.
func WithTLS(conf ...*tls.Config) ServerOption {
	return func(c *Config) {
		switch {
		case len(conf) > 1:
			c.server.err = errors.New("mockserver: WithTLS takes at most one configuration")
		case len(conf) == 1 && conf[0] != nil:
			c.server.tlsConfig, c.server.generateTLS = conf[0], false
		default:
			c.server.tlsConfig, c.server.generateTLS = nil, true
		}
	}
}

// WithIssuer sets the issuer (Config.Issuer) apart from the listening URL,
// as behind a proxy or for a Docker service name: the iss claim, the
// metadata's issuer and the endpoint URLs it lists name it, while requests
// still go to URL (TokenURL and the other URL methods of Server). u is an
// absolute http or https URL without query or fragment; a trailing slash is
// dropped. With WithTLS() its host is in the certificate too.
func WithIssuer(u string) ServerOption {
	return func(c *Config) {
		pu, err := url.Parse(u)
		if err != nil || pu.Scheme != "http" && pu.Scheme != "https" || pu.Host == "" || pu.RawQuery != "" || pu.Fragment != "" || pu.User != nil {
			c.server.err = fmt.Errorf("mockserver: WithIssuer(%q): not an absolute http or https URL without query, fragment or user info", u)
			return
		}
		c.Issuer = u
	}
}

// WithClock runs the provider on c (Config.Clock) instead of a clock of its
// own; NewTestServer's TestServer.Clock is c. Servers, and a test's own
// code (its resource server checking exp, say), that share one clock move
// together with one Advance.
func WithClock(c *OffsetClock) ServerOption {
	return func(cfg *Config) {
		if c != nil {
			cfg.Clock = c
		}
	}
}

// WithRecordSecrets records requests (Config.RecordRequests) and keeps
// their credentials as received (Config.RecordSecrets): header values,
// form and JSON members that are otherwise redacted. Off by default; for a
// test that asserts the secrets its client sent.
func WithRecordSecrets() ServerOption {
	return func(c *Config) { c.RecordRequests, c.RecordSecrets = true, true }
}

// WithQuirks turns quirks on.
func WithQuirks(names ...string) ServerOption {
	return func(c *Config) { c.Quirks = append(c.Quirks, names...) }
}

// WithFixtures replaces the default fixtures.
func WithFixtures(f *profile.Fixtures) ServerOption { return func(c *Config) { c.Fixtures = f } }

// WithStore uses another Store.
func WithStore(st Store) ServerOption { return func(c *Config) { c.Store = st } }

// WithSettings changes choices of the settings played: f gets a private copy
// of them as written (NewTestServer's: the built-in settings file, or the
// named settings file; NewServer's: Config.Settings, or the built-in
// settings of the dialect when it is nil), before what they leave empty is
// filled from the dialect and the result validated. A result the dialect
// does not allow fails with the settings error (NewTestServer: the test).
// The caller's Settings are never changed.
func WithSettings(f func(*Settings)) ServerOption {
	return func(c *Config) { c.settingsEdits = append(c.settingsEdits, f) }
}

// NewServer starts a provider on a loopback port (or the WithAddr address).
// When cfg.Issuer is empty it becomes the listening URL. The options apply
// to a copy of cfg, after its fields.
func NewServer(cfg Config, opts ...ServerOption) (*Server, error) {
	for _, f := range opts {
		f(&cfg)
	}
	o := cfg.server
	if o.err != nil {
		return nil, o.err
	}
	addr := o.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("mockserver: listen: %w", err)
	}
	tlsConf := o.tlsConfig
	scheme := "http"
	if tlsConf != nil || o.generateTLS {
		scheme = "https"
	}
	base := scheme + "://" + ln.Addr().String()
	if cfg.Issuer == "" {
		cfg.Issuer = base
	}
	var ca *memoryCA
	if o.generateTLS {
		if ca, err = newMemoryCA(); err == nil {
			tlsConf, err = ca.serverConfig(ln.Addr(), cfg.Issuer)
		}
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("mockserver: TLS: %w", err)
		}
	}
	p, err := New(cfg)
	if err != nil {
		ln.Close()
		return nil, err
	}
	if tlsConf != nil {
		// The transport quirks (plain-http-too, tls-*) act here.
		tln, err := p.tlsListener(ln, tlsConf)
		if err != nil {
			ln.Close()
			p.Close()
			return nil, err
		}
		ln = tln
	}
	var handler http.Handler = p
	if o.controlPrefix != "" {
		if err := p.checkControlMount(o.controlPrefix); err != nil {
			ln.Close()
			p.Close()
			return nil, err
		}
		handler = p.withControl(o.controlPrefix, o.controlSecret, p)
	}
	s := &Server{
		Provider:      p,
		URL:           base,
		listener:      ln,
		controlPrefix: o.controlPrefix,
		srv: &http.Server{
			Handler:           handler,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      30 * time.Second,
			IdleTimeout:       2 * time.Minute,
			MaxHeaderBytes:    64 << 10,
			// TLS handshake errors (plain HTTP or old versions probed by
			// the suites) are expected: debug level, not stderr.
			ErrorLog: slog.NewLogLogger(p.log.Handler(), slog.LevelDebug),
		},
		done: make(chan struct{}),
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	switch {
	case ca != nil:
		s.ca = ca.cert
		tr.TLSClientConfig = &tls.Config{RootCAs: ca.pool(), MinVersion: tls.VersionTLS12}
	case tlsConf != nil:
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // loopback test client
	}
	s.client = &http.Client{
		Transport: tr,
		// Like a conformance client, never follow redirects: callers read
		// Location.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			p.log.Error("mock provider stopped", "err", err)
		}
	}()
	return s, nil
}

// Client returns an *http.Client for the server that does not follow
// redirects (and trusts the server's certificate when it serves TLS: see
// WithTLS).
func (s *Server) Client() *http.Client { return s.client }

// Certificate returns the certificate of the CA that issued the server's
// under WithTLS() (nil otherwise), e.g. to write it as PEM for another
// process.
func (s *Server) Certificate() *x509.Certificate { return s.ca }

// RootCAs returns a new pool holding only the CA of WithTLS() (nil
// otherwise), for a client of the test's own: &tls.Config{RootCAs: ts.RootCAs()}.
func (s *Server) RootCAs() *x509.CertPool {
	if s.ca == nil {
		return nil
	}
	pool := x509.NewCertPool()
	pool.AddCert(s.ca)
	return pool
}

// TokenURL returns the token endpoint URL.
func (s *Server) TokenURL() string { return s.URL + s.settings.Endpoints.Token }

// AuthorizeURL returns the authorize endpoint URL ("" if there is none).
func (s *Server) AuthorizeURL() string {
	if s.settings.Endpoints.Authorize == "" {
		return ""
	}
	return s.URL + s.settings.Endpoints.Authorize
}

// JWKSURL returns the URL of the JWK set ("" when the settings publish
// none: opaque or HS256 access tokens, without OpenID Connect).
func (s *Server) JWKSURL() string {
	if !s.publishesJWKS() {
		return ""
	}
	return s.URL + s.settings.Endpoints.JWKS
}

// MetadataURL returns the URL of the RFC 8414 metadata at the listening
// address ("" when the settings serve none). The document names the issuer
// (Provider.MetadataURL is the issuer's location of it).
func (s *Server) MetadataURL() string {
	if !s.settings.ServesMetadata() {
		return ""
	}
	return s.URL + WellKnownOAuth + s.issuerPath()
}

// Shutdown stops the server gracefully, waiting for requests in flight until
// ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	<-s.done
	s.Provider.Close()
	return err
}

// Close stops the server at once.
func (s *Server) Close() {
	_ = s.srv.Close()
	<-s.done
	s.Provider.Close()
	if t, ok := s.client.Transport.(*http.Transport); ok {
		t.CloseIdleConnections()
	}
}

// TestServer is a Server for Go tests, with a clock the test moves.
type TestServer struct {
	*Server
	// Clock is the provider's clock (WithClock's, else one of its own):
	// ts.Clock.Advance(d) expires codes and tokens, ts.Clock.Now() is the
	// provider's time. The field hides the Clock method of the embedded
	// Provider, which returns the same clock as a Clock interface
	// (ts.Provider.Clock()). It is nil only when an option set Config.Clock
	// to another Clock than an *OffsetClock.
	Clock *OffsetClock
}

// NewTestServer starts a provider for the named dialect with its built-in
// settings (or for a settings file, which names its dialect) and closes it
// when the test ends. It records requests and runs on an OffsetClock of its
// own (or WithClock's). Every call gets its own state.
func NewTestServer(t testing.TB, name string, opts ...TestOption) *TestServer {
	t.Helper()
	set, d, err := readSettings(name)
	if err != nil {
		t.Fatalf("mockserver: %v", err)
	}
	return newTestServer(t, Config{Dialect: d, Settings: set}, opts)
}

// newTestServer is NewTestServer of a configuration.
func newTestServer(t testing.TB, cfg Config, opts []TestOption) *TestServer {
	t.Helper()
	cfg.RecordRequests = true
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.Clock == nil {
		cfg.Clock = NewOffsetClock()
	}
	s, err := NewServer(cfg)
	if err != nil {
		t.Fatalf("mockserver: %v", err)
	}
	t.Cleanup(s.Close)
	clock, _ := cfg.Clock.(*OffsetClock)
	return &TestServer{Server: s, Clock: clock}
}
