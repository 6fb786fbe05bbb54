package target

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestTargetsDocExamples keeps the complete targets of docs/TARGETS.md (the
// YAML blocks that name an issuer) valid: each must load, with its
// variables set and the files it names present.
func TestTargetsDocExamples(t *testing.T) {
	b, err := os.ReadFile("../../docs/TARGETS.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(b), -1)
	vars := regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)`)
	files := regexp.MustCompile(`(?m)^\s*ca_file:\s*(\S+)`)
	n := 0
	for _, m := range blocks {
		doc := m[1]
		if !strings.Contains(doc, "\nissuer:") && !strings.HasPrefix(doc, "issuer:") {
			continue
		}
		n++
		dir := t.TempDir()
		for _, v := range vars.FindAllStringSubmatch(doc, -1) {
			t.Setenv(v[1], "value-of-"+v[1])
		}
		for _, f := range files.FindAllStringSubmatch(doc, -1) {
			if err := os.WriteFile(filepath.Join(dir, f[1]), []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		tg, err := Parse([]byte(doc), dir)
		if err != nil {
			t.Errorf("docs/TARGETS.md example %d: %v\n%s", n, err, doc)
			continue
		}
		if len(tg.Warnings) > 0 {
			t.Errorf("docs/TARGETS.md example %d: warnings %q", n, tg.Warnings)
		}
	}
	if n < 3 {
		t.Errorf("found %d complete targets in docs/TARGETS.md, want the minimal one and two worked examples", n)
	}
}
