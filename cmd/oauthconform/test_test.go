package main

import (
	"strings"
	"testing"
)

func TestTestCommandUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"test", "--target", "a.yaml", "--issuer", "https://x"},
		{"test", "--issuer", "https://x"},
		{"test", "--issuer", "https://x", "--client-id", "c", "--quirk", "no-pragma"},
		{"test", "--client-id", "c"},
		{"test", "--profile", "no-such-profile"},
		{"test", "--quirk", "no-such-quirk"},
		{"test", "--target", "/nonexistent/target.yaml"},
		{"test", "--issuer", "https://x", "--client-id", "c", "--profile", "rfc6749,oob-pkce"},
	} {
		code, _, stderr := runCmd(t, args...)
		if code != exitUsage {
			t.Errorf("%q: exit %d, want %d (%s)", args, code, exitUsage, stderr)
		}
	}
}

func TestListCommand(t *testing.T) {
	code, out, _ := runCmd(t, "list")
	if code != exitOK || !strings.Contains(out, "TOK-RESP-003") || !strings.Contains(out, "AUTHZ-RURI-011") {
		t.Fatalf("list: exit %d\n%s", code, out)
	}
	code, out, _ = runCmd(t, "list", "--markdown")
	if code != exitOK || !strings.HasPrefix(out, "# Conformance catalogue") {
		t.Fatalf("list --markdown: exit %d\n%.200s", code, out)
	}
}

// TestTestCommandRuns runs the suites once (Ginkgo allows one run per
// process): a quirk on the embedded mock fails its check with exit 1 and a
// report naming the assertion, its RFC section and the evidence.
func TestTestCommandRuns(t *testing.T) {
	code, out, _ := runCmd(t, "test", "--profile", "rfc6749", "--quirk", "no-pragma", "--label-filter", "TOK-RESP")
	if code != exitRuntime {
		t.Fatalf("exit %d, want %d\n%s", code, exitRuntime, out)
	}
	for _, want := range []string{"FAIL TOK-RESP-004 [MUST]", "RFC 6749 §5.1", "--> POST", "1 failed"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q\n%s", want, out)
		}
	}
	if strings.Contains(out, "conf-secret") {
		t.Error("the report shows a client secret")
	}
}
