// Package mockserver is the reference OAuth 2.0 provider: an in-memory
// authorization server that plays any dialect (profile.Dialect) with its own
// choices where the dialect and the RFCs leave a server free (Settings; the
// built-in ones choose the strict answer), with named quirks that each break
// one rule so the conformance suites can be shown to catch it. Use New for an http.Handler, NewServer for a running
// server, or NewTestServer in Go tests.
package mockserver

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oauthconform/oauthconform/profile"
)

const levelDebug = slog.LevelDebug

// Config configures a Provider. The zero value plays the default dialect
// with its built-in settings and the default fixtures.
type Config struct {
	// Dialect is the dialect to play; nil means the one Settings names, or
	// rfc6749 without Settings.
	Dialect *profile.Dialect
	// Settings are the mock's choices within the dialect; nil means the
	// built-in settings of the dialect's name (fixtures/mock/NAME.yaml). They
	// are resolved against the dialect and validated (Settings.Resolve) on a
	// copy: the caller's value is never changed.
	Settings *Settings
	// Fixtures are the registered clients, users and API keys; nil means the
	// committed defaults. They are adapted to the settings (ForDialect).
	Fixtures *profile.Fixtures
	// Quirks names the fault-injection switches to turn on.
	Quirks []string
	// Issuer is the provider's external base URL (iss claim, metadata).
	Issuer string
	// Keys says where the keys that sign JWTs come from; the zero value is
	// FixtureKeys, public and deterministic, for tests. A provider others
	// can reach wants GeneratedKeys or its own key (see KeySource).
	Keys KeySource
	// Clock defaults to the system clock.
	Clock Clock
	// Store defaults to a new MemoryStore of MaxRecords records.
	Store Store
	// MaxRecords caps the default store (see MemoryStore): 0 means
	// DefaultMaxRecords, a negative value no cap. Ignored with Store.
	MaxRecords int
	// Logger defaults to discarding. Secrets are never logged.
	Logger *slog.Logger
	// RecordRequests keeps a log of received requests (see Requests).
	RecordRequests bool
	// RecordSecrets keeps the credentials in the request log as received
	// (the Authorization, Cookie and API key headers, and the body members
	// that carry secrets, see RecordedRequest) instead of redacting them.
	// For tests that assert what their client sent; never in a shared log.
	RecordSecrets bool
	// SweepInterval is how often expired state is dropped; default 30s.
	SweepInterval time.Duration

	// What the options of NewServer and NewTestServer set beyond the
	// fields above (see ServerOption).
	server        serverOptions
	settingsEdits []func(*Settings)
}

// Provider is the mock authorization server as an http.Handler.
type Provider struct {
	settings *Settings
	dialect  *profile.Dialect
	// fixtures are the start-up registrations (AddClient and AddUser do
	// not change them); reg holds every registration (see registry).
	fixtures *profile.Fixtures
	reg      atomic.Pointer[registry]
	regMu    sync.Mutex
	apiKeys  [][32]byte
	quirks   quirkSet
	// rules are the rules as the quirks relax them (rules.go), filters
	// the response filters of the quirks (filters.go).
	rules    rules
	filters  responseFilters
	issuer   string
	audience string
	realm    string
	clock    Clock
	store    Store
	// fresh is store when it is a *MemoryStore itself (not a type that
	// embeds one, which may override its methods), else nil: it saves
	// records under keys just drawn from crypto/rand without looking for
	// an earlier one (saveFreshToken).
	fresh *MemoryStore
	log   *slog.Logger
	keys  *keyring
	// keySource is Config.Keys; idKeys sign ID tokens where keys cannot
	// (see idTokenKey), nil when the access token keys do or OpenID
	// Connect is off.
	keySource KeySource
	idKeys    []*signingKey
	// headers caches each key's encoded JWS header for the settings' typ.
	headers map[string][]byte
	// jwt is how JWT access tokens are shaped (see jwtShape); tokens
	// makes and recognises access tokens (tokens.go).
	jwt           jwtShape
	tokens        tokenStrategy
	tokenTypeJSON []byte
	grants        map[string]grantHandler
	mux           *http.ServeMux
	handler       http.Handler
	recorder      *requestLog
	// faults are the answers queued by Enqueue (see faults.go).
	faults faultQueue
	// pending holds authorization requests awaiting login and consent.
	pending pendingStore

	// failures throttles brute force against client secrets and passwords.
	failures throttle
	// lastAccess keeps each grant's first access token for the
	// refresh-same-access-token quirk.
	lastAccess sync.Map
	// resets is the state of Reset (reset.go).
	resets resetState

	stopSweep chan struct{}
	closeOnce sync.Once
}

