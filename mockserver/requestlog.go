package mockserver

import (
	"net/http"
	"sync"
	"time"
)

// maxRecorded bounds the request log.
const maxRecorded = 10000

// RecordedRequest is one request the provider received. Header values that
// carry credentials are redacted; bodies are not kept.
type RecordedRequest struct {
	Time   time.Time
	Method string
	Path   string
	// Query holds the query parameter names only.
	Query  []string
	Header http.Header
	Status int
}

type requestLog struct {
	// apiKeyHeader is the settings' API key header, redacted whatever its
	// name.
	apiKeyHeader string

	mu   sync.Mutex
	reqs []RecordedRequest
}

var sensitiveHeaders = []string{"Authorization", "Cookie", "X-Api-Key", "Proxy-Authorization"}

func (l *requestLog) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		h := r.Header.Clone()
		for _, k := range sensitiveHeaders {
			redactHeader(h, k)
		}
		if l.apiKeyHeader != "" {
			redactHeader(h, l.apiKeyHeader)
		}
		var q []string
		for k := range r.URL.Query() {
			q = append(q, k)
		}
		rec := RecordedRequest{Time: time.Now(), Method: r.Method, Path: r.URL.Path, Query: q, Header: h, Status: sw.status}
		l.mu.Lock()
		if len(l.reqs) >= maxRecorded {
			l.reqs = append(l.reqs[:0], l.reqs[len(l.reqs)/2:]...)
		}
		l.reqs = append(l.reqs, rec)
		l.mu.Unlock()
	})
}

func redactHeader(h http.Header, name string) {
	if h.Get(name) != "" {
		h.Set(name, "[REDACTED]")
	}
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Requests returns a copy of the recorded requests (empty unless
// Config.RecordRequests).
func (p *Provider) Requests() []RecordedRequest {
	if p.recorder == nil {
		return nil
	}
	p.recorder.mu.Lock()
	defer p.recorder.mu.Unlock()
	out := make([]RecordedRequest, len(p.recorder.reqs))
	copy(out, p.recorder.reqs)
	return out
}

// ResetRequests clears the request log.
func (p *Provider) ResetRequests() {
	if p.recorder == nil {
		return
	}
	p.recorder.mu.Lock()
	p.recorder.reqs = nil
	p.recorder.mu.Unlock()
}
