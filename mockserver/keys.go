package mockserver

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/go-jose/go-jose/v4"
	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"

	"github.com/oauthconform/oauthconform/fixtures"
)

// signingKey is one JWS key with its precomputed protected header.
type signingKey struct {
	alg  string
	kid  string
	priv crypto.Signer // nil for HS256
	hmac []byte
}

// keyring holds the two keys of one algorithm that sign access tokens; the
// first is active. Rotation moves to the other and keeps both for
// verification. Both exist from the start, so the key set publishes the
// next key before it signs.
type keyring struct {
	mu sync.RWMutex
	// keys never change after newKeyring; active is the index of the one
	// that signs, atomic so that signing takes no lock (rotate and reset
	// still change it under mu).
	keys   []*signingKey
	active atomic.Int32
	// published are further public keys in the key set that never sign
	// access tokens (the ID token keys beside HS256 access tokens).
	published []*signingKey
}

// keyKind is where a KeySource's keys come from.
type keyKind uint8

const (
	keysFixture keyKind = iota
	keysGenerated
	keysGiven
)

// KeySource is where a provider's signing keys (Config.Keys) come from:
//   - FixtureKeys, the zero value: the committed fixtures/keys/*. They are
//     public and the same in every process, so tokens are reproducible and
//     a test may verify them with the fixture files; but anyone can sign
//     tokens that such a provider, and whoever trusts its keys, accepts.
//   - GeneratedKeys: keys from crypto/rand for each provider, of the
//     algorithm the settings name (access_token.alg). Nobody else holds
//     them, and they die with the provider.
//   - ParseSigningKey: a key of the caller's, which signs first; rotation
//     switches to a key generated for the provider.
//
// Where the ID tokens cannot be signed with the access tokens' key (HS256
// or opaque access tokens), their ES256 key is a fixture with FixtureKeys
// and generated otherwise.
type KeySource struct {
	kind keyKind
	key  *signingKey // keysGiven only
}

// FixtureKeys is the committed fixture keys (the default).
func FixtureKeys() KeySource { return KeySource{} }

// GeneratedKeys is keys generated for each provider at New. ES256, EdDSA
// and HS256 keys take microseconds; an RS256 pair about 0.1 s of CPU (two
// 2048-bit keys, made in parallel).
func GeneratedKeys() KeySource { return KeySource{kind: keysGenerated} }

// ParseSigningKey reads one private key, the first to sign access tokens:
//   - PEM: PKCS #8 ("PRIVATE KEY"), SEC 1 ("EC PRIVATE KEY") or PKCS #1
//     ("RSA PRIVATE KEY"), unencrypted: RSA of 2048 bits or more (RS256),
//     EC P-256 (ES256) or Ed25519 (EdDSA);
//   - a JWK (RFC 7517) with its private part: kty RSA, EC (P-256), OKP
//     (Ed25519) or oct (HS256); its alg, if any, must agree, its kid, if
//     any, is kept;
//   - else an HS256 secret of at least 32 bytes, hex-encoded (as
//     fixtures/keys/hmac-*.key, or `openssl rand -hex 32`), surrounding
//     white space ignored.
//
// Without a kid of its own a key gets the mock's: the RFC 7638 thumbprint,
// or for HS256 "hs256-" and 8 hex digits of the secret's SHA-256.
func ParseSigningKey(data []byte) (KeySource, error) {
	k, err := parseGivenKey(bytes.TrimSpace(data))
	if err != nil {
		return KeySource{}, fmt.Errorf("signing key: %w", err)
	}
	return KeySource{kind: keysGiven, key: k}, nil
}

// String says where the keys come from: "fixture", "generated" or
// "given".
func (s KeySource) String() string {
	switch s.kind {
	case keysGenerated:
		return "generated"
	case keysGiven:
		return "given"
	default:
		return "fixture"
	}
}

// Alg is the JWS algorithm of a key of ParseSigningKey ("" otherwise).
func (s KeySource) Alg() string {
	if s.key == nil {
		return ""
	}
	return s.key.alg
}

