package harness

import (
	"regexp"
	"strings"
	"testing"
)

// r is the redacted form of v in this process.
func r(v string) string { return Redacted(v) }

func TestRedacted(t *testing.T) {
	if Redacted("") != "" {
		t.Error("empty values stay empty")
	}
	a, b := Redacted("token-a"), Redacted("token-b")
	if !regexp.MustCompile(`^\[REDACTED#[0-9a-f]{6}\]$`).MatchString(a) {
		t.Errorf("format: %q", a)
	}
	if a != Redacted("token-a") || a == b {
		t.Error("fingerprint must be stable per value and differ between values")
	}
	if strings.Contains(a, "token") {
		t.Error("fingerprint shows the value")
	}
}

func TestRedactHeader(t *testing.T) {
	basic := BasicAuthHeader("special client+1", "a+b:c%/ d=é")
	tests := []struct {
		name, value, want string
	}{
		{"Authorization", basic, "Basic " + r(strings.TrimPrefix(basic, "Basic ")) + ` (user-id "special+client%2B1")`},
		{"authorization", "basic Zm9vOmJhcg==", "basic " + r("Zm9vOmJhcg==") + ` (user-id "foo")`},
		{"Authorization", "Basic !!!not-base64", "Basic " + r("!!!not-base64")},
		{"Authorization", "Bearer eyJhbGciOi.x.y", "Bearer " + r("eyJhbGciOi.x.y")},
		{"Authorization", "justatoken", r("justatoken")},
		{"Proxy-Authorization", "Basic abc", "Basic " + r("abc")},
		{"X-Api-Key", "demo-api-key", r("demo-api-key")},
		{"x-dressipi-jwt", "eyJ.x.y", r("eyJ.x.y")},
		{"Cookie", "session=abc", r("session=abc")},
		{"Set-Cookie", "sid=abc; Path=/; HttpOnly", r("sid=abc; Path=/; HttpOnly")},
		{"X-Csrf-Token", "t", r("t")},
		{"Location", "https://client.example/cb?code=SplxlOBeZQQYbYS6WxSbIA&state=xyz",
			"https://client.example/cb?code=" + r("SplxlOBeZQQYbYS6WxSbIA") + "&state=xyz"},
		{"Location", "https://client.example/cb#access_token=2YotnFZFEjr1zCsicMWpAA&token_type=example&expires_in=3600&state=xyz",
			"https://client.example/cb#access_token=" + r("2YotnFZFEjr1zCsicMWpAA") + "&token_type=example&expires_in=3600&state=xyz"},
		// Left alone: the checks need these.
		{"WWW-Authenticate", `Basic realm="oauth"`, `Basic realm="oauth"`},
		{"Cache-Control", "no-store", "no-store"},
		{"Content-Type", "application/json", "application/json"},
	}
	for _, tt := range tests {
		if got := RedactHeader(tt.name, tt.value); got != tt.want {
			t.Errorf("RedactHeader(%q, %q)\n got %q\nwant %q", tt.name, tt.value, got, tt.want)
		}
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://as.example/token", "https://as.example/token"},
		{"https://as.example/token?client_id=c&client_secret=s3cr%2Bt", "https://as.example/token?client_id=c&client_secret=" + r("s3cr+t")},
		// Order, duplicates, empty values and other encodings survive.
		{"/authorize?state=a%20b&code=1&code=2&scope=&code=", "/authorize?state=a%20b&code=" + r("1") + "&code=" + r("2") + "&scope=&code="},
		{"https://c.example/cb?dummy1=lorem&dummy2=ipsum&code=c1&state=s#frag", "https://c.example/cb?dummy1=lorem&dummy2=ipsum&code=" + r("c1") + "&state=s#frag"},
		{"https://c.example/cb#id_token=a.b.c&refresh_token=rt&token=t", "https://c.example/cb#id_token=" + r("a.b.c") + "&refresh_token=" + r("rt") + "&token=" + r("t")},
		{"https://user:pa55@as.example/x?password=p", "https://user:" + r("pa55") + "@as.example/x?password=" + r("p")},
		{"https://user@as.example/x", "https://user@as.example/x"},
		// Parameter names compare case-insensitively, also when encoded.
		{"/x?Code=1&client%5Fsecret=2&codes=3&auth_code=4", "/x?Code=" + r("1") + "&client%5Fsecret=" + r("2") + "&codes=3&auth_code=4"},
		{"urn:ietf:wg:oauth:2.0:oob:auto", "urn:ietf:wg:oauth:2.0:oob:auto"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

func TestRedactBody(t *testing.T) {
	tests := []struct {
		name, contentType, in, want string
	}{
		{
			"form", "application/x-www-form-urlencoded; charset=UTF-8",
			"grant_type=password&username=alice&password=alice%2Bpw&client_secret=&grant_type=x",
			"grant_type=password&username=alice&password=" + r("alice+pw") + "&client_secret=&grant_type=x",
		},
		{
			"token response, bytes kept", "application/json",
			`{ "access_token" : "AT" ,"token_type":"Bearer","expires_in":3600.0, "refresh_token":` + "\n\t" + `"RT\"x"}`,
			`{ "access_token" : "` + r("AT") + `" ,"token_type":"Bearer","expires_in":3600.0, "refresh_token":` + "\n\t" + `"` + r(`RT"x`) + `"}`,
		},
		{
			"duplicates and nesting", "application/json",
			`{"token":"a","token":"b","nested":{"id_token":"c","list":[{"password":"d"},"code"]},"code":12345,"code_verifier":null,"assertion":""}`,
			`{"token":"` + r("a") + `","token":"` + r("b") + `","nested":{"id_token":"` + r("c") + `","list":[{"password":"` + r("d") + `"},"code"]},"code":"` + r("12345") + `","code_verifier":null,"assertion":""}`,
		},
		{
			"JSON sent with a wrong type is still JSON", "text/plain",
			`{"access_token":"AT"}`,
			`{"access_token":"` + r("AT") + `"}`,
		},
		{
			"member names are not values", "application/json",
			`{"error":"invalid_grant","error_description":"code is invalid","password_hint":"x"}`,
			`{"error":"invalid_grant","error_description":"code is invalid","password_hint":"x"}`,
		},
		{
			"truncated JSON falls back to patterns", "application/json",
			`{"access_token":"AT","refresh_token":"R\"T","tok`,
			`{"access_token":"` + r("AT") + `","refresh_token":"` + r(`R\"T`) + `","tok`,
		},
		{
			"HTML page showing a code", "text/html",
			`<html><head><title>Success code=Abc-123_x</title></head><a href="/cb?code=Q&amp;state=s">x</a></html>`,
			`<html><head><title>Success code=` + r("Abc-123_x") + `</title></head><a href="/cb?code=` + r("Q") + `&amp;state=s">x</a></html>`,
		},
		{
			"plain text untouched", "text/plain", "nothing secret here: codename=1", "nothing secret here: codename=1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RedactBody(tt.contentType, []byte(tt.in)); got != tt.want {
				t.Errorf("RedactBody\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestSensitiveParam(t *testing.T) {
	for _, n := range []string{"client_secret", "password", "access_token", "refresh_token", "code", "code_verifier",
		"assertion", "client_assertion", "token", "id_token", "CODE"} {
		if !SensitiveParam(n) {
			t.Errorf("%s should be sensitive", n)
		}
	}
	for _, n := range []string{"client_id", "state", "scope", "username", "grant_type", "token_type", "code_challenge", "redirect_uri"} {
		if SensitiveParam(n) {
			t.Errorf("%s should not be sensitive", n)
		}
	}
}
