// Package report is the result of a conformance run as people and CI read
// it: one Check per assertion and target with its verdict, and the writers
// of the terminal summary, the JUnit XML file, the JSON document
// (schemas/report.schema.json) and GitHub Actions annotations. It knows
// nothing of Ginkgo or of the targets: the suites fill a Run, the command
// writes it.
package report

import (
	"sort"
	"strings"
	"time"
)

// Verdict is the outcome of one check.
type Verdict string

// Verdicts. Only FAIL (a MUST breach, or any breach under --strict) and
// NOT-RUN (the check never ran: the target stopped answering, or the run
// was interrupted) make the run fail; a WARN is a SHOULD breach, an answer
// where the RFC is ambiguous, or a failure the baseline accepts.
const (
	Pass   Verdict = "PASS"
	Fail   Verdict = "FAIL"
	Warn   Verdict = "WARN"
	Skip   Verdict = "SKIP"
	NotRun Verdict = "NOT-RUN"
	// WouldRun is a dry run's verdict of a check it would run.
	WouldRun Verdict = "RUN"
)

// Check is one assertion's outcome against one target.
type Check struct {
	// Target is the environment's name, Group the catalogue group (TOK-RESP)
	// and GroupTitle its title.
	Target, Group, GroupTitle string
	ID, Level, Section        string
	Requirement               string
	Verdict                   Verdict
	// Reason says in one line why the check failed, warned, skipped or did
	// not run; empty for a plain PASS.
	Reason string
	// Evidence is the redacted detail: requests and responses involved.
	Evidence string
	// Warnings are the full text of every WARN the check recorded (the
	// first is the Reason of a WARN); Saw names which of several compliant
	// answers the target gave.
	Warnings []string
	Saw      []string
	// Baseline is the reason a baseline entry gives for accepting this
	// check's failure (its Verdict is then WARN).
	Baseline string
	Duration time.Duration
}

// Name is the check's short test name, "ID: requirement", the requirement
// cut at a word boundary near max bytes.
func (c *Check) Name(max int) string {
	return c.ID + ": " + shorten(c.Requirement, max)
}

// shorten cuts s at a word boundary at most max bytes long, marking the cut.
func shorten(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := strings.LastIndexByte(s[:max], ' ')
	if cut < max/2 {
		cut = max
		for cut > 0 && s[cut]&0xC0 == 0x80 { // not inside a UTF-8 sequence
			cut--
		}
	}
	return strings.TrimRight(s[:cut], " ,;:") + "…"
}

// Setting is one fact the run assumed about a target, and where it came
// from (declared by the target, discovered in its metadata, the dialect's
// requirement, or unknown).
type Setting struct {
	Name, Value, Source string
}

// Target describes one target of the run.
type Target struct {
	Name, Dialect, Issuer string
	Settings              []Setting
	// Notes are setup observations (the preflight's), reported once.
	Notes []string
}

// Run is a whole run.
type Run struct {
	Tool, Version string
	Started       time.Time
	Duration      time.Duration
	Targets       []Target
	Checks        []Check
	// Strict: WARNs failed their checks.
	Strict bool
	// Interrupted: a signal ended the run; the checks not finished are
	// NOT-RUN.
	Interrupted bool
	// Baseline is the baseline file applied, "" when none; Stale are its
	// entries whose check ran and did not fail.
	Baseline string
	Stale    []BaselineEntry
	// ExitCode is the command's exit status for this run (set by the
	// command before the reports are written).
	ExitCode int
}

// Totals counts checks by verdict.
type Totals struct {
	Pass, Fail, Warn, Skip, NotRun int
}

// Total is the number of checks counted.
func (t Totals) Total() int { return t.Pass + t.Fail + t.Warn + t.Skip + t.NotRun }

func (t *Totals) add(v Verdict) {
	switch v {
	case Pass:
		t.Pass++
	case Fail:
		t.Fail++
	case Warn:
		t.Warn++
	case Skip:
		t.Skip++
	case NotRun:
		t.NotRun++
	}
}

// Totals counts every check.
func (r *Run) Totals() Totals {
	var t Totals
	for i := range r.Checks {
		t.add(r.Checks[i].Verdict)
	}
	return t
}

// Failed counts FAIL checks.
func (r *Run) Failed() int { return r.Totals().Fail }

// NotRun counts NOT-RUN checks.
func (r *Run) NotRun() int { return r.Totals().NotRun }

// Row is one line of the summary table: a target and group.
type Row struct {
	Target, Group, GroupTitle string
	Totals
}

// Rows tallies the checks per target and group, in target order (as
// Targets lists them, else by name) and catalogue order of first
// appearance.
func (r *Run) Rows() []Row {
	type key struct{ target, group string }
	idx := map[key]int{}
	var rows []Row
	for i := range r.Checks {
		c := &r.Checks[i]
		k := key{c.Target, c.Group}
		j, ok := idx[k]
		if !ok {
			j = len(rows)
			idx[k] = j
			rows = append(rows, Row{Target: c.Target, Group: c.Group, GroupTitle: c.GroupTitle})
		}
		rows[j].add(c.Verdict)
	}
	rank := map[string]int{}
	for i, t := range r.Targets {
		rank[t.Name] = i + 1
	}
	sort.SliceStable(rows, func(i, j int) bool {
		ri, rj := rank[rows[i].Target], rank[rows[j].Target]
		if ri != rj {
			if ri == 0 || rj == 0 {
				return rj == 0
			}
			return ri < rj
		}
		if ri == 0 && rows[i].Target != rows[j].Target {
			return rows[i].Target < rows[j].Target
		}
		return false
	})
	return rows
}

// firstLine is s up to its first line break.
func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