// New builds a provider. It does no I/O; with the fixture keys (the
// default) it generates none either, so it is ready in microseconds
// (GeneratedKeys adds microseconds for ES256, EdDSA and HS256, about 0.1 s
// of CPU for RS256).
func New(cfg Config) (*Provider, error) {
	set, d, err := resolveConfig(cfg.Dialect, cfg.Settings, cfg.settingsEdits...)
	if err != nil {
		return nil, err
	}
	fx := cfg.Fixtures
	if fx == nil {
		fx = profile.DefaultFixtures()
	}
	if err := fx.Validate(); err != nil {
		return nil, err
	}
	fx = fx.ForDialect(set.ClientAuth.Methods, set.Authorize.OOBRedirectURI)
	qs, err := parseQuirks(cfg.Quirks)
	if err != nil {
		return nil, err
	}
	p := &Provider{
		settings:  set,
		dialect:   d,
		fixtures:  fx,
		quirks:    qs,
		rules:     newRules(qs),
		filters:   newResponseFilters(qs),
		issuer:    strings.TrimSuffix(cfg.Issuer, "/"),
		realm:     "oauthconform",
		clock:     cfg.Clock,
		store:     cfg.Store,
		log:       cfg.Logger,
		keySource: cfg.Keys,
		headers:   map[string][]byte{},
	}
	if p.issuer == "" {
		p.issuer = "http://localhost"
	}
	p.audience = set.AccessToken.Audience
	if p.audience == "" {
		p.audience = p.issuer
	}
	if p.clock == nil {
		p.clock = SystemClock{}
	}
	if p.store == nil {
		n := cfg.MaxRecords
		if n == 0 {
			n = DefaultMaxRecords
		}
		p.store = NewBoundedMemoryStore(n)
	}
	p.fresh, _ = p.store.(*MemoryStore)
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	p.reg.Store(newRegistry(fx))
	for _, k := range fx.APIKeys {
		p.apiKeys = append(p.apiKeys, hashSecret(string(k)))
	}
	if set.IsJWT() {
		p.jwt = newJWTShape(set, d)
		if p.keys, err = newKeyring(set.AccessToken.Alg, cfg.Keys); err != nil {
			return nil, err
		}
		for _, k := range p.keys.keys {
			p.headers[k.kid] = p.accessTokenHeader(k)
		}
	} else if cfg.Keys.kind == keysGiven {
		return nil, &SigningKeyError{KeyAlg: cfg.Keys.key.alg}
	}
	if set.OpenID() && (p.keys == nil || p.keys.current().priv == nil) {
		if p.idKeys, err = idTokenFallbackKeys(cfg.Keys); err != nil {
			return nil, err
		}
	}
	p.tokens = newTokenStrategy(p)
	p.tokenTypeJSON = appendJSONString(nil, set.AccessToken.TokenType)
	p.grants = p.grantHandlers()
	p.routes()
	if cfg.RecordRequests {
		p.recorder = &requestLog{apiKeyHeader: set.ClientAuth.APIKeyHeader, secrets: cfg.RecordSecrets}
	}
	p.handler = p.recover(p.withFaults(p.withTokenRoute(p.withIssuerPath(p.mux))))
	if p.recorder != nil {
		p.handler = p.recorder.wrap(p.handler)
	}
	interval := cfg.SweepInterval
	if interval <= 0 {
		interval = 30 * time.Second
	}
	p.stopSweep = make(chan struct{})
	go p.sweepLoop(interval)
	return p, nil
}

// resolveConfig returns the settings to play, resolved against their
// dialect and validated, and the dialect (see Config). The edits (of
// WithSettings) change a private copy of the settings before they are
// resolved.
func resolveConfig(d *profile.Dialect, s *Settings, edits ...func(*Settings)) (*Settings, *profile.Dialect, error) {
	fromSettings := false
	if d == nil {
		name := profile.DefaultName
		if s != nil && s.Dialect != "" {
			name, fromSettings = s.Dialect, true
		}
		var err error
		if d, err = profile.Load(name); err != nil {
			return nil, nil, err
		}
	} else if err := d.Validate(); err != nil {
		return nil, nil, err
	}
	if s == nil {
		b, err := builtinSettings(d.Name)
		if err != nil {
			return nil, nil, err
		}
		if s, err = ParseSettings(b); err != nil {
			return nil, nil, err
		}
	} else {
		s = s.Clone()
	}
	if fromSettings && profile.LooksLikeFile(s.Dialect) {
		s.Dialect = d.Name
	}
	for _, f := range edits {
		f(s)
	}
	if err := s.Resolve(d); err != nil {
		return nil, nil, err
	}
	return s, d, nil
}

