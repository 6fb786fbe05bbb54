package steps

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/engine"
	"github.com/oauthconform/oauthconform/suites/harness"
)

// Introspector is the client that asks the introspection endpoint about
// tokens of owner: a confidential client (RFC 7662 §2.1 wants the caller
// authorized; a resource server is one), else owner itself.
func Introspector(c *engine.C, owner *engine.Client) *engine.Client {
	for _, role := range []string{profile.RolePrimary, profile.RoleSecond} {
		if cl := c.Env.Client(role); cl != nil && !cl.Public() {
			return cl
		}
	}
	return owner
}

// Introspect asks the introspection endpoint u about tok as cl.
func Introspect(c *engine.C, u string, cl *engine.Client, tok, hint string) *harness.Exchange {
	form := url.Values{"token": {tok}}
	if hint != "" {
		form.Set("token_type_hint", hint)
	}
	return EndpointPost(c, u, cl, form)
}

// TokenState is one oracle's verdict on whether a token still works.
type TokenState struct {
	Via    string
	Active bool
	Ex     *harness.Exchange
}

// Oracles: the introspection endpoint (RFC 7662) and, for access tokens,
// the protected resource (RFC 6750) tell whether a token still works. An
// oracle counts only if it called the token active before the event that
// should end it: one that refuses every token (a client not allowed to
// introspect others' tokens, a resource that takes only some grants'
// tokens) would otherwise make every revocation look done.
const (
	oracleIntrospection = "introspection"
	oracleResource      = "the protected resource"
)

// LiveOracles asks the target's oracles about tok now, before the event, and
// returns those that call it active.
func LiveOracles(c *engine.C, tok, hint string, owner *engine.Client) []string {
	var live []string
	for _, s := range askOracles(c, tok, hint, owner, nil) {
		if s.Active {
			live = append(live, s.Via)
		} else {
			c.Infof("%s does not call the %s active even before it should end: it is no evidence here", s.Via, hintName(hint))
		}
	}
	return live
}

// TokenStates asks the oracles in live (from LiveOracles) whether tok (of
// owner) is still usable. Oracles that give no clear answer are left out
// (noted as INFO).
func TokenStates(c *engine.C, tok, hint string, owner *engine.Client, live []string) []TokenState {
	if len(live) == 0 {
		return nil
	}
	return askOracles(c, tok, hint, owner, live)
}

// askOracles asks the oracles the target has (only those in only, unless
// nil).
func askOracles(c *engine.C, tok, hint string, owner *engine.Client, only []string) []TokenState {
	var out []TokenState
	if tok == "" {
		return nil
	}
	ask := func(o string) bool { return only == nil || slices.Contains(only, o) }
	if u := introspectionURL(c); u != "" && ask(oracleIntrospection) {
		if who := Introspector(c, owner); who != nil {
			ex := Introspect(c, u, who, tok, hint)
			active, ok := engine.Body(ex)["active"].(bool)
			if ex.Err == nil && ex.Status == http.StatusOK && ok {
				out = append(out, TokenState{oracleIntrospection, active, ex})
			} else {
				c.Infof("introspection gave no clear answer about the %s (status %d, %v)", hintName(hint), ex.Status, ex.Err)
			}
		}
	}
	if r := c.Env.Endpoints.Resource; r != "" && hint == "access_token" && ask(oracleResource) {
		ex := c.Env.HTTP.Get(c, r, harness.WithAuthorization("Bearer "+tok))
		switch {
		case ex.Err == nil && ex.Status >= 200 && ex.Status < 300:
			out = append(out, TokenState{oracleResource, true, ex})
		case ex.Err == nil && ex.Status == http.StatusUnauthorized:
			out = append(out, TokenState{oracleResource, false, ex})
		default:
			c.Infof("the protected resource gave no clear answer about the access token (status %d, %v)", ex.Status, ex.Err)
		}
	}
	return out
}

func hintName(hint string) string {
	if hint == "" {
		return "token"
	}
	return strings.ReplaceAll(hint, "_", " ")
}

// StillActive lists the oracles that call the token active, with their
// exchanges.
func StillActive(states []TokenState) (via []string, ev []*harness.Exchange) {
	for _, s := range states {
		if s.Active {
			via = append(via, s.Via)
			ev = append(ev, s.Ex)
		}
	}
	return via, ev
}
