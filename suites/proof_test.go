package suites

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauthconform/oauthconform/mockserver"
)

// The proof that every check can fail: the specs run against the embedded
// mock of each profile with no quirk (everything passes or skips), then with
// each quirk alone (the assertions the quirk names fail, or warn for SHOULD,
// and nothing else fails), and every implemented assertion ID is killed by
// at least one quirk.
//
// Ginkgo runs one suite per process, so each profile's matrix runs in a child
// process (this test binary, re-executed into TestMatrixChild).

const childEnv = "OAUTHCONFORM_MATRIX_CHILD"

type childConfig struct {
	Profile string     `json:"profile"`
	Quirks  [][]string `json:"quirks"` // one environment per entry; empty = clean
	Out     string     `json:"out"`
}

type childResult struct {
	Env   string `json:"env"`
	ID    string `json:"id"`
	Level string `json:"level"`
	State string `json:"state"`
	Warn  bool   `json:"warn"`
	Msg   string `json:"msg"`
}

// TestMatrixChild is the child side; it does nothing in a normal run.
func TestMatrixChild(t *testing.T) {
	raw := os.Getenv(childEnv)
	if raw == "" {
		t.Skip("runs only as a child of TestQuirkMatrix")
	}
	var cfg childConfig
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		t.Fatal(err)
	}
	var all []*Env
	for _, qs := range cfg.Quirks {
		e, stop, err := EmbeddedEnv(cfg.Profile, qs...)
		if err != nil {
			t.Fatal(err)
		}
		defer stop()
		all = append(all, e)
	}
	// Failures are the point here: they go to the result file, not to t.
	res, err := Run(RunConfig{Envs: all, NoColor: true})
	if err != nil {
		t.Fatal(err)
	}
	var out []childResult
	for _, s := range res.Summary.Specs {
		out = append(out, childResult{Env: s.Env, ID: s.ID, Level: s.Level, State: s.State, Warn: len(s.Warnings) > 0, Msg: firstLine(s.Message)})
	}
	b, _ := json.Marshal(out)
	if err := os.WriteFile(cfg.Out, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

var matrixProfiles = []string{"rfc6749", "oauth20-intents", "merchant-customer", "oob-pkce"}

// TestQuirkMatrix is the proof. OAUTHCONFORM_MATRIX_QUIRKS=a,b limits it to
// some quirks while working on them.
func TestQuirkMatrix(t *testing.T) {
	if isChild() {
		t.Skip("child")
	}
	quirks := mockserver.Quirks()
	if only := os.Getenv("OAUTHCONFORM_MATRIX_QUIRKS"); only != "" {
		want := strings.Split(only, ",")
		quirks = slices.DeleteFunc(quirks, func(q mockserver.QuirkInfo) bool { return !slices.Contains(want, q.Name) })
	}
	envsFor := [][]string{nil}
	for _, q := range quirks {
		envsFor = append(envsFor, []string{q.Name})
	}
	dir := t.TempDir()
	results := map[string][]childResult{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for _, prof := range matrixProfiles {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			out := filepath.Join(dir, prof+".json")
			cfg, _ := json.Marshal(childConfig{Profile: prof, Quirks: envsFor, Out: out})
			ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestMatrixChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), childEnv+"="+string(cfg))
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("%s child: %v\n%s", prof, err, b)
				return
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Errorf("%s child: %v", prof, err)
				return
			}
			var rs []childResult
			if err := json.Unmarshal(b, &rs); err != nil {
				t.Errorf("%s child: %v", prof, err)
				return
			}
			mu.Lock()
			results[prof] = rs
			mu.Unlock()
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	implemented := map[string]bool{}
	killedBy := map[string][]string{}   // assertion ID -> quirks that kill it
	quirkKills := map[string][]string{} // quirk -> IDs it killed
	// cleanWarn[profile][ID]: the correct mock already warns (e.g. TOK-CC-002
	// on merchant-customer, whose dialect issues refresh tokens there), so a
	// warning with a quirk kills nothing.
	cleanWarn := map[string]map[string]bool{}
	for prof, rs := range results {
		cleanWarn[prof] = map[string]bool{}
		for _, r := range rs {
			if r.Env == prof && r.Warn {
				cleanWarn[prof][r.ID] = true
			}
		}
	}
	for prof, rs := range results {
		for _, r := range rs {
			// INFO-level assertions only observe (e.g. TOK-ERR-006): they
			// cannot fail by design and are exempt from the kill rule.
			if r.Level != "INFO" {
				implemented[r.ID] = true
			}
			quirk := strings.TrimPrefix(r.Env, prof)
			quirk = strings.TrimPrefix(quirk, "+")
			newWarn := r.Warn && !cleanWarn[prof][r.ID]
			killed := r.State == "failed" || (newWarn && r.Level != "MUST")
			if quirk == "" {
				if r.State == "failed" {
					t.Errorf("correct mock %s fails %s: %s", prof, r.ID, r.Msg)
				}
				continue
			}
			info, _ := mockserver.LookupQuirk(quirk)
			if !killed {
				// A WARN of a MUST assertion kills nothing (the assertion
				// still needs a quirk that fails it), but it is the catch a
				// quirk naming the assertion's SHOULD part expects (TLS 1.0
				// accepted: a WARN of TOK-GEN-002).
				if newWarn && slices.Contains(info.Assertions, r.ID) && !slices.Contains(quirkKills[quirk], r.ID) {
					quirkKills[quirk] = append(quirkKills[quirk], r.ID)
				}
				continue
			}
			if r.State == "failed" && !slices.Contains(info.Assertions, r.ID) {
				t.Errorf("quirk %s on %s also fails %s, which it does not name: %s", quirk, prof, r.ID, r.Msg)
			}
			if !slices.Contains(killedBy[r.ID], quirk) {
				killedBy[r.ID] = append(killedBy[r.ID], quirk)
			}
			if !slices.Contains(quirkKills[quirk], r.ID) {
				quirkKills[quirk] = append(quirkKills[quirk], r.ID)
			}
		}
	}
	for _, q := range quirks {
		for _, id := range q.Assertions {
			if implemented[id] && !slices.Contains(quirkKills[q.Name], id) {
				t.Errorf("quirk %s names %s, but no profile's %s spec failed or warned with it", q.Name, id, id)
			}
		}
	}
	if os.Getenv("OAUTHCONFORM_MATRIX_QUIRKS") == "" {
		var ids []string
		for id := range implemented {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			if len(killedBy[id]) == 0 {
				t.Errorf("assertion %s is implemented but no quirk makes its spec fail: a check that cannot fail", id)
			}
		}
	}
	if testing.Verbose() || os.Getenv("OAUTHCONFORM_MATRIX_PRINT") != "" {
		names := make([]string, 0, len(quirkKills))
		for q := range quirkKills {
			names = append(names, q)
		}
		sort.Strings(names)
		for _, q := range names {
			ids := quirkKills[q]
			sort.Strings(ids)
			fmt.Printf("%-40s %s\n", q, strings.Join(ids, " "))
		}
	}
}
