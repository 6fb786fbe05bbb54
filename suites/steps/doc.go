// Package steps holds the protocol steps that several spec files share, as
// functions of the engine's check context (*engine.C) or environment:
// obtain an authorization code (code.go), tokens and refresh tokens
// (tokens.go), the clients a family of specs acts as (clients.go), requests
// to the revocation and introspection endpoints (endpoints.go,
// introspection.go), the authorize endpoint probed directly or through the
// browser-like driver (authorize.go, authorize_flow.go), and bearer
// challenges (bearer.go).
//
// A step skips the spec when a precondition is not met and fails it only
// where the step itself is the check (an answer that never came, a flow
// broken at the server). A helper that one spec file alone uses stays in
// that file; one a second file needs moves here.
package steps
