package mockserver

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/oauthconform/oauthconform/profile"
)

// maxTokenLen bounds the tokens the mock looks up or parses; its own are far
// shorter.
const maxTokenLen = 8 << 10

// jwtShape says which of the claims beyond iss, sub, scope, iat and exp
// (and the extras') the access JWTs carry.
type jwtShape struct{ aud, clientID, jti bool }

// newJWTShape is the shape of the settings' format: every claim for
// jwt-rfc9068; for a plain jwt aud and client_id only where the dialect's
// access_token.claims or the settings' name them, and always a jti, so
// that two tokens issued in the same second differ (RFC 6749 §10.10).
func newJWTShape(s *Settings, d *profile.Dialect) jwtShape {
	if s.AccessToken.Format == profile.FormatJWTRFC9068 {
		return jwtShape{aud: true, clientID: true, jti: true}
	}
	has := func(c string) bool {
		return slices.Contains(d.AccessToken.Claims, c) || slices.Contains(s.AccessToken.Claims, c)
	}
	return jwtShape{aud: has("aud"), clientID: has("client_id"), jti: true}
}

// selfContained reports whether a token states all its record would: its
// client and a jti to find a grant family's record by. Such tokens are
// verified and known by their claims (RFC 9068 ones, and plain ones that
// carry client_id); the others are known by their record only.
func (s jwtShape) selfContained() bool { return s.clientID && s.jti }

// accessTokenHeader returns the encoded JWS header (plus '.') that key k's
// access tokens carry: the settings' typ, or the quirks' wrong ones.
func (p *Provider) accessTokenHeader(k *signingKey) []byte {
	typ := p.settings.AccessToken.Typ
	if p.rules.jwt.typJWT {
		typ = "JWT"
	}
	if p.rules.jwt.algNone {
		js := `{"alg":"none"`
		if typ != "" {
			js += `,"typ":"` + typ + `"`
		}
		return []byte(base64.RawURLEncoding.EncodeToString([]byte(js+"}")) + ".")
	}
	return k.buildHeader(typ)
}

// accessTokenExpClaim is the exp claim of a token valid until exp; the
// jwt-exp-mismatch quirk halves the lifetime in the claim only.
func (p *Provider) accessTokenExpClaim(iat, exp time.Time) time.Time {
	if p.rules.jwt.halfExp {
		return iat.Add(exp.Sub(iat) / 2)
	}
	return exp
}

// audience is the aud claim: one string or an array (RFC 7519 §4.1.3).
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("[")) {
		var v []string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*a = v
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*a = audience{s}
	return nil
}

// jwtClaims are the access token claims the mock reads back.
type jwtClaims struct {
	Iss      string   `json:"iss"`
	Sub      string   `json:"sub"`
	Aud      audience `json:"aud"`
	ClientID string   `json:"client_id"`
	Scope    string   `json:"scope"`
	Iat      *float64 `json:"iat"`
	Exp      *float64 `json:"exp"`
	Nbf      *float64 `json:"nbf"`
	Jti      string   `json:"jti"`
}

func numericDate(v *float64) time.Time {
	if v == nil {
		return time.Time{}
	}
	return time.Unix(int64(*v), 0)
}

// verificationKey returns the key that checks signatures of key id kid: the
// public key, or the HMAC secret for HS256. nil when kid is unknown.
func (r *keyring) verificationKey(kid string) any {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, k := range r.keys {
		if k.kid != kid {
			continue
		}
		if k.priv == nil {
			return k.hmac
		}
		return k.priv.Public()
	}
	return nil
}

// typMatches compares a JWS typ with the settings', case-insensitively and
// with the optional "application/" prefix (RFC 7515 §4.1.9).
func typMatches(got any, want string) bool {
	s, _ := got.(string)
	norm := func(v string) string {
		v = strings.ToLower(v)
		return strings.TrimPrefix(v, "application/")
	}
	return norm(s) == norm(want)
}

// verifyAccessJWT checks a JWT access token as the provider's own resource
// server: compact JWS, alg exactly the settings' (never "none"), a kid of the
// keyring, a valid signature, the settings' typ when they set one, iss the
// issuer, aud holding the audience (when the tokens carry aud), and exp
// present. Expiry and revocation
// are the caller's (tokenActive). ok is false for anything else.
func (p *Provider) verifyAccessJWT(raw string) (*jwtClaims, bool) {
	if p.keys == nil || len(raw) > maxTokenLen || strings.Count(raw, ".") != 2 {
		return nil, false
	}
	jws, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(p.settings.AccessToken.Alg)})
	if err != nil || len(jws.Signatures) != 1 {
		return nil, false
	}
	h := jws.Signatures[0].Protected
	if h.Algorithm != p.settings.AccessToken.Alg {
		return nil, false
	}
	if want := p.settings.AccessToken.Typ; want != "" && !typMatches(h.ExtraHeaders[jose.HeaderType], want) {
		return nil, false
	}
	key := p.keys.verificationKey(h.KeyID)
	if key == nil {
		return nil, false
	}
	payload, err := jws.Verify(key)
	if err != nil {
		return nil, false
	}
	var c jwtClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, false
	}
	if c.Iss != p.issuer || c.Exp == nil || p.jwt.aud && !slices.Contains(c.Aud, p.audience) {
		return nil, false
	}
	// Access tokens of a client-naming shape carry client_id; another JWT
	// the keys signed (an ID token) does not.
	if p.jwt.clientID && c.ClientID == "" {
		return nil, false
	}
	if c.Nbf != nil && p.clock.Now().Before(numericDate(c.Nbf)) {
		return nil, false
	}
	return &c, true
}
