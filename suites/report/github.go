package report

import (
	"fmt"
	"io"
	"strings"
)

// GitHub Actions workflow commands: ::error / ::warning / ::notice lines on
// stdout become annotations of the job, and a Markdown table appended to
// $GITHUB_STEP_SUMMARY becomes its summary page.

// ghMessageMax bounds one annotation's text: Actions shows a few lines.
const ghMessageMax = 2000

// WriteGitHubAnnotations writes one annotation per failure and warning,
// one per target for the checks not run, and one per stale baseline entry.
func (r *Run) WriteGitHubAnnotations(w io.Writer) {
	notRun := map[string]int{}
	var notRunOrder []string
	reason := map[string]string{}
	for i := range r.Checks {
		c := &r.Checks[i]
		title := fmt.Sprintf("%s [%s] %s (%s)", c.ID, c.Level, c.Section, c.Target)
		switch c.Verdict {
		case Fail:
			ghCommand(w, "error", title, c.Requirement+"\n"+c.Reason)
		case Warn:
			msg := c.Reason
			if c.Baseline != "" {
				msg = "failed, accepted by the baseline: " + c.Baseline + "\n" + c.Reason
			}
			ghCommand(w, "warning", title, msg)
		case NotRun:
			if notRun[c.Target] == 0 {
				notRunOrder = append(notRunOrder, c.Target)
				reason[c.Target] = c.Reason
			}
			notRun[c.Target]++
		}
	}
	for _, t := range notRunOrder {
		ghCommand(w, "error", fmt.Sprintf("%d checks not run (%s)", notRun[t], t), reason[t])
	}
	for _, s := range r.Stale {
		ghCommand(w, "notice", "stale baseline entry "+s.ID, "it no longer fails; remove it from "+r.Baseline)
	}
}

func ghCommand(w io.Writer, cmd, title, msg string) {
	if len(msg) > ghMessageMax {
		msg = shorten(msg, ghMessageMax)
	}
	fmt.Fprintf(w, "::%s title=%s::%s\n", cmd, ghEscapeProperty(title), ghEscapeData(msg))
}

// ghEscapeData escapes a command's message as the runner expects.
func ghEscapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// ghEscapeProperty escapes a command property's value.
func ghEscapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

// WriteGitHubSummary writes the Markdown job summary: the table per target
// and group, then the failures.
func (r *Run) WriteGitHubSummary(w io.Writer) {
	t := r.Totals()
	fmt.Fprintf(w, "### oauthconform: %d checks, %d passed, %d failed, %d warned, %d skipped", t.Total(), t.Pass, t.Fail, t.Warn, t.Skip)
	if t.NotRun > 0 {
		fmt.Fprintf(w, ", %d not run", t.NotRun)
	}
	fmt.Fprint(w, "\n\n| Target | Group | Passed | Failed | Warned | Skipped | Not run |\n|---|---|---:|---:|---:|---:|---:|\n")
	for _, row := range r.Rows() {
		fmt.Fprintf(w, "| %s | %s | %d | %d | %d | %d | %d |\n", mdCell(row.Target), mdCell(row.Group), row.Pass, row.Fail, row.Warn, row.Skip, row.NotRun)
	}
	if t.Fail > 0 {
		fmt.Fprint(w, "\n| Failed check | Level | Section | Target | Reason |\n|---|---|---|---|---|\n")
		for i := range r.Checks {
			c := &r.Checks[i]
			if c.Verdict == Fail {
				fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", mdCell(c.ID), c.Level, mdCell(c.Section), mdCell(c.Target), mdCell(shorten(c.Reason, 300)))
			}
		}
	}
}

func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ").Replace(s)
}
