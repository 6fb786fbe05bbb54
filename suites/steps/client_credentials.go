package steps

import (
	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/engine"
)

// ClientCredentialsClient returns the primary client for a client_credentials check, or
// skips: the grant is for confidential clients only (RFC 6749 §4.4), and
// one the client is not registered for, or that nothing promised and the
// server refused, says nothing about the rules below.
func ClientCredentialsClient(c *engine.C) *engine.Client {
	c.RequireGrant(profile.GrantClientCredentials)
	cl := c.RequireClient(profile.RolePrimary)
	if cl.Public() {
		c.Skipf("the primary client is public and cannot use client_credentials (RFC 6749 §4.4)")
	}
	if !c.Env.ClientCredentialsWork(c, cl) {
		c.Skipf("precondition not met: %s", c.Env.ClientCredentialsWhy(cl))
	}
	return cl
}

// ScopeGranted is the scope a success response grants: its scope member, or,
// when absent, the requested scope (RFC 6749 §5.1: "OPTIONAL, if identical
// to the scope requested by the client"). reported says which.
func ScopeGranted(body map[string]any, requested string) (scope string, reported bool) {
	if s, ok := body["scope"].(string); ok {
		return s, true
	}
	return requested, false
}
