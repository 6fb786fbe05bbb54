package harness

import "testing"

// TestS256 checks the challenge of RFC 7636 Appendix B and the shape of
// fresh verifiers (43 characters of the unreserved set, never repeated).
func TestS256(t *testing.T) {
	if got := S256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"); got != "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM" {
		t.Fatalf("S256 = %q", got)
	}
	a, b := NewVerifier(), NewVerifier()
	if len(a) != 43 || a == b {
		t.Fatalf("verifiers %q %q", a, b)
	}
	for _, r := range a + RandomString(64) {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			t.Fatalf("%q is not base64url", r)
		}
	}
}
