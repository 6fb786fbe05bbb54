package harness

import (
	"errors"
	"strings"
	"sync"
	"testing"
)

var a003 = Assertion{ID: "TOK-RESP-003", Level: LevelMust, Section: "RFC 6749 §5.1", Requirement: "Cache-Control: no-store on token responses"}

func TestRecorderVerdicts(t *testing.T) {
	tests := []struct {
		verdict Verdict
		strict  bool
		fails   bool
	}{
		{VerdictPass, false, false},
		{VerdictPass, true, false},
		{VerdictFail, false, true},
		{VerdictWarn, false, false},
		{VerdictWarn, true, true},
		{VerdictInfo, true, false},
		{VerdictSkip, true, false},
	}
	for _, tt := range tests {
		var seen []Check
		rec := &Recorder{Strict: tt.strict, OnRecord: func(c Check) { seen = append(seen, c) }}
		err := rec.Record(a003, tt.verdict, "msg")
		if (err != nil) != tt.fails {
			t.Errorf("%s strict=%v: err = %v, want fail=%v", tt.verdict, tt.strict, err, tt.fails)
		}
		var ce *CheckError
		if err != nil && (!errors.As(err, &ce) || ce.Check.Verdict != tt.verdict) {
			t.Errorf("error is not a *CheckError for the check: %v", err)
		}
		if len(seen) != 1 || seen[0].Verdict != tt.verdict || seen[0].ID != "TOK-RESP-003" {
			t.Errorf("OnRecord saw %v", seen)
		}
	}
}

func TestRecorderHelpers(t *testing.T) {
	rec := &Recorder{}
	x := &Exchange{Method: "POST", URL: "https://as.example/token?client_secret=s", Status: 200,
		RequestHeader: map[string][]string{"Authorization": {BasicAuthHeader("c", "secret")}}}
	rec.Pass(a003, "ok", x)
	if err := rec.Warn(a003, "no-store missing on an error", x); err != nil {
		t.Error(err)
	}
	rec.Info(a003, "invalid_client answered with 401")
	rec.Skip(a003, "no token endpoint")
	err := rec.Fail(a003, "Cache-Control absent", x)
	if err == nil {
		t.Fatal("Fail returned nil")
	}
	msg := err.Error()
	for _, want := range []string{"FAIL TOK-RESP-003 (MUST, RFC 6749 §5.1): Cache-Control: no-store on token responses — Cache-Control absent",
		"[evidence 1/1]", "--> POST https://as.example/token?client_secret=[REDACTED#"} {
		if !strings.Contains(msg, want) {
			t.Errorf("report lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "=s\n") || strings.Contains(msg, "secret") && !strings.Contains(msg, "client_secret") {
		t.Errorf("report leaks:\n%s", msg)
	}
	counts := rec.Counts()
	if counts[VerdictPass] != 1 || counts[VerdictWarn] != 1 || counts[VerdictInfo] != 1 || counts[VerdictSkip] != 1 || counts[VerdictFail] != 1 {
		t.Errorf("counts = %v", counts)
	}
	checks := rec.Checks()
	if len(checks) != 5 || checks[2].Message != "invalid_client answered with 401" {
		t.Errorf("checks = %v", checks)
	}
	checks[0].Message = "changed"
	if rec.Checks()[0].Message == "changed" {
		t.Error("Checks must return a copy")
	}
	if s := (Check{Assertion: Assertion{ID: "X"}, Verdict: VerdictInfo}).String(); s != "INFO X" {
		t.Errorf("minimal String() = %q", s)
	}
}

func TestRecorderConcurrent(t *testing.T) {
	rec := &Recorder{}
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			if i%2 == 0 {
				rec.Info(a003, "x")
			} else {
				_ = rec.Warn(a003, "y")
			}
			_ = rec.Checks()
		})
	}
	wg.Wait()
	if n := len(rec.Checks()); n != 50 {
		t.Errorf("recorded %d, want 50", n)
	}
}