// WithKeys sets where the signing keys come from (Config.Keys), e.g.
// WithKeys(GeneratedKeys()).
func WithKeys(src KeySource) ServerOption { return func(c *Config) { c.Keys = src } }

// SigningKeyError is New's refusal of a key of the caller's (Config.Keys)
// that the settings do not sign with.
type SigningKeyError struct {
	// KeyAlg is the key's algorithm; Alg the access tokens' (settings
	// access_token.alg), "" when they are opaque.
	KeyAlg, Alg string
}

func (e *SigningKeyError) Error() string {
	if e.Alg == "" {
		return fmt.Sprintf("mockserver: signing key: an %s key, but the access tokens are opaque: no key signs them", e.KeyAlg)
	}
	return fmt.Sprintf("mockserver: signing key: an %s key, but the access tokens are signed %s (access_token.alg)", e.KeyAlg, e.Alg)
}

// SigningKeyInfo describes the keys a provider signs with, without any
// secret material.
type SigningKeyInfo struct {
	// Source is the KeySource's String: "fixture", "generated" or "given".
	Source string
	// Alg is the access tokens' algorithm and KeyID the active key's kid;
	// both empty for opaque access tokens.
	Alg, KeyID string
	// IDTokenAlg and IDTokenKeyID name the key that signs ID tokens when
	// it is not the access tokens' (HS256 or opaque access tokens, OpenID
	// Connect on); empty otherwise.
	IDTokenAlg, IDTokenKeyID string
}

// SigningKeys describes the keys the provider signs with.
func (p *Provider) SigningKeys() SigningKeyInfo {
	info := SigningKeyInfo{Source: p.keySource.String()}
	if p.keys != nil {
		k := p.keys.current()
		info.Alg, info.KeyID = k.alg, k.kid
	}
	if len(p.idKeys) > 0 {
		info.IDTokenAlg, info.IDTokenKeyID = p.idKeys[0].alg, p.idKeys[0].kid
	}
	return info
}

var keyFiles = map[string][]string{
	"RS256": {"rsa-1.pem", "rsa-2.pem"},
	"ES256": {"ec-1.pem", "ec-2.pem"},
	"EdDSA": {"ed25519-1.pem", "ed25519-2.pem"},
	"HS256": {"hmac-1.key", "hmac-2.key"},
}

// fixtureKeys caches parsed fixture keys: parsing RSA keys is not free, and
// every provider (many per test binary) uses the same ones.
var fixtureKeys sync.Map // alg -> []*signingKey

func loadKeys(alg string) ([]*signingKey, error) {
	if v, ok := fixtureKeys.Load(alg); ok {
		return v.([]*signingKey), nil
	}
	files, ok := keyFiles[alg]
	if !ok {
		return nil, fmt.Errorf("no fixture keys for alg %q", alg)
	}
	var keys []*signingKey
	for _, f := range files {
		b, err := fixtures.FS.ReadFile("keys/" + f)
		if err != nil {
			return nil, fmt.Errorf("fixture key %s: %w", f, err)
		}
		k, err := parseGivenKey(bytes.TrimSpace(b))
		if err == nil && k.alg != alg {
			err = fmt.Errorf("an %s key, not %s", k.alg, alg)
		}
		if err != nil {
			return nil, fmt.Errorf("fixture key %s: %w", f, err)
		}
		keys = append(keys, k)
	}
	v, _ := fixtureKeys.LoadOrStore(alg, keys)
	return v.([]*signingKey), nil
}

// sourceKeys returns the two keys of alg that src gives, the first to sign.
func sourceKeys(alg string, src KeySource) ([]*signingKey, error) {
	switch src.kind {
	case keysGenerated:
		return generateKeys(alg, 2)
	case keysGiven:
		if src.key.alg != alg {
			return nil, &SigningKeyError{KeyAlg: src.key.alg, Alg: alg}
		}
		next, err := generateKeys(alg, 1)
		if err != nil {
			return nil, err
		}
		return []*signingKey{src.key, next[0]}, nil
	default:
		return loadKeys(alg)
	}
}

