package harness

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
)

// jwtLike returns n distinct JWT-shaped tokens sharing their header, the
// worst realistic case for the Replacer's trie (a long common prefix).
func jwtLike(n int) []string {
	const header = "eyJhbGciOiJFUzI1NiIsImtpZCI6InRlc3Qta2V5LTEiLCJ0eXAiOiJhdCtqd3QifQ."
	rng := rand.New(rand.NewPCG(1, 2))
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	out := make([]string, n)
	for i := range out {
		b := make([]byte, 400)
		for j := range b {
			b[j] = alphabet[rng.IntN(len(alphabet))]
		}
		out[i] = header + string(b[:300]) + "." + string(b[300:])
	}
	return out
}

func benchSet(n int) (*secretSet, []string) {
	s := newSecretSet()
	s.addClient("special client+1", "a+b:c%/ d=~&")
	s.addConfigured("alice-password")
	s.addConfigured("abcd")
	toks := jwtLike(n)
	for _, v := range toks {
		s.addToken(v)
	}
	return s, toks
}

// evidenceText is size bytes of rendered-evidence-like text that quotes a
// few registered tokens and otherwise near-misses them.
func evidenceText(size int, toks []string) string {
	var b strings.Builder
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, `{"error":"invalid_grant","error_description":"the token %s is not valid"}`+"\n", toks[i%len(toks)][:80])
		if i%16 == 0 {
			fmt.Fprintf(&b, "X-Echo: %s\n", toks[i%len(toks)])
		}
	}
	return b.String()[:size]
}

// BenchmarkScrub: cost per byte of evidence, for registries of 10 to 10,000
// tokens (+ a client's Basic forms and two configured secrets). Constant
// ns/byte across sizes is what linear means.
//
//	go test -run '^$' -bench 'Scrub|Evidence' -benchmem ./suites/harness/
func BenchmarkScrub(b *testing.B) {
	for _, n := range []int{10, 1000, 10000} {
		s, toks := benchSet(n)
		sc := s.scrubber()
		for _, size := range []int{8 << 10, 64 << 10, 1 << 20} {
			text := evidenceText(size, toks)
			b.Run(fmt.Sprintf("registry=%d/evidence=%dKiB", n, size>>10), func(b *testing.B) {
				b.SetBytes(int64(size))
				for b.Loop() {
					_ = sc.scrub(text)
				}
			})
		}
		// Near misses: every token but its last byte, over and over.
		adv := strings.Repeat(toks[0][:len(toks[0])-1]+"!", (64<<10)/len(toks[0]))
		b.Run(fmt.Sprintf("registry=%d/near-misses=64KiB", n), func(b *testing.B) {
			b.SetBytes(int64(len(adv)))
			for b.Loop() {
				_ = sc.scrub(adv)
			}
		})
	}
}

// BenchmarkEvidenceHostile: the worst a target can do, a token as long as
// is scrubbed (maxTokenLen) that is a near miss at every position of a
// 1 MiB body; the rendering scrubs only what it shows.
func BenchmarkEvidenceHostile(b *testing.B) {
	RegisterToken(strings.Repeat("a", maxTokenLen-1) + "b")
	x := &Exchange{Method: "GET", URL: "https://as.example/x", RequestHeader: http.Header{},
		Status: 200, Header: http.Header{"Content-Type": {"text/plain"}, "X-Echo": {strings.Repeat("a", 60<<10)}},
		Body: []byte(strings.Repeat("a", 1<<20))}
	for b.Loop() {
		_ = x.Evidence()
	}
}

// BenchmarkRegister: registering n new tokens with a rendering after every
// fourth, as a run does; ns/op is for all n, compiles included.
func BenchmarkRegister(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		toks := jwtLike(n)
		b.Run(fmt.Sprintf("tokens=%d", n), func(b *testing.B) {
			for b.Loop() {
				s := newSecretSet()
				for i, v := range toks {
					s.addToken(v)
					if i%4 == 0 {
						_ = s.scrubber().scrub("a message")
					}
				}
			}
		})
	}
}

// BenchmarkEvidence renders a typical token error exchange with the
// process registry holding 1000 tokens.
func BenchmarkEvidence(b *testing.B) {
	_, toks := benchSet(1000)
	for _, v := range toks {
		RegisterToken(v)
	}
	x := &Exchange{Method: "POST", URL: "https://as.example/token",
		RequestHeader: http.Header{"Authorization": {BasicAuthHeader("conf-client", "conf-secret")}, "Content-Type": {"application/x-www-form-urlencoded"}},
		RequestBody:   []byte("grant_type=refresh_token&refresh_token=" + toks[3]),
		Status:        400, Header: http.Header{"Content-Type": {"application/json"}, "Cache-Control": {"no-store"}},
		Body: []byte(`{"error":"invalid_grant","error_description":"refresh token ` + toks[3] + ` was revoked"}`)}
	for b.Loop() {
		_ = x.Evidence()
	}
}

// loginPage is the mock's login form, which every browser flow fetches
// (and Client.Do harvests).
const loginPage = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Sign in to authorize conf-client</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#222}
h1{font-size:1.4rem}label{display:block;margin-top:.8rem}input[type=text],input[type=password]{width:100%;padding:.4rem;box-sizing:border-box}
.buttons{margin-top:1.2rem;display:flex;gap:.6rem}button{padding:.5rem 1.2rem}.error{color:#a00;font-weight:bold}
code{background:#f2f2f2;padding:.1rem .3rem;word-break:break-all}</style>
</head>
<body>
<main>
<h1>Authorize conf-client</h1>
<p>The application <strong>conf-client</strong> asks to access your account with this scope:</p>
<ul><li><code>read</code></li></ul>
<form method="post" action="/authorize/login">
<input type="hidden" name="pending_request" value="Zp3Qk2lW0Hnq7rR5dGmX9aYc">
<input type="hidden" name="csrf_token" value="aH7dL0pQ2sV9kXz4bN6mR1tY">
<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" value="">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password">
<div class="buttons">
<button type="submit" name="action" value="approve">Approve</button>
</div>
</form>
</main></body></html>`

// BenchmarkRedactPage: name-based redaction of a login page, done for the
// harvest of every response and for each rendering.
func BenchmarkRedactPage(b *testing.B) {
	b.SetBytes(int64(len(loginPage)))
	for b.Loop() {
		_ = RedactBody("text/html", []byte(loginPage))
	}
}
