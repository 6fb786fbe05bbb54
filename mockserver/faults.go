package mockserver

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oauthconform/oauthconform/profile"
)

// A fault queue for the robustness tests of clients: Enqueue makes the next
// answers of an endpoint errors, delays, dropped connections or malformed
// bodies, then normal service resumes. One middleware (withFaults), around
// every route and outside every handler, answers them: no handler has a
// branch for them, and no quirk changes them.

// Fault is one scripted answer of an endpoint (Enqueue).
//   - Error: an RFC 6749 §5.2 error response, {"error":Error} with
//     error_description when Description is set, Status (default 400), the
//     no-store cache headers, and at the resource (status 401 or 403) a
//     Bearer challenge naming the error (RFC 6750 §3).
//   - Status alone: a bare answer of that status with its status text as a
//     text/plain body, e.g. 500, 502, or 503 or 429 with RetryAfter.
//   - RetryAfter: a Retry-After header in whole seconds (rounded up); on
//     its own the status is 503.
//   - Malformed: a body that is not the JSON it claims to be (application/
//     json, truncated mid-object), with Status (default 200).
//   - Drop: no answer at all: the connection is taken over and closed
//     (where it cannot be, as over HTTP/2, the handler panics with
//     http.ErrAbortHandler, which the server turns into a reset stream).
//   - Delay: the answer waits that long (the real time; the server's
//     30-second write timeout still applies). With nothing else set it is
//     the normal answer, late.
//
// Times is how many answers of the endpoint the fault makes (default 1).
type Fault struct {
	Error       string
	Description string
	Status      int
	RetryAfter  time.Duration
	Delay       time.Duration
	Drop        bool
	Malformed   bool
	Times       int
}

// QueuedFault is a fault still to be answered (Faults): Times is what is
// left of it.
type QueuedFault struct {
	// Endpoint is the name or path it was enqueued for.
	Endpoint string
	Fault    Fault
}

// faultQueue is the queue of scripted answers. pending counts the queued
// answers, so that with none (every request, but in a fault test) the
// middleware costs one atomic load.
type faultQueue struct {
	pending atomic.Int64
	mu      sync.Mutex
	entries []*faultEntry
}

type faultEntry struct {
	endpoint string
	match    func(path string) bool
	fault    Fault
	left     int
}

// Endpoint names of Enqueue.
const (
	EndpointToken         = "token"
	EndpointAuthorize     = "authorize"
	EndpointRevocation    = "revocation"
	EndpointIntrospection = "introspection"
	EndpointUserInfo      = "userinfo"
	EndpointJWKS          = "jwks"
	EndpointMetadata      = "metadata"
	EndpointResource      = "resource"
)

// Enqueue scripts the next answers of an endpoint: each fault in order, for
// its Times answers, then normal service again. Faults enqueued later for
// the same endpoint follow those already queued. The endpoint is a name —
// token, authorize, revocation, introspection, userinfo, jwks, metadata
// (both well-known documents) or resource (the generic protected resource
// with its sub-paths, and the dialect's resource API) — or a path of the
// provider, starting with "/" (ending with "/": every path under it).
// Requests that reach it under the issuer's path count too.
func (p *Provider) Enqueue(endpoint string, faults ...Fault) error {
	match, err := p.faultMatcher(endpoint)
	if err != nil {
		return err
	}
	entries := make([]*faultEntry, 0, len(faults))
	total := 0
	for i, f := range faults {
		if f.Times < 0 {
			return fmt.Errorf("mockserver: enqueue %s: faults[%d]: negative Times", endpoint, i)
		}
		if f.Status != 0 && (f.Status < 100 || f.Status > 999) {
			return fmt.Errorf("mockserver: enqueue %s: faults[%d]: status %d is not an HTTP status", endpoint, i, f.Status)
		}
		if f.Delay < 0 || f.RetryAfter < 0 {
			return fmt.Errorf("mockserver: enqueue %s: faults[%d]: negative Delay or RetryAfter", endpoint, i)
		}
		n := max(f.Times, 1)
		entries = append(entries, &faultEntry{endpoint: endpoint, match: match, fault: f, left: n})
		total += n
	}
	q := &p.faults
	q.mu.Lock()
	q.entries = append(q.entries, entries...)
	q.pending.Add(int64(total))
	q.mu.Unlock()
	return nil
}

