package mockserver

import (
	"context"
	"maps"
	"sync"
	"time"
)

// MemoryStore is the in-memory Store. Memory stays bounded because expired
// records are swept (the provider sweeps periodically); a replayed code or
// refresh token is remembered until its own expiry so reuse is detected.
type MemoryStore struct {
	mu     sync.Mutex
	grants map[string]*Grant
	codes  map[string]*Code
	tokens map[string]*Token
	// jtis are revoked stateless JWT access tokens, with their expiry.
	jtis map[string]time.Time
}

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{
		grants: make(map[string]*Grant),
		codes:  make(map[string]*Code),
		tokens: make(map[string]*Token),
		jtis:   make(map[string]time.Time),
	}
}

var _ Store = (*MemoryStore)(nil)

func cloneGrant(g *Grant) *Grant {
	c := *g
	c.Claims = maps.Clone(g.Claims)
	return &c
}

// SaveGrant stores a copy of g.
func (s *MemoryStore) SaveGrant(_ context.Context, g *Grant) error {
	c := cloneGrant(g)
	s.mu.Lock()
	s.grants[g.ID] = c
	s.mu.Unlock()
	return nil
}

// Grant returns a copy of the grant.
func (s *MemoryStore) Grant(_ context.Context, id string) (*Grant, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.grants[id]
	if !ok {
		return nil, ErrNotFound
	}
	return cloneGrant(g), nil
}

// RevokeGrant marks the grant revoked.
func (s *MemoryStore) RevokeGrant(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.grants[id]
	if !ok {
		return ErrNotFound
	}
	g.Revoked = true
	return nil
}

// ExtendGrant moves the grant's expiry to at least t.
func (s *MemoryStore) ExtendGrant(_ context.Context, id string, t time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.grants[id]
	if !ok {
		return ErrNotFound
	}
	if t.After(g.ExpiresAt) {
		g.ExpiresAt = t
	}
	return nil
}

// SaveCode stores a copy of c.
func (s *MemoryStore) SaveCode(_ context.Context, code string, c *Code) error {
	cp := *c
	s.mu.Lock()
	s.codes[code] = &cp
	s.mu.Unlock()
	return nil
}

// RedeemCode marks the code used, atomically.
func (s *MemoryStore) RedeemCode(_ context.Context, code string) (*Code, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.codes[code]
	if !ok {
		return nil, false, ErrNotFound
	}
	first := !c.Used
	c.Used = true
	cp := *c
	return &cp, first, nil
}

// SaveToken stores a copy of t.
func (s *MemoryStore) SaveToken(_ context.Context, token string, t *Token) error {
	cp := *t
	s.mu.Lock()
	s.tokens[token] = &cp
	s.mu.Unlock()
	return nil
}

// Token returns a copy of the token record.
func (s *MemoryStore) Token(_ context.Context, token string) (*Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[token]
	if !ok {
		return nil, ErrNotFound
	}
	cp := *t
	return &cp, nil
}

// RetireToken marks a token rotated out, atomically.
func (s *MemoryStore) RetireToken(_ context.Context, token string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[token]
	if !ok {
		return false, ErrNotFound
	}
	if t.Retired {
		return false, nil
	}
	t.Retired = true
	return true, nil
}

// RevokeToken marks one token revoked.
func (s *MemoryStore) RevokeToken(_ context.Context, token string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[token]
	if !ok {
		return ErrNotFound
	}
	t.Revoked = true
	return nil
}

// RevokeJTI remembers a revoked JWT access token id until exp.
func (s *MemoryStore) RevokeJTI(_ context.Context, jti string, exp time.Time) error {
	s.mu.Lock()
	s.jtis[jti] = exp
	s.mu.Unlock()
	return nil
}

// JTIRevoked reports whether the jti was revoked (and not yet swept).
func (s *MemoryStore) JTIRevoked(_ context.Context, jti string) (bool, error) {
	s.mu.Lock()
	_, ok := s.jtis[jti]
	s.mu.Unlock()
	return ok, nil
}

// Sweep drops expired records.
func (s *MemoryStore) Sweep(_ context.Context, now time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k, c := range s.codes {
		if now.After(c.ExpiresAt) {
			delete(s.codes, k)
			n++
		}
	}
	for k, t := range s.tokens {
		if now.After(t.ExpiresAt) {
			delete(s.tokens, k)
			n++
		}
	}
	for k, g := range s.grants {
		if now.After(g.ExpiresAt) {
			delete(s.grants, k)
			n++
		}
	}
	for k, exp := range s.jtis {
		if now.After(exp) {
			delete(s.jtis, k)
			n++
		}
	}
	return n
}

// Len returns the number of stored codes, tokens and grants.
func (s *MemoryStore) Len() (codes, tokens, grants int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.codes), len(s.tokens), len(s.grants)
}

// RevokedJTIs returns the number of remembered revoked JWT ids.
func (s *MemoryStore) RevokedJTIs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.jtis)
}

// Reset drops every record at once: grants, codes, tokens and revoked JWT
// ids (Provider.Reset). A call in flight sees the store before or after it,
// never half of it.
func (s *MemoryStore) Reset(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.grants = make(map[string]*Grant)
	s.codes = make(map[string]*Code)
	s.tokens = make(map[string]*Token)
	s.jtis = make(map[string]time.Time)
	return nil
}
