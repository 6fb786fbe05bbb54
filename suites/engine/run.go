package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/formatter"
	"github.com/onsi/ginkgo/v2/types"
	"github.com/onsi/gomega"

	"github.com/oauthconform/oauthconform/suites/harness"
	"github.com/oauthconform/oauthconform/suites/report"
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
	// FailFast stops at the first failure; the checks after it are not
	// part of the run.
	FailFast bool
	// GinkgoJSONReport writes Ginkgo's own JSON report to that file (for
	// debugging the harness; the run's report is Result.Run).
	GinkgoJSONReport string
	// Verbose shows Ginkgo's console output from the binary (the command's
	// -v prints the run's report per group instead).
	Verbose bool
	// DryRun sends nothing to the targets (but the metadata lookup): each
	// selected check is reported as one that would run (report.WouldRun),
	// or skipped with the reason it would skip.
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
	// Notices, when set, is told when a check waits in real time (a code
	// lifetime, a lockout): what for and how long.
	Notices io.Writer
}

// Result is what a run found.
type Result struct {
	// Ginkgo is Ginkgo's own report of the run.
	Ginkgo types.Report
	// Run is the run's report: one check per spec and target.
	Run *report.Run
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
	w, notices io.Writer
	n          int
}

// noticeWait tells RunConfig.Notices that check id waits d, and why.
func noticeWait(id string, d time.Duration, why string) {
	progress.Lock()
	defer progress.Unlock()
	if progress.notices == nil || d < time.Second {
		return
	}
	fmt.Fprintf(progress.notices, "\n%s waits %s %s (a real wait: the target's clock is its own)\n", id, d.Round(time.Second), why)
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
	// Not Ginkgo's dry run, which runs no spec body: ours runs each body
	// against an Env that sends nothing, to learn its skip reasons.
	for _, e := range cfg.Envs {
		e.dryRun = cfg.DryRun
		if cfg.DryRun {
			e.Metadata(context.Background()) // discovery, before nothing is sent
		}
	}
	sc.RandomizeAllSpecs = false
	sc.FailFast = cfg.FailFast
	sc.Timeout = cfg.Timeout
	if sc.Timeout <= 0 {
		sc.Timeout = time.Hour
	}
	rc.JSONReport = cfg.GinkgoJSONReport
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
	progress.w, progress.n, progress.notices = cfg.Progress, 0, cfg.Notices
	progress.Unlock()
	gomega.RegisterFailHandler(Fail)
	GinkgoWriter.TeeTo(io.Discard)
	RunSpecs(t, "oauthconform conformance", sc, rc)
	progress.Lock()
	if progress.w != nil && progress.n%80 != 0 {
		fmt.Fprintln(progress.w)
	}
	progress.w, progress.notices = nil, nil
	progress.Unlock()
	res := &Result{Ginkgo: lastReport, Interrupted: interrupted.Load() || wasInterrupted(lastReport)}
	res.Run = buildRun(lastReport, runFilter(cfg), res.Interrupted)
	for _, e := range cfg.Envs {
		res.Run.Targets = append(res.Run.Targets, e.Describe(context.Background()))
		res.Run.Strict = res.Run.Strict || e.Strict
	}
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

// buildRun reads the Ginkgo report into the run's report: one check per
// spec that ran or was meant to (specs left out by the label filter, focus
// or skip patterns are not part of the run). After an interrupt, the specs
// selected (see runFilter) that never ran, and the one interrupted, are
// NOT-RUN.
func buildRun(r types.Report, selected func(types.SpecReport) bool, interrupted bool) *report.Run {
	run := &report.Run{Tool: "oauthconform", Started: r.StartTime, Duration: r.RunTime, Interrupted: interrupted}
	for _, sr := range r.SpecReports {
		if sr.LeafNodeType != types.NodeTypeIt {
			continue
		}
		c, ok := checkOf(sr, selected, interrupted)
		if ok {
			run.Checks = append(run.Checks, c)
		}
	}
	// Per target in run order, then in catalogue order.
	rank := map[string]int{}
	for i := range run.Checks {
		if _, ok := rank[run.Checks[i].Target]; !ok {
			rank[run.Checks[i].Target] = len(rank)
		}
	}
	slices.SortStableFunc(run.Checks, func(a, b report.Check) int {
		if ra, rb := rank[a.Target], rank[b.Target]; ra != rb {
			return ra - rb
		}
		switch {
		case idLess(a.ID, b.ID):
			return -1
		case idLess(b.ID, a.ID):
			return 1
		}
		return 0
	})
	return run
}

// checkOf is one spec's check; ok is false for a spec not part of the run.
func checkOf(sr types.SpecReport, selected func(types.SpecReport) bool, interrupted bool) (report.Check, bool) {
	c := report.Check{Duration: sr.RunTime}
	if len(sr.ContainerHierarchyTexts) >= 3 {
		c.Target = sr.ContainerHierarchyTexts[1]
		c.Group, c.GroupTitle, _ = strings.Cut(sr.ContainerHierarchyTexts[2], " ")
	}
	c.ID, c.Requirement, _ = strings.Cut(sr.LeafNodeText, ": ")
	for _, l := range sr.Labels() {
		switch {
		case l == "MUST" || l == "SHOULD" || l == "MAY" || l == "INFO":
			c.Level = l
		}
	}
	registry.Lock()
	c.Section = registry.m[c.ID].Section
	registry.Unlock()
	msg := harness.Scrub(sr.Failure.Message)
	for _, e := range sr.ReportEntries {
		switch e.Name {
		case EntryWarn:
			c.Warnings = append(c.Warnings, harness.Scrub(e.StringRepresentation()))
		case EntrySaw:
			c.Saw = append(c.Saw, strings.TrimPrefix(harness.Scrub(e.StringRepresentation()), c.ID+": "))
		}
	}
	switch {
	case sr.State.Is(types.SpecStatePassed) && len(c.Warnings) > 0:
		c.Verdict = report.Warn
		c.Reason, c.Evidence = splitCheckReport(c.Warnings[0], c.Requirement)
	case sr.State.Is(types.SpecStatePassed):
		c.Verdict = report.Pass
	case sr.State.Is(types.SpecStateInterrupted),
		interrupted && sr.State.Is(types.SpecStateSkipped) && sr.Failure.Message == "" && selected != nil && selected(sr):
		// A signal is not the server's failure.
		c.Verdict, c.Reason = report.NotRun, "interrupted"
	case sr.State.Is(types.SpecStateSkipped|types.SpecStatePending) && sr.Failure.Message == "":
		// Left out by --label-filter or focus, not skipped for a reason.
		return c, false
	case sr.State.Is(types.SpecStateSkipped) && strings.HasPrefix(msg, DryRunPrefix):
		c.Verdict = report.WouldRun
	case sr.State.Is(types.SpecStateSkipped) && strings.HasPrefix(msg, NotRunPrefix):
		c.Verdict = report.NotRun
		c.Reason = strings.TrimPrefix(strings.TrimPrefix(msg, NotRunPrefix), c.ID+": ")
	case sr.State.Is(types.SpecStateSkipped | types.SpecStatePending):
		c.Verdict = report.Skip
		c.Reason = strings.TrimPrefix(msg, c.ID+": ")
	case sr.State.Is(types.SpecStateTimedout):
		c.Verdict = report.Fail
		c.Reason = fmt.Sprintf("the check did not finish within its time limit (%s): a target that does not answer is not compliant", sr.RunTime.Round(time.Second))
		c.Evidence = msg
	default:
		c.Verdict = report.Fail
		c.Reason, c.Evidence = splitCheckReport(msg, c.Requirement)
	}
	return c, true
}

// splitCheckReport splits a harness.Check report ("FAIL ID (MUST, RFC
// ...): requirement — message" then the evidence) into its message and the
// evidence; any other text is its first line and the rest.
func splitCheckReport(msg, requirement string) (reason, evidence string) {
	line, rest, _ := strings.Cut(msg, "\n")
	if requirement != "" {
		if i := strings.Index(line, requirement+" — "); i >= 0 {
			line = line[i+len(requirement)+len(" — "):]
		}
	}
	if strings.HasPrefix(msg, "strict mode: ") {
		line = "strict mode (a WARN fails): " + line
	}
	return line, strings.TrimSpace(rest)
}
