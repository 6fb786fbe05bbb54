package engine

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/harness"
	"github.com/oauthconform/oauthconform/suites/target"
)

// wrongTargetHint ends every setup error that suspects the target file (or
// the flags) names another server than the one answering.
const wrongTargetHint = "wrong profile or issuer?"

// preflightDialect recognises a target pointed at another server than the
// one it describes: a mock of another dialect on the port it names, or the
// right server under the wrong profile. Each sign alone is something a
// server may really do wrong, and the checks report it with the evidence;
// two of them together are taken as a misconfiguration (exit 2), one as a
// note. The signs:
//
//   - the metadata advertises a grant or response type the dialect does not
//     have, or no client authentication method the dialect allows (or none
//     for a secret, where the target's primary client has one);
//   - its scopes_supported shares no value with the vocabulary the target
//     (or the dialect) declares;
//   - an endpoint the target itself names answers a bare 404 (no OAuth
//     error, no WWW-Authenticate challenge): nothing is there.
func (e *Env) preflightDialect(ctx context.Context) error {
	signs, evidence := e.dialectSigns(e.Dialect)
	for _, ep := range []target.Endpoint{target.EndpointResource, target.EndpointAuthorize, target.EndpointRevocation,
		target.EndpointIntrospection, target.EndpointJWKS, target.EndpointOOB} {
		u, set := e.Target.Explicit(ep)
		if !set || u == "" || e.EndpointFrom[ep] != FromTarget {
			continue
		}
		ex := e.HTTP.Get(ctx, u)
		if ex.Err != nil || ex.Status != http.StatusNotFound || ex.Header.Get("WWW-Authenticate") != "" || harness.ErrorCodeOf(ex) != "" {
			continue
		}
		signs = append(signs, fmt.Sprintf("endpoints.%s %s answers 404 Not Found", ep, u))
		evidence = append(evidence, ex)
	}
	switch {
	case len(signs) == 0:
		return nil
	case len(signs) == 1:
		e.Notes = append(e.Notes, fmt.Sprintf("the server may not be the %s server the target describes (%s): %s the checks that fail because of it say so with the evidence",
			e.Dialect.Name, signs[0], wrongTargetHint))
		return nil
	}
	fix := fmt.Sprintf("check profile: (now %s) against the dialect the server speaks, and issuer: (now %s, port included) against where it runs", e.Dialect.Name, e.IssuerID())
	fix += ". A mock started with `oauthconform serve --profile NAME --addr HOST:PORT` is described by fixtures/targets/NAME.yaml with that port (docs/TARGETS.md, The example targets)"
	return &SetupError{
		Problem:  fmt.Sprintf("the server at %s does not look like the %s server the target describes: %s\n  - %s", e.IssuerID(), e.Dialect.Name, wrongTargetHint, strings.Join(signs, "\n  - ")),
		Fix:      fix,
		Evidence: evidence,
	}
}

// dialectSigns lists what the usable metadata says against dialect d and
// the target's declared scope vocabulary.
func (e *Env) dialectSigns(d *profile.Dialect) (signs []string, evidence []*harness.Exchange) {
	md := e.UsableMetadata()
	if md == nil {
		return nil, nil
	}
	// Only the grants and response types a dialect can name count: an
	// extension grant (device_code, jwt-bearer) or an OpenID Connect
	// response type says nothing against one. RFC 8414 lists the implicit
	// flow among the grants; it is the token response type here.
	var grants, rtypes []string
	gs, _ := md.Strings("grant_types_supported")
	for _, g := range gs {
		switch {
		case g == "implicit" && !d.ResponseTypes.Allows(profile.ResponseToken):
			grants = append(grants, g)
		case slices.Contains(profile.Grants, g) && !d.GrantTypes.Allows(g):
			grants = append(grants, g)
		}
	}
	rts, _ := md.Strings("response_types_supported")
	for _, rt := range rts {
		if (rt == profile.ResponseCode || rt == profile.ResponseToken) && !d.ResponseTypes.Allows(rt) {
			rtypes = append(rtypes, rt)
		}
	}
	var outside []string
	if len(grants) > 0 {
		outside = append(outside, "the grants "+strings.Join(grants, ", "))
	}
	if len(rtypes) > 0 {
		outside = append(outside, "the response types "+strings.Join(rtypes, ", "))
	}
	if len(outside) > 0 {
		signs = append(signs, fmt.Sprintf("its metadata advertises %s, which the %s dialect does not have", strings.Join(outside, " and "), d.Name))
	}
	if methods, ok := md.Strings("token_endpoint_auth_methods_supported"); ok && len(methods) > 0 {
		secretMethod := func(m string) bool { return m == profile.AuthBasic || m == profile.AuthPost }
		switch p := e.Target.Clients[profile.RolePrimary]; {
		case !slices.ContainsFunc(methods, d.ClientAuth.Methods.Allows):
			signs = append(signs, fmt.Sprintf("its metadata lists the client authentication methods %s, none of which the %s dialect allows (%s)",
				strings.Join(methods, ", "), d.Name, strings.Join(d.ClientAuth.Methods.Allowed, ", ")))
		case p != nil && !p.Public() && !slices.ContainsFunc(methods, secretMethod):
			signs = append(signs, fmt.Sprintf("its metadata lists the client authentication methods %s, none for a client with a secret such as the target's primary client",
				strings.Join(methods, ", ")))
		}
	}
	vocab, whose := d.Scopes.Supported, "the "+d.Name+" dialect's"
	if e.Target.Scopes.Supported != nil {
		vocab, whose = e.Target.Scopes.Supported, "the target's scopes.supported"
	}
	var served []string
	if vals, ok := md.Strings("scopes_supported"); ok {
		for _, s := range vals {
			if !slices.Contains(wellKnownScopes, s) {
				served = append(served, s)
			}
		}
	}
	var own []string
	for _, s := range vocab {
		if !slices.Contains(wellKnownScopes, s) {
			own = append(own, s)
		}
	}
	if len(own) > 0 && len(served) > 0 && !slices.ContainsFunc(own, func(s string) bool { return slices.Contains(served, s) }) {
		signs = append(signs, fmt.Sprintf("its metadata's scopes_supported (%s) has none of %s (%s)", strings.Join(served, " "), whose, strings.Join(own, " ")))
	}
	if len(signs) > 0 {
		evidence = append(evidence, md.Ex)
	}
	return signs, evidence
}
