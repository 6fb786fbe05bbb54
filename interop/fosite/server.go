// Package fositeserver runs a real third-party authorization server,
// github.com/ory/fosite, as a target for the oauthconform harness.
//
// It composes fosite's OAuth 2.0 handlers (authorization code with PKCE,
// implicit, client credentials, resource owner password, refresh token,
// RFC 7009 revocation and RFC 7662 introspection; no OpenID Connect) over
// fosite's in-memory store, registers the clients and the user of
// [Clients] and [Username], and adds the two things fosite leaves to the
// application: an HTML login and consent page at the authorization endpoint,
// and RFC 8414 metadata describing what is configured here.
//
// Endpoints, under the issuer:
//
//	/oauth2/auth                               authorization (login + consent form)
//	/oauth2/token                              token
//	/oauth2/revoke                             revocation (RFC 7009)
//	/oauth2/introspect                         introspection (RFC 7662)
//	/.well-known/oauth-authorization-server    metadata (RFC 8414)
//
// Tokens are fosite's default opaque HMAC-SHA512/256 tokens ("ory_at_…",
// "ory_rt_…", "ory_ac_…"); there is no JWKS and no protected resource.
package fositeserver

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
	"github.com/ory/fosite/storage"
)

// Endpoint paths, relative to the issuer.
const (
	PathAuthorize     = "/oauth2/auth"
	PathToken         = "/oauth2/token"
	PathRevocation    = "/oauth2/revoke"
	PathIntrospection = "/oauth2/introspect"
	PathMetadata      = "/.well-known/oauth-authorization-server"
)

// The resource owner the login form and the password grant accept.
const (
	Username = "peter"
	Password = "peter-password-1"
)

// Scopes every client is registered for. "offline" is fosite's refresh
// token scope (see Options.RefreshTokenScopes).
var Scopes = []string{"read", "write", "admin", "offline"}

// Loopback redirect URIs of the test clients (fosite accepts plain http only
// for loopback hosts, RFC 8252 §7.3).
const (
	RedirectURI  = "http://127.0.0.1:8765/callback"
	RedirectURI2 = "http://127.0.0.1:8765/callback2"
)

// Client is a client registered with the server, by the harness role it
// plays.
type Client struct {
	Role   string
	ID     string
	Secret string // empty: public client
	// AuthMethod is the client's token_endpoint_auth_method; fosite refuses
	// the other methods for it.
	AuthMethod   string
	RedirectURIs []string
	GrantTypes   []string
}

var (
	allGrants     = []string{"authorization_code", "implicit", "client_credentials", "password", "refresh_token"}
	allResponses  = []string{"code", "token"}
	publicGrants  = []string{"authorization_code", "implicit", "refresh_token"}
	codeOnlyGrant = []string{"authorization_code"}
)

// Clients are the registered clients, one per harness role.
var Clients = []Client{
	{Role: "primary", ID: "fosite-primary", Secret: "primary-secret-1", AuthMethod: "client_secret_basic",
		RedirectURIs: []string{RedirectURI}, GrantTypes: allGrants},
	{Role: "second", ID: "fosite-second", Secret: "second-secret-2", AuthMethod: "client_secret_post",
		RedirectURIs: []string{RedirectURI2}, GrantTypes: allGrants},
	{Role: "public", ID: "fosite-public", AuthMethod: "none",
		RedirectURIs: []string{RedirectURI}, GrantTypes: publicGrants},
	{Role: "public-2", ID: "fosite-public-2", AuthMethod: "none",
		RedirectURIs: []string{RedirectURI}, GrantTypes: publicGrants},
	{Role: "restricted", ID: "fosite-restricted", Secret: "restricted-secret-3", AuthMethod: "client_secret_basic",
		RedirectURIs: []string{RedirectURI}, GrantTypes: codeOnlyGrant},
	{Role: "no-code", ID: "fosite-no-code", Secret: "no-code-secret-4", AuthMethod: "client_secret_basic",
		RedirectURIs: []string{RedirectURI}, GrantTypes: []string{"client_credentials"}},
	{Role: "reserved-chars", ID: "special client+1", Secret: "a+b:c%/ d=~&", AuthMethod: "client_secret_basic",
		RedirectURIs: []string{RedirectURI}, GrantTypes: allGrants},
	{Role: "multi-redirect", ID: "fosite-multi", Secret: "multi-secret-5", AuthMethod: "client_secret_basic",
		RedirectURIs: []string{"https://client.example/cb1", "https://client.example/cb2"}, GrantTypes: allGrants},
	{Role: "sacrificial", ID: "fosite-sacrificial", Secret: "sacrificial-secret-7", AuthMethod: "client_secret_basic",
		RedirectURIs: []string{RedirectURI}, GrantTypes: allGrants},
	{Role: "query-redirect", ID: "fosite-query", Secret: "query-secret-6", AuthMethod: "client_secret_basic",
		RedirectURIs: []string{"https://client.example/cb?dummy1=lorem&dummy2=ipsum"}, GrantTypes: allGrants},
}

