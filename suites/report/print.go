package report

import (
	"fmt"
	"io"
	"strings"
)

// Print writes the terminal report: with verbose, every check per target
// and group first; then the table (PASSED counts checks without WARN),
// each failure once with its evidence, the warnings (one line each, with
// evidence when verbose), the skip reasons (verbose), the checks not run,
// stale baseline entries, and the totals line.
func (r *Run) Print(w io.Writer, verbose bool) {
	if verbose {
		r.printChecks(w)
	}
	r.printTable(w, verbose)
	if verbose {
		r.printSkips(w)
	}
	for i := range r.Checks {
		c := &r.Checks[i]
		if c.Verdict == Fail {
			fmt.Fprintf(w, "\nFAIL %s [%s] %s (%s)\n%s\n", c.ID, c.Level, c.Section, c.Target, indent(c.Reason+evidenceBlock(c.Evidence)))
		}
	}
	r.printNotRun(w, verbose)
	for i := range r.Checks {
		c := &r.Checks[i]
		if c.Verdict != Warn {
			continue
		}
		if c.Baseline != "" {
			fmt.Fprintf(w, "\nWARN %s [%s] %s (%s): failed, accepted by the baseline: %s\n", c.ID, c.Level, c.Section, c.Target, c.Baseline)
			if verbose {
				fmt.Fprintf(w, "%s\n", indent(c.Reason+evidenceBlock(c.Evidence)))
			}
			continue
		}
		for _, wm := range c.Warnings {
			if !verbose {
				wm = firstLine(wm)
			}
			fmt.Fprintf(w, "\nWARN %s [%s] %s (%s)\n%s\n", c.ID, c.Level, c.Section, c.Target, indent(wm))
		}
	}
	for _, s := range r.Stale {
		fmt.Fprintf(w, "\nSTALE baseline entry %s: it no longer fails; remove it from %s\n", s.label(), r.Baseline)
	}
	t := r.Totals()
	fmt.Fprintf(w, "\n%d checks: %d passed, %d failed, %d warned, %d skipped", t.Total(), t.Pass, t.Fail, t.Warn, t.Skip)
	if t.NotRun > 0 {
		fmt.Fprintf(w, ", %d not run", t.NotRun)
	}
	if r.Interrupted {
		fmt.Fprint(w, " (interrupted: partial)")
	}
	fmt.Fprintln(w)
}

// printChecks lists every check per target and group (verbose).
func (r *Run) printChecks(w io.Writer) {
	var cur [2]string
	for i := range r.Checks {
		c := &r.Checks[i]
		if k := [2]string{c.Target, c.Group}; k != cur {
			cur = k
			fmt.Fprintf(w, "\n%s · %s %s\n", c.Target, c.Group, c.GroupTitle)
		}
		fmt.Fprintf(w, "  %-7s %s [%s] %s\n", c.Verdict, c.ID, c.Level, c.Requirement)
		if c.Reason != "" && c.Verdict != Fail {
			fmt.Fprintf(w, "          %s\n", c.Reason)
		}
		for _, s := range c.Saw {
			fmt.Fprintf(w, "          saw: %s\n", strings.TrimPrefix(s, c.ID+": "))
		}
	}
}

func (r *Run) printTable(w io.Writer, verbose bool) {
	t := r.Totals()
	nr := t.NotRun > 0
	line := func(target, group string, x Totals) {
		fmt.Fprintf(w, "%-28s %-11s %7d %7d %7d %7d", target, group, x.Pass, x.Fail, x.Warn, x.Skip)
		if nr {
			fmt.Fprintf(w, " %7d", x.NotRun)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "\n%-28s %-11s %7s %7s %7s %7s", "TARGET", "GROUP", "PASSED", "FAILED", "WARNED", "SKIPPED")
	if nr {
		fmt.Fprintf(w, " %7s", "NOT RUN")
	}
	fmt.Fprintln(w)
	// Groups that do not apply to a target (every check skipped, e.g. the
	// authorize groups of a dialect without an authorize endpoint) fold
	// into one line per target unless verbose.
	var folded []string
	foldedBy := map[string][]string{}
	for _, row := range r.Rows() {
		if !verbose && row.Skip == row.Total() {
			if len(foldedBy[row.Target]) == 0 {
				folded = append(folded, row.Target)
			}
			foldedBy[row.Target] = append(foldedBy[row.Target], fmt.Sprintf("%s (%d)", row.Group, row.Skip))
			continue
		}
		line(row.Target, row.Group, row.Totals)
	}
	line("TOTAL", "", t)
	for _, target := range folded {
		fmt.Fprintf(w, "%s: all skipped (not applicable; -v lists why): %s\n", target, strings.Join(foldedBy[target], ", "))
	}
}

// printSkips writes one line per target and reason: a precondition that
// fails once (no code, no second client) skips many checks alike.
func (r *Run) printSkips(w io.Writer) {
	type group struct {
		target, reason string
		ids            []string
	}
	var order []*group
	by := map[[2]string]*group{}
	for i := range r.Checks {
		c := &r.Checks[i]
		if c.Verdict != Skip {
			continue
		}
		k := [2]string{c.Target, c.Reason}
		g := by[k]
		if g == nil {
			g = &group{target: c.Target, reason: c.Reason}
			by[k] = g
			order = append(order, g)
		}
		g.ids = append(g.ids, c.ID)
	}
	if len(order) > 0 {
		fmt.Fprintln(w)
	}
	for _, g := range order {
		fmt.Fprintf(w, "SKIP %s (%s): %s\n", strings.Join(g.ids, " "), g.target, g.reason)
	}
}

// printNotRun writes one line per target, the reason once.
func (r *Run) printNotRun(w io.Writer, verbose bool) {
	ids := map[string][]string{}
	reason := map[string]string{}
	var targets []string
	for i := range r.Checks {
		c := &r.Checks[i]
		if c.Verdict != NotRun {
			continue
		}
		if len(ids[c.Target]) == 0 {
			targets = append(targets, c.Target)
			reason[c.Target] = c.Reason
		}
		ids[c.Target] = append(ids[c.Target], c.ID)
	}
	for _, t := range targets {
		fmt.Fprintf(w, "\nNOT RUN %d checks (%s): %s\n", len(ids[t]), t, reason[t])
		if verbose {
			fmt.Fprintf(w, "  %s\n", strings.Join(ids[t], " "))
		}
	}
}

func evidenceBlock(ev string) string {
	if ev == "" {
		return ""
	}
	return "\n\n" + ev
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n  ")
}

// PrintDryRun lists, per target and group, the checks that would run and
// those that would skip with the reason, then the count of each.
func (r *Run) PrintDryRun(w io.Writer) {
	var cur [2]string
	run, skip := 0, 0
	for i := range r.Checks {
		c := &r.Checks[i]
		if k := [2]string{c.Target, c.Group}; k != cur {
			cur = k
			fmt.Fprintf(w, "\n%s · %s %s\n", c.Target, c.Group, c.GroupTitle)
		}
		switch c.Verdict {
		case WouldRun:
			run++
			fmt.Fprintf(w, "  RUN  %s [%s] %s\n", c.ID, c.Level, c.Requirement)
		default:
			skip++
			fmt.Fprintf(w, "  SKIP %s [%s] %s\n       %s\n", c.ID, c.Level, c.Requirement, c.Reason)
		}
	}
	fmt.Fprintf(w, "\ndry run: %d checks would run, %d would skip (before any request; others may still skip on what the target answers)\n", run, skip)
}