// idTokenFallbackKeys returns the keys that sign ID tokens where the access
// token key cannot (HS256 or opaque access tokens): ES256, the first one
// signing. src decides, as for the access tokens, between the fixtures and
// a key generated for the provider (also for a key of the caller's, which
// signs the access tokens only).
func idTokenFallbackKeys(src KeySource) ([]*signingKey, error) {
	if src.kind == keysFixture {
		return loadKeys("ES256")
	}
	return generateKeys("ES256", 1)
}

// generateKeys makes n fresh keys of alg, in parallel: RSA generation
// takes tens of milliseconds each.
func generateKeys(alg string, n int) ([]*signingKey, error) {
	keys := make([]*signingKey, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() { keys[i], errs[i] = generateKey(alg) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("generate %s key: %w", alg, err)
	}
	return keys, nil
}

func generateKey(alg string) (*signingKey, error) {
	var (
		signer crypto.Signer
		err    error
	)
	switch alg {
	case "HS256":
		secret := make([]byte, 32) // the SHA-256 size: RFC 7518 §3.2's minimum
		_, _ = rand.Read(secret)   // never fails (crypto/rand)
		return hmacKey(secret), nil
	case "ES256":
		signer, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "EdDSA":
		_, signer, err = ed25519.GenerateKey(rand.Reader)
	case "RS256":
		signer, err = rsa.GenerateKey(rand.Reader, 2048)
	default:
		return nil, fmt.Errorf("unsupported alg %q", alg)
	}
	if err != nil {
		return nil, err
	}
	return asymmetricKey(signer, "")
}

// parseGivenKey reads a PEM private key, a private JWK or a hex-encoded
// HS256 secret (see ParseSigningKey); b is trimmed.
func parseGivenKey(b []byte) (*signingKey, error) {
	switch {
	case len(b) == 0:
		return nil, errors.New("empty")
	case bytes.Contains(b, []byte("-----BEGIN ")):
		return parsePEMKey(b)
	case b[0] == '{':
		return parseJWK(b)
	}
	raw, err := hex.DecodeString(string(b))
	if err != nil {
		return nil, errors.New("neither PEM, nor a JWK, nor a hex-encoded HS256 secret")
	}
	if len(raw) < sha256.Size {
		return nil, fmt.Errorf("an HS256 secret of %d bytes: at least %d are needed (RFC 7518 §3.2)", len(raw), sha256.Size)
	}
	return hmacKey(raw), nil
}

// parsePEMKey reads the one private key of a PEM file. Other blocks, such
// as a certificate or EC PARAMETERS (openssl ecparam -genkey writes one),
// may go with it.
func parsePEMKey(b []byte) (*signingKey, error) {
	var (
		key   any
		other string // the first block that is no private key, for the error
	)
	for rest := b; ; {
		var blk *pem.Block
		if blk, rest = pem.Decode(rest); blk == nil {
			break
		}
		var (
			k   any
			err error
		)
		switch blk.Type {
		case "PRIVATE KEY":
			k, err = x509.ParsePKCS8PrivateKey(blk.Bytes)
		case "EC PRIVATE KEY":
			k, err = x509.ParseECPrivateKey(blk.Bytes)
		case "RSA PRIVATE KEY":
			k, err = x509.ParsePKCS1PrivateKey(blk.Bytes)
		case "ENCRYPTED PRIVATE KEY":
			return nil, errors.New("an encrypted private key: decrypt it first (openssl pkey -in KEY -out PLAIN)")
		default:
			if other == "" {
				other = blk.Type
			}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("PEM %s: %w", blk.Type, err)
		}
		if key != nil {
			return nil, errors.New("more than one private key in the PEM file")
		}
		key = k
	}
	switch {
	case key == nil && other != "":
		return nil, fmt.Errorf("no private key, only a PEM %q block (PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY is needed)", other)
	case key == nil:
		return nil, errors.New("no PEM block could be read")
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("unsupported key type %T", key)
	}
	return asymmetricKey(signer, "")
}

// parseJWK reads a private JWK (RFC 7517 §4).
func parseJWK(b []byte) (*signingKey, error) {
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(b); err != nil {
		return nil, fmt.Errorf("JWK: %w", err)
	}
	if jwk.Use != "" && jwk.Use != "sig" {
		return nil, fmt.Errorf("JWK: use %q, not sig", jwk.Use)
	}
	if !validKid(jwk.KeyID) {
		return nil, fmt.Errorf("JWK: kid %q: only printable ASCII other than quote and backslash, up to 128 characters", jwk.KeyID)
	}
	var (
		k   *signingKey
		err error
	)
	switch key := jwk.Key.(type) {
	case []byte:
		if len(key) < sha256.Size {
			return nil, fmt.Errorf("JWK: an oct key of %d bytes: HS256 needs at least %d (RFC 7518 §3.2)", len(key), sha256.Size)
		}
		k = hmacKey(key)
		if jwk.KeyID != "" {
			k.kid = jwk.KeyID
		}
	case crypto.Signer:
		if k, err = asymmetricKey(key, jwk.KeyID); err != nil {
			return nil, fmt.Errorf("JWK: %w", err)
		}
	default:
		// Public keys (no "d") land here: they cannot sign.
		return nil, fmt.Errorf("JWK: a %T, not a private key", jwk.Key)
	}
	if jwk.Algorithm != "" && jwk.Algorithm != k.alg {
		return nil, fmt.Errorf("JWK: alg %q, but the key is an %s key", jwk.Algorithm, k.alg)
	}
	return k, nil
}

// validKid accepts a kid that the hand-written JWS headers can carry
// verbatim inside a JSON string.
func validKid(kid string) bool {
	return len(kid) <= 128 && !strings.ContainsFunc(kid, func(r rune) bool {
		return r < 0x20 || r > 0x7e || r == '"' || r == '\\'
	})
}

// hmacKey is an HS256 key; its kid names the secret without revealing it.
func hmacKey(secret []byte) *signingKey {
	sum := sha256.Sum256(secret)
	return &signingKey{alg: "HS256", kid: "hs256-" + hex.EncodeToString(sum[:4]), hmac: secret}
}

// asymmetricKey is the signing key of an RSA (RS256), EC P-256 (ES256) or
// Ed25519 (EdDSA) private key, with kid, else the RFC 7638 thumbprint,
// which makes a stable one.
func asymmetricKey(signer crypto.Signer, kid string) (*signingKey, error) {
	k := &signingKey{priv: signer, kid: kid}
	switch pk := signer.(type) {
	case *rsa.PrivateKey:
		// The parsers (x509, go-jose) have validated the key already.
		if n := pk.N.BitLen(); n < 2048 {
			return nil, fmt.Errorf("an RSA key of %d bits: RS256 needs 2048 or more (RFC 7518 §3.3)", n)
		}
		k.alg = "RS256"
	case *ecdsa.PrivateKey:
		if pk.Curve != elliptic.P256() {
			return nil, fmt.Errorf("an EC key on %s: the mock signs ES256, on P-256 only", pk.Curve.Params().Name)
		}
		k.alg = "ES256"
	case ed25519.PrivateKey:
		k.alg = "EdDSA"
	default:
		return nil, fmt.Errorf("unsupported key type %T", signer)
	}
	if k.kid == "" {
		tp, err := (&jose.JSONWebKey{Key: signer.Public()}).Thumbprint(crypto.SHA256)
		if err != nil {
			return nil, err
		}
		k.kid = base64.RawURLEncoding.EncodeToString(tp)
	}
	return k, nil
}

func newKeyring(alg string, src KeySource) (*keyring, error) {
	keys, err := sourceKeys(alg, src)
	if err != nil {
		return nil, err
	}
	return &keyring{keys: keys}, nil
}

func (r *keyring) current() *signingKey {
	return r.keys[r.active.Load()]
}

// rotate makes the next key active; the others stay published.
func (r *keyring) rotate() *signingKey {
	r.mu.Lock()
	defer r.mu.Unlock()
	next := (r.active.Load() + 1) % int32(len(r.keys))
	r.active.Store(next)
	return r.keys[next]
}

// reset makes the first key active again.
func (r *keyring) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.active.Store(0)
}