// responseTypesFor registers the response types consistent with a client's
// grant types (RFC 7591 §2.1): fosite's authorization endpoint checks the
// response_type against the client's response types only, not its grant
// types, so a client registered without response types (fosite then
// assumes ["code"]) would get codes it may never redeem. A client with
// neither grant gets "none" (OAuth 2.0 Multiple Response Types §4), which
// no handler composed here serves: it is refused unsupported_response_type.
func responseTypesFor(grants []string) []string {
	var rts []string
	if slices.Contains(grants, "authorization_code") {
		rts = append(rts, "code")
	}
	if slices.Contains(grants, "implicit") {
		rts = append(rts, "token")
	}
	if len(rts) == 0 {
		rts = []string{"none"}
	}
	return rts
}

// Options configure the server; the zero value is fosite's defaults except
// where noted.
type Options struct {
	// Issuer is the external base URL (https://127.0.0.1:port), required.
	Issuer string
	// CodeLifetime is the authorization code lifespan (fosite's default:
	// 15 minutes).
	CodeLifetime time.Duration
	// RefreshTokenScopes are the scopes one of which must be granted for a
	// refresh token to be issued. nil is fosite's default, "offline" or
	// "offline_access"; an empty non-nil slice issues refresh tokens to every
	// client allowed the refresh_token grant.
	RefreshTokenScopes []string
	// EnablePKCEPlain accepts code_challenge_method=plain (fosite's default:
	// S256 only).
	EnablePKCEPlain bool
}

// Server is the composed provider and its store.
type Server struct {
	Provider fosite.OAuth2Provider
	Store    *Store
	Config   *fosite.Config
	opts     Options
	mux      *http.ServeMux
	// storeMu serialises the endpoints that read and change tokens (token,
	// revocation, introspection). fosite makes a redemption atomic through
	// a transactional store (storage.Transactional); its in-memory store has
	// none, so concurrent redemptions of one code both pass the check
	// before either invalidates it, and share the stored request's session
	// (a data race under -race). A deployment's transactional store gives
	// what this lock gives.
	storeMu sync.Mutex
}

// Store is fosite's in-memory store with a stable subject for the password
// grant: storage.MemoryStore.Authenticate returns a fresh random UUID on
// every call, while a real user store returns the user's id.
type Store struct{ *storage.MemoryStore }

// Authenticate checks the user's password and returns the username as the
// subject.
func (s *Store) Authenticate(ctx context.Context, name, secret string) (string, error) {
	if _, err := s.MemoryStore.Authenticate(ctx, name, secret); err != nil {
		return "", err
	}
	return name, nil
}

