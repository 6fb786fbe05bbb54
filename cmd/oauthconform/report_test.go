package main

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/xeipuuv/gojsonschema"

	"github.com/oauthconform/oauthconform/schemas"
)

// TestReportFiles runs the command with a quirk that fails TOK-RESP-004,
// once plain and once with a baseline accepting it, and reads the JUnit and
// JSON files as CI would: the counts agree with the terminal's, the JSON
// document is valid against its schema, the baseline turns the failure
// into a WARN (exit 0) and reports its stale entry.
func TestReportFiles(t *testing.T) {
	dir := t.TempDir()
	junit, js := filepath.Join(dir, "junit.xml"), filepath.Join(dir, "report.json")
	cmd, out, errb := childCmd(t, "test", "--profile", "rfc6749", "--quirk", "no-pragma", "--label-filter", "TOK-RESP",
		"--junit-report", junit, "--json-report", js, "--github-annotations")
	code := exitCode(t, cmd.Run())
	if code != exitRuntime {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, exitRuntime, out, errb)
	}
	console := out.String()
	if n := strings.Count(console, "FAIL TOK-RESP-004 [MUST]"); n != 1 {
		t.Errorf("the failure is printed %d times, want once:\n%s", n, console)
	}
	if !strings.Contains(console, "::error title=TOK-RESP-004 [MUST] RFC 6749 §5.1 (rfc6749+no-pragma)::") {
		t.Errorf("no GitHub annotation:\n%s", console)
	}
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Skipped  int `xml:"skipped,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Name      string    `xml:"name,attr"`
				Classname string    `xml:"classname,attr"`
				Failure   *struct{} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	raw, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var rep struct {
		ExitCode int            `json:"exit_code"`
		Totals   map[string]int `json:"totals"`
		Targets  []struct {
			Settings []struct{ Name, Value, Source string } `json:"settings"`
		} `json:"targets"`
		Checks []struct{ ID, Verdict string } `json:"checks"`
	}
	rawJSON, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(rawJSON, &rep); err != nil {
		t.Fatal(err)
	}
	if doc.Tests != rep.Totals["total"] || doc.Failures != rep.Totals["fail"] || doc.Failures != 1 || doc.Skipped != rep.Totals["skip"] || rep.ExitCode != 1 {
		t.Errorf("JUnit %d tests/%d failures/%d skipped; JSON totals %v exit %d", doc.Tests, doc.Failures, doc.Skipped, rep.Totals, rep.ExitCode)
	}
	for _, s := range doc.Suites {
		if s.Name != "rfc6749+no-pragma.TOK-RESP" {
			t.Errorf("suite %q", s.Name)
		}
		for _, c := range s.Cases {
			if c.Classname != s.Name || !strings.HasPrefix(c.Name, "TOK-RESP-") {
				t.Errorf("case %q in class %q", c.Name, c.Classname)
			}
		}
	}
	if len(rep.Targets) != 1 || len(rep.Targets[0].Settings) == 0 {
		t.Errorf("no target settings in the JSON report: %+v", rep.Targets)
	}
	schemaRaw, _ := schemas.Read("report.schema.json")
	schema, err := gojsonschema.NewSchema(gojsonschema.NewBytesLoader(schemaRaw))
	if err != nil {
		t.Fatal(err)
	}
	res, err := schema.Validate(gojsonschema.NewBytesLoader(rawJSON))
	if err != nil || !res.Valid() {
		t.Errorf("the JSON report is not valid against its schema: %v %v", err, res.Errors())
	}

	base := filepath.Join(dir, "baseline.yaml")
	_ = os.WriteFile(base, []byte("accepted:\n  - id: TOK-RESP-004\n    reason: OPS-7, Pragma comes with 2.4\n  - id: TOK-RESP-001\n    reason: fixed long ago\n"), 0o600)
	cmd, out, errb = childCmd(t, "test", "--profile", "rfc6749", "--quirk", "no-pragma", "--label-filter", "TOK-RESP", "--baseline", base)
	if code := exitCode(t, cmd.Run()); code != exitOK {
		t.Fatalf("with the baseline: exit %d, want 0\n%s\n%s", code, out, errb)
	}
	for _, want := range []string{"WARN TOK-RESP-004 [MUST] RFC 6749 §5.1 (rfc6749+no-pragma): failed, accepted by the baseline: OPS-7", "STALE baseline entry TOK-RESP-001", "0 failed, 1 warned"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("with the baseline, the report lacks %q:\n%s", want, out)
		}
	}
}

// TestDryRun: --dry-run lists the checks that would run and the skip
// reasons known before any request, and runs none.
func TestDryRun(t *testing.T) {
	cmd, out, errb := childCmd(t, "test", "--profile", "oob-pkce", "--dry-run", "--label-filter", "TOK-AUTH || TOK-GEN")
	if code := exitCode(t, cmd.Run()); code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errb)
	}
	s := out.String()
	for _, want := range []string{"RUN  TOK-GEN-003 [MUST]", "SKIP TOK-AUTH-001 [MUST]", "the oob-pkce dialect has no client authentication method client_secret_basic", "dry run: "} {
		if !strings.Contains(s, want) {
			t.Errorf("dry run lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "PASS") || strings.Contains(s, "FAIL") {
		t.Errorf("a dry run gave verdicts:\n%s", s)
	}
}

func TestBadBaseline(t *testing.T) {
	base := filepath.Join(t.TempDir(), "b.yaml")
	_ = os.WriteFile(base, []byte("accepted:\n  - id: TOK-RESP-04\n    reason: x\n"), 0o600)
	code, _, stderr := runCmd(t, "test", "--baseline", base)
	if code != exitUsage || !strings.Contains(stderr, "b.yaml:2: TOK-RESP-04: no such check; did you mean TOK-RESP-004?") {
		t.Errorf("exit %d: %s", code, stderr)
	}
}

// TestDryRunSendsNothing: against a real server, a dry run sends only the
// preflight's requests (the metadata lookup and a credentials probe); a
// real run of the same checks sends many more.
func TestDryRunSendsNothing(t *testing.T) {
	count := func(args ...string) int32 {
		srv, _ := flakyTarget(t, 1<<30)
		var n atomic.Int32
		counted := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n.Add(1)
			srv.Config.Handler.ServeHTTP(w, r)
		}))
		t.Cleanup(counted.Close)
		cmd, out, errb := childCmd(t, append([]string{"test", "--target", writeTarget(t, counted.URL, "2s"), "--label-filter", "TOK-GEN || TOK-ERR"}, args...)...)
		_ = cmd.Run()
		t.Logf("%v: %d requests\n%s%s", args, n.Load(), tail(out.String(), 400), tail(errb.String(), 400))
		return n.Load()
	}
	dry, real := count("--dry-run"), count()
	if dry > 12 || real <= 2*dry {
		t.Errorf("a dry run sent %d requests, a real run %d", dry, real)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
