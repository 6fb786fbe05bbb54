package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The suites run once per process (a Ginkgo rule), so a test that runs
// them a second time, or sends the run a signal, runs this test binary
// again as the command: OAUTHCONFORM_CHILD_ARGS holds its arguments.
const childArgsEnv = "OAUTHCONFORM_CHILD_ARGS"

func TestMain(m *testing.M) {
	if raw := os.Getenv(childArgsEnv); raw != "" {
		var args []string
		if err := json.Unmarshal([]byte(raw), &args); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		os.Exit(run(context.Background(), args, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// childCmd is the command line args run in a child process.
func childCmd(t *testing.T, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	raw, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childArgsEnv+"="+string(raw))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	return cmd, &out, &errb
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if !errorsAs(err, &ee) {
		t.Fatalf("child: %v", err)
	}
	return ee.ExitCode()
}

func errorsAs(err error, target **exec.ExitError) bool {
	e, ok := err.(*exec.ExitError)
	if ok {
		*target = e
	}
	return ok
}

// flakyTarget answers like a minimal token endpoint (no metadata, every
// token request refused with invalid_grant) for its first answered
// requests, then holds every request without an answer; hung counts the
// requests held.
func flakyTarget(t *testing.T, answered int32) (srv *httptest.Server, hung *atomic.Int32) {
	t.Helper()
	var seen atomic.Int32
	hung = &atomic.Int32{}
	stop := make(chan struct{})
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if seen.Add(1) > answered {
			hung.Add(1)
			select {
			case <-stop:
			case <-r.Context().Done():
			}
			return
		}
		if strings.HasPrefix(r.URL.Path, "/.well-known/") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"error":"invalid_grant"}`)
	}))
	t.Cleanup(func() { close(stop); srv.Close() })
	return srv, hung
}

func writeTarget(t *testing.T, issuer, timeout string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "target.yaml")
	body := fmt.Sprintf("profile: rfc6749\nissuer: %s\ntimeout: %s\nclients:\n  primary:\n    id: c\n    secret: s3cret-value\n", issuer, timeout)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestUnresponsiveTargetEndsFast: once the target stops answering, a few
// timeouts trip the breaker and the checks not yet run are reported as not
// run, with one message, exit 1.
func TestUnresponsiveTargetEndsFast(t *testing.T) {
	// The preflight (a few requests) sees a live server; the checks then
	// meet a dead one.
	srv, hung := flakyTarget(t, 20)
	cmd, out, errb := childCmd(t, "test", "--target", writeTarget(t, srv.URL, "300ms"), "--no-color")
	err := cmd.Run()
	if code := exitCode(t, err); code != exitRuntime {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitRuntime, out, errb)
	}
	o := out.String()
	t.Log(o)
	for _, want := range []string{"NOT RUN", "the target stopped answering", "consecutive requests got no response", "not run\n"} {
		if !strings.Contains(o, want) {
			t.Errorf("output lacks %q\n%s", want, o)
		}
	}
	// The breaker let only a few requests wait on the dead target.
	if n := hung.Load(); n > 10 {
		t.Errorf("%d requests waited on the dead target", n)
	}
	if strings.Contains(o+errb.String(), "s3cret-value") {
		t.Error("the client secret is in the output")
	}
}

// TestInterruptedRun: SIGINT during a run stops it cleanly: no goroutine
// dumps, the interrupted check is not a failure, a partial summary, exit
// 130.
func TestInterruptedRun(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGINT to send")
	}
	srv, hung := flakyTarget(t, 20)
	cmd, out, errb := childCmd(t, "test", "--target", writeTarget(t, srv.URL, "1m"), "--no-color")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Interrupt while a check waits on the held request.
	for deadline := time.Now().Add(20 * time.Second); hung.Load() == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("no request was held\n%s", out)
		}
	}
	time.Sleep(100 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("the run did not end after SIGINT\n%s", out)
	}
	if code := exitCode(t, err); code != exitInterrupted {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitInterrupted, out, errb)
	}
	all := out.String() + errb.String()
	t.Log(all)
	for _, bad := range []string{"goroutine ", "Interrupted by User", "FAIL "} {
		if strings.Contains(all, bad) {
			t.Errorf("output has %q\n%s", bad, all)
		}
	}
	for _, want := range []string{"NOT RUN", "interrupted", "TOTAL"} {
		if !strings.Contains(all, want) {
			t.Errorf("output lacks %q\n%s", want, all)
		}
	}
}
