package harness

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestOriginOf(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"https://AS.example/token", "https://as.example:443"},
		{"https://as.example:443/x", "https://as.example:443"},
		{"http://as.example/x", "http://as.example:80"},
		{"http://127.0.0.1:8080/t?x=1", "http://127.0.0.1:8080"},
		{"http://[::1]:9/x", "http://::1:9"},
		{"/token", ""},
		{"urn:ietf:wg:oauth:2.0:oob", ""},
		{"ftp://as.example/x", ""},
	} {
		if got := originOf(tt.in); got != tt.want {
			t.Errorf("originOf(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestBreakerCounting(t *testing.T) {
	boom := errors.New("connection refused")
	b := &Breaker{Threshold: 3}
	b.Watch("https://as.example/token", "")
	const u = "https://as.example/authorize"
	// Another origin is neither counted nor stopped.
	for range 5 {
		b.record("http://as.example/token", true, boom)
	}
	if b.Tripped() != nil {
		t.Fatal("tripped by an unwatched origin")
	}
	// A response in between resets the count.
	b.record(u, true, boom)
	b.record(u, true, boom)
	b.record(u, false, nil)
	b.record(u, true, boom)
	b.record(u, true, boom)
	if b.Tripped() != nil {
		t.Fatal("tripped although a response came between the failures")
	}
	b.record(u, true, boom)
	err := b.Tripped()
	if err == nil || !errors.Is(b.allow(u), ErrUnresponsive) {
		t.Fatalf("not tripped after 3 consecutive failures: %v", err)
	}
	if b.allow("http://as.example/token") != nil {
		t.Error("an unwatched origin is stopped")
	}
	// A nil breaker is inert.
	var nb *Breaker
	nb.Watch(u)
	nb.record(u, true, boom)
	if nb.Tripped() != nil || nb.allow(u) != nil {
		t.Error("nil breaker acted")
	}
}

// TestBreakerEndsAHangingTarget: a target that accepts connections and never
// answers costs the threshold's timeouts, then every request fails at once.
func TestBreakerEndsAHangingTarget(t *testing.T) {
	var hits atomic.Int32
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	b := &Breaker{}
	b.Watch(srv.URL)
	c, err := NewClient(Options{Timeout: 50 * time.Millisecond, Breaker: b})
	if err != nil {
		t.Fatal(err)
	}
	for i := range DefaultBreakerThreshold {
		if ex := c.Get(context.Background(), srv.URL+"/token"); !errors.Is(ex.Err, ErrTimeout) {
			t.Fatalf("request %d: %v, want a timeout", i, ex.Err)
		}
	}
	ex := c.Get(context.Background(), srv.URL+"/token")
	if !errors.Is(ex.Err, ErrUnresponsive) {
		t.Fatalf("after the threshold: %v, want ErrUnresponsive", ex.Err)
	}
	if n := hits.Load(); n != DefaultBreakerThreshold {
		t.Errorf("%d requests reached the target, want %d", n, DefaultBreakerThreshold)
	}

	// The caller's own cancellation is not the target's failure.
	b2 := &Breaker{Threshold: 1}
	b2.Watch(srv.URL)
	c2, _ := NewClient(Options{Timeout: time.Minute, Breaker: b2})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	c2.Get(ctx, srv.URL)
	if b2.Tripped() != nil {
		t.Error("tripped by the caller's cancellation")
	}

	// A refused connection counts too.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	b3 := &Breaker{Threshold: 2}
	b3.Watch(dead)
	c3, _ := NewClient(Options{Breaker: b3})
	c3.Get(context.Background(), dead)
	c3.Get(context.Background(), dead)
	if b3.Tripped() == nil {
		t.Error("refused connections did not trip")
	}
}
