package suites

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	"github.com/onsi/gomega"
)

// envs are the environments the spec tree is built for; Run sets them
// before Ginkgo builds the tree.
var envs []*Env

var _ = Describe("oauthconform", func() {
	for _, e := range envs {
		Describe(e.Name, Label(e.Dialect.Name), func() {
			for _, g := range groups {
				Describe(g.ID+" "+g.Title, func() { g.Specs(e) })
			}
		})
	}
})

// RunConfig configures one run of the suites.
type RunConfig struct {
	Envs []*Env
	// LabelFilter is a Ginkgo label expression, e.g. "MUST && !slow".
	LabelFilter string
	// FocusStrings/SkipStrings filter by spec text (regular expressions).
	FocusStrings, SkipStrings []string
	JUnitReport, JSONReport   string
	Verbose                   bool
	// DryRun builds the tree and reports every spec without running any.
	DryRun bool
	// Timeout bounds the whole run.
	Timeout time.Duration
	// NoColor turns colour off.
	NoColor bool
	// T is the testing.T when run from go test; nil from the binary.
	T GinkgoTestingT
}

// Result is what a run found.
type Result struct {
	Report  types.Report
	Summary *Summary
}

var (
	runOnce    sync.Mutex
	ran        bool
	lastReport types.Report
)

var _ = ReportAfterSuite("oauthconform summary", func(r Report) { lastReport = r })

// failT satisfies GinkgoTestingT for the standalone binary.
type failT struct{ failed bool }

func (t *failT) Fail() { t.failed = true }

// Run runs the compiled-in specs against cfg.Envs. Ginkgo supports one run
// per process, so Run may be called once; the binary runs several profiles
// as environments of that one run.
func Run(cfg RunConfig) (*Result, error) {
	runOnce.Lock()
	defer runOnce.Unlock()
	if ran {
		return nil, errors.New("suites: Run may be called only once per process")
	}
	ran = true
	if len(cfg.Envs) == 0 {
		return nil, errors.New("suites: no environment to run against")
	}
	envs = cfg.Envs

	sc, rc := GinkgoConfiguration()
	sc.LabelFilter = cfg.LabelFilter
	sc.FocusStrings = cfg.FocusStrings
	sc.SkipStrings = cfg.SkipStrings
	sc.DryRun = cfg.DryRun
	sc.RandomizeAllSpecs = false
	sc.FailFast = false
	sc.Timeout = cfg.Timeout
	if sc.Timeout <= 0 {
		sc.Timeout = time.Hour
	}
	rc.JUnitReport = cfg.JUnitReport
	rc.JSONReport = cfg.JSONReport
	rc.NoColor = cfg.NoColor
	rc.Verbose = cfg.Verbose
	rc.Succinct = !cfg.Verbose
	rc.SilenceSkips = !cfg.Verbose

	var t GinkgoTestingT = cfg.T
	if t == nil {
		t = &failT{}
	}
	gomega.RegisterFailHandler(Fail)
	GinkgoWriter.TeeTo(io.Discard)
	RunSpecs(t, "oauthconform conformance", sc, rc)
	return &Result{Report: lastReport, Summary: Summarize(lastReport)}, nil
}

// SpecResult is one spec's outcome in the summary.
type SpecResult struct {
	Env, Group, ID, Level, Section, Requirement string
	State                                       string // passed, failed, skipped, pending
	Warnings                                    []string
	Saw                                         []string
	Message                                     string
	Duration                                    time.Duration
}

// Summary tallies a run per environment and group.
type Summary struct {
	Specs []SpecResult
	Rows  []SummaryRow
}

// SummaryRow is one line of the table.
type SummaryRow struct {
	Env, Group                      string
	Passed, Failed, Warned, Skipped int
}

// Failed counts failed specs.
func (s *Summary) Failed() int {
	n := 0
	for _, r := range s.Rows {
		n += r.Failed
	}
	return n
}

