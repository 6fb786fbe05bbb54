package suites

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oauthconform/oauthconform/suites/engine"
	"github.com/oauthconform/oauthconform/suites/target"
)

const garbageChildEnv = "OAUTHCONFORM_GARBAGE_CHILD"

// garbageServer misbehaves in every way a broken target can: it hangs,
// resets connections, answers HTML, truncated or huge bodies, redirects in
// loops, and JSON of the wrong shapes, varying by request count.
func garbageServer(t *testing.T) *httptest.Server {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) % 9 {
		case 0:
			time.Sleep(2 * time.Second) // past the client timeout
		case 1:
			if hj, ok := w.(http.Hijacker); ok {
				c, _, _ := hj.Hijack()
				c.(*net.TCPConn).SetLinger(0)
				c.Close() // connection reset
			}
		case 2:
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<html><form><input name=x></form>")
		case 3:
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", "100")
			fmt.Fprint(w, `{"access_token":`) // truncated
		case 4:
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, strings.Repeat(`{"a":`, 10000)) // deep garbage
		case 5:
			http.Redirect(w, r, r.URL.String(), http.StatusFound) // loop
		case 6:
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"access_token":17,"token_type":["Bearer"],"expires_in":{"x":1},"error":3,"scope":null}`)
		case 7:
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `[]`)
		default:
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(make([]byte, 3<<20)) // past the body cap
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestGarbageTargetChild runs the suites against the garbage server.
func TestGarbageTargetChild(t *testing.T) {
	out := os.Getenv(garbageChildEnv)
	if out == "" {
		t.Skip("runs only as a child of TestGarbageTarget")
	}
	srv := garbageServer(t)
	tg, err := target.FromFlags(srv.URL, "conf-client", "conf-secret", "rfc6749")
	if err != nil {
		t.Fatal(err)
	}
	tg.Timeout = 500 * time.Millisecond
	e, err := engine.NewEnv(context.Background(), tg, engine.EnvOptions{Name: "garbage", NoPreflight: true})
	if err != nil {
		t.Fatal(err)
	}
	res, err := engine.Run(engine.RunConfig{Envs: []*engine.Env{e}, NoColor: true, LabelFilter: "!intrusive"})
	if err != nil {
		t.Fatal(err)
	}
	var states []string
	for _, sr := range res.Ginkgo.SpecReports {
		states = append(states, sr.State.String()+" "+sr.LeafNodeText)
	}
	b, _ := json.Marshal(map[string]any{"failed": res.Run.Failed(), "specs": len(res.Run.Checks), "states": states})
	if err := os.WriteFile(out, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestGarbageTarget: a target that hangs, resets, lies or answers garbage is
// reported as failed checks; no spec panics and the run ends.
func TestGarbageTarget(t *testing.T) {
	if isChild() {
		t.Skip("child")
	}
	out := t.TempDir() + "/garbage.json"
	cmd := exec.Command(os.Args[0], "-test.run=^TestGarbageTargetChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), garbageChildEnv+"="+out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("garbage child: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Failed, Specs int
		States        []string
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if res.Failed == 0 {
		t.Fatalf("no check failed against a garbage target (%d specs)", res.Specs)
	}
	for _, s := range res.States {
		if strings.HasPrefix(s, "panicked") || strings.HasPrefix(s, "timedout") || strings.HasPrefix(s, "interrupted") {
			t.Errorf("spec %s", s)
		}
	}
	t.Logf("%d of %d specs failed against the garbage target", res.Failed, res.Specs)
}
