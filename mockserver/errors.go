package mockserver

import (
	"errors"
	"net/http"
	"strconv"
	"sync/atomic"
	"unicode/utf8"
)

// RFC 6749 §5.2 and §4.1.2.1 error codes.
const (
	errInvalidRequest          = "invalid_request"
	errInvalidClient           = "invalid_client"
	errInvalidGrant            = "invalid_grant"
	errUnauthorizedClient      = "unauthorized_client"
	errUnsupportedGrantType    = "unsupported_grant_type"
	errInvalidScope            = "invalid_scope"
	errAccessDenied            = "access_denied"
	errUnsupportedResponseType = "unsupported_response_type"
	errServerError             = "server_error"
	errTemporarilyUnavailable  = "temporarily_unavailable"
)

// oauthError is an RFC 6749 error response. Descriptions are fixed ASCII
// strings within the §5.2 charset: no client input is ever echoed in them.
type oauthError struct {
	Code        string
	Description string
	// Status overrides the default (400, or 401 for invalid_client).
	Status int
	// Challenge is the WWW-Authenticate value sent with a 401.
	Challenge string
	// RetryAfter, when set, is sent as Retry-After (brute-force lockout).
	RetryAfter string
}

func (e *oauthError) Error() string { return e.Code + ": " + e.Description }

func newError(code, desc string) *oauthError { return &oauthError{Code: code, Description: desc} }

// errStoreFull answers a request the store cannot record (ErrStoreFull):
// RFC 6749 §4.1.2.1's temporarily_unavailable, as 503 with Retry-After,
// at the token endpoint too (RFC 7009 §2.2.1 names 503 for revocation).
var errStoreFull = &oauthError{
	Code: errTemporarilyUnavailable, Description: "The server is temporarily unable to store more state; try again later.",
	Status: http.StatusServiceUnavailable, RetryAfter: "30",
}

// storeFailure is the answer to a failed store write: errStoreFull when the
// store is full, else errServer.
func storeFailure(err error) *oauthError {
	if errors.Is(err, ErrStoreFull) {
		return errStoreFull
	}
	return errServer
}

func (e *oauthError) status() int {
	if e.Status != 0 {
		return e.Status
	}
	return http.StatusBadRequest
}

// writeTokenError writes a token endpoint (or revocation/introspection) error.
func (p *Provider) writeTokenError(w http.ResponseWriter, e *oauthError) {
	p.writeTokenErrorFor(w, e, "")
}

// writeTokenErrorFor writes e in answer to a request of grantType ("" when
// none is known); the response filters of the quirks rewrite it.
func (p *Provider) writeTokenErrorFor(w http.ResponseWriter, e *oauthError, grantType string) {
	status := e.status()
	h := w.Header()
	if status == http.StatusUnauthorized && e.Challenge != "" {
		h.Set("WWW-Authenticate", e.Challenge)
	}
	if e.RetryAfter != "" {
		h.Set("Retry-After", e.RetryAfter)
	}
	b := make([]byte, 0, 128)
	b = append(b, `{"error":`...)
	b = appendJSONString(b, e.Code)
	if e.Description != "" {
		b = append(b, `,"error_description":`...)
		b = appendJSONString(b, e.Description)
	}
	b = append(b, '}')
	if len(p.filters[respTokenError]) == 0 {
		p.writeNoStoreJSON(w, status, b)
		return
	}
	p.setNoStoreJSONHeaders(h)
	p.writeFiltered(w, &response{status: status, err: e, grantType: grantType}, respTokenError, b)
}

// writeNoStoreJSON writes a JSON body with the RFC 6749 §5.1 cache headers.
func (p *Provider) writeNoStoreJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	p.setNoStoreJSONHeaders(h)
	h["Content-Length"] = contentLength(len(body))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// setNoStoreJSONHeaders sets the JSON Content-Type and the RFC 6749 §5.1
// cache headers.
func (p *Provider) setNoStoreJSONHeaders(h http.Header) {
	h["Content-Type"] = jsonCT
	h["Cache-Control"] = noStore
	h["Pragma"] = noCache
}

// contentLengths caches the Content-Length values of bodies under 4 KiB,
// made on first use and shared like the slices below: the token responses
// of a load test come in a few lengths, and a value made for each cost two
// allocations (the slice, and the string above two digits).
var contentLengths [4 << 10]atomic.Pointer[[]string]

// contentLength returns the Content-Length header value of n bytes; never
// append to it.
func contentLength(n int) []string {
	if n < 0 || n >= len(contentLengths) {
		return []string{strconv.Itoa(n)}
	}
	if v := contentLengths[n].Load(); v != nil {
		return *v
	}
	v := []string{strconv.Itoa(n)}
	contentLengths[n].Store(&v)
	return v
}

// Shared header value slices: assigning them avoids per-request allocations.
// Handlers must never append to them.
var (
	jsonCT      = []string{"application/json"}
	textPlainCT = []string{"text/plain; charset=utf-8"}
	noStore     = []string{"no-store"}
	noCache     = []string{"no-cache"}
)

// jsonPlain marks the bytes appendJSONString copies as they are: ASCII
// from space on, but for the quote, the backslash and <, > and & (escaped
// as encoding/json does). One table load a byte: the access tokens it
// writes are hundreds of bytes long.
var jsonPlain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = true
	}
	for _, c := range `"\\<>&` {
		t[c] = false
	}
	return t
}()

// appendJSONString appends s as a JSON string. Non-ASCII UTF-8 passes as is;
// invalid UTF-8 becomes U+FFFD (as encoding/json does).
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if jsonPlain[c] {
			i++
			continue
		}
		if c < 0x80 {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
