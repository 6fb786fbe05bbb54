// Package suites holds the conformance specs: Ginkgo v2 specs, one file per
// concern, each checking one assertion of the catalogue (docs/CATALOGUE.md)
// and labelled with its ID, level and RFC section.
//
// The specs are compiled into the oauthconform binary, so they live in
// ordinary (non-test) files and are built per environment: Run builds one
// Env per target (a real server, or the embedded mock of a profile) and the
// spec tree holds every group once for each. A spec never assumes the mock:
// it states its requirement in RFC 2119 words, accepts every compliant answer
// where the RFCs leave a choice (and says which it saw), and skips with a
// reason when the target lacks what it needs.
//
// The spec files are leaves: each registers its groups with engine.Register
// in init and uses the check context of suites/engine, the shared protocol
// steps of suites/steps, the authorization drivers of suites/drivers and
// the matchers of suites/match. Nothing imports them but the command (and
// the tests), through this package's re-exports in api.go; importing the
// package is what registers the specs. docs/WRITING-SPECS.md says where a
// new check, step, driver or dialect goes.
package suites
