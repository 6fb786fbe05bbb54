package mockserver

import (
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/oauthconform/oauthconform/profile"
)

// Protected resources (RFC 6750). Every request's token is checked first
// (401 without or with an invalid token), then the route (404, 405), then
// the scope.

// resourceRoutes registers the generic resource (and its scope-gated
// sub-paths) and the settings' scope-gated API.
func (p *Provider) resourceRoutes() {
	// The UserInfo endpoint is a protected resource too (OIDC Core §5.3).
	p.oidcRoutes()
	if e := p.settings.Endpoints.Resource; e != "" {
		p.mux.HandleFunc(e, p.handleResource)
		p.mux.HandleFunc(strings.TrimSuffix(e, "/")+"/", p.handleResource)
	}
	res := p.settings.Resources
	if res.Prefix != "" {
		p.mux.HandleFunc(res.Prefix, p.handleResourceAPI)
		if !strings.HasSuffix(res.Prefix, "/") {
			p.mux.HandleFunc(res.Prefix+"/", p.handleResourceAPI)
		}
		return
	}
	var seen []string
	for _, rule := range res.Rules {
		if !slices.Contains(seen, rule.Path) {
			seen = append(seen, rule.Path)
			p.mux.HandleFunc(rule.Path, p.handleResourceAPI)
		}
	}
}

// resourceRequest authenticates the bearer token of a protected resource
// request (RFC 6750) and then requires GET or POST; on failure it has
// written the error and returns nil.
func (p *Provider) resourceRequest(w http.ResponseWriter, r *http.Request) *tokenRef {
	ref, berr := p.authenticateBearer(r)
	if berr != nil {
		p.writeBearerError(w, berr)
		return nil
	}
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		p.writeResourceJSON(w, http.StatusMethodNotAllowed, []byte(`{"error":"method_not_allowed"}`))
		return nil
	}
	return ref
}

// requireScope reports whether ref's scope holds scope; when it does not,
// it has answered 403 insufficient_scope with desc (RFC 6750 §3.1).
func (p *Provider) requireScope(w http.ResponseWriter, ref *tokenRef, scope, desc string) bool {
	if hasAnyScope(ref.scope, []string{scope}) {
		return true
	}
	p.writeBearerError(w, &bearerError{status: http.StatusForbidden, code: "insufficient_scope", desc: desc, scope: scope})
	return false
}

// handleResource is the generic protected resource: GET or POST with any
// valid access token answers {"ok":true,"sub":…,"client_id":…,"scope":…}.
// {resource}/{scope} additionally requires that scope value, else 403
// insufficient_scope, so the error of RFC 6750 §3.1 can be probed in every
// profile.
func (p *Provider) handleResource(w http.ResponseWriter, r *http.Request) {
	ref := p.resourceRequest(w, r)
	if ref == nil {
		return
	}
	base := strings.TrimSuffix(p.settings.Endpoints.Resource, "/")
	if need := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, base), "/"); need != "" {
		if strings.Contains(need, "/") || !profile.ValidScopeToken(need) {
			p.writeResourceJSON(w, http.StatusNotFound, []byte(`{"error":"not_found"}`))
			return
		}
		if !p.requireScope(w, ref, need, "The access token does not carry the scope this resource requires.") {
			return
		}
	}
	b := append([]byte(`{"ok":true,"sub":`), appendJSONString(nil, ref.subject)...)
	b = append(b, `,"client_id":`...)
	b = appendJSONString(b, ref.clientID)
	b = append(b, `,"scope":`...)
	b = appendJSONString(b, ref.scope)
	p.writeResourceJSON(w, http.StatusOK, append(b, '}'))
}

// handleResourceAPI serves the settings' scope-gated endpoints (seed 001's
// merchant/customer API) with stub bodies:
//   - the first rule whose path template and method match decides which
//     scopes are accepted; a path matching rules of other methods only is
//     405; a path under the prefix matching no rule needs the default scopes
//     and then answers 404;
//   - a token without an accepted scope gets 403 insufficient_scope, or 401
//     invalid_token where the dialect says so (merchant-customer: "other
//     endpoints will consider this token invalid");
//   - a {client_id} in the path must be the token's client, else 401
//     invalid_token: the token is valid, but not for this resource, as with
//     an audience mismatch (RFC 9068 §4), and a 403 would confirm that the
//     path names a real client.
func (p *Provider) handleResourceAPI(w http.ResponseWriter, r *http.Request) {
	ref, berr := p.authenticateBearer(r)
	if berr != nil {
		p.writeBearerError(w, berr)
		return
	}
	res := p.settings.Resources
	var rule *profile.ResourceRule
	var vars map[string]string
	var allow []string
	for i := range res.Rules {
		rr := &res.Rules[i]
		v, ok := profile.MatchPath(rr.Path, r.URL.Path)
		if !ok {
			continue
		}
		if strings.ToUpper(rr.Method) == r.Method {
			rule, vars = rr, v
			break
		}
		if m := strings.ToUpper(rr.Method); !slices.Contains(allow, m) {
			allow = append(allow, m)
		}
	}
	if rule == nil && len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		p.writeResourceJSON(w, http.StatusMethodNotAllowed, []byte(`{"error":"method_not_allowed"}`))
		return
	}
	scopes := res.DefaultScopes
	if rule != nil {
		scopes = rule.Scopes
		if p.rules.resource.defaultScopeOnly && len(res.DefaultScopes) > 0 {
			scopes = res.DefaultScopes
		}
		if narrow := slices.DeleteFunc(slices.Clone(rule.Scopes), func(s string) bool { return slices.Contains(res.DefaultScopes, s) }); p.rules.resource.narrowScopeOnly && len(narrow) > 0 {
			scopes = narrow
		}
	}
	if len(scopes) > 0 && !hasAnyScope(ref.scope, scopes) && !p.rules.resource.scopeUnchecked {
		if res.ScopeError == profile.ScopeErrorInvalidToken {
			p.writeBearerError(w, &bearerError{status: http.StatusUnauthorized, code: "invalid_token", desc: "The access token is not valid for this endpoint."})
			return
		}
		p.writeBearerError(w, &bearerError{
			status: http.StatusForbidden, code: "insufficient_scope",
			desc: "The access token does not carry a scope this endpoint accepts.", scope: strings.Join(scopes, " "),
		})
		return
	}
	if rule == nil {
		p.writeResourceJSON(w, http.StatusNotFound, []byte(`{"error":"not_found"}`))
		return
	}
	if id, ok := vars["client_id"]; ok && id != ref.clientID && !p.rules.resource.pathClientUnchecked {
		p.writeBearerError(w, &bearerError{status: http.StatusUnauthorized, code: "invalid_token", desc: "The access token was not issued to the client in the request path."})
		return
	}
	b := append([]byte(`{"ok":true,"endpoint":`), appendJSONString(nil, strings.ToUpper(rule.Method)+" "+rule.Path)...)
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		b = append(b, ',')
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendJSONString(b, vars[k])
	}
	b = append(b, `,"scope":`...)
	b = appendJSONString(b, ref.scope)
	p.writeResourceJSON(w, http.StatusOK, append(b, '}'))
}

func (p *Provider) writeResourceJSON(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h["Content-Type"] = jsonCT
	h["Cache-Control"] = noStore
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
