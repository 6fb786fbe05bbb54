package steps

import "testing"

func TestChallengeError(t *testing.T) {
	for ch, want := range map[string]string{
		`Bearer realm="x"`: "",
		`Bearer realm="x", error="invalid_token", error_description="e"`: "invalid_token",
		`Bearer error=insufficient_scope`:                                "insufficient_scope",
		`Bearer error_description="error=bad", realm="x"`:                "",
	} {
		if got := ChallengeError(ch); got != want {
			t.Errorf("%s: %q, want %q", ch, got, want)
		}
	}
	if ch, ok := BearerChallenge([]string{`Basic realm="a"`, `bearer realm="b"`}); !ok || ch != `bearer realm="b"` {
		t.Errorf("bearerChallenge: %q %v", ch, ok)
	}
}
