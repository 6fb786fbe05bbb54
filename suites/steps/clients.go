package steps

import (
	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/engine"
)

// ConfidentialClient returns the client of role, or skips when there is
// none or it is public.
func ConfidentialClient(c *engine.C, role string) *engine.Client {
	cl := c.RequireClient(role)
	if cl.Public() {
		c.Skipf("the %q client (%s) is public: it has no secret to authenticate with", role, cl.ID)
	}
	return cl
}

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
