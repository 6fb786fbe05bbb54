// Package drivers performs authorization requests as the user: a Driver
// takes an AuthzRequest (the client and the request's query) and returns
// where the flow left the authorization server (AuthzResult). The form
// driver logs in and consents through HTML forms, the out-of-band driver
// reads the code from the server's page, the command driver runs a command
// the user gives; the embedded mock's minting driver lives beside the mock
// (mockserver/mocktarget), since the suites never import the mock.
//
// The package depends on the harness and the target file types only: the
// engine imports it, never the reverse.
package drivers
