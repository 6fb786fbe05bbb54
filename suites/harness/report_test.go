package harness_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites"
	"github.com/oauthconform/oauthconform/suites/harness"
	"github.com/oauthconform/oauthconform/suites/target"
)

const reportChildEnv = "OAUTHCONFORM_REPORT_CHILD"

// The configuration of the echoing target: every value a secret.
const (
	echoID       = "echo-client"
	echoSecret   = "echo+S3cr3t/with:reserved&chars=%~"
	echoID2      = "echo second+2"
	echoSecret2  = "second<secret>&'quoted'"
	echoPassword = "echo-user-pa55word!"
	echoAPIKey   = "echo-api-key-0123456789"
	echoHeader   = "echo-tenant-header-secret"
)

// TestReportsChild runs the suites against an echoing target and writes
// the reports into the directory named by OAUTHCONFORM_REPORT_CHILD.
func TestReportsChild(t *testing.T) {
	dir := os.Getenv(reportChildEnv)
	if dir == "" {
		t.Skip("runs only as a child of TestReportsLeakNothing")
	}
	et := harness.NewEchoTarget(t)
	tg, err := target.FromFlags(et.URL, echoID, echoSecret, "rfc6749")
	if err != nil {
		t.Fatal(err)
	}
	tg.Clients[profile.RoleSecond] = &target.Client{ID: echoID2, Secret: echoSecret2}
	tg.User = &target.User{Username: "alice", Password: echoPassword}
	tg.APIKey = echoAPIKey
	tg.Headers = map[string]profile.Secret{"X-Tenant": echoHeader}
	e, err := suites.NewEnv(context.Background(), tg, suites.EnvOptions{Name: "echo", NoPreflight: true})
	if err != nil {
		t.Fatal(err)
	}
	res, err := suites.Run(suites.RunConfig{Envs: []*suites.Env{e}, NoColor: true, Verbose: true,
		LabelFilter: "!intrusive && !slow", GinkgoJSONReport: filepath.Join(dir, "ginkgo.json")})
	if err != nil {
		t.Fatal(err)
	}
	res.Run.Print(os.Stdout, true)
	res.Run.WriteGitHubAnnotations(os.Stdout)
	for name, write := range map[string]func(io.Writer) error{"junit.xml": res.Run.WriteJUnit, "report.json": res.Run.WriteJSON} {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := write(f); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	b, _ := json.Marshal(map[string]any{"failed": res.Run.Failed(), "issued": et.Issued()})
	if err := os.WriteFile(filepath.Join(dir, "child.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestReportsLeakNothing: the console, JSON and JUnit reports of a run
// against a target that echoes everything show no secret of the
// configuration and no token or code, in any spelling.
func TestReportsLeakNothing(t *testing.T) {
	if os.Getenv(reportChildEnv) != "" {
		t.Skip("child")
	}
	if testing.Short() {
		t.Skip("runs the suites")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestReportsChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), reportChildEnv+"="+dir)
	console, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, console)
	}
	var child struct {
		Failed int
		Issued []string
	}
	if b, err := os.ReadFile(filepath.Join(dir, "child.json")); err != nil || json.Unmarshal(b, &child) != nil {
		t.Fatalf("child result: %v\n%s", err, console)
	}
	if child.Failed == 0 || len(child.Issued) == 0 {
		t.Fatalf("the run against the echoing target failed nothing (%d) or got no token (%d): it proves nothing", child.Failed, len(child.Issued))
	}

	t.Logf("%d checks failed, %d tokens and codes issued", child.Failed, len(child.Issued))
	var leaks []string
	for _, v := range []string{echoSecret, echoSecret2, echoPassword, echoAPIKey, echoHeader} {
		leaks = append(leaks, harness.LeakForms(v)...)
	}
	leaks = append(leaks, harness.BasicForms(echoID, echoSecret)...)
	leaks = append(leaks, harness.BasicForms(echoID2, echoSecret2)...)
	leaks = append(leaks, child.Issued...)
	reports := map[string]string{"console": string(console)}
	for _, f := range []string{"junit.xml", "report.json", "ginkgo.json"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		reports[f] = string(b)
	}
	for name, content := range reports {
		if !strings.Contains(content, "[REDACTED#") {
			t.Errorf("%s: nothing redacted, so no evidence was checked", name)
		}
		for _, leak := range leaks {
			// As the report's own format escapes it, too.
			var x strings.Builder
			_ = xml.EscapeText(&x, []byte(leak))
			j, _ := json.Marshal(leak)
			for _, form := range []string{leak, x.String(), strings.Trim(string(j), `"`)} {
				if n := strings.Count(content, form); n > 0 {
					t.Errorf("%s shows %q %d times", name, form, n)
					break
				}
			}
		}
	}
}
