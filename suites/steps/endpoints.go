package steps

import (
	"net/url"
	"slices"

	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/engine"
	"github.com/oauthconform/oauthconform/suites/harness"
	"github.com/oauthconform/oauthconform/suites/target"
)

// EndpointPost posts a form to a revocation or introspection endpoint,
// authenticated as cl authenticates at the token endpoint (RFC 7009 §2.1,
// RFC 7662 §2.1 defer to RFC 6749 §2.3); cl nil sends no client
// credentials. The client's default headers (an API key) go along.
//
// Where the metadata lists the endpoint's own methods
// (revocation_endpoint_auth_methods_supported,
// introspection_endpoint_auth_methods_supported, RFC 8414 §2) and the
// client's method is not among them, a listed one is used instead.
func EndpointPost(c *engine.C, u string, cl *engine.Client, form url.Values, opts ...harness.RequestOption) *harness.Exchange {
	e := c.Env
	form = engine.CloneValues(form)
	if cl != nil && !cl.Public() {
		member := ""
		switch u {
		case e.Endpoints.Revocation:
			member = "revocation_endpoint_auth_methods_supported"
		case e.Endpoints.Introspection:
			member = "introspection_endpoint_auth_methods_supported"
		}
		if vals, ok := e.UsableMetadata().Strings(member); member != "" && ok && !slices.Contains(vals, cl.Method) {
			for _, m := range []string{profile.AuthBasic, profile.AuthPost} {
				if slices.Contains(vals, m) {
					as := *cl
					as.Method = m
					cl = &as
					break
				}
			}
		}
	}
	auth := engine.ClientAuth(cl, form)
	return e.HTTP.PostForm(c, u, form, append(auth, opts...)...)
}

// introspectionURL returns the introspection endpoint, configured or
// advertised, or "".
func introspectionURL(c *engine.C) string {
	if !c.Present(target.EndpointIntrospection) {
		return ""
	}
	return c.Env.Endpoints.Introspection
}

// AdvertisedEndpoint returns the URL the usable metadata gives for an
// endpoint member (e.g. revocation_endpoint), or "".
func AdvertisedEndpoint(c *engine.C, field string) string {
	return c.Env.UsableMetadata().String(field)
}

// RequireEndpoint returns an optional endpoint's URL: the configured one,
// else the one the metadata advertises; it skips when there is neither, or
// when the endpoint is not present (a dialect's guess that does not answer
// like one).
func RequireEndpoint(c *engine.C, ep target.Endpoint) string {
	u := *c.Env.Endpoints.Field(ep)
	if u == "" {
		field := engine.MetadataMember(ep)
		if u = AdvertisedEndpoint(c, field); u == "" {
			c.Skipf("the target has no %s endpoint (none configured, none advertised as %s)", ep, field)
			return ""
		}
		c.Saw("the %s endpoint %s comes from the metadata (%s)", ep, u, field)
	}
	c.RequirePresent(ep)
	return u
}

// RevocationURL returns the revocation endpoint, configured or advertised,
// or "".
func RevocationURL(c *engine.C) string {
	if !c.Present(target.EndpointRevocation) {
		return ""
	}
	return c.Env.Endpoints.Revocation
}
