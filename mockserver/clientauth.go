package mockserver

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/oauthconform/oauthconform/profile"
)

// registeredClient is a client with its secret kept only as a SHA-256 digest,
// so comparisons take the same time whatever the length of the guess.
type registeredClient struct {
	*profile.Client
	secretHash [sha256.Size]byte
}

func hashSecret(s string) [sha256.Size]byte { return sha256.Sum256([]byte(s)) }

// secretMatches compares in constant time.
func secretMatches(want [sha256.Size]byte, got string) bool {
	h := hashSecret(got)
	return subtle.ConstantTimeCompare(want[:], h[:]) == 1
}

// dummyHash is compared against for unknown clients so their failures take as
// long as a wrong secret.
var dummyHash = hashSecret("oauthconform-unknown-client")

// unidentifiedClient stands for a request that named no client (the
// code-client-inferred quirk); it has no ID and no restrictions.
var unidentifiedClient = &registeredClient{Client: &profile.Client{}}

// authResult is the outcome of client authentication.
type authResult struct {
	client *registeredClient
	method string
}

func (p *Provider) basicChallenge() string {
	return `Basic realm="` + p.realm + `"`
}

// invalidClient builds the invalid_client error: 401 with a Basic challenge
// when the client used the Authorization header (RFC 6749 §5.2's MUST), or
// when the settings enable Basic and client_auth.invalid_client_status is
// 401 (the strict choice; HTTP requires the header on any 401), else 400.
func (p *Provider) invalidClient(desc string, viaHeader bool) *oauthError {
	e := newError(errInvalidClient, desc)
	if viaHeader || p.settings.HasAuthMethod(profile.AuthBasic) && p.settings.ClientAuth.InvalidClientStatus != http.StatusBadRequest {
		e.Status = http.StatusUnauthorized
		e.Challenge = p.basicChallenge()
	}
	return e
}

// authenticateClient applies RFC 6749 §2.3: exactly one method per request.
func (p *Provider) authenticateClient(r *http.Request, ps *params) (authResult, *oauthError) {
	bodyID, bodySecret := ps.get("client_id"), ps.get("client_secret")
	if !p.rules.client.credentialsInQuery {
		if q := r.URL.RawQuery; q != "" && (strings.Contains(q, "client_secret") || strings.Contains(q, "client_id")) {
			return authResult{}, newError(errInvalidRequest, "Client credentials must not be sent in the request URI (RFC 6749 Section 2.3.1).")
		}
	} else if bodyID == "" && bodySecret == "" {
		q := r.URL.Query()
		bodyID, bodySecret = q.Get("client_id"), q.Get("client_secret")
	}

	if authz := r.Header.Get("Authorization"); authz != "" {
		id, secret, oerr := p.parseBasic(authz)
		if oerr != nil {
			return authResult{}, oerr
		}
		if !p.settings.HasAuthMethod(profile.AuthBasic) {
			return authResult{}, p.invalidClient("HTTP Basic client authentication is not supported.", true)
		}
		if bodySecret != "" && !p.rules.client.twoMethods {
			return authResult{}, newError(errInvalidRequest, "More than one client authentication method was used (RFC 6749 Section 2.3).")
		}
		// A body client_id naming the same client is allowed (erratum 3780).
		if bodyID != "" && bodyID != id && !p.rules.client.conflictingIDIgnored {
			return authResult{}, newError(errInvalidRequest, "The client_id parameter does not match the authenticated client.")
		}
		c, oerr := p.checkSecret(id, secret, true)
		if oerr != nil {
			return authResult{}, oerr
		}
		if oerr := p.checkRegisteredMethod(c, profile.AuthBasic, true); oerr != nil {
			return authResult{}, oerr
		}
		return authResult{client: c, method: profile.AuthBasic}, nil
	}

	if bodySecret != "" {
		if !p.settings.HasAuthMethod(profile.AuthPost) || p.rules.client.secretPostRefused {
			return authResult{}, p.invalidClient("client_secret_post authentication is not supported.", false)
		}
		c, oerr := p.checkSecret(bodyID, bodySecret, false)
		if oerr != nil {
			return authResult{}, oerr
		}
		if oerr := p.checkRegisteredMethod(c, profile.AuthPost, false); oerr != nil {
			return authResult{}, oerr
		}
		return authResult{client: c, method: profile.AuthPost}, nil
	}

	if bodyID != "" {
		c := p.client(bodyID)
		if c == nil {
			return authResult{}, p.invalidClient("Client authentication failed.", false)
		}
		if !c.Public() && !p.rules.client.secretOptional {
			return authResult{}, p.invalidClient("This client must authenticate (RFC 6749 Section 3.2.1).", false)
		}
		if c.Public() && !p.settings.HasAuthMethod(profile.AuthNone) {
			return authResult{}, p.invalidClient("Public clients are not supported.", false)
		}
		if c.Public() {
			if oerr := p.checkRegisteredMethod(c, profile.AuthNone, false); oerr != nil {
				return authResult{}, oerr
			}
		}
		return authResult{client: c, method: profile.AuthNone}, nil
	}
	if p.rules.client.inferFromCode && ps.get("grant_type") == profile.GrantAuthorizationCode && p.settings.HasAuthMethod(profile.AuthNone) {
		// The grant handler takes the client from the code.
		return authResult{client: unidentifiedClient, method: profile.AuthNone}, nil
	}
	if p.rules.client.anonymousClientCredentials && ps.get("grant_type") == profile.GrantClientCredentials {
		return authResult{client: anonymousClient, method: profile.AuthNone}, nil
	}
	return authResult{}, p.invalidClient("Client authentication is required.", false)
}

