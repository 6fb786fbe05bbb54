package mockserver

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/oauthconform/oauthconform/profile"
)

// The control API: the Go test API of the provider (IssueToken, AddClient,
// Enqueue, the clock, the request log, RotateSigningKey, Reset) over HTTP,
// for tests in any language against `oauthconform serve --control`. It is
// a handler of its own, off unless mounted (ControlHandler, WithControl),
// and every request needs the bearer secret it was made with.

// controlOpenAPI describes the control API (OpenAPI 3.1), served at / and
// /openapi.json.
//
//go:embed control_openapi.json
var controlOpenAPI []byte

// DefaultControlPrefix is the conventional path of the control API on the
// provider's own listener (WithControl, serve --control-prefix).
const DefaultControlPrefix = "/_control"

// Bounds of control requests.
const (
	// maxControlBody bounds a request body.
	maxControlBody = 1 << 20
	// maxClockOffset bounds how far the clock may be moved from the real
	// time, far from the overflow of time.Duration.
	maxClockOffset = 100 * 365 * 24 * time.Hour
)

// controlRealm is the realm of the control API's Bearer challenge.
const controlRealm = "oauthconform-control"

// Error codes of the control API's {"error", "error_description"} bodies.
const (
	ctlInvalidRequest   = "invalid_request"         // 400
	ctlUnauthorized     = "unauthorized"            // 401, no credentials
	ctlInvalidToken     = "invalid_token"           // 401, a wrong secret
	ctlNotFound         = "not_found"               // 404
	ctlMethodNotAllowed = "method_not_allowed"      // 405
	ctlConflict         = "conflict"                // 409, already registered
	ctlUnsupported      = "unsupported"             // 409, not with this provider's configuration
	ctlTooLarge         = "request_too_large"       // 413
	ctlServerError      = "server_error"            // 500
	ctlUnavailable      = "temporarily_unavailable" // 503, the store is full
)

// ControlHandler returns the control API of the provider as an
// http.Handler whose paths start at its root ("/clients", "/tokens", ...):
// mount it under a prefix with http.StripPrefix, or let NewServer do it
// (WithControl). Every request needs "Authorization: Bearer <secret>",
// compared in constant time; without it the answer is 401 with a Bearer
// challenge. An empty secret refuses every request.
//
// Bodies are JSON (whatever the Content-Type), at most 1 MiB, with no
// unknown members; answers are JSON, errors {"error", "error_description"}
// with the status: 400 bad input, 401, 404 unknown path, 405 another
// method, 409 a conflict or what the provider's configuration does not
// allow (no OffsetClock, opaque tokens, request recording off), 413. The
// endpoints and their members are described by the OpenAPI document the
// handler serves at / and /openapi.json (mockserver/control_openapi.json).
//
// Control requests are not recorded (Requests) nor subject to faults
// (Enqueue); the provider's logger gets the method, path and status of
// each, never a body or the secret.
func (p *Provider) ControlHandler(secret string) http.Handler {
	c := &control{p: p, digest: sha256.Sum256([]byte(secret)), open: secret != ""}
	c.routes = map[string]map[string]controlFunc{
		"/":              {http.MethodGet: (*control).openAPI},
		"/openapi.json":  {http.MethodGet: (*control).openAPI},
		"/clients":       {http.MethodPost: (*control).addClient},
		"/users":         {http.MethodPost: (*control).addUser},
		"/tokens":        {http.MethodPost: (*control).issueToken},
		"/tokens/revoke": {http.MethodPost: (*control).revokeToken},
		"/faults": {
			http.MethodPost:   (*control).enqueueFaults,
			http.MethodGet:    (*control).listFaults,
			http.MethodDelete: (*control).clearFaults,
		},
		"/clock":         {http.MethodGet: (*control).clock},
		"/clock/advance": {http.MethodPost: (*control).advanceClock},
		"/requests": {
			http.MethodGet:    (*control).listRequests,
			http.MethodDelete: (*control).clearRequests,
		},
		"/keys/rotate": {http.MethodPost: (*control).rotateKey},
		"/reset":       {http.MethodPost: (*control).reset},
	}
	return c
}

