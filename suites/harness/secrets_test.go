package harness

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// The forms are spelled out here, not derived with encodings: the test
// states what an echo looks like.
func TestScrubEncodings(t *testing.T) {
	const secret = `a+b:c%/ d=~&<é>"'`
	s := newSecretSet()
	s.addConfigured(secret)
	fp := Redacted(secret)
	tests := []struct{ name, form string }{
		{"raw", secret},
		{"url.QueryEscape", "a%2Bb%3Ac%25%2F+d%3D~%26%3C%C3%A9%3E%22%27"},
		{"encodeURIComponent", "a%2Bb%3Ac%25%2F%20d%3D~%26%3C%C3%A9%3E%22%27"},
		{"url.PathEscape", "a+b:c%25%2F%20d=~&%3C%C3%A9%3E%22%27"},
		{"JSON", `a+b:c%/ d=~&<é>\"'`},
		{"JSON, HTML-safe (Go)", `a+b:c%/ d=~\u0026\u003cé\u003e\"'`},
		{"JSON, slash escaped (PHP)", `a+b:c%\/ d=~&<é>\"'`},
		{"JSON, ASCII only (Python)", `a+b:c%/ d=~&<\u00e9>\"'`},
		{"JSON, ASCII only, upper-case hex", `a+b:c%/ d=~&<\u00E9>\"'`},
		{"html.EscapeString", "a+b:c%/ d=~&amp;&lt;é&gt;&#34;&#39;"},
		{"html/template", "a&#43;b:c%/ d=~&amp;&lt;é&gt;&#34;&#39;"},
		{"htmlspecialchars", "a+b:c%/ d=~&amp;&lt;é&gt;&quot;&#039;"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := "before " + tt.form + " after"
			if got, want := s.scrubber().scrub(in), "before "+fp+" after"; got != want {
				t.Errorf("scrub(%q)\n got %q\nwant %q", in, got, want)
			}
		})
	}
}