// checkRegisteredMethod refuses a client that authenticated by another
// method than the one it registered (its auth_method, RFC 7591
// token_endpoint_auth_method): invalid_client. A client without one may use
// any method the settings enable. It runs after the secret was verified, so
// it tells nothing to whoever does not hold it.
func (p *Provider) checkRegisteredMethod(c *registeredClient, method string, viaHeader bool) *oauthError {
	if c.AuthMethod == "" || c.AuthMethod == method {
		return nil
	}
	return p.invalidClient("The client is registered for "+c.AuthMethod+" authentication, not "+method+".", viaHeader)
}

// checkSecret verifies a confidential client's secret in constant time,
// under brute-force throttling per client id.
func (p *Provider) checkSecret(id, secret string, viaHeader bool) (*registeredClient, *oauthError) {
	key := "client:" + id
	now := p.clock.Now()
	if locked, wait := p.failures.locked(key, now); locked && !p.rules.noLockout {
		return nil, lockedError(p.invalidClient("", viaHeader), wait)
	}
	c := p.client(id)
	want := dummyHash
	if c != nil && !c.Public() {
		want = c.secretHash
	}
	if !secretMatches(want, secret) || c == nil || c.Public() {
		p.failures.fail(key, now)
		return nil, p.invalidClient("Client authentication failed.", viaHeader)
	}
	p.failures.succeed(key)
	return c, nil
}

// parseBasic decodes an RFC 7617 Basic header whose user-id and password are
// form-encoded (RFC 6749 §2.3.1). The scheme is case-insensitive.
func (p *Provider) parseBasic(authz string) (id, secret string, oerr *oauthError) {
	malformed := func() (string, string, *oauthError) {
		if p.rules.client.malformedBasic500 {
			return "", "", &oauthError{Code: errServerError, Description: "Internal error.", Status: http.StatusInternalServerError}
		}
		return "", "", p.invalidClient("The Authorization header is not valid HTTP Basic authentication.", true)
	}
	scheme, rest, ok := strings.Cut(authz, " ")
	if !ok || !strings.EqualFold(scheme, "Basic") {
		return malformed()
	}
	if scheme != "Basic" && p.rules.client.lowercaseBasicRefused {
		return malformed()
	}
	// Decoded on the stack where it fits (any sane header): one
	// allocation, the string, instead of two.
	enc := []byte(strings.TrimSpace(rest))
	var buf [384]byte
	dst := buf[:]
	if n := base64.StdEncoding.DecodedLen(len(enc)); n > len(buf) {
		dst = make([]byte, n)
	}
	n, err := base64.StdEncoding.Decode(dst, enc)
	if err != nil {
		return malformed()
	}
	rawID, rawSecret, ok := strings.Cut(string(dst[:n]), ":")
	if !ok {
		return malformed()
	}
	if p.rules.client.basicNotFormDecoded {
		return rawID, rawSecret, nil
	}
	id, err1 := formUnescape(rawID)
	secret, err2 := formUnescape(rawSecret)
	if err1 != nil || err2 != nil || id == "" {
		return malformed()
	}
	return id, secret, nil
}

// checkAPIKey enforces the settings' API key header (seed 002's x-api-key).
func (p *Provider) checkAPIKey(r *http.Request) *oauthError {
	name := p.settings.ClientAuth.APIKeyHeader
	if name == "" {
		return nil
	}
	got := r.Header.Get(name)
	ok := false
	for _, h := range p.apiKeys {
		if secretMatches(h, got) {
			ok = true
		}
	}
	if got == "" || !ok {
		e := newError(errInvalidClient, "A valid API key is required in the "+name+" header.")
		e.Status = http.StatusUnauthorized
		e.Challenge = `ApiKey realm="` + p.realm + `", header="` + name + `"`
		return e
	}
	return nil
}
