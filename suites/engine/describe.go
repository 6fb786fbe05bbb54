package engine

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/report"
	"github.com/oauthconform/oauthconform/suites/target"
)

// Sources of a report.Setting.
const (
	srcTarget   = "target"
	srcMetadata = "metadata"
	srcDialect  = "dialect"
	srcDefault  = "default"
	srcUnknown  = "unknown"
)

// Describe is what the run assumes about the target and where each fact
// came from, for the reports: a reader of a failure can tell a server's
// breach from a wrong declaration.
func (e *Env) Describe(ctx context.Context) report.Target {
	t := report.Target{Name: e.Name, Issuer: e.Issuer, Notes: slices.Clone(e.Notes)}
	if e.Dialect != nil {
		t.Dialect = e.Dialect.Name
	}
	add := func(name, value, source string) {
		t.Settings = append(t.Settings, report.Setting{Name: name, Value: value, Source: source})
	}
	md := e.Metadata(ctx)
	switch {
	case md.Disabled:
		add("metadata", "none", srcTarget)
	case md.Published:
		add("metadata", md.URL, srcMetadata)
	default:
		add("metadata", "not found", srcUnknown)
	}
	for _, ep := range []target.Endpoint{target.EndpointToken, target.EndpointAuthorize, target.EndpointRevocation,
		target.EndpointIntrospection, target.EndpointJWKS, target.EndpointResource, target.EndpointOOB} {
		u := *e.Endpoints.Field(ep)
		from := e.EndpointFrom[ep]
		if u == "" {
			if from == "" {
				continue
			}
			u = "none"
		}
		if from == "" {
			from = srcUnknown
		}
		add("endpoint."+string(ep), u, from)
	}
	for _, g := range profile.Grants {
		s, _ := e.Grant(g)
		add("grant."+g, s.String(), supportSource(s, e.Target != nil && e.Target.GrantTypes != nil, e.Dialect.GrantTypes.Requires(g) || !e.Dialect.GrantTypes.Allows(g)))
	}
	if f, why := e.TokenFormat(); f != "" {
		add("access_token.format", f, sourceOf(why))
	} else {
		add("access_token.format", "not declared", srcUnknown)
	}
	switch {
	case e.Scopes.Declared:
		add("scopes", strings.Join(nonEmpty(e.Scopes.S1, e.Scopes.S2, e.Scopes.S3), " "), srcTarget)
	case e.Scopes.S1 != "":
		add("scopes", strings.Join(nonEmpty(e.Scopes.S1, e.Scopes.S2, e.Scopes.S3), " "), srcMetadata)
	default:
		add("scopes", "none assumed", srcUnknown)
	}
	if e.Scopes.DefaultKnown {
		add("scopes.default", e.Scopes.Default, srcTarget)
	}
	if len(e.Scopes.Required) > 0 {
		add("scopes.required", strings.Join(e.Scopes.Required, " "), srcTarget)
	}
	if len(e.Scopes.Refresh) > 0 {
		add("scopes.refresh", strings.Join(e.Scopes.Refresh, " "), srcTarget)
	}
	if r := e.Rotation(); r != "" {
		src := srcDialect
		if e.Target != nil && e.Target.Rotation != "" {
			src = srcTarget
		}
		add("refresh_token.rotation", r, src)
	} else {
		add("refresh_token.rotation", "not declared (any)", srcUnknown)
	}
	if e.CodeLifetime > 0 {
		add("code_lifetime", e.CodeLifetime.String(), srcTarget)
	}
	if e.RefreshGrace > 0 {
		add("refresh_grace", e.RefreshGrace.String(), srcTarget)
	}
	bcp := srcDialect
	if e.Target != nil && e.Target.SecurityBCP != nil {
		bcp = srcTarget
	}
	add("security_bcp", fmt.Sprint(e.SecurityBCP()), bcp)
	for _, r := range slices.Sorted(maps.Keys(e.Clients)) {
		c := e.Clients[r]
		src := srcDefault
		if c.MethodDeclared {
			src = srcTarget
		}
		kind := "confidential"
		if c.Public() {
			kind = "public"
		}
		add("client."+r, fmt.Sprintf("%s (%s, %s)", c.ID, kind, c.Method), src)
	}
	drv := "none"
	if e.Driver != nil {
		drv = fmt.Sprintf("%T", e.Driver)
		drv = strings.TrimPrefix(drv, "*drivers.")
	}
	add("authorization_driver", drv, srcTarget)
	return t
}

// supportSource names where a Support came from.
func supportSource(s Support, targetDeclares, dialectDecides bool) string {
	switch {
	case dialectDecides:
		return srcDialect
	case targetDeclares:
		return srcTarget
	case s == Advertised:
		return srcMetadata
	}
	return srcUnknown
}

// sourceOf reads the source from a knowledge explanation ("the target
// declares ...", "the ... dialect's ...").
func sourceOf(why string) string {
	switch {
	case strings.HasPrefix(why, "the target"):
		return srcTarget
	case strings.Contains(why, "dialect"):
		return srcDialect
	}
	return srcUnknown
}

func nonEmpty(s ...string) []string {
	var out []string
	for _, v := range s {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}
