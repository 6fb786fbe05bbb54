package suites

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/drivers"
	"github.com/oauthconform/oauthconform/suites/engine"
	"github.com/oauthconform/oauthconform/suites/harness"
	"github.com/oauthconform/oauthconform/suites/steps"
)

func init() {
	engine.Register(engine.Group{ID: "META", Title: "RFC 8414 authorization server metadata", Specs: metadataSpecs})
}

// metadataDefaults are RFC 8414 §2's values for omitted members; a member
// absent from this map has no default (omitted says nothing).
var metadataDefaults = map[string][]string{
	"grant_types_supported":                      {profile.GrantAuthorizationCode, "implicit"},
	"token_endpoint_auth_methods_supported":      {profile.AuthBasic},
	"revocation_endpoint_auth_methods_supported": {profile.AuthBasic},
	"response_modes_supported":                   {"query", "fragment"},
	// "If omitted, the authorization server does not support PKCE."
	"code_challenge_methods_supported": {},
}

// advertisedValues returns what the metadata says of a capability list:
// the listed values, or RFC 8414's default when the member is omitted.
// known is false without usable metadata, or when an omitted member has no
// default.
func advertisedValues(c *engine.C, field string) (vals []string, known bool, how string) {
	md := c.Env.UsableMetadata()
	if md == nil {
		return nil, false, ""
	}
	if vals, ok := md.Strings(field); ok {
		return vals, true, fmt.Sprintf("the metadata (%s) lists %s %q", md.URL, field, vals)
	}
	if def, ok := metadataDefaults[field]; ok {
		return def, true, fmt.Sprintf("the metadata (%s) omits %s, whose RFC 8414 default is %q", md.URL, field, def)
	}
	return nil, false, ""
}

// requireMetadataDoc returns the published metadata document, skipping when
// the target publishes none or its body is not a JSON object (META-001's
// business).
func requireMetadataDoc(c *engine.C) *engine.Metadata {
	md := c.Env.Metadata(c)
	switch {
	case md.Disabled:
		c.Skipf("the target declares that it publishes no metadata (metadata: false)")
	case !md.Published:
		c.Skipf("the target publishes no metadata document (META-001 reports it)")
	case md.Doc == nil:
		c.Skipf("the metadata document is not a JSON object (META-001 reports it): %v", md.DecodeErr)
	}
	return md
}

// isLoopbackHost reports whether host (without port) is a loopback name or
// address.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// loopbackHTTP reports whether u is a plain-http URL of a loopback host: a
// local test server, where TLS checks are skipped (assertions.md §4.20).
func loopbackHTTP(u string) bool {
	p, err := url.Parse(u)
	return err == nil && p.Scheme == "http" && isLoopbackHost(p.Hostname())
}

func statuses(exs []*harness.Exchange) string {
	var out []string
	for _, ex := range exs {
		if ex.Err != nil {
			out = append(out, fmt.Sprintf("%s: %v", ex.URL, ex.Err))
		} else {
			out = append(out, fmt.Sprintf("%s: %d", ex.URL, ex.Status))
		}
	}
	return strings.Join(out, "; ")
}

