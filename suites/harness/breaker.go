package harness

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
)

// ErrUnresponsive marks a request not sent because the target stopped
// answering (see [Breaker]).
var ErrUnresponsive = errors.New("the target is unresponsive")

// DefaultBreakerThreshold is the number of consecutive transport failures
// after which a [Breaker] trips.
const DefaultBreakerThreshold = 3

// Breaker ends a run against a dead target fast: after Threshold
// consecutive requests to a watched origin got no response (a timeout, a
// refused or reset connection), it trips, and every later request to those
// origins fails at once with ErrUnresponsive instead of waiting out its own
// timeout. One response of any status resets the count. Requests to other
// origins (the http:// form of an https endpoint, a client's redirect URI)
// are neither counted nor stopped: some checks expect them to fail.
//
// Clients built with the same Breaker share it. The zero value is ready to
// use and watches nothing. It is safe for concurrent use.
type Breaker struct {
	// Threshold is the number of consecutive failures that trips the
	// breaker; zero means DefaultBreakerThreshold.
	Threshold int

	mu      sync.Mutex
	origins map[string]bool
	fails   int
	last    error
	tripped error
}

// Watch adds the origins (scheme, host and port) of urls to those counted.
func (b *Breaker) Watch(urls ...string) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.origins == nil {
		b.origins = map[string]bool{}
	}
	for _, u := range urls {
		if o := originOf(u); o != "" {
			b.origins[o] = true
		}
	}
}

// Tripped returns why the breaker tripped, or nil.
func (b *Breaker) Tripped() error {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.tripped
}

// allow reports whether a request to u may be sent: nil, or the error to
// fail it with.
func (b *Breaker) allow(u string) error {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tripped == nil || !b.origins[originOf(u)] {
		return nil
	}
	return fmt.Errorf("%w (not sent): %w", ErrUnresponsive, b.tripped)
}

// record counts the outcome of a request to u: failed is true when it got
// no response for a reason of the target's (not the caller's cancellation).
func (b *Breaker) record(u string, failed bool, err error) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tripped != nil || !b.origins[originOf(u)] {
		return
	}
	if !failed {
		b.fails, b.last = 0, nil
		return
	}
	b.fails++
	b.last = err
	n := b.Threshold
	if n <= 0 {
		n = DefaultBreakerThreshold
	}
	if b.fails >= n {
		b.tripped = fmt.Errorf("%d consecutive requests got no response (the last: %v)", b.fails, b.last)
	}
}

// originOf is u's scheme://host:port, with the default port made explicit,
// or "" when u is not an absolute http(s) URL.
func originOf(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return ""
	}
	scheme := strings.ToLower(p.Scheme)
	port := p.Port()
	switch {
	case port != "":
	case scheme == "https":
		port = "443"
	case scheme == "http":
		port = "80"
	default:
		return ""
	}
	return scheme + "://" + strings.ToLower(p.Hostname()) + ":" + port
}