// Faults returns the faults still queued, in order; each one's Times is
// what is left of it.
func (p *Provider) Faults() []QueuedFault {
	q := &p.faults
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]QueuedFault, 0, len(q.entries))
	for _, e := range q.entries {
		f := e.fault
		f.Times = e.left
		out = append(out, QueuedFault{Endpoint: e.endpoint, Fault: f})
	}
	return out
}

// ClearFaults drops every queued fault.
func (p *Provider) ClearFaults() {
	q := &p.faults
	q.mu.Lock()
	q.entries = nil
	q.pending.Store(0)
	q.mu.Unlock()
}

// take returns the fault that answers a request to path, if one is queued.
func (q *faultQueue) take(path string) (Fault, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, e := range q.entries {
		if !e.match(path) {
			continue
		}
		if e.left--; e.left == 0 {
			q.entries = slices.Delete(q.entries, i, i+1)
		}
		q.pending.Add(-1)
		return e.fault, true
	}
	return Fault{}, false
}

// faultMatcher resolves an Enqueue endpoint to the paths it answers.
func (p *Provider) faultMatcher(endpoint string) (func(string) bool, error) {
	exact := func(paths ...string) func(string) bool {
		paths = slices.DeleteFunc(paths, func(s string) bool { return s == "" })
		return func(path string) bool { return slices.Contains(paths, path) }
	}
	e := p.settings.Endpoints
	none := func(what string) error {
		return fmt.Errorf("mockserver: enqueue %s: the settings have no %s", endpoint, what)
	}
	switch endpoint {
	case EndpointToken:
		return exact(e.Token), nil
	case EndpointAuthorize:
		if e.Authorize == "" {
			return nil, none("authorize endpoint")
		}
		return exact(e.Authorize), nil
	case EndpointRevocation:
		if e.Revocation == "" {
			return nil, none("revocation endpoint")
		}
		return exact(e.Revocation), nil
	case EndpointIntrospection:
		if e.Introspection == "" {
			return nil, none("introspection endpoint")
		}
		return exact(e.Introspection), nil
	case EndpointJWKS:
		if e.JWKS == "" {
			return nil, none("JWKS endpoint")
		}
		return exact(e.JWKS), nil
	case EndpointMetadata:
		return exact(WellKnownOAuth, WellKnownOAuth+p.issuerPath(), WellKnownOIDC, p.issuerPath()+WellKnownOIDC), nil
	case EndpointResource:
		return p.resourceMatcher()
	case EndpointUserInfo:
		if e.UserInfo == "" || !p.settings.OpenID() {
			return nil, none("UserInfo endpoint (OpenID Connect)")
		}
		return exact(e.UserInfo), nil
	}
	if !strings.HasPrefix(endpoint, "/") {
		return nil, fmt.Errorf("mockserver: enqueue %q: not an endpoint name (%s, %s, %s, %s, %s, %s, %s, %s) nor a path", endpoint,
			EndpointToken, EndpointAuthorize, EndpointRevocation, EndpointIntrospection, EndpointUserInfo, EndpointJWKS, EndpointMetadata, EndpointResource)
	}
	if strings.HasSuffix(endpoint, "/") {
		return func(path string) bool { return strings.HasPrefix(path, endpoint) }, nil
	}
	return exact(endpoint), nil
}

