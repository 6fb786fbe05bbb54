package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/oauthconform/oauthconform/fixtures"
)

// keysLine is the banner's line on the signing keys.
var (
	keysLine = regexp.MustCompile(`(?m)^  keys +(.+)$`)
	// bannerKid is the access tokens' kid on it.
	bannerKid = regexp.MustCompile(`: \S+ kid (\S+?)(;|$)`)
)

func bannerKeys(t *testing.T, s *served) string {
	t.Helper()
	m := keysLine.FindStringSubmatch(s.stdout.String())
	if m == nil {
		t.Fatalf("no keys line in the banner:\n%s", s.stdout.String())
	}
	return m[1]
}

func fixtureBytes(t *testing.T, name string) []byte {
	t.Helper()
	b, err := fixtures.FS.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fixtureEC is the committed fixtures/keys/ec-1.pem with its kid (the
// RFC 7638 thumbprint, as the mock names it).
func fixtureEC(t *testing.T) (*ecdsa.PrivateKey, string) {
	t.Helper()
	blk, _ := pem.Decode(fixtureBytes(t, "keys/ec-1.pem"))
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	ec := k.(*ecdsa.PrivateKey)
	return ec, thumbprint(t, &ec.PublicKey)
}

func thumbprint(t *testing.T, pub crypto.PublicKey) string {
	t.Helper()
	tp, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(tp)
}

// fixtureHMAC is the committed fixtures/keys/hmac-1.key.
func fixtureHMAC(t *testing.T) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.TrimSpace(string(fixtureBytes(t, "keys/hmac-1.key"))))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// hmacKid is the kid the mock gives an HS256 secret.
func hmacKid(secret []byte) string {
	sum := sha256.Sum256(secret)
	return "hs256-" + hex.EncodeToString(sum[:4])
}

// forge signs an RFC 9068 access token for issuer with a key someone
// holds, as the mock would have issued it.
func forge(t *testing.T, issuer string, alg jose.SignatureAlgorithm, key any, kid string) string {
	t.Helper()
	// The kid as a header of its own: go-jose drops a symmetric JWK's.
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key},
		(&jose.SignerOptions{}).WithType("at+jwt").WithHeader("kid", kid))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Unix()
	claims, _ := json.Marshal(map[string]any{"iss": issuer, "aud": issuer, "sub": "mallory", "client_id": "conf-client",
		"scope": "read admin", "iat": now, "exp": now + 600, "jti": "forged-" + kid})
	jws, err := sig.Sign(claims)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// accepted reports whether the mock of rfc6749 settings takes tok, asking
// its resource and its introspection, which must agree.
func accepted(t *testing.T, s *served, tok string) bool {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.issuer+"/resource", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	res := resp.StatusCode == http.StatusOK
	if !res && resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("resource: %d", resp.StatusCode)
	}
	if intr := introspectActive(t, http.DefaultClient, s.issuer, tok); intr != res {
		t.Fatalf("resource accepts the token: %v, introspection: %v", res, intr)
	}
	return res
}