// ControlPrefixError is WithControl's refusal of a prefix (NewServer
// returns it).
type ControlPrefixError struct {
	Prefix string
	// Reason says what is wrong with it.
	Reason string
}

func (e *ControlPrefixError) Error() string {
	return fmt.Sprintf("mockserver: control prefix %q: %s", e.Prefix, e.Reason)
}

// WithControl serves the control API (ControlHandler) under prefix on the
// server's own listener, e.g. DefaultControlPrefix ("/_control"): prefix
// + "/clients" and so on, ahead of the provider's routes (NewServer refuses
// a prefix over one of them). The prefix is a path of the listening URL,
// not of the issuer; Server.ControlURL returns it. Control requests are not
// recorded nor faulted.
func WithControl(prefix, secret string) ServerOption {
	return func(c *Config) {
		prefix = strings.TrimSuffix(prefix, "/")
		if reason := checkControlPrefix(prefix); reason != "" {
			c.server.err = &ControlPrefixError{Prefix: prefix, Reason: reason}
			return
		}
		if secret == "" {
			c.server.err = errors.New("mockserver: WithControl: empty secret")
			return
		}
		c.server.controlPrefix, c.server.controlSecret = prefix, secret
	}
}

// controlPrefixRE is one or more path segments of unreserved characters.
var controlPrefixRE = regexp.MustCompile(`^(/[A-Za-z0-9._~-]+)+$`)

// checkControlPrefix accepts a path of one or more plain segments; it
// returns what is wrong with another.
func checkControlPrefix(prefix string) string {
	if !controlPrefixRE.MatchString(prefix) {
		return "not a path of plain segments (letters, digits, '.', '_', '~', '-'), such as " + DefaultControlPrefix
	}
	for _, seg := range strings.Split(prefix[1:], "/") {
		if seg == "." || seg == ".." {
			return "a path segment is . or .."
		}
	}
	return ""
}

// checkControlMount refuses a control prefix that would hide a route of the
// provider.
func (p *Provider) checkControlMount(prefix string) error {
	e := p.settings.Endpoints
	paths := []string{
		e.Token, e.Authorize, e.Revocation, e.Introspection, e.JWKS, e.Resource, e.OOB, e.UserInfo,
		p.settings.Resources.Prefix, WellKnownOAuth, WellKnownOIDC,
	}
	for _, r := range p.settings.Resources.Rules {
		paths = append(paths, r.Path)
	}
	for _, path := range paths {
		if path != "" && (path == prefix || strings.HasPrefix(path, prefix+"/")) {
			return &ControlPrefixError{Prefix: prefix, Reason: "the provider serves " + path + " under it"}
		}
	}
	// A pattern of the provider's over the prefix (a resource prefix
	// above it, say).
	for _, path := range []string{prefix, prefix + "/", prefix + "/clients"} {
		for _, m := range []string{http.MethodGet, http.MethodPost} {
			r := &http.Request{Method: m, Host: "localhost", URL: &url.URL{Path: path}}
			if _, pattern := p.mux.Handler(r); pattern != "" {
				return &ControlPrefixError{Prefix: prefix, Reason: "the provider's route " + pattern + " covers it"}
			}
		}
	}
	return nil
}

// withControl serves the control API under prefix, and next elsewhere.
func (p *Provider) withControl(prefix, secret string, next http.Handler) http.Handler {
	ctl := p.ControlHandler(secret)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest, ok := strings.CutPrefix(r.URL.Path, prefix)
		if !ok || rest != "" && rest[0] != '/' {
			next.ServeHTTP(w, r)
			return
		}
		if rest == "" {
			rest = "/"
		}
		r2 := new(http.Request)
		*r2 = *r
		u := *r.URL
		u.Path, u.RawPath = rest, ""
		r2.URL = &u
		ctl.ServeHTTP(w, r2)
	})
}

// ControlURL returns the URL of the control API on the server's listener
// (WithControl), "" without one.
func (s *Server) ControlURL() string {
	if s.controlPrefix == "" {
		return ""
	}
	return s.URL + s.controlPrefix
}

