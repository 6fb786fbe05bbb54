package harness

import (
	"context"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// seen is what a test server received.
type seen struct {
	method, uri, body string
	header            http.Header
}

func echoServer(t *testing.T, respond func(w http.ResponseWriter, r *http.Request)) (*httptest.Server, *seen) {
	t.Helper()
	var mu sync.Mutex
	s := &seen{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		*s = seen{r.Method, r.RequestURI, string(b), r.Header.Clone()}
		mu.Unlock()
		if respond != nil {
			respond(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(srv.Close)
	return srv, s
}

func newClient(t *testing.T, o Options) *Client {
	t.Helper()
	c, err := NewClient(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestBasicAuthHeader(t *testing.T) {
	tests := []struct {
		id, secret, wantCred string
	}{
		{"special client+1", "a+b:c%/ d=é", "special+client%2B1:a%2Bb%3Ac%25%2F+d%3D%C3%A9"},
		{"conf-client", "conf-secret", "conf-client:conf-secret"},
		{"id:with colon", "", "id%3Awith+colon:"},
	}
	for _, tt := range tests {
		got := BasicAuthHeader(tt.id, tt.secret)
		want := "Basic " + base64.StdEncoding.EncodeToString([]byte(tt.wantCred))
		if got != want {
			t.Errorf("BasicAuthHeader(%q, %q) = %q, want %q", tt.id, tt.secret, got, want)
		}
	}
}

func TestRequestShapes(t *testing.T) {
	srv, got := echoServer(t, nil)
	c := newClient(t, Options{BaseURL: srv.URL + "/", Headers: http.Header{"X-Api-Key": {"k1"}}})
	ctx := context.Background()

	tests := []struct {
		name       string
		do         func() *Exchange
		wantMethod string
		wantURI    string
		wantBody   string
		wantHeader map[string]string // "" means absent
	}{
		{
			name: "form with basic auth",
			do: func() *Exchange {
				return c.PostForm(ctx, "/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"s1"}},
					WithBasicAuth("special client+1", "a+b:c%/ d=é"))
			},
			wantMethod: "POST", wantURI: "/token", wantBody: "grant_type=client_credentials&scope=s1",
			wantHeader: map[string]string{
				"Content-Type":  "application/x-www-form-urlencoded",
				"Accept":        "application/json",
				"Authorization": BasicAuthHeader("special client+1", "a+b:c%/ d=é"),
				"X-Api-Key":     "k1",
				"User-Agent":    DefaultUserAgent,
			},
		},
		{
			name: "duplicate values keep their order",
			do: func() *Exchange {
				return c.PostForm(ctx, "token", url.Values{"grant_type": {"password", "client_credentials"}})
			},
			wantMethod: "POST", wantURI: "/token", wantBody: "grant_type=password&grant_type=client_credentials",
		},
		{
			name: "raw body verbatim with charset and no api key",
			do: func() *Exchange {
				return c.PostForm(ctx, "/token", nil,
					WithRawBody("application/x-www-form-urlencoded; charset=UTF-8", "scope=b&grant_type=a&grant_type=b"),
					WithoutHeader("x-api-key"), WithAuthorization("basic Zm9vOmJhcg=="))
			},
			wantMethod: "POST", wantURI: "/token", wantBody: "scope=b&grant_type=a&grant_type=b",
			wantHeader: map[string]string{
				"Content-Type":  "application/x-www-form-urlencoded; charset=UTF-8",
				"X-Api-Key":     "",
				"Authorization": "basic Zm9vOmJhcg==",
			},
		},
		{
			name: "raw body without content type",
			do: func() *Exchange {
				return c.Do(ctx, http.MethodPost, "/token", WithRawBody("", "x"))
			},
			wantMethod: "POST", wantURI: "/token", wantBody: "x",
			wantHeader: map[string]string{"Content-Type": ""},
		},
		{
			name: "json body",
			do: func() *Exchange {
				return c.PostForm(ctx, "/token", nil, WithJSON(map[string]string{"grant_type": "client_credentials"}))
			},
			wantMethod: "POST", wantURI: "/token", wantBody: `{"grant_type":"client_credentials"}`,
			wantHeader: map[string]string{"Content-Type": "application/json"},
		},
		{
			name: "GET moves the form to the query",
			do: func() *Exchange {
				return c.PostForm(ctx, "/token", url.Values{"grant_type": {"client_credentials"}}, WithMethod(http.MethodGet))
			},
			wantMethod: "GET", wantURI: "/token?grant_type=client_credentials", wantBody: "",
			wantHeader: map[string]string{"Content-Type": ""},
		},
		{
			name: "query appended after the target's own",
			do: func() *Exchange {
				return c.PostForm(ctx, "/token?z=1&a=2", url.Values{"grant_type": {"client_credentials"}},
					WithQuery(url.Values{"client_id": {"c"}, "client_secret": {"s"}}))
			},
			wantMethod: "POST", wantURI: "/token?z=1&a=2&client_id=c&client_secret=s", wantBody: "grant_type=client_credentials",
		},
		{
			name: "header override",
			do: func() *Exchange {
				return c.Get(ctx, srv.URL+"/authorize?x=1", WithHeader("X-Api-Key", "k2"), WithHeader("User-Agent", "ua"))
			},
			wantMethod: "GET", wantURI: "/authorize?x=1",
			wantHeader: map[string]string{"X-Api-Key": "k2", "User-Agent": "ua"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := tt.do()
			if x.Err != nil || x.Status != 200 {
				t.Fatalf("exchange failed: %v\n%s", x.Err, x)
			}
			if got.method != tt.wantMethod || got.uri != tt.wantURI || got.body != tt.wantBody {
				t.Errorf("server saw %s %s body %q; want %s %s body %q", got.method, got.uri, got.body, tt.wantMethod, tt.wantURI, tt.wantBody)
			}
			for k, want := range tt.wantHeader {
				if v := got.header.Get(k); v != want {
					t.Errorf("server saw %s: %q, want %q", k, v, want)
				}
				// The evidence records what went on the wire.
				if v := x.RequestHeader.Get(k); v != want && k != "User-Agent" {
					t.Errorf("evidence %s: %q, want %q", k, v, want)
				}
			}
			if string(x.RequestBody) != tt.wantBody {
				t.Errorf("evidence body %q, want %q", x.RequestBody, tt.wantBody)
			}
			if !strings.HasSuffix(x.URL, tt.wantURI) {
				t.Errorf("evidence URL %q does not end in %q", x.URL, tt.wantURI)
			}
		})
	}
}

func TestBaseURLKeepsPathPrefix(t *testing.T) {
	srv, got := echoServer(t, nil)
	c := newClient(t, Options{BaseURL: srv.URL + "/tenant/"})
	if x := c.Get(context.Background(), "/token"); x.Err != nil || got.uri != "/tenant/token" {
		t.Fatalf("got %q, err %v", got.uri, x.Err)
	}
	if x := newClient(t, Options{}).Get(context.Background(), "/token"); x.Err == nil {
		t.Fatal("a path without base URL should be an error")
	}
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	srv, _ := echoServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/authorize" {
			http.Redirect(w, r, "/cb?code=abc&state=xyz", http.StatusFound)
			return
		}
		t.Errorf("redirect was followed to %s", r.URL)
	})
	c := newClient(t, Options{BaseURL: srv.URL})
	x := c.Get(context.Background(), "/authorize?response_type=code")
	if x.Err != nil || x.Status != http.StatusFound {
		t.Fatalf("status %d err %v", x.Status, x.Err)
	}
	if x.Location() != "/cb?code=abc&state=xyz" {
		t.Errorf("Location = %q", x.Location())
	}
	u, err := x.RedirectURL()
	if err != nil || u.String() != srv.URL+"/cb?code=abc&state=xyz" || u.Query().Get("code") != "abc" {
		t.Errorf("RedirectURL = %v, %v", u, err)
	}
	if strings.Contains(x.Evidence(), "code=abc") {
		t.Errorf("evidence leaks the code:\n%s", x.Evidence())
	}
}

// rawServer answers each connection with fn, for responses no http.Handler
// can produce; done closes when the test ends.
func rawServer(t *testing.T, fn func(c net.Conn, done <-chan struct{})) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	done := make(chan struct{})
	t.Cleanup(func() { close(done); _ = ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conn.Close()
				// Read the request head so the client is not blocked writing.
				_ = conn.SetReadDeadline(time.Now().Add(time.Second))
				buf := make([]byte, 4096)
				_, _ = conn.Read(buf)
				fn(conn, done)
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

func TestMisbehavingTargets(t *testing.T) {
	tests := []struct {
		name    string
		server  func(net.Conn, <-chan struct{})
		opts    Options
		wantErr func(error) bool
		check   func(*testing.T, *Exchange)
	}{
		{
			name:    "hangs before answering",
			server:  func(_ net.Conn, done <-chan struct{}) { <-done },
			opts:    Options{Timeout: 150 * time.Millisecond},
			wantErr: func(err error) bool { return errors.Is(err, ErrTimeout) },
		},
		{
			name: "stalls in the body",
			server: func(c net.Conn, done <-chan struct{}) {
				_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"a\":")
				<-done
			},
			opts:    Options{Timeout: 150 * time.Millisecond},
			wantErr: func(err error) bool { return errors.Is(err, ErrTimeout) },
			check: func(t *testing.T, x *Exchange) {
				if x.Status != 200 || string(x.Body) != `{"a":` {
					t.Errorf("partial response not kept: %d %q", x.Status, x.Body)
				}
			},
		},
		{
			name:    "garbage instead of HTTP",
			server:  func(c net.Conn, _ <-chan struct{}) { _, _ = io.WriteString(c, "\x00\x01garbage\r\n\r\n") },
			wantErr: func(err error) bool { return err != nil && !errors.Is(err, ErrTimeout) },
		},
		{
			name: "connection reset",
			server: func(c net.Conn, _ <-chan struct{}) {
				if tc, ok := c.(*net.TCPConn); ok {
					_ = tc.SetLinger(0)
				}
			},
			wantErr: func(err error) bool { return err != nil && !errors.Is(err, ErrTimeout) },
		},
		{
			name: "body shorter than announced",
			server: func(c net.Conn, _ <-chan struct{}) {
				_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort")
			},
			wantErr: func(err error) bool { return errors.Is(err, io.ErrUnexpectedEOF) },
		},
		{
			name: "body over the cap",
			server: func(c net.Conn, _ <-chan struct{}) {
				_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n"+strings.Repeat("x", 5000))
			},
			opts:    Options{MaxBodyBytes: 1024},
			wantErr: func(err error) bool { return errors.Is(err, ErrBodyTooLarge) },
			check: func(t *testing.T, x *Exchange) {
				if len(x.Body) != 1024 || !x.Truncated {
					t.Errorf("body %d bytes, truncated %v", len(x.Body), x.Truncated)
				}
				if !strings.Contains(x.Evidence(), "truncated") || !strings.Contains(x.Err.Error(), "1024") {
					t.Errorf("evidence/error should say the body was truncated:\n%s", x.Evidence())
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := rawServer(t, tt.server)
			tt.opts.BaseURL = base
			c := newClient(t, tt.opts)
			start := time.Now()
			x := c.PostForm(context.Background(), "/token?code=x", url.Values{"grant_type": {"client_credentials"}})
			if time.Since(start) > 5*time.Second {
				t.Errorf("took %s", time.Since(start))
			}
			if !tt.wantErr(x.Err) {
				t.Fatalf("unexpected error %v\n%s", x.Err, x)
			}
			if strings.Contains(x.Err.Error(), "code=x") || strings.Contains(x.Evidence(), "code=x") {
				t.Errorf("error or evidence leaks the code: %v\n%s", x.Err, x)
			}
			if !strings.Contains(x.Evidence(), "!!! error") {
				t.Errorf("evidence does not show the error:\n%s", x.Evidence())
			}
			if tt.check != nil {
				tt.check(t, x)
			}
		})
	}
}

func TestUnsendableRequests(t *testing.T) {
	srv, got := echoServer(t, nil)
	c := newClient(t, Options{BaseURL: srv.URL})
	tests := []struct {
		name string
		x    *Exchange
		want string
	}{
		{"unmarshallable JSON", c.PostForm(context.Background(), "/token", nil, WithJSON(make(chan int))), "cannot marshal chan int"},
		{"bad URL", c.Get(context.Background(), "http://[::1"), "bad URL"},
		//lint:ignore SA1012 a nil context must not panic the client
		{"nil context", c.Get(nil, "/"), ""},
	}
	for _, tt := range tests {
		if tt.want == "" {
			if tt.x.Err != nil {
				t.Errorf("%s: %v", tt.name, tt.x.Err)
			}
			continue
		}
		if tt.x.Err == nil || !strings.Contains(tt.x.Err.Error(), tt.want) || tt.x.Status != 0 {
			t.Errorf("%s: err %v status %d", tt.name, tt.x.Err, tt.x.Status)
		}
	}
	if got.uri != "/" {
		t.Errorf("only the nil-context request should have been sent; server saw %q", got.uri)
	}
}

func TestCanceledContext(t *testing.T) {
	srv, _ := echoServer(t, nil)
	c := newClient(t, Options{BaseURL: srv.URL, RateLimit: 1})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	x := c.Get(ctx, "/")
	if !errors.Is(x.Err, context.Canceled) || errors.Is(x.Err, ErrTimeout) {
		t.Fatalf("err = %v", x.Err)
	}
}

func TestRateLimit(t *testing.T) {
	srv, _ := echoServer(t, nil)
	c := newClient(t, Options{BaseURL: srv.URL, RateLimit: 20}) // one per 50ms
	start := time.Now()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if x := c.Get(context.Background(), "/"); x.Err != nil {
				t.Error(x.Err)
			}
		})
	}
	wg.Wait()
	if d := time.Since(start); d < 140*time.Millisecond {
		t.Errorf("4 requests at 20/s took %s, want ≥ 150ms", d)
	}
}

func TestTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok")
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(caFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	notPEM := filepath.Join(t.TempDir(), "x.pem")
	_ = os.WriteFile(notPEM, []byte("nope"), 0o600)

	tests := []struct {
		name      string
		opts      Options
		newErr    bool
		verifyErr bool
	}{
		{"verification on by default", Options{}, false, true},
		{"insecure", Options{Insecure: true}, false, false},
		{"ca file", Options{CAFile: caFile}, false, false},
		{"missing ca file", Options{CAFile: filepath.Join(t.TempDir(), "none.pem")}, true, false},
		{"ca file without PEM", Options{CAFile: notPEM}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.BaseURL = srv.URL
			c, err := NewClient(tt.opts)
			if (err != nil) != tt.newErr {
				t.Fatalf("NewClient err = %v", err)
			}
			if err != nil {
				return
			}
			x := c.Get(context.Background(), "/")
			if (x.Err != nil) != tt.verifyErr {
				t.Fatalf("err = %v", x.Err)
			}
		})
	}
}

func TestEvidenceRedacts(t *testing.T) {
	srv, _ := echoServer(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = io.WriteString(w, `{"access_token":"AT-secret-value","token_type":"Bearer","expires_in":3600,"refresh_token":"RT-secret-value"}`)
	})
	c := newClient(t, Options{BaseURL: srv.URL, Headers: http.Header{"X-Api-Key": {"the-api-key"}}})
	x := c.PostForm(context.Background(), "/token",
		url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"alice-password"}},
		WithBasicAuth("conf-client", "conf-secret"))
	ev := x.Evidence()
	for _, leak := range []string{"AT-secret-value", "RT-secret-value", "alice-password", "the-api-key", "conf-secret",
		strings.TrimPrefix(BasicAuthHeader("conf-client", "conf-secret"), "Basic ")} {
		if strings.Contains(ev, leak) {
			t.Errorf("evidence leaks %q:\n%s", leak, ev)
		}
	}
	for _, keep := range []string{"--> POST " + srv.URL + "/token", "username=alice", `"token_type":"Bearer"`, `"expires_in":3600`,
		"Authorization: Basic [REDACTED#", `(user-id "conf-client")`, "<-- 200 OK", "Cache-Control: no-store"} {
		if !strings.Contains(ev, keep) {
			t.Errorf("evidence lacks %q:\n%s", keep, ev)
		}
	}
	if x.String() != ev {
		t.Error("String() differs from Evidence()")
	}
	if m, err := x.JSON(); err != nil || m["token_type"] != "Bearer" || x.MediaType() != "application/json" {
		t.Errorf("JSON() = %v, %v; media type %q", m, err, x.MediaType())
	}
}
