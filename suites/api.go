package suites

import (
	"context"
	"io"

	"github.com/oauthconform/oauthconform/suites/engine"
	"github.com/oauthconform/oauthconform/suites/harness"
	"github.com/oauthconform/oauthconform/suites/target"
)

// What the oauthconform command and the tests use, re-exported from the
// engine so that importing this package is all it takes: the import also
// registers every spec of this package (each file's init).

// Env is one target under test (engine.Env).
type Env = engine.Env

// EnvOptions shape NewEnv (engine.EnvOptions).
type EnvOptions = engine.EnvOptions

// SetupError is a target that cannot be tested as configured (engine.SetupError).
type SetupError = engine.SetupError

// RunConfig configures one run of the suites (engine.RunConfig).
type RunConfig = engine.RunConfig

// Result is what a run found (engine.Result).
type Result = engine.Result

// LabelIntrusive marks specs that may lock out a client or user.
const LabelIntrusive = engine.LabelIntrusive

// Profiles are the built-in dialects whose embedded mocks a run may test.
var Profiles = engine.Profiles

// NewEnv prepares target t for a run (engine.NewEnv).
func NewEnv(ctx context.Context, t *target.Target, o EnvOptions) (*Env, error) {
	return engine.NewEnv(ctx, t, o)
}

// Run runs every registered spec against cfg.Envs (engine.Run).
func Run(cfg RunConfig) (*Result, error) { return engine.Run(cfg) }

// Catalogue lists the assertions of every registered spec (engine.Catalogue).
func Catalogue() ([]harness.Assertion, error) { return engine.Catalogue() }

// WriteCatalogue writes the catalogue as Markdown (engine.WriteCatalogue).
func WriteCatalogue(w io.Writer, as []harness.Assertion) { engine.WriteCatalogue(w, as) }

// WriteList writes the catalogue as a plain list (engine.WriteList).
func WriteList(w io.Writer, as []harness.Assertion) { engine.WriteList(w, as) }
