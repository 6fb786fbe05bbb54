package mockserver

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// ResettableStore is a Store that can drop all its records at once, which
// Provider.Reset needs. MemoryStore is one.
type ResettableStore interface {
	Store
	// Reset drops every grant, code, token and revoked JWT id, atomically
	// for concurrent calls.
	Reset(ctx context.Context) error
}

var _ ResettableStore = (*MemoryStore)(nil)

// resetState is what Provider.Reset keeps between resets.
type resetState struct {
	// mu serializes resets.
	mu sync.Mutex
	// epoch is the first second (Unix time of the provider's clock) whose
	// stateless JWT access tokens count as issued since the last reset; 0
	// before any reset. See statelessRecordKey and issuedBeforeReset.
	epoch atomic.Int64
}

// Reset puts the provider back into its start state, for the next test of
// a suite that shares one running provider:
//   - every grant, authorization code, access and refresh token is gone,
//     stateless JWT access tokens included (they fail introspection and the
//     resource server like unknown ones);
//   - pending authorization requests (the login and consent page) and the
//     brute-force lockouts are dropped;
//   - queued faults are cleared, and the request log (Requests);
//   - the clients and users registered at run time (AddClient, AddUser)
//     are removed; the start-up fixtures stay;
//   - the first signing key signs again (RotateSigningKey undone; the JWKS
//     keeps publishing every key).
//
// The clock is not touched: it only moves forward (and WithClock may share
// it). Reset is safe with requests in flight: each sees the provider before
// or after it (a token issued while Reset runs may be dropped with the
// rest). The store must be a ResettableStore (the default MemoryStore is);
// with another, Reset changes nothing and returns an error.
//
// Stateless JWTs carry their validity in their signature, so Reset tells
// those of before it by their iat: after a reset the provider accepts a
// stateless token only with an iat from the reset on and not in the future
// (a token it issues with a claimed iat outside that range, or within the
// second of the reset, it stores instead). This assumes the clock does not
// move backward (OffsetClock.Advance with a negative duration).
func (p *Provider) Reset(ctx context.Context) error {
	rs, ok := p.store.(ResettableStore)
	if !ok {
		return fmt.Errorf("mockserver: reset: the store %T has no Reset method (ResettableStore)", p.store)
	}
	p.resets.mu.Lock()
	defer p.resets.mu.Unlock()

	// The epoch first: from here on a stateless token of this second is
	// stored, and the store is cleared below, so none of before survives.
	epoch := p.clock.Now().Unix() + 1
	if old := p.resets.epoch.Load(); old > epoch {
		epoch = old // a clock moved back must not revive older tokens
	}
	p.resets.epoch.Store(epoch)

	p.ClearFaults()
	p.regMu.Lock()
	p.reg.Store(newRegistry(p.fixtures))
	p.regMu.Unlock()
	if err := rs.Reset(ctx); err != nil {
		return fmt.Errorf("mockserver: reset store: %w", err)
	}
	p.pending.reset()
	p.failures.reset()
	p.lastAccess.Clear()
	if p.keys != nil {
		p.keys.reset()
	}
	p.ResetRequests()
	return nil
}

// statelessRecordKey says whether and under which key issue stores a
// self-contained JWT access token that it would otherwise leave stateless
// (jwtTokens.recordKey): after a Reset, one whose iat would not tell it from the
// tokens of before the reset (see issuedBeforeReset). Before any reset it
// stores none.
func (p *Provider) statelessRecordKey(token, jti string, iat, now time.Time) (string, bool) {
	epoch := p.resets.epoch.Load()
	if epoch == 0 || iat.Unix() >= epoch && !iat.After(now) {
		return "", false
	}
	if jti != "" {
		return jtiKey(jti), true // found by its jti, as a grant family's
	}
	return token, true
}

// issuedBeforeReset reports whether a stateless JWT access token (no
// record) must count as issued before the last Reset: an iat before the
// reset's epoch, or in the future.
func (p *Provider) issuedBeforeReset(iat time.Time) bool {
	epoch := p.resets.epoch.Load()
	return epoch != 0 && (iat.Unix() < epoch || iat.After(p.clock.Now()))
}
