package target

import (
	"strings"
	"testing"
)

func TestMetadataField(t *testing.T) {
	const base = "profile: rfc6749\nissuer: https://as.example\nclients: {primary: {id: c, secret: s}}\n"
	for _, tt := range []struct {
		line string
		want *bool
		err  string
	}{
		{"", nil, ""},
		{"metadata: true\n", new(true), ""},
		{"metadata: false\n", new(false), ""},
		{"metadata: ${OAUTHCONFORM_TEST_META:-false}\n", new(false), ""},
		{"metadata: maybe\n", nil, "metadata"},
	} {
		tg, err := Parse([]byte(base+tt.line), ".")
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: error %v, want one naming %s", tt.line, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%q: %v", tt.line, err)
		}
		if (tg.Metadata == nil) != (tt.want == nil) || tg.Metadata != nil && *tg.Metadata != *tt.want {
			t.Errorf("%q: Metadata %v, want %v", tt.line, tg.Metadata, tt.want)
		}
	}
}