// control is the handler of ControlHandler.
type control struct {
	p *Provider
	// digest is the SHA-256 of the secret: comparing digests takes the
	// same time whatever the length of what was sent.
	digest [32]byte
	open   bool
	routes map[string]map[string]controlFunc
}

// controlFunc answers one route: a status and a value to write as JSON (a
// *controlError, or rawJSON written as it is).
type controlFunc func(c *control, r *http.Request) (int, any)

// controlError is an error answer.
type controlError struct {
	status      int
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// rawJSON is a JSON document written as it is.
type rawJSON []byte

func ctlError(status int, code, format string, args ...any) (int, any) {
	return status, &controlError{status: status, Error: code, Description: fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) (int, any) {
	return ctlError(http.StatusBadRequest, ctlInvalidRequest, format, args...)
}

// describe is an error message for the caller, without the package prefix.
func describe(err error) string { return strings.TrimPrefix(err.Error(), "mockserver: ") }

func (c *control) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	status, body := c.serve(w, r)
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	var b []byte
	switch v := body.(type) {
	case rawJSON:
		b = v
	default:
		var err error
		if b, err = marshalControl(v); err != nil {
			status, body = ctlError(http.StatusInternalServerError, ctlServerError, "encode the answer: %v", err)
			b, _ = marshalControl(body)
		}
	}
	if e, ok := body.(*controlError); ok && status == http.StatusUnauthorized {
		challenge := `Bearer realm="` + controlRealm + `"`
		if e.Error == ctlInvalidToken {
			challenge += `, error="invalid_token"`
		}
		h.Set("WWW-Authenticate", challenge)
	}
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)

	level := slog.LevelInfo
	if status >= 400 {
		level = slog.LevelWarn
	}
	c.p.log.Log(r.Context(), level, "control request", "method", r.Method, "path", r.URL.Path, "status", status)
}

// marshalControl encodes an answer as JSON text with a final newline,
// without escaping <, > and & (the answers are no HTML).
func marshalControl(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// serve authenticates and routes a request. A panic of a route (which no
// input should cause) is a 500, never the end of the server.
func (c *control) serve(w http.ResponseWriter, r *http.Request) (status int, body any) {
	if presented, ok := c.authorized(r); !ok {
		if presented {
			return ctlError(http.StatusUnauthorized, ctlInvalidToken, "the bearer secret is wrong")
		}
		return ctlError(http.StatusUnauthorized, ctlUnauthorized, "send Authorization: Bearer <secret> (the control secret printed at start)")
	}
	methods, ok := c.routes[r.URL.Path]
	if !ok {
		return ctlError(http.StatusNotFound, ctlNotFound, "no control endpoint %s (see GET /openapi.json)", r.URL.Path)
	}
	f, ok := methods[r.Method]
	if !ok {
		allow := make([]string, 0, len(methods))
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodDelete} {
			if methods[m] != nil {
				allow = append(allow, m)
			}
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		return ctlError(http.StatusMethodNotAllowed, ctlMethodNotAllowed, "%s takes %s", r.URL.Path, strings.Join(allow, " or "))
	}
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, maxControlBody)
	}
	defer func() {
		if v := recover(); v != nil {
			c.p.log.ErrorContext(r.Context(), "control handler panic", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v))
			status, body = ctlError(http.StatusInternalServerError, ctlServerError, "internal error")
		}
	}()
	return f(c, r)
}

// authorized checks the bearer secret; presented reports that some
// credentials were sent.
func (c *control) authorized(r *http.Request) (presented, ok bool) {
	values := r.Header.Values("Authorization")
	if len(values) == 0 {
		return false, false
	}
	if len(values) > 1 {
		return true, false
	}
	scheme, secret, _ := strings.Cut(values[0], " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return true, false
	}
	d := sha256.Sum256([]byte(strings.TrimSpace(secret)))
	return true, c.open && subtle.ConstantTimeCompare(d[:], c.digest[:]) == 1
}

