package drivers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/oauthconform/oauthconform/suites/harness"
	"github.com/oauthconform/oauthconform/suites/target"
)

// CommandDriver obtains authorization responses from a program the user
// supplies: a headless-browser script, a provider's test CLI, or a prompt
// that asks a human to paste the result.
//
// The protocol:
//
//   - The program is run as Argv with the full authorization request URL
//     appended as its last argument. The environment is the harness's plus:
//     OAUTHCONFORM_AUTHORIZE_URL (the same URL), OAUTHCONFORM_REDIRECT_URI (the
//     request's redirect_uri, empty when it has none), OAUTHCONFORM_DENY ("1"
//     when the user must refuse consent, else "0"), and, when a user is
//     configured, OAUTHCONFORM_USERNAME and OAUTHCONFORM_PASSWORD. Standard
//     input is empty.
//   - On success it exits 0 and its last non-empty line of standard output
//     is the result, one of:
//     1. the final redirect URL the provider sent the browser to, e.g.
//     https://client.example/cb?code=…&state=… (implicit and error
//     responses too: the query and fragment are parsed);
//     2. the response parameters alone, form-encoded, with a leading "?" for
//     the query (the default) or "#" for the fragment, e.g.
//     "code=…&state=…" or "#access_token=…&state=…";
//     3. a bare authorization code. The response then holds no state, so
//     the specs that check state fail: prefer printing the URL;
//     4. "page:" followed by an optional HTTP status and a text, e.g.
//     "page: 400 Invalid redirect URI": the flow ended on a page of the
//     server (an error page) without redirecting back to the client.
//   - Exit status 3 means "this request cannot be performed" (for example the
//     program cannot refuse consent): the specs that need it are skipped.
//     Any other non-zero status is an error, reported with the end of
//     standard error.
//
// The program is killed when the spec's context ends or after Timeout.
type CommandDriver struct {
	Argv         []string
	AuthorizeURL string
	User         *target.User
	// Timeout bounds one run; zero means two minutes.
	Timeout time.Duration
}

// NewCommandDriver returns a command driver for the endpoint.
func NewCommandDriver(argv []string, authorizeURL string, user *target.User) *CommandDriver {
	return &CommandDriver{Argv: argv, AuthorizeURL: authorizeURL, User: user}
}

// Environment variables the command driver sets.
const (
	EnvAuthorizeURL = "OAUTHCONFORM_AUTHORIZE_URL"
	EnvRedirectURI  = "OAUTHCONFORM_REDIRECT_URI"
	EnvDeny         = "OAUTHCONFORM_DENY"
	EnvUsername     = "OAUTHCONFORM_USERNAME"
	EnvPassword     = "OAUTHCONFORM_PASSWORD"
)

// CommandNotSupportedExit is the exit status by which the command declines a
// request.
const CommandNotSupportedExit = 3

const (
	commandDefaultTimeout = 2 * time.Minute
	commandMaxStdout      = 1 << 20
	commandMaxStderr      = 64 << 10
)

