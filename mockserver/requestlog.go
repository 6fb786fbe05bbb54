package mockserver

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Bounds of the request log: memory stays below about maxRecordedBodies
// plus maxRecorded small records, whatever the traffic.
const (
	// maxRecorded bounds the number of records; past it the older half is
	// dropped.
	maxRecorded = 10000
	// maxRecordedBody bounds the body kept of one request.
	maxRecordedBody = 8 << 10
	// maxRecordedBodies bounds the bodies of all records (Body and Form
	// together, with the headers and query names); past it the older half
	// of the log is dropped.
	maxRecordedBodies = 16 << 20
)

// TruncatedBody ends a RecordedRequest.Body cut at 8 KiB.
const TruncatedBody = "…[truncated]"

// redactedValue replaces a recorded credential.
const redactedValue = "[REDACTED]"

// RecordedRequest is one request the provider received (Config.RecordRequests),
// with its body. Unless Config.RecordSecrets (WithRecordSecrets) is set,
// credentials are redacted, replaced by "[REDACTED]": the values of the
// Authorization, Proxy-Authorization, Cookie and API key headers, and in the
// body (Body and Form alike) the values of the parameters or JSON members
// client_secret, client_assertion, password, code, refresh_token,
// access_token, code_verifier, assertion and token. Every other value is
// kept, so a test can assert what its client sent (grant_type,
// redirect_uri, that a code_verifier was sent at all).
type RecordedRequest struct {
	// Time is when the answer was complete (the real time, not the
	// provider's clock).
	Time   time.Time
	Method string
	Path   string
	// Query holds the query parameter names only.
	Query  []string
	Header http.Header
	// Body is the request body, redacted, its first 8 KiB only: a longer
	// one ends with TruncatedBody (and BodyTruncated is set). Form and
	// JSON bodies keep their order and spelling but for the redacted
	// values.
	Body string
	// BodyTruncated reports that the body was longer than Body holds.
	BodyTruncated bool
	// Form holds the parameters of an application/x-www-form-urlencoded
	// body, or the top-level members of a JSON object body (strings as
	// they are, other values as JSON text), redacted; nil for other bodies
	// and for none.
	Form url.Values
	// Status is the response status; 0 when the connection was closed
	// without an answer (a Drop fault).
	Status int

	// size is what the record's bodies take (maxRecordedBodies).
	size int
}

// secretParams are the body parameters (and JSON members) the log redacts.
var secretParams = []string{
	"client_secret", "client_assertion", "password", "code", "refresh_token",
	"access_token", "code_verifier", "assertion", "token",
}

func isSecretParam(name string) bool { return slices.Contains(secretParams, name) }

type requestLog struct {
	// apiKeyHeader is the settings' API key header, redacted whatever its
	// name.
	apiKeyHeader string
	// secrets keeps credentials unredacted (Config.RecordSecrets).
	secrets bool

	mu   sync.Mutex
	reqs []RecordedRequest
	// bodies is the sum of the records' sizes.
	bodies int
}

var sensitiveHeaders = []string{"Authorization", "Cookie", "X-Api-Key", "Proxy-Authorization"}

func (l *requestLog) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The body's first bytes are read here, before the handler, and
		// handed to it again: a handler that answers without reading it
		// (or reads it only in part) leaves it recorded all the same.
		var body []byte
		truncated := false
		if r.Body != nil && r.Body != http.NoBody {
			var buf bytes.Buffer
			_, _ = io.CopyN(&buf, r.Body, maxRecordedBody+1)
			body = buf.Bytes()
			r.Body = &replayBody{Reader: io.MultiReader(bytes.NewReader(body), r.Body), Closer: r.Body}
			if len(body) > maxRecordedBody {
				body, truncated = body[:maxRecordedBody], true
			}
		}
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		h := r.Header.Clone()
		if !l.secrets {
			for _, k := range sensitiveHeaders {
				redactHeader(h, k)
			}
			if l.apiKeyHeader != "" {
				redactHeader(h, l.apiKeyHeader)
			}
		}
		// Copies of the method, path and query names: they are substrings
		// of the request line, which they would keep alive whole.
		var q []string
		size := 0
		for k := range r.URL.Query() {
			q = append(q, strings.Clone(k))
			size += len(k)
		}
		for k, vs := range h {
			size += len(k)
			for _, v := range vs {
				size += len(v)
			}
		}
		size += len(r.Method) + len(r.URL.Path)
		rec := RecordedRequest{
			Time: time.Now(), Method: strings.Clone(r.Method), Path: strings.Clone(r.URL.Path), Query: q, Header: h,
			Status: sw.status,
		}
		if len(body) > 0 {
			rec.Body, rec.Form = recordBody(r.Header.Get("Content-Type"), string(body), truncated, !l.secrets)
			rec.BodyTruncated = truncated
			if truncated {
				rec.Body += TruncatedBody
			}
			size += len(rec.Body)
			for k, vs := range rec.Form {
				size += len(k)
				for _, v := range vs {
					size += len(v)
				}
			}
		}
		rec.size = size
		l.add(rec)
	})
}

