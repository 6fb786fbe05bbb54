package harness

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/go-resty/resty/v2"
)

// Defaults of [Options].
const (
	DefaultTimeout      = 10 * time.Second
	DefaultMaxBodyBytes = 1 << 20
	// DefaultMaxHeaderBytes is generous for any real server (cookies, CSP)
	// and keeps a hostile one from filling memory and reports with headers.
	DefaultMaxHeaderBytes = 64 << 10
	DefaultUserAgent      = "oauthconform-harness"
)

// Errors recorded in [Exchange.Err]; test them with errors.Is.
var (
	// ErrTimeout: the target sent no complete response within the timeout.
	ErrTimeout = errors.New("timeout")
	// ErrBodyTooLarge: the response body exceeded Options.MaxBodyBytes; the
	// exchange keeps the first MaxBodyBytes bytes.
	ErrBodyTooLarge = errors.New("response body too large")
	// ErrHeadersTooLarge: the response headers exceeded
	// Options.MaxHeaderBytes; the exchange has no response.
	ErrHeadersTooLarge = errors.New("response headers too large")
)

// Options configure a [Client].
type Options struct {
	// BaseURL is prepended to request targets that are paths.
	BaseURL string
	// Timeout bounds each request, body included. Zero means DefaultTimeout.
	Timeout time.Duration
	// MaxBodyBytes caps the response body read into memory. Zero means
	// DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// MaxHeaderBytes caps the response headers (status line included, as
	// net/http counts them). Zero means DefaultMaxHeaderBytes. Clients
	// sharing a Pool share the first client's limit.
	MaxHeaderBytes int64
	// Insecure skips TLS certificate verification (self-signed staging).
	Insecure bool
	// CAFile is a PEM bundle trusted in addition to the system roots (or
	// to RootCAs, when set).
	CAFile string
	// RootCAs, when set, replaces the system roots: an in-memory trust
	// store, e.g. the embedded mock's test CA.
	RootCAs *x509.CertPool
	// ServerName, when set, is the name the server's certificate is
	// verified for instead of the URL's host (a server reached by another
	// name than its certificate's). Verification stays on.
	ServerName string
	// Pool, when set, is a connection pool shared by every client built
	// with it (see [ConnPool]).
	Pool *ConnPool
	// Headers are sent on every request (e.g. x-api-key); request options
	// may override or remove them.
	Headers http.Header
	// RateLimit, when positive, spaces requests at most RateLimit per second
	// so a staging server is not hammered. Waiting does not count against
	// Timeout.
	RateLimit float64
	// Jar, when set, keeps cookies (a form-login driver needs a session);
	// by default no cookies are kept so checks do not leak state.
	Jar http.CookieJar
	// Breaker, when set, fails requests at once after the target stopped
	// answering (see [Breaker]); shared by the clients built with it.
	Breaker *Breaker
}

// Client sends conformance requests. It never follows redirects (the
// authorization tests read Location) and never panics or hangs on a
// misbehaving target: every failure is recorded in the returned Exchange.
// It is safe for concurrent use.
type Client struct {
	rc      *resty.Client
	tlsConf *tls.Config
	base    string
	timeout time.Duration
	maxBody int64
	// maxHeader is the transport's limit, for the error naming it.
	maxHeader int64
	headers   http.Header
	limiter   *limiter
	breaker   *Breaker
	// dry, when set, makes every request fail at once with ErrDryRun,
	// after calling it (see Dry).
	dry func()
}

// ErrDryRun is the error of every request of a dry client: nothing is sent.
var ErrDryRun = errors.New("dry run: no request is sent")

// Dry returns a copy of c that sends nothing: each request calls attempted
// and fails with ErrDryRun. A dry run uses it to tell the checks that would
// send requests from those that skip before they do.
func (c *Client) Dry(attempted func()) *Client {
	d := *c
	d.dry = attempted
	return &d
}

// ConnPool lets clients share their connections, and so their TLS
// sessions: the form driver builds a client per flow (each with a fresh
// cookie jar), and over HTTPS each would otherwise cost a TLS handshake.
// Clients sharing a pool must have the same TLS options: the first client
// built with it sets them. The zero value is ready to use.
type ConnPool struct {
	once sync.Once
	tr   *http.Transport
}

// ctxKey carries a request's exact headers to the pre-request hook.
type ctxKey struct{}

