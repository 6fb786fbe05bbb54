package suites

import (
	"slices"
	"testing"
)

func TestMetadataURLs(t *testing.T) {
	for issuer, want := range map[string][]string{
		"https://as.example":          {"https://as.example/.well-known/oauth-authorization-server", "https://as.example/.well-known/openid-configuration"},
		"https://as.example/":         {"https://as.example/.well-known/oauth-authorization-server", "https://as.example/.well-known/openid-configuration"},
		"https://as.example/tenant/1": {"https://as.example/.well-known/oauth-authorization-server/tenant/1", "https://as.example/tenant/1/.well-known/openid-configuration"},
	} {
		if got := metadataURLs(issuer); !slices.Equal(got, want) {
			t.Errorf("%s: %q, want %q", issuer, got, want)
		}
	}
}

func TestChallengeError(t *testing.T) {
	for ch, want := range map[string]string{
		`Bearer realm="x"`: "",
		`Bearer realm="x", error="invalid_token", error_description="e"`: "invalid_token",
		`Bearer error=insufficient_scope`:                                "insufficient_scope",
		`Bearer error_description="error=bad", realm="x"`:                "",
	} {
		if got := challengeError(ch); got != want {
			t.Errorf("%s: %q, want %q", ch, got, want)
		}
	}
	if ch, ok := bearerChallenge([]string{`Basic realm="a"`, `bearer realm="b"`}); !ok || ch != `bearer realm="b"` {
		t.Errorf("bearerChallenge: %q %v", ch, ok)
	}
}

func TestParseCompactJWS(t *testing.T) {
	h, c, err := parseCompactJWS("eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.")
	if err != nil || h["alg"] != "none" || c["sub"] != "a" {
		t.Fatalf("%v %v %v", h, c, err)
	}
	for _, bad := range []string{"tok-1", "a.b", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.x\u00e9", "eyJhbGciOiJub25lIn0.bm90anNvbg."} {
		if _, _, err := parseCompactJWS(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