func (p *Provider) routes() {
	p.mux = http.NewServeMux()
	e := p.settings.Endpoints
	p.mux.HandleFunc(e.Token, p.handleToken)
	if e.Authorize != "" {
		p.mux.HandleFunc(e.Authorize, p.handleAuthorize)
	}
	if e.OOB != "" {
		p.mux.HandleFunc(e.OOB, p.handleOOB)
	}
	if e.JWKS != "" && p.keys != nil {
		p.mux.HandleFunc(e.JWKS, p.handleJWKS)
	}
	if e.Revocation != "" {
		p.mux.HandleFunc(e.Revocation, p.endpointHandler(p.handleRevocation))
	}
	if e.Introspection != "" {
		p.mux.HandleFunc(e.Introspection, p.endpointHandler(p.handleIntrospection))
	}
	p.resourceRoutes()
	p.metadataRoutes()
}

// withTokenRoute hands a POST to the token endpoint's path straight to
// handleToken, where the mux would send it anyway, without the mux's
// pattern matching (a twentieth of an opaque token): the path of every
// token request of a load test. It does so only when the mux does route
// such a request to the token pattern (a dialect's resource rule could
// claim the path for a method), and only for a path without escapes, which
// the mux matches segment by segment.
func (p *Provider) withTokenRoute(next http.Handler) http.Handler {
	path := p.settings.Endpoints.Token
	probe := &http.Request{Method: http.MethodPost, URL: &url.URL{Path: path}, Host: "localhost"}
	if _, pattern := p.mux.Handler(probe); pattern != path {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == path && r.URL.RawPath == "" {
			p.handleToken(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// ServeHTTP implements http.Handler.
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) { p.handler.ServeHTTP(w, r) }

// recover turns a handler panic into a logged 500 so one bad request never
// takes the provider down. No client input should ever reach it.
func (p *Provider) recover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				p.log.ErrorContext(r.Context(), "handler panic", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v))
				p.writeTokenError(w, errServer)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// Settings returns the provider's choices, resolved against its dialect.
// Treat them as read-only.
func (p *Provider) Settings() *Settings { return p.settings }

// Dialect returns the dialect the provider plays. Treat it as read-only.
func (p *Provider) Dialect() *profile.Dialect { return p.dialect }

// Issuer returns the issuer URL.
func (p *Provider) Issuer() string { return p.issuer }

// Clock returns the provider's clock.
func (p *Provider) Clock() Clock { return p.clock }

// Store returns the provider's store.
func (p *Provider) Store() Store { return p.store }

// Quirks returns the names of the enabled quirks.
func (p *Provider) Quirks() []string {
	var out []string
	for _, q := range quirkTable {
		if p.quirks.has(q.Quirk) {
			out = append(out, q.Name)
		}
	}
	return out
}

// RotateSigningKey makes the other key of the settings' algorithm (the
// second fixture, or the second key generated at New) sign new access
// tokens, and the next call the first again; both stay in the JWKS so
// tokens either signed still verify. It returns the new key id ("" for
// opaque tokens).
func (p *Provider) RotateSigningKey() string {
	if p.keys == nil {
		return ""
	}
	return p.keys.rotate().kid
}

// handleJWKS serves the public signing keys (RFC 7517); HS256 keys are never
// published.
func (p *Provider) handleJWKS(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	b, err := json.Marshal(p.keys.publicJWKS())
	if err != nil {
		p.writeTokenError(w, errServer)
		return
	}
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Header().Set("Cache-Control", "max-age=60")
	_, _ = w.Write(b)
}

// Close stops the sweeper. It does not close any listener (see Server).
func (p *Provider) Close() {
	p.closeOnce.Do(func() { close(p.stopSweep) })
}

func (p *Provider) sweepLoop(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-p.stopSweep:
			return
		case <-t.C:
			now := p.clock.Now()
			p.store.Sweep(context.Background(), now)
			p.pending.sweep(now)
			p.failures.sweep(now)
		}
	}
}

