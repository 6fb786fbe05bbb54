package suites

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/engine"
	"github.com/oauthconform/oauthconform/suites/harness"
	"github.com/oauthconform/oauthconform/suites/steps"
)

func init() {
	engine.Register(engine.Group{ID: "RES-SCOPE", Title: "scope-gated API (seed 001: merchant and customer tokens)", Specs: merchantScopeSpecs})
}

// scopeGates is a profile's scope-gated API (profile.Resources) read as
// seed 001 describes it: a wide scope valid on every endpoint (merchant), a
// narrow one valid only on some (customer).
type scopeGates struct {
	wide, narrow string
	// narrowRules are the endpoints that accept the narrow scope; wideOnly
	// is an endpoint that does not (a rule, else a path under the prefix
	// that matches no rule and so needs the default scopes).
	narrowRules []profile.ResourceRule
	wideOnly    profile.ResourceRule
	// wideOnlyDeclared is false when wideOnly is such an undocumented path.
	wideOnlyDeclared bool
}

// requireScopeGates reads the profile's scope gates or skips.
func requireScopeGates(c *engine.C) *scopeGates {
	res := c.Env.Dialect.Resources
	if len(res.Rules) == 0 {
		c.Skipf("the %s dialect has no scope-gated API (seed 001's merchant/customer endpoints)", c.Env.Dialect.Name)
	}
	g := &scopeGates{}
	if len(res.DefaultScopes) > 0 {
		g.wide = res.DefaultScopes[0]
	}
	for _, r := range res.Rules {
		for _, s := range r.Scopes {
			if g.narrow == "" && !slices.Contains(res.DefaultScopes, s) && s != g.wide {
				g.narrow = s
			}
		}
	}
	if g.wide == "" || g.narrow == "" {
		c.Skipf("the %s dialect's scope gates have no scope limited to some endpoints", c.Env.Dialect.Name)
	}
	for _, r := range res.Rules {
		switch {
		case slices.Contains(r.Scopes, g.narrow):
			g.narrowRules = append(g.narrowRules, r)
		case g.wideOnly.Path == "":
			g.wideOnly, g.wideOnlyDeclared = r, true
		}
	}
	if g.wideOnly.Path == "" && len(g.narrowRules) > 0 && res.Prefix != "" {
		// No documented merchant-only endpoint: a sibling of a customer
		// endpoint that matches no rule needs the default scopes.
		first := g.narrowRules[0].Path
		for _, r := range g.narrowRules {
			if strings.Count(r.Path, "/") < strings.Count(first, "/") {
				first = r.Path
			}
		}
		probe := first[:strings.LastIndexByte(first, '/')+1] + "transactions"
		if strings.HasPrefix(probe, res.Prefix) && !slices.ContainsFunc(res.Rules, func(r profile.ResourceRule) bool {
			_, ok := profile.MatchPath(r.Path, probe)
			return ok
		}) {
			g.wideOnly = profile.ResourceRule{Method: http.MethodGet, Path: probe, Scopes: res.DefaultScopes}
		}
	}
	return g
}

// expandPath fills a path template: {client_id} with clientID, others with
// a placeholder value.
func expandPath(tmpl, clientID string) string {
	return profile.ExpandPath(tmpl, func(name string) string {
		if name == "client_id" {
			return url.PathEscape(clientID)
		}
		return "1234567890"
	})
}

// scopeToken obtains an access token of cl granted exactly scope, or skips.
func scopeToken(c *engine.C, cl *engine.Client, scope string) *steps.TokenGrant {
	g := steps.ObtainAccessToken(c, cl, scope)
	if !harness.SameScopes(g.Scope, scope) {
		c.Skipf("a token for scope %q was granted %q instead", scope, g.Scope)
	}
	return g
}

// callAPI calls an endpoint of the scope-gated API with a bearer token.
func callAPI(c *engine.C, r profile.ResourceRule, clientID, tok string) *harness.Exchange {
	method := strings.ToUpper(r.Method)
	if method == "" {
		method = http.MethodGet
	}
	return c.Env.HTTP.Do(c, method, expandPath(r.Path, clientID), harness.WithAuthorization("Bearer "+tok), harness.WithHeader("Accept", "application/json"))
}

// apiAccepted reports whether the API let the token through: anything but
// 401 and 403 (the stub may still answer 404 or 400 for the request itself).
func apiAccepted(ex *harness.Exchange) bool {
	return ex.Err == nil && ex.Status < 500 && ex.Status != http.StatusUnauthorized && ex.Status != http.StatusForbidden
}

