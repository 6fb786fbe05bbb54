package steps

import (
	"github.com/oauthconform/oauthconform/suites/engine"
	"github.com/oauthconform/oauthconform/suites/target"
)

// RevocationURL returns the revocation endpoint, configured or advertised,
// or "".
func RevocationURL(c *engine.C) string {
	if !c.Present(target.EndpointRevocation) {
		return ""
	}
	return c.Env.Endpoints.Revocation
}
