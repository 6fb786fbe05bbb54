// Command oauthconform runs the OAuth 2.0 conformance harness and its
// reference mock provider. It is a thin layer of flags over the library
// packages (profile, mockserver, suites): every behaviour lives there.
//
// Exit codes: 0 success, 1 runtime error, 2 usage or configuration error.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// Exit codes.
const (
	exitOK      = 0
	exitRuntime = 1
	exitUsage   = 2
	// exitInterrupted is the shell's code for a process ended by SIGINT.
	exitInterrupted = 130
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the command line args and returns the process exit code. It
// never exits itself, so tests can drive it with their own context and
// writers.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(stderr, "%s: %v\n", root.Name(), err)
	var ue *usageError
	if errors.As(err, &ue) {
		if cmd == nil {
			cmd = root
		}
		if !ue.noHint {
			fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		}
		return exitUsage
	}
	if errors.Is(err, errInterrupted) {
		return exitInterrupted
	}
	return exitRuntime
}

// newRootCmd builds the command tree. Subcommands write to the given
// writers, never to os.Stdout/os.Stderr directly.
func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "oauthconform",
		Short: "OAuth 2.0 conformance harness and reference mock provider",
		Long: "oauthconform checks OAuth 2.0 providers against RFC 6749 and its family, profile by profile,\n" +
			"and ships the mock provider the checks are proven on.",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return nil
			}
			msg := fmt.Sprintf("unknown command %q", args[0])
			if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
				msg += "; did you mean " + strings.Join(s, " or ") + "?"
			}
			return &usageError{msg: msg}
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmd.Help()
		},
		SilenceErrors:              true,
		SilenceUsage:               true,
		SuggestionsMinimumDistance: 2,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	// Flag parse errors (unknown flag, bad value) are usage errors. The
	// function is inherited by every subcommand.
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &usageError{msg: err.Error()}
	})
	root.CompletionOptions.DisableDefaultCmd = true

	root.AddCommand(
		newTestCmd(),
		newListCmd(),
		newServeCmd(),
		newVersionCmd(),
	)
	return root
}

// usageError is a usage or configuration mistake: exit code 2. Its message
// names the flag or field at fault.
type usageError struct {
	msg string
	err error
	// noHint leaves out the pointer to --help (a setup error names its
	// own fix).
	noHint bool
}

func (e *usageError) Error() string {
	if e.err == nil {
		return e.msg
	}
	if e.msg == "" {
		return e.err.Error()
	}
	return e.msg + ": " + e.err.Error()
}

func (e *usageError) Unwrap() error { return e.err }

// flagError reports a bad value of flag (named without dashes).
func flagError(flag string, err error) error {
	return &usageError{msg: "--" + flag, err: err}
}

// flagErrorf reports a bad value of flag with a formatted message.
func flagErrorf(flag, format string, args ...any) error {
	return &usageError{msg: "--" + flag + ": " + fmt.Sprintf(format, args...)}
}

// noArgs rejects positional arguments as a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return &usageError{msg: fmt.Sprintf("%s takes no arguments, got %q", cmd.CommandPath(), args)}
	}
	return nil
}
