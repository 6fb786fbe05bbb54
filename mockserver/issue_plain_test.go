package mockserver

import (
	"testing"
)

// TestTokensPlain: the tokens the response writes unescaped are those that
// JSON escaping would leave as they are.
func TestTokensPlain(t *testing.T) {
	for _, prof := range []string{"rfc6749", "merchant-customer", "oauth20-intents"} {
		set, d := MustLoadSettings(prof)
		p, err := New(Config{Dialect: d, Settings: set, Issuer: "http://127.0.0.1:8080"})
		if err != nil {
			t.Fatal(err)
		}
		for range 50 {
			m, err := p.tokens.mint(accessClaims{clientID: "c", subject: "s\u00e9\"<x>", scope: "a b", jti: randomToken()})
			if err != nil {
				t.Fatal(err)
			}
			plain := &issued{tokensPlain: m.asMade()}
			if !plain.tokensPlain {
				t.Fatalf("%s: a minted token is not plain", prof)
			}
			for _, tok := range []string{m.token, randomToken()} {
				if got, want := string(plain.appendToken(nil, tok)), string(appendJSONString(nil, tok)); got != want {
					t.Fatalf("%s: %s unescaped, want %s", prof, got, want)
				}
			}
		}
		p.Close()
	}
}
