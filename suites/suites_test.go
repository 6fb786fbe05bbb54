package suites

import (
	"os"
	"testing"
)

// TestConformance runs the specs against the embedded mock of every
// profile: each spec passes, or skips for a stated reason.
func TestConformance(t *testing.T) {
	if os.Getenv(childEnv) != "" || os.Getenv(catalogueChildEnv) != "" {
		t.Skip("child")
	}
	var all []*Env
	for _, name := range Profiles {
		e, stop, err := EmbeddedEnv(name)
		if err != nil {
			t.Fatal(err)
		}
		defer stop()
		all = append(all, e)
	}
	res, err := Run(RunConfig{Envs: all, T: t, Out: os.Stdout, NoColor: true})
	if err != nil {
		t.Fatal(err)
	}
	res.Summary.Print(os.Stdout, testing.Verbose())
}
