package mockserver

import (
	"bufio"
	"bytes"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/oauthconform/oauthconform/mockserver/internal/rawhttp"
	"github.com/oauthconform/oauthconform/profile"
)

// benchRequest is the provider of prof and its client_credentials request
// (see wireRequests); newReq is for one goroutine.
func benchRequest(b *testing.B, prof string) (*Provider, func() *http.Request) {
	b.Helper()
	set, d := MustLoadSettings(prof)
	p, err := New(Config{Dialect: d, Settings: set, Issuer: "http://127.0.0.1:8080"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(p.Close)
	return p, wireRequests(b, p.settings.Endpoints.Token, p.settings.Scopes.Default)
}

// wireRequests returns a function that parses a new client_credentials
// request for scope (Basic conf-client) to target from its bytes each call, as a
// net/http server reads one from a keep-alive connection: through a
// bufio.Reader kept across requests (the server keeps one per connection;
// httptest.NewRequest allocates a 4 KiB one per request, a cost no server
// pays). The function is for one goroutine.
func wireRequests(b *testing.B, target, scope string) func() *http.Request {
	raw := rawhttp.ClientCredentials(target, "127.0.0.1:8080", "conf-client", "conf-secret", scope)
	var rd bytes.Reader
	br := bufio.NewReader(&rd)
	return func() *http.Request {
		rd.Reset(raw)
		br.Reset(&rd)
		r, err := http.ReadRequest(br)
		if err != nil {
			b.Fatal(err)
		}
		r.RemoteAddr = "192.0.2.1:1234"
		return r
	}
}

// discardWriter is a ResponseWriter that keeps nothing, so the benchmark
// measures the handler and not httptest.ResponseRecorder.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(s int)           { w.status = s }

// benchHandler times building the request and serving it; the yardstick pays
// the same request-building cost.
func benchHandler(b *testing.B, h http.Handler, newReq func() *http.Request) {
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		w.status = 0
		h.ServeHTTP(w, newReq())
		if w.status != 0 && w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
	}
}

// bareHandler is the yardstick: a net/http handler that parses the form
// and writes a fixed JSON token response, as cheap as a token endpoint gets.
var bareHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(`{"access_token":"x","token_type":"Bearer","expires_in":3600}`))
})

// BenchmarkBareHandler is the yardstick alone, sent the very request of
// BenchmarkClientCredentials/merchant-customer (Basic header included), so
// both pay the same request-building cost.
func BenchmarkBareHandler(b *testing.B) {
	_, newReq := benchRequest(b, "merchant-customer")
	benchHandler(b, bareHandler, newReq)
}

// BenchmarkClientCredentials issues one token per iteration through the
// provider's handler, for each profile (its token format and algorithm).
func BenchmarkClientCredentials(b *testing.B) {
	for _, prof := range []string{"rfc6749", "oauth20-intents", "merchant-customer"} {
		b.Run(prof, func(b *testing.B) {
			p, newReq := benchRequest(b, prof)
			benchHandler(b, p, newReq)
		})
	}
}

// BenchmarkClientCredentialsAlg compares signing algorithms on the same path.
func BenchmarkClientCredentialsAlg(b *testing.B) {
	for _, alg := range []string{"HS256", "ES256", "EdDSA", "RS256"} {
		b.Run(alg, func(b *testing.B) {
			set, d := MustLoadSettings("rfc6749")
			set.AccessToken.Alg = alg
			p, err := New(Config{Dialect: d, Settings: set, Issuer: "http://127.0.0.1:8080"})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(p.Close)
			benchHandler(b, p, wireRequests(b, p.settings.Endpoints.Token, "read"))
		})
	}
}

// BenchmarkClientCredentialsParallel runs the handler from all cores.
func BenchmarkClientCredentialsParallel(b *testing.B) {
	p, _ := benchRequest(b, "rfc6749")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		newReq := wireRequests(b, p.settings.Endpoints.Token, "read")
		w := &discardWriter{h: http.Header{}}
		for pb.Next() {
			clear(w.h)
			p.ServeHTTP(w, newReq())
		}
	})
}

// BenchmarkNew measures provider start-up (no key generation, no I/O).
func BenchmarkNew(b *testing.B) {
	set, d := MustLoadSettings("rfc6749")
	fx := profile.DefaultFixtures()
	b.ReportAllocs()
	for b.Loop() {
		p, err := New(Config{Dialect: d, Settings: set, Fixtures: fx})
		if err != nil {
			b.Fatal(err)
		}
		p.Close()
	}
}

// BenchmarkServerStartFirstToken measures a listening server's start plus
// its first token over loopback HTTP.
func BenchmarkServerStartFirstToken(b *testing.B) {
	set, d := MustLoadSettings("rfc6749")
	b.ReportAllocs()
	for b.Loop() {
		s, err := NewServer(Config{Dialect: d, Settings: set})
		if err != nil {
			b.Fatal(err)
		}
		req, _ := http.NewRequest(http.MethodPost, s.TokenURL(), strings.NewReader("grant_type=client_credentials"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", basicHeader("conf-client", "conf-secret"))
		resp, err := s.Client().Do(req)
		if err != nil || resp.StatusCode != 200 {
			b.Fatal(err)
		}
		resp.Body.Close()
		s.Close()
	}
}

// BenchmarkClientCredentialsClaims is the client_credentials path of a
// client with extra access token claims (the slow path of the JWT writer).
func BenchmarkClientCredentialsClaims(b *testing.B) {
	set, d := MustLoadSettings("rfc6749")
	fx := profile.DefaultFixtures()
	fx.Clients[0].AccessTokenClaims = map[string]any{"tenant": "acme", "tier": 3, "roles": []any{"a", "b"}, "aud": []any{"http://127.0.0.1:8080", "api"}}
	p, err := New(Config{Dialect: d, Settings: set, Fixtures: fx, Issuer: "http://127.0.0.1:8080"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(p.Close)
	auth := basicHeader(fx.Clients[0].ID, string(fx.Clients[0].Secret))
	benchHandler(b, p, func() *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader("grant_type=client_credentials&scope=read"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Authorization", auth)
		return r
	})
}

// BenchmarkAddClients registers 2,000 clients at run time, one by one: the
// copy-on-write registry copies its maps per registration, so this shows the
// total stays small where a deep copy made it quadratic.
func BenchmarkAddClients(b *testing.B) {
	set, d := MustLoadSettings("rfc6749")
	b.ReportAllocs()
	for b.Loop() {
		p, err := New(Config{Dialect: d, Settings: set})
		if err != nil {
			b.Fatal(err)
		}
		for i := range 2000 {
			id := "bench-" + strconv.Itoa(i)
			if err := p.AddClient(profile.Client{ID: id, Secret: "s-" + profile.Secret(id), RedirectURIs: []string{"https://c.example/cb"}}); err != nil {
				b.Fatal(err)
			}
		}
		p.Close()
	}
}