// NewClient builds a client; it fails only on unusable TLS options.
func NewClient(o Options) (*Client, error) {
	tlsConf := &tls.Config{InsecureSkipVerify: o.Insecure, ServerName: o.ServerName} //nolint:gosec // opt-in for staging servers
	if o.RootCAs != nil {
		tlsConf.RootCAs = o.RootCAs
	}
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("harness: ca_file: %w", err)
		}
		var pool *x509.CertPool
		if o.RootCAs != nil {
			pool = o.RootCAs.Clone()
		} else if sys, err := x509.SystemCertPool(); err == nil {
			pool = sys
		}
		if pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("harness: ca_file %s: no PEM certificate found", o.CAFile)
		}
		tlsConf.RootCAs = pool
	}
	maxHeader := o.MaxHeaderBytes
	if maxHeader <= 0 {
		maxHeader = DefaultMaxHeaderBytes
	}
	newTransport := func() *http.Transport {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = tlsConf
		tr.MaxResponseHeaderBytes = maxHeader
		return tr
	}
	var tr *http.Transport
	if o.Pool != nil {
		o.Pool.once.Do(func() { o.Pool.tr = newTransport() })
		tr = o.Pool.tr
	} else {
		tr = newTransport()
	}
	hc := &http.Client{Transport: tr, Jar: o.Jar}

	c := &Client{
		tlsConf:   tlsConf,
		base:      strings.TrimRight(o.BaseURL, "/"),
		timeout:   o.Timeout,
		maxBody:   o.MaxBodyBytes,
		maxHeader: maxHeader,
		headers:   http.Header{"User-Agent": {DefaultUserAgent}},
		breaker:   o.Breaker,
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxBodyBytes
	}
	for k, vs := range o.Headers {
		c.headers[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
	if o.RateLimit > 0 {
		c.limiter = &limiter{interval: time.Duration(float64(time.Second) / o.RateLimit)}
	}

	c.rc = resty.NewWithClient(hc).
		SetLogger(quietLogger{}).
		SetDisableWarn(true).
		SetAllowGetMethodPayload(true).
		SetDoNotParseResponse(true). // we read the body ourselves, with a cap
		SetRedirectPolicy(resty.RedirectPolicyFunc(func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		})).
		// resty adds Content-Type, Accept and User-Agent of its own; the
		// hook restores exactly the headers the evidence records, so that
		// raw and malformed requests go out as written.
		SetPreRequestHook(func(_ *resty.Client, r *http.Request) error {
			if h, ok := r.Context().Value(ctxKey{}).(http.Header); ok {
				r.Header = h.Clone()
			}
			return nil
		})
	return c, nil
}

// TLSConfig returns a copy of the client's TLS settings: RootCAs (nil
// means the system roots), ServerName, InsecureSkipVerify. Checks of the
// target's TLS itself dial with them.
func (c *Client) TLSConfig() *tls.Config { return c.tlsConf.Clone() }

// BaseURL returns the base URL that paths are resolved against.
func (c *Client) BaseURL() string { return c.base }

// RequestOption adjusts one request.
type RequestOption func(*request)

type request struct {
	method      string
	header      http.Header // overrides of the client's headers
	del         []string
	query       url.Values
	form        url.Values
	body        []byte
	hasBody     bool
	contentType string
	err         error // an option that could not be applied
}

// WithBasicAuth sends client credentials as RFC 6749 §2.3.1 prescribes: see
// [BasicAuthHeader].
func WithBasicAuth(id, secret string) RequestOption {
	return WithAuthorization(BasicAuthHeader(id, secret))
}

// WithAuthorization sends a raw Authorization header value, for malformed or
// unusual credentials ("Basic !!!", "basic …", "Bearer …").
func WithAuthorization(value string) RequestOption {
	return WithHeader("Authorization", value)
}

// WithHeader sets a header, replacing a client default of that name.
func WithHeader(name, value string) RequestOption {
	return func(r *request) { r.header.Set(name, value) }
}

// WithoutHeader removes a client default header (e.g. the API key, to test
// its absence).
func WithoutHeader(name string) RequestOption {
	return func(r *request) {
		r.header.Del(name)
		r.del = append(r.del, name)
	}
}

// WithQuery appends parameters to the URL's query, after any already there.
func WithQuery(q url.Values) RequestOption {
	return func(r *request) { r.query = q }
}

// WithForm sends an application/x-www-form-urlencoded body. Keys are sorted
// (url.Values.Encode); the values of one key keep their order, so
// grant_type=a&grant_type=b is expressible. Use [WithRawBody] for any other
// exact ordering. With GET or HEAD the parameters go to the query instead.
func WithForm(form url.Values) RequestOption {
	return func(r *request) {
		r.form, r.body, r.hasBody = form, nil, false
		r.contentType = "application/x-www-form-urlencoded"
	}
}