// add appends a record, first dropping the older half of the log when it
// is full.
func (l *requestLog) add(rec RecordedRequest) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.reqs) >= maxRecorded || l.bodies+rec.size > maxRecordedBodies {
		l.reqs = append(l.reqs[:0], l.reqs[len(l.reqs)/2:]...)
		l.bodies = 0
		for i := range l.reqs {
			l.bodies += l.reqs[i].size
		}
	}
	l.reqs = append(l.reqs, rec)
	l.bodies += rec.size
}

// replayBody hands a handler the bytes the log read first, then the rest.
type replayBody struct {
	io.Reader
	io.Closer
}

// recordBody returns a request body as the log keeps it, and its
// parameters for a form or JSON object body; redact replaces the values of
// secretParams. A truncated body is redacted as far as it goes (a cut value
// of a secret parameter is redacted too).
func recordBody(contentType, body string, truncated, redact bool) (string, url.Values) {
	mt, _, _ := mime.ParseMediaType(contentType)
	isJSON := mt == "application/json" || strings.HasSuffix(mt, "+json")
	if mt != "application/x-www-form-urlencoded" && !isJSON {
		// Another or no media type: redact what looks like either.
		isJSON = strings.HasPrefix(strings.TrimLeft(body, " \t\r\n"), "{")
	}
	var form url.Values
	switch {
	case mt == "application/x-www-form-urlencoded":
		form, _ = url.ParseQuery(body) // keeps every pair that decodes
	case isJSON && !truncated:
		var members map[string]json.RawMessage
		if json.Unmarshal([]byte(body), &members) == nil {
			form = make(url.Values, len(members))
			for k, raw := range members {
				var s string
				if json.Unmarshal(raw, &s) == nil {
					form.Set(k, s)
				} else {
					form.Set(k, string(raw))
				}
			}
		}
	}
	if !redact {
		return body, form
	}
	for k, vs := range form {
		if isSecretParam(k) {
			for i := range vs {
				vs[i] = redactedValue
			}
		}
	}
	if isJSON {
		return redactJSON(body), form
	}
	return redactForm(body), form
}

// redactForm replaces the values of secret parameters in form-encoded data,
// keeping everything else byte for byte.
func redactForm(s string) string {
	var b strings.Builder
	first := true
	for s != "" {
		var pair string
		pair, s, _ = strings.Cut(s, "&")
		if !first {
			b.WriteByte('&')
		}
		first = false
		k, _, hasValue := strings.Cut(pair, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if hasValue && isSecretParam(name) {
			b.WriteString(k)
			b.WriteString("=" + redactedValue)
			continue
		}
		b.WriteString(pair)
	}
	return b.String()
}

// redactJSON replaces the values of members with secret names in JSON text,
// at any depth, keeping everything else byte for byte. It scans the text as
// it is, so a truncated document is redacted as far as it goes.
func redactJSON(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); {
		if s[i] != '"' {
			i++
			continue
		}
		end := jsonStringEnd(s, i)
		colon := skipJSONSpace(s, end)
		if colon < len(s) && s[colon] == ':' && isSecretParam(jsonStringValue(s[i:end])) {
			v := skipJSONSpace(s, colon+1)
			if v < len(s) {
				b.WriteString(s[last:v])
				b.WriteString(`"` + redactedValue + `"`)
				last = jsonValueEnd(s, v)
				i = last
				continue
			}
		}
		i = end
	}
	b.WriteString(s[last:])
	return b.String()
}

// jsonStringEnd returns the index after the JSON string that starts at i
// (len(s) for an unterminated one).
func jsonStringEnd(s string, i int) int {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(s)
}

// jsonStringValue decodes a JSON string token ("" when it does not decode).
func jsonStringValue(tok string) string {
	if !strings.Contains(tok, `\`) && len(tok) >= 2 && tok[len(tok)-1] == '"' {
		return tok[1 : len(tok)-1]
	}
	var v string
	_ = json.Unmarshal([]byte(tok), &v)
	return v
}

func skipJSONSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n') {
		i++
	}
	return i
}

// jsonValueEnd returns the index after the JSON value that starts at i: a
// string, an object or array (to its matching bracket), or a literal or
// number; len(s) when it is cut off.
func jsonValueEnd(s string, i int) int {
	switch s[i] {
	case '"':
		return jsonStringEnd(s, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(s); j++ {
			switch s[j] {
			case '"':
				j = jsonStringEnd(s, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
		}
		return len(s)
	}
	j := i
	for j < len(s) && !strings.ContainsRune(",}] \t\r\n", rune(s[j])) {
		j++
	}
	return j
}

func redactHeader(h http.Header, name string) {
	if h.Get(name) != "" {
		h.Set(name, redactedValue)
	}
}

// statusWriter records the status of the answer.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the server's writer (Flush,
// deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Hijack takes the connection over (a Drop fault): no answer, status 0.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil {
		w.status = 0
	}
	return c, rw, err
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
	p.recorder.bodies = 0
	p.recorder.mu.Unlock()
}