// resourceMatcher matches the generic resource (and its sub-paths) and the
// settings' resource API.
func (p *Provider) resourceMatcher() (func(string) bool, error) {
	generic := p.settings.Endpoints.Resource
	res := p.settings.Resources
	if generic == "" && res.Prefix == "" && len(res.Rules) == 0 {
		return nil, errors.New("mockserver: enqueue resource: the settings have no protected resource")
	}
	return func(path string) bool {
		if generic != "" && (path == generic || strings.HasPrefix(path, strings.TrimSuffix(generic, "/")+"/")) {
			return true
		}
		if res.Prefix != "" {
			return path == res.Prefix || strings.HasPrefix(path, strings.TrimSuffix(res.Prefix, "/")+"/")
		}
		for _, rule := range res.Rules {
			if _, ok := profile.MatchPath(rule.Path, path); ok {
				return true
			}
		}
		return false
	}, nil
}

// withFaults answers the queued faults in place of next.
func (p *Provider) withFaults(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p.faults.pending.Load() == 0 {
			next.ServeHTTP(w, r)
			return
		}
		path := r.URL.Path
		f, ok := p.faults.take(path)
		if ip := p.issuerPath(); !ok && ip != "" {
			if rest, cut := strings.CutPrefix(path, ip); cut && strings.HasPrefix(rest, "/") {
				f, ok = p.faults.take(rest)
			}
		}
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		if f.Delay > 0 {
			t := time.NewTimer(f.Delay)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		p.answerFault(w, r, next, f)
	})
}

// answerFault writes the answer of a fault.
func (p *Provider) answerFault(w http.ResponseWriter, r *http.Request, next http.Handler, f Fault) {
	if f.Drop {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(http.ErrAbortHandler) // no connection to take: abort the stream
		}
		_ = conn.Close()
		return
	}
	status := f.Status
	h := w.Header()
	if f.RetryAfter > 0 {
		h.Set("Retry-After", strconv.FormatInt(int64((f.RetryAfter+time.Second-1)/time.Second), 10))
		if status == 0 && f.Error == "" && !f.Malformed {
			status = http.StatusServiceUnavailable
		}
	}
	switch {
	case f.Malformed:
		if status == 0 {
			status = http.StatusOK
		}
		b := []byte(`{"access_token":"`)
		h.Set("Content-Type", "application/json")
		h["Cache-Control"] = noStore
		h.Set("Content-Length", strconv.Itoa(len(b)))
		w.WriteHeader(status)
		_, _ = w.Write(b)
	case f.Error != "":
		if status == 0 {
			status = http.StatusBadRequest
		}
		b := append([]byte(`{"error":`), appendJSONString(nil, f.Error)...)
		if f.Description != "" {
			b = append(b, `,"error_description":`...)
			b = appendJSONString(b, f.Description)
		}
		b = append(b, '}')
		if (status == http.StatusUnauthorized || status == http.StatusForbidden) && p.isResourcePath(r.URL.Path) &&
			!strings.ContainsAny(f.Error, "\"\\") {
			h.Set("WWW-Authenticate", `Bearer realm="`+p.realm+`", error="`+f.Error+`"`)
		}
		h["Content-Type"] = jsonCT
		h["Cache-Control"] = noStore
		h["Pragma"] = noCache
		h.Set("Content-Length", strconv.Itoa(len(b)))
		w.WriteHeader(status)
		_, _ = w.Write(b)
	case status != 0:
		text := http.StatusText(status)
		if text == "" {
			text = "Status " + strconv.Itoa(status)
		}
		b := []byte(text + "\n")
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("Content-Length", strconv.Itoa(len(b)))
		w.WriteHeader(status)
		_, _ = w.Write(b)
	default:
		next.ServeHTTP(w, r) // a delay alone
	}
}

// isResourcePath reports whether path is a protected resource's.
func (p *Provider) isResourcePath(path string) bool {
	match, err := p.resourceMatcher()
	if err != nil {
		return false
	}
	if match(path) {
		return true
	}
	if ui := p.settings.Endpoints.UserInfo; ui != "" && path == ui {
		return true
	}
	return false
}