// decode reads a JSON body into v: no unknown members, nothing after the
// value. An empty body (or null) is an error when required, else leaves v
// as it is.
func decode(r *http.Request, v any, required bool) (int, any, bool) {
	var b []byte
	if r.Body != nil {
		var err error
		if b, err = io.ReadAll(r.Body); err != nil {
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				st, body := ctlError(http.StatusRequestEntityTooLarge, ctlTooLarge, "the body is larger than %d bytes", maxControlBody)
				return st, body, false
			}
			st, body := badRequest("read the body: %v", err)
			return st, body, false
		}
	}
	if t := bytes.TrimSpace(b); len(t) == 0 || string(t) == "null" {
		if required {
			st, body := badRequest("a JSON object body is required")
			return st, body, false
		}
		return 0, nil, true
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	dec.UseNumber() // claims keep their numbers exactly
	if err := dec.Decode(v); err != nil {
		st, body := badRequest("%s", jsonError(err))
		return st, body, false
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		st, body := badRequest("the body holds more than one JSON value")
		return st, body, false
	}
	return 0, nil, true
}

// jsonError words a decoding error for the caller, in JSON's terms.
func jsonError(err error) string {
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		if te.Field == "" {
			return fmt.Sprintf("the body must be %s, not %s", jsonTypeName(te.Type), te.Value)
		}
		return fmt.Sprintf("%s must be %s, not %s", te.Field, jsonTypeName(te.Type), te.Value)
	}
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return fmt.Sprintf("malformed JSON at byte %d: %s", se.Offset, strings.TrimPrefix(se.Error(), "json: "))
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "malformed JSON: the body ends too soon"
	}
	return "malformed JSON: " + strings.TrimPrefix(err.Error(), "json: ")
}

// jsonTypeName names the JSON type a Go type decodes from.
func jsonTypeName(t reflect.Type) string {
	switch t {
	case reflect.TypeFor[duration]():
		return `a duration (a string such as "90s", or a number of seconds)`
	case reflect.TypeFor[json.Number]():
		return "a number"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array of " + strings.TrimPrefix(strings.TrimPrefix(jsonTypeName(t.Elem()), "a "), "an ") + "s"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Pointer:
		return jsonTypeName(t.Elem())
	}
	return "a JSON value"
}

// duration is a time.Duration in JSON: a Go duration string ("90s",
// "1h30m") or a number of seconds; written as a Go duration string.
type duration time.Duration

func (d *duration) UnmarshalJSON(b []byte) error {
	bad := errors.New(`a duration is a string such as "90s" or "1h30m", or a number of seconds`)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return bad
		}
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("%w: %q", bad, s)
		}
		*d = duration(v)
		return nil
	}
	secs, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(secs) || math.IsInf(secs, 0) {
		return bad
	}
	if math.Abs(secs) > maxClockOffset.Seconds() {
		return fmt.Errorf("a duration of %s seconds is too long", b)
	}
	*d = duration(secs * float64(time.Second))
	return nil
}

