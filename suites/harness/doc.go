// Package harness is the plumbing the conformance specs stand on: an HTTP
// client that turns every request into an [Exchange] (the evidence of a
// check, rendered with secrets redacted), a duplicate-detecting JSON decoder,
// header, charset and scope helpers that respect the freedom the RFCs leave a
// server (shared/assertions.md §4), JSON Schema validation against the
// embedded schemas, and a [Recorder] of verdicts.
//
// The package knows nothing about Ginkgo: specs glue [Recorder] to report
// entries and Gomega failures, which keeps everything here unit-testable.
package harness
