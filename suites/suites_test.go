package suites

import (
	"os"
	"testing"
)

// TestConformance runs the specs against the embedded mock of every
// profile: each spec passes, or skips for a stated reason.
func TestConformance(t *testing.T) {
	var all []*Env
	for _, name := range []string{"rfc6749", "oauth20-intents", "merchant-customer", "oob-pkce"} {
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
