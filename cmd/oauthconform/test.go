package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/oauthconform/oauthconform/internal/suggest"
	"github.com/oauthconform/oauthconform/mockserver/mocktarget"
	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites"
	"github.com/oauthconform/oauthconform/suites/report"
	"github.com/oauthconform/oauthconform/suites/target"
)

// clientSecretEnv holds the primary client's secret for --issuer runs, so it
// stays out of the process list.
const clientSecretEnv = "OAUTHCONFORM_CLIENT_SECRET"

// errChecksFailed makes `test` exit 1 after printing its report.
var errChecksFailed = errors.New("conformance checks failed")

// errInterrupted makes `test` exit 130 (the shell's code for SIGINT) after
// printing the partial report.
var errInterrupted = errors.New("interrupted: the report is partial")

type testOptions struct {
	stderr       io.Writer
	targetFile   string
	issuer       string
	clientID     string
	clientSecret string
	scopes       []string
	redirectURI  string
	authMethod   string
	endpoints    map[string]string
	profiles     []string
	quirks       []string
	labelFilter  string
	focus        []string
	skip         []string
	dryRun       bool
	failFast     bool
	junit        string
	jsonReport   string
	ginkgoJSON   string
	baseline     string
	github       bool
	strict       bool
	verbose      bool
	insecure     bool
	caFile       string
	timeout      time.Duration
	noColor      bool
}

