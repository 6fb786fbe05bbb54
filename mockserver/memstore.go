package mockserver

import (
	"context"
	"crypto/sha256"
	"errors"
	"hash"
	"io"
	"maps"
	"math"
	"strings"
	"sync"
	"time"
)

// DefaultMaxRecords is the record cap of NewMemoryStore: grants, codes,
// tokens and revoked JWT ids together. It keeps the store's heap near 30 MB
// (a process below 100 MB RSS) however many tokens a load test asks for.
const DefaultMaxRecords = 200_000

// ErrStoreFull is returned by a bounded MemoryStore that cannot take a
// record: revoked JWT ids, which it never evicts, fill it. The provider
// answers 503 temporarily_unavailable.
var ErrStoreFull = errors.New("mockserver: store full")

// MemoryStore is the in-memory Store.
//
// It is bounded: it holds at most its record cap (DefaultMaxRecords, or
// that of NewBoundedMemoryStore) of grants, codes, tokens and revoked JWT
// ids together. When full, it evicts the oldest records, the older half at
// once: records live in two generations, and a save that finds the young
// one at half the cap drops the old one and starts a new young one (a
// record saved again moves to the young one). Eviction fails closed: an
// evicted code or token is unknown (invalid_grant, inactive, invalid_token),
// and so are the tokens of an evicted grant; only a replay of an evicted
// code or rotated-out refresh token no longer revokes its grant. Revoked JWT
// ids are never evicted, since forgetting one would make a revoked token
// valid again: they count toward the cap, and when they alone fill it a
// save returns ErrStoreFull.
//
// Records are kept compactly, about 100 to 160 bytes each with the map's
// overhead: keys as 128-bit SHA-256 digests (no token is kept in the
// clear), times as nanoseconds, and a record's client, subject and scope
// shared with every record of the same three (interned, copied so that no
// record holds on to a request's memory). Expired records are dropped by
// Sweep (the provider sweeps periodically), which also gives a generation's
// memory back once most of it has expired; a replayed code or refresh token
// is remembered until its own expiry so reuse is detected.
type MemoryStore struct {
	mu sync.Mutex
	// max is the record cap; 0 for none.
	max        int
	young, old generation
	// jtis are revoked stateless JWT access tokens, with their expiry.
	jtis map[digest]instant
	// shapes interns the client, subject and scope of records.
	shapes map[shapeKey]*shape
	// evicted counts the records dropped to make room.
	evicted uint64
}

// NewMemoryStore returns an empty store of DefaultMaxRecords records.
func NewMemoryStore() *MemoryStore { return NewBoundedMemoryStore(DefaultMaxRecords) }

// NewBoundedMemoryStore returns an empty store that holds at most
// maxRecords records (see MemoryStore); 0 or less means no bound, for
// tests that must never lose a record.
func NewBoundedMemoryStore(maxRecords int) *MemoryStore {
	s := &MemoryStore{max: max(maxRecords, 0)}
	s.init()
	return s
}

func (s *MemoryStore) init() {
	s.young, s.old = newGeneration(), newGeneration()
	s.jtis = make(map[digest]instant)
	s.shapes = make(map[shapeKey]*shape)
}

var _ Store = (*MemoryStore)(nil)

// digest is a record's key hashed: SHA-256 cut to 128 bits, fixed-size map
// keys that hold no pointer and no token in the clear. 128 bits keep
// accidental collisions out of reach (about 2^-90 for a million keys) and
// finding a key that collides with an unknown one takes 2^128 guesses
// divided by the records stored.
type digest [16]byte

func keyDigest(k string) digest {
	// Copying a short key to the stack spares the []byte conversion's
	// allocation; longer keys (JWTs stored by value) stream through a
	// pooled hash, since a new one is an allocation per lookup too.
	var buf [128]byte
	if len(k) <= len(buf) {
		n := copy(buf[:], k)
		sum := sha256.Sum256(buf[:n])
		return digest(sum[:16])
	}
	kh := keyHashers.Get().(*keyHasher)
	kh.h.Reset()
	_, _ = io.WriteString(kh.h, k)
	kh.h.Sum(kh.sum[:0])
	d := digest(kh.sum[:16])
	keyHashers.Put(kh)
	return d
}

// keyHasher is a reusable SHA-256 with room for its sum.
type keyHasher struct {
	h   hash.Hash
	sum [sha256.Size]byte
}

var keyHashers = sync.Pool{New: func() any { return &keyHasher{h: sha256.New()} }}

// instant is a time as Unix nanoseconds (8 bytes instead of time.Time's
// 24); noInstant stands for the zero time. Times beyond what int64
// nanoseconds hold (before 1678, after 2262) are clamped: as far as expiry
// goes they mean the same.
type instant int64