// A token signed with a committed fixture key passes a mock that signs with
// the fixtures (--fixture-keys), and no other: by default serve generates
// its keys.
func TestServeFixtureKeysOnlyOnRequest(t *testing.T) {
	ec, ecKid := fixtureEC(t)
	hsSettings := filepath.Join(t.TempDir(), "rfc6749-hs256.yaml")
	writeFile(t, hsSettings, strings.Replace(string(fixtureBytes(t, "mock/rfc6749.yaml")), "alg: ES256", "alg: HS256", 1))
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	secretFile := filepath.Join(t.TempDir(), "hs256.hex")
	writeFile(t, secretFile, hex.EncodeToString(secret)+"\n")

	for _, tc := range []struct {
		name string
		args []string
		// alg and key sign the forgeries.
		alg                jose.SignatureAlgorithm
		fixtureKey, ownKey any
		fixtureKid, ownKid string
		// fixtureOK: a fixture-key forgery passes; banner: the keys line
		// holds it.
		fixtureOK bool
		banner    string
	}{
		{name: "ES256 default", alg: jose.ES256, fixtureKey: ec, fixtureKid: ecKid, banner: "generated at start (kept in memory only): ES256 kid "},
		{name: "ES256 fixture", args: []string{"--fixture-keys"}, alg: jose.ES256, fixtureKey: ec, fixtureKid: ecKid, fixtureOK: true,
			banner: "the committed fixture keys (--fixture-keys: public, anyone can sign tokens this mock accepts): ES256 kid " + ecKid},
		{name: "HS256 default", args: []string{"--settings", hsSettings}, alg: jose.HS256, fixtureKey: fixtureHMAC(t), fixtureKid: hmacKid(fixtureHMAC(t)),
			banner: "generated at start (kept in memory only): HS256 kid hs256-"},
		{name: "HS256 fixture", args: []string{"--settings", hsSettings, "--fixture-keys"}, alg: jose.HS256, fixtureKey: fixtureHMAC(t), fixtureKid: hmacKid(fixtureHMAC(t)),
			fixtureOK: true, banner: "fixture keys (--fixture-keys: public, anyone can sign tokens this mock accepts): HS256 kid " + hmacKid(fixtureHMAC(t)) + "; ID tokens ES256 kid "},
		{name: "HS256 key file", args: []string{"--settings", hsSettings, "--signing-key", secretFile}, alg: jose.HS256, fixtureKey: fixtureHMAC(t), fixtureKid: hmacKid(fixtureHMAC(t)),
			ownKey: secret, ownKid: hmacKid(secret), banner: secretFile + ": HS256 kid " + hmacKid(secret) + "; ID tokens ES256 kid "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := startServe(t, tc.args...)
			if line := bannerKeys(t, s); !strings.Contains(line, tc.banner) {
				t.Errorf("keys line %q lacks %q", line, tc.banner)
			}
			if strings.Contains(s.stdout.String(), hex.EncodeToString(secret)) || strings.Contains(s.stderr.String(), hex.EncodeToString(secret)) {
				t.Error("the HS256 secret is printed")
			}
			if got := accepted(t, s, forge(t, s.issuer, tc.alg, tc.fixtureKey, tc.fixtureKid)); got != tc.fixtureOK {
				t.Errorf("a token forged with the fixture key accepted: %v", got)
			}
			// Under the kid the mock signs with, too: the signature fails,
			// not just the kid lookup.
			activeKid := bannerKid.FindStringSubmatch(bannerKeys(t, s))[1]
			if got := accepted(t, s, forge(t, s.issuer, tc.alg, tc.fixtureKey, activeKid)); got != tc.fixtureOK {
				t.Errorf("a token forged with the fixture key under kid %s accepted: %v", activeKid, got)
			}
			if tc.ownKey != nil && !accepted(t, s, forge(t, s.issuer, tc.alg, tc.ownKey, tc.ownKid)) {
				t.Error("a token signed with the --signing-key secret is refused")
			}
			// The mock's own tokens pass whatever signs them.
			req := formRequest(t, s.issuer+"/token", url.Values{"grant_type": {"client_credentials"}})
			req.SetBasicAuth("conf-client", "conf-secret")
			st, tr := postToken(t, http.DefaultClient, req)
			if st != http.StatusOK || !accepted(t, s, tr.AccessToken) {
				t.Fatalf("own token: %d %+v", st, tr)
			}
		})
	}
}