// Summarize reads the Ginkgo report.
func Summarize(r types.Report) *Summary {
	s := &Summary{}
	rows := map[[2]string]*SummaryRow{}
	for _, sr := range r.SpecReports {
		if sr.LeafNodeType != types.NodeTypeIt {
			continue
		}
		res := SpecResult{Duration: sr.RunTime}
		if len(sr.ContainerHierarchyTexts) >= 3 {
			res.Env = sr.ContainerHierarchyTexts[1]
			res.Group, _, _ = strings.Cut(sr.ContainerHierarchyTexts[2], " ")
		}
		id, req, _ := strings.Cut(sr.LeafNodeText, ": ")
		res.ID, res.Requirement = id, req
		labels := sr.Labels()
		for _, l := range labels {
			switch {
			case l == "MUST" || l == "SHOULD" || l == "MAY" || l == "INFO":
				res.Level = l
			case strings.HasPrefix(l, "RFC"):
				if res.Section == "" {
					res.Section = l
				}
			}
		}
		switch {
		case sr.State.Is(types.SpecStatePassed):
			res.State = "passed"
		case sr.State.Is(types.SpecStateSkipped|types.SpecStatePending) && sr.Failure.Message == "":
			// Left out by --label-filter or focus, not skipped for a reason:
			// not part of this run's tally.
			continue
		case sr.State.Is(types.SpecStateSkipped | types.SpecStatePending):
			res.State = "skipped"
			res.Message = sr.Failure.Message
		default:
			res.State = "failed"
			res.Message = sr.Failure.Message
		}
		for _, e := range sr.ReportEntries {
			switch e.Name {
			case EntryWarn:
				res.Warnings = append(res.Warnings, e.StringRepresentation())
			case EntrySaw:
				res.Saw = append(res.Saw, e.StringRepresentation())
			}
		}
		s.Specs = append(s.Specs, res)
		k := [2]string{res.Env, res.Group}
		row := rows[k]
		if row == nil {
			row = &SummaryRow{Env: res.Env, Group: res.Group}
			rows[k] = row
		}
		switch res.State {
		case "passed":
			row.Passed++
		case "failed":
			row.Failed++
		default:
			row.Skipped++
		}
		if len(res.Warnings) > 0 {
			row.Warned++
		}
	}
	for _, r := range rows {
		s.Rows = append(s.Rows, *r)
	}
	sort.Slice(s.Rows, func(i, j int) bool {
		if s.Rows[i].Env != s.Rows[j].Env {
			return s.Rows[i].Env < s.Rows[j].Env
		}
		return s.Rows[i].Group < s.Rows[j].Group
	})
	return s
}

// Print writes the summary table and the failures (with their evidence).
func (s *Summary) Print(w io.Writer, verbose bool) {
	fmt.Fprintf(w, "\n%-28s %-11s %7s %7s %7s %7s\n", "TARGET", "GROUP", "PASSED", "FAILED", "WARNED", "SKIPPED")
	var tp, tf, tw, ts int
	// Groups that do not apply to a target (every spec skipped, e.g. the
	// authorize groups of a dialect without an authorize endpoint) are folded
	// into one line per target unless verbose.
	var folded []string
	foldedBy := map[string][]string{}
	for _, r := range s.Rows {
		tp, tf, tw, ts = tp+r.Passed, tf+r.Failed, tw+r.Warned, ts+r.Skipped
		if !verbose && r.Passed+r.Failed+r.Warned == 0 {
			if len(foldedBy[r.Env]) == 0 {
				folded = append(folded, r.Env)
			}
			foldedBy[r.Env] = append(foldedBy[r.Env], fmt.Sprintf("%s (%d)", r.Group, r.Skipped))
			continue
		}
		fmt.Fprintf(w, "%-28s %-11s %7d %7d %7d %7d\n", r.Env, r.Group, r.Passed, r.Failed, r.Warned, r.Skipped)
	}
	fmt.Fprintf(w, "%-28s %-11s %7d %7d %7d %7d\n", "TOTAL", "", tp, tf, tw, ts)
	for _, env := range folded {
		fmt.Fprintf(w, "%s: all skipped (not applicable; -v lists why): %s\n", env, strings.Join(foldedBy[env], ", "))
	}
	if verbose {
		// One line per reason: a precondition that fails once (no code,
		// no second client) skips many specs for the same reason.
		type skipGroup struct {
			env, reason string
			ids         []string
		}
		var order []*skipGroup
		byReason := map[[2]string]*skipGroup{}
		for _, sp := range s.Specs {
			if sp.State != "skipped" {
				continue
			}
			reason := firstLines(strings.TrimPrefix(sp.Message, sp.ID+": "), false)
			k := [2]string{sp.Env, reason}
			g := byReason[k]
			if g == nil {
				g = &skipGroup{env: sp.Env, reason: reason}
				byReason[k] = g
				order = append(order, g)
			}
			g.ids = append(g.ids, sp.ID)
		}
		for _, g := range order {
			fmt.Fprintf(w, "SKIP %s (%s): %s\n", strings.Join(g.ids, " "), g.env, g.reason)
		}
	}
	for _, sp := range s.Specs {
		if sp.State == "failed" {
			fmt.Fprintf(w, "\nFAIL %s [%s] %s (%s)\n%s\n", sp.ID, sp.Level, sp.Section, sp.Env, indent(sp.Message))
		}
	}
	for _, sp := range s.Specs {
		for _, wmsg := range sp.Warnings {
			fmt.Fprintf(w, "\nWARN %s (%s)\n%s\n", sp.ID, sp.Env, indent(firstLines(wmsg, verbose)))
		}
	}
	fmt.Fprintf(w, "\n%d passed, %d failed, %d skipped\n", tp, tf, ts)
}

func firstLines(s string, all bool) string {
	if all {
		return s
	}
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n  ")
}
