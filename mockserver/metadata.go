package mockserver

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/oauthconform/oauthconform/profile"
)

// Well-known locations of the metadata document.
const (
	// WellKnownOAuth is RFC 8414 §3's; the issuer's path is appended (§3.1).
	WellKnownOAuth = "/.well-known/oauth-authorization-server"
	// WellKnownOIDC is OpenID Connect Discovery's, appended to the issuer.
	WellKnownOIDC = "/.well-known/openid-configuration"
)

// issuerPath returns the path of the issuer identifier ("" for none, or
// when it holds characters the router cannot take literally).
func (p *Provider) issuerPath() string {
	u, err := url.Parse(p.issuer)
	if err != nil {
		return ""
	}
	path := strings.TrimSuffix(u.Path, "/")
	for _, c := range path {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("/-._~", c)) {
			return ""
		}
	}
	return path
}

// metadataRoutes registers the metadata document at RFC 8414's location
// for the issuer (with its path, §3.1) and at OpenID Connect's. For an
// issuer with a path, OpenID's location is under the path; withIssuerPath
// maps it (and every advertised endpoint URL) to these routes.
func (p *Provider) metadataRoutes() {
	if !p.settings.ServesMetadata() {
		return // metadata: false; every well-known path is a 404
	}
	p.mux.HandleFunc(WellKnownOAuth+p.issuerPath(), p.handleMetadata)
	p.mux.HandleFunc(WellKnownOIDC, p.handleMetadata)
}

// withIssuerPath serves the URLs the metadata advertises when the issuer has
// a path (issuer + endpoint path, e.g. http://host/tenant/token) by the
// provider's routes, which sit at the root: a request that matches no route
// as it is, and starts with the issuer's path, is routed without it. Behind
// a proxy that strips the path, requests arrive at the root routes anyway.
func (p *Provider) withIssuerPath(mux *http.ServeMux) http.Handler {
	next := p.withNotFound(mux)
	ip := p.issuerPath()
	if ip == "" {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rest, ok := strings.CutPrefix(r.URL.Path, ip); ok && strings.HasPrefix(rest, "/") {
			if _, pattern := mux.Handler(r); pattern == "" {
				r2 := new(http.Request)
				*r2 = *r
				u := *r.URL
				u.Path, u.RawPath = rest, ""
				r2.URL = &u
				next.ServeHTTP(w, r2)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// MetadataURL returns the RFC 8414 metadata URL of the issuer ("" when the
// settings serve no metadata).
func (p *Provider) MetadataURL() string {
	if !p.settings.ServesMetadata() {
		return ""
	}
	u, err := url.Parse(p.issuer)
	if err != nil {
		return p.issuer + WellKnownOAuth
	}
	u.Path, u.RawPath = WellKnownOAuth+p.issuerPath(), ""
	return u.String()
}

type metaMember struct {
	name  string
	value any
}

// metadata builds the RFC 8414 §2 document from what the settings enable.
// Zero-element arrays are omitted (§3.2).
func (p *Provider) metadata() []byte {
	e := p.settings.Endpoints
	var doc []metaMember
	add := func(name string, v any) { doc = append(doc, metaMember{name, v}) }
	addList := func(name string, v []string) {
		if len(v) > 0 || p.rules.meta.emptyArrays {
			if v == nil {
				v = []string{}
			}
			add(name, v)
		}
	}
	issuer := p.issuer
	if p.rules.meta.issuerMismatch {
		issuer += "/other-tenant"
	}
	add("issuer", issuer)
	if e.Authorize != "" {
		add("authorization_endpoint", p.URL(e.Authorize))
	}
	add("token_endpoint", p.URL(e.Token))
	if p.publishesJWKS() {
		add("jwks_uri", p.URL(e.JWKS))
	}
	addList("scopes_supported", p.settings.Scopes.Supported)
	// RFC 8414 makes response_types_supported REQUIRED; settings without an
	// authorization endpoint has none, and §3.2 forbids an empty array, so
	// it is omitted there (like authorization_endpoint).
	addList("response_types_supported", p.settings.ResponseTypes)

	grants := slices.Clone(p.settings.GrantTypes)
	if p.settings.HasResponseType("token") {
		grants = append(grants, "implicit")
	}
	if p.rules.meta.unsupportedGrant {
		grants = append(grants, p.unsupportedGrant())
	}
	if p.rules.meta.omitsRefresh {
		grants = slices.DeleteFunc(grants, func(g string) bool { return g == profile.GrantRefreshToken })
	}
	addList("grant_types_supported", grants)

	methods := p.settings.ClientAuth.Methods
	addList("token_endpoint_auth_methods_supported", methods)
	if e.Revocation != "" {
		add("revocation_endpoint", p.URL(e.Revocation))
		addList("revocation_endpoint_auth_methods_supported", methods)
	}
	if e.Introspection != "" {
		add("introspection_endpoint", p.URL(e.Introspection))
		addList("introspection_endpoint_auth_methods_supported", p.introspectionAuthMethods())
	}
	var pkce []string
	if p.settings.PKCE.Mode != PKCEUnsupported {
		pkce = p.settings.PKCE.Methods
		if p.rules.meta.noS256 {
			pkce = []string{"plain"}
		}
	}
	addList("code_challenge_methods_supported", pkce)
	if p.rules.meta.emptyArrays {
		addList("ui_locales_supported", nil)
	}
	p.oidcMetadata(add, addList)

	if p.rules.meta.httpEndpoints {
		for i, m := range doc {
			if u, ok := m.value.(string); ok && (strings.HasSuffix(m.name, "_endpoint") || m.name == "jwks_uri") {
				doc[i].value = strings.Replace(u, "https://", "http://", 1)
			}
		}
	}
	ms := make([]jsonMember, len(doc))
	for i, m := range doc {
		v, err := json.Marshal(m.value)
		if err != nil {
			v = []byte("null") // unreachable: strings and string slices only
		}
		ms[i] = jsonMember{name: m.name, value: v}
	}
	return joinMembers(ms)
}

// unsupportedGrant is the grant type the metadata-unsupported-grant quirk
// advertises: a standard one the settings lack, else the device grant.
func (p *Provider) unsupportedGrant() string {
	for _, g := range []string{profile.GrantPassword, profile.GrantClientCredentials, profile.GrantRefreshToken} {
		if !p.settings.HasGrant(g) {
			return g
		}
	}
	return "urn:ietf:params:oauth:grant-type:device_code"
}

// introspectionAuthMethods are the client authentication methods the
// introspection endpoint takes: public clients (none) only where the API key
// authorizes the request (RFC 7662 §2.1 requires some authorization).
func (p *Provider) introspectionAuthMethods() []string {
	if p.settings.ClientAuth.APIKeyHeader != "" {
		return p.settings.ClientAuth.Methods
	}
	return slices.DeleteFunc(slices.Clone(p.settings.ClientAuth.Methods), func(m string) bool { return m == profile.AuthNone })
}

// handleMetadata serves the RFC 8414 authorization server metadata.
func (p *Provider) handleMetadata(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	b := p.metadata()
	h := w.Header()
	h["Content-Type"] = jsonCT
	h.Set("Cache-Control", "public, max-age=60")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(b)
}
