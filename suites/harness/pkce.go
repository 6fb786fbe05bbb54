package harness

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// RandomString returns n random bytes, base64url-encoded.
func RandomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// NewVerifier returns a fresh RFC 7636 code_verifier (43 characters).
func NewVerifier() string { return RandomString(32) }

// S256 returns the S256 code_challenge of a verifier.
func S256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
