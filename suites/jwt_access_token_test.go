package suites

import "testing"

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
