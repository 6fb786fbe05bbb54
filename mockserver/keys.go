package mockserver

import (
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

// keyring holds the fixture keys of one algorithm; the first is active.
// Rotation moves to the next key and keeps the old ones for verification.
type keyring struct {
	mu     sync.RWMutex
	keys   []*signingKey
	active int
	// published are further public keys in the key set that never sign
	// access tokens (the ID token keys beside HS256 access tokens).
	published []*signingKey
}

var keyFiles = map[string][]string{
	"RS256": {"rsa-1.pem", "rsa-2.pem"},
	"ES256": {"ec-1.pem", "ec-2.pem"},
	"EdDSA": {"ed25519-1.pem", "ed25519-2.pem"},
	"HS256": {"hmac-1.key", "hmac-2.key"},
}

// fixtureKeys caches parsed fixture keys: parsing RSA keys is not free, and
// every provider (many per test binary) uses the same ones. No key is ever
// generated at start.
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
		k, err := parseKey(alg, b)
		if err != nil {
			return nil, fmt.Errorf("fixture key %s: %w", f, err)
		}
		keys = append(keys, k)
	}
	v, _ := fixtureKeys.LoadOrStore(alg, keys)
	return v.([]*signingKey), nil
}

func parseKey(alg string, b []byte) (*signingKey, error) {
	k := &signingKey{alg: alg}
	if alg == "HS256" {
		raw, err := hex.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(raw) < 32 {
			return nil, errors.New("HS256 key must be at least 32 hex-encoded bytes")
		}
		k.hmac = raw
		sum := sha256.Sum256(raw)
		k.kid = "hs256-" + hex.EncodeToString(sum[:4])
		return k, nil
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, errors.New("no PEM block")
	}
	parsed, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, err
	}
	signer, ok := parsed.(crypto.Signer)
	if !ok {
		return nil, errors.New("not a signing key")
	}
	switch pk := parsed.(type) {
	case *rsa.PrivateKey:
		if alg != "RS256" {
			return nil, fmt.Errorf("RSA key for %s", alg)
		}
	case *ecdsa.PrivateKey:
		if alg != "ES256" || pk.Curve != elliptic.P256() {
			return nil, fmt.Errorf("EC key is not P-256 for %s", alg)
		}
	case ed25519.PrivateKey:
		if alg != "EdDSA" {
			return nil, fmt.Errorf("Ed25519 key for %s", alg)
		}
	default:
		return nil, fmt.Errorf("unsupported key type %T", parsed)
	}
	k.priv = signer
	// The RFC 7638 thumbprint makes a stable kid.
	tp, err := (&jose.JSONWebKey{Key: signer.Public()}).Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, err
	}
	k.kid = base64.RawURLEncoding.EncodeToString(tp)
	return k, nil
}

func newKeyring(alg string) (*keyring, error) {
	keys, err := loadKeys(alg)
	if err != nil {
		return nil, err
	}
	return &keyring{keys: keys}, nil
}

func (r *keyring) current() *signingKey {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.keys[r.active]
}

// rotate makes the next key active; the others stay published.
func (r *keyring) rotate() *signingKey {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.active = (r.active + 1) % len(r.keys)
	return r.keys[r.active]
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
	n := base64.RawURLEncoding.EncodedLen(len(sig))
	dst = append(dst, make([]byte, n)...)
	base64.RawURLEncoding.Encode(dst[len(dst)-n:], sig)
	return dst, nil
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
