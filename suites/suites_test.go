package suites

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oauthconform/oauthconform/suites/target"
)

// isChild reports whether this test process is a child of the quirk matrix,
// the catalogue check or the garbage-target test (Ginkgo runs one suite per
// process, so those re-execute this binary).
func isChild() bool {
	return os.Getenv(childEnv) != "" || os.Getenv(garbageChildEnv) != ""
}

// TestConformance runs the specs against the embedded mock of every
// profile (each spec passes, or skips for a stated reason), or against the
// target file named by OAUTHCONFORM_TARGET:
//
//	OAUTHCONFORM_TARGET=fixtures/targets/rfc6749.yaml go test ./suites -run TestConformance
func TestConformance(t *testing.T) {
	if isChild() {
		t.Skip("child")
	}
	var all []*Env
	if file := os.Getenv("OAUTHCONFORM_TARGET"); file != "" {
		if !filepath.IsAbs(file) {
			file = filepath.Join("..", file) // tests run in suites/
		}
		tg, err := target.Load(file)
		if err != nil {
			t.Fatal(err)
		}
		e, err := NewEnv(tg, strings.TrimSuffix(filepath.Base(file), filepath.Ext(file)))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, e)
	} else {
		for _, name := range Profiles {
			e, stop, err := EmbeddedEnv(name)
			if err != nil {
				t.Fatal(err)
			}
			defer stop()
			all = append(all, e)
		}
	}
	res, err := Run(RunConfig{Envs: all, T: t, NoColor: true})
	if err != nil {
		t.Fatal(err)
	}
	res.Summary.Print(os.Stdout, testing.Verbose())
}
