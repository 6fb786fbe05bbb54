package mockserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/oauthconform/oauthconform/profile"
)

// Server is a Provider listening on a loopback port, in the manner of
// httptest.Server.
type Server struct {
	*Provider
	// URL is the base URL (the issuer), e.g. http://127.0.0.1:41234.
	URL string

	listener net.Listener
	srv      *http.Server
	client   *http.Client
	done     chan struct{}
}

// ServerOption adjusts a Server's configuration.
type ServerOption func(*serverOptions)

type serverOptions struct {
	addr      string
	tlsConfig *tls.Config
}

// WithAddr listens on addr instead of 127.0.0.1:0.
func WithAddr(addr string) ServerOption { return func(o *serverOptions) { o.addr = addr } }

// WithTLS serves HTTPS with the given configuration (it must hold a
// certificate).
func WithTLS(c *tls.Config) ServerOption { return func(o *serverOptions) { o.tlsConfig = c } }

// NewServer starts a provider on a loopback port (or the WithAddr address).
// When cfg.Issuer is empty it becomes the listening URL.
func NewServer(cfg Config, opts ...ServerOption) (*Server, error) {
	o := serverOptions{addr: "127.0.0.1:0"}
	for _, f := range opts {
		f(&o)
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return nil, fmt.Errorf("mockserver: listen: %w", err)
	}
	scheme := "http"
	if o.tlsConfig != nil {
		scheme = "https"
	}
	url := scheme + "://" + ln.Addr().String()
	if cfg.Issuer == "" {
		cfg.Issuer = url
	}
	p, err := New(cfg)
	if err != nil {
		ln.Close()
		return nil, err
	}
	if o.tlsConfig != nil {
		// The transport quirks (plain-http-too, tls-*) act here.
		tln, err := p.tlsListener(ln, o.tlsConfig)
		if err != nil {
			ln.Close()
			p.Close()
			return nil, err
		}
		ln = tln
	}
	s := &Server{
		Provider: p,
		URL:      url,
		listener: ln,
		srv: &http.Server{
			Handler:           p,
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
	if o.tlsConfig != nil {
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
// redirects (and trusts the server's certificate when it serves TLS).
func (s *Server) Client() *http.Client { return s.client }

// TokenURL returns the token endpoint URL.
func (s *Server) TokenURL() string { return s.URL + s.settings.Endpoints.Token }

// AuthorizeURL returns the authorize endpoint URL ("" if there is none).
func (s *Server) AuthorizeURL() string {
	if s.settings.Endpoints.Authorize == "" {
		return ""
	}
	return s.URL + s.settings.Endpoints.Authorize
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

// TestOption adjusts NewTestServer.
type TestOption func(*Config)

// WithQuirks turns quirks on.
func WithQuirks(names ...string) TestOption {
	return func(c *Config) { c.Quirks = append(c.Quirks, names...) }
}

// WithFixtures replaces the default fixtures.
func WithFixtures(f *profile.Fixtures) TestOption { return func(c *Config) { c.Fixtures = f } }

// WithStore uses another Store.
func WithStore(st Store) TestOption { return func(c *Config) { c.Store = st } }

// WithSettings changes choices of the settings NewTestServer plays: f gets a
// private copy of them as written (the built-in settings file, or the named
// settings file), before what they leave empty is filled from the dialect and
// the result validated. A result the dialect does not allow fails the test
// with the settings error.
func WithSettings(f func(*Settings)) TestOption {
	return func(c *Config) {
		if c.Settings != nil {
			f(c.Settings)
		}
	}
}

// TestServer is a Server for Go tests, with a clock the test moves.
type TestServer struct {
	*Server
	// Clock is the provider's clock: Advance it to expire codes and tokens.
	Clock *OffsetClock
}

// NewTestServer starts a provider for the named dialect with its built-in
// settings (or for a settings file, which names its dialect) and closes it
// when the test ends. It records requests and runs on an OffsetClock. Every
// call gets its own state.
func NewTestServer(t testing.TB, name string, opts ...TestOption) *TestServer {
	t.Helper()
	set, d, err := readSettings(name)
	if err != nil {
		t.Fatalf("mockserver: %v", err)
	}
	clock := NewOffsetClock()
	cfg := Config{Dialect: d, Settings: set, Clock: clock, RecordRequests: true}
	for _, o := range opts {
		o(&cfg)
	}
	s, err := NewServer(cfg)
	if err != nil {
		t.Fatalf("mockserver: %v", err)
	}
	t.Cleanup(s.Close)
	return &TestServer{Server: s, Clock: clock}
}

// ClientByRole returns the registered client playing that role
// (profile.RolePrimary, RoleSecond, RolePublic, ...).
func (p *Provider) ClientByRole(role string) (*profile.Client, bool) {
	return p.fixtures.ByRole(role)
}
