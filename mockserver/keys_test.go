package mockserver

import (
	"bytes"
	"crypto/ecdsa"
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
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/oauthconform/oauthconform/fixtures"
	"github.com/oauthconform/oauthconform/profile"
)

func fixtureFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := fixtures.FS.ReadFile("keys/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// jsonBytes is mustJSON as bytes.
func jsonBytes(t *testing.T, v any) []byte { return []byte(mustJSON(t, v)) }

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func TestParseSigningKey(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sec1, err := x509.MarshalECPrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p384DER, _ := x509.MarshalPKCS8PrivateKey(p384)
	fixtureRSA, err := parseGivenKey(bytes.TrimSpace(fixtureFile(t, "rsa-1.pem")))
	if err != nil {
		t.Fatal(err)
	}
	pkcs1 := x509.MarshalPKCS1PrivateKey(fixtureRSA.priv.(*rsa.PrivateKey))
	secret := bytes.Repeat([]byte{7}, 32)
	oct := base64.RawURLEncoding.EncodeToString(secret)
	pubDER, _ := x509.MarshalPKIXPublicKey(ec.Public())
	ecPEM := fixtureFile(t, "ec-1.pem")

	for _, tc := range []struct {
		name     string
		in       []byte
		alg, kid string // kid "" is not checked
		err      string
	}{
		{name: "fixture EC (PKCS #8)", in: ecPEM, alg: "ES256", kid: fixtureKid(t, "ES256", 0)},
		{name: "fixture RSA", in: fixtureFile(t, "rsa-1.pem"), alg: "RS256", kid: fixtureKid(t, "RS256", 0)},
		{name: "fixture Ed25519", in: fixtureFile(t, "ed25519-2.pem"), alg: "EdDSA", kid: fixtureKid(t, "EdDSA", 1)},
		{name: "fixture HMAC (hex)", in: fixtureFile(t, "hmac-1.key"), alg: "HS256", kid: fixtureKid(t, "HS256", 0)},
		{name: "SEC 1 after EC PARAMETERS", in: slices.Concat(pemBlock("EC PARAMETERS", []byte{6, 8, 42}), pemBlock("EC PRIVATE KEY", sec1)), alg: "ES256"},
		{name: "PKCS #1 RSA after a certificate", in: slices.Concat(pemBlock("CERTIFICATE", []byte{1}), pemBlock("RSA PRIVATE KEY", pkcs1)), alg: "RS256", kid: fixtureKid(t, "RS256", 0)},
		{name: "text before the PEM", in: slices.Concat([]byte("Bag Attributes\n"), ecPEM), alg: "ES256"},
		{name: "JWK EC with kid", in: jsonBytes(t, jose.JSONWebKey{Key: ec, KeyID: "mine-1", Algorithm: "ES256", Use: "sig"}), alg: "ES256", kid: "mine-1"},
		{name: "JWK oct", in: []byte(`{"kty":"oct","k":"` + oct + `"}`), alg: "HS256", kid: hmacKey(secret).kid},
		{name: "JWK oct with alg and kid", in: []byte(`{"kty":"oct","alg":"HS256","kid":"k.1","k":"` + oct + `"}`), alg: "HS256", kid: "k.1"},
		{name: "hex secret with white space", in: []byte("\n  " + hex.EncodeToString(secret) + "\n"), alg: "HS256", kid: hmacKey(secret).kid},

		{name: "empty", in: []byte(" \n"), err: "empty"},
		{name: "neither", in: []byte("not a key"), err: "neither PEM"},
		{name: "short hex", in: []byte(hex.EncodeToString(secret[:16])), err: "HS256 secret of 16 bytes"},
		{name: "P-384", in: pemBlock("PRIVATE KEY", p384DER), err: "P-384"},
		{name: "encrypted", in: pemBlock("ENCRYPTED PRIVATE KEY", []byte{1}), err: "encrypted"},
		{name: "public key only", in: pemBlock("PUBLIC KEY", pubDER), err: `only a PEM "PUBLIC KEY" block`},
		{name: "two keys", in: slices.Concat(ecPEM, ecPEM), err: "more than one"},
		{name: "bad PKCS #8", in: pemBlock("PRIVATE KEY", []byte{1, 2}), err: "PEM PRIVATE KEY"},
		{name: "JWK public", in: jsonBytes(t, jose.JSONWebKey{Key: ec.Public()}), err: "not a private key"},
		{name: "JWK alg mismatch", in: jsonBytes(t, jose.JSONWebKey{Key: ec, Algorithm: "RS256"}), err: `alg "RS256"`},
		{name: "JWK for encryption", in: jsonBytes(t, jose.JSONWebKey{Key: ec, Use: "enc"}), err: `use "enc"`},
		{name: "JWK kid with a quote", in: jsonBytes(t, jose.JSONWebKey{Key: ec, KeyID: `a"b`}), err: "kid"},
		{name: "JWK short oct", in: []byte(`{"kty":"oct","k":"AAAA"}`), err: "oct key of 3 bytes"},
		{name: "JWK malformed", in: []byte(`{"kty":`), err: "JWK"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, err := ParseSigningKey(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.HasPrefix(err.Error(), "signing key: ") {
					t.Fatalf("err %v, want one with %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if src.String() != "given" || src.Alg() != tc.alg || tc.kid != "" && src.key.kid != tc.kid {
				t.Fatalf("%s %s kid %s, want %s kid %q", src, src.Alg(), src.key.kid, tc.alg, tc.kid)
			}
		})
	}
}

func fixtureKid(t *testing.T, alg string, i int) string {
	t.Helper()
	keys, err := loadKeys(alg)
	if err != nil {
		t.Fatal(err)
	}
	return keys[i].kid
}

// forgeWith signs an RFC 9068 access token for p with k, as someone holding
// k but not p's keys would.
func forgeWith(t *testing.T, p *Provider, k *signingKey) string {
	t.Helper()
	now := p.clock.Now().Unix()
	claims := jsonBytes(t, map[string]any{"iss": p.Issuer(), "aud": p.Issuer(), "sub": "mallory", "client_id": "conf-client",
		"scope": "read", "iat": now, "exp": now + 600, "jti": "forged"})
	in := append(p.accessTokenHeader(k), base64.RawURLEncoding.EncodeToString(claims)...)
	out, err := k.sign(append(in, '.'), in)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// The fixture keys are public: whoever holds them mints tokens a provider
// signing with them accepts. Generated keys are the provider's alone, new
// for each, and rotate and reset like the fixtures.
func TestGeneratedKeys(t *testing.T) {
	for _, alg := range []string{"ES256", "RS256", "EdDSA", "HS256"} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			withAlg := WithSettings(func(s *Settings) { s.AccessToken.Alg = alg })
			fixture := loadOrFatal(t, alg)
			fx := &ep{name: "rfc6749", ts: NewTestServer(t, "rfc6749", withAlg), c1: conf, c2: conf2}
			gen := &ep{name: "rfc6749", ts: NewTestServer(t, "rfc6749", withAlg, WithKeys(GeneratedKeys())), c1: conf, c2: conf2}
			other := NewTestServer(t, "rfc6749", withAlg, WithKeys(GeneratedKeys()))

			if info := gen.ts.SigningKeys(); info.Source != "generated" || info.Alg != alg || info.KeyID != gen.ts.keys.keys[0].kid {
				t.Fatalf("generated: %+v", info)
			}
			if info := fx.ts.SigningKeys(); info.Source != "fixture" || info.KeyID != fixture[0].kid {
				t.Fatalf("fixture: %+v", info)
			}
			var kids []string
			for _, ts := range []*TestServer{gen.ts, other} {
				for _, k := range ts.keys.keys {
					kids = append(kids, k.kid)
				}
			}
			kids = append(kids, fixture[0].kid, fixture[1].kid)
			slices.Sort(kids)
			if len(slices.Compact(slices.Clone(kids))) != len(kids) {
				t.Fatalf("kids repeat: %v", kids)
			}

			for _, e := range []*ep{fx, gen} {
				forged := forgeWith(t, e.ts.Provider, fixture[0])
				want := e == fx
				if got := e.active(t, forged); got != want {
					t.Errorf("%s: a token forged with the fixture key: active %v", e.ts.SigningKeys().Source, got)
				}
				if st := e.resource(t, forged).status; (st == http.StatusOK) != want {
					t.Errorf("%s: a token forged with the fixture key: resource %d", e.ts.SigningKeys().Source, st)
				}
			}

			before := mustToken(t, gen.ts, tokenReq{body: ccBody, basic: conf}).str("access_token")
			if kid := gen.ts.RotateSigningKey(); kid != gen.ts.keys.keys[1].kid || gen.ts.SigningKeys().KeyID != kid {
				t.Fatalf("rotated to %s, keys %s, %s", kid, gen.ts.keys.keys[0].kid, gen.ts.keys.keys[1].kid)
			}
			after := mustToken(t, gen.ts, tokenReq{body: ccBody, basic: conf}).str("access_token")
			if !gen.active(t, before) || !gen.active(t, after) || gen.resource(t, after).status != http.StatusOK {
				t.Fatal("a token of a generated key is not accepted across rotation")
			}
			if alg != "HS256" {
				set := fetchJWKS(t, gen.ts)
				for _, tok := range []string{before, after} {
					if _, _, err := verifyWithJWKS(tok, alg, set); err != nil {
						t.Errorf("JWKS: %v", err)
					}
				}
			}
			if err := gen.ts.Reset(t.Context()); err != nil {
				t.Fatal(err)
			}
			if gen.ts.keys.current() != gen.ts.keys.keys[0] {
				t.Fatal("the first generated key does not sign after a reset")
			}
		})
	}
}

