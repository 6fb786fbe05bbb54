package mockserver

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Brute-force protection (RFC 6749 §2.3.1 and §4.3.2: the server "MUST
// protect the endpoint against brute force attacks"): after failureLimit
// failed attempts for one client id or username within failureWindow, every
// attempt for it, right or wrong, is refused for lockoutFor, with
// Retry-After. A username has one budget (userThrottleKey) for the password
// grant and the authorize endpoint's login form together, so neither is a
// way around the other. The limits leave room for conformance runs, which
// send a few wrong secrets on purpose.
const (
	failureLimit  = 10
	failureWindow = 5 * time.Minute
	lockoutFor    = 30 * time.Second
	// maxThrottled bounds the table; the oldest windows are dropped first.
	maxThrottled = 10000
)

// userThrottleKey is the throttle key of a resource owner's username.
func userThrottleKey(username string) string { return "user:" + username }

type throttleEntry struct {
	failures    int
	windowStart time.Time
	lockedUntil time.Time
}

type throttle struct {
	mu sync.Mutex
	m  map[string]*throttleEntry
	// n is len(m), stored after each change under mu: with no failure on
	// record (the normal case) locked and succeed return without taking
	// mu, which every authenticated request would otherwise contend for.
	n atomic.Int64
}

// locked reports whether key is locked out at now, and for how long.
func (t *throttle) locked(key string, now time.Time) (bool, time.Duration) {
	if t.n.Load() == 0 {
		return false, 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.m[key]
	if e == nil || !now.Before(e.lockedUntil) {
		return false, 0
	}
	return true, e.lockedUntil.Sub(now)
}

// fail records a failed attempt for key.
func (t *throttle) fail(key string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	defer t.count()
	if t.m == nil {
		t.m = map[string]*throttleEntry{}
	}
	e := t.m[key]
	if e == nil {
		if len(t.m) >= maxThrottled {
			t.evict(now)
		}
		e = &throttleEntry{windowStart: now}
		// A copy: key, kept from escaping, is built on the caller's stack.
		t.m[strings.Clone(key)] = e
	}
	if now.Sub(e.windowStart) > failureWindow {
		e.failures, e.windowStart = 0, now
	}
	e.failures++
	if e.failures >= failureLimit {
		e.lockedUntil = now.Add(lockoutFor)
		e.failures, e.windowStart = 0, now
	}
}

// succeed clears key's failures.
func (t *throttle) succeed(key string) {
	if t.n.Load() == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if e := t.m[key]; e != nil && e.failures > 0 && e.lockedUntil.IsZero() {
		delete(t.m, key)
		t.count()
	}
}

// count stores len(m) in n; mu is held.
func (t *throttle) count() { t.n.Store(int64(len(t.m))) }

// reset forgets every failure and lockout.
func (t *throttle) reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.m = nil
	t.count()
}

// evict makes room for a key: it drops the entries whose window and
// lockout are over, then those not locked out, and only when every one is
// locked all of them (a flood of distinct keys must not grow memory, and
// must not cheaply lift a lockout either: that takes failureLimit failures
// for each of maxThrottled keys).
func (t *throttle) evict(now time.Time) {
	t.dropExpired(now)
	if len(t.m) < maxThrottled {
		return
	}
	for k, e := range t.m {
		if !now.Before(e.lockedUntil) {
			delete(t.m, k)
		}
	}
	if len(t.m) >= maxThrottled {
		clear(t.m)
	}
}

// dropExpired drops the entries whose window and lockout are over.
func (t *throttle) dropExpired(now time.Time) {
	for k, e := range t.m {
		if now.Sub(e.windowStart) > failureWindow && !now.Before(e.lockedUntil) {
			delete(t.m, k)
		}
	}
}

// sweep drops the entries whose window and lockout are over.
func (t *throttle) sweep(now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.dropExpired(now)
	t.count()
}

// lockedError is the refusal during a lockout: the usual error code, with
// Retry-After.
func lockedError(base *oauthError, wait time.Duration) *oauthError {
	e := *base
	e.Description = "Too many failed attempts; try again later."
	e.RetryAfter = strconv.Itoa(retryAfterSeconds(wait))
	return &e
}

// retryAfterSeconds is a lockout's remaining wait in whole seconds, at
// least 1 (a Retry-After of 0 would invite an immediate retry).
func retryAfterSeconds(wait time.Duration) int {
	return max(int((wait+time.Second-1)/time.Second), 1)
}