func (d duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// openAPI serves the API's description.
func (c *control) openAPI(*http.Request) (int, any) { return http.StatusOK, rawJSON(controlOpenAPI) }

// clientJSON is a client registration (profile.Client).
type clientJSON struct {
	ID                string         `json:"id"`
	Secret            string         `json:"secret,omitempty"`
	Role              string         `json:"role,omitempty"`
	RedirectURIs      []string       `json:"redirect_uris,omitempty"`
	GrantTypes        []string       `json:"grant_types,omitempty"`
	Scopes            []string       `json:"scopes,omitempty"`
	RequirePKCE       bool           `json:"require_pkce,omitempty"`
	AuthMethod        string         `json:"auth_method,omitempty"`
	Native            bool           `json:"native,omitempty"`
	AccessTokenClaims map[string]any `json:"access_token_claims,omitempty"`
}

// registeredClientJSON is a client as registered (adapted to the
// settings); its secret is never written back.
type registeredClientJSON struct {
	clientJSON
	Public bool `json:"public"`
}

func (c *control) addClient(r *http.Request) (int, any) {
	var in clientJSON
	if st, body, ok := decode(r, &in, true); !ok {
		return st, body
	}
	if in.ID == "" {
		return badRequest("id is required")
	}
	if c.p.client(in.ID) != nil {
		return ctlError(http.StatusConflict, ctlConflict, "client %q is already registered", in.ID)
	}
	err := c.p.AddClient(profile.Client{
		ID: in.ID, Secret: profile.Secret(in.Secret), Role: in.Role, RedirectURIs: in.RedirectURIs,
		GrantTypes: in.GrantTypes, Scopes: in.Scopes, RequirePKCE: in.RequirePKCE, AuthMethod: in.AuthMethod,
		Native: in.Native, AccessTokenClaims: in.AccessTokenClaims,
	})
	if err != nil {
		return badRequest("%s", describe(err))
	}
	rc := c.p.client(in.ID)
	if rc == nil { // a Reset in between
		return ctlError(http.StatusConflict, ctlConflict, "client %q was removed by a reset", in.ID)
	}
	cl := rc.Client
	return http.StatusCreated, registeredClientJSON{
		clientJSON: clientJSON{
			ID: cl.ID, Role: cl.Role, RedirectURIs: cl.RedirectURIs, GrantTypes: cl.GrantTypes, Scopes: cl.Scopes,
			RequirePKCE: cl.RequirePKCE, AuthMethod: cl.AuthMethod, Native: cl.Native, AccessTokenClaims: cl.AccessTokenClaims,
		},
		Public: cl.Public(),
	}
}

// userJSON is a user registration (profile.User).
type userJSON struct {
	Username          string         `json:"username"`
	Password          string         `json:"password,omitempty"`
	Subject           string         `json:"subject,omitempty"`
	Claims            map[string]any `json:"claims,omitempty"`
	AccessTokenClaims map[string]any `json:"access_token_claims,omitempty"`
}

func (c *control) addUser(r *http.Request) (int, any) {
	var in userJSON
	if st, body, ok := decode(r, &in, true); !ok {
		return st, body
	}
	if in.Username == "" {
		return badRequest("username is required")
	}
	if c.p.user(in.Username) != nil {
		return ctlError(http.StatusConflict, ctlConflict, "user %q is already registered", in.Username)
	}
	err := c.p.AddUser(profile.User{
		Username: in.Username, Password: profile.Secret(in.Password), Subject: in.Subject,
		Claims: in.Claims, AccessTokenClaims: in.AccessTokenClaims,
	})
	if err != nil {
		return badRequest("%s", describe(err))
	}
	out := in
	out.Password = "" // never written back
	if out.Subject == "" {
		out.Subject = out.Username
	}
	return http.StatusCreated, out
}

// issueJSON is an IssueRequest.
type issueJSON struct {
	ClientID string         `json:"client_id"`
	Subject  string         `json:"subject"`
	Scope    string         `json:"scope"`
	Claims   map[string]any `json:"claims"`
	Lifetime duration       `json:"lifetime"`
	Refresh  bool           `json:"refresh"`
}

// tokenJSON is an IssuedToken, as in a token response (RFC 6749 §5.1).
type tokenJSON struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
}

func (c *control) issueToken(r *http.Request) (int, any) {
	var in issueJSON
	if st, body, ok := decode(r, &in, false); !ok {
		return st, body
	}
	tok, err := c.p.IssueToken(r.Context(), IssueRequest{
		ClientID: in.ClientID, Subject: in.Subject, Scope: in.Scope, Claims: in.Claims,
		Lifetime: time.Duration(in.Lifetime), Refresh: in.Refresh,
	})
	switch {
	case errors.Is(err, ErrStoreFull):
		return ctlError(http.StatusServiceUnavailable, ctlUnavailable, "%s", describe(err))
	case err != nil:
		return badRequest("%s", describe(err))
	}
	return http.StatusOK, tokenJSON(tok)
}