func loadOrFatal(t *testing.T, alg string) []*signingKey {
	t.Helper()
	keys, err := loadKeys(alg)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// A key of the caller's signs first, a generated one after a rotation; its
// algorithm must be the settings'.
func TestGivenKey(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	src, err := ParseSigningKey(jsonBytes(t, jose.JSONWebKey{Key: ec, KeyID: "ours"}))
	if err != nil {
		t.Fatal(err)
	}
	ts := NewTestServer(t, "rfc6749", WithKeys(src))
	if info := ts.SigningKeys(); info.Source != "given" || info.KeyID != "ours" || info.Alg != "ES256" {
		t.Fatalf("%+v", info)
	}
	tok := mustToken(t, ts, tokenReq{body: ccBody, basic: conf}).str("access_token")
	jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jws.Verify(&ec.PublicKey); err != nil || jws.Signatures[0].Header.KeyID != "ours" {
		t.Fatalf("not signed with the given key (kid %q): %v", jws.Signatures[0].Header.KeyID, err)
	}
	if kid := ts.RotateSigningKey(); kid == "ours" || kid == "" {
		t.Fatalf("rotated to %q", kid)
	}
	if set := fetchJWKS(t, ts); len(set.Keys) != 2 || len(set.Key("ours")) != 1 {
		t.Fatalf("JWKS %+v", set)
	}

	secret := bytes.Repeat([]byte{9}, 40)
	hs, err := ParseSigningKey([]byte(hex.EncodeToString(secret)))
	if err != nil {
		t.Fatal(err)
	}
	e := newEP(t, "oob-pkce", WithKeys(hs))
	at, _ := e.tokens(t)
	parts := strings.Split(at, ".")
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(parts[0] + "." + parts[1]))
	if len(parts) != 3 || parts[2] != base64.RawURLEncoding.EncodeToString(m.Sum(nil)) {
		t.Fatalf("oob-pkce token not signed with the given secret: %s", at)
	}

	for _, tc := range []struct {
		dialect, alg string
	}{{"oob-pkce", "HS256"}, {"merchant-customer", ""}} {
		set, d := MustLoadSettings(tc.dialect)
		p, err := New(Config{Dialect: d, Settings: set, Keys: src})
		if p != nil {
			p.Close()
		}
		ke, ok := errors.AsType[*SigningKeyError](err)
		if !ok || ke.KeyAlg != "ES256" || ke.Alg != tc.alg {
			t.Errorf("%s: %v", tc.dialect, err)
		}
	}
}