// WithJSON sends v marshalled as an application/json body.
func WithJSON(v any) RequestOption {
	return func(r *request) {
		b, err := json.Marshal(v)
		if err != nil {
			// A bug in the spec: reported in Exchange.Err, nothing is sent.
			r.err = fmt.Errorf("harness: cannot marshal %T as JSON: %w", v, err)
		}
		r.form, r.body, r.hasBody, r.contentType = nil, b, true, "application/json"
	}
}

// WithRawBody sends body verbatim with that Content-Type ("" sends none).
func WithRawBody(contentType, body string) RequestOption {
	return func(r *request) {
		r.form, r.body, r.hasBody, r.contentType = nil, []byte(body), true, contentType
	}
}

// WithMethod replaces the request method, e.g. GET at the token endpoint
// (TOK-GEN-004), where form parameters then travel in the query.
func WithMethod(method string) RequestOption {
	return func(r *request) { r.method = method }
}

// BasicAuthHeader returns the Authorization value for client_secret_basic:
// RFC 6749 §2.3.1 has id and secret each encoded with
// application/x-www-form-urlencoded (space as '+') before the RFC 7617
// base64, a step many clients and servers skip.
func BasicAuthHeader(id, secret string) string {
	cred := url.QueryEscape(id) + ":" + url.QueryEscape(secret)
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(cred))
}

