package steps

import (
	"encoding/json"

	"github.com/oauthconform/oauthconform/suites/engine"
)

// AdvertisedEndpoint returns the URL the usable metadata gives for an
// endpoint member (e.g. revocation_endpoint), or "".
func AdvertisedEndpoint(c *engine.C, field string) string {
	return c.Env.UsableMetadata().String(field)
}

// RequireEndpoint returns an optional endpoint's URL: the configured one,
// else the one the metadata advertises; it skips when there is neither.
func RequireEndpoint(c *engine.C, what, configured, field string) string {
	if configured != "" {
		return configured
	}
	if u := AdvertisedEndpoint(c, field); u != "" {
		c.Saw("the %s endpoint %s comes from the metadata (%s)", what, u, field)
		return u
	}
	c.Skipf("the target has no %s endpoint (none configured, none advertised as %s)", what, field)
	return ""
}

// JSONNumber reads a JSON number member (json.Number or float64) as float.
func JSONNumber(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case float64:
		return n, true
	}
	return 0, false
}