// Where the access tokens cannot sign ID tokens (HS256 here), the ID token
// key follows the source too: never a fixture unless the fixtures are asked
// for.
func TestIDTokenKeyFollowsSource(t *testing.T) {
	hs256 := WithSettings(func(s *Settings) { s.AccessToken.Alg = "HS256" })
	fixtureES := loadOrFatal(t, "ES256")
	for _, tc := range []struct {
		src     KeySource
		fixture bool
	}{{FixtureKeys(), true}, {GeneratedKeys(), false}} {
		ts := NewTestServer(t, "rfc6749", hs256, WithKeys(tc.src))
		info := ts.SigningKeys()
		isFixture := info.IDTokenKeyID == fixtureES[0].kid
		if info.IDTokenAlg != "ES256" || isFixture != tc.fixture {
			t.Errorf("%s: %+v", tc.src, info)
		}
		set := fetchJWKS(t, ts)
		if len(set.Key(info.IDTokenKeyID)) != 1 {
			t.Errorf("%s: ID token key %s not published: %+v", tc.src, info.IDTokenKeyID, set)
		}
	}
	if info := NewTestServer(t, "rfc6749").SigningKeys(); info.IDTokenKeyID != "" {
		t.Errorf("ES256 access tokens sign the ID tokens, yet %+v", info)
	}
	if info := NewTestServer(t, "merchant-customer").SigningKeys(); info != (SigningKeyInfo{Source: "fixture"}) {
		t.Errorf("opaque tokens: %+v", info)
	}
}

// BenchmarkNewGeneratedKeys is BenchmarkNew with keys generated at start
// (ES256: two access token keys).
func BenchmarkNewGeneratedKeys(b *testing.B) {
	set, d := MustLoadSettings("rfc6749")
	fx := profile.DefaultFixtures()
	b.ReportAllocs()
	for b.Loop() {
		p, err := New(Config{Dialect: d, Settings: set, Fixtures: fx, Keys: GeneratedKeys()})
		if err != nil {
			b.Fatal(err)
		}
		p.Close()
	}
}
