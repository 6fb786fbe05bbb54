package harness

import (
	"strings"
	"testing"
)

// A sensitive member whose value is an array or object is redacted all the
// way down (a hostile target could otherwise smuggle a token past).
func TestRedactNestedSensitiveValues(t *testing.T) {
	body := []byte(`{"access_token":["tok-A1", {"x":"tok-B2"}, 7], "refresh_token":{"v":"tok-C3"}, "ok":["keep-me"]}`)
	out := RedactBody("application/json", body)
	for _, secret := range []string{"tok-A1", "tok-B2", "tok-C3"} {
		if strings.Contains(out, secret) {
			t.Errorf("%s not redacted: %s", secret, out)
		}
	}
	if !strings.Contains(out, "keep-me") {
		t.Errorf("a non-sensitive value was redacted: %s", out)
	}
}
