package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xeipuuv/gojsonschema"

	"github.com/oauthconform/oauthconform/schemas"
)

// sample is a run with every verdict, and text that is hard to escape.
func sample() *Run {
	long := strings.Repeat("The token endpoint MUST do this and that, ", 10)
	return &Run{
		Tool: "oauthconform", Version: "test", Started: time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC), Duration: 1500 * time.Millisecond,
		Targets: []Target{{Name: "staging", Dialect: "rfc6749", Issuer: "https://as.example",
			Settings: []Setting{{"access_token.format", "jwt", "target"}, {"grant.password", "unknown", "unknown"}}, Notes: []string{"a note"}}},
		Checks: []Check{
			{Target: "staging", Group: "TOK-RESP", GroupTitle: "token response", ID: "TOK-RESP-001", Level: "MUST", Section: "RFC 6749 §5.1", Requirement: "A response MUST be JSON.", Verdict: Pass, Duration: time.Millisecond},
			{Target: "staging", Group: "TOK-RESP", GroupTitle: "token response", ID: "TOK-RESP-003", Level: "MUST", Section: "RFC 6749 §5.1", Requirement: long, Verdict: Fail,
				Reason: "Cache-Control is \"\" <not> no-store & ]]> \x00\x1b[31m", Evidence: "[evidence 1/1]\n--> POST https://as.example/token\n\n<-- 200 OK\n{\"a\":\"<b>\"}"},
			{Target: "staging", Group: "TOK-RESP", GroupTitle: "token response", ID: "TOK-RESP-004", Level: "SHOULD", Section: "RFC 6749 §5.1", Requirement: "Pragma SHOULD be no-cache.", Verdict: Warn,
				Reason: "no Pragma", Warnings: []string{"WARN TOK-RESP-004 (SHOULD, RFC 6749 §5.1): Pragma SHOULD be no-cache. — no Pragma\n\n[evidence 1/1]\n..."}, Saw: []string{"answered 400"}},
			{Target: "staging", Group: "TOK-ERR", GroupTitle: "errors", ID: "TOK-ERR-001", Level: "MUST", Section: "RFC 6749 §5.2", Requirement: "Errors MUST be JSON.", Verdict: Skip, Reason: "no second client"},
			{Target: "staging", Group: "TOK-ERR", GroupTitle: "errors", ID: "TOK-ERR-002", Level: "MUST", Section: "RFC 6749 §5.2", Requirement: "Errors MUST have error.", Verdict: NotRun, Reason: "the target stopped answering"},
			{Target: "staging", Group: "TOK-ERR", GroupTitle: "errors", ID: "TOK-ERR-003", Level: "MUST", Section: "RFC 6749 §5.2", Requirement: "Known failure.", Verdict: Fail, Reason: "known"},
		},
	}
}

func TestTotalsAndRows(t *testing.T) {
	r := sample()
	tt := r.Totals()
	if tt != (Totals{Pass: 1, Fail: 2, Warn: 1, Skip: 1, NotRun: 1}) || tt.Total() != 6 {
		t.Fatalf("totals %+v", tt)
	}
	rows := r.Rows()
	if len(rows) != 2 || rows[0].Group != "TOK-RESP" || rows[0].Pass != 1 || rows[0].Warn != 1 || rows[1].NotRun != 1 {
		t.Fatalf("rows %+v", rows)
	}
}

func TestPrintEachFailureOnce(t *testing.T) {
	var b bytes.Buffer
	sample().Print(&b, false)
	out := b.String()
	if n := strings.Count(out, "FAIL TOK-RESP-003"); n != 1 {
		t.Errorf("TOK-RESP-003 printed %d times:\n%s", n, out)
	}
	if !strings.Contains(out, "6 checks: 1 passed, 2 failed, 1 warned, 1 skipped, 1 not run") {
		t.Errorf("totals line:\n%s", out)
	}
	// PASSED excludes WARNED: the TOK-RESP row has 1 passed and 1 warned.
	if !strings.Contains(out, "TOK-RESP          1       1       1       0       0") {
		t.Errorf("table:\n%s", out)
	}
	b.Reset()
	sample().Print(&b, true)
	if !strings.Contains(b.String(), "staging · TOK-RESP token response\n  PASS    TOK-RESP-001") {
		t.Errorf("verbose listing per group:\n%s", b.String())
	}
}

func TestShorten(t *testing.T) {
	for _, tc := range []struct {
		s    string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"a requirement that is long", 15, "a requirement…"},
		{"ééééééééé", 5, "éé…"},
	} {
		if got := shorten(tc.s, tc.max); got != tc.want {
			t.Errorf("shorten(%q, %d) = %q, want %q", tc.s, tc.max, got, tc.want)
		}
	}
}

// junitDoc is what a CI system reads of the JUnit file.
type junitCounts struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Errors   int `xml:"errors,attr"`
	Skipped  int `xml:"skipped,attr"`
}