// checkUser verifies a resource owner's password in constant time.
func (p *Provider) checkUser(username, password string) (*registeredUser, bool) {
	u := p.user(username)
	want := dummyHash
	if u != nil {
		want = u.passwordHash
	}
	ok := secretMatches(want, password)
	return u, ok && u != nil
}

// CodeRequest describes an authorization code to mint without a browser.
type CodeRequest struct {
	ClientID string
	// RedirectURI defaults to the client's first registered URI; the code
	// then counts as issued for a request that carried it.
	RedirectURI string
	// OmitRedirectURI mints the code as if the authorization request had no
	// redirect_uri (allowed with a single registered URI).
	OmitRedirectURI bool
	// Scope defaults to the settings' default scope.
	Scope string
	// Username defaults to the first registered user.
	Username            string
	CodeChallenge       string
	CodeChallengeMethod string
	// Claims are extra access token claims of the grant, of any JSON type
	// (the dialect's extras such as intent_id among them): see
	// IssueRequest.Claims for how they combine with the client's and the
	// user's, and replace registered claims.
	Claims map[string]any
	// Nonce is the OpenID Connect nonce the ID token carries back.
	Nonce string
}

// MintCode issues an authorization code as if the user had approved the
// request at the authorize endpoint. It validates like the endpoint does.
func (p *Provider) MintCode(ctx context.Context, req CodeRequest) (string, error) {
	rc := p.client(req.ClientID)
	if rc == nil {
		return "", fmt.Errorf("mint code: unknown client %q", req.ClientID)
	}
	redirect := req.RedirectURI
	if redirect == "" && len(rc.RedirectURIs) > 0 {
		redirect = rc.RedirectURIs[0]
	}
	if !req.OmitRedirectURI && !p.redirectAllowed(rc.Client, redirect) {
		return "", fmt.Errorf("mint code: redirect URI %q is not registered for %q", redirect, req.ClientID)
	}
	var u *registeredUser
	if req.Username == "" && len(p.fixtures.Users) > 0 {
		u = p.user(p.fixtures.Users[0].Username)
	} else {
		u = p.user(req.Username)
	}
	if u == nil {
		return "", fmt.Errorf("mint code: unknown user %q", req.Username)
	}
	if err := profile.ValidClaims(req.Claims); err != nil {
		return "", fmt.Errorf("mint code: claims: %w", err)
	}
	scope, oerr := p.grantScope(rc.Client, req.Scope, false)
	if oerr == nil {
		oerr = p.checkRequiredScope(scope)
	}
	if oerr != nil {
		return "", fmt.Errorf("mint code: %s", oerr.Description)
	}
	method := req.CodeChallengeMethod
	if req.CodeChallenge != "" && method == "" {
		method = "plain"
	}
	return p.issueCode(ctx, codeParams{
		client: rc.Client, subject: u.subject, redirectURI: redirect, redirectSent: !req.OmitRedirectURI,
		scope: scope, challenge: req.CodeChallenge, method: method, claims: req.Claims,
		nonce: req.Nonce,
	})
}

type codeParams struct {
	client       *profile.Client
	subject      string
	redirectURI  string
	redirectSent bool
	scope        string
	challenge    string
	method       string
	claims       map[string]any
	nonce        string
	// nonVSCHAR: the non-vschar-code quirk.
	nonVSCHAR bool
}

// issueCode creates the grant and its single-use code.
func (p *Provider) issueCode(ctx context.Context, cp codeParams) (string, error) {
	g, err := p.newGrant(ctx, cp.client.ID, cp.subject, cp.scope, cp.claims)
	if err != nil {
		return "", err
	}
	if err := p.recordAuthentication(ctx, g, cp.nonce); err != nil {
		return "", err
	}
	code := p.newCode()
	if cp.nonVSCHAR {
		code += "\u00e9"
	}
	c := &Code{
		GrantID: g.ID, ClientID: cp.client.ID, RedirectURI: cp.redirectURI, RedirectURISent: cp.redirectSent,
		CodeChallenge: cp.challenge, CodeChallengeMethod: cp.method,
		ExpiresAt: p.clock.Now().Add(p.settings.Code.Lifetime.D()),
	}
	if err := p.store.SaveCode(ctx, code, c); err != nil {
		return "", fmt.Errorf("save code: %w", err)
	}
	return code, nil
}

// URL joins the issuer with an endpoint path of the settings.
func (p *Provider) URL(path string) string { return p.issuer + path }