// New builds the server.
func New(opts Options) (*Server, error) {
	if opts.Issuer == "" {
		return nil, fmt.Errorf("fositeserver: no issuer")
	}
	opts.Issuer = strings.TrimRight(opts.Issuer, "/")
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	cfg := &fosite.Config{
		GlobalSecret:                   secret,
		AuthorizeCodeLifespan:          opts.CodeLifetime,
		AccessTokenLifespan:            time.Hour,
		RefreshTokenScopes:             opts.RefreshTokenScopes,
		EnforcePKCEForPublicClients:    true,
		EnablePKCEPlainChallengeMethod: opts.EnablePKCEPlain,
		TokenURL:                       opts.Issuer + PathToken,
		AccessTokenIssuer:              opts.Issuer,
		// bcrypt's minimum cost keeps the many client authentications of
		// a run cheap; the secrets are test fixtures.
		HashCost: bcrypt.MinCost,
		// fosite's defaults, set here because its getters fill these
		// fields lazily, a data race under concurrent requests.
		ScopeStrategy:            fosite.WildcardScopeStrategy,
		AudienceMatchingStrategy: fosite.DefaultAudienceMatchingStrategy,
	}
	cfg.ClientSecretsHasher = &fosite.BCrypt{Config: cfg}
	mem := storage.NewMemoryStore()
	for _, c := range Clients {
		dc := &fosite.DefaultClient{
			ID:            c.ID,
			RedirectURIs:  c.RedirectURIs,
			GrantTypes:    c.GrantTypes,
			ResponseTypes: responseTypesFor(c.GrantTypes),
			Scopes:        Scopes,
			Public:        c.Secret == "",
		}
		if c.Secret != "" {
			h, err := bcrypt.GenerateFromPassword([]byte(c.Secret), bcrypt.MinCost)
			if err != nil {
				return nil, err
			}
			dc.Secret = h
		}
		mem.Clients[c.ID] = &fosite.DefaultOpenIDConnectClient{DefaultClient: dc, TokenEndpointAuthMethod: c.AuthMethod}
	}
	mem.Users[Username] = storage.MemoryUserRelation{Username: Username, Password: Password}
	store := &Store{MemoryStore: mem}

	strategy := compose.NewOAuth2HMACStrategy(cfg)
	provider := compose.Compose(cfg, store, strategy,
		compose.OAuth2AuthorizeExplicitFactory,
		compose.OAuth2AuthorizeImplicitFactory,
		compose.OAuth2ClientCredentialsGrantFactory,
		compose.OAuth2RefreshTokenGrantFactory,
		compose.OAuth2ResourceOwnerPasswordCredentialsFactory,
		compose.OAuth2PKCEFactory,
		compose.OAuth2TokenIntrospectionFactory,
		compose.OAuth2TokenRevocationFactory,
	)
	s := &Server{Provider: provider, Store: store, Config: cfg, opts: opts, mux: http.NewServeMux()}
	s.mux.HandleFunc(PathAuthorize, s.authorize)
	s.mux.HandleFunc(PathToken, s.token)
	s.mux.HandleFunc(PathRevocation, s.revoke)
	s.mux.HandleFunc(PathIntrospection, s.introspect)
	s.mux.HandleFunc(PathMetadata, s.metadata)
	return s, nil
}

// ServeHTTP serves the endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Metadata is the RFC 8414 document: what New configured, and nothing else.
func (s *Server) Metadata() map[string]any {
	iss := s.opts.Issuer
	methods := []string{"S256"}
	if s.opts.EnablePKCEPlain {
		methods = append(methods, "plain")
	}
	return map[string]any{
		"issuer":                                iss,
		"authorization_endpoint":                iss + PathAuthorize,
		"token_endpoint":                        iss + PathToken,
		"revocation_endpoint":                   iss + PathRevocation,
		"introspection_endpoint":                iss + PathIntrospection,
		"grant_types_supported":                 allGrants,
		"response_types_supported":              allResponses,
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post", "none"},
		// Revocation authenticates the caller as the token endpoint does;
		// introspection takes HTTP Basic only (or, beyond RFC 8414's
		// vocabulary, a bearer access token).
		"revocation_endpoint_auth_methods_supported":    []string{"client_secret_basic", "client_secret_post", "none"},
		"introspection_endpoint_auth_methods_supported": []string{"client_secret_basic"},
		"code_challenge_methods_supported":              methods,
		"scopes_supported":                              Scopes,
	}
}

func (s *Server) metadata(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(s.Metadata())
}