const noInstant instant = math.MinInt64

var (
	minInstant = time.Unix(0, math.MinInt64+1)
	maxInstant = time.Unix(0, math.MaxInt64)
)

func toInstant(t time.Time) instant {
	switch {
	case t.IsZero():
		return noInstant
	case t.Before(minInstant):
		return noInstant + 1
	case t.After(maxInstant):
		return math.MaxInt64
	}
	return instant(t.UnixNano())
}

func (i instant) time() time.Time {
	if i == noInstant {
		return time.Time{}
	}
	return time.Unix(0, int64(i))
}

// shape is what many records share: interned, one pointer per record.
// A record with extra claims has a shape of its own (claims are compared
// by nobody, so they are never interned).
type shape struct {
	clientID, subject, scope string
	claims                   map[string]any
}

type shapeKey struct{ clientID, subject, scope string }

// maxShapes bounds the intern table; past it records get shapes of their
// own until the next generation starts.
const maxShapes = 4096

// intern returns the shape of a record, shared when it has no claims. Its
// strings are copies, so that the store never keeps a substring of a
// caller's (a request body's) memory.
func (s *MemoryStore) intern(clientID, subject, scope string, claims map[string]any) *shape {
	if claims != nil {
		return &shape{strings.Clone(clientID), strings.Clone(subject), strings.Clone(scope), claims}
	}
	if sh, ok := s.shapes[shapeKey{clientID, subject, scope}]; ok {
		return sh
	}
	sh := &shape{clientID: strings.Clone(clientID), subject: strings.Clone(subject), scope: strings.Clone(scope)}
	if len(s.shapes) < maxShapes {
		s.shapes[shapeKey{sh.clientID, sh.subject, sh.scope}] = sh
	}
	return sh
}

// grantRec is a stored Grant; its ID is its key.
type grantRec struct {
	shape *shape
	exp   instant
	// auth is set for an OpenID Connect authentication only.
	auth    *grantAuth
	revoked bool
}

type grantAuth struct {
	authTime instant
	nonce    string
}

// tokenRec is a stored Token. grantID shares the grant's own ID string.
type tokenRec struct {
	shape    *shape
	grantID  string
	iat, exp instant
	kind     TokenKind
	retired  bool
	revoked  bool
}

// codeRec is a stored Code.
type codeRec struct {
	grantID, clientID, redirectURI string
	challenge, method              string
	exp                            instant
	redirectSent, used             bool
}

// generation is one age class of records (see MemoryStore).
type generation struct {
	grants map[digest]grantRec
	codes  map[digest]codeRec
	tokens map[digest]tokenRec
	// size is what its maps were made for or grew to, in records: Sweep
	// rebuilds maps left mostly empty, since a Go map never shrinks.
	size int
}

func newGeneration() generation {
	return generation{grants: map[digest]grantRec{}, codes: map[digest]codeRec{}, tokens: map[digest]tokenRec{}}
}

func (g *generation) len() int { return len(g.grants) + len(g.codes) + len(g.tokens) }

// find looks k up in the young generation's map, then the old one's.
func find[V any](k digest, young, old map[digest]V) (V, map[digest]V, bool) {
	if v, ok := young[k]; ok {
		return v, young, true
	}
	v, ok := old[k]
	return v, old, ok
}

// put stores v under k in the young generation of the map sel picks
// (moving it out of the old one), making room first for a new record.
func put[V any](s *MemoryStore, k digest, v V, sel func(*generation) map[digest]V) error {
	if young := sel(&s.young); hasKey(young, k) {
		young[k] = v
		return nil
	}
	if old := sel(&s.old); hasKey(old, k) {
		delete(old, k)
	} else if err := s.makeRoom(); err != nil {
		return err
	}
	sel(&s.young)[k] = v // after makeRoom: perhaps a new generation
	s.young.size = max(s.young.size, s.young.len())
	return nil
}

func hasKey[V any](m map[digest]V, k digest) bool {
	_, ok := m[k]
	return ok
}

func grantsOf(g *generation) map[digest]grantRec { return g.grants }
func codesOf(g *generation) map[digest]codeRec   { return g.codes }
func tokensOf(g *generation) map[digest]tokenRec { return g.tokens }

// makeRoom starts a new young generation, dropping the old one, when the
// young one holds half of what the cap leaves beside the revoked JWT ids.
func (s *MemoryStore) makeRoom() error {
	if s.max == 0 {
		return nil
	}
	room := s.max - len(s.jtis)
	if room <= 0 {
		return ErrStoreFull
	}
	if s.young.len() >= max(room/2, 1) {
		s.rotate()
	}
	return nil
}

