package steps

import (
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
