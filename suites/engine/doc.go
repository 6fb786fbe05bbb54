// Package engine runs the conformance specs: it is what a spec file of
// package suites programs against.
//
//   - Env (env.go) is one target as the specs see it: the dialect, the
//     declarations, resolved endpoints and clients, the drivers, and request
//     helpers (Token, ClientCredentials, ExchangeCode, Refresh) that add what
//     the dialect wants on every request. NewEnv (setup.go) builds one from a
//     target file and runs the preflight checks (preflight_dialect.go).
//   - C (dsl.go) is the check context of one spec: Must, Should, Failf,
//     Warnf, Skipf, Saw, Expect, Tokens, Refused, the Require* skips.
//   - Register adds a group of specs; Env.Assert declares one assertion.
//   - Support (knowledge.go) is what is known of a capability: Declared,
//     Advertised, Unknown or Absent.
//   - Run (run.go) builds the Ginkgo tree for every Env and returns the
//     report; Catalogue (catalogue.go) lists the assertions without running
//     anything; Describe (describe.go) and dry runs (dryrun.go) say what a
//     run would assume and do.
//
// The engine imports the drivers (to build an Env's driver) and never the
// specs or the steps, which import it.
package engine
