package target

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/oauthconform/oauthconform/fixtures"
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

// TestServeCommandsMatchExampleTargets: wherever the README or
// docs/TARGETS.md starts a mock (`serve --profile NAME --addr HOST:PORT`,
// or a bare `oauthconform serve`, rfc6749 on the default 127.0.0.1:8080),
// fixtures/targets/NAME.yaml names that address as its issuer, and the
// commands after it in the same shell block talk to that port; a line that
// pairs a target file with a serve command names the same dialect. So a
// newcomer who copies the commands checks the mock they started.
func TestServeCommandsMatchExampleTargets(t *testing.T) {
	clearEnv(t)
	serveRE := regexp.MustCompile(`serve --profile ([a-z0-9-]+) --addr ([0-9.]+:[0-9]+)`)
	bareRE := regexp.MustCompile(`#\s*rfc6749: oauthconform serve\s*$`)
	targetRE := regexp.MustCompile(`fixtures/targets/([a-z0-9-]+)\.yaml`)
	urlRE := regexp.MustCompile(`https?://127\.0\.0\.1:([0-9]+)`)
	issuers := map[string]string{}
	issuer := func(name string) string {
		if v, ok := issuers[name]; ok {
			return v
		}
		tg, err := Load(filepath.Join("../../fixtures/targets", name+".yaml"))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		issuers[name] = tg.Issuer
		return tg.Issuer
	}
	seen := map[string]bool{}
	for _, doc := range []string{"../../README.md", "../../docs/TARGETS.md"} {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		inBlock, port, started := false, "", ""
		for i, line := range strings.Split(string(b), "\n") {
			where := fmt.Sprintf("%s:%d", filepath.Base(doc), i+1)
			if strings.HasPrefix(line, "```") {
				inBlock, port, started = !inBlock, "", ""
				continue
			}
			name, addr := "", ""
			if m := serveRE.FindStringSubmatch(line); m != nil {
				name, addr = m[1], m[2]
			} else if inBlock && bareRE.MatchString(line) {
				name, addr = "rfc6749", "127.0.0.1:8080"
			}
			if name != "" {
				seen[name] = true
				if got, want := issuer(name), "http://"+addr; got != want {
					t.Errorf("%s: serves %s on %s, but fixtures/targets/%s.yaml has issuer %s", where, name, addr, name, got)
				}
				if m := targetRE.FindStringSubmatch(line); m != nil && m[1] != name {
					t.Errorf("%s: checks fixtures/targets/%s.yaml against a %s mock", where, m[1], name)
				}
				if inBlock {
					_, port, _ = strings.Cut(addr, ":")
					started = name
				}
				continue
			}
			if !inBlock || port == "" || strings.HasPrefix(strings.TrimSpace(line), "#") && !strings.Contains(line, "http") {
				continue
			}
			for _, m := range urlRE.FindAllStringSubmatch(line, -1) {
				if m[1] != port {
					t.Errorf("%s: talks to port %s after starting %s on port %s", where, m[1], started, port)
				}
			}
		}
	}
	for _, n := range []string{"rfc6749", "oauth20-intents", "merchant-customer", "oob-pkce"} {
		if !seen[n] {
			t.Errorf("no serve command for %s in the README or docs/TARGETS.md", n)
		}
	}
}

// TestDocsNameOnlyFilesInTheRepository: the README and docs/ refer to the
// repository's own files (a path under one of its directories exists; a
// placeholder such as NAME or <dialect> is left alone), and to no document
// that is not here (the seeds, shared/).
func TestDocsNameOnlyFilesInTheRepository(t *testing.T) {
	docs, _ := filepath.Glob("../../docs/*.md")
	docs = append(docs, "../../README.md")
	pathRE := regexp.MustCompile(`(?:^|[\s(\x60\[])((?:cmd|docs|fixtures|mockserver|profile|schemas|suites|interop|examples|shared)/[A-Za-z0-9_./<>*{}-]*[A-Za-z0-9_/>}*])`)
	gone := regexp.MustCompile(`(?i)\bseed 0\d\d\b|shared/|assertions\.md|catalogue §`)
	placeholder := regexp.MustCompile(`[<>*{}]|NAME`)
	for _, doc := range docs {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			where := fmt.Sprintf("%s:%d", filepath.Base(doc), i+1)
			if m := gone.FindString(line); m != "" {
				t.Errorf("%s: refers to %q, which is not in the repository", where, m)
			}
			for _, m := range pathRE.FindAllStringSubmatch(line, -1) {
				p := strings.TrimSuffix(m[1], ".")
				if placeholder.MatchString(p) {
					continue
				}
				if _, err := os.Stat(filepath.Join("../..", p)); err != nil {
					t.Errorf("%s: names %s, which is not in the repository", where, p)
				}
			}
		}
	}
}

// TestReadmeFixturesTable: the README's table of default fixtures lists
// every client of fixtures/default.yaml with its secret and role.
func TestReadmeFixturesTable(t *testing.T) {
	var f struct {
		Clients []struct {
			ID     string `yaml:"id"`
			Secret string `yaml:"secret"`
			Role   string `yaml:"role"`
		} `yaml:"clients"`
	}
	b, err := fixtures.FS.ReadFile("default.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string][]string{}
	for _, line := range strings.Split(string(readme), "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.Trim(strings.TrimSpace(cells[i]), "`")
		}
		if len(cells) >= 3 {
			rows[cells[0]] = cells
		}
	}
	if len(f.Clients) == 0 {
		t.Fatal("no clients in fixtures/default.yaml")
	}
	for _, c := range f.Clients {
		row, ok := rows[c.ID]
		if !ok {
			t.Errorf("the README's fixtures table lacks client %q", c.ID)
			continue
		}
		secret := c.Secret
		if secret == "" {
			secret = "(none: public)"
		}
		if row[1] != secret || row[2] != c.Role {
			t.Errorf("README row of %q: secret %q role %q; fixtures/default.yaml: %q %q", c.ID, row[1], row[2], secret, c.Role)
		}
	}
}
