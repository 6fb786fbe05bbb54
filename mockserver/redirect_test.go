package mockserver

import (
	"testing"

	"github.com/oauthconform/oauthconform/profile"
)

func azProvider(t *testing.T, quirks ...string) *Provider {
	t.Helper()
	p, err := New(Config{Quirks: quirks})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

func TestRedirectAllowed(t *testing.T) {
	const (
		r1       = "https://client.example/cb"
		rSlash   = "https://client.example/cb/"
		rPath    = "https://client.example/a/cb"
		rQuery   = "https://client.example/cb?dummy1=lorem&dummy2=ipsum"
		rLoop    = "http://127.0.0.1/cb"
		rLoopP   = "http://127.0.0.1:8765/callback"
		rLoop6   = "http://[::1]:8080/cb"
		rLocal   = "http://localhost/cb"
		rHTTP    = "http://client.example:8080/cb"
		rOOB     = "urn:ietf:wg:oauth:2.0:oob:auto"
		rNative  = "com.example.app:/oauth2redirect"
		attacker = "https://attacker.example/cb"
	)
	tests := []struct {
		name       string
		registered string
		got        string
		strict     bool // allowed with no quirk
		prefix     bool // allowed with prefix-redirect-match
		open       bool // allowed with open-redirect
	}{
		{"exact", r1, r1, true, true, true},
		{"exact with query", rQuery, rQuery, true, true, true},
		{"exact oob urn", rOOB, rOOB, true, true, true},
		{"exact private-use scheme", rNative, rNative, true, true, true},
		{"empty", r1, "", false, false, false},
		// AUTHZ-RURI-003
		{"/extra suffix", r1, r1 + "/extra", false, true, true},
		{"appended chars", r1, r1 + "x", false, true, true},
		{"path traversal", r1, r1 + "/../evil", false, true, true},
		{"trailing slash added", r1, r1 + "/", false, true, true},
		{"trailing slash removed", rSlash, r1, false, false, true},
		{"path upper-cased", r1, "https://client.example/CB", false, false, true},
		{"host upper-cased", r1, "https://CLIENT.example/cb", false, false, true},
		{"scheme upper-cased", r1, "HTTPS://client.example/cb", false, false, true},
		{"slash as %2F", rPath, "https://client.example/a%2Fcb", false, false, true},
		{"unreserved char percent-encoded", r1, "https://client.example/%63b", false, false, true},
		// AUTHZ-RURI-004
		{"evil. host prefix", r1, "https://evil.client.example/cb", false, false, true},
		{"host suffix", r1, "https://client.example.evil.example/cb", false, false, true},
		{"userinfo host@evil", r1, "https://client.example@evil.example/cb", false, false, true},
		{"R1 in attacker query", r1, "https://evil.example/cb?" + r1, false, false, true},
		{"different port", r1, "https://client.example:8443/cb", false, false, true},
		{"explicit default port", r1, "https://client.example:443/cb", false, false, true},
		{"non-loopback http port", rHTTP, "http://client.example:9090/cb", false, false, true},
		{"attacker", r1, attacker, false, false, true},
		// AUTHZ-RURI-005
		{"http instead of https", r1, "http://client.example/cb", false, false, true},
		{"https instead of loopback http", rLoopP, "https://127.0.0.1:8765/callback", false, false, true},
		// AUTHZ-RURI-006
		{"added query", r1, r1 + "?foo=bar", false, true, true},
		{"query reordered", rQuery, "https://client.example/cb?dummy2=ipsum&dummy1=lorem", false, false, true},
		{"query extended", rQuery, rQuery + "&foo=bar", false, true, true},
		// AUTHZ-RURI-007
		{"fragment", r1, r1 + "#frag", false, false, true},
		{"empty fragment", r1, r1 + "#", false, false, true},
		{"oob without :auto", rOOB, "urn:ietf:wg:oauth:2.0:oob", false, false, true},
		// RFC 8252 §7.3 loopback port exception (AUTHZ-RURI-011)
		{"loopback other port", rLoop, "http://127.0.0.1:51234/cb", true, true, true},
		{"loopback registered port, other port", rLoopP, "http://127.0.0.1:9999/callback", true, true, true},
		{"loopback port omitted", rLoopP, "http://127.0.0.1/callback", true, true, true},
		{"loopback ipv6 other port", rLoop6, "http://[::1]:9/cb", true, true, true},
		{"loopback localhost other port", rLocal, "http://localhost:3000/cb", true, true, true},
		{"loopback port 0", rLoop, "http://127.0.0.1:0/cb", false, false, true},
		{"loopback port too big", rLoop, "http://127.0.0.1:65536/cb", false, false, true},
		{"loopback port leading zero", rLoop, "http://127.0.0.1:051234/cb", false, false, true},
		{"loopback empty port", rLoop, "http://127.0.0.1:/cb", false, false, true},
		{"loopback other path", rLoop, "http://127.0.0.1:51234/cb/", false, false, true},
		{"loopback extra suffix", rLoopP, "http://127.0.0.1:8765/callback/extra", false, true, true},
		{"loopback added query", rLoop, "http://127.0.0.1:51234/cb?x=1", false, false, true},
		{"loopback fragment", rLoop, "http://127.0.0.1:51234/cb#x", false, false, true},
		{"loopback https", rLoop, "https://127.0.0.1:51234/cb", false, false, true},
		{"loopback userinfo", rLoop, "http://127.0.0.1:51234@evil.example/cb", false, false, true},
		{"loopback host prefix", rLoop, "http://127.0.0.1.evil.example/cb", false, false, true},
		{"loopback other loopback name", rLoop, "http://localhost:51234/cb", false, false, true},
		{"loopback ipv6 spelled long", rLoop6, "http://[0:0:0:0:0:0:0:1]:9/cb", false, false, true},
		{"loopback host upper-cased", rLocal, "http://LOCALHOST:3000/cb", false, false, true},
		{"loopback port with sign", rLoop, "http://127.0.0.1:+80/cb", false, false, false},
		// Quirk-only edge: nothing parses as a URI.
		{"not a URI", r1, "not a uri", false, false, false},
		{"control character", r1, "https://client.example/cb\r\nX: y", false, true, false},
	}
	strict := azProvider(t)
	prefix := azProvider(t, "prefix-redirect-match")
	open := azProvider(t, "open-redirect")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &profile.Client{ID: "c", RedirectURIs: []string{"https://other.example/x", tt.registered}}
			for _, x := range []struct {
				p    *Provider
				name string
				want bool
			}{{strict, "strict", tt.strict}, {prefix, "prefix-redirect-match", tt.prefix}, {open, "open-redirect", tt.open}} {
				if got := x.p.redirectAllowed(c, tt.got); got != x.want {
					t.Errorf("%s: redirectAllowed(%q registered, %q) = %v, want %v", x.name, tt.registered, tt.got, got, x.want)
				}
			}
		})
	}
}