type junitDoc struct {
	junitCounts
	Suites []struct {
		Name string `xml:"name,attr"`
		junitCounts
		Cases []struct {
			Name      string `xml:"name,attr"`
			Classname string `xml:"classname,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Skipped *struct{} `xml:"skipped"`
			Error   *struct{} `xml:"error"`
			Out     string    `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func TestJUnit(t *testing.T) {
	var b bytes.Buffer
	if err := sample().WriteJUnit(&b); err != nil {
		t.Fatal(err)
	}
	var d junitDoc
	if err := xml.Unmarshal(b.Bytes(), &d); err != nil {
		t.Fatalf("not XML: %v\n%s", err, b.String())
	}
	// Counts equal the terminal's: tests = all, failures = FAILED, errors
	// = NOT RUN, skipped = SKIPPED.
	if d.Tests != 6 || d.Failures != 2 || d.Errors != 1 || d.Skipped != 1 {
		t.Errorf("counts %+v", d)
	}
	if len(d.Suites) != 2 || d.Suites[0].Name != "staging.TOK-RESP" || d.Suites[1].Name != "staging.TOK-ERR" {
		t.Fatalf("suites %+v", d.Suites)
	}
	c := d.Suites[0].Cases
	if c[0].Classname != "staging.TOK-RESP" || c[0].Name != "TOK-RESP-001: A response MUST be JSON." {
		t.Errorf("case 0: %+v", c[0])
	}
	if !strings.HasPrefix(c[1].Name, "TOK-RESP-003: ") || len(c[1].Name) > 130 || !strings.HasSuffix(c[1].Name, "…") {
		t.Errorf("long name not shortened: %q", c[1].Name)
	}
	if c[1].Failure == nil || !strings.Contains(c[1].Failure.Text, "--> POST https://as.example/token") {
		t.Errorf("failure evidence: %+v", c[1].Failure)
	}
	if c[2].Failure != nil || c[2].Skipped != nil || !strings.HasPrefix(c[2].Out, "WARN TOK-RESP-004") {
		t.Errorf("WARN case: %+v", c[2])
	}
	e := d.Suites[1].Cases
	if e[0].Skipped == nil || e[1].Error == nil {
		t.Errorf("skip / not-run cases: %+v", e)
	}
}

func TestJUnitBaseline(t *testing.T) {
	r := sample()
	r.Apply(&Baseline{File: "b.yaml", Entries: []BaselineEntry{{ID: "TOK-ERR-003", Reason: "OPS-1"}}})
	var b bytes.Buffer
	if err := r.WriteJUnit(&b); err != nil {
		t.Fatal(err)
	}
	var d junitDoc
	if err := xml.Unmarshal(b.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	if d.Failures != 1 || !strings.Contains(d.Suites[1].Cases[2].Out, "accepted by the baseline: OPS-1") {
		t.Errorf("baselined failure: %+v", d)
	}
}

// TestJUnitXSD validates the JUnit file against testdata/junit.xsd with
// libxml2 (interop/xsd, installed by `make test`, which sets
// OAUTHCONFORM_REQUIRE_XSD so the check cannot silently skip there).
func TestJUnitXSD(t *testing.T) {
	dir, _ := filepath.Abs(filepath.Join("..", "..", "interop", "xsd"))
	_, errNode := exec.LookPath("node")
	_, errMods := os.Stat(filepath.Join(dir, "node_modules", "xmllint-wasm"))
	if errNode != nil || errMods != nil {
		if os.Getenv("OAUTHCONFORM_REQUIRE_XSD") != "" {
			t.Fatalf("node or interop/xsd/node_modules missing (run make test, which installs it): %v %v", errNode, errMods)
		}
		t.Skip("node or interop/xsd/node_modules missing; `make test` installs it")
	}
	tmp := t.TempDir()
	var files []string
	for name, r := range map[string]*Run{"sample": sample(), "empty": {}} {
		var b bytes.Buffer
		if err := r.WriteJUnit(&b); err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(tmp, name+".xml")
		if err := os.WriteFile(f, b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	xsd, _ := filepath.Abs(filepath.Join("testdata", "junit.xsd"))
	cmd := exec.Command("node", append([]string{filepath.Join(dir, "validate.mjs"), xsd}, files...)...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("JUnit file invalid against the XSD: %v\n%s", err, out)
	}
	// The schema is strict enough to catch what CI systems reject.
	bad := filepath.Join(tmp, "bad.xml")
	_ = os.WriteFile(bad, []byte(`<testsuites><testsuite name="x" tests="1" failures="0" errors="0"><testcase name="a" classname="c" status="WARN"/></testsuite></testsuites>`), 0o600)
	cmd = exec.Command("node", filepath.Join(dir, "validate.mjs"), xsd, bad)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Fatalf("an attribute outside the format passed the XSD:\n%s", out)
	}
}

func TestJSONReportSchema(t *testing.T) {
	raw, err := schemas.Read("report.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	schema, err := gojsonschema.NewSchema(gojsonschema.NewBytesLoader(raw))
	if err != nil {
		t.Fatal(err)
	}
	r := sample()
	r.ExitCode = 1
	r.Apply(&Baseline{File: "b.yaml", Entries: []BaselineEntry{{ID: "TOK-RESP-001", Reason: "fixed since", Line: 3}}})
	for name, run := range map[string]*Run{"sample": r, "empty": {}} {
		var b bytes.Buffer
		if err := run.WriteJSON(&b); err != nil {
			t.Fatal(err)
		}
		res, err := schema.Validate(gojsonschema.NewBytesLoader(b.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		if !res.Valid() {
			t.Errorf("%s: invalid against report.schema.json: %v\n%s", name, res.Errors(), b.String())
		}
	}
	var b bytes.Buffer
	_ = r.WriteJSON(&b)
	var doc struct {
		Version  int
		ExitCode int `json:"exit_code"`
		Totals   map[string]int
		Checks   []struct{ ID, Verdict, Reason string }
		Baseline struct{ Stale []BaselineEntry }
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != 1 || doc.ExitCode != 1 || doc.Totals["fail"] != 2 || doc.Totals["total"] != 6 || len(doc.Checks) != 6 || doc.Checks[1].Verdict != "FAIL" {
		t.Errorf("document: %+v", doc)
	}
	if len(doc.Baseline.Stale) != 1 || doc.Baseline.Stale[0].ID != "TOK-RESP-001" {
		t.Errorf("stale entries: %+v", doc.Baseline.Stale)
	}
}

func TestBaseline(t *testing.T) {
	dir := t.TempDir()
	write := func(s string) string {
		f := filepath.Join(dir, "b.yaml")
		if err := os.WriteFile(f, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	known := func(id string) (bool, string) {
		switch id {
		case "TOK-RESP-003", "TOK-ERR-003", "TOK-RESP-001", "TOK-ERR-001":
			return true, ""
		}
		return false, "TOK-RESP-003"
	}
	for _, tc := range []struct{ name, file, err string }{
		{"unknown id", "accepted:\n  - id: TOK-RESP-03\n    reason: x\n", "b.yaml:2: TOK-RESP-03: no such check; did you mean TOK-RESP-003?"},
		{"no reason", "accepted:\n  - id: TOK-RESP-003\n", "b.yaml:2: TOK-RESP-003: a reason is required"},
		{"unknown key", "accepted:\n  - id: TOK-RESP-003\n    reasn: x\n", `b.yaml:3: unknown field "reasn"; did you mean "reason"?`},
		{"bad pattern", "accepted:\n  - id: TOK-RESP-003\n    target: \"[\"\n    reason: x\n", "target pattern"},
		{"top-level typo", "acepted: []\n", "field acepted not found"},
	} {
		_, err := LoadBaseline(write(tc.file), known)
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.err)
		}
	}
	if b, err := LoadBaseline(write(""), known); err != nil || len(b.Entries) != 0 {
		t.Errorf("empty file: %v %+v", err, b)
	}
	b, err := LoadBaseline(write(`accepted:
  - id: TOK-RESP-003
    target: stag*
    reason: OPS-1, fixed in 2.4
  - id: TOK-ERR-003
    target: other
    reason: another target only
  - id: TOK-RESP-001
    reason: passes now
  - id: TOK-ERR-001
    reason: skipped, so unknown
`), known)
	if err != nil {
		t.Fatal(err)
	}
	r := sample()
	r.Apply(b)
	byID := map[string]Check{}
	for _, c := range r.Checks {
		byID[c.ID] = c
	}
	if c := byID["TOK-RESP-003"]; c.Verdict != Warn || c.Baseline != "OPS-1, fixed in 2.4" {
		t.Errorf("accepted failure: %+v", c)
	}
	if c := byID["TOK-ERR-003"]; c.Verdict != Fail {
		t.Errorf("an entry for another target accepted %s", c.ID)
	}
	if len(r.Stale) != 1 || r.Stale[0].ID != "TOK-RESP-001" || r.Stale[0].Line != 8 {
		t.Errorf("stale: %+v", r.Stale)
	}
	if r.Failed() != 1 {
		t.Errorf("failed %d, want 1", r.Failed())
	}
}

func TestGitHubAnnotations(t *testing.T) {
	var b bytes.Buffer
	sample().WriteGitHubAnnotations(&b)
	out := b.String()
	for _, want := range []string{
		"::error title=TOK-RESP-003 [MUST] RFC 6749 §5.1 (staging)::",
		"::warning title=TOK-RESP-004 [SHOULD] RFC 6749 §5.1 (staging)::no Pragma\n",
		"::error title=1 checks not run (staging)::the target stopped answering\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	// One line per annotation: newlines and % are escaped.
	if n := strings.Count(out, "\n"); n != 4 {
		t.Errorf("%d lines, want 4:\n%s", n, out)
	}
	if got := ghEscapeProperty("a:b,c%\n"); got != "a%3Ab%2Cc%25%0A" {
		t.Errorf("property escape %q", got)
	}
	b.Reset()
	sample().WriteGitHubSummary(&b)
	if !strings.Contains(b.String(), "| staging | TOK-RESP | 1 | 1 | 1 | 0 | 0 |") {
		t.Errorf("summary:\n%s", b.String())
	}
}