func (c *control) revokeToken(r *http.Request) (int, any) {
	var in struct {
		Token string `json:"token"`
	}
	if st, body, ok := decode(r, &in, true); !ok {
		return st, body
	}
	if in.Token == "" {
		return badRequest("token is required")
	}
	switch err := c.p.Revoke(r.Context(), in.Token); {
	case errors.Is(err, ErrNotFound):
		return ctlError(http.StatusNotFound, ctlNotFound, "the provider does not know this token (unknown, badly signed, or expired and swept)")
	case errors.Is(err, ErrStoreFull):
		return ctlError(http.StatusServiceUnavailable, ctlUnavailable, "%s", describe(err))
	case err != nil:
		return ctlError(http.StatusInternalServerError, ctlServerError, "%s", describe(err))
	}
	return http.StatusOK, map[string]bool{"revoked": true}
}

// faultJSON is a Fault, and with Endpoint a QueuedFault.
type faultJSON struct {
	Endpoint    string   `json:"endpoint,omitempty"`
	Error       string   `json:"error,omitempty"`
	Description string   `json:"description,omitempty"`
	Status      int      `json:"status,omitempty"`
	RetryAfter  duration `json:"retry_after,omitempty"`
	Delay       duration `json:"delay,omitempty"`
	Drop        bool     `json:"drop,omitempty"`
	Malformed   bool     `json:"malformed,omitempty"`
	Times       int      `json:"times,omitempty"`
}

// faultsJSON is a list of queued faults.
type faultsJSON struct {
	Faults []faultJSON `json:"faults"`
}

func (c *control) queuedFaults() faultsJSON {
	q := c.p.Faults()
	out := faultsJSON{Faults: make([]faultJSON, 0, len(q))}
	for _, e := range q {
		f := e.Fault
		out.Faults = append(out.Faults, faultJSON{
			Endpoint: e.Endpoint, Error: f.Error, Description: f.Description, Status: f.Status,
			RetryAfter: duration(f.RetryAfter), Delay: duration(f.Delay), Drop: f.Drop, Malformed: f.Malformed, Times: f.Times,
		})
	}
	return out
}

func (c *control) enqueueFaults(r *http.Request) (int, any) {
	var in struct {
		Endpoint string `json:"endpoint"`
		Faults   []struct {
			Error       string   `json:"error"`
			Description string   `json:"description"`
			Status      int      `json:"status"`
			RetryAfter  duration `json:"retry_after"`
			Delay       duration `json:"delay"`
			Drop        bool     `json:"drop"`
			Malformed   bool     `json:"malformed"`
			Times       int      `json:"times"`
		} `json:"faults"`
	}
	if st, body, ok := decode(r, &in, true); !ok {
		return st, body
	}
	if in.Endpoint == "" {
		return badRequest("endpoint is required: %s, %s, %s, %s, %s, %s, %s, %s, or a path", EndpointToken, EndpointAuthorize,
			EndpointRevocation, EndpointIntrospection, EndpointUserInfo, EndpointJWKS, EndpointMetadata, EndpointResource)
	}
	if len(in.Faults) == 0 {
		return badRequest("faults is required: at least one fault")
	}
	faults := make([]Fault, len(in.Faults))
	for i, f := range in.Faults {
		faults[i] = Fault{
			Error: f.Error, Description: f.Description, Status: f.Status, RetryAfter: time.Duration(f.RetryAfter),
			Delay: time.Duration(f.Delay), Drop: f.Drop, Malformed: f.Malformed, Times: f.Times,
		}
	}
	if err := c.p.Enqueue(in.Endpoint, faults...); err != nil {
		return badRequest("%s", describe(err))
	}
	return http.StatusOK, c.queuedFaults()
}

func (c *control) listFaults(*http.Request) (int, any) { return http.StatusOK, c.queuedFaults() }

func (c *control) clearFaults(*http.Request) (int, any) {
	c.p.ClearFaults()
	return http.StatusOK, faultsJSON{Faults: []faultJSON{}}
}

// clockJSON is the provider's time.
type clockJSON struct {
	Now  time.Time `json:"now"`
	Unix int64     `json:"unix"`
	// Offset is how far the clock runs ahead of the real time (an
	// OffsetClock's only).
	Offset *duration `json:"offset,omitempty"`
}

