package mockserver

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
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
// record holds on to a request's memory). Grant and token records hold no
// pointers, so the garbage collector does not scan them. Expired records
// are dropped by Sweep (the provider sweeps periodically), which also gives
// a generation's memory back once most of it has expired; a replayed code
// or refresh token is remembered until its own expiry so reuse is
// detected.
type MemoryStore struct {
	mu sync.Mutex
	// max is the record cap; 0 for none.
	max        int
	young, old generation
	// jtis are revoked stateless JWT access tokens, with their expiry.
	jtis map[digest]instant
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
	s.young, s.old = newGeneration(0, 0, 0), newGeneration(0, 0, 0)
	s.jtis = make(map[digest]instant)
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

// shape is what many records share: client, subject, scope and claims.
// A record with extra claims has a shape of its own (claims are compared
// by nobody, so they are never interned).
type shape struct {
	clientID, subject, scope string
	claims                   map[string]any
}

type shapeKey struct{ clientID, subject, scope string }

// maxShapes bounds a generation's intern table; past it records get
// shapes of their own until the next generation starts.
const maxShapes = 4096

// Grant and token records hold no pointer, so that the garbage collector
// never scans their maps: under load they are most of the heap, and
// scanning them cost an opaque token more than the store's own work. What
// does need a pointer is kept beside them, by the record's key: a shape
// that is not interned, an OpenID Connect authentication, a grant id not
// of the provider's making (see side).

// grantRec is a stored Grant; its ID is its key.
type grantRec struct {
	exp instant
	// shape is 1 + the index of the interned shape in its generation's
	// table, 0 when the record's side holds it.
	shape uint32
	// side: the generation's grantSides hold more of the record.
	side, revoked bool
}

// grantSide is what a grant record cannot hold itself.
type grantSide struct {
	shape *shape
	// auth is set for an OpenID Connect authentication only.
	auth *grantAuth
}

type grantAuth struct {
	authTime instant
	nonce    string
}

// tokenRec is a stored Token.
type tokenRec struct {
	iat, exp instant
	// grant is the grant id's 32 bytes when hasGrant (grantRef); another
	// form of id is in the side.
	grant    [32]byte
	shape    uint32 // as grantRec's
	kind     TokenKind
	hasGrant bool
	side     bool
	retired  bool
	revoked  bool
}

// tokenSide is what a token record cannot hold itself.
type tokenSide struct {
	shape   *shape
	grantID string
}

// rawURL decodes the provider's ids (randomToken) strictly, so that an id
// that decodes re-encodes to itself.
var rawURL = base64.RawURLEncoding.Strict()

// grantRef is a grant id as a token record keeps it: the 32 bytes of an id
// of randomToken's form (43 characters of unpadded base64url); ok is false
// for any other id, which then goes to the token's side.
func grantRef(id string) (ref [32]byte, ok bool) {
	if len(id) != 43 {
		return ref, false
	}
	n, err := rawURL.Decode(ref[:], []byte(id))
	return ref, err == nil && n == len(ref)
}

// codeRec is a stored Code.
type codeRec struct {
	grantID, clientID, redirectURI string
	challenge, method              string
	exp                            instant
	redirectSent, used             bool
}

// table holds one kind of record of a generation: the records in the
// order they came, and an index from key to position. Its map slots are 20
// bytes, where a map of the records themselves had 80-byte slots: under
// load, saving a record is a probe of a large map at a random place, and
// the smaller the map, the likelier that place is in a cache.
type table[V any] struct {
	idx  map[digest]uint32
	recs []V
}

func newTable[V any](n int) table[V] {
	return table[V]{idx: make(map[digest]uint32, n), recs: make([]V, 0, n)}
}

func (t *table[V]) len() int { return len(t.idx) }

// get returns the record of k, to read or change in place (under the
// store's lock).
func (t *table[V]) get(k digest) (*V, bool) {
	i, ok := t.idx[k]
	if !ok {
		return nil, false
	}
	return &t.recs[i], true
}

func (t *table[V]) has(k digest) bool {
	_, ok := t.idx[k]
	return ok
}

// set stores v under k, over an earlier record of k; fresh says there is
// none (see saveFreshToken), so the index takes one probe, not two.
func (t *table[V]) set(k digest, v V, fresh bool) {
	if !fresh {
		if r, ok := t.get(k); ok {
			*r = v
			return
		}
	}
	t.idx[k] = uint32(len(t.recs))
	t.recs = append(t.recs, v)
}

// del drops the record of k; its place stays empty until compact.
func (t *table[V]) del(k digest) {
	if i, ok := t.idx[k]; ok {
		delete(t.idx, k)
		var zero V
		t.recs[i] = zero // codes let go of their strings
	}
}

// slots is how many records the table has room for or holds, empty places
// included.
func (t *table[V]) slots() int { return cap(t.recs) }

// compact copies the table to one made for what it holds now.
func (t *table[V]) compact() {
	out := newTable[V](len(t.idx))
	for k, i := range t.idx {
		out.idx[k] = uint32(len(out.recs))
		out.recs = append(out.recs, t.recs[i])
	}
	*t = out
}

// generation is one age class of records (see MemoryStore).
type generation struct {
	grants table[grantRec]
	codes  table[codeRec]
	tokens table[tokenRec]
	// shapes are the interned shapes of the generation's records, found by
	// shapeIDs; grantSides and tokenSides what their records cannot hold.
	shapes     []*shape
	shapeIDs   map[shapeKey]uint32
	lastShape  uint32 // the one interned last, compared before hashing
	grantSides map[digest]grantSide
	tokenSides map[digest]tokenSide
	// size is what its tables were made for or grew to, in records: Sweep
	// rebuilds tables left mostly empty, since a Go map never shrinks.
	size int
}

// newGeneration returns an empty generation whose tables are made for n
// grants, codes and tokens.
func newGeneration(grants, codes, tokens int) generation {
	return generation{
		grants: newTable[grantRec](grants), codes: newTable[codeRec](codes), tokens: newTable[tokenRec](tokens),
		shapeIDs: map[shapeKey]uint32{}, grantSides: map[digest]grantSide{}, tokenSides: map[digest]tokenSide{},
		size: grants + codes + tokens,
	}
}

func (g *generation) len() int { return g.grants.len() + g.codes.len() + g.tokens.len() }

// intern returns a record's shape reference in g: 1 + its index in the
// intern table, shared by the records of the same client, subject and
// scope without claims; or 0 and the shape for the record's side (with
// claims, or the table full). Its strings are copies, so that the store
// never keeps a substring of a caller's (a request body's) memory.
func (g *generation) intern(clientID, subject, scope string, claims map[string]any) (uint32, *shape) {
	if claims != nil {
		return 0, &shape{strings.Clone(clientID), strings.Clone(subject), strings.Clone(scope), claims}
	}
	// Under load one client asks again and again: three short compares
	// instead of hashing three strings.
	if id := g.lastShape; id != 0 {
		if sh := g.shapes[id-1]; sh.clientID == clientID && sh.subject == subject && sh.scope == scope {
			return id, nil
		}
	}
	if id, ok := g.shapeIDs[shapeKey{clientID, subject, scope}]; ok {
		g.lastShape = id
		return id, nil
	}
	sh := &shape{clientID: strings.Clone(clientID), subject: strings.Clone(subject), scope: strings.Clone(scope)}
	if len(g.shapes) >= maxShapes {
		return 0, sh
	}
	g.shapes = append(g.shapes, sh)
	id := uint32(len(g.shapes))
	g.shapeIDs[shapeKey{sh.clientID, sh.subject, sh.scope}] = id
	g.lastShape = id
	return id, nil
}

// shapeOf resolves a record's shape reference in g (side: the side's).
func (g *generation) shapeOf(id uint32, side *shape) *shape {
	if id == 0 {
		return side
	}
	return g.shapes[id-1]
}

// find looks k up in the young generation's table, then the old one's, and
// returns the record (to read or change in place, under the lock) and the
// generation it was found in.
func find[V any](s *MemoryStore, k digest, sel func(*generation) *table[V]) (*V, *generation, bool) {
	if r, ok := sel(&s.young).get(k); ok {
		return r, &s.young, true
	}
	r, ok := sel(&s.old).get(k)
	return r, &s.old, ok
}

// place readies the young generation for the record k of the table sel
// picks (a record saved is young): k leaves the old generation, record and
// side, and a new record first makes room. fresh says k is a new key (see
// saveFreshToken), in neither generation: no need to look.
func place[V, S any](s *MemoryStore, k digest, fresh bool, sel func(*generation) (*table[V], map[digest]S)) error {
	young, _ := sel(&s.young)
	old, sides := sel(&s.old)
	if !s.youngHasRoom() {
		// The slow path: a new record may rotate the generations. While the
		// young one has room, wherever k is it ends up young, and a new
		// key (the common case) costs a probe less.
		if fresh || !young.has(k) && !old.has(k) {
			if err := s.makeRoom(); err != nil {
				return err
			}
			old, sides = sel(&s.old) // perhaps rotated
		}
	}
	if !fresh && old.len() > 0 {
		old.del(k)
		if len(sides) > 0 {
			delete(sides, k)
		}
	}
	return nil
}

func grantsOf(g *generation) *table[grantRec] { return &g.grants }
func codesOf(g *generation) *table[codeRec]   { return &g.codes }
func tokensOf(g *generation) *table[tokenRec] { return &g.tokens }

func grantTables(g *generation) (*table[grantRec], map[digest]grantSide) {
	return &g.grants, g.grantSides
}

func tokenTables(g *generation) (*table[tokenRec], map[digest]tokenSide) {
	return &g.tokens, g.tokenSides
}

// codeTables: codes keep their strings in the record (they are few, and
// live a minute); the empty side map never holds anything.
func codeTables(g *generation) (*table[codeRec], map[digest]struct{}) { return &g.codes, nil }

// youngHasRoom reports whether the young generation takes a new record
// without makeRoom doing anything.
func (s *MemoryStore) youngHasRoom() bool {
	if s.max == 0 {
		return true
	}
	room := s.max - len(s.jtis)
	return room > 0 && s.young.len() < max(room/2, 1)
}

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
// averaging two thirds of it, and never grow while they fill (growing
// rehashes: a tenth of an opaque token's cost under load). Sweep rebuilds
// them small should they stay mostly empty.
func (s *MemoryStore) rotate() {
	s.evicted += uint64(s.old.len())
	s.old = s.young
	s.young = newGeneration(s.old.grants.len(), s.old.codes.len(), s.old.tokens.len())
}

// setSide stores side under k in sides when the record has one (has), and
// drops a stale one of an earlier record of k otherwise.
func setSide[S any](sides map[digest]S, k digest, side S, has bool) {
	if has {
		sides[k] = side
	} else if len(sides) > 0 {
		delete(sides, k)
	}
}

// sided is a record that may keep part of itself in its generation's side
// map: grantRec, tokenRec.
type sided interface {
	// refs returns the record's shape reference and whether it has a side.
	refs() (shape uint32, side bool)
}

// sideRec is the side of a sided record: grantSide, tokenSide.
type sideRec interface {
	shapeRef() *shape
}

func (r grantRec) refs() (uint32, bool) { return r.shape, r.side }
func (r tokenRec) refs() (uint32, bool) { return r.shape, r.side }
func (s grantSide) shapeRef() *shape    { return s.shape }
func (s tokenSide) shapeRef() *shape    { return s.shape }

// lookup finds record k in the tables of the generation holding it and
// returns copies of the record and its side (zero when it has none), with
// its shape resolved, all read under the lock.
func lookup[V sided, S sideRec](s *MemoryStore, k digest, tables func(*generation) (*table[V], map[digest]S)) (rec V, side S, sh *shape, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, gen, ok := find(s, k, func(g *generation) *table[V] { t, _ := tables(g); return t })
	if !ok {
		return rec, side, nil, false
	}
	rec = *r // a copy: the table may change once the lock is gone
	id, hasSide := rec.refs()
	if hasSide {
		_, sides := tables(gen)
		side = sides[k]
	}
	return rec, side, gen.shapeOf(id, side.shapeRef()), true
}

// change applies f to record k in place, under the lock; ErrNotFound when
// there is none.
func change[V any](s *MemoryStore, k digest, sel func(*generation) *table[V], f func(*V)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, _, ok := find(s, k, sel)
	if !ok {
		return ErrNotFound
	}
	f(rec)
	return nil
}

// SaveGrant stores a copy of g.
func (s *MemoryStore) SaveGrant(_ context.Context, g *Grant) error { return s.saveGrant(g, false) }

// saveFreshGrant is SaveGrant of a grant whose ID was just drawn from
// crypto/rand (randomToken): 256 random bits, which no record's key can
// already be, so the store does not look for one (in a full store, a
// probe of a large map, that is a cache miss: an eighth of an opaque
// token's cost).
func (s *MemoryStore) saveFreshGrant(g *Grant) error { return s.saveGrant(g, true) }

func (s *MemoryStore) saveGrant(g *Grant, fresh bool) error {
	k := keyDigest(g.ID)
	rec := grantRec{exp: toInstant(g.ExpiresAt), revoked: g.Revoked}
	var side grantSide
	if !g.AuthTime.IsZero() || g.Nonce != "" {
		side.auth = &grantAuth{authTime: toInstant(g.AuthTime), nonce: strings.Clone(g.Nonce)}
	}
	claims := maps.Clone(g.Claims)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := place(s, k, fresh, grantTables); err != nil {
		return err
	}
	y := &s.young
	rec.shape, side.shape = y.intern(g.ClientID, g.Subject, g.Scope, claims)
	rec.side = side.shape != nil || side.auth != nil
	y.grants.set(k, rec, fresh)
	setSide(y.grantSides, k, side, rec.side)
	y.size = max(y.size, y.len())
	return nil
}

// Grant returns a copy of the grant.
func (s *MemoryStore) Grant(_ context.Context, id string) (*Grant, error) {
	rec, side, sh, ok := lookup(s, keyDigest(id), grantTables)
	if !ok {
		return nil, ErrNotFound
	}
	g := &Grant{
		ID: id, ClientID: sh.clientID, Subject: sh.subject, Scope: sh.scope,
		Claims: maps.Clone(sh.claims), Revoked: rec.revoked, ExpiresAt: rec.exp.time(),
	}
	if side.auth != nil {
		g.AuthTime, g.Nonce = side.auth.authTime.time(), side.auth.nonce
	}
	return g, nil
}

// RevokeGrant marks the grant revoked.
func (s *MemoryStore) RevokeGrant(_ context.Context, id string) error {
	return change(s, keyDigest(id), grantsOf, func(r *grantRec) { r.revoked = true })
}

// ExtendGrant moves the grant's expiry to at least t.
func (s *MemoryStore) ExtendGrant(_ context.Context, id string, t time.Time) error {
	k, exp := keyDigest(id), toInstant(t)
	return change(s, k, grantsOf, func(r *grantRec) { r.exp = max(r.exp, exp) })
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
	if err := place(s, k, false, codeTables); err != nil {
		return err
	}
	s.young.codes.set(k, rec, false)
	s.young.size = max(s.young.size, s.young.len())
	return nil
}

// RedeemCode marks the code used, atomically.
func (s *MemoryStore) RedeemCode(_ context.Context, code string) (*Code, bool, error) {
	k := keyDigest(code)
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, _, ok := find(s, k, codesOf)
	if !ok {
		return nil, false, ErrNotFound
	}
	first := !rec.used
	rec.used = true
	return &Code{
		GrantID: rec.grantID, ClientID: rec.clientID, RedirectURI: rec.redirectURI, RedirectURISent: rec.redirectSent,
		CodeChallenge: rec.challenge, CodeChallengeMethod: rec.method, ExpiresAt: rec.exp.time(), Used: true,
	}, first, nil
}

// SaveToken stores a copy of t (its Claims shared: read-only).
func (s *MemoryStore) SaveToken(_ context.Context, token string, t *Token) error {
	return s.saveToken(token, t, false)
}

// saveFreshToken is SaveToken of a token drawn from crypto/rand, as
// saveFreshGrant.
func (s *MemoryStore) saveFreshToken(token string, t *Token) error {
	return s.saveToken(token, t, true)
}

func (s *MemoryStore) saveToken(token string, t *Token, fresh bool) error {
	k := keyDigest(token)
	rec := tokenRec{
		iat: toInstant(t.IssuedAt), exp: toInstant(t.ExpiresAt),
		kind: t.Kind, retired: t.Retired, revoked: t.Revoked,
	}
	var side tokenSide
	if t.GrantID != "" {
		if rec.grant, rec.hasGrant = grantRef(t.GrantID); !rec.hasGrant {
			side.grantID = strings.Clone(t.GrantID)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := place(s, k, fresh, tokenTables); err != nil {
		return err
	}
	y := &s.young
	rec.shape, side.shape = y.intern(t.ClientID, t.Subject, t.Scope, t.Claims)
	rec.side = side.shape != nil || side.grantID != ""
	y.tokens.set(k, rec, fresh)
	setSide(y.tokenSides, k, side, rec.side)
	y.size = max(y.size, y.len())
	return nil
}

// Token returns a copy of the token record.
func (s *MemoryStore) Token(_ context.Context, token string) (*Token, error) {
	rec, side, sh, ok := lookup(s, keyDigest(token), tokenTables)
	if !ok {
		return nil, ErrNotFound
	}
	t := &Token{
		Kind: rec.kind, GrantID: side.grantID, ClientID: sh.clientID, Subject: sh.subject,
		Scope: sh.scope, Claims: sh.claims, IssuedAt: rec.iat.time(), ExpiresAt: rec.exp.time(),
		Retired: rec.retired, Revoked: rec.revoked,
	}
	if rec.hasGrant {
		t.GrantID = base64.RawURLEncoding.EncodeToString(rec.grant[:])
	}
	return t, nil
}

// RetireToken marks a token rotated out, atomically.
func (s *MemoryStore) RetireToken(_ context.Context, token string) (bool, error) {
	first := false
	err := change(s, keyDigest(token), tokensOf, func(r *tokenRec) { first, r.retired = !r.retired, true })
	return first, err
}

// RevokeToken marks one token revoked.
func (s *MemoryStore) RevokeToken(_ context.Context, token string) error {
	return change(s, keyDigest(token), tokensOf, func(r *tokenRec) { r.revoked = true })
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
		for k, i := range g.codes.idx {
			if t > g.codes.recs[i].exp {
				g.codes.del(k)
				n++
			}
		}
		for k, i := range g.tokens.idx {
			if r := g.tokens.recs[i]; t > r.exp {
				g.tokens.del(k)
				if r.side {
					delete(g.tokenSides, k)
				}
				n++
			}
		}
		for k, i := range g.grants.idx {
			if r := g.grants.recs[i]; t > r.exp {
				g.grants.del(k)
				if r.side {
					delete(g.grantSides, k)
				}
				n++
			}
		}
		// A table also keeps the places of records dropped or moved young
		// until it is compacted.
		slots := g.grants.slots() + g.codes.slots() + g.tokens.slots()
		if max(g.size, slots) >= shrinkFloor && g.len() < max(g.size, slots)/4 {
			g.grants.compact()
			g.codes.compact()
			g.tokens.compact()
			g.grantSides, g.tokenSides = rebuild(g.grantSides), rebuild(g.tokenSides)
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
	return s.young.codes.len() + s.old.codes.len(), s.young.tokens.len() + s.old.tokens.len(), s.young.grants.len() + s.old.grants.len()
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
