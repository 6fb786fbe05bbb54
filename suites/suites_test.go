package suites

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oauthconform/oauthconform/suites/engine"
	"github.com/oauthconform/oauthconform/suites/target"
)

// isChild reports whether this test process is a child of the garbage-target
// test (Ginkgo runs one suite per process, so it re-executes this binary).
func isChild() bool {
	return os.Getenv(garbageChildEnv) != ""
}

// TestTarget runs the specs against the target file named by
// OAUTHCONFORM_TARGET (the embedded mocks run in the external test package's
// TestConformance):
//
//	OAUTHCONFORM_TARGET=fixtures/targets/rfc6749.yaml go test ./suites -run TestTarget
func TestTarget(t *testing.T) {
	file := os.Getenv("OAUTHCONFORM_TARGET")
	if isChild() || file == "" {
		t.Skip("set OAUTHCONFORM_TARGET to a target file")
	}
	if !filepath.IsAbs(file) {
		file = filepath.Join("..", file) // tests run in suites/
	}
	tg, err := target.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	e, err := engine.NewEnv(context.Background(), tg, engine.EnvOptions{Name: strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))})
	if err != nil {
		t.Fatal(err)
	}
	res, err := engine.Run(engine.RunConfig{Envs: []*engine.Env{e}, T: t, NoColor: true})
	if err != nil {
		t.Fatal(err)
	}
	res.Run.Print(os.Stdout, testing.Verbose())
}