func (c *control) clockNow() clockJSON {
	now := c.p.clock.Now()
	out := clockJSON{Now: now, Unix: now.Unix()}
	if oc, ok := c.p.clock.(*OffsetClock); ok {
		d := duration(oc.Offset())
		out.Offset = &d
	}
	return out
}

func (c *control) clock(*http.Request) (int, any) { return http.StatusOK, c.clockNow() }

func (c *control) advanceClock(r *http.Request) (int, any) {
	var in struct {
		By *duration `json:"by"`
	}
	if st, body, ok := decode(r, &in, true); !ok {
		return st, body
	}
	if in.By == nil {
		return badRequest(`by is required: a duration such as "90s", or a number of seconds`)
	}
	by := time.Duration(*in.By)
	if by < 0 {
		return badRequest("by is negative: the clock only moves forward (POST /reset does not move it back either)")
	}
	oc, ok := c.p.clock.(*OffsetClock)
	if !ok {
		return ctlError(http.StatusConflict, ctlUnsupported, "the provider's clock (%T) is not an OffsetClock", c.p.clock)
	}
	if oc.Offset() > maxClockOffset-by {
		return badRequest("the clock would run more than %v ahead of the real time", maxClockOffset)
	}
	oc.Advance(by)
	return http.StatusOK, c.clockNow()
}

// requestJSON is a RecordedRequest.
type requestJSON struct {
	Time          time.Time   `json:"time"`
	Method        string      `json:"method"`
	Path          string      `json:"path"`
	Query         []string    `json:"query,omitempty"`
	Header        http.Header `json:"header"`
	Body          string      `json:"body,omitempty"`
	BodyTruncated bool        `json:"body_truncated,omitempty"`
	Form          url.Values  `json:"form,omitempty"`
	Status        int         `json:"status"`
}

// requestsJSON is the request log.
type requestsJSON struct {
	Requests []requestJSON `json:"requests"`
}

func (c *control) listRequests(*http.Request) (int, any) {
	if c.p.recorder == nil {
		return ctlError(http.StatusConflict, ctlUnsupported, "the provider does not record requests (Config.RecordRequests)")
	}
	reqs := c.p.Requests()
	out := requestsJSON{Requests: make([]requestJSON, 0, len(reqs))}
	for _, q := range reqs {
		out.Requests = append(out.Requests, requestJSON{
			Time: q.Time, Method: q.Method, Path: q.Path, Query: q.Query, Header: q.Header,
			Body: q.Body, BodyTruncated: q.BodyTruncated, Form: q.Form, Status: q.Status,
		})
	}
	return http.StatusOK, out
}

func (c *control) clearRequests(*http.Request) (int, any) {
	if c.p.recorder == nil {
		return ctlError(http.StatusConflict, ctlUnsupported, "the provider does not record requests (Config.RecordRequests)")
	}
	c.p.ResetRequests()
	return http.StatusOK, requestsJSON{Requests: []requestJSON{}}
}

func (c *control) rotateKey(r *http.Request) (int, any) {
	if st, body, ok := decode(r, &struct{}{}, false); !ok {
		return st, body
	}
	if c.p.keys == nil {
		return ctlError(http.StatusConflict, ctlUnsupported, "the access tokens are opaque: there is no signing key to rotate")
	}
	return http.StatusOK, map[string]string{"kid": c.p.RotateSigningKey()}
}

func (c *control) reset(r *http.Request) (int, any) {
	if st, body, ok := decode(r, &struct{}{}, false); !ok {
		return st, body
	}
	if _, ok := c.p.store.(ResettableStore); !ok {
		return ctlError(http.StatusConflict, ctlUnsupported, "the provider's store (%T) cannot be reset", c.p.store)
	}
	// Not the request's context: a reset half done helps nobody.
	if err := c.p.Reset(context.WithoutCancel(r.Context())); err != nil {
		return ctlError(http.StatusInternalServerError, ctlServerError, "%s", describe(err))
	}
	return http.StatusOK, map[string]bool{"reset": true}
}