// rotate drops the old generation; the young one becomes the old, and
// the new young one's maps are made for as many records as it held: under
// steady load they then fill to Go's full load factor instead of
// averaging two thirds of it.
func (s *MemoryStore) rotate() {
	s.evicted += uint64(s.old.len())
	prev := s.young
	s.old = prev
	s.young = newGeneration()
	if len(s.shapes) >= maxShapes {
		clear(s.shapes) // records keep their shapes; new ones intern anew
	}
}

// SaveGrant stores a copy of g.
func (s *MemoryStore) SaveGrant(_ context.Context, g *Grant) error {
	k := keyDigest(g.ID)
	rec := grantRec{exp: toInstant(g.ExpiresAt), revoked: g.Revoked}
	if !g.AuthTime.IsZero() || g.Nonce != "" {
		rec.auth = &grantAuth{authTime: toInstant(g.AuthTime), nonce: strings.Clone(g.Nonce)}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec.shape = s.intern(g.ClientID, g.Subject, g.Scope, maps.Clone(g.Claims))
	return put(s, k, rec, grantsOf)
}

// Grant returns a copy of the grant.
func (s *MemoryStore) Grant(_ context.Context, id string) (*Grant, error) {
	k := keyDigest(id)
	s.mu.Lock()
	rec, _, ok := find(k, s.young.grants, s.old.grants)
	s.mu.Unlock()
	if !ok {
		return nil, ErrNotFound
	}
	g := &Grant{
		ID: id, ClientID: rec.shape.clientID, Subject: rec.shape.subject, Scope: rec.shape.scope,
		Claims: maps.Clone(rec.shape.claims), Revoked: rec.revoked, ExpiresAt: rec.exp.time(),
	}
	if rec.auth != nil {
		g.AuthTime, g.Nonce = rec.auth.authTime.time(), rec.auth.nonce
	}
	return g, nil
}

// RevokeGrant marks the grant revoked.
func (s *MemoryStore) RevokeGrant(_ context.Context, id string) error {
	k := keyDigest(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, m, ok := find(k, s.young.grants, s.old.grants)
	if !ok {
		return ErrNotFound
	}
	rec.revoked = true
	m[k] = rec
	return nil
}

// ExtendGrant moves the grant's expiry to at least t.
func (s *MemoryStore) ExtendGrant(_ context.Context, id string, t time.Time) error {
	k, exp := keyDigest(id), toInstant(t)
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, m, ok := find(k, s.young.grants, s.old.grants)
	if !ok {
		return ErrNotFound
	}
	if exp > rec.exp {
		rec.exp = exp
		m[k] = rec
	}
	return nil
}

// SaveCode stores a copy of c.
func (s *MemoryStore) SaveCode(_ context.Context, code string, c *Code) error {
	k := keyDigest(code)
	rec := codeRec{
		grantID: c.GrantID, clientID: strings.Clone(c.ClientID), redirectURI: strings.Clone(c.RedirectURI),
		challenge: strings.Clone(c.CodeChallenge), method: strings.Clone(c.CodeChallengeMethod),
		exp: toInstant(c.ExpiresAt), redirectSent: c.RedirectURISent, used: c.Used,
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return put(s, k, rec, codesOf)
}

// RedeemCode marks the code used, atomically.
func (s *MemoryStore) RedeemCode(_ context.Context, code string) (*Code, bool, error) {
	k := keyDigest(code)
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, m, ok := find(k, s.young.codes, s.old.codes)
	if !ok {
		return nil, false, ErrNotFound
	}
	first := !rec.used
	rec.used = true
	m[k] = rec
	return &Code{
		GrantID: rec.grantID, ClientID: rec.clientID, RedirectURI: rec.redirectURI, RedirectURISent: rec.redirectSent,
		CodeChallenge: rec.challenge, CodeChallengeMethod: rec.method, ExpiresAt: rec.exp.time(), Used: true,
	}, first, nil
}

// SaveToken stores a copy of t (its Claims shared: read-only).
func (s *MemoryStore) SaveToken(_ context.Context, token string, t *Token) error {
	k := keyDigest(token)
	rec := tokenRec{
		grantID: t.GrantID, iat: toInstant(t.IssuedAt), exp: toInstant(t.ExpiresAt),
		kind: t.Kind, retired: t.Retired, revoked: t.Revoked,
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec.shape = s.intern(t.ClientID, t.Subject, t.Scope, t.Claims)
	return put(s, k, rec, tokensOf)
}

// Token returns a copy of the token record.
func (s *MemoryStore) Token(_ context.Context, token string) (*Token, error) {
	k := keyDigest(token)
	s.mu.Lock()
	rec, _, ok := find(k, s.young.tokens, s.old.tokens)
	s.mu.Unlock()
	if !ok {
		return nil, ErrNotFound
	}
	return &Token{
		Kind: rec.kind, GrantID: rec.grantID, ClientID: rec.shape.clientID, Subject: rec.shape.subject,
		Scope: rec.shape.scope, Claims: rec.shape.claims, IssuedAt: rec.iat.time(), ExpiresAt: rec.exp.time(),
		Retired: rec.retired, Revoked: rec.revoked,
	}, nil
}

// RetireToken marks a token rotated out, atomically.
func (s *MemoryStore) RetireToken(_ context.Context, token string) (bool, error) {
	k := keyDigest(token)
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, m, ok := find(k, s.young.tokens, s.old.tokens)
	if !ok {
		return false, ErrNotFound
	}
	if rec.retired {
		return false, nil
	}
	rec.retired = true
	m[k] = rec
	return true, nil
}

// RevokeToken marks one token revoked.
func (s *MemoryStore) RevokeToken(_ context.Context, token string) error {
	k := keyDigest(token)
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, m, ok := find(k, s.young.tokens, s.old.tokens)
	if !ok {
		return ErrNotFound
	}
	rec.revoked = true
	m[k] = rec
	return nil
}

// RevokeJTI remembers a revoked JWT access token id until exp. It evicts
// other records to make room, never another revoked id: with the cap
// reached by revoked ids alone it returns ErrStoreFull.
func (s *MemoryStore) RevokeJTI(_ context.Context, jti string, exp time.Time) error {
	k, e := keyDigest(jti), toInstant(exp)
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.jtis[k]; ok {
		s.jtis[k] = max(old, e)
		return nil
	}
	if s.max > 0 && len(s.jtis) >= s.max {
		return ErrStoreFull
	}
	s.jtis[k] = e
	for s.max > 0 && s.young.len()+s.old.len()+len(s.jtis) > s.max && s.young.len()+s.old.len() > 0 {
		s.rotate()
	}
	return nil
}

// JTIRevoked reports whether the jti was revoked (and not yet swept).
func (s *MemoryStore) JTIRevoked(_ context.Context, jti string) (bool, error) {
	k := keyDigest(jti)
	s.mu.Lock()
	_, ok := s.jtis[k]
	s.mu.Unlock()
	return ok, nil
}

// shrinkFloor is the size below which Sweep leaves a generation's maps
// alone: rebuilding small maps gains nothing.
const shrinkFloor = 4096

// Sweep drops expired records, and rebuilds the maps of a generation that
// has lost most of its records so that their memory is freed.
func (s *MemoryStore) Sweep(_ context.Context, now time.Time) int {
	t := toInstant(now)
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, g := range []*generation{&s.young, &s.old} {
		for k, c := range g.codes {
			if t > c.exp {
				delete(g.codes, k)
				n++
			}
		}
		for k, r := range g.tokens {
			if t > r.exp {
				delete(g.tokens, k)
				n++
			}
		}
		for k, r := range g.grants {
			if t > r.exp {
				delete(g.grants, k)
				n++
			}
		}
		if g.size >= shrinkFloor && g.len() < g.size/4 {
			g.grants, g.codes, g.tokens = rebuild(g.grants), rebuild(g.codes), rebuild(g.tokens)
			g.size = g.len()
		}
	}
	before := len(s.jtis)
	for k, exp := range s.jtis {
		if t > exp {
			delete(s.jtis, k)
			n++
		}
	}
	if before >= shrinkFloor && len(s.jtis) < before/4 {
		s.jtis = rebuild(s.jtis)
	}
	return n
}

// rebuild copies m into a map sized for what it holds now.
func rebuild[V any](m map[digest]V) map[digest]V {
	out := make(map[digest]V, len(m))
	maps.Copy(out, m)
	return out
}

// Len returns the number of stored codes, tokens and grants.
func (s *MemoryStore) Len() (codes, tokens, grants int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.young.codes) + len(s.old.codes), len(s.young.tokens) + len(s.old.tokens), len(s.young.grants) + len(s.old.grants)
}

// RevokedJTIs returns the number of remembered revoked JWT ids.
func (s *MemoryStore) RevokedJTIs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.jtis)
}

// MaxRecords returns the record cap (0: none).
func (s *MemoryStore) MaxRecords() int { return s.max }

// Evicted returns how many records were dropped to make room since the
// store was made or last reset.
func (s *MemoryStore) Evicted() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.evicted
}

// Reset drops every record at once: grants, codes, tokens and revoked JWT
// ids (Provider.Reset). A call in flight sees the store before or after it,
// never half of it.
func (s *MemoryStore) Reset(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	s.evicted = 0
	return nil
}
