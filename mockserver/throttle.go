package mockserver

import (
	"strconv"
	"sync"
	"time"
)

// Brute-force protection (RFC 6749 §2.3.1 and §4.3.2: the server "MUST
// protect the endpoint against brute force attacks"): after failureLimit
// failed attempts for one client id or username within failureWindow, every
// attempt for it, right or wrong, is refused for lockoutFor, with
// Retry-After. The limits leave room for conformance runs, which send a few
// wrong secrets on purpose.
const (
	failureLimit  = 10
	failureWindow = 5 * time.Minute
	lockoutFor    = 30 * time.Second
	// maxThrottled bounds the table; the oldest windows are dropped first.
	maxThrottled = 10000
)

type throttleEntry struct {
	failures    int
	windowStart time.Time
	lockedUntil time.Time
}

type throttle struct {
	mu sync.Mutex
	m  map[string]*throttleEntry
}

// locked reports whether key is locked out at now, and for how long.
func (t *throttle) locked(key string, now time.Time) (bool, time.Duration) {
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
	if t.m == nil {
		t.m = map[string]*throttleEntry{}
	}
	e := t.m[key]
	if e == nil {
		if len(t.m) >= maxThrottled {
			t.evict(now)
		}
		e = &throttleEntry{windowStart: now}
		t.m[key] = e
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
	t.mu.Lock()
	defer t.mu.Unlock()
	if e := t.m[key]; e != nil && e.failures > 0 && e.lockedUntil.IsZero() {
		delete(t.m, key)
	}
}

// evict drops entries whose window and lockout are over, or else all (a
// flood of distinct keys must not grow memory).
func (t *throttle) evict(now time.Time) {
	for k, e := range t.m {
		if now.Sub(e.windowStart) > failureWindow && !now.Before(e.lockedUntil) {
			delete(t.m, k)
		}
	}
	if len(t.m) >= maxThrottled {
		clear(t.m)
	}
}

// lockedError is the refusal during a lockout: the usual error code, with
// Retry-After.
func lockedError(base *oauthError, wait time.Duration) *oauthError {
	e := *base
	e.Description = "Too many failed attempts; try again later."
	e.RetryAfter = strconv.Itoa(int(wait.Round(time.Second) / time.Second))
	return &e
}