// The token, revocation and introspection endpoints are fosite's own, with
// the application's part: which scopes a grant gets.

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	s.storeMu.Lock()
	defer s.storeMu.Unlock()
	ar, err := s.Provider.NewAccessRequest(ctx, r, &fosite.DefaultSession{})
	if err != nil {
		s.Provider.WriteAccessError(ctx, w, ar, err)
		return
	}
	// Codes and refresh tokens carry their grant; client credentials and the
	// password grant get every scope requested (fosite has already refused
	// scopes the client is not registered for).
	if ar.GetGrantTypes().ExactOne("client_credentials") || ar.GetGrantTypes().ExactOne("password") {
		for _, sc := range ar.GetRequestedScopes() {
			ar.GrantScope(sc)
		}
		if ds, ok := ar.GetSession().(*fosite.DefaultSession); ok && ar.GetGrantTypes().ExactOne("password") {
			ds.Username = ds.Subject
		}
	}
	resp, err := s.Provider.NewAccessResponse(ctx, ar)
	if err != nil {
		s.Provider.WriteAccessError(ctx, w, ar, err)
		return
	}
	s.Provider.WriteAccessResponse(ctx, w, ar, resp)
}

func (s *Server) revoke(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	s.storeMu.Lock()
	defer s.storeMu.Unlock()
	s.Provider.WriteRevocationResponse(ctx, w, s.Provider.NewRevocationRequest(ctx, r))
}

func (s *Server) introspect(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	s.storeMu.Lock()
	defer s.storeMu.Unlock()
	ir, err := s.Provider.NewIntrospectionRequest(ctx, r, &fosite.DefaultSession{})
	if err != nil {
		s.Provider.WriteIntrospectionError(ctx, w, err)
		return
	}
	s.Provider.WriteIntrospectionResponse(ctx, w, ir)
}

// The authorization endpoint: fosite parses and validates the request (and
// answers errors itself); the application logs the user in and asks for
// consent.
//
// GET shows the login and consent form. The form posts back to the same URL,
// authorization request included, with the credentials and the pressed
// button in the body; fosite re-validates the request from both. Approve
// with the right credentials: fosite issues the response for every requested
// scope. Deny: fosite writes access_denied to the redirect URI. Wrong
// credentials: the form again, with an error.

var page = template.Must(template.New("login").Parse(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Sign in - fosite</title></head>
<body>
<h1>Sign in</h1>
<p><strong>{{.ClientID}}</strong> asks for access{{if .Scopes}} to: {{.Scopes}}{{end}}.</p>
{{if .Error}}<p role="alert">{{.Error}}</p>{{end}}
<form method="post" action="{{.Action}}">
  <label>Username <input type="text" name="username" autocomplete="username"></label>
  <label>Password <input type="password" name="password" autocomplete="current-password"></label>
  <button type="submit" name="consent" value="approve">Allow</button>
  <button type="submit" name="consent" value="deny">Deny</button>
</form>
</body>
</html>
`))

func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	ar, err := s.Provider.NewAuthorizeRequest(ctx, r)
	if err != nil {
		s.Provider.WriteAuthorizeError(ctx, w, ar, err)
		return
	}
	// The login form's own fields, not OAuth parameters: only a POST
	// carries them, in its body.
	consent, user, pass := r.PostForm.Get("consent"), r.PostForm.Get("username"), r.PostForm.Get("password")
	if r.Method == http.MethodGet || consent == "" {
		s.showForm(w, r, ar, "")
		return
	}
	if consent == "deny" {
		s.Provider.WriteAuthorizeError(ctx, w, ar, fosite.ErrAccessDenied.WithHint("The resource owner denied the request."))
		return
	}
	if _, err := s.Store.Authenticate(ctx, user, pass); err != nil {
		s.showForm(w, r, ar, "Wrong username or password.")
		return
	}
	for _, sc := range ar.GetRequestedScopes() {
		ar.GrantScope(sc)
	}
	resp, err := s.Provider.NewAuthorizeResponse(ctx, ar, &fosite.DefaultSession{Subject: user, Username: user})
	if err != nil {
		s.Provider.WriteAuthorizeError(ctx, w, ar, err)
		return
	}
	s.Provider.WriteAuthorizeResponse(ctx, w, ar, resp)
}

func (s *Server) showForm(w http.ResponseWriter, r *http.Request, ar fosite.AuthorizeRequester, msg string) {
	action := PathAuthorize
	if r.URL.RawQuery != "" {
		action += "?" + r.URL.RawQuery
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Security-Policy", "frame-ancestors 'none'")
	_ = page.Execute(w, map[string]any{
		"ClientID": ar.GetClient().GetID(),
		"Scopes":   strings.Join(ar.GetRequestedScopes(), " "),
		"Error":    msg,
		"Action":   action,
	})
}
