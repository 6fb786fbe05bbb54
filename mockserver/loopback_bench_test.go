package mockserver

import (
	"bufio"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/oauthconform/oauthconform/mockserver/internal/rawhttp"
)

// BenchmarkLoopback issues client_credentials tokens over real loopback
// TCP, 32 keep-alive connections at once, from a lean client in the same
// process (it writes a prepared request and reads the status line, the
// headers and the body's bytes): the whole server path, net/http included,
// for profiling it (-cpuprofile). The bare case is the net/http ceiling
// (bareHandler) under the mock server's own http.Server settings. Across
// processes, with the server's CPU time per request, see the load recipe:
// make load (mockserver/internal/loadtest).
func BenchmarkLoopback(b *testing.B) {
	for _, target := range []string{"bare", "merchant-customer", "rfc6749"} {
		b.Run(target, func(b *testing.B) {
			var tokenURL string
			scope := "read"
			if target == "bare" {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					b.Fatal(err)
				}
				srv := &http.Server{Handler: bareHandler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
					WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
				go func() { _ = srv.Serve(ln) }()
				b.Cleanup(func() { _ = srv.Close() })
				tokenURL = "http://" + ln.Addr().String() + "/oauth/token"
			} else {
				set, d := MustLoadSettings(target)
				s, err := NewServer(Config{Dialect: d, Settings: set})
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(s.Close)
				tokenURL = s.TokenURL()
				scope = set.Scopes.Default
			}
			u, err := url.Parse(tokenURL)
			if err != nil {
				b.Fatal(err)
			}
			req := rawhttp.ClientCredentials(u.RequestURI(), u.Host, "conf-client", "conf-secret", scope)
			b.SetParallelism(16) // 32 connections on 2 processors
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				conn, err := net.Dial("tcp", u.Host)
				if err != nil {
					b.Error(err)
					return
				}
				defer conn.Close()
				br := bufio.NewReaderSize(conn, 16<<10)
				for pb.Next() {
					if _, err := conn.Write(req); err != nil {
						b.Error(err)
						return
					}
					if status, err := rawhttp.ReadResponse(br); err != nil || status != http.StatusOK {
						b.Errorf("status %d, %v", status, err)
						return
					}
				}
			})
		})
	}
}