func newTestCmd() *cobra.Command {
	o := &testOptions{}
	cmd := &cobra.Command{
		Use:   "test",
		Short: "Run the conformance suites against a target, or the embedded mock of every profile",
		Long: "test runs the compiled-in conformance specs. With --target (a target YAML file) or --issuer\n" +
			"it checks that server; with neither it starts the embedded mock provider of each built-in\n" +
			"profile and checks each. It exits 0 when no MUST check failed, 1 when one did, and 2 for a\n" +
			"usage or configuration error, and 130 when interrupted (the report is then partial). A\n" +
			"SHOULD breach is a WARN, a failure only with --strict. A target that stops answering ends\n" +
			"the run early: the checks not yet run are reported as not run, and the exit is 1.\n\n" +
			"--label-filter EXPR selects checks by label (ID, level, group, RFC section). The checks\n" +
			"labelled intrusive (they may lock a client out) stay off unless EXPR names intrusive:\n" +
			"'MUST' runs as '(MUST) && !intrusive'; 'intrusive' or 'TOK-AUTH && intrusive' runs them.",
		Example: "  oauthconform test\n" +
			"  oauthconform test --profile oob-pkce -v\n" +
			"  OAUTHCONFORM_CLIENT_SECRET=... oauthconform test --issuer https://staging.example.com --client-id ci\n" +
			"  oauthconform test --target fixtures/targets/rfc6749.yaml --junit-report junit.xml\n" +
			"  oauthconform test --label-filter 'MUST && TOK-RESP'\n" +
			"  oauthconform test --quirk no-pragma   # the embedded mock, broken on purpose",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.stderr = cmd.ErrOrStderr()
			return o.run(cmd.Context(), cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.SortFlags = false
	f.StringVar(&o.targetFile, "target", "", "target YAML `file` (see docs/TARGETS.md)")
	f.StringVar(&o.issuer, "issuer", "", "base `URL` of the server to check (the common case, instead of --target)")
	f.StringVar(&o.clientID, "client-id", "", "client id of the primary client (with --issuer)")
	f.StringVar(&o.clientSecret, "client-secret", "", "client secret of the primary client (with --issuer; omit for a public client). Prefer the environment variable "+clientSecretEnv+": a flag shows in ps and shell history")
	f.StringArrayVar(&o.scopes, "scope", nil, "with --issuer: a scope value the client may request (repeatable, or space-separated); none given: no scope is assumed")
	f.StringVar(&o.redirectURI, "redirect-uri", "", "with --issuer: the client's registered redirect `URI`")
	f.StringVar(&o.authMethod, "auth-method", "", "with --issuer: how the client authenticates: client_secret_basic, client_secret_post or none (default: from the metadata)")
	o.endpoints = map[string]string{}
	for _, ep := range []string{"token", "authorize", "revocation", "introspection"} {
		f.Var(endpointFlag{o.endpoints, ep}, ep+"-endpoint", "with --issuer: the "+ep+" endpoint (`URL` or path; none: the server has none); default: the metadata's, else the dialect's path")
	}
	f.StringSliceVar(&o.profiles, "profile", nil, "profile(s) to check: with --issuer the target's dialect (default rfc6749); with no target the embedded mocks to run (default: all)")
	f.StringSliceVar(&o.quirks, "quirk", nil, "with no target: turn these quirks on in the embedded mocks (see `serve --list-quirks`)")
	f.StringVar(&o.labelFilter, "label-filter", "", "Ginkgo label `expression` over IDs, levels, groups and RFC sections, e.g. 'MUST && !slow'; it runs as '(EXPR) && !intrusive' unless it names intrusive (default '!intrusive')")
	f.StringArrayVar(&o.focus, "focus", nil, "run only the checks whose ID or requirement matches this `regexp` (repeatable)")
	f.StringArrayVar(&o.skip, "skip", nil, "leave out the checks whose ID or requirement matches this `regexp` (repeatable)")
	f.BoolVar(&o.dryRun, "dry-run", false, "list the checks that would run against the target, and why the others would skip, without running any")
	f.BoolVar(&o.failFast, "fail-fast", false, "stop at the first failed check (the rest are not part of the run)")
	f.StringVar(&o.junit, "junit-report", "", "write a JUnit XML report to `file` (one testsuite per target and group)")
	f.StringVar(&o.jsonReport, "json-report", "", "write the JSON report (schemas/report.schema.json) to `file`")
	f.StringVar(&o.baseline, "baseline", "", "YAML `file` of accepted failures (ID, optional target, reason): they WARN instead of failing, and entries that no longer fail are reported as stale")
	f.BoolVar(&o.github, "github-annotations", os.Getenv("GITHUB_ACTIONS") == "true", "print GitHub Actions annotations (::error/::warning) and write the job summary to $GITHUB_STEP_SUMMARY (default: on in GitHub Actions)")
	f.StringVar(&o.ginkgoJSON, "ginkgo-json-report", "", "also write Ginkgo's own JSON report to `file` (to debug the harness)")
	f.BoolVar(&o.strict, "strict", false, "treat WARN (SHOULD breaches, ambiguous answers) as failures")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "print every spec and every WARN's evidence")
	f.BoolVar(&o.insecure, "insecure", false, "skip TLS certificate verification of the target")
	f.StringVar(&o.caFile, "ca-file", "", "PEM `file` of CA certificates to trust for the target")
	f.DurationVar(&o.timeout, "timeout", time.Hour, "bound on the whole run")
	f.BoolVar(&o.noColor, "no-color", false, "no colour in the progress output")
	return cmd
}

func (o *testOptions) envs(ctx context.Context) ([]*suites.Env, func(), error) {
	var envs []*suites.Env
	var stops []func()
	stopAll := func() {
		for _, s := range stops {
			s()
		}
	}
	quickOnly := len(o.scopes) > 0 || o.redirectURI != "" || o.authMethod != "" || len(o.endpoints) > 0
	switch {
	case o.targetFile != "" && o.issuer != "":
		return nil, nil, &usageError{msg: "--target and --issuer: give one or the other"}
	case o.targetFile != "" || o.issuer != "":
		if len(o.quirks) > 0 {
			return nil, nil, &usageError{msg: "--quirk applies only to the embedded mock (no --target or --issuer)"}
		}
		var t *target.Target
		var err error
		name := ""
		if o.targetFile != "" {
			if len(o.profiles) > 0 {
				return nil, nil, &usageError{msg: "--profile: the target file names its profile"}
			}
			if quickOnly {
				return nil, nil, &usageError{msg: "--scope, --redirect-uri, --auth-method and the endpoint flags go with --issuer; a target file says these itself"}
			}
			if t, err = target.Load(o.targetFile); err != nil {
				return nil, nil, &usageError{msg: "--target", err: err}
			}
			name = strings.TrimSuffix(filepath.Base(o.targetFile), filepath.Ext(o.targetFile))
		} else {
			if o.clientID == "" {
				return nil, nil, &usageError{msg: "--client-id is required with --issuer"}
			}
			if o.clientSecret == "" {
				o.clientSecret = os.Getenv(clientSecretEnv)
			}
			prof := profile.DefaultName
			if len(o.profiles) > 1 {
				return nil, nil, &usageError{msg: "--profile: a target speaks one profile"}
			} else if len(o.profiles) == 1 {
				prof = o.profiles[0]
			}
			q := target.Quick{Issuer: o.issuer, ClientID: o.clientID, ClientSecret: o.clientSecret, Profile: prof,
				Scopes: o.scopes, RedirectURI: o.redirectURI, AuthMethod: o.authMethod, Endpoints: map[target.Endpoint]string{}}
			for k, v := range o.endpoints {
				q.Endpoints[target.Endpoint(k)] = v
			}
			if t, err = target.FromQuick(q); err != nil {
				return nil, nil, &usageError{msg: "--issuer", err: err}
			}
			u, _ := url.Parse(o.issuer)
			name = t.Dialect.Name + "@" + u.Host
		}
		if o.insecure {
			t.TLS.Insecure = true
		}
		if o.caFile != "" {
			t.TLS.CAFile = o.caFile
		}
		e, err := suites.NewEnv(ctx, t, suites.EnvOptions{Name: name})
		if err != nil {
			return nil, nil, setupErr(err)
		}
		envs = append(envs, e)
	default:
		if o.clientID != "" || o.clientSecret != "" || quickOnly {
			return nil, nil, &usageError{msg: "--client-id, --client-secret, --scope, --redirect-uri, --auth-method and the endpoint flags go with --issuer"}
		}
		names := o.profiles
		if len(names) == 0 {
			names = suites.Profiles
		}
		for _, n := range names {
			e, stop, err := mocktarget.Start(ctx, n, mocktarget.Options{Quirks: o.quirks})
			if err != nil {
				stopAll()
				return nil, nil, &usageError{msg: "--profile/--quirk", err: err}
			}
			stops = append(stops, stop)
			envs = append(envs, e)
		}
	}
	for _, e := range envs {
		e.Strict = o.strict
	}
	return envs, stopAll, nil
}

// setupErr makes a suites.SetupError a configuration error (exit 2).
func setupErr(err error) error {
	var se *suites.SetupError
	if errors.As(err, &se) {
		return &usageError{msg: "setup", err: se, noHint: true}
	}
	return &usageError{msg: "target", err: err}
}

func (o *testOptions) run(ctx context.Context, stdout io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	filter, err := runLabelFilter(o.labelFilter)
	if err != nil {
		return err
	}
	for _, re := range append(slices.Clone(o.focus), o.skip...) {
		if _, err := regexp.Compile(re); err != nil {
			return flagError("focus/skip", err)
		}
	}
	var base *report.Baseline
	if o.baseline != "" {
		var err error
		if base, err = report.LoadBaseline(o.baseline, knownCheck); err != nil {
			return &usageError{msg: "--baseline", err: err}
		}
	}
	envs, stop, err := o.envs(ctx)
	if err != nil {
		return err
	}
	defer stop()
	for _, e := range envs {
		for _, n := range e.Notes {
			fmt.Fprintf(stdout, "NOTE %s: %s\n", e.Name, n)
		}
	}
	// Progress marks go to a terminal only: a CI log gets the summary.
	var prog io.Writer
	if isTerminal(o.stderr) && !o.dryRun {
		prog = o.stderr
	}
	names := make([]string, len(envs))
	for i, e := range envs {
		names[i] = e.Name
	}
	if !o.dryRun {
		fmt.Fprintf(o.stderr, "oauthconform: checking %s\n", strings.Join(names, ", "))
	}
	res, err := suites.Run(suites.RunConfig{
		Envs: envs, LabelFilter: filter, FocusStrings: o.focus, SkipStrings: o.skip,
		DryRun: o.dryRun, FailFast: o.failFast, GinkgoJSONReport: o.ginkgoJSON,
		Timeout: o.timeout, NoColor: o.noColor || !isTerminal(stdout),
		Progress: prog, Notices: o.stderr,
	})
	if err != nil {
		return err
	}
	run := res.Run
	run.Version = buildVersion()
	if len(run.Checks) == 0 && !res.Interrupted {
		return &usageError{msg: "--label-filter/--focus/--skip: no check matched"}
	}
	if o.dryRun {
		run.PrintDryRun(stdout)
		return nil
	}
	run.Apply(base)
	switch {
	case res.Interrupted:
		run.ExitCode = 130
	case run.Failed() > 0 || run.NotRun() > 0:
		// Checks that never ran because the target stopped answering are
		// no evidence of compliance.
		run.ExitCode = 1
	}
	run.Print(stdout, o.verbose)
	if o.github {
		run.WriteGitHubAnnotations(stdout)
		if f := os.Getenv("GITHUB_STEP_SUMMARY"); f != "" {
			if err := appendFile(f, run.WriteGitHubSummary); err != nil {
				fmt.Fprintf(o.stderr, "oauthconform: the job summary: %v\n", err)
			}
		}
	}
	if err := writeReport(o.junit, func(w io.Writer) error { return run.WriteJUnit(w) }); err != nil {
		return err
	}
	if err := writeReport(o.jsonReport, func(w io.Writer) error { return run.WriteJSON(w) }); err != nil {
		return err
	}
	switch run.ExitCode {
	case 130:
		return errInterrupted
	case 1:
		return errChecksFailed
	}
	return nil
}

// writeReport writes a report file ("" writes none).
func writeReport(file string, write func(io.Writer) error) error {
	if file == "" {
		return nil
	}
	f, err := os.Create(file)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// appendFile appends what write writes to file.
func appendFile(file string, write func(io.Writer)) error {
	f, err := os.OpenFile(file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	write(f)
	return f.Close()
}

// knownCheck reports whether id is an assertion of the catalogue, else the
// nearest one.
func knownCheck(id string) (bool, string) {
	as, err := suites.Catalogue()
	if err != nil {
		return true, ""
	}
	ids := make([]string, len(as))
	for i, a := range as {
		if a.ID == id {
			return true, ""
		}
		ids[i] = a.ID
	}
	return false, suggest.Nearest(id, ids)
}

// endpointFlag sets one endpoint of the quick form.
type endpointFlag struct {
	m    map[string]string
	name string
}

func (f endpointFlag) String() string     { return f.m[f.name] }
func (f endpointFlag) Set(v string) error { f.m[f.name] = v; return nil }
func (f endpointFlag) Type() string       { return "URL" }

func newListCmd() *cobra.Command {
	var markdown bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "Print the catalogue of checks (ID, level, RFC section, requirement)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			as, err := suites.Catalogue()
			if err != nil {
				return err
			}
			if markdown {
				suites.WriteCatalogue(cmd.OutOrStdout(), as)
			} else {
				suites.WriteList(cmd.OutOrStdout(), as)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&markdown, "markdown", false, "print docs/CATALOGUE.md")
	return cmd
}

// isTerminal reports whether w is a character device (colour makes sense).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