func metadataSpecs(e *engine.Env) {
	e.Assert(harness.Assertion{ID: "META-006", Level: engine.SHOULD, Section: "RFC 8414 §2",
		Requirement: "The metadata SHOULD advertise what the server offers: a grant type it accepts or declares, a client authentication method its clients use, PKCE where supported. Metadata is evidence, not a gate: the checks of an omitted capability still run, and the omission is reported here."}, func(c *engine.C) {
		requireMetadataDoc(c)
		md := c.Env.UsableMetadata()
		if md == nil {
			c.Skipf("the metadata does not name this issuer (META-001's business), so RFC 8414 §3.3 forbids using it")
		}
		missing := metaOmissions(c, md)
		if len(missing) > 0 {
			c.Warnf(engine.Exchanges(md.Ex), "the metadata omits what the server offers: %s", strings.Join(missing, "; "))
			return
		}
		c.Saw("the metadata advertises every capability seen or declared")
	})

	e.Assert(harness.Assertion{ID: "META-001", Level: engine.MUST, Section: "RFC 8414 §2, §3, §3.2, §3.3",
		Requirement: "The metadata document at the well-known location MUST be served with 200 as application/json, and its issuer MUST be identical to the issuer it was looked up for: an https URL without query or fragment."}, func(c *engine.C) {
		md := c.Env.Metadata(c)
		if md.Disabled {
			c.Skipf("the target declares that it publishes no metadata (metadata: false)")
		}
		if !md.Published {
			if c.Env.HasMetadata != nil && *c.Env.HasMetadata {
				c.Failf(md.Tried, "the target is declared to publish metadata, but no well-known location answered 2xx (%s)", statuses(md.Tried))
			}
			c.Skipf("the target publishes no metadata (%s); RFC 8414 metadata is optional", statuses(md.Tried))
		}
		ex := md.Ex
		c.Must(ex.Status == http.StatusOK, ex, "the metadata answer has status %d, want 200 (RFC 8414 §3.2)", ex.Status)
		c.Must(ex.MediaType() == "application/json", ex, "the metadata is served as %q, not application/json (RFC 8414 §3.2)", ex.Header.Get("Content-Type"))
		c.Must(md.Doc != nil, ex, "the metadata body is not a JSON object: %v", md.DecodeErr)
		if md.OIDC {
			c.Saw("metadata found at OpenID Connect Discovery's location %s, not at RFC 8414's", md.URL)
		}
		want := c.Env.IssuerID()
		iss, ok := md.Doc["issuer"].(string)
		c.Must(ok && iss != "", ex, "the metadata has no issuer string")
		c.Must(iss == want, ex, "the metadata's issuer %q is not identical to the issuer %q it was looked up for (RFC 8414 §3.3)", iss, want)
		u, err := url.Parse(iss)
		c.Must(err == nil && u.Host != "", ex, "the issuer %q is not an absolute URL", iss)
		c.Must(!strings.ContainsAny(iss, "?#"), ex, "the issuer %q has a query or fragment (RFC 8414 §2)", iss)
		switch {
		case u.Scheme == "https":
		case loopbackHTTP(iss):
			c.Saw("the issuer %s is plain http on a loopback host: a local test server, accepted (assertions §4.20)", iss)
		default:
			c.Failf(engine.Exchanges(ex), "the issuer %q does not use the https scheme (RFC 8414 §2)", iss)
		}
	})

	e.Assert(harness.Assertion{ID: "META-002", Level: engine.MUST, Section: "RFC 8414 §2, §3.2",
		Requirement: "The metadata MUST hold issuer, token_endpoint (unless only the implicit grant is supported), authorization_endpoint and response_types_supported (unless no supported grant uses the authorization endpoint), and MUST omit members whose array would have zero elements."}, func(c *engine.C) {
		md := requireMetadataDoc(c)
		doc := md.Doc
		present := func(k string) bool {
			v, ok := doc[k]
			if !ok || v == nil {
				return false
			}
			if s, isStr := v.(string); isStr {
				return s != ""
			}
			return true
		}
		var missing []string
		if !present("issuer") {
			missing = append(missing, "issuer")
		}
		grants, ok := md.Strings("grant_types_supported")
		if !ok {
			grants = metadataDefaults["grant_types_supported"]
		}
		rts, _ := md.Strings("response_types_supported")
		usesAuthorize := slices.Contains(grants, profile.GrantAuthorizationCode) || slices.Contains(grants, "implicit") ||
			present("authorization_endpoint") || len(rts) > 0
		if usesAuthorize {
			for _, k := range []string{"authorization_endpoint", "response_types_supported"} {
				if !present(k) {
					missing = append(missing, k)
				}
			}
		} else {
			c.Saw("no advertised grant uses the authorization endpoint (grant_types_supported %q): authorization_endpoint and response_types_supported are not required", grants)
		}
		if !(len(grants) == 1 && grants[0] == "implicit") && !present("token_endpoint") {
			missing = append(missing, "token_endpoint")
		}
		c.Must(len(missing) == 0, md.Ex, "the metadata lacks %s (RFC 8414 §2)", strings.Join(missing, ", "))
		var empty []string
		for k, v := range doc {
			if arr, ok := v.([]any); ok && len(arr) == 0 {
				empty = append(empty, k)
			}
		}
		sort.Strings(empty)
		c.Must(len(empty) == 0, md.Ex, "the metadata has zero-element arrays %s, which RFC 8414 §3.2 says to omit", strings.Join(empty, ", "))
	})

	e.Assert(harness.Assertion{ID: "META-003", Level: engine.MUST, Section: "RFC 8414 §2",
		Requirement: "Every advertised capability MUST work: each value of grant_types_supported, response_types_supported, token_endpoint_auth_methods_supported and code_challenge_methods_supported (omitted: the RFC 8414 defaults) is exercised once and not refused as unsupported."}, func(c *engine.C) {
		requireMetadataDoc(c)
		if c.Env.UsableMetadata() == nil {
			c.Skipf("the metadata does not name this issuer (META-001's business), so RFC 8414 §3.3 forbids using it")
		}
		exercised := 0
		exercised += metaGrantTypes(c)
		exercised += metaResponseTypes(c)
		exercised += metaAuthMethods(c)
		exercised += metaPKCEMethods(c)
		if exercised == 0 {
			c.Skipf("no advertised value could be exercised with this target configuration")
		}
	})

	e.Assert(harness.Assertion{ID: "META-004", Level: engine.MUST, Section: "RFC 9700 §2.1.1; RFC 8414 §2",
		Requirement: "A server with the authorization code grant MUST make its PKCE support detectable: code_challenge_methods_supported is RECOMMENDED (WARN if absent) and, when present, MUST contain S256 (not plain only)."}, func(c *engine.C) {
		c.RequireBCP()
		md := requireMetadataDoc(c)
		grants, ok := md.Strings("grant_types_supported")
		if !ok {
			grants = metadataDefaults["grant_types_supported"]
		}
		if !slices.Contains(grants, profile.GrantAuthorizationCode) && !c.Env.HasGrant(profile.GrantAuthorizationCode) {
			c.Skipf("the target has no authorization_code grant (grant_types_supported %q), where PKCE applies", grants)
		}
		methods, present := md.Strings("code_challenge_methods_supported")
		if !present {
			c.Warnf(engine.Exchanges(md.Ex), "the metadata omits code_challenge_methods_supported: RFC 9700 §2.1.1 RECOMMENDS it to make PKCE support detectable")
			return
		}
		c.Must(slices.Contains(methods, "S256"), md.Ex, "code_challenge_methods_supported %q does not contain S256 (RFC 9700 §2.1.1; RFC 7636 §4.2: S256 is mandatory to implement)", methods)
		c.Saw("code_challenge_methods_supported %q", methods)
	})

	e.Assert(harness.Assertion{ID: "META-005", Level: engine.MUST, Section: "RFC 8414 §2; RFC 6749 §3.1, §3.2",
		Requirement: "Every endpoint URL the metadata advertises (each *_endpoint and jwks_uri) MUST use the https scheme; skipped for a plain-http loopback test server."}, func(c *engine.C) {
		md := requireMetadataDoc(c)
		iss := c.Env.IssuerID()
		if loopbackHTTP(iss) {
			c.Skipf("the issuer %s is plain http on a loopback host: a local test server, where the TLS checks are skipped (assertions §4.20)", iss)
		}
		var keys []string
		for k := range md.Doc {
			if strings.HasSuffix(k, "_endpoint") || k == "jwks_uri" {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		var bad []string
		for _, k := range keys {
			s, _ := md.Doc[k].(string)
			if u, err := url.Parse(s); err != nil || u.Scheme != "https" || u.Host == "" {
				bad = append(bad, fmt.Sprintf("%s=%q", k, s))
			}
		}
		if len(keys) == 0 {
			c.Skipf("the metadata advertises no endpoint URL")
		}
		c.Must(len(bad) == 0, md.Ex, "advertised endpoints are not https URLs: %s", strings.Join(bad, ", "))
		c.Saw("%d advertised endpoint URLs, all https", len(keys))
	})
}

// metaOmissions lists what the server offers but its usable metadata does
// not advertise: grant types it declares (or the dialect requires) or is
// seen to accept (a placeholder request of the grant is not refused as
// unsupported_grant_type), client authentication methods its clients are
// declared to use, and PKCE where it is declared.
func metaOmissions(c *engine.C, md *engine.Metadata) []string {
	var missing []string
	grants, listed := md.Strings("grant_types_supported")
	if !listed {
		grants = metadataDefaults["grant_types_supported"]
	}
	cl := c.Env.Client(profile.RolePrimary)
	for _, g := range profile.Grants {
		if slices.Contains(grants, g) || !c.Env.Dialect.GrantTypes.Allows(g) {
			continue
		}
		s, why := c.Env.Grant(g)
		switch {
		case s == engine.Absent:
			continue
		case s == engine.Declared:
			missing = append(missing, fmt.Sprintf("grant %s (%s)", g, why))
			continue
		case cl == nil || c.Env.Endpoints.Token == "":
			continue
		}
		ex := c.Env.Token(c, cl, engine.GrantProbe(g, cl))
		if ex.Err == nil && ex.Status < 500 && harness.ErrorCodeOf(ex) != "unsupported_grant_type" && (engine.Issued(ex) || harness.ErrorCodeOf(ex) != "") {
			missing = append(missing, fmt.Sprintf("grant %s (a request of it was answered %d %q, not unsupported_grant_type)", g, ex.Status, harness.ErrorCodeOf(ex)))
		}
	}
	methods, listed := md.Strings("token_endpoint_auth_methods_supported")
	if !listed {
		methods = metadataDefaults["token_endpoint_auth_methods_supported"]
	}
	var declared []string
	if c.Env.Target != nil {
		declared = slices.Clone(c.Env.Target.AuthMethods)
	}
	for _, x := range c.Env.Clients {
		if x.MethodDeclared && !slices.Contains(declared, x.Method) {
			declared = append(declared, x.Method)
		}
	}
	sort.Strings(declared)
	for _, m := range declared {
		if !slices.Contains(methods, m) {
			missing = append(missing, "token endpoint auth method "+m+" (declared)")
		}
	}
	if s, why := c.Env.PKCE(); s == engine.Declared {
		if vals, ok := md.Strings("code_challenge_methods_supported"); !ok || !slices.Contains(vals, "S256") {
			missing = append(missing, "code_challenge_methods_supported with S256 ("+why+")")
		}
	}
	return missing
}

// metaGrantTypes exercises each advertised grant type once at the token
// endpoint: a request of that grant with placeholder credentials must not
// be refused as unsupported_grant_type (any other answer, success or the
// grant's own error, shows the grant is known). implicit is exercised
// through response_types_supported.
func metaGrantTypes(c *engine.C) int {
	grants, known, how := advertisedValues(c, "grant_types_supported")
	cl := c.Env.Client(profile.RolePrimary)
	if !known || cl == nil || c.Env.Endpoints.Token == "" {
		return 0
	}
	n := 0
	for _, g := range grants {
		if g == "implicit" {
			continue
		}
		ex := c.Env.Token(c, cl, engine.GrantProbe(g, cl))
		c.Must(ex.Err == nil, ex, "grant %s (%s): the request failed: %v", g, how, ex.Err)
		got := harness.ErrorCodeOf(ex)
		c.Must(ex.Status < 500 && (engine.Issued(ex) || got != ""), ex, "grant %s: the token endpoint answered %d with neither tokens nor an OAuth error", g, ex.Status)
		c.Must(got != "unsupported_grant_type", ex, "grant_types_supported advertises %s, but the token endpoint refuses it as unsupported_grant_type", g)
		if engine.Issued(ex) {
			c.Saw("grant %s: tokens issued", g)
		} else {
			c.Saw("grant %s: known, refused the placeholder request with %q", g, got)
		}
		n++
	}
	return n
}

// metaResponseTypes sends one authorization request per advertised
// response type (without logging in): it must not be refused with
// unsupported_response_type, by redirect or on an error page.
func metaResponseTypes(c *engine.C) int {
	rts, known, _ := advertisedValues(c, "response_types_supported")
	cl := c.Env.Client(profile.RolePrimary)
	authz := c.Env.Endpoints.Authorize
	if authz == "" {
		authz = steps.AdvertisedEndpoint(c, "authorization_endpoint")
	}
	if !known || len(rts) == 0 || cl == nil || authz == "" {
		return 0
	}
	n := 0
	for _, rt := range rts {
		if cl.ResponseTypes != nil && !slices.Contains(cl.ResponseTypes, rt) || cl.ResponseTypes == nil && rt != profile.ResponseCode {
			// A client not registered for rt may lawfully be refused it:
			// only the code flow, or a declared registration, is judged.
			c.Saw("response type %q: not exercised (client %q is not declared for it)", rt, cl.ID)
			continue
		}
		o := steps.CodeOpts{Scope: c.Env.Scopes.S1}
		if slices.Contains(strings.Fields(rt), "code") && c.Env.UsesPKCE() {
			o.Challenge, o.Method = harness.S256(harness.NewVerifier()), "S256"
		}
		ex := c.Env.HTTP.Get(c, authz, harness.WithQuery(steps.AuthzQuery(c.Env, cl, rt, o)), harness.WithHeader("Accept", "text/html"))
		c.Must(ex.Err == nil, ex, "response type %q: the request failed: %v", rt, ex.Err)
		c.Must(ex.Status < 500, ex, "response type %q: the authorization endpoint answered the server error %d", rt, ex.Status)
		// Refused means the redirect's error parameter says so (an error
		// page's text is too loose to read).
		refused := false
		if u, err := ex.RedirectURL(); err == nil && ex.Status >= 300 && ex.Status < 400 {
			frag, _ := url.ParseQuery(u.Fragment)
			refused = u.Query().Get("error") == "unsupported_response_type" || frag.Get("error") == "unsupported_response_type"
		}
		c.Must(!refused, ex, "response_types_supported advertises %q, but the authorization endpoint refuses it as unsupported_response_type", rt)
		c.Saw("response type %q: not refused (status %d)", rt, ex.Status)
		n++
	}
	return n
}

// metaAuthMethods authenticates once with each advertised client
// authentication method, in a token request that fails after
// authentication (an unknown refresh token or code): the answer must not be
// invalid_client.
func metaAuthMethods(c *engine.C) int {
	methods, known, _ := advertisedValues(c, "token_endpoint_auth_methods_supported")
	if !known || c.Env.Endpoints.Token == "" {
		return 0
	}
	n := 0
	for _, m := range methods {
		var cl *engine.Client
		switch m {
		case profile.AuthBasic, profile.AuthPost:
			cl = metaClient(c, false, m)
		case profile.AuthNone:
			cl = metaClient(c, true, m)
		default:
			c.Saw("token endpoint auth method %s: not exercised (the harness has no credentials for it)", m)
			continue
		}
		if cl == nil {
			c.Saw("token endpoint auth method %s: not exercised (no suitable client configured)", m)
			continue
		}
		g := metaProbeGrant(c)
		if g == "" {
			c.Saw("token endpoint auth method %s: not exercised (no grant to probe with)", m)
			continue
		}
		as := *cl
		as.Method = m
		ex := c.Env.Token(c, &as, engine.GrantProbe(g, cl))
		c.Must(ex.Err == nil, ex, "auth method %s: the request failed: %v", m, ex.Err)
		got := harness.ErrorCodeOf(ex)
		c.Must(ex.Status < 500 && (engine.Issued(ex) || got != ""), ex, "auth method %s: the token endpoint answered %d with neither tokens nor an OAuth error", m, ex.Status)
		c.Must(got != "invalid_client" && ex.Status != http.StatusUnauthorized, ex,
			"token_endpoint_auth_methods_supported advertises %s, but client %q authenticating with it was refused (status %d, error %q)", m, cl.ID, ex.Status, got)
		c.Saw("auth method %s: client %q authenticated (the probe request then got %q)", m, cl.ID, got)
		n++
	}
	return n
}

// metaClient returns a configured client with a secret (public false) or
// without one (public true) that may use method m: one registered for m
// first, else one whose method is not known (a client registered for
// another method may lawfully be refused m).
func metaClient(c *engine.C, public bool, m string) *engine.Client {
	roles := []string{profile.RolePrimary, profile.RoleSecond, profile.RolePublic, profile.RolePublic2, profile.RoleMultiRedirect, profile.RoleQueryRedirect}
	for _, undeclared := range []bool{false, true} {
		for _, role := range roles {
			cl := c.Env.Client(role)
			if cl == nil || cl.Public() != public {
				continue
			}
			if cl.MethodDeclared && cl.Method == m || undeclared && !cl.MethodDeclared && cl.MayUse(m) {
				return cl
			}
		}
	}
	return nil
}

// metaProbeGrant picks a grant whose placeholder request fails only after
// client authentication.
func metaProbeGrant(c *engine.C) string {
	for _, g := range []string{profile.GrantRefreshToken, profile.GrantAuthorizationCode, profile.GrantPassword} {
		if c.Env.HasGrant(g) {
			return g
		}
	}
	return ""
}

// metaPKCEMethods obtains a code with each advertised code_challenge_method
// and redeems it with the matching code_verifier.
func metaPKCEMethods(c *engine.C) int {
	methods, known, _ := advertisedValues(c, "code_challenge_methods_supported")
	cl := c.Env.Client(profile.RolePrimary)
	if !known || len(methods) == 0 || cl == nil || c.Env.Driver == nil {
		if known && len(methods) > 0 {
			c.Saw("code_challenge_methods_supported %q: not exercised (no authorization driver)", methods)
		}
		return 0
	}
	n := 0
	for _, m := range methods {
		v := harness.NewVerifier()
		challenge := v
		switch m {
		case "S256":
			challenge = harness.S256(v)
		case "plain":
		default:
			c.Saw("code_challenge_method %s: not exercised (unknown to the harness)", m)
			continue
		}
		res, err := c.Env.Driver.Authorize(c, drivers.AuthzRequest{Client: cl, Query: steps.AuthzQuery(c.Env, cl, "code", steps.CodeOpts{Scope: c.Env.Scopes.S1, Challenge: challenge, Method: m})})
		if errors.Is(err, drivers.ErrNotSupported) {
			c.Saw("code_challenge_method %s: not exercised (the driver cannot perform it)", m)
			continue
		}
		if res == nil {
			res = &drivers.AuthzResult{Query: url.Values{}, Fragment: url.Values{}}
		}
		if _, broke := res.BrokeAtServer(); !broke && (err != nil || res.Code() == "" && res.Error() == "") {
			c.Saw("code_challenge_method %s: not exercised (the driver could not complete the flow: %v)", m, err)
			continue
		}
		if res.Code() == "" {
			q := steps.AuthzQuery(c.Env, cl, "code", steps.CodeOpts{Scope: c.Env.Scopes.S1, Challenge: challenge, Method: m})
			if why := c.Env.LawfulAuthzRefusal(cl, q, res.Error()); why != "" && res.Error() != "invalid_request" {
				c.Saw("code_challenge_method %s: not exercised (%s)", m, why)
				continue
			}
			c.Failf(res.Exchanges, "code_challenge_methods_supported advertises %s, but an authorization request with it got no code (%v, error %q)", m, err, res.Error())
		}
		ex := c.Env.ExchangeCode(c, cl, res.Code(), cl.RedirectURI(), v)
		c.Must(engine.Issued(ex), ex, "code_challenge_methods_supported advertises %s, but a code issued with it was not redeemed with the matching code_verifier (status %d, error %q)", m, ex.Status, harness.ErrorCodeOf(ex))
		c.Saw("code_challenge_method %s: code issued and redeemed", m)
		n++
	}
	return n
}
