package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/types"
)

// TestRunLabelFilter: the user's expression runs with the intrusive checks
// off unless it names them; one that does not parse is a usage error in
// plain text that names the flag.
func TestRunLabelFilter(t *testing.T) {
	for _, tt := range []struct {
		expr, want string
	}{
		{"", "!intrusive"},
		{"  ", "!intrusive"},
		{"!slow", "(!slow) && !intrusive"},
		{"MUST && TOK-RESP", "(MUST && TOK-RESP) && !intrusive"},
		{"SHOULD || MAY", "(SHOULD || MAY) && !intrusive"},
		{"/^RFC7636/", "(/^RFC7636/) && !intrusive"},
		{"TOK-AUTH-013", "(TOK-AUTH-013) && !intrusive"},
		{"non-intrusive-ish", "(non-intrusive-ish) && !intrusive"},
		{"intrusive", "intrusive"},
		{"Intrusive", "Intrusive"},
		{"TOK-AUTH && intrusive", "TOK-AUTH && intrusive"},
		{"!intrusive && MUST", "!intrusive && MUST"},
		{"(MUST,intrusive)", "(MUST,intrusive)"},
		{"/intrusive|slow/", "/intrusive|slow/"},
	} {
		got, err := runLabelFilter(tt.expr)
		if err != nil || got != tt.want {
			t.Errorf("runLabelFilter(%q) = %q, %v; want %q", tt.expr, got, err, tt.want)
			continue
		}
		if _, err := types.ParseLabelFilter(got); err != nil {
			t.Errorf("runLabelFilter(%q) = %q, which does not parse: %v", tt.expr, got, err)
		}
	}
	for _, tt := range []struct {
		expr, want string
	}{
		{"MUST &&", `--label-filter: "MUST &&": Unexpected EOF`},
		{"MUST & TOK-RESP", `--label-filter: "MUST & TOK-RESP": Invalid token '&'. Did you mean '&&'? (at column 6)`},
		{"(MUST", `--label-filter: "(MUST": Mismatched '(' - could not find matching ')' (at column 1)`},
		{"MUST)", `--label-filter: "MUST)": Mismatched ')'`},
		{"/[/", `--label-filter: "/[/": RegExp compilation error`},
	} {
		_, err := runLabelFilter(tt.expr)
		ue, ok := err.(*usageError)
		if !ok || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("runLabelFilter(%q): err = %v, want a usage error starting %q", tt.expr, err, tt.want)
			continue
		}
		if msg := ue.Error(); strings.ContainsAny(msg, "\x1b\n") || strings.Contains(msg, "{{") {
			t.Errorf("runLabelFilter(%q): the message is not plain text: %q", tt.expr, msg)
		}
	}
}

// TestBadLabelFilterExitsTwo: a bad expression stops the command before
// anything runs, with exit 2, the flag named, and no Ginkgo colour codes.
func TestBadLabelFilterExitsTwo(t *testing.T) {
	for _, args := range [][]string{
		{"test", "--label-filter", "MUST &&"},
		{"test", "--profile", "rfc6749", "--label-filter", "MUST & TOK-RESP"},
		{"test", "--issuer", "http://127.0.0.1:1", "--client-id", "c", "--label-filter", "(MUST"},
	} {
		code, out, stderr := runCmd(t, args...)
		if code != exitUsage {
			t.Errorf("%q: exit %d, want %d\n%s%s", args, code, exitUsage, out, stderr)
		}
		if !strings.Contains(stderr, "oauthconform: --label-filter: ") || strings.Contains(stderr+out, "\x1b[") ||
			strings.Contains(stderr, "cannot connect") {
			t.Errorf("%q: stderr %q", args, stderr)
		}
	}
}

// TestLabelFilterKeepsIntrusiveOff: a user's expression selects among the
// checks that run by default; the lockout checks run only when it names
// them. The suites run once per process, so each run is a child process.
func TestLabelFilterKeepsIntrusiveOff(t *testing.T) {
	for _, tt := range []struct {
		filter   string
		want     []string
		wantNone []string
	}{
		{"TOK-AUTH && !slow", []string{"TOK-AUTH-001 "}, []string{"TOK-AUTH-013"}},
		{"TOK-AUTH && intrusive", []string{"TOK-AUTH-013 "}, []string{"TOK-AUTH-001"}},
	} {
		cmd, out, errb := childCmd(t, "test", "--profile", "rfc6749", "--label-filter", tt.filter, "-v", "--no-color")
		if code := exitCode(t, cmd.Run()); code != exitOK {
			t.Fatalf("%q: exit %d\n%s\n%s", tt.filter, code, out, errb)
		}
		for _, w := range tt.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%q: %s did not run\n%s", tt.filter, w, out)
			}
		}
		for _, w := range tt.wantNone {
			if strings.Contains(out.String(), w) {
				t.Errorf("%q: %s ran", tt.filter, w)
			}
		}
	}
}

// TestStrictOnTheMocks: every built-in dialect's mock, checked with its own
// default settings, passes --strict: no WARN on a correct server (a seed
// dialect's declared departures from an RFC's SHOULD are SAW notes).
func TestStrictOnTheMocks(t *testing.T) {
	cmd, out, errb := childCmd(t, "test", "--strict", "--no-color")
	if code := exitCode(t, cmd.Run()); code != exitOK {
		t.Fatalf("exit %d, want 0\n%s\n%s", code, out, errb)
	}
	o := out.String()
	m := regexp.MustCompile(`(?m)^TOTAL\s+\d+\s+(\d+)\s+(\d+)\s`).FindStringSubmatch(o)
	if m == nil || m[1] != "0" || m[2] != "0" || regexp.MustCompile(`(?m)^\s*WARN `).MatchString(o) {
		t.Errorf("a FAIL or WARN on a default mock:\n%s", o)
	}
}