func merchantScopeSpecs(e *engine.Env) {
	e.Assert(harness.Assertion{ID: "RES-SCOPE-001", Level: engine.MUST, Section: "merchant-customer dialect (fixtures/profiles/merchant-customer.yaml); RFC 6750 §3.1",
		Requirement: "A customer-scope token MUST be accepted on each of the customer-facing endpoints the dialect lists (POST merchants/login, widget/init, apply, information, calculate-interest, authorization; GET terms-and-conditions)."}, func(c *engine.C) {
		g := requireScopeGates(c)
		cl := c.RequireClient(profile.RolePrimary)
		tok := scopeToken(c, cl, g.narrow)
		for _, r := range g.narrowRules {
			ex := callAPI(c, r, cl.ID, tok.AccessToken)
			c.Must(ex.Err == nil, ex, "%s %s: the request failed: %v", r.Method, r.Path, ex.Err)
			c.Must(apiAccepted(ex), ex, "%s %s refused a %s token (status %d): the dialect lists it as a %s endpoint", r.Method, r.Path, g.narrow, ex.Status, g.narrow)
		}
		c.Saw("%d %s endpoints accepted the %s token", len(g.narrowRules), g.narrow, g.narrow)
	})

	e.Assert(harness.Assertion{ID: "RES-SCOPE-002", Level: engine.MUST, Section: "merchant-customer dialect (fixtures/profiles/merchant-customer.yaml); RFC 6750 §3.1",
		Requirement: "A customer-scope token MUST be refused on an endpoint that is not customer-facing: the dialect treats it as an invalid token (401 with error=\"invalid_token\"; 403 insufficient_scope where the profile says so)."}, func(c *engine.C) {
		g := requireScopeGates(c)
		if g.wideOnly.Path == "" {
			c.Skipf("the profile names no endpoint closed to %s tokens", g.narrow)
		}
		cl := c.RequireClient(profile.RolePrimary)
		tok := scopeToken(c, cl, g.narrow)
		ex := callAPI(c, g.wideOnly, cl.ID, tok.AccessToken)
		c.Must(ex.Err == nil, ex, "the request failed: %v", ex.Err)
		if !g.wideOnlyDeclared {
			if ex.Status == http.StatusNotFound {
				// A 404 past the gate, or no gate at all on an undocumented
				// path? A garbage token tells: refused there, the path is
				// gated and the narrow token got through.
				if gx := callAPI(c, g.wideOnly, cl.ID, "oauthconform-garbage-"+harness.RandomString(12)); gx.Err != nil || gx.Status != http.StatusUnauthorized {
					c.Skipf("no documented %s-only endpoint, and the undocumented %s %s probed instead is not gated (404, and %d for a garbage token)", g.wide, g.wideOnly.Method, g.wideOnly.Path, gx.Status)
				}
			}
			c.Saw("no documented %s-only endpoint: %s %s (matching no documented endpoint, so needing the default scope) is probed", g.wide, g.wideOnly.Method, g.wideOnly.Path)
		}
		ch, _ := steps.BearerChallenge(ex.Header.Values("WWW-Authenticate"))
		code := steps.ChallengeError(ch)
		if c.Env.Dialect.Resources.ScopeError == profile.ScopeErrorInvalidToken {
			c.Must(ex.Status == http.StatusUnauthorized && code == "invalid_token", ex,
				"a %s token on %s %s got status %d (challenge error %q); the dialect calls it an invalid token: 401 with error=\"invalid_token\"", g.narrow, g.wideOnly.Method, g.wideOnly.Path, ex.Status, code)
			return
		}
		c.Must(ex.Status == http.StatusForbidden && code == "insufficient_scope", ex,
			"a %s token on %s %s got status %d (challenge error %q), want 403 insufficient_scope (RFC 6750 §3.1)", g.narrow, g.wideOnly.Method, g.wideOnly.Path, ex.Status, code)
	})

	e.Assert(harness.Assertion{ID: "RES-SCOPE-003", Level: engine.MUST, Section: "merchant-customer dialect (fixtures/profiles/merchant-customer.yaml); RFC 6750 §3.1",
		Requirement: "A merchant-scope token MUST be accepted everywhere: on the customer-facing endpoints and on the others."}, func(c *engine.C) {
		g := requireScopeGates(c)
		cl := c.RequireClient(profile.RolePrimary)
		tok := scopeToken(c, cl, g.wide)
		rules := slices.Clone(g.narrowRules)
		if g.wideOnly.Path != "" {
			rules = append(rules, g.wideOnly)
		}
		for _, r := range rules {
			ex := callAPI(c, r, cl.ID, tok.AccessToken)
			c.Must(ex.Err == nil, ex, "%s %s: the request failed: %v", r.Method, r.Path, ex.Err)
			c.Must(apiAccepted(ex), ex, "%s %s refused a %s token (status %d): the dialect says it is valid on every endpoint", r.Method, r.Path, g.wide, ex.Status)
		}
		c.Saw("%d endpoints accepted the %s token", len(rules), g.wide)
	})

	e.Assert(harness.Assertion{ID: "RES-SCOPE-004", Level: engine.SHOULD, Section: "merchant-customer dialect (fixtures/profiles/merchant-customer.yaml); RFC 6750 §3.1; RFC 9068 §4",
		Requirement: "An endpoint under /client-id/{client_id}/ SHOULD refuse a token issued to another client (401 invalid_token, as for a token meant for another resource); the seed does not say, the profile chooses it."}, func(c *engine.C) {
		g := requireScopeGates(c)
		cl := c.RequireClient(profile.RolePrimary)
		var rule *profile.ResourceRule
		for i := range g.narrowRules {
			if strings.Contains(g.narrowRules[i].Path, "{client_id}") {
				rule = &g.narrowRules[i]
				break
			}
		}
		if rule == nil {
			c.Skipf("no endpoint of the scope-gated API has {client_id} in its path")
		}
		other := "oauthconform-other-client"
		if c2 := c.Env.Client(profile.RoleSecond); c2 != nil && c2.ID != cl.ID {
			other = c2.ID
		}
		tok := scopeToken(c, cl, g.wide)
		ex := callAPI(c, *rule, other, tok.AccessToken)
		c.Must(ex.Err == nil, ex, "the request failed: %v", ex.Err)
		if apiAccepted(ex) {
			c.Warnf(engine.Exchanges(ex), "%s %s with client_id %q accepted a token of client %q (status %d)", rule.Method, rule.Path, other, cl.ID, ex.Status)
			return
		}
		c.Saw("another client's path was refused with status %d", ex.Status)
	})
}