// ParseBasicAuth reads an HTTP Basic Authorization value as RFC 6749
// §2.3.1 writes it (each part form-encoded); ok is false for anything else.
func ParseBasicAuth(value string) (id, secret string, ok bool) {
	scheme, cred, found := strings.Cut(value, " ")
	if !found || !strings.EqualFold(scheme, "Basic") {
		return "", "", false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
	if err != nil {
		return "", "", false
	}
	u, p, found := strings.Cut(string(raw), ":")
	if !found {
		return "", "", false
	}
	if du, err := url.QueryUnescape(u); err == nil {
		u = du
	}
	if dp, err := url.QueryUnescape(p); err == nil {
		p = dp
	}
	return u, p, true
}

// PostForm posts a form to the target (a path or absolute URL) with
// Accept: application/json, as the token endpoint expects.
func (c *Client) PostForm(ctx context.Context, target string, form url.Values, opts ...RequestOption) *Exchange {
	base := []RequestOption{WithHeader("Accept", "application/json"), WithForm(form)}
	return c.Do(ctx, http.MethodPost, target, append(base, opts...)...)
}

// Get sends a GET without following redirects; read [Exchange.Location].
func (c *Client) Get(ctx context.Context, target string, opts ...RequestOption) *Exchange {
	return c.Do(ctx, http.MethodGet, target, opts...)
}

// Do sends one request and returns its evidence. Transport failures,
// timeouts and oversized bodies are recorded in Exchange.Err, never returned
// or panicked.
func (c *Client) Do(ctx context.Context, method, target string, opts ...RequestOption) *Exchange {
	r := &request{method: method, header: http.Header{}}
	for _, o := range opts {
		o(r)
	}

	query := r.query
	if r.form != nil {
		if r.method == http.MethodGet || r.method == http.MethodHead {
			query = merge(r.form, r.query)
		} else {
			r.body, r.hasBody = []byte(r.form.Encode()), true
		}
	}

	hdr := c.headers.Clone()
	for _, name := range r.del {
		hdr.Del(name)
	}
	if r.hasBody && r.contentType != "" {
		hdr.Set("Content-Type", r.contentType)
	}
	for k, vs := range r.header {
		hdr[k] = vs
	}

	x := &Exchange{Method: r.method, RequestHeader: hdr}
	// What it sent and got is scrubbed by value from every rendering.
	defer x.RegisterSecrets()
	if r.hasBody {
		x.RequestBody = r.body
	}
	x.URL, x.Err = c.resolve(target, query)
	if x.Err == nil {
		x.Err = r.err
	}
	if x.Err != nil {
		return x
	}
	if ctx == nil {
		ctx = context.Background()
	}
	if c.dry != nil {
		c.dry()
		x.Err = ErrDryRun
		return x
	}
	if err := c.breaker.allow(x.URL); err != nil {
		x.Err = err
		return x
	}
	if err := c.limiter.wait(ctx); err != nil {
		x.Err = fmt.Errorf("waiting for the rate limit: %w", err)
		return x
	}

	tctx, cancel := context.WithTimeout(context.WithValue(ctx, ctxKey{}, hdr), c.timeout)
	defer cancel()
	req := c.rc.R().SetContext(tctx)
	if r.hasBody {
		req.SetBody(r.body)
	}
	start := time.Now()
	resp, err := req.Execute(r.method, x.URL)
	if err == nil && resp != nil && resp.RawResponse != nil {
		raw := resp.RawResponse
		x.Status, x.Header = raw.StatusCode, raw.Header
		x.Body, x.Truncated, err = readCapped(raw.Body, c.maxBody)
		_ = raw.Body.Close()
	}
	x.Duration = time.Since(start)
	if err != nil {
		// net/http quotes the URL in its errors; a code or token in the
		// query must not reach a log that way.
		var ue *url.Error
		if errors.As(err, &ue) {
			ue.URL = RedactURL(ue.URL)
		}
		if errors.Is(tctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
			err = fmt.Errorf("%w: no complete response within %s: %w", ErrTimeout, c.timeout, err)
		}
		// net/http says so only in its message.
		if strings.Contains(err.Error(), "server response headers exceeded") {
			err = fmt.Errorf("%w: the response headers exceed the harness's limit of %d bytes (%d KiB): %w", ErrHeadersTooLarge, c.maxHeader, c.maxHeader>>10, err)
		}
		x.Err = err
	}
	// The caller's own cancellation says nothing about the target.
	if ctx.Err() == nil {
		// Oversized headers or body came from a target that answered.
		answered := errors.Is(x.Err, ErrHeadersTooLarge) || errors.Is(x.Err, ErrBodyTooLarge)
		c.breaker.record(x.URL, x.Err != nil && !answered, x.Err)
	}
	return x
}

// resolve joins a path to the base URL (keeping any path the base has, so a
// tenant prefix survives) and appends extra query parameters verbatim after
// those already in the target.
func (c *Client) resolve(target string, q url.Values) (string, error) {
	u, err := url.Parse(target)
	if err != nil {
		return target, fmt.Errorf("harness: bad URL: %w", err)
	}
	full := target
	if !u.IsAbs() {
		if c.base == "" {
			return target, fmt.Errorf("harness: %q is not an absolute URL and no base URL is set", target)
		}
		full = c.base + "/" + strings.TrimLeft(target, "/")
	}
	if _, err := url.Parse(full); err != nil {
		return full, fmt.Errorf("harness: bad URL: %w", err)
	}
	if len(q) > 0 {
		sep := "?"
		if strings.Contains(full, "?") {
			sep = "&"
		}
		base, frag, hasFrag := strings.Cut(full, "#")
		full = base + sep + q.Encode()
		if hasFrag {
			full += "#" + frag
		}
	}
	return full, nil
}

func merge(a, b url.Values) url.Values {
	out := url.Values{}
	for _, v := range []url.Values{a, b} {
		for k, vs := range v {
			out[k] = append(out[k], vs...)
		}
	}
	return out
}

// readCapped reads at most limit bytes; a longer body is an error and the
// first limit bytes are kept as evidence.
func readCapped(body io.Reader, limit int64) ([]byte, bool, error) {
	b, err := io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil {
		return b, false, fmt.Errorf("reading response body: %w", err)
	}
	if int64(len(b)) > limit {
		return b[:limit], true, fmt.Errorf("%w: more than %d bytes (truncated in evidence)", ErrBodyTooLarge, limit)
	}
	return b, false, nil
}

// limiter spaces requests evenly. resty's own RateLimiter only refuses
// requests over the rate; a conformance run must wait instead, and this is
// small enough not to need golang.org/x/time/rate.
type limiter struct {
	mu       sync.Mutex
	interval time.Duration
	next     time.Time
}

// wait blocks until the caller's slot. A slot reserved by a caller whose
// context ends is not given back: the next request is merely a little later.
func (l *limiter) wait(ctx context.Context) error {
	if l == nil {
		return ctx.Err()
	}
	l.mu.Lock()
	now := time.Now()
	at := l.next
	if at.Before(now) {
		at = now
	}
	l.next = at.Add(l.interval)
	l.mu.Unlock()

	d := time.Until(at)
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// quietLogger keeps resty from writing to stderr; everything it would say
// is in the Exchange.
type quietLogger struct{}

func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Warnf(string, ...any)  {}
func (quietLogger) Debugf(string, ...any) {}
