package suggest

import "testing"

func TestNearest(t *testing.T) {
	known := []string{"secret", "client_id", "primary", "TOK-RESP-003", "TOK-RESP-004", "id"}
	for _, tc := range []struct{ word, want string }{
		{"secert", "secret"},       // transposition
		{"primray", "primary"},     // transposition
		{"client-id", "client_id"}, // substitution
		{"TOK-RESP-03", "TOK-RESP-003"},
		{"ID", "id"}, // case is not an edit
		{"ab", ""},   // two edits in two letters: not a typo
		{"xyz", ""},  // nothing near
		{"secret", "secret"},
	} {
		if got := Nearest(tc.word, known); got != tc.want {
			t.Errorf("Nearest(%q) = %q, want %q", tc.word, got, tc.want)
		}
	}
}

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"a", "", 1}, {"ab", "ba", 1}, {"kitten", "sitting", 3}, {"é", "e", 1}, {"secert", "secret", 1}, {"primray", "primary", 1}, {"scope", "scopes", 1}, {"ca", "abc", 3}} {
		if got := Distance(tc.a, tc.b); got != tc.d {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.d)
		}
	}
}
