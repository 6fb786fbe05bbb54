package harness

import (
	"fmt"
	"strings"
	"sync"
)

// Level is the normative strength of an assertion (assertions.md §0.3).
type Level string

// Levels.
const (
	LevelMust   Level = "MUST"
	LevelShould Level = "SHOULD"
	LevelMay    Level = "MAY"
	// LevelInfo marks a non-normative observation.
	LevelInfo Level = "INFO"
)

// Verdict is the outcome of one check.
type Verdict string

// Verdicts. A MUST breach is a FAIL; a SHOULD breach, or behaviour where the
// RFC is ambiguous, a WARN; observations are INFO.
const (
	VerdictPass Verdict = "PASS"
	VerdictFail Verdict = "FAIL"
	VerdictWarn Verdict = "WARN"
	VerdictInfo Verdict = "INFO"
	VerdictSkip Verdict = "SKIP"
)

// Assertion identifies a catalogue entry; specs declare one per ID and pass
// it with every verdict.
type Assertion struct {
	ID          string // "TOK-RESP-003"
	Level       Level
	Section     string // "RFC 6749 §5.1"
	Requirement string // the sentence being checked
}

// Check is one recorded verdict with its evidence.
type Check struct {
	Assertion
	Verdict  Verdict
	Message  string
	Evidence []*Exchange
}

// Fails reports whether the check should fail its spec: a FAIL always, a
// WARN only in strict mode.
func (c Check) Fails(strict bool) bool {
	return c.Verdict == VerdictFail || (strict && c.Verdict == VerdictWarn)
}

// String is a one-line summary, without evidence; registered secrets are
// scrubbed from it (a message may quote what the target said).
func (c Check) String() string { return Scrub(c.summary()) }

func (c Check) summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", c.Verdict, c.ID)
	var tags []string
	if c.Level != "" {
		tags = append(tags, string(c.Level))
	}
	if c.Section != "" {
		tags = append(tags, c.Section)
	}
	if len(tags) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(tags, ", "))
	}
	if c.Requirement != "" {
		fmt.Fprintf(&b, ": %s", c.Requirement)
	}
	if c.Message != "" {
		fmt.Fprintf(&b, " — %s", c.Message)
	}
	return b.String()
}

// Report is the summary followed by the redacted evidence.
func (c Check) Report() string {
	var b strings.Builder
	b.WriteString(c.String())
	b.WriteString("\n")
	for i, x := range c.Evidence {
		fmt.Fprintf(&b, "\n[evidence %d/%d]\n%s", i+1, len(c.Evidence), x.Evidence())
	}
	return b.String()
}

// CheckError is returned for a check that fails its spec; its message is
// the full report, so a Gomega failure carries the evidence.
type CheckError struct{ Check Check }

func (e *CheckError) Error() string { return e.Check.Report() }

// Recorder collects verdicts for the run report. It is safe for concurrent
// use. Set Strict and OnRecord before the first record.
type Recorder struct {
	// Strict makes WARN verdicts fail their spec.
	Strict bool
	// OnRecord, when set, is called with every check as it is recorded, on
	// the recording goroutine (the Ginkgo glue turns it into a report entry).
	OnRecord func(Check)

	mu     sync.Mutex
	checks []Check
}

// Record stores a verdict. It returns a *CheckError when the spec should
// fail (FAIL, or WARN under Strict), nil otherwise, so a spec can write
// Expect(rec.Warn(a, msg, x)).To(Succeed()).
func (r *Recorder) Record(a Assertion, v Verdict, msg string, evidence ...*Exchange) error {
	c := Check{Assertion: a, Verdict: v, Message: msg, Evidence: evidence}
	r.mu.Lock()
	r.checks = append(r.checks, c)
	r.mu.Unlock()
	if r.OnRecord != nil {
		r.OnRecord(c)
	}
	if c.Fails(r.Strict) {
		return &CheckError{Check: c}
	}
	return nil
}

// Pass records a PASS.
func (r *Recorder) Pass(a Assertion, msg string, evidence ...*Exchange) {
	_ = r.Record(a, VerdictPass, msg, evidence...)
}

// Fail records a FAIL and returns its *CheckError.
func (r *Recorder) Fail(a Assertion, msg string, evidence ...*Exchange) error {
	return r.Record(a, VerdictFail, msg, evidence...)
}

// Warn records a WARN; the error is non-nil only under Strict.
func (r *Recorder) Warn(a Assertion, msg string, evidence ...*Exchange) error {
	return r.Record(a, VerdictWarn, msg, evidence...)
}

// Info records an observation, e.g. "invalid_client answered with 401".
func (r *Recorder) Info(a Assertion, msg string, evidence ...*Exchange) {
	_ = r.Record(a, VerdictInfo, msg, evidence...)
}

// Skip records that an assertion did not apply, and why.
func (r *Recorder) Skip(a Assertion, reason string) {
	_ = r.Record(a, VerdictSkip, reason)
}

// Checks returns a copy of the recorded checks, in recording order.
func (r *Recorder) Checks() []Check {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Check(nil), r.checks...)
}

// Counts returns how many checks got each verdict.
func (r *Recorder) Counts() map[Verdict]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := map[Verdict]int{}
	for _, c := range r.checks {
		n[c.Verdict]++
	}
	return n
}