// cappedBuffer keeps the first max bytes written to it.
type cappedBuffer struct {
	buf bytes.Buffer
	max int
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// Authorize runs the command for the request.
func (d *CommandDriver) Authorize(ctx context.Context, req AuthzRequest) (*AuthzResult, error) {
	res := &AuthzResult{Query: url.Values{}, Fragment: url.Values{}}
	if len(d.Argv) == 0 || d.Argv[0] == "" {
		return res, errors.New("command driver: no command is configured")
	}
	if d.AuthorizeURL == "" {
		return res, errors.New("command driver: no authorization endpoint is configured")
	}
	authz := authorizeTarget(d.AuthorizeURL, req)
	timeout := d.Timeout
	if timeout <= 0 {
		timeout = commandDefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	args := append(append([]string{}, d.Argv[1:]...), authz)
	cmd := exec.CommandContext(ctx, d.Argv[0], args...)
	deny := "0"
	if req.Deny {
		deny = "1"
	}
	env := append(os.Environ(), EnvAuthorizeURL+"="+authz, EnvRedirectURI+"="+requestRedirectURI(req), EnvDeny+"="+deny)
	if d.User != nil {
		env = append(env, EnvUsername+"="+d.User.Username, EnvPassword+"="+string(d.User.Password))
	}
	cmd.Env = env
	cmd.Stdin = nil
	stdout := &cappedBuffer{max: commandMaxStdout}
	stderr := &cappedBuffer{max: commandMaxStderr}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	// A grandchild (a browser) holding the pipes open must not hang the run.
	ownProcessGroup(cmd)
	cmd.WaitDelay = 5 * time.Second

	// The evidence: which URL the command was asked to complete.
	ex := &harness.Exchange{Method: "EXEC", URL: authz}
	res.Exchanges = append(res.Exchanges, ex)
	start := time.Now()
	err := cmd.Run()
	ex.Duration = time.Since(start)
	if err != nil {
		ex.Err = err
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() == CommandNotSupportedExit {
			return res, fmt.Errorf("%w (the command exited with status %d)", ErrNotSupported, CommandNotSupportedExit)
		}
		if ctx.Err() != nil {
			return res, fmt.Errorf("command driver: %s: %w", d.Argv[0], ctx.Err())
		}
		return res, fmt.Errorf("command driver: %s: %w; stderr: %s", d.Argv[0], err, tail(d.redact(stderr.buf.String()), 1024))
	}
	// The evidence shows what the command printed (redacted).
	ex.Status = http.StatusOK
	ex.Header = http.Header{"Content-Type": {"text/plain"}}
	ex.Body = []byte(tail(d.redact(stdout.buf.String()), 4096))
	line := lastLine(stdout.buf.String())
	if line == "" {
		return res, fmt.Errorf("command driver: %s printed no result on standard output", d.Argv[0])
	}
	parseCommandResult(line, res)
	return res, nil
}

// redact keeps credentials out of the command's standard error before it
// reaches an error message (and so a report): the user's password wherever
// it appears, and codes and tokens written as name=value or JSON members.
// It runs before tail, so a cut cannot split a secret past recognition.
func (d *CommandDriver) redact(s string) string {
	if d.User != nil && d.User.Password != "" {
		pw := string(d.User.Password)
		s = strings.ReplaceAll(s, pw, harness.Redacted(pw))
	}
	return harness.RedactBody("text/plain", []byte(s))
}

func lastLine(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			return l
		}
	}
	return ""
}

func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		s = "…" + s[len(s)-n:]
	}
	if s == "" {
		return "(empty)"
	}
	return s
}

// responseParams are the parameters that mark a line as a parameter list
// rather than a bare code.
var responseParams = []string{"code", "error", "access_token", "state"}

// parseCommandResult fills res from the command's result line.
func parseCommandResult(line string, res *AuthzResult) {
	if rest, ok := strings.CutPrefix(line, "page:"); ok {
		rest = strings.TrimSpace(rest)
		page := &harness.Exchange{Method: "PAGE", URL: "(the page the command's browser ended on)", Status: http.StatusOK,
			Header: http.Header{"Content-Type": {"text/plain"}}}
		if code, text, _ := strings.Cut(rest, " "); len(code) == 3 {
			if n, err := strconv.Atoi(code); err == nil && n >= 100 && n <= 599 {
				page.Status, rest = n, text
			}
		}
		page.Body = []byte(rest)
		res.Page = page
		res.Exchanges = append(res.Exchanges, page)
		return
	}
	if u, err := url.Parse(line); err == nil && u.Scheme != "" && (strings.Contains(line, "://") || strings.ContainsAny(line, "?#")) {
		res.Redirect = u
		res.Query, res.Fragment = splitResponseParams(line)
		return
	}
	switch {
	case strings.HasPrefix(line, "#"):
		res.Fragment, _ = url.ParseQuery(line[1:])
		return
	case strings.HasPrefix(line, "?"):
		res.Query, _ = url.ParseQuery(line[1:])
		return
	}
	if v, err := url.ParseQuery(line); err == nil {
		for _, k := range responseParams {
			if v.Has(k) {
				res.Query = v
				return
			}
		}
	}
	res.Query = url.Values{"code": {line}}
}
