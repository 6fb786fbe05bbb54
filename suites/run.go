package suites

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/formatter"
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
	// Progress, when set, receives a mark per finished check (. passed,
	// F failed, W warned, s skipped, n not run) and the notice of an
	// interrupt. From the binary, Ginkgo's own console report is shown
	// only when Verbose: the summary is the report.
	Progress io.Writer
}

// Result is what a run found.
type Result struct {
	Report  types.Report
	Summary *Summary
	// Interrupted is set when a signal (Ctrl-C, SIGTERM) ended the run:
	// the check in progress and those after it did not run.
	Interrupted bool
}

var (
	runOnce    sync.Mutex
	ran        bool
	lastReport types.Report
)

var _ = ReportAfterSuite("oauthconform summary", func(r Report) { lastReport = r })

// progress is RunConfig.Progress for the run in progress.
var progress struct {
	sync.Mutex
	w io.Writer
	n int
}

var _ = ReportAfterEach(func(r SpecReport) {
	progress.Lock()
	defer progress.Unlock()
	if progress.w == nil || r.LeafNodeType != types.NodeTypeIt || r.State.Is(types.SpecStateSkipped) && r.Failure.Message == "" {
		return
	}
	mark := "."
	switch {
	case r.State.Is(types.SpecStateSkipped) && strings.HasPrefix(r.Failure.Message, NotRunPrefix),
		r.State.Is(types.SpecStateInterrupted):
		mark = "n"
	case r.State.Is(types.SpecStateSkipped):
		mark = "s"
	case !r.State.Is(types.SpecStatePassed):
		mark = "F"
	default:
		for _, e := range r.ReportEntries {
			if e.Name == EntryWarn {
				mark = "W"
			}
		}
	}
	if progress.n++; progress.n%80 == 0 {
		mark += "\n"
	}
	fmt.Fprint(progress.w, mark)
})

// gateWriter passes Ginkgo's console output on until an interrupt, after
// which it drops it: the summary says what was interrupted, without
// Ginkgo's goroutine dumps.
type gateWriter struct {
	w      io.Writer
	closed atomic.Bool
}

func (g *gateWriter) Write(p []byte) (int, error) {
	if g.closed.Load() || bytes.Contains(p, []byte("Interrupted by ")) {
		g.closed.Store(true)
		return len(p), nil
	}
	return g.w.Write(p)
}

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
	var interrupted atomic.Bool
	if t == nil {
		t = &failT{}
		// From the binary: Ginkgo's console report only when verbose, and
		// never after an interrupt. Ginkgo itself handles the signal: it
		// cancels the check in progress (its context reaches every
		// request) and skips the rest.
		out := io.Writer(io.Discard)
		if cfg.Verbose {
			out = os.Stdout
		}
		gate := &gateWriter{w: out}
		prevOut := formatter.ColorableStdOut
		formatter.ColorableStdOut = gate
		defer func() { formatter.ColorableStdOut = prevOut }()
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		defer signal.Stop(sig)
		done := make(chan struct{})
		defer close(done)
		go func() {
			select {
			case <-sig:
				interrupted.Store(true)
				gate.closed.Store(true)
				if cfg.Progress != nil {
					fmt.Fprintln(cfg.Progress, "\ninterrupted: the check in progress is stopped and the rest are not run; the partial results follow (interrupt again to stop at once)")
				}
			case <-done:
			}
		}()
	}
	progress.Lock()
	progress.w, progress.n = cfg.Progress, 0
	progress.Unlock()
	gomega.RegisterFailHandler(Fail)
	GinkgoWriter.TeeTo(io.Discard)
	RunSpecs(t, "oauthconform conformance", sc, rc)
	progress.Lock()
	if progress.w != nil && progress.n%80 != 0 {
		fmt.Fprintln(progress.w)
	}
	progress.w = nil
	progress.Unlock()
	res := &Result{Report: lastReport, Interrupted: interrupted.Load() || wasInterrupted(lastReport)}
	res.Summary = summarize(lastReport, runFilter(cfg), res.Interrupted)
	return res, nil
}

// wasInterrupted reports whether a signal ended the run.
func wasInterrupted(r types.Report) bool {
	for _, reason := range r.SpecialSuiteFailureReasons {
		if strings.HasPrefix(reason, "Interrupted") {
			return true
		}
	}
	return false
}

// runFilter reports whether a spec was selected to run by cfg's label
// filter and focus and skip patterns: after an interrupt, the selected specs
// Ginkgo never ran are not run, the others were never part of the run.
func runFilter(cfg RunConfig) func(types.SpecReport) bool {
	lf, err := types.ParseLabelFilter(cfg.LabelFilter)
	if err != nil {
		lf = func([]string) bool { return true }
	}
	compile := func(pats []string) []*regexp.Regexp {
		var out []*regexp.Regexp
		for _, p := range pats {
			if re, err := regexp.Compile(p); err == nil {
				out = append(out, re)
			}
		}
		return out
	}
	focus, skip := compile(cfg.FocusStrings), compile(cfg.SkipStrings)
	return func(sr types.SpecReport) bool {
		if !lf(sr.Labels()) {
			return false
		}
		text := sr.FullText()
		if len(focus) > 0 && !slices.ContainsFunc(focus, func(re *regexp.Regexp) bool { return re.MatchString(text) }) {
			return false
		}
		return !slices.ContainsFunc(skip, func(re *regexp.Regexp) bool { return re.MatchString(text) })
	}
}

