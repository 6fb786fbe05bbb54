package mockserver

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
)

// benchTokens is how many tokens BenchmarkTokenMemory issues per case:
// $OAUTHCONFORM_BENCH_TOKENS (1000000 for the figures of issue 9). Unset,
// the benchmark is skipped: a million tokens a case take minutes, too long
// for make bench.
func benchTokens(b *testing.B) int {
	v := os.Getenv("OAUTHCONFORM_BENCH_TOKENS")
	if v == "" {
		b.Skip("set OAUTHCONFORM_BENCH_TOKENS, e.g. to 1000000")
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("OAUTHCONFORM_BENCH_TOKENS=%q: want a positive integer", v)
	}
	return n
}

// liveHeap returns the heap in use after a full collection, in bytes.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC() // a second cycle also frees what the first one's finalizers released
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// processRSS reads VmRSS from /proc/self/status (0 where there is none).
func processRSS() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// BenchmarkTokenMemory issues a million tokens (see benchTokens) of each
// kind that leaves state behind, through the handler where a grant's
// request is cheap to build, and reports the heap in use after a GC with
// the provider still alive (heap-MB, its growth in heap-B/token), the
// process's RSS (rss-MB, Linux) and the store's record count. Run each case
// in a process of its own for a clean RSS, e.g.
//
//	OAUTHCONFORM_BENCH_TOKENS=1000000 go test -run '^$' -bench 'BenchmarkTokenMemory/client_credentials/merchant' -benchtime 1x ./mockserver/
func BenchmarkTokenMemory(b *testing.B) {
	type tcase struct {
		name, profile string
		// body is the form of a token request; "" issues with IssueToken.
		body string
	}
	cases := []tcase{
		{"client_credentials/rfc6749", "rfc6749", "grant_type=client_credentials&scope=read"},
		{"client_credentials/oauth20-intents", "oauth20-intents", "grant_type=client_credentials&scope=accounts"},
		{"client_credentials/merchant-customer", "merchant-customer", "grant_type=client_credentials&scope=merchant"},
		{"password/rfc6749", "rfc6749", "grant_type=password&username=alice&password=alice-password&scope=read"},
		{"issue-token-for-user/oob-pkce", "oob-pkce", ""},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			n := benchTokens(b)
			for b.Loop() {
				debug.FreeOSMemory()
				before := liveHeap()
				set, d := MustLoadSettings(tc.profile)
				p, err := New(Config{Dialect: d, Settings: set, Issuer: "http://127.0.0.1:8080"})
				if err != nil {
					b.Fatal(err)
				}
				issueMany(b, p, tc.body, n)
				after := liveHeap()
				rss := processRSS()
				ms, _ := p.Store().(*MemoryStore)
				records := 0
				if ms != nil {
					c, t, g := ms.Len()
					records = c + t + g
				}
				b.ReportMetric(float64(after)/(1<<20), "heap-MB")
				b.ReportMetric(float64(int64(after)-int64(before))/float64(n), "heap-B/token")
				b.ReportMetric(float64(rss)/(1<<20), "rss-MB")
				b.ReportMetric(float64(records), "records")
				runtime.KeepAlive(p)
				p.Close()
			}
		})
	}
}

// issueMany issues n tokens: token requests of body through the handler, or
// IssueToken calls for the first user with a refresh token when body is "".
func issueMany(b *testing.B, p *Provider, body string, n int) {
	b.Helper()
	if body == "" {
		ctx := context.Background()
		user := p.fixtures.Users[0].Subject
		if user == "" {
			user = p.fixtures.Users[0].Username
		}
		for i := range n {
			if _, err := p.IssueToken(ctx, IssueRequest{Subject: user, Refresh: true}); err != nil {
				b.Fatalf("token %d: %v", i, err)
			}
		}
		return
	}
	auth := basicHeader("conf-client", "conf-secret")
	target := p.settings.Endpoints.Token
	w := &discardWriter{h: http.Header{}}
	for i := range n {
		r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Authorization", auth)
		clear(w.h)
		w.status = 0
		p.ServeHTTP(w, r)
		if w.status != 0 && w.status != http.StatusOK {
			b.Fatalf("token %d: status %d", i, w.status)
		}
	}
}