func TestScrubBasicCredentials(t *testing.T) {
	const id, secret = "special client+1", "a+b:c%/ d=~&"
	s := newSecretSet()
	s.addClient(id, secret)
	b64 := func(v string) string { return base64.StdEncoding.EncodeToString([]byte(v)) }
	encoded := b64(url.QueryEscape(id) + ":" + url.QueryEscape(secret)) // RFC 6749 §2.3.1
	raw := b64(id + ":" + secret)                                       // what many clients send
	tests := []struct{ name, in, want string }{
		{"form-encoded", "Basic " + encoded, "Basic " + Redacted(encoded)},
		{"raw", "got " + raw + ".", "got " + Redacted(raw) + "."},
		{"padding trimmed", strings.TrimRight(raw, "="), Redacted(raw)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.scrubber().scrub(tt.in); got != tt.want {
				t.Errorf("scrub(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
	if !strings.HasSuffix(raw, "=") {
		t.Fatal("pick a pair whose base64 is padded")
	}
}

func TestScrubLengthRules(t *testing.T) {
	s := newSecretSet()
	s.addConfigured("abcd")     // short configured secret: only where it stands alone
	s.addConfigured("xyz")      // too short for any value scrubbing
	s.addToken("t0k3n")         // short token: name-based redaction only
	s.addToken("invalid_grant") // a protocol word, never a secret
	s.addToken("conf-secret")
	s.addToken("conf-secret-oauthconform-wrong") // contains the one above
	s.addToken("  ")
	tests := []struct{ in, want string }{
		{"secret abcd.", "secret " + Redacted("abcd") + "."},
		{"abcd", Redacted("abcd")},
		{`"client_secret":"abcd"`, `"client_secret":"` + Redacted("abcd") + `"`},
		{"abcdef xabcd abcd1 a-abcd-b", "abcdef xabcd abcd1 a-" + Redacted("abcd") + "-b"},
		{"xyz t0k3n", "xyz t0k3n"},
		{`{"error":"invalid_grant"}`, `{"error":"invalid_grant"}`},
		{"conf-secret-oauthconform-wrong, conf-secret", Redacted("conf-secret-oauthconform-wrong") + ", " + Redacted("conf-secret")},
	}
	for _, tt := range tests {
		if got := s.scrubber().scrub(tt.in); got != tt.want {
			t.Errorf("scrub(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

// A registration is seen by every rendering that starts after it returns;
// the compiled scrubber is rebuilt only when something new came in.
func TestSecretSetConcurrent(t *testing.T) {
	s := newSecretSet()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				v := fmt.Sprintf("token-%d-%03d-value", g, i)
				s.addToken(v)
				if got := s.scrubber().scrub("x " + v + " y"); strings.Contains(got, v) {
					t.Errorf("%s not scrubbed right after registering it: %s", v, got)
					return
				}
			}
		})
	}
	wg.Wait()
	builds := s.builds.Load()
	s.addToken("token-0-000-value") // known: no rebuild
	_ = s.scrubber()
	if s.builds.Load() != builds {
		t.Error("registering a known value rebuilt the scrubber")
	}
}

// What an exchange carries by name is registered, so an echo of it
// elsewhere is scrubbed.
func TestHarvest(t *testing.T) {
	basic := BasicAuthHeader("conf-client", "harvest-basic-secret")
	x := &Exchange{
		Method: "POST", URL: "https://as.example/token?access_token=harvest-query-token",
		RequestHeader: http.Header{
			"Authorization": {basic},
			"Content-Type":  {"application/x-www-form-urlencoded"},
			"X-Api-Key":     {"harvest-api-key"},
			"Cookie":        {"sid=harvest-cookie-value; lang=en"},
		},
		RequestBody: []byte("grant_type=authorization_code&code=harvest-code-sent&code_verifier=harvest-verifier&csrf_token=harvest-csrf-token"),
		Status:      200,
		Header: http.Header{
			"Content-Type": {"application/json"},
			"Location":     {"https://client.example/cb?code=harvest-code-redirect&state=s"},
			"Set-Cookie":   {"session=harvest-set-cookie; Path=/; HttpOnly"},
		},
		Body: []byte(`{"access_token":"harvest-access-token","refresh_token":"harvest-refresh-token","id_token":"harvest.id.token",` +
			`"device_code":"harvest-device-code","error":{"code":"InvalidRequestCode"},"x":{"token":["harvest-nested-token"]}}`),
	}
	page := &Exchange{Method: "GET", URL: "https://as.example/oob", Status: 200,
		Header: http.Header{"Content-Type": {"text/html"}},
		Body: []byte(`<p><code id="code">harvest-oob-code</code></p><input type="hidden" name="pending_request" value="harvest-pending">` +
			`<meta name="csrf-token" content="harvest-meta-csrf">`)}
	s := newSecretSet()
	s.harvest(x)
	s.harvest(page)
	for _, v := range []string{"harvest-basic-secret", strings.TrimPrefix(basic, "Basic "), "harvest-query-token", "harvest-api-key",
		"harvest-cookie-value", "harvest-code-sent", "harvest-verifier", "harvest-csrf-token", "harvest-code-redirect",
		"harvest-set-cookie", "harvest-access-token", "harvest-refresh-token", "harvest.id.token", "harvest-device-code",
		"harvest-nested-token", "harvest-oob-code", "harvest-pending", "harvest-meta-csrf"} {
		if got := s.scrubber().scrub("echo: " + v); got != "echo: "+Redacted(v) {
			t.Errorf("%s not registered: %s", v, got)
		}
	}
	// Not secrets: an error object's code, the client id, the state.
	for _, v := range []string{"InvalidRequestCode", "conf-client", "lang=en"} {
		if got := s.scrubber().scrub(v); got != v {
			t.Errorf("%s registered: %s", v, got)
		}
	}
}

func TestSensitiveStems(t *testing.T) {
	for n := range sensitiveParams {
		if !mentionsSensitive(strings.ToUpper(n)) {
			t.Errorf("no stem of %q in sensitiveStems: redactText would skip it", n)
		}
	}
	if mentionsSensitive(`{"error":"invalid_grant","scope":"read"}`) {
		t.Error("names nothing sensitive")
	}
}

// A form registered after a merge that contains an older one is replaced
// whole: the base pass must not break it up first.
func TestScrubNestedAcrossMerge(t *testing.T) {
	s := newSecretSet()
	s.addToken("conf-secret")
	for i := range mergeAt {
		s.addToken(fmt.Sprintf("filler-token-%04d", i))
	}
	_ = s.scrubber() // merged into the base
	s.addToken("conf-secret-oauthconform-wrong")
	in := "conf-secret-oauthconform-wrong conf-secret filler-token-0007"
	want := Redacted("conf-secret-oauthconform-wrong") + " " + Redacted("conf-secret") + " " + Redacted("filler-token-0007")
	if got := s.scrubber().scrub(in); got != want {
		t.Errorf("scrub(%q)\n got %q\nwant %q", in, got, want)
	}
	s.addToken("another-recent-token")
	if got := s.scrubber().scrub("another-recent-token conf-secret"); got != Redacted("another-recent-token")+" "+Redacted("conf-secret") {
		t.Errorf("recent and base forms: %q", got)
	}
}

// Each form is compiled into a Replacer O(log n) times, not once per merge.
func TestScrubberCompilesLittle(t *testing.T) {
	s := newSecretSet()
	const n = 5000
	for i := range n {
		s.addToken(fmt.Sprintf("token-%06d-value", i))
		if i%7 == 0 {
			_ = s.scrubber() // a rendering between registrations
		}
	}
	sc := s.scrubber()
	if c := s.compiled.Load(); c > 8*n || len(sc.levels) > 8 {
		t.Errorf("%d forms compiled for %d registered, %d levels", c, n, len(sc.levels))
	} else {
		t.Logf("%d forms compiled for %d registered, %d levels", c, n, len(sc.levels))
	}
	for _, i := range []int{0, 1, n / 2, n - 65, n - 1} {
		v := fmt.Sprintf("token-%06d-value", i)
		if got := sc.scrub(v); got != Redacted(v) {
			t.Errorf("%s: %s", v, got)
		}
	}
}

func TestRedactHTML(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"the mock's out-of-band page", `<p><code id="code">Abc-123</code></p><p>state: <code id="state">xyz</code></p>`,
			`<p><code id="code">` + r("Abc-123") + `</code></p><p>state: <code id="state">xyz</code></p>`},
		{"padded text", "<span class='access_token'>\n  tok-1  \n</span>", "<span class='access_token'>\n  " + r("tok-1") + "  \n</span>"},
		{"input, value first", `<input value="Q&amp;1" type=hidden name=code>`, `<input value="` + r("Q&1") + `" type=hidden name=code>`},
		{"form_post response", `<input type="hidden" name="access_token" value='AT'/><input type="hidden" name="state" value="s"/>`,
			`<input type="hidden" name="access_token" value='` + r("AT") + `'/><input type="hidden" name="state" value="s"/>`},
		{"login form", `<input type="hidden" name="pending_request" value="p1"><input type="hidden" name="csrf_token" value="c1">`,
			`<input type="hidden" name="pending_request" value="` + r("p1") + `"><input type="hidden" name="csrf_token" value="` + r("c1") + `">`},
		{"meta csrf-token", `<meta name="csrf-token" content="m1">`, `<meta name="csrf-token" content="` + r("m1") + `">`},
		{"an input's label is not its value", `<input id="code" name="code"> Enter the code`, `<input id="code" name="code"> Enter the code`},
		{"other names untouched", `<code id="code-block">x</code><input name="username" value="alice"><code id="error">e</code>`,
			`<code id="code-block">x</code><input name="username" value="alice"><code id="error">e</code>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RedactBody("text/html", []byte(tt.in)); got != tt.want {
				t.Errorf("RedactBody\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

// A secret across the point where the evidence is cut is replaced whole,
// not cut into a prefix that no longer matches.
func TestScrubBeforeCut(t *testing.T) {
	const secret = "straddling-the-cut-secret"
	s := newSecretSet()
	s.addToken(secret)
	for _, at := range []int{0, 90, 95, 99, 100, 101} {
		text := strings.Repeat("x", at) + secret + strings.Repeat("y", 200)
		got, more := s.scrubber().scrubCut(text, 100)
		if strings.Contains(got, secret[:5]) || len(got) > 100 || more == 0 {
			t.Errorf("secret at %d: %q (%d more)", at, got, more)
		}
		if at+len(secret) <= 100-len(Redacted(secret)) && !strings.Contains(got, Redacted(secret)) {
			t.Errorf("secret at %d: no fingerprint in %q", at, got)
		}
	}
}