// SpecResult is one spec's outcome in the summary.
type SpecResult struct {
	Env, Group, ID, Level, Section, Requirement string
	State                                       string // passed, failed, skipped, not-run
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
	// NotRun counts specs that never ran because the target stopped
	// answering.
	NotRun int
}

// Failed counts failed specs.
func (s *Summary) Failed() int {
	n := 0
	for _, r := range s.Rows {
		n += r.Failed
	}
	return n
}

// NotRun counts specs that never ran because the target stopped answering.
func (s *Summary) NotRun() int {
	n := 0
	for _, r := range s.Rows {
		n += r.NotRun
	}
	return n
}

// Summarize reads the Ginkgo report of a run that was not interrupted.
func Summarize(r types.Report) *Summary { return summarize(r, nil, false) }

// summarize reads the Ginkgo report; after an interrupt, the specs selected
// (see runFilter) that never ran, and the one interrupted, are not run.
func summarize(r types.Report, selected func(types.SpecReport) bool, interrupted bool) *Summary {
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
		case sr.State.Is(types.SpecStateInterrupted),
			interrupted && sr.State.Is(types.SpecStateSkipped) && sr.Failure.Message == "" && selected != nil && selected(sr):
			// A signal is not the server's failure.
			res.State = "not-run"
			res.Message = res.ID + ": interrupted"
		case sr.State.Is(types.SpecStateSkipped|types.SpecStatePending) && sr.Failure.Message == "":
			// Left out by --label-filter or focus, not skipped for a reason:
			// not part of this run's tally.
			continue
		case sr.State.Is(types.SpecStateSkipped) && strings.HasPrefix(sr.Failure.Message, NotRunPrefix):
			res.State = "not-run"
			res.Message = strings.TrimPrefix(sr.Failure.Message, NotRunPrefix)
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
		case "not-run":
			row.NotRun++
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
	// The NOT RUN column only when a run ended early.
	nr := s.NotRun()
	row := func(env, group string, p, f, wn, sk, n int) {
		fmt.Fprintf(w, "%-28s %-11s %7d %7d %7d %7d", env, group, p, f, wn, sk)
		if nr > 0 {
			fmt.Fprintf(w, " %7d", n)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "\n%-28s %-11s %7s %7s %7s %7s", "TARGET", "GROUP", "PASSED", "FAILED", "WARNED", "SKIPPED")
	if nr > 0 {
		fmt.Fprintf(w, " %7s", "NOT RUN")
	}
	fmt.Fprintln(w)
	var tp, tf, tw, ts int
	// Groups that do not apply to a target (every spec skipped, e.g. the
	// authorize groups of a dialect without an authorize endpoint) are folded
	// into one line per target unless verbose.
	var folded []string
	foldedBy := map[string][]string{}
	for _, r := range s.Rows {
		tp, tf, tw, ts = tp+r.Passed, tf+r.Failed, tw+r.Warned, ts+r.Skipped
		if !verbose && r.Passed+r.Failed+r.Warned+r.NotRun == 0 {
			if len(foldedBy[r.Env]) == 0 {
				folded = append(folded, r.Env)
			}
			foldedBy[r.Env] = append(foldedBy[r.Env], fmt.Sprintf("%s (%d)", r.Group, r.Skipped))
			continue
		}
		row(r.Env, r.Group, r.Passed, r.Failed, r.Warned, r.Skipped, r.NotRun)
	}
	row("TOTAL", "", tp, tf, tw, ts, nr)
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
	// Specs that never ran: one line per target, the reason once.
	notRun := map[string][]string{}
	var notRunEnvs []string
	reason := map[string]string{}
	for _, sp := range s.Specs {
		if sp.State != "not-run" {
			continue
		}
		if len(notRun[sp.Env]) == 0 {
			notRunEnvs = append(notRunEnvs, sp.Env)
			_, reason[sp.Env], _ = strings.Cut(sp.Message, ": ")
		}
		notRun[sp.Env] = append(notRun[sp.Env], sp.ID)
	}
	for _, env := range notRunEnvs {
		fmt.Fprintf(w, "\nNOT RUN %d checks (%s): %s\n", len(notRun[env]), env, reason[env])
		if verbose {
			fmt.Fprintf(w, "  %s\n", strings.Join(notRun[env], " "))
		}
	}
	for _, sp := range s.Specs {
		for _, wmsg := range sp.Warnings {
			fmt.Fprintf(w, "\nWARN %s (%s)\n%s\n", sp.ID, sp.Env, indent(firstLines(wmsg, verbose)))
		}
	}
	if nr > 0 {
		fmt.Fprintf(w, "\n%d passed, %d failed, %d skipped, %d not run\n", tp, tf, ts, nr)
		return
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