// oob-pkce (HS256, the case): the tokens of a default serve are
// not signed with fixtures/keys/hmac-1.key, those of --fixture-keys are,
// and those of --signing-key with its secret.
func TestServeOOBPKCESigningSecret(t *testing.T) {
	dir := t.TempDir()
	ctlSecret := filepath.Join(dir, "control.secret")
	writeFile(t, ctlSecret, "control-secret-of-this-test-0123")
	own := make([]byte, 48)
	_, _ = rand.Read(own)
	ownFile := filepath.Join(dir, "hs256.hex")
	writeFile(t, ownFile, hex.EncodeToString(own))
	for _, tc := range []struct {
		name   string
		args   []string
		secret []byte // what must sign; nil: neither of the test's
	}{
		{name: "default"},
		{name: "fixture", args: []string{"--fixture-keys"}, secret: fixtureHMAC(t)},
		{name: "key file", args: []string{"--signing-key", ownFile}, secret: own},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := startServe(t, append([]string{"--profile", "oob-pkce", "--control-prefix", "--control-secret-file", ctlSecret}, tc.args...)...)
			st, v := controlCall(t, http.DefaultClient, "POST", s.issuer+"/_control/tokens", "control-secret-of-this-test-0123", `{"subject":"alice"}`)
			at, _ := v["access_token"].(string)
			if st != http.StatusOK || strings.Count(at, ".") != 2 {
				t.Fatalf("issue: %d %v", st, v)
			}
			signedBy := func(secret []byte) bool {
				i := strings.LastIndexByte(at, '.')
				m := hmac.New(sha256.New, secret)
				m.Write([]byte(at[:i]))
				return at[i+1:] == base64.RawURLEncoding.EncodeToString(m.Sum(nil))
			}
			if got := signedBy(fixtureHMAC(t)); got != (tc.name == "fixture") {
				t.Errorf("signed with hmac-1.key: %v", got)
			}
			if tc.secret != nil && !signedBy(tc.secret) {
				t.Error("not signed with the expected secret")
			}
			// The mock's own resource and introspection take it.
			req, _ := http.NewRequest(http.MethodGet, s.issuer+"/oauth/resource", nil)
			req.Header.Set("Authorization", "Bearer "+at)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			ireq := formRequest(t, s.issuer+"/oauth/introspect", url.Values{"token": {at}, "client_id": {"public-client"}})
			ireq.Header.Set("x-api-key", "demo-api-key")
			iresp, err := http.DefaultClient.Do(ireq)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(iresp.Body)
			iresp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"active":true`) {
				t.Fatalf("resource %d, introspection %s", resp.StatusCode, body)
			}
		})
	}
}

// --signing-key with a PEM key: it signs, the JWKS publishes it beside the
// key a rotation moves to, and POST /keys/rotate still works.
func TestServeSigningKeyFile(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalECPrivateKey(ec)
	keyFile := filepath.Join(t.TempDir(), "es256.pem")
	writeFile(t, keyFile, string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})))
	kid := thumbprint(t, &ec.PublicKey)

	ctlSecret := filepath.Join(t.TempDir(), "control.secret")
	writeFile(t, ctlSecret, "control-secret-of-this-test-4567")

	s := startServe(t, "--signing-key", keyFile, "--control-prefix", "--control-secret-file", ctlSecret)
	if line := bannerKeys(t, s); line != keyFile+": ES256 kid "+kid {
		t.Errorf("keys line %q", line)
	}
	token := func() (string, string) {
		t.Helper()
		req := formRequest(t, s.issuer+"/token", url.Values{"grant_type": {"client_credentials"}})
		req.SetBasicAuth("conf-client", "conf-secret")
		st, tr := postToken(t, http.DefaultClient, req)
		jws, err := jose.ParseSignedCompact(tr.AccessToken, []jose.SignatureAlgorithm{jose.ES256})
		if st != http.StatusOK || err != nil {
			t.Fatalf("token: %d %+v %v", st, tr, err)
		}
		return tr.AccessToken, jws.Signatures[0].Header.KeyID
	}
	before, k1 := token()
	if jws, _ := jose.ParseSignedCompact(before, []jose.SignatureAlgorithm{jose.ES256}); k1 != kid {
		t.Fatalf("signed by kid %q, not the file's %q", k1, kid)
	} else if _, err := jws.Verify(&ec.PublicKey); err != nil {
		t.Fatalf("not signed with the file's key: %v", err)
	}

	st, v := controlCall(t, http.DefaultClient, "POST", s.issuer+"/_control/keys/rotate", "control-secret-of-this-test-4567", "")
	next, _ := v["kid"].(string)
	if st != http.StatusOK || next == "" || next == kid {
		t.Fatalf("rotate: %d %v", st, v)
	}
	after, k2 := token()
	if k2 != next {
		t.Fatalf("after the rotation signed by %q, not %q", k2, next)
	}
	resp, err := http.Get(s.issuer + "/jwks")
	if err != nil {
		t.Fatal(err)
	}
	var set jose.JSONWebKeySet
	err = json.NewDecoder(resp.Body).Decode(&set)
	resp.Body.Close()
	if err != nil || len(set.Keys) != 2 || len(set.Key(kid)) != 1 || len(set.Key(next)) != 1 {
		t.Fatalf("JWKS %+v %v", set, err)
	}
	for _, tok := range []string{before, after} {
		jws, _ := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.ES256})
		if _, err := jws.Verify(set.Key(jws.Signatures[0].Header.KeyID)[0]); err != nil {
			t.Errorf("JWKS does not verify a token: %v", err)
		}
		if !accepted(t, s, tok) {
			t.Error("a token of the file's or the rotated key is refused")
		}
	}
}

// Key flags that cannot work are usage errors (exit 2) naming the flag.
func TestServeSigningKeyErrors(t *testing.T) {
	dir := t.TempDir()
	ecFile := filepath.Join(dir, "ec.pem")
	writeFile(t, ecFile, string(fixtureBytes(t, "keys/ec-2.pem")))
	junk := filepath.Join(dir, "junk.key")
	writeFile(t, junk, "not a key\n")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"another alg", []string{"--profile", "oob-pkce", "--signing-key", ecFile}, "--signing-key: " + ecFile + " is an ES256 key, but the settings sign access tokens HS256 (access_token.alg)"},
		{"opaque tokens", []string{"--profile", "merchant-customer", "--signing-key", ecFile}, "--signing-key: " + ecFile + " is an ES256 key, but the access tokens of these settings are opaque"},
		{"no key", []string{"--signing-key", junk}, "--signing-key: " + junk + ": signing key: neither PEM, nor a JWK, nor a hex-encoded HS256 secret"},
		{"no file", []string{"--signing-key", filepath.Join(dir, "missing.pem")}, "--signing-key: open "},
		{"both", []string{"--fixture-keys", "--signing-key", ecFile}, "--fixture-keys: cannot be combined with --signing-key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCmd(t, append([]string{"serve", "--addr", "127.0.0.1:0"}, tc.args...)...)
			if code != exitUsage || !strings.Contains(errOut, tc.want) || out != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want 2 and %q", code, out, errOut, tc.want)
			}
		})
	}
}