func TestBuildRedirect(t *testing.T) {
	nasty := "a b+c/d=e&f%g~h'i!j"
	tests := []struct {
		name     string
		base     string
		params   []redirectParam
		fragment bool
		want     string
	}{
		{"query", "https://c.example/cb", []redirectParam{{"code", "abc"}, {"state", nasty}}, false,
			"https://c.example/cb?code=abc&state=a+b%2Bc%2Fd%3De%26f%25g~h%27i%21j"},
		{"existing query kept", "https://c.example/cb?dummy1=lorem&dummy2=ipsum", []redirectParam{{"code", "abc"}}, false,
			"https://c.example/cb?dummy1=lorem&dummy2=ipsum&code=abc"},
		{"existing raw query not re-encoded", "https://c.example/cb?a=%2F+b", []redirectParam{{"code", "x"}}, false,
			"https://c.example/cb?a=%2F+b&code=x"},
		{"empty query", "https://c.example/cb?", []redirectParam{{"code", "abc"}}, false, "https://c.example/cb?code=abc"},
		{"empty values left out", "https://c.example/cb", []redirectParam{{"error", "access_denied"}, {"error_description", ""}, {"state", ""}}, false,
			"https://c.example/cb?error=access_denied"},
		{"nothing to add", "https://c.example/cb", []redirectParam{{"state", ""}}, false, "https://c.example/cb"},
		{"fragment", "https://c.example/cb", []redirectParam{{"access_token", "t"}, {"token_type", "Bearer"}, {"state", "s p"}}, true,
			"https://c.example/cb#access_token=t&token_type=Bearer&state=s+p"},
		{"fragment after query", "https://c.example/cb?x=1", []redirectParam{{"error", "invalid_scope"}}, true,
			"https://c.example/cb?x=1#error=invalid_scope"},
		{"query before a fragment (quirk only)", "https://c.example/cb#frag", []redirectParam{{"code", "c"}}, false,
			"https://c.example/cb?code=c#frag"},
		{"fragment extended (quirk only)", "https://c.example/cb#frag", []redirectParam{{"code", "c"}}, true,
			"https://c.example/cb#frag&code=c"},
		{"oob page path", "/oauth/oob", []redirectParam{{"code", "c"}, {"state", "x"}}, false, "/oauth/oob?code=c&state=x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := buildRedirect(tt.base, tt.params, tt.fragment); got != tt.want {
				t.Errorf("buildRedirect = %q\n                  want %q", got, tt.want)
			}
		})
	}
}

func TestCSPSource(t *testing.T) {
	tests := []struct{ uri, want string }{
		{"http://127.0.0.1:8765/callback", "http://127.0.0.1:8765"},
		{"https://client.example/cb?dummy1=lorem", "https://client.example"},
		{"http://[::1]:8080/cb", "http://[::1]:8080"},
		{"com.example.app:/oauth2redirect", "com.example.app:"},
		{"HTTPS://Client.Example/cb", "https://Client.Example"},
		{"https://a;b.example/cb", ""},
		{"https://a'b.example/cb", ""},
		{"/relative", ""},
		{"%zz", ""},
	}
	for _, tt := range tests {
		if got := cspSource(tt.uri); got != tt.want {
			t.Errorf("cspSource(%q) = %q, want %q", tt.uri, got, tt.want)
		}
	}
}

func TestValidPort(t *testing.T) {
	for s, want := range map[string]bool{
		"1": true, "80": true, "65535": true, "0": false, "65536": false, "080": false,
		"": false, "+80": false, "-1": false, "8a": false, "123456": false,
	} {
		if got := validPort(s); got != want {
			t.Errorf("validPort(%q) = %v, want %v", s, got, want)
		}
	}
}