// publish adds public keys to the key set; they never sign access tokens
// nor verify them.
func (r *keyring) publish(keys []*signingKey) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.published = append(r.published, keys...)
}

// publicJWKS returns the public keys as a JWK set (none for HS256), then
// the published ones.
func (r *keyring) publicJWKS() jose.JSONWebKeySet {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var set jose.JSONWebKeySet
	for _, k := range slices.Concat(r.keys, r.published) {
		if k.priv == nil {
			continue
		}
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.priv.Public(), KeyID: k.kid, Algorithm: k.alg, Use: "sig"})
	}
	return set
}

// buildHeader returns the base64url protected header plus '.'; providers
// compute it once per key so signing only encodes the claims.
func (k *signingKey) buildHeader(typ string) []byte {
	js := `{"alg":"` + k.alg + `","kid":"` + k.kid + `"`
	if typ != "" {
		js += `,"typ":"` + typ + `"`
	}
	js += "}"
	return []byte(base64.RawURLEncoding.EncodeToString([]byte(js)) + ".")
}

// sign appends the signature segment of signingInput to dst.
func (k *signingKey) sign(dst, signingInput []byte) ([]byte, error) {
	var sig []byte
	switch k.alg {
	case "HS256":
		m := hmac.New(sha256.New, k.hmac)
		m.Write(signingInput)
		var buf [sha256.Size]byte
		sig = m.Sum(buf[:0])
	case "RS256":
		d := sha256.Sum256(signingInput)
		s, err := rsa.SignPKCS1v15(nil, k.priv.(*rsa.PrivateKey), crypto.SHA256, d[:])
		if err != nil {
			return nil, err
		}
		sig = s
	case "ES256":
		d := sha256.Sum256(signingInput)
		der, err := ecdsa.SignASN1(rand.Reader, k.priv.(*ecdsa.PrivateKey), d[:])
		if err != nil {
			return nil, err
		}
		var buf [64]byte
		if !derToJOSE(der, buf[:]) {
			return nil, errors.New("ecdsa: malformed signature")
		}
		sig = buf[:]
	case "EdDSA":
		sig = ed25519.Sign(k.priv.(ed25519.PrivateKey), signingInput)
	default:
		return nil, fmt.Errorf("unsupported alg %s", k.alg)
	}
	return base64.RawURLEncoding.AppendEncode(dst, sig), nil
}

// derToJOSE converts an ASN.1 ECDSA signature to the fixed-width r||s form of
// RFC 7518 §3.4, without big.Int allocations.
func derToJOSE(der, out []byte) bool {
	in := cryptobyte.String(der)
	var seq, r, s cryptobyte.String
	if !in.ReadASN1(&seq, asn1.SEQUENCE) || !in.Empty() ||
		!seq.ReadASN1(&r, asn1.INTEGER) || !seq.ReadASN1(&s, asn1.INTEGER) || !seq.Empty() {
		return false
	}
	half := len(out) / 2
	return putUnsigned(out[:half], r) && putUnsigned(out[half:], s)
}

// putUnsigned right-aligns a DER INTEGER's magnitude in dst.
func putUnsigned(dst []byte, v []byte) bool {
	for len(v) > 0 && v[0] == 0 {
		v = v[1:]
	}
	if len(v) > len(dst) {
		return false
	}
	clear(dst)
	copy(dst[len(dst)-len(v):], v)
	return true
}
