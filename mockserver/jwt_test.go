package mockserver

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

func fetchJWKS(t *testing.T, ts *TestServer) jose.JSONWebKeySet {
	t.Helper()
	res := doAt(t, ts, ts.URL+ts.Settings().Endpoints.JWKS, tokenReq{method: http.MethodGet})
	if res.status != 200 {
		t.Fatalf("jwks: %d %s", res.status, res.raw)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal([]byte(res.raw), &set); err != nil {
		t.Fatal(err)
	}
	return set
}

// verifyWithJWKS checks a compact JWS against the set, selecting by kid.
func verifyWithJWKS(tok, alg string, set jose.JSONWebKeySet) (kid string, claims map[string]any, err error) {
	jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)})
	if err != nil {
		return "", nil, err
	}
	kid = jws.Signatures[0].Header.KeyID
	keys := set.Key(kid)
	if len(keys) != 1 {
		return kid, nil, jose.ErrUnsupportedKeyType
	}
	payload, err := jws.Verify(keys[0])
	if err != nil {
		return kid, nil, err
	}
	return kid, claims, json.Unmarshal(payload, &claims)
}

// Tokens signed before and after a rotation both verify against the JWKS,
// with different kids; the mock's own validation accepts both.
func TestJWKSVerifiesAcrossRotation(t *testing.T) {
	for _, alg := range []string{"ES256", "RS256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			ts := NewTestServer(t, "rfc6749", WithSettings(func(s *Settings) { s.AccessToken.Alg = alg }))
			before := mustToken(t, ts, tokenReq{body: ccBody, basic: conf}).str("access_token")
			newKid := ts.RotateSigningKey()
			after := mustToken(t, ts, tokenReq{body: ccBody, basic: conf}).str("access_token")
			set := fetchJWKS(t, ts)
			if len(set.Keys) != 2 {
				t.Fatalf("%d keys published", len(set.Keys))
			}
			kid1, c1, err := verifyWithJWKS(before, alg, set)
			if err != nil {
				t.Fatalf("token before rotation: %v", err)
			}
			kid2, c2, err := verifyWithJWKS(after, alg, set)
			if err != nil {
				t.Fatalf("token after rotation: %v", err)
			}
			if kid1 == kid2 || kid2 != newKid {
				t.Fatalf("kids %s, %s (rotated to %s)", kid1, kid2, newKid)
			}
			if c1["iss"] != ts.Issuer() || c2["client_id"] != "conf-client" {
				t.Fatalf("claims %v %v", c1, c2)
			}
			e := &ep{name: "rfc6749", ts: ts, c1: conf, c2: conf2}
			if !e.active(t, before) || !e.active(t, after) {
				t.Fatal("introspection rejects a token of a published key")
			}
		})
	}
}

// HS256 keys are never published (with OpenID Connect on, the ES256 ID
// token keys are: see TestOIDCSigningKeys).
func TestJWKSWithoutSymmetricKeys(t *testing.T) {
	ts := NewTestServer(t, "rfc6749", WithSettings(func(s *Settings) { s.AccessToken.Alg, s.OIDC = "HS256", false }))
	if set := fetchJWKS(t, ts); len(set.Keys) != 0 {
		t.Fatalf("HS256 keys published: %+v", set)
	}
	doc, _, _ := getMetadata(t, ts, WellKnownOAuth)
	if _, ok := doc["jwks_uri"]; ok {
		t.Fatal("jwks_uri advertised without public keys")
	}
	oidcOn := NewTestServer(t, "rfc6749", WithSettings(func(s *Settings) { s.AccessToken.Alg = "HS256" }))
	for _, k := range fetchJWKS(t, oidcOn).Keys {
		if !k.IsPublic() || k.Algorithm != "ES256" {
			t.Fatalf("with oidc: %s key published (%s)", k.Algorithm, k.KeyID)
		}
	}
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// forge builds a compact JWS with the given header and claims, signed HS256
// with key (or unsigned when key is nil).
func forge(header, claims string, key []byte) string {
	in := b64(header) + "." + b64(claims)
	if key == nil {
		return in + "."
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(in))
	return in + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// The resource server side of JWT validation refuses everything it did not
// sign, whatever the header claims.
func TestVerifyAccessJWTRejects(t *testing.T) {
	ts := NewTestServer(t, "rfc6749")
	good := mustToken(t, ts, tokenReq{body: ccBody, basic: conf}).str("access_token")
	if _, ok := ts.verifyAccessJWT(good); !ok {
		t.Fatal("own token rejected")
	}
	parts := strings.Split(good, ".")
	kid := ts.keys.current().kid
	now := time.Now().Unix()
	claims := func(iss string) string {
		b, _ := json.Marshal(map[string]any{"iss": iss, "aud": ts.Issuer(), "sub": "x", "client_id": "conf-client", "exp": now + 600, "iat": now, "jti": "j"})
		return string(b)
	}
	pub, _ := json.Marshal(ts.keys.current().priv.Public())
	for name, tok := range map[string]string{
		"alg none":             forge(`{"alg":"none","typ":"at+jwt"}`, claims(ts.Issuer()), nil),
		"alg none with kid":    forge(`{"alg":"none","kid":"`+kid+`","typ":"at+jwt"}`, claims(ts.Issuer()), nil),
		"HS256 with kid":       forge(`{"alg":"HS256","kid":"`+kid+`","typ":"at+jwt"}`, claims(ts.Issuer()), pub),
		"tampered claims":      parts[0] + "." + b64(claims(ts.Issuer())) + "." + parts[2],
		"bad signature":        parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2])),
		"unknown kid":          b64(`{"alg":"ES256","kid":"nope","typ":"at+jwt"}`) + "." + parts[1] + "." + parts[2],
		"wrong typ":            b64(`{"alg":"ES256","kid":"`+kid+`","typ":"JWT"}`) + "." + parts[1] + "." + parts[2],
		"JSON serialization":   `{"payload":"` + parts[1] + `","protected":"` + parts[0] + `","signature":"` + parts[2] + `"}`,
		"two dots only header": parts[0] + "..",
		"garbage":              "a.b.c",
		"empty":                "",
	} {
		if _, ok := ts.verifyAccessJWT(tok); ok {
			t.Errorf("%s: accepted", name)
		}
	}
	// Another issuer's token with a valid signature (same keys): rejected.
	other := NewTestServer(t, "rfc6749")
	if tok := mustToken(t, other, tokenReq{body: ccBody, basic: conf}).str("access_token"); other.Issuer() != ts.Issuer() {
		if _, ok := ts.verifyAccessJWT(tok); ok {
			t.Error("token of another issuer accepted")
		}
	}
}
